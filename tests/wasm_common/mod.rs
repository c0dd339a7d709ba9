//! The cases for the JavaScript boundary, shared by `wasm_node.rs` (Node) and
//! `wasm_browser.rs` (headless Chromium).
//!
//! Every client here is a fake that runs in the test itself, so no case needs
//! a server. Only `webhook_unreachable_hides_secret` calls `fetch`, on
//! 127.0.0.1:9, where nothing listens.

use b24_import_watch::js::api::{get_import_status, parse_import_status};
use b24_import_watch::js::clients::{bx24_client, webhook_client};
use b24_import_watch::js::watch::{watch_import, ImportWatch};
use js_sys::{Array, Object, Promise, Reflect, JSON};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::AbortController;

#[wasm_bindgen(inline_js = r#"
export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Resolves with {state: "fulfilled" | "rejected", value}, or with
// {state: "pending"} when `promise` has not settled after `ms`.
export function outcomeWithin(promise, ms) {
  let timer;
  const limit = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ state: "pending" }), ms);
  });
  const settled = promise.then(
    (value) => ({ state: "fulfilled", value }),
    (value) => ({ state: "rejected", value }),
  );
  return Promise.race([settled, limit]).finally(() => clearTimeout(timer));
}

// A stand-in for the legacy BX24 library. Each callMethod call takes the next
// entry of `script`, and the last entry repeats. The entry kinds are:
//   {silent: true}                never calls back, as the library does on an
//                                 HTTP 5xx or a network failure.
//   {error, description, status}  reports a REST error.
//   {result, time, noAnswer}      reports success. With noAnswer the result
//                                 object has no `answer`, only data().
// `calls` records {method, params} of every call.
export function bx24Double(script) {
  const calls = [];
  function callMethod(method, params, callback) {
    const entry = script[Math.min(calls.length, script.length - 1)];
    calls.push({ method, params });
    if (entry.silent) return;
    let answer;
    if (entry.error !== undefined) {
      answer = { error: entry.error, error_description: entry.description ?? "" };
    } else if (!entry.noAnswer) {
      answer = { result: entry.result, time: entry.time ?? {} };
    }
    const result = {
      answer,
      query: { method, data: params },
      status: entry.status ?? 200,
      data: () => entry.result,
      error: () => entry.error ?? false,
      error_description: () => entry.description ?? "",
      more: () => false,
      next: () => false,
      total: () => 0,
    };
    setTimeout(() => callback(result), 0);
  }
  return { calls, callMethod };
}
"#)]
extern "C" {
    fn delay(ms: f64) -> Promise;

    #[wasm_bindgen(js_name = outcomeWithin)]
    fn outcome_within(promise: &Promise, ms: f64) -> Promise;

    #[wasm_bindgen(js_name = bx24Double)]
    fn bx24_double(script: &JsValue) -> JsValue;
}

/// How long a test waits for a promise before it fails. The watches below
/// poll every 10 to 200 ms, so a healthy one settles well within this.
const SETTLE_LIMIT_MS: f64 = 5_000.0;

const PROCESS_ID: f64 = 42.0;
const GET_METHOD: &str = "configuration.import.get";

// Bodies of `configuration.import.get` for one import, in the order the portal
// reports them.
const STARTED: &str =
    r#"{"result": {"status": "S"}, "time": {"start": 1733317200.1, "finish": 1733317200.13}}"#;
const STARTED_LATER: &str =
    r#"{"result": {"status": "S"}, "time": {"start": 1733317260.4, "finish": 1733317260.42}}"#;
const START_ACTION: &str =
    r#"{"result": {"status": "P", "progress": {"action": "start", "step": 0}}, "time": {}}"#;
const LOADING: &str = r#"{"result": {"status": "P", "progress": {"action": "load", "step": 7, "section": "CRM_STATUS"}}, "time": {}}"#;
const FINISHING_GAP: &str =
    r#"{"result": {"status": "P", "progress": {"action": false, "step": 0}}, "time": {}}"#;
const FINISHED: &str =
    r#"{"result": {"status": "F", "additional": [], "createItemList": []}, "time": {}}"#;
const INSUFFICIENT_SCOPE: &str = r#"{"error": "insufficient_scope", "error_description": "The request requires higher privileges than provided by the access token"}"#;

/// Embeds the recorded response `NAME.json`, an object with `description`,
/// `http_status` and either `body` (JSON) or `body_text` (raw text).
macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/rest/",
            $name,
            ".json"
        ))
    };
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn parse_json(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or_else(|_| panic!("invalid JSON in a test: {text}"))
}

fn stringify(value: &JsValue) -> String {
    JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// Reads a dotted property path such as `status.progress.action`. A missing
/// property anywhere on the path gives `undefined`.
fn at(value: &JsValue, path: &str) -> JsValue {
    let mut current = value.clone();
    for key in path.split('.') {
        if !current.is_object() && !current.is_function() {
            return JsValue::UNDEFINED;
        }
        current = Reflect::get(&current, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    }
    current
}

fn text_at(value: &JsValue, path: &str) -> Option<String> {
    at(value, path).as_string()
}

fn number_at(value: &JsValue, path: &str) -> Option<f64> {
    at(value, path).as_f64()
}

fn length_at(value: &JsValue, path: &str) -> Option<u32> {
    let list = at(value, path);
    Array::is_array(&list).then(|| Array::from(&list).length())
}

fn js_object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        Reflect::set(&object, &JsValue::from_str(key), value)
            .expect("setting a property of a plain object");
    }
    object.into()
}

async fn sleep_ms(ms: f64) {
    JsFuture::from(delay(ms))
        .await
        .expect("delay() never rejects");
}

/// Awaits `promise`, and fails the test if it stays pending past
/// `SETTLE_LIMIT_MS`.
async fn settle(promise: &Promise) -> Result<JsValue, JsValue> {
    let outcome = JsFuture::from(outcome_within(promise, SETTLE_LIMIT_MS))
        .await
        .expect("outcomeWithin() never rejects");
    let value = at(&outcome, "value");
    match text_at(&outcome, "state").as_deref() {
        Some("fulfilled") => Ok(value),
        Some("rejected") => Err(value),
        _ => panic!("the promise was still pending after {SETTLE_LIMIT_MS} ms"),
    }
}

