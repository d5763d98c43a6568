//! The history's benchmarks, run by `bench/history` (not a test):
//!
//! - `history_bench fill STORE DAYS RAW_DAYS [NAMES]`: records DAYS of runs
//!   ending now, five checks at one run a minute each with their usual
//!   metrics, through the store API, keeping raw runs RAW_DAYS; with NAMES
//!   (comma-separated), those checks instead, each with its response time;
//! - `history_bench anomaly`: runs the anomaly detector as shipped over
//!   synthetic series whose truth is known, and prints its scores as Markdown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use vitals::config::StateLocation;
use vitals::history::anomaly::{Detector, Rule, Verdict};
use vitals::history::{HistoryStore, RESPONSE_TIME, Retention, Run, Sample};
use vitals::metrics::Unit;
use vitals::net::tls::Trust;
use vitals::store::{Create, Store};

const MINUTE_MS: i64 = 60_000;
const DAY_RUNS: usize = 1440;

/// A small, seeded generator (xorshift64*): the same series every time.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        (-2.0 * self.uniform().ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("fill") => {
            let days: i64 = args[3].parse().expect("DAYS");
            let raw: u64 = args[4].parse().expect("RAW_DAYS");
            let named: Vec<(String, &[(&str, Unit)])> = match args.get(5) {
                Some(names) => names.split(',').map(|n| (n.to_owned(), &[][..])).collect(),
                None => CHECKS
                    .iter()
                    .map(|(n, gauges)| ((*n).to_owned(), *gauges))
                    .collect(),
            };
            fill(&args[2], days, raw, &named);
        }
        Some("anomaly") => anomaly(),
        _ => {
            eprintln!(
                "usage: history_bench fill STORE DAYS RAW_DAYS [NAMES] | history_bench anomaly"
            );
            std::process::exit(2);
        }
    }
}

/// The checks and the gauges each records besides its response time.
const CHECKS: &[(&str, &[(&str, Unit)])] = &[
    (
        "database",
        &[
            ("vitals_db_connections", Unit::Count),
            ("vitals_db_connections_ratio", Unit::Ratio),
            ("vitals_db_size_bytes", Unit::Bytes),
            ("vitals_db_replication_lag_seconds", Unit::Seconds),
            ("vitals_db_long_transactions", Unit::Count),
        ],
    ),
    (
        "cache",
        &[
            ("vitals_cache_memory_ratio", Unit::Ratio),
            ("vitals_cache_memory_bytes", Unit::Bytes),
            ("vitals_cache_clients", Unit::Count),
            ("vitals_cache_keys", Unit::Count),
            ("vitals_cache_hit_ratio", Unit::Ratio),
        ],
    ),
    (
        "agents",
        &[
            ("vitals_agents{state=\"busy\"}", Unit::Count),
            ("vitals_agents{state=\"idle\"}", Unit::Count),
            ("vitals_tasks{state=\"queued\"}", Unit::Count),
        ],
    ),
    (
        "external_services",
        &[
            (
                "vitals_service_response_seconds{service=\"anthropic_api\"}",
                Unit::Seconds,
            ),
            (
                "vitals_service_response_seconds{service=\"hubspot_api\"}",
                Unit::Seconds,
            ),
            (
                "vitals_service_response_seconds{service=\"sendgrid_api\"}",
                Unit::Seconds,
            ),
        ],
    ),
    ("edge", &[("vitals_tls_days_left", Unit::Count)]),
];

