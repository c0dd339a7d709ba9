// The demo page: shows the import whose id the start script put in the page
// URL with the progress widget, through a webhook that it asks the emulator
// for. The language and theme switchers mount the widget again with the new
// option. A real app gets its webhook URL from its own server, never from a
// public page.
//
// Query parameters: processId, intervalMs (default 1500, the agent period of
// `npm start`), lang and theme (the switchers' initial values).
import { mountImportProgress, webhookClient } from "/js/browser.js";

const byId = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
const INTERVAL_MS = Number(query.get("intervalMs") ?? 1500);

const webhook = await (await fetch("/_emulator/webhooks", { method: "POST", body: "{}" })).json();
const client = webhookClient(webhook.url);
const language = byId("lang");
const theme = byId("theme");
language.value = query.get("lang") ?? "";
theme.value = query.get("theme") ?? "auto";

let processId = null;
let watch = null;

function showFinal(text) {
  byId("final").textContent = text;
}

function mount() {
  watch?.stop();
  delete document.body.dataset.final;
  showFinal("The import is still running.");
  document.documentElement.style.colorScheme = theme.value === "auto" ? "" : theme.value;

  const options = { client, intervalMs: INTERVAL_MS, minIntervalMs: Math.min(250, INTERVAL_MS), theme: theme.value, allowCancel: true };
  if (language.value) options.lang = language.value;
  const current = mountImportProgress(byId("progress"), processId, options);
  watch = current;
  current.done.then(
    (final) => {
      if (current !== watch) return;
      document.body.dataset.final = final.code;
      showFinal(JSON.stringify(final, null, 2));
    },
    (error) => {
      if (current !== watch) return;
      showFinal(error.name === "AbortError" ? "Watching stopped: the import was cancelled or the page stopped it." : `Watching stopped: ${error.message}`);
    },
  );
}

language.addEventListener("change", mount);
theme.addEventListener("change", mount);
byId("controls").addEventListener("submit", (event) => event.preventDefault());
byId("again").addEventListener("click", async () => {
  const body = await client.call("configuration.import.register", { data: { MANIFEST: "demo" } });
  processId = body.result.processId;
  mount();
});

processId = query.get("processId");
if (processId) {
  mount();
} else {
  byId("again").click();
}
