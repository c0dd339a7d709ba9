// `free()` and `[Symbol.dispose]()` on a running watch stop it first.
// Without this, freeing the handle would leave the watch polling with no
// way left to stop it. Garbage collection frees a handle through
// wasm-bindgen's finalizer rather than these methods, so a watch whose
// handle is merely dropped keeps running until it ends.
export function stopWatchesOnFree(ImportWatch) {
  const free = ImportWatch.prototype.free;
  function stopAndFree() {
    try {
      this.stop();
    } catch {
      // The handle was freed already; freeing it again is wasm-bindgen's call.
    }
    free.call(this);
  }
  ImportWatch.prototype.free = stopAndFree;
  if (typeof Symbol.dispose === "symbol") {
    ImportWatch.prototype[Symbol.dispose] = stopAndFree;
  }
}
