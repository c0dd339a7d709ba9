//! When to poll next.
//!
//! An import advances only when the portal runs its agent, so a poll between
//! two runs costs a request and shows nothing new. [`ScheduleKind::Agent`]
//! predicts the next run from the runs it has seen and polls just after it:
//!
//! - Status `S` on the first poll means the first run comes 60 s after
//!   `register`, which is taken to be when the watch started.
//! - A poll that returns a changed status bounds a run: it came after the
//!   previous poll, at least one agent interval after the run before it, and
//!   no later than this poll.
//! - Runs on a steady clock (the agent interval itself, or cron ticks, which
//!   put runs about 120 s apart) are evenly spaced. A weighted line through
//!   them predicts the next run.
//! - Runs that page hits trigger are spaced unevenly. The search for the next
//!   one then starts one agent interval after the previous run, with steps
//!   sized by how late recent runs came.
//! - While a run is overdue the polls come at short steps, which grow
//!   geometrically the longer it is overdue.
//! - When the responses tell the server's time, the schedule also checks
//!   for cron, which starts due agents on whole minutes of the server's
//!   clock. A cron-driven agent runs on every second tick, so once a run has
//!   come just after a tick and the next one on the tick two minutes later,
//!   each run costs one poll, just after its tick. A run off the ticks, or
//!   before the predicted one, ends that.
//!
//! Every delay lies in `[min_interval_ms, interval_ms]`. Waits for a run
//! predicted without cron stop at the agent interval, because two runs
//! between two polls count as one. Only cron's waits and the back-off
//! for a very late run are longer, which is why the agent-aware schedule's
//! default `interval_ms` is 180 s (see [`ScheduleKind::default_interval_ms`]).
//! `examples/schedule_bench.rs` compares the policies on simulated agents.

use crate::status::{ImportStatus, StatusCode};

/// The interval of the agent that advances an import, in milliseconds.
///
/// `configuration.import.register` adds the agent with a 60 s interval and a
/// first run 60 s after the call (`Bitrix\Rest\Configuration\Action\Base::register`
/// in the `rest` module passes 60 and `time() + 60` to `CAgent::AddAgent`).
/// The agent is not periodic (`IS_PERIOD = N`), so the next run is due 60 s
/// after the previous run ends, and the portal's trigger (cron or page hits)
/// can make it later still. The method's documentation says that checking
/// the status more often than once a minute is pointless.
pub const AGENT_INTERVAL_MS: u64 = 60_000;

/// The default minimum time between polls while the page is hidden, in
/// milliseconds.
pub const HIDDEN_TAB_INTERVAL_MS: u64 = 300_000;

/// Which polling policy a watch uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleKind {
    /// Poll every `interval_ms`.
    Fixed,
    /// Follow the portal agent's cadence.
    Agent,
}

impl ScheduleKind {
    /// Returns the default upper bound between polls, in milliseconds: the
    /// agent interval for [`ScheduleKind::Fixed`], and 180 s for
    /// [`ScheduleKind::Agent`], which lets it wait out a cron-driven agent's
    /// 120 s between runs with one poll. The agent-aware schedule waits
    /// longer than the agent interval only for a run predicted from cron's
    /// ticks or for a run that is very late.
    pub fn default_interval_ms(self) -> u64 {
        match self {
            ScheduleKind::Fixed => AGENT_INTERVAL_MS,
            ScheduleKind::Agent => 3 * AGENT_INTERVAL_MS,
        }
    }
}

/// The settings of a [`Schedule`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScheduleConfig {
    /// The policy.
    pub kind: ScheduleKind,
    /// The upper bound between two polls, in milliseconds.
    pub interval_ms: u64,
    /// The lower bound between two polls, in milliseconds.
    pub min_interval_ms: u64,
}

/// The polling schedule of one watch.
#[derive(Clone, Debug)]
pub struct Schedule {
    config: ScheduleConfig,
    agent: AgentModel,
}

impl Schedule {
    /// Creates a schedule for a watch that starts at `started_at_ms`.
    pub fn new(config: ScheduleConfig, started_at_ms: f64) -> Schedule {
        Schedule {
            config,
            agent: AgentModel::new(started_at_ms),
        }
    }

    /// Returns the delay in milliseconds before the next poll, after a
    /// successful poll at `now_ms` returned `status`. `changed` is whether
    /// that status differs from the previous one.
    ///
    /// The delay always lies in `[min_interval_ms, interval_ms]`, except that
    /// `interval_ms` wins when it is the smaller of the two.
    pub fn next_delay_ms(&mut self, now_ms: f64, status: &ImportStatus, changed: bool) -> u64 {
        let delay_ms = match self.config.kind {
            ScheduleKind::Fixed => self.config.interval_ms as f64,
            ScheduleKind::Agent => {
                let server_ms = status
                    .time
                    .as_ref()
                    .and_then(|time| time.finish.or(time.start))
                    .map(|seconds| seconds * 1_000.0);
                self.agent.next_delay_ms(
                    now_ms,
                    Observation {
                        code: status.code,
                        changed,
                        server_ms,
                    },
                    self.config.interval_ms as f64,
                )
            }
        };
        clamp_delay_ms(delay_ms, &self.config)
    }

    /// Returns the estimated time between two agent runs in milliseconds,
    /// or `None` until the runs show a steady period.
    pub fn period_ms(&self) -> Option<f64> {
        self.agent.steady_fit().map(|fit| fit.period.at_ms)
    }

    /// Returns the predicted time of the next agent run in the clock of
    /// `now_ms`, or `None` while the schedule has no estimate.
    pub fn expected_run_ms(&self) -> Option<f64> {
        self.agent.next_run.map(|run| run.at_ms)
    }
}

/// Returns the delay to use while the page is hidden: at least
/// `hidden_interval_ms` (see [`HIDDEN_TAB_INTERVAL_MS`]), because the
/// progress is not on screen then. A visible page keeps `delay_ms`.
pub fn hidden_tab_delay_ms(delay_ms: u64, hidden: bool, hidden_interval_ms: u64) -> u64 {
    if hidden {
        delay_ms.max(hidden_interval_ms)
    } else {
        delay_ms
    }
}

/// Rounds `delay_ms` and bounds it by the configured interval. NaN reads as
/// the upper bound, so a broken estimate never turns into a tight loop.
fn clamp_delay_ms(delay_ms: f64, config: &ScheduleConfig) -> u64 {
    let ceiling = config.interval_ms;
    let floor = config.min_interval_ms.min(ceiling);
    let delay = if delay_ms.is_nan() {
        ceiling
    } else {
        // `as` saturates: negative values become 0 and huge ones u64::MAX.
        delay_ms.round() as u64
    };
    delay.max(floor).min(ceiling)
}

// NOTE: the constants of the agent-aware policy below are tuned on the
// simulated agents of `examples/schedule_bench.rs`, not measured on portals.

/// How long after the earliest expected run the schedule polls, in
/// milliseconds. A run takes a moment to write its status, and the clocks of
/// the page and the portal differ a little.
const RUN_MARGIN_MS: f64 = 1_000.0;

/// How far the first run may be from 60 s after the watch started, in
/// milliseconds, when the watch starts right after `register`. The agent's
/// start time is stored in whole seconds.
const FIRST_RUN_UNCERTAINTY_MS: f64 = 1_000.0;