async fn expect_resolve(promise: &Promise) -> JsValue {
    match settle(promise).await {
        Ok(value) => value,
        Err(error) => panic!(
            "expected the promise to resolve, but it rejected with {}",
            describe(&error)
        ),
    }
}

async fn expect_reject(promise: &Promise) -> JsValue {
    match settle(promise).await {
        Ok(value) => panic!(
            "expected the promise to reject, but it resolved with {}",
            stringify(&value)
        ),
        Err(error) => error,
    }
}

/// Shows an error with its `WatchError` fields, for assertion messages.
fn describe(error: &JsValue) -> String {
    format!(
        "{:?}: {:?} (kind {:?}, code {:?})",
        text_at(error, "name"),
        text_at(error, "message"),
        text_at(error, "kind"),
        at(error, "code"),
    )
}

/// Waits until `condition` holds, checking every 5 ms, and fails the test
/// after `SETTLE_LIMIT_MS`.
async fn wait_until(condition: impl Fn() -> bool, what: &str) {
    let deadline = js_sys::Date::now() + SETTLE_LIMIT_MS;
    while !condition() {
        assert!(
            js_sys::Date::now() < deadline,
            "timed out waiting until {what}"
        );
        sleep_ms(5.0).await;
    }
}

/// What the fake client does on one call.
enum Reply {
    /// Resolves with the parsed body.
    Body(JsValue),
    /// Rejects with the value.
    Reject(JsValue),
    /// Returns a promise that never settles.
    Pending,
}

fn body(json: &str) -> Reply {
    Reply::Body(parse_json(json))
}

/// A client function `(method, params) => Promise<body>` built from a Rust
/// closure. It replays its replies in order, one per call, and repeats the
/// last one once they run out.
struct FakeClient {
    function: JsValue,
    calls: Rc<RefCell<Vec<(String, JsValue)>>>,
}

impl FakeClient {
    fn replaying(replies: Vec<Reply>) -> FakeClient {
        assert!(
            !replies.is_empty(),
            "a fake client needs at least one reply"
        );
        let calls = Rc::new(RefCell::new(Vec::new()));
        let recorded = calls.clone();
        let closure = Closure::<dyn FnMut(String, JsValue) -> Promise>::new(
            move |method: String, params: JsValue| {
                let index = recorded.borrow().len().min(replies.len() - 1);
                recorded.borrow_mut().push((method, params));
                match &replies[index] {
                    Reply::Body(body) => Promise::resolve(body),
                    Reply::Reject(error) => Promise::reject(error),
                    Reply::Pending => Promise::new(&mut |_, _| {}),
                }
            },
        );
        FakeClient {
            function: closure.into_js_value(),
            calls,
        }
    }

    fn never_settling() -> FakeClient {
        FakeClient::replaying(vec![Reply::Pending])
    }

    fn rejecting(error: JsValue) -> FakeClient {
        FakeClient::replaying(vec![Reply::Reject(error)])
    }

    fn call_count(&self) -> usize {
        self.calls.borrow().len()
    }

    /// Builds the options `{client, intervalMs: 10}` plus `extra`.
    fn options(&self, extra: &[(&str, JsValue)]) -> JsValue {
        let mut entries = vec![
            ("client", self.function.clone()),
            ("intervalMs", JsValue::from(10)),
        ];
        entries.extend(extra.iter().map(|(key, value)| (*key, value.clone())));
        js_object(&entries)
    }
}

/// A callback that stores every update it receives.
struct Updates {
    callback: JsValue,
    list: Rc<RefCell<Vec<JsValue>>>,
}

impl Updates {
    fn recording() -> Updates {
        let list = Rc::new(RefCell::new(Vec::new()));
        let recorded = list.clone();
        let closure = Closure::<dyn FnMut(JsValue)>::new(move |update: JsValue| {
            recorded.borrow_mut().push(update)
        });
        Updates {
            callback: closure.into_js_value(),
            list,
        }
    }

    /// Creates a callback that stores each update and then throws an `Error`.
    fn recording_then_throwing() -> Updates {
        let list = Rc::new(RefCell::new(Vec::new()));
        let recorded = list.clone();
        let closure =
            Closure::<dyn FnMut(JsValue) -> Result<(), JsValue>>::new(move |update: JsValue| {
                recorded.borrow_mut().push(update);
                Err(js_sys::Error::new("the callback failed on purpose").into())
            });
        Updates {
            callback: closure.into_js_value(),
            list,
        }
    }

    fn len(&self) -> usize {
        self.list.borrow().len()
    }

    fn get(&self, index: usize) -> JsValue {
        self.list.borrow()[index].clone()
    }
}

/// Creates a `logger(level, message)` option that stores every call.
fn recording_logger() -> (JsValue, Rc<RefCell<Vec<(String, String)>>>) {
    let entries = Rc::new(RefCell::new(Vec::new()));
    let recorded = entries.clone();
    let closure =
        Closure::<dyn FnMut(String, String)>::new(move |level: String, message: String| {
            recorded.borrow_mut().push((level, message));
        });
    (closure.into_js_value(), entries)
}

fn start_watch(client: &FakeClient, updates: &Updates, extra: &[(&str, JsValue)]) -> ImportWatch {
    watch_import(
        JsValue::from(PROCESS_ID),
        updates.callback.clone(),
        client.options(extra),
    )
}

fn bx24_call_count(double: &JsValue) -> Option<u32> {
    length_at(double, "calls")
}

// ---------------------------------------------------------------------------
// parseImportStatus over the recorded responses
// ---------------------------------------------------------------------------

/// What `parseImportStatus` must return for one successful response.
struct SuccessCase {
    name: &'static str,
    fixture: &'static str,
    code: &'static str,
    state: &'static str,
    terminal: bool,
    /// `(action, step, section)`, where an action of `None` is the server's `false`.
    progress: Option<(Option<&'static str>, f64, Option<&'static str>)>,
    phase_index: Option<f64>,
    notices: &'static [&'static str],
    errors: &'static [&'static str],
    exceptions: &'static [&'static str],
    created_items: u32,
    operating_reset_at: Option<f64>,
}

