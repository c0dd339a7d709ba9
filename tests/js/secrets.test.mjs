// No credential in any text. The whole fault matrix runs with the webhook
// client, the BX24 double and a function client that puts its access token
// into the URL as `?auth=`. Every error message, `logger` line, WatchError
// field, `String(error)` and `error.stack` is then searched for the webhook
// secret and the OAuth tokens. So are the emulator's request log, its log
// lines, and the stderr of the emulator run as a command.
//
// The credentials are the emulator's own: a 16-character random webhook
// secret and 70-character random hex tokens, so an accidental match is
// out of the question.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";

import { watchImport, webhookClient } from "../../js/node.js";
import { startEmulator } from "../../tools/portal-emulator/server.mjs";
import { FAULT_CASES } from "./fault-matrix.mjs";
import { EMULATOR_OPTIONS, FAST, root, runFaultCase } from "./helpers.mjs";

const CLIENT_KINDS = ["webhook", "bx24", "function"];
const CLI_REQUEST_LIMIT_MS = 1000;

let emulator;
const emulatorLog = [];

before(async () => {
  emulator = await startEmulator({ ...EMULATOR_OPTIONS, log: (line) => emulatorLog.push(line) });
});

after(async () => {
  await emulator?.close();
});

test("fault matrix texts hide credentials", { timeout: 120_000 }, async () => {
  const texts = [];
  const secrets = new Set();

  for (const row of FAULT_CASES) {
    for (const kind of CLIENT_KINDS) {
      const logger = (level, message) => texts.push({ source: `${row.fault}/${kind} logger`, text: `${level} ${message}` });
      const run = await runFaultCase(emulator, row, kind, { logger, stopAfterFirstError: true });
      collectRun(texts, `${row.fault}/${kind}`, run);
      run.secrets.forEach((secret) => secrets.add(secret));
    }
  }
  for (const kind of CLIENT_KINDS) {
    // Errors in a row until the watch gives up, and the watch's own time limit.
    const gaveUp = { fault: "internal_error", params: { times: 3 }, options: { maxConsecutiveErrors: 2 }, [kind]: { when: ["first"] } };
    const timedOut = { fault: "no_answer", params: { times: 5 }, options: { requestTimeoutMs: 100 }, [kind]: { when: ["first"] } };
    for (const row of [gaveUp, timedOut]) {
      const logger = (level, message) => texts.push({ source: `${row.fault}/${kind} logger`, text: `${level} ${message}` });
      const run = await runFaultCase(emulator, row, kind, { logger, timeoutMs: 250 });
      assert.ok(run.error !== null, `${row.fault}/${kind} ended with an error`);
      collectRun(texts, `${row.fault}/${kind} to the end`, run);
      run.secrets.forEach((secret) => secrets.add(secret));
    }
  }
  texts.push({ source: "emulator request log", text: JSON.stringify(emulator.requests) });
  emulatorLog.forEach((line) => texts.push({ source: "emulator log", text: line }));

  assert.ok(secrets.size >= 1 + 2 * (CLIENT_KINDS.length - 1), `credentials collected: ${secrets.size}`);
  assert.ok(texts.length > 300, `texts collected: ${texts.length}`);
  assertNoSecret(texts, secrets);
});

test("bad webhook texts hide secret", async () => {
  const secret = new URL(emulator.webhookUrl).pathname.split("/")[3];
  const texts = [];
  const logger = (level, message) => texts.push({ source: "logger", text: `${level} ${message}` });
  const wrongSecret = emulator.webhookUrl.replace(secret, `${secret}x`);
  const closedPort = `http://127.0.0.1:9/rest/1/${secret}/`;

  for (const url of [wrongSecret, closedPort]) {
    const updates = [];
    const watch = watchImport(101, (update) => updates.push(update), { client: webhookClient(url), ...FAST, maxConsecutiveErrors: 2, logger });
    const error = await watch.done.then(() => null, (rejection) => rejection);
    assert.ok(error !== null, `watching through ${url.replace(secret, "***")} failed`);
    collectError(texts, "done", error);
    updates.forEach((update) => update.error && collectError(texts, "update", update.error));
  }

  assert.ok(texts.length > 10, `texts collected: ${texts.length}`);
  assertNoSecret(texts, new Set([secret]));
});

