//! Compares the polling policies against simulated portal agents, in virtual
//! time, through the shipped `Watcher`.
//!
//! Run with `cargo run --release --example schedule_bench`. The output is
//! deterministic: the seed and the run count are printed with the tables.
//!
//! Each simulated import takes `STEPS` agent runs. The server's status changes
//! exactly at each run: every run but the last moves the progress, and the
//! last sets `F`. A poll at time `t` returns the status after every run at or
//! before `t`. The watcher polls at once when it starts, as the JavaScript
//! layer does, and then after each delay the `Watcher` returns, so the rows
//! measure the shipped schedule together with the watcher's clamping.
//!
//! Each response carries the server's clock, as the `time` block of a real
//! one does, and the server's minute starts at a random point relative to
//! `register`. The agent-aware schedule runs twice: with its default 180 s
//! upper bound between polls, which lets it wait out a 120 s cron period in
//! one poll, and with 60 s, the bound of the fixed schedule.

use b24_import_watch::schedule::ScheduleKind;
use b24_import_watch::{ImportStatus, ServerTime, Step, Value, WatchConfig, WatchError, Watcher};

const SEED: u64 = 0x0B24_5EED_2024_0001;
const RUNS: usize = 1_000;
const STEPS: usize = 20;
const PROCESS_ID: u64 = 42;
const SECOND_MS: f64 = 1_000.0;
const MINUTE_MS: f64 = 60_000.0;
/// The latest start of a watch in the random-offset rows, after `register`.
const MAX_START_OFFSET_MS: f64 = 300_000.0;
/// A whole minute of the server's clock, in Unix milliseconds, before every
/// simulated `register`.
const SERVER_EPOCH_MS: f64 = 1_764_806_400_000.0;
/// Ends a simulated watch that never finishes, which would be a bug.
const MAX_POLLS: usize = 100_000;

/// The SplitMix64 generator: small, fast, and good enough for a simulation.
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Returns a uniform draw from `[0, 1)` with 53 random bits.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.next_f64()
    }

    fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.next_f64()).ln()
    }
}

/// The trigger of the import's agent on the portal.
#[derive(Clone, Copy)]
enum AgentModel {
    /// Runs exactly every 60 s, the first 60 s after `register`. A fixed
    /// interval that divides 60 s then polls just after every run of a watch
    /// that started at `register`, so the fixed rows show their best case.
    Exact,
    /// Cron fires on every whole minute and runs the agents that are due. The
    /// agent is due 60 s after its previous run ended, so it runs every
    /// second tick. A run's status lands 0.5–3 s after its tick.
    Cron,
    /// Page hits trigger the agents: once the agent is due, 60 s after its
    /// previous run, it waits for the next hit, an exponential delay with a
    /// 30 s mean.
    Hits,
}

impl AgentModel {
    fn title(self) -> &'static str {
        match self {
            AgentModel::Exact => "(a) exact: a run every 60 s",
            AgentModel::Cron => "(b) cron: runs on whole-minute ticks, about 120 s apart",
            AgentModel::Hits => "(c) page hits: gaps of 60 s plus an exponential delay (mean 30 s)",
        }
    }

    /// Returns the times of the agent runs in milliseconds after `register`,
    /// and the server's clock at `register` in Unix milliseconds.
    fn run_times_ms(self, random: &mut SplitMix64) -> (Vec<f64>, f64) {
        let mut runs = Vec::with_capacity(STEPS);
        // The seconds of the minute at `register`. Cron fires at whole minutes.
        let register_ms = random.uniform(0.0, MINUTE_MS);
        match self {
            AgentModel::Exact => {
                for step in 1..=STEPS {
                    runs.push(step as f64 * MINUTE_MS);
                }
            }
            AgentModel::Cron => {
                let mut due_ms = register_ms + MINUTE_MS;
                for _ in 0..STEPS {
                    let tick_ms = (due_ms / MINUTE_MS).ceil() * MINUTE_MS;
                    let finished_ms = tick_ms + random.uniform(0.5 * SECOND_MS, 3.0 * SECOND_MS);
                    runs.push(finished_ms - register_ms);
                    due_ms = finished_ms + MINUTE_MS;
                }
            }
            AgentModel::Hits => {
                let mut previous_ms = 0.0;
                for _ in 0..STEPS {
                    previous_ms += MINUTE_MS + random.exponential(30.0 * SECOND_MS);
                    runs.push(previous_ms);
                }
            }
        }
        (runs, SERVER_EPOCH_MS + register_ms)
    }
}

