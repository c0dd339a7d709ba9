// Browser and bundler entry: fetches and instantiates the wasm module on
// import, so callers need no init step. Vite and webpack 5 rewrite the
// `new URL(..., import.meta.url)` into the emitted asset's URL.
import init, { __watchErrorClass, __setMessageLoader } from "../dist/wasm/b24_import_watch.js";
import messageModules from "../dist/i18n/index.js";
import { stopWatchesOnFree } from "./handles.js";
import { ImportWatch as WatchHandle } from "../dist/wasm/b24_import_watch.js";

await init({ module_or_path: new URL("../dist/wasm/b24_import_watch_bg.wasm", import.meta.url) });
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
