//! `watchImport` and the `ImportWatch` handle: the async loop that performs
//! the requests and waits that the core `Watcher` asks for.

use super::convert::{status_to_js, update_to_js};
use super::error::{describe_thrown, to_js};
use super::glue;
use super::options::{read_options, show, WatchOptions};
use super::poller::Poller;
use super::transport::Transport;
use crate::envelope::{parse_get_response, GET_METHOD};
use crate::error::{ErrorKind, WatchError};
use crate::process_id::{parse_process_id, ProcessIdInput};
use crate::status::ImportStatus;
use crate::watch::{Step, Update, Watcher};
use js_sys::{Function, Object, Promise};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::AbortController;

/// A running watch. `stop()` ends it; `done` settles once.
#[wasm_bindgen]
#[derive(Debug)]
pub struct ImportWatch {
    shared: Rc<Shared>,
}

/// The caller's `AbortSignal` and the listener added to it, kept so that the
/// listener can be removed when the watch ends.
type SignalListener = (JsValue, Closure<dyn FnMut()>);

struct Shared {
    process_id: Option<u64>,
    done: Promise,
    resolve: Function,
    reject: Function,
    settled: Cell<bool>,
    latest: RefCell<JsValue>,
    /// Aborted by `stop()` or by the caller's signal; cancels the request in
    /// flight and the wait between polls.
    controller: Option<AbortController>,
    signal_listener: RefCell<Option<SignalListener>>,
    logger: Option<Function>,
    /// Work that `stop()` runs once, even after `done` settled, such as a
    /// widget removing itself from the page.
    on_stop: RefCell<Vec<Box<dyn FnOnce()>>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Shared")
            .field("process_id", &self.process_id)
            .field("settled", &self.settled.get())
            .finish_non_exhaustive()
    }
}

/// A Rust consumer of updates: takes the update and its status already
/// converted to JS.
pub type RustListener = Rc<dyn Fn(&Update, &JsValue)>;

/// The receiver of a watch's updates.
#[derive(Clone)]
pub enum Listener {
    /// The JS callback of `watchImport`; exceptions it throws are logged.
    Js(Function),
    /// A Rust consumer such as the widget, given the update and the status
    /// already converted to JS.
    Rust(RustListener),
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Listener::Js(_) => "Listener::Js",
            Listener::Rust(_) => "Listener::Rust",
        })
    }
}

#[wasm_bindgen]
impl ImportWatch {
    /// Stops polling. No callback runs after this returns, and `done`
    /// rejects with an `AbortError` unless it has already settled. The
    /// rejection is marked handled, so leaving `done` unawaited is quiet.
    pub fn stop(&self) {
        self.shared.abort("stop() was called");
        let on_stop = std::mem::take(&mut *self.shared.on_stop.borrow_mut());
        for work in on_stop {
            work();
        }
    }

    /// Settles with the terminal status, or rejects with a `WatchError`.
    #[wasm_bindgen(getter)]
    pub fn done(&self) -> Promise {
        self.shared.done.clone()
    }

    /// The last status read, or `null` before the first successful poll.
    #[wasm_bindgen(getter)]
    pub fn latest(&self) -> JsValue {
        self.shared.latest.borrow().clone()
    }
}

impl Shared {
    fn new(process_id: Option<u64>, logger: Option<Function>, with_controller: bool) -> Rc<Shared> {
        let mut functions = (JsValue::UNDEFINED, JsValue::UNDEFINED);
        let done = Promise::new(&mut |resolve, reject| functions = (resolve.into(), reject.into()));
        Rc::new(Shared {
            process_id,
            done,
            resolve: functions.0.unchecked_into(),
            reject: functions.1.unchecked_into(),
            settled: Cell::new(false),
            latest: RefCell::new(JsValue::NULL),
            controller: if with_controller { AbortController::new().ok() } else { None },
            signal_listener: RefCell::new(None),
            logger,
            on_stop: RefCell::new(Vec::new()),
        })
    }

    fn signal(&self) -> JsValue {
        self.controller.as_ref().map_or(JsValue::UNDEFINED, |controller| controller.signal().into())
    }

    fn stopped(&self) -> bool {
        self.settled.get()
    }

    fn settle(&self, result: Result<JsValue, JsValue>, quiet: bool) {
        if self.settled.replace(true) {
            return;
        }
        if quiet {
            glue::mark_handled(&self.done);
        }
        // OK to ignore: the resolving functions of a promise do not throw.
        let _ = match result {
            Ok(value) => self.resolve.call1(&JsValue::UNDEFINED, &value),
            Err(error) => self.reject.call1(&JsValue::UNDEFINED, &error),
        };
        if let Some(controller) = &self.controller {
            glue::abort_controller(controller);
        }
        self.remove_signal_listener();
    }

