//! The widget's DOM, built once at mount and then updated in place, so that
//! focus, open `<details>` and the layout survive each poll.
//!
//! Every text that comes from the server (messages, codes, section codes,
//! action names) reaches the page through `textContent` only.

use std::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, Node, ShadowRoot};

use super::i18n::Texts;
use super::options::Theme;
use super::sections;
use super::state::{CancelState, Kind, StepState, WidgetState, ACTION_COUNT};
use super::style::CSS;
use crate::js::glue::adopt_style_sheet;
use crate::status::{Notification, ACTIONS};

/// Lists longer than this show their first `VISIBLE_ITEMS` entries and fold
/// the rest into a `<details>` element.
const COLLAPSE_ABOVE: usize = 4;
const VISIBLE_ITEMS: usize = 3;

const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";

/// One action of the stepper.
struct StepView {
    item: Element,
    mark: Element,
    status: Element,
}

/// One of the notice, error and exception lists.
struct ListView {
    container: Element,
    title: Element,
    head: Element,
    details: Element,
    summary: Element,
    rest: Element,
    title_key: &'static str,
}

/// The values last written to the DOM where a rewrite has a cost: icons are
/// rebuilt, lists lose their open state, and the live region is announced.
struct Rendered {
    kind: Option<Kind>,
    steps: [Option<StepState>; ACTION_COUNT],
    lists: [Vec<Notification>; 3],
    announcement: String,
}

/// The elements the widget updates.
pub(crate) struct View {
    document: Document,
    root: Element,
    icon: Element,
    pub(crate) title: Element,
    subtitle: Element,
    bar: Element,
    step_list: Element,
    step_names: Vec<Element>,
    connection_title: Element,
    question: Element,
    segments: Vec<Element>,
    steps: Vec<StepView>,
    detail: Element,
    section: Element,
    connection: Element,
    connection_detail: Element,
    elapsed: Element,
    next: Element,
    cancel_box: Element,
    pub(crate) cancel_open: Element,
    pub(crate) confirm: Element,
    pub(crate) confirm_yes: Element,
    pub(crate) confirm_keep: Element,
    cancel_result: Element,
    lists: Vec<ListView>,
    live: Element,
    rendered: RefCell<Rendered>,
}

impl std::fmt::Debug for View {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("View").finish_non_exhaustive()
    }
}

