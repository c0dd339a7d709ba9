//! The REST envelope: telling a result from an error, whatever the body.
//!
//! Success is `{"result": …, "time": {…}}`. An error is any object with an
//! `error` key, even when its code is an empty string; REST v3 nests it as
//! `{"error": {"code", "message"}}`. Proxies in front of a portal answer with
//! HTML, and a cut connection leaves an empty or partial body.

use crate::error::WatchError;
use crate::status::ImportStatus;
use crate::value::Value;

/// The method that reads an import's status.
pub const GET_METHOD: &str = "configuration.import.get";
/// The method that cancels an import.
pub const UNREGISTER_METHOD: &str = "configuration.import.unregister";

/// A successful REST response.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope<'a> {
    /// The `result` value.
    pub result: &'a Value,
    /// The `time` block, when present.
    pub time: Option<&'a Value>,
}

/// Splits a parsed response body into its result, or the error it carries.
///
/// `now_ms` (Unix milliseconds) turns an `operating_reset_at` in the body
/// into a delay hint on the error.
///
/// # Errors
///
/// A [`ErrorKind::Rest`](crate::error::ErrorKind) error for an error body, and an
/// [`ErrorKind::InvalidResponse`](crate::error::ErrorKind) error for a body
/// that is not a REST envelope.
pub fn parse_envelope<'a>(
    method: &str,
    http_status: Option<u16>,
    body: &'a Value,
    now_ms: f64,
) -> Result<Envelope<'a>, WatchError> {
    if !matches!(body, Value::Object(_)) {
        return Err(WatchError::invalid_response(
            http_status,
            format!(
                "{method} returned {} where a REST envelope (an object with result or error) was expected{}",
                body.type_name(),
                status_suffix(http_status)
            ),
        ));
    }

    let time = body.get("time");
    if let Some(error) = body.get("error") {
        return Err(rest_error(method, http_status, error, body).with_retry_after_ms(reset_delay_ms(time, now_ms)));
    }

    match body.get("result") {
        Some(result) if http_status.map_or(true, |status| status < 400) => Ok(Envelope { result, time }),
        Some(_) => Err(WatchError::invalid_response(
            http_status,
            format!("{method} returned HTTP {} with a result but no error code", status_text(http_status)),
        )),
        None => Err(WatchError::invalid_response(
            http_status,
            format!("{method} returned a body with neither result nor error{}", status_suffix(http_status)),
        )),
    }
}

/// Describes a body that is not JSON: empty, an HTML error page from a proxy,
/// or JSON cut short. The text itself is not quoted, because it can be large
/// and is not written for users.
pub fn unparsable_body(method: &str, http_status: Option<u16>, text: &str) -> WatchError {
    let trimmed = text.trim_start();
    let what = if trimmed.is_empty() {
        "an empty body"
    } else if trimmed.starts_with('<') {
        "an HTML page instead of JSON (a proxy or web server error page)"
    } else {
        "a body that is not valid JSON (cut short or garbled)"
    };
    WatchError::invalid_response(
        http_status,
        format!(
            "{method} returned {what}{}; the request will be retried",
            status_suffix(http_status)
        ),
    )
}

/// Parses a whole `configuration.import.get` response into a status.
///
/// # Errors
///
/// As [`parse_envelope`] and [`ImportStatus::from_result`].
pub fn parse_get_response(
    http_status: Option<u16>,
    body: &Value,
    process_id: Option<u64>,
    now_ms: f64,
) -> Result<ImportStatus, WatchError> {
    let envelope = parse_envelope(GET_METHOD, http_status, body, now_ms)?;
    if matches!(envelope.result, Value::Null) {
        return Err(WatchError::invalid_response(
            http_status,
            format!("{GET_METHOD} returned a null result; the request will be retried"),
        ));
    }
    // `from_result` cannot see the response and reports HTTP 200, so the real status replaces it.
    ImportStatus::from_result(envelope.result, envelope.time, process_id).map_err(|mut error| {
        error.http_status = http_status;
        error
    })
}

/// Parses a `configuration.import.unregister` response. The server puts a
/// failure inside `result` with HTTP 200 (`{"error": "PROCESS_NOT_FOUND"}`),
/// so both places are checked.
///
/// # Errors
///
/// A REST error for either form of error, and an invalid-response error for
/// a result without `success`.
pub fn parse_unregister_response(http_status: Option<u16>, body: &Value, now_ms: f64) -> Result<(), WatchError> {
    let envelope = parse_envelope(UNREGISTER_METHOD, http_status, body, now_ms)?;
    if let Some(error) = envelope.result.get("error") {
        return Err(rest_error(UNREGISTER_METHOD, http_status, error, envelope.result));
    }
    match envelope.result.get("success") {
        Some(Value::String(flag)) if flag == "Y" => Ok(()),
        Some(Value::Bool(true)) => Ok(()),
        _ => Err(WatchError::invalid_response(
            http_status,
            format!("{UNREGISTER_METHOD} returned a result without success: \"Y\""),
        )),
    }
}

/// Builds the REST error from an `error` value in either the classic form
/// (`error` + `error_description`) or the REST v3 form (`{code, message}`).
fn rest_error(method: &str, http_status: Option<u16>, error: &Value, container: &Value) -> WatchError {
    let (code, description) = match error {
        Value::Object(_) => (
            error.get("code").and_then(Value::as_str).unwrap_or(""),
            error.get("message").and_then(Value::as_str).unwrap_or(""),
        ),
        Value::String(code) => (
            code.as_str(),
            container.get("error_description").and_then(Value::as_str).unwrap_or(""),
        ),
        // The REST controller layer sends some codes as integers, such as
        // `{"error": 100}` for a missing required parameter.
        Value::Number(number) => {
            let description = container.get("error_description").and_then(Value::as_str).unwrap_or("");
            let code = crate::value::number_text(*number);
            return WatchError::rest(method, http_status, &code, description);
        }
        _ => ("", container.get("error_description").and_then(Value::as_str).unwrap_or("")),
    };
    WatchError::rest(method, http_status, code, description)
}

fn reset_delay_ms(time: Option<&Value>, now_ms: f64) -> Option<u64> {
    let reset_at_s = time?.get("operating_reset_at")?.as_f64()?;
    let delay_ms = reset_at_s * 1000.0 - now_ms;
    if delay_ms.is_finite() && delay_ms > 0.0 {
        // The budget window is ten minutes, so a later reset time is bogus.
        Some(delay_ms.min(600_000.0) as u64)
    } else {
        Some(0)
    }
}

fn status_text(http_status: Option<u16>) -> String {
    http_status.map_or_else(|| "?".to_owned(), |status| status.to_string())
}

fn status_suffix(http_status: Option<u16>) -> String {
    match http_status {
        Some(status) => format!(" (HTTP {status})"),
        None => String::new(),
    }
}
