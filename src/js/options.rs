//! Reading `WatchOptions` from JS, with an error for every value that the
//! watch could not use.

use super::glue;
use super::poller::RateLimit;
use crate::error::WatchError;
use crate::schedule::ScheduleKind;
use crate::value::js_number_text;
use crate::watch::{WatchConfig, MAX_TIMER_MS};
use wasm_bindgen::prelude::*;

/// Option names a `WatchOptions` object may have.
const KNOWN_OPTIONS: [&str; 11] = [
    "hiddenIntervalMs",
    "rateLimit",
    "client",
    "intervalMs",
    "minIntervalMs",
    "requestTimeoutMs",
    "timeoutMs",
    "maxConsecutiveErrors",
    "signal",
    "schedule",
    "logger",
];

/// The options of a watch, checked.
#[derive(Debug)]
pub struct WatchOptions {
    /// The watch settings for the core.
    pub config: WatchConfig,
    /// The `client` option as given; `undefined` picks the default.
    pub client: JsValue,
    /// The caller's `AbortSignal`, or `undefined`.
    pub signal: JsValue,
    /// The caller's `logger(level, message)`.
    pub logger: Option<js_sys::Function>,
    /// The request rate of the client's poller.
    pub rate_limit: RateLimit,
}

/// Reads and checks `options`; `extra` lists further keys that a caller
/// such as the widget accepts.
pub fn read_options(options: &JsValue, extra: &[&str]) -> Result<WatchOptions, WatchError> {
    let mut config = WatchConfig::default();
    if options.is_undefined() || options.is_null() {
        return Ok(WatchOptions {
            config,
            client: JsValue::UNDEFINED,
            signal: JsValue::UNDEFINED,
            logger: None,
            rate_limit: RateLimit::STANDARD,
        });
    }
    // An array passes `is_object`, but its keys would read as unknown options
    // "0", "1", …, and an empty one would silently mean "no options".
    if !options.is_object() || js_sys::Array::is_array(options) {
        return Err(WatchError::invalid_argument(format!(
            "invalid options {}: expected an object such as {{ client, intervalMs }}, or undefined",
            show(options)
        )));
    }

    for key in js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !KNOWN_OPTIONS.contains(&key.as_str()) && !extra.contains(&key.as_str()) {
            return Err(WatchError::invalid_argument(format!(
                "unknown option \"{key}\"; the options are {}",
                KNOWN_OPTIONS.iter().chain(extra).copied().collect::<Vec<_>>().join(", ")
            )));
        }
    }

    let schedule = glue::get(options, "schedule");
    if !schedule.is_undefined() {
        config.schedule = match schedule.as_string().as_deref() {
            Some("agent") => ScheduleKind::Agent,
            Some("fixed") => ScheduleKind::Fixed,
            _ => {
                return Err(WatchError::invalid_argument(format!(
                    "invalid schedule {}: expected \"agent\" or \"fixed\"",
                    show(&schedule)
                )))
            }
        };
    }

    let interval_ms = duration(options, "intervalMs", 1)?;
    config.interval_ms = interval_ms.unwrap_or_else(|| config.schedule.default_interval_ms());
    if let Some(ms) = duration(options, "minIntervalMs", 0)? {
        if ms > config.interval_ms {
            // Name where the bound came from, since a default was never typed.
            let bound = match (interval_ms, config.schedule) {
                (Some(_), _) => format!("intervalMs {}", config.interval_ms),
                (None, ScheduleKind::Agent) => format!("the default intervalMs {} of schedule \"agent\"", config.interval_ms),
                (None, ScheduleKind::Fixed) => format!("the default intervalMs {} of schedule \"fixed\"", config.interval_ms),
            };
            return Err(WatchError::invalid_argument(format!(
                "invalid minIntervalMs {ms}: it is above {bound}; the shortest wait between polls cannot exceed the longest, so lower minIntervalMs or raise intervalMs"
            )));
        }
        config.min_interval_ms = ms;
    }
    if let Some(ms) = duration(options, "requestTimeoutMs", 1)? {
        config.request_timeout_ms = ms;
    }
    config.timeout_ms = duration(options, "timeoutMs", 1)?;
    let max_errors = glue::get(options, "maxConsecutiveErrors");
    if !max_errors.is_undefined() {
        config.max_consecutive_errors = match max_errors.as_f64() {
            Some(count) if count.fract() == 0.0 && (1.0..=1_000_000.0).contains(&count) => count as u32,
            _ => {
                return Err(WatchError::invalid_argument(format!(
                    "invalid maxConsecutiveErrors {}: expected an integer from 1 to 1000000",
                    show(&max_errors)
                )))
            }
        };
    }
    let signal = glue::get(options, "signal");
    if !signal.is_undefined() && !signal.is_null() && glue::get(&signal, "aborted").as_bool().is_none() {
        return Err(WatchError::invalid_argument(format!(
            "invalid signal: expected an AbortSignal, got {}",
            type_of(&signal)
        )));
    }
    let logger = glue::get(options, "logger");
    let logger = if logger.is_undefined() || logger.is_null() {
        None
    } else if logger.is_function() {
        Some(logger.unchecked_into())
    } else {
        return Err(WatchError::invalid_argument(format!(
            "invalid logger: expected a function (level, message) => void, got {}",
            type_of(&logger)
        )));
    };

    if let Some(ms) = duration(options, "hiddenIntervalMs", 1)? {
        config.hidden_interval_ms = ms;
    }

    Ok(WatchOptions {
        config,
        client: glue::get(options, "client"),
        signal,
        logger,
        rate_limit: read_rate_limit(&glue::get(options, "rateLimit"))?,
    })
}

