//! The check history through the real binary: `check --record` against the
//! harness servers, `vitals history` over what was recorded, outages as
//! incidents, twenty recorders at once, retention, hostile text; and a
//! simulated year through the store API.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::support::alerts::{Backend, Store};
use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};
use crate::support::net::free_port;
use crate::support::postgres::{PgOptions, PgServer};
use crate::support::{t0, utc_ms};

/// `t0` plus `minutes`, as VITALS_NOW takes it.
fn at(minutes: i64) -> String {
    (t0() + Duration::minutes(minutes)).to_rfc3339()
}

/// `check db --record` at `minute`, against `url`.
fn record_db(store: &Store, url: &str, minute: i64) -> Outcome {
    let out = store
        .test()
        .env("DATABASE_URL", url)
        .env("VITALS_INSTANCE", "web1")
        .env("VITALS_NOW", at(minute))
        .args(["check", "db", "--record", "--json"])
        .run();
    assert_eq!(out.stderr, "", "minute {minute}");
    out
}

fn history(store: &Store, now_minute: i64, args: &[&str]) -> Outcome {
    store
        .test()
        .env("VITALS_NOW", at(now_minute))
        .arg("history")
        .args(args)
        .run()
}

/// When each recorded run started (ms), in order.
fn starts(store: &Store) -> Vec<i64> {
    let n = store.number("SELECT COUNT(*) FROM history_runs");
    (0..n)
        .map(|i| {
            store.number(&format!(
                "SELECT started_at FROM history_runs ORDER BY started_at LIMIT 1 OFFSET {i}"
            ))
        })
        .collect()
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Nearest rank, as `history` reports percentiles.
fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

on_both!(recorded_runs_give_exact_aggregates);
fn recorded_runs_give_exact_aggregates(backend: Backend) {
    let store = Store::fresh(backend);
    let db = PgServer::shared().create_database();
    let down = format!("postgres://app:pw@127.0.0.1:{}/app", free_port());
    let mut times = Vec::new();
    let mut down_message = String::new();
    for minute in 0..8 {
        let out = if minute == 5 || minute == 6 {
            let out = record_db(&store, &down, minute);
            out.assert_code(2);
            if minute == 5 {
                down_message = out.json()["message"].as_str().expect("message").to_owned();
            }
            out
        } else {
            let out = record_db(&store, &db, minute);
            out.assert_code(0);
            times.push(out.json()["response_time_ms"].as_f64().expect("a time"));
            out
        };
        assert_eq!(
            out.json()["status"],
            if minute == 5 || minute == 6 {
                "unhealthy"
            } else {
                "healthy"
            }
        );
    }
    // A plain check writes nothing.
    store
        .test()
        .env("DATABASE_URL", &db)
        .args(["check", "db"])
        .run()
        .assert_code(0);
    let t = starts(&store);
    assert_eq!(t.len(), 8);
    for (minute, start) in t.iter().enumerate() {
        let planned = (t0() + Duration::minutes(minute as i64)).timestamp_millis();
        assert!(
            (planned..planned + 5000).contains(start),
            "run {minute} at {start}"
        );
    }

    let until = (t0() + Duration::minutes(8)).timestamp_millis();
    let out = history(
        &store,
        9,
        &["db", "--since", &at(-51), "--until", &at(8), "--json"],
    );
    out.assert_code(0);
    let doc = out.json();
    let c = &doc["checks"][0];
    assert_eq!(doc["checks"].as_array().map(Vec::len), Some(1));
    assert_eq!(c["check"], "database");
    assert_eq!(c["instances"], json!(["web1"]));
    assert_eq!(c["samples"], 8);
    assert_eq!(c["runs_by_status"], json!({"healthy": 6, "unhealthy": 2}));
    let total = (until - t[0]) as f64;
    let healthy = ((t[5] - t[0]) + (until - t[7])) as f64;
    let share = |part: f64| round2(part * 100.0 / total);
    assert_eq!(
        c["time_percent"],
        json!({"healthy": share(healthy), "unhealthy": share((t[7] - t[5]) as f64)})
    );
    assert_eq!(c["uptime_percent"], json!(share(healthy)));
    times.sort_by(f64::total_cmp);
    assert_eq!(
        c["response_time_ms"],
        json!({
            "p50": nearest_rank(&times, 50.0),
            "p95": nearest_rank(&times, 95.0),
            "max": times[times.len() - 1],
        })
    );
    assert_eq!(c["status"], "healthy");
    assert_eq!(c["status_since"], utc_ms(t[7]));
    assert_eq!(c["last_run_at"], utc_ms(t[7]));
    assert_eq!(c["message"], "Database operational");
    assert_eq!(c["incidents_total"], 1);
    assert_eq!(
        c["incidents"],
        json!([{
            "instance": "web1",
            "status": "unhealthy",
            "started_at": utc_ms(t[5]),
            "ended_at": utc_ms(t[7]),
            "duration_seconds": (t[7] - t[5]) as f64 / 1000.0,
            "message": down_message,
        }])
    );

    // The same as CSV, and as a table for a pipe (no strip, no colour).
    let csv = history(
        &store,
        9,
        &[
            "db",
            "--since",
            &at(-51),
            "--until",
            &at(8),
            "--format",
            "csv",
        ],
    );
    csv.assert_code(0);
    let lines: Vec<&str> = csv.stdout.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "check,since,until,instances,runs,uptime_percent,healthy_percent,degraded_percent,\
         unhealthy_percent,p50_ms,p95_ms,max_ms,status,status_since,last_run_at,incidents,message,\
         maintenance_seconds"
    );
    assert!(
        lines[1].starts_with(&format!(
            "database,{},{},web1,8,{},{},0,{},",
            utc_ms(t0().timestamp_millis() + 9 * 60_000 - 3_600_000),
            utc_ms(until),
            share(healthy),
            share(healthy),
            share((t[7] - t[5]) as f64)
        )),
        "{}",
        lines[1]
    );
    assert_eq!(lines[2..], [""]);
    let table = history(&store, 9, &["--since", &at(-51), "--until", &at(8)]);
    table.assert_code(0).assert_no_ansi();
    assert!(
        table.stdout.contains("| database | 8    |"),
        "{}",
        table.stdout
    );
    assert!(!table.stdout.contains('▁'), "{}", table.stdout);

    // Another instance's name narrows it to nothing: exit 3, and how to record.
    let none = history(&store, 9, &["--instance", "web2", "--json"]);
    none.assert_code(3);
    assert_eq!(none.json()["checks"], json!([]));
    none.assert_stderr_contains("no recorded run of any check from ");
    none.assert_stderr_contains(" on instance web2: record runs with `vitals check all --record`");
}

