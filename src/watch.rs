//! The watcher as a state machine with no I/O: it takes the outcome of each
//! poll and the current time, and says what to report and when to poll next.
//! The JavaScript layer only performs the requests and the waits it asks for.

use crate::backoff::retry_delay_ms;
use crate::error::{ErrorKind, Recovery, WatchError};
use crate::schedule::{hidden_tab_delay_ms, Schedule, ScheduleConfig, ScheduleKind, HIDDEN_TAB_INTERVAL_MS};
use crate::status::ImportStatus;

/// Node turns a `setTimeout` delay above 2^31 − 1 ms into 1 ms, a tight
/// loop, so no delay or interval may exceed it.
pub const MAX_TIMER_MS: u64 = 2_147_483_647;

/// The settings of one watch. Every duration is in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WatchConfig {
    /// The polling policy.
    pub schedule: ScheduleKind,
    /// The upper bound between polls.
    pub interval_ms: u64,
    /// The lower bound between polls.
    pub min_interval_ms: u64,
    /// The time limit of one request.
    pub request_timeout_ms: u64,
    /// The time limit of the whole watch, if any.
    pub timeout_ms: Option<u64>,
    /// How many errors in a row end the watch.
    pub max_consecutive_errors: u32,
    /// The shortest delay between polls while the page is hidden.
    pub hidden_interval_ms: u64,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            schedule: ScheduleKind::Agent,
            interval_ms: ScheduleKind::Agent.default_interval_ms(),
            min_interval_ms: 2_000,
            request_timeout_ms: 30_000,
            timeout_ms: None,
            max_consecutive_errors: 10,
            hidden_interval_ms: HIDDEN_TAB_INTERVAL_MS,
        }
    }
}

/// The report the callback receives after a poll.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    /// The last status read successfully; `None` until the first success.
    pub status: Option<ImportStatus>,
    /// Whether this poll brought a status that differs from the one before.
    pub changed: bool,
    /// The number of the poll, from 1.
    pub attempt: u32,
    /// The delay until the next poll, or `None` when the watch has ended.
    pub next_poll_in_ms: Option<u64>,
    /// The error of this poll, if it failed.
    pub error: Option<WatchError>,
}

/// What happens after a poll.
// A `Step` is built once per poll, seconds apart, and moved once, so the
// size of `Finish` costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Report `update`, then poll again after `update.next_poll_in_ms`.
    Continue(Update),
    /// Report `update`, then end the watch with `result`.
    Finish(Update, Result<ImportStatus, WatchError>),
}

/// The state of one watch.
#[derive(Clone, Debug)]
pub struct Watcher {
    process_id: u64,
    config: WatchConfig,
    schedule: Schedule,
    started_at_ms: f64,
    latest: Option<ImportStatus>,
    attempt: u32,
    consecutive_errors: u32,
    hidden: bool,
}

impl Watcher {
    /// Creates the watcher of `process_id` at time `now_ms`.
    pub fn new(process_id: u64, config: WatchConfig, now_ms: f64) -> Watcher {
        let schedule_config = ScheduleConfig {
            kind: config.schedule,
            interval_ms: config.interval_ms,
            min_interval_ms: config.min_interval_ms.min(config.interval_ms),
        };
        Watcher {
            process_id,
            config,
            schedule: Schedule::new(schedule_config, now_ms),
            started_at_ms: now_ms,
            latest: None,
            attempt: 0,
            consecutive_errors: 0,
            hidden: false,
        }
    }

    /// The watched process id.
    pub fn process_id(&self) -> u64 {
        self.process_id
    }

    /// The settings.
    pub fn config(&self) -> &WatchConfig {
        &self.config
    }

    /// The last status read successfully.
    pub fn latest(&self) -> Option<&ImportStatus> {
        self.latest.as_ref()
    }

    /// Records whether the page is hidden. While it is, the next delays are
    /// at least `hidden_interval_ms`, because no one sees the progress then.
    pub fn set_hidden(&mut self, hidden: bool) {
        self.hidden = hidden;
    }

    /// Milliseconds left before `timeout_ms` ends the watch, if it is set.
    pub fn remaining_ms(&self, now_ms: f64) -> Option<u64> {
        let timeout_ms = self.config.timeout_ms?;
        let elapsed = (now_ms - self.started_at_ms).max(0.0) as u64;
        Some(timeout_ms.saturating_sub(elapsed))
    }

