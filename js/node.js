// Node entry: reads the wasm file from disk and instantiates it
// synchronously on import, so callers need no init step.
import { readFileSync } from "node:fs";
import { initSync, __watchErrorClass } from "../dist/wasm/b24_import_watch.js";

initSync({ module: readFileSync(new URL("../dist/wasm/b24_import_watch_bg.wasm", import.meta.url)) });

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