#[test]
fn no_store_means_no_history_and_says_how_to_record() {
    let test = Test::new().args(["history", "db"]);
    let out = test.run();
    out.assert_code(3);
    assert_eq!(out.stdout, "");
    out.assert_stderr_contains("error: no recorded run of db from ");
    out.assert_stderr_contains(
        ": record runs with `vitals check all --record` (or VITALS_RECORD=1, or --alert), \
         e.g. from cron every minute",
    );
    assert!(!test.state_dir().exists(), "reading created the store");
    let bad = Test::new().args(["history", "--since", "yesterday"]).run();
    bad.assert_code(3);
    assert_eq!(
        bad.stderr,
        "error: --since: expected a duration back from now (24h, 7d, 30d), an RFC 3339 time \
         (2026-11-30T12:00:00Z) or a date (2026-11-30), got \"yesterday\"\n"
    );
    let csv = Test::new().args(["check", "db", "--format", "csv"]).run();
    csv.assert_code(3);
    csv.assert_stderr_contains("--format csv applies to `vitals history` only");
}

on_both!(an_outage_is_one_incident);
fn an_outage_is_one_incident(backend: Backend) {
    let store = Store::fresh(backend);
    let mut server = PgServer::start(PgOptions::default());
    let url = server.url("postgres");
    for minute in 0..3 {
        record_db(&store, &url, minute).assert_code(0);
    }
    server.stop();
    for minute in 3..6 {
        record_db(&store, &url, minute).assert_code(2);
    }
    server.restart();
    for minute in 6..9 {
        record_db(&store, &url, minute).assert_code(0);
    }
    let t = starts(&store);
    let out = history(&store, 10, &["database", "--json"]);
    out.assert_code(0);
    let c = &out.json()["checks"][0];
    assert_eq!(c["incidents_total"], 1);
    let incident = &c["incidents"][0];
    assert_eq!(incident["started_at"], utc_ms(t[3]));
    assert_eq!(incident["ended_at"], utc_ms(t[6]));
    assert_eq!(
        incident["duration_seconds"],
        json!((t[6] - t[3]) as f64 / 1000.0)
    );
    assert_eq!(incident["status"], "unhealthy");
    assert_eq!(c["runs_by_status"], json!({"healthy": 6, "unhealthy": 3}));
    assert_eq!(c["status"], "healthy");
    assert_eq!(c["status_since"], utc_ms(t[6]));
}

