//! One poller per client, shared by every watch that uses the client.
//!
//! It joins polls of the same import into one request and combines polls of
//! different imports that fall due together into `batch` requests. A leaky
//! bucket spaces the requests, so a page with many watches stays under the
//! portal's rate limit.

use super::glue;
use super::transport::{self, settled, Reply, Settled, Transport};
use crate::batch::{commands, plan_batches, split_response, BATCH_METHOD};
use crate::envelope::{parse_get_response, GET_METHOD};
use crate::error::WatchError;
use crate::rate_limit::{self, LeakyBucket};
use crate::status::ImportStatus;
use crate::watch::MAX_TIMER_MS;
use js_sys::{Function, Object, Promise};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::AbortController;

type Outcome = Result<ImportStatus, WatchError>;
/// The cell that receives a watch's outcome once its poll ends.
type Slot = Rc<RefCell<Option<Outcome>>>;

/// A watch waiting for the outcome of a poll.
struct Waiter {
    process_id: u64,
    timeout_ms: u64,
    slot: Slot,
    wake: Function,
}

/// The waiters of one import whose request is on the wire. The imports of
/// one `batch` request share its controller, which aborts the request once
/// none of them has a waiter left.
struct InFlight {
    process_id: u64,
    waiters: Vec<Waiter>,
    controller: Rc<AbortController>,
}

/// The request rate a poller keeps to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Requests drained per second.
    pub per_second: f64,
    /// Requests allowed at once before the bucket makes callers wait.
    pub burst: u32,
}

impl RateLimit {
    /// The limit of most Bitrix24 plans: 2 requests/s, 50 queued.
    pub const STANDARD: RateLimit = RateLimit {
        per_second: rate_limit::DEFAULT_RATE_PER_S,
        burst: rate_limit::DEFAULT_BURST,
    };
    /// The Enterprise plan's limit: 5 requests/s, 250 queued.
    pub const ENTERPRISE: RateLimit = RateLimit {
        per_second: rate_limit::ENTERPRISE_RATE_PER_S,
        burst: rate_limit::ENTERPRISE_BURST,
    };
}

/// Polls `configuration.import.get` for every watch of one client.
pub struct Poller {
    key: JsValue,
    transport: Rc<Transport>,
    bucket: RefCell<LeakyBucket>,
    queue: RefCell<Vec<Waiter>>,
    /// Requests on the wire; a poll of the same import joins its waiters
    /// instead of sending another request.
    in_flight: RefCell<Vec<InFlight>>,
    /// The last good status per process id and when it arrived (Unix ms).
    recent: RefCell<Vec<(u64, f64, ImportStatus)>>,
    flush_scheduled: Cell<bool>,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Poller").field("transport", &self.transport).finish_non_exhaustive()
    }
}

thread_local! {
    /// Live pollers by client. Weak, so a poller goes when its last watch does.
    static POLLERS: RefCell<Vec<Weak<Poller>>> = const { RefCell::new(Vec::new()) };
}

impl Poller {
    /// Returns the poller of the client identified by `key` (the client object
    /// or function the caller passed), creating it with `transport` and `limit`
    /// when there is none. A later call's `limit` does not change a live poller.
    ///
    /// # Errors
    ///
    /// An invalid-argument error for a rate limit the bucket cannot use.
    pub fn for_client(key: &JsValue, transport: Rc<Transport>, limit: RateLimit) -> Result<Rc<Poller>, WatchError> {
        let existing = POLLERS.with(|pollers| {
            let mut pollers = pollers.borrow_mut();
            pollers.retain(|poller| poller.strong_count() > 0);
            pollers
                .iter()
                .filter_map(Weak::upgrade)
                .find(|poller| Object::is(&poller.key, key))
        });
        if let Some(poller) = existing {
            return Ok(poller);
        }

        let poller = Rc::new(Poller {
            key: key.clone(),
            transport,
            bucket: RefCell::new(LeakyBucket::new(limit.per_second, limit.burst)?),
            queue: RefCell::new(Vec::new()),
            in_flight: RefCell::new(Vec::new()),
            recent: RefCell::new(Vec::new()),
            flush_scheduled: Cell::new(false),
        });
        POLLERS.with(|pollers| pollers.borrow_mut().push(Rc::downgrade(&poller)));
        Ok(poller)
    }

    /// Polls the status of `process_id`. The request may be shared with other
    /// watches: a status that arrived at most `fresh_ms` ago is reused, and a
    /// request on the wire for the same import is joined. `timeout_ms` bounds
    /// the request once it is sent; `wait_limit_ms`, when given, and `signal`
    /// bound this caller's wait.
    ///
    /// # Errors
    ///
    /// The poll's error, a timeout, or an aborted error when `signal` aborts.
    pub async fn poll(
        self: &Rc<Self>,
        process_id: u64,
        timeout_ms: u64,
        fresh_ms: u64,
        wait_limit_ms: Option<u64>,
        signal: &JsValue,
    ) -> Outcome {
        let (slot, woken) = match self.enqueue(process_id, timeout_ms, fresh_ms) {
            Ok(status) => return Ok(status),
            Err(waiting) => waiting,
        };
        // The request has its own time limit once it is sent, and the rate
        // limiter's queue ahead of it is finite, so only the watch's own time
        // limit bounds this wait. A page with many watches on one client can
        // queue for minutes, which is no reason to report the portal as slow.
        let wait_ms = wait_limit_ms.unwrap_or(MAX_TIMER_MS).clamp(1, MAX_TIMER_MS);
        let settled = settled(glue::settle_promise(&woken, wait_ms as f64, signal)).await;
        self.finish_wait(&slot, settled, timeout_ms)
    }

