//! The widget's message files (`i18n/*.json`): every language has exactly
//! the keys of `en.json`, each value has the same shape and placeholders,
//! and every key that the widget's code requests exists.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use b24_import_watch::status::ACTIONS;
use serde_json::Value;

#[path = "../src/widget/sections.rs"]
mod sections;

/// The Bitrix24 language ids with a message file.
const LANGUAGES: [&str; 10] = ["en", "ru", "ua", "de", "la", "br", "pl", "fr", "it", "tr"];

/// The plural categories of `Intl.PluralRules` (CLDR).
const PLURAL_CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_messages(id: &str) -> BTreeMap<String, Value> {
    let path = root().join("i18n").join(format!("{id}.json"));
    let text = fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let value: Value = serde_json::from_str(&text).unwrap_or_else(|error| panic!("{id}.json is not valid JSON: {error}"));
    match value {
        Value::Object(map) => map.into_iter().collect(),
        other => panic!("{id}.json holds {other}, expected an object of messages"),
    }
}

/// Returns the placeholder names of `text`, or an error for a brace that
/// opens no well-formed `{name}`.
fn placeholders(text: &str) -> Result<BTreeSet<String>, String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        let (_, from_brace) = rest.split_at(open);
        if from_brace.starts_with('}') {
            return Err(format!("a '}}' without '{{' in {text:?}"));
        }
        let close = from_brace
            .find('}')
            .ok_or_else(|| format!("a '{{' without '}}' in {text:?}"))?;
        let name = &from_brace[1..close];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(format!("placeholder {{{name}}} in {text:?} is not a plain name"));
        }
        names.insert(name.to_owned());
        rest = &from_brace[close + 1..];
    }
    Ok(names)
}

