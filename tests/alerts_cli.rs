//! `vitals alert send|test` as an operator uses it: every channel at once,
//! `--dry-run`, `--channel`, exit codes, bad input, and secrets kept out of
//! everything printed.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::alerts::{Everything, deliveries, hostile_message, send_args, summary};
use crate::support::cmd::Test;
use crate::support::http::{HttpServer, Reply};
use crate::support::random_token;

#[test]
fn send_delivers_through_every_channel_and_prints_a_table() {
    let all = Everything::start();
    let out = all
        .test()
        .args([
            "alert",
            "send",
            "--type",
            "disk_full",
            "--severity",
            "critical",
            "--message",
            "disk / is 97% full",
            "-vv",
        ])
        .run();
    out.assert_code(0).assert_no_ansi();
    all.check(&out);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let rows: Vec<Vec<&str>> = lines
        .iter()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| CHANNEL"))
        .map(|l| {
            l.split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(
        rows,
        [
            vec![
                "email",
                "ops@example.com",
                "delivered",
                "1",
                "250 2.0.0 Ok: queued as VITALS1"
            ],
            vec![
                "slack",
                "http://127.0.0.1/***",
                "delivered",
                "1",
                "accepted"
            ],
            vec!["sms", "+14155550101", "delivered", "1", "SM0001 queued"],
            vec!["sms", "+14155550102", "delivered", "1", "SM0001 queued"],
            vec![
                "pagerduty",
                &format!("{}/v2/enqueue", all.pagerduty.url()),
                "delivered",
                "1",
                "disk_full Event processed"
            ],
        ]
    );
    let summary = lines.last().copied().unwrap_or_default();
    assert!(
        summary.starts_with("alert ")
            && summary.ends_with(" disk_full [CRITICAL]: 5 of 5 delivered"),
        "{summary}"
    );
    assert_eq!(all.smtp.messages().len(), 1);
    assert_eq!(all.requests(), 4);
}

#[test]
fn channels_are_delivered_concurrently() {
    let hanging = [
        HttpServer::replying(Reply::Hang),
        HttpServer::replying(Reply::Hang),
    ];
    let out = Test::new()
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/x", hanging[0].url()),
        )
        .env("PAGERDUTY_BASE_URL", hanging[1].url())
        .env("PAGERDUTY_ROUTING_KEY", format!("pd{}", random_token()))
        .env("ALERT_RETRY_BACKOFF", "10ms")
        .args(send_args("critical", "db down"))
        .args(["--timeout", "500ms"])
        .run();
    out.assert_code(2);
    // Each channel takes 3 × 500 ms; one after the other would take 3 s.
    out.assert_within(Duration::from_millis(2500));
    assert_eq!(
        summary(&out.json())
            .into_iter()
            .map(|(_, outcome, attempts)| (outcome, attempts))
            .collect::<Vec<_>>(),
        // Sent and never answered: they may have arrived.
        [("unknown".to_owned(), 3), ("unknown".to_owned(), 3)]
    );
}

#[test]
fn some_delivered_some_failed_exits_1() {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let pagerduty = HttpServer::replying(Reply::json(
        400,
        &json!({"status": "invalid event", "message": "Event object is invalid", "errors": ["'payload.source' is missing or blank"]}),
    ));
    let out = Test::new()
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/x", slack.url()),
        )
        .env("PAGERDUTY_BASE_URL", pagerduty.url())
        .env("PAGERDUTY_ROUTING_KEY", format!("pd{}", random_token()))
        .args(send_args("critical", "db down"))
        .run();
    out.assert_code(1);
    let outcomes: Vec<String> = summary(&out.json()).into_iter().map(|s| s.1).collect();
    assert_eq!(outcomes, ["delivered", "failed"]);
}

