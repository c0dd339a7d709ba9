// The fault matrix (fault-matrix.mjs) against the portal emulator: every
// injected fault, through the webhook client and through the client over
// the BX24 library. A transient fault must leave the watch reaching its end
// with a clean sequence of updates. A fatal one must reject `done` at once
// with an error whose message tells the user what to do.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { WatchError } from "../../js/node.js";
import { startEmulator } from "../../tools/portal-emulator/server.mjs";
import { DOC_PATH, tableInDoc } from "../../scripts/reliability-table.mjs";
import { CLIENT_KINDS, FAULT_CASES, renderTable } from "./fault-matrix.mjs";
import { EMULATOR_OPTIONS, FAST, runFaultCase } from "./helpers.mjs";

// Timers and the emulator's clock both follow the wall clock, but they are
// read at slightly different moments.
const CLOCK_SLACK_MS = 10;

// The sections of the emulator's default scenario, in the order it imports them.
const SECTIONS = ["CRM_STATUS", "CRM_DEAL_CATEGORY", "CRM_FIELDS", "REST_APPLICATION"];

let emulator;

before(async () => {
  emulator = await startEmulator(EMULATOR_OPTIONS);
});

after(async () => {
  await emulator?.close();
});

for (const row of FAULT_CASES) {
  for (const kind of CLIENT_KINDS) {
    const expected = row[kind];
    test(`${row.fault} via ${kind}`, async () => {
      const run = await runFaultCase(emulator, row, kind);

      assertInjected(run, row);
      if (expected.result === "reject") {
        assertFatal(run, expected);
      } else {
        assertTransient(run, row, expected);
      }
    });
  }
}

test("expired token twice via bx24 fails", async () => {
  const row = { fault: "expired_token", params: { times: 2 }, bx24: { when: ["running"] } };

  const run = await runFaultCase(emulator, row, "bx24");

  assert.ok(run.error instanceof WatchError, `done resolved with ${run.status?.code}`);
  assert.equal(run.error.kind, "rest");
  assert.equal(run.error.code, "expired_token");
  assert.equal(run.error.retryable, false);
  assert.equal(run.double.refreshes, 1);
});

test("bx24 waits for operating reset", async () => {
  const row = FAULT_CASES.find((candidate) => candidate.fault === "operation_time_limit");

  const run = await runFaultCase(emulator, row, "bx24");

  assertWaitsForReset(run, row);
});

test("transient faults in a row give up", async () => {
  const row = { fault: "internal_error", params: { times: 3 }, options: { maxConsecutiveErrors: 3 }, webhook: { when: ["first"] } };

  const run = await runFaultCase(emulator, row, "webhook");

  assert.ok(run.error instanceof WatchError, `done resolved with ${run.status?.code}`);
  assert.equal(run.error.kind, "rest");
  assert.equal(run.error.code, "INTERNAL_SERVER_ERROR");
  assert.match(run.error.message, /Gave up after 3 failed requests in a row \(maxConsecutiveErrors\)/);
  assert.doesNotMatch(run.error.message, /will be retried/);
  assert.equal(run.requests.length, 3);
  assert.equal(run.updates.length, 3);
});

test("reliability table is current", () => {
  const documented = tableInDoc(readFileSync(DOC_PATH, "utf8"));

  assert.equal(documented, renderTable(), "run: node scripts/reliability-table.mjs --write");
});

/** Checks that the emulator served the fault as often as the row asked for. */
function assertInjected(run, row) {
  const faulted = run.requests.filter((request) => request.fault === row.fault);
  assert.equal(faulted.length, run.injections, `requests with fault ${row.fault}`);
}

function assertFatal(run, expected) {
  assert.ok(run.error instanceof WatchError, `done resolved with ${run.status?.code}`);
  assert.equal(run.error.name, "WatchError");
  for (const [field, value] of Object.entries(expected.error)) {
    assert.equal(run.error[field], value, `error.${field}`);
  }
  assert.equal(run.error.retryable, false);
  assert.match(run.error.message, expected.message);
  assert.equal(run.requests.length, 1, "a fatal error ends the watch without another request");

  const last = run.updates.at(-1);
  assert.equal(last.error?.code, expected.error.code);
  assert.equal(last.nextPollInMs, null);
}