const SUCCESS_CASES: [SuccessCase; 11] = [
    SuccessCase {
        name: "get-started",
        fixture: fixture!("get-started"),
        code: "S",
        state: "started",
        terminal: false,
        progress: None,
        phase_index: None,
        notices: &[],
        errors: &[],
        exceptions: &[],
        created_items: 0,
        operating_reset_at: None,
    },
    SuccessCase {
        name: "get-unknown",
        fixture: fixture!("get-unknown"),
        code: "U",
        state: "unknown",
        terminal: true,
        progress: None,
        phase_index: None,
        notices: &[],
        errors: &[],
        exceptions: &[],
        created_items: 0,
        operating_reset_at: None,
    },
    SuccessCase {
        name: "get-progress-manifest",
        fixture: fixture!("get-progress-manifest"),
        code: "P",
        state: "running",
        terminal: false,
        progress: Some((Some("manifest"), 0.0, Some("REST_APPLICATION"))),
        phase_index: Some(2.0),
        notices: &[],
        errors: &[],
        exceptions: &[],
        created_items: 0,
        operating_reset_at: None,
    },
    SuccessCase {
        name: "get-progress-operating-time",
        fixture: fixture!("get-progress-operating-time"),
        code: "P",
        state: "running",
        terminal: false,
        progress: Some((Some("clean"), 1.0, Some("CRM_FIELDS"))),
        phase_index: Some(3.0),
        notices: &[],
        errors: &[],
        exceptions: &[],
        created_items: 0,
        operating_reset_at: Some(1_733_318_220.0),
    },
    SuccessCase {
        name: "get-progress-load-notices-list",
        fixture: fixture!("get-progress-load-notices-list"),
        code: "P",
        state: "running",
        terminal: false,
        progress: Some((Some("load"), 7.0, Some("CRM_STATUS"))),
        phase_index: Some(4.0),
        notices: &[
            "Field UF_CRM_1612 was renamed because a field with the same code exists.",
            "Step 7: unsafe markup was removed from the imported data.",
        ],
        errors: &[],
        exceptions: &[],
        created_items: 0,
        operating_reset_at: None,
    },
    SuccessCase {
        name: "get-progress-errors-object",
        fixture: fixture!("get-progress-errors-object"),
        code: "P",
        state: "running",
        terminal: false,
        progress: Some((Some("load"), 2.0, Some("CRM_DEAL_CATEGORY"))),
        phase_index: Some(4.0),
        notices: &["Pipeline \"Sales\" already exists; stages were merged."],
        errors: &[
            "Could not create stage C3:WON: the limit of stages is reached.",
            "Could not copy the automation rule for stage C3:NEW.",
        ],
        exceptions: &[],
        created_items: 0,
        operating_reset_at: None,
    },
    SuccessCase {
        name: "get-progress-finishing-gap",
        fixture: fixture!("get-progress-finishing-gap"),
        code: "P",
        state: "running",
        terminal: false,
        progress: Some((None, 0.0, None)),
        phase_index: Some(5.0),
        notices: &[],
        errors: &[],
        exceptions: &[],
        created_items: 0,
        operating_reset_at: None,
    },
    SuccessCase {
        name: "get-finished",
        fixture: fixture!("get-finished"),
        code: "F",
        state: "finished",
        terminal: true,
        progress: None,
        phase_index: None,
        notices: &["Two fields were skipped because they already exist."],
        errors: &[],
        exceptions: &[],
        created_items: 1,
        operating_reset_at: None,
    },
    SuccessCase {
        name: "get-finished-empty",
        fixture: fixture!("get-finished-empty"),
        code: "F",
        state: "finished",
        terminal: true,
        progress: None,
        phase_index: None,
        notices: &[],
        errors: &[],
        exceptions: &[],
        created_items: 0,
        operating_reset_at: None,
    },
    SuccessCase {
        name: "get-error-exception",
        fixture: fixture!("get-error-exception"),
        code: "E",
        state: "failed",
        terminal: true,
        progress: Some((Some("load"), 3.0, Some("REST_APPLICATION"))),
        phase_index: Some(4.0),
        notices: &[],
        errors: &[],
        exceptions: &["Step 3: the file content could not be read."],
        created_items: 0,
        operating_reset_at: None,
    },
    SuccessCase {
        name: "get-error-no-details",
        fixture: fixture!("get-error-no-details"),
        code: "E",
        state: "failed",
        terminal: true,
        progress: None,
        phase_index: None,
        notices: &[],
        errors: &[],
        exceptions: &[],
        created_items: 0,
        operating_reset_at: None,
    },
];

/// What `parseImportStatus` must throw for one error response. The HTTP
/// status never reaches this function, so the classification rests on the
/// code alone.
struct ErrorCase {
    name: &'static str,
    fixture: &'static str,
    code: &'static str,
    retryable: bool,
}

const ERROR_CASES: [ErrorCase; 5] = [
    ErrorCase {
        name: "error-empty-code",
        fixture: fixture!("error-empty-code"),
        code: "",
        retryable: false,
    },
    ErrorCase {
        name: "error-expired-token",
        fixture: fixture!("error-expired-token"),
        code: "expired_token",
        retryable: false,
    },
    ErrorCase {
        name: "error-insufficient-scope",
        fixture: fixture!("error-insufficient-scope"),
        code: "insufficient_scope",
        retryable: false,
    },
    ErrorCase {
        name: "error-method-not-found",
        fixture: fixture!("error-method-not-found"),
        code: "ERROR_METHOD_NOT_FOUND",
        retryable: false,
    },
    ErrorCase {
        name: "error-query-limit",
        fixture: fixture!("error-query-limit"),
        code: "QUERY_LIMIT_EXCEEDED",
        retryable: true,
    },
];

