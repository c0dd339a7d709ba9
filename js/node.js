// Node entry: reads the wasm file from disk and instantiates it
// synchronously on import, so callers need no init step.
import { readFileSync } from "node:fs";
import { initSync, __watchErrorClass, __setMessageLoader } from "../dist/wasm/b24_import_watch.js";
import messageModules from "../dist/i18n/index.js";
import { stopWatchesOnFree } from "./handles.js";
import { ImportWatch as WatchHandle } from "../dist/wasm/b24_import_watch.js";

initSync({ module: readFileSync(new URL("../dist/wasm/b24_import_watch_bg.wasm", import.meta.url)) });
// The widget has English built in and imports another language's texts
// when a widget first shows it, so a page downloads only what it uses.
__setMessageLoader(async (id) => (await messageModules[id]()).default);
stopWatchesOnFree(WatchHandle);

export {
  watchImport,
  getImportStatus,
  parseImportStatus,
  bx24Client,
  webhookClient,
  b24jssdkClient,
  ImportClient,
  ImportWatch,
  mountImportProgress,
} from "../dist/wasm/b24_import_watch.js";

export const WatchError = __watchErrorClass();
