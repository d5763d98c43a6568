//! What the checks judge by, and what they report when they could not
//! measure: a slow connection set-up is degraded (each check its own
//! threshold), the perfdata carries the thresholds vitals judged by, the
//! connection share counts only the slots applications can get, and a value
//! that was not measured is `null`, `U` or no sample, never a number.

use std::time::Duration;

use serde_json::Value;

use crate::support::cmd::{Outcome, Test};
use crate::support::net::{DelayProxy, free_port};
use crate::support::postgres::{PgOptions, PgServer};
use crate::support::redis::{RedisOptions, RedisServer};

/// Connection set-up is this much slower through the proxy.
const ADDED: Duration = Duration::from_secs(3);

/// Perfdata items of a Nagios status line, by label (without quotes).
fn perfdata(out: &Outcome) -> Vec<(String, String)> {
    let first = out.stdout.lines().next().unwrap_or_default();
    let (_, perf) = first
        .split_once(" | ")
        .unwrap_or_else(|| panic!("no perfdata in {first:?}"));
    perf.split(' ')
        .map(|item| {
            let (label, value) = item
                .split_once('=')
                .unwrap_or_else(|| panic!("bad perfdata item {item:?}"));
            (label.trim_matches('\'').to_owned(), value.to_owned())
        })
        .collect()
}

fn perf_item(items: &[(String, String)], label: &str) -> String {
    items
        .iter()
        .find(|(l, _)| l == label)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no perfdata item {label} in {items:?}"))
}

/// `value` is a time in ms (e.g. `3012.4ms`), returned as a number.
fn millis_of(value: &str) -> f64 {
    value
        .strip_suffix("ms")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("not a time in ms: {value:?}"))
}

/// As vitals writes a duration in messages: whole ms below a second, one decimal from there.
fn for_people(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{} ms", ms.floor())
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}

#[test]
fn a_slow_connection_to_postgres_is_degraded_and_the_perfdata_says_why() {
    let pg = PgServer::shared();
    let url = pg.create_database();
    let db = url.rsplit('/').next().unwrap_or_default().to_owned();
    let proxy = DelayProxy::start(pg.port(), ADDED);
    let slow_url = url.replace(
        &format!("127.0.0.1:{}", pg.port()),
        &format!("127.0.0.1:{}", proxy.port()),
    );

    let out = Test::new()
        .env("DATABASE_URL", &slow_url)
        .args(["check", "db", "--format", "nagios"])
        .run();
    out.assert_code(1);
    assert_eq!(proxy.connections(), 1);
    let items = perfdata(&out);
    let connect = perf_item(&items, "database_connect");
    let (value, thresholds) = connect.split_once(';').expect("thresholds");
    let connect_ms = millis_of(value);
    assert!(connect_ms >= 3000.0, "{connect}");
    assert_eq!(thresholds, "1000;;0");
    let status_line = out.stdout.lines().next().unwrap_or_default();
    assert_eq!(
        status_line.split(" | ").next(),
        Some(
            format!(
                "VITALS WARNING - database degraded: slow: connecting took {} (threshold 1.0 s)",
                for_people(connect_ms)
            )
            .as_str()
        ),
        "{}",
        out.stdout
    );
    // SELECT 1 is judged by DB_SLOW_MS, and says so.
    let time = perf_item(&items, "database_time");
    assert!(time.ends_with("ms;1000;;0"), "{time}");
    assert!(millis_of(time.split(';').next().unwrap_or_default()) < 1000.0);
    let db_line = out.stdout.lines().nth(1).unwrap_or_default();
    assert!(
        db_line.starts_with("database: degraded - slow: connecting took "),
        "{db_line} ({db})"
    );

    // The threshold is the check's own variable.
    let out = Test::new()
        .env("DATABASE_URL", &slow_url)
        .env("DB_CONNECT_SLOW_MS", "5000")
        .args(["check", "db", "--json", "--timeout", "8s"])
        .run();
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["status"], "healthy");
    assert!(
        v["connect_time_ms"].as_f64().is_some_and(|ms| ms >= 3000.0),
        "{v}"
    );
}

#[test]
fn a_slow_connection_to_redis_is_degraded_by_its_own_threshold() {
    let password = crate::support::random_token();
    let redis = RedisServer::start(RedisOptions {
        requirepass: Some(password.clone()),
        ..RedisOptions::default()
    });
    // AUTH is part of the set-up: the delay lands before the connection is ready.
    let proxy = DelayProxy::start(redis.port(), Duration::from_millis(1500));
    let url = format!("redis://:{password}@127.0.0.1:{}", proxy.port());
    let out = Test::new()
        .env("REDIS_URL", &url)
        .args(["check", "cache", "--json"])
        .run();
    out.assert_code(1).assert_no_secrets(&[&password]);
    let v = out.json();
    let connect_ms = v["connect_time_ms"].as_f64().expect("connect_time_ms");
    assert!(connect_ms >= 1500.0, "{v}");
    assert_eq!(v["status"], "degraded");
    assert_eq!(
        v["message"],
        format!(
            "slow: connecting took {} (threshold 1.0 s)",
            for_people(connect_ms)
        )
    );

    let out = Test::new()
        .env("REDIS_URL", &url)
        .env("CACHE_CONNECT_SLOW_MS", "3000")
        .args(["check", "cache", "--format", "nagios"])
        .run();
    out.assert_code(0);
    let items = perfdata(&out);
    let connect = perf_item(&items, "cache_connect");
    assert!(connect.ends_with("ms;3000;;0"), "{connect}");
    assert!(perf_item(&items, "cache_time").ends_with("ms;500;;0"));
}

