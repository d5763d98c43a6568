//! `vitals check cache` against real Redis servers.

use std::time::Duration;

use crate::support::certs::TestCa;
use crate::support::cmd::{Outcome, Test};
use crate::support::net::{GarbageServer, SilentServer};
use crate::support::redis::{RedisOptions, RedisServer};

fn check_cache(url: &str) -> Outcome {
    Test::new()
        .env("REDIS_URL", url)
        .args(["check", "cache", "--json"])
        .run()
}

fn info_field(server: &RedisServer, key: &str) -> String {
    let info: String = redis::cmd("INFO")
        .query(&mut server.client())
        .expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("INFO has no {key}"))
}

fn info_number(server: &RedisServer, key: &str) -> u64 {
    info_field(server, key)
        .parse()
        .unwrap_or_else(|e| panic!("INFO {key} is not a number: {e}"))
}

#[test]
fn healthy_server_reports_every_field() {
    let redis = RedisServer::shared();
    let out = check_cache(&redis.url());
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["status"], "healthy");
    assert_eq!(v["message"], "Cache operational");
    assert!(
        v["response_time_ms"].as_f64().is_some_and(|t| t > 0.0),
        "{v}"
    );
    assert!(
        v["memory_usage_bytes"].as_u64().is_some_and(|b| b > 0),
        "{v}"
    );
    assert!(
        v["connected_clients"].as_u64().is_some_and(|n| n >= 1),
        "{v}"
    );
    assert_eq!(v["role"], "master");
    assert_eq!(
        v["redis_version"].as_str(),
        Some(info_field(redis, "redis_version").as_str()),
        "{v}"
    );
    // The harness server has neither a client limit nor maxmemory to hit.
    assert_eq!(v["rejected_connections"], 0, "{v}");
    assert_eq!(v["evicted_keys"], 0, "{v}");
    // No maxmemory on the harness server: the percentage is of system memory, and says so.
    assert_eq!(v["memory_limit_source"], "total_system_memory");
    assert_eq!(
        v["memory_limit_bytes"].as_u64(),
        Some(info_number(redis, "total_system_memory"))
    );
    // A megabyte of many gigabytes: two decimals may well round it to 0.0.
    let percent = v["memory_usage_percent"].as_f64().expect("percent");
    assert!((0.0..100.0).contains(&percent), "{percent}");
}

#[test]
fn maxmemory_is_the_limit_when_set() {
    let redis = RedisServer::start(RedisOptions {
        maxmemory: Some("100mb".into()),
        ..RedisOptions::default()
    });
    let out = check_cache(&redis.url());
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["memory_limit_source"], "maxmemory");
    assert_eq!(v["memory_limit_bytes"], 100 * 1024 * 1024);
    let used = v["memory_usage_bytes"].as_f64().expect("used");
    let percent = v["memory_usage_percent"].as_f64().expect("percent");
    let expected = (used * 10_000.0 / (100.0 * 1024.0 * 1024.0)).round() / 100.0;
    assert_eq!(percent, expected);
}

#[test]
fn memory_above_the_threshold_is_degraded() {
    let redis = RedisServer::start(RedisOptions {
        maxmemory: Some("3mb".into()),
        maxmemory_policy: Some("noeviction".into()),
        ..RedisOptions::default()
    });
    // About 1 MB of base use plus a 1 MB value: well above 50 % of 3 MB.
    let blob = "x".repeat(1_000_000);
    let _: () = redis::cmd("SET")
        .arg("blob")
        .arg(&blob)
        .query(&mut redis.client())
        .expect("SET blob");
    let out = Test::new()
        .env("REDIS_URL", redis.url())
        .env("CACHE_MEMORY_DEGRADED_PERCENT", "50")
        .args(["check", "cache", "--json"])
        .run();
    out.assert_code(1);
    let v = out.json();
    assert_eq!(v["status"], "degraded");
    let msg = v["message"].as_str().unwrap_or_default();
    let used = v["memory_usage_bytes"].as_u64().expect("used bytes");
    let percent = msg
        .strip_prefix("memory at ")
        .and_then(|m| {
            m.strip_suffix(&format!(
                "% of maxmemory ({used} bytes), above the 50% threshold"
            ))
        })
        .and_then(|p| p.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{msg}"));
    // One decimal of used / 3 MiB.
    let exact = used as f64 * 100.0 / (3.0 * 1024.0 * 1024.0);
    assert!((percent - exact).abs() <= 0.05 + 1e-9, "{msg}: {exact}");
}

#[test]
fn password_protected_server_with_and_without_the_password() {
    let password = format!("redis-pw-{}", crate::support::random_token());
    let redis = RedisServer::start(RedisOptions {
        requirepass: Some(password.clone()),
        ..RedisOptions::default()
    });
    let bare = format!("redis://127.0.0.1:{}", redis.port());

    let out = check_cache(&bare);
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        format!(
            "127.0.0.1:{}: authentication required: put the password in REDIS_URL or set \
             REDIS_PASSWORD",
            redis.port()
        )
    );

    let out = Test::new()
        .env("REDIS_URL", &bare)
        .env("REDIS_PASSWORD", &password)
        .args(["check", "cache", "--json", "-vv"])
        .run();
    out.assert_code(0).assert_no_secrets(&[&password]);

    let out = check_cache(&redis.url());
    out.assert_code(0).assert_no_secrets(&[&password]);

    let out = check_cache(&format!(
        "redis://:wrong-password-123@127.0.0.1:{}",
        redis.port()
    ));
    out.assert_code(2)
        .assert_no_secrets(&["wrong-password-123"]);
    assert_eq!(
        out.json()["message"],
        format!(
            "127.0.0.1:{}: authentication failed: wrong password or user name",
            redis.port()
        )
    );
}

