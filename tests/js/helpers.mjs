// Shared pieces of the JS API tests: the package entry, an emulator per
// test file, a BX24 double that follows the legacy library's contract, and
// the runner of the fault matrix (fault-matrix.mjs).
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, dirname } from "node:path";

import { watchImport, webhookClient, bx24Client } from "../../js/node.js";
import { FIRST, RUNNING } from "./fault-matrix.mjs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const fixturesDir = join(root, "..", "shared", "fixtures", "rest");

export function loadFixtures() {
  return readdirSync(fixturesDir)
    .filter((name) => name.endsWith(".json"))
    .map((name) => ({ name: name.replace(/\.json$/, ""), ...JSON.parse(readFileSync(join(fixturesDir, name), "utf8")) }));
}

/**
 * A stand-in for the legacy `BX24` library: `callMethod(method, params, cb)`
 * POSTs to the REST endpoint and calls `cb(result)` with `data()`, `error()`,
 * `error_description()`, `status` and `answer`. Like the real library, it
 * never calls back on an HTTP 5xx or a network failure, nor on a body that
 * is not JSON.
 *
 * With `auth` (a token object as `BX24.getAuth()` returns it), each call
 * sends `?auth=ACCESS_TOKEN`, and `getAuth()` returns the current token.
 * `refreshAuth(cb)` exchanges the refresh token through `refresh(refreshToken)`,
 * for example the emulator's `refreshToken`. It calls `cb` with the new
 * token, or with `false` when the exchange fails. Unlike the real library,
 * the double does not refresh by itself on `expired_token`: it passes the
 * error on, so a test can see what the client does about it.
 *
 * `calls` lists the method of each call, `tokens` the access token each call
 * sent, and `refreshes` counts `refreshAuth` calls.
 */
export function bx24Double(restUrl, { auth = null, refresh = null } = {}) {
  let current = auth;
  const double = {
    calls: [],
    tokens: [],
    refreshes: 0,
    callMethod(method, params, callback) {
      double.calls.push(method);
      const token = current?.access_token ?? null;
      double.tokens.push(token);
      const query = token === null ? "" : `?auth=${encodeURIComponent(token)}`;
      fetch(`${restUrl}${method}.json${query}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(params ?? {}),
      })
        .then(async (response) => {
          if (response.status >= 500) return;
          const answer = await response.json();
          callback({
            status: response.status,
            answer,
            data: () => answer.result,
            error: () => answer.error ?? null,
            error_description: () => answer.error_description ?? "",
          });
        })
        .catch(() => {});
    },
    getAuth() {
      return current ?? false;
    },
    refreshAuth(callback) {
      double.refreshes += 1;
      const renewed = current === null || refresh === null ? null : refresh(current.refresh_token);
      if (renewed !== null) {
        current = renewed;
      }
      // The real library calls back after a message round trip to the
      // portal page, so the callback never runs synchronously.
      setTimeout(() => callback(renewed ?? false), 0);
    },
  };
  return double;
}

/** Collects every update, and resolves `done` with them when the watch settles. */
export function collector() {
  const updates = [];
  return { updates, callback: (update) => updates.push(update) };
}

export const GET_METHOD = "configuration.import.get";

/**
 * Timings of the fault matrix: the emulator's agent takes a step every 20 ms.
 * A poll every 20 ms is 50 requests a second. The client's default rate
 * limit, the portal's 2 a second, would stretch every run, so it is raised.
 */
export const FAST = {
  intervalMs: 20,
  minIntervalMs: 5,
  requestTimeoutMs: 400,
  maxConsecutiveErrors: 10,
  rateLimit: { perSecond: 1000, burst: 1000 },
};
export const EMULATOR_OPTIONS = { port: 0, agentPeriodMs: 20, firstRunDelayMs: 100 };

/**
 * Creates a client of `kind` for `emulator`: `webhook` (the emulator's
 * webhook), `bx24` (the BX24 double with a fresh OAuth token) or `function`
 * (a function client that puts the access token into the URL as `?auth=`).
 * Returns `{ client, double, secrets }`, where `secrets` lists every
 * credential the client may send.
 */
export function makeClient(kind, emulator) {
  if (kind === "webhook") {
    const secret = new URL(emulator.webhookUrl).pathname.split("/")[3];
    return { client: webhookClient(emulator.webhookUrl), double: null, secrets: [secret] };
  }

  const auth = emulator.issueToken({ lifetimeMs: 600_000 });
  const secrets = [auth.access_token, auth.refresh_token];
  const refresh = (refreshToken) => {
    const renewed = emulator.refreshToken(refreshToken);
    if (renewed !== null) secrets.push(renewed.access_token, renewed.refresh_token);
    return renewed;
  };
  if (kind === "bx24") {
    const double = bx24Double(`${emulator.url}/rest/`, { auth, refresh });
    return { client: bx24Client(double), double, secrets };
  }
  if (kind === "function") {
    const client = async (method, params) => {
      const response = await fetch(`${emulator.url}/rest/${method}.json?auth=${auth.access_token}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(params),
      });
      return response.text();
    };
    return { client, double: null, secrets };
  }
  throw new Error(`unknown client kind ${kind}`);
}

/**
 * Registers an import and watches it with a client of `kind`, injecting the
 * row's fault at the moments that the row's expectation for that client lists. Resolves with the
 * updates, the final status or the rejection, the emulator's log entries of
 * this import and the client's double and credentials.
 *
 * `stopAfterFirstError` stops the watch after the first update with an
 * error; `logger` and `timeoutMs` pass through to the watch.
 */
export async function runFaultCase(emulator, row, kind, { logger, stopAfterFirstError = false, timeoutMs } = {}) {
  const expected = row[kind] ?? row.webhook;
  const processId = emulator.register();
  const { client, double, secrets } = makeClient(kind, emulator);
  const entry = { fault: row.fault, method: GET_METHOD, processId, times: 1, ...row.params };

  if (expected.when.includes(FIRST)) emulator.setFaults([entry]);
  let armed = !expected.when.includes(RUNNING);
  const updates = [];
  let watch = null;
  const callback = (update) => {
    updates.push(update);
    if (!armed && update.status?.code === "P") {
      armed = true;
      emulator.setFaults([entry]);
    }
    if (stopAfterFirstError && update.error !== null) watch.stop();
  };
  const options = { client, ...FAST, ...row.options, logger };
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;

  watch = watchImport(processId, callback, options);
  const outcome = await watch.done.then((status) => ({ status, error: null }), (error) => ({ status: null, error }));
  const requests = emulator.requests.filter((request) => request.processId === processId);
  return { processId, updates, ...outcome, requests, double, secrets, injections: expected.when.length };
}

