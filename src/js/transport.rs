//! The ways a request reaches the portal, behind one `send`.

use super::convert::{value_from_js, value_from_text};
use super::frame::{send_b24jssdk, send_bx24};
use super::error::{describe_thrown, from_js};
use super::glue;
use super::options::type_of;
use crate::backoff::parse_retry_after;
use crate::error::WatchError;
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
        match self {
            Transport::Webhook(url) => send_webhook(url, method, params, timeout_ms, signal).await,
            Transport::Bx24(bx24) => send_bx24(bx24, method, params, timeout_ms, signal).await,
            Transport::B24Jssdk(b24) => send_b24jssdk(b24, method, params, timeout_ms, signal).await,
            Transport::Function(function) => send_function(function, method, params, timeout_ms, signal).await,
            Transport::Client(client) => send_client(client, method, params, timeout_ms, signal).await,
        }
    }
}

/// The outcome of `glue.settleWithin`.
pub(super) enum Settled {
    Ok(JsValue),
    Error(JsValue),
    Timeout,
    Aborted,
}

/// Runs `start(requestSignal)` under `timeout_ms` and the watch's `signal`.
pub(super) async fn settle(start: impl FnOnce(JsValue) -> JsValue + 'static, timeout_ms: u64, signal: &JsValue) -> Settled {
    let start = Closure::once(start);
    let promise = glue::settle_within(start.as_ref().unchecked_ref(), timeout_ms as f64, signal);
    // `settleWithin` calls `start` before it returns, so the closure may go.
    drop(start);
    // OK to treat a rejection as an error: `settleWithin` never rejects.
    let settled = JsFuture::from(promise).await.unwrap_or(JsValue::UNDEFINED);
    let value = glue::get(&settled, "value");
    match glue::get(&settled, "outcome").as_string().as_deref() {
        Some("ok") => Settled::Ok(value),
        Some("timeout") => Settled::Timeout,
        Some("aborted") => Settled::Aborted,
        _ => Settled::Error(value),
    }
}

pub(super) fn aborted(method: &str) -> WatchError {
    WatchError::aborted(format!("{method} was aborted because the watch stopped"))
}

async fn send_webhook(url: &WebhookUrl, method: &str, params: &JsValue, timeout_ms: u64, signal: &JsValue) -> Result<Reply, WatchError> {
    let target = url.method_url(method);
    let params = params.clone();
    let settled = settle(move |request_signal| glue::post_json(&target, &params, &request_signal).into(), timeout_ms, signal).await;

    let response = match settled {
        Settled::Ok(response) => response,
        Settled::Timeout => return Err(WatchError::request_timeout(method, timeout_ms)),
        Settled::Aborted => return Err(aborted(method)),
        Settled::Error(thrown) => {
            // Platform errors can quote the request URL, so the secret is
            // scrubbed from whatever they say.
            let detail = url.scrub(&describe_thrown(&thrown));
            return Err(WatchError::network(format!(
                "{method} failed: could not reach {} ({detail}); the request will be retried",
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

async fn send_function(function: &Function, method: &str, params: &JsValue, timeout_ms: u64, signal: &JsValue) -> Result<Reply, WatchError> {
    let (function, method_name, params_value) = (function.clone(), method.to_owned(), params.clone());
    let settled = settle(
        move |_| match glue::call_function(&function, &method_name, &params_value) {
            Ok(value) => value,
            Err(thrown) => Promise::reject(&thrown).into(),
        },
        timeout_ms,
        signal,
    )
    .await;

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
                "the client function failed on {method}: {}; the request will be retried",
                describe_thrown(&thrown)
            ))
        })),
    }
}

async fn send_client(client: &JsValue, method: &str, params: &JsValue, timeout_ms: u64, signal: &JsValue) -> Result<Reply, WatchError> {
    let send: Function = glue::get(client, "__send").unchecked_into();
    let args = js_sys::Array::of4(&JsValue::from_str(method), params, &JsValue::from(timeout_ms as f64), signal);
    let promise = match send.apply(client, &args) {
        Ok(promise) => promise,
        Err(thrown) => return Err(from_js(&thrown).unwrap_or_else(|| WatchError::network(describe_thrown(&thrown)))),
    };
    match JsFuture::from(Promise::resolve(&promise)).await {
        Ok(reply) => Ok(Reply {
            http_status: glue::get(&reply, "httpStatus").as_f64().map(|status| status as u16),
            body: value_from_js(method, glue::get(&reply, "body"))?,
            retry_after_ms: glue::get(&reply, "retryAfterMs").as_f64().map(|ms| ms as u64),
        }),
        Err(thrown) => Err(from_js(&thrown).unwrap_or_else(|| WatchError::network(describe_thrown(&thrown)))),
    }
}
