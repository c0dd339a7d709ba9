//! The ways a request reaches the portal, behind one `send`.

use super::convert::{value_from_js, value_from_text};
use super::frame::{b24jssdk_reply, send_bx24};
use super::error::{describe_thrown, from_js};
use super::glue;
use super::options::type_of;
use crate::backoff::parse_retry_after;
use crate::error::{WatchError, RETRY_CLAUSE};
use crate::value::Value;
use crate::webhook_url::WebhookUrl;
use js_sys::{Function, Promise};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// A response as the core needs it.
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status, when the transport exposes it.
    pub http_status: Option<u16>,
    /// The parsed body.
    pub body: Value,
    /// The `Retry-After` delay, when the server sent one.
    pub retry_after_ms: Option<u64>,
}

/// A way to call REST methods.
#[derive(Debug)]
pub enum Transport {
    /// An incoming webhook, called with `fetch`.
    Webhook(WebhookUrl),
    /// The legacy frame library, `BX24.callMethod(method, params, callback)`.
    Bx24(JsValue),
    /// A `B24Frame` or `B24Hook` of `@bitrix24/b24jssdk`, called through
    /// `actions.v2.call.make` or, in older versions, `callMethod`.
    B24Jssdk(JsValue),
    /// A caller's `(method, params) => Promise<body>`.
    Function(Function),
    /// A client object made by this module (`bx24Client()`, `webhookClient()`,
    /// `b24jssdkClient()`),
    /// reached through its `__send` method so that the JS object stays usable.
    Client(JsValue),
}

const CLIENT_CHOICES: &str = "pass options.client: bx24Client() inside a Bitrix24 app frame, \
     b24jssdkClient(b24) with @bitrix24/b24jssdk, webhookClient(url) with an incoming webhook, \
     or a function (method, params) => Promise<body>";

impl Transport {
    /// Picks the transport for a `client` option; `undefined` means the
    /// frame's `BX24` library when the page has one.
    ///
    /// # Errors
    ///
    /// An invalid-argument error naming the accepted clients.
    pub fn from_option(client: &JsValue) -> Result<Rc<Transport>, WatchError> {
        if client.is_undefined() || client.is_null() {
            let bx24 = glue::get(&js_sys::global(), "BX24");
            if glue::get(&bx24, "callMethod").is_function() {
                return Ok(Rc::new(Transport::Bx24(bx24)));
            }
            return Err(WatchError::invalid_argument(format!(
                "no client: this page has no BX24 library, so {CLIENT_CHOICES}"
            )));
        }
        if glue::get(client, "__send").is_function() {
            return Ok(Rc::new(Transport::Client(client.clone())));
        }
        if client.is_function() {
            return Ok(Rc::new(Transport::Function(client.clone().unchecked_into())));
        }
        // Checked before `callMethod`, because the SDK objects have one too,
        // with another signature.
        if glue::is_b24jssdk(client) {
            return Ok(Rc::new(Transport::B24Jssdk(client.clone())));
        }
        if glue::get(client, "callMethod").is_function() {
            return Ok(Rc::new(Transport::Bx24(client.clone())));
        }
        Err(WatchError::invalid_argument(format!(
            "invalid client: got {}; {CLIENT_CHOICES}",
            type_of(client)
        )))
    }

    /// Sends one request. `signal` (an `AbortSignal` or `undefined`) aborts it.
    ///
    /// # Errors
    ///
    /// A timeout after `timeout_ms`, an aborted error, a network error, or an
    /// invalid response when the body is not JSON. REST errors in the body are
    /// not detected here: that is the envelope's work.
    pub async fn send(&self, method: &str, params: &JsValue, timeout_ms: u64, signal: &JsValue) -> Result<Reply, WatchError> {
        // Each arm has one await, and plain functions read the outcome, so
        // the state machine of this future stays small.
        match self {
            Transport::Bx24(bx24) => send_bx24(bx24, method, params, timeout_ms, signal).await,
            Transport::Client(client) => send_client(client, method, params, timeout_ms, signal).await,
            Transport::Webhook(url) => {
                let target = JsValue::from(url.method_url(method));
                let settled = request("webhook", &target, method, params, timeout_ms, signal).await;
                webhook_reply(url, method, timeout_ms, settled)
            }
            Transport::B24Jssdk(b24) => {
                let settled = request("b24jssdk", b24, method, params, timeout_ms, signal).await;
                b24jssdk_reply(b24, method, timeout_ms, settled)
            }
            Transport::Function(function) => {
                let settled = request("function", function, method, params, timeout_ms, signal).await;
                function_reply(method, timeout_ms, settled)
            }
        }
    }
}

/// The outcome of a request under a time limit: `{outcome, value}` from glue.js.
pub(super) enum Settled {
    Ok(JsValue),
    Error(JsValue),
    Timeout,
    Aborted,
}