/// Reads `rateLimit`: `"standard"` (2 requests/s, 50 queued), `"enterprise"`
/// (5/s, 250), or `{perSecond, burst}`.
fn read_rate_limit(value: &JsValue) -> Result<RateLimit, WatchError> {
    if value.is_undefined() {
        return Ok(RateLimit::STANDARD);
    }
    match value.as_string().as_deref() {
        Some("standard") => return Ok(RateLimit::STANDARD),
        Some("enterprise") => return Ok(RateLimit::ENTERPRISE),
        _ => {}
    }
    let per_second = glue::get(value, "perSecond").as_f64();
    let burst = glue::get(value, "burst").as_f64();
    match (per_second, burst) {
        (Some(per_second), Some(burst))
            if per_second.is_finite() && per_second > 0.0 && burst.fract() == 0.0 && (1.0..=100_000.0).contains(&burst) =>
        {
            Ok(RateLimit {
                per_second,
                burst: burst as u32,
            })
        }
        _ => Err(WatchError::invalid_argument(format!(
            "invalid rateLimit {}: expected \"standard\", \"enterprise\" or {{perSecond: a positive number, burst: a whole number from 1}}",
            show(value)
        ))),
    }
}

/// Reads an optional duration in milliseconds. Durations above 2^31 − 1 ms
/// are rejected, because timers turn them into a 1 ms delay.
fn duration(options: &JsValue, key: &str, min_ms: u64) -> Result<Option<u64>, WatchError> {
    let value = glue::get(options, key);
    if value.is_undefined() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(ms) if ms.is_finite() && ms.fract() == 0.0 && ms >= min_ms as f64 && ms <= MAX_TIMER_MS as f64 => {
            Ok(Some(ms as u64))
        }
        _ => Err(WatchError::invalid_argument(format!(
            "invalid {key} {}: expected a whole number of milliseconds from {min_ms} to {MAX_TIMER_MS}",
            show(&value)
        ))),
    }
}

/// Shows a JS value in a message: numbers, booleans and short strings as
/// they are, other values by type.
pub fn show(value: &JsValue) -> String {
    if let Some(number) = value.as_f64() {
        return js_number_text(number);
    }
    if let Some(flag) = value.as_bool() {
        return flag.to_string();
    }
    if let Some(text) = value.as_string() {
        // A webhook URL or a token in the wrong place must not reach a message.
        if text.contains('/') || text.contains(':') || text.chars().count() > 40 {
            return "a string (not shown because it may hold a secret)".to_owned();
        }
        return format!("\"{text}\"");
    }
    type_of(value)
}

/// Names the type of a JS value: `null`, `undefined`, `an object`, …
pub fn type_of(value: &JsValue) -> String {
    if value.is_null() {
        return "null".to_owned();
    }
    if value.is_undefined() {
        return "undefined".to_owned();
    }
    if js_sys::Array::is_array(value) {
        return "an array".to_owned();
    }
    match value.js_typeof().as_string().as_deref() {
        Some("object") => "an object".to_owned(),
        Some("function") => "a function".to_owned(),
        Some("number") => "a number".to_owned(),
        Some("string") => "a string".to_owned(),
        Some("boolean") => "a boolean".to_owned(),
        Some("bigint") => "a bigint".to_owned(),
        Some("symbol") => "a symbol".to_owned(),
        _ => "a value of unknown type".to_owned(),
    }
}
