//! `mountImportProgress`: a progress widget for one import, rendered from
//! Rust with web-sys into a shadow root that it adds to a host element.
//!
//! The widget watches the import with the same loop as `watchImport`. It
//! shows the six actions as a stepper, the step and the section in words,
//! and the notices, errors and exceptions. It also shows the elapsed time,
//! the next check, connection problems and, on request, a "Cancel import"
//! control. `stop()` on the returned watch removes everything the widget
//! added and puts back the element's children.

// A panic aborts the wasm instance and takes down every widget and watch on
// the page, so these lints keep panicking calls out of the widget.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod format;
mod i18n;
mod options;
mod sections;
mod state;
mod style;
mod view;

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{AbortController, Element, Event, EventTarget, Node, ShadowRootInit, ShadowRootMode};

use crate::envelope::{parse_unregister_response, UNREGISTER_METHOD};
use crate::error::{ErrorKind, WatchError};
use crate::js::error::{describe_thrown, to_js};
use crate::js::options::type_of;
use crate::js::transport::Transport;
use crate::js::watch::{read_process_id, request_params, start, ImportWatch, Listener};
use crate::watch::Update;
use options::{read_widget_options, WidgetOptions};
use state::{CancelState, WidgetState};
use view::View;

/// How often the elapsed time and the countdown to the next check change.
const TICK_MS: i32 = 1_000;

/// The tag of the element the widget adds to the host element. A custom
/// element name keeps page rules for `div` off it and allows a shadow root.
const WRAPPER_TAG: &str = "b24-import-progress";

/// The reason the widget's "Cancel import" button aborts its watch with,
/// which ends up in the message of the `AbortError` that `done` rejects with.
const CANCELLED_REASON: &str = "the import was cancelled from the widget";

thread_local! {
    /// The mounted widgets by host element, so that a second mount on the
    /// same element is rejected. `unmount` removes a widget's entry. A widget
    /// dropped without `stop()` leaves a dead entry, removed at the next mount.
    static HOSTS: RefCell<Vec<(Element, Weak<Widget>)>> = const { RefCell::new(Vec::new()) };
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setInterval, catch)]
    fn set_interval(handler: &Function, timeout_ms: i32) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = clearInterval)]
    fn clear_interval(id: &JsValue);
}

/// Shows the live progress of import `processId` inside `element` and
/// returns the watch. The widget replaces the element's children until
/// `stop()` restores them. When the import ends, the final state stays on
/// screen until then.
///
/// # Errors
///
/// Throws a `WatchError` of kind `invalid_argument` for an invalid element,
/// `processId` or options, before it changes the page or sends a request.
/// An element is invalid when it is not a DOM element, or when it already
/// shows a widget whose watch was not stopped.
#[wasm_bindgen(js_name = mountImportProgress)]
pub fn mount_import_progress(element: JsValue, process_id: JsValue, options: JsValue) -> Result<ImportWatch, JsValue> {
    mount(&element, &process_id, &options).map_err(|error| to_js(&error))
}

