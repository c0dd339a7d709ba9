// Stop and abort at random moments: before the first poll, while a request
// is under way, during the backoff after a failed poll, between a response
// and its callback, inside the callback, and after the end. Function clients
// with promises that the test settles by hand give the exact moments. A
// tenth of the runs use the webhook client against the emulator with faults.
//
// No callback may run after stop(), and the whole set must leave no
// unhandled rejection behind. Every timer and AbortSignal listener of the
// package must be gone once a stopped request had time to reach its own
// time limit. Two stricter checks, no request at all after stop() and
// nothing left the moment the watches settle, are separate tests. The
// timing draws come from a seeded PRNG; set RACES_SEED to replay another
// sequence.
import { test, after } from "node:test";
import assert from "node:assert/strict";

// The wrappers go in before the package loads, so that every timer and
// listener it creates is seen.
const tracker = installTracking();
const { watchImport, webhookClient } = await import("../../js/node.js");
const { startEmulator } = await import("../../tools/portal-emulator/server.mjs");

const RUNS = 1000;
const EMULATOR_SHARE = 0.1;
const CONCURRENCY = 25;
const SETTLE_LIMIT_MS = 5000;
const SEED = Number(process.env.RACES_SEED ?? 20240611);
const MAX_REQUEST_TIMEOUT_MS = 80;

const unhandled = [];
const uncaught = [];
process.on("unhandledRejection", (reason) => unhandled.push(reason));
process.on("uncaughtException", (error) => uncaught.push(error));

let emulator = null;
let baseline = null;
let leftAtSettle = null;
let results = [];

after(async () => {
  await emulator?.close();
});

test("random stops leave nothing behind", { timeout: 60_000 }, async () => {
  emulator = await startEmulator({ port: 0, agentPeriodMs: 5, firstRunDelayMs: 10 });
  const random = mulberry32(SEED);
  const plans = Array.from({ length: RUNS }, (_, index) => makePlan(random, index));
  baseline = tracker.outstanding();
  emulator.setFaults(plans.filter((plan) => plan.kind === "emulator" && plan.fault !== null).map((plan) => plan.faultEntry));

  for (let start = 0; start < plans.length; start += CONCURRENCY) {
    const batch = plans.slice(start, start + CONCURRENCY);
    results.push(...(await Promise.all(batch.map((plan) => runPlan(plan)))));
  }
  await macrotask();
  leftAtSettle = tracker.outstanding();
  // A request that a stopped watch started may run to its own time limit,
  // so the leftovers get that long to go.
  await tracker.sleep(MAX_REQUEST_TIMEOUT_MS + 50);

  for (const result of results) {
    const where = `run ${result.plan.index} (${result.plan.kind}, seed ${SEED})`;
    assert.equal(result.settled, true, `${where}: done did not settle within ${SETTLE_LIMIT_MS} ms`);
    assert.equal(result.state.lateCallbacks, 0, `${where}: callbacks after stop`);
    assert.equal(result.outcomeProblem, null, `${where}: ${result.outcomeProblem}`);
    assert.equal(result.state.stopThrew, null, `${where}: stop() threw ${result.state.stopThrew}`);
  }
  assert.deepEqual(unhandled.map(String), [], "unhandled rejections");
  assert.deepEqual(uncaught.map(String), [], "uncaught exceptions");
  // The wrappers must have seen the package at work, or the counts prove nothing.
  assert.ok(tracker.created.timers > RUNS, `package timers seen: ${tracker.created.timers}`);
  assert.ok(tracker.created.listeners > RUNS, `package listeners seen: ${tracker.created.listeners}`);
  const left = tracker.outstanding();
  assert.equal(left.timers, baseline.timers, `package timers still pending, the first created at\n${left.timerStacks[0]}`);
  assert.equal(left.listeners, baseline.listeners, `package AbortSignal listeners still added, the first at\n${left.listenerStacks[0]}`);
  const kinds = new Set(plans.map((plan) => plan.kind));
  assert.equal(kinds.size, PLAN_KINDS.length, "every kind of plan ran");
  assert.ok(results.some((result) => result.outcome === "aborted"), "some runs were aborted");
  assert.ok(results.some((result) => result.outcome === "finished"), "some runs finished");
});

