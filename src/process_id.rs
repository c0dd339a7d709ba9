//! Validation of the `processId` that `configuration.import.register` returns.

use crate::error::WatchError;

/// The largest integer JavaScript numbers hold exactly (2^53 − 1).
pub const MAX_PROCESS_ID: u64 = 9_007_199_254_740_991;

/// A `processId` as the caller passed it, before validation.
#[derive(Clone, Copy, Debug)]
pub enum ProcessIdInput<'a> {
    /// A JavaScript number.
    Number(f64),
    /// A string, expected to hold decimal digits.
    Text(&'a str),
    /// Anything else, as a message shows it: `true`, `null`, `an object`, …
    Other(&'a str),
}

/// Checks that `input` is a positive integer or a string of decimal digits
/// no larger than [`MAX_PROCESS_ID`], and returns it as a number.
///
/// # Errors
///
/// An [`ErrorKind::InvalidArgument`](crate::error::ErrorKind) error that shows the value.
pub fn parse_process_id(input: ProcessIdInput<'_>) -> Result<u64, WatchError> {
    let parsed = match input {
        ProcessIdInput::Number(number)
            if number.is_finite() && number.fract() == 0.0 && number >= 1.0 && number <= MAX_PROCESS_ID as f64 =>
        {
            Some(number as u64)
        }
        ProcessIdInput::Text(text)
            if !text.is_empty() && text.len() <= 16 && text.bytes().all(|byte| byte.is_ascii_digit()) =>
        {
            text.parse::<u64>().ok().filter(|id| (1..=MAX_PROCESS_ID).contains(id))
        }
        _ => None,
    };
    parsed.ok_or_else(|| WatchError::invalid_argument(format!("invalid processId {}: {}", describe(input), EXPECTED)))
}

const EXPECTED: &str = "expected a positive integer or a string of digits, \
                        the processId that configuration.import.register returned";

fn describe(input: ProcessIdInput<'_>) -> String {
    match input {
        ProcessIdInput::Number(number) => crate::value::js_number_text(number),
        // A webhook URL passed here by mistake holds its secret, so text that
        // could be a URL or a token is not quoted.
        ProcessIdInput::Text(text) if text.contains('/') || text.contains(':') || text.chars().count() > 40 => {
            "(a string that looks like a URL or a token, not shown because it may hold a secret)".to_owned()
        }
        ProcessIdInput::Text(text) => format!("\"{text}\""),
        ProcessIdInput::Other(type_name) => type_name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProcessIdInput::{Number, Other, Text};

    #[test]
    fn accepts_integers_and_digits() {
        assert_eq!(parse_process_id(Number(42.0)).ok(), Some(42));
        assert_eq!(parse_process_id(Text("42")).ok(), Some(42));
        assert_eq!(parse_process_id(Number(MAX_PROCESS_ID as f64)).ok(), Some(MAX_PROCESS_ID));
    }

    #[test]
    fn rejects_bad_values() {
        let bad = [
            Number(0.0),
            Number(-1.0),
            Number(1.5),
            Number(f64::NAN),
            Number(f64::INFINITY),
            Number(1e16),
            Text(""),
            Text("abc"),
            Text("-5"),
            Text("4.0"),
            Text(" 4"),
            Text("0"),
            Text("123456789012345678901234567890"),
            Other("null"),
            Other("an object"),
        ];
        for input in bad {
            assert!(parse_process_id(input).is_err(), "{input:?}");
        }
    }

    #[test]
    fn error_hides_url_like_text() {
        let url = "https://portal.example/rest/1/s3cr3tMARKER/";
        let error = parse_process_id(Text(url)).unwrap_err();
        assert!(!error.message.contains("s3cr3t"), "{}", error.message);
        assert!(error.message.contains("not shown"), "{}", error.message);

        let long = "a".repeat(41);
        assert!(!parse_process_id(Text(&long)).unwrap_err().message.contains(&long));
    }

    #[test]
    fn error_shows_value() {
        let error = parse_process_id(Text("abc")).unwrap_err();
        assert_eq!(
            error.message,
            "invalid processId \"abc\": expected a positive integer or a string of digits, \
             the processId that configuration.import.register returned"
        );
        assert!(parse_process_id(Other("null")).unwrap_err().message.starts_with("invalid processId null:"));
    }

    #[test]
    fn error_shows_infinity_as_javascript_does() {
        let error = parse_process_id(Number(f64::INFINITY)).unwrap_err();
        assert!(error.message.starts_with("invalid processId Infinity:"), "{}", error.message);
    }
}
