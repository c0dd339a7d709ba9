// Import simulation: the state script, list quirks, outcomes, purge and unregister.

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DEFAULT_SCRIPT,
  describeStatus,
  getStatus,
  manualClock,
  registerOverHttp,
  request,
  startForTest,
} from "./helpers.mjs";

const PERIOD_MS = 1000;

// Reads the status after each agent run until the last state, with a manual clock.
async function walkScript(emulator, clock, processId, runs) {
  const states = [await getStatus(emulator, processId)];
  for (let run = 1; run <= runs; run += 1) {
    clock.advance(PERIOD_MS);
    states.push(await getStatus(emulator, processId));
  }
  return states;
}

async function startManual(t, options = {}) {
  const clock = manualClock();
  const emulator = await startForTest(t, { agentPeriodMs: PERIOD_MS, now: clock.now, ...options });
  return { emulator, clock };
}

// Real time: a loaded machine may skip short states, so this test checks only the order
// of the observed states. "default script matches every run" checks each state.
test("default run reaches F in order", async (t) => {
  const emulator = await startForTest(t, { agentPeriodMs: 30, firstRunDelayMs: 500 });
  const processId = await registerOverHttp(emulator);
  const expected = DEFAULT_SCRIPT.map((state) => JSON.stringify(state));

  const seen = [];
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const state = JSON.stringify(describeStatus(await getStatus(emulator, processId)));
    if (seen.at(-1) !== state) {
      seen.push(state);
    }
    if (state === expected.at(-1)) {
      break;
    }
  }

  const positions = seen.map((state) => expected.indexOf(state));
  assert.equal(seen[0], expected[0], "the first state is S");
  assert.equal(seen.at(-1), expected.at(-1), "the run ends with F");
  assert.ok(positions.every((position) => position !== -1), `every state is in the script: ${seen.join(" ")}`);
  assert.ok(positions.every((position, i) => i === 0 || position > positions[i - 1]), "states come in script order");
});

test("default script matches every run", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator);
  const states = await walkScript(emulator, clock, processId, DEFAULT_SCRIPT.length - 1);
  const described = states.map(describeStatus);

  assert.deepEqual(described.map((state) => state[0]), DEFAULT_SCRIPT.map((state) => state[0]), "statuses");
  assert.deepEqual(described.map((state) => state[1]), DEFAULT_SCRIPT.map((state) => state[1]), "actions");
  assert.deepEqual(described.map((state) => state[2]), DEFAULT_SCRIPT.map((state) => state[2]), "steps");
  assert.deepEqual(described.map((state) => state[3]), DEFAULT_SCRIPT.map((state) => state[3]), "sections");
  assert.ok(DEFAULT_SCRIPT.length >= 15, "at least 15 states");
  assert.ok(DEFAULT_SCRIPT.length <= 25, "at most 25 states");
});

test("final state stays F", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator);
  clock.advance(PERIOD_MS * 100);
  assert.equal((await getStatus(emulator, processId)).status, "F");
});

test("S lasts until first run", async (t) => {
  const { emulator, clock } = await startManual(t, { firstRunDelayMs: 5000 });
  const processId = await registerOverHttp(emulator);
  clock.advance(4999);
  assert.equal((await getStatus(emulator, processId)).status, "S");
  clock.advance(1);
  assert.deepEqual(describeStatus(await getStatus(emulator, processId)), ["P", "start", 0]);
});

test("fields present per status", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator);
  const states = await walkScript(emulator, clock, processId, DEFAULT_SCRIPT.length - 1);
  const started = states[0];
  const finishing = states.find((state) => state.progress?.action === "finish");
  const gap = states.find((state) => state.progress?.action === false);
  const finished = states.at(-1);

  assert.deepEqual(Object.keys(started), ["status"], "S has only status");
  assert.equal(Object.hasOwn(finishing.progress, "section"), false, "finish has no section");
  assert.deepEqual(gap.progress, { action: false, step: 0 }, "the gap has action false and step 0");
  assert.equal(Object.hasOwn(finished, "progress"), false, "F has no progress");
  assert.deepEqual(finished.additional, [], "F has additional as a PHP empty array");
  assert.deepEqual(finished.createItemList, [{ type: "crm_pipeline", id: "4" }], "F has createItemList");
  assert.ok(states.slice(1, -1).every((state) => !Object.hasOwn(state, "additional")), "P has no additional");
});