test("stop sends no request", () => {
  assert.equal(results.length, RUNS, "the random stops ran first");
  for (const result of results) {
    assert.equal(result.state.lateRequests, 0, `run ${result.plan.index} (${result.plan.kind}, seed ${SEED}): requests after stop`);
  }
});

test("stop cancels the shared request", () => {
  assert.ok(leftAtSettle !== null, "the random stops ran first");
  assert.equal(leftAtSettle.timers, baseline.timers, `package timers pending at settle, the first created at\n${leftAtSettle.timerStacks[0]}`);
  assert.equal(leftAtSettle.listeners, baseline.listeners, `package listeners added at settle, the first at\n${leftAtSettle.listenerStacks[0]}`);
});

// The moments at which a run stops its watch.
const PLAN_KINDS = [
  "before-first-poll",
  "during-request",
  "during-backoff",
  "after-response",
  "inside-callback",
  "pre-aborted",
  "after-end",
  "emulator",
];
const EMULATOR_FAULTS = [null, "slow", "no_answer", "query_limit", "internal_error", "reset", "invalid_json"];

function makePlan(random, index) {
  const pick = (list) => list[Math.floor(random() * list.length)];
  const kind = random() < EMULATOR_SHARE ? "emulator" : pick(PLAN_KINDS.filter((name) => name !== "emulator"));
  const plan = {
    index,
    kind,
    // "pre-aborted" needs a signal; the others use either way.
    stopper: kind === "pre-aborted" || random() < 0.5 ? "abort" : "stop",
    intervalMs: 1 + Math.floor(random() * 8),
    requestTimeoutMs: 20 + Math.floor(random() * (MAX_REQUEST_TIMEOUT_MS - 20)),
    finishAt: 2 + Math.floor(random() * 6),
    // The poll at which the stop happens (or the failing poll for a backoff).
    atPoll: Math.floor(random() * 4),
    microtasks: Math.floor(random() * 14),
    delayMs: Math.floor(random() * 4),
    useMicrotasks: random() < 0.5,
    // What happens to the request in flight after a stop during it.
    lateSettle: pick(["resolve", "reject", "never"]),
    backoffFraction: random(),
    stopTwice: random() < 0.3,
    fault: null,
    faultEntry: null,
    processId: null,
  };
  if (kind === "emulator") {
    plan.processId = emulator.register();
    plan.fault = pick(EMULATOR_FAULTS);
    plan.faultEntry = { fault: plan.fault, processId: plan.processId, times: 2, ...(plan.fault === "slow" ? { delayMs: 40 } : {}), ...(plan.fault === "query_limit" ? { retryAfter: 0 } : {}) };
    plan.delayMs = Math.floor(random() * 80);
  }
  return plan;
}

/**
 * Runs one plan until `done` settles. The returned `state` goes on counting
 * callbacks and requests after that, so the test reads it at the end.
 */
