#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The REST envelope and the parsing of a `configuration.import.get` result:
//! errors in every form the portal sends them, bodies that are not envelopes,
//! and status fields of unexpected shapes.

use b24_import_watch::envelope::{self, GET_METHOD, UNREGISTER_METHOD};
use b24_import_watch::{ErrorKind, ImportStatus, Notification, Recovery, StatusCode, Value, WatchError};

const PROCESS_ID: u64 = 42;
/// 2024-12-04T13:16:30Z.
const NOW_MS: f64 = 1_733_318_190_000.0;

/// Parses JSON text into the crate's `Value`, keeping object keys in text order.
fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("invalid JSON in test: {error}\n{text}"))
}

fn get(http_status: u16, body: &str) -> Result<ImportStatus, WatchError> {
    envelope::parse_get_response(Some(http_status), &json(body), Some(PROCESS_ID), NOW_MS)
}

fn get_ok(body: &str) -> ImportStatus {
    get(200, body).unwrap_or_else(|error| panic!("unexpected error: {error}\nbody: {body}"))
}

fn get_err(http_status: u16, body: &str) -> WatchError {
    match get(http_status, body) {
        Ok(status) => panic!("expected an error, got {status:?}\nbody: {body}"),
        Err(error) => error,
    }
}

/// Wraps `fields` (JSON object members) into `{"result": {fields}}`.
fn result_with(fields: &str) -> String {
    format!(r#"{{"result": {{{fields}}}}}"#)
}

/// Parses a result with `fields` and expects an invalid-response error.
fn status_err(fields: &str) -> WatchError {
    let error = get_err(200, &result_with(fields));
    assert_eq!(error.kind, ErrorKind::InvalidResponse, "body fields: {fields}");
    error
}

fn assert_invalid_response(error: &WatchError, http_status: Option<u16>) {
    assert_eq!(error.kind, ErrorKind::InvalidResponse, "message: {}", error.message);
    assert_eq!(error.code, None);
    assert_eq!(error.http_status, http_status);
    assert_eq!(error.recovery, Recovery::Retry);
    assert!(error.retryable());
}

fn assert_notification(notification: &Notification, code: &str, message: &str, kind: &str) {
    assert_eq!(notification.code, code);
    assert_eq!(notification.message, message);
    assert_eq!(notification.kind, kind);
}

// Success or error.

#[test]
fn error_key_marks_error() {
    let error = get_err(400, r#"{"error": "", "error_description": "Not found"}"#);

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some(""));
    assert_eq!(error.http_status, Some(400));
    assert_eq!(error.recovery, Recovery::Fail);
    assert!(
        error.message.contains("an error with an empty code (Not found)"),
        "message: {}",
        error.message
    );
}

#[test]
fn error_wins_over_result() {
    let error = get_err(200, r#"{"result": {"status": "P"}, "error": "INTERNAL_SERVER_ERROR"}"#);

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some("INTERNAL_SERVER_ERROR"));
    assert_eq!(error.recovery, Recovery::Retry);
}

#[test]
fn null_error_is_still_error() {
    let error = get_err(400, r#"{"error": null, "error_description": "Bad"}"#);

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some(""));
    assert!(error.message.contains("(Bad)"), "message: {}", error.message);
}

#[test]
fn rest_v3_error_object() {
    let error = get_err(
        503,
        r#"{"error": {"code": "QUERY_LIMIT_EXCEEDED", "message": "Too many requests"}}"#,
    );

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some("QUERY_LIMIT_EXCEEDED"));
    assert_eq!(error.http_status, Some(503));
    assert_eq!(error.recovery, Recovery::Retry);
    assert!(
        error
            .message
            .starts_with("configuration.import.get returned 503 QUERY_LIMIT_EXCEEDED"),
        "message: {}",
        error.message
    );
    assert!(
        error.message.contains("(Too many requests)"),
        "message: {}",
        error.message
    );
}