#[test]
fn unix_socket() {
    let redis = RedisServer::start(RedisOptions {
        unixsocket: true,
        ..RedisOptions::default()
    });
    let out = check_cache(&format!("unix://{}", redis.socket_path().display()));
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["status"], "healthy");
    assert_eq!(v["message"], "Cache operational");
}

#[test]
fn rediss_trusts_the_ca_in_ssl_cert_file() {
    let ca = TestCa::new("vitals redis test CA");
    let redis = RedisServer::start(RedisOptions {
        tls: Some(ca.issue(&["localhost", "127.0.0.1"])),
        tls_only: true,
        ..RedisOptions::default()
    });
    let out = Test::new()
        .env("REDIS_URL", redis.tls_url())
        .env("SSL_CERT_FILE", ca.ca_path())
        .args(["check", "cache", "--json"])
        .run();
    out.assert_code(0);
    assert_eq!(out.json()["status"], "healthy");

    // Without the CA: a certificate error, not a hang or a panic.
    let out = check_cache(&redis.tls_url());
    out.assert_code(2);
    let msg = out.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(msg.contains("not signed by a trusted CA"), "{msg}");
}

#[test]
fn stopped_server_is_refused() {
    let mut redis = RedisServer::start(RedisOptions::default());
    let url = redis.url();
    redis.stop();
    let out = check_cache(&url);
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        format!("127.0.0.1:{}: connection refused", redis.port())
    );
}

#[test]
fn paused_server_times_out_within_the_timeout() {
    let mut redis = RedisServer::start(RedisOptions::default());
    redis.pause();
    let out = Test::new()
        .env("REDIS_URL", redis.url())
        .args(["check", "cache", "--json", "--timeout", "1s"])
        .run();
    redis.resume();
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        format!("127.0.0.1:{}: timed out after 1.0 s", redis.port())
    );
    out.assert_within(Duration::from_millis(2500));
}

#[test]
fn listeners_that_are_not_redis() {
    let garbage = GarbageServer::start(&b"SSH-2.0-OpenSSH_9.2\r\n"[..]);
    let out = check_cache(&format!("redis://127.0.0.1:{}", garbage.port()));
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["status"], "unhealthy");
    assert_eq!(
        v["message"],
        format!(
            "127.0.0.1:{}: the server closed the connection without answering as Redis does",
            garbage.port()
        )
    );

    let silent = SilentServer::start();
    let out = Test::new()
        .env("REDIS_URL", format!("redis://127.0.0.1:{}", silent.port()))
        .args(["check", "cache", "--json", "--timeout", "700ms"])
        .run();
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        format!("127.0.0.1:{}: timed out after 700 ms", silent.port())
    );
}

#[test]
fn loading_server_is_unhealthy() {
    // Answers PING and INFO with -LOADING, as Redis does while reading its dataset.
    let loading =
        GarbageServer::start("-LOADING Redis is loading the dataset in memory\r\n".repeat(2));
    let out = check_cache(&format!("redis://127.0.0.1:{}", loading.port()));
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        format!(
            "127.0.0.1:{}: Redis is loading its dataset into memory",
            loading.port()
        )
    );
}
