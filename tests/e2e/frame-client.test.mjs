// The frame clients in Node, without a browser: b24jssdkClient over objects
// that return and throw the SDK's own AjaxResult and AjaxError classes, the
// BX24 client's token refresh, and a webhook's token error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { AjaxError, AjaxResult, B24Hook } from "@bitrix24/b24jssdk";

import { b24jssdkClient, bx24Client, getImportStatus, watchImport, webhookClient } from "../../js/node.js";
import { startEmulator } from "../../tools/portal-emulator/server.mjs";

const GET_METHOD = "configuration.import.get";
const PROCESS_ID = 42;
const FAST = { intervalMs: 10, minIntervalMs: 10 };
const FRAME_TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

const STARTED = { result: { status: "S" }, time: { start: 1733317200.1, finish: 1733317200.13 } };
const FINISHED = { result: { status: "F", additional: [], createItemList: [] }, time: {} };

let emulator;

before(async () => {
  emulator = await startEmulator({ port: 0, agentPeriodMs: 20, firstRunDelayMs: 0 });
});

after(async () => {
  await emulator?.close();
});

function okResult(method, params, answer) {
  return new AjaxResult({ answer, query: { method, params, requestId: "test" }, status: 200 });
}

function sdkError(code, status, description) {
  return new AjaxError({ code, status, description, requestInfo: { method: GET_METHOD, params: {} } });
}

/**
 * An object with the SDK's call API. Each call takes the next step of
 * `script` (the last one repeats): a response body to wrap in an AjaxResult, an
 * AjaxError to throw, or a function that returns either, possibly later.
 * `hook` makes its auth data look like a B24Hook's.
 */
function sdkDouble(script, { hook = false, withActions = true } = {}) {
  const calls = [];
  const run = async (method, params) => {
    const step = script[Math.min(calls.length, script.length - 1)];
    calls.push({ method, params });
    const outcome = typeof step === "function" ? await step() : step;
    if (outcome instanceof Error) {
      throw outcome;
    }
    return outcome instanceof AjaxResult ? outcome : okResult(method, params, outcome);
  };
  const auth = {
    getAuthData: () => ({ access_token: FRAME_TOKEN, refresh_token: hook ? "hook" : "f9e8d7c6b5a4", expires_in: 3600 }),
  };
  const double = { calls, auth, getHttpClient: () => ({}), callMethod: (method, params) => run(method, params) };
  if (withActions) {
    double.actions = { v2: { call: { make: ({ method, params }) => run(method, params) } } };
  }
  return double;
}

function collect() {
  const updates = [];
  return { updates, callback: (update) => updates.push(update) };
}

test("b24jssdkClient rejects other values", () => {
  for (const value of [undefined, null, {}, { callMethod() {} }, "https://portal/rest/1/x/"]) {
    assert.throws(
      () => b24jssdkClient(value),
      (error) => error.kind === "invalid_argument" && /initializeB24Frame\(\)/.test(error.message) && /B24Hook\.fromWebhookUrl/.test(error.message),
    );
  }
});

test("b24jssdk client watches to F", async () => {
  const double = sdkDouble([STARTED, FINISHED]);
  const client = b24jssdkClient(double);
  const { updates, callback } = collect();

  const final = await watchImport(PROCESS_ID, callback, { client, ...FAST }).done;

  assert.equal(client.kind, "b24jssdk");
  assert.equal(final.code, "F");
  assert.deepEqual(updates.map((update) => update.status.code), ["S", "F"]);
  assert.deepEqual(double.calls[0], { method: GET_METHOD, params: { processId: PROCESS_ID } });
});

test("b24jssdk client falls back to callMethod", async () => {
  const double = sdkDouble([FINISHED], { withActions: false });

  const final = await getImportStatus(PROCESS_ID, { client: b24jssdkClient(double) });

  assert.equal(final.code, "F");
  assert.equal(double.calls.length, 1);
});

test("SDK object works as client", async () => {
  const double = sdkDouble([FINISHED]);

  const final = await getImportStatus(PROCESS_ID, { client: double });

  assert.equal(final.code, "F", "the object is used as the SDK, not as BX24");
});

test("b24jssdk client call returns body", async () => {
  const double = sdkDouble([{ result: { processId: 7 }, time: {} }]);

  const body = await b24jssdkClient(double).call("configuration.import.register", { data: { MANIFEST: "x" } });

  assert.deepEqual(body.result, { processId: 7 });
  assert.deepEqual(double.calls[0].params, { data: { MANIFEST: "x" } });
});

