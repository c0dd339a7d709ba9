//! The status of an import as `configuration.import.get` reports it.
//!
//! The server's shapes are irregular (PHP lists arrive as arrays or as objects
//! with gaps in their keys, `progress.action` can be `false`, empty fields are
//! left out), so this module turns them into one typed [`ImportStatus`].
//! Source: the method's documentation (dev.1c-bitrix.ru/rest_help/configuration_import/)
//! and the server code in `modules/rest/lib/configuration/` of the `rest` module.

use crate::error::WatchError;
use crate::value::{integer_text, number_text, parse_decimal, Value};
use serde::Serialize;

/// The six actions an import goes through, in order. `clean` is skipped when
/// the solution's manifest sets `SKIP_CLEARING=Y`.
pub const ACTIONS: [&str; 6] = ["start", "init_background", "manifest", "clean", "load", "finish"];

/// The status letter of an import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum StatusCode {
    /// Registered; the agent has not run yet.
    S,
    /// In progress.
    P,
    /// Finished.
    F,
    /// Stopped by an error.
    E,
    /// Unknown process: a wrong id, or data the server already purged.
    U,
}

impl StatusCode {
    /// Parses the one-letter status the server sends.
    pub fn from_letter(letter: &str) -> Option<StatusCode> {
        match letter {
            "S" => Some(StatusCode::S),
            "P" => Some(StatusCode::P),
            "F" => Some(StatusCode::F),
            "E" => Some(StatusCode::E),
            "U" => Some(StatusCode::U),
            _ => None,
        }
    }

    /// Returns the letter as the server sends it.
    pub fn letter(self) -> &'static str {
        match self {
            StatusCode::S => "S",
            StatusCode::P => "P",
            StatusCode::F => "F",
            StatusCode::E => "E",
            StatusCode::U => "U",
        }
    }

    /// The state word for this letter.
    pub fn state(self) -> State {
        match self {
            StatusCode::S => State::Started,
            StatusCode::P => State::Running,
            StatusCode::F => State::Finished,
            StatusCode::E => State::Failed,
            StatusCode::U => State::Unknown,
        }
    }

    /// Whether the import can no longer change: `F`, `E` and `U`.
    pub fn is_terminal(self) -> bool {
        matches!(self, StatusCode::F | StatusCode::E | StatusCode::U)
    }
}

/// The state of an import in words, one per [`StatusCode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// `S`.
    Started,
    /// `P`.
    Running,
    /// `F`.
    Finished,
    /// `E`.
    Failed,
    /// `U`.
    Unknown,
}

impl State {
    /// Returns the state word in lowercase, as `ImportStatus.state` has it in JS.
    pub fn name(self) -> &'static str {
        match self {
            State::Started => "started",
            State::Running => "running",
            State::Finished => "finished",
            State::Failed => "failed",
            State::Unknown => "unknown",
        }
    }
}

/// Where the import is within its current action.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Progress {
    /// The current action, or `None` in the gap after `finish` ran and before
    /// the next agent run sets `F` (the server sends `false` there).
    pub action: Option<String>,
    /// The step within the action: chunks of files for `init_background`,
    /// files of the current section for `load`.
    pub step: u64,
    /// The code of the entity section in work, such as `CRM_STATUS`.
    pub section: Option<String>,
}

/// The position of the current action in [`ACTIONS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Phase {
    /// Zero-based index into [`ACTIONS`]; `5` (`finish`) in the gap after it.
    pub index: u32,
    /// The number of actions, always 6.
    pub count: u32,
}

/// One entry of `notice`, `errors` or `exception`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Notification {
    /// The server's code; often empty.
    pub code: String,
    /// The text to show.
    pub message: String,
    /// `notice`, `error` or `exception`, as the server labelled the entry.
    #[serde(rename = "type")]
    pub kind: String,
}

/// The `time` block of a REST response. Portals differ in which fields they
/// send, so each is optional and a field of the wrong type reads as absent.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerTime {
    /// Unix seconds when the server began the request.
    pub start: Option<f64>,
    /// Unix seconds when the server finished the request.
    pub finish: Option<f64>,
    /// Seconds the request took.
    pub duration: Option<f64>,
    /// Seconds spent in the method itself.
    pub processing: Option<f64>,
    /// `start` as ISO 8601 with an offset.
    pub date_start: Option<String>,
    /// `finish` as ISO 8601 with an offset.
    pub date_finish: Option<String>,
    /// Seconds of the method's operating-time budget used in the window.
    pub operating: Option<f64>,
    /// Unix seconds when the operating-time budget resets.
    pub operating_reset_at: Option<f64>,
}