impl View {
    /// Builds the widget inside `shadow`, hidden and without texts until
    /// [`View::show`] fills them in, so that it can go into the page while
    /// the texts of its language are still loading.
    ///
    /// # Errors
    ///
    /// The DOM error of a failed `createElement` or `appendChild`.
    pub(crate) fn build(document: &Document, shadow: &ShadowRoot, theme: Theme) -> Result<View, JsValue> {
        // A CSP `style-src` without 'unsafe-inline' blocks a <style> element
        // in the shadow root but not a constructable stylesheet, so the
        // element is only the fallback for browsers that lack the latter.
        if !adopt_style_sheet(shadow, CSS) {
            let style = element(document, "style", "")?;
            style.set_text_content(Some(CSS));
            shadow.append_child(&style)?;
        }

        let root = element(document, "section", "widget")?;
        root.set_attribute("hidden", "")?;
        root.set_attribute("data-theme", theme.name())?;
        shadow.append_child(&root)?;

        let head = child(document, &root, "div", "head")?;
        let icon = child(document, &head, "span", "icon")?;
        icon.set_attribute("aria-hidden", "true")?;
        let titles = child(document, &head, "div", "titles")?;
        let title = child(document, &titles, "p", "title")?;
        // Focus moves here after a cancellation removes the focused button.
        title.set_attribute("tabindex", "-1")?;
        let subtitle = child(document, &titles, "p", "subtitle")?;

        let bar = child(document, &root, "div", "bar")?;
        bar.set_attribute("role", "progressbar")?;
        bar.set_attribute("aria-valuemin", "0")?;
        bar.set_attribute("aria-valuemax", &ACTION_COUNT.to_string())?;
        let mut segments = Vec::with_capacity(ACTION_COUNT);
        for _ in ACTIONS {
            segments.push(child(document, &bar, "span", "segment")?);
        }

        let step_list = child(document, &root, "ol", "steps")?;
        let mut steps = Vec::with_capacity(ACTION_COUNT);
        let mut step_names = Vec::with_capacity(ACTION_COUNT);
        for _ in ACTIONS {
            let item = child(document, &step_list, "li", "step")?;
            let mark = child(document, &item, "span", "mark")?;
            mark.set_attribute("aria-hidden", "true")?;
            step_names.push(child(document, &item, "span", "name")?);
            let status = child(document, &item, "span", "sr-only")?;
            steps.push(StepView { item, mark, status });
        }

        let info = child(document, &root, "div", "info")?;
        let detail = child(document, &info, "p", "detail")?;
        let section = child(document, &info, "p", "section")?;

        let connection = child(document, &root, "p", "connection")?;
        connection.set_attribute("data-active", "false")?;
        let connection_title = child(document, &connection, "span", "connection-title")?;
        let connection_detail = child(document, &connection, "span", "connection-detail")?;

        let clock = child(document, &root, "p", "clock")?;
        let elapsed = child(document, &clock, "span", "elapsed")?;
        let next = child(document, &clock, "span", "next")?;

        let cancel_box = child(document, &root, "div", "cancel")?;
        let cancel_open = button(document, &cancel_box, "")?;
        let confirm = child(document, &cancel_box, "div", "confirm")?;
        confirm.set_attribute("role", "group")?;
        confirm.set_attribute("aria-labelledby", "b24iw-confirm-question")?;
        let question = child(document, &confirm, "p", "question")?;
        question.set_attribute("id", "b24iw-confirm-question")?;
        let buttons = child(document, &confirm, "div", "buttons")?;
        let confirm_yes = button(document, &buttons, "danger")?;
        let confirm_keep = button(document, &buttons, "")?;
        let cancel_result = child(document, &cancel_box, "p", "cancel-result")?;

        let lists_box = child(document, &root, "div", "lists")?;
        let mut lists = Vec::with_capacity(3);
        for (kind, title_key) in [
            ("exceptions", "list.exceptions"),
            ("errors", "list.errors"),
            ("notices", "list.notices"),
        ] {
            let container = child(document, &lists_box, "div", "list")?;
            container.set_attribute("data-type", kind)?;
            container.set_attribute("hidden", "")?;
            let title = child(document, &container, "p", "list-title")?;
            let head = child(document, &container, "ul", "")?;
            let details = child(document, &container, "details", "")?;
            let summary = child(document, &details, "summary", "")?;
            let rest = child(document, &details, "ul", "")?;
            lists.push(ListView {
                container,
                title,
                head,
                details,
                summary,
                rest,
                title_key,
            });
        }

        // The live region exists, empty, before anything is announced, so
        // that screen readers pick up its first change.
        let live = child(document, &root, "div", "sr-only")?;
        live.set_attribute("aria-live", "polite")?;
        live.set_attribute("aria-atomic", "true")?;

        Ok(View {
            document: document.clone(),
            root,
            icon,
            title,
            subtitle,
            bar,
            step_list,
            step_names,
            connection_title,
            question,
            segments,
            steps,
            detail,
            section,
            connection,
            connection_detail,
            elapsed,
            next,
            cancel_box,
            cancel_open,
            confirm,
            confirm_yes,
            confirm_keep,
            cancel_result,
            lists,
            live,
            rendered: RefCell::new(Rendered {
                kind: None,
                steps: [None; ACTION_COUNT],
                lists: [Vec::new(), Vec::new(), Vec::new()],
                announcement: String::new(),
            }),
        })
    }

