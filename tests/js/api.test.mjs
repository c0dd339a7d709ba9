// The JS API against the portal emulator, through the package entry.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";

import { watchImport, getImportStatus, webhookClient, bx24Client, WatchError } from "../../js/node.js";
import { startEmulator } from "../../tools/portal-emulator/server.mjs";
import { bx24Double, collector } from "./helpers.mjs";

const ACTIONS = ["start", "init_background", "manifest", "clean", "load", "finish"];
const FAST = { intervalMs: 20, minIntervalMs: 5, requestTimeoutMs: 2000 };

let emulator;
let client;

before(async () => {
  emulator = await startEmulator({ port: 0, agentPeriodMs: 40, firstRunDelayMs: 400 });
  client = webhookClient(emulator.webhookUrl);
});

after(async () => {
  await emulator?.close();
});

test("whole run reaches F in order", async () => {
  const processId = emulator.register();
  const { updates, callback } = collector();

  const final = await watchImport(processId, callback, { client, ...FAST }).done;

  assert.equal(final.code, "F");
  assert.equal(final.processId, processId);
  assert.equal(updates[0].status.code, "S");
  assert.equal(updates.at(-1).status.code, "F");
  assert.equal(updates.at(-1).nextPollInMs, null);
  assert.deepEqual(updates.map((update) => update.attempt), updates.map((_, index) => index + 1));
  const phases = updates.filter((u) => u.status.phase).map((u) => u.status.phase.index);
  assert.deepEqual(phases, [...phases].sort((a, b) => a - b), "the phase never goes back");
  const actions = new Set(updates.map((u) => u.status.progress?.action).filter(Boolean));
  for (const action of ACTIONS) {
    assert.ok(actions.has(action) || action === "clean", `saw action ${action}`);
  }
  assert.ok(updates.some((u) => u.status.code === "P" && u.status.progress.action === null), "saw the action:false gap");
  const changed = updates.filter((u) => u.changed).map((u) => JSON.stringify({ ...u.status, time: null }));
  assert.equal(new Set(changed).size, changed.length, "no status is reported as changed twice");
});

test("error run ends with E", async () => {
  const processId = emulator.register({ outcome: "E" });

  const final = await watchImport(processId, () => {}, { client, ...FAST }).done;

  assert.equal(final.code, "E");
  assert.equal(final.state, "failed");
  assert.ok(final.exceptions.length > 0);
});

test("unknown id resolves U", async () => {
  const { updates, callback } = collector();

  const final = await watchImport(987654, callback, { client, ...FAST }).done;

  assert.equal(final.code, "U");
  assert.equal(final.terminal, true);
  assert.equal(updates.length, 1);
});

test("stop ends callbacks", async () => {
  const processId = emulator.register();
  const { updates, callback } = collector();
  const watch = watchImport(processId, callback, { client, ...FAST });
  await delay(60);

  watch.stop();
  const seen = updates.length;
  await assert.rejects(watch.done, (error) => error instanceof WatchError && error.name === "AbortError");
  await delay(150);

  assert.equal(updates.length, seen);
  watch.stop();
});

test("aborted signal stops watch", async () => {
  const processId = emulator.register();
  const controller = new AbortController();
  const watch = watchImport(processId, () => {}, { client, ...FAST, signal: controller.signal });
  await delay(30);

  controller.abort();

  await assert.rejects(watch.done, { name: "AbortError", kind: "aborted" });
});

test("throwing callback keeps watching", async () => {
  const processId = emulator.register();
  let calls = 0;
  const callback = () => {
    calls += 1;
    throw new Error("boom");
  };

  const final = await watchImport(processId, callback, { client, ...FAST }).done;

  assert.equal(final.code, "F");
  assert.ok(calls > 3);
});

test("invalid id rejects before requests", async () => {
  const before = emulator.requests.length;
  for (const processId of [0, -1, 1.5, "abc", "", null, {}, "123456789012345678901234567890"]) {
    const watch = watchImport(processId, () => {}, { client, ...FAST });
    await assert.rejects(watch.done, { name: "WatchError", kind: "invalid_argument" }, `processId ${JSON.stringify(processId)}`);
  }
  await assert.rejects(getImportStatus("abc", { client }), { kind: "invalid_argument" });

  assert.equal(emulator.requests.length, before);
});

test("BX24 double survives silent 503", async () => {
  const processId = emulator.register();
  const double = bx24Double(`${emulator.url}/rest/`);
  // The double calls the OAuth path, so it needs a token.
  const token = emulator.issueToken({ lifetimeMs: 600_000 }).access_token;
  double.callMethod = ((original) => (method, params, cb) => original(method, { ...params, auth: token }, cb))(double.callMethod);
  emulator.setFaults([{ fault: "query_limit", method: "configuration.import.get", times: 1 }]);
  const { updates, callback } = collector();

  const final = await watchImport(processId, callback, { client: bx24Client(double), ...FAST, requestTimeoutMs: 100 }).done;

  assert.equal(final.code, "F");
  const timeouts = updates.filter((u) => u.error?.kind === "timeout");
  assert.equal(timeouts.length, 1);
  assert.equal(timeouts[0].error.retryable, true);
  assert.ok(timeouts[0].status === null || timeouts[0].status.code !== "F", "the last good status stays");
});

test("webhook secret never in errors", async () => {
  const secret = new URL(emulator.webhookUrl).pathname.split("/")[3];
  assert.ok(secret.length >= 8);
  const messages = [];
  const collect = (error) => messages.push(error.message, String(error), JSON.stringify(error));

  const wrongSecret = emulator.webhookUrl.replace(secret, `${secret}x`);
  await getImportStatus(1, { client: webhookClient(wrongSecret) }).catch(collect);
  await getImportStatus(1, { client: webhookClient(`http://127.0.0.1:9/rest/1/${secret}/`) }).catch(collect);
  for (const url of [`http://portal.example/rest/1/${secret}/`, `${emulator.webhookUrl}profile`, `${emulator.webhookUrl}?auth=${secret}`]) {
    try {
      webhookClient(url);
    } catch (error) {
      collect(error);
    }
  }
  const { updates, callback } = collector();
  await watchImport(1, callback, { client: webhookClient(`http://127.0.0.1:9/rest/1/${secret}/`), ...FAST, maxConsecutiveErrors: 2 }).done.catch(collect);
  updates.forEach((update) => update.error && collect(update.error));

  assert.ok(messages.length >= 12);
  for (const message of messages) {
    assert.ok(!message.includes(secret), `secret leaked in: ${message}`);
  }
});

test("replayed sequence calls back in order", async () => {
  const recorded = [
    { result: { status: "S" } },
    { result: { status: "P", progress: { action: "start", step: 0 } } },
    { result: { status: "P", progress: { action: "manifest", step: 0, section: "CRM_STATUS" } } },
    { result: { status: "P", progress: { action: "load", step: 2, section: "CRM_STATUS" } } },
    { result: { status: "P", progress: { action: false, step: 0 } } },
    { result: { status: "F", additional: [], createItemList: [] } },
  ];
  let next = 0;
  const replay = async () => recorded[next++];
  const { updates, callback } = collector();

  const final = await watchImport(7, callback, { client: replay, intervalMs: 10 }).done;

  assert.equal(final.code, "F");
  assert.equal(next, recorded.length);
  assert.deepEqual(updates.map((u) => u.status.code), ["S", "P", "P", "P", "P", "F"]);
  assert.deepEqual(updates.map((u) => u.status.progress?.action), [undefined, "start", "manifest", "load", null, undefined]);
  assert.ok(updates.every((u) => u.changed));
});