fn fill(path: &str, days: i64, raw_days: u64, checks: &[(String, &[(&str, Unit)])]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let now: DateTime<Utc> = vitals::clock::now();
    let start = now - chrono::Duration::days(days);
    let retention = Retention {
        raw: Duration::from_secs(raw_days * 24 * 3600),
        ..Retention::default()
    };
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    runtime.block_on(async {
        let store = Store::open(
            &StateLocation::File(path.into()),
            &Trust::new(None),
            Duration::from_secs(60),
            Create::Store,
        )
        .await
        .expect("the store");
        let mut history = HistoryStore::new(store);
        for day in 0..days {
            let mut runs = Vec::with_capacity(DAY_RUNS * checks.len());
            for minute in 0..DAY_RUNS as i64 {
                let at = start
                    + chrono::Duration::milliseconds((day * DAY_RUNS as i64 + minute) * MINUTE_MS);
                for (check, gauges) in checks {
                    let mut samples = vec![Sample {
                        metric: RESPONSE_TIME.to_owned(),
                        unit: Unit::Seconds,
                        value: 0.003 * (1.0 + 0.1 * random.normal()).abs(),
                        gauge: true,
                    }];
                    samples.extend(gauges.iter().map(|(metric, unit)| Sample {
                        metric: (*metric).to_owned(),
                        unit: *unit,
                        value: (10.0 + random.normal()).abs(),
                        gauge: true,
                    }));
                    let status = if random.uniform() < 0.002 {
                        "degraded"
                    } else {
                        "healthy"
                    };
                    runs.push(Run {
                        check: check.clone(),
                        instance: "web1".to_owned(),
                        started_at: at,
                        duration: Duration::from_millis(4),
                        status: status.to_owned(),
                        message: format!("{check} operational"),
                        maintenance: None,
                        samples,
                    });
                }
            }
            let day_end = start + chrono::Duration::days(day + 1);
            history
                .record(&runs, &retention, &Rule::default(), day_end)
                .await
                .expect("recorded");
        }
    });
}

/// A synthetic series: its values (one a minute) and which runs are truly
/// changed (`true`), or within the documented adaptation time of a lasting
/// change (`None`: neither counted as missed nor as false).
struct Series {
    name: &'static str,
    definition: &'static str,
    values: Vec<f64>,
    truth: Vec<Option<bool>>,
    /// The injected changes: (first run, runs held).
    events: Vec<(usize, usize)>,
    /// For a level shift: where it happens.
    shift_at: Option<usize>,
}

const DAYS: usize = 30;

/// Noise around `base` seconds: lognormal-ish (σ 10 %), with a heavy-tailed
/// spike (Pareto, α 1.5) on 1 % of runs.
fn noise(random: &mut Random, base: f64) -> f64 {
    let mut v = base * (1.0 + 0.1 * random.normal()).max(0.2);
    if random.uniform() < 0.01 {
        v *= random.uniform().powf(-1.0 / 1.5);
    }
    v
}

fn normal_series(
    name: &'static str,
    definition: &'static str,
    seed: u64,
    shape: impl Fn(usize) -> f64,
) -> Series {
    let mut random = Random(seed);
    let n = DAYS * DAY_RUNS;
    Series {
        name,
        definition,
        values: (0..n).map(|i| noise(&mut random, shape(i))).collect(),
        truth: vec![Some(false); n],
        events: Vec::new(),
        shift_at: None,
    }
}

/// Stationary noise with changes of `factor` held `hold` runs, one about
/// every 1,000 runs after the first day.
fn injected(
    name: &'static str,
    definition: &'static str,
    seed: u64,
    factor: f64,
    hold: usize,
) -> Series {
    let mut series = normal_series(name, definition, seed, |_| 0.020);
    let mut random = Random(seed ^ 0xabcdef);
    let mut at = DAY_RUNS;
    while at + hold < series.values.len() {
        series.events.push((at, hold));
        for i in at..at + hold {
            series.values[i] *= factor;
            series.truth[i] = Some(true);
        }
        at += 700 + (random.uniform() * 600.0) as usize;
    }
    series
}