/// The shortest step between polls while the schedule searches for a run,
/// in milliseconds.
const MIN_SEARCH_STEP_MS: f64 = 2_000.0;

/// While the schedule searches for a run, each step is at least this share of
/// the time since the earliest expected run, so the polls thin out
/// geometrically the later the run is.
const SEARCH_GROWTH: f64 = 0.5;

/// While the schedule searches for a run, each step is at least this share of
/// the mean lateness of recent runs, so an agent that runs on page hits is
/// searched with coarser steps than one that runs like clockwork.
const LATENESS_STEP_SHARE: f64 = 1.0 / 3.0;

/// How many recent runs the estimates use.
const RUN_HISTORY: usize = 9;

/// A gap known to within this many milliseconds is precise enough to predict
/// the next run from on its own.
const PRECISE_GAP_MS: f64 = 4_000.0;

/// The minimum standard deviation the fit of a steady agent assumes for a run
/// time, in milliseconds, so that a run known exactly gets a finite weight.
const FIT_FLOOR_MS: f64 = 250.0;

/// How much two gaps between runs may differ and still count as one period,
/// in milliseconds. Cron-driven runs land a few seconds after their tick.
const GAP_TOLERANCE_MS: f64 = 3_000.0;

/// After this many runs in a row that the first poll of their search saw,
/// the schedule polls once [`PROBE_LEAD_MS`] before the search. Such a poll
/// only bounds the run from above, so a prediction that is too late would
/// otherwise never be noticed.
const PROBE_AFTER_RUNS: u32 = 8;

/// After this many runs in a row on confirmed cron that no poll just before
/// their tick checked, the schedule polls once just before the tick.
const CRON_PROBE_AFTER_RUNS: u32 = 12;

/// The point in the predicted window of a steady agent where the search
/// starts, as a share of the window's half-width past its start.
const STEADY_START_SHARE: f64 = 0.5;

/// How far before the search the checking poll comes, in milliseconds.
const PROBE_LEAD_MS: f64 = 10_000.0;

/// Cron starts a portal's due agents at every whole minute of the server's
/// clock, in milliseconds.
const TICK_MS: f64 = 60_000.0;

/// How long after its tick a cron-driven run has written its status, in
/// milliseconds. A run that is later than this is searched for in
/// [`CRON_BAND_MS`].
const CRON_LAG_MS: f64 = 3_000.0;

/// How long after its tick a cron-driven run may still come before the
/// schedule takes the tick as skipped and waits for the next one, in
/// milliseconds.
const CRON_BAND_MS: f64 = 15_000.0;

/// A first tick this long after the plain prediction gets one more poll
/// halfway to it, in milliseconds, for a run that page hits bring late.
const FIRST_TICK_SPLIT_MS: f64 = 30_000.0;

/// How far before a tick the poll that checks for an earlier run comes, in
/// milliseconds.
const TICK_CHECK_LEAD_MS: f64 = 500.0;

/// A poll this close before a tick, in milliseconds, shows that the run
/// after it came from that tick.
const TICK_CHECK_SLACK_MS: f64 = 2_000.0;

/// The margin by which a poll may come early and still count as the one
/// planned, in milliseconds: delays are rounded to whole milliseconds.
const TIMER_SLACK_MS: f64 = 100.0;

/// The outcome of a successful poll.
#[derive(Clone, Copy, Debug)]
struct Observation {
    code: StatusCode,
    /// Whether the status differs from the one before.
    changed: bool,
    /// The server's clock at the end of the request, in Unix milliseconds,
    /// from the response's `time` block.
    server_ms: Option<f64>,
}

/// The evidence for cron in the runs seen so far.
///
/// A cron-driven agent runs on a whole minute of the server's clock. It is
/// due 60 s after its previous run ended, so it runs on every second tick,
/// 120 s after the tick of the previous run. The schedule uses that rule
/// only when the runs fit it and do not fit the plain prediction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cron {
    /// No run has spoken for or against cron.
    Unknown,
    /// A run came on a tick after the plain prediction missed it. The next
    /// run is checked just before its tick.
    Candidate,
    /// A run that a poll just before its tick did not see came on that tick.
    Confirmed,
    /// A run came off the ticks, or earlier than cron allows.
    RuledOut,
}

impl Cron {
    /// Returns whether the schedule plans the polls by cron's ticks.
    fn is_active(self) -> bool {
        matches!(self, Cron::Candidate | Cron::Confirmed)
    }
}

/// A time known to lie within `at_ms ± uncertainty_ms`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Estimate {
    at_ms: f64,
    uncertainty_ms: f64,
}

impl Estimate {
    /// Creates the estimate of a time known to lie in `[from_ms, to_ms]`.
    fn between(from_ms: f64, to_ms: f64) -> Estimate {
        Estimate {
            at_ms: from_ms + (to_ms - from_ms) / 2.0,
            uncertainty_ms: (to_ms - from_ms) / 2.0,
        }
    }

    fn earliest_ms(&self) -> f64 {
        self.at_ms - self.uncertainty_ms
    }

    fn latest_ms(&self) -> f64 {
        self.at_ms + self.uncertainty_ms
    }
}

/// One agent run that a poll saw.
#[derive(Clone, Copy, Debug)]
struct Run {
    estimate: Estimate,
    /// A time the run certainly came after: the poll before it, or one
    /// agent interval after the run before it.
    after_ms: f64,
}

/// A line through evenly spaced runs: run time against run number.
#[derive(Clone, Copy, Debug)]
struct SteadyFit {
    period: Estimate,
    next_run: Estimate,
}

impl SteadyFit {
    /// Fits `runs` by weighted least squares, weighting each run by the
    /// precision of its estimate, so that one run that a poll bracketed
    /// tightly outweighs several that it did not. Returns `None` for fewer
    /// than two runs or a degenerate fit.
    fn of(runs: &[Run]) -> Option<SteadyFit> {
        if runs.len() < 2 {
            return None;
        }
        // A run bracketed within ±u has a standard deviation of u/√3.
        let weight = |run: &Run| {
            let deviation_ms = run.estimate.uncertainty_ms / 3f64.sqrt();
            1.0 / (deviation_ms * deviation_ms + FIT_FLOOR_MS * FIT_FLOOR_MS)
        };
        let mut total_weight = 0.0;
        let mut mean_number = 0.0;
        let mut mean_time_ms = 0.0;
        for (number, run) in runs.iter().enumerate() {
            let w = weight(run);
            total_weight += w;
            mean_number += w * number as f64;
            mean_time_ms += w * run.estimate.at_ms;
        }
        mean_number /= total_weight;
        mean_time_ms /= total_weight;

        let mut spread = 0.0;
        let mut covariance = 0.0;
        for (number, run) in runs.iter().enumerate() {
            let offset = number as f64 - mean_number;
            spread += weight(run) * offset * offset;
            covariance += weight(run) * offset * (run.estimate.at_ms - mean_time_ms);
        }
        if !(spread > 0.0 && spread.is_finite()) {
            return None;
        }
        let period_ms = covariance / spread;

        // Runs that stray from the line by more than their own uncertainty,
        // such as cron runs that land a few seconds after their tick, widen
        // the predicted window.
        let largest_residual_ms = runs
            .iter()
            .enumerate()
            .map(|(number, run)| {
                let fitted_ms = mean_time_ms + period_ms * (number as f64 - mean_number);
                (run.estimate.at_ms - fitted_ms).abs() - run.estimate.uncertainty_ms
            })
            .fold(0.0, f64::max);
        let next_number = runs.len() as f64;
        let next_offset = next_number - mean_number;
        let next_deviation_ms = (1.0 / total_weight + next_offset * next_offset / spread).sqrt();

        Some(SteadyFit {
            period: Estimate {
                at_ms: period_ms,
                uncertainty_ms: 3f64.sqrt() / spread.sqrt(),
            },
            next_run: Estimate {
                at_ms: mean_time_ms + period_ms * next_offset,
                uncertainty_ms: 3f64.sqrt() * next_deviation_ms + largest_residual_ms,
            },
        })
    }
}

