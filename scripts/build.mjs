// Builds dist/wasm/: the release wasm, its JS glue from wasm-bindgen, and,
// when npm's binaryen is installed, a wasm-opt -Oz pass. Skips the work when
// no source file is newer than the output. Run: npm run build [-- --force]
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync, copyFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "dist", "wasm");
const output = join(outDir, "b24_import_watch_bg.wasm");
const force = process.argv.includes("--force");

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

function run(command, args) {
  execFileSync(command, args, { cwd: root, stdio: "inherit" });
}

const inputs = ["src", "i18n", "Cargo.toml", "Cargo.lock"].map((name) => join(root, name)).filter(existsSync);
const upToDate = existsSync(output) && Math.max(...inputs.map(newestMtime)) < statSync(output).mtimeMs;
if (upToDate && !force) {
  console.log("build: dist/wasm is up to date");
  process.exit(0);
}

run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "--lib"]);
const built = join(root, "target", "wasm32-unknown-unknown", "release", "b24_import_watch.wasm");
mkdirSync(outDir, { recursive: true });
run("wasm-bindgen", ["--target", "web", "--out-dir", outDir, built]);

const wasmOpt = join(root, "node_modules", ".bin", "wasm-opt");
if (existsSync(wasmOpt)) {
  run(wasmOpt, ["-Oz", output, "-o", output]);
} else {
  console.log("build: node_modules/.bin/wasm-opt not found (npm install adds it); the wasm is not size-optimized");
}
console.log(`build: wrote ${outDir} (${statSync(output).size} bytes of wasm)`);
