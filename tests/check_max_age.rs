//! `check --max-age` (and VITALS_MAX_AGE) through the real binary: a run
//! recorded against the harness Redis answers after that Redis is gone,
//! marked cached with its age under the test clock; too old a run, or one
//! of another instance, is not used; cached and live checks in one
//! document; nothing recorded twice; bad values and an unreadable store.

use chrono::{DateTime, Duration};

use crate::support::alerts::{Backend, Store};
use crate::support::cmd::Outcome;
use crate::support::net::free_port;
use crate::support::postgres::PgServer;
use crate::support::redis::{RedisOptions, RedisServer};
use crate::support::{keys, t0, utc_ms};

/// `t0` plus `ms` milliseconds, as VITALS_NOW takes it.
fn at_ms(ms: i64) -> String {
    (t0() + Duration::milliseconds(ms)).to_rfc3339()
}

/// Ten minutes and a half after `t0`: a run recorded at `t0` (plus the
/// few milliseconds the recording process took to start) reads as
/// "10 min 30 s" old whatever the reading process takes to start.
const LATER_MS: i64 = 630_500;

/// `vitals check ARGS` on `store` as instance web1 at `t0 + ms`.
fn check(store: &Store, redis: &str, ms: i64, args: &[&str]) -> Outcome {
    store
        .test()
        .env("REDIS_URL", redis)
        .env("VITALS_INSTANCE", "web1")
        .env("VITALS_NOW", at_ms(ms))
        .arg("check")
        .args(args)
        .run()
}

fn runs(store: &Store) -> i64 {
    store.number("SELECT COUNT(*) FROM history_runs")
}

/// The age the cached answer must state: from the recorded start to the
/// reader's clock, which started at `t0 + read_ms` and ran for as long as
/// the reading process did, rounded to the millisecond as printed.
fn assert_age(out: &Outcome, age: &serde_json::Value, started_ms: i64, read_ms: i64) {
    let age = age.as_f64().unwrap_or_else(|| panic!("age_seconds: {age}"));
    let least = (t0().timestamp_millis() + read_ms - started_ms) as f64 / 1000.0;
    let most = least + out.elapsed.as_secs_f64() + 0.001;
    assert!(
        (least..=most).contains(&age),
        "age_seconds {age} not in {least}..={most}"
    );
}

/// A result run now, by a process whose clock started at `t0 + read_ms`.
fn assert_live(out: &Outcome, result: &serde_json::Value, read_ms: i64) {
    assert_eq!(result["cached"], false);
    let text = result["timestamp"].as_str().unwrap_or_default();
    let at = DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("timestamp {text:?}: {e}"))
        .to_utc();
    let least = t0() + Duration::milliseconds(read_ms);
    let most = least + Duration::from_std(out.elapsed).unwrap_or_default();
    assert!(least <= at && at <= most, "{at} not in {least}..={most}");
    let age = result["age_seconds"].as_f64().unwrap_or(-1.0);
    assert!(
        (0.0..=out.elapsed.as_secs_f64()).contains(&age),
        "age {age}"
    );
}

