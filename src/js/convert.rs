//! Values across the boundary: parsed JS bodies into the core's [`Value`],
//! statuses and updates out as plain JS objects with camelCase keys.

use super::error;
use super::glue;
use crate::error::WatchError;
use crate::status::ImportStatus;
use crate::value::Value;
use crate::watch::Update;
use js_sys::Object;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Reads an already parsed JS body. The body arrives from JSON, so the
/// conversion fails only for values JSON cannot hold (a symbol, a function).
pub fn value_from_js(method: &str, body: JsValue) -> Result<Value, WatchError> {
    serde_wasm_bindgen::from_value(body).map_err(|_| {
        WatchError::invalid_response(
            None,
            format!("{method} returned a body that is not plain JSON data (it holds a function, a symbol or similar)"),
        )
    })
}

/// Parses a body given as text with the platform's `JSON.parse`.
pub fn value_from_text(method: &str, http_status: Option<u16>, text: &str) -> Result<Value, WatchError> {
    match js_sys::JSON::parse(text) {
        Ok(parsed) => value_from_js(method, parsed),
        Err(_) => Err(crate::envelope::unparsable_body(method, http_status, text)),
    }
}

/// Converts a status into a plain JS object.
pub fn status_to_js(status: &ImportStatus) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    // OK to fall back: the status holds only JSON-compatible data, so
    // serialization cannot fail.
    status.serialize(&serializer).unwrap_or(JsValue::NULL)
}

/// Converts an update into the `ImportUpdate` object the callback receives.
pub fn update_to_js(update: &Update, status: &JsValue) -> JsValue {
    let object = Object::new();
    glue::set(&object, "status", status);
    glue::set(&object, "changed", &JsValue::from_bool(update.changed));
    glue::set(&object, "attempt", &JsValue::from(update.attempt));
    let next = update.next_poll_in_ms.map_or(JsValue::NULL, |ms| JsValue::from(ms as f64));
    glue::set(&object, "nextPollInMs", &next);
    let error = update.error.as_ref().map_or(JsValue::NULL, error::to_js);
    glue::set(&object, "error", &error);
    object.into()
}

/// Converts a core value back into a plain JS value.
pub fn value_to_js(value: &Value) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    // OK to fall back: a `Value` holds only JSON data.
    value.serialize(&serializer).unwrap_or(JsValue::NULL)
}
