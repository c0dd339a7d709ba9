// Runs an example against the local portal emulator:
//
//   node examples/run.mjs frame-bx24        # app page in the emulator's portal shell
//   node examples/run.mjs vite-b24jssdk     # builds with Vite, then the same
//   node examples/run.mjs node-webhook      # runs the script with a webhook
//
// Options: --agent-period-ms N sets the emulator's agent period. The default
// is 1500 ms, so an import takes about 30 s, while a real portal's agent
// runs at most once a minute. --port N sets the portal's port (default: a
// free port).
//
// Each run registers an import on the emulator and passes its processId to
// the example. The package comes from this repository (js/ and dist/, built
// by `npm run build`), not from npm. Ctrl-C stops the emulator.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { startEmulator } from "../tools/portal-emulator/server.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const EXAMPLES = ["frame-bx24", "vite-b24jssdk", "node-webhook"];
const USAGE = `usage: node examples/run.mjs <${EXAMPLES.join("|")}> [--agent-period-ms N] [--port N]`;
// The legacy BX24 library cannot be loaded from here, so the frame example
// gets the repository's stand-in that speaks the same frame protocol.
const BX24_LIBRARY_URL = "https://api.bitrix24.com/api/v1/";
const BX24_STAND_IN_DIR = join(root, "tests", "e2e", "pages", "frame");

function readArguments() {
  const { values, positionals } = parseArgs({
    options: { "agent-period-ms": { type: "string" }, port: { type: "string" }, help: { type: "boolean" } },
    allowPositionals: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const [name] = positionals;
  if (!EXAMPLES.includes(name) || positionals.length !== 1) {
    throw new Error(`expected one example name, got ${positionals.length === 0 ? "none" : positionals.join(" ")}\n${USAGE}`);
  }
  const integer = (text, option, fallback) => {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text)) throw new Error(`invalid --${option} "${text}": expected a whole number`);
    return Number(text);
  };
  return { name, agentPeriodMs: integer(values["agent-period-ms"], "agent-period-ms", 1500), port: integer(values.port, "port", 0) };
}

/** Maps the package's entries and built wasm to the paths an installed copy has under `prefix`. */
function packageRoots(prefix) {
  if (!existsSync(join(root, "dist", "wasm", "b24_import_watch_bg.wasm"))) {
    throw new Error("dist/wasm is missing: run `npm run build` first");
  }
  return { [`${prefix}js/`]: join(root, "js"), [`${prefix}dist/`]: join(root, "dist") };
}

/** Copies frame-bx24 with the BX24 stand-in in place of the library's URL. */
function prepareFrameExample(workDir) {
  const target = join(workDir, "frame-bx24");
  cpSync(join(root, "examples", "frame-bx24"), target, { recursive: true });
  const page = join(target, "index.html");
  writeFileSync(page, readFileSync(page, "utf8").replace(BX24_LIBRARY_URL, "/_bx24/bx24-double.js"));
  return {
    "/": target,
    "/_bx24/": BX24_STAND_IN_DIR,
    ...packageRoots("/node_modules/b24-import-watch/"),
  };
}

/** Builds vite-b24jssdk with the package resolved to this repository. */
async function buildViteExample(workDir) {
  const { build } = await import("vite");
  const outDir = join(workDir, "vite-b24jssdk");
  await build({
    root: join(root, "examples", "vite-b24jssdk"),
    logLevel: "warn",
    resolve: { alias: { "b24-import-watch": join(root, "js", "browser.js") } },
    build: { outDir, emptyOutDir: true },
  });
  return { "/": outDir };
}

async function runNodeExample(emulator, processId) {
  const script = join(root, "examples", "node-webhook", "watch.mjs");
  console.log(`running node examples/node-webhook/watch.mjs ${processId} with B24_WEBHOOK_URL set to the emulator's webhook`);
  const child = spawn(process.execPath, [script, String(processId)], {
    env: { ...process.env, B24_WEBHOOK_URL: emulator.webhookUrl },
    stdio: "inherit",
  });
  // Ctrl-C reaches the child too, which stops its watch and exits.
  process.on("SIGINT", () => {});
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
}

async function main() {
  const { name, agentPeriodMs, port } = readArguments();
  const workDir = mkdtempSync(join(tmpdir(), "b24-example-"));
  let emulator;
  try {
    let appRoots = null;
    if (name === "frame-bx24") {
      appRoots = prepareFrameExample(workDir);
    } else if (name === "vite-b24jssdk") {
      appRoots = await buildViteExample(workDir);
    }
    emulator = await startEmulator({ port, agentPeriodMs, ...(appRoots ? { appRoots } : {}) });
    const processId = emulator.register();

    if (appRoots === null) {
      process.exitCode = await runNodeExample(emulator, processId);
      return;
    }
    console.log(`portal emulator on ${emulator.url}, agent period ${agentPeriodMs} ms`);
    console.log(`import ${processId} registered; open the app in the portal shell:`);
    console.log(`  ${emulator.shellUrl({ app: `/index.html?processId=${processId}` })}`);
    console.log("Ctrl-C stops the emulator.");
    await new Promise((resolve) => process.once("SIGINT", resolve));
  } finally {
    await emulator?.close();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`examples/run.mjs: ${error.message}`);
  process.exitCode = 1;
});
