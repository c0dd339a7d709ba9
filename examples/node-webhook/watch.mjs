// Watches a solution import from Node through an incoming webhook and prints
// one line per change. Usage:
//   B24_WEBHOOK_URL=https://PORTAL/rest/USER_ID/SECRET/ node watch.mjs <processId>
// The webhook needs the configuration.import scope. Exits 0 when the import
// finishes (F), 1 when it fails (E), 2 when the portal does not know it (U),
// 3 when watching fails. Ctrl-C stops watching; the import goes on.
import { watchImport, webhookClient } from "b24-import-watch";

const processId = process.argv[2];
if (processId === undefined || process.env.B24_WEBHOOK_URL === undefined) {
  console.error("usage: B24_WEBHOOK_URL=https://PORTAL/rest/USER_ID/SECRET/ node watch.mjs <processId>");
  process.exit(3);
}

// An AbortSignal stops the watch as stop() does.
const controller = new AbortController();
process.once("SIGINT", () => controller.abort());

// The notices list only grows, in server order; this many are printed.
let noticesShown = 0;

const watch = watchImport(
  processId,
  ({ status, changed, error, nextPollInMs }) => {
    if (error !== null) {
      // The message names the portal but never the webhook secret.
      console.warn(`retrying in ${nextPollInMs} ms: ${error.message}`);
    }
    if (status === null || !changed) return;
    const { code, progress, phase } = status;
    const where = progress?.action
      ? ` stage ${phase ? phase.index + 1 : "?"}/6 ${progress.action}, step ${progress.step + 1}${progress.section ? `, ${progress.section}` : ""}`
      : "";
    console.log(`${new Date().toISOString()} ${code}${where}`);
    for (const notice of status.notices.slice(noticesShown)) console.log(`  notice: ${notice.message}`);
    noticesShown = status.notices.length;
  },
  // A webhook client: fetch with a time limit per request.
  { client: webhookClient(process.env.B24_WEBHOOK_URL), signal: controller.signal },
);

try {
  const final = await watch.done;
  for (const error of final.errors) console.log(`error (the import went on): ${error.message}`);
  for (const exception of final.exceptions) console.log(`critical error: ${exception.message}`);
  console.log(`import ${processId} ended with status ${final.code}`);
  const exitCodes = { F: 0, E: 1, U: 2 };
  process.exitCode = final.code in exitCodes ? exitCodes[/** @type {"F" | "E" | "U"} */ (final.code)] : 3;
} catch (error) {
  // `done` rejects with a WatchError: an AbortError after Ctrl-C, else a failure.
  const { name, message } = /** @type {import("b24-import-watch").WatchError} */ (error);
  console.error(name === "AbortError" ? "stopped; the import goes on on the portal" : message);
  process.exitCode = name === "AbortError" ? 130 : 3;
}