test("errors keep gap keys", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator);
  const states = await walkScript(emulator, clock, processId, DEFAULT_SCRIPT.length - 1);
  const finished = states.at(-1);

  assert.equal(Array.isArray(finished.errors), false, "errors is an object");
  assert.deepEqual(Object.keys(finished.errors), ["1", "4"], "errors keys have a gap");
  assert.equal(Array.isArray(finished.notice), true, "notice is an array");
  assert.equal(finished.notice.length, 4, "four notices");
  assert.equal(Object.hasOwn(finished, "exception"), false, "no exception list");
  assert.deepEqual(Object.keys(finished.errors["1"]), ["code", "message", "type"], "items are {code, message, type}");
  assert.equal(finished.errors["4"].type, "error");
});

test("lists accumulate over runs", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator);
  const states = await walkScript(emulator, clock, processId, DEFAULT_SCRIPT.length - 1);
  const noticeCounts = states.map((state) => (state.notice === undefined ? 0 : state.notice.length));

  assert.equal(noticeCounts[0], 0, "no notices before the first run");
  assert.ok(noticeCounts.every((count, i) => i === 0 || count >= noticeCounts[i - 1]), "notice counts never drop");
  assert.equal(noticeCounts.at(-1), 4, "all notices at the end");
});

test("php list shape follows keys", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator, { listShape: "php" });
  const states = await walkScript(emulator, clock, processId, DEFAULT_SCRIPT.length - 1);
  const finished = states.at(-1);
  const firstNotice = states.find((state) => state.notice !== undefined);

  assert.deepEqual(Object.keys(finished.notice), ["0", "2", "3", "5"], "notices with gaps become an object");
  assert.equal(Array.isArray(firstNotice.notice), true, "a gapless list stays an array");
  assert.deepEqual(Object.keys(finished.errors), ["1", "4"], "errors keep their keys");
});

test("array list shape drops keys", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator, { listShape: "array" });
  const states = await walkScript(emulator, clock, processId, DEFAULT_SCRIPT.length - 1);
  assert.equal(Array.isArray(states.at(-1).errors), true);
  assert.equal(states.at(-1).errors.length, 2);
});

test("custom notifications fire at selector", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator, {
    notifications: [
      { at: { action: "clean", section: "CRM_FIELDS" }, type: "error", message: "Clean failed." },
      { at: 2, type: "notice", message: "Second run.", code: "RUN_2" },
    ],
    listShape: "array",
  });
  const states = await walkScript(emulator, clock, processId, DEFAULT_SCRIPT.length - 1);
  const firstError = states.findIndex((state) => state.errors !== undefined);
  const firstNotice = states.findIndex((state) => state.notice !== undefined);

  assert.deepEqual(describeStatus(states[firstError]), ["P", "clean", 0, "CRM_FIELDS"], "the error appears at its step");
  assert.equal(firstNotice, 2, "the notice appears after run 2");
  assert.deepEqual(states[firstNotice].notice, [{ code: "RUN_2", message: "Second run.", type: "notice" }]);
});

test("skipClearing drops clean action", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator, { skipClearing: true });
  const states = await walkScript(emulator, clock, processId, DEFAULT_SCRIPT.length - 5);
  const actions = states.map((state) => state.progress?.action);

  assert.equal(actions.includes("clean"), false, "no clean step");
  assert.equal(states.at(-1).status, "F", "four runs fewer to F");
});

