// The progress widget (mountImportProgress) in headless Chromium: every
// import state in English and Russian, an axe-core audit and a screenshot of
// each, hostile server text, unmounting, cancelling against the emulator,
// language detection, option checks and layout.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

import { launchBrowser, root, startSite, watchPageErrors } from "./harness.mjs";

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve("axe-core/axe.min.js");
const SCREENSHOT_DIR = join(root, "test-results", "widget-screenshots");

let browser;
let site;

before(async () => {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  site = await startSite({ agentPeriodMs: 200, firstRunDelayMs: 300 });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await site?.close();
  console.log(`widget screenshots: ${SCREENSHOT_DIR}`);
});

const TIME = {
  start: 1767225600.1,
  finish: 1767225600.2,
  duration: 0.1,
  processing: 0.08,
  date_start: "2026-01-01T00:00:00+00:00",
  date_finish: "2026-01-01T00:00:00+00:00",
};
const ok = (result) => ({ body: { result, time: TIME } });

const NOTICES = [1, 2, 3, 4, 5, 6].map((n) => ({ code: n === 2 ? "NOTICE_CODE" : "", message: `Notice number ${n}`, type: "notice" }));

/**
 * Each state: the bodies that configuration.import.get returns, the `data-kind` it
 * ends in, and the texts and step states it shows per language. The step
 * states are start, init_background, manifest, clean, load, finish.
 */
const STATES = {
  started: {
    get: [ok({ status: "S" })],
    kind: "started",
    steps: ["pending", "pending", "pending", "pending", "pending", "pending"],
    barNow: "0",
    en: {
      title: "Waiting for the import to start",
      detail: "The portal runs the import in the background, about one step a minute.",
      bar: "Not started yet",
    },
    ru: {
      title: "Ожидание запуска импорта",
      detail: "Портал выполняет импорт в фоне, примерно по одному шагу в минуту.",
      bar: "Импорт ещё не начался",
    },
  },
  load: {
    get: [ok({ status: "P", progress: { action: "load", step: 2, section: "CRM_STATUS" } })],
    kind: "running",
    steps: ["done", "done", "done", "done", "current", "pending"],
    barNow: "4",
    en: {
      title: "Import in progress",
      detail: "Importing data: step 3",
      section: "Section: CRM statuses",
      bar: "Stage 5 of 6: Importing data",
      stepNames: ["Preparation", "Unpacking files", "Checking the solution", "Removing old data", "Importing data", "Finishing"],
    },
    ru: {
      title: "Идёт импорт",
      detail: "Загрузка данных: шаг 3",
      section: "Раздел: Статусы CRM",
      bar: "Этап 5 из 6: Загрузка данных",
      stepNames: ["Подготовка", "Распаковка файлов", "Проверка решения", "Удаление старых данных", "Загрузка данных", "Завершение"],
    },
  },
  gap: {
    get: [ok({ status: "P", progress: { action: false, step: 0 } })],
    kind: "finishing",
    steps: ["done", "done", "done", "done", "done", "done"],
    barNow: "6",
    en: {
      title: "Completing the import",
      detail: "All stages are done. The portal confirms the result on its next run.",
      bar: "All 6 stages completed",
    },
    ru: {
      title: "Импорт завершается",
      detail: "Все этапы выполнены. Портал подтвердит результат при следующем запуске.",
      bar: "Все этапы выполнены (6 из 6)",
    },
  },
  finished: {
    get: [
      ok({
        status: "F",
        notice: NOTICES,
        additional: [],
        createItemList: [
          { type: "crm_pipeline", id: "4" },
          { type: "crm_pipeline", id: "5" },
        ],
      }),
    ],
    kind: "finished",
    steps: ["done", "done", "done", "done", "done", "done"],
    barNow: "6",
    en: {
      title: "Import completed",
      detail: "2 items created",
      bar: "All 6 stages completed",
      lists: [{ type: "notices", title: "6 notices", collapsed: true, summary: "Show all (6)" }],
    },
    ru: {
      title: "Импорт завершён",
      detail: "Создано 2 элемента",
      bar: "Все этапы выполнены (6 из 6)",
      lists: [{ type: "notices", title: "6 уведомлений", collapsed: true, summary: "Показать все (6)" }],
    },
  },
  failed: {
    get: [
      ok({
        status: "E",
        progress: { action: "load", step: 1, section: "REST_APPLICATION" },
        errors: { 1: { code: "", message: "A field could not be added.", type: "error" } },
        exception: [{ code: "ERROR_CONTENT", message: "Step 1: the file content could not be read.", type: "exception" }],
      }),
    ],
    kind: "failed",
    steps: ["done", "done", "done", "done", "failed", "pending"],
    barNow: "4",
    en: {
      title: "Import failed",
      detail: "Stopped at: Importing data",
      section: "Section: Applications",
      bar: "Stage 5 of 6: Importing data",
      lists: [
        { type: "exceptions", title: "1 critical error", collapsed: false },
        { type: "errors", title: "1 error, the import went on", collapsed: false },
      ],
    },
    ru: {
      title: "Импорт прерван из-за ошибки",
      detail: "Остановлен на этапе: Загрузка данных",
      section: "Раздел: Приложения",
      bar: "Этап 5 из 6: Загрузка данных",
      lists: [
        { type: "exceptions", title: "1 критическая ошибка", collapsed: false },
        { type: "errors", title: "1 ошибка, импорт продолжился", collapsed: false },
      ],
    },
  },
  failedNoDetails: {
    get: [ok({ status: "E" })],
    kind: "failed",
    steps: ["pending", "pending", "pending", "pending", "pending", "pending"],
    barNow: "0",
    en: {
      title: "Import failed",
      detail: "The portal reported no details. This happens when the solution's manifest is missing or not available on this portal.",
    },
    ru: {
      title: "Импорт прерван из-за ошибки",
      detail: "Портал не сообщил подробностей. Так бывает, если манифест решения отсутствует или недоступен на этом портале.",
    },
  },
  unknown: {
    get: [ok({ status: "U" })],
    kind: "unknown",
    steps: ["pending", "pending", "pending", "pending", "pending", "pending"],
    barNow: "0",
    en: {
      title: "Import not found",
      detail: "The process ID is wrong, or the portal has already deleted the import data (it keeps them for about three days).",
    },
    ru: {
      title: "Импорт не найден",
      detail: "Неверный номер процесса, или портал уже удалил данные импорта (он хранит их около трёх дней).",
    },
  },
  retrying: {
    get: [ok({ status: "P", progress: { action: "manifest", step: 0, section: "CRM_FIELDS" } }), { fail: "Failed to fetch" }],
    kind: "running",
    retrying: true,
    // Polls soon after the first, so the failing second poll comes within the test's wait.
    options: { intervalMs: 500, minIntervalMs: 0 },
    steps: ["done", "done", "current", "pending", "pending", "pending"],
    barNow: "2",
    en: {
      title: "Import in progress",
      detail: "Checking the solution: step 1",
      section: "Section: CRM fields",
      connection: /^Connection problem, retrying: .*Failed to fetch/,
    },
    ru: {
      title: "Идёт импорт",
      detail: "Проверка решения: шаг 1",
      section: "Раздел: Поля CRM",
      connection: /^Проблема с подключением, пробуем снова: .*Failed to fetch/,
    },
  },
};

