// The command-line watcher, run as `node bin/b24-import-watch.mjs` against
// the portal emulator: exit codes for F, E, U, failures and Ctrl-C, the
// --json lines, argument errors, and the webhook secret kept out of every
// byte of output.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

import { maskWrites, webhookSecret } from "../../bin/cli/redact.mjs";
import { startEmulator } from "../../tools/portal-emulator/server.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(root, "bin", "b24-import-watch.mjs");
const RUN_LIMIT_MS = 30_000;
// With these timings the default import (22 states) ends in about 0.7 s.
const AGENT = { agentPeriodMs: 30, firstRunDelayMs: 30 };
const SCRIPT_MISSING = spawnSync("script", ["--version"]).status !== 0 && "util-linux script is missing";

let emulator;
let secret;
/** Every byte the CLI printed in this file, checked for the secret at the end. */
const allOutput = [];

before(async () => {
  emulator = await startEmulator({ port: 0, ...AGENT });
  secret = new URL(emulator.webhookUrl).pathname.split("/")[3];
  assert.ok(secret.length >= 8, "the emulator's webhook has a secret segment");
});

after(async () => {
  await emulator?.close();
});

/**
 * Runs the CLI with `args` and resolves with `{code, signal, stdout,
 * stderr}`. `onStdout(text, child)` receives the output as it arrives. The
 * environment has no B24_WEBHOOK_URL unless `env` sets it, and the texts
 * are English unless `--lang` sets another language.
 */
function runCli(args, { env = {}, onStdout = () => {} } = {}) {
  const childEnv = { ...process.env, LANG: "C", LC_ALL: "", LC_MESSAGES: "", NO_COLOR: "1", ...env };
  if (!("B24_WEBHOOK_URL" in env)) delete childEnv.B24_WEBHOOK_URL;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the CLI ran longer than ${RUN_LIMIT_MS} ms; stdout so far:\n${stdout}\nstderr:\n${stderr}`));
    }, RUN_LIMIT_MS);
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      stdout += chunk;
      onStdout(stdout, child);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      allOutput.push(stdout, stderr);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Runs the CLI under `script`, which gives it a pseudo-terminal, so it
 * draws the live display. Resolves with `{status, stdout, stderr}`, where
 * stdout contains both outputs of the CLI, as a terminal shows them. It runs
 * asynchronously, because the emulator shares this process.
 */
function runInTerminal(args, { env = {} } = {}) {
  const command = [process.execPath, CLI, ...args].map((part) => `'${part}'`).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      env: { ...process.env, LANG: "C", NO_COLOR: "1", TERM: "xterm", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_LIMIT_MS);
    child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      allOutput.push(stdout, stderr);
      resolve({ status, stdout, stderr });
    });
  });
}

function watchArgs(processId, ...extra) {
  return [String(processId), "--interval", "50", ...extra];
}

test("finished import exits 0", async () => {
  const processId = emulator.register();
  const run = await runCli(watchArgs(processId), { env: { B24_WEBHOOK_URL: emulator.webhookUrl } });
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split("\n");
  assert.equal(lines[0], `Import #${processId}`);
  assert.match(lines.at(-1), /Import completed · All 6 stages completed/);
  assert.match(run.stdout, /Stage 5 of 6: Importing data/);
  assert.match(run.stdout, /Section: /);
  assert.match(run.stdout, /notice: /);
  assert.match(run.stdout, /error, the import went on: /);
  assert.equal(run.stdout.includes("\x1b["), false, "no terminal control sequences in a pipe");
  assert.equal(run.stderr, "");
});

test("webhook option works without the variable", async () => {
  const processId = emulator.register();
  const run = await runCli(watchArgs(processId, "--webhook", emulator.webhookUrl));
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /Import completed/);
});

test("failed import exits 1", async () => {
  const processId = emulator.register({ outcome: "E" });
  const run = await runCli(watchArgs(processId), { env: { B24_WEBHOOK_URL: emulator.webhookUrl } });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stdout, /Import failed/);
  assert.match(run.stdout, /critical error( \[\w+\])?: /);
});

test("failed import without details exits 1", async () => {
  const processId = emulator.register({ outcome: "E-no-details" });
  const run = await runCli(watchArgs(processId), { env: { B24_WEBHOOK_URL: emulator.webhookUrl } });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stdout, /Import failed · The portal reported no details/);
});

test("unknown process exits 2", async () => {
  const run = await runCli(watchArgs(987654), { env: { B24_WEBHOOK_URL: emulator.webhookUrl } });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stdout, /Import not found/);
});

