//! The widget's texts: choosing a language and reading its messages.
//!
//! The messages live in `i18n/<id>.json`, one file per Bitrix24 language id.
//! Each key maps to a string or, for counts, to an object of
//! `Intl.PluralRules` categories (`one`, `few`, `many`, `other`, …).
//! Placeholders are `{name}`.
//!
//! English is embedded at compile time, as the fallback for every language
//! and every missing key, and is parsed with the platform's `JSON.parse`, so
//! the wasm carries no JSON parser. The other languages stay out of the wasm:
//! `scripts/build.mjs` turns each file into a module under `dist/i18n/`, and
//! the package entry hands the wasm a loader for them
//! (`__setMessageLoader`), so that a page downloads only the language it
//! shows. A language loaded once stays cached for later widgets.

use std::cell::RefCell;

use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::format::Formatter;
use super::js_get;

/// A language the widget has texts for.
#[derive(Debug)]
pub(crate) struct Language {
    /// The Bitrix24 language id (`ua` for Ukrainian, `la` for Spanish, `br`
    /// for Brazilian Portuguese), which is also the name of its message file.
    pub(crate) id: &'static str,
    /// The BCP 47 tag for `Intl` and the `lang` attribute.
    pub(crate) locale: &'static str,
    /// The primary BCP 47 subtag that maps to this language.
    primary_subtag: &'static str,
}

/// Every language with a message file; the first one, English, is the
/// fallback and the only one embedded.
pub(crate) const LANGUAGES: [Language; 10] = [
    language("en", "en", "en"),
    language("ru", "ru", "ru"),
    language("ua", "uk", "uk"),
    language("de", "de", "de"),
    language("la", "es", "es"),
    language("br", "pt-BR", "pt"),
    language("pl", "pl", "pl"),
    language("fr", "fr", "fr"),
    language("it", "it", "it"),
    language("tr", "tr", "tr"),
];

/// The English messages, the fallback for every other language.
const ENGLISH_MESSAGES: &str = include_str!("../../i18n/en.json");

const fn language(id: &'static str, locale: &'static str, primary_subtag: &'static str) -> Language {
    Language {
        id,
        locale,
        primary_subtag,
    }
}

thread_local! {
    /// The function from the package entry that imports a language's
    /// module: `(id) => Promise<messages object>`.
    static LOADER: RefCell<Option<Function>> = const { RefCell::new(None) };
    /// The messages objects of the languages loaded so far, by language id.
    static LOADED: RefCell<Vec<(&'static str, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// Sets the function that loads the messages of a language other than
/// English: it takes the Bitrix24 language id and returns a promise of the
/// messages object. The package entries call this once after instantiating
/// the module; not part of the public API.
#[wasm_bindgen(js_name = "__setMessageLoader")]
pub fn set_message_loader(loader: Function) {
    LOADER.with(|slot| *slot.borrow_mut() = Some(loader));
}

/// Returns the fallback language, English.
pub(crate) fn english() -> &'static Language {
    let [first, ..] = &LANGUAGES;
    first
}

/// The texts of a language, or how to get them.
pub(crate) enum Request {
    /// English, or a language loaded before.
    Ready(Texts),
    /// The promise of the language's messages object; pass its value to
    /// [`Texts::loaded`]. It rejects when the loader throws.
    Loading(Promise),
    /// No loader was set, because the module was instantiated without the
    /// package entry.
    NoLoader,
}

/// Returns the texts of `language` when they are at hand, and otherwise
/// starts loading them.
pub(crate) fn request(language: &'static Language) -> Request {
    if language.id == english().id {
        return Request::Ready(Texts::english());
    }
    let cached = LOADED.with(|loaded| {
        loaded.borrow().iter().find(|(id, _)| *id == language.id).map(|(_, messages)| messages.clone())
    });
    if let Some(messages) = cached {
        return Request::Ready(Texts::new(language, &messages));
    }
    let Some(loader) = LOADER.with(|slot| slot.borrow().clone()) else {
        return Request::NoLoader;
    };
    match loader.call1(&JsValue::UNDEFINED, &JsValue::from_str(language.id)) {
        // `Promise.resolve` also accepts a loader that returns the object itself.
        Ok(value) => Request::Loading(Promise::resolve(&value)),
        Err(thrown) => Request::Loading(Promise::reject(&thrown)),
    }
}

/// Finds the language for a Bitrix24 language id (`ru`, `ua`, `la`, …) or,
/// failing that, for a BCP 47 tag (`uk`, `es-MX`, `pt-BR`, …).
pub(crate) fn from_bitrix_id(tag: &str) -> Option<&'static Language> {
    let tag = tag.trim().to_ascii_lowercase();
    LANGUAGES.iter().find(|language| language.id == tag).or_else(|| from_bcp47(&tag))
}

