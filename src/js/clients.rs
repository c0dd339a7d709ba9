//! The client constructors exported to JS: `bx24Client`, `b24jssdkClient`
//! and `webhookClient`.

use super::convert::value_to_js;
use super::error::to_js;
use super::glue;
use super::options::type_of;
use super::transport::Transport;
use crate::error::WatchError;
use crate::webhook_url::WebhookUrl;
use js_sys::{Object, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// The default time limit of one request made through `client.call()`.
const CALL_TIMEOUT_MS: u64 = 30_000;

/// A client for `watchImport`'s `client` option. Make one with
/// `bx24Client()`, `b24jssdkClient(b24)` or `webhookClient(url)`.
#[wasm_bindgen]
#[derive(Debug)]
pub struct ImportClient {
    transport: Rc<Transport>,
    kind: &'static str,
}

#[wasm_bindgen]
impl ImportClient {
    /// `"bx24"`, `"b24jssdk"` or `"webhook"`.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        self.kind.to_owned()
    }

    /// Calls a REST method and resolves with the whole response body, or
    /// rejects with a `WatchError` when the request fails.
    pub fn call(&self, method: String, params: JsValue) -> Promise {
        let transport = self.transport.clone();
        super::boxed_promise(async move {
            let reply = transport
                .send(&method, &params, CALL_TIMEOUT_MS, &JsValue::UNDEFINED)
                .await
                .map_err(|error| to_js(&error.without_retry_clause()))?;
            Ok(value_to_js(&reply.body))
        })
    }

    /// Sends one request for the watcher; not part of the public API.
    #[wasm_bindgen(js_name = "__send")]
    pub fn send(&self, method: String, params: JsValue, timeout_ms: f64, signal: JsValue) -> Promise {
        let transport = self.transport.clone();
        let timeout_ms = if timeout_ms.is_finite() && timeout_ms >= 1.0 { timeout_ms as u64 } else { CALL_TIMEOUT_MS };
        super::boxed_promise(async move {
            let reply = transport
                .send(&method, &params, timeout_ms, &signal)
                .await
                .map_err(|error| to_js(&error))?;
            let object = Object::new();
            let status = reply.http_status.map_or(JsValue::NULL, JsValue::from);
            glue::set(&object, "httpStatus", &status);
            glue::set(&object, "body", &value_to_js(&reply.body));
            let retry = reply.retry_after_ms.map_or(JsValue::NULL, |ms| JsValue::from(ms as f64));
            glue::set(&object, "retryAfterMs", &retry);
            Ok(object.into())
        })
    }
}

/// Creates a client over the legacy frame library's
/// `BX24.callMethod(method, params, callback)`; `bx24` defaults to
/// `globalThis.BX24`. Each request has its own time limit, because the
/// library never calls back on an HTTP 5xx or a network failure.
///
/// # Errors
///
/// Throws a `WatchError` when there is no object with a `callMethod` function.
#[wasm_bindgen(js_name = bx24Client)]
pub fn bx24_client(bx24: JsValue) -> Result<ImportClient, JsValue> {
    let library = if bx24.is_undefined() { glue::get(&js_sys::global(), "BX24") } else { bx24 };
    if !glue::get(&library, "callMethod").is_function() {
        return Err(to_js(&WatchError::invalid_argument(
            "bx24Client needs the BX24 library: load //api.bitrix24.com/api/v1/ in the app page, \
             or pass an object with callMethod(method, params, callback)",
        )));
    }
    Ok(ImportClient {
        transport: Rc::new(Transport::Bx24(library)),
        kind: "bx24",
    })
}

/// Creates a client over `@bitrix24/b24jssdk`: a `B24Frame` from
/// `initializeB24Frame()` or a `B24Hook` from `B24Hook.fromWebhookUrl(url)`.
/// It calls `b24.actions.v2.call.make({method, params})`, or
/// `b24.callMethod(method, params)` where the SDK has no `actions`.
///
/// The SDK retries rate limits, network errors and 5xx responses, and refreshes
/// an expired frame token, by itself, so this client does neither: it maps
/// the SDK's final result or error into a `WatchError` and leaves the next
/// attempt to the watcher's backoff.
///
/// # Errors
///
/// Throws a `WatchError` when `b24` is not an initialized SDK object.
#[wasm_bindgen(js_name = b24jssdkClient)]
pub fn b24jssdk_client(b24: JsValue) -> Result<ImportClient, JsValue> {
    if !glue::is_b24jssdk(&b24) {
        return Err(to_js(&WatchError::invalid_argument(format!(
            "b24jssdkClient needs an initialized @bitrix24/b24jssdk object: the B24Frame that \
             initializeB24Frame() resolves with, or B24Hook.fromWebhookUrl(url); got {}",
            type_of(&b24)
        ))));
    }
    Ok(ImportClient {
        transport: Rc::new(Transport::B24Jssdk(b24)),
        kind: "b24jssdk",
    })
}

/// Creates a client that POSTs JSON with `fetch` to an incoming webhook,
/// `https://PORTAL/rest/USER_ID/SECRET/`. Plain `http://` is accepted only
/// for 127.0.0.1 and localhost. The secret never appears in an error.
///
/// # Errors
///
/// Throws a `WatchError` for a URL of another form.
#[wasm_bindgen(js_name = webhookClient)]
pub fn webhook_client(url: JsValue) -> Result<ImportClient, JsValue> {
    let Some(text) = url.as_string() else {
        return Err(to_js(&WatchError::invalid_argument(
            "webhookClient needs the webhook URL as a string, https://PORTAL/rest/USER_ID/SECRET/",
        )));
    };
    let webhook = WebhookUrl::parse(&text).map_err(|error| to_js(&error))?;
    Ok(ImportClient {
        transport: Rc::new(Transport::Webhook(webhook)),
        kind: "webhook",
    })
}