test("sections and files are configurable", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator, {
    sections: ["LANDING", "BIZPROC"],
    filesPerSection: { LANDING: 3, BIZPROC: 0 },
    initBackgroundSteps: 2,
  });
  const states = await walkScript(emulator, clock, processId, 14);
  const loads = states.filter((state) => state.progress?.action === "load").map(describeStatus);

  assert.deepEqual(loads, [
    ["P", "load", 0, "LANDING"],
    ["P", "load", 1, "LANDING"],
    ["P", "load", 2, "LANDING"],
  ]);
  assert.equal(states.filter((state) => state.progress?.action === "init_background").length, 2, "two init_background steps");
  assert.equal(states.at(-1).status, "F");
});

test("E outcome keeps progress", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator, { outcome: "E" });
  const states = await walkScript(emulator, clock, processId, DEFAULT_SCRIPT.length);
  const failing = states.findIndex((state) => state.exception !== undefined);
  const stopped = states[failing + 1];

  assert.equal(states[failing].status, "P", "the run that adds the exception still reads P");
  assert.deepEqual(describeStatus(states[failing]), ["P", "load", 1, "REST_APPLICATION"], "the exception hits the last load step");
  assert.equal(stopped.status, "E", "the next run reads E");
  assert.deepEqual(stopped.progress, states[failing].progress, "E keeps the progress");
  assert.deepEqual(stopped.exception, [{
    code: "ERROR_CONTENT_REST_APPLICATION_1",
    message: "Step 1: the file content could not be read.",
    type: "exception",
  }], "E keeps the exception");
  assert.equal(states.at(-1).status, "E", "E is final");
});

test("exceptionAt picks the step", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator, {
    outcome: "E",
    exceptionAt: { action: "load", section: "CRM_DEAL_CATEGORY", step: 1 },
    exceptionSameRun: true,
  });
  const states = await walkScript(emulator, clock, processId, 20);
  const failing = states.find((state) => state.exception !== undefined);

  assert.deepEqual(describeStatus(failing), ["E", "load", 1, "CRM_DEAL_CATEGORY"], "E comes in the same run");
});

test("E-no-details has no details", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator, { outcome: "E-no-details" });
  const before = await getStatus(emulator, processId);
  clock.advance(PERIOD_MS);
  const after = await getStatus(emulator, processId);
  clock.advance(PERIOD_MS * 10);
  const later = await getStatus(emulator, processId);

  assert.deepEqual(before, { status: "S" }, "S before the first run");
  assert.deepEqual(after, { status: "E" }, "E with nothing else after it");
  assert.deepEqual(later, { status: "E" }, "E is final");
});

test("unknown ids read U", async (t) => {
  const emulator = await startForTest(t);
  await registerOverHttp(emulator);
  for (const id of ["999999", "abc", "0", "-5", ""]) {
    const response = await request(`${emulator.webhookUrl}configuration.import.get?processId=${id}`);
    assert.equal(response.status, 200, `HTTP 200 for processId=${id}`);
    assert.deepEqual(response.body.result, { status: "U" }, `U for processId=${id}`);
  }
});

test("ids cast like PHP", async (t) => {
  const emulator = await startForTest(t);
  const processId = await registerOverHttp(emulator);
  assert.equal((await getStatus(emulator, `${processId}abc`)).status, "S", "leading digits count");
  assert.equal((await getStatus(emulator, ` ${processId}`)).status, "S", "leading space is skipped");
});

