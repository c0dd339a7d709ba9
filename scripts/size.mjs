// Prints the size of what a page downloads: the wasm module and the JS glue
// (wasm-bindgen's output, its snippets and the package entry), raw and
// gzipped at level 9. Builds first when dist/ is stale.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join, dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
execFileSync("node", [join(root, "scripts", "build.mjs")], { stdio: "inherit" });

function filesUnder(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => filesUnder(join(path, name)));
}

const wasmDir = join(root, "dist", "wasm");
const groups = {
  wasm: [join(wasmDir, "b24_import_watch_bg.wasm")],
  "JS glue": [
    join(wasmDir, "b24_import_watch.js"),
    ...filesUnder(join(wasmDir, "snippets")),
    join(root, "js", "browser.js"),
  ],
};

const rows = [];
let total = { raw: 0, gzip: 0 };
for (const [name, files] of Object.entries(groups)) {
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(file);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  rows.push([name, raw, gzip, files.map((file) => relative(root, file)).join(", ")]);
  total = { raw: total.raw + raw, gzip: total.gzip + gzip };
}
rows.push(["total", total.raw, total.gzip, ""]);

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
console.log("| part | raw | gzip -9 | files |");
console.log("|---|---:|---:|---|");
for (const [name, raw, gzip, files] of rows) {
  console.log(`| ${name} | ${kb(raw)} | ${kb(gzip)} | ${files} |`);
}
