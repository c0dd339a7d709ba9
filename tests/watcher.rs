#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! The pure `Watcher` driven by a fake clock. Each test plays the JavaScript
//! layer: it feeds poll outcomes and advances time by the requested delays.

use b24_import_watch::backoff::retry_delay_ms;
use b24_import_watch::envelope::{self, GET_METHOD};
use b24_import_watch::schedule::ScheduleKind;
use b24_import_watch::watch::MAX_TIMER_MS;
use b24_import_watch::{
    ErrorKind, ImportStatus, Recovery, StatusCode, Step, Update, Value, WatchConfig, WatchError, Watcher,
};

const PROCESS_ID: u64 = 42;
const START_MS: f64 = 1_733_317_200_000.0;

/// A clock that moves only when the test moves it.
struct FakeClock {
    now_ms: f64,
}

impl FakeClock {
    fn new() -> FakeClock {
        FakeClock { now_ms: START_MS }
    }

    fn advance(&mut self, ms: u64) {
        self.now_ms += ms as f64;
    }
}

/// Parses a `configuration.import.get` body the way the JavaScript layer does.
fn status(body: &str) -> ImportStatus {
    let body: Value = serde_json::from_str(body).unwrap_or_else(|error| panic!("invalid JSON in test: {error}"));
    envelope::parse_get_response(Some(200), &body, Some(PROCESS_ID), START_MS)
        .unwrap_or_else(|error| panic!("unexpected error: {error}"))
}

/// Builds a `P` status with the given action and step. `request_s` varies the
/// `time` block, which changes on every request and must not count as a change.
fn running(action: &str, step: u64, request_s: f64) -> ImportStatus {
    status(&format!(
        r#"{{"result": {{"status": "P", "progress": {{"action": "{action}", "step": {step}, "section": "CRM_STATUS"}}}},
            "time": {{"start": {request_s}, "finish": {request_s}, "duration": 0.01}}}}"#
    ))
}