fn messages_at(status: &JsValue, field: &str) -> Vec<String> {
    let list = at(status, field);
    assert!(
        Array::is_array(&list),
        "{field} is {} where an array was expected",
        stringify(&list)
    );
    Array::from(&list)
        .iter()
        .map(|item| text_at(&item, "message").unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
fn parse_success_fixtures() {
    for case in &SUCCESS_CASES {
        let name = case.name;
        let body = at(&parse_json(case.fixture), "body");
        let status = parse_import_status(body, JsValue::from(PROCESS_ID))
            .unwrap_or_else(|error| panic!("{name}: parseImportStatus threw {}", describe(&error)));

        assert_eq!(
            number_at(&status, "processId"),
            Some(PROCESS_ID),
            "{name}: processId"
        );
        assert_eq!(
            text_at(&status, "code").as_deref(),
            Some(case.code),
            "{name}: code"
        );
        assert_eq!(
            text_at(&status, "state").as_deref(),
            Some(case.state),
            "{name}: state"
        );
        assert_eq!(
            at(&status, "terminal").as_bool(),
            Some(case.terminal),
            "{name}: terminal"
        );

        match case.progress {
            None => assert!(
                at(&status, "progress").is_null(),
                "{name}: progress should be null"
            ),
            Some((action, step, section)) => {
                match action {
                    Some(action) => {
                        assert_eq!(
                            text_at(&status, "progress.action").as_deref(),
                            Some(action),
                            "{name}: progress.action"
                        )
                    }
                    None => assert!(
                        at(&status, "progress.action").is_null(),
                        "{name}: progress.action should be null"
                    ),
                }
                assert_eq!(
                    number_at(&status, "progress.step"),
                    Some(step),
                    "{name}: progress.step"
                );
                match section {
                    Some(section) => {
                        assert_eq!(
                            text_at(&status, "progress.section").as_deref(),
                            Some(section),
                            "{name}: progress.section"
                        )
                    }
                    None => assert!(
                        at(&status, "progress.section").is_null(),
                        "{name}: progress.section should be null"
                    ),
                }
            }
        }

        match case.phase_index {
            None => assert!(
                at(&status, "phase").is_null(),
                "{name}: phase should be null"
            ),
            Some(index) => {
                assert_eq!(
                    number_at(&status, "phase.index"),
                    Some(index),
                    "{name}: phase.index"
                );
                assert_eq!(
                    number_at(&status, "phase.count"),
                    Some(6.0),
                    "{name}: phase.count"
                );
            }
        }

        assert_eq!(
            messages_at(&status, "notices"),
            case.notices,
            "{name}: notices"
        );
        assert_eq!(
            messages_at(&status, "errors"),
            case.errors,
            "{name}: errors"
        );
        assert_eq!(
            messages_at(&status, "exceptions"),
            case.exceptions,
            "{name}: exceptions"
        );
        assert_eq!(
            length_at(&status, "createdItems"),
            Some(case.created_items),
            "{name}: createdItems"
        );

        assert!(
            at(&status, "time").is_object(),
            "{name}: time should be an object"
        );
        match case.operating_reset_at {
            Some(reset_at) => assert_eq!(
                number_at(&status, "time.operatingResetAt"),
                Some(reset_at),
                "{name}: time.operatingResetAt"
            ),
            None => assert!(
                at(&status, "time.operatingResetAt").is_null(),
                "{name}: time.operatingResetAt should be null"
            ),
        }
    }
}

#[wasm_bindgen_test]
fn parse_keeps_notification_fields() {
    let body = at(
        &parse_json(fixture!("get-progress-load-notices-list")),
        "body",
    );
    let status = parse_import_status(body, JsValue::UNDEFINED).expect("the fixture parses");

    assert!(
        at(&status, "processId").is_null(),
        "processId should be null when none is given"
    );
    assert_eq!(text_at(&status, "notices.0.code").as_deref(), Some(""));
    assert_eq!(
        text_at(&status, "notices.1.code").as_deref(),
        Some("SANITIZE_4_7")
    );
    assert_eq!(
        text_at(&status, "notices.1.type").as_deref(),
        Some("notice")
    );
}

#[wasm_bindgen_test]
fn parse_finished_extras() {
    let body = at(&parse_json(fixture!("get-finished")), "body");
    let status = parse_import_status(body, JsValue::from(PROCESS_ID)).expect("the fixture parses");

    assert_eq!(
        text_at(&status, "createdItems.0.type").as_deref(),
        Some("crm_pipeline")
    );
    assert_eq!(text_at(&status, "createdItems.0.id").as_deref(), Some("4"));
    assert_eq!(number_at(&status, "additional.landing.siteId"), Some(12.0));
}

#[wasm_bindgen_test]
fn parse_error_fixtures() {
    for case in &ERROR_CASES {
        let name = case.name;
        let body = at(&parse_json(case.fixture), "body");
        let error = match parse_import_status(body, JsValue::from(PROCESS_ID)) {
            Ok(status) => panic!(
                "{name}: parseImportStatus returned {} where an error was expected",
                stringify(&status)
            ),
            Err(error) => error,
        };

        assert!(
            error.is_instance_of::<js_sys::Error>(),
            "{name}: the thrown value should be an Error"
        );
        assert_eq!(
            text_at(&error, "name").as_deref(),
            Some("WatchError"),
            "{name}: name"
        );
        assert_eq!(
            text_at(&error, "kind").as_deref(),
            Some("rest"),
            "{name}: kind"
        );
        assert_eq!(
            text_at(&error, "code").as_deref(),
            Some(case.code),
            "{name}: code"
        );
        assert!(
            at(&error, "httpStatus").is_null(),
            "{name}: httpStatus should be null"
        );
        assert_eq!(
            at(&error, "retryable").as_bool(),
            Some(case.retryable),
            "{name}: retryable"
        );
    }
}

#[wasm_bindgen_test]
fn parse_html_body_text() {
    let text = at(&parse_json(fixture!("error-html-gateway")), "body_text");
    assert!(
        text.is_string(),
        "the fixture's body_text should be a string"
    );

    let error =
        parse_import_status(text, JsValue::UNDEFINED).expect_err("an HTML page is not a status");

    assert_eq!(text_at(&error, "name").as_deref(), Some("WatchError"));
    assert_eq!(text_at(&error, "kind").as_deref(), Some("invalid_response"));
    assert_eq!(at(&error, "retryable").as_bool(), Some(true));
    let message = text_at(&error, "message").unwrap_or_default();
    assert!(
        message.contains("HTML"),
        "the message should name the HTML page: {message}"
    );
}

// ---------------------------------------------------------------------------
// watchImport with a function client
// ---------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn watch_reports_every_poll() {
    let client = FakeClient::replaying(vec![
        body(STARTED),
        body(START_ACTION),
        body(LOADING),
        body(FINISHING_GAP),
        body(FINISHED),
    ]);
    let updates = Updates::recording();
    let watch = start_watch(&client, &updates, &[]);
    assert!(
        watch.latest().is_null(),
        "latest() should be null before the first poll"
    );

    let done = expect_resolve(&watch.done()).await;

    assert_eq!(text_at(&done, "code").as_deref(), Some("F"));
    assert_eq!(text_at(&done, "state").as_deref(), Some("finished"));
    assert_eq!(at(&done, "terminal").as_bool(), Some(true));
    assert_eq!(
        stringify(&watch.latest()),
        stringify(&done),
        "latest() should equal the final status"
    );

    assert_eq!(updates.len(), 5);
    let codes = ["S", "P", "P", "P", "F"];
    for (index, code) in codes.iter().enumerate() {
        let update = updates.get(index);
        let attempt = index as f64 + 1.0;
        assert_eq!(
            text_at(&update, "status.code").as_deref(),
            Some(*code),
            "update {attempt}: status.code"
        );
        assert_eq!(
            number_at(&update, "attempt"),
            Some(attempt),
            "update {attempt}: attempt"
        );
        assert_eq!(
            at(&update, "changed").as_bool(),
            Some(true),
            "update {attempt}: changed"
        );
        assert!(
            at(&update, "error").is_null(),
            "update {attempt}: error should be null"
        );
    }
    for index in 0..4 {
        let next = number_at(&updates.get(index), "nextPollInMs");
        assert!(
            next.is_some(),
            "update {}: nextPollInMs should be a number",
            index + 1
        );
        assert!(
            next.unwrap_or(f64::NAN) <= 10.0,
            "update {}: nextPollInMs {next:?} exceeds intervalMs",
            index + 1
        );
    }
    assert!(
        at(&updates.get(4), "nextPollInMs").is_null(),
        "the last update's nextPollInMs should be null"
    );

    assert_eq!(
        text_at(&updates.get(1), "status.progress.action").as_deref(),
        Some("start")
    );
    assert_eq!(
        text_at(&updates.get(2), "status.progress.section").as_deref(),
        Some("CRM_STATUS")
    );
    assert_eq!(number_at(&updates.get(2), "status.phase.index"), Some(4.0));
    assert!(
        at(&updates.get(3), "status.progress.action").is_null(),
        "action false should read as null"
    );
    assert_eq!(number_at(&updates.get(3), "status.phase.index"), Some(5.0));

    let calls = client.calls.borrow();
    assert_eq!(calls.len(), 5);
    for (method, params) in calls.iter() {
        assert_eq!(method, GET_METHOD);
        assert_eq!(number_at(params, "processId"), Some(PROCESS_ID));
    }
}

#[wasm_bindgen_test]
async fn digit_string_process_id() {
    let client = FakeClient::replaying(vec![body(FINISHED)]);
    let updates = Updates::recording();
    let watch = watch_import(
        JsValue::from_str("42"),
        updates.callback.clone(),
        client.options(&[]),
    );

    let done = expect_resolve(&watch.done()).await;

    assert_eq!(number_at(&done, "processId"), Some(PROCESS_ID));
    let calls = client.calls.borrow();
    assert_eq!(
        number_at(&calls[0].1, "processId"),
        Some(PROCESS_ID),
        "the request should carry a number"
    );
}

#[wasm_bindgen_test]
async fn identical_statuses_are_unchanged() {
    // STARTED and STARTED_LATER differ only in their time blocks.
    let client = FakeClient::replaying(vec![
        body(STARTED),
        body(STARTED_LATER),
        body(LOADING),
        body(LOADING),
        body(FINISHED),
    ]);
    let updates = Updates::recording();
    let watch = start_watch(&client, &updates, &[]);

    expect_resolve(&watch.done()).await;

    assert_eq!(updates.len(), 5);
    let expected = [true, false, true, false, true];
    for (index, changed) in expected.iter().enumerate() {
        assert_eq!(
            at(&updates.get(index), "changed").as_bool(),
            Some(*changed),
            "update {}: changed",
            index + 1
        );
    }
}

#[wasm_bindgen_test]
async fn network_error_then_recovery() {
    let client = FakeClient::replaying(vec![
        body(STARTED),
        Reply::Reject(js_sys::Error::new("connection reset").into()),
        body(LOADING),
        body(FINISHED),
    ]);
    let updates = Updates::recording();
    let watch = start_watch(&client, &updates, &[]);

    let done = expect_resolve(&watch.done()).await;

    assert_eq!(text_at(&done, "code").as_deref(), Some("F"));
    assert_eq!(updates.len(), 4);
    let failed = updates.get(1);
    assert_eq!(
        text_at(&failed, "error.name").as_deref(),
        Some("WatchError")
    );
    assert_eq!(text_at(&failed, "error.kind").as_deref(), Some("network"));
    assert_eq!(at(&failed, "error.retryable").as_bool(), Some(true));
    let message = text_at(&failed, "error.message").unwrap_or_default();
    assert!(
        message.contains("connection reset"),
        "the message should quote the client's error: {message}"
    );
    assert_eq!(
        text_at(&failed, "status.code").as_deref(),
        Some("S"),
        "status should stay the last good one"
    );
    assert_eq!(at(&failed, "changed").as_bool(), Some(false));
    assert_eq!(number_at(&failed, "attempt"), Some(2.0));
    assert!(
        number_at(&failed, "nextPollInMs").is_some(),
        "a retry should be scheduled"
    );
    assert!(
        at(&updates.get(2), "error").is_null(),
        "the error should clear after a good poll"
    );
}

#[wasm_bindgen_test]
async fn consecutive_errors_end_watch() {
    let client = FakeClient::rejecting(js_sys::Error::new("connection refused").into());
    let updates = Updates::recording();
    let watch = start_watch(
        &client,
        &updates,
        &[("maxConsecutiveErrors", JsValue::from(3))],
    );

    let error = expect_reject(&watch.done()).await;

    assert_eq!(text_at(&error, "kind").as_deref(), Some("network"));
    let message = text_at(&error, "message").unwrap_or_default();
    assert!(
        message.contains("3 failed requests in a row"),
        "the message should count the failures: {message}"
    );
    assert_eq!(client.call_count(), 3);
    assert_eq!(updates.len(), 3);
    assert!(
        watch.latest().is_null(),
        "latest() should stay null without a good poll"
    );
}

#[wasm_bindgen_test]
async fn insufficient_scope_body_fails() {
    let client = FakeClient::replaying(vec![body(INSUFFICIENT_SCOPE)]);
    let updates = Updates::recording();
    let watch = start_watch(&client, &updates, &[]);

    let error = expect_reject(&watch.done()).await;

    assert_eq!(text_at(&error, "name").as_deref(), Some("WatchError"));
    assert_eq!(text_at(&error, "kind").as_deref(), Some("rest"));
    assert_eq!(
        text_at(&error, "code").as_deref(),
        Some("insufficient_scope")
    );
    assert_eq!(at(&error, "retryable").as_bool(), Some(false));
    let message = text_at(&error, "message").unwrap_or_default();
    assert!(
        message.contains("configuration.import scope"),
        "the message should name the missing scope: {message}"
    );
    assert_eq!(
        client.call_count(),
        1,
        "a fatal error should not be retried"
    );
    assert_eq!(updates.len(), 1);
    assert_eq!(
        text_at(&updates.get(0), "error.code").as_deref(),
        Some("insufficient_scope")
    );
    assert!(
        at(&updates.get(0), "nextPollInMs").is_null(),
        "no poll should follow a fatal error"
    );
}

#[wasm_bindgen_test]
async fn watch_error_rejection_fails() {
    let rejection = parse_json(
        r#"{"name": "WatchError", "message": "the app lacks the configuration.import scope", "kind": "rest",
            "code": "insufficient_scope", "httpStatus": 403, "retryable": false}"#,
    );
    let client = FakeClient::rejecting(rejection);
    let updates = Updates::recording();
    let watch = start_watch(&client, &updates, &[]);

    let error = expect_reject(&watch.done()).await;

    assert_eq!(text_at(&error, "kind").as_deref(), Some("rest"));
    assert_eq!(
        text_at(&error, "code").as_deref(),
        Some("insufficient_scope")
    );
    assert_eq!(number_at(&error, "httpStatus"), Some(403.0));
    assert_eq!(at(&error, "retryable").as_bool(), Some(false));
    assert_eq!(
        text_at(&error, "message").as_deref(),
        Some("the app lacks the configuration.import scope")
    );
    assert_eq!(
        client.call_count(),
        1,
        "a fatal error should not be retried"
    );
}

