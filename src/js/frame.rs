//! The clients for app frames: the legacy `BX24` library, with its token
//! refresh, and `@bitrix24/b24jssdk`.
//!
//! Which layer retries what:
//!
//! - `BX24.callMethod` never calls back on an HTTP 5xx or a network failure,
//!   so each call has its own time limit and the watcher's backoff retries it.
//!   A token error (`expired_token`, `invalid_token`) that reaches the callback
//!   gets one `BX24.refreshAuth` and one retry here; watches on the same
//!   library object share the refresh. A token error on the retry is fatal.
//! - `@bitrix24/b24jssdk` 2.2.0 retries within one call by itself: rate limits
//!   (HTTP 503, `QUERY_LIMIT_EXCEEDED`), `OPERATION_TIME_LIMIT`, network errors
//!   and other 5xx responses outside its list of fatal codes, up to 3 attempts;
//!   and on a 401 token error it refreshes the token once (concurrent calls
//!   share the refresh) and retries once. So this client neither retries nor
//!   refreshes: an error the SDK gives up on is one failed poll for the
//!   watcher, whose backoff decides when to poll again, and a token error the
//!   SDK gives up on is fatal.

use super::convert::value_from_js;
use super::error::describe_thrown;
use super::glue;
use super::transport::{aborted, request, settled, Reply, Settled};
use crate::error::{WatchError, RETRY_CLAUSE};
use crate::value::Value;
use js_sys::Function;
use wasm_bindgen::prelude::*;

/// A token error as the portal sent it.
struct TokenError {
    code: String,
    description: String,
}

/// Returns the token error in `reply`, if its body is one: the codes after
/// which a frame client refreshes its token.
fn token_error(reply: &Reply) -> Option<TokenError> {
    let code = reply.body.get("error")?.as_str()?;
    if !matches!(code, "expired_token" | "invalid_token") {
        return None;
    }
    let description = reply.body.get("error_description").and_then(Value::as_str).unwrap_or("");
    Some(TokenError {
        code: code.to_owned(),
        description: description.to_owned(),
    })
}

/// Sends one request through `BX24.callMethod`. A token error gets one
/// refresh and one retry; see the module documentation.
pub(super) async fn send_bx24(bx24: &JsValue, method: &str, params: &JsValue, timeout_ms: u64, signal: &JsValue) -> Result<Reply, WatchError> {
    // Read before the request, so that a refresh that another watch completes
    // while this request is under way counts as this request's refresh.
    let generation = glue::auth_generation(bx24);
    let reply = call_bx24(bx24, method, params, timeout_ms, signal).await?;
    let Some(rejected) = token_error(&reply) else {
        return Ok(reply);
    };

    refresh_bx24(bx24, generation, method, &reply, &rejected, timeout_ms, signal).await?;

    let retry = call_bx24(bx24, method, params, timeout_ms, signal).await?;
    match token_error(&retry) {
        Some(again) => Err(WatchError::token_rejected_after_refresh(
            method,
            retry.http_status,
            &again.code,
            &again.description,
        )),
        None => Ok(retry),
    }
}

/// Refreshes the library's token once, or joins the refresh that another
/// watch on the same library object has started.
async fn refresh_bx24(
    bx24: &JsValue,
    generation: f64,
    method: &str,
    reply: &Reply,
    rejected: &TokenError,
    timeout_ms: u64,
    signal: &JsValue,
) -> Result<(), WatchError> {
    let settled = settled(glue::settle_refresh(bx24, generation, timeout_ms as f64, signal)).await;
    refresh_outcome(method, reply, rejected, timeout_ms, settled)
}

fn refresh_outcome(method: &str, reply: &Reply, rejected: &TokenError, timeout_ms: u64, settled: Settled) -> Result<(), WatchError> {
    let outcome = match settled {
        Settled::Ok(value) => glue::get(&value, "outcome").as_string().unwrap_or_default(),
        Settled::Aborted => return Err(aborted(method)),
        Settled::Timeout | Settled::Error(_) => "timeout".to_owned(),
    };
    let reason = match outcome.as_str() {
        "ok" => return Ok(()),
        "timeout" => format!("BX24.refreshAuth did not call back within {timeout_ms} ms"),
        _ => "BX24.refreshAuth returned no access token".to_owned(),
    };
    Err(WatchError::token_refresh_failed(
        method,
        reply.http_status,
        &rejected.code,
        &rejected.description,
        &reason,
    ))
}