on_both!(a_history_of_an_older_schema_says_a_recording_migrates_it);
fn a_history_of_an_older_schema_says_a_recording_migrates_it(backend: Backend) {
    let store = Store::fresh(backend);
    let server = PgServer::start(PgOptions::default());
    let url = server.url("postgres");
    record_db(&store, &url, 0).assert_code(0);
    // The store as a vitals of schema version 5 left it.
    store.execute("DROP INDEX history_runs_span");
    store.execute("CREATE INDEX history_runs_check ON history_runs (check_name, started_at)");
    store.execute("UPDATE schema_version SET version = 5");

    let older = history(&store, 2, &["database", "--json"]);
    older.assert_code(3);
    assert_eq!(older.stdout, "");
    older.assert_stderr_contains(
        ": its schema is older (version 5; this vitals writes 6): the next write migrates it \
         (`vitals check all --record`, or any recording or alert)\n",
    );
    assert_eq!(
        store.number("SELECT MAX(version) FROM schema_version"),
        5,
        "reading migrated it"
    );

    record_db(&store, &url, 1).assert_code(0);
    assert_eq!(store.number("SELECT MAX(version) FROM schema_version"), 6);
    let migrated = history(&store, 2, &["database", "--json"]);
    migrated.assert_code(0);
    assert_eq!(
        migrated.json()["checks"][0]["runs_by_status"],
        json!({"healthy": 2})
    );
}

on_both!(twenty_recorders_at_once_lose_nothing);
fn twenty_recorders_at_once_lose_nothing(backend: Backend) {
    let store = Store::fresh(backend);
    let api = HttpServer::replying(Reply::json(200, &json!({"data": []})));
    // The store exists before the twenty start, as it does under cron.
    store
        .test()
        .env("ANTHROPIC_API_KEY", "sk-concurrency")
        .env("ANTHROPIC_BASE_URL", api.url())
        .args(["check", "services", "--record"])
        .run()
        .assert_code(0);
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..20)
            .map(|i| {
                let test = store
                    .test()
                    .env("ANTHROPIC_API_KEY", "sk-concurrency")
                    .env("ANTHROPIC_BASE_URL", api.url())
                    .env("VITALS_INSTANCE", format!("cron{i}"));
                s.spawn(move || test.args(["check", "services", "--record"]).run())
            })
            .collect();
        runs.into_iter().map(|r| r.join().expect("a run")).collect()
    });
    for out in &outcomes {
        out.assert_code(0);
        assert_eq!(out.stderr, "");
    }
    assert_eq!(store.number("SELECT COUNT(*) FROM history_runs"), 21);
    assert_eq!(
        store.number("SELECT COUNT(*) FROM history_samples"),
        store.number(
            "SELECT COUNT(*) FROM history_samples s JOIN history_runs r ON r.id = s.run_id"
        )
    );
    let out = store.test().args(["history", "services", "--json"]).run();
    out.assert_code(0);
    assert_eq!(out.json()["checks"][0]["samples"], 21);
    assert_eq!(
        out.json()["checks"][0]["instances"]
            .as_array()
            .map(Vec::len),
        Some(21)
    );
}

/// `check services --record` against a stand-in API, at `now`.
fn record_services(store: &Store, api: &HttpServer, now: &DateTime<Utc>) {
    store
        .test()
        .env("ANTHROPIC_API_KEY", "sk-retention")
        .env("ANTHROPIC_BASE_URL", api.url())
        .env("VITALS_NOW", now.to_rfc3339())
        .args(["check", "services", "--record"])
        .run()
        .assert_code(0);
}

