// Simulated import processes. The real portal advances an import one step per agent
// run: the first run comes a delay after `register` (60 s on real portals), later runs
// every period (60 s). Here each process stores only its script and the times of its
// runs, and the status is computed from the clock on each request, so idle processes
// cost no timers.

import { buildScript, normalizeScenario } from "./scenario.mjs";
import { phpArray } from "./envelope.mjs";

const LIST_TYPES = Object.freeze({ notice: "notice", errors: "error", exception: "exception" });

/** Registered imports and their simulated agent runs. */
export class ImportRegistry {
  #processes = new Map();
  #nextProcessId;
  #clock;
  #agentPeriodMs;
  #firstRunDelayMs;

  /**
   * `clock` returns the current time in ms. `agentPeriodMs` and `firstRunDelayMs` are
   * the defaults for scenarios that set no timing of their own.
   */
  constructor({ clock, agentPeriodMs, firstRunDelayMs, firstProcessId = 101 }) {
    this.#clock = clock;
    this.#agentPeriodMs = agentPeriodMs;
    this.#firstRunDelayMs = firstRunDelayMs;
    this.#nextProcessId = firstProcessId;
  }

  /**
   * Registers an import and returns its processId. Throws ScenarioError when the
   * scenario is invalid; no id is used up then.
   */
  register(rawScenario) {
    const scenario = normalizeScenario(rawScenario);
    const script = buildScript(scenario);
    const registeredAt = this.#clock();

    const periodMs = scenario.agentPeriodMs ?? this.#agentPeriodMs;
    const firstRunDelayMs = scenario.firstRunDelayMs
      ?? (scenario.agentPeriodMs === undefined ? this.#firstRunDelayMs : scenario.agentPeriodMs);

    // Run r (1-based) brings the state script.states[r]. Real agents run late and
    // irregularly, which jitterMs imitates; runs never overtake each other.
    const runTimes = [];
    for (let run = 1; run < script.states.length; run += 1) {
      const planned = registeredAt + firstRunDelayMs + (run - 1) * periodMs;
      const late = scenario.jitterMs > 0 ? Math.floor(Math.random() * (scenario.jitterMs + 1)) : 0;
      runTimes.push(Math.max(planned + late, runTimes.at(-1) ?? 0));
    }

    const processId = this.#nextProcessId;
    this.#nextProcessId += 1;
    this.#processes.set(processId, {
      scenario,
      script,
      runTimes,
      frozenIndex: null,
      unregisteredAt: null,
      purged: false,
    });
    return processId;
  }

  /** Returns the result of `configuration.import.get` for a processId at the current time. */
  status(processId) {
    const process = this.#processes.get(processId);
    const now = this.#clock();
    if (process === undefined || process.purged || isPurgeDue(process, now)) {
      return { status: "U" };
    }
    return renderState(process, stateIndex(process, now));
  }

  /**
   * Stops the agent of a running import, as `configuration.import.unregister` does.
   * The server deletes the agent and the stored archive link but keeps the status, so
   * a stopped import keeps returning the status it had. After F or E the agent has
   * already unregistered itself, and the call returns PROCESS_NOT_FOUND.
   */
  unregister(processId) {
    const process = this.#processes.get(processId);
    const now = this.#clock();
    const notFound = { error: "PROCESS_NOT_FOUND", error_description: "Process doesn't found." };
    if (process === undefined || process.purged || process.frozenIndex !== null || isPurgeDue(process, now)) {
      return notFound;
    }
    const index = stateIndex(process, now);
    if (isTerminal(process.script.states[index])) {
      return notFound;
    }
    process.frozenIndex = index;
    process.unregisteredAt = now;
    return { success: "Y" };
  }

  /** Deletes the data of a process, so that its id reads U from now on. */
  purge(processId) {
    const process = this.#processes.get(processId);
    if (process !== undefined) {
      process.purged = true;
    }
  }

  /** Returns whether a processId was ever registered here. */
  has(processId) {
    return this.#processes.has(processId);
  }

  get size() {
    return this.#processes.size;
  }
}

function runsDone(process, now) {
  let low = 0;
  let high = process.runTimes.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (process.runTimes[middle] <= now) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

function stateIndex(process, now) {
  return process.frozenIndex ?? Math.min(runsDone(process, now), process.script.states.length - 1);
}

function isTerminal(state) {
  return state.status === "F" || state.status === "E";
}

// The purge clock starts at the run that ended the import, or at unregister.
function isPurgeDue(process, now) {
  if (process.unregisteredAt !== null) {
    return now - process.unregisteredAt >= process.scenario.purgeAfterMs;
  }
  const lastIndex = process.script.states.length - 1;
  if (runsDone(process, now) < lastIndex) {
    return false;
  }
  return now - process.runTimes[lastIndex - 1] >= process.scenario.purgeAfterMs;
}

// Builds the result in the server's key order: status, the notification lists, then
// progress (P and E) or additional and createItemList (F).
function renderState(process, index) {
  const state = process.script.states[index];
  const result = { status: state.status };

  // The server stores notices, errors and exceptions in one list and filters it by
  // type with unset(), so each field keeps the keys of the combined list.
  const visible = process.script.notifications.filter((notification) => notification.run <= index);
  for (const [field, type] of Object.entries(LIST_TYPES)) {
    const list = renderList(visible, type, process.scenario.listShape[field]);
    if (list !== undefined) {
      result[field] = list;
    }
  }

  if (state.progress !== undefined) {
    result.progress = { ...state.progress };
  }
  if (state.status === "F") {
    result.additional = structuredClone(process.scenario.additional);
    result.createItemList = structuredClone(process.scenario.createItemList);
  }
  return result;
}

function renderList(visible, type, shape) {
  const entries = [];
  visible.forEach((notification, key) => {
    if (notification.type === type) {
      entries.push([key, { code: notification.code, message: notification.message, type }]);
    }
  });
  if (entries.length === 0) {
    return undefined;
  }
  if (shape === "array") {
    return entries.map(([, item]) => item);
  }
  if (shape === "object") {
    return Object.fromEntries(entries.map(([key, item]) => [String(key), item]));
  }
  return phpArray(entries);
}
