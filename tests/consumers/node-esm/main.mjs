// A Node 20 ES module script that uses the package by its name. Usage:
// B24_WEBHOOK_URL=https://PORTAL/rest/1/SECRET/ node main.mjs <processId>
// Prints one JSON line with the codes it saw and exits 0 when the import
// reaches F.
import { watchImport, webhookClient, WatchError } from "b24-import-watch";

const processId = process.argv[2];
const codes = [];
const watch = watchImport(processId, (update) => update.status && codes.push(update.status.code), {
  client: webhookClient(process.env.B24_WEBHOOK_URL),
  schedule: "fixed",
  intervalMs: 50,
});
try {
  const final = await watch.done;
  console.log(JSON.stringify({ final: final.code, codes, watchErrorIsClass: typeof WatchError === "function" }));
  process.exitCode = final.code === "F" ? 0 : 1;
} catch (error) {
  console.log(JSON.stringify({ error: `${error.name}: ${error.message}` }));
  process.exitCode = 3;
}
