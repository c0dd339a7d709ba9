// App pages inside the emulator's portal shell, in headless Chromium: the real
// @bitrix24/b24jssdk and a BX24 double talk the frame protocol to the shell,
// watch an import to F across token expiries, and show the scope error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";

import { launchBrowser, root } from "./harness.mjs";
import { startEmulator } from "../../tools/portal-emulator/server.mjs";

const PAGES_DIR = join(root, "tests", "e2e", "pages", "frame");
const SDK_BUNDLE_DIR = join(root, "node_modules", "@bitrix24", "b24jssdk", "dist", "umd");
const GET_METHOD = "configuration.import.get";

// The default import has 22 states, so with these timings it runs about 3.5 s.
// A token that lives 1.2 s expires at least twice during a watch.
const AGENT = { agentPeriodMs: 150, firstRunDelayMs: 300 };
const TOKEN_LIFETIME_MS = 1_200;
const WAIT_MS = 30_000;

let browser;
let emulator;

before(async () => {
  emulator = await startEmulator({
    port: 0,
    ...AGENT,
    appRoots: {
      "/": PAGES_DIR,
      "/js/": join(root, "js"),
      "/dist/": join(root, "dist"),
      "/sdk/": SDK_BUNDLE_DIR,
    },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await emulator?.close();
});

/**
 * Opens the shell with `shellOptions` and resolves with the page, the app
 * frame once its body has data-final, and what the page did.
 */
async function runInShell(shellOptions) {
  const page = await browser.newPage();
  const problems = [];
  const requestedUrls = [];
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    // Chromium reports every 4xx response (the 401s these tests cause on
    // purpose) as a console error, so those are left out.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      problems.push(`console: ${message.text()}`);
    }
  });
  page.on("request", (request) => requestedUrls.push(request.url()));

  await page.goto(emulator.shellUrl(shellOptions));
  const frame = await appFrame(page);
  try {
    await frame.waitForSelector("body[data-final]", { state: "attached", timeout: WAIT_MS });
  } catch (error) {
    const seen = await frame.evaluate(() => window.appResult).catch(() => "no app result");
    const shell = await page.evaluate(() => window.portalShell).catch(() => "no shell state");
    throw new Error(`${error.message}\napp: ${JSON.stringify(seen)}\nshell: ${JSON.stringify(shell)}\n${problems.join("\n")}`);
  }
  const result = await frame.evaluate(() => window.appResult);
  const shell = await page.evaluate(() => ({ ...window.portalShell }));
  return { page, frame, result, shell, problems, requestedUrls };
}

