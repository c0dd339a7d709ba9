// The part shared by the app pages that run inside the portal shell: register
// an import (unless the address names one), watch it, and show every update.
// Tests read `window.appResult` and wait for `body[data-final]`.
import { watchImport, bx24Client } from "/js/browser.js";

const query = new URLSearchParams(location.search);
const byId = (id) => document.getElementById(id);

/**
 * Runs the app. `makeClient()` returns the client of each watch; `undefined`
 * leaves `client` out of the options, so that watchImport picks the page's
 * BX24 library itself.
 */
export async function runApp(makeClient) {
  const result = { processId: null, updates: [], finals: [], errors: [] };
  window.appResult = result;
  try {
    result.processId = query.has("processId") ? Number(query.get("processId")) : await register(makeClient() ?? bx24Client());
    byId("process-id").textContent = String(result.processId);

    // Several watches with a client each send their own requests, which
    // shows whether they share a token refresh.
    const count = Number(query.get("watches") ?? 1);
    const intervalMs = Number(query.get("intervalMs") ?? 100);
    const watches = Array.from({ length: count }, () => {
      const client = makeClient();
      const options = { intervalMs, minIntervalMs: intervalMs, ...(client === undefined ? {} : { client }) };
      return watchImport(result.processId, (update) => show(result, update), options);
    });
    const settled = await Promise.allSettled(watches.map((watch) => watch.done));
    for (const outcome of settled) {
      if (outcome.status === "fulfilled") {
        result.finals.push(outcome.value.code);
      } else {
        result.errors.push(describe(outcome.reason));
      }
    }
  } catch (error) {
    result.errors.push(describe(error));
  }

  if (result.errors.length > 0) {
    byId("error").textContent = result.errors.map((error) => error.message).join("\n");
  }
  document.body.dataset.final = result.errors.length === 0 ? result.finals.join(",") : "error";
}

async function register(client) {
  // The emulator accepts any non-empty data; a real app passes the links to
  // the solution archive that it exported.
  const body = await client.call("configuration.import.register", { data: { MANIFEST: "emulator-solution" } });
  return body.result.processId;
}

function show(result, update) {
  result.updates.push({ code: update.status?.code ?? null, error: update.error ? describe(update.error) : null });
  if (update.status) {
    byId("status").textContent = `${update.status.code} · ${update.status.state}`;
  }
  const item = document.createElement("li");
  item.textContent = update.error ? `error: ${update.error.message}` : (update.status?.code ?? "?");
  byId("log").append(item);
}

function describe(error) {
  return {
    name: error?.name ?? null,
    kind: error?.kind ?? null,
    code: error?.code ?? null,
    httpStatus: error?.httpStatus ?? null,
    retryable: error?.retryable ?? null,
    message: String(error?.message ?? error),
  };
}
