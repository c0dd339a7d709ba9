// Loads the package and watches one import, then reports the outcome as
// data attributes of <body> for the test to read:
//   data-load-error  the package failed to load (name: message)
//   data-final       the status letter that `done` resolved with
//   data-error       `done` rejected (kind: message)
//   data-violations  each CSP violation, one "directive blockedURI" a line
// The query string sets `processId`, `webhook` (the webhook URL) and
// `maxConsecutiveErrors`.
const params = new URLSearchParams(location.search);
const violations = [];

document.addEventListener("securitypolicyviolation", (event) => {
  violations.push(`${event.effectiveDirective} ${event.blockedURI}`);
  document.body.dataset.violations = violations.join("\n");
});

async function main() {
  let api;
  try {
    // A dynamic import, so that a package that fails to load is reported
    // here instead of silently stopping this module.
    api = await import("/js/browser.js");
  } catch (error) {
    document.body.dataset.loadError = `${error.name}: ${error.message}`;
    return;
  }

  let updates = 0;
  const render = (update) => {
    updates += 1;
    document.getElementById("updates").textContent = String(updates);
    document.getElementById("status").textContent = update.status?.code ?? `error: ${update.error?.kind}`;
  };
  const watch = api.watchImport(params.get("processId"), render, {
    client: api.webhookClient(params.get("webhook")),
    intervalMs: 50,
    minIntervalMs: 10,
    maxConsecutiveErrors: Number(params.get("maxConsecutiveErrors") ?? 10),
  });
  try {
    const final = await watch.done;
    document.body.dataset.final = final.code;
  } catch (error) {
    document.body.dataset.error = `${error.kind}: ${error.message}`;
  }
}

main();