/// A polling policy as a `WatchConfig`.
struct Policy {
    label: String,
    config: WatchConfig,
}

impl Policy {
    fn fixed(interval_s: u64) -> Policy {
        Policy {
            label: format!("fixed {interval_s} s"),
            config: WatchConfig {
                schedule: ScheduleKind::Fixed,
                interval_ms: interval_s * 1_000,
                ..WatchConfig::default()
            },
        }
    }

    fn agent(interval_s: u64) -> Policy {
        let default = if interval_s * 1_000 == ScheduleKind::Agent.default_interval_ms() {
            " (default)"
        } else {
            ""
        };
        Policy {
            label: format!("agent-aware{default}, interval {interval_s} s"),
            config: WatchConfig {
                schedule: ScheduleKind::Agent,
                interval_ms: interval_s * 1_000,
                ..WatchConfig::default()
            },
        }
    }
}

/// The totals of one policy over all simulated imports.
#[derive(Default)]
struct Tally {
    requests: u64,
    observed_changes: u64,
    /// For each run after the watch started: the time from the run to the
    /// first poll that saw it.
    delays_ms: Vec<f64>,
}

impl Tally {
    fn requests_per_change(&self) -> f64 {
        self.requests as f64 / self.observed_changes.max(1) as f64
    }

    fn mean_delay_s(&self) -> f64 {
        let total: f64 = self.delays_ms.iter().sum();
        total / self.delays_ms.len().max(1) as f64 / SECOND_MS
    }

    /// Returns the 95th percentile by the nearest-rank method.
    fn p95_delay_s(&self) -> f64 {
        let mut sorted = self.delays_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = (sorted.len() as f64 * 0.95).ceil() as usize;
        sorted.get(rank.saturating_sub(1)).copied().unwrap_or(0.0) / SECOND_MS
    }
}

/// Builds the statuses in order: `S` before the first run, then one per run.
fn build_statuses() -> Result<Vec<ImportStatus>, WatchError> {
    let text = |text: &str| Value::String(text.to_owned());
    let mut results = vec![Value::Object(vec![("status".to_owned(), text("S"))])];
    for step in 1..STEPS {
        let progress = Value::Object(vec![
            ("action".to_owned(), text("load")),
            ("step".to_owned(), Value::Number(step as f64)),
            ("section".to_owned(), text("CRM_STATUS")),
        ]);
        results.push(Value::Object(vec![
            ("status".to_owned(), text("P")),
            ("progress".to_owned(), progress),
        ]));
    }
    results.push(Value::Object(vec![("status".to_owned(), text("F"))]));

    results
        .iter()
        .map(|result| ImportStatus::from_result(result, None, Some(PROCESS_ID)))
        .collect()
}

/// One simulated import. Times are in milliseconds after `register`.
struct Import {
    runs_ms: Vec<f64>,
    /// The server's clock at `register`, in Unix milliseconds. Each response
    /// carries the server's clock, as the `time` block of a real one does.
    server_at_register_ms: f64,
    /// When the watch starts.
    start_ms: f64,
}

