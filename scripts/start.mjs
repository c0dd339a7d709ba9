// The demo: starts the portal emulator on 127.0.0.1, registers an import,
// serves the demo page that watches it, and prints one line per status
// change. Run with `npm start`; stop with Ctrl-C.
// Options: --port N (default 8080, or a free port when taken),
// --agent-period-ms N (default 1500: one import step every 1.5 s).
import { parseArgs } from "node:util";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

import { startEmulator } from "../tools/portal-emulator/server.mjs";
import { watchImport, webhookClient } from "../js/node.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.PORT ?? "8080" },
    "agent-period-ms": { type: "string", default: "1500" },
  },
});
const agentPeriodMs = Number(values["agent-period-ms"]);
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`start: invalid --port ${values.port}: expected 0 to 65535`);
  process.exit(2);
}
if (!Number.isInteger(agentPeriodMs) || agentPeriodMs < 10) {
  console.error(`start: invalid --agent-period-ms ${values["agent-period-ms"]}: expected a whole number of at least 10`);
  process.exit(2);
}

const emulatorOptions = {
  agentPeriodMs,
  staticRoots: { "/": join(root, "www"), "/js/": join(root, "js"), "/dist/": join(root, "dist") },
};
let emulator;
try {
  emulator = await startEmulator({ ...emulatorOptions, port });
} catch (error) {
  if (error.code !== "EADDRINUSE") throw error;
  console.log(`start: port ${port} is taken, using a free port`);
  emulator = await startEmulator({ ...emulatorOptions, port: 0 });
}

const processId = emulator.register();
console.log(`Portal emulator: ${emulator.url} (agent period ${agentPeriodMs} ms)`);
console.log(`Demo page:       ${emulator.url}/?processId=${processId}`);
console.log(`Watching import ${processId} from Node too; one line per status change. Ctrl-C stops.`);

const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1).padStart(5);
const describe = (status) => {
  const progress = status.progress;
  if (!progress) return `${status.code} ${status.state}`;
  const action = progress.action ?? "finishing";
  const section = progress.section ? ` ${progress.section}` : "";
  return `${status.code} ${status.state}: ${action} step ${progress.step}${section}`;
};

const watch = watchImport(
  processId,
  (update) => {
    if (update.error) console.log(`[${seconds()} s] retrying after: ${update.error.message}`);
    if (update.changed) console.log(`[${seconds()} s] ${describe(update.status)}`);
  },
  { client: webhookClient(emulator.webhookUrl), intervalMs: agentPeriodMs, minIntervalMs: Math.min(250, agentPeriodMs) },
);
watch.done.then(
  (final) => console.log(`[${seconds()} s] import ${processId} ended with ${final.code}; the page stays up until Ctrl-C`),
  (error) => console.log(`[${seconds()} s] watching stopped: ${error.message}`),
);

async function shutDown() {
  watch.stop();
  await emulator.close();
  process.exit(0);
}
process.on("SIGINT", shutDown);
process.on("SIGTERM", shutDown);
