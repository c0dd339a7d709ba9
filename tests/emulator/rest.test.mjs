// REST surface: request encodings, the envelope, errors, CORS and batch.

import assert from "node:assert/strict";
import { test } from "node:test";

import { registerOverHttp, request, startForTest } from "./helpers.mjs";

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;

test("GET query registers import", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}configuration.import.register?data[MANIFEST][CODE]=test&data[FILES][]=a`);
  assert.equal(response.status, 200);
  assert.equal(response.body.result.processId, 101);
});

test("JSON POST reads processId", async (t) => {
  const emulator = await startForTest(t);
  const processId = await registerOverHttp(emulator);
  const response = await request(`${emulator.webhookUrl}configuration.import.get`, { json: { processId } });
  assert.equal(response.status, 200);
  assert.equal(response.body.result.status, "S");
});

test("form POST reads processId", async (t) => {
  const emulator = await startForTest(t);
  const processId = await registerOverHttp(emulator);
  const response = await request(`${emulator.webhookUrl}configuration.import.get`, { form: { processId: String(processId) } });
  assert.equal(response.status, 200);
  assert.equal(response.body.result.status, "S");
});

test("json suffix is optional", async (t) => {
  const emulator = await startForTest(t);
  const processId = await registerOverHttp(emulator);
  const response = await request(`${emulator.webhookUrl}configuration.import.get.json?processId=${processId}`);
  assert.equal(response.body.result.status, "S");
});

test("register requires data", async (t) => {
  const emulator = await startForTest(t);
  const missing = await request(`${emulator.webhookUrl}configuration.import.register`, { json: {} });
  const scalar = await request(`${emulator.webhookUrl}configuration.import.register?data=abc`);

  assert.equal(missing.status, 400, "missing data is HTTP 400");
  assert.deepEqual(missing.body, { error: 100, error_description: "Could not find value for parameter {data}" });
  assert.equal(scalar.status, 400, "a string is HTTP 400");
  assert.match(scalar.body.error_description, /Should be value of type array/);
});

test("empty data has no manifest", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}configuration.import.register`, { json: { data: {} } });
  assert.equal(response.status, 200, "the error comes with HTTP 200");
  assert.deepEqual(response.body.result, {
    error: "ERROR_MANIFEST_IS_NOT_AVAILABLE",
    error_description: "Manifest is not available.",
  });
});

test("oversized body is rejected", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}configuration.import.register`, {
    form: { "data[MANIFEST][CODE]": "x".repeat(9 * 1024 * 1024) },
  });
  assert.equal(response.status, 413);
  assert.equal(response.body.error, "EMULATOR_BODY_TOO_LARGE");
});

test("unknown method is 404", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}crm.deal.list`);
  assert.equal(response.status, 404);
  assert.deepEqual(response.body, { error: "ERROR_METHOD_NOT_FOUND", error_description: "Method not found!" });
});

test("success has time block", async (t) => {
  const emulator = await startForTest(t);
  const processId = await registerOverHttp(emulator);
  const { body } = await request(`${emulator.webhookUrl}configuration.import.get?processId=${processId}`);
  const { time } = body;

  assert.deepEqual(Object.keys(body), ["result", "time"], "result and time only");
  for (const field of ["start", "finish", "duration", "processing", "operating"]) {
    assert.equal(typeof time[field], "number", `${field} is a number`);
  }
  assert.ok(time.finish >= time.start, "finish is not before start");
  assert.ok(Math.abs(time.start - Date.now() / 1000) < 60, "start is Unix seconds");
  assert.match(time.date_start, ISO_WITH_OFFSET, "date_start is ISO 8601 with offset");
  assert.match(time.date_finish, ISO_WITH_OFFSET, "date_finish is ISO 8601 with offset");
  assert.ok(Number.isInteger(time.operating_reset_at), "operating_reset_at is integer seconds");
});

test("JSON escapes like PHP", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}configuration.import.unregister?processId=1`);
  assert.ok(response.text.includes("doesn\\u0027t found"), "apostrophe as \\u0027");
  assert.equal(response.body.result.error_description, "Process doesn't found.", "decodes to the plain text");
});

test("CORS preflight is answered", async (t) => {
  const emulator = await startForTest(t);
  const response = await fetch(`${emulator.webhookUrl}configuration.import.get`, {
    method: "OPTIONS",
    headers: {
      Origin: "http://localhost:5173",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type, x-emulator-fault",
    },
  });
  assert.equal(response.status, 204);
  assert.equal(response.headers.get("access-control-allow-origin"), "*");
  assert.match(response.headers.get("access-control-allow-methods"), /GET, POST, OPTIONS/);
  assert.match(response.headers.get("access-control-allow-headers"), /X-Emulator-Fault/);
  assert.equal(emulator.requests.length, 0, "a preflight is not a REST request");
});

test("answers carry CORS headers", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}configuration.import.get?processId=1`);
  assert.equal(response.headers.get("access-control-allow-origin"), "*");
  assert.equal(response.headers.get("access-control-expose-headers"), "Retry-After");
});