/// The agent's runs as the polls bounded them, and the predictions made from
/// them. Every time is in milliseconds in the clock of `now_ms`.
#[derive(Clone, Debug)]
struct AgentModel {
    started_at_ms: f64,
    /// The time of the previous successful poll.
    previous_poll_ms: Option<f64>,
    /// Recent runs, oldest first.
    runs: Vec<Run>,
    /// The window in which the next run is expected; `None` while the phase
    /// is unknown.
    next_run: Option<Estimate>,
    /// When the search for a run of unknown phase began.
    search_since_ms: f64,
    /// How long after the start of its window each recent run came, oldest first.
    lateness_ms: Vec<f64>,
    /// Runs in a row that no poll shortly before them bracketed.
    unchecked_runs: u32,
    /// The server's clock minus the clock of `now_ms`, from the latest
    /// response with a `time` block.
    server_offset_ms: Option<f64>,
    /// Whether cron drives the agent.
    cron: Cron,
    /// The tick of the latest run, in the clock of `now_ms`, while cron is a
    /// candidate or confirmed.
    cron_tick_ms: f64,
    /// Runs in a row on confirmed cron that no poll just before their tick
    /// checked.
    cron_unchecked_runs: u32,
}

impl AgentModel {
    fn new(started_at_ms: f64) -> AgentModel {
        AgentModel {
            started_at_ms,
            previous_poll_ms: None,
            runs: Vec::with_capacity(RUN_HISTORY),
            next_run: None,
            search_since_ms: started_at_ms,
            lateness_ms: Vec::with_capacity(RUN_HISTORY),
            unchecked_runs: 0,
            server_offset_ms: None,
            cron: Cron::Unknown,
            cron_tick_ms: f64::NEG_INFINITY,
            cron_unchecked_runs: 0,
        }
    }

    fn next_delay_ms(&mut self, now_ms: f64, seen: Observation, interval_ms: f64) -> f64 {
        if !now_ms.is_finite() {
            return interval_ms;
        }
        self.observe(now_ms, seen);
        self.plan_delay_ms(now_ms)
    }

    /// Updates the estimates with the outcome of the poll at `now_ms`.
    fn observe(&mut self, now_ms: f64, seen: Observation) {
        let Observation {
            code,
            changed,
            server_ms,
        } = seen;
        // The offset is off by about half the request's round trip, which is
        // small next to the margins above.
        if let Some(offset_ms) = server_ms.map(|server_ms| server_ms - now_ms) {
            if offset_ms.is_finite() {
                self.server_offset_ms = Some(offset_ms);
            }
        }
        let previous_poll_ms = self.previous_poll_ms.replace(now_ms);
        let Some(previous_poll_ms) = previous_poll_ms else {
            // The first poll. Status S means the agent has not run yet, and
            // its first run comes 60 s after `register`, which usually just
            // preceded the watch. Any other status shows that a run happened
            // at some unknown time, so the phase is unknown.
            // NOTE: a watch that starts well after `register` while the status
            // is still S expects the first run too late by that offset. The
            // probe polls and the early lean of unchecked runs move the phase
            // back over the next runs.
            if code == StatusCode::S {
                let registered_ms = if self.started_at_ms.is_finite() {
                    self.started_at_ms
                } else {
                    now_ms
                };
                self.next_run = Some(Estimate {
                    at_ms: registered_ms + AGENT_INTERVAL_MS as f64,
                    uncertainty_ms: FIRST_RUN_UNCERTAINTY_MS,
                });
            }
            self.search_since_ms = now_ms;
            return;
        };
        if now_ms < previous_poll_ms {
            // The clock went back, so the run times are in another frame.
            self.runs.clear();
            self.next_run = None;
            self.cron = Cron::Unknown;
            self.search_since_ms = now_ms;
            return;
        }
        if changed {
            self.record_run(previous_poll_ms, now_ms);
        }
    }

    /// Records the run that the poll at `now_ms` saw.
    ///
    /// NOTE: a change counts as one run. Polls more than one agent interval
    /// apart (an `interval_ms` above 60 s, or a hidden page) can see two runs
    /// as one, which makes the gap look longer than it is.
    fn record_run(&mut self, previous_poll_ms: f64, now_ms: f64) {
        // The poll only bounds the run: it came after the previous poll, at
        // least one agent interval after the run before it, and no later
        // than now.
        let mut after_ms = previous_poll_ms;
        if let Some(last_run) = self.runs.last() {
            after_ms = after_ms.max(last_run.after_ms + AGENT_INTERVAL_MS as f64);
        }
        let after_ms = after_ms.min(now_ms);
        let mut estimate = Estimate::between(after_ms, now_ms);
        let prediction = self.next_run;

        if let Some(window) = self.next_run {
            // A poll shortly before or inside the window that saw nothing
            // confirms that the run did not come well before the window.
            let checked = previous_poll_ms >= window.earliest_ms() - PROBE_LEAD_MS;
            if checked {
                self.unchecked_runs = 0;
            } else {
                self.unchecked_runs = self.unchecked_runs.saturating_add(1);
            }
            // Where the prediction overlaps the bounds, the overlap is the
            // better estimate, which keeps the phase of a steady agent. An
            // unchecked run may have come before the window, so its estimate
            // leans early. A prediction that is too early then shows as a
            // poll that comes too soon, while one that is too late would
            // never show.
            let mut window_start_ms = window.earliest_ms();
            if !checked {
                window_start_ms -= RUN_MARGIN_MS / 2.0;
            }
            let from_ms = after_ms.max(window_start_ms);
            let to_ms = now_ms.min(window.latest_ms());
            if from_ms <= to_ms {
                estimate = Estimate::between(from_ms, to_ms);
            }
            push_recent(
                &mut self.lateness_ms,
                (estimate.at_ms - window.earliest_ms()).max(0.0),
            );
        }

        let run = Run { estimate, after_ms };
        if self.runs.len() >= RUN_HISTORY {
            self.runs.remove(0);
        }
        self.runs.push(run);
        self.next_run = Some(self.predict(run.estimate));
        self.record_cron_run(previous_poll_ms, now_ms, prediction);
    }

