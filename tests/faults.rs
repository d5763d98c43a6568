//! The fault matrix of docs/RELIABILITY.md: the rows no other test file
//! covers exactly. Each test is one row, run against real servers (or local
//! stand-ins that misbehave on purpose), and asserts the status, the exit
//! code and the message.

use std::time::Duration;

use crate::support::cmd::Test;
use crate::support::http::{HttpServer, Reply};
use crate::support::net::SilentServer;
use crate::support::random_token;

// --- Signals ---------------------------------------------------------------

#[test]
fn sigint_during_check_all_exits_3_at_once_without_partial_json() {
    let (pg, redis) = (SilentServer::start(), SilentServer::start());
    let out = Test::new()
        .env(
            "DATABASE_URL",
            format!("postgres://u:p@127.0.0.1:{}/db", pg.port()),
        )
        .env("REDIS_URL", format!("redis://127.0.0.1:{}", redis.port()))
        .args(["check", "all", "--json", "--timeout", "20s"])
        .signal_after("INT", Duration::from_secs(1))
        .run();
    out.assert_code(3);
    assert_eq!(out.stdout, "", "nothing, not half a document, on stdout");
    assert_eq!(
        out.stderr,
        "error: interrupted by SIGINT: the checks were stopped and no result was printed\n"
    );
    // Both checks hang for 20 s: stopping well before proves nobody waited for them.
    assert!(
        out.elapsed < Duration::from_secs(15),
        "took {:?}",
        out.elapsed
    );
}

#[test]
fn sigterm_during_alert_send_exits_3_without_a_result() {
    let slack = HttpServer::replying(Reply::Hang);
    let out = Test::new()
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/{}", slack.url(), random_token()),
        )
        .args([
            "alert",
            "send",
            "--type",
            "disk_full",
            "--severity",
            "critical",
            "--message",
            "full",
            "--json",
            "--timeout",
            "20s",
        ])
        .signal_after("TERM", Duration::from_secs(1))
        .run();
    out.assert_code(3);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: interrupted by SIGTERM: deliveries in progress were abandoned (some channels may \
         have been notified) and no result was printed\n"
    );
    assert!(
        out.elapsed < Duration::from_secs(15),
        "took {:?}",
        out.elapsed
    );
    assert_eq!(slack.request_count(), 1);
}
