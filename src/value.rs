//! A JSON value that keeps object keys in the order they arrive.
//!
//! The core parses REST bodies from this type rather than from a JSON parser's
//! own, for two reasons. In the browser the body is already a parsed JS value,
//! and the wasm boundary (`js::convert`) walks it into a `Value`, so the wasm
//! carries no JSON parser. And order matters: lists that the server sends as
//! objects keyed by numeric strings must come out in key order. Natively,
//! `Value` deserializes with serde, which the tests use with serde_json.
//!
//! The number helpers below format and parse numbers as Rust's standard
//! library does. In the wasm build they leave the float algorithms to
//! JavaScript, so the module carries none of `core`'s float formatting and
//! parsing code (`flt2dec`, `dec2flt` and their tables).

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::fmt;

/// A parsed JSON value. Objects keep their keys in arrival order.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, or `undefined` from JavaScript.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// Every JSON number, as JavaScript holds it.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object as `(key, value)` pairs in arrival order.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// Looks up `key` in an object; `None` for a missing key or a non-object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Returns the string content, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// Returns the number, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(number) => Some(*number),
            _ => None,
        }
    }

    /// Names the JSON type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

/// Formats a number for a message as JavaScript writes it where Rust does
/// not: `Infinity` and `-Infinity` (Rust writes `inf` and `-inf`). Other
/// numbers read as [`number_text`] writes them, which matches JavaScript
/// for integers up to 10^21 and for plain decimals such as `1.5`.
pub fn js_number_text(number: f64) -> String {
    if number == f64::INFINITY {
        "Infinity".to_owned()
    } else if number == f64::NEG_INFINITY {
        "-Infinity".to_owned()
    } else {
        number_text(number)
    }
}

/// Formats a number as Rust's `Display` for `f64` does: the shortest digits
/// that read back as the same number, never in exponent form, with `NaN`,
/// `inf`, `-inf` and `-0`.
///
/// The wasm build takes the digits from JavaScript's `Number.prototype.toString`,
/// which picks the same shortest digits, and writes out its exponent form,
/// so that the module carries no float formatting code of its own.
pub fn number_text(number: f64) -> String {
    if number.is_nan() {
        return "NaN".to_owned();
    }
    let sign = if number.is_sign_negative() { "-" } else { "" };
    if number.is_infinite() {
        return format!("{sign}inf");
    }
    format!("{sign}{}", shortest_digits(number.abs()))
}

/// Writes the shortest digits of a finite, non-negative number.
#[cfg(not(target_arch = "wasm32"))]
fn shortest_digits(number: f64) -> String {
    number.to_string()
}

/// Writes the shortest digits of a finite, non-negative number.
#[cfg(target_arch = "wasm32")]
fn shortest_digits(number: f64) -> String {
    // OK to fall back: `toString(10)` throws only for a radix outside 2..=36.
    let text: String = js_sys::Number::from(number).to_string_with_radix(10).map(String::from).unwrap_or_default();
    without_exponent(&text)
}

/// Rewrites a non-negative number in JavaScript's exponent form (`1e+21`,
/// `1.5e-7`) as plain digits (`1000000000000000000000`, `0.00000015`).
/// Text without an exponent comes back unchanged.
#[cfg(any(test, target_arch = "wasm32"))]
fn without_exponent(text: &str) -> String {
    let Some((mantissa, exponent)) = text.split_once('e') else {
        return text.to_owned();
    };
    let Ok(exponent) = exponent.trim_start_matches('+').parse::<i32>() else {
        return text.to_owned();
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    // Where the decimal point goes, counted in digits from the left.
    let point = i32::try_from(whole.len()).unwrap_or(i32::MAX).saturating_add(exponent);
    let digit_count = i32::try_from(digits.len()).unwrap_or(i32::MAX);

    let mut plain = String::new();
    if point <= 0 {
        plain.push_str("0.");
        plain.extend(std::iter::repeat('0').take(usize::try_from(-point).unwrap_or(0)));
    }
    // The digits are ASCII, so characters and bytes count alike.
    for (index, digit) in (0..).zip(digits.chars()) {
        if index == point && point > 0 {
            plain.push('.');
        }
        plain.push(digit);
    }
    plain.extend(std::iter::repeat('0').take(usize::try_from(point - digit_count).unwrap_or(0)));
    plain
}

/// Formats a finite number with no fractional part exactly, digit for digit,
/// as `format!("{number:.0}")` does (`1e300` becomes 301 digits). Callers
/// pass only such numbers, and a fraction would be dropped.
pub fn integer_text(number: f64) -> String {
    const LIMB: u64 = 1_000_000_000;
    let bits = number.to_bits();
    let biased_exponent = (bits >> 52) & 0x7ff;
    let fraction = bits & ((1 << 52) - 1);
    // The number is `mantissa * 2^shift`.
    let (mantissa, shift) = if biased_exponent == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased_exponent as i32 - 1075)
    };

    // Base-10^9 limbs, least significant first.
    let mut limbs: Vec<u64> = Vec::new();
    let mut whole = if shift < 0 { mantissa.checked_shr(shift.unsigned_abs()).unwrap_or(0) } else { mantissa };
    while whole > 0 {
        limbs.push(whole % LIMB);
        whole /= LIMB;
    }
    for _ in 0..shift.max(0) {
        let mut carry = 0;
        for limb in limbs.iter_mut() {
            let doubled = *limb * 2 + carry;
            *limb = doubled % LIMB;
            carry = doubled / LIMB;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }

    let mut text = String::new();
    if number.is_sign_negative() {
        text.push('-');
    }
    let mut from_top = limbs.iter().rev();
    match from_top.next() {
        Some(top) => text.push_str(&top.to_string()),
        None => text.push('0'),
    }
    for limb in from_top {
        text.push_str(&format!("{limb:09}"));
    }
    text
}