test("emulator command stderr hides credentials", { timeout: 30_000 }, async () => {
  const server = spawn(process.execPath, [join(root, "tools", "portal-emulator", "server.mjs"), "--port", "0", "--agent-period-ms", "50"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  server.stderr.on("data", (chunk) => (stderr += chunk));
  const secrets = new Set();
  try {
    const [firstLine] = await once(server.stdout, "data");
    const { url, webhookUrl } = JSON.parse(String(firstLine).split("\n")[0]);
    const secret = new URL(webhookUrl).pathname.split("/")[3];
    const auth = await control(url, "tokens", {});
    const processId = (await control(url, "register", {})).processId;
    [secret, auth.access_token, auth.refresh_token].forEach((credential) => secrets.add(credential));

    for (const row of FAULT_CASES) {
      const fault = row.fault === "slow" ? "slow;delayMs=100" : row.fault;
      await cliRequest(`${webhookUrl}configuration.import.get`, processId, fault);
      await cliRequest(`${url}/rest/configuration.import.get?auth=${auth.access_token}`, processId, fault);
    }
    // Credentials in the wrong places: where the method goes, a wrong
    // secret, an unknown token, and the refresh exchange.
    await cliRequest(`${webhookUrl}${secret}`, processId, null);
    await cliRequest(`${url}/rest/${auth.access_token}?auth=${auth.access_token}`, processId, null);
    await cliRequest(webhookUrl.replace(secret, `${secret}x`) + "configuration.import.get", processId, null);
    await cliRequest(`${url}/rest/configuration.import.get?auth=${auth.access_token}x`, processId, null);
    const renewed = await control(url, "refresh", { refresh_token: auth.refresh_token });
    secrets.add(renewed.access_token);
    secrets.add(renewed.refresh_token);
  } finally {
    server.kill("SIGTERM");
    await once(server, "exit");
  }

  const lines = stderr.split("\n").filter((line) => line !== "");
  assert.ok(lines.length >= 2 * FAULT_CASES.length, `stderr lines: ${lines.length}`);
  assertNoSecret(lines.map((text) => ({ source: "emulator stderr", text })), secrets);
});

/** Adds every text of a fault-matrix run: its updates' errors and its rejection. */
function collectRun(texts, source, run) {
  run.updates.forEach((update, index) => {
    if (update.error !== null) collectError(texts, `${source} update ${index + 1}`, update.error);
  });
  if (run.error !== null) collectError(texts, `${source} done`, run.error);
}

/** Adds each way an error can reach a page or a log. */
function collectError(texts, source, error) {
  texts.push({ source: `${source} message`, text: error.message });
  texts.push({ source: `${source} String()`, text: String(error) });
  texts.push({ source: `${source} stack`, text: String(error.stack) });
  texts.push({ source: `${source} JSON`, text: JSON.stringify(error) });
  for (const field of ["name", "kind", "code", "httpStatus", "retryable", "retryAfterMs"]) {
    texts.push({ source: `${source} ${field}`, text: String(error[field]) });
  }
}

function assertNoSecret(texts, secrets) {
  for (const secret of secrets) {
    assert.ok(secret.length >= 16, "a credential is long enough to search for");
    const leaks = texts.filter(({ text }) => text.includes(secret)).map(({ source }) => source);
    assert.deepEqual(leaks, [], `a credential appears in ${leaks.join(", ")}`);
  }
}

async function control(url, name, body) {
  const response = await fetch(`${url}/_emulator/${name}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, `POST /_emulator/${name}`);
  return response.json();
}

/** Sends one request to the emulator command and reads the whole body, giving up after CLI_REQUEST_LIMIT_MS. */
async function cliRequest(target, processId, fault) {
  const headers = { "Content-Type": "application/json" };
  if (fault !== null) headers["X-Emulator-Fault"] = fault;
  try {
    const response = await fetch(target, {
      method: "POST",
      headers,
      body: JSON.stringify({ processId }),
      signal: AbortSignal.timeout(CLI_REQUEST_LIMIT_MS),
    });
    await response.arrayBuffer();
  } catch {
    // no_answer, slow and reset end here; the log line is what matters.
  }
}
