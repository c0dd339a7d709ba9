// A Bitrix24 app page built with Vite that watches a solution import through
// @bitrix24/b24jssdk. It watches the import in the `processId` query
// parameter, or the one typed into the form.
import { initializeB24Frame } from "@bitrix24/b24jssdk";
import { watchImport, b24jssdkClient, type ImportUpdate, type ImportWatch, type ImportAction } from "b24-import-watch";

const STAGE_NAMES: Record<ImportAction, string> = {
  start: "Preparation",
  init_background: "Unpacking files",
  manifest: "Checking the solution",
  clean: "Removing old data",
  load: "Importing data",
  finish: "Finishing",
};

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
}

// The SDK handles the frame handshake, the token and its refresh, and
// retries rate limits itself; the client adds the watcher's backoff.
const b24 = await initializeB24Frame();
const client = b24jssdkClient(b24);

let current: ImportWatch | null = null;
let renderedCount = { notices: 0, errors: 0, exceptions: 0 };

function watch(processId: string): void {
  current?.stop();
  renderedCount = { notices: 0, errors: 0, exceptions: 0 };
  element("messages").replaceChildren();
  element("failure").textContent = "";
  element("title").hidden = false;
  element("title").textContent = `Import ${processId}: connecting…`;

  current = watchImport(processId, (update) => render(processId, update), { client });
  current.done.then(
    (final) => {
      element("title").textContent = `Import ${processId}: ${final.code === "F" ? "completed" : final.code === "E" ? "failed" : "not found"}`;
    },
    (error: Error) => {
      // stop() rejects `done` with an AbortError; anything else is a failure.
      if (error.name !== "AbortError") element("failure").textContent = error.message;
    },
  );
}

function render(processId: string, update: ImportUpdate): void {
  const { status, error } = update;
  element("detail").textContent = error === null ? "" : `Retrying: ${error.message}`;
  if (status === null) return;

  const stage = element<HTMLProgressElement>("stage");
  stage.hidden = false;
  stage.value = status.code === "F" ? 6 : (status.phase?.index ?? 0);
  const action = status.progress?.action;
  if (status.code === "P") {
    const name = action ? (STAGE_NAMES[action as ImportAction] ?? action) : "confirming the result";
    const step = action ? `, step ${status.progress!.step + 1}` : "";
    const section = status.progress?.section ? `, section ${status.progress.section}` : "";
    element("title").textContent = `Import ${processId}: ${name}${step}${section}`;
  } else if (status.code === "S") {
    element("title").textContent = `Import ${processId}: waiting for the portal's agent`;
  }

  const lists = [
    ["notices", "notice"],
    ["errors", "error"],
    ["exceptions", "exception"],
  ] as const;
  for (const [list, kind] of lists) {
    // Each list only grows, in server order, so its new entries are at its end.
    for (const entry of status[list].slice(renderedCount[list])) {
      const item = document.createElement("li");
      item.className = kind;
      item.textContent = `${kind}: ${entry.message}`;
      element("messages").append(item);
    }
    renderedCount[list] = status[list].length;
  }
}

const fromQuery = new URLSearchParams(location.search).get("processId");
if (fromQuery !== null) watch(fromQuery);
const form = element<HTMLFormElement>("start");
form.addEventListener("submit", (event) => {
  event.preventDefault();
  watch(String(new FormData(form).get("processId")));
});
