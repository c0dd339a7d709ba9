// A webpack 5 app that uses the package by its name. webpack emits the wasm
// as an asset from the entry's `new URL(..., import.meta.url)`, and supports
// the entry's top-level await by default since 5.83.
import { watchImport, webhookClient, WatchError } from "b24-import-watch";
import { runWatchPage } from "./watch-page.js";

runWatchPage({ watchImport, webhookClient, WatchError });