on_both!(old_records_are_rolled_up_then_pruned);
fn old_records_are_rolled_up_then_pruned(backend: Backend) {
    let store = Store::fresh(backend);
    let api = HttpServer::replying(Reply::json(200, &json!({"data": []})));
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let now = t0();
    // Runs 800, 100 and 20 days ago, three each a minute apart.
    for days in [800, 100, 20] {
        for minute in 0..3 {
            record_services(
                &store,
                &api,
                &(now - Duration::days(days) + Duration::minutes(minute)),
            );
        }
    }
    // An alert resolved 100 days ago, and one resolved 10 days ago.
    for (days, what) in [(100, "old_outage"), (10, "recent_outage")] {
        let when = (now - Duration::days(days)).to_rfc3339();
        let sent = store
            .test()
            .env("SLACK_WEBHOOK_URL", slack.url())
            .env("VITALS_NOW", &when)
            .args([
                "alert",
                "send",
                "--type",
                what,
                "--severity",
                "error",
                "--message",
                "m",
                "--json",
            ])
            .run();
        sent.assert_code(0);
        let id = sent.json()["id"].as_str().expect("an id").to_owned();
        store
            .test()
            .env("SLACK_WEBHOOK_URL", slack.url())
            .env("VITALS_NOW", &when)
            .args(["alert", "resolve", &id, "--by", "test"])
            .run()
            .assert_code(0);
    }
    // Now, three recordings (each pass prunes a batch, at most every ten minutes).
    for pass in 0..3 {
        record_services(&store, &api, &(now + Duration::minutes(11 * pass)));
    }
    let count = |sql: &str| store.number(sql);
    assert_eq!(
        count("SELECT COUNT(*) FROM history_runs"),
        3,
        "raw runs past 14 days"
    );
    let day = |days: i64| (now - Duration::days(days)).timestamp_millis() / 86_400_000 * 86_400_000;
    let hour = |days: i64| (now - Duration::days(days)).timestamp_millis() / 3_600_000 * 3_600_000;
    assert_eq!(
        count("SELECT COUNT(*) FROM history_status_rollups WHERE period = 'hour'"),
        count(&format!(
            "SELECT COUNT(*) FROM history_status_rollups WHERE period = 'hour' AND bucket = {}",
            hour(20)
        )),
        "hours older than 90 days are pruned"
    );
    assert_eq!(
        count(&format!(
            "SELECT runs FROM history_status_rollups WHERE period = 'hour' AND bucket = {}",
            hour(20)
        )),
        3
    );
    let daily: Vec<i64> = [800, 100, 20]
        .iter()
        .map(|d| {
            count(&format!(
                "SELECT COUNT(*) FROM history_status_rollups WHERE period = 'day' AND bucket = {}",
                day(*d)
            ))
        })
        .collect();
    assert_eq!(daily, [0, 1, 1], "days older than 2 years are pruned");
    let alerts: Vec<Value> = store.alerts();
    let types: Vec<&str> = alerts
        .iter()
        .filter_map(|a| a["alert_type"].as_str())
        .collect();
    assert_eq!(
        types,
        ["recent_outage"],
        "resolved alerts older than 90 days are pruned"
    );

    // `history` answers from the roll-ups where the runs are gone.
    let read = |since: &str| {
        let out = store
            .test()
            .env("VITALS_NOW", (now + Duration::minutes(30)).to_rfc3339())
            .args(["history", "services", "--since", since, "--json"])
            .run();
        out.assert_code(0);
        out.json()["checks"][0]["samples"].as_i64()
    };
    assert_eq!(read("30d"), Some(6));
    assert_eq!(read("120d"), Some(9));
    assert_eq!(read("1000d"), Some(9));
}

#[test]
fn hostile_text_is_scrubbed_and_bounded_on_the_way_in_and_out() {
    let store = Store::fresh(Backend::Sqlite);
    let key = "sk-hostile-0123456789";
    let body = json!({"error": {"type": "x", "message": format!("bad key {key}\u{1b}[2J{}", "z".repeat(20_000))}});
    let api = HttpServer::replying(Reply::json(401, &body));
    store
        .test()
        .env("ANTHROPIC_API_KEY", key)
        .env("ANTHROPIC_BASE_URL", api.url())
        .env("VITALS_NOW", at(0))
        .args(["check", "services", "--record"])
        .run()
        .assert_code(2);
    assert_eq!(store.number("SELECT COUNT(*) FROM history_runs"), 1);
    assert_eq!(
        store.number(&format!(
            "SELECT COUNT(*) FROM history_runs WHERE message LIKE '%{key}%'"
        )),
        0,
        "the key was stored"
    );
    assert_eq!(
        store.number("SELECT COUNT(*) FROM history_runs WHERE LENGTH(message) > 1001"),
        0
    );
    // Text another program wrote into the store is bounded and made safe on the way out.
    store.execute(&format!(
        "UPDATE history_runs SET message = 'evil' || char(27) || '[31m' || '{}'",
        "y".repeat(50_000)
    ));
    let out = store
        .test()
        .env("ANTHROPIC_API_KEY", key)
        .env("VITALS_NOW", at(1))
        .args(["history", "--json"])
        .run();
    out.assert_code(0)
        .assert_no_ansi()
        .assert_no_secrets(&[key]);
    let message = out.json()["checks"][0]["message"]
        .as_str()
        .expect("a message")
        .to_owned();
    assert_eq!(message, format!("evil [31m{}…", "y".repeat(991)));
    let table = store
        .test()
        .env("VITALS_NOW", at(1))
        .args(["history"])
        .run();
    table.assert_code(0).assert_no_ansi();
}

/// The history in the SQLite file at `path`, made when missing, as the
/// store API opens it.
async fn open_history(path: &std::path::Path) -> vitals::history::HistoryStore {
    let store = vitals::store::Store::open(
        &vitals::config::StateLocation::File(path.to_owned()),
        &vitals::net::tls::Trust::new(None),
        std::time::Duration::from_secs(30),
        vitals::store::Create::Store,
    )
    .await
    .expect("the store");
    vitals::history::HistoryStore::new(store)
}