#[wasm_bindgen_test]
async fn throwing_callback_keeps_watching() {
    let client = FakeClient::replaying(vec![body(STARTED), body(LOADING), body(FINISHED)]);
    let updates = Updates::recording_then_throwing();
    let (logger, log) = recording_logger();
    let watch = start_watch(&client, &updates, &[("logger", logger)]);

    let done = expect_resolve(&watch.done()).await;

    assert_eq!(text_at(&done, "code").as_deref(), Some("F"));
    assert_eq!(updates.len(), 3);
    let errors: Vec<String> = log
        .borrow()
        .iter()
        .filter(|(level, _)| level == "error")
        .map(|(_, message)| message.clone())
        .collect();
    assert_eq!(errors.len(), 3, "each throw should be logged: {errors:?}");
    assert!(
        errors[0].contains("the callback failed on purpose"),
        "the log should quote the error: {}",
        errors[0]
    );
}

#[wasm_bindgen_test]
async fn timeout_ms_ends_watch() {
    let client = FakeClient::replaying(vec![body(STARTED)]);
    let updates = Updates::recording();
    let started_at = js_sys::Date::now();
    let watch = start_watch(&client, &updates, &[("timeoutMs", JsValue::from(50))]);

    let error = expect_reject(&watch.done()).await;

    assert_eq!(text_at(&error, "name").as_deref(), Some("TimeoutError"));
    assert_eq!(text_at(&error, "kind").as_deref(), Some("timeout"));
    assert_eq!(at(&error, "retryable").as_bool(), Some(false));
    let message = text_at(&error, "message").unwrap_or_default();
    assert!(
        message.contains("50 ms"),
        "the message should give the limit: {message}"
    );
    let elapsed = js_sys::Date::now() - started_at;
    assert!(
        elapsed >= 40.0,
        "the watch ended after {elapsed} ms, before its 50 ms limit"
    );
    assert!(
        client.call_count() > 1,
        "the watch should poll until the limit"
    );
    assert_eq!(text_at(&watch.latest(), "code").as_deref(), Some("S"));
}

