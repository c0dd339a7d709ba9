//! `WatchError` across the boundary, both ways.

use super::glue::{self, JsWatchError};
use crate::error::{classify, ErrorKind, Recovery, WatchError};
use wasm_bindgen::prelude::*;

/// Converts an error into an instance of the JS `WatchError` class.
pub fn to_js(error: &WatchError) -> JsValue {
    let code = error.code.as_deref().map_or(JsValue::NULL, JsValue::from_str);
    let http_status = error.http_status.map_or(JsValue::NULL, JsValue::from);
    let retry_after_ms = error.retry_after_ms.map_or(JsValue::NULL, |ms| JsValue::from(ms as f64));
    let value: JsWatchError = JsWatchError::new(
        &error.message,
        error.js_name(),
        error.kind.as_str(),
        code,
        http_status,
        error.retryable(),
        retry_after_ms,
    );
    value.into()
}

/// Reads back a JS `WatchError`, or any object with the same fields, as
/// thrown by a client. Returns `None` for other values.
pub fn from_js(value: &JsValue) -> Option<WatchError> {
    // Only this module's errors, by their names: another library's error
    // may have a `kind` field of its own.
    let name = glue::get(value, "name").as_string()?;
    if !matches!(name.as_str(), "WatchError" | "AbortError" | "TimeoutError") {
        return None;
    }
    let kind = match glue::get(value, "kind").as_string()?.as_str() {
        "rest" => ErrorKind::Rest,
        "network" => ErrorKind::Network,
        "timeout" => ErrorKind::Timeout,
        "invalid_response" => ErrorKind::InvalidResponse,
        "invalid_argument" => ErrorKind::InvalidArgument,
        "aborted" => ErrorKind::Aborted,
        _ => return None,
    };
    let message = glue::get(value, "message").as_string().unwrap_or_default();
    let code = glue::get(value, "code").as_string();
    let http_status = glue::get(value, "httpStatus")
        .as_f64()
        .filter(|status| (100.0..=599.0).contains(status))
        .map(|status| status as u16);
    let retryable = glue::get(value, "retryable").as_bool().unwrap_or(false);
    let retry_after_ms = glue::get(value, "retryAfterMs")
        .as_f64()
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
        .map(|ms| ms as u64);

    let recovery = match (&kind, &code) {
        (ErrorKind::Rest, Some(code)) => classify(code, http_status),
        _ if retryable => Recovery::Retry,
        _ => Recovery::Fail,
    };
    Some(WatchError {
        kind,
        code,
        http_status,
        recovery,
        message,
        retry_after_ms,
    })
}

/// Describes a thrown JS value in one line, for a message.
pub fn describe_thrown(value: &JsValue) -> String {
    if let Some(message) = glue::get(value, "message").as_string() {
        let name = glue::get(value, "name").as_string().unwrap_or_else(|| "Error".to_owned());
        return format!("{name}: {message}");
    }
    if let Some(text) = value.as_string() {
        return text;
    }
    "a non-Error value".to_owned()
}