/** Opens the test page; `contextOptions` go to browser.newContext. */
async function openPage(contextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 560, height: 1000 }, ...contextOptions });
  const page = await context.newPage();
  const errors = watchPageErrors(page);
  const dialogs = [];
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  await page.goto(`${site.url}/widget-test.html`);
  try {
    await page.waitForSelector("body[data-ready]", { timeout: 15_000 });
  } catch (error) {
    throw new Error(`the test page did not load: ${error.message}; page errors: ${JSON.stringify(errors)}`);
  }
  return { page, context, errors, dialogs };
}

/**
 * Mounts the widget on #host with a replay client and keeps the watch as
 * `window.watch` and the client as `window.client`. `options` are passed
 * through, and `intervalMs` defaults to a minute so that a state stays put.
 */
async function mountReplay(page, { get, unregister, options = {} }) {
  await page.evaluate(
    ({ get, unregister, options }) => {
      const { mountImportProgress, replay } = window.widgetTest;
      window.client = replay({ get, unregister });
      window.watch = mountImportProgress(document.getElementById("host"), 7, {
        client: window.client,
        intervalMs: 60_000,
        ...options,
      });
    },
    { get, unregister, options },
  );
}

async function snapshot(page) {
  return page.evaluate(() => window.widgetTest.snapshot());
}

async function waitForKind(page, kind, extra = "true") {
  await page.waitForFunction(
    ({ kind, extra }) => {
      const shown = window.widgetTest.snapshot();
      return shown?.kind === kind && new Function("shown", `return ${extra};`)(shown);
    },
    { kind, extra },
    { timeout: 10_000 },
  );
}

/** Runs axe-core on the whole page, the widget's open shadow root included. */
async function axeViolations(page) {
  const loaded = await page.evaluate(() => typeof window.axe !== "undefined");
  if (!loaded) await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ["violations"] });
    return results.violations.map((violation) => ({
      id: violation.id,
      help: violation.help,
      nodes: violation.nodes.map((node) => `${JSON.stringify(node.target)}: ${node.failureSummary}`),
    }));
  });
  return violations;
}

async function screenshot(page, name) {
  await page.locator("#host").screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), animations: "disabled" });
}

