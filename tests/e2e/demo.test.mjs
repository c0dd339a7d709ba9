// The demo page in headless Chromium watches an import on the emulator to F.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { launchBrowser, startSite, watchPageErrors } from "./harness.mjs";

let browser;
let site;

before(async () => {
  site = await startSite({ agentPeriodMs: 150, firstRunDelayMs: 600 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await site?.close();
});

test("demo page reaches F", async () => {
  const processId = site.register();
  const page = await browser.newPage();
  const errors = watchPageErrors(page);

  await page.goto(`${site.url}/?processId=${processId}&intervalMs=100`);
  await page.waitForSelector("body[data-final]", { timeout: 30_000 });

  assert.equal(await page.getAttribute("body", "data-final"), "F");
  assert.equal(await page.textContent("#status"), "F · finished");
  assert.equal(await page.textContent("#process-id"), String(processId));
  const log = await page.locator("#log li").allTextContents();
  assert.ok(log.length >= 5, `saw ${log.length} updates`);
  assert.ok(log.some((line) => line.includes(" S")), "saw S");
  assert.deepEqual(errors, []);
});