impl ServerTime {
    /// Reads a `time` block, ignoring fields of unexpected types.
    pub fn from_value(value: &Value) -> ServerTime {
        let number = |key: &str| value.get(key).and_then(lenient_number);
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
        ServerTime {
            start: number("start"),
            finish: number("finish"),
            duration: number("duration"),
            processing: number("processing"),
            date_start: text("date_start"),
            date_finish: text("date_finish"),
            operating: number("operating"),
            operating_reset_at: number("operating_reset_at"),
        }
    }
}

/// The typed status of one import.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportStatus {
    /// The watched process id, when known.
    pub process_id: Option<u64>,
    /// The status letter.
    pub code: StatusCode,
    /// The status in words.
    pub state: State,
    /// Whether the status can no longer change.
    pub terminal: bool,
    /// The progress block; present for `P`, and for `E` when the import
    /// stopped during an action.
    pub progress: Option<Progress>,
    /// The position of the current action; `None` without progress or for an
    /// action name this crate does not know.
    pub phase: Option<Phase>,
    /// Non-critical messages.
    pub notices: Vec<Notification>,
    /// Errors after which the import went on.
    pub errors: Vec<Notification>,
    /// Errors that stopped the import.
    pub exceptions: Vec<Notification>,
    /// Solution-specific data sent with `F`, as the server sent it.
    pub additional: Option<Value>,
    /// The items the import created (`createItemList`), as the server sent them.
    pub created_items: Vec<Value>,
    /// The server's `time` block.
    pub time: Option<ServerTime>,
}

impl ImportStatus {
    /// Builds the status from the `result` of `configuration.import.get` and
    /// the envelope's `time` block.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidResponse`](crate::error::ErrorKind) error when
    /// `result` is not an object, `status` is missing or not one of
    /// `S`/`P`/`F`/`E`/`U`, or a field has a type the server never sends.
    pub fn from_result(
        result: &Value,
        time: Option<&Value>,
        process_id: Option<u64>,
    ) -> Result<ImportStatus, WatchError> {
        if !matches!(result, Value::Object(_)) {
            return Err(invalid(format!(
                "result is {}, expected an object with a status",
                result.type_name()
            )));
        }

        let letter = match result.get("status") {
            Some(Value::String(letter)) => letter,
            Some(other) => {
                return Err(invalid(format!(
                    "result.status is {}, expected one of S, P, F, E, U",
                    other.type_name()
                )))
            }
            None => return Err(invalid("result.status is missing".to_owned())),
        };
        let code = StatusCode::from_letter(letter).ok_or_else(|| {
            invalid(format!(
                "result.status is \"{}\", expected one of S, P, F, E, U",
                clip(letter)
            ))
        })?;

        let progress = match result.get("progress") {
            None | Some(Value::Null) => None,
            Some(value) => Some(parse_progress(value)?),
        };
        let phase = progress.as_ref().and_then(phase_of);

        Ok(ImportStatus {
            process_id,
            code,
            state: code.state(),
            terminal: code.is_terminal(),
            progress,
            phase,
            notices: parse_notifications(result.get("notice"), "notice")?,
            errors: parse_notifications(result.get("errors"), "errors")?,
            exceptions: parse_notifications(result.get("exception"), "exception")?,
            additional: result.get("additional").cloned(),
            created_items: parse_created_items(result.get("createItemList"))?,
            time: time.filter(|t| matches!(t, Value::Object(_))).map(ServerTime::from_value),
        })
    }

    /// Whether `other` reports a different import state, ignoring the
    /// `time` block, which changes with every request.
    pub fn differs_from(&self, other: &ImportStatus) -> bool {
        self.code != other.code
            || self.progress != other.progress
            || self.notices != other.notices
            || self.errors != other.errors
            || self.exceptions != other.exceptions
            || self.additional != other.additional
            || self.created_items != other.created_items
    }
}

fn invalid(detail: String) -> WatchError {
    WatchError::invalid_response(
        Some(200),
        format!("configuration.import.get returned an unexpected body: {detail}"),
    )
}

/// Shortens server text quoted in an error message.
fn clip(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    let mut clipped: String = text.chars().take(MAX_CHARS).collect();
    if text.chars().count() > MAX_CHARS {
        clipped.push('…');
    }
    clipped
}

/// Reads a number sent as a JSON number or as a numeric string, since PHP
/// code sometimes returns integers as strings.
fn lenient_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => Some(*number),
        Value::String(text) => parse_decimal(text.trim()).filter(|n| n.is_finite()),
        _ => None,
    }
}