    fn abort(&self, reason: &str) {
        if self.stopped() {
            return;
        }
        let process = self.process_id.map_or_else(String::new, |id| format!(" import {id}"));
        let error = WatchError::aborted(format!("watching{process} was aborted: {reason}"));
        self.log("info", &error.message);
        self.settle(Err(to_js(&error)), true);
    }

    fn remove_signal_listener(&self) {
        if let Some((signal, listener)) = self.signal_listener.borrow_mut().take() {
            let remove = glue::get(&signal, "removeEventListener");
            if let Ok(remove) = remove.dyn_into::<Function>() {
                let _ = remove.call2(&signal, &JsValue::from_str("abort"), listener.as_ref());
            }
        }
    }

    fn listen_to_signal(self: &Rc<Self>, signal: &JsValue) {
        let weak: Weak<Shared> = Rc::downgrade(self);
        let listener = Closure::<dyn FnMut()>::new(move || {
            if let Some(shared) = weak.upgrade() {
                // A string reason, such as the widget's "cancelled" one, says more
                // than the fixed text; the borrow ends before `abort` needs it.
                let reason = shared
                    .signal_listener
                    .borrow()
                    .as_ref()
                    .and_then(|(signal, _)| glue::get(signal, "reason").as_string());
                shared.abort(reason.as_deref().unwrap_or("options.signal was aborted"));
            }
        });
        let add = glue::get(signal, "addEventListener");
        if let Ok(add) = add.dyn_into::<Function>() {
            let _ = add.call2(signal, &JsValue::from_str("abort"), listener.as_ref());
            *self.signal_listener.borrow_mut() = Some((signal.clone(), listener));
        }
    }

    /// Passes a message to the caller's `logger`, if any. Messages never
    /// hold secrets: every error message is built without them.
    fn log(&self, level: &str, message: &str) {
        if let Some(logger) = &self.logger {
            let _ = logger.call2(&JsValue::UNDEFINED, &JsValue::from_str(level), &JsValue::from_str(message));
        }
    }
}

/// Starts watching import `processId`: polls `configuration.import.get`
/// until the import ends, calling `callback(update)` after every poll.
///
/// Invalid arguments do not throw: the returned watch's `done` rejects with
/// a `WatchError` of kind `invalid_argument`, before any request.
#[wasm_bindgen(js_name = watchImport)]
pub fn watch_import(process_id: JsValue, callback: JsValue, options: JsValue) -> ImportWatch {
    match start_watch(&process_id, callback, &options) {
        Ok(watch) => watch,
        Err(error) => {
            let shared = Shared::new(None, None, false);
            shared.settle(Err(to_js(&error)), false);
            ImportWatch { shared }
        }
    }
}

fn start_watch(process_id: &JsValue, callback: JsValue, options: &JsValue) -> Result<ImportWatch, WatchError> {
    let process_id = read_process_id(process_id)?;
    let callback: Function = match callback.dyn_into::<Function>() {
        Ok(callback) => callback,
        Err(other) => {
            return Err(WatchError::invalid_argument(format!(
                "invalid callback {}: expected a function (update) => void",
                show(&other)
            )))
        }
    };
    let options = read_options(options, &[])?;
    start(process_id, options, Listener::Js(callback))
}

impl ImportWatch {
    /// Adds work for `stop()` to run once, even after `done` settled.
    pub fn on_stop(&self, work: impl FnOnce() + 'static) {
        self.shared.on_stop.borrow_mut().push(Box::new(work));
    }

    /// Whether the watch has ended or was stopped.
    pub fn is_settled(&self) -> bool {
        self.shared.stopped()
    }
}

/// Starts a watch with checked arguments; the entry point for Rust callers
/// such as the widget.
///
/// # Errors
///
/// An invalid-argument error when the client option is unusable.
pub fn start(process_id: u64, options: WatchOptions, listener: Listener) -> Result<ImportWatch, WatchError> {
    let WatchOptions {
        config,
        client,
        signal,
        logger,
        rate_limit,
    } = options;
    let transport = Transport::from_option(&client)?;
    // Watches share a poller when they share a client; with no client option
    // the default `BX24` library is the client.
    let client_key = if client.is_undefined() || client.is_null() {
        glue::get(&js_sys::global(), "BX24")
    } else {
        client
    };
    let poller = Poller::for_client(&client_key, transport, rate_limit)?;

    let shared = Shared::new(Some(process_id), logger, true);
    if glue::get(&signal, "aborted").as_bool() == Some(true) {
        shared.abort("options.signal was already aborted");
        return Ok(ImportWatch { shared });
    }
    if !signal.is_undefined() && !signal.is_null() {
        shared.listen_to_signal(&signal);
    }

    let watcher = Watcher::new(process_id, config, js_sys::Date::now());
    let task_shared = shared.clone();
    spawn_local(async move {
        let result = run(&task_shared, watcher, &poller, &listener).await;
        if let Some(result) = result {
            let result = result.map(|status| status_to_js(&status)).map_err(|error| to_js(&error));
            task_shared.settle(result, false);
        }
    });
    Ok(ImportWatch { shared })
}

