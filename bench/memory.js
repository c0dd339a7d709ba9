// Memory probes for scripts/bench.mjs: many polls of one watch, and many
// watches started and stopped, with the wasm linear memory and the JS heap
// read after a forced GC at fixed marks. The page must run in a Chromium
// started with --js-flags=--expose-gc and --enable-precise-memory-info.
import init from "/dist/wasm/b24_import_watch.js";
import { watchImport } from "/js/browser.js";

const WASM_PAGE_BYTES = 65_536;

// The poller's default limit of 2 requests per second (a portal's limit)
// would make these runs take hours, so they lift it to the largest values
// the option accepts.
const NO_RATE_LIMIT = { perSecond: 1_000_000, burst: 100_000 };

// browser.js has instantiated the module already, so `init()` returns the
// existing instance's exports, and with them its linear memory.
const { memory } = await init();

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Forces full GCs, letting FinalizationRegistry callbacks (which free the
 * Rust side of dropped wasm-bindgen objects) run between them, then reads
 * the wasm memory size in pages and the used JS heap in bytes.
 */
async function measureMemory() {
  for (let round = 0; round < 3; round += 1) {
    globalThis.gc();
    await nextTask();
  }
  globalThis.gc();
  return {
    wasmPages: memory.buffer.byteLength / WASM_PAGE_BYTES,
    jsHeapBytes: performance.memory.usedJSHeapSize,
  };
}

/** Builds a new `configuration.import.get` body for request number `call` (from 1). */
function importBody(call, finalCall) {
  const time = {
    start: 1733318460 + call,
    finish: 1733318460.05 + call,
    duration: 0.05,
    processing: 0.01,
    date_start: "2024-12-04T15:21:00+03:00",
    date_finish: "2024-12-04T15:21:00+03:00",
  };
  if (call >= finalCall) {
    return {
      result: {
        status: "F",
        additional: { landing: { siteId: 12 } },
        createItemList: [{ type: "crm_pipeline", id: "4" }],
        notice: [],
      },
      time,
    };
  }
  // Odd and even calls differ in the notice list as well as in the step,
  // so every poll brings a changed status.
  const notice = [{ code: "", message: "Two fields were skipped because they already exist.", type: "notice" }];
  if (call % 2 === 0) {
    notice.push({ code: "FIELD_SKIPPED", message: `Field UF_CRM_${call % 7} was skipped.`, type: "notice" });
  }
  return {
    result: {
      status: "P",
      progress: { action: "load", step: call, section: "CRM_STATUS" },
      notice,
    },
    time,
  };
}

/**
 * Watches one import through `polls` requests, polled every 1 ms, and the
 * last request returns F. Reads memory before the watch, with request
 * `markAfter + 1` and request `polls` in flight (so both marks see the same
 * live objects), and after `done` resolved.
 */
export async function runPolls({ polls, markAfter }) {
  const samples = [{ mark: "before the watch", requests: 0, ...(await measureMemory()) }];
  let requests = 0;
  let updates = 0;
  let changedUpdates = 0;

  const client = async (method, params) => {
    requests += 1;
    if (requests === markAfter + 1 || requests === polls) {
      samples.push({ mark: `after ${(requests - 1).toLocaleString("en")} polls`, requests: requests - 1, ...(await measureMemory()) });
    }
    return importBody(requests, polls);
  };

  const started = performance.now();
  const watch = watchImport(
    1,
    (update) => {
      updates += 1;
      if (update.changed) changedUpdates += 1;
    },
    { client, intervalMs: 1, minIntervalMs: 0, schedule: "fixed", rateLimit: NO_RATE_LIMIT },
  );
  const final = await watch.done;
  const elapsedMs = performance.now() - started;
  samples.push({ mark: "after done resolved", requests, ...(await measureMemory()) });

  return { samples, requests, updates, changedUpdates, finalCode: final.code, elapsedMs };
}

/**
 * Starts and stops `cycles` watches, each on its own process id, rotating
 * four cases: a client that never settles or one that returns S, stopped at
 * once or after the first request (never-settling client) or the first
 * update (S client). Each cycle awaits the AbortError of `done`. With `free`
 * set it then calls `watch.free()`, and without it the watch is left to the
 * garbage collector, as the README's examples do. Reads memory before the
 * first cycle and after cycles `markAfter` and `cycles`.
 */
export async function runStartStop({ cycles, markAfter, free }) {
  const samples = [{ mark: "before the first cycle", cycles: 0, ...(await measureMemory()) }];
  const requestSeen = new Map();
  let neverSettlingCalls = 0;
  let startedCalls = 0;

  // One client of each kind for every cycle, as a page reuses its client.
  const neverSettles = (method, params) => {
    neverSettlingCalls += 1;
    requestSeen.get(params.processId)?.();
    return new Promise(() => {});
  };
  const startedClient = async (method, params) => {
    startedCalls += 1;
    return { result: { status: "S" }, time: { start: 1733318460, finish: 1733318460.01 } };
  };

  const started = performance.now();
  for (let cycle = 1; cycle <= cycles; cycle += 1) {
    const processId = 1000 + cycle;
    // 0: never settles, stopped at once. 1: never settles, stopped once the
    // request is out. 2: S, stopped at once. 3: S, stopped by the first update.
    const mode = cycle % 4;
    let watch;
    if (mode === 0 || mode === 1) {
      const requested = new Promise((resolve) => requestSeen.set(processId, resolve));
      watch = watchImport(processId, () => {}, { client: neverSettles, schedule: "fixed", intervalMs: 1, minIntervalMs: 0, rateLimit: NO_RATE_LIMIT });
      if (mode === 1) await requested;
      watch.stop();
      requestSeen.delete(processId);
    } else {
      watch = watchImport(
        processId,
        () => {
          if (mode === 3) watch.stop();
        },
        { client: startedClient, schedule: "fixed", intervalMs: 60_000, minIntervalMs: 0, rateLimit: NO_RATE_LIMIT },
      );
      if (mode === 2) watch.stop();
    }

    const error = await watch.done.then(
      (status) => new Error(`done resolved with status ${status.code} where an AbortError was expected`),
      (reason) => reason,
    );
    if (error?.name !== "AbortError") {
      throw new Error(`cycle ${cycle}: expected done to reject with an AbortError, got ${error?.name}: ${error?.message}`);
    }
    if (free) watch.free();

    if (cycle === markAfter || cycle === cycles) {
      samples.push({ mark: `after ${cycle.toLocaleString("en")} cycles`, cycles: cycle, ...(await measureMemory()) });
    }
  }
  const elapsedMs = performance.now() - started;

  return { samples, elapsedMs, neverSettlingCalls, startedCalls };
}