    /// Weighs the run that the poll at `now_ms` saw for and against cron,
    /// and predicts the next run from its tick while cron is in force.
    /// `prediction` is the window the schedule expected the run in.
    fn record_cron_run(&mut self, previous_poll_ms: f64, now_ms: f64, prediction: Option<Estimate>) {
        let Some(offset_ms) = self.server_offset_ms else {
            return;
        };
        let tick_ms = tick_at_or_before(now_ms, offset_ms);
        let was_active = self.cron.is_active();
        // Cron runs the agent in the band after a tick, and the schedule
        // polls there, so a poll later in the minute shows a run off the ticks.
        let in_band = now_ms <= tick_ms + CRON_BAND_MS + TICK_CHECK_SLACK_MS
            && previous_poll_ms < tick_ms + CRON_BAND_MS;
        // A poll just before the tick saw nothing, so the run came from it.
        let checked = previous_poll_ms <= tick_ms
            && previous_poll_ms >= tick_ms - TICK_CHECK_LEAD_MS - TICK_CHECK_SLACK_MS;
        let expected_tick_ms = self.next_cron_tick_ms();
        let on_expected_tick = (tick_ms - expected_tick_ms).abs() <= TICK_CHECK_SLACK_MS;
        // A run starts the case for cron only when the poll that saw it came
        // just after a tick, and the polls where the run was expected
        // without cron saw nothing.
        let just_after_tick = now_ms <= tick_ms + CRON_LAG_MS + TICK_CHECK_SLACK_MS;
        let plain_prediction_missed = prediction.map_or(true, |window| {
            previous_poll_ms >= window.earliest_ms() && tick_ms > window.latest_ms()
        });

        self.cron = match self.cron {
            // A candidate must show on the very tick cron predicts.
            Cron::Candidate if in_band && on_expected_tick && checked => Cron::Confirmed,
            Cron::Candidate if in_band && on_expected_tick => Cron::Candidate,
            // Confirmed cron may skip a tick when the portal is busy, but
            // never runs before the predicted one.
            Cron::Confirmed if in_band && tick_ms >= expected_tick_ms - TICK_CHECK_SLACK_MS => Cron::Confirmed,
            Cron::Unknown | Cron::RuledOut if just_after_tick && plain_prediction_missed => Cron::Candidate,
            Cron::Unknown => Cron::Unknown,
            _ => Cron::RuledOut,
        };
        if !self.cron.is_active() {
            if was_active {
                // Cron's long waits leave the phase of the plain agent
                // unknown: search for the next run from here.
                self.next_run = None;
                self.search_since_ms = now_ms;
            }
            return;
        }
        if checked {
            self.cron_unchecked_runs = 0;
        } else {
            self.cron_unchecked_runs = self.cron_unchecked_runs.saturating_add(1);
        }
        self.cron_tick_ms = tick_ms;
        let next_tick_ms = self.next_cron_tick_ms();
        self.next_run = Some(Estimate::between(next_tick_ms, next_tick_ms + CRON_LAG_MS));
    }

    /// Returns the tick of the next cron-driven run, two ticks after the
    /// latest run's.
    ///
    /// NOTE: two ticks fit a portal whose cron fires every minute. On a
    /// portal whose cron fires less often, every run costs a search of the
    /// ticks in between.
    fn next_cron_tick_ms(&self) -> f64 {
        self.cron_tick_ms + 2.0 * TICK_MS
    }

    /// Returns the delay to the next poll while the server's clock is known
    /// and cron drives the agent or may drive it, or `None` to plan without
    /// cron.
    fn plan_cron_delay_ms(&self, now_ms: f64) -> Option<f64> {
        let offset_ms = self.server_offset_ms?;
        match self.cron {
            Cron::Candidate | Cron::Confirmed => {
                let tick_ms = self.next_cron_tick_ms();
                let check = self.cron == Cron::Candidate || self.cron_unchecked_runs >= CRON_PROBE_AFTER_RUNS;
                // Delays are whole milliseconds, so the checking poll itself
                // may come a fraction early.
                let check_ms = tick_ms - TICK_CHECK_LEAD_MS;
                if check && now_ms < check_ms - TIMER_SLACK_MS {
                    return Some(check_ms - now_ms);
                }
                Some(tick_search_delay_ms(now_ms, tick_ms, offset_ms))
            }
            // The first run: the poll just after 60 s found nothing, so the
            // run may wait for the first tick after that. When that tick is
            // far off, a poll halfway to it finds a run that page hits made late.
            Cron::Unknown if self.runs.is_empty() => {
                let window = self.next_run?;
                if now_ms < window.earliest_ms() {
                    return None;
                }
                let tick_ms = tick_at_or_after(window.earliest_ms(), offset_ms);
                let midway_ms = window.latest_ms() + (tick_ms - window.latest_ms()) / 2.0;
                if tick_ms - window.latest_ms() > FIRST_TICK_SPLIT_MS && now_ms < midway_ms - TICK_CHECK_SLACK_MS {
                    return Some(midway_ms - now_ms);
                }
                let target_ms = tick_ms + CRON_LAG_MS;
                (now_ms < target_ms).then_some(target_ms - now_ms)
            }
            _ => None,
        }
    }

    fn predict(&self, last_run: Estimate) -> Estimate {
        if let Some(steady) = self.steady_fit() {
            return steady.next_run;
        }
        // Until a steady period shows, the agent interval, the shortest
        // possible gap, is the prediction, and the search finds the run.
        Estimate {
            at_ms: last_run.at_ms + AGENT_INTERVAL_MS as f64,
            uncertainty_ms: last_run.uncertainty_ms,
        }
    }

    /// Fits the runs of an agent on a steady clock (the agent interval
    /// itself, or cron), whose runs are evenly spaced. Returns `None` for
    /// runs that page hits trigger, which are spaced unevenly, and while one
    /// imprecise gap is all the evidence.
    fn steady_fit(&self) -> Option<SteadyFit> {
        if self.runs_look_irregular() {
            return None;
        }

        // Extend the span backwards while each older gap matches the period
        // that the newer runs show.
        let last = self.runs.last()?;
        let mut period: Option<Estimate> = None;
        let mut gaps_in_span = 0usize;
        let mut precise = false;
        for (older, gap) in self.runs.iter().zip(self.gaps()).rev() {
            if let Some(period) = period {
                let allowed = gap.uncertainty_ms + period.uncertainty_ms + GAP_TOLERANCE_MS;
                if (gap.at_ms - period.at_ms).abs() > allowed {
                    break;
                }
            }
            gaps_in_span += 1;
            precise |= gap.uncertainty_ms <= PRECISE_GAP_MS;
            let span = gaps_in_span as f64;
            period = Some(Estimate {
                at_ms: (last.estimate.at_ms - older.estimate.at_ms) / span,
                uncertainty_ms: (last.estimate.uncertainty_ms + older.estimate.uncertainty_ms)
                    / span,
            });
        }
        if gaps_in_span < 2 && !precise {
            return None;
        }
        let span = self
            .runs
            .get(self.runs.len().checked_sub(gaps_in_span + 1)?..)?;
        SteadyFit::of(span)
    }

