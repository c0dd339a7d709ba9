//! Polling many imports in one `batch` request.
//!
//! `batch` takes `{"cmd": {key: "method?query"}, "halt": 0}` with at most 50
//! commands, and returns each command's result under `result.result[key]`
//! and its error under `result.result_error[key]`, with HTTP 200 even when
//! commands fail (Bitrix24 REST docs, `batch`). PHP encodes an empty map as
//! `[]`, so either field may be an empty array.

use crate::envelope::{parse_envelope, GET_METHOD};
use crate::error::WatchError;
use crate::status::ImportStatus;
use crate::value::Value;

/// The method that runs several commands in one request.
pub const BATCH_METHOD: &str = "batch";
/// The most commands one `batch` request may carry.
pub const MAX_BATCH_COMMANDS: usize = 50;

/// Splits process ids into `batch` requests: duplicates removed, order
/// kept, at most [`MAX_BATCH_COMMANDS`] ids per request.
pub fn plan_batches(process_ids: &[u64]) -> Vec<Vec<u64>> {
    let mut unique: Vec<u64> = Vec::with_capacity(process_ids.len());
    for id in process_ids {
        if !unique.contains(id) {
            unique.push(*id);
        }
    }
    unique.chunks(MAX_BATCH_COMMANDS).map(<[u64]>::to_vec).collect()
}

/// The command key of a process id. A letter in front keeps PHP from
/// treating the keys as list indexes, which would turn the maps into arrays.
pub fn command_key(process_id: u64) -> String {
    format!("p{process_id}")
}

/// The `cmd` entries of a batch request, as `(key, "method?query")` pairs.
pub fn commands(process_ids: &[u64]) -> Vec<(String, String)> {
    process_ids
        .iter()
        .map(|id| (command_key(*id), format!("{GET_METHOD}?processId={id}")))
        .collect()
}

/// Splits a `batch` response into one outcome per process id, in the
/// order of `process_ids`.
///
/// # Errors
///
/// The error of the whole request (a REST error of `batch` itself, or a
/// body that is not a batch result). Errors of single commands come back
/// inside the vector.
pub fn split_response(
    http_status: Option<u16>,
    body: &Value,
    process_ids: &[u64],
    now_ms: f64,
) -> Result<Vec<Result<ImportStatus, WatchError>>, WatchError> {
    let envelope = parse_envelope(BATCH_METHOD, http_status, body, now_ms)?;
    let results = envelope.result.get("result");
    if !matches!(results, Some(Value::Object(_)) | Some(Value::Array(_))) {
        return Err(WatchError::invalid_response(
            http_status,
            "batch returned a result without result.result; the request will be retried",
        ));
    }
    let errors = envelope.result.get("result_error");
    let times = envelope.result.get("result_time");

    let outcomes = process_ids
        .iter()
        .map(|id| {
            let key = command_key(*id);
            if let Some(error) = errors.and_then(|errors| errors.get(&key)) {
                return Err(command_error(error));
            }
            match results.and_then(|results| results.get(&key)) {
                Some(result) => ImportStatus::from_result(result, times.and_then(|t| t.get(&key)), Some(*id)),
                None => Err(WatchError::invalid_response(
                    http_status,
                    format!("batch returned neither a result nor an error for {GET_METHOD} of import {id}; the request will be retried"),
                )),
            }
        })
        .collect();
    Ok(outcomes)
}