#[test]
fn dry_run_shows_exactly_what_would_be_sent_and_sends_nothing() {
    let all = Everything::start();
    let message = hostile_message();
    let out = all
        .test()
        .args(send_args("critical", &message))
        .args(["--context", r#"{"host":"db1"}"#, "--dry-run"])
        .run();
    out.assert_code(0);
    all.check(&out);
    assert_eq!(all.requests(), 0, "a dry run sent a request");
    assert!(all.smtp.transcript().is_empty(), "a dry run talked SMTP");

    let preview = out.json();
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["alert"]["alert_type"], "disk_full");
    let messages = preview["messages"].as_array().cloned().unwrap_or_default();
    let heads: Vec<(Value, Value, Value)> = messages
        .iter()
        .map(|m| (m["channel"].clone(), m["provider"].clone(), m["to"].clone()))
        .collect();
    assert_eq!(
        heads,
        [
            (json!("email"), json!("smtp"), json!(["ops@example.com"])),
            (
                json!("slack"),
                json!("slack"),
                json!(["http://127.0.0.1/***"])
            ),
            (json!("sms"), json!("twilio"), json!(["+14155550101"])),
            (json!("sms"), json!("twilio"), json!(["+14155550102"])),
            (
                json!("pagerduty"),
                json!("pagerduty"),
                json!([format!("{}/v2/enqueue", all.pagerduty.url())])
            ),
        ]
    );
    let email = &messages[0];
    assert_eq!(
        email["subject"],
        "[CRITICAL] Digital Agency Alert: disk_full"
    );
    let html = email["html"].as_str().unwrap_or_default();
    assert!(
        !html.contains("<script>") && html.contains("&lt;script&gt;"),
        "{html}"
    );
    assert!(
        email["text"]
            .as_str()
            .unwrap_or_default()
            .contains(&message)
    );
    let slack = &messages[1]["body"]["attachments"][0];
    assert_eq!(slack["color"], "#FF0000");
    assert!(
        slack["text"]
            .as_str()
            .unwrap_or_default()
            .starts_with("&lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; ")
    );
    let sms_body: String = format!(
        "CRITICAL ALERT: disk_full\n{}",
        message.chars().take(100).collect::<String>()
    );
    assert_eq!(
        messages[2]["form"],
        json!({"To": "+14155550101", "From": "+14155550100", "Body": sms_body})
    );
    let pd = &messages[4]["body"];
    assert_eq!(pd["routing_key"], "***");
    assert_eq!(pd["event_action"], "trigger");
    assert_eq!(
        pd["payload"]["custom_details"]["context"],
        json!({"host": "db1"})
    );

    // The same as text for people.
    let out = all
        .test()
        .args(["alert", "test", "--dry-run", "--channel", "sms,slack"])
        .run();
    out.assert_code(0);
    all.check(&out);
    assert_eq!(all.requests(), 0);
    let text = &out.stdout;
    assert!(
        text.starts_with(
            "dry run: nothing was sent\na test alert is not recorded: every channel below \
             would be notified\nalert "
        ),
        "{text}"
    );
    assert!(
        text.contains("=== slack via slack to http://127.0.0.1/*** ===\n{\n  \"attachments\": [")
    );
    assert!(text.contains(
        "=== sms via twilio to +14155550101 ===\nTo: +14155550101\nFrom: +14155550100\nBody: TEST ALERT: vitals_test\n"
    ));
    assert!(
        !text.contains("=== email") && !text.contains("=== pagerduty"),
        "{text}"
    );
}

#[test]
fn bad_input_exits_3_and_says_why() {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let test = || {
        Test::new().env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/x", slack.url()),
        )
    };
    for (extra, expected) in [
        (
            vec!["--context", "[1,2]"],
            "error: --context: expected a JSON object such as '{\"host\":\"db1\"}', got an array",
        ),
        (
            vec!["--context", "{oops"],
            "error: --context: not valid JSON (key must be a string at line 1 column 2)",
        ),
        (
            vec!["--channel", "fax"],
            "invalid value 'fax' for '--channel <LIST>'",
        ),
    ] {
        let out = test()
            .args(send_args("critical", "db down"))
            .args(&extra)
            .run();
        out.assert_code(3).assert_stderr_contains(expected);
        assert_eq!(out.stdout, "", "{extra:?}");
    }
    let out = test().args(send_args("urgent", "db down")).run();
    out.assert_code(3)
        .assert_stderr_contains("invalid value 'urgent' for '--severity <SEVERITY>'");
    let out = test()
        .args([
            "alert",
            "send",
            "--type",
            " ",
            "--severity",
            "info",
            "--message",
            "m",
        ])
        .run();
    out.assert_code(3)
        .assert_stderr_contains("--type: expected a non-empty alert type");
    assert_eq!(slack.request_count(), 0);
}

#[test]
fn nothing_configured_or_an_unconfigured_channel_exits_3() {
    let out = Test::new().args(send_args("critical", "db down")).run();
    out.assert_code(3).assert_stderr_contains(
        "error: no alert channel is configured: set one of email: SMTP_HOST and ALERT_EMAIL_RECIPIENTS",
    );
    assert_eq!(out.stdout, "");

    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let configured = Test::new()
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/x", slack.url()),
        )
        .env("SMTP_HOST", "smtp.example.com");
    let out = configured
        .args(send_args("critical", "db down"))
        .args(["--channel", "slack,pagerduty"])
        .run();
    out.assert_code(3)
        .assert_stderr_contains("error: pagerduty is not configured: set PAGERDUTY_ROUTING_KEY");
    let out = Test::new()
        .env("SMTP_HOST", "smtp.example.com")
        .args(["alert", "test", "--channel", "email"])
        .run();
    out.assert_code(3).assert_stderr_contains(
        "error: email is not configured: ALERT_EMAIL_RECIPIENTS: not set (e-mail alerts need at least one recipient)",
    );
    assert_eq!(slack.request_count(), 0);
}