    /// Writes the texts that never change and shows the widget. Call it once,
    /// then [`View::render`] in the same task, so that the widget appears
    /// with its state and the layout settles in one step.
    pub(crate) fn show(&self, texts: &Texts, process_id: u64) {
        set_attr(&self.root, "lang", texts.language().locale);
        set_attr(&self.root, "aria-label", &texts.text("widget.label", &[]));
        set_text(&self.subtitle, &texts.text("process", &[("id", &process_id.to_string())]));
        set_attr(&self.bar, "aria-label", &texts.text("progress.label", &[]));
        set_attr(&self.step_list, "aria-label", &texts.text("steps.label", &[]));
        for (name, action) in self.step_names.iter().zip(ACTIONS) {
            set_text(name, &action_name(texts, action));
        }
        set_text(&self.connection_title, &texts.text("connection.retrying", &[]));
        set_text(&self.cancel_open, &texts.text("cancel.open", &[]));
        set_text(&self.question, &texts.text("cancel.question", &[]));
        set_text(&self.confirm_yes, &texts.text("cancel.confirm", &[]));
        set_text(&self.confirm_keep, &texts.text("cancel.keep", &[]));
        // The live region starts empty and stays quiet about the first state.
        if let Ok(mut rendered) = self.rendered.try_borrow_mut() {
            rendered.announcement = texts.text(Kind::Waiting.title_key(), &[]);
        }
        set_hidden(&self.root, false);
    }

    /// Brings the whole widget up to date with `state`.
    pub(crate) fn render(&self, state: &WidgetState, texts: &Texts, allow_cancel: bool, now_ms: f64) {
        let Ok(mut rendered) = self.rendered.try_borrow_mut() else {
            return;
        };
        let kind = state.kind();

        if rendered.kind != Some(kind) {
            set_attr(&self.root, "data-kind", kind.name());
            if let Ok(svg) = state_icon(&self.document, kind) {
                self.icon.replace_children_with_node_1(&svg);
            }
            rendered.kind = Some(kind);
        }
        set_text(&self.title, &texts.text(kind.title_key(), &[]));

        self.render_steps(state, texts, &mut rendered);
        self.render_details(state, texts, kind);
        self.render_connection(state);
        self.render_clock(state, texts, now_ms);
        self.render_cancel(state, texts, allow_cancel);

        let empty: &[Notification] = &[];
        let notifications = state.status.as_ref().map_or([empty, empty, empty], |status| {
            [status.exceptions.as_slice(), status.errors.as_slice(), status.notices.as_slice()]
        });
        for ((list, items), shown) in self.lists.iter().zip(notifications).zip(rendered.lists.iter_mut()) {
            if shown.as_slice() != items {
                self.render_list(list, items, texts);
                *shown = items.to_vec();
            }
        }

        let announcement = announcement(state, texts, kind);
        if rendered.announcement != announcement {
            set_text(&self.live, &announcement);
            rendered.announcement = announcement;
        }
    }

    /// Updates only the elapsed time and the countdown, once a second.
    pub(crate) fn render_clock(&self, state: &WidgetState, texts: &Texts, now_ms: f64) {
        let elapsed = texts.format.duration(state.elapsed_seconds(now_ms));
        set_text(&self.elapsed, &texts.text("elapsed", &[("time", &elapsed)]));

        let next = if state.is_over() {
            String::new()
        } else {
            match state.seconds_to_next_poll(now_ms) {
                Some(seconds) if seconds > 0 => {
                    let time = texts.format.duration(seconds);
                    texts.text("next.in", &[("time", &time)])
                }
                _ => texts.text("next.now", &[]),
            }
        };
        set_text(&self.next, &next);
    }

    /// Moves keyboard focus to one of the widget's elements.
    pub(crate) fn focus(&self, target: &Element) {
        // Every element here is an HTML element, which has `focus()`.
        let _ = js_sys::Reflect::get(target, &JsValue::from_str("focus"))
            .ok()
            .and_then(|focus| focus.dyn_into::<js_sys::Function>().ok())
            .map(|focus| focus.call0(target));
    }

    fn render_steps(&self, state: &WidgetState, texts: &Texts, rendered: &mut Rendered) {
        let step_states = state.step_states();
        for ((step, segment), (new, old)) in self
            .steps
            .iter()
            .zip(&self.segments)
            .zip(step_states.iter().zip(rendered.steps.iter_mut()))
        {
            if *old == Some(*new) {
                continue;
            }
            set_attr(&step.item, "data-state", new.name());
            set_attr(segment, "data-state", new.name());
            if *new == StepState::Current {
                set_attr(&step.item, "aria-current", "step");
            } else {
                let _ = step.item.remove_attribute("aria-current");
            }
            let status_text = format!(": {}", texts.text(new.text_key(), &[]));
            set_text(&step.status, &status_text);
            match step_icon(&self.document, *new) {
                Ok(Some(svg)) => step.mark.replace_children_with_node_1(&svg),
                _ => step.mark.replace_children_with_node_0(),
            }
            *old = Some(*new);
        }

        let done = state.done_count();
        set_attr(&self.bar, "aria-valuenow", &done.to_string());
        let total = texts.format.number(ACTION_COUNT as f64);
        let value_text = if done == ACTION_COUNT {
            texts.text("progress.complete", &[("total", &total)])
        } else if let Some(index) = state.active_index() {
            let action = ACTIONS.get(index).map_or_else(String::new, |action| action_name(texts, action));
            let current = texts.format.number((index + 1) as f64);
            texts.text("progress.value", &[("current", &current), ("total", &total), ("action", &action)])
        } else {
            texts.text("progress.none", &[])
        };
        set_attr(&self.bar, "aria-valuetext", &value_text);
    }