on_both!(a_recorded_run_answers_while_redis_is_down);
fn a_recorded_run_answers_while_redis_is_down(backend: Backend) {
    let store = Store::fresh(backend);
    let mut redis = RedisServer::start(RedisOptions::default());
    let url = redis.url();
    let recorded = check(&store, &url, 0, &["cache", "--record", "--json"]);
    recorded.assert_code(0);
    assert_eq!(recorded.stderr, "");
    let live = recorded.json();
    assert_eq!(live["status"], "healthy");
    // A plain answer says nothing of freshness.
    assert_eq!(live.get("cached"), None);
    let started = store.number("SELECT started_at FROM history_runs");
    redis.stop();

    let out = check(
        &store,
        &url,
        LATER_MS,
        &["cache", "--max-age", "1h", "--json"],
    );
    out.assert_code(0);
    assert_eq!(out.stderr, "");
    let v = out.json();
    assert_eq!(
        keys(&v),
        [
            "status",
            "response_time_ms",
            "message",
            "timestamp",
            "cached",
            "age_seconds"
        ]
    );
    assert_eq!(v["status"], "healthy");
    assert_eq!(v["message"], "Cache operational");
    assert_eq!(v["response_time_ms"], live["response_time_ms"]);
    assert_eq!(v["timestamp"], utc_ms(started));
    assert_eq!(v["cached"], true);
    assert_age(&out, &v["age_seconds"], started, LATER_MS);
    // An answer from the history is not recorded again.
    assert_eq!(runs(&store), 1);

    // The same from the environment, as a table and for Nagios.
    let table = store
        .test()
        .env("REDIS_URL", &url)
        .env("VITALS_INSTANCE", "web1")
        .env("VITALS_NOW", at_ms(LATER_MS))
        .env("VITALS_MAX_AGE", "1h")
        .args(["check", "cache", "--record"])
        .run();
    table.assert_code(0);
    table.assert_stdout_contains("| message          | Cache operational |");
    table.assert_stdout_contains("\ncache: from a run recorded 10 min 30 s ago (at ");
    let nagios = check(
        &store,
        &url,
        LATER_MS,
        &["cache", "--max-age", "1h", "--format", "nagios"],
    );
    nagios.assert_code(0);
    let lines: Vec<&str> = nagios.stdout.lines().collect();
    assert!(
        lines[0].starts_with("VITALS OK - cache healthy | 'cache_time'="),
        "{lines:?}"
    );
    assert_eq!(
        lines[1..],
        [
            "cache: healthy - Cache operational",
            "cache: cached - from a run recorded 10 min 30 s ago"
        ]
    );
    // --record did not record the cached answer either.
    assert_eq!(runs(&store), 1);

    // Too old a run: the check runs, finds Redis down, and says so.
    let stale = check(
        &store,
        &url,
        LATER_MS,
        &["cache", "--max-age", "1s", "--json"],
    );
    stale.assert_code(2);
    let v = stale.json();
    assert_eq!(v["status"], "unhealthy");
    assert_live(&stale, &v, LATER_MS);

    // Another instance's run never answers for this one.
    let other = store
        .test()
        .env("REDIS_URL", &url)
        .env("VITALS_INSTANCE", "web2")
        .env("VITALS_NOW", at_ms(LATER_MS))
        .args(["check", "cache", "--max-age", "1h", "--json"])
        .run();
    other.assert_code(2);
    assert_live(&other, &other.json(), LATER_MS);
    assert_eq!(runs(&store), 1);
}

#[test]
fn check_all_mixes_cached_and_live_results() {
    let store = Store::fresh(Backend::Sqlite);
    let mut redis = RedisServer::start(RedisOptions::default());
    let url = redis.url();
    check(&store, &url, 0, &["cache", "--record"]).assert_code(0);
    let started = store.number("SELECT started_at FROM history_runs");
    redis.stop();
    let db = PgServer::shared().create_database();
    let out = store
        .test()
        .env("REDIS_URL", &url)
        .env("DATABASE_URL", &db)
        .env("VITALS_INSTANCE", "web1")
        .env("VITALS_NOW", at_ms(LATER_MS))
        .args([
            "check",
            "db",
            "cache",
            "--max-age",
            "30m",
            "--record",
            "--json",
        ])
        .run();
    out.assert_code(0);
    assert_eq!(out.stderr, "");
    let v = out.json();
    assert_eq!(
        keys(&v),
        [
            "overall_status",
            "timestamp",
            "cached",
            "age_seconds",
            "duration_ms",
            "checks"
        ]
    );
    assert_eq!(v["overall_status"], "healthy");
    // The document is as old as its oldest part.
    assert_eq!(v["timestamp"], utc_ms(started));
    assert_eq!(v["cached"], true);
    assert_age(&out, &v["age_seconds"], started, LATER_MS);
    let cache = &v["checks"]["cache"];
    assert_eq!(cache["status"], "healthy");
    assert_eq!(cache["cached"], true);
    assert_eq!(cache["timestamp"], utc_ms(started));
    assert_eq!(cache["age_seconds"], v["age_seconds"]);
    let database = &v["checks"]["database"];
    assert_eq!(database["status"], "healthy");
    assert_eq!(database["message"], "Database operational");
    assert_live(&out, database, LATER_MS);
    // The live check was recorded, the cached one not again.
    assert_eq!(
        store.number("SELECT COUNT(*) FROM history_runs WHERE check_name = 'database'"),
        1
    );
    assert_eq!(
        store.number("SELECT COUNT(*) FROM history_runs WHERE check_name = 'cache'"),
        1
    );
}

