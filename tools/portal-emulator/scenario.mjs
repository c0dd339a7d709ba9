// Import scenarios: which states a simulated import goes through, one per agent run.
//
// The real server (REST module, Bitrix\Rest\Configuration\Action\Import) runs the
// actions start, init_background, manifest, clean, load and finish in this order, one
// step per agent run. `step` counts within an action, `section` is the entity section
// being processed. After finish has run the status stays P with `action: false` until
// the next run sets F.

export const DEFAULT_SECTIONS = Object.freeze(["CRM_STATUS", "CRM_DEAL_CATEGORY", "CRM_FIELDS", "REST_APPLICATION"]);

const DEFAULT_FILES_PER_SECTION = Object.freeze({
  CRM_STATUS: 2,
  CRM_DEAL_CATEGORY: 3,
  CRM_FIELDS: 1,
  REST_APPLICATION: 2,
});
const FALLBACK_FILES_PER_SECTION = 2;

// Real portals purge import data after about three days; then the id reads U.
const DEFAULT_PURGE_AFTER_MS = 3 * 24 * 60 * 60 * 1000;

export const OUTCOMES = Object.freeze(["F", "E", "E-no-details"]);
const LIST_SHAPES = Object.freeze(["array", "object", "php"]);
const NOTIFICATION_TYPES = Object.freeze(["notice", "error"]);
const LIST_FIELDS = Object.freeze(["notice", "errors", "exception"]);
const DEFAULT_LIST_SHAPE = Object.freeze({ notice: "array", errors: "object", exception: "array" });

const MAX_SECTIONS = 100;
const MAX_STEPS_PER_ACTION = 1000;
const MAX_NOTIFICATIONS = 1000;
const MAX_DELAY_MS = 7 * 24 * 60 * 60 * 1000;

const SCENARIO_FIELDS = Object.freeze([
  "sections",
  "filesPerSection",
  "initBackgroundSteps",
  "skipClearing",
  "notifications",
  "listShape",
  "outcome",
  "exceptionAt",
  "exceptionSameRun",
  "additional",
  "createItemList",
  "purgeAfterMs",
  "agentPeriodMs",
  "firstRunDelayMs",
  "jitterMs",
]);

/** An invalid scenario; the message names the field and the accepted values. */
export class ScenarioError extends Error {
  constructor(message) {
    super(message);
    this.name = "ScenarioError";
  }
}

/**
 * Validates a scenario and fills in the defaults. Values may come from a JSON body or
 * from PHP-style form fields, so numbers and booleans may arrive as strings and lists
 * as objects with numeric keys. Throws ScenarioError on an unknown field or a bad value.
 */
export function normalizeScenario(raw) {
  const input = raw ?? {};
  if (typeof input !== "object" || Array.isArray(input)) {
    throw new ScenarioError("the scenario must be an object");
  }
  for (const key of Object.keys(input)) {
    if (!SCENARIO_FIELDS.includes(key)) {
      throw new ScenarioError(`unknown scenario field "${key}"; known fields: ${SCENARIO_FIELDS.join(", ")}`);
    }
  }

  const sections = input.sections === undefined
    ? [...DEFAULT_SECTIONS]
    : readList(input.sections, "sections", MAX_SECTIONS).map((value, index) => readSectionCode(value, `sections[${index}]`));

  return {
    sections,
    filesPerSection: readFilesPerSection(input.filesPerSection, sections),
    initBackgroundSteps: readInteger(input.initBackgroundSteps, "initBackgroundSteps", 0, MAX_STEPS_PER_ACTION, 1),
    skipClearing: readBoolean(input.skipClearing, "skipClearing", false),
    notifications: input.notifications === undefined ? null : readNotifications(input.notifications),
    listShape: readListShape(input.listShape),
    outcome: readOutcome(input.outcome),
    exceptionAt: input.exceptionAt === undefined ? null : readSelector(input.exceptionAt, "exceptionAt"),
    exceptionSameRun: readBoolean(input.exceptionSameRun, "exceptionSameRun", false),
    additional: readJsonContainer(input.additional, "additional", []),
    createItemList: input.createItemList === undefined
      ? [{ type: "crm_pipeline", id: "4" }]
      : readList(input.createItemList, "createItemList", MAX_NOTIFICATIONS),
    purgeAfterMs: readInteger(input.purgeAfterMs, "purgeAfterMs", 0, Number.MAX_SAFE_INTEGER, DEFAULT_PURGE_AFTER_MS),
    agentPeriodMs: readOptionalInteger(input.agentPeriodMs, "agentPeriodMs", 1, MAX_DELAY_MS),
    firstRunDelayMs: readOptionalInteger(input.firstRunDelayMs, "firstRunDelayMs", 0, MAX_DELAY_MS),
    jitterMs: readInteger(input.jitterMs, "jitterMs", 0, MAX_DELAY_MS, 0),
  };
}

