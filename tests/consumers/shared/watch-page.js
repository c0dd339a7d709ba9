// The page logic shared by the browser consumers. It takes the package's
// exports as an argument, because each consumer imports them its own way.
// The page requests a webhook and an import from the emulator that served
// it, watches the import, and marks the body with data-final when it ends.
// The test reads window.consumerResult. The webhook URL is never logged.

async function postJson(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(`POST ${path} failed with HTTP ${response.status}`);
  }
  return response.json();
}

export async function runWatchPage({ watchImport, webhookClient, WatchError }) {
  const result = { processId: null, codes: [], final: null, error: null, watchErrorIsClass: typeof WatchError === "function" };
  window.consumerResult = result;
  const output = document.getElementById("status");
  try {
    const { url } = await postJson("/_emulator/webhooks", {});
    const { processId } = await postJson("/_emulator/register", {});
    result.processId = processId;
    const watch = watchImport(
      processId,
      (update) => {
        if (update.status !== null) {
          result.codes.push(update.status.code);
          output.textContent = `${update.status.code} ${update.status.progress?.action ?? ""}`;
        }
      },
      { client: webhookClient(url), schedule: "fixed", intervalMs: 50 },
    );
    const final = await watch.done;
    result.final = final.code;
  } catch (error) {
    result.error = `${error?.name}: ${error?.message}`;
  }
  document.body.dataset.final = result.final ?? "error";
}