/// Watches one import that started at `register` (time 0) from
/// `import.start_ms` on, and adds its requests and delays to `tally`.
fn simulate(
    policy: &Policy,
    import: &Import,
    statuses: &[ImportStatus],
    tally: &mut Tally,
) -> Result<(), String> {
    let runs_ms = import.runs_ms.as_slice();
    let start_ms = import.start_ms;
    let mut now_ms = start_ms;
    let mut watcher = Watcher::new(PROCESS_ID, policy.config, now_ms);
    let mut runs_seen = runs_ms.partition_point(|&run_ms| run_ms <= now_ms);

    for _ in 0..MAX_POLLS {
        let runs_done = runs_ms.partition_point(|&run_ms| run_ms <= now_ms);
        let mut status = statuses
            .get(runs_done)
            .cloned()
            .ok_or_else(|| format!("no status after {runs_done} runs"))?;
        status.time = Some(ServerTime {
            finish: Some((import.server_at_register_ms + now_ms) / SECOND_MS),
            ..ServerTime::default()
        });
        let step = watcher.on_poll(now_ms, Ok(status), 0.5);
        tally.requests += 1;

        let (update, finished) = match &step {
            Step::Continue(update) => (update, false),
            Step::Finish(update, _) => (update, true),
        };
        if update.changed && update.attempt > 1 {
            tally.observed_changes += 1;
        }
        for run_ms in runs_ms.iter().take(runs_done).skip(runs_seen) {
            tally.delays_ms.push(now_ms - run_ms);
        }
        runs_seen = runs_done;

        if finished {
            return Ok(());
        }
        let delay_ms = update
            .next_poll_in_ms
            .ok_or("a Continue step without a delay")?;
        now_ms += delay_ms as f64;
    }
    Err(format!(
        "{} did not finish within {MAX_POLLS} polls",
        policy.label
    ))
}

/// The start of the watch relative to `register`.
#[derive(Clone, Copy)]
enum Start {
    /// As soon as `register` returns its `processId` to the page.
    AtRegister,
    /// Later, as when a page opens on an import already under way.
    RandomOffset,
}

impl Start {
    fn title(self) -> String {
        match self {
            Start::AtRegister => "the watch starts 0.2–1 s after register".to_owned(),
            Start::RandomOffset => format!(
                "the watch starts a uniform 0–{:.0} s after register",
                MAX_START_OFFSET_MS / SECOND_MS
            ),
        }
    }
}

fn print_table(
    model: AgentModel,
    start: Start,
    policies: &[Policy],
    statuses: &[ImportStatus],
) -> Result<(), String> {
    // Every policy meets the same imports: the generator restarts per table.
    let mut random = SplitMix64::new(SEED);
    let imports: Vec<Import> = (0..RUNS)
        .map(|_| {
            let (runs_ms, server_at_register_ms) = model.run_times_ms(&mut random);
            let start_ms = match start {
                Start::AtRegister => random.uniform(0.2 * SECOND_MS, SECOND_MS),
                Start::RandomOffset => random.uniform(0.0, MAX_START_OFFSET_MS),
            };
            Import {
                runs_ms,
                server_at_register_ms,
                start_ms,
            }
        })
        .collect();

    println!("### {}; {}", model.title(), start.title());
    println!();
    println!("| policy | requests per change | mean delay (s) | p95 delay (s) |");
    println!("|---|---:|---:|---:|");
    for policy in policies {
        let mut tally = Tally::default();
        for import in &imports {
            simulate(policy, import, statuses, &mut tally)?;
        }
        println!(
            "| {} | {:.2} | {:.1} | {:.1} |",
            policy.label,
            tally.requests_per_change(),
            tally.mean_delay_s(),
            tally.p95_delay_s()
        );
    }
    println!();
    Ok(())
}

fn main() -> Result<(), String> {
    let statuses = build_statuses().map_err(|error| error.to_string())?;
    let mut policies: Vec<Policy> = [5, 10, 15, 30, 60].into_iter().map(Policy::fixed).collect();
    policies.push(Policy::agent(180));
    policies.push(Policy::agent(60));

    println!("Seed {SEED:#018x}, {RUNS} imports of {STEPS} agent runs per table.");
    println!("Delay: from a run on the server to the first poll that returns its status.");
    println!();
    for start in [Start::AtRegister, Start::RandomOffset] {
        for model in [AgentModel::Exact, AgentModel::Cron, AgentModel::Hits] {
            print_table(model, start, &policies, &statuses)?;
        }
    }
    Ok(())
}