test("SDK scope error is fatal", async () => {
  const double = sdkDouble([sdkError("insufficient_scope", 403, "The request requires higher privileges than provided by the access token")]);

  const error = await watchImport(PROCESS_ID, () => {}, { client: b24jssdkClient(double), ...FAST }).done.then(
    () => assert.fail("the watch should fail"),
    (thrown) => thrown,
  );

  assert.equal(error.name, "WatchError");
  assert.equal(error.kind, "rest");
  assert.equal(error.code, "insufficient_scope");
  assert.equal(error.httpStatus, 403);
  assert.equal(error.retryable, false);
  assert.match(error.message, /^configuration\.import\.get returned 403 insufficient_scope \(The request requires/);
  assert.match(error.message, /add the configuration\.import scope to the app \(or the webhook\) and reinstall it$/);
  assert.equal(double.calls.length, 1);
});

test("SDK error result is mapped", async () => {
  const unsuccessful = new AjaxResult({
    answer: { error: "ERROR_METHOD_NOT_FOUND", error_description: "Method not found!" },
    query: { method: GET_METHOD, params: {} },
    status: 200,
  });
  const double = sdkDouble([unsuccessful]);

  const error = await getImportStatus(PROCESS_ID, { client: b24jssdkClient(double) }).then(
    () => assert.fail("the read should fail"),
    (thrown) => thrown,
  );

  assert.equal(error.code, "ERROR_METHOD_NOT_FOUND");
  assert.equal(error.httpStatus, 200);
  assert.match(error.message, /older than 21\.400\.0/);
});

test("SDK rate limit is retried by watcher", async () => {
  const double = sdkDouble([sdkError("QUERY_LIMIT_EXCEEDED", 503, "Too many requests"), FINISHED]);
  const { updates, callback } = collect();

  const final = await watchImport(PROCESS_ID, callback, { client: b24jssdkClient(double), ...FAST }).done;

  assert.equal(final.code, "F");
  assert.equal(updates[0].error.code, "QUERY_LIMIT_EXCEEDED");
  assert.equal(updates[0].error.httpStatus, 503);
  assert.equal(updates[0].error.retryable, true);
  assert.equal(double.calls.length, 2, "one call per poll: the SDK did its own retries inside the first");
});

test("SDK network error is retryable", async () => {
  const double = sdkDouble([sdkError("NETWORK_ERROR", 0, "Network connection failed"), FINISHED]);
  const { updates, callback } = collect();

  await watchImport(PROCESS_ID, callback, { client: b24jssdkClient(double), ...FAST }).done;

  const [failed] = updates;
  assert.equal(failed.error.kind, "network");
  assert.equal(failed.error.httpStatus, null);
  assert.equal(failed.error.retryable, true);
  assert.match(failed.error.message, /no response arrived \(NETWORK_ERROR: Network connection failed\)/);
});

test("SDK token error after refresh is fatal", async () => {
  const double = sdkDouble([sdkError("expired_token", 401, "The access token provided has expired.")]);

  const error = await watchImport(PROCESS_ID, () => {}, { client: b24jssdkClient(double), ...FAST }).done.then(
    () => assert.fail("the watch should fail"),
    (thrown) => thrown,
  );

  assert.equal(error.code, "expired_token");
  assert.equal(error.retryable, false);
  assert.match(error.message, /the token was refreshed once and the portal rejected the new one as well/);
  assert.match(error.message, /the user must reopen the app$/);
  assert.equal(double.calls.length, 1, "the SDK has refreshed and retried already, so no second call");
});

test("B24Hook token error names webhook", async () => {
  const double = sdkDouble([sdkError("invalid_token", 401, "The access token provided is invalid.")], { hook: true });

  const error = await getImportStatus(PROCESS_ID, { client: b24jssdkClient(double) }).then(
    () => assert.fail("the read should fail"),
    (thrown) => thrown,
  );

  assert.equal(error.code, "invalid_token");
  assert.match(error.message, /a webhook or a client function has no refresh token/);
  assert.doesNotMatch(error.message, /reopen the app$/);
});

test("SDK messages hide token", async () => {
  const double = sdkDouble([sdkError("JSSDK_UNKNOWN_ERROR", 0, `request with auth=${FRAME_TOKEN} failed`)]);

  const error = await getImportStatus(PROCESS_ID, { client: b24jssdkClient(double) }).then(
    () => assert.fail("the read should fail"),
    (thrown) => thrown,
  );

  assert.equal(error.kind, "network");
  assert.equal(error.message.includes(FRAME_TOKEN), false, error.message);
  assert.match(error.message, /auth=\*\*\*/);
});

test("slow SDK call is joined", async () => {
  let release;
  const slow = () => new Promise((resolve) => (release = () => resolve(FINISHED)));
  // A poll that starts after the release makes a second, quick call.
  const double = sdkDouble([slow, FINISHED]);
  const { updates, callback } = collect();

  const options = { client: b24jssdkClient(double), ...FAST, requestTimeoutMs: 30, maxConsecutiveErrors: 1000 };
  const watch = watchImport(PROCESS_ID, callback, options);
  await new Promise((resolve) => setTimeout(resolve, 400));
  const callsWhilePending = double.calls.length;
  release();
  const final = await watch.done;

  assert.equal(callsWhilePending, 1, "later polls wait for the call the SDK is still running");
  assert.ok(updates.some((update) => update.error?.kind === "timeout"), "the watcher saw its own time limit pass");
  assert.equal(final.code, "F");
});

test("real B24Hook hides secret", async () => {
  const secret = "k3x9q0m2p7w4d1zs";
  // Nothing listens on port 9, so the connection is refused at once; one
  // attempt keeps the SDK from retrying.
  const hook = B24Hook.fromWebhookUrl(`https://127.0.0.1:9/rest/1/${secret}/`, { restrictionParams: { maxRetries: 1 } });

  const error = await getImportStatus(PROCESS_ID, { client: b24jssdkClient(hook), requestTimeoutMs: 10_000 }).then(
    () => assert.fail("the read should fail"),
    (thrown) => thrown,
  );

  assert.equal(error.kind, "network");
  assert.equal(error.retryable, true);
  assert.equal(error.message.includes(secret), false, error.message);
});

/** A BX24 library whose callMethod follows `script` like sdkDouble, and whose refreshAuth runs `refresh(callback)`. */
function bx24Double(script, refresh) {
  const calls = [];
  let refreshes = 0;
  return {
    calls,
    get refreshes() {
      return refreshes;
    },
    callMethod(method, params, callback) {
      const answer = script[Math.min(calls.length, script.length - 1)];
      calls.push(method);
      const status = answer.error === undefined ? 200 : 401;
      setTimeout(() =>
        callback({
          answer,
          status,
          data: () => answer.result,
          error: () => answer.error ?? false,
          error_description: () => answer.error_description ?? "",
        }),
      );
    },
    refreshAuth(callback) {
      refreshes += 1;
      refresh(callback);
    },
  };
}

const EXPIRED = { error: "expired_token", error_description: "The access token provided has expired." };
const NEW_TOKEN = { access_token: "0f1e2d3c4b5a69788796a5b4c3d2e1f0", refresh_token: "r", expires_in: 3600 };

test("BX24 client refreshes once", async () => {
  const double = bx24Double([EXPIRED, FINISHED], (callback) => setTimeout(() => callback(NEW_TOKEN)));
  const { updates, callback } = collect();

  const final = await watchImport(PROCESS_ID, callback, { client: bx24Client(double), ...FAST }).done;

  assert.equal(final.code, "F");
  assert.equal(double.refreshes, 1);
  assert.equal(double.calls.length, 2, "one request and one retry");
  assert.equal(updates.length, 1, "the refresh stays inside one poll");
});

test("BX24 silent refresh is fatal", async () => {
  const double = bx24Double([EXPIRED], () => {});

  const error = await watchImport(PROCESS_ID, () => {}, { client: bx24Client(double), ...FAST, requestTimeoutMs: 50 }).done.then(
    () => assert.fail("the watch should fail"),
    (thrown) => thrown,
  );

  assert.equal(error.code, "expired_token");
  assert.equal(error.retryable, false);
  assert.match(error.message, /refreshing the access token failed \(BX24\.refreshAuth did not call back within 50 ms\), so the user must reopen the app/);
  assert.equal(double.calls.length, 1);
});

test("BX24 refresh without token is fatal", async () => {
  const double = bx24Double([EXPIRED], (callback) => callback(false));

  const error = await getImportStatus(PROCESS_ID, { client: bx24Client(double) }).then(
    () => assert.fail("the read should fail"),
    (thrown) => thrown,
  );

  assert.match(error.message, /BX24\.refreshAuth returned no access token/);
});

test("webhook token error is fatal at once", async () => {
  emulator.reset();
  const processId = emulator.register();
  emulator.setFaults([{ fault: "expired_token", method: GET_METHOD }]);

  const error = await watchImport(processId, () => {}, { client: webhookClient(emulator.webhookUrl), ...FAST }).done.then(
    () => assert.fail("the watch should fail"),
    (thrown) => thrown,
  );

  assert.equal(error.code, "expired_token");
  assert.equal(error.httpStatus, 401);
  assert.equal(error.retryable, false);
  assert.match(error.message, /a webhook or a client function has no refresh token/);
  assert.equal(emulator.requests.filter((entry) => entry.method === GET_METHOD).length, 1);
});
