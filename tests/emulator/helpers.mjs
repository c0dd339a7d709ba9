// Shared helpers for the emulator tests: start an emulator that closes after the test,
// send requests, and drive a manual clock.

import { startEmulator } from "../../tools/portal-emulator/server.mjs";

/** Starts an emulator that is closed when the test `t` ends. */
export async function startForTest(t, options = {}) {
  const emulator = await startEmulator(options);
  t.after(() => emulator.close());
  return emulator;
}

/** Creates a clock for the `now` option that moves only when `advance` is called. */
export function manualClock(startMs = Date.UTC(2024, 11, 4, 12, 0, 0)) {
  let current = startMs;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
  };
}

/**
 * Sends a request and returns `{ status, headers, text, body }`, where `body` is the
 * parsed JSON or undefined when the text is not JSON. `json` sends a JSON body, `form`
 * a form-encoded body (an object of already bracketed keys); both imply POST.
 */
export async function request(url, { method, json, form, headers = {}, signal } = {}) {
  const init = { method: method ?? "GET", headers: { ...headers }, signal };
  if (json !== undefined) {
    init.method = method ?? "POST";
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  if (form !== undefined) {
    init.method = method ?? "POST";
    init.headers["content-type"] = "application/x-www-form-urlencoded";
    init.body = new URLSearchParams(form).toString();
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** Registers an import over the default webhook and returns its processId. */
export async function registerOverHttp(emulator, scenario) {
  const json = { data: { MANIFEST: { CODE: "test" } } };
  if (scenario !== undefined) {
    json.option = { emulator: scenario };
  }
  const response = await request(`${emulator.webhookUrl}configuration.import.register`, { json });
  if (response.status !== 200) {
    throw new Error(`register failed with HTTP ${response.status}: ${response.text}`);
  }
  return response.body.result.processId;
}

/** Returns the `result` of configuration.import.get over the default webhook. */
export async function getStatus(emulator, processId) {
  const response = await request(`${emulator.webhookUrl}configuration.import.get?processId=${encodeURIComponent(processId)}`);
  if (response.status !== 200) {
    throw new Error(`get failed with HTTP ${response.status}: ${response.text}`);
  }
  return response.body.result;
}

/** Reduces a status result to [status, action, step, section], without absent parts. */
export function describeStatus(result) {
  const parts = [result.status];
  if (result.progress !== undefined) {
    parts.push(result.progress.action, result.progress.step);
    if (result.progress.section !== undefined) {
      parts.push(result.progress.section);
    }
  }
  return parts;
}

/** The states of the default scenario, one per agent run, in the form of describeStatus. */
export const DEFAULT_SCRIPT = Object.freeze([
  ["S"],
  ["P", "start", 0],
  ["P", "init_background", 0],
  ["P", "manifest", 0, "CRM_STATUS"],
  ["P", "manifest", 0, "CRM_DEAL_CATEGORY"],
  ["P", "manifest", 0, "CRM_FIELDS"],
  ["P", "manifest", 0, "REST_APPLICATION"],
  ["P", "clean", 0, "CRM_STATUS"],
  ["P", "clean", 0, "CRM_DEAL_CATEGORY"],
  ["P", "clean", 0, "CRM_FIELDS"],
  ["P", "clean", 0, "REST_APPLICATION"],
  ["P", "load", 0, "CRM_STATUS"],
  ["P", "load", 1, "CRM_STATUS"],
  ["P", "load", 0, "CRM_DEAL_CATEGORY"],
  ["P", "load", 1, "CRM_DEAL_CATEGORY"],
  ["P", "load", 2, "CRM_DEAL_CATEGORY"],
  ["P", "load", 0, "CRM_FIELDS"],
  ["P", "load", 0, "REST_APPLICATION"],
  ["P", "load", 1, "REST_APPLICATION"],
  ["P", "finish", 0],
  ["P", false, 0],
  ["F"],
]);
