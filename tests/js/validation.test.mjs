// Invalid arguments: each gives a WatchError of kind invalid_argument whose
// message shows the value and what is allowed, before any request. Every
// watch case runs twice: with a function client that counts its calls, and
// with the webhook client against the emulator, whose request log must not
// grow.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { watchImport, getImportStatus, webhookClient, bx24Client, WatchError } from "../../js/node.js";
import { startEmulator } from "../../tools/portal-emulator/server.mjs";

const PROCESS_ID_RULE = "expected a positive integer or a string of digits";
const DURATION_RULE = "expected a whole number of milliseconds from";
const WEBHOOK_RULE = "Expected https://PORTAL/rest/USER_ID/SECRET/";
const CLIENT_CHOICES = "webhookClient(url)";

let emulator;

before(async () => {
  emulator = await startEmulator({ port: 0, agentPeriodMs: 60_000 });
});

after(async () => {
  await emulator?.close();
});

// Each case: the arguments of watchImport (processId, callback, options
// without client) and the texts its message must contain.
const WATCH_CASES = [
  { name: "processId 0", processId: 0, shows: "invalid processId 0:", rule: PROCESS_ID_RULE },
  { name: "processId negative", processId: -1, shows: "invalid processId -1:", rule: PROCESS_ID_RULE },
  { name: "processId 1.5", processId: 1.5, shows: "invalid processId 1.5:", rule: PROCESS_ID_RULE },
  { name: "processId letters", processId: "abc", shows: 'invalid processId "abc":', rule: PROCESS_ID_RULE },
  { name: "processId empty string", processId: "", shows: 'invalid processId "":', rule: PROCESS_ID_RULE },
  { name: "processId 30 digits", processId: "1".repeat(30), shows: `invalid processId "${"1".repeat(30)}":`, rule: PROCESS_ID_RULE },
  { name: "processId null", processId: null, shows: "invalid processId null:", rule: PROCESS_ID_RULE },
  { name: "processId undefined", processId: undefined, shows: "invalid processId undefined:", rule: PROCESS_ID_RULE },
  { name: "processId object", processId: { id: 5 }, shows: "invalid processId an object:", rule: PROCESS_ID_RULE },
  { name: "processId NaN", processId: NaN, shows: "invalid processId NaN:", rule: PROCESS_ID_RULE },
  { name: "processId Infinity", processId: Infinity, shows: "invalid processId Infinity:", rule: PROCESS_ID_RULE },
  { name: "processId true", processId: true, shows: "invalid processId true:", rule: PROCESS_ID_RULE },
  { name: "processId too large", processId: 2 ** 53, shows: `invalid processId ${2 ** 53}:`, rule: PROCESS_ID_RULE },

  { name: "intervalMs negative", options: { intervalMs: -1 }, shows: "invalid intervalMs -1:", rule: `${DURATION_RULE} 1 to 2147483647` },
  { name: "minIntervalMs negative", options: { minIntervalMs: -5 }, shows: "invalid minIntervalMs -5:", rule: `${DURATION_RULE} 0 to 2147483647` },
  { name: "minIntervalMs above intervalMs", options: { intervalMs: 5000, minIntervalMs: 10000 }, shows: "invalid minIntervalMs 10000:", rule: "it is above intervalMs 5000;" },
  { name: "minIntervalMs above agent default", options: { minIntervalMs: 200000 }, shows: "invalid minIntervalMs 200000:", rule: 'above the default intervalMs 180000 of schedule "agent"' },
  { name: "minIntervalMs above fixed default", options: { schedule: "fixed", minIntervalMs: 100000 }, shows: "invalid minIntervalMs 100000:", rule: 'above the default intervalMs 60000 of schedule "fixed"' },
  { name: "intervalMs not numeric", options: { intervalMs: "fast" }, shows: 'invalid intervalMs "fast":', rule: DURATION_RULE },
  { name: "intervalMs NaN", options: { intervalMs: NaN }, shows: "invalid intervalMs NaN:", rule: DURATION_RULE },
  { name: "timeoutMs Infinity", options: { timeoutMs: Infinity }, shows: "invalid timeoutMs Infinity:", rule: DURATION_RULE },
  { name: "intervalMs above timer max", options: { intervalMs: 2 ** 31 }, shows: "invalid intervalMs 2147483648:", rule: "to 2147483647" },
  { name: "requestTimeoutMs as string", options: { requestTimeoutMs: "1000" }, shows: 'invalid requestTimeoutMs "1000":', rule: DURATION_RULE },
  { name: "requestTimeoutMs zero", options: { requestTimeoutMs: 0 }, shows: "invalid requestTimeoutMs 0:", rule: `${DURATION_RULE} 1 to` },
  { name: "intervalMs fraction", options: { intervalMs: 1.5 }, shows: "invalid intervalMs 1.5:", rule: DURATION_RULE },
  { name: "maxConsecutiveErrors zero", options: { maxConsecutiveErrors: 0 }, shows: "invalid maxConsecutiveErrors 0:", rule: "expected an integer from 1 to 1000000" },
  { name: "maxConsecutiveErrors string", options: { maxConsecutiveErrors: "3" }, shows: 'invalid maxConsecutiveErrors "3":', rule: "expected an integer from 1" },
  { name: "unknown option", options: { interval: 10 }, shows: 'unknown option "interval"', rule: "intervalMs" },
  { name: "signal not AbortSignal", options: { signal: {} }, shows: "invalid signal", rule: "expected an AbortSignal, got an object" },
  { name: "logger not function", options: { logger: 5 }, shows: "invalid logger", rule: "expected a function (level, message) => void, got a number" },

  { name: "options number", rawOptions: 5, shows: "invalid options 5:", rule: "expected an object" },
  { name: "options string", rawOptions: "fast", shows: 'invalid options "fast":', rule: "expected an object" },
  { name: "options boolean", rawOptions: true, shows: "invalid options true:", rule: "expected an object" },
  { name: "options array", rawOptions: [], shows: "invalid options an array:", rule: "expected an object" },

  { name: "callback number", callback: 5, shows: "invalid callback 5:", rule: "expected a function (update) => void" },
  { name: "callback string", callback: "render", shows: 'invalid callback "render":', rule: "expected a function" },
  { name: "callback null", callback: null, shows: "invalid callback null:", rule: "expected a function" },
  { name: "callback missing", callback: undefined, shows: "invalid callback undefined:", rule: "expected a function" },

  { name: "client empty object", client: {}, shows: "invalid client: got an object", rule: CLIENT_CHOICES },
  { name: "client number", client: 5, shows: "invalid client: got a number", rule: CLIENT_CHOICES },
  { name: "client callMethod not function", client: { callMethod: 5 }, shows: "invalid client: got an object", rule: CLIENT_CHOICES },
];