/// Polls until the import ends. Returns `None` when the watch was stopped,
/// because `stop()` has settled `done` already.
async fn run(shared: &Shared, mut watcher: Watcher, poller: &Rc<Poller>, listener: &Listener) -> Option<Result<ImportStatus, WatchError>> {
    let process_id = watcher.process_id();
    let signal = shared.signal();

    loop {
        // `stop()` may come before this task first runs, and a stopped watch
        // must not queue a request.
        if shared.stopped() {
            return None;
        }
        let now = js_sys::Date::now();
        if watcher.remaining_ms(now) == Some(0) {
            return Some(Err(watcher.timeout_error()));
        }

        let timeout_ms = watcher.request_timeout_ms(now);
        // Another watch's status from the last half of the shortest interval is
        // as good as a new one, and spares a request.
        let config = watcher.config();
        let fresh_ms = config.min_interval_ms.min(config.interval_ms) / 2;
        let outcome = poller.poll(process_id, timeout_ms, fresh_ms, watcher.remaining_ms(now), &signal).await;
        if shared.stopped() {
            return None;
        }
        let now = js_sys::Date::now();
        if outcome.as_ref().is_err_and(|error| error.kind == ErrorKind::Timeout) && watcher.remaining_ms(now) == Some(0) {
            return Some(Err(watcher.timeout_error()));
        }
        if let Err(error) = &outcome {
            shared.log("warn", &error.message);
        }

        watcher.set_hidden(glue::page_hidden());
        let step = watcher.on_poll(now, outcome, js_sys::Math::random());
        let update = match &step {
            Step::Continue(update) | Step::Finish(update, _) => update,
        };
        let status = update.status.as_ref().map_or(JsValue::NULL, status_to_js);
        *shared.latest.borrow_mut() = status.clone();
        match listener {
            Listener::Js(callback) => {
                if let Err(thrown) = callback.call1(&JsValue::UNDEFINED, &update_to_js(update, &status)) {
                    shared.log("error", &format!("the watchImport callback threw {}; watching goes on", describe_thrown(&thrown)));
                }
            }
            Listener::Rust(listener) => listener(update, &status),
        }
        if shared.stopped() {
            return None;
        }

        let delay_ms = match step {
            Step::Finish(_, result) => return Some(result),
            Step::Continue(update) => update.next_poll_in_ms.unwrap_or(0),
        };
        let now = js_sys::Date::now();
        let delay_ms = watcher.remaining_ms(now).map_or(delay_ms, |remaining| delay_ms.min(remaining));
        // A page that becomes visible again polls at once.
        let slept = JsFuture::from(glue::sleep_until_visible(delay_ms as f64, &signal)).await;
        if shared.stopped() || slept.ok().and_then(|value| value.as_bool()) != Some(true) {
            return None;
        }
    }
}

/// Reads a status once: one request, no retries.
pub async fn poll(transport: &Transport, process_id: u64, params: &JsValue, timeout_ms: u64, signal: &JsValue) -> Result<ImportStatus, WatchError> {
    let reply = transport.send(GET_METHOD, params, timeout_ms, signal).await?;
    parse_get_response(reply.http_status, &reply.body, Some(process_id), js_sys::Date::now())
        .map_err(|error| match (error.retry_after_ms, reply.retry_after_ms) {
            (None, Some(hint)) => error.with_retry_after_ms(Some(hint)),
            _ => error,
        })
}

/// The parameters of `configuration.import.get`.
pub fn request_params(process_id: u64) -> JsValue {
    let params = Object::new();
    glue::set(&params, "processId", &JsValue::from(process_id as f64));
    params.into()
}

/// Checks a `processId` argument.
pub fn read_process_id(value: &JsValue) -> Result<u64, WatchError> {
    let text = value.as_string();
    let input = if let Some(number) = value.as_f64() {
        ProcessIdInput::Number(number)
    } else if let Some(text) = &text {
        ProcessIdInput::Text(text)
    } else {
        return parse_process_id(ProcessIdInput::Other(&show(value)));
    };
    parse_process_id(input)
}
