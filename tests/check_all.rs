//! `vitals check all`: concurrency, overall status, `--require`, nothing configured.

use std::time::Duration;

use crate::support::cmd::Test;
use crate::support::net::SilentServer;
use crate::support::postgres::PgServer;
use crate::support::redis::{RedisOptions, RedisServer};

#[test]
fn all_healthy() {
    let out = Test::new()
        .env("DATABASE_URL", PgServer::shared().create_database())
        .env("REDIS_URL", RedisServer::shared().url())
        .args(["check", "all", "--json"])
        .run();
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["overall_status"], "healthy");
    assert_eq!(v["checks"]["database"]["status"], "healthy");
    assert_eq!(v["checks"]["cache"]["status"], "healthy");
    out.timestamp(&v["timestamp"]);
    assert!(v["duration_ms"].as_f64().is_some_and(|d| d > 0.0), "{v}");
    let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        ["overall_status", "timestamp", "duration_ms", "checks"]
    );
}

#[test]
fn one_hanging_check_costs_one_timeout_not_the_sum() {
    let silent_pg = SilentServer::start();
    let silent_redis = SilentServer::start();
    let out = Test::new()
        .env(
            "DATABASE_URL",
            format!("postgres://u:p@127.0.0.1:{}/db", silent_pg.port()),
        )
        .env(
            "REDIS_URL",
            format!("redis://127.0.0.1:{}", silent_redis.port()),
        )
        .args(["check", "all", "--json", "--timeout", "1500ms"])
        .run();
    out.assert_code(2);
    let v = out.json();
    assert_eq!(
        v["checks"]["database"]["message"],
        format!("127.0.0.1:{}/db: timed out after 1.5 s", silent_pg.port())
    );
    assert_eq!(
        v["checks"]["cache"]["message"],
        format!("127.0.0.1:{}: timed out after 1.5 s", silent_redis.port())
    );
    // Sequential would be 3 s.
    out.assert_within(Duration::from_millis(2600));
    assert!(
        out.elapsed >= Duration::from_millis(1500),
        "took {:?}",
        out.elapsed
    );

    // One hanging, one healthy: the healthy one is reported, the total is still one timeout.
    let out = Test::new()
        .env("DATABASE_URL", PgServer::shared().create_database())
        .env(
            "REDIS_URL",
            format!("redis://127.0.0.1:{}", silent_redis.port()),
        )
        .args(["check", "all", "--json", "--timeout", "1s"])
        .run();
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["overall_status"], "unhealthy");
    assert_eq!(v["checks"]["database"]["status"], "healthy");
    assert_eq!(
        v["checks"]["cache"]["message"],
        format!("127.0.0.1:{}: timed out after 1.0 s", silent_redis.port())
    );
    out.assert_within(Duration::from_millis(2000));
}

#[test]
fn unconfigured_checks_do_not_count_unless_required() {
    let url = PgServer::shared().create_database();
    let out = Test::new()
        .env("DATABASE_URL", &url)
        .args(["check", "all", "--json"])
        .run();
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["overall_status"], "healthy");
    assert_eq!(v["checks"]["cache"]["status"], "unconfigured");
    assert_eq!(
        v["checks"]["cache"]["message"],
        "not configured: set REDIS_URL"
    );

    let out = Test::new()
        .env("DATABASE_URL", &url)
        .args(["check", "all", "--json", "--require", "db,cache"])
        .run();
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["overall_status"], "unhealthy");
    assert_eq!(v["checks"]["cache"]["status"], "unhealthy");
    assert_eq!(
        v["checks"]["cache"]["message"],
        "required but not configured: set REDIS_URL"
    );
}

#[test]
fn nothing_configured_exits_3_and_says_what_to_set() {
    let out = Test::new().args(["check", "all", "--json"]).run();
    out.assert_code(3)
        .assert_stderr_contains("nothing to check: set DATABASE_URL, REDIS_URL");
    assert_eq!(out.json()["overall_status"], "unconfigured");

    let out = Test::new().args(["check", "db"]).run();
    out.assert_code(3)
        .assert_stderr_contains("nothing to check: set DATABASE_URL");
}

#[test]
fn degraded_beats_healthy_and_unhealthy_beats_degraded() {
    let url = PgServer::shared().create_database();
    let redis = RedisServer::shared();
    // One connection of 100 is above a 0.5 % threshold: the database is degraded.
    let out = Test::new()
        .env("DATABASE_URL", &url)
        .env("REDIS_URL", redis.url())
        .env("DB_CONNECTIONS_DEGRADED_PERCENT", "0.5")
        .args(["check", "all", "--json"])
        .run();
    out.assert_code(1);
    let v = out.json();
    assert_eq!(v["overall_status"], "degraded");
    assert_eq!(v["checks"]["database"]["status"], "degraded");
    assert_eq!(v["checks"]["cache"]["status"], "healthy");

    // Redis idles at about 1 MB: over 10 % of a 2 MB maxmemory, so the cache is degraded.
    let small = RedisServer::start(RedisOptions {
        maxmemory: Some("2mb".into()),
        ..RedisOptions::default()
    });
    let silent = SilentServer::start();
    let out = Test::new()
        .env(
            "DATABASE_URL",
            format!("postgres://u:p@127.0.0.1:{}/db", silent.port()),
        )
        .env("REDIS_URL", small.url())
        .env("CACHE_MEMORY_DEGRADED_PERCENT", "10")
        .args(["check", "all", "--json", "--timeout", "300ms"])
        .run();
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["overall_status"], "unhealthy");
    assert_eq!(v["checks"]["database"]["status"], "unhealthy");
    assert_eq!(v["checks"]["cache"]["status"], "degraded");
}
