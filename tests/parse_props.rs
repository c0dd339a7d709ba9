#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Property tests: the response parsers never panic on any JSON-like input,
//! because a panic poisons the wasm instance, and every status they return
//! is consistent with its status letter.
//!
//! The case count is proptest's default (256). Set `PROPTEST_CASES` to run more.

use b24_import_watch::envelope::{self, GET_METHOD, UNREGISTER_METHOD};
use b24_import_watch::status::ACTIONS;
use b24_import_watch::{ErrorKind, ImportStatus, State, StatusCode, Value};
use proptest::prelude::*;

const PROCESS_ID: u64 = 42;
const MAX_DEPTH: u32 = 6;

// Leaves.

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        (-1_000i64..1_000).prop_map(|whole| whole as f64),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(0.5),
        Just(-1.0),
        Just(9.0e15),
        Just(9.1e15),
        Just(1e300),
        Just(-1e300),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[A-Za-z0-9_]{0,12}",
        "\\PC{0,20}",
        prop::sample::select(vec![
            "",
            "S",
            "P",
            "F",
            "E",
            "U",
            "X",
            "p",
            "Y",
            "N",
            "start",
            "init_background",
            "manifest",
            "clean",
            "load",
            "finish",
            "0",
            "1",
            "10",
            "-1",
            "1.5",
            "1e3",
            " 7 ",
            "NaN",
            "inf",
            "Ж",
            "🦀",
            "\u{0}",
        ])
        .prop_map(str::to_owned),
    ]
}

/// Generates object keys: numeric strings as PHP lists with gaps send them,
/// the field names the parser looks for, and any other text.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..20).prop_map(|index| index.to_string()),
        any::<u64>().prop_map(|index| index.to_string()),
        prop::sample::select(vec![
            "status",
            "progress",
            "action",
            "step",
            "section",
            "notice",
            "errors",
            "exception",
            "additional",
            "createItemList",
            "code",
            "message",
            "type",
            "error",
            "error_description",
            "result",
            "time",
            "success",
            "operating_reset_at",
            "01",
            "+1",
            "-1",
            "99999999999999999999999",
        ])
        .prop_map(str::to_owned),
        text(),
    ]
}

fn leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number().prop_map(Value::Number),
        text().prop_map(Value::String),
    ]
    .boxed()
}

/// Generates JSON-like trees at most `MAX_DEPTH` levels deep.
fn value() -> BoxedStrategy<Value> {
    leaf()
        .prop_recursive(MAX_DEPTH, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec((key(), inner), 0..8).prop_map(Value::Object),
            ]
        })
        .boxed()
}

// Envelopes around a `configuration.import.get` result.

fn object(entries: Vec<(&str, Option<Value>)>) -> Value {
    Value::Object(
        entries
            .into_iter()
            .filter_map(|(key, value)| value.map(|value| (key.to_owned(), value)))
            .collect(),
    )
}

fn status_value() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => prop::sample::select(vec!["S", "P", "F", "E", "U"]).prop_map(|letter| Value::String(letter.to_owned())),
        1 => value(),
    ]
    .boxed()
}

fn progress_value() -> BoxedStrategy<Value> {
    let action = prop_oneof![
        3 => prop::sample::select(ACTIONS.to_vec()).prop_map(|action| Value::String(action.to_owned())),
        1 => Just(Value::Bool(false)),
        1 => value(),
    ];
    let step = prop_oneof![
        3 => (0u64..10_000).prop_map(|step| Value::Number(step as f64)),
        2 => (0u64..10_000).prop_map(|step| Value::String(step.to_string())),
        1 => value(),
    ];
    let section = prop_oneof![
        3 => "[A-Z_]{1,20}".prop_map(Value::String),
        1 => value(),
    ];
    prop_oneof![
        4 => (prop::option::of(action), prop::option::of(step), prop::option::of(section)).prop_map(
            |(action, step, section)| object(vec![("action", action), ("step", step), ("section", section)])
        ),
        1 => value(),
    ]
    .boxed()
}

/// Generates a notification field: mostly text, as the server sends it, and sometimes any value.
fn item_field() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => text().prop_map(Value::String),
        1 => value(),
    ]
    .boxed()
}

fn notification_item() -> BoxedStrategy<Value> {
    prop_oneof![
        10 => (prop::option::of(item_field()), prop::option::of(item_field()), prop::option::of(item_field())).prop_map(
            |(code, message, kind)| object(vec![("code", code), ("message", message), ("type", kind)])
        ),
        1 => text().prop_map(Value::String),
        1 => value(),
    ]
    .boxed()
}

/// Generates a PHP list as the server sends it, either an array or an object
/// keyed by numeric strings with gaps, in any key order.
fn list_of(item: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop_oneof![
        4 => prop::collection::vec(item.clone(), 0..6).prop_map(Value::Array),
        4 => prop::collection::vec((0u64..30, item), 0..6).prop_map(|entries| {
            Value::Object(
                entries
                    .into_iter()
                    .map(|(index, item)| (index.to_string(), item))
                    .collect(),
            )
        }),
        1 => Just(Value::Bool(false)),
        1 => value(),
    ]
    .boxed()
}

