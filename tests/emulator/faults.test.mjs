// Fault injection: every fault name and the three ways to select one.

import assert from "node:assert/strict";
import { test } from "node:test";

import { registerOverHttp, request, startForTest } from "./helpers.mjs";

function getUrl(emulator, processId = 1) {
  return `${emulator.webhookUrl}configuration.import.get?processId=${processId}`;
}

function withFault(fault) {
  return { headers: { "X-Emulator-Fault": fault } };
}

test("query_limit fault", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(getUrl(emulator), withFault("query_limit"));
  assert.equal(response.status, 503);
  assert.deepEqual(response.body, { error: "QUERY_LIMIT_EXCEEDED", error_description: "Too many requests" });
  assert.equal(response.headers.get("retry-after"), "1");
});

test("operation_time_limit fault", async (t) => {
  const emulator = await startForTest(t);
  const nowS = Date.now() / 1000;
  const response = await request(getUrl(emulator), withFault("operation_time_limit"));
  assert.equal(response.status, 429);
  assert.equal(response.body.error, "OPERATION_TIME_LIMIT");
  assert.ok(Number.isInteger(response.body.time.operating_reset_at), "operating_reset_at is integer seconds");
  assert.ok(response.body.time.operating_reset_at >= nowS + 1, "reset at least 1 s ahead");
  assert.ok(response.body.time.operating_reset_at <= nowS + 4, "reset about 2 s ahead");
});

test("overload_limit fault", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(getUrl(emulator), withFault("overload_limit"));
  assert.equal(response.status, 503);
  assert.equal(response.body.error, "OVERLOAD_LIMIT");
});

test("internal_error fault", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(getUrl(emulator), withFault("internal_error"));
  assert.equal(response.status, 500);
  assert.equal(response.body.error, "INTERNAL_SERVER_ERROR");
});

test("html_502 fault", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(getUrl(emulator), withFault("html_502"));
  assert.equal(response.status, 502);
  assert.match(response.headers.get("content-type"), /^text\/html/);
  assert.match(response.text, /<h1>502 Bad Gateway<\/h1>/);
  assert.equal(response.body, undefined, "the body is not JSON");
});

test("invalid_json fault", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(getUrl(emulator), withFault("invalid_json"));
  assert.equal(response.status, 200);
  assert.ok(response.text.startsWith("{\"result\""), "the body starts like a normal response");
  assert.throws(() => JSON.parse(response.text), SyntaxError);
});

test("empty_body fault", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(getUrl(emulator), withFault("empty_body"));
  assert.equal(response.status, 200);
  assert.equal(response.text, "");
});

test("reset fault", async (t) => {
  const emulator = await startForTest(t);
  await assert.rejects(request(getUrl(emulator), withFault("reset")), TypeError);
  assert.equal(emulator.requests[0].fault, "reset");
});

test("no_answer fault", async (t) => {
  const emulator = await startForTest(t);
  const started = Date.now();
  await assert.rejects(
    request(getUrl(emulator), { ...withFault("no_answer"), signal: AbortSignal.timeout(300) }),
    (error) => error.name === "TimeoutError",
  );
  assert.ok(Date.now() - started >= 250, "the client gave up on its own timeout");
  assert.equal(emulator.requests[0].httpStatus, null, "no status is logged");
});

test("close drops hung requests", async (t) => {
  const emulator = await startForTest(t);
  const pending = request(getUrl(emulator), withFault("no_answer"));
  pending.catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = Date.now();
  await emulator.close();
  assert.ok(Date.now() - started < 1000, "close does not wait for the hung request");
  await assert.rejects(pending, TypeError);
});

test("slow fault delays response", async (t) => {
  const emulator = await startForTest(t);
  const started = Date.now();
  const response = await request(getUrl(emulator), withFault("slow;delayMs=200"));
  assert.ok(Date.now() - started >= 190, "the response came after the delay");
  assert.equal(response.status, 200);
  assert.deepEqual(response.body.result, { status: "U" });
});

test("close cancels slow answers", async (t) => {
  const emulator = await startForTest(t);
  const pending = request(getUrl(emulator), withFault("slow"));
  pending.catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = Date.now();
  await emulator.close();
  assert.ok(Date.now() - started < 1000, "close does not wait for the 5 s delay");
  await assert.rejects(pending, TypeError);
});

test("expired_token fault", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(getUrl(emulator), withFault("expired_token"));
  assert.equal(response.status, 401);
  assert.deepEqual(response.body, { error: "expired_token", error_description: "The access token provided has expired." });
});

