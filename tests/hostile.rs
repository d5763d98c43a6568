//! Oversized and odd input from the command line and the environment: a
//! 1 MB message, deeply nested context, NUL bytes and escape sequences,
//! invalid UTF-8, header injection, E.164 edge cases. Each is refused with
//! exit 3 and a message naming what is wrong, or sent safely; never a panic.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use serde_json::json;

use crate::support::alerts::{Everything, deliveries, send_args, slack_at};
use crate::support::cmd::Test;
use crate::support::http::{HttpServer, Reply};
use crate::support::smtp::{SmtpOptions, SmtpServer};

const CUT: usize = 64 * 1024;

#[test]
fn a_one_megabyte_message_from_stdin_is_cut_and_delivered_everywhere() {
    let all = Everything::start();
    let message = "a".repeat(1024 * 1024);
    let out = all
        .test()
        .args(send_args("critical", "-"))
        .stdin(message.into_bytes())
        .run();
    out.assert_code(0).assert_stderr_contains(
        "the message is longer than 65536 bytes: only the first 65536 are sent",
    );
    all.check(&out);
    let sent = format!("{}… [cut at 65536 bytes]", "a".repeat(CUT));
    let alert = out.json();
    assert_eq!(alert["message"], sent.as_str());
    let sent_to = deliveries(&alert);
    let outcomes: Vec<&str> = sent_to
        .iter()
        .map(|d| d["outcome"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(outcomes, ["delivered"; 5]);

    let slack = all.slack.only_request().json();
    assert_eq!(slack["attachments"][0]["text"], sent.as_str());
    let pd = all.pagerduty.only_request().json();
    assert_eq!(pd["payload"]["custom_details"]["message"], sent.as_str());
    assert_eq!(
        pd["payload"]["summary"].as_str().map(|s| s.chars().count()),
        Some(1024)
    );
    for sms in all.twilio.requests() {
        assert_eq!(
            sms.form_value("Body"),
            Some(format!("CRITICAL ALERT: disk_full\n{}", "a".repeat(100)))
        );
    }
    let mail = all.smtp.only_message();
    let text = mail.parts()[0].1.replace("\r\n", "\n");
    assert!(
        text.contains(&format!("Message: {sent}\n")),
        "{} bytes",
        text.len()
    );
}

#[test]
fn nul_bytes_and_escape_sequences_never_reach_a_provider_or_the_terminal() {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let out = slack_at(&slack)
        .args([
            "alert",
            "send",
            "--type",
            "disk_full",
            "--severity",
            "error",
            "--message",
            "-",
            "--context",
            r#"{"nul":"x\u0000y","esc":"\u001b[2J"}"#,
        ])
        .stdin(&b"before\0after \x1b[31mred\x1b[0m\r\nnext\tline\xff"[..])
        .run();
    out.assert_code(0).assert_no_ansi();
    let text = slack.only_request().json()["attachments"][0].clone();
    assert_eq!(
        text["text"],
        "before\u{FFFD}after \u{FFFD}[31mred\u{FFFD}[0m\nnext\tline\u{FFFD}"
    );
    // Context values stay as given, JSON-escaped on the wire: never raw.
    assert_eq!(
        text["fields"][3]["value"],
        "```{\n  \"nul\": \"x\\u0000y\",\n  \"esc\": \"\\u001b[2J\"\n}```"
    );
    assert!(!out.stdout.contains('\0'));
}

#[test]
fn deeply_nested_context_is_refused_and_moderate_nesting_is_sent() {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let test = || slack_at(&slack);
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let out = test()
        .args(send_args("critical", "db down"))
        .args(["--context", &deep])
        .run();
    out.assert_code(3);
    assert_eq!(
        out.stderr,
        "error: --context: not valid JSON (recursion limit exceeded at line 1 column 132)\n"
    );
    assert_eq!(out.stdout, "");
    assert_eq!(slack.request_count(), 0);

    let moderate = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
    let out = test()
        .args(send_args("critical", "db down"))
        .args(["--context", &moderate])
        .run();
    out.assert_code(0);
    let mut expected = json!(1);
    for _ in 0..100 {
        expected = json!([expected]);
    }
    assert_eq!(out.json()["context"], json!({"a": expected}));
    assert_eq!(slack.request_count(), 1);
}

#[test]
fn invalid_utf8_in_env_values_is_named_never_shown() {
    let bad = |prefix: &[u8]| {
        let mut value = prefix.to_vec();
        value.extend_from_slice(b"\xff\xfe-secret-tail");
        OsStr::from_bytes(&value).to_owned()
    };
    // Each variable is read by the command that uses it.
    for (var, value, command) in [
        ("DATABASE_URL", bad(b"postgres://u:pw"), "db"),
        ("REDIS_PASSWORD", bad(b"pw"), "cache"),
    ] {
        let out = Test::new()
            .env("DATABASE_URL", "postgres://u@127.0.0.1:1/db")
            .env("REDIS_URL", "redis://127.0.0.1:1")
            .env(var, &value)
            .args(["check", command])
            .run();
        out.assert_code(3).assert_no_secrets(&["-secret-tail"]);
        assert_eq!(
            out.stderr,
            format!("error: invalid configuration\n  {var}: value is not valid UTF-8\n")
        );
        assert_eq!(out.stdout, "");
    }
    let out = Test::new()
        .env("SMTP_HOST", "smtp.example.com")
        .env("ALERT_EMAIL_RECIPIENTS", bad(b"ops@"))
        .args(["alert", "test", "--channel", "email"])
        .run();
    out.assert_code(3).assert_no_secrets(&["-secret-tail"]);
    assert_eq!(
        out.stderr,
        "error: email is not configured: ALERT_EMAIL_RECIPIENTS: value is not valid UTF-8\n"
    );
    assert_eq!(out.stdout, "");
    // An option's environment equivalent is read by the argument parser: a usage error.
    let out = Test::new()
        .env("DATABASE_URL", "postgres://u@127.0.0.1:1/db")
        .env("VITALS_TIMEOUT", bad(b"5"))
        .args(["check", "db"])
        .run();
    out.assert_code(3).assert_no_secrets(&["-secret-tail"]);
    assert_eq!(
        out.stderr,
        "error: invalid UTF-8 was detected in one or more arguments\n\n\
         Usage: vitals check [OPTIONS] [NAME]...\n\nFor more information, try '--help'.\n"
    );
}

#[test]
fn header_injection_through_subject_or_recipients_goes_nowhere() {
    let server = SmtpServer::start(SmtpOptions::default());
    let smtp = || {
        Test::new()
            .env("SMTP_HOST", "localhost")
            .env("SMTP_PORT", server.port().to_string())
            .env("SMTP_CA_FILE", server.ca_path())
    };
    // A subject that would carry a header is what these try to make: every
    // value that goes into one is refused before anything is sent.
    for (var, value, expected) in [
        (
            "ALERT_SUBJECT_PREFIX",
            "Acme\r\nBcc: evil@example.com",
            "error: invalid configuration\n  ALERT_SUBJECT_PREFIX: expected a name without line breaks or other control characters, got \"Acme\\r\\nBcc: evil@example.com\"\n",
        ),
        (
            "ALERT_EMAIL_RECIPIENTS",
            "ops@example.com\r\nBcc: evil@example.com",
            "error: no alert channel can be used: email (ALERT_EMAIL_RECIPIENTS: expected a comma-separated list, each item an e-mail address (bad item \"ops@example.com\\r\\nBcc: evil@example.com\"), got \"ops@example.com\\r\\nBcc: evil@example.com\")\n",
        ),
        (
            "ALERT_SENDER_EMAIL",
            "alerts@example.com\nBcc: evil@example.com",
            "error: no alert channel can be used: email (ALERT_SENDER_EMAIL: expected an e-mail address, got \"alerts@example.com\\nBcc: evil@example.com\")\n",
        ),
    ] {
        let out = smtp()
            .env("ALERT_EMAIL_RECIPIENTS", "ops@example.com")
            .env(var, value)
            .args(send_args("critical", "db down"))
            .run();
        out.assert_code(3);
        assert_eq!(out.stderr, expected);
    }
    let out = smtp()
        .env("ALERT_EMAIL_RECIPIENTS", "ops@example.com")
        .args([
            "alert",
            "send",
            "--type",
            "disk\r\nBcc: evil@example.com",
            "--severity",
            "info",
            "--message",
            "m",
        ])
        .run();
    out.assert_code(3);
    assert_eq!(
        out.stderr,
        "error: --type: expected a non-empty alert type of at most 200 characters without control characters\n"
    );
    assert!(server.messages().is_empty(), "nothing may be sent");
    assert!(server.transcript().is_empty(), "not even a connection");
}

#[test]
fn e164_edge_cases() {
    let twilio = HttpServer::replying(Reply::json(201, &json!({"sid": "SM1", "status": "queued"})));
    let sms = |recipients: &OsStr| {
        Test::new()
            .env("TWILIO_BASE_URL", twilio.url())
            .env("TWILIO_ACCOUNT_SID", format!("AC{}", "0".repeat(32)))
            .env("TWILIO_AUTH_TOKEN", "token-e164")
            .env("TWILIO_FROM_NUMBER", "+14155550100")
            .env("ALERT_SMS_RECIPIENTS", recipients)
            .args(["alert", "test", "--dry-run", "--json"])
            .run()
    };
    for (given, to) in [
        ("+14155550101", vec!["+14155550101"]),
        ("+123456789012345", vec!["+123456789012345"]),
        ("+12", vec!["+12"]),
        (
            " +14155550101 ,, +14155550102,",
            vec!["+14155550101", "+14155550102"],
        ),
    ] {
        let out = sms(OsStr::new(given));
        out.assert_code(0);
        let messages = out.json()["messages"].clone();
        let sent_to: Vec<&str> = messages
            .as_array()
            .map(|m| m.iter().filter_map(|m| m["to"][0].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(sent_to, to, "{given:?}");
    }
    for bad in [
        "+1",
        "+1234567890123456",
        "+014155550101",
        "14155550101",
        "+1 415 555 0101",
        "+1-415-555-0101",
        "++14155550101",
        "＋14155550101",
        "+١٤١٥٥٥٥٠١٠١",
        "+1415555０１０１",
        "+1415555010x",
    ] {
        let out = sms(OsStr::new(bad));
        out.assert_code(3);
        assert_eq!(
            out.stderr,
            format!(
                "error: no alert channel can be used: sms (ALERT_SMS_RECIPIENTS: expected a comma-separated list, each item a phone number in E.164 form, such as +14155550123 (bad item {bad:?}), got {bad:?})\n"
            ),
            "{bad:?}"
        );
    }
    assert_eq!(twilio.request_count(), 0);
}