test("json prints one update per line", async () => {
  const processId = emulator.register();
  const run = await runCli(watchArgs(processId, "--json"), { env: { B24_WEBHOOK_URL: emulator.webhookUrl } });
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split("\n");
  assert.ok(lines.length >= 2, `expected several updates, got ${lines.length}`);
  const updates = lines.map((line) => JSON.parse(line));
  updates.forEach((update, index) => {
    assert.equal(update.processId, processId);
    assert.equal(update.attempt, index + 1);
    assert.equal(typeof update.changed, "boolean");
    assert.equal(update.error, null);
  });
  const last = updates.at(-1);
  assert.equal(last.status.code, "F");
  assert.equal(last.status.state, "finished");
  assert.equal(last.nextPollInMs, null);
  assert.ok(updates.slice(0, -1).every((update) => typeof update.nextPollInMs === "number"));
});

test("json carries a retried error", async () => {
  const processId = emulator.register();
  emulator.setFaults([{ fault: "internal_error", method: "configuration.import.get", processId }]);
  try {
    const run = await runCli(watchArgs(processId, "--json"), { env: { B24_WEBHOOK_URL: emulator.webhookUrl } });
    assert.equal(run.code, 0, run.stderr);
    const first = JSON.parse(run.stdout.split("\n")[0]);
    assert.equal(first.status, null);
    assert.equal(first.error.name, "WatchError");
    assert.equal(first.error.kind, "rest");
    assert.equal(first.error.code, "INTERNAL_SERVER_ERROR");
    assert.equal(first.error.retryable, true);
    assert.match(first.error.message, /INTERNAL_SERVER_ERROR/);
  } finally {
    emulator.reset();
  }
});

test("plain output reports a retry", async () => {
  const processId = emulator.register();
  emulator.setFaults([{ fault: "html_502", method: "configuration.import.get", processId }]);
  try {
    const run = await runCli(watchArgs(processId), { env: { B24_WEBHOOK_URL: emulator.webhookUrl } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Connection problem, retrying: /);
  } finally {
    emulator.reset();
  }
});

test("russian texts with lang ru", async () => {
  const processId = emulator.register();
  const run = await runCli(watchArgs(processId, "--lang", "ru"), { env: { B24_WEBHOOK_URL: emulator.webhookUrl } });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /Импорт № \d+/);
  assert.match(run.stdout, /Импорт завершён/);
});

test("language from LANG", async () => {
  const run = await runCli(["--help"], { env: { LANG: "ru_RU.UTF-8" } });
  assert.equal(run.code, 0);
  assert.match(run.stdout, /Коды выхода/);
});

test("help prints usage and exit codes", async () => {
  const run = await runCli(["--help"]);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /^Usage: b24-import-watch <processId>/);
  assert.match(run.stdout, /B24_WEBHOOK_URL/);
  assert.match(run.stdout, /130 +interrupted/);
  assert.equal(run.stderr, "");
});