fn mount(element: &JsValue, process_id: &JsValue, options: &JsValue) -> Result<ImportWatch, WatchError> {
    let host = read_element(element)?;
    reject_mounted_host(&host)?;
    let process_id = read_process_id(process_id)?;
    let WidgetOptions {
        mut watch,
        lang,
        on_finish,
        on_error,
        allow_cancel,
        theme,
    } = read_widget_options(options)?;
    // The cancel request goes through the same client as the polls.
    let transport = Transport::from_option(&watch.client)?;

    let language = match lang.as_deref().and_then(i18n::from_bitrix_id) {
        Some(language) => language,
        // An empty string, or a well-formed tag of a language without
        // texts, falls back to English.
        None if lang.is_some() => i18n::english(),
        None => i18n::detect(&watch.client),
    };

    let document = host
        .owner_document()
        .ok_or_else(|| WatchError::invalid_argument("invalid element: it belongs to no document"))?;
    let wrapper = document.create_element(WRAPPER_TAG).map_err(dom_error)?;
    let shadow = wrapper
        .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
        .map_err(dom_error)?;
    let view = View::build(&document, &shadow, theme).map_err(dom_error)?;

    // The watch stops on this controller's signal once the import is
    // cancelled; the caller's own signal is forwarded to it.
    let watch_controller = AbortController::new().ok();
    let user_signal = std::mem::replace(
        &mut watch.signal,
        watch_controller.as_ref().map_or(JsValue::UNDEFINED, |controller| controller.signal().into()),
    );
    let request_timeout_ms = watch.config.request_timeout_ms;
    let logger = watch.logger.clone();

    let widget = Rc::new(Widget {
        process_id,
        host,
        wrapper,
        saved_children: RefCell::new(Vec::new()),
        view,
        texts: OnceCell::new(),
        transport,
        request_timeout_ms,
        on_finish,
        on_error,
        logger,
        allow_cancel,
        state: RefCell::new(WidgetState::new(js_sys::Date::now())),
        watch_controller,
        request_controller: AbortController::new().ok(),
        user_signal: RefCell::new(None),
        ticker: RefCell::new(None),
        listeners: RefCell::new(Vec::new()),
        deferred_hook: RefCell::new(None),
        mounted: Cell::new(false),
        released: Cell::new(false),
    });

    widget.attach().map_err(|error| {
        widget.unmount();
        dom_error(error)
    })?;
    HOSTS.with(|hosts| {
        if let Ok(mut hosts) = hosts.try_borrow_mut() {
            hosts.push((widget.host.clone(), Rc::downgrade(&widget)));
        }
    });
    widget.forward_signal(&user_signal);
    Widget::bind_controls(&widget);
    Widget::show_in(&widget, language);

    let weak = Rc::downgrade(&widget);
    let listener = Listener::Rust(Rc::new(move |update: &Update, _status: &JsValue| {
        if let Some(widget) = weak.upgrade() {
            widget.on_update(update);
        }
    }));
    let import_watch = match start(process_id, watch, listener) {
        Ok(import_watch) => import_watch,
        Err(error) => {
            widget.unmount();
            return Err(error);
        }
    };

    let done = import_watch.done();
    let weak = Rc::downgrade(&widget);
    spawn_local(async move {
        let result = JsFuture::from(done).await;
        if let Some(widget) = weak.upgrade() {
            widget.on_done(result);
        }
    });
    import_watch.on_stop(move || widget.unmount());
    Ok(import_watch)
}

/// Accepts any DOM element, also one from another frame, whose `Element`
/// class differs from this one's, by its `nodeType`.
fn read_element(value: &JsValue) -> Result<Element, WatchError> {
    const ELEMENT_NODE: f64 = 1.0;
    if js_get(value, "nodeType").as_f64() == Some(ELEMENT_NODE) {
        return Ok(value.clone().unchecked_into());
    }
    Err(WatchError::invalid_argument(format!(
        "invalid element: expected a DOM element such as document.getElementById(\"import-progress\"), got {}",
        type_of(value)
    )))
}

/// Rejects a host element that shows a widget still mounted, because the
/// second widget would hide the first while its watch keeps polling.
fn reject_mounted_host(host: &Element) -> Result<(), WatchError> {
    let mounted_process = HOSTS.with(|hosts| {
        let mut hosts = hosts.try_borrow_mut().ok()?;
        hosts.retain(|(_, widget)| widget.strong_count() > 0);
        hosts
            .iter()
            .filter(|(element, _)| element == host)
            .filter_map(|(_, widget)| widget.upgrade())
            .find(|widget| widget.mounted.get())
            .map(|widget| widget.process_id)
    });
    match mounted_process {
        Some(process_id) => Err(WatchError::invalid_argument(format!(
            "invalid element: it already shows an import's progress (import {process_id}); call stop() on its watch first"
        ))),
        None => Ok(()),
    }
}