/// Finds the language for a BCP 47 tag by its primary subtag.
pub(crate) fn from_bcp47(tag: &str) -> Option<&'static Language> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    LANGUAGES.iter().find(|language| language.primary_subtag == primary)
}

/// Picks the language when `options.lang` is not given: the portal's
/// language from the app frame, else the browser's, else English.
///
/// The frame's language comes from the legacy library (`BX24.getLang()`)
/// or from a `@bitrix24/b24jssdk` frame (`B24Frame.getLang()`) passed as
/// the client or held by it as `b24`.
pub(crate) fn detect(client: &JsValue) -> &'static Language {
    let frame_holders = [
        js_get(&js_sys::global(), "BX24"),
        client.clone(),
        js_get(client, "b24"),
    ];
    let from_frame = frame_holders
        .iter()
        .filter_map(call_get_lang)
        .find_map(|lang| from_bitrix_id(&lang));
    if let Some(language) = from_frame {
        return language;
    }

    let navigator = js_get(&js_sys::global(), "navigator");
    let mut tags: Vec<String> = match js_get(&navigator, "languages").dyn_into::<js_sys::Array>() {
        Ok(languages) => languages.iter().filter_map(|tag| tag.as_string()).collect(),
        Err(_) => Vec::new(),
    };
    tags.extend(js_get(&navigator, "language").as_string());
    tags.iter().find_map(|tag| from_bcp47(tag)).unwrap_or_else(english)
}

/// Calls `holder.getLang()`, which throws in a `B24Frame` that is not
/// initialized yet. A throw or a non-string result counts as no language.
fn call_get_lang(holder: &JsValue) -> Option<String> {
    let get_lang = js_get(holder, "getLang").dyn_into::<Function>().ok()?;
    get_lang.call0(holder).ok()?.as_string().filter(|lang| !lang.is_empty())
}

/// One message: a plain text, or the forms of a count by plural category.
enum Message {
    Text(String),
    Plural(Vec<(String, String)>),
}

/// The messages of one file. A file has some sixty keys, so a linear search
/// costs nothing that matters and keeps hash-map code out of the wasm.
struct Messages(Vec<(String, Message)>);

impl Messages {
    fn get(&self, key: &str) -> Option<&Message> {
        self.0.iter().find(|(name, _)| name == key).map(|(_, message)| message)
    }
}

/// Returns the form for `category`, or the `other` form.
fn plural_form<'a>(forms: &'a [(String, String)], category: &str) -> Option<&'a String> {
    let find = |wanted: &str| forms.iter().find(|(name, _)| name == wanted).map(|(_, text)| text);
    find(category).or_else(|| find("other"))
}

/// The texts of the chosen language, with English for any key its file
/// lacks, and the locale's formatters.
pub(crate) struct Texts {
    language: &'static Language,
    messages: Messages,
    fallback: Messages,
    pub(crate) format: Formatter,
}

impl std::fmt::Debug for Texts {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Texts").field("language", &self.language.id).finish_non_exhaustive()
    }
}

impl Texts {
    /// Returns the English texts.
    pub(crate) fn english() -> Texts {
        Texts {
            language: english(),
            messages: parse_english(),
            fallback: Messages(Vec::new()),
            format: Formatter::new(english().locale),
        }
    }

    /// Returns the texts of `language` from its messages object, with
    /// English for missing keys.
    fn new(language: &'static Language, messages: &JsValue) -> Texts {
        Texts {
            language,
            messages: parse(messages),
            fallback: parse_english(),
            format: Formatter::new(language.locale),
        }
    }