async function runPlan(plan) {
  const state = { stopped: false, lateCallbacks: 0, lateRequests: 0, requests: 0, updates: [], stopThrew: null };
  const controller = new AbortController();
  let watch = null;
  const stopNow = () => {
    if (state.stopped) return;
    state.stopped = true;
    try {
      if (plan.stopper === "abort") controller.abort();
      else watch.stop();
      if (plan.stopTwice) watch.stop();
    } catch (error) {
      state.stopThrew = String(error);
    }
  };
  const stopLater = () => (plan.useMicrotasks ? afterMicrotasks(plan.microtasks, stopNow) : setTimeout(stopNow, plan.delayMs));

  const callback = (update) => {
    if (state.stopped) state.lateCallbacks += 1;
    state.updates.push(update);
    if (plan.kind === "inside-callback" && state.updates.length - 1 === plan.atPoll) stopNow();
    if (plan.kind === "during-backoff" && update.error !== null && update.nextPollInMs !== null) {
      setTimeout(stopNow, Math.floor(update.nextPollInMs * plan.backoffFraction));
    }
  };
  const client = plan.kind === "emulator" ? webhookClient(emulator.webhookUrl) : functionClient(plan, state, stopNow, stopLater);
  const options = {
    client,
    intervalMs: plan.intervalMs,
    minIntervalMs: 0,
    requestTimeoutMs: plan.requestTimeoutMs,
    maxConsecutiveErrors: 100,
    rateLimit: { perSecond: 1000, burst: 1000 },
  };
  if (plan.stopper === "abort") options.signal = controller.signal;

  if (plan.kind === "pre-aborted") {
    state.stopped = true;
    controller.abort();
  }
  watch = watchImport(plan.processId ?? 101, callback, options);
  if (plan.kind === "before-first-poll" || plan.kind === "emulator") stopLater();

  const outcome = await settleWithinLimit(watch.done);
  if (plan.kind === "after-end" && outcome.kind !== "timeout") stopNow();
  return {
    plan,
    settled: outcome.kind !== "timeout",
    outcome: outcome.kind === "resolved" ? "finished" : "aborted",
    outcomeProblem: checkOutcome(outcome, state),
    state,
  };
}

/**
 * Creates a function client whose requests the plan settles. Most resolve at
 * once with the next status of a short import. The plan's poll hangs, fails,
 * or resolves just before a stop.
 */
function functionClient(plan, state, stopNow, stopLater) {
  return (method, params) => {
    if (state.stopped) state.lateRequests += 1;
    const poll = state.requests;
    state.requests += 1;
    const body = statusBody(poll, plan.finishAt, params.processId);
    if (poll !== plan.atPoll) return Promise.resolve(body);

    switch (plan.kind) {
      case "during-request":
        return new Promise((resolve, reject) => {
          stopLater();
          setTimeout(() => {
            if (plan.lateSettle === "resolve") resolve(body);
            if (plan.lateSettle === "reject") reject(new Error("the connection dropped"));
          }, plan.delayMs + 1);
        });
      case "during-backoff":
        return Promise.reject(new Error("the connection dropped"));
      case "after-response":
        return Promise.resolve(body).then((value) => {
          afterMicrotasks(plan.microtasks, stopNow);
          return value;
        });
      default:
        return Promise.resolve(body);
    }
  };
}

function statusBody(poll, finishAt, processId) {
  if (poll >= finishAt) return { result: { status: "F", additional: [], createItemList: [] } };
  if (poll === 0) return { result: { status: "S" } };
  return { result: { status: "P", progress: { action: "load", step: poll, section: `S${processId}` } } };
}

/** Returns null when `done` settled as the run's stop allows, else what is wrong. */
function checkOutcome(outcome, state) {
  if (outcome.kind === "timeout") return "done never settled";
  if (outcome.kind === "rejected") {
    if (!state.stopped) return `done rejected without a stop: ${outcome.value?.message}`;
    if (outcome.value?.name !== "AbortError") return `done rejected with ${outcome.value?.name}: ${outcome.value?.message}`;
    if (outcome.value?.kind !== "aborted") return `done rejected with kind ${outcome.value?.kind}`;
    return null;
  }
  const last = state.updates.at(-1);
  if (outcome.value?.code !== "F") return `done resolved with ${outcome.value?.code}`;
  if (last?.status?.code !== "F") return "done resolved before the callback saw F";
  if (last.nextPollInMs !== null) return "the last update schedules another poll";
  return null;
}

function settleWithinLimit(promise) {
  let timer;
  const limit = new Promise((resolve) => {
    timer = tracker.originalSetTimeout(() => resolve({ kind: "timeout" }), SETTLE_LIMIT_MS);
  });
  const settled = promise.then(
    (value) => ({ kind: "resolved", value }),
    (value) => ({ kind: "rejected", value }),
  );
  return Promise.race([settled, limit]).finally(() => tracker.originalClearTimeout(timer));
}

