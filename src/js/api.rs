//! The one-shot functions: `getImportStatus` and `parseImportStatus`.

use super::convert::{status_to_js, value_from_js};
use super::error::to_js;
use super::glue;
use super::options::read_options;
use super::transport::Transport;
use super::watch::{poll, read_process_id, request_params};
use crate::envelope::{parse_get_response, GET_METHOD};
use crate::error::{ErrorKind, WatchError};
use js_sys::Promise;
use wasm_bindgen::prelude::*;

/// Reads the status of import `processId` once, with no retries.
#[wasm_bindgen(js_name = getImportStatus)]
pub fn get_import_status(process_id: JsValue, options: JsValue) -> Promise {
    super::boxed_promise(async move {
        let process_id = read_process_id(&process_id).map_err(|error| to_js(&error))?;
        let options = read_options(&options, &[]).map_err(|error| to_js(&error))?;
        let transport = Transport::from_option(&options.client).map_err(|error| to_js(&error))?;
        let params = request_params(process_id);
        // One request: `timeoutMs`, when set, can only shorten it.
        let timeout_ms = options
            .config
            .timeout_ms
            .map_or(options.config.request_timeout_ms, |limit| limit.min(options.config.request_timeout_ms));
        let status = poll(&transport, process_id, &params, timeout_ms, &options.signal)
            .await
            .map_err(|error| to_js(&one_shot_error(error)))?;
        Ok(status_to_js(&status))
    })
}

/// Rewords an error for a call that makes one request and does not retry.
pub fn one_shot_error(error: WatchError) -> WatchError {
    if error.kind == ErrorKind::Aborted {
        return WatchError::aborted("configuration.import.get was aborted because options.signal was aborted");
    }
    error.without_retry_clause()
}

/// Parses a whole `configuration.import.get` response body into a status.
///
/// # Errors
///
/// Throws a `WatchError` for an error body, a body that is not a REST
/// envelope, or an invalid `processId`.
#[wasm_bindgen(js_name = parseImportStatus)]
pub fn parse_import_status(body: JsValue, process_id: JsValue) -> Result<JsValue, JsValue> {
    let process_id = if process_id.is_undefined() || process_id.is_null() {
        None
    } else {
        Some(read_process_id(&process_id).map_err(|error| to_js(&error))?)
    };
    let body = match body.as_string() {
        Some(text) => super::convert::value_from_text(GET_METHOD, None, &text),
        None => value_from_js(GET_METHOD, body),
    }
    .map_err(|error| to_js(&error))?;
    let status = parse_get_response(None, &body, process_id, js_sys::Date::now()).map_err(|error| to_js(&error))?;
    Ok(status_to_js(&status))
}

/// Returns the `WatchError` class, which the package entry re-exports.
#[wasm_bindgen(js_name = "__watchErrorClass")]
pub fn watch_error_class() -> JsValue {
    glue::watch_error_class()
}