/// Waits for a promise from glue.js that resolves with `{outcome, value}`.
pub(super) async fn settled(promise: Promise) -> Settled {
    // OK to treat a rejection as an error: the glue's promises never reject.
    let settled = JsFuture::from(promise).await.unwrap_or(JsValue::UNDEFINED);
    let value = glue::get(&settled, "value");
    match glue::get(&settled, "outcome").as_string().as_deref() {
        Some("ok") => Settled::Ok(value),
        Some("timeout") => Settled::Timeout,
        Some("aborted") => Settled::Aborted,
        _ => Settled::Error(value),
    }
}

/// Sends one request through the client `target` of `kind`; see
/// `glue::send_request`.
pub(super) async fn request(kind: &str, target: &JsValue, method: &str, params: &JsValue, timeout_ms: u64, signal: &JsValue) -> Settled {
    settled(glue::send_request(kind, target, method, params, timeout_ms as f64, signal)).await
}

pub(super) fn aborted(method: &str) -> WatchError {
    let mut message = String::from(method);
    message.push_str(" was aborted because the watch stopped");
    WatchError::aborted(message)
}

fn webhook_reply(url: &WebhookUrl, method: &str, timeout_ms: u64, settled: Settled) -> Result<Reply, WatchError> {
    let response = match settled {
        Settled::Ok(response) => response,
        Settled::Timeout => return Err(WatchError::request_timeout(method, timeout_ms)),
        Settled::Aborted => return Err(aborted(method)),
        Settled::Error(thrown) => {
            // Platform errors can quote the request URL, so the secret is
            // scrubbed from whatever they say.
            let detail = url.scrub(&describe_thrown(&thrown));
            return Err(WatchError::network(format!(
                "{method} failed: could not reach {} ({detail}){RETRY_CLAUSE}",
                url.redacted()
            )));
        }
    };

    let http_status = glue::get(&response, "status").as_f64().map(|status| status as u16);
    let text = glue::get(&response, "text").as_string().unwrap_or_default();
    let retry_after_ms = glue::get(&response, "retryAfter")
        .as_string()
        .and_then(|header| parse_retry_after(&header, js_sys::Date::now()));
    let body = value_from_text(method, http_status, &text).map_err(|error| error.with_retry_after_ms(retry_after_ms))?;
    Ok(Reply {
        http_status,
        body,
        retry_after_ms,
    })
}

fn function_reply(method: &str, timeout_ms: u64, settled: Settled) -> Result<Reply, WatchError> {
    match settled {
        Settled::Ok(body) => {
            let body = match body.as_string() {
                Some(text) => value_from_text(method, None, &text)?,
                None if body.is_undefined() => return Err(crate::envelope::unparsable_body(method, None, "")),
                None => value_from_js(method, body)?,
            };
            Ok(Reply {
                http_status: None,
                body,
                retry_after_ms: None,
            })
        }
        Settled::Timeout => Err(WatchError::request_timeout(method, timeout_ms)),
        Settled::Aborted => Err(aborted(method)),
        Settled::Error(thrown) => Err(from_js(&thrown).unwrap_or_else(|| {
            WatchError::network(format!(
                "the client function failed on {method}: {}{RETRY_CLAUSE}",
                describe_thrown(&thrown)
            ))
        })),
    }
}

async fn send_client(client: &JsValue, method: &str, params: &JsValue, timeout_ms: u64, signal: &JsValue) -> Result<Reply, WatchError> {
    let promise = start_client(client, method, params, timeout_ms, signal)?;
    client_reply(method, JsFuture::from(promise).await)
}

/// Calls the client object's `__send`.
fn start_client(client: &JsValue, method: &str, params: &JsValue, timeout_ms: u64, signal: &JsValue) -> Result<Promise, WatchError> {
    let send: Function = glue::get(client, "__send").unchecked_into();
    let args = js_sys::Array::of4(&JsValue::from_str(method), params, &JsValue::from(timeout_ms as f64), signal);
    match send.apply(client, &args) {
        Ok(promise) => Ok(Promise::resolve(&promise)),
        Err(thrown) => Err(thrown_error(&thrown)),
    }
}

fn client_reply(method: &str, reply: Result<JsValue, JsValue>) -> Result<Reply, WatchError> {
    match reply {
        Ok(reply) => Ok(Reply {
            http_status: glue::get(&reply, "httpStatus").as_f64().map(|status| status as u16),
            body: value_from_js(method, glue::get(&reply, "body"))?,
            retry_after_ms: glue::get(&reply, "retryAfterMs").as_f64().map(|ms| ms as u64),
        }),
        Err(thrown) => Err(thrown_error(&thrown)),
    }
}

/// Converts a value that a client threw into a `WatchError`: the error
/// itself when it is one, or a network error describing the value.
fn thrown_error(thrown: &JsValue) -> WatchError {
    from_js(thrown).unwrap_or_else(|| WatchError::network(describe_thrown(thrown)))
}