for (const testCase of WATCH_CASES) {
  test(`${testCase.name} rejects`, async () => {
    const fake = countingClient();
    const { watch, callbackCalls } = startWatch(testCase, fake.client);

    const error = await rejection(watch.done);

    assertInvalidArgument(error, testCase);
    assert.equal(watch.latest, null);
    assert.equal(callbackCalls(), 0, "callback calls");
    assert.equal(fake.calls(), 0, "client calls");
  });

  test(`${testCase.name} sends nothing`, async () => {
    const logged = emulator.requests.length;
    const { watch } = startWatch(testCase, webhookClient(emulator.webhookUrl));

    const error = await rejection(watch.done);

    assertInvalidArgument(error, testCase);
    assert.equal(emulator.requests.length, logged, "requests to the emulator");
  });
}

test("getImportStatus rejects bad arguments", async () => {
  const fake = countingClient();
  const logged = emulator.requests.length;

  const badId = await rejection(getImportStatus("abc", { client: fake.client }));
  const badOption = await rejection(getImportStatus(1, { client: webhookClient(emulator.webhookUrl), intervalMs: -1 }));

  assertInvalidArgument(badId, { shows: 'invalid processId "abc":', rule: PROCESS_ID_RULE });
  assertInvalidArgument(badOption, { shows: "invalid intervalMs -1:", rule: DURATION_RULE });
  assert.equal(fake.calls(), 0, "client calls");
  assert.equal(emulator.requests.length, logged, "requests to the emulator");
});

test("stop after invalid argument is quiet", async () => {
  const watch = watchImport(0, () => {}, { client: countingClient().client });

  watch.stop();

  const error = await rejection(watch.done);
  assert.equal(error.kind, "invalid_argument");
});

