//! The widget's record of the watch, and what follows from it for the
//! display: the state shown in the title and the state of each action.

use crate::status::{ImportStatus, StatusCode, ACTIONS};

/// The number of actions of an import.
pub(crate) const ACTION_COUNT: usize = ACTIONS.len();

/// The state that the title, icon and colour show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// No status read yet.
    Waiting,
    /// `S`: registered, the agent has not run yet.
    Started,
    /// `P` during an action.
    Running,
    /// `P` in the gap after `finish` (`action: false`), before `F`.
    Finishing,
    /// `F`.
    Finished,
    /// `E`.
    Failed,
    /// `U`.
    Unknown,
    /// Cancelled from the widget with `configuration.import.unregister`.
    Cancelled,
    /// Watching failed for good (an error that is not retried, or too many).
    Stopped,
}

impl Kind {
    /// Returns the value of the `data-kind` attribute that the style sheet keys on.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Waiting => "waiting",
            Kind::Started => "started",
            Kind::Running => "running",
            Kind::Finishing => "finishing",
            Kind::Finished => "finished",
            Kind::Failed => "failed",
            Kind::Unknown => "unknown",
            Kind::Cancelled => "cancelled",
            Kind::Stopped => "stopped",
        }
    }

    /// Returns the translation key of the title.
    pub(crate) fn title_key(self) -> &'static str {
        match self {
            Kind::Waiting => "state.waiting",
            Kind::Started => "state.started",
            Kind::Running => "state.running",
            Kind::Finishing => "state.finishing",
            Kind::Finished => "state.finished",
            Kind::Failed => "state.failed",
            Kind::Unknown => "state.unknown",
            Kind::Cancelled => "state.cancelled",
            Kind::Stopped => "state.stopped",
        }
    }
}

/// The state of one action in the stepper and the progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StepState {
    Done,
    Current,
    Failed,
    Pending,
}

impl StepState {
    /// Returns the value of the `data-state` attribute.
    pub(crate) fn name(self) -> &'static str {
        match self {
            StepState::Done => "done",
            StepState::Current => "current",
            StepState::Failed => "failed",
            StepState::Pending => "pending",
        }
    }

    /// Returns the translation key of the words a screen reader reads after the name.
    pub(crate) fn text_key(self) -> &'static str {
        match self {
            StepState::Done => "step.done",
            StepState::Current => "step.current",
            StepState::Failed => "step.failed",
            StepState::Pending => "step.pending",
        }
    }
}

/// The stage of the cancel control.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CancelState {
    /// The "Cancel import" button.
    Idle,
    /// The question with its two buttons.
    Confirming,
    /// `configuration.import.unregister` is under way.
    Pending,
    /// The last attempt failed with this message; the button is back.
    Failed(String),
    /// The import was cancelled.
    Done,
}

/// Everything the widget shows, updated by the watch, the clock and the user.
#[derive(Debug)]
pub(crate) struct WidgetState {
    /// The last status read successfully.
    pub(crate) status: Option<ImportStatus>,
    /// The message of the latest update's error while the watch retries it.
    pub(crate) retry_error: Option<String>,
    /// When the next poll starts, in Unix milliseconds.
    pub(crate) next_poll_at_ms: Option<f64>,
    /// When the widget was mounted, in Unix milliseconds.
    pub(crate) started_at_ms: f64,
    /// When watching ended, which freezes the elapsed time.
    pub(crate) ended_at_ms: Option<f64>,
    /// The message of the error that ended the watch.
    pub(crate) watch_error: Option<String>,
    /// The cancel control.
    pub(crate) cancel: CancelState,
}

impl WidgetState {
    pub(crate) fn new(now_ms: f64) -> WidgetState {
        WidgetState {
            status: None,
            retry_error: None,
            next_poll_at_ms: None,
            started_at_ms: now_ms,
            ended_at_ms: None,
            watch_error: None,
            cancel: CancelState::Idle,
        }
    }

    /// The state to show. A cancellation or a failed watch outranks the last
    /// status, which is older than either.
    pub(crate) fn kind(&self) -> Kind {
        if self.cancel == CancelState::Done {
            return Kind::Cancelled;
        }
        if self.watch_error.is_some() {
            return Kind::Stopped;
        }
        let Some(status) = &self.status else {
            return Kind::Waiting;
        };
        match status.code {
            StatusCode::S => Kind::Started,
            StatusCode::P if in_gap(status) => Kind::Finishing,
            StatusCode::P => Kind::Running,
            StatusCode::F => Kind::Finished,
            StatusCode::E => Kind::Failed,
            StatusCode::U => Kind::Unknown,
        }
    }

    /// Whether nothing will change any more: the import ended, watching
    /// ended, or the import was cancelled.
    pub(crate) fn is_over(&self) -> bool {
        self.ended_at_ms.is_some() || self.status.as_ref().is_some_and(|status| status.terminal)
    }

    /// The state of each of the six actions. `phase.index` gives the current
    /// action; in the gap after `finish` and for `F` all six are done, and for
    /// `E` the action it stopped in is marked failed.
    pub(crate) fn step_states(&self) -> [StepState; ACTION_COUNT] {
        let mut states = [StepState::Pending; ACTION_COUNT];
        let Some(status) = &self.status else {
            return states;
        };
        if status.code == StatusCode::F || in_gap(status) {
            return [StepState::Done; ACTION_COUNT];
        }
        let Some(phase) = status.phase else {
            return states;
        };

        let current = phase.index as usize;
        for (index, state) in states.iter_mut().enumerate() {
            *state = match index.cmp(&current) {
                std::cmp::Ordering::Less => StepState::Done,
                std::cmp::Ordering::Equal if status.code == StatusCode::E => StepState::Failed,
                std::cmp::Ordering::Equal if status.code == StatusCode::P => StepState::Current,
                _ => StepState::Pending,
            };
        }
        states
    }

    /// The number of finished actions, the progress bar's `aria-valuenow`.
    pub(crate) fn done_count(&self) -> usize {
        self.step_states().iter().filter(|state| **state == StepState::Done).count()
    }

    /// The index of the action in progress or the one that failed.
    pub(crate) fn active_index(&self) -> Option<usize> {
        self.step_states()
            .iter()
            .position(|state| matches!(state, StepState::Current | StepState::Failed))
    }

    /// Whole seconds since mounting, up to the end of watching.
    pub(crate) fn elapsed_seconds(&self, now_ms: f64) -> u64 {
        let end = self.ended_at_ms.unwrap_or(now_ms);
        ((end - self.started_at_ms).max(0.0) / 1_000.0) as u64
    }

    /// Whole seconds until the next poll, rounded up, or `None` when no poll
    /// is scheduled.
    pub(crate) fn seconds_to_next_poll(&self, now_ms: f64) -> Option<u64> {
        let next = self.next_poll_at_ms?;
        Some(((next - now_ms).max(0.0) / 1_000.0).ceil() as u64)
    }
}

/// Whether a `P` status is in the gap after `finish`, where the server sends
/// `progress.action: false`.
fn in_gap(status: &ImportStatus) -> bool {
    status.code == StatusCode::P && status.progress.as_ref().is_some_and(|progress| progress.action.is_none())
}
