//! A command is stopped only by the settings it uses: a mistake in a
//! channel, in another check, in the alert state or in `./vitals.toml` does
//! not stop `check db`; with `--alert` a channel's mistake is an alerting
//! failure, said on stderr after the check's result; `alert send` still
//! sends through the channels that are set up right.

use serde_json::Value;

use crate::golden::normalise;
use crate::support::alerts::{deliveries, send_args, slack_at, summary};
use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};
use crate::support::net::free_port;
use crate::support::postgres::{PgOptions, PgServer};

const SID_ERROR: &str = "TWILIO_ACCOUNT_SID: expected a Twilio Account SID: \"AC\" followed by 32 hex digits, got \"AC123\"";
const WEBHOOK_ERROR: &str =
    "SLACK_WEBHOOK_URL: expected a URL starting with https:// or http:// (value hidden)";
const RATE_ERROR: &str =
    "ALERT_RATE_LIMIT: expected a rate such as 20/h, 20/1h or 5/10m, got \"lots\"";

/// Variables `check db` does not read, each set wrong.
const MISTAKES: [(&str, &str); 6] = [
    ("SLACK_WEBHOOK_URL", "not a url"),
    ("TWILIO_ACCOUNT_SID", "AC123"),
    ("SMTP_PORT", "abc"),
    ("REDIS_URL", "mysql://cache"),
    ("ALERT_RATE_LIMIT", "lots"),
    ("VITALS_STATE", "ftp://state"),
];

/// `./vitals.toml` that does not parse: `check services` would refuse it.
const BROKEN_TOML: &str = "[[service]\nname = ";

/// The same output and exit code as without the mistake (measured times aside).
fn assert_unaffected(baseline: &Outcome, out: &Outcome, mistake: &str) {
    assert_eq!(out.code, baseline.code, "{mistake}: {}", out.stderr);
    assert_eq!(out.stderr, "", "{mistake}");
    assert_eq!(
        normalise(&out.stdout, &[]),
        normalise(&baseline.stdout, &[]),
        "{mistake}"
    );
}

#[test]
fn check_db_is_not_stopped_by_settings_it_does_not_use() {
    // A server of its own: the connection counts in the output are this test's alone.
    let pg = PgServer::start(PgOptions::default());
    let url = pg.create_database();
    let check = |test: Test, format: &str| {
        test.env("DATABASE_URL", &url)
            .args(["check", "db", "--format", format])
            .run()
    };
    for format in ["json", "table", "nagios"] {
        let baseline = check(Test::new(), format);
        baseline.assert_code(0);
        assert_eq!(baseline.stderr, "");
        for (var, value) in MISTAKES {
            let out = check(Test::new().env(var, value), format);
            assert_unaffected(&baseline, &out, var);
        }
        let test = Test::new();
        test.write_file("vitals.toml", BROKEN_TOML);
        assert_unaffected(&baseline, &check(test, format), "./vitals.toml");
        match format {
            "json" => assert_eq!(baseline.json()["status"], "healthy"),
            "nagios" => assert!(
                baseline
                    .stdout
                    .starts_with("VITALS OK - database healthy | 'database_time'="),
                "{}",
                baseline.stdout
            ),
            _ => assert!(baseline.stdout.contains("| status "), "{}", baseline.stdout),
        }
    }
    // What the check reads itself still stops it, with the variable named.
    let out = Test::new()
        .env("DATABASE_URL", &url)
        .env("DB_SLOW_MS", "soon")
        .args(["check", "db", "--format", "nagios"])
        .run();
    out.assert_code(3);
    assert_eq!(
        out.stderr,
        "error: invalid configuration\n  DB_SLOW_MS: expected a number of milliseconds or a \
         duration such as 500ms, got \"soon\"\n"
    );
}

/// A secret `check db` never reads is still scrubbed from what it prints: here
/// a mistyped value quoted back in an error.
#[test]
fn secrets_the_command_does_not_read_are_scrubbed_too() {
    let token = format!("tok-scope-{}", crate::support::random_token());
    let out = Test::new()
        .env("DATABASE_URL", "postgres://app@127.0.0.1:1/app")
        .env("TWILIO_AUTH_TOKEN", &token)
        .env("DB_SLOW_MS", &token)
        .args(["check", "db"])
        .run();
    out.assert_code(3).assert_no_secrets(&[&token]);
    assert_eq!(
        out.stderr,
        "error: invalid configuration\n  DB_SLOW_MS: expected a number of milliseconds or a \
         duration such as 500ms, got \"***\"\n"
    );
}

