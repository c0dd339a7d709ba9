//! Numbers, plural categories and durations in the widget's locale, through
//! the platform's `Intl`, so the wasm carries no locale data.

use js_sys::{Array, Function, Intl, Object};
use wasm_bindgen::JsValue;

use crate::value::number_text;

/// The formatters of one locale.
pub(crate) struct Formatter {
    plural_rules: Intl::PluralRules,
    number: Intl::NumberFormat,
    hours: Intl::NumberFormat,
    minutes: Intl::NumberFormat,
    seconds: Intl::NumberFormat,
}

impl Formatter {
    /// Creates the formatters for `locale`, a BCP 47 tag from the language
    /// table, so the `Intl` constructors cannot reject it.
    pub(crate) fn new(locale: &str) -> Formatter {
        let locales = Array::of1(&JsValue::from_str(locale));
        Formatter {
            plural_rules: Intl::PluralRules::new(&locales, &Object::new()),
            number: Intl::NumberFormat::new(&locales, &Object::new()),
            hours: unit_format(&locales, "hour"),
            minutes: unit_format(&locales, "minute"),
            seconds: unit_format(&locales, "second"),
        }
    }

    /// Formats a count or a step number with the locale's digits and grouping.
    pub(crate) fn number(&self, value: f64) -> String {
        call_format(&self.number, value)
    }

    /// Returns the `Intl.PluralRules` category of `count`: `one`, `few`,
    /// `many`, `other`, …
    pub(crate) fn plural_category(&self, count: f64) -> String {
        self.plural_rules.select(count).into()
    }

    /// Formats a duration as its two largest units, such as "1 hr 5 min" or
    /// "42 sec", in the locale's short unit names. Seconds are whole.
    pub(crate) fn duration(&self, total_seconds: u64) -> String {
        let hours = total_seconds / 3_600;
        let minutes = total_seconds % 3_600 / 60;
        let seconds = total_seconds % 60;

        let mut parts = Vec::with_capacity(2);
        if hours > 0 {
            parts.push(call_format(&self.hours, hours as f64));
            if minutes > 0 {
                parts.push(call_format(&self.minutes, minutes as f64));
            }
        } else if minutes > 0 {
            parts.push(call_format(&self.minutes, minutes as f64));
            if seconds > 0 {
                parts.push(call_format(&self.seconds, seconds as f64));
            }
        } else {
            parts.push(call_format(&self.seconds, seconds as f64));
        }
        parts.join(" ")
    }
}

fn unit_format(locales: &Array, unit: &str) -> Intl::NumberFormat {
    let options = Object::new();
    set(&options, "style", "unit");
    set(&options, "unit", unit);
    set(&options, "unitDisplay", "short");
    Intl::NumberFormat::new(locales, &options)
}

fn set(object: &Object, key: &str, value: &str) {
    // OK to ignore: setting a data property on a new plain object cannot fail.
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), &JsValue::from_str(value));
}

/// Calls the bound `format` function of a `NumberFormat`. Falls back to
/// plain digits if the platform returns something unexpected.
fn call_format(format: &Intl::NumberFormat, value: f64) -> String {
    let function: Function = format.format();
    function
        .call1(&JsValue::UNDEFINED, &JsValue::from_f64(value))
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_else(|| number_text(value))
}