    /// Returns a fresh status of `process_id` when one is at hand. Otherwise
    /// adds a waiter for the import and returns, as the error, its slot and
    /// the promise that resolves once the slot is filled.
    fn enqueue(self: &Rc<Self>, process_id: u64, timeout_ms: u64, fresh_ms: u64) -> Result<ImportStatus, (Slot, Promise)> {
        let now = js_sys::Date::now();
        let fresh = self
            .recent
            .borrow()
            .iter()
            .find(|(id, at, _)| *id == process_id && now - at <= fresh_ms as f64)
            .map(|(_, _, status)| status.clone());
        if let Some(status) = fresh {
            return Ok(status);
        }

        let slot = Rc::new(RefCell::new(None));
        let mut wake = JsValue::UNDEFINED;
        let woken = Promise::new(&mut |resolve, _| wake = resolve.into());
        let waiter = Waiter {
            process_id,
            timeout_ms,
            slot: slot.clone(),
            wake: wake.unchecked_into(),
        };
        let queued = {
            let mut in_flight = self.in_flight.borrow_mut();
            match in_flight.iter_mut().find(|entry| entry.process_id == process_id) {
                Some(entry) => {
                    entry.waiters.push(waiter);
                    false
                }
                None => {
                    self.queue.borrow_mut().push(waiter);
                    true
                }
            }
        };
        if queued {
            self.schedule_flush();
        }
        Err((slot, woken))
    }

    /// Takes the outcome from `slot` once the wait for it has ended.
    fn finish_wait(&self, slot: &Slot, settled: Settled, timeout_ms: u64) -> Outcome {
        if let Settled::Aborted = settled {
            self.forget(slot);
            return Err(transport::aborted(GET_METHOD));
        }
        slot.borrow_mut()
            .take()
            .unwrap_or_else(|| Err(WatchError::request_timeout(GET_METHOD, timeout_ms)))
    }

    /// Sends the queued polls after the current task, so that watches falling
    /// due in the same turn of the event loop share the requests.
    fn schedule_flush(self: &Rc<Self>) {
        if self.flush_scheduled.replace(true) {
            return;
        }
        let poller = self.clone();
        spawn_local(async move {
            let _ = JsFuture::from(glue::sleep(0.0, &JsValue::UNDEFINED)).await;
            poller.flush_scheduled.set(false);
            let waiters = std::mem::take(&mut *poller.queue.borrow_mut());
            poller.send_all(waiters).await;
        });
    }

    /// Removes the waiter that owns `slot` after its watch stopped, and aborts
    /// a request that no watch waits for any more.
    fn forget(&self, slot: &Slot) {
        self.queue.borrow_mut().retain(|waiter| !Rc::ptr_eq(&waiter.slot, slot));

        let orphaned = {
            let mut in_flight = self.in_flight.borrow_mut();
            let mut orphaned = None;
            for entry in in_flight.iter_mut() {
                let before = entry.waiters.len();
                entry.waiters.retain(|waiter| !Rc::ptr_eq(&waiter.slot, slot));
                if entry.waiters.len() < before {
                    orphaned = Some(entry.controller.clone());
                }
            }
            orphaned.filter(|controller| {
                !in_flight
                    .iter()
                    .any(|entry| Rc::ptr_eq(&entry.controller, controller) && !entry.waiters.is_empty())
            })
        };
        if let Some(controller) = orphaned {
            glue::abort_controller(&controller);
        }
    }

    async fn send_all(&self, waiters: Vec<Waiter>) {
        let timeout_ms = waiters.iter().map(|waiter| waiter.timeout_ms).min().unwrap_or(30_000);
        for (group, controller) in self.start_requests(waiters) {
            let wait_ms = self.bucket.borrow_mut().acquire(js_sys::Date::now());
            if wait_ms > 0 {
                let _ = JsFuture::from(glue::sleep(wait_ms as f64, &JsValue::UNDEFINED)).await;
            }
            // Watches that stopped while the limiter held the request back
            // leave imports that no watch waits for.
            let live = self.live_imports(&group);
            let outcomes = match request_params(&live) {
                Some((method, params)) => {
                    let signal: JsValue = controller.signal().into();
                    let reply = self.transport.send(method, &params, timeout_ms, &signal).await;
                    outcomes_of(&live, reply)
                }
                None => Vec::new(),
            };
            for (id, outcome) in outcomes {
                self.deliver(id, outcome);
            }
            for id in group.iter().filter(|id| !live.contains(id)) {
                self.deliver(*id, Err(aborted()));
            }
        }
    }