/**
 * Builds the script of a normalized scenario. `states[0]` is the status before the
 * first agent run (S) and `states[r]` the status after run r. Each notification carries
 * the run that adds it, and the list is in the order the server stores them.
 */
export function buildScript(scenario) {
  if (scenario.outcome === "E-no-details") {
    // The server sets E without progress or notifications when the manifest code is missing.
    return { states: [{ status: "S" }, { status: "E" }], notifications: [] };
  }

  const steps = buildSteps(scenario);
  const states = [{ status: "S" }, ...steps.map((progress) => ({ status: "P", progress }))];
  const notifications = resolveNotifications(scenario, steps);

  if (scenario.outcome === "F") {
    states.push({ status: "P", progress: { action: false, step: 0 } });
    states.push({ status: "F" });
    return { states, notifications: sortByRun(notifications, states.length - 1) };
  }

  const exceptionIndex = scenario.exceptionAt === null
    ? defaultExceptionIndex(steps)
    : findStep(scenario.exceptionAt, steps, "exceptionAt");
  const failedStep = steps[exceptionIndex];
  const exceptionRun = exceptionIndex + 1;
  states.length = exceptionRun + 1;
  notifications.push({
    run: exceptionRun,
    type: "exception",
    code: ["ERROR_CONTENT", failedStep.section, failedStep.step].filter((part) => part !== undefined).join("_"),
    message: `Step ${failedStep.step}: the file content could not be read.`,
  });

  if (scenario.exceptionSameRun) {
    states[exceptionRun] = { status: "E", progress: failedStep };
  } else {
    states.push({ status: "E", progress: failedStep });
  }
  return { states, notifications: sortByRun(notifications, states.length - 1) };
}

function buildSteps(scenario) {
  const steps = [{ action: "start", step: 0 }];
  for (let step = 0; step < scenario.initBackgroundSteps; step += 1) {
    steps.push({ action: "init_background", step });
  }
  for (const section of scenario.sections) {
    steps.push({ action: "manifest", step: 0, section });
  }
  if (!scenario.skipClearing) {
    for (const section of scenario.sections) {
      steps.push({ action: "clean", step: 0, section });
    }
  }
  scenario.sections.forEach((section, index) => {
    for (let step = 0; step < scenario.filesPerSection[index]; step += 1) {
      steps.push({ action: "load", step, section });
    }
  });
  steps.push({ action: "finish", step: 0 });
  return steps;
}

// Returns the notifications with the agent run that adds each one.
function resolveNotifications(scenario, steps) {
  if (scenario.notifications === null) {
    return defaultNotifications(steps, scenario.sections);
  }

  const lastRun = steps.length + 2;
  return scenario.notifications.map((notification, index) => {
    const name = `notifications[${index}].at`;
    let run;
    if (notification.at.run !== undefined) {
      if (notification.at.run < 1 || notification.at.run > lastRun) {
        throw new ScenarioError(`${name} must be an agent run from 1 to ${lastRun}, got ${notification.at.run}`);
      }
      run = notification.at.run;
    } else {
      run = findStep(notification.at, steps, name) + 1;
    }
    return { run, type: notification.type, code: notification.code, message: notification.message };
  });
}

