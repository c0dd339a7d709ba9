// Start-time probes, each meant for a page that has not loaded the package
// yet. scripts/bench.mjs calls one of them per fresh browser context.

/**
 * Times `import("/js/browser.js")`, which fetches the glue, the modules it
 * imports and the wasm, compiles and instantiates the module (streaming),
 * and runs its start function. Returns milliseconds.
 */
export async function timeEntryImport() {
  const started = performance.now();
  await import("/js/browser.js");
  return performance.now() - started;
}

/**
 * Fetches the wasm bytes untimed, then times `WebAssembly.compile` of them
 * and the synchronous instantiation through the glue's `initSync`, which
 * also runs wasm-bindgen's start function. Returns both durations in
 * milliseconds and the module size in bytes.
 */
export async function timeCompileAndInstantiate() {
  const { initSync } = await import("/dist/wasm/b24_import_watch.js");
  const response = await fetch("/dist/wasm/b24_import_watch_bg.wasm");
  const bytes = await response.arrayBuffer();

  const compileStarted = performance.now();
  const module = await WebAssembly.compile(bytes);
  const compileMs = performance.now() - compileStarted;

  const instantiateStarted = performance.now();
  initSync({ module });
  const instantiateMs = performance.now() - instantiateStarted;

  return { compileMs, instantiateMs, wasmBytes: bytes.byteLength };
}
