//! `vitals check db` against real PostgreSQL servers.

use std::time::Duration;

use crate::support::certs::TestCa;
use crate::support::cmd::{Outcome, Test};
use crate::support::net::{GarbageServer, SilentServer, free_port};
use crate::support::postgres::{PgOptions, PgServer};

fn check_db(url: &str) -> Outcome {
    Test::new()
        .env("DATABASE_URL", url)
        .args(["check", "db", "--json"])
        .run()
}

#[test]
fn healthy_server_reports_every_field() {
    let pg = PgServer::shared();
    let url = pg.create_database();
    let out = check_db(&url);
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["status"], "healthy");
    assert_eq!(v["message"], "Database operational");
    let rt = v["response_time_ms"]
        .as_f64()
        .expect("response_time_ms is a number");
    assert!(rt > 0.0 && rt < 5_000.0, "response_time_ms {rt}");
    // Two decimals at most.
    assert_eq!((rt * 100.0).round() / 100.0, rt);
    assert!(v["connect_time_ms"].as_f64().is_some_and(|t| t > 0.0));
    let max: u64 = pg
        .client("postgres")
        .query_one("SHOW max_connections", &[])
        .map(|row| row.get::<_, String>(0))
        .expect("SHOW max_connections")
        .parse()
        .expect("numeric max_connections");
    assert_eq!(v["max_connections"].as_u64(), Some(max));
    assert!(
        v["connections_in_use"].as_u64().is_some_and(|n| n >= 1),
        "{v}"
    );
    let version: String = pg
        .client("postgres")
        .query_one("SHOW server_version", &[])
        .map(|row| row.get(0))
        .expect("SHOW server_version");
    assert_eq!(v["server_version"].as_str(), Some(version.as_str()), "{v}");
    assert_eq!(v["is_replica"], false);
    assert_eq!(v["replication_lag_seconds"], serde_json::Value::Null);
    // The harness server has no TLS, so the default `prefer` falls back to plain.
    assert_eq!(v["tls"], false);
    let keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.first(), Some(&"status"));
    assert_eq!(keys.last(), Some(&"message"));
}

#[test]
fn stopped_server_is_unhealthy_and_refused() {
    let mut pg = PgServer::start(PgOptions::default());
    let url = pg.url("postgres");
    pg.stop();
    let out = check_db(&url);
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["status"], "unhealthy");
    assert_eq!(
        v["message"],
        format!("127.0.0.1:{}/postgres: connection refused", pg.port())
    );
}

#[test]
fn wrong_password_is_reported_by_the_server() {
    let pg = PgServer::shared();
    let out = check_db(&pg.url_with_password("postgres", "not-the-password"));
    out.assert_code(2).assert_no_secrets(&["not-the-password"]);
    let v = out.json();
    assert_eq!(v["status"], "unhealthy");
    let msg = v["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("password authentication failed for user \"postgres\"")
            && msg.contains("28P01"),
        "{msg}"
    );
}

#[test]
fn unknown_database_is_named() {
    let pg = PgServer::shared();
    let out = check_db(&pg.url("no_such_db_here"));
    out.assert_code(2);
    let msg = out.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        msg.contains("database \"no_such_db_here\" does not exist") && msg.contains("3D000"),
        "{msg}"
    );
}

#[test]
fn paused_server_times_out_within_the_timeout() {
    let mut pg = PgServer::start(PgOptions::default());
    let url = pg.url("postgres");
    pg.pause();
    let out = Test::new()
        .env("DATABASE_URL", &url)
        .args(["check", "db", "--json", "--timeout", "1s"])
        .run();
    pg.resume();
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["status"], "unhealthy");
    assert_eq!(
        v["message"],
        format!("127.0.0.1:{}/postgres: timed out after 1.0 s", pg.port())
    );
    out.assert_within(Duration::from_millis(2500));
}