fn time_value() -> BoxedStrategy<Value> {
    prop_oneof![
        (
            prop::option::of(number()),
            prop::option::of(value()),
            prop::option::of(value())
        )
            .prop_map(|(start, operating, reset_at)| object(vec![
                ("start", start.map(Value::Number)),
                ("operating", operating),
                ("operating_reset_at", reset_at),
            ])),
        value(),
    ]
    .boxed()
}

fn result_value() -> BoxedStrategy<Value> {
    (
        prop::option::of(status_value()),
        prop::option::of(progress_value()),
        prop::option::of(list_of(notification_item())),
        prop::option::of(list_of(notification_item())),
        prop::option::of(list_of(notification_item())),
        prop::option::of(value()),
        prop::option::of(list_of(value())),
        prop::option::of(value()),
    )
        .prop_map(
            |(status, progress, notice, errors, exception, additional, created, success)| {
                object(vec![
                    ("status", status),
                    ("progress", progress),
                    ("notice", notice),
                    ("errors", errors),
                    ("exception", exception),
                    ("additional", additional),
                    ("createItemList", created),
                    ("success", success),
                ])
            },
        )
        .boxed()
}

fn envelope_value() -> BoxedStrategy<Value> {
    (
        prop_oneof![6 => result_value(), 1 => value()],
        prop::option::of(time_value()),
        prop_oneof![4 => Just(None), 1 => value().prop_map(Some)],
    )
        .prop_map(|(result, time, error)| object(vec![("result", Some(result)), ("time", time), ("error", error)]))
        .boxed()
}

fn http_status() -> impl Strategy<Value = Option<u16>> {
    prop_oneof![
        3 => Just(Some(200)),
        1 => Just(None),
        1 => any::<u16>().prop_map(Some),
    ]
}

fn now_ms() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => Just(1_733_318_190_000.0),
        1 => number(),
    ]
}

// Well-formed results, as a portal sends them.

/// Generates a notification as `(code, message, type)`.
fn well_formed_item() -> impl Strategy<Value = (String, String, String)> {
    (
        "[A-Z0-9_]{0,12}",
        "\\PC{0,30}",
        prop::sample::select(vec!["notice", "error", "exception"]).prop_map(str::to_owned),
    )
}

fn item_value((code, message, kind): &(String, String, String)) -> Value {
    Value::Object(vec![
        ("code".to_owned(), Value::String(code.clone())),
        ("message".to_owned(), Value::String(message.clone())),
        ("type".to_owned(), Value::String(kind.clone())),
    ])
}

/// Generates a list, sent as an array or as an object with distinct numeric
/// keys in shuffled order, paired with its items in the order the parser must
/// return them.
fn well_formed_list() -> impl Strategy<Value = (Value, Vec<(String, String, String)>)> {
    prop_oneof![
        prop::collection::vec(well_formed_item(), 0..5).prop_map(|items| {
            let value = Value::Array(items.iter().map(item_value).collect());
            (value, items)
        }),
        prop::collection::btree_map(0u64..1_000, well_formed_item(), 0..5)
            .prop_flat_map(|by_key| {
                let entries: Vec<(u64, (String, String, String))> = by_key.into_iter().collect();
                Just(entries.clone())
                    .prop_shuffle()
                    .prop_map(move |shuffled| (shuffled, entries.clone()))
            })
            .prop_map(|(shuffled, in_key_order)| {
                let value = Value::Object(
                    shuffled
                        .iter()
                        .map(|(index, item)| (index.to_string(), item_value(item)))
                        .collect(),
                );
                (value, in_key_order.into_iter().map(|(_, item)| item).collect())
            }),
    ]
}

// Checks.

fn letter(code: StatusCode) -> &'static str {
    match code {
        StatusCode::S => "S",
        StatusCode::P => "P",
        StatusCode::F => "F",
        StatusCode::E => "E",
        StatusCode::U => "U",
    }
}

