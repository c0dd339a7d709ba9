#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Recorded `configuration.import.get` responses, one test per fixture file.
//!
//! Each fixture is a JSON file with `description`, `http_status`, and either
//! `body` (the JSON response) or `body_text` (a raw response that is not JSON).

use b24_import_watch::envelope::{self, GET_METHOD};
use b24_import_watch::{ErrorKind, ImportStatus, Notification, Phase, Recovery, State, StatusCode, Value, WatchError};
use std::collections::BTreeSet;
use std::fs;

const FIXTURE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/rest/");

/// Every fixture file that a test below reads. A new file in the folder fails
/// `every_fixture_has_test` until it gets a test and an entry here.
const COVERED_FIXTURES: [&str; 17] = [
    "error-empty-code.json",
    "error-expired-token.json",
    "error-html-gateway.json",
    "error-insufficient-scope.json",
    "error-method-not-found.json",
    "error-query-limit.json",
    "get-error-exception.json",
    "get-error-no-details.json",
    "get-finished-empty.json",
    "get-finished.json",
    "get-progress-errors-object.json",
    "get-progress-finishing-gap.json",
    "get-progress-load-notices-list.json",
    "get-progress-manifest.json",
    "get-progress-operating-time.json",
    "get-started.json",
    "get-unknown.json",
];

const PROCESS_ID: u64 = 42;
/// 2024-12-04T13:16:30Z, during the recorded imports.
const NOW_MS: f64 = 1_733_318_190_000.0;

/// Reads a fixture file into the crate's own `Value`, which keeps object keys
/// in file order.
fn read_fixture(name: &str) -> Value {
    let path = format!("{FIXTURE_DIR}{name}");
    let text = fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path} is not valid JSON: {error}"))
}

fn http_status_of(fixture: &Value) -> u16 {
    let status = fixture
        .get("http_status")
        .and_then(Value::as_f64)
        .expect("fixture has a numeric http_status");
    status as u16
}

fn body_of(fixture: &Value) -> &Value {
    fixture.get("body").expect("fixture has a JSON body")
}

fn parse_fixture(name: &str) -> Result<ImportStatus, WatchError> {
    let fixture = read_fixture(name);
    envelope::parse_get_response(
        Some(http_status_of(&fixture)),
        body_of(&fixture),
        Some(PROCESS_ID),
        NOW_MS,
    )
}

fn parse_ok(name: &str) -> ImportStatus {
    parse_fixture(name).unwrap_or_else(|error| panic!("{name}: unexpected error: {error}"))
}

fn parse_err(name: &str) -> WatchError {
    match parse_fixture(name) {
        Ok(status) => panic!("{name}: expected an error, got {status:?}"),
        Err(error) => error,
    }
}

fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

fn assert_notification(notification: &Notification, code: &str, message: &str, kind: &str) {
    assert_eq!(notification.code, code);
    assert_eq!(notification.message, message);
    assert_eq!(notification.kind, kind);
}

/// Checks the `time` fields that every fixture sends. The operating-time
/// fields are checked on their own.
fn assert_time(
    status: &ImportStatus,
    start: f64,
    finish: f64,
    duration: f64,
    processing: f64,
    date_start: &str,
    date_finish: &str,
) {
    let time = status.time.as_ref().expect("time block is parsed");
    assert_eq!(time.start, Some(start));
    assert_eq!(time.finish, Some(finish));
    assert_eq!(time.duration, Some(duration));
    assert_eq!(time.processing, Some(processing));
    assert_eq!(time.date_start.as_deref(), Some(date_start));
    assert_eq!(time.date_finish.as_deref(), Some(date_finish));
}

fn assert_no_operating_time(status: &ImportStatus) {
    let time = status.time.as_ref().expect("time block is parsed");
    assert_eq!(time.operating, None);
    assert_eq!(time.operating_reset_at, None);
}

fn assert_no_notifications(status: &ImportStatus) {
    assert!(status.notices.is_empty(), "notices: {:?}", status.notices);
    assert!(status.errors.is_empty(), "errors: {:?}", status.errors);
    assert!(status.exceptions.is_empty(), "exceptions: {:?}", status.exceptions);
}