    /// Returns the gaps between consecutive recent runs, oldest first.
    fn gaps(&self) -> impl DoubleEndedIterator<Item = Estimate> + ExactSizeIterator + '_ {
        self.runs
            .iter()
            .zip(self.runs.iter().skip(1))
            .map(|(older, newer)| Estimate {
                at_ms: newer.estimate.at_ms - older.estimate.at_ms,
                uncertainty_ms: newer.estimate.uncertainty_ms + older.estimate.uncertainty_ms,
            })
    }

    /// Returns whether the recent gaps between runs differ by more than their
    /// measurement error explains, as they do when page hits trigger the agent.
    fn runs_look_irregular(&self) -> bool {
        let mut count = 0.0;
        let mut uncertainty_sum_ms = 0.0;
        let mut shortest_ms = f64::INFINITY;
        let mut longest_ms = f64::NEG_INFINITY;
        for gap in self.gaps() {
            count += 1.0;
            uncertainty_sum_ms += gap.uncertainty_ms;
            shortest_ms = shortest_ms.min(gap.at_ms);
            longest_ms = longest_ms.max(gap.at_ms);
        }
        if count < 2.0 {
            return false;
        }
        (longest_ms - shortest_ms) / 2.0 > uncertainty_sum_ms / count + GAP_TOLERANCE_MS
    }

    /// Returns when the search for the next run starts. For an agent on a
    /// steady clock it is a quarter into the predicted window. Otherwise the
    /// window's width is only the previous run's uncertainty, and the search
    /// starts in its middle. The start is never before
    /// [`Self::earliest_possible_ms`].
    fn search_start_ms(&self, window: Estimate, steady: bool) -> f64 {
        let share = if steady { STEADY_START_SHARE } else { 1.0 };
        let start_ms = window.earliest_ms() + share * window.uncertainty_ms;
        start_ms.max(self.earliest_possible_ms())
    }

    /// Returns the time one agent interval after the earliest moment the
    /// latest run can have happened. No run can come before it.
    fn earliest_possible_ms(&self) -> f64 {
        self.runs.last().map_or(f64::NEG_INFINITY, |last_run| {
            last_run.after_ms + AGENT_INTERVAL_MS as f64
        })
    }

    fn plan_delay_ms(&self, now_ms: f64) -> f64 {
        if let Some(delay_ms) = self.plan_cron_delay_ms(now_ms) {
            return delay_ms;
        }
        self.plan_plain_delay_ms(now_ms)
    }

    fn plan_plain_delay_ms(&self, now_ms: f64) -> f64 {
        let Some(window) = self.next_run else {
            // The phase is unknown: search for the next run as if it were due now.
            return search_step_ms(now_ms - self.search_since_ms, self.mean_lateness_ms());
        };
        // The first run's window comes from `register`, not from a period.
        let steady = self.runs.is_empty() || self.steady_fit().is_some();
        let start_ms = self.search_start_ms(window, steady);

        if self.unchecked_runs >= PROBE_AFTER_RUNS {
            let probe_ms = (start_ms - PROBE_LEAD_MS).max(self.earliest_possible_ms());
            if now_ms < probe_ms {
                return (probe_ms - now_ms).min(AGENT_INTERVAL_MS as f64);
            }
        }
        let target_ms = start_ms + RUN_MARGIN_MS;
        if now_ms < target_ms {
            // A change counts as one run. A wait longer than one agent
            // interval could span two runs and teach a period twice too
            // long, so only cron's rule, which predicts from ticks, waits
            // longer. A wait above `interval_ms` is cut by the caller's
            // clamp too, and the next call plans again from there.
            return (target_ms - now_ms).min(AGENT_INTERVAL_MS as f64);
        }

        // A steady agent runs within the predicted window, while an irregular
        // one is about as late as it was lately.
        let expected_lateness_ms = if steady {
            window.uncertainty_ms
        } else {
            self.mean_lateness_ms()
        };
        search_step_ms(now_ms - start_ms, expected_lateness_ms)
    }

    fn mean_lateness_ms(&self) -> f64 {
        if self.lateness_ms.is_empty() {
            return 0.0;
        }
        self.lateness_ms.iter().sum::<f64>() / self.lateness_ms.len() as f64
    }
}

/// Returns the step between polls while searching for a run that was
/// expected `searched_ms` ago and typically comes `expected_lateness_ms` late.
fn search_step_ms(searched_ms: f64, expected_lateness_ms: f64) -> f64 {
    ((searched_ms - expected_lateness_ms).max(0.0) * SEARCH_GROWTH)
        .max(expected_lateness_ms * LATENESS_STEP_SHARE)
        .max(MIN_SEARCH_STEP_MS)
}

/// Returns the latest whole minute of the server's clock at or before
/// `at_ms`, both in the page's clock. `offset_ms` is the server's clock minus
/// the page's.
fn tick_at_or_before(at_ms: f64, offset_ms: f64) -> f64 {
    ((at_ms + offset_ms) / TICK_MS).floor() * TICK_MS - offset_ms
}

/// Returns the earliest whole minute of the server's clock at or after
/// `at_ms`; see [`tick_at_or_before`].
fn tick_at_or_after(at_ms: f64, offset_ms: f64) -> f64 {
    ((at_ms + offset_ms) / TICK_MS).ceil() * TICK_MS - offset_ms
}

/// Returns the delay to the next poll for a cron-driven run expected on the
/// tick at `tick_ms`. The first poll comes just after the tick's lag. While
/// a slow run may still come, the steps double. After that the tick counts
/// as skipped, and the next poll comes just after the next tick.
fn tick_search_delay_ms(now_ms: f64, tick_ms: f64, offset_ms: f64) -> f64 {
    let target_ms = tick_ms + CRON_LAG_MS;
    if now_ms < target_ms {
        return target_ms - now_ms;
    }
    let current_tick_ms = tick_at_or_before(now_ms, offset_ms).max(tick_ms);
    let step_ms = (now_ms - current_tick_ms).max(MIN_SEARCH_STEP_MS);
    if now_ms + step_ms <= current_tick_ms + CRON_BAND_MS {
        return step_ms;
    }
    current_tick_ms + TICK_MS + CRON_LAG_MS - now_ms
}

