//! Values across the boundary: parsed JS bodies into the core's [`Value`],
//! statuses and updates out as plain JS objects with camelCase keys.
//!
//! Both directions walk the values with `js_sys` calls rather than through
//! serde, which keeps a generic serializer out of the wasm.

use super::error;
use super::glue;
use crate::error::WatchError;
use crate::status::{ImportStatus, Notification, Phase, Progress, ServerTime};
use crate::value::Value;
use crate::watch::Update;
use js_sys::{Array, ArrayBuffer, Map, Object, Reflect, Symbol};
use wasm_bindgen::prelude::*;

/// The deepest nesting of arrays and objects accepted in a body. REST bodies
/// of these methods nest a few levels. The bound keeps a cyclic object or a
/// hostile body from exhausting the wasm stack, which would break the module
/// for the whole page.
const MAX_DEPTH: usize = 64;

/// The reason a JS value cannot become a [`Value`].
enum Unreadable {
    NotJson,
    TooDeep,
}

/// Reads an already parsed JS body. The body arrives from JSON, so the
/// conversion fails only for values JSON cannot hold (a symbol, a function)
/// and for nesting deeper than [`MAX_DEPTH`] levels, cycles included.
pub fn value_from_js(method: &str, body: JsValue) -> Result<Value, WatchError> {
    read_value(&body, 0).map_err(|reason| {
        let what = match reason {
            Unreadable::NotJson => "a body that is not plain JSON data (it holds a function, a symbol or similar)",
            Unreadable::TooDeep => "a body nested more than 64 levels deep, or an object that contains itself",
        };
        WatchError::invalid_response(None, format!("{method} returned {what}"))
    })
}

/// Converts one JS value, or returns `None` for a value that has no JSON
/// counterpart: a function, a symbol, a BigInt outside the 64-bit integers,
/// an `ArrayBuffer` or typed array, an iterable other than an array or a
/// `Map`, or a `Map` with a key that is not a string.
///
/// `null` and `undefined` read as `Value::Null`, a BigInt as the nearest
/// number, and `-0` as `0`. Objects keep the key order of `Object.entries`.
fn read_value(value: &JsValue, depth: usize) -> Result<Value, Unreadable> {
    if value.is_null() || value.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(flag) = value.as_bool() {
        return Ok(Value::Bool(flag));
    }
    if value.is_bigint() {
        let number = match i64::try_from(value.clone()) {
            Ok(signed) => signed as f64,
            Err(value) => u64::try_from(value).map_err(|_| Unreadable::NotJson)? as f64,
        };
        return Ok(Value::Number(number));
    }
    if let Some(number) = value.as_f64() {
        // Adding +0 turns -0 into 0 and leaves every other number as it is.
        return Ok(Value::Number(number + 0.0));
    }
    if let Some(text) = value.as_string() {
        return Ok(Value::String(text));
    }
    if depth >= MAX_DEPTH {
        return Err(Unreadable::TooDeep);
    }
    // Plain loops rather than `collect` into a `Result`, which would add a
    // generic adapter to the wasm for each element type.
    if Array::is_array(value) {
        let array: &Array = value.unchecked_ref();
        let mut items = Vec::new();
        for item in array.iter() {
            items.push(read_value(&item, depth + 1)?);
        }
        return Ok(Value::Array(items));
    }
    // Functions and symbols are not objects here: `is_object` checks
    // `typeof value === "object"`.
    if !value.is_object() || value.is_instance_of::<ArrayBuffer>() {
        return Err(Unreadable::NotJson);
    }
    let pairs = if value.is_instance_of::<Map>() {
        // A map's own iterator yields its [key, value] entries.
        Array::from(value)
    } else if Reflect::has(value, &Symbol::iterator()).unwrap_or(true) {
        // Typed arrays, sets, strings as objects, generators and the like.
        return Err(Unreadable::NotJson);
    } else {
        Object::entries(value.unchecked_ref())
    };
    let mut entries = Vec::new();
    for pair in pairs.iter() {
        let pair: &Array = pair.unchecked_ref();
        let key = pair.get(0).as_string().ok_or(Unreadable::NotJson)?;
        entries.push((key, read_value(&pair.get(1), depth + 1)?));
    }
    Ok(Value::Object(entries))
}