fn assert_no_finish_data(status: &ImportStatus) {
    assert_eq!(status.additional, None);
    assert!(
        status.created_items.is_empty(),
        "created_items: {:?}",
        status.created_items
    );
}

#[test]
fn every_fixture_has_test() {
    let on_disk: BTreeSet<String> = fs::read_dir(FIXTURE_DIR)
        .unwrap_or_else(|error| panic!("cannot list {FIXTURE_DIR}: {error}"))
        .map(|entry| {
            entry
                .expect("directory entry is readable")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let covered: BTreeSet<String> = COVERED_FIXTURES.iter().map(|name| (*name).to_owned()).collect();

    let untested: Vec<&String> = on_disk.difference(&covered).collect();
    let missing: Vec<&String> = covered.difference(&on_disk).collect();
    assert!(untested.is_empty(), "fixture files without a test: {untested:?}");
    assert!(
        missing.is_empty(),
        "tested fixture files that no longer exist: {missing:?}"
    );
}

#[test]
fn every_fixture_has_description() {
    for name in COVERED_FIXTURES {
        let fixture = read_fixture(name);
        let description = fixture.get("description").and_then(Value::as_str).unwrap_or("");
        assert!(!description.is_empty(), "{name} has no description");
    }
}

// Status fixtures.

#[test]
fn started_has_no_progress() {
    let status = parse_ok("get-started.json");

    assert_eq!(status.process_id, Some(PROCESS_ID));
    assert_eq!(status.code, StatusCode::S);
    assert_eq!(status.state, State::Started);
    assert!(!status.terminal);
    assert_eq!(status.progress, None);
    assert_eq!(status.phase, None);
    assert_no_notifications(&status);
    assert_no_finish_data(&status);
    assert_time(
        &status,
        1733317200.1021,
        1733317200.1337,
        0.0316,
        0.0049,
        "2024-12-04T15:00:00+03:00",
        "2024-12-04T15:00:00+03:00",
    );
    assert_no_operating_time(&status);
}

#[test]
fn progress_manifest_step_zero() {
    let status = parse_ok("get-progress-manifest.json");

    assert_eq!(status.code, StatusCode::P);
    assert_eq!(status.state, State::Running);
    assert!(!status.terminal);
    let progress = status.progress.as_ref().expect("progress is parsed");
    assert_eq!(progress.action.as_deref(), Some("manifest"));
    assert_eq!(progress.step, 0);
    assert_eq!(progress.section.as_deref(), Some("REST_APPLICATION"));
    assert_eq!(status.phase, Some(Phase { index: 2, count: 6 }));
    assert_no_notifications(&status);
    assert_no_finish_data(&status);
    assert_time(
        &status,
        1629303000.9341,
        1629303001.0443,
        0.11020803451538,
        0.054312944412231,
        "2021-08-18T18:10:00+02:00",
        "2021-08-18T18:10:01+02:00",
    );
    assert_no_operating_time(&status);
}

#[test]
fn progress_clean_operating_time() {
    let status = parse_ok("get-progress-operating-time.json");

    assert_eq!(status.code, StatusCode::P);
    assert_eq!(status.state, State::Running);
    assert!(!status.terminal);
    let progress = status.progress.as_ref().expect("progress is parsed");
    assert_eq!(progress.action.as_deref(), Some("clean"));
    assert_eq!(progress.step, 1);
    assert_eq!(progress.section.as_deref(), Some("CRM_FIELDS"));
    assert_eq!(status.phase, Some(Phase { index: 3, count: 6 }));
    assert_no_notifications(&status);
    assert_no_finish_data(&status);
    assert_time(
        &status,
        1733317620.0,
        1733317620.9,
        0.9,
        0.85,
        "2024-12-04T15:07:00+03:00",
        "2024-12-04T15:07:00+03:00",
    );
    let time = status.time.as_ref().expect("time block is parsed");
    assert_eq!(time.operating, Some(12.4));
    assert_eq!(time.operating_reset_at, Some(1733318220.0));
}

#[test]
fn progress_load_notices_array() {
    let status = parse_ok("get-progress-load-notices-list.json");

    assert_eq!(status.code, StatusCode::P);
    assert_eq!(status.state, State::Running);
    assert!(!status.terminal);
    let progress = status.progress.as_ref().expect("progress is parsed");
    assert_eq!(progress.action.as_deref(), Some("load"));
    assert_eq!(progress.step, 7);
    assert_eq!(progress.section.as_deref(), Some("CRM_STATUS"));
    assert_eq!(status.phase, Some(Phase { index: 4, count: 6 }));

    assert_eq!(status.notices.len(), 2);
    assert_notification(
        &status.notices[0],
        "",
        "Field UF_CRM_1612 was renamed because a field with the same code exists.",
        "notice",
    );
    assert_notification(
        &status.notices[1],
        "SANITIZE_4_7",
        "Step 7: unsafe markup was removed from the imported data.",
        "notice",
    );
    assert!(status.errors.is_empty());
    assert!(status.exceptions.is_empty());
    assert_no_finish_data(&status);
    assert_time(
        &status,
        1733317500.5,
        1733317500.61,
        0.11,
        0.04,
        "2024-12-04T15:05:00+03:00",
        "2024-12-04T15:05:00+03:00",
    );
    assert_no_operating_time(&status);
}

#[test]
fn progress_errors_keyed_object() {
    let status = parse_ok("get-progress-errors-object.json");

    assert_eq!(status.code, StatusCode::P);
    assert_eq!(status.state, State::Running);
    assert!(!status.terminal);
    let progress = status.progress.as_ref().expect("progress is parsed");
    assert_eq!(progress.action.as_deref(), Some("load"));
    assert_eq!(progress.step, 2);
    assert_eq!(progress.section.as_deref(), Some("CRM_DEAL_CATEGORY"));
    assert_eq!(status.phase, Some(Phase { index: 4, count: 6 }));

    assert_eq!(status.notices.len(), 1);
    assert_notification(
        &status.notices[0],
        "",
        "Pipeline \"Sales\" already exists; stages were merged.",
        "notice",
    );
    // Keys "1" and "4": the gap is dropped and the order kept.
    assert_eq!(status.errors.len(), 2);
    assert_notification(
        &status.errors[0],
        "",
        "Could not create stage C3:WON: the limit of stages is reached.",
        "error",
    );
    assert_notification(
        &status.errors[1],
        "",
        "Could not copy the automation rule for stage C3:NEW.",
        "error",
    );
    assert!(status.exceptions.is_empty());
    assert_no_finish_data(&status);
    assert_time(
        &status,
        1733317800.2,
        1733317800.35,
        0.15,
        0.07,
        "2024-12-04T15:10:00+03:00",
        "2024-12-04T15:10:00+03:00",
    );
    assert_no_operating_time(&status);
}

#[test]
fn finishing_gap_action_false() {
    let status = parse_ok("get-progress-finishing-gap.json");

    assert_eq!(status.code, StatusCode::P);
    assert_eq!(status.state, State::Running);
    assert!(!status.terminal);
    let progress = status.progress.as_ref().expect("progress is parsed");
    assert_eq!(progress.action, None);
    assert_eq!(progress.step, 0);
    assert_eq!(progress.section, None);
    // The gap after `finish` reports the last phase.
    assert_eq!(status.phase, Some(Phase { index: 5, count: 6 }));
    assert_no_notifications(&status);
    assert_no_finish_data(&status);
    assert_time(
        &status,
        1733318400.01,
        1733318400.05,
        0.04,
        0.01,
        "2024-12-04T15:20:00+03:00",
        "2024-12-04T15:20:00+03:00",
    );
    assert_no_operating_time(&status);
}

#[test]
fn finished_with_items() {
    let status = parse_ok("get-finished.json");

    assert_eq!(status.code, StatusCode::F);
    assert_eq!(status.state, State::Finished);
    assert!(status.terminal);
    assert_eq!(status.progress, None);
    assert_eq!(status.phase, None);

    assert_eq!(status.notices.len(), 1);
    assert_notification(
        &status.notices[0],
        "",
        "Two fields were skipped because they already exist.",
        "notice",
    );
    assert!(status.errors.is_empty());
    assert!(status.exceptions.is_empty());

    let additional = Value::Object(vec![(
        "landing".to_owned(),
        Value::Object(vec![("siteId".to_owned(), Value::Number(12.0))]),
    )]);
    assert_eq!(status.additional, Some(additional));
    let created_item = Value::Object(vec![
        ("type".to_owned(), text("crm_pipeline")),
        ("id".to_owned(), text("4")),
    ]);
    assert_eq!(status.created_items, vec![created_item]);
    assert_time(
        &status,
        1733318460.0,
        1733318460.08,
        0.08,
        0.02,
        "2024-12-04T15:21:00+03:00",
        "2024-12-04T15:21:00+03:00",
    );
    assert_no_operating_time(&status);
}

#[test]
fn finished_with_empty_arrays() {
    let status = parse_ok("get-finished-empty.json");

    assert_eq!(status.code, StatusCode::F);
    assert_eq!(status.state, State::Finished);
    assert!(status.terminal);
    assert_eq!(status.progress, None);
    assert_eq!(status.phase, None);
    assert_no_notifications(&status);
    // `additional` is kept as sent, so an empty PHP array stays `[]`.
    assert_eq!(status.additional, Some(Value::Array(Vec::new())));
    assert!(status.created_items.is_empty());
    assert_time(
        &status,
        1733318460.0,
        1733318460.02,
        0.02,
        0.005,
        "2024-12-04T15:21:00+03:00",
        "2024-12-04T15:21:00+03:00",
    );
    assert_no_operating_time(&status);
}

#[test]
fn error_with_exception() {
    let status = parse_ok("get-error-exception.json");

    assert_eq!(status.code, StatusCode::E);
    assert_eq!(status.state, State::Failed);
    assert!(status.terminal);
    let progress = status.progress.as_ref().expect("progress is parsed");
    assert_eq!(progress.action.as_deref(), Some("load"));
    assert_eq!(progress.step, 3);
    assert_eq!(progress.section.as_deref(), Some("REST_APPLICATION"));
    assert_eq!(status.phase, Some(Phase { index: 4, count: 6 }));

    assert!(status.notices.is_empty());
    assert!(status.errors.is_empty());
    assert_eq!(status.exceptions.len(), 1);
    assert_notification(
        &status.exceptions[0],
        "ERROR_CONTENT_REST_APPLICATION_3",
        "Step 3: the file content could not be read.",
        "exception",
    );
    assert_no_finish_data(&status);
    assert_time(
        &status,
        1733318000.0,
        1733318000.1,
        0.1,
        0.03,
        "2024-12-04T15:13:20+03:00",
        "2024-12-04T15:13:20+03:00",
    );
    assert_no_operating_time(&status);
}

#[test]
fn error_without_details() {
    let status = parse_ok("get-error-no-details.json");

    assert_eq!(status.code, StatusCode::E);
    assert_eq!(status.state, State::Failed);
    assert!(status.terminal);
    assert_eq!(status.progress, None);
    assert_eq!(status.phase, None);
    assert_no_notifications(&status);
    assert_no_finish_data(&status);
    assert_time(
        &status,
        1733317260.0,
        1733317260.01,
        0.01,
        0.002,
        "2024-12-04T15:01:00+03:00",
        "2024-12-04T15:01:00+03:00",
    );
    assert_no_operating_time(&status);
}

#[test]
fn unknown_process_is_status() {
    let status = parse_ok("get-unknown.json");

    assert_eq!(status.process_id, Some(PROCESS_ID));
    assert_eq!(status.code, StatusCode::U);
    assert_eq!(status.state, State::Unknown);
    assert!(status.terminal);
    assert_eq!(status.progress, None);
    assert_eq!(status.phase, None);
    assert_no_notifications(&status);
    assert_no_finish_data(&status);
    assert_time(
        &status,
        1733317200.0,
        1733317200.01,
        0.01,
        0.002,
        "2024-12-04T15:00:00+03:00",
        "2024-12-04T15:00:00+03:00",
    );
    assert_no_operating_time(&status);
}

// Error fixtures.

/// Checks that the message starts with the method and the HTTP status, and
/// contains the advice for the user.
fn assert_message(error: &WatchError, http_status: u16, advice: &str) {
    let prefix = format!("{GET_METHOD} returned {http_status} ");
    assert!(error.message.starts_with(&prefix), "message: {}", error.message);
    assert!(error.message.contains(advice), "message: {}", error.message);
}

#[test]
fn empty_code_is_error() {
    let error = parse_err("error-empty-code.json");

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some(""));
    assert_eq!(error.http_status, Some(400));
    assert!(!error.retryable());
    assert_eq!(error.recovery, Recovery::Fail);
    assert_eq!(error.retry_after_ms, None);
    assert!(
        error.message.contains("an error with an empty code (Not found)"),
        "message: {}",
        error.message
    );
    assert_message(&error, 400, "check the request and the portal's settings");
}

#[test]
fn expired_token_needs_refresh() {
    let error = parse_err("error-expired-token.json");

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some("expired_token"));
    assert_eq!(error.http_status, Some(401));
    assert!(!error.retryable());
    assert_eq!(error.recovery, Recovery::RefreshToken);
    assert_eq!(error.retry_after_ms, None);
    assert!(
        error.message.contains("(The access token provided has expired.)"),
        "message: {}",
        error.message
    );
    assert_message(&error, 401, "the access token is no longer valid");
}