describe("widget states", () => {
  for (const [name, state] of Object.entries(STATES)) {
    for (const lang of ["en", "ru"]) {
      test(`${name} in ${lang}`, async () => {
        const { page, context, errors, dialogs } = await openPage();
        try {
          await mountReplay(page, { get: state.get, options: { lang, theme: "light", ...state.options } });
          await waitForKind(page, state.kind, state.retrying ? "shown.connection !== null" : "true");
          const shown = await snapshot(page);
          const expected = state[lang];

          assert.equal(shown.lang, lang);
          assert.equal(shown.title, expected.title);
          assert.equal(shown.detail, expected.detail ?? "");
          assert.equal(shown.section, expected.section ?? "");
          assert.deepEqual(
            shown.steps.map((step) => step.state),
            state.steps,
          );
          assert.equal(shown.bar.min, "0");
          assert.equal(shown.bar.max, "6");
          assert.equal(shown.bar.now, state.barNow);
          if (expected.bar) assert.equal(shown.bar.text, expected.bar);
          if (expected.stepNames) {
            assert.deepEqual(
              shown.steps.map((step) => step.name),
              expected.stepNames,
            );
          }
          const current = shown.steps.filter((step) => step.current === "step");
          assert.equal(current.length, state.steps.filter((step) => step === "current").length);
          if (expected.connection) {
            assert.match(shown.connection, expected.connection);
          } else {
            assert.equal(shown.connection, null);
          }
          const lists = shown.lists.map(({ type, title, collapsed }) => ({ type, title, collapsed }));
          const expectedLists = (expected.lists ?? []).map(({ type, title, collapsed }) => ({ type, title, collapsed }));
          assert.deepEqual(lists, expectedLists);
          for (const list of expected.lists ?? []) {
            if (list.summary) assert.equal(shown.lists.find((shownList) => shownList.type === list.type).summary, list.summary);
          }
          assert.match(shown.elapsed, lang === "en" ? /^Elapsed: / : /^Прошло: /);

          for (const theme of ["light", "dark"]) {
            if (theme === "dark") {
              await page.evaluate(() => window.watch.stop());
              await mountReplay(page, { get: state.get, options: { lang, theme, ...state.options } });
              await waitForKind(page, state.kind, state.retrying ? "shown.connection !== null" : "true");
            }
            const violations = await axeViolations(page);
            assert.deepEqual(violations, [], `axe violations in the ${theme} theme:\n${JSON.stringify(violations, null, 2)}`);
            if (theme === "light" || lang === "en") await screenshot(page, `${name}-${lang}-${theme}`);
          }

          assert.deepEqual(errors, []);
          assert.deepEqual(dialogs, []);
        } finally {
          await context.close();
        }
      });
    }
  }
});