    fn render_details(&self, state: &WidgetState, texts: &Texts, kind: Kind) {
        let progress = state.status.as_ref().and_then(|status| status.progress.as_ref());
        let action = progress.and_then(|progress| progress.action.as_deref());

        let detail = match kind {
            Kind::Waiting => String::new(),
            Kind::Started => texts.text("state.started.hint", &[]),
            Kind::Running => match (action, progress) {
                (Some(action), Some(progress)) => {
                    // The server counts steps from 0; people count from 1.
                    let step = texts.format.number(progress.step.saturating_add(1) as f64);
                    texts.text("detail.step", &[("action", &action_name(texts, action)), ("step", &step)])
                }
                _ => String::new(),
            },
            Kind::Finishing => texts.text("detail.gap", &[]),
            Kind::Finished => {
                let created = state.status.as_ref().map_or(0, |status| status.created_items.len());
                if created > 0 {
                    texts.plural("finished.items", created as u64, &[])
                } else {
                    String::new()
                }
            }
            Kind::Failed => {
                let has_exceptions = state.status.as_ref().is_some_and(|status| !status.exceptions.is_empty());
                match action {
                    Some(action) => texts.text("detail.failedAt", &[("action", &action_name(texts, action))]),
                    None if !has_exceptions && progress.is_none() => texts.text("detail.noDetails", &[]),
                    None => String::new(),
                }
            }
            Kind::Unknown => texts.text("state.unknown.hint", &[]),
            Kind::Cancelled => texts.text("cancel.done", &[]),
            Kind::Stopped => {
                let message = state.watch_error.as_deref().unwrap_or_default();
                texts.text("watch.failed", &[("message", message)])
            }
        };
        set_text(&self.detail, &detail);

        let section = match (kind, progress.and_then(|progress| progress.section.as_deref())) {
            (Kind::Running | Kind::Failed | Kind::Cancelled | Kind::Stopped, Some(code)) => {
                texts.text("detail.section", &[("section", &section_name(texts, code))])
            }
            _ => String::new(),
        };
        set_text(&self.section, &section);
    }

    fn render_connection(&self, state: &WidgetState) {
        let retrying = state.retry_error.as_ref().filter(|_| !state.is_over());
        set_attr(&self.connection, "data-active", if retrying.is_some() { "true" } else { "false" });
        let detail = retrying.map_or_else(String::new, |message| format!(": {message}"));
        set_text(&self.connection_detail, &detail);
        // The style sheet cuts the line to one row to keep the layout still.
        // The whole message stays in the DOM for screen readers and in the tooltip.
        match retrying {
            Some(message) => set_attr(&self.connection, "title", message),
            None => {
                let _ = self.connection.remove_attribute("title");
            }
        }
    }

    fn render_cancel(&self, state: &WidgetState, texts: &Texts, allow_cancel: bool) {
        let shown = allow_cancel && !state.is_over();
        set_hidden(&self.cancel_box, !shown);
        if !shown {
            return;
        }

        let (open, confirm, busy, result) = match &state.cancel {
            CancelState::Idle => (true, false, false, None),
            CancelState::Confirming => (false, true, false, None),
            CancelState::Pending => (false, true, true, Some(("pending", texts.text("cancel.pending", &[])))),
            CancelState::Failed(message) => (true, false, false, Some(("error", texts.text("cancel.failed", &[("message", message)])))),
            CancelState::Done => (false, false, false, None),
        };
        set_hidden(&self.cancel_open, !open);
        set_hidden(&self.confirm, !confirm);
        for button in [&self.confirm_yes, &self.confirm_keep] {
            if busy {
                set_attr(button, "disabled", "");
            } else {
                let _ = button.remove_attribute("disabled");
            }
        }
        match result {
            Some((variant, text)) => {
                set_hidden(&self.cancel_result, false);
                set_attr(&self.cancel_result, "data-variant", variant);
                set_text(&self.cancel_result, &text);
            }
            None => set_hidden(&self.cancel_result, true),
        }
    }

