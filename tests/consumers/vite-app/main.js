// A Vite app that uses the package by its name; `vite build` bundles it.
import { watchImport, webhookClient, WatchError } from "b24-import-watch";
import { runWatchPage } from "./watch-page.js";

runWatchPage({ watchImport, webhookClient, WatchError });
