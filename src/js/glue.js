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
    // V8 keeps an error's stack frames, and the objects they ran on (such as
    // the ImportWatch whose stop() made this error), until the stack is read.
    void this.stack;
  }
}

/** Aborts `controller` and reads the reason's stack, for the reason above. */
export function abortController(controller) {
  controller.abort();
  const reason = controller.signal.reason;
  // A call, unlike a bare property read, survives minification.
  if (typeof reason === "object" && reason !== null) Reflect.get(reason, "stack");
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
function settleWithin(start, timeoutMs, outerSignal) {
  return new Promise((resolve) => {
    const controller = new AbortController();
    let done = false;
    let timer;
    const finish = (outcome, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      outerSignal?.removeEventListener("abort", onAbort);
      if (outcome === "timeout" || outcome === "aborted") abortController(controller);
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

/**
 * Sends one request through a client under `settleWithin`, so it resolves
 * with `{outcome, value}` and never rejects. `kind` picks the call:
 * "webhook" POSTs to the URL `target` with `postJson`, "bx24" calls
 * `target.callMethod`, "b24jssdk" calls the SDK object `target` with
 * `b24jssdkCall`, and "function" calls `target(method, params)`.
 */
export function sendRequest(kind, target, method, params, timeoutMs, outerSignal) {
  const start = (signal) => {
    switch (kind) {
      case "webhook":
        return postJson(target, params, signal);
      case "bx24":
        return bx24Call(target, method, params);
      case "b24jssdk":
        return b24jssdkCall(target, method, params);
      default:
        return target(method, params);
    }
  };
  return settleWithin(start, timeoutMs, outerSignal);
}

/** Waits for `promise` under `settleWithin`; see there. */
export function settlePromise(promise, timeoutMs, outerSignal) {
  return settleWithin(() => promise, timeoutMs, outerSignal);
}

/** Wraps the legacy `BX24.callMethod(method, params, callback)` in a promise. */
function bx24Call(bx24, method, params) {
  return new Promise((resolve) => bx24.callMethod(method, params, resolve));
}

/** POSTs `params` as JSON and resolves with the status, the body text and `Retry-After`. */
async function postJson(url, params, signal) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(params ?? {}),
    signal,
  });
  const text = await response.text();
  return { status: response.status, text, retryAfter: response.headers.get("Retry-After") };
}

/** Marks `promise` as handled, so that a rejection that no code awaits stays quiet. */
export function markHandled(promise) {
  promise.catch(() => {});
}

/** Resolves after `ms`, or at once when `signal` aborts; never rejects. Resolves with true when it slept the whole time. */
export function sleep(ms, signal) {
  return settleWithin(() => new Promise(() => {}), ms, signal).then(({ outcome }) => outcome === "timeout");
}

// Token refreshes of the legacy BX24 library, shared per library object, so
// that watches on one page refresh an expired token once. A WeakMap, so that
// a library object the page drops is not kept alive.
const refreshStates = new WeakMap();

function refreshStateOf(library) {
  let state = refreshStates.get(library);
  if (state === undefined) {
    state = { generation: 0, pending: null };
    refreshStates.set(library, state);
  }
  return state;
}

/** Returns the number of refreshes that `refreshOnce` has completed for `library`. */
export function authGeneration(library) {
  return refreshStates.get(library)?.generation ?? 0;
}

/**
 * Refreshes the token with `library.refreshAuth(callback)`. Callers that
 * arrive while a refresh runs share it. A caller whose request was sent
 * before the last completed refresh (`seenGeneration` is older) gets "ok" at
 * once, because a newer token already exists. Resolves with `{outcome}`:
 * "ok", "failed" (no token in the callback, or refreshAuth threw) or
 * "timeout" (no callback within `timeoutMs`). A timeout is a real case,
 * because the portal page shows an alert instead of calling back when it has
 * no new token. Never rejects, and never passes the token on.
 */
function refreshOnce(library, seenGeneration, timeoutMs) {
  const state = refreshStateOf(library);
  if (state.generation > seenGeneration) {
    return Promise.resolve({ outcome: "ok" });
  }
  if (state.pending === null) {
    const start = () => new Promise((resolve) => library.refreshAuth(resolve));
    state.pending = settleWithin(start, timeoutMs, undefined).then(({ outcome, value }) => {
      state.pending = null;
      if (outcome === "ok" && typeof value?.access_token === "string" && value.access_token !== "") {
        state.generation += 1;
        return { outcome: "ok" };
      }
      return { outcome: outcome === "timeout" ? "timeout" : "failed" };
    });
  }
  return state.pending;
}

/**
 * Runs `refreshOnce` under `settleWithin`, with one second more than the
 * refresh's own time limit, which only guards against a bug there.
 */
export function settleRefresh(library, seenGeneration, timeoutMs, outerSignal) {
  return settleWithin(() => refreshOnce(library, seenGeneration, timeoutMs), timeoutMs + 1000, outerSignal);
}

// @bitrix24/b24jssdk (B24Frame, B24Hook). The watcher's read method, for
// joining a call that is still running.
const READ_METHOD = "configuration.import.get";
const pendingReads = new WeakMap();

function sdkCallAction(b24) {
  try {
    return b24?.actions?.v2?.call;
  } catch {
    // The `actions` getter throws before the SDK object is initialized.
    return undefined;
  }
}

/** Checks whether `value` is a B24Frame or B24Hook of @bitrix24/b24jssdk, or has their call API. */
export function isB24jssdk(value) {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) {
    return false;
  }
  if (typeof sdkCallAction(value)?.make === "function") {
    return true;
  }
  return typeof value.getHttpClient === "function" && typeof value.callMethod === "function";
}

/** Checks whether the SDK object authenticates with a webhook, which the SDK marks with refresh_token "hook". */
export function isB24jssdkHook(b24) {
  try {
    return b24.auth.getAuthData().refresh_token === "hook";
  } catch {
    return false;
  }
}

/**
 * Calls a REST method through the SDK and resolves with `{status, body}`
 * (body = `{result, time}`) on success or `{status, code, description}` on
 * failure, whether the SDK returned an unsuccessful AjaxResult or threw an
 * SdkError or AjaxError. Rejects only for values that are neither. A
 * `configuration.import.get` with the same params as a call still running
 * joins that call, so that a watch whose time limit gave up on a call the
 * SDK is still retrying does not start a second one.
 */
function b24jssdkCall(b24, method, params) {
  if (method !== READ_METHOD) {
    return b24jssdkSend(b24, method, params);
  }
  let reads = pendingReads.get(b24);
  if (reads === undefined) {
    reads = new Map();
    pendingReads.set(b24, reads);
  }
  const key = JSON.stringify(params ?? {});
  let pending = reads.get(key);
  if (pending === undefined) {
    pending = b24jssdkSend(b24, method, params).finally(() => reads.delete(key));
    reads.set(key, pending);
  }
  return pending;
}

async function b24jssdkSend(b24, method, params) {
  const call = sdkCallAction(b24);
  let result;
  try {
    result =
      typeof call?.make === "function"
        ? await call.make({ method, params: params ?? {} })
        : await b24.callMethod(method, params ?? {});
  } catch (error) {
    if (typeof error?.code === "string" || typeof error?.code === "number") {
      return sdkFailure(b24, error.code, error.status, error.message);
    }
    throw error;
  }

  if (typeof result?.isSuccess !== "boolean") {
    throw new TypeError(`the SDK resolved with ${result === null ? "null" : typeof result} where an AjaxResult was expected`);
  }
  const status = result.getStatus?.();
  if (result.isSuccess) {
    return { status: httpStatusOrNull(status), body: result.getData() };
  }
  const [first] = result.getErrors?.() ?? [];
  if (first !== undefined) {
    return sdkFailure(b24, first.code ?? "", first.status ?? status, first.message);
  }
  return sdkFailure(b24, "", status, (result.getErrorMessages?.() ?? []).join("; "));
}

function sdkFailure(b24, code, status, message) {
  return {
    status: httpStatusOrNull(status),
    code: String(code ?? ""),
    description: scrubSdkSecrets(b24, String(message ?? "")),
  };
}

function httpStatusOrNull(status) {
  return Number.isInteger(status) && status >= 0 && status <= 599 ? status : null;
}

// SDK messages come from the portal or from axios and should not hold the
// token or the webhook secret, but the SDK keeps both at hand, so any copy
// of them is masked before the text can reach a message.
function scrubSdkSecrets(b24, text) {
  let auth;
  try {
    auth = b24.auth.getAuthData();
  } catch {
    return text;
  }
  for (const secret of [auth?.access_token, auth?.refresh_token]) {
    if (typeof secret === "string" && secret.length >= 8) {
      text = text.split(secret).join("***");
    }
  }
  return text;
}

/** Whether the page is hidden (a background tab); always false outside browsers. */
export function pageHidden() {
  return globalThis.document?.hidden === true;
}

/**
 * Like `sleep`, but also ends early, resolving true, when a hidden page
 * becomes visible, so that a returning user sees a fresh status at once.
 */
export function sleepUntilVisible(ms, signal) {
  const document = globalThis.document;
  if (!document || !document.hidden) return sleep(ms, signal);
  const wake = new AbortController();
  let becameVisible = false;
  const onChange = () => {
    if (document.hidden) return;
    becameVisible = true;
    abortController(wake);
  };
  const onAbort = () => abortController(wake);
  document.addEventListener("visibilitychange", onChange);
  signal?.addEventListener("abort", onAbort);
  if (signal?.aborted) abortController(wake);
  return sleep(ms, wake.signal).then((slept) => {
    document.removeEventListener("visibilitychange", onChange);
    signal?.removeEventListener("abort", onAbort);
    return slept || becameVisible;
  });
}

/**
 * Attaches `css` to `shadowRoot` as a constructable stylesheet, which a CSP
 * `style-src` does not govern, so the widget needs no 'unsafe-inline'.
 * Returns false, having changed nothing, where the shadow root's window lacks
 * constructable stylesheets (before Chrome 73, Firefox 101 and Safari 16.4);
 * the caller then falls back to a <style> element. The sheet comes from that
 * window's own `CSSStyleSheet`, because a shadow root in another frame
 * rejects a sheet constructed in this one. Never throws.
 */
export function adoptStyleSheet(shadowRoot, css) {
  try {
    const StyleSheet = shadowRoot.ownerDocument?.defaultView?.CSSStyleSheet;
    if (typeof StyleSheet?.prototype?.replaceSync !== "function" || !("adoptedStyleSheets" in shadowRoot)) {
      return false;
    }
    const sheet = new StyleSheet();
    sheet.replaceSync(css);
    shadowRoot.adoptedStyleSheets = [...shadowRoot.adoptedStyleSheets, sheet];
    return true;
  } catch {
    return false;
  }
}