    /// Groups the waiters' imports into requests and marks every import as
    /// in flight, so that polls arriving while the rate limiter delays a
    /// request join it. Returns each request's imports and abort controller.
    fn start_requests(&self, waiters: Vec<Waiter>) -> Vec<(Vec<u64>, Rc<AbortController>)> {
        let ids: Vec<u64> = waiters.iter().map(|waiter| waiter.process_id).collect();
        let groups: Vec<Vec<u64>> = if can_batch(&self.transport) {
            plan_batches(&ids)
        } else {
            plan_batches(&ids).into_iter().flatten().map(|id| vec![id]).collect()
        };

        let mut requests = Vec::with_capacity(groups.len());
        let mut in_flight = self.in_flight.borrow_mut();
        let mut waiters = waiters;
        for group in groups {
            let Ok(controller) = AbortController::new() else {
                continue;
            };
            let controller = Rc::new(controller);
            for id in &group {
                let (mine, rest): (Vec<Waiter>, Vec<Waiter>) = waiters.into_iter().partition(|waiter| waiter.process_id == *id);
                waiters = rest;
                in_flight.push(InFlight {
                    process_id: *id,
                    waiters: mine,
                    controller: controller.clone(),
                });
            }
            requests.push((group, controller));
        }
        requests
    }

    /// Lists the imports of `group` that some watch still waits for.
    fn live_imports(&self, group: &[u64]) -> Vec<u64> {
        let in_flight = self.in_flight.borrow();
        group
            .iter()
            .copied()
            .filter(|id| in_flight.iter().any(|entry| entry.process_id == *id && !entry.waiters.is_empty()))
            .collect()
    }

    /// Hands an outcome to every waiter of `process_id`, including those that
    /// joined while the request was on the wire.
    fn deliver(&self, process_id: u64, outcome: Outcome) {
        let waiters = {
            let mut in_flight = self.in_flight.borrow_mut();
            let position = in_flight.iter().position(|entry| entry.process_id == process_id);
            position.map(|position| in_flight.swap_remove(position).waiters).unwrap_or_default()
        };
        if let Ok(status) = &outcome {
            let mut recent = self.recent.borrow_mut();
            recent.retain(|(id, _, _)| *id != process_id);
            recent.push((process_id, js_sys::Date::now(), status.clone()));
        }
        for waiter in waiters {
            *waiter.slot.borrow_mut() = Some(outcome.clone());
            // OK to ignore: a promise's resolve function does not throw.
            let _ = waiter.wake.call0(&JsValue::UNDEFINED);
        }
    }

}

/// The method and parameters of the request that polls `ids`: a single
/// `configuration.import.get`, or a `batch` of them. `None` for no import.
fn request_params(ids: &[u64]) -> Option<(&'static str, JsValue)> {
    let params = Object::new();
    match ids {
        [] => return None,
        [id] => {
            glue::set(&params, "processId", &JsValue::from(*id as f64));
            return Some((GET_METHOD, params.into()));
        }
        _ => {}
    }
    let cmd = Object::new();
    for (key, command) in commands(ids) {
        glue::set(&cmd, &key, &JsValue::from_str(&command));
    }
    glue::set(&params, "cmd", &cmd);
    glue::set(&params, "halt", &JsValue::from(0));
    Some((BATCH_METHOD, params.into()))
}

/// Splits the reply to the request that `request_params(ids)` made into
/// one outcome per import.
fn outcomes_of(ids: &[u64], reply: Result<Reply, WatchError>) -> Vec<(u64, Outcome)> {
    if let [id] = ids {
        return vec![(*id, reply.and_then(|reply| parse_reply(&reply, *id)))];
    }
    let outcomes = reply.and_then(|reply| {
        split_response(reply.http_status, &reply.body, ids, js_sys::Date::now())
            .map_err(|error| with_hint(error, reply.retry_after_ms))
    });
    match outcomes {
        Ok(outcomes) => ids.iter().copied().zip(outcomes).collect(),
        Err(error) => ids.iter().map(|id| (*id, Err(error.clone()))).collect(),
    }
}

fn aborted() -> WatchError {
    WatchError::aborted(format!("{GET_METHOD} was not sent because every watch of the import stopped"))
}

/// Whether the transport can send `batch`. A caller's function may reach a
/// backend that only knows `configuration.import.get`, so it polls one by one.
fn can_batch(transport: &Transport) -> bool {
    !matches!(transport, Transport::Function(_))
}

fn parse_reply(reply: &Reply, process_id: u64) -> Outcome {
    parse_get_response(reply.http_status, &reply.body, Some(process_id), js_sys::Date::now())
        .map_err(|error| with_hint(error, reply.retry_after_ms))
}

/// Adds the transport's `Retry-After` hint to an error that has none.
fn with_hint(error: WatchError, hint: Option<u64>) -> WatchError {
    match (error.retry_after_ms, hint) {
        (None, Some(_)) => error.with_retry_after_ms(hint),
        _ => error,
    }
}