test("retry banner clears on the next good update", async () => {
  const { page, context, errors } = await openPage();
  try {
    const running = ok({ status: "P", progress: { action: "start", step: 0 } });
    await mountReplay(page, { get: [running, { fail: "Failed to fetch" }, running], options: { intervalMs: 300, minIntervalMs: 0, lang: "en" } });
    await waitForKind(page, "running");
    // Record every change of the banner, since it may show only briefly.
    await page.evaluate(() => {
      window.bannerLog = [];
      const banner = window.widgetTest.shadow().querySelector(".connection");
      new MutationObserver(() => window.bannerLog.push(banner.dataset.active)).observe(banner, { attributes: true, attributeFilter: ["data-active"] });
    });
    await page.waitForFunction(() => window.client.calls.length >= 3 && window.widgetTest.snapshot().connection === null, null, {
      timeout: 10_000,
    });
    assert.deepEqual(await page.evaluate(() => window.bannerLog), ["true", "false"]);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("xss corpus shows as text", async () => {
  const { page, context, errors, dialogs } = await openPage();
  try {
    const corpus = [
      "<script>window.__xss = 'script'</script>",
      "<img src=x onerror=\"window.__xss = 'img'\">",
      "javascript:window.__xss = 'url'",
      "&lt;b&gt;not bold&lt;/b&gt;",
      "\"><svg onload=\"window.__xss = 'svg'\">",
      "<a href=\"javascript:alert(1)\">click</a>",
    ];
    const item = (message, type) => ({ code: "<b>CODE</b>", message, type });
    const hostile = ok({
      status: "P",
      progress: { action: "<img src=x onerror=\"window.__xss = 'action'\">", step: 0, section: "<img src=x onerror=\"window.__xss = 'section'\">" },
      notice: corpus.map((message) => item(message, "notice")),
      errors: corpus.map((message) => item(message, "error")),
      exception: corpus.map((message) => item(message, "exception")),
    });
    await mountReplay(page, {
      get: [hostile, { fail: "<img src=x onerror=\"window.__xss = 'network'\">" }],
      unregister: { error: "<img src=x onerror=\"window.__xss = 'cancel'\">", error_description: "<script>window.__xss = 'cancel'</script>" },
      options: { lang: "en", allowCancel: true },
    });
    await waitForKind(page, "running", "shown.connection !== null");

    await page.evaluate(() => {
      const shadow = window.widgetTest.shadow();
      shadow.querySelector(".cancel > .button").click();
      shadow.querySelector(".confirm [data-variant=danger]").click();
    });
    await page.waitForFunction(() => window.widgetTest.snapshot().cancel?.result?.startsWith("Could not cancel"), null, { timeout: 10_000 });
    // Open every folded list so that all text is laid out.
    await page.evaluate(() => window.widgetTest.shadow().querySelectorAll("details").forEach((details) => (details.open = true)));
    await page.waitForTimeout(300);

    const shown = await snapshot(page);
    for (const list of shown.lists) {
      for (const message of corpus) {
        assert.ok(
          list.items.some((text) => text === `<b>CODE</b> ${message}`),
          `${list.type} shows ${message} literally`,
        );
      }
    }
    assert.equal(shown.section, "Section: <img src=x onerror=\"window.__xss = 'section'\">");
    assert.equal(shown.detail, "<img src=x onerror=\"window.__xss = 'action'\">: step 1");
    assert.match(shown.connection, /<img src=x onerror="window.__xss = 'network'">/);
    assert.match(shown.cancel.result, /<script>window.__xss = 'cancel'<\/script>/);

    const injected = await page.evaluate(() => {
      const shadow = window.widgetTest.shadow();
      return {
        flag: window.__xss ?? null,
        elements: shadow.querySelectorAll("script, img, a, b, iframe, [onerror], [onload]").length,
        svgWithHandlers: [...shadow.querySelectorAll("svg")].filter((svg) => svg.hasAttribute("onload")).length,
      };
    });
    assert.deepEqual(injected, { flag: null, elements: 0, svgWithHandlers: 0 });
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("stop restores the element", async () => {
  const { page, context, errors } = await openPage();
  try {
    const result = await page.evaluate(async () => {
      const host = document.getElementById("host");
      host.setAttribute("class", "slot");
      host.setAttribute("data-note", "kept");
      host.innerHTML = '<p id="placeholder" title="x">Loading the import…</p> trailing text<!-- a comment -->';
      const before = { html: host.outerHTML, nodes: [...host.childNodes] };
      const intervalsBefore = window.widgetTest.liveIntervals();

      const { mountImportProgress, replay } = window.widgetTest;
      const client = replay({ get: [{ body: { result: { status: "P", progress: { action: "start", step: 0 } } } }] });
      const watch = mountImportProgress(host, 7, { client, intervalMs: 60_000, lang: "en", allowCancel: true });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const mounted = {
        children: host.childNodes.length,
        tag: host.firstElementChild?.localName,
        intervals: window.widgetTest.liveIntervals() - intervalsBefore,
      };

      watch.stop();
      const doneName = await watch.done.then(
        () => "resolved",
        (error) => error.name,
      );
      const calls = client.calls.length;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      return {
        mounted,
        sameHtml: host.outerHTML === before.html,
        sameNodes: host.childNodes.length === before.nodes.length && [...host.childNodes].every((node, index) => node === before.nodes[index]),
        widgets: document.querySelectorAll("b24-import-progress").length,
        intervals: window.widgetTest.liveIntervals() - intervalsBefore,
        doneName,
        callsAfterStop: client.calls.length - calls,
      };
    });
    assert.deepEqual(result.mounted, { children: 1, tag: "b24-import-progress", intervals: 1 });
    assert.equal(result.sameHtml, true);
    assert.equal(result.sameNodes, true);
    assert.equal(result.widgets, 0);
    assert.equal(result.intervals, 0);
    assert.equal(result.doneName, "AbortError");
    assert.equal(result.callsAfterStop, 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("second mount on one element throws", async () => {
  const { page, context, errors } = await openPage();
  try {
    const result = await page.evaluate(async () => {
      const { mountImportProgress, replay, WatchError } = window.widgetTest;
      const host = document.getElementById("host");
      host.innerHTML = "<p>placeholder</p>";
      const running = [{ body: { result: { status: "P", progress: { action: "start", step: 0 } } } }];
      const firstClient = replay({ get: running });
      const secondClient = replay({ get: running });
      const first = mountImportProgress(host, 7, { client: firstClient, intervalMs: 60_000, lang: "en" });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const mountedHtml = host.innerHTML;

      let error = null;
      try {
        mountImportProgress(host, 8, { client: secondClient, intervalMs: 60_000, lang: "en" });
      } catch (thrown) {
        error = { isWatchError: thrown instanceof WatchError, kind: thrown.kind, message: thrown.message };
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const rejected = {
        untouched: host.innerHTML === mountedHtml,
        widgets: document.querySelectorAll("b24-import-progress").length,
        secondCalls: secondClient.calls.length,
      };

      first.stop();
      const afterStop = {
        html: host.innerHTML,
        widgets: document.querySelectorAll("b24-import-progress").length,
      };
      return { error, rejected, afterStop };
    });
    assert.deepEqual(result.error, {
      isWatchError: true,
      kind: "invalid_argument",
      message: "invalid element: it already shows an import's progress (import 7); call stop() on its watch first",
    });
    assert.equal(result.rejected.untouched, true);
    assert.equal(result.rejected.widgets, 1);
    assert.equal(result.rejected.secondCalls, 0, "the rejected mount sent no request");
    assert.equal(result.afterStop.html, "<p>placeholder</p>");
    assert.equal(result.afterStop.widgets, 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("mount after stop on one element", async () => {
  const { page, context, errors } = await openPage();
  try {
    const result = await page.evaluate(async () => {
      const { mountImportProgress, replay } = window.widgetTest;
      const host = document.getElementById("host");
      host.innerHTML = "<p>placeholder</p>";
      const finished = [{ body: { result: { status: "F" } } }];
      const first = mountImportProgress(host, 7, { client: replay({ get: finished }), intervalMs: 60_000, lang: "en" });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const firstKind = window.widgetTest.snapshot()?.kind;
      first.stop();

      const secondClient = replay({ get: [{ body: { result: { status: "P", progress: { action: "clean", step: 0 } } } }] });
      const second = mountImportProgress(host, 8, { client: secondClient, intervalMs: 60_000, lang: "en" });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const shown = {
        firstKind,
        secondKind: window.widgetTest.snapshot()?.kind,
        widgets: document.querySelectorAll("b24-import-progress").length,
        secondParams: secondClient.calls.map((call) => call.params.processId),
      };
      second.stop();
      return {
        shown,
        html: host.innerHTML,
        widgets: document.querySelectorAll("b24-import-progress").length,
      };
    });
    assert.equal(result.shown.firstKind, "finished");
    assert.equal(result.shown.secondKind, "running");
    assert.equal(result.shown.widgets, 1);
    assert.deepEqual(result.shown.secondParams, [8]);
    assert.equal(result.html, "<p>placeholder</p>");
    assert.equal(result.widgets, 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("final state stays until stop", async () => {
  const { page, context, errors } = await openPage();
  try {
    await page.evaluate(() => {
      window.hookCalls = [];
      const { mountImportProgress, replay } = window.widgetTest;
      window.watch = mountImportProgress(document.getElementById("host"), 7, {
        client: replay({ get: [{ body: { result: { status: "F" } } }] }),
        lang: "en",
        onFinish: (status) => window.hookCalls.push(["finish", status.code]),
        onError: (error) => window.hookCalls.push(["error", error.code]),
      });
    });
    await waitForKind(page, "finished");
    await page.waitForTimeout(1_200);
    const shown = await snapshot(page);
    assert.equal(shown.title, "Import completed");
    assert.equal(shown.next, "");
    assert.deepEqual(await page.evaluate(() => window.hookCalls), [["finish", "F"]]);
    assert.equal(await page.evaluate(() => window.widgetTest.liveIntervals()), 0, "the clock stops at the end");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("onError gets a watch that fails", async () => {
  const { page, context, errors } = await openPage();
  try {
    await page.evaluate(() => {
      window.hookCalls = [];
      const { mountImportProgress, replay } = window.widgetTest;
      const denied = { error: "insufficient_scope", error_description: "The request requires higher privileges than provided by the access token" };
      window.watch = mountImportProgress(document.getElementById("host"), 7, {
        client: replay({ get: [{ body: denied }] }),
        lang: "en",
        onFinish: (status) => window.hookCalls.push(["finish", status.code]),
        onError: (error) => window.hookCalls.push(["error", error.code]),
      });
    });
    await waitForKind(page, "stopped");
    const shown = await snapshot(page);
    assert.equal(shown.title, "Status updates stopped");
    assert.match(shown.detail, /^Could not get the import status: .*insufficient_scope/);
    assert.deepEqual(await page.evaluate(() => window.hookCalls), [["error", "insufficient_scope"]]);
    assert.deepEqual(await axeViolations(page), []);
    await screenshot(page, "stopped-en-light");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("cancel against the emulator", async () => {
  const { page, context, errors } = await openPage();
  try {
    const processId = site.register({ agentPeriodMs: 1_000, firstRunDelayMs: 200 });
    await page.evaluate(
      ({ url, processId }) => {
        const { mountImportProgress, webhookClient } = window.widgetTest;
        window.watch = mountImportProgress(document.getElementById("host"), processId, {
          client: webhookClient(url),
          intervalMs: 300,
          minIntervalMs: 0,
          lang: "en",
          allowCancel: true,
        });
      },
      { url: site.webhookUrl, processId },
    );
    await waitForKind(page, "running");

    // Keyboard: Tab reaches the button, Enter opens the question, Escape closes it.
    const cancelButton = page.locator("b24-import-progress .cancel > .button");
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => window.widgetTest.shadow().activeElement?.textContent), "Cancel import");
    await page.keyboard.press("Enter");
    let shown = await snapshot(page);
    assert.deepEqual(shown.cancel, { open: false, confirming: true, result: null });
    assert.equal(await page.evaluate(() => window.widgetTest.shadow().activeElement?.textContent), "Continue import");
    await page.keyboard.press("Escape");
    shown = await snapshot(page);
    assert.deepEqual(shown.cancel, { open: true, confirming: false, result: null });
    assert.equal(await page.evaluate(() => window.widgetTest.shadow().activeElement?.textContent), "Cancel import");
    await screenshot(page, "cancel-focus-en-light");

    await cancelButton.click();
    await page.locator("b24-import-progress .confirm [data-variant=danger]").click();
    await waitForKind(page, "cancelled");
    shown = await snapshot(page);
    assert.equal(shown.title, "Import cancelled");
    assert.equal(shown.detail, "The import has been cancelled.");
    assert.equal(shown.cancel, null);
    assert.equal(await page.evaluate(() => window.watch.done.then(() => "resolved", (error) => error.name)), "AbortError");
    await screenshot(page, "cancelled-en-light");

    const unregisters = site.requests.filter((request) => request.method === "configuration.import.unregister");
    assert.equal(unregisters.length, 1);
    assert.equal(unregisters[0].processId, processId);
    assert.equal(unregisters[0].httpStatus, 200);
    const polls = () => site.requests.filter((request) => request.method === "configuration.import.get" && request.processId === processId).length;
    const pollsAfterCancel = polls();
    await page.waitForTimeout(1_000);
    assert.equal(polls(), pollsAfterCancel, "no polls after the import was cancelled");
    assert.deepEqual(await axeViolations(page), []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("cancel from widget names it in done", async () => {
  const { page, context, errors } = await openPage();
  try {
    await mountReplay(page, {
      get: [ok({ status: "P", progress: { action: "load", step: 0, section: "CRM_STATUS" } })],
      options: { lang: "en", allowCancel: true },
    });
    await waitForKind(page, "running");
    await page.locator("b24-import-progress .cancel > .button").click();
    await page.locator("b24-import-progress .confirm [data-variant=danger]").click();
    await waitForKind(page, "cancelled");
    const outcome = await page.evaluate(() =>
      window.watch.done.then(
        () => null,
        (error) => ({ name: error.name, kind: error.kind, message: error.message }),
      ),
    );
    assert.deepEqual(outcome, {
      name: "AbortError",
      kind: "aborted",
      message: "watching import 7 was aborted: the import was cancelled from the widget",
    });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("cancel failure shows the error", async () => {
  const { page, context, errors } = await openPage();
  try {
    await mountReplay(page, {
      get: [ok({ status: "P", progress: { action: "clean", step: 0, section: "LANDING" } })],
      unregister: { result: { error: "PROCESS_NOT_FOUND", error_description: "Process doesn't found." } },
      options: { lang: "ru", allowCancel: true },
    });
    await waitForKind(page, "running");
    await page.locator("b24-import-progress .cancel > .button").click();
    await page.locator("b24-import-progress .confirm [data-variant=danger]").click();
    await page.waitForFunction(() => window.widgetTest.snapshot().cancel?.result !== null, null, { timeout: 10_000 });
    const shown = await snapshot(page);
    assert.equal(shown.kind, "running");
    assert.equal(shown.section, "Раздел: Сайты");
    assert.match(shown.cancel.result, /^Не удалось отменить импорт: .*PROCESS_NOT_FOUND/);
    assert.equal(shown.cancel.open, true);
    assert.deepEqual(await axeViolations(page), []);
    await screenshot(page, "cancel-failed-ru-light");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

describe("language", () => {
  const started = [ok({ status: "S" })];
  const cases = [
    { name: "options.lang wins", lang: "de", context: { locale: "fr-FR" }, title: "Warten auf den Start des Imports", htmlLang: "de" },
    { name: "BX24.getLang", bx24: "ua", context: { locale: "en-US" }, title: "Очікування запуску імпорту", htmlLang: "uk" },
    { name: "b24jssdk frame as client", frameLang: "tr", context: { locale: "en-US" }, title: "İçe aktarmanın başlaması bekleniyor", htmlLang: "tr" },
    { name: "navigator uk-UA", context: { locale: "uk-UA" }, title: "Очікування запуску імпорту", htmlLang: "uk" },
    { name: "navigator es-MX", context: { locale: "es-MX" }, title: "Esperando a que empiece la importación", htmlLang: "es" },
    { name: "navigator pt-BR", context: { locale: "pt-BR" }, title: "Aguardando o início da importação", htmlLang: "pt-BR" },
    { name: "navigator pl", context: { locale: "pl-PL" }, title: "Oczekiwanie na rozpoczęcie importu", htmlLang: "pl" },
    { name: "bitrix id la", lang: "la", context: { locale: "en-US" }, title: "Esperando a que empiece la importación", htmlLang: "es" },
    { name: "unsupported falls back to English", lang: "kz", context: { locale: "ja-JP" }, title: "Waiting for the import to start", htmlLang: "en" },
    // An empty lang counts as a language without texts, even where the browser's language has them.
    { name: "empty lang falls back to English", lang: "", context: { locale: "de-DE" }, title: "Waiting for the import to start", htmlLang: "en" },
    { name: "unknown navigator falls back to English", context: { locale: "ja-JP" }, title: "Waiting for the import to start", htmlLang: "en" },
  ];
  for (const item of cases) {
    test(item.name, async () => {
      const { page, context, errors } = await openPage(item.context);
      try {
        if (item.bx24) await page.evaluate((lang) => (window.BX24 = { getLang: () => lang }), item.bx24);
        await page.evaluate(
          ({ get, lang, frameLang }) => {
            const { mountImportProgress, replay } = window.widgetTest;
            const client = replay({ get });
            // A B24Frame of @bitrix24/b24jssdk returns the portal's language from getLang().
            if (frameLang) client.getLang = () => frameLang;
            window.watch = mountImportProgress(document.getElementById("host"), 7, {
              client,
              intervalMs: 60_000,
              ...(lang !== undefined ? { lang } : {}),
            });
          },
          { get: started, lang: item.lang, frameLang: item.frameLang },
        );
        await waitForKind(page, "started");
        const shown = await snapshot(page);
        assert.equal(shown.title, item.title);
        assert.equal(shown.lang, item.htmlLang);
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });
  }

  test("numbers and durations follow the locale", async () => {
    const { page, context } = await openPage();
    try {
      const many = Array.from({ length: 1_234 }, (_, n) => ({ code: "", message: `Notice ${n}`, type: "notice" }));
      await mountReplay(page, { get: [ok({ status: "F", notice: many })], options: { lang: "de" } });
      await waitForKind(page, "finished");
      const shown = await snapshot(page);
      assert.equal(shown.lists[0].title, "1.234 Hinweise");
      assert.equal(shown.lists[0].summary, "Alle anzeigen (1.234)");
      assert.match(shown.elapsed, /^Vergangen: \d+ Sek\.$/);
    } finally {
      await context.close();
    }
  });
});

describe("options", () => {
  const cases = [
    ["not an element", "null", 1, "{}", /invalid element: expected a DOM element/],
    ["text node", "document.createTextNode('x')", 1, "{}", /invalid element/],
    ["bad process id", "host", "'abc'", "{client}", /processId/],
    ["unknown option", "host", 1, "{client, colour: 'red'}", /unknown option "colour"; the options are .*lang, onFinish, onError, allowCancel, theme/],
    ["bad theme", "host", 1, "{client, theme: 'blue'}", /invalid theme "blue": expected "light", "dark" or "auto"/],
    ["bad lang", "host", 1, "{client, lang: 42}", /invalid lang 42: expected a Bitrix24 language id/],
    ["malformed lang", "host", 1, "{client, lang: 'english please'}", /invalid lang "english please"/],
    ["bad allowCancel", "host", 1, "{client, allowCancel: 'yes'}", /invalid allowCancel "yes": expected true or false/],
    ["bad onFinish", "host", 1, "{client, onFinish: 'done'}", /invalid onFinish: expected a function \(status\) => void, got a string/],
    ["bad onError", "host", 1, "{client, onError: {}}", /invalid onError: expected a function \(error\) => void, got an object/],
    ["no client", "host", 1, "{}", /no client/],
  ];
  for (const [name, element, processId, options, pattern] of cases) {
    test(name, async () => {
      const { page, context } = await openPage();
      try {
        const outcome = await page.evaluate(
          ({ element, processId, options }) => {
            const { mountImportProgress, replay, WatchError } = window.widgetTest;
            const host = document.getElementById("host");
            host.innerHTML = "<p>placeholder</p>";
            const client = replay({ get: [{ body: { result: { status: "S" } } }] });
            const args = new Function("host", "client", `return [${element}, ${processId}, ${options}];`)(host, client);
            try {
              mountImportProgress(...args);
              return { thrown: false };
            } catch (error) {
              return {
                thrown: true,
                isWatchError: error instanceof WatchError,
                kind: error.kind,
                message: error.message,
                untouched: host.innerHTML === "<p>placeholder</p>",
              };
            }
          },
          { element, processId, options },
        );
        assert.equal(outcome.thrown, true);
        assert.equal(outcome.isWatchError, true);
        assert.equal(outcome.kind, "invalid_argument");
        assert.match(outcome.message, pattern);
        assert.equal(outcome.untouched, true);
      } finally {
        await context.close();
      }
    });
  }
});

describe("layout", () => {
  test("height stays the same across updates", async () => {
    const { page, context, errors } = await openPage();
    try {
      const bodies = [
        ok({ status: "S" }),
        ok({ status: "P", progress: { action: "start", step: 0 } }),
        ok({ status: "P", progress: { action: "init_background", step: 3 } }),
        ok({ status: "P", progress: { action: "manifest", step: 0, section: "CRM_DETAIL_CONFIGURATION" } }),
        { fail: "Failed to fetch" },
        ok({ status: "P", progress: { action: "load", step: 12, section: "BIZPROC_CRM_TRIGGER" } }),
        ok({ status: "P", progress: { action: false, step: 0 } }),
      ];
      await mountReplay(page, { get: bodies, options: { lang: "ru", intervalMs: 250, minIntervalMs: 0 } });
      await page.evaluate(() => {
        window.heights = new Set();
        const widget = window.widgetTest.shadow().querySelector(".widget");
        new MutationObserver(() => window.heights.add(widget.getBoundingClientRect().height)).observe(widget, {
          subtree: true,
          childList: true,
          characterData: true,
          attributes: true,
        });
      });
      await waitForKind(page, "finishing");
      const heights = await page.evaluate(() => [...window.heights]);
      assert.equal(heights.length, 1, `heights seen: ${heights.join(", ")}`);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  for (const width of [280, 1200]) {
    test(`fits ${width} px`, async () => {
      const { page, context, errors } = await openPage({ viewport: { width: Math.max(width + 40, 400), height: 1000 } });
      try {
        await page.evaluate((width) => (document.getElementById("host").style.width = `${width}px`), width);
        await mountReplay(page, { get: STATES.failed.get, options: { lang: "ru", allowCancel: true } });
        await waitForKind(page, "failed");
        const overflow = await page.evaluate(() => {
          const widget = window.widgetTest.shadow().querySelector(".widget");
          return { scroll: widget.scrollWidth, client: widget.clientWidth, outer: widget.getBoundingClientRect().width };
        });
        assert.ok(overflow.scroll <= overflow.client, `content ${overflow.scroll} px overflows ${overflow.client} px`);
        assert.equal(Math.round(overflow.outer), width);
        await screenshot(page, `failed-ru-light-${width}px`);
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });
  }

  test("auto theme follows prefers-color-scheme", async () => {
    const { page, context } = await openPage({ colorScheme: "dark" });
    try {
      await mountReplay(page, { get: STATES.load.get, options: { lang: "en" } });
      await waitForKind(page, "running");
      const background = await page.evaluate(() => getComputedStyle(window.widgetTest.shadow().querySelector(".widget")).backgroundColor);
      assert.equal(background, "rgb(34, 39, 46)");
      assert.deepEqual(await axeViolations(page), []);
      await screenshot(page, "load-en-auto-dark-scheme");
    } finally {
      await context.close();
    }
  });

  test("host page styles do not leak in", async () => {
    const { page, context } = await openPage();
    try {
      await page.addStyleTag({ content: "* { color: rgb(255, 0, 0) !important; font-size: 40px !important; } p, li { display: none !important; }" });
      await mountReplay(page, { get: STATES.load.get, options: { lang: "en", theme: "light" } });
      await waitForKind(page, "running");
      const styles = await page.evaluate(() => {
        const title = window.widgetTest.shadow().querySelector(".title");
        const style = getComputedStyle(title);
        return { color: style.color, display: style.display, fontSize: style.fontSize };
      });
      assert.deepEqual(styles, { color: "rgb(32, 103, 176)", display: "block", fontSize: "16px" });
    } finally {
      await context.close();
    }
  });

  test("reduced motion stops the animations", async () => {
    const { page, context } = await openPage({ reducedMotion: "reduce" });
    try {
      await mountReplay(page, { get: STATES.load.get, options: { lang: "en" } });
      await waitForKind(page, "running");
      const animations = await page.evaluate(() => {
        const shadow = window.widgetTest.shadow();
        return [".spin", ".segment[data-state=current]"].map((selector) => getComputedStyle(shadow.querySelector(selector)).animationName);
      });
      assert.deepEqual(animations, ["none", "none"]);
    } finally {
      await context.close();
    }
  });
});

test("message files cover each language's plural categories", () => {
  const locales = { en: "en", ru: "ru", ua: "uk", de: "de", la: "es", br: "pt-BR", pl: "pl", fr: "fr", it: "it", tr: "tr" };
  const files = readdirSync(join(root, "i18n")).filter((name) => name.endsWith(".json"));
  assert.deepEqual(files.map((name) => name.replace(/\.json$/, "")).sort(), Object.keys(locales).sort());
  for (const [id, locale] of Object.entries(locales)) {
    const messages = JSON.parse(readFileSync(join(root, "i18n", `${id}.json`), "utf8"));
    const categories = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
    for (const [key, value] of Object.entries(messages)) {
      if (typeof value === "string") continue;
      for (const category of categories) {
        assert.ok(typeof value[category] === "string", `${id}.json ${key} lacks the "${category}" form`);
      }
    }
  }
});
