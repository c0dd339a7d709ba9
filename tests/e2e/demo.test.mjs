// The demo page in headless Chromium shows an import on the emulator in the
// progress widget until F, then switches language and theme.
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

const widgetText = (page, selector) => page.locator(`#progress b24-import-progress ${selector}`).first().textContent();

test("demo page reaches F", async () => {
  const processId = site.register();
  const page = await browser.newPage();
  const errors = watchPageErrors(page);

  await page.goto(`${site.url}/?processId=${processId}&intervalMs=100&lang=en`);
  await page.locator("#progress b24-import-progress .title").waitFor();
  await page.waitForSelector("body[data-final]", { timeout: 30_000 });

  assert.equal(await page.getAttribute("body", "data-final"), "F");
  assert.equal(await widgetText(page, ".title"), "Import completed");
  assert.equal(await widgetText(page, ".subtitle"), `Import #${processId}`);
  const steps = await page.locator("#progress b24-import-progress .step").evaluateAll((items) => items.map((item) => item.dataset.state));
  assert.deepEqual(steps, ["done", "done", "done", "done", "done", "done"]);
  assert.match(await page.textContent("#final"), /"code": "F"/);
  const polls = site.requests.filter((request) => request.method === "configuration.import.get" && request.processId === processId);
  assert.ok(polls.length >= 5, `saw ${polls.length} polls`);
  assert.deepEqual(errors, []);
});

test("demo switches language and theme", async () => {
  const processId = site.register({ agentPeriodMs: 60_000, firstRunDelayMs: 60_000 });
  const page = await browser.newPage();
  const errors = watchPageErrors(page);

  await page.goto(`${site.url}/?processId=${processId}&intervalMs=100&lang=en`);
  await page.locator("#progress b24-import-progress .title", { hasText: "Waiting for the import to start" }).waitFor();

  await page.selectOption("#lang", "ru");
  await page.locator("#progress b24-import-progress .title", { hasText: "Ожидание запуска импорта" }).waitFor();
  assert.equal(await page.locator("#progress b24-import-progress").count(), 1, "the old widget is gone");

  await page.selectOption("#theme", "dark");
  await page.locator("#progress b24-import-progress .widget[data-theme=dark]").waitFor();
  assert.equal(await widgetText(page, ".title"), "Ожидание запуска импорта");
  assert.deepEqual(errors, []);
});
