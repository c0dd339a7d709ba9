// Injected faults: rate limits, server errors, broken and missing responses, odd results.
// A request gets a fault from its `X-Emulator-Fault` header, from a `_fault` parameter,
// or from the fault script, in this order of precedence. A header or parameter fault
// leaves the script untouched.

import { buildTimeBlock, encodePhpJson, errorBody } from "./envelope.mjs";

const MAX_DELAY_MS = 600_000;
const MAX_HUGE_BODY_BYTES = 100 * 1024 * 1024;

// kind "replace": the fault response replaces the portal response, before authentication.
// kind "result": the request is handled, then the fault changes its result.
// kind "delivery": the request is handled, then the fault changes how the response is sent.
const FAULTS = Object.freeze({
  query_limit: { kind: "replace", params: { retryAfter: { min: 0, max: 3600, fallback: 1 } } },
  operation_time_limit: { kind: "replace", params: { resetAfterMs: { min: 0, max: 3_600_000, fallback: 2000 } } },
  overload_limit: { kind: "replace", params: {} },
  internal_error: { kind: "replace", params: {} },
  html_502: { kind: "replace", params: {} },
  expired_token: { kind: "replace", params: {} },
  no_answer: { kind: "replace", params: {} },
  unknown_status: { kind: "result", params: {} },
  null_result: { kind: "result", params: {} },
  purge: { kind: "result", params: {} },
  huge_body: { kind: "result", params: { bytes: { min: 1, max: MAX_HUGE_BODY_BYTES, fallback: 5 * 1024 * 1024 } } },
  slow: { kind: "delivery", params: { delayMs: { min: 0, max: MAX_DELAY_MS, fallback: 5000 } } },
  invalid_json: { kind: "delivery", params: {} },
  empty_body: { kind: "delivery", params: {} },
  reset: { kind: "delivery", params: {} },
});

export const FAULT_NAMES = Object.freeze(Object.keys(FAULTS));

const SCRIPT_ENTRY_FIELDS = ["fault", "method", "processId", "times"];
const MAX_SCRIPT_ENTRIES = 10_000;

const NGINX_502_PAGE = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
  + "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/** An invalid fault name, parameter or script entry; the message names it. */
export class FaultError extends Error {
  constructor(message) {
    super(message);
    this.name = "FaultError";
  }
}

/** Returns "replace", "result" or "delivery" for a fault name (see FAULTS). */
export function faultKind(name) {
  return FAULTS[name].kind;
}

/**
 * Parses a fault given as `name[;key=value...]`, as in the `X-Emulator-Fault` header or
 * the `_fault` parameter, into `{ name, params }`. Throws FaultError when invalid.
 */
export function parseFaultSpec(text) {
  const [rawName, ...rawParams] = String(text).split(";");
  const params = {};
  for (const rawParam of rawParams) {
    if (rawParam.trim() === "") {
      continue;
    }
    const separator = rawParam.indexOf("=");
    if (separator === -1) {
      throw new FaultError(`fault parameter "${rawParam.trim()}" has no value; write key=value`);
    }
    params[rawParam.slice(0, separator).trim()] = rawParam.slice(separator + 1).trim();
  }
  return { name: readFaultName(rawName.trim()), params: readFaultParams(rawName.trim(), params) };
}

function readFaultName(name) {
  if (!Object.hasOwn(FAULTS, name)) {
    throw new FaultError(`unknown fault "${name}"; known faults: ${FAULT_NAMES.join(", ")}`);
  }
  return name;
}

function readFaultParams(name, params) {
  const known = FAULTS[name].params;
  const result = {};
  for (const key of Object.keys(params)) {
    if (!Object.hasOwn(known, key)) {
      const accepted = Object.keys(known);
      throw new FaultError(`fault "${name}" has no parameter "${key}"; `
        + (accepted.length > 0 ? `it accepts ${accepted.join(", ")}` : "it accepts none"));
    }
  }
  for (const [key, range] of Object.entries(known)) {
    const raw = params[key];
    if (raw === undefined) {
      result[key] = range.fallback;
      continue;
    }
    const value = typeof raw === "string" && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
    if (!Number.isSafeInteger(value) || value < range.min || value > range.max) {
      throw new FaultError(`fault parameter ${key} must be an integer from ${range.min} to ${range.max}, got ${JSON.stringify(raw)}`);
    }
    result[key] = value;
  }
  return result;
}

/**
 * Faults queued by `setFaults` or `POST /_emulator/faults`. Each request consumes the
 * first entry whose `method` and `processId` filters match it; an entry with
 * `times: n` serves n requests.
 */
export class FaultScript {
  #entries = [];

  /**
   * Replaces the script. Each entry is `{ fault, method?, processId?, times? }` plus the
   * fault's own parameters (`delayMs` for slow, for example). Throws FaultError and
   * keeps the old script when an entry is invalid.
   */
  replace(list) {
    if (!Array.isArray(list)) {
      throw new FaultError("the fault script must be an array of {fault, method?, processId?, times?}");
    }
    if (list.length > MAX_SCRIPT_ENTRIES) {
      throw new FaultError(`the fault script has ${list.length} entries; the maximum is ${MAX_SCRIPT_ENTRIES}`);
    }
    this.#entries = list.map((entry, index) => readScriptEntry(entry, index));
  }