    fn render_list(&self, list: &ListView, items: &[Notification], texts: &Texts) {
        set_hidden(&list.container, items.is_empty());
        list.head.replace_children_with_node_0();
        list.rest.replace_children_with_node_0();
        set_hidden(&list.details, true);
        if items.is_empty() {
            return;
        }
        set_text(&list.title, &texts.plural(list.title_key, items.len() as u64, &[]));

        let visible = if items.len() > COLLAPSE_ABOVE { VISIBLE_ITEMS } else { items.len() };
        let (head, rest) = items.split_at(visible.min(items.len()));
        for item in head {
            if let Ok(entry) = notification_item(&self.document, item) {
                let _ = list.head.append_child(&entry);
            }
        }
        if !rest.is_empty() {
            set_hidden(&list.details, false);
            let count = texts.format.number(items.len() as f64);
            set_text(&list.summary, &texts.text("list.showAll", &[("count", &count)]));
            for item in rest {
                if let Ok(entry) = notification_item(&self.document, item) {
                    let _ = list.rest.append_child(&entry);
                }
            }
        }
    }
}

/// Returns the words for an action, or its code for an action this version does not know.
fn action_name(texts: &Texts, action: &str) -> String {
    let key = format!("action.{action}");
    if texts.has(&key) {
        texts.text(&key, &[])
    } else {
        action.to_owned()
    }
}

/// Returns the words for a section, or its code as the server sent it.
fn section_name(texts: &Texts, code: &str) -> String {
    match sections::name_key(code) {
        Some(key) if texts.has(&key) => texts.text(&key, &[]),
        _ => code.to_owned(),
    }
}

/// Returns the text of the live region: the state, the action in progress
/// and a connection problem. It changes, and so is announced, only when one
/// of them does.
fn announcement(state: &WidgetState, texts: &Texts, kind: Kind) -> String {
    let mut parts = vec![texts.text(kind.title_key(), &[])];
    if kind == Kind::Running {
        let action = state
            .status
            .as_ref()
            .and_then(|status| status.progress.as_ref())
            .and_then(|progress| progress.action.as_deref());
        if let Some(action) = action {
            parts.push(action_name(texts, action));
        }
    }
    if state.retry_error.is_some() && !state.is_over() {
        parts.push(texts.text("connection.retrying", &[]));
    }
    if let CancelState::Failed(message) = &state.cancel {
        parts.push(texts.text("cancel.failed", &[("message", message)]));
    }
    parts.join(". ")
}

fn notification_item(document: &Document, notification: &Notification) -> Result<Element, JsValue> {
    let item = element(document, "li", "")?;
    if !notification.code.is_empty() {
        let code = child(document, &item, "span", "code")?;
        code.set_text_content(Some(&notification.code));
        // The space keeps code and message apart for screen readers and copying.
        item.append_child(&document.create_text_node(" "))?;
    }
    let message = if notification.message.is_empty() { "—" } else { notification.message.as_str() };
    let text = document.create_text_node(message);
    item.append_child(&text)?;
    Ok(item)
}

fn element(document: &Document, tag: &str, class: &str) -> Result<Element, JsValue> {
    let element = document.create_element(tag)?;
    if !class.is_empty() {
        element.set_attribute("class", class)?;
    }
    Ok(element)
}

fn child(document: &Document, parent: &Node, tag: &str, class: &str) -> Result<Element, JsValue> {
    let element = element(document, tag, class)?;
    parent.append_child(&element)?;
    Ok(element)
}

fn button(document: &Document, parent: &Node, variant: &str) -> Result<Element, JsValue> {
    let button = child(document, parent, "button", "button")?;
    button.set_attribute("type", "button")?;
    if !variant.is_empty() {
        button.set_attribute("data-variant", variant)?;
    }
    Ok(button)
}