test("unknown_status fault", async (t) => {
  const emulator = await startForTest(t);
  const processId = await registerOverHttp(emulator);
  const response = await request(getUrl(emulator, processId), withFault("unknown_status"));
  assert.equal(response.status, 200);
  assert.equal(response.body.result.status, "X");
});

test("null_result fault", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(getUrl(emulator), withFault("null_result"));
  assert.equal(response.status, 200);
  assert.equal(response.body.result, null);
  assert.equal(typeof response.body.time, "object", "the time block stays");
});

test("purge fault makes U", async (t) => {
  const emulator = await startForTest(t);
  const processId = await registerOverHttp(emulator);
  const purged = await request(getUrl(emulator, processId), withFault("purge"));
  const later = await request(getUrl(emulator, processId));
  assert.deepEqual(purged.body.result, { status: "U" }, "U in the same response");
  assert.deepEqual(later.body.result, { status: "U" }, "U afterwards");
});

test("huge_body fault", async (t) => {
  const emulator = await startForTest(t);
  const processId = await registerOverHttp(emulator);
  const response = await request(getUrl(emulator, processId), withFault("huge_body"));
  assert.equal(response.status, 200);
  assert.ok(response.text.length >= 5_000_000, `body of ${response.text.length} bytes`);
  assert.ok(response.text.length < 6_000_000, `body of ${response.text.length} bytes`);
  assert.equal(response.body.result.status, "S", "the status is kept");
  assert.equal(response.body.result.notice[0].type, "notice");
});

test("fault by query parameter", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${getUrl(emulator)}&_fault=query_limit`);
  assert.equal(response.status, 503);
  assert.equal(emulator.requests[0].fault, "query_limit");
});

test("script consumed in order", async (t) => {
  const emulator = await startForTest(t);
  emulator.setFaults([{ fault: "internal_error", times: 2 }, { fault: "query_limit" }]);
  const statuses = [];
  for (let i = 0; i < 4; i += 1) {
    statuses.push((await request(getUrl(emulator))).status);
  }
  assert.deepEqual(statuses, [500, 500, 503, 200]);
  assert.deepEqual(emulator.requests.map((entry) => entry.fault), ["internal_error", "internal_error", "query_limit", null]);
});

test("script filters method and processId", async (t) => {
  const emulator = await startForTest(t);
  const processId = await registerOverHttp(emulator);
  emulator.setFaults([{ fault: "overload_limit", method: "configuration.import.get", processId }]);
  const otherId = await request(getUrl(emulator, 999));
  const otherMethod = await request(`${emulator.webhookUrl}configuration.import.unregister?processId=${processId}`);
  const matching = await request(getUrl(emulator, processId));
  assert.equal(otherId.status, 200, "another processId passes");
  assert.equal(otherMethod.status, 200, "another method passes");
  assert.equal(matching.status, 503, "the matching request gets the fault");
});

test("header fault keeps script", async (t) => {
  const emulator = await startForTest(t);
  emulator.setFaults([{ fault: "internal_error" }]);
  const first = await request(getUrl(emulator), withFault("query_limit"));
  const second = await request(getUrl(emulator));
  assert.equal(first.status, 503);
  assert.equal(second.status, 500);
});

test("faults posted over HTTP", async (t) => {
  const emulator = await startForTest(t);
  const posted = await request(`${emulator.url}/_emulator/faults`, { json: [{ fault: "slow", delayMs: 10 }, { fault: "html_502" }] });
  const first = await request(getUrl(emulator));
  const second = await request(getUrl(emulator));
  assert.deepEqual(posted.body, { pending: 2 });
  assert.equal(first.status, 200);
  assert.equal(second.status, 502);
});

test("unknown fault is rejected", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(getUrl(emulator), withFault("meteor_strike"));
  const posted = await request(`${emulator.url}/_emulator/faults`, { json: [{ fault: "meteor_strike" }] });
  assert.equal(response.status, 400);
  assert.equal(response.body.error, "EMULATOR_INVALID_FAULT");
  assert.equal(posted.status, 400);
  assert.throws(() => emulator.setFaults([{ fault: "slow", delayMs: -1 }]), /delayMs must be an integer/);
});

test("faults apply to batch", async (t) => {
  const emulator = await startForTest(t);
  emulator.setFaults([{ fault: "query_limit", method: "batch" }]);
  const response = await request(`${emulator.webhookUrl}batch`, { json: { cmd: { a: "configuration.import.get?processId=1" } } });
  assert.equal(response.status, 503);
});