/// The server's own figures, for what a client that is not a superuser may use.
fn show(pg: &PgServer, setting: &str) -> String {
    pg.client("postgres")
        .query_one(&format!("SHOW {setting}"), &[])
        .map(|row| row.get::<_, String>(0))
        .unwrap_or_else(|e| panic!("SHOW {setting}: {e}"))
}

#[test]
fn reserved_slots_do_not_count_as_available() {
    let pg = PgServer::start(PgOptions {
        max_connections: Some(5),
        superuser_reserved_connections: Some(1),
        ..PgOptions::default()
    });
    // PostgreSQL 16 and later also have reserved_connections (0 by default).
    let version: u32 = show(&pg, "server_version_num").parse().expect("version");
    let reserved = if version >= 160_000 {
        Value::from(0)
    } else {
        Value::Null
    };
    // 3 held + vitals' own = 4 in use: every slot an application can get.
    let held: Vec<_> = (0..3).map(|_| pg.client("postgres")).collect();
    let out = Test::new()
        .env("DATABASE_URL", pg.url("postgres"))
        .args(["check", "db", "--json"])
        .run();
    let nagios = Test::new()
        .env("DATABASE_URL", pg.url("postgres"))
        .args(["check", "db", "--format", "nagios"])
        .run();
    drop(held);
    out.assert_code(1);
    let v = out.json();
    assert_eq!(v["status"], "degraded");
    assert_eq!(v["max_connections"], 5);
    assert_eq!(v["superuser_reserved_connections"], 1);
    assert_eq!(v["reserved_connections"], reserved);
    assert_eq!(v["available_connections"], 4);
    assert_eq!(v["connections_in_use"], 4);
    assert_eq!(v["connections_percent"], 100.0);
    assert_eq!(
        v["message"],
        "connections at 100% of the 4 applications can get (4 in use; max_connections 5 \
         less 1 reserved for superusers), above the 80% threshold"
    );
    nagios.assert_code(1);
    assert_eq!(
        perf_item(&perfdata(&nagios), "database_connections"),
        "4;3.2;;0;4"
    );
    assert_eq!(
        perf_item(&perfdata(&nagios), "database_max_connections"),
        "5;;;0"
    );
    assert_eq!(
        perf_item(&perfdata(&nagios), "database_available_connections"),
        "4;;;0"
    );
}

/// Every check configured, every one refused (or answered nothing).
fn all_refused() -> Test {
    let port = free_port();
    Test::new()
        .env(
            "DATABASE_URL",
            format!("postgres://u:p@127.0.0.1:{port}/db"),
        )
        .env("REDIS_URL", format!("redis://127.0.0.1:{port}"))
        .env(
            "AGENT_REGISTRY_URL",
            format!("http://127.0.0.1:{port}/status"),
        )
        .env("ANTHROPIC_API_KEY", "sk-ant-test-key-not-used")
        .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
}

#[test]
fn a_value_that_was_not_measured_is_not_a_number() {
    let out = all_refused().args(["check", "all", "--json"]).run();
    out.assert_code(2);
    let v = out.json();
    for check in ["database", "cache", "agents"] {
        assert_eq!(v["checks"][check]["status"], "unhealthy", "{check}: {v}");
        assert_eq!(
            v["checks"][check]["response_time_ms"],
            Value::Null,
            "{check}: {v}"
        );
    }
    let anthropic = &v["checks"]["external_services"]["services"]["anthropic_api"];
    assert_eq!(anthropic["response_time_ms"], Value::Null, "{v}");
    assert_eq!(anthropic["status_code"], Value::Null, "{v}");
    // The services check times its services, not itself.
    assert!(
        v["checks"]["external_services"]
            .as_object()
            .is_some_and(|o| !o.contains_key("response_time_ms")),
        "{v}"
    );

    let out = all_refused()
        .args(["check", "all", "--format", "nagios"])
        .run();
    out.assert_code(2);
    let items = perfdata(&out);
    for (label, value) in [
        ("database_time", "U;1000;;0"),
        ("database_connect", "U;1000;;0"),
        ("database_connections", "U;;;0"),
        ("cache_time", "U;500;;0"),
        ("cache_connect", "U;1000;;0"),
        ("cache_memory_used", "U;;;0"),
        ("agents_time", "U;;;0"),
        ("agents_idle", "U;;;0"),
        ("tasks_pending", "U;100;;0"),
        ("service_up_anthropic_api", "0;;;0"),
        ("service_response_anthropic_api", "U;2000;;0"),
    ] {
        assert_eq!(perf_item(&items, label), value, "{label}");
    }

    let out = all_refused()
        .args(["check", "all", "--format", "prometheus"])
        .run();
    out.assert_code(2);
    let samples: Vec<&str> = out.stdout.lines().filter(|l| !l.starts_with('#')).collect();
    for unmeasured in [
        "vitals_check_response_seconds",
        "vitals_database_connect_seconds",
        "vitals_database_connections",
        "vitals_cache_connect_seconds",
        "vitals_cache_memory_used_bytes",
        "vitals_agents{",
        "vitals_tasks{",
        "vitals_service_response_seconds",
    ] {
        assert!(
            !samples.iter().any(|s| s.starts_with(unmeasured)),
            "{unmeasured} has a sample:\n{}",
            out.stdout
        );
    }
    // What was measured is still there.
    assert!(
        samples.contains(&"vitals_check_up{check=\"database\"} 0"),
        "{}",
        out.stdout
    );
    assert!(
        samples.contains(&"vitals_service_up{service=\"anthropic_api\"} 0"),
        "{}",
        out.stdout
    );
}
