// Inputs and calls that once broke the module or said the wrong thing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";

import { watchImport, getImportStatus, parseImportStatus } from "../../js/node.js";

const SECRET = "s3cr3tMARKERx9";
const WEBHOOK = `https://portal.example/rest/1/${SECRET}/`;

test("deep body is rejected cleanly", () => {
  const deep = JSON.parse("[".repeat(6000) + "]".repeat(6000));

  assert.throws(() => parseImportStatus({ result: { status: "F", additional: deep } }), { kind: "invalid_response", message: /nested more than 64 levels/ });
  assert.equal(parseImportStatus({ result: { status: "F" } }).code, "F", "the module still works");
});

test("cyclic body is rejected cleanly", () => {
  const body = { result: { status: "P" } };
  body.result.self = body;

  assert.throws(() => parseImportStatus(body), { kind: "invalid_response" });
  assert.equal(parseImportStatus({ result: { status: "S" } }).code, "S", "the module still works");
});

test("deep body from a client", async () => {
  const cyclic = { result: { status: "P" } };
  cyclic.result.self = cyclic;
  let calls = 0;
  const client = async () => (calls++ === 0 ? cyclic : { result: { status: "F" } });
  const errors = [];

  const final = await watchImport(1, (update) => update.error && errors.push(update.error), { client, intervalMs: 10 }).done;

  assert.equal(final.code, "F");
  assert.equal(errors.length, 1);
  assert.equal(errors[0].kind, "invalid_response");
});

test("URL as processId stays hidden", async () => {
  const messages = [];
  const collect = (error) => messages.push(error.message, String(error), JSON.stringify(error), error.stack ?? "");

  await watchImport(WEBHOOK, () => {}, { client: async () => ({}) }).done.catch(collect);
  await getImportStatus(WEBHOOK, { client: async () => ({}) }).catch(collect);
  try {
    parseImportStatus({ result: { status: "S" } }, WEBHOOK);
  } catch (error) {
    collect(error);
  }
  await watchImport(1, () => {}, { client: async () => ({}), schedule: WEBHOOK }).done.catch(collect);

  assert.equal(messages.length, 16);
  for (const message of messages) {
    assert.ok(!message.includes(SECRET), `secret in: ${message}`);
    assert.ok(!message.includes("portal.example"), `URL in: ${message}`);
  }
});

test("free stops a running watch", async () => {
  let calls = 0;
  const watch = watchImport(5, () => calls++, { client: async () => ({ result: { status: "S" } }), intervalMs: 10, minIntervalMs: 5 });
  await delay(60);

  watch.free();
  const seen = calls;
  await delay(120);

  assert.ok(seen > 0);
  assert.equal(calls, seen);
});

test("min interval above interval rejects", async () => {
  const watch = watchImport(5, () => {}, { client: async () => ({}), intervalMs: 1000, minIntervalMs: 5000 });

  await assert.rejects(watch.done, { kind: "invalid_argument", message: /minIntervalMs 5000/ });
});

test("one-shot read honours timeoutMs", async () => {
  const started = performance.now();

  await assert.rejects(getImportStatus(5, { client: () => new Promise(() => {}), timeoutMs: 100 }), { name: "TimeoutError" });

  assert.ok(performance.now() - started < 5000, "the call ended long before requestTimeoutMs");
});

test("one-shot errors promise no retry", async () => {
  const error = await getImportStatus(5, { client: async () => "<html>502</html>" }).catch((caught) => caught);

  assert.equal(error.kind, "invalid_response");
  assert.ok(!error.message.includes("retried"), error.message);
});

test("integer error codes keep their value", () => {
  assert.throws(() => parseImportStatus({ error: 100, error_description: "Could not find value for parameter {processId}" }), { kind: "rest", code: "100" });
});

test("foreign errors with kind are not ours", async () => {
  let calls = 0;
  const client = async () => {
    calls += 1;
    if (calls === 1) throw Object.assign(new Error("from another library"), { kind: "invalid_argument" });
    return { result: { status: "F" } };
  };

  const final = await watchImport(5, () => {}, { client, intervalMs: 10 }).done;

  assert.equal(final.code, "F");
  assert.equal(calls, 2);
});
