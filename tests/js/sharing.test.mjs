// Watches that share a client share its requests: one poll per import, and
// one batch request for imports that fall due together.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { watchImport, webhookClient } from "../../js/node.js";
import { startEmulator } from "../../tools/portal-emulator/server.mjs";

const FAST = { intervalMs: 30, minIntervalMs: 30, schedule: "fixed", requestTimeoutMs: 2000 };

let emulator;

before(async () => {
  emulator = await startEmulator({ port: 0, agentPeriodMs: 60, firstRunDelayMs: 200 });
});

after(async () => {
  await emulator?.close();
});

test("same import shares one poll", async () => {
  const client = webhookClient(emulator.webhookUrl);
  const processId = emulator.register();
  emulator.reset();
  const seen = [[], []];

  const watches = seen.map((updates) => watchImport(processId, (update) => updates.push(update), { client, ...FAST }));
  const finals = await Promise.all(watches.map((watch) => watch.done));

  assert.deepEqual(finals.map((final) => final.code), ["F", "F"]);
  const polls = emulator.requests.filter((request) => request.method === "configuration.import.get");
  assert.ok(seen[0].length > 3);
  assert.ok(polls.length <= Math.max(seen[0].length, seen[1].length) + 1, `${polls.length} requests for ${seen[0].length} + ${seen[1].length} updates`);
});

test("different imports use batch", async () => {
  const client = webhookClient(emulator.webhookUrl);
  const ids = [emulator.register(), emulator.register(), emulator.register()];
  emulator.reset();

  const finals = await Promise.all(ids.map((id) => watchImport(id, () => {}, { client, ...FAST }).done));

  assert.deepEqual(finals.map((final) => final.code), ["F", "F", "F"]);
  assert.deepEqual(finals.map((final) => final.processId), ids);
  const batches = emulator.requests.filter((request) => request.method === "batch");
  const singles = emulator.requests.filter((request) => request.method === "configuration.import.get");
  assert.ok(batches.length > 0, "no batch request was sent");
  assert.ok(batches.length > singles.length, `${batches.length} batch requests, ${singles.length} single polls`);
});

test("function client polls per watch", async () => {
  const calls = [];
  const client = async (method, params) => {
    calls.push(method);
    return { result: { status: "F", additional: [], createItemList: [] } };
  };

  await Promise.all([1, 2, 3].map((id) => watchImport(id, () => {}, { client, ...FAST }).done));

  assert.deepEqual(calls, ["configuration.import.get", "configuration.import.get", "configuration.import.get"]);
});

test("rate limit spaces requests", async () => {
  const callTimes = [];
  const client = async () => {
    callTimes.push(performance.now());
    return { result: { status: "F", additional: [], createItemList: [] } };
  };
  const rateLimit = { perSecond: 5, burst: 1 };

  await Promise.all([1, 2, 3].map((id) => watchImport(id, () => {}, { client, rateLimit, ...FAST }).done));

  assert.equal(callTimes.length, 3);
  // 5 requests/s with no burst leaves at least 200 ms between requests; the
  // bound is lower only to absorb timer rounding.
  assert.ok(callTimes[1] - callTimes[0] >= 180, `gap ${callTimes[1] - callTimes[0]} ms`);
  assert.ok(callTimes[2] - callTimes[1] >= 180, `gap ${callTimes[2] - callTimes[1]} ms`);
});

test("invalid rate limit rejects", async () => {
  const client = async () => ({ result: { status: "F" } });

  const watch = watchImport(1, () => {}, { client, rateLimit: { perSecond: 0, burst: 5 } });

  await assert.rejects(watch.done, { kind: "invalid_argument", message: /invalid rateLimit/ });
});