// Each case: arguments, environment, and what the message must contain.
// None may print the secret, which several of them pass in odd places.
const BAD_ARGUMENTS = [
  { name: "no process id", args: () => [], message: /missing <processId>/ },
  { name: "no webhook", args: () => ["101"], message: /missing the webhook: pass --webhook .* or set B24_WEBHOOK_URL/ },
  { name: "webhook as second argument", args: () => ["101", emulator.webhookUrl], message: /expected one <processId>, got 2 arguments/ },
  { name: "misspelt option with the URL", args: () => ["101", `--webhok=${emulator.webhookUrl}`], message: /unknown option --webhok$/m },
  { name: "webhook without value", args: () => ["101", "--webhook", "--json"], message: /option --webhook needs a value/ },
  { name: "interval not a number", args: () => ["101", "--interval", "fast"], withWebhook: true, message: /invalid --interval "fast": expected a whole number of milliseconds from 1 to 2147483647/ },
  { name: "timeout zero", args: () => ["101", "--timeout", "0"], withWebhook: true, message: /invalid --timeout "0"/ },
  { name: "unknown language", args: () => ["101", "--lang", "xx"], withWebhook: true, message: /unknown language "xx": expected one of .*en.*ru/ },
  { name: "invalid process id", args: () => ["abc"], withWebhook: true, message: /invalid processId "abc": expected a positive integer such as 42/ },
  { name: "negative process id", args: () => ["-5"], withWebhook: true, message: /invalid processId "-5": expected a positive integer/ },
  { name: "negative process id after --", args: () => ["--", "-5"], withWebhook: true, message: /invalid processId "-5"/ },
  { name: "fractional process id", args: () => ["-1.5", "--json"], withWebhook: true, message: /invalid processId "-1\.5"/ },
  { name: "zero process id", args: () => ["0"], withWebhook: true, message: /invalid processId "0"/ },
  { name: "process id of 17 digits", args: () => ["1".repeat(17)], withWebhook: true, message: /invalid processId "1{17}"/ },
  { name: "process id above 2^53 - 1", args: () => ["9007199254740992"], withWebhook: true, message: /invalid processId "9007199254740992": .*at most 9007199254740991/ },
  { name: "long process id is cut", args: () => ["x".repeat(100)], withWebhook: true, message: /invalid processId "x{40}…"/ },
  {
    name: "webhook URL as process id",
    args: () => [emulator.webhookUrl],
    withWebhook: true,
    message: /invalid processId: expected a positive integer such as 42 \(the value is not shown because it looks like a URL\)/,
  },
  { name: "portal host as process id", args: () => ["portal.example.com:443"], withWebhook: true, message: /invalid processId: .*not shown/ },
  { name: "webhook secret as process id", args: () => [secret], withWebhook: true, message: /invalid processId "\*\*\*"/ },
  { name: "interval negative", args: () => ["101", "--interval", "-5"], withWebhook: true, message: /invalid --interval "-5"/ },
  {
    name: "plain http to another host",
    args: () => ["101", "--webhook", `http://portal.example.com/rest/1/${secret}/`],
    message: /invalid webhook URL: http:\/\/ is allowed only for 127\.0\.0\.1 and localhost/,
  },
  { name: "webhook path without user", args: () => ["101", "--webhook", `https://portal.example.com/rest/${secret}/`], message: /invalid webhook URL/ },
];