// ---------------------------------------------------------------------------
// Stopping and aborting
// ---------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn stop_during_pending_request() {
    let client = FakeClient::replaying(vec![body(STARTED), Reply::Pending]);
    let updates = Updates::recording();
    let watch = start_watch(&client, &updates, &[]);
    wait_until(|| client.call_count() == 2, "the second request is sent").await;
    assert_eq!(updates.len(), 1);

    watch.stop();
    let error = expect_reject(&watch.done()).await;
    sleep_ms(50.0).await;

    assert_eq!(text_at(&error, "name").as_deref(), Some("AbortError"));
    assert_eq!(text_at(&error, "kind").as_deref(), Some("aborted"));
    assert_eq!(updates.len(), 1, "no callback should run after stop()");
    assert_eq!(client.call_count(), 2, "no request should follow stop()");
    assert_eq!(text_at(&watch.latest(), "code").as_deref(), Some("S"));
}

#[wasm_bindgen_test]
async fn stop_twice_is_harmless() {
    let client = FakeClient::never_settling();
    let updates = Updates::recording();
    let watch = start_watch(&client, &updates, &[]);
    wait_until(|| client.call_count() == 1, "the first request is sent").await;

    watch.stop();
    watch.stop();
    let error = expect_reject(&watch.done()).await;
    watch.stop();
    let again = expect_reject(&watch.done()).await;

    assert_eq!(text_at(&error, "name").as_deref(), Some("AbortError"));
    assert!(
        Object::is(&error, &again),
        "done should keep its first rejection"
    );
    assert_eq!(updates.len(), 0);
    assert!(watch.latest().is_null());
}