#[test]
fn a_port_speaking_something_else_is_unhealthy() {
    // An HTTP server's bytes read as a PostgreSQL message 1.4 GB long: no panic,
    // no allocation of that size, and no hang beyond the timeout.
    let garbage = GarbageServer::start(&b"HTTP/1.1 400 Bad Request\r\n\r\n"[..]);
    for sslmode in ["prefer", "disable"] {
        let out = Test::new()
            .env(
                "DATABASE_URL",
                format!(
                    "postgres://u:p@127.0.0.1:{}/db?sslmode={sslmode}",
                    garbage.port()
                ),
            )
            .args(["check", "db", "--json", "--timeout", "700ms"])
            .run();
        out.assert_code(2);
        assert_eq!(
            out.json()["message"],
            format!("127.0.0.1:{}/db: timed out after 700 ms", garbage.port()),
            "sslmode={sslmode}"
        );
    }

    // TLS required: the first byte already says this is no PostgreSQL server.
    let out = check_db(&format!(
        "postgres://u:p@127.0.0.1:{}/db?sslmode=require",
        garbage.port()
    ));
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        format!(
            "127.0.0.1:{}/db: not a PostgreSQL server: it answered the SSL negotiation with 'H'",
            garbage.port()
        )
    );

    // A listener that never answers is bounded by the timeout too.
    let silent = SilentServer::start();
    let out = Test::new()
        .env(
            "DATABASE_URL",
            format!("postgres://u:p@127.0.0.1:{}/db", silent.port()),
        )
        .args(["check", "db", "--json", "--timeout", "700ms"])
        .run();
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        format!("127.0.0.1:{}/db: timed out after 700 ms", silent.port())
    );
}

#[test]
fn unresolvable_host_is_reported() {
    let out = check_db("postgres://u:p@no-such-host.invalid:5432/db");
    out.assert_code(2);
    let msg = out.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        msg,
        "no-such-host.invalid:5432/db: could not resolve the host name"
    );
}

#[test]
fn connections_above_the_threshold_are_degraded() {
    let pg = PgServer::start(PgOptions {
        max_connections: Some(10),
        superuser_reserved_connections: Some(0),
        ..PgOptions::default()
    });
    // 8 held + vitals' own = 9 of 10 = 90 % > 80 %.
    let held: Vec<_> = (0..8).map(|_| pg.client("postgres")).collect();
    let out = check_db(&pg.url("postgres"));
    drop(held);
    out.assert_code(1);
    let v = out.json();
    assert_eq!(v["status"], "degraded");
    assert_eq!(v["max_connections"], 10);
    assert_eq!(v["connections_in_use"], 9);
    assert_eq!(v["connections_percent"], 90.0);
    assert_eq!(
        v["message"],
        "connections at 90% of max_connections (9/10), above the 80% threshold"
    );

    // The threshold is configurable.
    let held: Vec<_> = (0..8).map(|_| pg.client("postgres")).collect();
    let out = Test::new()
        .env("DATABASE_URL", pg.url("postgres"))
        .env("DB_CONNECTIONS_DEGRADED_PERCENT", "95")
        .args(["check", "db", "--json"])
        .run();
    drop(held);
    out.assert_code(0);
}

#[test]
fn too_many_clients_is_unhealthy_with_the_server_message() {
    let pg = PgServer::start(PgOptions {
        max_connections: Some(3),
        superuser_reserved_connections: Some(0),
        ..PgOptions::default()
    });
    let held: Vec<_> = (0..3).map(|_| pg.client("postgres")).collect();
    let out = check_db(&pg.url("postgres"));
    drop(held);
    out.assert_code(2);
    let msg = out.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        msg.contains("too many clients") && msg.contains("53300"),
        "{msg}"
    );
}

mod tls {
    use super::*;

    fn tls_server(ca: &TestCa) -> PgServer {
        PgServer::start(PgOptions {
            tls: Some(ca.issue(&["localhost", "127.0.0.1"])),
            ..PgOptions::default()
        })
    }

    fn with_params(pg: &PgServer, host: &str, params: &str) -> String {
        format!(
            "postgres://postgres:{}@{host}:{}/postgres?{params}",
            pg.password(),
            pg.port()
        )
    }