function assertTransient(run, row, expected) {
  assert.equal(run.error, null, `done rejected: ${run.error?.message}`);
  assert.equal(run.status.code, expected.result);
  assert.equal(run.updates.at(-1).status.code, expected.result);

  const failed = run.updates.filter((update) => update.error !== null);
  if (expected.error !== undefined) {
    assert.equal(failed.length, run.injections, "one failed poll per injected fault");
    for (const update of failed) {
      for (const [field, value] of Object.entries(expected.error)) {
        assert.equal(update.error[field], value, `error.${field}`);
      }
      assert.equal(update.error.retryable, true);
      assert.ok(update.nextPollInMs !== null, "a retry is scheduled");
      if (expected.message !== undefined) assert.match(update.error.message, expected.message);
    }
  } else if (expected.refreshes === undefined) {
    assert.deepEqual(failed.map((update) => update.error.message), []);
  }

  assertAttemptsCount(run.updates);
  assertStatusKeptOnError(run.updates);
  assertChangedFlags(run.updates);
  assertNoStepBack(run.updates);
  if (!expected.hugeNotices) assertNoDuplicateChange(run.updates);

  if (expected.waitMs !== undefined) assertWaits(run, row, expected.waitMs);
  if (expected.waitsForReset) assertWaitsForReset(run, row);
  if (expected.refreshes !== undefined) assertRefreshed(run, expected.refreshes);
  if (expected.hugeNotices) {
    assert.ok(run.updates.some((update) => update.status?.notices.length > 1000), "an update carries the huge notice list");
  }
  if (expected.result === "U") {
    assert.ok(run.updates.some((update) => update.status?.code === "P"), "P came before U");
  }
}

function assertAttemptsCount(updates) {
  updates.forEach((update, index) => assert.equal(update.attempt, index + 1, `attempt of update ${index + 1}`));
}

/** Checks that a failed poll reports the last good status, or null before the first one. */
function assertStatusKeptOnError(updates) {
  updates.forEach((update, index) => {
    if (update.error === null) return;
    const previous = index === 0 ? null : updates[index - 1].status;
    assert.deepEqual(update.status, previous, `status of failed update ${index + 1}`);
  });
}

/** Checks that `changed` is true exactly when the status differs from the one reported before it. */
function assertChangedFlags(updates) {
  let previous = null;
  updates.forEach((update, index) => {
    const differs = update.status !== null && (previous === null || stateKey(update.status) !== stateKey(previous));
    assert.equal(update.changed, differs, `changed of update ${index + 1}`);
    previous = update.status;
  });
}

/** Checks that no status is reported as new twice. */
function assertNoDuplicateChange(updates) {
  const seen = new Map();
  updates.forEach((update, index) => {
    if (!update.changed) return;
    const key = stateKey(update.status);
    assert.ok(!seen.has(key), `update ${index + 1} repeats the change of update ${seen.get(key)}`);
    seen.set(key, index + 1);
  });
}

/** Checks that the import never moves backwards: status letter, phase, section, then step. */
function assertNoStepBack(updates) {
  let previous = null;
  updates.forEach((update, index) => {
    if (update.status === null) return;
    const position = progressPosition(update.status);
    if (previous !== null) {
      assert.ok(comparePositions(position, previous) >= 0, `update ${index + 1} moved from [${previous}] back to [${position}]`);
    }
    previous = position;
  });
}

function assertWaits(run, row, waitMs) {
  for (const [faulted, next] of faultedAndNext(run, row)) {
    assert.ok(next.at - faulted.at >= waitMs - CLOCK_SLACK_MS, `next request ${next.at - faulted.at} ms after the fault`);
  }
  for (const update of run.updates.filter((candidate) => candidate.error !== null)) {
    assert.ok(update.nextPollInMs >= waitMs, `nextPollInMs ${update.nextPollInMs}`);
  }
}

/**
 * Checks that each request after the fault waits for `operating_reset_at`,
 * which the emulator sets to the whole second after `resetAfterMs`.
 */
function assertWaitsForReset(run, row) {
  const pairs = faultedAndNext(run, row);
  assert.ok(pairs.length > 0, "a request followed the fault");
  for (const [faulted, next] of pairs) {
    const resetAtMs = Math.ceil((faulted.at + row.params.resetAfterMs) / 1000) * 1000;
    assert.ok(next.at >= resetAtMs - CLOCK_SLACK_MS, `next request ${resetAtMs - next.at} ms before the reset`);
  }
}

function assertRefreshed(run, refreshes) {
  assert.equal(run.double.refreshes, refreshes, "refreshAuth calls");
  const [firstToken] = run.double.tokens;
  const lastToken = run.double.tokens.at(-1);
  assert.notEqual(lastToken, firstToken, "requests after the refresh use the new token");
}

/** Pairs each faulted request with the request after it, when there is one. */
function faultedAndNext(run, row) {
  const pairs = [];
  run.requests.forEach((request, index) => {
    const next = run.requests[index + 1];
    if (request.fault === row.fault && next !== undefined) pairs.push([request, next]);
  });
  return pairs;
}

/** The state of a status without its `time` block, which changes on every request. */
function stateKey(status) {
  return JSON.stringify({ ...status, time: null });
}

function progressPosition(status) {
  if (status.code === "S") return [0];
  if (status.terminal) return [2];
  const progress = status.progress;
  const inGap = progress?.action === null ? 1 : 0;
  return [1, status.phase?.index ?? -1, inGap, SECTIONS.indexOf(progress?.section ?? ""), progress?.step ?? 0];
}

function comparePositions(left, right) {
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const a = left[index] ?? -Infinity;
    const b = right[index] ?? -Infinity;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

// FAST is what the rows assume; fail early if it drifts from the fault timings.
assert.ok(FAST.requestTimeoutMs < FAULT_CASES.find((row) => row.fault === "slow").params.delayMs);