#[wasm_bindgen_test]
async fn stop_during_wait_ends_polling() {
    let client = FakeClient::replaying(vec![body(STARTED)]);
    let updates = Updates::recording();
    let watch = start_watch(&client, &updates, &[("intervalMs", JsValue::from(200))]);
    wait_until(|| updates.len() == 1, "the first update arrives").await;

    watch.stop();
    let error = expect_reject(&watch.done()).await;
    sleep_ms(300.0).await;

    assert_eq!(text_at(&error, "name").as_deref(), Some("AbortError"));
    assert_eq!(client.call_count(), 1, "no request should follow stop()");
    assert_eq!(updates.len(), 1, "no callback should run after stop()");
}

#[wasm_bindgen_test]
async fn aborted_signal_skips_client() {
    let controller = AbortController::new().expect("AbortController exists in Node and browsers");
    controller.abort();
    let client = FakeClient::replaying(vec![body(STARTED)]);
    let updates = Updates::recording();
    let watch = start_watch(&client, &updates, &[("signal", controller.signal().into())]);

    let error = expect_reject(&watch.done()).await;
    sleep_ms(30.0).await;

    assert_eq!(text_at(&error, "name").as_deref(), Some("AbortError"));
    assert_eq!(text_at(&error, "kind").as_deref(), Some("aborted"));
    assert_eq!(client.call_count(), 0);
    assert_eq!(updates.len(), 0);
}

#[wasm_bindgen_test]
async fn signal_abort_stops_watch() {
    let controller = AbortController::new().expect("AbortController exists in Node and browsers");
    let client = FakeClient::replaying(vec![body(STARTED), Reply::Pending]);
    let updates = Updates::recording();
    let watch = start_watch(&client, &updates, &[("signal", controller.signal().into())]);
    wait_until(|| client.call_count() == 2, "the second request is sent").await;

    controller.abort();
    let error = expect_reject(&watch.done()).await;
    sleep_ms(30.0).await;

    assert_eq!(text_at(&error, "name").as_deref(), Some("AbortError"));
    assert_eq!(updates.len(), 1, "no callback should run after the abort");
    assert_eq!(client.call_count(), 2, "no request should follow the abort");
}

// ---------------------------------------------------------------------------
// Argument checks: each one rejects `done` before any request
// ---------------------------------------------------------------------------

/// Checks that `watch` rejected with an invalid-argument error whose message
/// contains `mention`.
async fn expect_invalid_argument(watch: &ImportWatch, case: &str, mention: &str) {
    let error = expect_reject(&watch.done()).await;
    assert_eq!(
        text_at(&error, "name").as_deref(),
        Some("WatchError"),
        "{case}: name"
    );
    assert_eq!(
        text_at(&error, "kind").as_deref(),
        Some("invalid_argument"),
        "{case}: kind"
    );
    assert_eq!(
        at(&error, "retryable").as_bool(),
        Some(false),
        "{case}: retryable"
    );
    let message = text_at(&error, "message").unwrap_or_default();
    assert!(
        message.contains(mention),
        "{case}: the message should mention {mention}: {message}"
    );
}

#[wasm_bindgen_test]
async fn invalid_process_ids_rejected() {
    let cases: [(&str, JsValue); 8] = [
        ("0", JsValue::from(0)),
        ("-1", JsValue::from(-1)),
        ("1.5", JsValue::from(1.5)),
        ("\"abc\"", JsValue::from_str("abc")),
        ("\"\"", JsValue::from_str("")),
        ("null", JsValue::NULL),
        ("an object", Object::new().into()),
        (
            "a 30-digit string",
            JsValue::from_str("123456789012345678901234567890"),
        ),
    ];
    let client = FakeClient::replaying(vec![body(FINISHED)]);
    let updates = Updates::recording();

    for (case, process_id) in cases {
        let watch = watch_import(process_id, updates.callback.clone(), client.options(&[]));
        expect_invalid_argument(&watch, case, "processId").await;
    }
    sleep_ms(20.0).await;

    assert_eq!(client.call_count(), 0);
    assert_eq!(updates.len(), 0);
}

#[wasm_bindgen_test]
async fn non_function_callback_rejected() {
    let cases: [(&str, JsValue); 5] = [
        ("undefined", JsValue::UNDEFINED),
        ("null", JsValue::NULL),
        ("a string", JsValue::from_str("onUpdate")),
        ("a number", JsValue::from(1)),
        ("an object", Object::new().into()),
    ];
    let client = FakeClient::replaying(vec![body(FINISHED)]);

    for (case, callback) in cases {
        let watch = watch_import(JsValue::from(PROCESS_ID), callback, client.options(&[]));
        expect_invalid_argument(&watch, case, "callback").await;
    }
    sleep_ms(20.0).await;

    assert_eq!(client.call_count(), 0);
}

#[wasm_bindgen_test]
async fn invalid_options_rejected() {
    let cases: [(&str, &str, JsValue); 6] = [
        ("intervalMs -1", "intervalMs", JsValue::from(-1)),
        ("intervalMs NaN", "intervalMs", JsValue::from(f64::NAN)),
        (
            "intervalMs Infinity",
            "intervalMs",
            JsValue::from(f64::INFINITY),
        ),
        (
            "intervalMs 2**31",
            "intervalMs",
            JsValue::from(2_147_483_648.0),
        ),
        ("intervalMs \"10\"", "intervalMs", JsValue::from_str("10")),
        ("unknown key interval", "interval", JsValue::from(10)),
    ];
    let client = FakeClient::replaying(vec![body(FINISHED)]);
    let updates = Updates::recording();

    for (case, key, value) in cases {
        let watch_options = js_object(&[("client", client.function.clone()), (key, value)]);
        let watch = watch_import(
            JsValue::from(PROCESS_ID),
            updates.callback.clone(),
            watch_options,
        );
        expect_invalid_argument(&watch, case, key).await;
    }
    sleep_ms(20.0).await;

    assert_eq!(client.call_count(), 0);
    assert_eq!(updates.len(), 0);
}