/// Builds the error of one command from `{error, error_description}`. A
/// command's own HTTP status is not reported, so none is set.
fn command_error(error: &Value) -> WatchError {
    let code = match error.get("error") {
        Some(Value::String(code)) => code.as_str(),
        _ => "",
    };
    let description = error.get("error_description").and_then(Value::as_str).unwrap_or("");
    WatchError::rest(GET_METHOD, None, code, description)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::error::{ErrorKind, Recovery};
    use crate::status::StatusCode;

    fn string(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    fn object(entries: Vec<(&str, Value)>) -> Value {
        Value::Object(entries.into_iter().map(|(key, value)| (key.to_owned(), value)).collect())
    }

    fn status(letter: &str) -> Value {
        object(vec![("status", string(letter))])
    }

    #[test]
    fn plan_splits_at_fifty() {
        let ids: Vec<u64> = (1..=120).collect();
        let batches = plan_batches(&ids);
        assert_eq!(batches.len(), 3);
        assert_eq!(batches[0].len(), 50);
        assert_eq!(batches[1].len(), 50);
        assert_eq!(batches[2].len(), 20);
        assert_eq!(batches[2][19], 120);
    }

    #[test]
    fn plan_removes_duplicates() {
        assert_eq!(plan_batches(&[5, 3, 5, 3, 9]), vec![vec![5, 3, 9]]);
        assert!(plan_batches(&[]).is_empty());
    }

    #[test]
    fn commands_name_method_and_id() {
        assert_eq!(
            commands(&[42, 7]),
            vec![
                ("p42".to_owned(), "configuration.import.get?processId=42".to_owned()),
                ("p7".to_owned(), "configuration.import.get?processId=7".to_owned()),
            ]
        );
    }

    #[test]
    fn split_maps_results_and_errors() {
        let body = object(vec![(
            "result",
            object(vec![
                ("result", object(vec![("p1", status("P")), ("p3", status("F"))])),
                (
                    "result_error",
                    object(vec![(
                        "p2",
                        object(vec![("error", string("ACCESS_DENIED")), ("error_description", string("Access denied"))]),
                    )]),
                ),
                ("result_time", object(vec![("p1", object(vec![("duration", Value::Number(0.5))]))])),
            ]),
        )]);

        let outcomes = split_response(Some(200), &body, &[1, 2, 3], 0.0).unwrap();

        assert_eq!(outcomes.len(), 3);
        let first = outcomes[0].as_ref().unwrap();
        assert_eq!(first.code, StatusCode::P);
        assert_eq!(first.process_id, Some(1));
        assert_eq!(first.time.as_ref().unwrap().duration, Some(0.5));
        let second = outcomes[1].as_ref().unwrap_err();
        assert_eq!(second.kind, ErrorKind::Rest);
        assert_eq!(second.code.as_deref(), Some("ACCESS_DENIED"));
        assert_eq!(second.recovery, Recovery::Fail);
        assert_eq!(outcomes[2].as_ref().unwrap().code, StatusCode::F);
    }

    #[test]
    fn split_accepts_php_empty_arrays() {
        let body = object(vec![(
            "result",
            object(vec![
                ("result", object(vec![("p4", status("S"))])),
                ("result_error", Value::Array(Vec::new())),
                ("result_time", Value::Array(Vec::new())),
            ]),
        )]);

        let outcomes = split_response(Some(200), &body, &[4], 0.0).unwrap();

        assert_eq!(outcomes[0].as_ref().unwrap().code, StatusCode::S);
    }

    #[test]
    fn split_reports_missing_command() {
        let body = object(vec![("result", object(vec![("result", Value::Array(Vec::new()))]))]);

        let outcomes = split_response(Some(200), &body, &[8], 0.0).unwrap();

        let error = outcomes[0].as_ref().unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidResponse);
        assert!(error.retryable());
    }

    #[test]
    fn whole_batch_error_fails_all() {
        let body = object(vec![("error", string("QUERY_LIMIT_EXCEEDED")), ("error_description", string("Too many requests"))]);

        let error = split_response(Some(503), &body, &[1, 2], 0.0).unwrap_err();

        assert_eq!(error.code.as_deref(), Some("QUERY_LIMIT_EXCEEDED"));
        assert!(error.retryable());
        assert!(error.message.starts_with("batch returned 503"));
    }

    #[test]
    fn bad_command_result_is_invalid() {
        let body = object(vec![("result", object(vec![("result", object(vec![("p1", status("X"))]))]))]);

        let outcomes = split_response(Some(200), &body, &[1], 0.0).unwrap();

        assert_eq!(outcomes[0].as_ref().unwrap_err().kind, ErrorKind::InvalidResponse);
    }
}
