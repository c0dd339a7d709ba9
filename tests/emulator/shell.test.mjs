// The portal shell's server side: the shell page on the portal's origin, the
// app pages on a second port, shell addresses, and the refresh count. The
// frame protocol itself runs in Chromium in tests/e2e/frame.test.mjs.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { request, startForTest } from "./helpers.mjs";
import { startEmulator } from "../../tools/portal-emulator/server.mjs";

const SERVER_PATH = fileURLToPath(new URL("../../tools/portal-emulator/server.mjs", import.meta.url));

async function appDirectory(t) {
  const directory = await mkdtemp(path.join(tmpdir(), "shell-app-"));
  t.after(() => rm(directory, { recursive: true, force: true }));
  await writeFile(path.join(directory, "app.html"), "<!doctype html><title>app</title>\n");
  return directory;
}

test("shell page is served", async (t) => {
  const emulator = await startForTest(t);

  const page = await fetch(`${emulator.url}/_shell/`);
  const script = await fetch(`${emulator.url}/_shell/shell.js`);

  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type"), /^text\/html/);
  assert.match(await page.text(), /<script type="module" src="\.\/shell\.js"><\/script>/);
  assert.equal(script.status, 200);
  assert.match(script.headers.get("content-type"), /^text\/javascript/);
});

test("app pages use own origin", async (t) => {
  const directory = await appDirectory(t);
  const emulator = await startForTest(t, { appRoots: { "/": directory } });

  const app = await fetch(`${emulator.appUrl}/app.html`);
  const missing = await fetch(`${emulator.appUrl}/nothing.html`);
  const rest = await fetch(`${emulator.appUrl}/rest/configuration.import.get`);
  const info = await request(`${emulator.url}/_emulator/info`);

  assert.match(emulator.appUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(new URL(emulator.appUrl).port, new URL(emulator.url).port, "another port, so another origin");
  assert.equal(app.status, 200);
  assert.match(await app.text(), /<title>app<\/title>/);
  assert.equal(missing.status, 404);
  assert.equal(rest.status, 404, "the app server has no REST API");
  assert.equal(info.body.appUrl, emulator.appUrl);
});

test("no app server by default", async (t) => {
  const emulator = await startForTest(t);
  const info = await request(`${emulator.url}/_emulator/info`);

  assert.equal(emulator.appUrl, null);
  assert.equal(info.body.appUrl, null);
  assert.throws(() => emulator.shellUrl({ app: "/app.html" }), /no app server runs/);
});

test("close stops app server", async (t) => {
  const directory = await appDirectory(t);
  const emulator = await startEmulator({ appRoots: { "/": directory } });
  const { appUrl } = emulator;

  await emulator.close();

  await assert.rejects(fetch(`${appUrl}/app.html`), /fetch failed/);
});

test("invalid app roots are rejected", async () => {
  await assert.rejects(startEmulator({ appRoots: "/tmp" }), /appRoots must be an object/);
  await assert.rejects(startEmulator({ appRoots: { "/": "relative/dir" } }), /must be an absolute directory path/);
  await assert.rejects(startEmulator({ appPort: -1 }), /appPort must be an integer/);
});

test("shellUrl carries options", async (t) => {
  const directory = await appDirectory(t);
  const emulator = await startForTest(t, { appRoots: { "/": directory } });

  const url = new URL(
    emulator.shellUrl({
      app: "/app.html?processId=7",
      scopes: ["app", "user"],
      tokenLifetimeMs: 1500,
      authExpiresS: 3600,
      lang: "de",
      placement: "CRM_DEAL_DETAIL_TAB",
      placementOptions: { ID: "7" },
      appOptions: { mode: "import" },
      userOptions: {},
      isAdmin: false,
      install: true,
      firstRun: true,
      appSid: "0123456789abcdef0123456789abcdef",
    }),
  );
  const query = Object.fromEntries(url.searchParams);

  assert.equal(url.origin, emulator.url);
  assert.equal(url.pathname, "/_shell/");
  assert.deepEqual(query, {
    app: `${emulator.appUrl}/app.html?processId=7`,
    scopes: "app,user",
    tokenLifetimeMs: "1500",
    authExpires: "3600",
    lang: "de",
    placement: "CRM_DEAL_DETAIL_TAB",
    placementOptions: '{"ID":"7"}',
    appOptions: '{"mode":"import"}',
    userOptions: "{}",
    admin: "N",
    install: "Y",
    firstRun: "Y",
    appSid: "0123456789abcdef0123456789abcdef",
  });
});

test("shellUrl rejects bad options", async (t) => {
  const emulator = await startForTest(t);

  assert.equal(
    new URL(emulator.shellUrl({ app: "http://127.0.0.1:9/page.html" })).searchParams.get("app"),
    "http://127.0.0.1:9/page.html",
    "an absolute app URL needs no app server",
  );
  assert.throws(() => emulator.shellUrl({}), /needs options\.app/);
  assert.throws(() => emulator.shellUrl({ app: "http://127.0.0.1:9/", colour: "red" }), /unknown shell option colour/);
  assert.throws(() => emulator.shellUrl({ app: "http://127.0.0.1:9/", scopes: "app" }), /scopes must be an array/);
  assert.throws(() => emulator.shellUrl({ app: "http://127.0.0.1:9/", tokenLifetimeMs: 0 }), /tokenLifetimeMs must be an integer/);
  assert.throws(() => emulator.shellUrl({ app: "http://127.0.0.1:9/", isAdmin: "Y" }), /admin must be true or false/);
});

test("refreshes are counted", async (t) => {
  const emulator = await startForTest(t);
  const issued = await request(`${emulator.url}/_emulator/tokens`, { json: {} });

  await request(`${emulator.url}/_emulator/refresh`, { json: { refresh_token: issued.body.refresh_token } });
  await request(`${emulator.url}/_emulator/refresh`, { json: { refresh_token: issued.body.refresh_token } });
  const info = await request(`${emulator.url}/_emulator/info`);

  assert.equal(emulator.tokenRefreshes, 1, "the reused refresh token does not count");
  assert.equal(info.body.tokenRefreshes, 1);
});

test("CLI serves app root", async (t) => {
  const directory = await appDirectory(t);
  const child = spawn(process.execPath, [SERVER_PATH, "--port", "0", "--app-root", directory], { stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => child.kill("SIGKILL"));
  let stdout = "";
  const firstLine = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no output within 10 s")), 10_000);
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (stdout.includes("\n")) {
        clearTimeout(timer);
        resolve(stdout.split("\n")[0]);
      }
    });
  });
  const { url, appUrl } = JSON.parse(firstLine);

  const app = await fetch(`${appUrl}/app.html`);
  const shell = await fetch(`${url}/_shell/`);

  assert.equal(app.status, 200);
  assert.equal(shell.status, 200);
});