/// Parses a decimal number as `str::parse::<f64>` does, except that `inf`,
/// `infinity` and `nan` are rejected: an optional sign, digits with an
/// optional decimal point (`5.` and `.5` included), and an optional exponent.
/// No whitespace is allowed.
///
/// The wasm build converts the checked text with JavaScript's `parseFloat`,
/// which rounds to the nearest number as Rust does, so that the module
/// carries no float parsing code of its own.
pub fn parse_decimal(text: &str) -> Option<f64> {
    if !is_decimal(text) {
        return None;
    }
    #[cfg(target_arch = "wasm32")]
    {
        Some(js_sys::parse_float(text))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        text.parse::<f64>().ok()
    }
}

/// Checks the syntax that [`parse_decimal`] accepts.
fn is_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (significand, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((significand, exponent)) => (significand, Some(exponent)),
        None => (unsigned, None),
    };
    let (whole, fraction) = significand.split_once('.').unwrap_or((significand, ""));
    let all_digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    let significand_ok = all_digits(whole) && all_digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.map_or(true, |exponent| {
        let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        !digits.is_empty() && all_digits(digits)
    });
    significand_ok && exponent_ok
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Value::deserialize(deserializer)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value as f64))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value as f64))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::Number(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            entries.push((key, value));
        }
        Ok(Value::Object(entries))
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(value) => serializer.serialize_bool(*value),
            Value::Number(value) => serializer.serialize_f64(*value),
            Value::String(value) => serializer.serialize_str(value),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{integer_text, js_number_text, number_text, parse_decimal, without_exponent};

    #[test]
    fn numbers_read_as_in_javascript() {
        assert_eq!(js_number_text(f64::INFINITY), "Infinity");
        assert_eq!(js_number_text(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(js_number_text(f64::NAN), "NaN");
        assert_eq!(js_number_text(1.5), "1.5");
        assert_eq!(js_number_text(-1.0), "-1");
        assert_eq!(js_number_text(2_147_483_648.0), "2147483648");
    }

    /// Numbers whose text differs between the forms: exponents, negative
    /// zero, integers beyond 2^53, subnormals.
    const AWKWARD: [f64; 18] = [
        0.0,
        -0.0,
        1.0,
        -2.5,
        0.1,
        1733318190.1021,
        9_007_199_254_740_993.0,
        1.152_921_504_606_847e18,
        1e21,
        1.5e25,
        1e300,
        f64::MAX,
        1e-6,
        1.5e-7,
        -4.2e-100,
        f64::MIN_POSITIVE,
        5e-324,
        123_456.789,
    ];

    #[test]
    fn number_text_matches_display() {
        for number in AWKWARD.into_iter().chain([f64::NAN, f64::INFINITY, f64::NEG_INFINITY]) {
            assert_eq!(number_text(number), number.to_string(), "{number:e}");
        }
    }

    #[test]
    fn exponent_form_written_out() {
        assert_eq!(without_exponent("1e+21"), 1e21.to_string());
        assert_eq!(without_exponent("1.5e+25"), 1.5e25.to_string());
        assert_eq!(without_exponent("1.5e-7"), 1.5e-7.to_string());
        assert_eq!(without_exponent("4.2e-100"), 4.2e-100.to_string());
        assert_eq!(without_exponent("5e-324"), 5e-324.to_string());
        assert_eq!(without_exponent("1.7976931348623157e+308"), f64::MAX.to_string());
        assert_eq!(without_exponent("123.5"), "123.5");
    }

    #[test]
    fn integer_text_matches_fixed_format() {
        let integers = AWKWARD.into_iter().filter(|number| number.fract() == 0.0);
        for number in integers.chain([-1e300, 4_503_599_627_370_497.0, 18_446_744_073_709_551_616.0]) {
            assert_eq!(integer_text(number), format!("{number:.0}"), "{number:e}");
        }
    }

    #[test]
    fn parse_decimal_matches_str_parse() {
        let accepted = [
            "0", "-0", "+7", "12", "1.5", "5.", ".5", "-.5", "1e3", "1E+3", "2.5e-3", "1733318190.1021",
            "1733318190.102134", "9007199254740993", "123456789012345678901234567890", "1e400", "1e-400",
            "0.30000000000000004", "00012",
        ];
        for text in accepted {
            assert_eq!(parse_decimal(text), text.parse::<f64>().ok(), "{text}");
            assert!(parse_decimal(text).is_some(), "{text}");
        }
        let rejected = ["", "-", "+", ".", "e3", "1e", "1e+", "1.2.3", " 1", "1 ", "0x10", "1_000", "inf", "NaN", "--1", "1e3.5"];
        for text in rejected {
            assert_eq!(parse_decimal(text), None, "{text}");
        }
    }
}
