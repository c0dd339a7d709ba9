//! Bindings to `glue.js`.

use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/js/glue.js")]
extern "C" {
    /// The `WatchError` class.
    #[wasm_bindgen(js_name = WatchError)]
    pub type JsWatchError;

    #[wasm_bindgen(constructor, js_class = "WatchError")]
    pub fn new(
        message: &str,
        name: &str,
        kind: &str,
        code: JsValue,
        http_status: JsValue,
        retryable: bool,
        retry_after_ms: JsValue,
    ) -> JsWatchError;

    #[wasm_bindgen(js_name = watchErrorClass)]
    pub fn watch_error_class() -> JsValue;

    /// Sends one request through the client `target` of `kind` ("webhook",
    /// "bx24", "b24jssdk" or "function"). Resolves with `{outcome, value}`;
    /// see glue.js.
    #[wasm_bindgen(js_name = sendRequest)]
    pub fn send_request(kind: &str, target: &JsValue, method: &str, params: &JsValue, timeout_ms: f64, outer_signal: &JsValue) -> Promise;

    /// Waits for `promise`. Resolves with `{outcome, value}`; see glue.js.
    #[wasm_bindgen(js_name = settlePromise)]
    pub fn settle_promise(promise: &Promise, timeout_ms: f64, outer_signal: &JsValue) -> Promise;

    /// Whether `document.hidden` is true.
    #[wasm_bindgen(js_name = pageHidden)]
    pub fn page_hidden() -> bool;

    /// Resolves with `true` after `ms` or when a hidden page becomes
    /// visible, and with `false` as soon as `signal` aborts.
    #[wasm_bindgen(js_name = sleepUntilVisible)]
    pub fn sleep_until_visible(ms: f64, signal: &JsValue) -> Promise;

    /// Aborts the controller and reads its reason's stack, so that the
    /// `DOMException` does not keep the caller's objects alive.
    #[wasm_bindgen(js_name = abortController)]
    pub fn abort_controller(controller: &web_sys::AbortController);

    #[wasm_bindgen(js_name = markHandled)]
    pub fn mark_handled(promise: &Promise);

    /// Resolves with `true` after `ms`, or with `false` as soon as `signal` aborts.
    pub fn sleep(ms: f64, signal: &JsValue) -> Promise;

    /// Returns the count of completed token refreshes of a BX24 library object.
    #[wasm_bindgen(js_name = authGeneration)]
    pub fn auth_generation(library: &JsValue) -> f64;

    /// Refreshes the library's token once, or joins a refresh under way.
    /// Resolves with `{outcome, value}`, whose value is `{outcome}`; see glue.js.
    #[wasm_bindgen(js_name = settleRefresh)]
    pub fn settle_refresh(library: &JsValue, seen_generation: f64, timeout_ms: f64, outer_signal: &JsValue) -> Promise;

    #[wasm_bindgen(js_name = isB24jssdk)]
    pub fn is_b24jssdk(value: &JsValue) -> bool;

    #[wasm_bindgen(js_name = isB24jssdkHook)]
    pub fn is_b24jssdk_hook(b24: &JsValue) -> bool;

    /// Attaches `css` to `shadow` as a constructable stylesheet. Returns
    /// `false`, having changed nothing, where the browser lacks constructable
    /// stylesheets; see glue.js.
    #[wasm_bindgen(js_name = adoptStyleSheet)]
    pub fn adopt_style_sheet(shadow: &web_sys::ShadowRoot, css: &str) -> bool;
}

/// Returns `object[key]`, or `undefined` when `object` is not an object or
/// the getter throws.
pub fn get(object: &JsValue, key: &str) -> JsValue {
    if !object.is_object() && !object.is_function() {
        return JsValue::UNDEFINED;
    }
    js_sys::Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Sets `object[key] = value` on an object this crate created.
pub fn set(object: &Object, key: &str, value: &JsValue) {
    // OK to ignore: setting a data property on a plain extensible object cannot fail.
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), value);
}