/// The anomaly rule with judging off: for tests of what is stored.
fn judging_off() -> vitals::history::anomaly::Rule {
    vitals::history::anomaly::Rule {
        enabled: false,
        ..vitals::history::anomaly::Rule::default()
    }
}

/// A year of one check run a minute, recorded a day at a time through the
/// store API as a year of cron runs would leave it: the raw runs stop at
/// 14 days, the hourly roll-ups at 90, and the file stops growing.
#[test]
fn a_simulated_year_stays_bounded() {
    use vitals::history::{RESPONSE_TIME, Retention, Run, Sample};
    use vitals::metrics::Unit;

    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("history.db");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let start = t0() - Duration::days(365);
    let size = || std::fs::metadata(&path).expect("the store").len();
    let mut at_120_days = 0;
    runtime.block_on(async {
        let mut history = open_history(&path).await;
        // Retention is under test here; judging each value of a year in a
        // debug build would take minutes (the bench judges them, optimised).
        let judging_off = judging_off();
        for day in 0..365 {
            let runs: Vec<Run> = (0..1440)
                .map(|minute| Run {
                    check: "database".to_owned(),
                    instance: "web1".to_owned(),
                    started_at: start + Duration::minutes(day * 1440 + minute),
                    duration: std::time::Duration::from_millis(3),
                    status: if minute % 500 == 7 {
                        "degraded"
                    } else {
                        "healthy"
                    }
                    .to_owned(),
                    message: "Database operational".to_owned(),
                    maintenance: None,
                    samples: vec![
                        Sample {
                            metric: RESPONSE_TIME.to_owned(),
                            unit: Unit::Seconds,
                            value: 0.002 + (minute % 7) as f64 / 10_000.0,
                            gauge: true,
                        },
                        Sample {
                            metric: "vitals_database_connections".to_owned(),
                            unit: Unit::Count,
                            value: (minute % 13) as f64,
                            gauge: true,
                        },
                    ],
                })
                .collect();
            let end_of_day = start + Duration::days(day + 1);
            history
                .record(&runs, &Retention::default(), &judging_off, end_of_day)
                .await
                .expect("recorded");
            if day == 119 {
                at_120_days = size();
            }
        }
    });
    let store = Store::sqlite_file(&path);
    let runs = store.number("SELECT COUNT(*) FROM history_runs");
    assert!((14 * 1440..=15 * 1440).contains(&runs), "{runs} raw runs");
    assert_eq!(
        store.number("SELECT COUNT(*) FROM history_samples"),
        2 * runs,
        "samples of pruned runs are left"
    );
    let hours = store
        .number("SELECT COUNT(DISTINCT bucket) FROM history_status_rollups WHERE period = 'hour'");
    assert!((89 * 24..=91 * 24).contains(&hours), "{hours} hours kept");
    assert_eq!(
        store.number(
            "SELECT COUNT(DISTINCT bucket) FROM history_status_rollups WHERE period = 'day'"
        ),
        365
    );
    let end = size();
    assert!(
        end <= at_120_days + at_120_days / 5,
        "the file grew from {at_120_days} bytes at 120 days to {end} at a year"
    );
}

/// The service stand-in, answering after the delay the test sets (ms).
fn slow_api(delay: &std::sync::Arc<std::sync::atomic::AtomicU64>) -> HttpServer {
    let delay = delay.clone();
    HttpServer::start(move |_| {
        let ms = delay.load(std::sync::atomic::Ordering::SeqCst);
        Reply::json(200, &json!({"data": []})).after(std::time::Duration::from_millis(ms))
    })
}