/// Returns the placeholders of a message: of the string, or of all plural forms.
fn message_placeholders(id: &str, key: &str, value: &Value) -> BTreeSet<String> {
    let texts: Vec<&str> = match value {
        Value::String(text) => vec![text],
        Value::Object(forms) => forms.values().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    texts
        .iter()
        .flat_map(|text| placeholders(text).unwrap_or_else(|error| panic!("{id}.json {key}: {error}")))
        .collect()
}

/// Every file has a row in the widget's language table, and English, the
/// fallback, is embedded. scripts/build.mjs makes a module of every other
/// file, which the widget loads when it shows that language.
#[test]
fn every_language_has_a_file_in_the_table() {
    let source = fs::read_to_string(root().join("src/widget/i18n.rs")).expect("read src/widget/i18n.rs");
    let mut files: Vec<String> = fs::read_dir(root().join("i18n"))
        .expect("read i18n/")
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json"))
        .collect();
    files.sort();
    let mut expected: Vec<String> = LANGUAGES.iter().map(|id| format!("{id}.json")).collect();
    expected.sort();
    assert_eq!(files, expected);

    for id in LANGUAGES {
        let row = format!("language(\"{id}\", ");
        assert!(source.contains(&row), "the language table in src/widget/i18n.rs lacks {id}");
    }
    assert!(
        source.contains("include_str!(\"../../i18n/en.json\")"),
        "src/widget/i18n.rs does not embed en.json"
    );
}

#[test]
fn languages_have_exactly_the_english_keys() {
    let english = read_messages("en");
    for id in LANGUAGES {
        let messages = read_messages(id);
        let missing: Vec<&String> = english.keys().filter(|key| !messages.contains_key(*key)).collect();
        let extra: Vec<&String> = messages.keys().filter(|key| !english.contains_key(*key)).collect();
        assert!(missing.is_empty(), "{id}.json lacks {missing:?}");
        assert!(extra.is_empty(), "{id}.json has keys that en.json lacks: {extra:?}");
    }
}

#[test]
fn messages_are_strings_or_plural_forms() {
    let english = read_messages("en");
    for id in LANGUAGES {
        for (key, value) in read_messages(id) {
            match (&value, english.get(&key)) {
                (Value::String(text), Some(Value::String(_))) => {
                    assert!(!text.trim().is_empty(), "{id}.json {key} is empty");
                }
                (Value::Object(forms), Some(Value::Object(_))) => {
                    assert!(forms.contains_key("other"), "{id}.json {key} lacks the \"other\" form");
                    for (category, text) in forms {
                        assert!(
                            PLURAL_CATEGORIES.contains(&category.as_str()),
                            "{id}.json {key} has the form {category:?}, which is no plural category"
                        );
                        assert!(
                            text.as_str().is_some_and(|text| !text.trim().is_empty()),
                            "{id}.json {key}.{category} is not a non-empty string"
                        );
                    }
                }
                (value, english_value) => panic!(
                    "{id}.json {key} is {value}, while en.json has {english_value:?}; both must be a string or both plural forms"
                ),
            }
        }
    }
}

#[test]
fn placeholders_match_english() {
    let english = read_messages("en");
    for id in LANGUAGES {
        for (key, value) in read_messages(id) {
            let Some(english_value) = english.get(&key) else { continue };
            let expected = message_placeholders("en", &key, english_value);
            assert_eq!(
                message_placeholders(id, &key, &value),
                expected,
                "{id}.json {key} has other placeholders than en.json"
            );
            if let Value::Object(forms) = &value {
                for (category, text) in forms {
                    let names = placeholders(text.as_str().unwrap_or_default()).unwrap_or_default();
                    assert!(names.is_subset(&expected), "{id}.json {key}.{category} has an unknown placeholder");
                }
            }
        }
    }
}

#[test]
fn every_action_and_section_has_a_name() {
    let english = read_messages("en");
    for action in ACTIONS {
        assert!(english.contains_key(&format!("action.{action}")), "en.json lacks action.{action}");
    }
    for code in sections::KNOWN_SECTIONS {
        let key = sections::name_key(code).expect("a known section has a key");
        assert!(english.contains_key(&key), "en.json lacks {key}");
    }
    assert_eq!(sections::name_key("CRM_DEAL_CATEGORY"), None);
}

/// Collects the string literals in the widget's sources that look like
/// message keys: a known first segment, then dotted segments.
fn keys_in_code() -> BTreeSet<String> {
    const FIRST_SEGMENTS: [&str; 16] = [
        "widget", "process", "state", "action", "steps", "step", "progress", "detail", "elapsed", "next",
        "connection", "watch", "cancel", "list", "finished", "section",
    ];
    let directory = root().join("src/widget");
    let mut keys = BTreeSet::new();
    for entry in fs::read_dir(&directory).expect("read src/widget") {
        let path = entry.expect("list src/widget").path();
        if path.extension().and_then(|extension| extension.to_str()) != Some("rs") {
            continue;
        }
        let source = fs::read_to_string(&path).expect("read a widget source");
        for literal in source.split('"').skip(1).step_by(2) {
            let mut segments = literal.split('.');
            let first = segments.next().unwrap_or_default();
            let shaped = segments.all(|segment| !segment.is_empty() && segment.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            if FIRST_SEGMENTS.contains(&first) && shaped && (literal.contains('.') || first == literal) {
                keys.insert(literal.to_owned());
            }
        }
    }
    keys
}

#[test]
fn code_requests_only_existing_keys() {
    let english = read_messages("en");
    let used = keys_in_code();
    // Bare words like "step" and "next" also occur as attribute values.
    let missing: Vec<&String> = used
        .iter()
        .filter(|key| key.contains('.') || ["process", "elapsed"].contains(&key.as_str()))
        .filter(|key| !english.contains_key(*key))
        .collect();
    assert!(missing.is_empty(), "the widget requests keys that en.json lacks: {missing:?}");
}

#[test]
fn every_key_is_used() {
    let english = read_messages("en");
    let used = keys_in_code();
    let unused: Vec<&String> = english
        .keys()
        .filter(|key| !used.contains(*key))
        .filter(|key| !ACTIONS.iter().any(|action| **key == format!("action.{action}")))
        .filter(|key| !sections::KNOWN_SECTIONS.iter().any(|code| **key == format!("section.{code}")))
        .collect();
    assert!(unused.is_empty(), "en.json has keys that no code requests: {unused:?}");
}

#[test]
fn placeholder_parser_rejects_stray_braces() {
    assert_eq!(placeholders("{a} and {b}").map(|names| names.len()), Ok(2));
    assert!(placeholders("{open").is_err());
    assert!(placeholders("close}").is_err());
    assert!(placeholders("{two words}").is_err());
    assert!(Path::new(&root()).join("i18n/en.json").exists());
}