fn series() -> Vec<Series> {
    let day = DAY_RUNS as f64;
    let mut all = vec![
        normal_series(
            "stationary",
            "3 ms, ±10 % noise, 1 % heavy-tailed spikes (Pareto α 1.5)",
            1,
            |_| 0.003,
        ),
        normal_series(
            "daily seasonality",
            "20 ms ± 40 % over the day (sine), with the noise above",
            2,
            move |i| 0.020 * (1.0 + 0.4 * (std::f64::consts::TAU * i as f64 / day).sin()),
        ),
        normal_series(
            "slow drift",
            "20 ms growing to 60 ms over 30 days, with the noise above",
            3,
            move |i| 0.020 * (1.0 + 2.0 * i as f64 / (30.0 * day)),
        ),
    ];
    let mut outliers = normal_series(
        "single outliers",
        "20 ms with the noise above, and a lone ×10 value every 500 runs",
        4,
        |_| 0.020,
    );
    for i in (250..outliers.values.len()).step_by(500) {
        outliers.values[i] *= 10.0;
    }
    all.push(outliers);
    let mut shift = normal_series(
        "level shift",
        "20 ms, then 60 ms for good from day 10 (flags within a day of it are neither missed nor false)",
        5,
        |_| 0.020,
    );
    let at = 10 * DAY_RUNS;
    for i in at..shift.values.len() {
        shift.values[i] *= 3.0;
        if i < at + DAY_RUNS {
            shift.truth[i] = None;
        }
    }
    shift.shift_at = Some(at);
    all.push(shift);
    for (hold, seed) in [(3, 10), (5, 11), (10, 12), (30, 13)] {
        all.push(injected(
            "10× change",
            "20 ms with the noise above; ×10 held",
            seed,
            10.0,
            hold,
        ));
        all.push(injected(
            "3× change",
            "20 ms with the noise above; ×3 held",
            seed + 100,
            3.0,
            hold,
        ));
    }
    all
}

fn anomaly() {
    let rule = Rule::default();
    println!(
        "| series | held runs | changes | recall | flagged runs | precision | false flags per 10,000 normal runs |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut total_normal = 0usize;
    let mut total_false = 0usize;
    let mut definitions: Vec<(&str, &str)> = Vec::new();
    for s in series() {
        let mut detector = Detector::default();
        let flags: Vec<bool> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                matches!(
                    detector.observe(i as i64 * MINUTE_MS, *v, Unit::Seconds, &rule),
                    Verdict::Anomalous { .. }
                )
            })
            .collect();
        let flagged = flags.iter().filter(|f| **f).count();
        let normal = s.truth.iter().filter(|t| **t == Some(false)).count();
        let false_flags = flags
            .iter()
            .zip(&s.truth)
            .filter(|(f, t)| **f && **t == Some(false))
            .count();
        let true_flags = flags
            .iter()
            .zip(&s.truth)
            .filter(|(f, t)| **f && **t != Some(false))
            .count();
        total_normal += normal;
        total_false += false_flags;
        let detected = s
            .events
            .iter()
            .filter(|(at, hold)| flags[*at..*at + *hold].iter().any(|f| *f))
            .count();
        let recall = if s.events.is_empty() {
            "-".to_owned()
        } else {
            format!("{:.3}", detected as f64 / s.events.len() as f64)
        };
        let precision = if flagged == 0 {
            "-".to_owned()
        } else {
            format!("{:.3}", true_flags as f64 / flagged as f64)
        };
        let held = s
            .events
            .first()
            .map_or("-".to_owned(), |(_, h)| h.to_string());
        let name = match s.shift_at {
            Some(at) => {
                let last = flags.iter().rposition(|f| *f).unwrap_or(at);
                format!(
                    "{} (flagged until {:.1} h after it)",
                    s.name,
                    (last.saturating_sub(at)) as f64 / 60.0
                )
            }
            None => s.name.to_owned(),
        };
        println!(
            "| {name} | {held} | {} | {recall} | {flagged} | {precision} | {:.2} |",
            s.events.len(),
            false_flags as f64 * 10_000.0 / normal.max(1) as f64
        );
        if !definitions.iter().any(|(n, _)| *n == s.name) {
            definitions.push((s.name, s.definition));
        }
    }
    println!(
        "\nOver all {total_normal} normal runs: {total_false} false flags, {:.2} per 10,000.\n",
        total_false as f64 * 10_000.0 / total_normal as f64
    );
    println!(
        "Series (30 days at one run a minute, seeded, so every run of the bench sees the same values):\n"
    );
    for (name, definition) in definitions {
        println!("- **{name}**: {definition}.");
    }
    println!(
        "\nThe detector as shipped: VITALS_ANOMALY_MIN_SAMPLES={}, VITALS_ANOMALY_RUNS={}; a run is flagged when it is part of an anomaly (the run that makes one and every run after it until the value is back in its band). A change counts as detected when at least one of its runs is flagged; recall is detected changes over injected ones; precision is flagged runs that are changed (or within a day of a lasting shift) over all flagged runs.",
        rule.min_samples, rule.runs
    );
}