    #[test]
    fn verify_full_with_the_ca_is_healthy_and_without_it_is_not() {
        let ca = TestCa::new("vitals pg test CA");
        let pg = tls_server(&ca);
        let trusted = format!("sslmode=verify-full&sslrootcert={}", ca.ca_path().display());
        let out = check_db(&with_params(&pg, "localhost", &trusted));
        out.assert_code(0);
        assert_eq!(out.json()["tls"], true);

        // Not trusting the CA (system store only): a certificate error.
        let out = check_db(&with_params(&pg, "localhost", "sslmode=verify-full"));
        out.assert_code(2);
        let msg = out.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(msg.contains("not signed by a trusted CA"), "{msg}");

        // The same CA trusted through SSL_CERT_FILE instead of sslrootcert.
        let out = Test::new()
            .env(
                "DATABASE_URL",
                with_params(&pg, "localhost", "sslmode=verify-full"),
            )
            .env("SSL_CERT_FILE", ca.ca_path())
            .args(["check", "db", "--json"])
            .run();
        out.assert_code(0);
    }

    #[test]
    fn verify_full_checks_the_host_name_and_verify_ca_does_not() {
        let ca = TestCa::new("vitals pg name CA");
        let pg = PgServer::start(PgOptions {
            tls: Some(ca.issue(&["db.example.test"])),
            ..PgOptions::default()
        });
        let root = format!("sslrootcert={}", ca.ca_path().display());
        let out = check_db(&with_params(
            &pg,
            "127.0.0.1",
            &format!("sslmode=verify-full&{root}"),
        ));
        out.assert_code(2);
        let msg = out.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(msg.contains("not valid for this host name"), "{msg}");

        let out = check_db(&with_params(
            &pg,
            "127.0.0.1",
            &format!("sslmode=verify-ca&{root}"),
        ));
        out.assert_code(0);
    }

    #[test]
    fn require_encrypts_without_verifying_and_fails_without_server_tls() {
        let ca = TestCa::new("vitals pg require CA");
        let pg = tls_server(&ca);
        let out = check_db(&with_params(&pg, "127.0.0.1", "sslmode=require"));
        out.assert_code(0);
        assert_eq!(out.json()["tls"], true);

        let plain = PgServer::shared();
        let out = check_db(&format!(
            "postgres://postgres:{}@127.0.0.1:{}/postgres?sslmode=require",
            plain.password(),
            plain.port()
        ));
        out.assert_code(2);
        let msg = out.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(msg.contains("does not support TLS"), "{msg}");
    }
}

#[test]
fn unix_socket_via_host_parameter() {
    let pg = PgServer::shared();
    let url = format!(
        "postgres://postgres@/postgres?host={}&port={}",
        pg.socket_dir().display(),
        pg.port()
    );
    let out = check_db(&url);
    out.assert_code(0);
    assert_eq!(out.json()["status"], "healthy");
}

#[test]
fn malformed_variables_exit_3_naming_the_variable() {
    for (var, value, expected) in [
        (
            "DATABASE_URL",
            "mysql://localhost/db",
            "DATABASE_URL: expected a URL starting with postgres:// or postgresql://",
        ),
        (
            "DB_SLOW_MS",
            "soon",
            "DB_SLOW_MS: expected a number of milliseconds or a duration such as 500ms, got \"soon\"",
        ),
        (
            "SSL_CERT_FILE",
            "/nonexistent/ca.pem",
            "SSL_CERT_FILE: expected the path of a readable file (no such file), got \"/nonexistent/ca.pem\"",
        ),
    ] {
        let out = Test::new()
            .env("DATABASE_URL", "postgres://u@127.0.0.1:1/db")
            .env(var, value)
            .args(["check", "db"])
            .run();
        out.assert_code(3).assert_stderr_contains(expected);
        assert_eq!(
            out.stdout, "",
            "no result is printed for an invalid configuration"
        );
    }
    // A bad sslmode is a mistake in the settings, not an outage.
    let port = free_port();
    let out = check_db(&format!(
        "postgres://u:p@127.0.0.1:{port}/db?sslmode=sometimes"
    ));
    out.assert_code(3);
    assert_eq!(
        out.json()["error"],
        "invalid configuration\n  DATABASE_URL: sslmode `sometimes` is not valid: expected \
         disable, allow, prefer, require, verify-ca or verify-full"
    );
}