async function appFrame(page) {
  const element = await page.waitForSelector("#app-frame", { timeout: WAIT_MS });
  for (let tries = 0; tries < 100; tries += 1) {
    const frame = await element.contentFrame();
    if (frame !== null && frame.url() !== "about:blank") {
      return frame;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the shell did not load the app frame");
}

/** Returns the token-authorized reads of `processId` from the emulator's request log. */
function tokenReads(processId) {
  return emulator.requests.filter((entry) => entry.method === GET_METHOD && entry.processId === processId && entry.auth === "token");
}

/** Checks whether a 401 read is followed by a successful one. */
function sawRejectedThenAccepted(reads) {
  const rejected = reads.findIndex((entry) => entry.httpStatus === 401);
  return rejected !== -1 && reads.slice(rejected + 1).some((entry) => entry.httpStatus === 200);
}

function assertLoopbackOnly(requestedUrls) {
  const elsewhere = requestedUrls.filter((url) => !url.startsWith("http://127.0.0.1:"));
  assert.deepEqual(elsewhere, [], "every request goes to 127.0.0.1");
}

test("b24jssdk page reaches F across token expiry", async () => {
  emulator.reset();
  const refreshesBefore = emulator.tokenRefreshes;

  const run = await runInShell({
    app: "/b24jssdk.html?intervalMs=100",
    tokenLifetimeMs: TOKEN_LIFETIME_MS,
    // The SDK refreshes early by itself when it believes the token is about to
    // expire; a long AUTH_EXPIRES makes it meet the portal's 401 instead.
    authExpiresS: 3_600,
  });
  try {
    assert.deepEqual(run.result.errors, []);
    assert.deepEqual(run.result.finals, ["F"]);
    assert.ok(run.result.updates.some((update) => update.code === "S"), "saw S");
    assert.ok(run.shell.refreshes >= 1, `the shell answered ${run.shell.refreshes} refreshAuth commands`);
    assert.ok(emulator.tokenRefreshes - refreshesBefore >= 1, "the emulator issued a refreshed token");
    assert.ok(sawRejectedThenAccepted(tokenReads(run.result.processId)), "a 401 read was followed by a successful one");
    assert.ok(run.shell.commands.some((entry) => entry.command === "getInitData" && entry.answered), "getInitData answered");
    assert.deepEqual(run.shell.rejected, []);
    assert.deepEqual(run.problems, []);
    assertLoopbackOnly(run.requestedUrls);
  } finally {
    await run.page.close();
  }
});

test("BX24 page reaches F across token expiry", async () => {
  emulator.reset();
  const refreshesBefore = emulator.tokenRefreshes;

  const run = await runInShell({ app: "/bx24.html?intervalMs=100", tokenLifetimeMs: TOKEN_LIFETIME_MS });
  try {
    assert.deepEqual(run.result.errors, []);
    assert.deepEqual(run.result.finals, ["F"]);
    assert.ok(run.shell.refreshes >= 1, `the shell answered ${run.shell.refreshes} refreshAuth commands`);
    assert.equal(emulator.tokenRefreshes - refreshesBefore, run.shell.refreshes, "each refreshAuth got a new token");
    assert.ok(sawRejectedThenAccepted(tokenReads(run.result.processId)), "a 401 read was followed by a successful one");
    assert.ok(
      run.result.updates.every((update) => update.error === null),
      "a refreshed token leaves no failed poll in the updates",
    );
    assert.deepEqual(run.shell.rejected, []);
    assert.deepEqual(run.problems, []);
    assertLoopbackOnly(run.requestedUrls);
  } finally {
    await run.page.close();
  }
});

test("BX24 watches share one refresh", async () => {
  emulator.reset();
  const processId = emulator.register();
  // The first reads of both watches fail as if the token had expired.
  emulator.setFaults([{ fault: "expired_token", method: GET_METHOD, times: 2 }]);

  // A client per watch, so that each watch sends its own first request.
  const run = await runInShell({ app: `/bx24.html?processId=${processId}&watches=2&client=per-watch&intervalMs=100` });
  try {
    assert.deepEqual(run.result.errors, []);
    assert.deepEqual(run.result.finals, ["F", "F"]);
    assert.equal(run.shell.refreshes, 1, "one refreshAuth for both watches");
    const refreshCommands = run.shell.commands.filter((entry) => entry.command === "refreshAuth");
    assert.equal(refreshCommands.length, 1);
    assert.equal(tokenReads(processId).filter((entry) => entry.httpStatus === 401).length, 2);
  } finally {
    await run.page.close();
  }
});

for (const page of ["bx24", "b24jssdk"]) {
  test(`${page} page fails on second 401`, async () => {
    emulator.reset();
    const processId = emulator.register();
    emulator.setFaults([{ fault: "expired_token", method: GET_METHOD, times: 2 }]);

    const run = await runInShell({ app: `/${page}.html?processId=${processId}` });
    try {
      assert.equal(run.result.errors.length, 1);
      const [error] = run.result.errors;
      assert.equal(error.code, "expired_token");
      assert.equal(error.httpStatus, 401);
      assert.equal(error.retryable, false);
      assert.match(error.message, /the user must reopen the app/);
      assert.equal(run.shell.refreshes, 1, "one refresh before giving up");
      assert.equal(tokenReads(processId).length, 2, "one read and one retry");
    } finally {
      await run.page.close();
    }
  });

  test(`${page} page shows insufficient_scope`, async () => {
    emulator.reset();
    const processId = emulator.register();

    const run = await runInShell({ app: `/${page}.html?processId=${processId}`, scopes: ["app", "user"] });
    try {
      assert.equal(run.result.errors.length, 1);
      const [error] = run.result.errors;
      assert.equal(error.kind, "rest");
      assert.equal(error.code, "insufficient_scope");
      assert.equal(error.httpStatus, 403);
      assert.equal(error.retryable, false);
      assert.match(error.message, /add the configuration\.import scope to the app \(or the webhook\) and reinstall it/);
      assert.match(await run.frame.textContent("#error"), /configuration\.import scope/);
      assert.equal(tokenReads(processId).length, 1, "a missing scope is not retried");
    } finally {
      await run.page.close();
    }
  });
}

test("shell answers the frame protocol", async () => {
  emulator.reset();
  const processId = emulator.register({ firstRunDelayMs: 0 });
  const run = await runInShell({
    app: `/bx24.html?processId=${processId}`,
    lang: "de",
    placement: "CRM_DEAL_DETAIL_TAB",
    placementOptions: { ID: "7" },
    isAdmin: false,
    appSid: "0123456789abcdef0123456789abcdef",
  });
  try {
    const { frame } = run;
    const [domain, protocol, appSid] = (await frame.evaluate(() => window.name)).split("|");
    const library = await frame.evaluate(() => ({ lang: BX24.getLang(), admin: BX24.isAdmin(), placement: BX24.placement.info() }));

    assert.equal(domain, new URL(emulator.url).host);
    assert.equal(protocol, "0");
    assert.equal(appSid, "0123456789abcdef0123456789abcdef");
    assert.deepEqual(library, { lang: "de", admin: false, placement: { placement: "CRM_DEAL_DETAIL_TAB", options: { ID: "7" } } });

    const answers = await frame.evaluate(async (sid) => {
      const portal = `${location.protocol}//${window.name.split("|")[0]}`;
      const ask = (message, callbackId) =>
        new Promise((resolve) => {
          const onMessage = (event) => {
            if (event.origin === portal && typeof event.data === "string" && event.data.startsWith(`${callbackId}:`)) {
              window.removeEventListener("message", onMessage);
              resolve(JSON.parse(event.data.slice(callbackId.length + 1)));
            }
          };
          window.addEventListener("message", onMessage);
          parent.postMessage(message, portal);
        });
      return {
        title: await ask(`setTitle:{"title":"Import: 1:2"}:t1:${sid}`, "t1"),
        size: await ask(`resizeWindow:{"width":"100%","height":300}:t2:${sid}`, "t2"),
        commands: await ask(`getInterface:t3:${sid}`, "t3"),
        init: await ask({ method: "getInitData", params: {}, callback: "t4", appSid: sid }, "t4"),
        install: await ask(`setInstallFinish:{}:t5:${sid}`, "t5"),
      };
    }, appSid);

    assert.deepEqual(answers.title, { title: "Import: 1:2" }, "params may contain colons");
    assert.equal(answers.size.height, 300);
    for (const command of ["getInitData", "refreshAuth", "setTitle", "resizeWindow", "setInstallFinish", "getInterface"]) {
      assert.ok(answers.commands.command.includes(command), `getInterface lists ${command}`);
    }
    const init = answers.init;
    assert.equal(init.DOMAIN, new URL(emulator.url).host);
    assert.equal(init.PATH, "/rest/");
    assert.equal(init.PROTOCOL, 0);
    assert.equal(init.LANG, "de");
    assert.equal(init.PLACEMENT, "CRM_DEAL_DETAIL_TAB");
    assert.deepEqual(init.PLACEMENT_OPTIONS, { ID: "7" });
    assert.equal(init.IS_ADMIN, false);
    assert.equal(init.INSTALL, false);
    assert.equal(init.FIRST_RUN, false);
    assert.equal(typeof init.AUTH_ID, "string");
    assert.equal(typeof init.REFRESH_ID, "string");
    assert.equal(typeof init.MEMBER_ID, "string");
    assert.ok(init.AUTH_EXPIRES > 0);
    assert.deepEqual(init.APP_OPTIONS, {});
    assert.deepEqual(init.USER_OPTIONS, {});
    assert.equal(await run.page.textContent("#shell-title"), "Portal emulator: Import: 1:2");
    const shell = await run.page.evaluate(() => ({ ...window.portalShell }));
    assert.equal(shell.installFinished, true);
    assert.deepEqual(shell.rejected, []);
  } finally {
    await run.page.close();
  }
});

test("shell rejects foreign messages", async () => {
  emulator.reset();
  const processId = emulator.register({ firstRunDelayMs: 0 });
  const run = await runInShell({ app: `/bx24.html?processId=${processId}` });
  try {
    const sid = (await run.frame.evaluate(() => window.name)).split("|")[2];

    // The app frame with a wrong APP_SID.
    const wrongSid = await run.frame.evaluate(async () => {
      const portal = `${location.protocol}//${window.name.split("|")[0]}`;
      return answeredWithin(portal, "getInitData:w1:not-the-app-sid", "w1");

      function answeredWithin(target, message, callbackId) {
        return new Promise((resolve) => {
          const onMessage = (event) => {
            if (typeof event.data === "string" && event.data.startsWith(`${callbackId}:`)) resolve(true);
          };
          window.addEventListener("message", onMessage);
          parent.postMessage(message, target);
          setTimeout(() => resolve(false), 500);
        });
      }
    });

    // A frame on the portal's own origin, which is not the app's origin,
    // with the right APP_SID.
    const otherOrigin = await run.page.evaluate(async (appSid) => {
      const probe = document.createElement("iframe");
      document.body.append(probe);
      const probeWindow = probe.contentWindow;
      return new Promise((resolve) => {
        probeWindow.addEventListener("message", (event) => {
          if (typeof event.data === "string" && event.data.startsWith("o1:")) resolve(true);
        });
        probeWindow.parent.postMessage(`getInitData:o1:${appSid}`, "*");
        setTimeout(() => resolve(false), 500);
      });
    }, sid);

    assert.equal(wrongSid, false, "no answer to a wrong APP_SID");
    assert.equal(otherOrigin, false, "no answer to another origin");
    const shell = await run.page.evaluate(() => ({ ...window.portalShell }));
    const reasons = shell.rejected.map((entry) => entry.reason);
    assert.ok(reasons.includes("wrong APP_SID"), `rejections: ${reasons.join(", ")}`);
    assert.ok(reasons.includes("unexpected origin"), `rejections: ${reasons.join(", ")}`);
  } finally {
    await run.page.close();
  }
});
