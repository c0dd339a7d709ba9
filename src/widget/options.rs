//! Reading `WidgetOptions`: the `WatchOptions` plus the widget's own keys.

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};

use super::js_get;
use crate::error::WatchError;
use crate::js::options::{read_options, show, type_of, WatchOptions};

/// The option names the widget adds to `WatchOptions`.
const WIDGET_OPTIONS: [&str; 5] = ["lang", "onFinish", "onError", "allowCancel", "theme"];

/// The colour theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Theme {
    Light,
    Dark,
    /// Follows `prefers-color-scheme`.
    Auto,
}

impl Theme {
    /// Returns the value of the `data-theme` attribute.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Auto => "auto",
        }
    }
}

/// The options of `mountImportProgress`, checked.
#[derive(Debug)]
pub(crate) struct WidgetOptions {
    /// The options of the watch itself.
    pub(crate) watch: WatchOptions,
    /// `options.lang`: a Bitrix24 language id, a BCP 47 tag, or an empty
    /// string, which counts as a language without texts.
    pub(crate) lang: Option<String>,
    /// Called with the terminal status (F, E or U).
    pub(crate) on_finish: Option<Function>,
    /// Called with the `WatchError` when watching fails for good.
    pub(crate) on_error: Option<Function>,
    /// Whether to offer "Cancel import".
    pub(crate) allow_cancel: bool,
    pub(crate) theme: Theme,
}

/// Reads and checks `options`.
///
/// # Errors
///
/// An invalid-argument error naming the option, the value and what it accepts.
pub(crate) fn read_widget_options(options: &JsValue) -> Result<WidgetOptions, WatchError> {
    let watch = read_options(options, &WIDGET_OPTIONS)?;

    let lang = js_get(options, "lang");
    let lang = if lang.is_undefined() || lang.is_null() {
        None
    } else {
        match lang.as_string() {
            Some(tag) if tag.is_empty() || is_language_tag(&tag) => Some(tag),
            _ => {
                return Err(WatchError::invalid_argument(format!(
                    "invalid lang {}: expected a Bitrix24 language id such as \"en\", \"ru\" or \"ua\", \
                     or a BCP 47 tag such as \"pt-BR\"",
                    show(&lang)
                )))
            }
        }
    };

    let allow_cancel = js_get(options, "allowCancel");
    let allow_cancel = if allow_cancel.is_undefined() {
        false
    } else {
        allow_cancel.as_bool().ok_or_else(|| {
            WatchError::invalid_argument(format!(
                "invalid allowCancel {}: expected true or false",
                show(&allow_cancel)
            ))
        })?
    };

    let theme = js_get(options, "theme");
    let theme = match theme.as_string().as_deref() {
        _ if theme.is_undefined() => Theme::Auto,
        Some("light") => Theme::Light,
        Some("dark") => Theme::Dark,
        Some("auto") => Theme::Auto,
        _ => {
            return Err(WatchError::invalid_argument(format!(
                "invalid theme {}: expected \"light\", \"dark\" or \"auto\"",
                show(&theme)
            )))
        }
    };

    Ok(WidgetOptions {
        watch,
        lang,
        on_finish: read_hook(options, "onFinish", "(status) => void")?,
        on_error: read_hook(options, "onError", "(error) => void")?,
        allow_cancel,
        theme,
    })
}

fn read_hook(options: &JsValue, key: &str, signature: &str) -> Result<Option<Function>, WatchError> {
    let value = js_get(options, key);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.dyn_into::<Function>().map(Some).map_err(|other| {
        WatchError::invalid_argument(format!(
            "invalid {key}: expected a function {signature}, got {}",
            type_of(&other)
        ))
    })
}

/// Checks that `tag` looks like a language tag: letters, then subtags of
/// letters and digits after `-` or `_`.
fn is_language_tag(tag: &str) -> bool {
    let mut subtags = tag.split(['-', '_']);
    let primary_ok = subtags
        .next()
        .is_some_and(|primary| (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic()));
    primary_ok && subtags.all(|subtag| (1..=8).contains(&subtag.len()) && subtag.chars().all(|c| c.is_ascii_alphanumeric()))
}