test("missing processId is error", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}configuration.import.get`);
  assert.equal(response.status, 400);
  assert.equal(response.body.error, 100);
  assert.equal(response.body.error_description, "Could not find value for parameter {processId}");
});

test("ids increase from 101", async (t) => {
  const emulator = await startForTest(t);
  const first = await registerOverHttp(emulator);
  const second = emulator.register();
  assert.equal(first, 101);
  assert.equal(second, 102);
});

test("purge after purgeAfterMs", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator, { purgeAfterMs: 5000 });
  clock.advance(PERIOD_MS * (DEFAULT_SCRIPT.length - 1));
  assert.equal((await getStatus(emulator, processId)).status, "F", "F right after the last run");
  clock.advance(4999);
  assert.equal((await getStatus(emulator, processId)).status, "F", "F until the purge time");
  clock.advance(1);
  assert.deepEqual(await getStatus(emulator, processId), { status: "U" }, "U after the purge");
});

test("default purge is three days", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = emulator.register();
  clock.advance(PERIOD_MS * (DEFAULT_SCRIPT.length - 1) + 3 * 24 * 3600 * 1000);
  assert.equal((await getStatus(emulator, processId)).status, "U");
});

test("unregister freezes running import", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator);
  clock.advance(PERIOD_MS * 3);
  const before = await getStatus(emulator, processId);
  const response = await request(`${emulator.webhookUrl}configuration.import.unregister`, { json: { processId } });
  clock.advance(PERIOD_MS * 50);
  const after = await getStatus(emulator, processId);
  const again = await request(`${emulator.webhookUrl}configuration.import.unregister`, { json: { processId } });

  assert.equal(response.status, 200);
  assert.deepEqual(response.body.result, { success: "Y" }, "the first unregister succeeds");
  assert.deepEqual(after, before, "the status stays where the agent stopped");
  assert.equal(again.status, 200, "a second unregister is HTTP 200");
  assert.equal(again.body.result.error, "PROCESS_NOT_FOUND", "a second unregister finds nothing");
});

test("unregister unknown id", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}configuration.import.unregister?processId=4242`);
  assert.equal(response.status, 200);
  assert.deepEqual(response.body.result, { error: "PROCESS_NOT_FOUND", error_description: "Process doesn't found." });
});

test("unregister after F fails", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = await registerOverHttp(emulator);
  clock.advance(PERIOD_MS * DEFAULT_SCRIPT.length);
  const response = await request(`${emulator.webhookUrl}configuration.import.unregister?processId=${processId}`);
  assert.equal(response.body.result.error, "PROCESS_NOT_FOUND");
});

test("form option carries scenario", async (t) => {
  const { emulator, clock } = await startManual(t);
  const response = await request(`${emulator.webhookUrl}configuration.import.register`, {
    form: {
      "data[MANIFEST][CODE]": "test",
      "option[emulator][outcome]": "E-no-details",
      "option[emulator][firstRunDelayMs]": "10",
    },
  });
  clock.advance(10);
  assert.equal(response.status, 200);
  assert.deepEqual(await getStatus(emulator, response.body.result.processId), { status: "E" });
});

test("invalid scenario is rejected", async (t) => {
  const emulator = await startForTest(t);
  const response = await request(`${emulator.webhookUrl}configuration.import.register`, {
    json: { data: { MANIFEST: { CODE: "test" } }, option: { emulator: { outcome: "maybe" } } },
  });
  assert.equal(response.status, 400);
  assert.equal(response.body.error, "EMULATOR_INVALID_SCENARIO");
  assert.match(response.body.error_description, /outcome must be one of F, E, E-no-details/);
  assert.throws(() => emulator.register({ sectoins: [] }), /unknown scenario field "sectoins"/);
});

test("jitter keeps runs ordered", async (t) => {
  const { emulator, clock } = await startManual(t);
  const processId = emulator.register({ jitterMs: 900 });
  const seen = [];
  for (let step = 0; step < (DEFAULT_SCRIPT.length + 2) * 10; step += 1) {
    seen.push(JSON.stringify(describeStatus(await getStatus(emulator, processId))));
    clock.advance(PERIOD_MS / 10);
  }
  const distinct = seen.filter((state, i) => i === 0 || state !== seen[i - 1]);
  assert.deepEqual(distinct, DEFAULT_SCRIPT.map((state) => JSON.stringify(state)));
});