fn parse_progress(value: &Value) -> Result<Progress, WatchError> {
    if !matches!(value, Value::Object(_)) {
        return Err(invalid(format!(
            "result.progress is {}, expected an object",
            value.type_name()
        )));
    }

    let action = match value.get("action") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => None,
        Some(Value::String(action)) if action.is_empty() => None,
        Some(Value::String(action)) => Some(action.clone()),
        Some(other) => {
            return Err(invalid(format!(
                "result.progress.action is {}, expected a string or false",
                other.type_name()
            )))
        }
    };

    let step = match value.get("step") {
        None | Some(Value::Null) => 0,
        Some(raw) => match lenient_number(raw) {
            Some(number) if number >= 0.0 && number.fract() == 0.0 && number <= 9.0e15 => {
                number as u64
            }
            _ => {
                return Err(invalid(format!(
                    "result.progress.step is {}, expected a non-negative integer",
                    raw.type_name()
                )))
            }
        },
    };

    let section = match value.get("section") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => None,
        Some(Value::String(section)) if section.is_empty() => None,
        Some(Value::String(section)) => Some(section.clone()),
        Some(other) => {
            return Err(invalid(format!(
                "result.progress.section is {}, expected a string",
                other.type_name()
            )))
        }
    };

    Ok(Progress {
        action,
        step,
        section,
    })
}

fn phase_of(progress: &Progress) -> Option<Phase> {
    let index = match &progress.action {
        // The gap after `finish`: that action is done, `F` comes next.
        None => ACTIONS.len() - 1,
        Some(action) => ACTIONS.iter().position(|known| known == action)?,
    };
    Some(Phase {
        index: index as u32,
        count: ACTIONS.len() as u32,
    })
}

/// The items of a PHP list, which arrives as an array or, after `unset()`
/// left gaps in its keys, as an object keyed by numeric strings. Object items
/// come back ordered by their numeric keys.
fn list_items<'a>(value: &'a Value, field: &str) -> Result<Vec<&'a Value>, WatchError> {
    match value {
        Value::Array(items) => Ok(items.iter().collect()),
        Value::Object(entries) => {
            // Numeric keys in numeric order, then any other keys as they came.
            // An insertion sort keeps the wasm free of the standard library's
            // sort code. The server sends the keys in ascending order as a
            // rule, so each item goes in at the end and the sort is linear.
            let mut sorted: Vec<((bool, u64, usize), &Value)> = Vec::with_capacity(entries.len());
            for (position, (key, item)) in entries.iter().enumerate() {
                let number = key.parse::<u64>().ok();
                let sort_key = (number.is_none(), number.unwrap_or(0), position);
                let place = sorted.iter().rposition(|(earlier, _)| *earlier < sort_key).map_or(0, |index| index + 1);
                sorted.insert(place, (sort_key, item));
            }
            Ok(sorted.into_iter().map(|(_, item)| item).collect())
        }
        // PHP sends `false` or nothing for some empty lists.
        Value::Null | Value::Bool(false) => Ok(Vec::new()),
        other => Err(invalid(format!(
            "result.{field} is {}, expected an array or an object",
            other.type_name()
        ))),
    }
}

fn parse_notifications(value: Option<&Value>, field: &str) -> Result<Vec<Notification>, WatchError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let default_kind = match field {
        "notice" => "notice",
        "errors" => "error",
        _ => "exception",
    };

    let items = list_items(value, field)?;
    let mut notifications = Vec::with_capacity(items.len());
    for item in items {
        notifications.push(match item {
            Value::String(message) => Notification {
                code: String::new(),
                message: message.clone(),
                kind: default_kind.to_owned(),
            },
            Value::Object(_) => Notification {
                code: text_field(item, "code"),
                message: text_field(item, "message"),
                kind: match item.get("type").and_then(Value::as_str) {
                    Some(kind) if !kind.is_empty() => kind.to_owned(),
                    _ => default_kind.to_owned(),
                },
            },
            other => {
                return Err(invalid(format!(
                    "an item of result.{field} is {}, expected an object or a string",
                    other.type_name()
                )))
            }
        });
    }
    Ok(notifications)
}

/// Reads a text field that PHP may send as a string or a number.
fn text_field(item: &Value, key: &str) -> String {
    match item.get(key) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) if number.fract() == 0.0 => integer_text(*number),
        Some(Value::Number(number)) => number_text(*number),
        _ => String::new(),
    }
}

fn parse_created_items(value: Option<&Value>) -> Result<Vec<Value>, WatchError> {
    match value {
        None => Ok(Vec::new()),
        Some(value) => Ok(list_items(value, "createItemList")?.into_iter().cloned().collect()),
    }
}