/// Checks that a parsed status agrees with itself and with the body it came from.
fn check_status(status: &ImportStatus, body: &Value) -> Result<(), TestCaseError> {
    let expected_state = match status.code {
        StatusCode::S => State::Started,
        StatusCode::P => State::Running,
        StatusCode::F => State::Finished,
        StatusCode::E => State::Failed,
        StatusCode::U => State::Unknown,
    };
    let terminal = matches!(status.code, StatusCode::F | StatusCode::E | StatusCode::U);
    prop_assert_eq!(status.state, expected_state);
    prop_assert_eq!(status.terminal, terminal);
    prop_assert_eq!(status.process_id, Some(PROCESS_ID));

    let sent_letter = body
        .get("result")
        .and_then(|result| result.get("status"))
        .and_then(Value::as_str);
    prop_assert_eq!(sent_letter, Some(letter(status.code)));

    if let Some(phase) = status.phase {
        prop_assert!(phase.index < 6, "phase index {}", phase.index);
        prop_assert_eq!(phase.count, 6);
        prop_assert!(status.progress.is_some(), "a phase without progress");
    }
    if let Some(progress) = &status.progress {
        prop_assert!(progress.step <= 9_000_000_000_000_000, "step {}", progress.step);
        if let Some(action) = &progress.action {
            prop_assert!(!action.is_empty());
            prop_assert_eq!(status.phase.is_some(), ACTIONS.contains(&action.as_str()));
        } else {
            prop_assert_eq!(status.phase.map(|phase| phase.index), Some(5));
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn get_never_panics_on_any_value(body in value(), http_status in http_status(), now_ms in now_ms()) {
        match envelope::parse_get_response(http_status, &body, Some(PROCESS_ID), now_ms) {
            Ok(status) => check_status(&status, &body)?,
            Err(error) if body.get("error").is_some() => prop_assert_eq!(error.kind, ErrorKind::Rest),
            Err(error) => prop_assert_eq!(error.kind, ErrorKind::InvalidResponse),
        }
    }

    #[test]
    fn get_handles_any_envelope(body in envelope_value(), http_status in http_status(), now_ms in now_ms()) {
        match envelope::parse_get_response(http_status, &body, Some(PROCESS_ID), now_ms) {
            Ok(status) => check_status(&status, &body)?,
            Err(error) => {
                prop_assert!(error.message.starts_with(GET_METHOD), "message: {}", error.message);
                prop_assert_eq!(error.http_status, http_status);
                if body.get("error").is_none() {
                    prop_assert_eq!(error.kind, ErrorKind::InvalidResponse);
                    prop_assert!(error.retryable());
                } else {
                    prop_assert_eq!(error.kind, ErrorKind::Rest);
                }
            }
        }
    }

    #[test]
    fn unregister_never_panics(
        body in prop_oneof![value(), envelope_value()],
        http_status in http_status(),
        now_ms in now_ms(),
    ) {
        match envelope::parse_unregister_response(http_status, &body, now_ms) {
            Ok(()) => {
                let success = body.get("result").and_then(|result| result.get("success"));
                let succeeded = matches!(success, Some(Value::Bool(true)))
                    || success.and_then(Value::as_str) == Some("Y");
                prop_assert!(succeeded, "Ok without success in {:?}", body);
            }
            Err(error) => {
                prop_assert!(error.message.starts_with(UNREGISTER_METHOD), "message: {}", error.message);
            }
        }
    }

    #[test]
    fn unparsable_body_never_panics(text in any::<String>(), http_status in http_status()) {
        let error = envelope::unparsable_body(GET_METHOD, http_status, &text);

        prop_assert_eq!(error.kind, ErrorKind::InvalidResponse);
        prop_assert_eq!(error.http_status, http_status);
        prop_assert!(error.retryable());
    }

    #[test]
    fn well_formed_result_parses(
        letter in prop::sample::select(vec!["S", "P", "F", "E", "U"]),
        action in prop::option::of(prop::sample::select(ACTIONS.to_vec())),
        step in 0u64..1_000_000,
        step_as_text in any::<bool>(),
        section in prop::option::of("[A-Z_]{1,20}"),
        (notice, notices) in well_formed_list(),
        (errors, error_items) in well_formed_list(),
        (exception, exceptions) in well_formed_list(),
    ) {
        let step_value = if step_as_text { Value::String(step.to_string()) } else { Value::Number(step as f64) };
        let action_value = action.map_or(Value::Bool(false), |action| Value::String(action.to_owned()));
        let progress = object(vec![
            ("action", Some(action_value)),
            ("step", Some(step_value)),
            ("section", section.clone().map(Value::String)),
        ]);
        let result = object(vec![
            ("status", Some(Value::String(letter.to_owned()))),
            ("progress", Some(progress)),
            ("notice", Some(notice)),
            ("errors", Some(errors)),
            ("exception", Some(exception)),
        ]);
        let body = object(vec![("result", Some(result))]);

        let status = envelope::parse_get_response(Some(200), &body, Some(PROCESS_ID), 0.0);

        let status = match status {
            Ok(status) => status,
            Err(error) => return Err(TestCaseError::fail(format!("well-formed body rejected: {error}"))),
        };
        check_status(&status, &body)?;
        let progress = status.progress.as_ref().expect("progress was sent");
        prop_assert_eq!(progress.action.as_deref(), action);
        prop_assert_eq!(progress.step, step);
        prop_assert_eq!(&progress.section, &section);
        let expected_index = action.map_or(5, |action| ACTIONS.iter().position(|known| *known == action).unwrap());
        prop_assert_eq!(status.phase.map(|phase| phase.index as usize), Some(expected_index));
        let as_tuples = |list: &[b24_import_watch::Notification]| -> Vec<(String, String, String)> {
            list.iter().map(|item| (item.code.clone(), item.message.clone(), item.kind.clone())).collect()
        };
        prop_assert_eq!(as_tuples(&status.notices), notices);
        prop_assert_eq!(as_tuples(&status.errors), error_items);
        prop_assert_eq!(as_tuples(&status.exceptions), exceptions);
    }
}