#[test]
fn a_half_configured_channel_is_reported_as_failed() {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let out = Test::new()
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/x", slack.url()),
        )
        .env("SMTP_HOST", "smtp.example.com")
        .args(send_args("critical", "db down"))
        .run();
    out.assert_code(1);
    let alert = out.json();
    let email = &deliveries(&alert)[0];
    assert_eq!(email["channel"], "email");
    assert_eq!(email["provider"], Value::Null);
    assert_eq!(email["outcome"], "failed");
    assert_eq!(email["attempts"], 0);
    assert_eq!(
        email["error"],
        "not configured: ALERT_EMAIL_RECIPIENTS: not set (e-mail alerts need at least one recipient)"
    );
    assert_eq!(deliveries(&alert)[1]["outcome"], "delivered");
}

#[test]
fn alert_json_has_every_lifecycle_field() {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let out = Test::new()
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/x", slack.url()),
        )
        .args(send_args("warning", "queue is deep"))
        .args(["--context", r#"{"depth":250}"#])
        .run();
    out.assert_code(0);
    let alert = out.json();
    let keys: Vec<&str> = alert
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "id",
            "alert_type",
            "labels",
            "identity",
            "fingerprint",
            "dedup_key",
            "severity",
            "message",
            "context",
            "status",
            "held",
            "held_reason",
            "held_by",
            "triggered_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "resolution_note",
            "occurrences",
            "last_notified_at",
            "notified_message",
            "test",
            "deliveries",
        ]
    );
    assert_eq!(alert["labels"], json!({}));
    assert_eq!(alert["identity"], "disk_full");
    assert_eq!(alert["dedup_key"], "disk_full");
    assert_eq!(alert["notified_message"], "queue is deep");
    assert_eq!(alert["held"], Value::Null);
    let id = alert["id"].as_str().unwrap_or_default();
    assert!(
        id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(alert["alert_type"], "disk_full");
    assert_eq!(alert["severity"], "warning");
    assert_eq!(alert["message"], "queue is deep");
    assert_eq!(alert["status"], "active");
    for field in [
        "acknowledged_at",
        "acknowledged_by",
        "resolved_at",
        "resolved_by",
        "resolution_note",
    ] {
        assert_eq!(alert[field], Value::Null, "{field}");
    }
    assert_eq!(alert["context"], json!({"depth": 250}));
    assert_eq!(alert["occurrences"], 1);
    assert_eq!(alert["test"], false);
    let d = &deliveries(&alert)[0];
    let keys: Vec<&str> = d
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "channel",
            "provider",
            "recipient",
            "outcome",
            "attempts",
            "error",
            "provider_id",
            "provider_status",
            "at",
            "history",
            "event"
        ]
    );
    assert_eq!(d["channel"], "slack");
    assert_eq!(d["provider"], "slack");
    assert_eq!(d["recipient"], "http://127.0.0.1/***");
    assert_eq!(d["outcome"], "delivered");
    assert_eq!(d["attempts"], 1);
    for field in ["error", "provider_id", "provider_status"] {
        assert_eq!(d[field], Value::Null, "{field}");
    }
    assert_eq!(d["event"], "trigger");
    assert_eq!(d["history"].as_array().map(Vec::len), Some(1));
    let attempt = &d["history"][0];
    assert_eq!(attempt["status"], 200);
    assert_eq!(attempt["error"], Value::Null);
    assert!(attempt["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0));

    // Taken during this run, in the order things happened.
    let times = [
        &alert["triggered_at"],
        &attempt["at"],
        &d["at"],
        &alert["last_notified_at"],
    ]
    .map(|t| out.timestamp(t));
    assert!(times.is_sorted(), "{times:?}");
}

#[test]
fn no_alert_command_prints_a_planted_secret() {
    let all = Everything::start();
    for args in [
        vec!["alert", "test"],
        vec!["alert", "test", "--dry-run"],
        vec![
            "alert",
            "send",
            "--type",
            "t",
            "--severity",
            "critical",
            "--message",
            "m",
        ],
    ] {
        for format in ["table", "json"] {
            let out = all
                .test()
                .args(&args)
                .args(["--format", format, "-vvv"])
                .run();
            out.assert_code(0);
            all.check(&out);
        }
    }
    // Failures echo what servers said, and servers may echo what they got.
    let echo = HttpServer::start(|r| Reply::text(400, r.text()));
    let out = all
        .test()
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/{}", echo.url(), all.hook),
        )
        .env("TWILIO_BASE_URL", echo.url())
        .env("PAGERDUTY_BASE_URL", echo.url())
        .args(["alert", "test", "-vv", "--json"])
        .run();
    out.assert_code(1);
    all.check(&out);
}