#[test]
fn without_a_store_or_a_run_every_check_runs() {
    let redis = RedisServer::shared();
    // No store at all (VITALS_STATE names a file that is not there).
    let missing = Store::fresh(Backend::Sqlite);
    let out = check(
        &missing,
        &redis.url(),
        0,
        &["cache", "--max-age", "1h", "--json"],
    );
    out.assert_code(0);
    assert_eq!(out.stderr, "");
    assert_eq!(out.json()["cached"], false);
    assert!(!std::path::Path::new(&missing.location).exists());

    // A store that cannot be read: said once, and the check stands.
    let unreachable = format!("postgres://vitals:pw@127.0.0.1:{}/vitals", free_port());
    let out = Store::fresh(Backend::Sqlite)
        .test()
        .env("VITALS_STATE", &unreachable)
        .env("REDIS_URL", redis.url())
        .args(["check", "cache", "--max-age", "1h", "--json"])
        .run();
    out.assert_code(0);
    assert_eq!(out.json()["status"], "healthy");
    assert_eq!(out.json()["cached"], false);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("warning: --max-age: the history was not read, every check ran: store "),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(":pw@"), "{}", out.stderr);
}

#[test]
fn bad_values_name_where_they_came_from() {
    let store = Store::fresh(Backend::Sqlite);
    let out = store
        .test()
        .env("VITALS_MAX_AGE", "soon")
        .args(["check", "cache"])
        .run();
    out.assert_code(3);
    assert_eq!(
        out.stderr,
        "error: invalid configuration\n  VITALS_MAX_AGE: expected a duration such as 500ms, 5s, \
         2m or 4h, got \"soon\"\n"
    );
    let out = store
        .test()
        .args(["check", "cache", "--max-age", "soon"])
        .run();
    out.assert_code(3);
    out.assert_stderr_contains(
        "invalid value 'soon' for '--max-age <DURATION>': expected a duration such as 500ms, \
         5s, 2m or 4h",
    );
    // The flag wins over the variable, which is then not read.
    let out = store
        .test()
        .env("VITALS_MAX_AGE", "soon")
        .args(["check", "cache", "--max-age", "1m", "--json"])
        .run();
    out.assert_code(3);
    assert_eq!(out.json()["status"], "unconfigured");
    assert_eq!(out.stderr, "error: nothing to check: set REDIS_URL\n");

    for (env, args, named) in [
        (None, vec!["--max-age", "1m", "--alert"], "--max-age"),
        (Some("1m"), vec!["--alert"], "VITALS_MAX_AGE"),
    ] {
        let mut test = store.test().args(["check", "cache"]).args(args);
        if let Some(value) = env {
            test = test.env("VITALS_MAX_AGE", value);
        }
        let out = test.run();
        out.assert_code(3);
        assert_eq!(
            out.stderr,
            format!(
                "error: --alert and {named} do not go together: alerting judges a new run of \
                 each check, never a recorded one (run the alerting job without {named}, and \
                 the pollers with it)\n"
            )
        );
        assert_eq!(out.stdout, "");
    }
}