#[test]
fn rest_v3_error_without_code() {
    let error = get_err(400, r#"{"error": {"message": "Bad request"}}"#);

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some(""));
    assert_eq!(error.recovery, Recovery::Fail);
    assert!(
        error.message.contains("an error with an empty code (Bad request)"),
        "message: {}",
        error.message
    );
}

#[test]
fn error_inside_http_200() {
    let error = get_err(200, r#"{"error": "insufficient_scope", "error_description": "Scope"}"#);

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some("insufficient_scope"));
    assert_eq!(error.http_status, Some(200));
    assert_eq!(error.recovery, Recovery::Fail);
}

#[test]
fn retryable_code_inside_http_200() {
    let error = get_err(
        200,
        r#"{"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}"#,
    );

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.http_status, Some(200));
    assert_eq!(error.recovery, Recovery::Retry);
    assert!(error.retryable());
}

// Bodies that are not REST envelopes.

#[test]
fn result_missing_is_invalid() {
    let error = get_err(200, r#"{"time": {"start": 1.0}}"#);

    assert_invalid_response(&error, Some(200));
    assert!(
        error.message.contains("neither result nor error"),
        "message: {}",
        error.message
    );
    assert!(error.message.starts_with(GET_METHOD), "message: {}", error.message);
}

#[test]
fn empty_object_is_invalid() {
    let error = get_err(200, "{}");

    assert_invalid_response(&error, Some(200));
}

#[test]
fn non_object_body_is_invalid() {
    let bodies = [
        ("[]", "an array"),
        (r#"[{"result": {"status": "F"}}]"#, "an array"),
        (r#""OK""#, "a string"),
        ("42", "a number"),
        ("null", "null"),
        ("true", "a boolean"),
    ];
    for (body, type_name) in bodies {
        let error = get_err(200, body);

        assert_invalid_response(&error, Some(200));
        assert!(error.message.starts_with(GET_METHOD), "body {body}: {}", error.message);
        assert!(error.message.contains(type_name), "body {body}: {}", error.message);
    }
}

#[test]
fn null_result_is_invalid() {
    let error = get_err(200, r#"{"result": null, "time": {}}"#);

    assert_invalid_response(&error, Some(200));
    assert!(error.message.contains("null result"), "message: {}", error.message);
}

#[test]
fn result_not_object_is_invalid() {
    for result in ["[]", r#""S""#, "7", "true"] {
        let error = get_err(200, &format!(r#"{{"result": {result}}}"#));

        assert_invalid_response(&error, Some(200));
        assert!(
            error.message.contains("expected an object"),
            "result {result}: {}",
            error.message
        );
    }
}

#[test]
fn http_500_result_is_invalid() {
    let error = get_err(500, r#"{"result": {"status": "P"}}"#);

    assert_invalid_response(&error, Some(500));
    assert!(error.message.contains("HTTP 500"), "message: {}", error.message);
    assert!(error.message.contains("no error code"), "message: {}", error.message);
}

#[test]
fn missing_http_status_accepts_result() {
    let body = json(r#"{"result": {"status": "S"}}"#);
    let status = envelope::parse_get_response(None, &body, Some(PROCESS_ID), NOW_MS).expect("status is parsed");

    assert_eq!(status.code, StatusCode::S);
}

#[test]
fn empty_body_is_unparsable() {
    for text in ["", "  \r\n\t"] {
        let error = envelope::unparsable_body(GET_METHOD, Some(200), text);

        assert_invalid_response(&error, Some(200));
        assert!(
            error.message.contains("an empty body"),
            "text {text:?}: {}",
            error.message
        );
        assert!(
            error.message.contains("will be retried"),
            "text {text:?}: {}",
            error.message
        );
    }
}

#[test]
fn html_body_is_unparsable() {
    let text = "\n<!DOCTYPE html><html><body>504 Gateway Time-out</body></html>";
    assert!(serde_json::from_str::<serde_json::Value>(text).is_err());

    let error = envelope::unparsable_body(GET_METHOD, Some(504), text);

    assert_invalid_response(&error, Some(504));
    assert!(error.message.contains("HTML page"), "message: {}", error.message);
    assert!(error.message.contains("(HTTP 504)"), "message: {}", error.message);
    assert!(
        !error.message.contains("Gateway Time-out"),
        "message: {}",
        error.message
    );
}

#[test]
fn truncated_json_is_unparsable() {
    let text = r#"{"result": {"status": "P", "progress": {"act"#;
    assert!(serde_json::from_str::<serde_json::Value>(text).is_err());

    let error = envelope::unparsable_body(GET_METHOD, None, text);

    assert_invalid_response(&error, None);
    assert!(error.message.contains("not valid JSON"), "message: {}", error.message);
    assert!(!error.message.contains("HTTP"), "message: {}", error.message);
}

// Delay hints from the `time` block.

fn time_limit_body(reset_at: &str) -> String {
    format!(
        r#"{{"error": "OPERATION_TIME_LIMIT", "error_description": "Method is blocked due to operation time limit.",
            "time": {{"start": 1733318190.0, "operating": 480.2, "operating_reset_at": {reset_at}}}}}"#
    )
}

#[test]
fn reset_time_gives_retry_after() {
    // NOW_MS is 1733318190 s, so the reset is 30 s away.
    let error = get_err(429, &time_limit_body("1733318220"));

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some("OPERATION_TIME_LIMIT"));
    assert_eq!(error.recovery, Recovery::WaitForReset);
    assert!(error.retryable());
    assert_eq!(error.retry_after_ms, Some(30_000));
}

#[test]
fn past_reset_means_no_wait() {
    let error = get_err(429, &time_limit_body("1733318000"));

    assert_eq!(error.retry_after_ms, Some(0));
}

#[test]
fn far_reset_is_capped() {
    // The budget window is ten minutes, so a reset a day away is capped.
    let error = get_err(429, &time_limit_body("1733404590"));

    assert_eq!(error.retry_after_ms, Some(600_000));
}

#[test]
fn no_reset_time_no_hint() {
    let without_field = get_err(
        503,
        r#"{"error": "QUERY_LIMIT_EXCEEDED", "time": {"start": 1733318190.0}}"#,
    );
    let without_time = get_err(503, r#"{"error": "QUERY_LIMIT_EXCEEDED"}"#);

    assert_eq!(without_field.retry_after_ms, None);
    assert_eq!(without_time.retry_after_ms, None);
}

#[test]
fn reset_time_ignored_on_success() {
    let status = get_ok(r#"{"result": {"status": "S"}, "time": {"operating": 1.5, "operating_reset_at": 1733318220}}"#);

    let time = status.time.expect("time block is parsed");
    assert_eq!(time.operating, Some(1.5));
    assert_eq!(time.operating_reset_at, Some(1733318220.0));
}

// `configuration.import.unregister`.

fn unregister(http_status: u16, body: &str) -> Result<(), WatchError> {
    envelope::parse_unregister_response(Some(http_status), &json(body), NOW_MS)
}

#[test]
fn unregister_success_y() {
    let outcome = unregister(200, r#"{"result": {"success": "Y"}, "time": {"start": 1.0}}"#);

    assert_eq!(outcome, Ok(()));
}

#[test]
fn unregister_success_true() {
    let outcome = unregister(200, r#"{"result": {"success": true}}"#);

    assert_eq!(outcome, Ok(()));
}

#[test]
fn unregister_error_in_result() {
    let body = r#"{"result": {"error": "PROCESS_NOT_FOUND", "error_description": "Process doesn't found."}}"#;
    let error = unregister(200, body).expect_err("error inside result");

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some("PROCESS_NOT_FOUND"));
    assert_eq!(error.http_status, Some(200));
    assert_eq!(error.recovery, Recovery::Fail);
    assert!(
        error.message.starts_with(UNREGISTER_METHOD),
        "message: {}",
        error.message
    );
    assert!(
        error.message.contains("(Process doesn't found.)"),
        "message: {}",
        error.message
    );
}

#[test]
fn unregister_top_level_error() {
    let error = unregister(403, r#"{"error": "insufficient_scope", "error_description": "Scope"}"#)
        .expect_err("top-level error");

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some("insufficient_scope"));
    assert!(
        error.message.starts_with(UNREGISTER_METHOD),
        "message: {}",
        error.message
    );
}

#[test]
fn unregister_without_success() {
    let bodies = [
        r#"{"result": {}}"#,
        r#"{"result": {"success": "N"}}"#,
        r#"{"result": {"success": false}}"#,
        r#"{"result": []}"#,
        r#"{"result": null}"#,
        r#"{"result": true}"#,
    ];
    for body in bodies {
        let error = unregister(200, body).expect_err(body);

        assert_invalid_response(&error, Some(200));
        assert!(
            error.message.starts_with(UNREGISTER_METHOD),
            "body {body}: {}",
            error.message
        );
    }
}

// The `status` field.

#[test]
fn every_status_letter_parses() {
    let cases = [
        ("S", StatusCode::S, false),
        ("P", StatusCode::P, false),
        ("F", StatusCode::F, true),
        ("E", StatusCode::E, true),
        ("U", StatusCode::U, true),
    ];
    for (letter, code, terminal) in cases {
        let status = get_ok(&result_with(&format!(r#""status": "{letter}""#)));

        assert_eq!(status.code, code, "letter {letter}");
        assert_eq!(status.state, code.state(), "letter {letter}");
        assert_eq!(status.terminal, terminal, "letter {letter}");
        assert_eq!(status.process_id, Some(PROCESS_ID));
    }
}

#[test]
fn unknown_status_letter() {
    for letter in ["X", "p", "", "PP", " P"] {
        let error = status_err(&format!(r#""status": "{letter}""#));

        assert!(
            error.message.contains(&format!("\"{letter}\"")),
            "letter {letter:?}: {}",
            error.message
        );
        assert!(
            error.message.contains("expected one of S, P, F, E, U"),
            "letter {letter:?}: {}",
            error.message
        );
    }
}

#[test]
fn long_status_is_clipped() {
    let letter = "Ж".repeat(500);
    let error = status_err(&format!(r#""status": "{letter}""#));

    assert!(error.message.chars().count() < 300, "message: {}", error.message);
    assert!(error.message.contains('…'), "message: {}", error.message);
}

#[test]
fn status_of_wrong_type() {
    let cases = [
        ("1", "a number"),
        ("null", "null"),
        ("true", "a boolean"),
        (r#"["P"]"#, "an array"),
        (r#"{"code": "P"}"#, "an object"),
    ];
    for (value, type_name) in cases {
        let error = status_err(&format!(r#""status": {value}"#));

        assert!(
            error.message.contains(&format!("result.status is {type_name}")),
            "status {value}: {}",
            error.message
        );
    }
}

#[test]
fn missing_status_is_invalid() {
    let error = status_err(r#""progress": {"action": "load", "step": 1}"#);

    assert!(
        error.message.contains("result.status is missing"),
        "message: {}",
        error.message
    );
}

#[test]
fn status_error_keeps_http_status() {
    let body = json(r#"{"result": {"status": "X"}}"#);

    let unknown = envelope::parse_get_response(None, &body, Some(PROCESS_ID), NOW_MS).expect_err("unknown letter");
    let created = envelope::parse_get_response(Some(201), &body, Some(PROCESS_ID), NOW_MS).expect_err("unknown letter");

    assert_eq!(unknown.http_status, None);
    assert_eq!(created.http_status, Some(201));
}

// The `progress` field.

#[test]
fn progress_not_object() {
    for value in [r#""load""#, "[]", "3", "true", "false"] {
        let error = status_err(&format!(r#""status": "P", "progress": {value}"#));

        assert!(
            error.message.contains("result.progress is"),
            "progress {value}: {}",
            error.message
        );
    }
}

#[test]
fn progress_null_means_none() {
    let status = get_ok(&result_with(r#""status": "P", "progress": null"#));

    assert_eq!(status.progress, None);
    assert_eq!(status.phase, None);
}

#[test]
fn step_numeric_string_accepted() {
    let status = get_ok(&result_with(
        r#""status": "P", "progress": {"action": "load", "step": "12"}"#,
    ));

    let progress = status.progress.expect("progress is parsed");
    assert_eq!(progress.step, 12);
}

#[test]
fn step_missing_means_zero() {
    let status = get_ok(&result_with(r#""status": "P", "progress": {"action": "start"}"#));

    let progress = status.progress.expect("progress is parsed");
    assert_eq!(progress.step, 0);
}

#[test]
fn step_not_whole_rejected() {
    for step in [
        "-1",
        "1.5",
        r#""-3""#,
        r#""2.5""#,
        r#""three""#,
        r#""""#,
        "1e300",
        "true",
        "[]",
    ] {
        let error = status_err(&format!(
            r#""status": "P", "progress": {{"action": "load", "step": {step}}}"#
        ));

        assert!(
            error.message.contains("result.progress.step"),
            "step {step}: {}",
            error.message
        );
        assert!(
            error.message.contains("non-negative integer"),
            "step {step}: {}",
            error.message
        );
    }
}

#[test]
fn action_of_wrong_type() {
    for action in ["1", "true", "[]", "{}"] {
        let error = status_err(&format!(
            r#""status": "P", "progress": {{"action": {action}, "step": 0}}"#
        ));

        assert!(
            error.message.contains("result.progress.action"),
            "action {action}: {}",
            error.message
        );
    }
}

#[test]
fn unknown_action_has_no_phase() {
    let status = get_ok(&result_with(
        r#""status": "P", "progress": {"action": "verify", "step": 2}"#,
    ));

    let progress = status.progress.as_ref().expect("progress is parsed");
    assert_eq!(progress.action.as_deref(), Some("verify"));
    assert_eq!(status.phase, None);
}

#[test]
fn section_of_wrong_type() {
    let error = status_err(r#""status": "P", "progress": {"action": "load", "step": 0, "section": 5}"#);

    assert!(
        error.message.contains("result.progress.section"),
        "message: {}",
        error.message
    );
}

// `notice`, `errors`, `exception` and `createItemList`.

#[test]
fn keyed_list_orders_numerically() {
    let status = get_ok(&result_with(
        r#""status": "P",
           "errors": {
             "10": {"code": "C10", "message": "ten", "type": "error"},
             "1": {"code": "C1", "message": "one", "type": "error"},
             "4": {"code": "C4", "message": "four", "type": "error"}
           }"#,
    ));

    assert_eq!(status.errors.len(), 3);
    assert_notification(&status.errors[0], "C1", "one", "error");
    assert_notification(&status.errors[1], "C4", "four", "error");
    assert_notification(&status.errors[2], "C10", "ten", "error");
}

#[test]
fn keyed_list_other_keys_last() {
    let status = get_ok(&result_with(
        r#""status": "P",
           "notice": {"b": "second text key", "2": "two", "a": "first text key", "0": "zero"}"#,
    ));

    let messages: Vec<&str> = status.notices.iter().map(|notice| notice.message.as_str()).collect();
    assert_eq!(messages, ["zero", "two", "second text key", "first text key"]);
}

#[test]
fn bare_string_item_is_message() {
    let status = get_ok(&result_with(
        r#""status": "E",
           "notice": ["just a notice"],
           "errors": {"3": "just an error"},
           "exception": ["just an exception"]"#,
    ));

    assert_eq!(status.notices.len(), 1);
    assert_notification(&status.notices[0], "", "just a notice", "notice");
    assert_eq!(status.errors.len(), 1);
    assert_notification(&status.errors[0], "", "just an error", "error");
    assert_eq!(status.exceptions.len(), 1);
    assert_notification(&status.exceptions[0], "", "just an exception", "exception");
}

#[test]
fn item_fields_read_leniently() {
    let status = get_ok(&result_with(
        r#""status": "P",
           "errors": [{"code": 17, "message": "numeric code"}, {"type": "", "message": "empty type"}, {}]"#,
    ));

    assert_eq!(status.errors.len(), 3);
    assert_notification(&status.errors[0], "17", "numeric code", "error");
    assert_notification(&status.errors[1], "", "empty type", "error");
    assert_notification(&status.errors[2], "", "", "error");
}

#[test]
fn item_of_wrong_type() {
    for (field, item) in [
        ("notice", "1"),
        ("errors", "null"),
        ("exception", "true"),
        ("notice", "[]"),
    ] {
        let error = status_err(&format!(r#""status": "P", "{field}": [{item}]"#));

        assert!(
            error.message.contains(&format!("an item of result.{field}")),
            "{field} item {item}: {}",
            error.message
        );
    }
}

#[test]
fn item_of_wrong_type_in_object() {
    let error = status_err(r#""status": "P", "errors": {"0": "fine", "1": 5}"#);

    assert!(
        error.message.contains("an item of result.errors is a number"),
        "message: {}",
        error.message
    );
}

#[test]
fn list_of_wrong_type() {
    for (field, value) in [
        ("notice", r#""text""#),
        ("errors", "3"),
        ("exception", "true"),
        ("createItemList", r#""x""#),
    ] {
        let error = status_err(&format!(r#""status": "F", "{field}": {value}"#));

        assert!(
            error.message.contains(&format!("result.{field} is")),
            "{field} {value}: {}",
            error.message
        );
    }
}

#[test]
fn false_or_null_list_is_empty() {
    let status = get_ok(&result_with(
        r#""status": "F", "notice": false, "errors": null, "exception": false, "createItemList": false"#,
    ));

    assert!(status.notices.is_empty());
    assert!(status.errors.is_empty());
    assert!(status.exceptions.is_empty());
    assert!(status.created_items.is_empty());
}

#[test]
fn created_items_as_object() {
    let status = get_ok(&result_with(
        r#""status": "F",
           "createItemList": {"5": {"id": "5"}, "2": {"id": "2"}, "12": {"id": "12"}}"#,
    ));

    let ids: Vec<&str> = status
        .created_items
        .iter()
        .map(|item| item.get("id").and_then(Value::as_str).unwrap_or("?"))
        .collect();
    assert_eq!(ids, ["2", "5", "12"]);
}

#[test]
fn created_items_any_values() {
    let status = get_ok(&result_with(
        r#""status": "F", "createItemList": [1, "two", null, {"id": 3}]"#,
    ));

    assert_eq!(status.created_items.len(), 4);
    assert_eq!(status.created_items[0], Value::Number(1.0));
    assert_eq!(status.created_items[1], Value::String("two".to_owned()));
    assert_eq!(status.created_items[2], Value::Null);
}

// The `time` block.

#[test]
fn time_fields_read_leniently() {
    let status = get_ok(
        r#"{"result": {"status": "S"},
            "time": {"start": "1733318190.5", "finish": "soon", "duration": null, "processing": [],
                     "date_start": 5, "date_finish": "2024-12-04T15:00:00+03:00", "extra": 1}}"#,
    );

    let time = status.time.expect("time block is parsed");
    assert_eq!(time.start, Some(1733318190.5));
    assert_eq!(time.finish, None);
    assert_eq!(time.duration, None);
    assert_eq!(time.processing, None);
    assert_eq!(time.date_start, None);
    assert_eq!(time.date_finish.as_deref(), Some("2024-12-04T15:00:00+03:00"));
    assert_eq!(time.operating, None);
}

#[test]
fn time_not_object_is_absent() {
    let with_string = get_ok(r#"{"result": {"status": "S"}, "time": "now"}"#);
    let without = get_ok(r#"{"result": {"status": "S"}}"#);

    assert_eq!(with_string.time, None);
    assert_eq!(without.time, None);
}