on_both!(a_slowdown_is_flagged_on_its_third_run_and_cleared_when_it_ends);
fn a_slowdown_is_flagged_on_its_third_run_and_cleared_when_it_ends(backend: Backend) {
    use std::sync::atomic::Ordering::SeqCst;
    let store = Store::fresh(backend);
    let delay = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let api = slow_api(&delay);
    let hook = HttpServer::replying(Reply::text(200, "ok"));
    let metric = "vitals_service_response_seconds{service=\"anthropic_api\"}";
    let run = |minute: i64, format: &str| {
        store
            .test()
            .env("ANTHROPIC_API_KEY", "sk-anomaly")
            .env("ANTHROPIC_BASE_URL", api.url())
            .env(
                "SLACK_WEBHOOK_URL",
                format!("{}/services/T0/B0/X", hook.url()),
            )
            .env("VITALS_INSTANCE", "web1")
            .env("VITALS_NOW", at(minute))
            .args(["check", "services", "--alert", "--format", format])
            .run()
    };
    // A flat baseline with a millisecond of jitter: thirty runs, no flag.
    for minute in 0..30 {
        delay.store((minute % 3) as u64, SeqCst);
        let out = run(minute, "json");
        out.assert_code(0);
        assert_eq!(out.json()["anomalies"], Value::Null, "minute {minute}");
    }
    // 50 ms slower; on a machine so loaded that the baseline's own band
    // reaches past that, twice the band, so that the slowdown is one.
    let figure = |column: &str| {
        store.number(&format!(
            "SELECT CAST({column} * 1000000 AS BIGINT) FROM history_baselines b \
             JOIN history_series s ON s.id = b.series WHERE s.metric = '{metric}'"
        )) as f64
            / 1e6
    };
    let (median, spread) = (figure("median"), figure("spread"));
    let high = median + (5.0 * spread).max(0.5 * median).max(0.005);
    let slow = 50.max((2000.0 * high).ceil() as u64);
    delay.store(slow, SeqCst);
    for minute in 30..32 {
        let out = run(minute, "json");
        out.assert_code(0);
        assert_eq!(out.json()["anomalies"], Value::Null, "minute {minute}");
    }
    let third = run(32, "json");
    third.assert_code(1);
    let doc = third.json();
    let services = &doc;
    assert_eq!(services["status"], "degraded");
    let anomaly = &services["anomalies"][0];
    assert_eq!(services["anomalies"].as_array().map(Vec::len), Some(1));
    assert_eq!(anomaly["metric"], metric);
    // The first slow run started when its clock did, give or take the
    // milliseconds a busy machine takes to start it.
    let since = anomaly["since"].as_str().unwrap_or_default();
    let expected = utc_ms((t0() + Duration::minutes(30)).timestamp_millis());
    assert_eq!(since.get(..19), expected.get(..19), "{since}");
    let value = anomaly["value"].as_f64().expect("a value");
    assert!(value >= slow as f64 / 1000.0, "{value}");
    let baseline = anomaly["baseline"].as_f64().expect("a baseline");
    let band = anomaly["band"].as_array().expect("a band");
    let band = (
        band[0].as_f64().expect("low"),
        band[1].as_f64().expect("high"),
    );
    assert!(
        band.0 < baseline && baseline < band.1 && band.1 < value,
        "{band:?} {value}"
    );
    let message = services["message"].as_str().expect("a message");
    assert!(
        message.starts_with(&format!(
            "anthropic_api response time {:.0} ms, usually ",
            value * 1000.0
        )),
        "{message}"
    );
    assert!(message.ends_with(" ms over the last 30 min"), "{message}");
    // Alerted once, as an anomaly with its metric, and not as degraded.
    let open = store.alerts();
    let types: Vec<(&str, &str)> = open
        .iter()
        .map(|a| {
            (
                a["alert_type"].as_str().unwrap_or_default(),
                a["labels"]["metric"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(types, [("external_services_anomaly", metric)]);
    assert_eq!(hook.request_count(), 1);
    // Still slow: the same alert, not notified again; every format says it.
    let nagios = run(33, "nagios");
    nagios.assert_code(1);
    assert!(
        nagios
            .stdout
            .contains("\nexternal_services: anomaly - anthropic_api response time "),
        "{}",
        nagios.stdout
    );
    let prometheus = run(34, "prometheus");
    prometheus.assert_code(1);
    assert!(
        prometheus.stdout.contains(
            "vitals_anomaly{check=\"external_services\",metric=\"vitals_service_response_seconds{service=\\\"anthropic_api\\\"}\"} 1\n"
        ),
        "{}",
        prometheus.stdout
    );
    let table = run(35, "table");
    table.assert_code(1);
    assert!(
        table
            .stdout
            .contains("\nanomalies:\n  external_services: anthropic_api response time "),
        "{}",
        table.stdout
    );
    assert_eq!(store.alerts().len(), 1);
    assert_eq!(hook.request_count(), 1);
    // The delay is gone: healthy again, and the alert resolved.
    delay.store(0, SeqCst);
    let back = run(36, "json");
    back.assert_code(0);
    assert_eq!(back.json()["anomalies"], Value::Null);
    let alerts = store.alerts();
    assert_eq!(alerts[0]["status"], "resolved");
    assert_eq!(hook.request_count(), 2);
    // `history --anomalies` lists it, from its first slow run to the first fast one.
    let out = history(&store, 40, &["services", "--anomalies", "--json"]);
    out.assert_code(0);
    let past = &out.json()["checks"][0]["anomalies"];
    assert_eq!(past.as_array().map(Vec::len), Some(1));
    assert_eq!(past[0]["metric"], metric);
    assert_eq!(past[0]["instance"], "web1");
    let second = |v: &Value| v.as_str().unwrap_or_default().get(..19).map(str::to_owned);
    let at = |minutes| utc_ms((t0() + Duration::minutes(minutes)).timestamp_millis());
    assert_eq!(
        second(&past[0]["since"]),
        at(30).get(..19).map(str::to_owned)
    );
    assert_eq!(
        second(&past[0]["until"]),
        at(36).get(..19).map(str::to_owned)
    );
    assert!(past[0]["peak"].as_f64().expect("a peak") >= 0.05);
    // Off: nothing is judged.
    delay.store(slow, SeqCst);
    for minute in 41..45 {
        let out = store
            .test()
            .env("ANTHROPIC_API_KEY", "sk-anomaly")
            .env("ANTHROPIC_BASE_URL", api.url())
            .env("VITALS_ANOMALY", "off")
            .env("VITALS_NOW", at(minute))
            .args(["check", "services", "--record", "--json"])
            .run();
        out.assert_code(0);
        assert_eq!(out.json()["anomalies"], Value::Null);
    }
}

/// `history` answers whole hours from their hourly roll-ups where these
/// say what the raw runs say: the runs, the shares of time, the maximum,
/// the incidents and the current status are the same as from the raw runs
/// alone, and so is the time in maintenance; the p50 and p95 (weighted from
/// the hours' own) within 5 % for a steady series (docs/HISTORY.md).
#[test]
fn roll_ups_and_raw_runs_give_the_same_history() {
    use vitals::history::{Filter, RESPONSE_TIME, Retention, Run, Sample, Summary};
    use vitals::metrics::Unit;

    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("history.db");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // Three days at one run a minute on two instances, from 00:00; web2 is
    // down from 05:50 to 07:10 on the first day (across two hours) and
    // degraded at every 97th minute; web1 degraded at every 250th. Both in
    // maintenance from minute 600 to 700.
    let start = t0() - Duration::hours(10) - Duration::days(3);
    let minutes = 3 * 1440;
    let now = start + Duration::minutes(minutes);
    let status = |instance: &str, minute: i64| match instance {
        "web2" if (350..430).contains(&minute) => "unhealthy",
        "web2" if minute % 97 == 3 => "degraded",
        "web1" if minute % 250 == 11 => "degraded",
        _ => "healthy",
    };
    let summarize = |columns: usize| -> Summary {
        runtime.block_on(async {
            let filter = Filter {
                checks: vec!["database".to_owned()],
                since: now - Duration::days(3) + Duration::minutes(20),
                until: now,
                instance: None,
                buckets: columns,
                anomalies: false,
            };
            let mut summaries = open_history(&path)
                .await
                .summarize(&filter, now)
                .await
                .expect("a summary");
            summaries.pop().expect("the check's")
        })
    };
    runtime.block_on(async {
        let mut history = open_history(&path).await;
        let judging_off = judging_off();
        for hour in 0..minutes / 60 {
            let runs: Vec<Run> = (hour * 60..hour * 60 + 60)
                .flat_map(|minute| {
                    ["web1", "web2"].map(|instance| Run {
                        check: "database".to_owned(),
                        instance: instance.to_owned(),
                        started_at: start
                            + Duration::minutes(minute)
                            + Duration::seconds(if instance == "web1" { 0 } else { 7 }),
                        duration: std::time::Duration::from_millis(3),
                        status: status(instance, minute).to_owned(),
                        message: format!("{instance} at minute {minute}"),
                        maintenance: (600..700).contains(&minute).then(|| "upgrade".to_owned()),
                        samples: vec![Sample {
                            metric: RESPONSE_TIME.to_owned(),
                            unit: Unit::Seconds,
                            value: 0.002 + ((minute * 7) % 11) as f64 / 10_000.0,
                            gauge: true,
                        }],
                    })
                })
                .collect();
            let end = start + Duration::minutes(hour * 60 + 60);
            history
                .record(&runs, &Retention::default(), &judging_off, end)
                .await
                .expect("recorded");
        }
    });
    // 48 columns of about 90 minutes: most hours lie inside one and are
    // read from their roll-ups; 144 columns of under 30 minutes: every hour
    // spans two, so the raw runs answer for all of them.
    let rolled = summarize(48);
    let raw = summarize(144);
    assert_eq!(rolled.samples, 2 * (minutes - 20));
    assert_eq!(rolled.samples, raw.samples);
    assert_eq!(rolled.runs_by_status, raw.runs_by_status);
    assert_eq!(rolled.time_percent, raw.time_percent);
    assert_eq!(rolled.uptime_percent, raw.uptime_percent);
    assert_eq!(rolled.maintenance_seconds, 2.0 * 100.0 * 60.0);
    assert_eq!(rolled.maintenance_seconds, raw.maintenance_seconds);
    assert_eq!(rolled.instances, ["web1", "web2"]);
    assert_eq!(rolled.instances, raw.instances);
    assert_eq!(
        (
            &rolled.status,
            rolled.status_since,
            rolled.last_run_at,
            &rolled.message
        ),
        (&raw.status, raw.status_since, raw.last_run_at, &raw.message)
    );
    assert_eq!(rolled.incidents_total, raw.incidents_total);
    assert_eq!(rolled.incidents, raw.incidents);
    let outage = rolled
        .incidents
        .iter()
        .find(|i| i.status == "unhealthy")
        .expect("the outage");
    assert_eq!(
        (outage.instance.as_str(), outage.duration_seconds),
        ("web2", 80.0 * 60.0)
    );
    let (r, w) = (
        rolled.response_time_ms.expect("times"),
        raw.response_time_ms.expect("times"),
    );
    assert_eq!(r.max, w.max);
    for (got, exact) in [(r.p50, w.p50), (r.p95, w.p95)] {
        assert!(
            (got - exact).abs() <= exact * 0.05,
            "{got} ms against {exact} ms"
        );
    }
    // The roll-ups did answer: what they say is what the 48 columns show.
    Store::sqlite_file(&path)
        .execute("UPDATE history_status_rollups SET runs = runs + 1000 WHERE period = 'hour'");
    assert!(summarize(48).samples > raw.samples + 1000);
    assert_eq!(summarize(144).samples, raw.samples);
}

on_both!(maintenance_time_is_left_out_of_uptime);
fn maintenance_time_is_left_out_of_uptime(backend: Backend) {
    let store = Store::fresh(backend);
    let up = PgServer::shared().create_database();
    let down = format!("postgres://app:pw@127.0.0.1:{}/app", free_port());
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = dir.path().join("vitals.toml");
    // Every day from 10:03 UTC for 3 minutes: runs 3, 4 and 5 are in it.
    std::fs::write(
        &config,
        "[[maintenance]]\nname = \"upgrade\"\nchecks = [\"db\"]\nstart = \"10:03\"\n\
         duration = \"3m\"\ntimezone = \"UTC\"\n",
    )
    .expect("vitals.toml");
    // Down during the window (runs 3 and 4) and once outside it (run 7).
    for minute in 0..8 {
        let failing = [3, 4, 7].contains(&minute);
        let out = store
            .test()
            .env("DATABASE_URL", if failing { &down } else { &up })
            .env("VITALS_INSTANCE", "web1")
            .env("VITALS_CONFIG", config.display().to_string())
            .env("VITALS_NOW", at(minute))
            .args(["check", "db", "--record"])
            .run();
        out.assert_code(if failing { 2 } else { 0 });
    }
    assert_eq!(
        store.number("SELECT COUNT(*) FROM history_runs WHERE maintenance = 'upgrade'"),
        3
    );
    let t = starts(&store);
    let until = (t0() + Duration::minutes(8)).timestamp_millis();
    let range = ["database", "--since", &at(-51), "--until", &at(8)];
    let out = history(&store, 9, &[&range[..], &["--json"]].concat());
    out.assert_code(0);
    let c = &out.json()["checks"][0];
    let in_maintenance = t[6] - t[3];
    let outside = until - t[0] - in_maintenance;
    let down_outside = until - t[7];
    assert_eq!(
        c["maintenance_seconds"],
        json!(in_maintenance as f64 / 1000.0)
    );
    assert_eq!(c["uptime_excludes"], "maintenance");
    assert_eq!(
        c["uptime_percent"],
        json!(round2(
            (outside - down_outside) as f64 * 100.0 / outside as f64
        ))
    );
    // The shares of time still cover all of it, maintenance too.
    assert_eq!(
        c["time_percent"]["unhealthy"],
        json!(round2(
            ((t[5] - t[3]) + down_outside) as f64 * 100.0 / (until - t[0]) as f64
        ))
    );
    assert_eq!(c["runs_by_status"], json!({"healthy": 5, "unhealthy": 3}));

    let table = history(&store, 9, &range);
    table.assert_code(0);
    assert!(
        table
            .stdout
            .contains("\ndatabase: uptime leaves out 0h 3m of maintenance"),
        "{}",
        table.stdout
    );
    let csv = history(&store, 9, &[&range[..], &["--format", "csv"]].concat());
    csv.assert_code(0);
    let line = csv.stdout.lines().nth(1).expect("a line");
    assert!(
        line.ends_with(&format!(",{}", in_maintenance as f64 / 1000.0)),
        "{line}"
    );
}
