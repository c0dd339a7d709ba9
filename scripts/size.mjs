// Prints the size of what a page downloads, raw and gzipped at level 9, for
// two builds: the core (watchImport, the clients and the parsing, built with
// --no-default-features) and the published build, core + widget, which also
// counts the index of the widget's language modules and one language module
// (the largest, so the row is the worst case). Then checks both against the size budget. Builds dist/ first
// when it is stale, and the core variant every time, into a temporary folder
// (its cargo output goes to target/size-core/). Exits with 1 when a budget
// is exceeded. Run: npm run size
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { join, relative } from "node:path";

import { buildWasm, GLUE_FILE, root, WASM_FILE } from "./build.mjs";

const KB = 1024;
/** The maximum gzipped size of the core: wasm and JS glue. */
const CORE_BUDGET = 30 * KB;
/** The maximum gzipped size that the widget may add to the core: wasm, JS glue and one language module. */
const WIDGET_BUDGET = 15 * KB;

function filesUnder(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => filesUnder(join(path, name)));
}

function measure(files) {
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(file);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gzip, files };
}

/** Measures the parts that a page downloads from a wasm-bindgen output folder. */
function parts(wasmDir) {
  return {
    wasm: measure([join(wasmDir, WASM_FILE)]),
    "JS glue": measure([
      join(wasmDir, GLUE_FILE),
      ...filesUnder(join(wasmDir, "snippets")).filter((file) => file.endsWith(".js")),
      join(root, "js", "browser.js"),
    ]),
  };
}

function total(partsByName) {
  const values = Object.values(partsByName);
  return {
    raw: values.reduce((sum, part) => sum + part.raw, 0),
    gzip: values.reduce((sum, part) => sum + part.gzip, 0),
    files: [],
  };
}

execFileSync("node", [join(root, "scripts", "build.mjs")], { stdio: "inherit" });

const coreDir = mkdtempSync(join(tmpdir(), "b24-import-watch-core-"));
let core;
try {
  buildWasm({ outDir: coreDir, cargoArgs: ["--no-default-features"], targetDir: join(root, "target", "size-core") });
  core = parts(coreDir);
} finally {
  rmSync(coreDir, { recursive: true, force: true });
}

const full = parts(join(root, "dist", "wasm"));
const i18nDir = join(root, "dist", "i18n");
// The entries import the index of the language modules up front.
full["JS glue"] = measure([...full["JS glue"].files, join(i18nDir, "index.js")]);
const languages = readdirSync(i18nDir)
  .filter((name) => name !== "index.js")
  .map((name) => measure([join(i18nDir, name)]));
full["one language module"] = languages.reduce((largest, language) => (language.gzip > largest.gzip ? language : largest));

const coreTotal = total(core);
const fullTotal = total(full);
const added = { raw: fullTotal.raw - coreTotal.raw, gzip: fullTotal.gzip - coreTotal.gzip };

const kb = (bytes) => `${(bytes / KB).toFixed(1)} KB`;
const fileList = (files) => files.map((file) => (file.startsWith(root) ? relative(root, file) : `(core build) ${file.split("/").pop()}`)).join(", ");
console.log("| build | part | raw | gzip -9 | files |");
console.log("|---|---|---:|---:|---|");
for (const [build, partsByName, sum] of [
  ["core", core, coreTotal],
  ["core + widget", full, fullTotal],
]) {
  for (const [name, part] of Object.entries(partsByName)) {
    console.log(`| ${build} | ${name} | ${kb(part.raw)} | ${kb(part.gzip)} | ${fileList(part.files)} |`);
  }
  console.log(`| ${build} | **total** | ${kb(sum.raw)} | ${kb(sum.gzip)} | |`);
}
console.log(`| widget adds | | ${kb(added.raw)} | ${kb(added.gzip)} | |`);

const checks = [
  ["core", coreTotal.gzip, CORE_BUDGET],
  ["widget adds", added.gzip, WIDGET_BUDGET],
];
console.log("");
for (const [name, gzip, budget] of checks) {
  const verdict = gzip <= budget ? "within budget" : `over budget by ${kb(gzip - budget)}`;
  console.log(`${name}: ${kb(gzip)} gzipped, at most ${kb(budget)}: ${verdict}`);
}
if (checks.some(([, gzip, budget]) => gzip > budget)) process.exitCode = 1;