fn check_db_alert(test: Test, database: &str) -> Outcome {
    test.env("DATABASE_URL", database)
        .env("VITALS_INSTANCE", "web1")
        .args(["check", "db", "--alert", "--json"])
        .run()
}

#[test]
fn check_alert_says_a_channel_mistake_after_the_result() {
    let pg = PgServer::shared();
    let url = pg.create_database();

    // Healthy, nothing to raise: the broken channel is still an alerting failure.
    let out = check_db_alert(Test::new().env("SLACK_WEBHOOK_URL", "not a url"), &url);
    out.assert_code(1);
    assert_eq!(out.json()["status"], "healthy");
    assert_eq!(
        out.stderr,
        format!(
            "error: --alert: slack is not configured: {WEBHOOK_ERROR}\n\
             error: --alert: no alert channel is configured, so alerts are recorded but nobody is notified\n"
        )
    );

    // Down: the alert goes out through Slack; SMS, set up wrong, is said twice:
    // as a channel that cannot be used, and as this alert's failed delivery.
    let hook = HttpServer::replying(Reply::text(200, "ok"));
    let port = free_port();
    let out = check_db_alert(
        slack_at(&hook).env("TWILIO_ACCOUNT_SID", "AC123"),
        &format!("postgres://app@127.0.0.1:{port}/app?sslmode=disable"),
    );
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        format!("127.0.0.1:{port}/app: connection refused")
    );
    assert_eq!(
        out.stderr,
        format!(
            "error: --alert: sms is not configured: {SID_ERROR}\n\
             error: --alert: database_failure{{check=\"database\",instance=\"web1\",\
             target=\"127.0.0.1:{port}/app\"}}: sms to - failed: not configured: {SID_ERROR}\n"
        )
    );
    let sent = hook.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].json()["attachments"][0]["title"],
        "database_failure"
    );

    // The general alert settings stop alerting, not the check.
    let out = check_db_alert(slack_at(&hook).env("ALERT_RATE_LIMIT", "lots"), &url);
    out.assert_code(1);
    assert_eq!(out.json()["status"], "healthy");
    assert_eq!(
        out.stderr,
        format!(
            "error: --alert: no alert was raised or resolved: invalid configuration\n  {RATE_ERROR}\n"
        )
    );
    assert_eq!(hook.request_count(), 1);
}

#[test]
fn alert_send_goes_through_the_channels_set_up_right() {
    let hook = HttpServer::replying(Reply::text(200, "ok"));
    let send = |extra: &[&str]| {
        slack_at(&hook)
            .env("TWILIO_ACCOUNT_SID", "AC123")
            .env("DATABASE_URL", "mysql://not-read-here")
            .args(send_args("critical", "db down"))
            .args(extra)
            .run()
    };
    let slack_delivered = ("http://127.0.0.1/***".to_owned(), "delivered".to_owned(), 1);

    // The broken channel is not asked for: not a word about it.
    let out = send(&["--channel", "slack"]);
    out.assert_code(0);
    assert_eq!(out.stderr, "");
    assert_eq!(summary(&out.json()), std::slice::from_ref(&slack_delivered));
    assert_eq!(hook.request_count(), 1);

    // Every configured channel: the broken one is a failed delivery, as a
    // half-configured one is, and the exit code says "partly".
    let out = send(&[]);
    out.assert_code(1);
    assert_eq!(out.stderr, "");
    let alert = out.json();
    assert_eq!(
        summary(&alert),
        [slack_delivered, ("-".to_owned(), "failed".to_owned(), 0)]
    );
    let sms = &deliveries(&alert)[1];
    assert_eq!(sms["channel"], "sms");
    assert_eq!(sms["provider"], Value::Null);
    assert_eq!(sms["error"], format!("not configured: {SID_ERROR}"));
    assert_eq!(hook.request_count(), 2);

    // Asked for by name, it is refused before anything is sent.
    let out = send(&["--channel", "sms"]);
    out.assert_code(3);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!("error: sms is not configured: {SID_ERROR}\n")
    );
    let out = send(&["--channel", "slack", "--dry-run"]);
    out.assert_code(0);
    assert_eq!(out.json()["messages"][0]["channel"], "slack");
    assert_eq!(hook.request_count(), 2);
}