const SECRET = "k3x9q0m2p7w4d1zs";
const WEBHOOK_CASES = [
  { name: "empty", url: "", reason: "it has no https:// scheme" },
  { name: "no scheme", url: `portal.example/rest/1/${SECRET}/`, reason: "it has no https:// scheme" },
  { name: "plain http", url: `http://portal.example/rest/1/${SECRET}/`, reason: "http:// is allowed only for 127.0.0.1 and localhost" },
  { name: "ftp scheme", url: `ftp://portal.example/rest/1/${SECRET}/`, reason: "its scheme is not https://" },
  { name: "wrong path", url: `https://portal.example/api/1/${SECRET}/`, reason: "its path is not /rest/USER_ID/SECRET/" },
  { name: "user id letters", url: `https://portal.example/rest/me/${SECRET}/`, reason: "its path is not /rest/USER_ID/SECRET/" },
  { name: "empty secret", url: "https://portal.example/rest/1//", reason: "its path is not /rest/USER_ID/SECRET/" },
  { name: "method appended", url: `https://portal.example/rest/1/${SECRET}/profile.json`, reason: "its path is not /rest/USER_ID/SECRET/" },
  { name: "query string", url: `https://portal.example/rest/1/${SECRET}/?auth=x`, reason: "it has a query string or a fragment" },
  { name: "user info", url: `https://${SECRET}@portal.example/rest/1/x/`, reason: "it has no host, or user info before the host" },
];

for (const { name, url, reason } of WEBHOOK_CASES) {
  test(`webhookClient ${name} throws`, () => {
    const logged = emulator.requests.length;

    const error = thrown(() => webhookClient(url));

    assertInvalidArgument(error, { shows: `invalid webhook URL: ${reason}`, rule: WEBHOOK_RULE });
    assert.ok(!error.message.includes(SECRET), "the message shows the secret");
    assert.equal(emulator.requests.length, logged, "requests to the emulator");
  });
}

for (const [name, value] of [["number", 5], ["undefined", undefined], ["object", {}]]) {
  test(`webhookClient ${name} throws`, () => {
    const error = thrown(() => webhookClient(value));

    assertInvalidArgument(error, { shows: "webhookClient needs the webhook URL as a string", rule: "https://PORTAL/rest/USER_ID/SECRET/" });
  });
}

for (const [name, value] of [["empty object", {}], ["number", 5], ["null", null], ["callMethod not function", { callMethod: "x" }]]) {
  test(`bx24Client ${name} throws`, () => {
    const error = thrown(() => bx24Client(value));

    assertInvalidArgument(error, { shows: "bx24Client needs the BX24 library", rule: "callMethod(method, params, callback)" });
  });
}

test("bx24Client without BX24 throws", () => {
  assert.equal(globalThis.BX24, undefined);

  const error = thrown(() => bx24Client());

  assertInvalidArgument(error, { shows: "bx24Client needs the BX24 library", rule: "//api.bitrix24.com/api/v1/" });
});

/** Starts a watch from a case; the case's `client` wins over `client`. */
function startWatch(testCase, client) {
  let calls = 0;
  const callback = "callback" in testCase ? testCase.callback : () => (calls += 1);
  const options = "rawOptions" in testCase ? testCase.rawOptions : { client: "client" in testCase ? testCase.client : client, ...testCase.options };
  const processId = "processId" in testCase ? testCase.processId : 101;
  return { watch: watchImport(processId, callback, options), callbackCalls: () => calls };
}

function countingClient() {
  let calls = 0;
  return {
    client: async () => {
      calls += 1;
      return { result: { status: "F" } };
    },
    calls: () => calls,
  };
}

function assertInvalidArgument(error, { shows, rule }) {
  assert.ok(error instanceof WatchError, `got ${error}`);
  assert.equal(error.name, "WatchError");
  assert.equal(error.kind, "invalid_argument");
  assert.equal(error.retryable, false);
  assert.ok(error.message.includes(shows), `message ${JSON.stringify(error.message)} does not show ${JSON.stringify(shows)}`);
  assert.ok(error.message.includes(rule), `message ${JSON.stringify(error.message)} does not say ${JSON.stringify(rule)}`);
}

async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("the promise resolved");
}

function thrown(work) {
  try {
    work();
  } catch (error) {
    return error;
  }
  assert.fail("no error was thrown");
}
