// Builds dist/wasm/: the release wasm, its JS glue from wasm-bindgen,
// minified with a source map beside each file, and, when npm's binaryen is
// installed, wasm-opt -Oz passes. Also writes
// dist/i18n/: one module per widget language other than English, which the
// package entries load on demand, and their index. Skips the wasm when no
// source file is newer than the output. Run: npm run build [-- --force]
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { minify_sync as minifySync } from "terser";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The name wasm-bindgen gives the optimized module in its output folder. */
export const WASM_FILE = "b24_import_watch_bg.wasm";
/** The name of the JS glue module in the output folder. */
export const GLUE_FILE = "b24_import_watch.js";
/** English is embedded in the wasm as the fallback, so it has no module. */
const EMBEDDED_LANGUAGE = "en";

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

function run(command, args) {
  execFileSync(command, args, { cwd: root, stdio: "inherit" });
}

/** Lists every `.js` file under `path`. */
function scriptsUnder(path) {
  if (!statSync(path).isDirectory()) return path.endsWith(".js") ? [path] : [];
  return readdirSync(path).flatMap((name) => scriptsUnder(join(path, name)));
}

/**
 * Minifies the JS glue that wasm-bindgen wrote into `outDir`, the generated
 * module and its snippets (src/js/glue.js), in place, and writes a source
 * map beside each file that carries the unminified source.
 *
 * Class names and the names of exported functions survive, because users
 * see them: `ImportWatch.name`, or a `WatchError` in a console. Terser keeps
 * names declared as `export function` and `export class` by itself; the
 * names exported through `export { … }` are kept here explicitly.
 */
export function minifyGlue(outDir) {
  for (const file of scriptsUnder(outDir)) {
    const source = readFileSync(file, "utf8");
    const exportedLocals = [...source.matchAll(/export\s*\{([^}]*)\}/g)].flatMap((match) =>
      match[1].split(",").map((item) => item.trim().split(/\s+as\s+/)[0]).filter(Boolean),
    );
    const name = basename(file);
    const minified = minifySync(
      { [`unminified/${name}`]: source },
      {
        module: true,
        // Reading an error's `stack` is a side effect that the glue needs:
        // it lets V8 drop the stack frames and the objects they ran on. With
        // `pure_getters` on, Terser deletes such reads as unused.
        compress: { passes: 2, pure_getters: false },
        keep_classnames: true,
        keep_fnames: exportedLocals.length > 0 ? new RegExp(`^(${exportedLocals.join("|")})$`) : false,
        sourceMap: { url: `${name}.map`, includeSources: true },
        format: { comments: false },
      },
    );
    writeFileSync(file, minified.code);
    writeFileSync(`${file}.map`, minified.map);
  }
}

/**
 * Compiles the crate for wasm32, generates the `--target web` glue into
 * `outDir`, minifies it with `minifyGlue` and shrinks the module with
 * wasm-opt -Oz. `cargoArgs` go to `cargo build` (such as
 * `--no-default-features`); `targetDir`, when
 * given, keeps the build of another feature set from replacing the
 * default one in target/.
 * Returns the path of the wasm module.
 */
export function buildWasm({ outDir, cargoArgs = [], targetDir }) {
  const targetArgs = targetDir ? ["--target-dir", targetDir] : [];
  run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "--lib", ...targetArgs, ...cargoArgs]);
  const built = join(targetDir ?? join(root, "target"), "wasm32-unknown-unknown", "release", "b24_import_watch.wasm");
  // wasm-bindgen names snippet folders by a hash and never removes old ones,
  // so the folder starts empty to keep stale snippets out of the package.
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  run("wasm-bindgen", ["--target", "web", "--out-dir", outDir, built]);
  minifyGlue(outDir);

  const output = join(outDir, WASM_FILE);
  const wasmOpt = join(root, "node_modules", ".bin", "wasm-opt");
  if (existsSync(wasmOpt)) {
    // --converge repeats -Oz while it still shrinks the module. The producers
    // and target_features sections are notes for tools, which browsers and
    // Node ignore.
    run(wasmOpt, ["-Oz", "--converge", "--strip-producers", "--strip-target-features", output, "-o", output]);
  } else {
    console.log("build: node_modules/.bin/wasm-opt not found (npm install adds it); the wasm is not size-optimized");
  }
  return output;
}

/**
 * Writes `outDir/<id>.js` for every `i18n/<id>.json` but English: an ES
 * module whose default export is the file's messages object. Also writes
 * `outDir/index.js`, whose default export maps each id to a function that
 * imports that module. Each import has a literal specifier, so that every
 * bundler splits each language into a chunk of its own; Vite, for one,
 * leaves template-literal imports inside node_modules alone. Files whose
 * content is already current are left alone. Returns the module paths.
 */
export function buildMessageModules(outDir = join(root, "dist", "i18n")) {
  mkdirSync(outDir, { recursive: true });
  const ids = readdirSync(join(root, "i18n"))
    .filter((name) => name.endsWith(".json"))
    .map((name) => name.slice(0, -".json".length))
    .filter((id) => id !== EMBEDDED_LANGUAGE)
    .sort();
  const writeIfChanged = (path, source) => {
    if (!existsSync(path) || readFileSync(path, "utf8") !== source) writeFileSync(path, source);
    return path;
  };

  const modules = ids.map((id) => {
    const messages = JSON.parse(readFileSync(join(root, "i18n", `${id}.json`), "utf8"));
    const source =
      `// Generated by scripts/build.mjs from i18n/${id}.json; edit that file instead.\n` +
      `export default ${JSON.stringify(messages)};\n`;
    return writeIfChanged(join(outDir, `${id}.js`), source);
  });
  const index =
    "// Generated by scripts/build.mjs: the widget's language modules by Bitrix24 language id.\n" +
    "export default {\n" +
    ids.map((id) => `  ${id}: () => import("./${id}.js"),\n`).join("") +
    "};\n";
  writeIfChanged(join(outDir, "index.js"), index);
  return modules;
}

function main() {
  const force = process.argv.includes("--force");
  const outDir = join(root, "dist", "wasm");
  const output = join(outDir, WASM_FILE);

  buildMessageModules();

  const inputs = ["src", "i18n", "Cargo.toml", "Cargo.lock"].map((name) => join(root, name)).filter(existsSync);
  const upToDate = existsSync(output) && Math.max(...inputs.map(newestMtime)) < statSync(output).mtimeMs;
  if (upToDate && !force) {
    console.log("build: dist/wasm is up to date");
    return;
  }
  buildWasm({ outDir });
  console.log(`build: wrote ${outDir} (${statSync(output).size} bytes of wasm)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