fn dom_error(thrown: JsValue) -> WatchError {
    WatchError::invalid_argument(format!(
        "could not build the widget in the element: {}",
        describe_thrown(&thrown)
    ))
}

/// Returns `object[key]`, or `undefined` when `object` is not an object or
/// the getter throws.
pub(crate) fn js_get(object: &JsValue, key: &str) -> JsValue {
    if !object.is_object() && !object.is_function() {
        return JsValue::UNDEFINED;
    }
    js_sys::Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// An event listener that the widget removes when it goes.
type Binding = (EventTarget, &'static str, Closure<dyn FnMut(Event)>);

/// A callback registered with the platform, and what it was registered on
/// or the id it got back, kept until it is removed.
type Registration = RefCell<Option<(JsValue, Closure<dyn FnMut()>)>>;

/// A hook of the caller (`onFinish` or `onError`), its name for messages,
/// and its argument.
type Hook = (Function, &'static str, JsValue);

/// One mounted widget.
///
/// The watch's `stop()` holds the only strong reference; the listener, the
/// timer and the buttons hold weak ones. If the page drops the watch after
/// the import ended, the widget releases its timer and listeners and leaves
/// the final state on screen.
struct Widget {
    process_id: u64,
    host: Element,
    wrapper: Element,
    /// The host element's children, put back by `unmount`. They stay in the
    /// host, next to the hidden widget, until its texts are there.
    saved_children: RefCell<Vec<Node>>,
    view: View,
    /// Set once the texts of the widget's language are there; nothing is
    /// rendered before.
    texts: OnceCell<i18n::Texts>,
    transport: Rc<Transport>,
    request_timeout_ms: u64,
    on_finish: Option<Function>,
    on_error: Option<Function>,
    logger: Option<Function>,
    allow_cancel: bool,
    state: RefCell<WidgetState>,
    watch_controller: Option<AbortController>,
    /// Aborts a cancel request in flight when the widget goes.
    request_controller: Option<AbortController>,
    /// The caller's `AbortSignal` and its `abort` listener.
    user_signal: Registration,
    /// The `setInterval` id and the callback of the clock.
    ticker: Registration,
    listeners: RefCell<Vec<Binding>>,
    /// `onFinish` or `onError` when the watch ended before the widget showed.
    deferred_hook: RefCell<Option<Hook>>,
    mounted: Cell<bool>,
    released: Cell<bool>,
}

impl Widget {
    /// Adds the widget, still hidden, after the host's children.
    fn attach(&self) -> Result<(), JsValue> {
        self.host.append_child(&self.wrapper)?;
        self.mounted.set(true);
        Ok(())
    }

    /// Shows the widget in `language` now when its texts are at hand (English,
    /// or a language loaded before), and otherwise once they have loaded.
    /// A language that cannot be loaded falls back to English.
    fn show_in(this: &Rc<Widget>, language: &'static i18n::Language) {
        let promise = match i18n::request(language) {
            i18n::Request::Ready(texts) => return Widget::show(this, texts),
            i18n::Request::Loading(promise) => promise,
            i18n::Request::NoLoader => {
                this.log(
                    "warn",
                    &format!(
                        "no loader for the {} texts, because the module was instantiated without the package entry; showing English",
                        language.locale
                    ),
                );
                return Widget::show(this, i18n::Texts::english());
            }
        };
        let weak = Rc::downgrade(this);
        spawn_local(async move {
            let result = JsFuture::from(promise).await;
            let Some(widget) = weak.upgrade() else {
                return;
            };
            let texts = match result {
                Ok(messages) => i18n::Texts::loaded(language, messages).ok_or_else(|| "it is not an object".to_owned()),
                Err(thrown) => Err(describe_thrown(&thrown)),
            };
            let texts = texts.unwrap_or_else(|reason| {
                widget.log(
                    "warn",
                    &format!("could not load the {} texts ({reason}); showing English", language.locale),
                );
                i18n::Texts::english()
            });
            Widget::show(&widget, texts);
        });
    }

    /// Puts the texts in, moves the host's children aside and shows the
    /// widget with its current state, all in one task. Does nothing after
    /// `unmount` or when the widget is already shown.
    fn show(this: &Rc<Widget>, texts: i18n::Texts) {
        if !this.mounted.get() || this.texts.get().is_some() {
            return;
        }
        let saved: Vec<Node> = {
            let children = this.host.child_nodes();
            (0..children.length())
                .filter_map(|index| children.item(index))
                .filter(|node| node != this.wrapper.as_ref())
                .collect()
        };
        for node in &saved {
            if let Err(error) = this.host.remove_child(node) {
                this.log("error", &format!("could not move a child of the element aside: {}", describe_thrown(&error)));
            }
        }
        *this.saved_children.borrow_mut() = saved;

        this.view.show(&texts, this.process_id);
        let _ = this.texts.set(texts);
        let ended = this.state.try_borrow().map_or(true, |state| state.ended_at_ms.is_some());
        if !ended {
            Widget::start_ticker(this);
        }
        this.render();

        let deferred = this.deferred_hook.borrow_mut().take();
        if let Some(hook) = deferred {
            this.run_hook(hook);
        }
    }

    /// Removes the widget, its timer and its listeners, and puts the host's
    /// children back where the widget was. Safe to call twice.
    fn unmount(&self) {
        self.release();
        HOSTS.with(|hosts| {
            if let Ok(mut hosts) = hosts.try_borrow_mut() {
                hosts.retain(|(_, widget)| !std::ptr::eq(widget.as_ptr(), self));
            }
        });
        if !self.mounted.replace(false) {
            return;
        }
        let saved = std::mem::take(&mut *self.saved_children.borrow_mut());
        for node in &saved {
            // The wrapper is still a child unless the page moved it; then
            // the children go back at the end.
            let result = if self.wrapper.parent_node().as_ref() == Some(self.host.as_ref()) {
                self.host.insert_before(node, Some(&self.wrapper))
            } else {
                self.host.append_child(node)
            };
            if let Err(error) = result {
                self.log("error", &format!("could not restore a child of the element: {}", describe_thrown(&error)));
            }
        }
        self.wrapper.remove();
    }

    /// Stops the timer, removes the listeners and aborts a cancel request.
    fn release(&self) {
        if self.released.replace(true) {
            return;
        }
        self.stop_ticker();
        for (target, event, listener) in self.listeners.borrow_mut().drain(..) {
            let _ = target.remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        }
        if let Some((signal, listener)) = self.user_signal.borrow_mut().take() {
            if let Ok(target) = signal.dyn_into::<EventTarget>() {
                let _ = target.remove_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
            }
        }
        if let Some(controller) = &self.request_controller {
            crate::js::glue::abort_controller(controller);
        }
    }

    /// Aborts the watch when the caller's `signal` aborts.
    fn forward_signal(&self, signal: &JsValue) {
        if signal.is_undefined() || signal.is_null() {
            return;
        }
        let Some(controller) = self.watch_controller.clone() else {
            return;
        };
        if js_get(signal, "aborted").as_bool() == Some(true) {
            crate::js::glue::abort_controller(&controller);
            return;
        }
        let listener = Closure::<dyn FnMut()>::new(move || crate::js::glue::abort_controller(&controller));
        if let Ok(target) = signal.clone().dyn_into::<EventTarget>() {
            if target
                .add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref())
                .is_ok()
            {
                *self.user_signal.borrow_mut() = Some((signal.clone(), listener));
            }
        }
    }

    fn bind_controls(this: &Rc<Widget>) {
        let view = &this.view;
        Widget::listen(this, view.cancel_open.clone().into(), "click", |widget, _| widget.open_confirmation());
        Widget::listen(this, view.confirm_keep.clone().into(), "click", |widget, _| widget.close_confirmation());
        Widget::listen(this, view.confirm_yes.clone().into(), "click", |widget, _| Widget::cancel_import(&widget));
        Widget::listen(this, view.confirm.clone().into(), "keydown", |widget, event| {
            if js_get(&event, "key").as_string().as_deref() == Some("Escape") {
                widget.close_confirmation();
            }
        });
    }

    fn listen(this: &Rc<Widget>, target: EventTarget, event: &'static str, handler: fn(Rc<Widget>, Event)) {
        let weak: Weak<Widget> = Rc::downgrade(this);
        let listener = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            if let Some(widget) = weak.upgrade() {
                handler(widget, event);
            }
        });
        if target.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref()).is_ok() {
            if let Ok(mut listeners) = this.listeners.try_borrow_mut() {
                listeners.push((target, event, listener));
            }
        }
    }

    fn start_ticker(this: &Rc<Widget>) {
        let weak = Rc::downgrade(this);
        let tick = Closure::<dyn FnMut()>::new(move || {
            if let Some(widget) = weak.upgrade() {
                widget.tick();
            }
        });
        match set_interval(tick.as_ref().unchecked_ref(), TICK_MS) {
            Ok(id) => *this.ticker.borrow_mut() = Some((id, tick)),
            Err(error) => this.log("warn", &format!("setInterval failed, so the clock will not tick: {}", describe_thrown(&error))),
        }
    }

    fn stop_ticker(&self) {
        if let Some((id, _tick)) = self.ticker.borrow_mut().take() {
            clear_interval(&id);
        }
    }

    fn tick(&self) {
        if let (Ok(state), Some(texts)) = (self.state.try_borrow(), self.texts.get()) {
            self.view.render_clock(&state, texts, js_sys::Date::now());
        }
    }

    fn render(&self) {
        if let (Ok(state), Some(texts)) = (self.state.try_borrow(), self.texts.get()) {
            self.view.render(&state, texts, self.allow_cancel, js_sys::Date::now());
        }
    }

    /// Changes the state, then renders it. Nothing outside the widget runs
    /// while the state is borrowed, so the borrow cannot fail.
    fn update(&self, change: impl FnOnce(&mut WidgetState)) {
        if let Ok(mut state) = self.state.try_borrow_mut() {
            change(&mut state);
        }
        self.render();
    }

    fn on_update(&self, update: &Update) {
        let now = js_sys::Date::now();
        self.update(|state| {
            if let Some(status) = &update.status {
                state.status = Some(status.clone());
            }
            state.retry_error = match (&update.error, update.next_poll_in_ms) {
                (Some(error), Some(_)) if error.retryable() => Some(error.message.clone()),
                _ => None,
            };
            state.next_poll_at_ms = update.next_poll_in_ms.map(|ms| now + ms as f64);
            if update.next_poll_in_ms.is_none() {
                state.ended_at_ms.get_or_insert(now);
            }
        });
    }

    /// Takes the outcome of the watch's `done`: shows a failure, stops the
    /// clock, and calls `onFinish` or `onError` once the state is drawn.
    fn on_done(&self, result: Result<JsValue, JsValue>) {
        if !self.mounted.get() {
            return;
        }
        let aborted = result
            .as_ref()
            .err()
            .is_some_and(|error| js_get(error, "name").as_string().as_deref() == Some("AbortError"));
        let now = js_sys::Date::now();
        self.stop_ticker();
        self.update(|state| {
            state.ended_at_ms.get_or_insert(now);
            state.next_poll_at_ms = None;
            if let Err(error) = &result {
                if !aborted {
                    state.watch_error = Some(js_get(error, "message").as_string().unwrap_or_else(|| describe_thrown(error)));
                }
            }
        });

        let (hook, name, argument) = match result {
            Ok(status) => (&self.on_finish, "onFinish", status),
            Err(_) if aborted => return,
            Err(error) => (&self.on_error, "onError", error),
        };
        let Some(hook) = hook.clone() else {
            return;
        };
        // The hook runs once the final state is on screen, so a widget
        // still waiting for its texts runs it from `show`.
        if self.texts.get().is_none() {
            *self.deferred_hook.borrow_mut() = Some((hook, name, argument));
            return;
        }
        self.run_hook((hook, name, argument));
    }

    /// Calls `onFinish` or `onError`. The hook may call stop(), so callers
    /// run it after every borrow has ended.
    fn run_hook(&self, (hook, name, argument): Hook) {
        if let Err(thrown) = hook.call1(&JsValue::UNDEFINED, &argument) {
            self.log("error", &format!("the {name} hook threw {}", describe_thrown(&thrown)));
        }
    }

    fn open_confirmation(&self) {
        self.update(|state| state.cancel = CancelState::Confirming);
        self.view.focus(&self.view.confirm_keep);
    }

    fn close_confirmation(&self) {
        let confirming = self.state.try_borrow().is_ok_and(|state| state.cancel == CancelState::Confirming);
        if !confirming {
            return;
        }
        self.update(|state| state.cancel = CancelState::Idle);
        self.view.focus(&self.view.cancel_open);
    }

    /// Sends `configuration.import.unregister` through the watch's client
    /// and shows the outcome. On success the watch stops, so `done` rejects
    /// with an `AbortError`.
    fn cancel_import(this: &Rc<Widget>) {
        let confirming = this.state.try_borrow().is_ok_and(|state| state.cancel == CancelState::Confirming);
        if !confirming {
            return;
        }
        this.update(|state| state.cancel = CancelState::Pending);

        let transport = this.transport.clone();
        let params = request_params(this.process_id);
        let timeout_ms = this.request_timeout_ms;
        let signal = this
            .request_controller
            .as_ref()
            .map_or(JsValue::UNDEFINED, |controller| controller.signal().into());
        let weak = Rc::downgrade(this);
        spawn_local(async move {
            let outcome = match transport.send(UNREGISTER_METHOD, &params, timeout_ms, &signal).await {
                Ok(reply) => parse_unregister_response(reply.http_status, &reply.body, js_sys::Date::now()),
                Err(error) => Err(error),
            };
            if let Some(widget) = weak.upgrade() {
                widget.on_cancelled(outcome);
            }
        });
    }

    fn on_cancelled(&self, outcome: Result<(), WatchError>) {
        if !self.mounted.get() {
            return;
        }
        match outcome {
            Ok(()) => {
                let now = js_sys::Date::now();
                self.stop_ticker();
                self.update(|state| {
                    state.cancel = CancelState::Done;
                    state.ended_at_ms.get_or_insert(now);
                    state.next_poll_at_ms = None;
                    state.retry_error = None;
                });
                // With this reason, the `AbortError` of `done` names the
                // widget's button as the cause, not the caller's signal.
                if let Some(controller) = &self.watch_controller {
                    controller.abort_with_reason(&JsValue::from_str(CANCELLED_REASON));
                }
                self.view.focus(&self.view.title);
            }
            Err(error) if error.kind == ErrorKind::Aborted => {
                self.update(|state| state.cancel = CancelState::Idle);
            }
            Err(error) => {
                self.log("warn", &error.message);
                self.update(|state| state.cancel = CancelState::Failed(error.message.clone()));
                self.view.focus(&self.view.cancel_open);
            }
        }
    }

    /// Passes a message to the caller's `logger`, if any.
    fn log(&self, level: &str, message: &str) {
        if let Some(logger) = &self.logger {
            let _ = logger.call2(&JsValue::UNDEFINED, &JsValue::from_str(level), &JsValue::from_str(message));
        }
    }
}

impl Drop for Widget {
    fn drop(&mut self) {
        self.release();
    }
}
