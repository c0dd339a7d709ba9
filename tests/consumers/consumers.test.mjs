// The packed package as its users get it: `npm pack` the repository, then
// for each consumer copy its template into a fresh folder, install the
// tarball (no link), build, and watch an import on the portal emulator to F.
// Bundlers come from the npm cache that `npm ci` of this repository filled,
// at the versions pinned in its devDependencies, so no test needs the
// network.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { launchBrowser } from "../e2e/harness.mjs";
import { startEmulator } from "../../tools/portal-emulator/server.mjs";

const run = promisify(execFile);
const templatesDir = dirname(fileURLToPath(import.meta.url));
const root = join(templatesDir, "..", "..");
const repoPackage = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const AGENT = { agentPeriodMs: 30, firstRunDelayMs: 30 };
const PAGE_WAIT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 120_000;

let workDir;
let tarball;
let browser;

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), "b24-consumers-"));
  // prepack builds dist/wasm first when a source is newer than it.
  await run("npm", ["pack", "--pack-destination", workDir, "--silent"], { cwd: root, timeout: COMMAND_TIMEOUT_MS });
  const packed = readdirSync(workDir).filter((name) => name.endsWith(".tgz"));
  assert.equal(packed.length, 1, `npm pack wrote ${packed.join(", ") || "nothing"}`);
  tarball = join(workDir, packed[0]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

/** The version of `name` pinned in this repository's devDependencies. */
function pinned(name) {
  const version = repoPackage.devDependencies?.[name];
  assert.ok(version, `${name} must be pinned in the repository's devDependencies`);
  return version;
}

/**
 * Copies the template `name` (and the shared page logic to `sharedTo`, if
 * given) into a fresh folder, writes its package.json and installs the
 * tarball and `devDependencies` from the npm cache. Returns the folder.
 */
async function createConsumer(name, { devDependencies = {}, sharedTo = null } = {}) {
  const folder = join(workDir, name);
  cpSync(join(templatesDir, name), folder, { recursive: true });
  if (sharedTo !== null) {
    cpSync(join(templatesDir, "shared", "watch-page.js"), join(folder, sharedTo, "watch-page.js"));
  }
  const manifest = {
    name: `consumer-${name}`,
    private: true,
    type: "module",
    dependencies: { "b24-import-watch": `file:${tarball}` },
    devDependencies,
  };
  writeFileSync(join(folder, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: folder,
    timeout: COMMAND_TIMEOUT_MS,
  });
  const installed = join(folder, "node_modules", "b24-import-watch");
  assert.ok(existsSync(join(installed, "dist", "wasm", "b24_import_watch_bg.wasm")), "the tarball carries the wasm");
  return folder;
}

/**
 * Serves `staticRoots` from an emulator, opens `path` in Chromium and waits
 * until the page marks its body with data-final. Returns what the page saw.
 */
async function watchInBrowser(staticRoots, path = "/") {
  const emulator = await startEmulator({ port: 0, ...AGENT, staticRoots });
  const page = await browser.newPage();
  const problems = [];
  const failedRequests = [];
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("requestfailed", (request) => failedRequests.push(request.url()));
  try {
    await page.goto(`${emulator.url}${path}`);
    try {
      await page.waitForSelector("body[data-final]", { state: "attached", timeout: PAGE_WAIT_MS });
    } catch (error) {
      const seen = await page.evaluate(() => window.consumerResult).catch(() => null);
      throw new Error(`${error.message}\npage result: ${JSON.stringify(seen)}\n${problems.join("\n")}`);
    }
    const result = await page.evaluate(() => window.consumerResult);
    const requests = emulator.requests.filter((entry) => entry.method === "configuration.import.get");
    return { result, problems, failedRequests, requests, secret: new URL(emulator.webhookUrl).pathname.split("/")[3] };
  } finally {
    await page.close();
    await emulator.close();
  }
}

function assertWatchedToFinish({ result, problems, failedRequests, requests }) {
  assert.equal(result.error, null);
  assert.equal(result.final, "F");
  assert.equal(result.codes.at(-1), "F");
  assert.ok(result.codes.includes("P"), `saw ${result.codes.join(",")}`);
  assert.equal(result.watchErrorIsClass, true);
  assert.deepEqual(problems, []);
  assert.deepEqual(failedRequests, []);
  assert.ok(requests.every((entry) => entry.processId === result.processId && entry.auth === "webhook"));
}

test("node esm script watches to F", async () => {
  const folder = await createConsumer("node-esm");
  const emulator = await startEmulator({ port: 0, ...AGENT });
  try {
    const processId = emulator.register();
    const env = { ...process.env, B24_WEBHOOK_URL: emulator.webhookUrl };
    const { stdout } = await run(process.execPath, ["main.mjs", String(processId)], { cwd: folder, env, timeout: COMMAND_TIMEOUT_MS });
    const summary = JSON.parse(stdout);
    assert.equal(summary.final, "F");
    assert.equal(summary.codes.at(-1), "F");
    assert.equal(summary.watchErrorIsClass, true);

    // The bin entry of the installed package, as `npx b24-import-watch` runs it.
    const cliProcessId = emulator.register();
    const cli = await run(join(folder, "node_modules", ".bin", "b24-import-watch"), [String(cliProcessId), "--json", "--interval", "50"], {
      cwd: folder,
      env,
      timeout: COMMAND_TIMEOUT_MS,
    });
    const last = JSON.parse(cli.stdout.trimEnd().split("\n").at(-1));
    assert.equal(last.status.code, "F");
  } finally {
    await emulator.close();
  }
});

test("node esm types resolve from the tarball", async () => {
  const folder = join(workDir, "node-esm");
  assert.ok(existsSync(folder), "runs after the node esm consumer is installed");
  const tsc = join(root, "node_modules", ".bin", "tsc");
  const args = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--lib", "es2022,dom", "check.ts"];
  try {
    await run(tsc, args, { cwd: folder, timeout: COMMAND_TIMEOUT_MS });
  } catch (error) {
    assert.fail(`tsc failed on check.ts:\n${error.stdout}${error.stderr}`);
  }
});

test("vite app builds and watches to F", async () => {
  const folder = await createConsumer("vite-app", { devDependencies: { vite: pinned("vite") }, sharedTo: "." });
  await run(join(folder, "node_modules", ".bin", "vite"), ["build", "--logLevel", "warn"], { cwd: folder, timeout: COMMAND_TIMEOUT_MS });
  const assets = readdirSync(join(folder, "dist", "assets"));
  assert.ok(assets.some((name) => name.endsWith(".wasm")), `vite emitted ${assets.join(", ")}`);

  const outcome = await watchInBrowser({ "/": join(folder, "dist") });
  assertWatchedToFinish(outcome);
});

test("webpack app builds and watches to F", async () => {
  const folder = await createConsumer("webpack-app", {
    devDependencies: { webpack: pinned("webpack"), "webpack-cli": pinned("webpack-cli") },
    sharedTo: "src",
  });
  await run(join(folder, "node_modules", ".bin", "webpack"), ["--config", "webpack.config.js", "--no-stats"], {
    cwd: folder,
    timeout: COMMAND_TIMEOUT_MS,
  });
  const emitted = readdirSync(join(folder, "dist"));
  assert.ok(emitted.some((name) => name.endsWith(".wasm")), `webpack emitted ${emitted.join(", ")}`);

  const outcome = await watchInBrowser({ "/": join(folder, "public"), "/dist/": join(folder, "dist") });
  assertWatchedToFinish(outcome);
});

test("plain module script watches to F", async () => {
  const folder = await createConsumer("static-page", { sharedTo: "." });
  const outcome = await watchInBrowser({ "/": folder });
  assertWatchedToFinish(outcome);
});