fn set_text(node: &Node, text: &str) {
    if node.text_content().as_deref() != Some(text) {
        node.set_text_content(Some(text));
    }
}

fn set_attr(element: &Element, name: &str, value: &str) {
    if element.get_attribute(name).as_deref() != Some(value) {
        let _ = element.set_attribute(name, value);
    }
}

fn set_hidden(element: &Element, hidden: bool) {
    if element.has_attribute("hidden") != hidden {
        let _ = element.toggle_attribute_with_force("hidden", hidden);
    }
}

/// One shape of an icon, drawn on a 24 × 24 grid.
enum Shape {
    Path(&'static str),
    /// A circle around the centre, with the radius as the attribute's text.
    Circle(&'static str),
    Spinner,
}

const CHECK: &str = "M7.5 12.5l3 3 6-6.5";
const CROSS: &str = "M9 9l6 6M15 9l-6 6";

fn state_icon(document: &Document, kind: Kind) -> Result<Element, JsValue> {
    let shapes: &[Shape] = match kind {
        Kind::Waiting | Kind::Running | Kind::Finishing => &[Shape::Spinner],
        Kind::Started => &[Shape::Circle("9"), Shape::Path("M12 7.5V12l3 2")],
        Kind::Finished => &[Shape::Circle("9"), Shape::Path(CHECK)],
        Kind::Failed | Kind::Stopped => &[Shape::Circle("9"), Shape::Path(CROSS)],
        Kind::Unknown => &[
            Shape::Circle("9"),
            Shape::Path("M9.8 9.6a2.3 2.3 0 1 1 3.2 2.1c-.6.3-1 .8-1 1.5v.3M12 16.6v.1"),
        ],
        Kind::Cancelled => &[Shape::Circle("9"), Shape::Path("M8 12h8")],
    };
    svg(document, shapes, "2")
}

fn step_icon(document: &Document, state: StepState) -> Result<Option<Element>, JsValue> {
    match state {
        StepState::Done => svg(document, &[Shape::Path("M6 12.5l4 4 8-9")], "3").map(Some),
        StepState::Failed => svg(document, &[Shape::Path("M7.5 7.5l9 9M16.5 7.5l-9 9")], "3").map(Some),
        StepState::Current | StepState::Pending => Ok(None),
    }
}

fn svg(document: &Document, shapes: &[Shape], stroke_width: &str) -> Result<Element, JsValue> {
    let svg = document.create_element_ns(Some(SVG_NAMESPACE), "svg")?;
    for (name, value) in [
        ("viewBox", "0 0 24 24"),
        ("fill", "none"),
        ("stroke", "currentColor"),
        ("stroke-linecap", "round"),
        ("stroke-linejoin", "round"),
        ("aria-hidden", "true"),
        ("focusable", "false"),
    ] {
        svg.set_attribute(name, value)?;
    }
    svg.set_attribute("stroke-width", stroke_width)?;

    for shape in shapes {
        match shape {
            Shape::Path(data) => {
                let path = document.create_element_ns(Some(SVG_NAMESPACE), "path")?;
                path.set_attribute("d", data)?;
                svg.append_child(&path)?;
            }
            Shape::Circle(radius) => {
                let circle = document.create_element_ns(Some(SVG_NAMESPACE), "circle")?;
                circle.set_attribute("cx", "12")?;
                circle.set_attribute("cy", "12")?;
                circle.set_attribute("r", radius)?;
                svg.append_child(&circle)?;
            }
            Shape::Spinner => {
                let track = document.create_element_ns(Some(SVG_NAMESPACE), "circle")?;
                track.set_attribute("cx", "12")?;
                track.set_attribute("cy", "12")?;
                track.set_attribute("r", "9")?;
                track.set_attribute("opacity", "0.25")?;
                svg.append_child(&track)?;
                let arc = document.create_element_ns(Some(SVG_NAMESPACE), "path")?;
                arc.set_attribute("d", "M21 12a9 9 0 0 0-9-9")?;
                arc.set_attribute("class", "spin")?;
                svg.append_child(&arc)?;
            }
        }
    }
    Ok(svg)
}