// The defaults place notices and errors so that the errors' keys have gaps ("1", "4")
// while the notices still form a list, as seen on real portals.
function defaultNotifications(steps, sections) {
  const runOf = (predicate, nth = 0) => {
    const matches = [];
    steps.forEach((step, index) => {
      if (predicate(step)) {
        matches.push(index + 1);
      }
    });
    return matches[nth];
  };
  const loadRun = (nth) => runOf((step) => step.action === "load", nth);
  const loadStep = (nth) => steps[loadRun(nth) - 1];

  const candidates = [
    {
      run: runOf((step) => step.action === "manifest"),
      type: "notice",
      code: "",
      message: "Field UF_CRM_1612 was renamed because a field with the same code exists.",
    },
    { run: loadRun(0), type: "error", code: "", message: "Could not create stage C3:WON: the limit of stages is reached." },
    { run: loadRun(1), type: "notice", code: "", message: "Pipeline \"Sales\" already exists; stages were merged." },
    loadRun(2) === undefined
      ? null
      : {
        run: loadRun(2),
        type: "notice",
        code: `SANITIZE_${sections.indexOf(loadStep(2).section)}_${loadStep(2).step}`,
        message: `Step ${loadStep(2).step}: unsafe markup was removed from the imported data.`,
      },
    { run: loadRun(4), type: "error", code: "", message: "Could not copy the automation rule for stage C3:NEW." },
    {
      run: runOf((step) => step.action === "finish"),
      type: "notice",
      code: "",
      message: "Two fields were skipped because they already exist.",
    },
  ];
  return candidates.filter((candidate) => candidate !== null && candidate.run !== undefined);
}

// Keeps the notifications that fire within the script, in run order; within one run
// they keep the order in which they were declared.
function sortByRun(notifications, lastRun) {
  return notifications
    .filter((notification) => notification.run <= lastRun)
    .map((notification, order) => ({ notification, order }))
    .sort((a, b) => a.notification.run - b.notification.run || a.order - b.order)
    .map(({ notification }) => notification);
}

function defaultExceptionIndex(steps) {
  for (let index = steps.length - 1; index >= 0; index -= 1) {
    if (steps[index].action === "load") {
      return index;
    }
  }
  // Without load steps the exception hits the step before finish.
  return Math.max(steps.length - 2, 0);
}

function findStep(selector, steps, name) {
  if (selector.run !== undefined) {
    if (selector.run < 1 || selector.run > steps.length) {
      throw new ScenarioError(`${name} must be an agent run from 1 to ${steps.length}, got ${selector.run}`);
    }
    return selector.run - 1;
  }
  const index = steps.findIndex((step) => {
    return (selector.action === undefined || step.action === selector.action)
      && (selector.section === undefined || step.section === selector.section)
      && (selector.step === undefined || step.step === selector.step);
  });
  if (index === -1) {
    throw new ScenarioError(`${name} ${JSON.stringify(selector)} matches no step of this scenario`);
  }
  return index;
}

function readFilesPerSection(value, sections) {
  if (value === undefined) {
    return sections.map((section) => DEFAULT_FILES_PER_SECTION[section] ?? FALLBACK_FILES_PER_SECTION);
  }
  if (typeof value === "number" || typeof value === "string") {
    const count = readInteger(value, "filesPerSection", 0, MAX_STEPS_PER_ACTION);
    return sections.map(() => count);
  }
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const key of Object.keys(value)) {
      if (!sections.includes(key)) {
        throw new ScenarioError(`filesPerSection names "${key}", which is not in sections`);
      }
    }
    return sections.map((section) => {
      return readInteger(value[section], `filesPerSection.${section}`, 0, MAX_STEPS_PER_ACTION, FALLBACK_FILES_PER_SECTION);
    });
  }
  throw new ScenarioError("filesPerSection must be an integer or an object mapping section codes to integers");
}

function readNotifications(value) {
  return readList(value, "notifications", MAX_NOTIFICATIONS).map((item, index) => {
    const name = `notifications[${index}]`;
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      throw new ScenarioError(`${name} must be an object {at, type, message, code}`);
    }
    if (!NOTIFICATION_TYPES.includes(item.type)) {
      throw new ScenarioError(`${name}.type must be one of ${NOTIFICATION_TYPES.join(", ")}, got ${JSON.stringify(item.type)}`);
    }
    if (typeof item.message !== "string") {
      throw new ScenarioError(`${name}.message must be a string`);
    }
    if (item.code !== undefined && typeof item.code !== "string") {
      throw new ScenarioError(`${name}.code must be a string`);
    }
    if (item.at === undefined) {
      throw new ScenarioError(`${name}.at is missing: give an agent run number or {action, section, step}`);
    }
    return { at: readSelector(item.at, `${name}.at`), type: item.type, message: item.message, code: item.code ?? "" };
  });
}