for (const { name, args, withWebhook, message } of BAD_ARGUMENTS) {
  test(`bad arguments exit 3: ${name}`, async () => {
    const env = withWebhook ? { B24_WEBHOOK_URL: emulator.webhookUrl } : {};
    const run = await runCli(args(), { env });
    assert.equal(run.code, 3, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.match(run.stderr, /^b24-import-watch: /);
    assert.equal(run.stdout, "", "nothing on stdout, not even the header");
    assert.equal(run.stderr.includes(secret), false);
    assert.equal(run.stdout.includes(secret), false);
  });
}

const HIDDEN_PROCESS_ID = /invalid processId: expected a positive integer such as 42 \(the value is not shown because it looks like a URL\)/;

test("webhook URL as process id in json mode", async () => {
  const run = await runCli([emulator.webhookUrl, "--json"], { env: { B24_WEBHOOK_URL: emulator.webhookUrl } });
  assert.equal(run.code, 3, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
  assert.match(run.stderr, HIDDEN_PROCESS_ID);
  assert.equal(run.stdout, "");
  assert.equal(run.stderr.includes(secret), false);
  assert.equal(run.stderr.includes(emulator.webhookUrl.slice(0, 20)), false, "no part of the URL is shown");
});

test("webhook URL as process id in --webhook", async () => {
  // Without B24_WEBHOOK_URL, so the secret to hide comes from --webhook.
  const run = await runCli([emulator.webhookUrl, "--webhook", emulator.webhookUrl]);
  assert.equal(run.code, 3, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
  assert.match(run.stderr, HIDDEN_PROCESS_ID);
  assert.equal(run.stdout, "");
  assert.equal(run.stderr.includes(secret), false);
});

test("webhook URL as process id on a terminal", { skip: SCRIPT_MISSING }, async () => {
  const result = await runInTerminal([emulator.webhookUrl], { env: { B24_WEBHOOK_URL: emulator.webhookUrl } });
  assert.equal(result.status, 3, result.stdout);
  assert.match(result.stdout, HIDDEN_PROCESS_ID);
  assert.equal(result.stdout.includes("Import #"), false, "no header before the error");
  assert.equal(result.stdout.includes("\x1b[?25l"), false, "the live display never starts");
  assert.equal(result.stdout.includes(secret), false);
  assert.equal(result.stderr.includes(secret), false);
});

test("largest process id is accepted", async () => {
  const run = await runCli(watchArgs("9007199254740991"), { env: { B24_WEBHOOK_URL: emulator.webhookUrl } });
  assert.equal(run.code, 2, run.stderr);
  assert.equal(run.stdout.split("\n")[0], "Import #9007199254740991");
});

test("webhook secret read from the URL", () => {
  assert.equal(webhookSecret("https://portal.example.com/rest/1/k8s3lx9v1qz7w2rt/"), "k8s3lx9v1qz7w2rt");
  assert.equal(webhookSecret(" http://127.0.0.1:8080/rest/12/k8s3lx9v1qz7w2rt/profile.json"), "k8s3lx9v1qz7w2rt");
  assert.equal(webhookSecret("https://portal.example.com/rest/k8s3lx9v1qz7w2rt/"), null);
  assert.equal(webhookSecret("not a URL"), null);
});

test("masked writes hide the secret", () => {
  const written = [];
  const stream = { write: (chunk, callback) => written.push([chunk, callback]) };
  const done = () => {};
  maskWrites(stream, ["k8s3lx9v1qz7w2rt"]);
  stream.write("GET /rest/1/k8s3lx9v1qz7w2rt/ failed, k8s3lx9v1qz7w2rt\n", done);
  assert.equal(written[0][0], "GET /rest/1/***/ failed, ***\n");
  assert.equal(written[0][1], done, "the callback is passed on");
});

test("bad arguments in russian", async () => {
  const run = await runCli(["--lang", "ru"]);
  assert.equal(run.code, 3);
  assert.match(run.stderr, /не указан <processId>/);
});

test("timeout exits 3", async () => {
  // A first run an hour away keeps the import at S for the whole watch.
  const processId = emulator.register({ firstRunDelayMs: 3_600_000 });
  const run = await runCli(watchArgs(processId, "--timeout", "400"), { env: { B24_WEBHOOK_URL: emulator.webhookUrl } });
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stdout, /Waiting for the import to start/);
  assert.match(run.stderr, /Could not get the import status: .*400 ms/);
});

test("unreachable portal exits 3 without the secret", async () => {
  // A port that was free a moment ago: every request fails to connect.
  const closed = await startEmulator({ port: 0 });
  const webhookUrl = closed.webhookUrl;
  const closedSecret = new URL(webhookUrl).pathname.split("/")[3];
  await closed.close();
  const run = await runCli(watchArgs(101, "--timeout", "1500"), { env: { B24_WEBHOOK_URL: webhookUrl } });
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stdout, /Connection problem, retrying: .*could not reach http:\/\/127\.0\.0\.1:\d+\/rest\/1\/\*\*\*\//);
  assert.equal(run.stdout.includes(closedSecret), false);
  assert.equal(run.stderr.includes(closedSecret), false);
});

test("scope error exits 3", async () => {
  const webhookUrl = emulator.createWebhook({ scopes: ["crm"] });
  const scopedSecret = new URL(webhookUrl).pathname.split("/")[3];
  const run = await runCli(watchArgs(emulator.register()), { env: { B24_WEBHOOK_URL: webhookUrl } });
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stderr, /insufficient_scope/);
  assert.equal(run.stderr.includes(scopedSecret), false);
});

test("sigint stops with 130", async () => {
  const processId = emulator.register({ firstRunDelayMs: 3_600_000 });
  let interrupted = false;
  const run = await runCli(watchArgs(processId), {
    env: { B24_WEBHOOK_URL: emulator.webhookUrl },
    onStdout: (stdout, child) => {
      // Interrupt once the first poll is on screen, so the watch is waiting.
      if (!interrupted && stdout.includes("Waiting for the import to start")) {
        interrupted = true;
        child.kill("SIGINT");
      }
    },
  });
  assert.ok(interrupted, `the CLI never showed status S:\n${run.stdout}`);
  assert.equal(run.code, 130, run.stderr);
  assert.match(run.stderr, /Stopped watching\. The import goes on on the portal\./);
});

test("terminal display draws in place", { skip: SCRIPT_MISSING }, async () => {
  const processId = emulator.register();
  const result = await runInTerminal(watchArgs(processId), { env: { B24_WEBHOOK_URL: emulator.webhookUrl } });
  assert.equal(result.status, 0, result.stderr);
  assert.ok(result.stdout.includes("\x1b[?25l"), "hides the cursor");
  assert.ok(result.stdout.includes("\x1b[?25h"), "shows the cursor again");
  assert.match(result.stdout, /\[██████\] All 6 stages completed/);
  assert.match(result.stdout, /Elapsed: /);
});

test("no output holds the secret", () => {
  assert.ok(allOutput.length > 0);
  for (const output of allOutput) {
    assert.equal(output.includes(secret), false);
  }
});