/// Parses a body given as text with the platform's `JSON.parse`.
pub fn value_from_text(method: &str, http_status: Option<u16>, text: &str) -> Result<Value, WatchError> {
    match js_sys::JSON::parse(text) {
        Ok(parsed) => value_from_js(method, parsed),
        Err(_) => Err(crate::envelope::unparsable_body(method, http_status, text)),
    }
}

/// Converts a status into the plain JS object that `ImportStatus` in
/// `js/index.d.ts` describes: absent values are `null`.
pub fn status_to_js(status: &ImportStatus) -> JsValue {
    let object = Object::new();
    glue::set(&object, "processId", &optional_number(status.process_id.map(|id| id as f64)));
    glue::set(&object, "code", &JsValue::from_str(status.code.letter()));
    glue::set(&object, "state", &JsValue::from_str(status.state.name()));
    glue::set(&object, "terminal", &JsValue::from_bool(status.terminal));
    glue::set(&object, "progress", &status.progress.as_ref().map_or(JsValue::NULL, progress_to_js));
    glue::set(&object, "phase", &status.phase.as_ref().map_or(JsValue::NULL, phase_to_js));
    glue::set(&object, "notices", &notifications_to_js(&status.notices));
    glue::set(&object, "errors", &notifications_to_js(&status.errors));
    glue::set(&object, "exceptions", &notifications_to_js(&status.exceptions));
    glue::set(&object, "additional", &status.additional.as_ref().map_or(JsValue::NULL, value_to_js));
    let created_items: Array = status.created_items.iter().map(value_to_js).collect();
    glue::set(&object, "createdItems", &created_items);
    glue::set(&object, "time", &status.time.as_ref().map_or(JsValue::NULL, time_to_js));
    object.into()
}

fn progress_to_js(progress: &Progress) -> JsValue {
    let object = Object::new();
    glue::set(&object, "action", &optional_text(progress.action.as_deref()));
    glue::set(&object, "step", &JsValue::from_f64(progress.step as f64));
    glue::set(&object, "section", &optional_text(progress.section.as_deref()));
    object.into()
}

fn phase_to_js(phase: &Phase) -> JsValue {
    let object = Object::new();
    glue::set(&object, "index", &JsValue::from(phase.index));
    glue::set(&object, "count", &JsValue::from(phase.count));
    object.into()
}

fn notifications_to_js(list: &[Notification]) -> JsValue {
    list.iter()
        .map(|item| {
            let object = Object::new();
            glue::set(&object, "code", &JsValue::from_str(&item.code));
            glue::set(&object, "message", &JsValue::from_str(&item.message));
            glue::set(&object, "type", &JsValue::from_str(&item.kind));
            JsValue::from(object)
        })
        .collect::<Array>()
        .into()
}

fn time_to_js(time: &ServerTime) -> JsValue {
    let object = Object::new();
    glue::set(&object, "start", &optional_number(time.start));
    glue::set(&object, "finish", &optional_number(time.finish));
    glue::set(&object, "duration", &optional_number(time.duration));
    glue::set(&object, "processing", &optional_number(time.processing));
    glue::set(&object, "dateStart", &optional_text(time.date_start.as_deref()));
    glue::set(&object, "dateFinish", &optional_text(time.date_finish.as_deref()));
    glue::set(&object, "operating", &optional_number(time.operating));
    glue::set(&object, "operatingResetAt", &optional_number(time.operating_reset_at));
    object.into()
}

fn optional_number(number: Option<f64>) -> JsValue {
    number.map_or(JsValue::NULL, JsValue::from_f64)
}

fn optional_text(text: Option<&str>) -> JsValue {
    text.map_or(JsValue::NULL, JsValue::from_str)
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

/// Converts a core value back into a plain JS value: objects become plain
/// objects with their keys set in order, and `Value::Null` becomes `null`.
pub fn value_to_js(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        Value::Bool(flag) => JsValue::from_bool(*flag),
        Value::Number(number) => JsValue::from_f64(*number),
        Value::String(text) => JsValue::from_str(text),
        Value::Array(items) => items.iter().map(value_to_js).collect::<Array>().into(),
        Value::Object(entries) => {
            let object = Object::new();
            for (key, item) in entries {
                glue::set(&object, key, &value_to_js(item));
            }
            object.into()
        }
    }
}