// A selector is an agent run number or an object matching a step by action, section and step.
function readSelector(value, name) {
  if (typeof value === "number" || typeof value === "string") {
    return { run: readInteger(value, name, 1, Number.MAX_SAFE_INTEGER) };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ScenarioError(`${name} must be an agent run number or an object {action, section, step}`);
  }
  for (const key of Object.keys(value)) {
    if (!["action", "section", "step"].includes(key)) {
      throw new ScenarioError(`${name} has unknown field "${key}"; use action, section and step`);
    }
  }
  const selector = {};
  if (value.action !== undefined) {
    selector.action = String(value.action);
  }
  if (value.section !== undefined) {
    selector.section = readSectionCode(value.section, `${name}.section`);
  }
  if (value.step !== undefined) {
    selector.step = readInteger(value.step, `${name}.step`, 0, MAX_STEPS_PER_ACTION);
  }
  return selector;
}

function readListShape(value) {
  if (value === undefined) {
    return { ...DEFAULT_LIST_SHAPE };
  }
  if (typeof value === "string") {
    const shape = readShapeName(value, "listShape");
    return { notice: shape, errors: shape, exception: shape };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ScenarioError(`listShape must be one of ${LIST_SHAPES.join(", ")} or an object {notice, errors, exception}`);
  }
  for (const key of Object.keys(value)) {
    if (!LIST_FIELDS.includes(key)) {
      throw new ScenarioError(`listShape has unknown field "${key}"; use ${LIST_FIELDS.join(", ")}`);
    }
  }
  const shapes = { ...DEFAULT_LIST_SHAPE };
  for (const field of LIST_FIELDS) {
    if (value[field] !== undefined) {
      shapes[field] = readShapeName(value[field], `listShape.${field}`);
    }
  }
  return shapes;
}

function readShapeName(value, name) {
  if (!LIST_SHAPES.includes(value)) {
    throw new ScenarioError(`${name} must be one of ${LIST_SHAPES.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function readOutcome(value) {
  if (value === undefined) {
    return "F";
  }
  if (!OUTCOMES.includes(value)) {
    throw new ScenarioError(`outcome must be one of ${OUTCOMES.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function readSectionCode(value, name) {
  if (typeof value !== "string" || !/^[A-Za-z0-9_]+$/.test(value)) {
    throw new ScenarioError(`${name} must be a section code of letters, digits and underscores, got ${JSON.stringify(value)}`);
  }
  return value;
}

function readJsonContainer(value, name, fallback) {
  if (value === undefined) {
    return fallback;
  }
  if (value === null || typeof value !== "object") {
    throw new ScenarioError(`${name} must be an object or an array`);
  }
  return value;
}

// Accepts a JSON array or a PHP list sent as form fields (an object with integer keys).
function readList(value, name, maxLength) {
  let list;
  if (Array.isArray(value)) {
    list = [...value];
  } else if (value !== null && typeof value === "object" && Object.keys(value).every((key) => /^\d+$/.test(key))) {
    list = Object.keys(value)
      .sort((a, b) => Number(a) - Number(b))
      .map((key) => value[key]);
  } else {
    throw new ScenarioError(`${name} must be a list`);
  }
  if (list.length > maxLength) {
    throw new ScenarioError(`${name} has ${list.length} items; the maximum is ${maxLength}`);
  }
  return list;
}

function readOptionalInteger(value, name, min, max) {
  return value === undefined ? undefined : readInteger(value, name, min, max);
}

function readInteger(value, name, min, max, fallback) {
  if (value === undefined && fallback !== undefined) {
    return fallback;
  }
  const number = typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new ScenarioError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return number;
}

function readBoolean(value, name, fallback) {
  if (value === undefined) {
    return fallback;
  }
  if ([true, 1, "1", "true", "Y", "y"].includes(value)) {
    return true;
  }
  if ([false, 0, "0", "false", "N", "n", ""].includes(value)) {
    return false;
  }
  throw new ScenarioError(`${name} must be a boolean (true/false, Y/N or 1/0), got ${JSON.stringify(value)}`);
}
