// The examples, started as their READMEs describe: `node examples/run.mjs
// <name>` with a fast agent. The browser examples are opened in Chromium at
// the address run.mjs prints, and must show the import as completed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

import { launchBrowser } from "../e2e/harness.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const RUNNER = join(root, "examples", "run.mjs");
const AGENT_PERIOD_MS = "30";
const WAIT_MS = 60_000;

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/**
 * Starts `node examples/run.mjs name` and resolves with the child, its
 * output so far (`output()`) and the first URL it printed, once it printed
 * one. Rejects when the runner exits first.
 */
function startRunner(name) {
  const child = spawn(process.execPath, [RUNNER, name, "--agent-period-ms", AGENT_PERIOD_MS], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  const output = () => text;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`examples/run.mjs ${name} printed no address within ${WAIT_MS} ms:\n${text}`));
    }, WAIT_MS);
    const onData = (chunk) => {
      text += chunk;
      const url = text.match(/http:\/\/127\.0\.0\.1:\d+\/_shell\/\S+/)?.[0];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve({ child, url, output });
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`examples/run.mjs ${name} exited with ${code}:\n${text}`));
    });
  });
}

/** Stops a runner with Ctrl-C, as a person would, and waits for it to exit. */
function stopRunner(child) {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill("SIGINT");
  });
}

/** Opens the shell address and resolves with the app frame's title once it contains `expected`. */
async function appTitle(url, expected) {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  try {
    await page.goto(url);
    const frameElement = await page.waitForSelector("#app-frame", { timeout: WAIT_MS });
    let frame = await frameElement.contentFrame();
    for (let tries = 0; (frame === null || frame.url() === "about:blank") && tries < 100; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      frame = await frameElement.contentFrame();
    }
    assert.ok(frame !== null, "the shell has an app frame");
    await frame.waitForFunction((text) => document.getElementById("title")?.textContent?.includes(text), expected, { timeout: WAIT_MS });
    return { title: await frame.evaluate(() => document.getElementById("title")?.textContent), problems };
  } finally {
    await page.close();
  }
}

test("frame-bx24 example shows completion", async () => {
  const runner = await startRunner("frame-bx24");
  try {
    const { title, problems } = await appTitle(runner.url, "Completed");
    assert.match(title, /^Import \d+: Completed$/);
    assert.deepEqual(problems, []);
  } finally {
    await stopRunner(runner.child);
  }
  assert.equal(runner.child.exitCode, 0, runner.output());
});

test("vite-b24jssdk example shows completion", async () => {
  const runner = await startRunner("vite-b24jssdk");
  try {
    const { title, problems } = await appTitle(runner.url, "completed");
    assert.match(title, /^Import \d+: completed$/);
    assert.deepEqual(problems, []);
  } finally {
    await stopRunner(runner.child);
  }
  assert.equal(runner.child.exitCode, 0, runner.output());
});

test("node-webhook example exits 0", async () => {
  const child = spawn(process.execPath, [RUNNER, "node-webhook", "--agent-period-ms", AGENT_PERIOD_MS], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk) => (output += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), WAIT_MS);
  const code = await new Promise((resolve) => child.on("exit", resolve));
  clearTimeout(timer);
  assert.equal(code, 0, output);
  assert.match(output, /import \d+ ended with status F/);
  assert.equal(/\/rest\/1\/(?!\*\*\*)[^/\s]+\//.test(output), false, "no webhook URL with its secret in the output");
});