    /// The time limit for the next request: `request_timeout_ms`, shortened
    /// so that the request cannot outlive the watch's own timeout.
    pub fn request_timeout_ms(&self, now_ms: f64) -> u64 {
        let limit = self.config.request_timeout_ms;
        self.remaining_ms(now_ms).map_or(limit, |remaining| limit.min(remaining.max(1)))
    }

    /// The error that ends a watch whose `timeout_ms` has passed.
    pub fn timeout_error(&self) -> WatchError {
        let timeout_ms = self.config.timeout_ms.unwrap_or(0);
        let mut message = format!(
            "watching import {} timed out after {timeout_ms} ms (timeoutMs)",
            self.process_id
        );
        match &self.latest {
            Some(status) => {
                message.push_str(" with the import still in status ");
                message.push_str(status_letter(status));
                message.push_str("; the import goes on on the portal, so watch it again to follow it");
            }
            None => message.push_str(" before any status was read; check the client and the portal"),
        }
        WatchError::new(ErrorKind::Timeout, Recovery::Fail, message)
    }

    /// Takes the outcome of a poll that completed at `now_ms`. `random` is a
    /// uniform draw from `[0, 1)` for retry jitter.
    pub fn on_poll(&mut self, now_ms: f64, outcome: Result<ImportStatus, WatchError>, random: f64) -> Step {
        self.attempt = self.attempt.saturating_add(1);
        match outcome {
            Ok(status) => self.on_status(now_ms, status),
            Err(error) => self.on_error(now_ms, error, random),
        }
    }

    fn on_status(&mut self, now_ms: f64, status: ImportStatus) -> Step {
        self.consecutive_errors = 0;
        let changed = self.latest.as_ref().map_or(true, |previous| status.differs_from(previous));
        self.latest = Some(status.clone());

        if status.terminal {
            let update = self.update(changed, None, None);
            return Step::Finish(update, Ok(status));
        }

        let delay = self.schedule.next_delay_ms(now_ms, &status, changed);
        let delay = self.clamp_delay(delay);
        Step::Continue(self.update(changed, Some(delay), None))
    }

    fn on_error(&mut self, _now_ms: f64, error: WatchError, random: f64) -> Step {
        self.consecutive_errors = self.consecutive_errors.saturating_add(1);

        let fatal = !error.retryable() || error.kind == ErrorKind::Aborted;
        if fatal {
            return Step::Finish(self.update(false, None, Some(error.clone())), Err(error));
        }
        if self.consecutive_errors >= self.config.max_consecutive_errors {
            let spent = error.clone().gave_up(self.consecutive_errors);
            return Step::Finish(self.update(false, None, Some(spent.clone())), Err(spent));
        }

        let backoff = retry_delay_ms(self.consecutive_errors, self.config.interval_ms, 0, random);
        // A server hint wins over the backoff when it requests a longer wait.
        let delay = match error.retry_after_ms {
            Some(hint) => backoff.max(hint),
            None => backoff,
        };
        let delay = hidden_tab_delay_ms(delay, self.hidden, self.config.hidden_interval_ms).min(MAX_TIMER_MS);
        Step::Continue(self.update(false, Some(delay), Some(error)))
    }

    fn clamp_delay(&self, delay: u64) -> u64 {
        let floor = self.config.min_interval_ms.min(self.config.interval_ms);
        let delay = delay.clamp(floor, self.config.interval_ms.max(floor));
        hidden_tab_delay_ms(delay, self.hidden, self.config.hidden_interval_ms).min(MAX_TIMER_MS)
    }

    fn update(&self, changed: bool, next_poll_in_ms: Option<u64>, error: Option<WatchError>) -> Update {
        Update {
            status: self.latest.clone(),
            changed,
            attempt: self.attempt,
            next_poll_in_ms,
            error,
        }
    }
}

fn status_letter(status: &ImportStatus) -> &'static str {
    use crate::status::StatusCode;
    match status.code {
        StatusCode::S => "S",
        StatusCode::P => "P",
        StatusCode::F => "F",
        StatusCode::E => "E",
        StatusCode::U => "U",
    }
}
