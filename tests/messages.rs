//! One voice across checks and channels: a failure message names what was
//! tried (`host:port`, the database), says what happened in words, gives
//! durations as people read them (`494 ms`, `5.0 s`), and leaves the
//! libraries' own text to `-v`. (The channels' words are asserted where each
//! channel is tested: alerts_email.rs, alerts_http.rs, smtp_manners.rs.)

use std::time::Duration;

use serde_json::Value;

use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};
use crate::support::net::{GarbageServer, Impostor, SilentServer, free_port};
use crate::support::redis::RedisServer;

fn check(var: &str, url: &str, name: &str) -> Outcome {
    Test::new()
        .env(var, url)
        .args(["check", name, "--json"])
        .run()
}

fn message(out: &Outcome) -> String {
    out.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_postgres_url_aimed_at_another_server_names_the_failed_negotiation() {
    // A MySQL/MariaDB server greets first; an AMQP broker answers with its own header.
    for (impostor, byte) in [
        (Impostor::start(Impostor::MYSQL_GREETING, b""), 'J'),
        (Impostor::start(b"", Impostor::AMQP_HEADER), 'A'),
        (
            Impostor::start(
                b"INFO {\"server_id\":\"x\"}\r\n",
                b"-ERR 'Unknown Protocol Operation'\r\n",
            ),
            'I',
        ),
    ] {
        let port = impostor.port();
        let out = check(
            "DATABASE_URL",
            &format!("postgres://u:p@127.0.0.1:{port}/app"),
            "db",
        );
        out.assert_code(2);
        assert_eq!(
            message(&out),
            format!(
                "127.0.0.1:{port}/app: not a PostgreSQL server: it answered the SSL negotiation with '{byte}'"
            )
        );
        assert!(impostor.connections() >= 1);
    }
}

#[test]
fn refusals_and_timeouts_name_what_was_tried() {
    let refusing = free_port();
    let silent = SilentServer::start();
    let quiet = silent.port();
    for (var, url, name, timeout, expected) in [
        (
            "DATABASE_URL",
            format!("postgres://u:p@127.0.0.1:{refusing}/app"),
            "db",
            "5s",
            format!("127.0.0.1:{refusing}/app: connection refused"),
        ),
        (
            "REDIS_URL",
            format!("redis://127.0.0.1:{refusing}"),
            "cache",
            "5s",
            format!("127.0.0.1:{refusing}: connection refused"),
        ),
        (
            "DATABASE_URL",
            format!("postgres://u:p@127.0.0.1:{quiet}/app"),
            "db",
            "1500ms",
            format!("127.0.0.1:{quiet}/app: timed out after 1.5 s"),
        ),
        (
            "AGENT_REGISTRY_URL",
            format!("http://127.0.0.1:{quiet}/status"),
            "agents",
            "700ms",
            format!("127.0.0.1:{quiet}/status: timed out after 700 ms"),
        ),
    ] {
        let out = Test::new()
            .env(var, &url)
            .args(["check", name, "--json", "--timeout", timeout])
            .run();
        out.assert_code(2);
        assert_eq!(message(&out), expected);
    }
}

#[test]
fn a_redis_database_out_of_range_is_said_in_words() {
    let redis = RedisServer::shared();
    let out = check("REDIS_URL", &format!("{}/99", redis.url()), "cache");
    out.assert_code(2);
    assert_eq!(
        message(&out),
        format!(
            "127.0.0.1:{}/99: the server has no database 99 (DB index is out of range)",
            redis.port()
        )
    );
}

#[test]
fn a_service_that_does_not_speak_http_is_said_in_words() {
    let ssh = GarbageServer::start(&b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"[..]);
    let out = Test::new()
        .env("ANTHROPIC_API_KEY", "sk-ant-test-key-never-sent")
        .env(
            "ANTHROPIC_BASE_URL",
            format!("http://127.0.0.1:{}", ssh.port()),
        )
        .args(["check", "services", "--json"])
        .run();
    out.assert_code(2);
    let v = out.json();
    assert_eq!(
        v["services"]["anthropic_api"]["message"],
        format!(
            "127.0.0.1:{}: the server did not answer with HTTP",
            ssh.port()
        )
    );
    assert_eq!(
        v["services"]["anthropic_api"]["response_time_ms"],
        Value::Null
    );

    // A slow answer's time is for people too.
    let slow = HttpServer::start(|_| {
        Reply::json(200, &serde_json::json!({"data": []})).after(Duration::from_millis(300))
    });
    let out = Test::new()
        .env("ANTHROPIC_API_KEY", "sk-ant-test-key-never-sent")
        .env("ANTHROPIC_BASE_URL", slow.url())
        .env("SERVICE_SLOW_MS", "100")
        .args(["check", "services", "--json"])
        .run();
    out.assert_code(1);
    let shown = out.json()["services"]["anthropic_api"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let ms: u32 = shown
        .strip_prefix("slow: answered in ")
        .and_then(|rest| rest.strip_suffix(" ms (threshold 100 ms)"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{shown}"));
    assert!((300..1000).contains(&ms), "{shown}");
}

#[test]
fn the_library_text_is_only_shown_with_verbose() {
    let port = free_port();
    let url = format!("postgres://u:p@127.0.0.1:{port}/app");
    let out = Test::new()
        .env("DATABASE_URL", &url)
        .args(["check", "db", "--json"])
        .run();
    out.assert_code(2);
    assert!(!out.stdout.contains("os error"), "{}", out.stdout);
    assert_eq!(out.stderr, "");
    let out = Test::new()
        .env("DATABASE_URL", &url)
        .args(["check", "db", "--json", "-v"])
        .run();
    out.assert_code(2);
    assert!(!out.stdout.contains("os error"), "{}", out.stdout);
    out.assert_stderr_contains(&format!(
        "127.0.0.1:{port}/app: connection refused (driver: error connecting to server: \
         Connection refused (os error 111))"
    ));
}

#[test]
fn a_bad_port_in_a_url_is_not_called_a_bad_scheme() {
    let out = Test::new()
        .env("DATABASE_URL", "postgres://u:p@127.0.0.1:abc/app")
        .args(["check", "db"])
        .run();
    out.assert_code(3)
        .assert_stderr_contains("DATABASE_URL: port `abc` is not a number: expected 1 to 65535");
    assert!(!out.stderr.contains("starting with"), "{}", out.stderr);
}
