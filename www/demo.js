// The demo page: watches the import whose id the start script put in the
// page URL, through a webhook that it asks the emulator for, and shows each
// update. A real app gets its webhook URL from its own server, never from a
// public page.
import { watchImport, webhookClient } from "/js/browser.js";

const ACTIONS = ["start", "init_background", "manifest", "clean", "load", "finish"];
const byId = (id) => document.getElementById(id);

const query = new URLSearchParams(location.search);
// The emulator's agent runs every 1.5 s in the demo; tests pass a shorter interval.
const INTERVAL_MS = Number(query.get("intervalMs") ?? 1500);
const webhook = await (await fetch("/_emulator/webhooks", { method: "POST", body: "{}" })).json();
const client = webhookClient(webhook.url);
let watch = null;

function showList(id, items) {
  const list = byId(id);
  list.replaceChildren();
  if (items.length === 0) {
    const empty = document.createElement("li");
    empty.className = "empty";
    empty.textContent = "none";
    list.append(empty);
    return;
  }
  for (const item of items) {
    const entry = document.createElement("li");
    entry.textContent = item.code ? `${item.code}: ${item.message}` : item.message;
    list.append(entry);
  }
}

function showPhases(status) {
  const list = byId("phases");
  list.replaceChildren();
  const current = status?.phase?.index ?? (status?.code === "F" ? ACTIONS.length : -1);
  ACTIONS.forEach((action, index) => {
    const entry = document.createElement("li");
    entry.textContent = action;
    entry.dataset.state = index < current ? "done" : index === current ? "current" : "pending";
    list.append(entry);
  });
}

function render(update) {
  const { status, error } = update;
  if (status) {
    byId("status").textContent = `${status.code} · ${status.state}`;
    byId("status").dataset.code = status.code;
    byId("phase").textContent = status.phase ? `${status.phase.index + 1} of ${status.phase.count}` : "—";
    byId("step").textContent = status.progress
      ? `${status.progress.action ?? "finishing (action false)"} · step ${status.progress.step}`
      : "—";
    byId("section").textContent = status.progress?.section ?? "—";
    showList("notices", status.notices);
    showList("errors", status.errors);
    showList("exceptions", status.exceptions);
  }
  showPhases(status);
  byId("next").textContent = update.nextPollInMs === null ? "no more checks" : `in ${(update.nextPollInMs / 1000).toFixed(1)} s`;
  byId("connection").textContent = error ? `problem, retrying: ${error.message}` : "ok";

  const line = document.createElement("li");
  line.textContent = `#${update.attempt} ${status ? status.code : "?"}${update.changed ? " (changed)" : ""}${error ? ` error: ${error.kind}` : ""}`;
  byId("log").prepend(line);
}

function start(processId) {
  watch?.stop();
  byId("process-id").textContent = String(processId);
  byId("log").replaceChildren();
  showPhases(null);
  watch = watchImport(processId, render, { client, intervalMs: INTERVAL_MS, minIntervalMs: 250 });
  watch.done.then(
    (final) => { document.body.dataset.final = final.code; },
    (error) => {
      if (error.name !== "AbortError") byId("connection").textContent = `stopped: ${error.message}`;
    },
  );
}

byId("again").addEventListener("click", async () => {
  const body = await client.call("configuration.import.register", { data: { MANIFEST: "demo" } });
  start(body.result.processId);
});

const processId = query.get("processId");
if (processId) {
  start(processId);
} else {
  byId("again").click();
}
