// A Bitrix24 app page that watches a solution import through the legacy
// BX24 library. It watches the import in the `processId` query parameter,
// or the one typed into the form.
import { watchImport, bx24Client } from "b24-import-watch";

const STAGES = /** @type {const} */ ([
  ["start", "Preparation"],
  ["init_background", "Unpacking files"],
  ["manifest", "Checking the solution"],
  ["clean", "Removing old data"],
  ["load", "Importing data"],
  ["finish", "Finishing"],
]);
const STATE_NAMES = { started: "Waiting for the agent", running: "In progress", finished: "Completed", failed: "Failed", unknown: "Not found" };

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

BX24.init(() => {
  const form = /** @type {HTMLFormElement} */ (byId("start"));
  const fromQuery = new URLSearchParams(location.search).get("processId");
  if (fromQuery !== null) {
    watch(fromQuery);
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    watch(String(new FormData(form).get("processId")));
  });
});

/** @type {import("b24-import-watch").ImportWatch | null} */
let current = null;
/** How many entries of each list are on the page. */
let renderedCount = { notices: 0, errors: 0, exceptions: 0 };

/** @param {string} processId */
function watch(processId) {
  current?.stop();
  byId("messages").replaceChildren();
  renderedCount = { notices: 0, errors: 0, exceptions: 0 };
  byId("title").hidden = false;
  byId("title").textContent = `Import ${processId}: connecting…`;

  // bx24Client gives every request a time limit, because BX24.callMethod
  // never calls back on an HTTP 5xx or a network failure.
  current = watchImport(processId, (update) => render(processId, update), { client: bx24Client() });
  current.done.then(
    (final) => console.info(`import ${processId} ended with status ${final.code}`),
    (error) => {
      // stop() rejects `done` with an AbortError; anything else is a failure.
      if (error.name !== "AbortError") byId("detail").textContent = error.message;
    },
  );
}

/**
 * @param {string} processId
 * @param {import("b24-import-watch").ImportUpdate} update
 */
function render(processId, update) {
  const { status, error } = update;
  if (error !== null && status === null) {
    byId("detail").textContent = `Retrying: ${error.message}`;
  }
  if (status === null) return;

  byId("title").textContent = `Import ${processId}: ${STATE_NAMES[status.state]}`;
  const currentIndex = status.code === "F" ? STAGES.length : (status.phase?.index ?? -1);
  byId("stages").replaceChildren(
    ...STAGES.map(([action, name], index) => {
      const item = document.createElement("li");
      item.textContent = name;
      item.dataset.action = action;
      item.dataset.state = stageState(status.code, index, currentIndex);
      return item;
    }),
  );

  const progress = status.progress;
  const parts = [];
  if (progress?.action) parts.push(`step ${progress.step + 1}`);
  if (progress?.section) parts.push(`section ${progress.section}`);
  if (error !== null) parts.push(`retrying: ${error.message}`);
  byId("detail").textContent = parts.join(" · ");

  // Each list only grows, in server order, so its new entries are at its end.
  for (const [list, kind] of /** @type {const} */ ([["notices", "notice"], ["errors", "error"], ["exceptions", "exception"]])) {
    for (const entry of status[list].slice(renderedCount[list])) {
      const item = document.createElement("li");
      item.className = kind;
      item.textContent = `${kind}: ${entry.message}`;
      byId("messages").append(item);
    }
    renderedCount[list] = status[list].length;
  }
}

/**
 * Returns the state of the stage at `index` when the import is at stage
 * `currentIndex`: done, current, failed or pending.
 *
 * @param {import("b24-import-watch").StatusCode} code
 * @param {number} index
 * @param {number} currentIndex
 */
function stageState(code, index, currentIndex) {
  if (index < currentIndex) return "done";
  if (index > currentIndex) return "pending";
  return code === "E" ? "failed" : "current";
}
