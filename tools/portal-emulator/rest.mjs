// The REST methods of the emulated portal: configuration.import.register, .get,
// .unregister, and batch. Authentication happens before; a call here gets the scopes
// of the caller.

import { performance } from "node:perf_hooks";

import { buildTimeBlock, errorBody, phpArray } from "./envelope.mjs";
import { isPhpArray, parsePhpQuery, phpIntval } from "./params.mjs";
import { ScenarioError } from "./scenario.mjs";

export const IMPORT_SCOPE = "configuration.import";
export const MAX_BATCH_COMMANDS = 50;
export const METHOD_NAMES = Object.freeze([
  "configuration.import.register",
  "configuration.import.get",
  "configuration.import.unregister",
  "batch",
]);

// Operating time is summed per method over a window; real portals use ten one-minute
// buckets, which this approximates with one ten-minute window.
const OPERATING_WINDOW_S = 600;

/** The REST methods, with per-method operating time accounting. */
export class RestApi {
  #registry;
  #clock;
  #operating = new Map();
  #methods;

  constructor({ registry, clock }) {
    this.#registry = registry;
    this.#clock = clock;
    this.#methods = new Map([
      ["configuration.import.register", { scope: IMPORT_SCOPE, run: (params) => this.#register(params) }],
      ["configuration.import.get", { scope: IMPORT_SCOPE, run: (params) => this.#get(params) }],
      ["configuration.import.unregister", { scope: IMPORT_SCOPE, run: (params) => this.#unregister(params) }],
      ["batch", { scope: null, run: (params, scopes) => this.#batch(params, scopes) }],
    ]);
  }

  /**
   * Calls a method (lowercase, without `.json`) with parsed parameters and the caller's
   * scopes. Returns `{ status, payload }`: the HTTP status and the decoded body, which is
   * `{ result, time }` or `{ error, error_description }`.
   */
  call(method, params, scopes) {
    const startMs = this.#clock();
    const started = performance.now();

    const entry = this.#methods.get(method);
    if (entry === undefined) {
      return { status: 404, payload: errorBody("ERROR_METHOD_NOT_FOUND", "Method not found!") };
    }
    if (entry.scope !== null && !scopes.has(entry.scope)) {
      return {
        status: 403,
        payload: errorBody("insufficient_scope", "The request requires higher privileges than provided by the access token"),
      };
    }

    const outcome = entry.run(params, scopes);
    if (outcome.error !== undefined) {
      return { status: outcome.status, payload: errorBody(outcome.error, outcome.description) };
    }

    const durationMs = performance.now() - started;
    return {
      status: 200,
      payload: { result: outcome.result, time: this.#timeBlock(method, startMs, durationMs) },
    };
  }

  #timeBlock(method, startMs, durationMs) {
    const nowS = startMs / 1000;
    let window = this.#operating.get(method);
    if (window === undefined || nowS >= window.resetAt) {
      window = { resetAt: Math.floor(nowS) + OPERATING_WINDOW_S, seconds: 0 };
      this.#operating.set(method, window);
    }
    window.seconds += Math.max(durationMs, 0.01) / 1000;
    return buildTimeBlock({
      startMs,
      durationMs,
      processingMs: durationMs * 0.8,
      operatingSeconds: window.seconds,
      operatingResetAt: window.resetAt,
    });
  }

  #register(params) {
    const { data, option } = params;
    if (data === undefined) {
      return missingParameter("data");
    }
    if (!isPhpArray(data)) {
      return {
        status: 400,
        error: 100,
        description: `Invalid value {${String(data)}} to match with parameter {data}. Should be value of type array.`,
      };
    }
    if (Object.keys(data).length === 0) {
      // For data without a manifest code the server returns an error inside `result`.
      return { result: errorBody("ERROR_MANIFEST_IS_NOT_AVAILABLE", "Manifest is not available.") };
    }
    // NOTE: the real server also rejects data without MANIFEST.CODE (with the error
    // above) and reads the archive from the links in data. The emulator accepts any
    // non-empty data so that clients can register without an archive.

    const scenario = isPhpArray(option) ? option.emulator : undefined;
    try {
      return { result: { processId: this.#registry.register(scenario) } };
    } catch (error) {
      if (error instanceof ScenarioError) {
        return { status: 400, error: "EMULATOR_INVALID_SCENARIO", description: `option[emulator] is invalid: ${error.message}` };
      }
      throw error;
    }
  }

  #get(params) {
    if (params.processId === undefined) {
      return missingParameter("processId");
    }
    // A non-numeric id casts to 0, which no process has, so it reads U like an unknown id.
    return { result: this.#registry.status(phpIntval(params.processId)) };
  }

  #unregister(params) {
    if (params.processId === undefined) {
      return missingParameter("processId");
    }
    return { result: this.#registry.unregister(phpIntval(params.processId)) };
  }

  // Runs each command of `cmd` in order. Errors of commands go into result_error and the
  // batch itself still succeeds; with a truthy `halt` the first error stops the batch.
  #batch(params, scopes) {
    const commands = isPhpArray(params.cmd) ? Object.entries(params.cmd) : [];
    if (commands.length > MAX_BATCH_COMMANDS) {
      return { status: 400, error: "ERROR_BATCH_LENGTH_EXCEEDED", description: "Max batch length exceeded" };
    }
    const halt = isPhpTruthy(params.halt);

    const results = [];
    const errors = [];
    const times = [];
    const resultsByKey = new Map();
    for (const [key, command] of commands) {
      const { method, query } = splitCommand(command);
      const subParams = substituteResults(parsePhpQuery(query), resultsByKey);
      delete subParams.auth;

      const { payload } = method === "batch"
        ? { payload: errorBody("ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage") }
        : this.call(method, subParams, scopes);

      if (payload.error !== undefined) {
        errors.push([key, payload]);
        if (halt) {
          break;
        }
        continue;
      }
      results.push([key, payload.result]);
      times.push([key, payload.time]);
      resultsByKey.set(key, payload.result);
    }

    // No method here is a list method, so result_total and result_next stay empty.
    return {
      result: {
        result: phpArray(results),
        result_error: phpArray(errors),
        result_total: [],
        result_next: [],
        result_time: phpArray(times),
      },
    };
  }
}

function missingParameter(name) {
  return { status: 400, error: 100, description: `Could not find value for parameter {${name}}` };
}

/** Splits a batch command such as "configuration.import.get?processId=5". */
export function splitCommand(command) {
  const text = String(command);
  const separator = text.indexOf("?");
  const method = separator === -1 ? text : text.slice(0, separator);
  return {
    method: normalizeMethodName(method),
    query: separator === -1 ? "" : text.slice(separator + 1),
  };
}

/** Lowercases a method name and strips the optional `.json` suffix. */
export function normalizeMethodName(name) {
  return name.trim().toLowerCase().replace(/\.json$/, "");
}

// Replaces `$result[key][field]...` references in parameter values with values from
// earlier commands. A value that is exactly one reference takes the referenced value;
// a reference inside a longer string is replaced by its text.
function substituteResults(params, resultsByKey) {
  const pattern = /\$result\[([^\]]+)\]((?:\[[^\]]*\])*)/g;
  const lookup = (key, path) => {
    let value = resultsByKey.get(key);
    for (const segment of path.matchAll(/\[([^\]]*)\]/g)) {
      value = isPhpArray(value) ? value[segment[1]] : undefined;
    }
    return value;
  };
  const visit = (value) => {
    if (typeof value === "string") {
      const whole = /^\$result\[([^\]]+)\]((?:\[[^\]]*\])*)$/.exec(value);
      if (whole !== null) {
        return lookup(whole[1], whole[2]) ?? "";
      }
      return value.replace(pattern, (_match, key, path) => {
        const found = lookup(key, path);
        return found === undefined || isPhpArray(found) ? "" : String(found);
      });
    }
    if (isPhpArray(value)) {
      for (const key of Object.keys(value)) {
        value[key] = visit(value[key]);
      }
    }
    return value;
  };
  return visit(params);
}

// PHP truthiness: "", "0", 0, false, null and an empty array are false.
function isPhpTruthy(value) {
  if (value === undefined || value === null || value === false || value === "" || value === "0" || value === 0) {
    return false;
  }
  return !(isPhpArray(value) && Object.keys(value).length === 0);
}