  /** Removes and returns the fault for a request, or returns null when none matches. */
  take({ method, processId }) {
    const index = this.#entries.findIndex((entry) => {
      return (entry.method === null || entry.method === method)
        && (entry.processId === null || entry.processId === processId);
    });
    if (index === -1) {
      return null;
    }
    const entry = this.#entries[index];
    entry.times -= 1;
    if (entry.times === 0) {
      this.#entries.splice(index, 1);
    }
    return { name: entry.name, params: { ...entry.params } };
  }

  /** Returns the entries still queued, in the form `replace` accepts. */
  pending() {
    return this.#entries.map((entry) => ({
      fault: entry.name,
      ...(entry.method === null ? {} : { method: entry.method }),
      ...(entry.processId === null ? {} : { processId: entry.processId }),
      times: entry.times,
      ...entry.params,
    }));
  }

  clear() {
    this.#entries = [];
  }
}

function readScriptEntry(entry, index) {
  const name = `fault script entry ${index}`;
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
    throw new FaultError(`${name} must be an object {fault, method?, processId?, times?}`);
  }
  const faultName = readFaultName(String(entry.fault));
  const params = {};
  for (const [key, value] of Object.entries(entry)) {
    if (!SCRIPT_ENTRY_FIELDS.includes(key)) {
      params[key] = value;
    }
  }

  if (entry.method !== undefined && (typeof entry.method !== "string" || entry.method === "")) {
    throw new FaultError(`${name}: method must be a REST method name such as "configuration.import.get"`);
  }
  if (entry.processId !== undefined && (!Number.isSafeInteger(entry.processId) || entry.processId < 1)) {
    throw new FaultError(`${name}: processId must be a positive integer, got ${JSON.stringify(entry.processId)}`);
  }
  const times = entry.times ?? 1;
  if (!Number.isSafeInteger(times) || times < 1) {
    throw new FaultError(`${name}: times must be a positive integer, got ${JSON.stringify(entry.times)}`);
  }

  return {
    name: faultName,
    method: entry.method === undefined ? null : entry.method.toLowerCase().replace(/\.json$/, ""),
    processId: entry.processId ?? null,
    times,
    params: readFaultParams(faultName, params),
  };
}

/**
 * Builds the response of a "replace" fault as `{ status, headers, body }`, or returns
 * null for no_answer, which sends no response.
 */
export function buildReplacementResponse(fault, nowMs) {
  const json = (status, body, headers = {}) => ({
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...headers },
    body: encodePhpJson(body),
  });

  switch (fault.name) {
    case "query_limit":
      return json(503, errorBody("QUERY_LIMIT_EXCEEDED", "Too many requests"), {
        "Retry-After": String(fault.params.retryAfter),
      });
    case "operation_time_limit":
      return json(429, {
        ...errorBody("OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit."),
        time: buildTimeBlock({
          startMs: nowMs,
          durationMs: 0.2,
          processingMs: 0.05,
          // Over the per-method operating budget, which is 420 s by default on the server.
          operatingSeconds: 480.5,
          operatingResetAt: Math.ceil((nowMs + fault.params.resetAfterMs) / 1000),
        }),
      });
    case "overload_limit":
      return json(503, errorBody("OVERLOAD_LIMIT", "REST API is blocked due to overload."));
    case "internal_error":
      return json(500, errorBody("INTERNAL_SERVER_ERROR", "Internal server error"));
    case "expired_token":
      return json(401, errorBody("expired_token", "The access token provided has expired."));
    case "html_502":
      return { status: 502, headers: { "Content-Type": "text/html" }, body: NGINX_502_PAGE };
    case "no_answer":
      return null;
    default:
      throw new Error(`fault "${fault.name}" does not replace the response`);
  }
}

/**
 * Applies a "result" fault to the decoded payload of a successful call and returns the
 * new payload. unknown_status and huge_body change only `configuration.import.get`;
 * null_result changes any method.
 */
export function applyResultFault(fault, method, payload) {
  if (fault.name === "null_result") {
    return { ...payload, result: null };
  }
  if (method !== "configuration.import.get") {
    return payload;
  }
  if (fault.name === "unknown_status") {
    return { ...payload, result: { ...payload.result, status: "X" } };
  }
  if (fault.name === "huge_body") {
    return { ...payload, result: { ...payload.result, notice: buildHugeNoticeList(fault.params.bytes) } };
  }
  return payload;
}

// Builds a notice list whose JSON takes about `bytes` bytes.
function buildHugeNoticeList(bytes) {
  const message = "This notice makes the response large. ".repeat(27);
  const itemBytes = JSON.stringify({ code: "", message, type: "notice" }).length + 1;
  const count = Math.max(1, Math.ceil(bytes / itemBytes));
  return Array.from({ length: count }, () => ({ code: "", message, type: "notice" }));
}