fn started() -> ImportStatus {
    status(r#"{"result": {"status": "S"}, "time": {"start": 1733317200.0}}"#)
}

fn finishing_gap() -> ImportStatus {
    status(r#"{"result": {"status": "P", "progress": {"action": false, "step": 0}}, "time": {"start": 1733318400.0}}"#)
}

fn finished() -> ImportStatus {
    status(r#"{"result": {"status": "F", "additional": [], "createItemList": []}, "time": {"start": 1733318460.0}}"#)
}

fn rate_limited() -> WatchError {
    WatchError::rest(GET_METHOD, Some(503), "QUERY_LIMIT_EXCEEDED", "Too many requests")
}

fn missing_scope() -> WatchError {
    WatchError::rest(
        GET_METHOD,
        Some(403),
        "insufficient_scope",
        "The request requires higher privileges",
    )
}

fn expect_continue(step: Step) -> Update {
    match step {
        Step::Continue(update) => update,
        Step::Finish(update, result) => panic!("expected Continue, got Finish({update:?}, {result:?})"),
    }
}

fn expect_finish(step: Step) -> (Update, Result<ImportStatus, WatchError>) {
    match step {
        Step::Finish(update, result) => (update, result),
        Step::Continue(update) => panic!("expected Finish, got Continue({update:?})"),
    }
}

/// Polls once with `outcome` and moves the clock by the requested delay.
fn poll(watcher: &mut Watcher, clock: &mut FakeClock, outcome: Result<ImportStatus, WatchError>, random: f64) -> Step {
    let step = watcher.on_poll(clock.now_ms, outcome, random);
    if let Step::Continue(update) = &step {
        clock.advance(update.next_poll_in_ms.expect("Continue carries a delay"));
    }
    step
}

fn config_with(max_consecutive_errors: u32) -> WatchConfig {
    WatchConfig {
        max_consecutive_errors,
        ..WatchConfig::default()
    }
}

// Successful polls.

#[test]
fn recorded_sequence_finishes() {
    let config = WatchConfig {
        schedule: ScheduleKind::Fixed,
        ..WatchConfig::default()
    };
    let mut clock = FakeClock::new();
    let mut watcher = Watcher::new(PROCESS_ID, config, clock.now_ms);
    // The statuses of one import as successive polls saw them. Repeats differ
    // only in their `time` block.
    let sequence = [
        (started(), true),
        (running("manifest", 0, 1733317260.0), true),
        (running("manifest", 0, 1733317320.0), false),
        (running("clean", 1, 1733317380.0), true),
        (running("load", 3, 1733317440.0), true),
        (running("load", 3, 1733317500.0), false),
        (running("load", 4, 1733317560.0), true),
        (finishing_gap(), true),
        (finishing_gap(), false),
    ];

    for (index, (polled, changed)) in sequence.into_iter().enumerate() {
        let attempt = index as u32 + 1;
        let polled_at_ms = clock.now_ms;
        let update = expect_continue(poll(&mut watcher, &mut clock, Ok(polled.clone()), 0.5));

        assert_eq!(update.attempt, attempt);
        assert_eq!(update.changed, changed, "attempt {attempt}");
        assert_eq!(update.status.as_ref(), Some(&polled), "attempt {attempt}");
        assert_eq!(update.error, None, "attempt {attempt}");
        assert_eq!(update.next_poll_in_ms, Some(config.interval_ms), "attempt {attempt}");
        assert_eq!(
            clock.now_ms - polled_at_ms,
            config.interval_ms as f64,
            "attempt {attempt}"
        );
    }

    let (update, result) = expect_finish(poll(&mut watcher, &mut clock, Ok(finished()), 0.5));

    assert_eq!(update.attempt, 10);
    assert!(update.changed);
    assert_eq!(update.next_poll_in_ms, None);
    assert_eq!(update.error, None);
    assert_eq!(update.status, Some(finished()));
    assert_eq!(result, Ok(finished()));
    assert_eq!(watcher.latest(), Some(&finished()));
}

#[test]
fn first_status_terminal_finishes() {
    let unknown = status(r#"{"result": {"status": "U"}}"#);
    let mut watcher = Watcher::new(PROCESS_ID, WatchConfig::default(), START_MS);

    let (update, result) = expect_finish(watcher.on_poll(START_MS, Ok(unknown.clone()), 0.5));

    assert_eq!(update.attempt, 1);
    assert!(update.changed);
    assert_eq!(update.next_poll_in_ms, None);
    assert_eq!(result.map(|status| status.code), Ok(StatusCode::U));
}

#[test]
fn watcher_reports_its_settings() {
    let config = config_with(4);
    let watcher = Watcher::new(PROCESS_ID, config, START_MS);

    assert_eq!(watcher.process_id(), PROCESS_ID);
    assert_eq!(watcher.config(), &config);
    assert_eq!(watcher.latest(), None);
}

// Errors.

#[test]
fn retryable_error_keeps_status() {
    let config = WatchConfig::default();
    let mut clock = FakeClock::new();
    let mut watcher = Watcher::new(PROCESS_ID, config, clock.now_ms);
    let last_good = running("load", 3, 1733317440.0);
    expect_continue(poll(&mut watcher, &mut clock, Ok(started()), 0.5));
    expect_continue(poll(&mut watcher, &mut clock, Ok(last_good.clone()), 0.5));

    let update = expect_continue(poll(&mut watcher, &mut clock, Err(rate_limited()), 0.999));

    assert_eq!(update.attempt, 3);
    assert!(!update.changed);
    assert_eq!(update.status.as_ref(), Some(&last_good));
    assert_eq!(update.error, Some(rate_limited()));
    assert_eq!(
        update.next_poll_in_ms,
        Some(retry_delay_ms(1, config.interval_ms, 0, 0.999))
    );
    assert_eq!(watcher.latest(), Some(&last_good));
}

#[test]
fn backoff_grows_per_error() {
    let config = WatchConfig::default();
    let mut clock = FakeClock::new();
    let mut watcher = Watcher::new(PROCESS_ID, config, clock.now_ms);

    let mut previous_delay = 0;
    for error_count in 1..=5u32 {
        let update = expect_continue(poll(&mut watcher, &mut clock, Err(rate_limited()), 0.999));
        let delay = update.next_poll_in_ms.expect("Continue carries a delay");

        assert_eq!(
            delay,
            retry_delay_ms(error_count, config.interval_ms, 0, 0.999),
            "error {error_count}"
        );
        assert!(
            delay > previous_delay,
            "error {error_count}: {delay} ms after {previous_delay} ms"
        );
        assert_eq!(update.status, None, "error {error_count}");
        previous_delay = delay;
    }
}

#[test]
fn retry_after_hint_respected() {
    let config = WatchConfig::default();
    let mut watcher = Watcher::new(PROCESS_ID, config, START_MS);
    let error = rate_limited().with_retry_after_ms(Some(45_000));

    let update = expect_continue(watcher.on_poll(START_MS, Err(error), 0.5));

    assert!(retry_delay_ms(1, config.interval_ms, 0, 0.5) < 45_000);
    assert_eq!(update.next_poll_in_ms, Some(45_000));
}

#[test]
fn short_hint_keeps_backoff() {
    let config = WatchConfig::default();
    let mut watcher = Watcher::new(PROCESS_ID, config, START_MS);
    let error = rate_limited().with_retry_after_ms(Some(0));

    let update = expect_continue(watcher.on_poll(START_MS, Err(error), 0.999));

    assert_eq!(
        update.next_poll_in_ms,
        Some(retry_delay_ms(1, config.interval_ms, 0, 0.999))
    );
}

#[test]
fn operating_reset_delays_retry() {
    // The portal's `operating_reset_at` is 30 s after the moment of the poll.
    let body: Value = serde_json::from_str(
        r#"{"error": "OPERATION_TIME_LIMIT", "error_description": "Method is blocked",
            "time": {"operating": 480.0, "operating_reset_at": 1733317230}}"#,
    )
    .expect("valid JSON");
    let error = envelope::parse_get_response(Some(429), &body, Some(PROCESS_ID), START_MS).expect_err("REST error");
    assert_eq!(error.recovery, Recovery::WaitForReset);
    let mut watcher = Watcher::new(PROCESS_ID, WatchConfig::default(), START_MS);

    let update = expect_continue(watcher.on_poll(START_MS, Err(error), 0.5));

    assert_eq!(update.next_poll_in_ms, Some(30_000));
}

#[test]
fn huge_hint_capped_at_timer_max() {
    let mut watcher = Watcher::new(PROCESS_ID, WatchConfig::default(), START_MS);
    let error = rate_limited().with_retry_after_ms(Some(u64::MAX));

    let update = expect_continue(watcher.on_poll(START_MS, Err(error), 0.5));

    assert_eq!(update.next_poll_in_ms, Some(MAX_TIMER_MS));
}

#[test]
fn fatal_error_finishes_at_once() {
    let mut clock = FakeClock::new();
    let mut watcher = Watcher::new(PROCESS_ID, WatchConfig::default(), clock.now_ms);
    let last_good = running("manifest", 0, 1733317260.0);
    expect_continue(poll(&mut watcher, &mut clock, Ok(last_good.clone()), 0.5));

    let (update, result) = expect_finish(poll(&mut watcher, &mut clock, Err(missing_scope()), 0.5));

    assert_eq!(update.attempt, 2);
    assert!(!update.changed);
    assert_eq!(update.next_poll_in_ms, None);
    assert_eq!(update.status.as_ref(), Some(&last_good));
    assert_eq!(update.error, Some(missing_scope()));
    assert_eq!(result, Err(missing_scope()));
}

#[test]
fn fatal_first_error_has_no_status() {
    let mut watcher = Watcher::new(PROCESS_ID, WatchConfig::default(), START_MS);

    let (update, result) = expect_finish(watcher.on_poll(START_MS, Err(missing_scope()), 0.5));

    assert_eq!(update.attempt, 1);
    assert_eq!(update.status, None);
    assert_eq!(result, Err(missing_scope()));
}

#[test]
fn token_and_abort_errors_finish() {
    let expired = WatchError::rest(
        GET_METHOD,
        Some(401),
        "expired_token",
        "The access token provided has expired.",
    );
    let aborted = WatchError::aborted("the watch was stopped");
    for error in [expired, aborted] {
        let mut watcher = Watcher::new(PROCESS_ID, WatchConfig::default(), START_MS);

        let (_, result) = expect_finish(watcher.on_poll(START_MS, Err(error.clone()), 0.5));

        assert_eq!(result, Err(error));
    }
}

#[test]
fn errors_in_row_give_up() {
    let mut clock = FakeClock::new();
    let mut watcher = Watcher::new(PROCESS_ID, config_with(3), clock.now_ms);
    expect_continue(poll(&mut watcher, &mut clock, Ok(started()), 0.5));
    expect_continue(poll(&mut watcher, &mut clock, Err(rate_limited()), 0.5));
    expect_continue(poll(&mut watcher, &mut clock, Err(rate_limited()), 0.5));

    let (update, result) = expect_finish(poll(&mut watcher, &mut clock, Err(rate_limited()), 0.5));

    let error = result.expect_err("the watch gives up");
    assert_eq!(error.kind, ErrorKind::Rest);
    assert_eq!(error.code.as_deref(), Some("QUERY_LIMIT_EXCEEDED"));
    assert!(
        error.message.starts_with("configuration.import.get returned 503 QUERY_LIMIT_EXCEEDED"),
        "message: {}",
        error.message
    );
    assert!(
        !error.message.contains("will be retried"),
        "message: {}",
        error.message
    );
    assert!(
        error.message.contains("Gave up after 3 failed requests in a row"),
        "message: {}",
        error.message
    );
    assert_eq!(update.error, Some(error));
    assert_eq!(update.attempt, 4);
    assert_eq!(update.next_poll_in_ms, None);
    assert_eq!(update.status, Some(started()));
}

#[test]
fn success_resets_error_count() {
    let mut clock = FakeClock::new();
    let mut watcher = Watcher::new(PROCESS_ID, config_with(3), clock.now_ms);
    let outcomes = [
        Err(rate_limited()),
        Err(rate_limited()),
        Ok(started()),
        Err(rate_limited()),
        Err(rate_limited()),
    ];
    for (index, outcome) in outcomes.into_iter().enumerate() {
        let step = poll(&mut watcher, &mut clock, outcome, 0.5);

        assert!(matches!(step, Step::Continue(_)), "poll {}: {step:?}", index + 1);
    }

    let (_, result) = expect_finish(poll(&mut watcher, &mut clock, Err(rate_limited()), 0.5));

    let error = result.expect_err("the watch gives up");
    assert!(
        error.message.contains("Gave up after 3 failed requests in a row"),
        "message: {}",
        error.message
    );
}

#[test]
fn backoff_restarts_after_success() {
    let config = WatchConfig::default();
    let mut clock = FakeClock::new();
    let mut watcher = Watcher::new(PROCESS_ID, config, clock.now_ms);
    expect_continue(poll(&mut watcher, &mut clock, Err(rate_limited()), 0.999));
    expect_continue(poll(&mut watcher, &mut clock, Err(rate_limited()), 0.999));
    expect_continue(poll(&mut watcher, &mut clock, Ok(started()), 0.999));

    let update = expect_continue(poll(&mut watcher, &mut clock, Err(rate_limited()), 0.999));

    assert_eq!(
        update.next_poll_in_ms,
        Some(retry_delay_ms(1, config.interval_ms, 0, 0.999))
    );
}

#[test]
fn one_allowed_error_gives_up() {
    let mut watcher = Watcher::new(PROCESS_ID, config_with(1), START_MS);

    let (_, result) = expect_finish(watcher.on_poll(START_MS, Err(rate_limited()), 0.5));

    let error = result.expect_err("the watch gives up");
    assert!(
        error.message.contains("Gave up after 1 failed request in a row"),
        "message: {}",
        error.message
    );
}

// Time limits.

fn config_with_timeout(timeout_ms: Option<u64>) -> WatchConfig {
    WatchConfig {
        timeout_ms,
        ..WatchConfig::default()
    }
}

#[test]
fn remaining_without_timeout() {
    let watcher = Watcher::new(PROCESS_ID, config_with_timeout(None), START_MS);

    assert_eq!(watcher.remaining_ms(START_MS), None);
    assert_eq!(watcher.remaining_ms(START_MS + 1e12), None);
}

#[test]
fn remaining_counts_down() {
    let watcher = Watcher::new(PROCESS_ID, config_with_timeout(Some(10_000)), START_MS);

    assert_eq!(watcher.remaining_ms(START_MS), Some(10_000));
    assert_eq!(watcher.remaining_ms(START_MS + 4_000.0), Some(6_000));
    assert_eq!(watcher.remaining_ms(START_MS + 10_000.0), Some(0));
    assert_eq!(watcher.remaining_ms(START_MS + 25_000.0), Some(0));
    // A clock that steps back does not add time.
    assert_eq!(watcher.remaining_ms(START_MS - 5_000.0), Some(10_000));
}

#[test]
fn request_timeout_without_limit() {
    let config = config_with_timeout(None);
    let watcher = Watcher::new(PROCESS_ID, config, START_MS);

    assert_eq!(watcher.request_timeout_ms(START_MS), config.request_timeout_ms);
    assert_eq!(watcher.request_timeout_ms(START_MS + 1e9), config.request_timeout_ms);
}

#[test]
fn request_timeout_shrinks_to_remaining() {
    let config = config_with_timeout(Some(40_000));
    let watcher = Watcher::new(PROCESS_ID, config, START_MS);

    assert_eq!(config.request_timeout_ms, 30_000);
    assert_eq!(watcher.request_timeout_ms(START_MS), 30_000);
    assert_eq!(watcher.request_timeout_ms(START_MS + 25_000.0), 15_000);
    // Never zero, which a timer would treat as "no timeout".
    assert_eq!(watcher.request_timeout_ms(START_MS + 40_000.0), 1);
    assert_eq!(watcher.request_timeout_ms(START_MS + 90_000.0), 1);
}

#[test]
fn timeout_error_before_status() {
    let watcher = Watcher::new(PROCESS_ID, config_with_timeout(Some(10_000)), START_MS);

    let error = watcher.timeout_error();

    assert_eq!(error.kind, ErrorKind::Timeout);
    assert_eq!(error.recovery, Recovery::Fail);
    assert!(!error.retryable());
    assert_eq!(error.js_name(), "TimeoutError");
    assert!(error.message.contains("import 42"), "message: {}", error.message);
    assert!(
        error.message.contains("timed out after 10000 ms"),
        "message: {}",
        error.message
    );
    assert!(
        error.message.contains("before any status was read"),
        "message: {}",
        error.message
    );
}

#[test]
fn timeout_error_names_last_status() {
    let mut watcher = Watcher::new(PROCESS_ID, config_with_timeout(Some(10_000)), START_MS);
    expect_continue(watcher.on_poll(START_MS, Ok(running("load", 2, 1733317440.0)), 0.5));

    let error = watcher.timeout_error();

    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(
        error.message.contains("still in status P"),
        "message: {}",
        error.message
    );
    assert!(error.message.contains("watch it again"), "message: {}", error.message);
}

// Delay bounds.

#[test]
fn delays_stay_within_bounds() {
    let intervals = [1, 10, 1_000, 60_000, 3_000_000_000, u64::MAX];
    let min_intervals = [0, 1, 2_000, 60_000, u64::MAX];
    let draws = [0.0, 0.5, 0.999_999];

    for schedule in [ScheduleKind::Fixed, ScheduleKind::Agent] {
        for interval_ms in intervals {
            for min_interval_ms in min_intervals {
                let config = WatchConfig {
                    schedule,
                    interval_ms,
                    min_interval_ms,
                    max_consecutive_errors: 1_000,
                    ..WatchConfig::default()
                };
                let case = format!("{schedule:?}, interval {interval_ms}, min interval {min_interval_ms}");
                let mut clock = FakeClock::new();
                let mut watcher = Watcher::new(PROCESS_ID, config, clock.now_ms);

                for (round, random) in draws.into_iter().enumerate() {
                    let success = expect_continue(poll(&mut watcher, &mut clock, Ok(started()), random));
                    let success_delay = success.next_poll_in_ms.expect("Continue carries a delay");
                    // An interval below min_interval_ms wins, so the floor is the smaller of the two.
                    let floor = min_interval_ms.min(interval_ms).min(MAX_TIMER_MS);
                    assert!(success_delay >= floor, "{case}, round {round}: {success_delay} ms");
                    assert!(
                        success_delay <= MAX_TIMER_MS,
                        "{case}, round {round}: {success_delay} ms"
                    );
                    if min_interval_ms <= interval_ms {
                        assert!(
                            success_delay >= min_interval_ms.min(MAX_TIMER_MS),
                            "{case}, round {round}: {success_delay} ms"
                        );
                    }

                    for _ in 0..40 {
                        let failure = expect_continue(poll(&mut watcher, &mut clock, Err(rate_limited()), random));
                        let failure_delay = failure.next_poll_in_ms.expect("Continue carries a delay");
                        assert!(
                            failure_delay <= MAX_TIMER_MS,
                            "{case}, round {round}: {failure_delay} ms"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn huge_interval_capped_at_timer_max() {
    let config = WatchConfig {
        schedule: ScheduleKind::Fixed,
        interval_ms: u64::MAX,
        ..WatchConfig::default()
    };
    let mut watcher = Watcher::new(PROCESS_ID, config, START_MS);

    let update = expect_continue(watcher.on_poll(START_MS, Ok(started()), 0.5));

    assert_eq!(update.next_poll_in_ms, Some(MAX_TIMER_MS));
}

#[test]
fn successful_poll_waits_interval() {
    let config = WatchConfig {
        interval_ms: 15_000,
        min_interval_ms: 2_000,
        ..WatchConfig::default()
    };
    let mut watcher = Watcher::new(PROCESS_ID, config, START_MS);

    let update = expect_continue(watcher.on_poll(START_MS, Ok(started()), 0.5));

    assert_eq!(update.next_poll_in_ms, Some(15_000));
}

// Hidden pages.

#[test]
fn hidden_page_polls_rarely() {
    let config = WatchConfig {
        interval_ms: 10_000,
        hidden_interval_ms: 300_000,
        ..WatchConfig::default()
    };
    let mut clock = FakeClock::new();
    let mut watcher = Watcher::new(PROCESS_ID, config, clock.now_ms);

    watcher.set_hidden(true);
    let hidden = expect_continue(poll(&mut watcher, &mut clock, Ok(started()), 0.5));
    let hidden_error = expect_continue(poll(&mut watcher, &mut clock, Err(rate_limited()), 0.5));
    watcher.set_hidden(false);
    let visible = expect_continue(poll(&mut watcher, &mut clock, Ok(running("start", 0, 1.0)), 0.5));

    assert_eq!(hidden.next_poll_in_ms, Some(300_000));
    assert_eq!(hidden_error.next_poll_in_ms, Some(300_000));
    assert!(visible.next_poll_in_ms.unwrap() <= 10_000);
}