/// Appends `value` to a history of at most [`RUN_HISTORY`] values.
fn push_recent(history: &mut Vec<f64>, value: f64) {
    if history.len() >= RUN_HISTORY {
        history.remove(0);
    }
    history.push(value);
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]

    use super::*;
    use crate::status::ServerTime;
    use crate::value::Value;

    const START_MS: f64 = 1_733_317_200_000.0;
    const SECOND_MS: f64 = 1_000.0;
    const MINUTE_MS: f64 = 60_000.0;

    fn status(letter: &str) -> ImportStatus {
        let result = Value::Object(vec![(
            "status".to_owned(),
            Value::String(letter.to_owned()),
        )]);
        ImportStatus::from_result(&result, None, Some(42)).unwrap()
    }

    fn agent_config(interval_ms: u64) -> ScheduleConfig {
        ScheduleConfig {
            kind: ScheduleKind::Agent,
            interval_ms,
            min_interval_ms: 2_000,
        }
    }

    /// Runs every `period_ms`, the first 60 s after `register` at `START_MS`.
    fn runs_every(period_ms: f64, count: usize) -> Vec<f64> {
        (0..count)
            .map(|run| START_MS + MINUTE_MS + period_ms * run as f64)
            .collect()
    }

    /// A watch on a fake clock: each poll sees the runs at or before the
    /// current time, and the clock then moves by the delay the schedule returns.
    struct Watch {
        schedule: Schedule,
        now_ms: f64,
        runs_seen: Option<usize>,
        /// `(time, runs seen)` of every poll.
        polls: Vec<(f64, usize)>,
        /// Whether each response carries the server's time.
        server_clock: bool,
    }

    impl Watch {
        fn new(config: ScheduleConfig, start_ms: f64) -> Watch {
            Watch {
                schedule: Schedule::new(config, start_ms),
                now_ms: start_ms,
                runs_seen: None,
                polls: Vec::new(),
                server_clock: false,
            }
        }

        /// Creates a watch whose responses carry the server's time, which
        /// runs with the fake clock. `START_MS` is a whole minute of it.
        fn with_server_clock(config: ScheduleConfig, start_ms: f64) -> Watch {
            Watch {
                server_clock: true,
                ..Watch::new(config, start_ms)
            }
        }

        /// Polls once and returns the delay before the next poll.
        fn poll(&mut self, runs_ms: &[f64]) -> u64 {
            let runs_seen = runs_ms
                .iter()
                .filter(|&&run_ms| run_ms <= self.now_ms)
                .count();
            let code = if runs_seen == 0 { "S" } else { "P" };
            let changed = self.runs_seen != Some(runs_seen);
            self.runs_seen = Some(runs_seen);
            self.polls.push((self.now_ms, runs_seen));
            let mut status = status(code);
            if self.server_clock {
                status.time = Some(ServerTime {
                    finish: Some(self.now_ms / SECOND_MS),
                    ..ServerTime::default()
                });
            }
            let delay_ms = self.schedule.next_delay_ms(self.now_ms, &status, changed);
            self.now_ms += delay_ms as f64;
            delay_ms
        }

        /// Polls until a poll has seen `count` runs, and returns the delay
        /// that poll asked for.
        fn poll_until_seen(&mut self, runs_ms: &[f64], count: usize) -> u64 {
            for _ in 0..10_000 {
                let delay_ms = self.poll(runs_ms);
                if self.runs_seen >= Some(count) {
                    return delay_ms;
                }
            }
            panic!("no poll saw {count} runs: {:?}", self.polls);
        }

        /// For each run, the time from the run to the first poll that saw it.
        fn delays_ms(&self, runs_ms: &[f64]) -> Vec<f64> {
            runs_ms
                .iter()
                .map(|&run_ms| {
                    let (poll_ms, _) = self
                        .polls
                        .iter()
                        .find(|(poll_ms, _)| *poll_ms >= run_ms)
                        .expect("a poll after the run");
                    poll_ms - run_ms
                })
                .collect()
        }
    }

    /// A small deterministic generator for irregular agents and random inputs.
    struct Lcg(u64);

    impl Lcg {
        fn next_f64(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn fixed_policy_polls_at_interval() {
        let config = ScheduleConfig {
            kind: ScheduleKind::Fixed,
            interval_ms: 15_000,
            min_interval_ms: 2_000,
        };
        let mut schedule = Schedule::new(config, START_MS);

        assert_eq!(schedule.next_delay_ms(START_MS, &status("S"), true), 15_000);
        assert_eq!(
            schedule.next_delay_ms(START_MS + 15_000.0, &status("P"), true),
            15_000
        );
        assert_eq!(
            schedule.next_delay_ms(START_MS + 30_000.0, &status("P"), false),
            15_000
        );
    }

    #[test]
    fn nothing_polled_before_first_run() {
        let mut schedule = Schedule::new(agent_config(300_000), START_MS);

        let delay_ms = schedule.next_delay_ms(START_MS, &status("S"), true);

        // The first run comes 60 s after `register`, and the poll just after it.
        assert!((60_000..=61_500).contains(&delay_ms), "{delay_ms} ms");
    }

    #[test]
    fn first_run_wait_capped_by_interval() {
        let mut schedule = Schedule::new(agent_config(20_000), START_MS);

        assert_eq!(schedule.next_delay_ms(START_MS, &status("S"), true), 20_000);
        assert_eq!(
            schedule.next_delay_ms(START_MS + 20_000.0, &status("S"), false),
            20_000
        );
        assert_eq!(
            schedule.next_delay_ms(START_MS + 40_000.0, &status("S"), false),
            20_000
        );
    }

    #[test]
    fn late_start_searches_at_once() {
        // A watch that starts long after `register` sees P and cannot know
        // when the next run comes, so it must not wait a whole interval.
        let mut schedule = Schedule::new(agent_config(60_000), START_MS);

        assert_eq!(schedule.next_delay_ms(START_MS, &status("P"), true), 2_000);
        assert_eq!(schedule.expected_run_ms(), None);
    }

    #[test]
    fn late_start_finds_phase() {
        let runs_ms: Vec<f64> = (0..20)
            .map(|run| START_MS + 37_000.0 + MINUTE_MS * run as f64)
            .collect();
        let mut watch = Watch::new(agent_config(60_000), START_MS + 40_000.0);

        watch.poll_until_seen(&runs_ms, runs_ms.len());

        let delays = watch.delays_ms(&runs_ms[10..]);
        assert!(
            delays.iter().all(|&delay| delay <= 2.0 * SECOND_MS),
            "delays: {delays:?}"
        );
    }

    #[test]
    fn exact_agent_seen_after_each_run() {
        let runs_ms = runs_every(MINUTE_MS, 20);
        let mut watch = Watch::new(agent_config(60_000), START_MS + 500.0);

        watch.poll_until_seen(&runs_ms, runs_ms.len());

        let delays = watch.delays_ms(&runs_ms);
        assert!(
            delays.iter().all(|&delay| delay <= 2.0 * SECOND_MS),
            "delays: {delays:?}"
        );
        // One poll at the start, one per run, and a few that check the phase.
        assert!(
            watch.polls.len() <= 26,
            "{} polls: {:?}",
            watch.polls.len(),
            watch.polls
        );
    }

    #[test]
    fn learns_cron_period() {
        // Cron fires every minute, and the agent is due 60 s after its
        // previous run ended, so it runs on every second tick.
        let runs_ms = runs_every(2.0 * MINUTE_MS, 12);
        let mut watch = Watch::new(agent_config(180_000), START_MS);

        assert_eq!(watch.schedule.period_ms(), None);
        watch.poll_until_seen(&runs_ms, runs_ms.len());

        let period_ms = watch.schedule.period_ms().expect("a learned period");
        assert!(
            (period_ms - 2.0 * MINUTE_MS).abs() <= SECOND_MS,
            "period {period_ms} ms"
        );
    }

    #[test]
    fn learned_period_without_server_clock_polls_twice_per_run() {
        // Without the server's clock the schedule cannot tell cron ticks, so
        // it checks halfway through a 120 s period.
        let runs_ms = runs_every(2.0 * MINUTE_MS, 20);
        let mut watch = Watch::new(agent_config(180_000), START_MS);

        watch.poll_until_seen(&runs_ms, runs_ms.len());

        let delays = watch.delays_ms(&runs_ms[8..]);
        assert!(
            delays.iter().all(|&delay| delay <= 3.0 * SECOND_MS),
            "delays: {delays:?}"
        );
        let polls_after_learning = watch.polls.iter().filter(|(_, seen)| *seen >= 8).count();
        assert!(
            polls_after_learning <= 2 * 12 + 6,
            "{polls_after_learning} polls for the last 12 runs: {:?}",
            watch
                .polls
                .iter()
                .map(|(at, seen)| ((at - START_MS) / SECOND_MS, *seen))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn polls_just_after_expected_run() {
        let runs_ms = runs_every(MINUTE_MS, 7);
        let mut watch = Watch::new(agent_config(300_000), START_MS);
        watch.poll_until_seen(&runs_ms, 5);

        let expected_ms = watch.schedule.expected_run_ms().expect("a prediction");
        let next_poll_ms = watch.now_ms;

        let sixth_run_ms = runs_ms[5];
        assert!(
            (expected_ms - sixth_run_ms).abs() <= SECOND_MS,
            "expected {} s off",
            (expected_ms - sixth_run_ms) / SECOND_MS
        );
        assert!(
            next_poll_ms >= sixth_run_ms - SECOND_MS,
            "poll {} s before the run",
            (sixth_run_ms - next_poll_ms) / SECOND_MS
        );
        assert!(
            next_poll_ms <= sixth_run_ms + 2.0 * SECOND_MS,
            "poll {} s after the run",
            (next_poll_ms - sixth_run_ms) / SECOND_MS
        );
    }

    #[test]
    fn overdue_run_polled_densely() {
        // The agent runs five times on time and then stalls.
        let runs_ms = runs_every(MINUTE_MS, 5);
        let mut watch = Watch::new(agent_config(300_000), START_MS);
        let wait_ms = watch.poll_until_seen(&runs_ms, 5);
        assert!(
            wait_ms >= 55_000,
            "the wait for the next run is {wait_ms} ms"
        );

        let steps: Vec<u64> = (0..4).map(|_| watch.poll(&runs_ms)).collect();

        assert!(steps.iter().all(|&step| step <= 5_000), "steps: {steps:?}");
        assert!(
            steps.windows(2).all(|pair| pair[0] <= pair[1]),
            "steps: {steps:?}"
        );
    }

    #[test]
    fn very_late_run_backs_off() {
        let runs_ms = runs_every(MINUTE_MS, 5);
        let mut watch = Watch::new(agent_config(300_000), START_MS);
        watch.poll_until_seen(&runs_ms, 5);
        let overdue_from_ms = runs_ms[4] + MINUTE_MS;

        let mut steps = Vec::new();
        while watch.now_ms < overdue_from_ms + 30.0 * MINUTE_MS {
            steps.push((watch.now_ms - overdue_from_ms, watch.poll(&runs_ms)));
        }

        // Steps grow with the lateness and end at the interval.
        assert!(
            steps.windows(2).all(|pair| pair[0].1 <= pair[1].1),
            "steps: {steps:?}"
        );
        let (_, last_step) = steps.last().copied().unwrap();
        assert_eq!(last_step, 300_000);
        assert!(
            steps.len() <= 20,
            "{} polls in 30 min: {steps:?}",
            steps.len()
        );
        let ten_minutes_late = steps
            .iter()
            .find(|(late_ms, _)| *late_ms >= 10.0 * MINUTE_MS)
            .unwrap();
        assert!(
            ten_minutes_late.1 >= 2 * 60_000,
            "step {} ms at 10 min late",
            ten_minutes_late.1
        );
    }

    #[test]
    fn irregular_agent_searched_from_interval() {
        // Page hits trigger the agent: 60 s after a run it waits for the
        // next hit, which comes after a random delay.
        let mut random = Lcg(7);
        let mut runs_ms = Vec::new();
        let mut previous_ms = START_MS;
        for _ in 0..20 {
            previous_ms += MINUTE_MS + 90.0 * SECOND_MS * random.next_f64();
            runs_ms.push(previous_ms);
        }
        let mut watch = Watch::new(agent_config(60_000), START_MS);

        watch.poll_until_seen(&runs_ms, runs_ms.len());

        assert_eq!(
            watch.schedule.period_ms(),
            None,
            "irregular runs must not look steady"
        );
        // After a run that two polls bracketed closely, nothing is polled
        // for nearly the agent interval, when no run can come.
        for pair in watch.polls.windows(3) {
            let [(before_ms, seen_before), (seen_at_ms, seen), (next_ms, _)] =
                [pair[0], pair[1], pair[2]];
            if seen > seen_before && seen_at_ms - before_ms <= 10.0 * SECOND_MS {
                assert!(
                    next_ms - seen_at_ms >= 50.0 * SECOND_MS,
                    "poll {} s after a run: {:?}",
                    (next_ms - seen_at_ms) / SECOND_MS,
                    watch.polls
                );
            }
        }
        let polls_per_run = watch.polls.len() as f64 / runs_ms.len() as f64;
        assert!(
            polls_per_run <= 6.0,
            "{polls_per_run} polls per run: {:?}",
            watch.polls
        );
        let delays = watch.delays_ms(&runs_ms[5..]);
        let mean_delay_ms = delays.iter().sum::<f64>() / delays.len() as f64;
        assert!(mean_delay_ms <= 15.0 * SECOND_MS, "delays: {delays:?}");
    }

    #[test]
    fn delays_respect_bounds() {
        let configs = [
            (60_000, 2_000),
            (300_000, 2_000),
            (10_000, 2_000),
            (5_000, 30_000),
            (0, 0),
            (u64::MAX, 0),
            (1, u64::MAX),
        ];
        let mut random = Lcg(11);
        for (interval_ms, min_interval_ms) in configs {
            let config = ScheduleConfig {
                kind: ScheduleKind::Agent,
                interval_ms,
                min_interval_ms,
            };
            let floor = min_interval_ms.min(interval_ms);
            let mut schedule = Schedule::new(config, START_MS);
            let mut now_ms = START_MS;
            for round in 0..500 {
                let code = if random.next_f64() < 0.1 { "S" } else { "P" };
                let changed = random.next_f64() < 0.3;
                let delay_ms = schedule.next_delay_ms(now_ms, &status(code), changed);
                assert!(
                    delay_ms >= floor && delay_ms <= interval_ms,
                    "interval {interval_ms}, min {min_interval_ms}, round {round}: {delay_ms} ms"
                );
                // Real delays, with jitter, and now and then a clock that jumps.
                now_ms += (delay_ms.min(10_000_000) as f64) * (0.5 + random.next_f64());
                if round % 97 == 0 {
                    now_ms -= 3_600_000.0;
                }
            }
        }
    }

    #[test]
    fn non_finite_times_use_interval() {
        let mut schedule = Schedule::new(agent_config(60_000), f64::NAN);

        assert_eq!(schedule.next_delay_ms(f64::NAN, &status("S"), true), 60_000);
        assert_eq!(
            schedule.next_delay_ms(f64::INFINITY, &status("P"), true),
            60_000
        );
        let delay_ms = schedule.next_delay_ms(START_MS, &status("S"), true);
        assert!((58_000..=60_000).contains(&delay_ms), "{delay_ms} ms");
    }

    #[test]
    fn clock_going_back_resets_phase() {
        let runs_ms = runs_every(MINUTE_MS, 5);
        let mut watch = Watch::new(agent_config(60_000), START_MS);
        watch.poll_until_seen(&runs_ms, 5);
        assert!(watch.schedule.expected_run_ms().is_some());

        let delay_ms = watch
            .schedule
            .next_delay_ms(START_MS - MINUTE_MS, &status("P"), false);

        assert_eq!(watch.schedule.expected_run_ms(), None);
        assert_eq!(delay_ms, 2_000);
    }

    #[test]
    fn hidden_tab_polls_rarely() {
        assert_eq!(
            hidden_tab_delay_ms(2_000, true, HIDDEN_TAB_INTERVAL_MS),
            300_000
        );
        assert_eq!(
            hidden_tab_delay_ms(600_000, true, HIDDEN_TAB_INTERVAL_MS),
            600_000
        );
        assert_eq!(hidden_tab_delay_ms(2_000, true, 0), 2_000);
    }

    #[test]
    fn visible_tab_keeps_delay() {
        assert_eq!(
            hidden_tab_delay_ms(2_000, false, HIDDEN_TAB_INTERVAL_MS),
            2_000
        );
        assert_eq!(
            hidden_tab_delay_ms(600_000, false, HIDDEN_TAB_INTERVAL_MS),
            600_000
        );
    }

    /// Cron runs 0.5–3 s after every second whole minute, the first on the
    /// first tick at least 60 s after `register` at `register_ms`.
    fn cron_runs(register_ms: f64, count: usize, random: &mut Lcg) -> Vec<f64> {
        let mut runs = Vec::with_capacity(count);
        let mut due_ms = register_ms + MINUTE_MS;
        for _ in 0..count {
            let tick_ms = (due_ms / MINUTE_MS).ceil() * MINUTE_MS;
            let run_ms = tick_ms + 500.0 + 2_500.0 * random.next_f64();
            runs.push(run_ms);
            due_ms = run_ms + MINUTE_MS;
        }
        runs
    }

    #[test]
    fn first_run_waits_for_tick_after_plain_miss() {
        // `register` 20 s into a minute: the plain prediction is 80 s into
        // the next minute, and cron's first chance is the tick after that.
        let start_ms = START_MS + 20_000.0;
        let mut watch = Watch::with_server_clock(agent_config(180_000), start_ms);
        let runs_ms = [START_MS + 2.0 * MINUTE_MS + 1_500.0];

        watch.poll(&runs_ms);
        let plain_ms = watch.now_ms;
        watch.poll(&runs_ms);
        let midway_ms = watch.now_ms;
        watch.poll(&runs_ms);

        assert!((plain_ms - (start_ms + MINUTE_MS)).abs() <= 1_500.0, "{plain_ms}");
        // The tick is 39 s after the plain prediction, so one poll splits
        // the wait for a run that page hits bring.
        let tick_ms = START_MS + 2.0 * MINUTE_MS;
        assert!(midway_ms > plain_ms + 15_000.0, "{midway_ms}");
        assert!(midway_ms < tick_ms - 15_000.0, "{midway_ms}");
        assert_eq!(watch.now_ms, tick_ms + CRON_LAG_MS);
    }

    #[test]
    fn first_tick_near_plain_prediction_polled_directly() {
        // `register` 50 s into a minute: the first tick is 10 s after the
        // plain prediction, too close to split.
        let start_ms = START_MS + 50_000.0;
        let mut watch = Watch::with_server_clock(agent_config(180_000), start_ms);
        let runs_ms = [START_MS + 2.0 * MINUTE_MS + 1_500.0];

        watch.poll(&runs_ms);
        watch.poll(&runs_ms);

        assert_eq!(watch.now_ms, START_MS + 2.0 * MINUTE_MS + CRON_LAG_MS);
    }

    #[test]
    fn cron_run_checked_just_before_its_tick() {
        let start_ms = START_MS + 20_000.0;
        let runs_ms = [START_MS + 2.0 * MINUTE_MS + 1_500.0, START_MS + 4.0 * MINUTE_MS + 1_000.0];
        let mut watch = Watch::with_server_clock(agent_config(180_000), start_ms);

        watch.poll_until_seen(&runs_ms, 1);

        // Two ticks later, since the agent was due 60 s after its run ended.
        let second_tick_ms = START_MS + 4.0 * MINUTE_MS;
        assert_eq!(watch.now_ms, second_tick_ms - TICK_CHECK_LEAD_MS);
        watch.poll(&runs_ms);
        assert_eq!(watch.now_ms, second_tick_ms + CRON_LAG_MS);
        assert_eq!(watch.schedule.expected_run_ms(), Some(second_tick_ms + CRON_LAG_MS / 2.0));
    }

    #[test]
    fn confirmed_cron_costs_one_poll_per_run() {
        let mut random = Lcg(7);
        let start_ms = START_MS + 35_000.0;
        let runs_ms = cron_runs(START_MS + 34_500.0, 20, &mut random);
        let mut watch = Watch::with_server_clock(agent_config(180_000), start_ms);

        watch.poll_until_seen(&runs_ms, runs_ms.len());

        let delays = watch.delays_ms(&runs_ms);
        assert!(delays.iter().all(|&delay| delay <= CRON_LAG_MS), "delays: {delays:?}");
        // One poll at the start, one per run, and four that check: at 60 s,
        // and before the second run's tick and two others.
        assert!(watch.polls.len() <= 1 + 20 + 4, "{} polls: {:?}", watch.polls.len(), watch.polls);
    }

    #[test]
    fn cron_run_after_skipped_tick_found() {
        let start_ms = START_MS + 35_000.0;
        let mut runs_ms = cron_runs(START_MS + 34_500.0, 4, &mut Lcg(3));
        // The fourth run misses its tick and comes on the next one.
        runs_ms[3] += MINUTE_MS;
        let mut watch = Watch::with_server_clock(agent_config(180_000), start_ms);

        watch.poll_until_seen(&runs_ms, 3);
        let tick_ms = (watch.now_ms / MINUTE_MS).floor() * MINUTE_MS;
        let mut searched = Vec::new();
        while watch.runs_seen < Some(4) {
            searched.push((watch.now_ms - tick_ms) / SECOND_MS);
            watch.poll(&runs_ms);
        }

        // Just after the tick, at doubling steps while a slow run may come,
        // then just after the next tick.
        assert_eq!(searched, vec![3.0, 6.0, 12.0, 63.0]);
    }

    #[test]
    fn run_before_cron_tick_rules_cron_out() {
        // The first run happens to come just after a tick, but the next one
        // comes 70 s later, as page hits would bring it.
        let start_ms = START_MS + 20_000.0;
        let first_run_ms = START_MS + 2.0 * MINUTE_MS + 1_500.0;
        let runs_ms: Vec<f64> = (0..6).map(|run| first_run_ms + 70_000.0 * run as f64).collect();
        let mut watch = Watch::with_server_clock(agent_config(180_000), start_ms);

        watch.poll_until_seen(&runs_ms, 2);

        // The checking poll saw the second run, so the polls no longer wait
        // for ticks, and never longer than the agent interval.
        for _ in 0..20 {
            let delay_ms = watch.poll(&runs_ms);
            assert!(delay_ms <= AGENT_INTERVAL_MS, "{delay_ms} ms");
        }
    }

    #[test]
    fn plain_agent_sees_runs_one_at_a_time() {
        // Without the server's clock, runs 120 s apart are predicted from
        // their period, and no wait for a prediction is long enough for one
        // poll to see two runs.
        let runs_ms = runs_every(2.0 * MINUTE_MS, 12);
        let mut watch = Watch::new(agent_config(180_000), START_MS);

        watch.poll_until_seen(&runs_ms, runs_ms.len());

        assert!(
            watch.polls.windows(2).all(|pair| pair[1].1 <= pair[0].1 + 1),
            "polls: {:?}",
            watch.polls
        );
    }

    #[test]
    fn exact_agent_on_ticks_stays_plain() {
        // A run every 60 s, 1 s after each whole minute: the runs sit on the
        // ticks, but every one comes where the plain prediction puts it.
        let start_ms = START_MS + 500.0;
        let runs_ms: Vec<f64> = (1..=20).map(|run| START_MS + 1_000.0 + MINUTE_MS * run as f64).collect();
        let mut watch = Watch::with_server_clock(agent_config(180_000), start_ms);

        watch.poll_until_seen(&runs_ms, runs_ms.len());

        let delays = watch.delays_ms(&runs_ms);
        assert!(delays.iter().all(|&delay| delay <= 2.0 * SECOND_MS), "delays: {delays:?}");
    }
}