#[wasm_bindgen_test]
async fn missing_client_lists_choices() {
    let has_bx24 = Reflect::has(&js_sys::global(), &JsValue::from_str("BX24")).unwrap_or(false);
    assert!(!has_bx24, "this case needs a global object without BX24");
    let updates = Updates::recording();

    for watch_options in [
        js_object(&[("intervalMs", JsValue::from(10))]),
        JsValue::UNDEFINED,
    ] {
        let watch = watch_import(
            JsValue::from(PROCESS_ID),
            updates.callback.clone(),
            watch_options,
        );
        let error = expect_reject(&watch.done()).await;

        assert_eq!(text_at(&error, "kind").as_deref(), Some("invalid_argument"));
        let message = text_at(&error, "message").unwrap_or_default();
        for choice in [
            "bx24Client",
            "b24jssdkClient",
            "webhookClient",
            "a function",
        ] {
            assert!(
                message.contains(choice),
                "the message should name {choice}: {message}"
            );
        }
    }
    assert_eq!(updates.len(), 0);
}

// ---------------------------------------------------------------------------
// bx24Client over a stand-in for the BX24 library
// ---------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn bx24_silent_call_times_out() {
    let double = bx24_double(&parse_json(
        r#"[
            {"silent": true},
            {"result": {"status": "P", "progress": {"action": "load", "step": 1, "section": "CRM_STATUS"}}, "noAnswer": true},
            {"result": {"status": "F", "additional": [], "createItemList": []}, "time": {"operating": 0.2}}
        ]"#,
    ));
    let client = bx24_client(double.clone()).expect("the double has callMethod");
    assert_eq!(client.kind(), "bx24");
    let updates = Updates::recording();
    let watch_options = js_object(&[
        ("client", client.into()),
        ("intervalMs", JsValue::from(10)),
        ("requestTimeoutMs", JsValue::from(30)),
    ]);
    let watch = watch_import(
        JsValue::from(PROCESS_ID),
        updates.callback.clone(),
        watch_options,
    );

    let done = expect_resolve(&watch.done()).await;

    assert_eq!(text_at(&done, "code").as_deref(), Some("F"));
    assert_eq!(bx24_call_count(&double), Some(3));
    assert_eq!(
        text_at(&double, "calls.0.method").as_deref(),
        Some(GET_METHOD)
    );
    assert_eq!(
        number_at(&double, "calls.0.params.processId"),
        Some(PROCESS_ID)
    );

    assert_eq!(updates.len(), 3);
    let timed_out = updates.get(0);
    assert_eq!(
        text_at(&timed_out, "error.kind").as_deref(),
        Some("timeout")
    );
    assert_eq!(at(&timed_out, "error.retryable").as_bool(), Some(true));
    let message = text_at(&timed_out, "error.message").unwrap_or_default();
    assert!(
        message.contains("30 ms"),
        "the message should give the request limit: {message}"
    );
    assert!(
        message.contains("BX24.callMethod"),
        "the message should explain the silent library: {message}"
    );
    assert!(
        at(&timed_out, "status").is_null(),
        "no status has been read yet"
    );
    assert_eq!(
        text_at(&updates.get(1), "status.progress.section").as_deref(),
        Some("CRM_STATUS")
    );
}

#[wasm_bindgen_test]
async fn bx24_access_denied_fails() {
    let double = bx24_double(&parse_json(
        r#"[{"error": "ACCESS_DENIED", "description": "Access denied!", "status": 403}]"#,
    ));
    let client = bx24_client(double.clone()).expect("the double has callMethod");
    let updates = Updates::recording();
    let watch_options = js_object(&[("client", client.into()), ("intervalMs", JsValue::from(10))]);
    let watch = watch_import(
        JsValue::from(PROCESS_ID),
        updates.callback.clone(),
        watch_options,
    );

    let error = expect_reject(&watch.done()).await;

    assert_eq!(text_at(&error, "kind").as_deref(), Some("rest"));
    assert_eq!(text_at(&error, "code").as_deref(), Some("ACCESS_DENIED"));
    assert_eq!(number_at(&error, "httpStatus"), Some(403.0));
    assert_eq!(at(&error, "retryable").as_bool(), Some(false));
    assert_eq!(
        bx24_call_count(&double),
        Some(1),
        "a fatal error should not be retried"
    );
}

#[wasm_bindgen_test]
fn bx24_client_needs_call_method() {
    let error = bx24_client(Object::new().into())
        .expect_err("an object without callMethod is not a BX24 library");

    assert_eq!(text_at(&error, "kind").as_deref(), Some("invalid_argument"));
}

// ---------------------------------------------------------------------------
// webhookClient
// ---------------------------------------------------------------------------

const SECRET: &str = "SECRETMARKER";

#[wasm_bindgen_test]
fn webhook_plain_http_rejected() {
    let error = webhook_client(JsValue::from_str("http://example.com/rest/1/SECRETMARKER/"))
        .expect_err("plain http is accepted only for loopback hosts");

    assert_eq!(text_at(&error, "name").as_deref(), Some("WatchError"));
    assert_eq!(text_at(&error, "kind").as_deref(), Some("invalid_argument"));
    let message = text_at(&error, "message").unwrap_or_default();
    assert!(!message.is_empty(), "the error should have a message");
    assert!(
        !message.contains(SECRET),
        "the message leaks the secret: {message}"
    );
}

// NOTE: Node's fetch rejects port 9 as a "bad port" before connecting, so in
// Node this case covers the error path of a refused request, not of a refused
// connection. Both reach the same scrubbing code.
#[wasm_bindgen_test]
async fn webhook_unreachable_hides_secret() {
    let client = webhook_client(JsValue::from_str("http://127.0.0.1:9/rest/1/SECRETMARKER/"))
        .expect("plain http is accepted for 127.0.0.1");
    assert_eq!(client.kind(), "webhook");

    let watch_options = js_object(&[("client", client.into())]);
    let error = expect_reject(&get_import_status(JsValue::from(PROCESS_ID), watch_options)).await;

    assert_eq!(text_at(&error, "name").as_deref(), Some("WatchError"));
    assert_eq!(text_at(&error, "kind").as_deref(), Some("network"));
    assert_eq!(at(&error, "retryable").as_bool(), Some(true));
    let message = text_at(&error, "message").unwrap_or_default();
    assert!(
        !message.contains(SECRET),
        "the message leaks the secret: {message}"
    );
    assert!(
        message.contains("http://127.0.0.1:9/rest/1/***/"),
        "the message should show the redacted URL: {message}"
    );
}
