// Headless Chromium for end-to-end tests: Debian's /usr/bin/chromium driven
// by playwright-core. Playwright cannot download its own browser here, and
// Chromium's background services would try hosts this machine cannot reach,
// so they are switched off.
import { chromium } from "playwright-core";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

import { startEmulator } from "../../tools/portal-emulator/server.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export async function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** Starts an emulator that also serves the demo page, the package entry and the built wasm. */
export async function startSite(options = {}) {
  return startEmulator({
    port: 0,
    staticRoots: { "/": join(root, "www"), "/js/": join(root, "js"), "/dist/": join(root, "dist") },
    ...options,
  });
}

/** Collects page errors and console errors, so a test can assert there were none. */
export function watchPageErrors(page) {
  const errors = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  return errors;
}