async fn call_bx24(bx24: &JsValue, method: &str, params: &JsValue, timeout_ms: u64, signal: &JsValue) -> Result<Reply, WatchError> {
    let settled = request("bx24", bx24, method, params, timeout_ms, signal).await;
    let result = match settled {
        Settled::Ok(result) => result,
        // BX24.callMethod never calls back on an HTTP 5xx (QUERY_LIMIT_EXCEEDED
        // included) or a network failure, so a timeout is the only sign.
        Settled::Timeout => {
            return Err(WatchError::request_timeout(method, timeout_ms).with_note(
                "BX24.callMethod gives no answer on HTTP 5xx errors and network failures, so the cause may be either",
            ))
        }
        Settled::Aborted => return Err(aborted(method)),
        Settled::Error(thrown) => {
            return Err(WatchError::network(format!(
                "BX24.callMethod(\"{method}\") threw {}{RETRY_CLAUSE}",
                describe_thrown(&thrown)
            )))
        }
    };
    bx24_reply(method, &result)
}

/// Reads the result object that `BX24.callMethod` passes to its callback:
/// `data()`, `error()`, `error_description()`, `status`, and `answer`, the
/// parsed body when the library keeps it.
fn bx24_reply(method: &str, result: &JsValue) -> Result<Reply, WatchError> {
    let http_status = glue::get(result, "status").as_f64().filter(|s| *s > 0.0).map(|status| status as u16);
    let error = call_method0(result, "error");
    if error.is_truthy() {
        let code = bx24_error_code(&error);
        let description = call_method0(result, "error_description").as_string().unwrap_or_default();
        let mut entries = vec![
            ("error".to_owned(), Value::String(code)),
            ("error_description".to_owned(), Value::String(description)),
        ];
        // The time block carries `operating_reset_at` after OPERATION_TIME_LIMIT,
        // from which the watcher takes how long to wait.
        let time = glue::get(&glue::get(result, "answer"), "time");
        if time.is_object() {
            entries.push(("time".to_owned(), value_from_js(method, time)?));
        }
        let body = Value::Object(entries);
        return Ok(Reply {
            http_status,
            body,
            retry_after_ms: None,
        });
    }

    let answer = glue::get(result, "answer");
    let body = if glue::get(&answer, "result").is_undefined() {
        let data = value_from_js(method, call_method0(result, "data"))?;
        Value::Object(vec![("result".to_owned(), data)])
    } else {
        value_from_js(method, answer)?
    };
    Ok(Reply {
        http_status,
        body,
        retry_after_ms: None,
    })
}

/// The error code from `result.error()`, which the library returns as a
/// string or as an object carrying the parsed error body.
fn bx24_error_code(error: &JsValue) -> String {
    if let Some(code) = error.as_string() {
        return code;
    }
    for path in [&["error"][..], &["ex", "error"], &["code"], &["answer", "error"]] {
        let mut value = error.clone();
        for key in path {
            value = glue::get(&value, key);
        }
        if let Some(code) = value.as_string() {
            return code;
        }
    }
    String::new()
}

fn call_method0(object: &JsValue, name: &str) -> JsValue {
    let method = glue::get(object, name);
    if !method.is_function() {
        return JsValue::UNDEFINED;
    }
    let method: Function = method.unchecked_into();
    method.call0(object).unwrap_or(JsValue::UNDEFINED)
}

/// Reads the outcome of one request through `@bitrix24/b24jssdk`, which
/// retries and refreshes by itself; see the module documentation.
pub(super) fn b24jssdk_reply(b24: &JsValue, method: &str, timeout_ms: u64, settled: Settled) -> Result<Reply, WatchError> {
    let outcome = match settled {
        Settled::Ok(outcome) => outcome,
        Settled::Timeout => {
            return Err(WatchError::request_timeout(method, timeout_ms).with_note(
                "@bitrix24/b24jssdk may still be retrying the call, and the next poll waits for that same call",
            ))
        }
        Settled::Aborted => return Err(aborted(method)),
        Settled::Error(thrown) => {
            return Err(WatchError::network(format!(
                "@bitrix24/b24jssdk failed on {method}: {}{RETRY_CLAUSE}",
                describe_thrown(&thrown)
            )))
        }
    };

    let http_status = glue::get(&outcome, "status").as_f64().map(|status| status as u16);
    let Some(code) = glue::get(&outcome, "code").as_string() else {
        let body = value_from_js(method, glue::get(&outcome, "body"))?;
        return Ok(Reply {
            http_status,
            body,
            retry_after_ms: None,
        });
    };
    let description = glue::get(&outcome, "description").as_string().unwrap_or_default();

    // The SDK refreshes the token and retries once on a 401 token error
    // before it reports one, except for a B24Hook, which has nothing to refresh.
    let token_error = matches!(code.as_str(), "expired_token" | "invalid_token");
    if token_error && http_status == Some(401) && !glue::is_b24jssdk_hook(b24) {
        return Err(WatchError::token_rejected_after_refresh(method, http_status, &code, &description));
    }
    Err(WatchError::from_sdk(method, http_status, &code, &description))
}
