// Every recorded portal response, parsed through the package entry in Node.
import { test } from "node:test";
import assert from "node:assert/strict";

import { parseImportStatus, WatchError } from "../../js/node.js";
import { loadFixtures } from "./helpers.mjs";

const fixtures = Object.fromEntries(loadFixtures().map((fixture) => [fixture.name, fixture]));

function parse(name) {
  return parseImportStatus(fixtures[name].body, 42);
}

function parseError(name) {
  const fixture = fixtures[name];
  try {
    parseImportStatus(fixture.body ?? fixture.body_text);
  } catch (error) {
    return error;
  }
  assert.fail(`${name} parsed without an error`);
}

test("every fixture has a case", () => {
  const covered = [
    "get-started", "get-progress-manifest", "get-progress-load-notices-list", "get-progress-errors-object",
    "get-progress-finishing-gap", "get-progress-operating-time", "get-finished", "get-finished-empty",
    "get-error-exception", "get-error-no-details", "get-unknown", "error-empty-code", "error-expired-token",
    "error-html-gateway", "error-insufficient-scope", "error-method-not-found", "error-query-limit",
  ];
  assert.deepEqual(Object.keys(fixtures).sort(), [...covered].sort());
});

test("started status", () => {
  const status = parse("get-started");
  assert.equal(status.code, "S");
  assert.equal(status.state, "started");
  assert.equal(status.terminal, false);
  assert.equal(status.progress, null);
  assert.equal(status.phase, null);
  assert.deepEqual(status.notices, []);
  assert.equal(status.time.start, 1733317200.1021);
  assert.equal(status.time.dateStart, "2024-12-04T15:00:00+03:00");
  assert.equal(status.time.operating, null);
});

test("manifest progress", () => {
  const status = parse("get-progress-manifest");
  assert.equal(status.code, "P");
  assert.equal(status.state, "running");
  assert.deepEqual(status.progress, { action: "manifest", step: 0, section: "REST_APPLICATION" });
  assert.deepEqual(status.phase, { index: 2, count: 6 });
});

test("load progress with notice array", () => {
  const status = parse("get-progress-load-notices-list");
  assert.deepEqual(status.progress, { action: "load", step: 7, section: "CRM_STATUS" });
  assert.deepEqual(status.phase, { index: 4, count: 6 });
  assert.equal(status.notices.length, 2);
  assert.equal(status.notices[0].code, "");
  assert.match(status.notices[0].message, /^Field UF_CRM_1612 was renamed/);
  assert.equal(status.notices[1].code, "SANITIZE_4_7");
  assert.equal(status.notices[1].type, "notice");
});

test("lists sent as objects", () => {
  const status = parse("get-progress-errors-object");
  assert.equal(status.notices.length, 1);
  assert.match(status.notices[0].message, /^Pipeline "Sales" already exists/);
  assert.equal(status.errors.length, 2);
  assert.match(status.errors[0].message, /C3:WON/);
  assert.match(status.errors[1].message, /C3:NEW/);
  assert.equal(status.errors[1].type, "error");
  assert.deepEqual(status.exceptions, []);
});

test("finishing gap has null action", () => {
  const status = parse("get-progress-finishing-gap");
  assert.equal(status.code, "P");
  assert.deepEqual(status.progress, { action: null, step: 0, section: null });
  assert.deepEqual(status.phase, { index: 5, count: 6 });
});

test("operating time fields", () => {
  const status = parse("get-progress-operating-time");
  assert.deepEqual(status.progress, { action: "clean", step: 1, section: "CRM_FIELDS" });
  assert.equal(status.time.operating, 12.4);
  assert.equal(status.time.operatingResetAt, 1733318220);
});

test("finished with data", () => {
  const status = parse("get-finished");
  assert.equal(status.code, "F");
  assert.equal(status.state, "finished");
  assert.equal(status.terminal, true);
  assert.deepEqual(status.additional, { landing: { siteId: 12 } });
  assert.deepEqual(status.createdItems, [{ type: "crm_pipeline", id: "4" }]);
  assert.equal(status.notices.length, 1);
});

test("finished empty", () => {
  const status = parse("get-finished-empty");
  assert.equal(status.code, "F");
  assert.deepEqual(status.additional, []);
  assert.deepEqual(status.createdItems, []);
});

test("error with exception", () => {
  const status = parse("get-error-exception");
  assert.equal(status.code, "E");
  assert.equal(status.state, "failed");
  assert.equal(status.terminal, true);
  assert.deepEqual(status.progress, { action: "load", step: 3, section: "REST_APPLICATION" });
  assert.equal(status.exceptions.length, 1);
  assert.equal(status.exceptions[0].code, "ERROR_CONTENT_REST_APPLICATION_3");
  assert.equal(status.exceptions[0].type, "exception");
});

test("error without details", () => {
  const status = parse("get-error-no-details");
  assert.equal(status.code, "E");
  assert.equal(status.progress, null);
  assert.equal(status.phase, null);
  assert.deepEqual(status.exceptions, []);
});

test("unknown process", () => {
  const status = parse("get-unknown");
  assert.equal(status.code, "U");
  assert.equal(status.state, "unknown");
  assert.equal(status.terminal, true);
});

const errorCases = [
  ["error-empty-code", "", false],
  ["error-expired-token", "expired_token", false],
  ["error-insufficient-scope", "insufficient_scope", false],
  ["error-method-not-found", "ERROR_METHOD_NOT_FOUND", false],
  ["error-query-limit", "QUERY_LIMIT_EXCEEDED", true],
];

for (const [name, code, retryable] of errorCases) {
  test(`${name} throws`, () => {
    const error = parseError(name);
    assert.ok(error instanceof WatchError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, "WatchError");
    assert.equal(error.kind, "rest");
    assert.equal(error.code, code);
    assert.equal(error.retryable, retryable);
    assert.match(error.message, /^configuration\.import\.get returned /);
  });
}

test("scope error says what to do", () => {
  assert.match(parseError("error-insufficient-scope").message, /add the configuration\.import scope/);
});

test("HTML gateway page throws", () => {
  const error = parseError("error-html-gateway");
  assert.equal(error.kind, "invalid_response");
  assert.equal(error.retryable, true);
  assert.match(error.message, /HTML page/);
});
