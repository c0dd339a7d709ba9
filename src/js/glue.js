// Platform glue for the wasm module. Each helper here settles every promise
// it returns, so the Rust side never drops a pending JS promise (a dropped
// wasm-bindgen closure that JS calls later throws).

/** An error from watching an import; see `kind`, `code`, `httpStatus`, `retryable`. */
export class WatchError extends Error {
  constructor(message, name, kind, code, httpStatus, retryable, retryAfterMs) {
    super(message);
    this.name = name;
    this.kind = kind;
    this.code = code;
    this.httpStatus = httpStatus;
    this.retryable = retryable;
    this.retryAfterMs = retryAfterMs;
  }
}

export function watchErrorClass() {
  return WatchError;
}

/**
 * Runs `start(signal)` and resolves with `{outcome, value}`, where outcome is
 * "ok", "error", "timeout" or "aborted": the first of the promise settling,
 * `timeoutMs` passing, or `outerSignal` aborting. Never rejects. On timeout
 * or abort the signal given to `start` is aborted, which cancels a fetch.
 */
export function settleWithin(start, timeoutMs, outerSignal) {
  return new Promise((resolve) => {
    const controller = new AbortController();
    let done = false;
    let timer;
    const finish = (outcome, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      outerSignal?.removeEventListener("abort", onAbort);
      if (outcome === "timeout" || outcome === "aborted") controller.abort();
      resolve({ outcome, value });
    };
    const onAbort = () => finish("aborted", undefined);
    if (outerSignal?.aborted) {
      finish("aborted", undefined);
      return;
    }
    outerSignal?.addEventListener("abort", onAbort);
    timer = setTimeout(() => finish("timeout", undefined), timeoutMs);
    let promise;
    try {
      promise = Promise.resolve(start(controller.signal));
    } catch (error) {
      finish("error", error);
      return;
    }
    promise.then(
      (value) => finish("ok", value),
      (error) => finish("error", error),
    );
  });
}

/** Wraps the legacy `BX24.callMethod(method, params, callback)` in a promise. */
export function bx24Call(bx24, method, params) {
  return new Promise((resolve) => bx24.callMethod(method, params, resolve));
}

/** POSTs `params` as JSON and resolves with the status, the body text and `Retry-After`. */
export async function postJson(url, params, signal) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(params ?? {}),
    signal,
  });
  const text = await response.text();
  return { status: response.status, text, retryAfter: response.headers.get("Retry-After") };
}

/** Calls `fn(...args)` as a plain function, for a client given as a function. */
export function callFunction(fn, method, params) {
  return fn(method, params);
}

/** Marks `promise` as handled, so that a rejection nobody awaits stays quiet. */
export function markHandled(promise) {
  promise.catch(() => {});
}

/** Resolves after `ms`, or at once when `signal` aborts; never rejects. Resolves with true when it slept the whole time. */
export function sleep(ms, signal) {
  return settleWithin(() => new Promise(() => {}), ms, signal).then(({ outcome }) => outcome === "timeout");
}