test("batch reports sub-error", async (t) => {
  const emulator = await startForTest(t);
  const processId = await registerOverHttp(emulator);
  const response = await request(`${emulator.webhookUrl}batch`, {
    json: { halt: 0, cmd: { status: `configuration.import.get?processId=${processId}`, broken: "no.such.method" } },
  });
  const batch = response.body.result;

  assert.equal(response.status, 200, "HTTP 200 despite a sub-error");
  assert.deepEqual(batch.result, { status: { status: "S" } }, "the good command has its result");
  assert.deepEqual(batch.result_error, {
    broken: { error: "ERROR_METHOD_NOT_FOUND", error_description: "Method not found!" },
  }, "the bad command is in result_error");
  assert.deepEqual(batch.result_total, [], "result_total is an empty PHP array");
  assert.deepEqual(batch.result_next, [], "result_next is an empty PHP array");
  assert.deepEqual(Object.keys(batch.result_time), ["status"], "result_time only for successes");
  assert.equal(typeof response.body.time.start, "number", "the batch has its own time block");
});

test("batch over 50 fails", async (t) => {
  const emulator = await startForTest(t);
  const cmd = Array.from({ length: 51 }, () => "configuration.import.get?processId=1");
  const response = await request(`${emulator.webhookUrl}batch`, { json: { cmd } });
  assert.equal(response.status, 400);
  assert.deepEqual(response.body, { error: "ERROR_BATCH_LENGTH_EXCEEDED", error_description: "Max batch length exceeded" });
});

test("batch of 50 succeeds", async (t) => {
  const emulator = await startForTest(t);
  const cmd = Array.from({ length: 50 }, () => "configuration.import.get?processId=1");
  const response = await request(`${emulator.webhookUrl}batch`, { json: { cmd } });
  assert.equal(response.status, 200);
  assert.equal(response.body.result.result.length, 50, "a list of commands gives a list of results");
  assert.deepEqual(response.body.result.result_error, [], "no errors is an empty PHP array");
});

test("batch list with error", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}batch`, {
    json: { cmd: ["configuration.import.get?processId=1", "nope", "configuration.import.get?processId=2"] },
  });
  assert.deepEqual(Object.keys(response.body.result.result), ["0", "2"], "results keep their keys");
  assert.deepEqual(Object.keys(response.body.result.result_error), ["1"], "the error keeps its key");
});

test("batch halt stops early", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}batch`, {
    json: { halt: 1, cmd: { a: "nope", b: "configuration.import.get?processId=1" } },
  });
  assert.deepEqual(response.body.result.result, [], "nothing runs after the error");
  assert.deepEqual(Object.keys(response.body.result.result_error), ["a"]);
});

test("batch resolves result references", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}batch`, {
    json: {
      cmd: {
        register: "configuration.import.register?data[MANIFEST][CODE]=test",
        status: "configuration.import.get?processId=$result[register][processId]",
      },
    },
  });
  assert.deepEqual(response.body.result.result.register, { processId: 101 });
  assert.deepEqual(response.body.result.result.status, { status: "S" });
});

test("batch form encoding works", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}batch`, {
    form: { "cmd[a]": "configuration.import.get?processId=7", halt: "0" },
  });
  assert.deepEqual(response.body.result.result, { a: { status: "U" } });
});

test("nested batch is refused", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}batch`, { json: { cmd: { inner: "batch?cmd[x]=y" } } });
  assert.equal(response.body.result.result_error.inner.error, "ERROR_BATCH_METHOD_NOT_ALLOWED");
});

test("batch logs one request", async (t) => {
  const emulator = await startForTest(t);
  await request(`${emulator.webhookUrl}batch`, {
    json: { cmd: { a: "configuration.import.get?processId=1", b: "configuration.import.get?processId=2" } },
  });
  const requests = emulator.requests;
  assert.equal(requests.length, 1);
  assert.equal(requests[0].method, "batch");
});

test("request log entry shape", async (t) => {
  const emulator = await startForTest(t);
  const processId = await registerOverHttp(emulator);
  await request(`${emulator.webhookUrl}configuration.import.get?processId=${processId}`);
  const [register, get] = emulator.requests;

  assert.deepEqual(Object.keys(get).sort(), ["at", "auth", "fault", "httpStatus", "method", "processId"]);
  assert.equal(register.processId, processId, "register logs the new id");
  assert.equal(get.method, "configuration.import.get");
  assert.equal(get.auth, "webhook");
  assert.equal(get.httpStatus, 200);
  assert.equal(get.fault, null);
  assert.equal(typeof get.at, "number");
});

test("logs hold no secrets", async (t) => {
  const lines = [];
  const emulator = await startForTest(t, { log: (line) => lines.push(line) });
  const token = emulator.issueToken();
  const secret = emulator.webhookUrl.split("/").at(-2);
  await registerOverHttp(emulator);
  await request(`${emulator.url}/rest/configuration.import.get?processId=101&auth=${token.access_token}`);
  await request(`${emulator.url}/rest/1/${secret}/${secret}?processId=1`);
  await request(`${emulator.url}/rest/1/wrong${secret}/configuration.import.get`);
  const logged = JSON.stringify(emulator.requests) + lines.join("\n");

  assert.ok(lines.length >= 4, "one line per request");
  assert.equal(logged.includes(secret), false, "no webhook secret");
  assert.equal(logged.includes(token.access_token), false, "no access token");
});