function afterMicrotasks(count, work) {
  if (count === 0) {
    work();
    return;
  }
  queueMicrotask(() => afterMicrotasks(count - 1, work));
}

function macrotask() {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Mulberry32: a small seeded PRNG with uniform output in [0, 1). */
function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Wraps `setTimeout`, `clearTimeout` and `AbortSignal.prototype`'s
 * `addEventListener` and `removeEventListener`, and counts the timers and
 * listeners that the package's own JS (under dist/wasm/) creates and has not
 * yet cleared or removed. Only the direct caller counts: Node's `fetch` adds
 * a listener to each request's signal and drops it only when the request is
 * garbage-collected, and those are not the package's to remove.
 */
function installTracking() {
  const originalSetTimeout = globalThis.setTimeout;
  const originalClearTimeout = globalThis.clearTimeout;
  const originalAdd = AbortSignal.prototype.addEventListener;
  const originalRemove = AbortSignal.prototype.removeEventListener;
  // Each pending timer and added listener with the stack that created it,
  // so that a failure shows where the leftover came from.
  const timers = new Map();
  const listeners = new Map();
  const created = { timers: 0, listeners: 0 };

  // Returns the caller's stack when the direct caller is the package, else null.
  const packageStack = (wrapper) => {
    const holder = {};
    Error.captureStackTrace(holder, wrapper);
    const caller = holder.stack.split("\n")[1] ?? "";
    return caller.includes("/dist/wasm/") ? holder.stack : null;
  };
  const listenersOf = (signal) => {
    if (!listeners.has(signal)) listeners.set(signal, new Set());
    return listeners.get(signal);
  };
  const listenerKey = (type, listener, options) => {
    const capture = typeof options === "boolean" ? options : Boolean(options?.capture);
    return { type, listener, capture };
  };
  const findListener = (set, key) => [...set].find((entry) => entry.type === key.type && entry.listener === key.listener && entry.capture === key.capture);

  globalThis.setTimeout = function trackedSetTimeout(callback, delay, ...args) {
    const stack = packageStack(trackedSetTimeout);
    let handle = null;
    const run = typeof callback === "function"
      ? (...callbackArgs) => {
        timers.delete(handle);
        return callback(...callbackArgs);
      }
      : callback;
    handle = originalSetTimeout(run, delay, ...args);
    if (stack !== null) {
      timers.set(handle, stack);
      created.timers += 1;
    }
    return handle;
  };
  globalThis.clearTimeout = function trackedClearTimeout(handle) {
    timers.delete(handle);
    return originalClearTimeout(handle);
  };
  AbortSignal.prototype.addEventListener = function trackedAdd(type, listener, options) {
    const stack = packageStack(trackedAdd);
    if (stack !== null && listener !== null && listener !== undefined) {
      const set = listenersOf(this);
      const key = { ...listenerKey(type, listener, options), stack };
      if (findListener(set, key) === undefined) {
        set.add(key);
        created.listeners += 1;
        if (options?.once) {
          originalAdd.call(this, type, () => set.delete(findListener(set, key)), { once: true });
        }
      }
    }
    return originalAdd.call(this, type, listener, options);
  };
  AbortSignal.prototype.removeEventListener = function trackedRemove(type, listener, options) {
    const set = listeners.get(this);
    if (set !== undefined) {
      const found = findListener(set, listenerKey(type, listener, options));
      if (found !== undefined) set.delete(found);
    }
    return originalRemove.call(this, type, listener, options);
  };

  return {
    originalSetTimeout,
    originalClearTimeout,
    /** Resolves after `ms`, through a timer the counts leave out. */
    sleep: (ms) => new Promise((resolve) => originalSetTimeout(resolve, ms)),
    created,
    outstanding() {
      const listenerStacks = [...listeners.values()].flatMap((set) => [...set].map((entry) => entry.stack));
      return { timers: timers.size, listeners: listenerStacks.length, timerStacks: [...timers.values()], listenerStacks };
    },
  };
}