    /// Returns the texts of `language` from the messages object that its
    /// [`Request::Loading`] promise resolved with, and caches the object for
    /// later widgets. Returns `None` for a value that is not an object.
    pub(crate) fn loaded(language: &'static Language, messages: JsValue) -> Option<Texts> {
        if !messages.is_object() {
            return None;
        }
        LOADED.with(|loaded| loaded.borrow_mut().push((language.id, messages.clone())));
        Some(Texts::new(language, &messages))
    }

    /// Returns the chosen language.
    pub(crate) fn language(&self) -> &'static Language {
        self.language
    }

    /// Returns the text of `key` with `{name}` placeholders filled from `args`.
    /// A key that no file has comes back as the key itself, which a test
    /// of the message files rules out.
    pub(crate) fn text(&self, key: &str, args: &[(&str, &str)]) -> String {
        match self.lookup(key) {
            Some(Message::Text(text)) => fill(text, args),
            Some(Message::Plural(forms)) => plural_form(forms, "other").map_or_else(|| key.to_owned(), |text| fill(text, args)),
            None => key.to_owned(),
        }
    }

    /// Returns the form of `key` for `count`, with `{count}` formatted in the
    /// locale and the other placeholders filled from `args`. A missing
    /// category falls back to `other`.
    pub(crate) fn plural(&self, key: &str, count: u64, args: &[(&str, &str)]) -> String {
        let count_value = count as f64;
        let formatted = self.format.number(count_value);
        let mut all_args = vec![("count", formatted.as_str())];
        all_args.extend_from_slice(args);

        match self.lookup(key) {
            Some(Message::Plural(forms)) => {
                let category = self.format.plural_category(count_value);
                match plural_form(forms, &category) {
                    Some(text) => fill(text, &all_args),
                    None => key.to_owned(),
                }
            }
            Some(Message::Text(text)) => fill(text, &all_args),
            None => key.to_owned(),
        }
    }

    /// Checks whether a message file has `key`.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.lookup(key).is_some()
    }

    fn lookup(&self, key: &str) -> Option<&Message> {
        self.messages.get(key).or_else(|| self.fallback.get(key))
    }
}

fn parse_english() -> Messages {
    js_sys::JSON::parse(ENGLISH_MESSAGES).map_or(Messages(Vec::new()), |parsed| parse(&parsed))
}

/// Reads a messages object. Values other than a string or an object of
/// strings are skipped, and the test of the message files rules them out.
fn parse(messages: &JsValue) -> Messages {
    let Some(object) = messages.dyn_ref::<Object>() else {
        return Messages(Vec::new());
    };

    let mut parsed = Vec::new();
    for (key, value) in entries(object) {
        if let Some(text) = value.as_string() {
            parsed.push((key, Message::Text(text)));
        } else if let Some(forms) = value.dyn_ref::<Object>() {
            let forms = entries(forms)
                .into_iter()
                .filter_map(|(category, text)| Some((category, text.as_string()?)))
                .collect();
            parsed.push((key, Message::Plural(forms)));
        }
    }
    Messages(parsed)
}

fn entries(object: &Object) -> Vec<(String, JsValue)> {
    Object::entries(object)
        .iter()
        .filter_map(|entry| {
            let pair: js_sys::Array = entry.dyn_into().ok()?;
            Some((pair.get(0).as_string()?, pair.get(1)))
        })
        .collect()
}

/// Replaces each `{name}` in `template` with its value from `args`. Unknown
/// names and unmatched braces stay as they are.
pub(crate) fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut output = String::with_capacity(template.len());
    let mut rest = template;
    // `split_once` with a char pattern, unlike `split_at`, has no slicing
    // panic, whose message would bring character formatting into the wasm.
    while let Some((before, after_open)) = rest.split_once('{') {
        output.push_str(before);
        let Some((inside, after)) = after_open.split_once('}') else {
            output.push('{');
            output.push_str(after_open);
            return output;
        };
        let name = inside.trim_start_matches('{');
        match args.iter().find(|(arg, _)| *arg == name) {
            Some((_, value)) => output.push_str(value),
            None => {
                output.push('{');
                output.push_str(inside);
                output.push('}');
            }
        }
        rest = after;
    }
    output.push_str(rest);
    output
}