#[test]
fn insufficient_scope_fails() {
    let error = parse_err("error-insufficient-scope.json");

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some("insufficient_scope"));
    assert_eq!(error.http_status, Some(403));
    assert!(!error.retryable());
    assert_eq!(error.recovery, Recovery::Fail);
    assert_eq!(error.retry_after_ms, None);
    assert_message(&error, 403, "add the configuration.import scope to the app");
}

#[test]
fn method_not_found_fails() {
    let error = parse_err("error-method-not-found.json");

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some("ERROR_METHOD_NOT_FOUND"));
    assert_eq!(error.http_status, Some(404));
    assert!(!error.retryable());
    assert_eq!(error.recovery, Recovery::Fail);
    assert_eq!(error.retry_after_ms, None);
    assert!(error.message.contains("21.400.0"), "message: {}", error.message);
    assert_message(&error, 404, "update the portal");
}

#[test]
fn query_limit_retries() {
    let error = parse_err("error-query-limit.json");

    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some("QUERY_LIMIT_EXCEEDED"));
    assert_eq!(error.http_status, Some(503));
    assert!(error.retryable());
    assert_eq!(error.recovery, Recovery::Retry);
    assert_eq!(error.retry_after_ms, None);
    assert_message(&error, 503, "will be retried after a pause");
}

#[test]
fn html_gateway_page_retries() {
    let fixture = read_fixture("error-html-gateway.json");
    let http_status = http_status_of(&fixture);
    let body_text = fixture
        .get("body_text")
        .and_then(Value::as_str)
        .expect("fixture has a body_text");
    assert!(fixture.get("body").is_none());
    assert!(serde_json::from_str::<serde_json::Value>(body_text).is_err());

    let error = envelope::unparsable_body(GET_METHOD, Some(http_status), body_text);

    assert_eq!(error.kind, ErrorKind::InvalidResponse);
    assert_eq!(error.code, None);
    assert_eq!(error.http_status, Some(502));
    assert!(error.retryable());
    assert_eq!(error.recovery, Recovery::Retry);
    assert_eq!(error.retry_after_ms, None);
    assert!(error.message.starts_with(GET_METHOD), "message: {}", error.message);
    assert!(error.message.contains("HTML page"), "message: {}", error.message);
    assert!(error.message.contains("HTTP 502"), "message: {}", error.message);
    assert!(error.message.contains("will be retried"), "message: {}", error.message);
    // The page itself is not quoted.
    assert!(!error.message.contains("nginx"), "message: {}", error.message);
}
