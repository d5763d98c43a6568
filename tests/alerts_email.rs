//! E-mail alerts over SMTP, against a real SMTP server (aiosmtpd) that
//! records every command with its TLS state and parses what it receives.

use serde_json::Value;

use crate::support::alerts::{HOSTILE_HEAD, deliveries, hostile_message, send_args, summary};
use crate::support::cmd::{Outcome, Test};
use crate::support::net::free_port;
use crate::support::random_token;
use crate::support::smtp::{SmtpMode, SmtpOptions, SmtpServer};

const SENDER: &str = "alerts@digital-agency.ai";

fn login() -> (String, String) {
    ("alerts".to_owned(), format!("smtp-pw-{}", random_token()))
}

/// `vitals` pointed at `server`, trusting its CA, with `recipients`.
fn smtp_test(server: &SmtpServer, recipients: &str) -> Test {
    Test::new()
        .env("SMTP_HOST", "localhost")
        .env("SMTP_PORT", server.port().to_string())
        .env("SMTP_CA_FILE", server.ca_path())
        .env("ALERT_EMAIL_RECIPIENTS", recipients)
        .env("ALERT_RETRY_BACKOFF", "10ms")
}

fn with_login(test: Test, (user, password): &(String, String)) -> Test {
    test.env("SMTP_USER", user).env("SMTP_PASSWORD", password)
}

fn send(test: Test, severity: &str, message: &str) -> (Outcome, Value) {
    let out = test.args(send_args(severity, message)).run();
    let json = out.json();
    (out, json)
}

#[test]
fn starttls_then_auth_then_one_message_to_every_recipient() {
    let credentials = login();
    let server = SmtpServer::start(SmtpOptions {
        login: Some(credentials.clone()),
        ..SmtpOptions::default()
    });
    let message = hostile_message();
    let test = with_login(
        smtp_test(&server, "ops@example.com, oncall@example.com"),
        &credentials,
    )
    .args(send_args("critical", &message))
    .args(["--context", r#"{"host":"db<1>","note":"a & b"}"#]);
    let out = test.run();
    let alert = out.json();
    out.assert_code(0).assert_no_secrets(&[&credentials.1]);

    assert_eq!(
        summary(&alert),
        [
            ("ops@example.com".to_owned(), "delivered".to_owned(), 1),
            ("oncall@example.com".to_owned(), "delivered".to_owned(), 1),
        ]
    );
    for d in deliveries(&alert) {
        assert_eq!(d["channel"], "email");
        assert_eq!(d["provider"], "smtp");
        assert_eq!(d["provider_status"], "250 2.0.0 Ok: queued as VITALS1");
        assert_eq!(d["error"], Value::Null);
        assert_eq!(d["history"][0]["status"], 250);
    }

    // The wire: STARTTLS first, AUTH only once encrypted, one transaction for both.
    assert_eq!(
        server.commands(),
        [
            "EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "RCPT", "DATA", "QUIT"
        ]
    );
    let transcript = server.transcript();
    assert!(!transcript[0].tls && !transcript[1].tls);
    assert!(transcript[2..].iter().all(|e| e.tls), "{transcript:#?}");

    let mail = server.only_message();
    assert!(mail.0["tls"].as_bool().unwrap_or_default());
    assert!(mail.0["authenticated"].as_bool().unwrap_or_default());
    assert_eq!(mail.str("mail_from"), SENDER);
    assert_eq!(mail.rcpt_tos(), ["ops@example.com", "oncall@example.com"]);
    assert_eq!(mail.str("from"), SENDER);
    assert_eq!(mail.str("to"), "ops@example.com, oncall@example.com");
    assert_eq!(
        mail.str("subject"),
        "[CRITICAL] Digital Agency Alert: disk_full"
    );
    assert_eq!(mail.str("content_type"), "multipart/alternative");

    let parts = mail.parts();
    let types: Vec<&str> = parts.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["text/plain", "text/html"]);
    let (id, at) = (
        alert["id"].as_str().unwrap_or_default(),
        alert["triggered_at"].as_str().unwrap_or_default(),
    );
    let text = parts[0].1.replace("\r\n", "\n");
    assert_eq!(
        text,
        format!(
            "[CRITICAL] Digital Agency Alert: disk_full\n\n\
             Message: {message}\n\
             Severity: CRITICAL\n\
             Alert ID: {id}\n\
             Timestamp: {at}\n\n\
             Context:\n{{\n  \"host\": \"db<1>\",\n  \"note\": \"a & b\"\n}}\n\n\
             -- \nDigital Agency Monitoring\n"
        )
    );
    let html = parts[1].1.replace("\r\n", "\n");
    assert!(!html.contains("<script>"), "{html}");
    let escaped_message = format!(
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;single&#39; &quot;double&quot; 🔥 {}",
        "Ж".repeat(300)
    );
    for expected in [
        "<h2 style=\"color: #D32F2F;\">[CRITICAL] disk_full</h2>".to_owned(),
        format!("<p style=\"white-space: pre-wrap;\">{escaped_message}</p>"),
        format!("<tr><td><strong>Alert ID</strong></td><td>{id}</td></tr>"),
        format!("<tr><td><strong>Timestamp</strong></td><td>{at}</td></tr>"),
        "&quot;host&quot;: &quot;db&lt;1&gt;&quot;".to_owned(),
        "&quot;note&quot;: &quot;a &amp; b&quot;".to_owned(),
    ] {
        assert!(html.contains(&expected), "HTML lacks {expected}:\n{html}");
    }
    // The raw message on the wire is 7-bit: the Cyrillic and the emoji are encoded.
    assert!(mail.str("raw").is_ascii());
}

#[test]
fn a_server_without_starttls_never_sees_the_password() {
    let credentials = login();
    let server = SmtpServer::start(SmtpOptions {
        mode: SmtpMode::Plain,
        login: Some(credentials.clone()),
        ..SmtpOptions::default()
    });
    let test = Test::new()
        .env("SMTP_HOST", "localhost")
        .env("SMTP_PORT", server.port().to_string())
        .env("ALERT_EMAIL_RECIPIENTS", "ops@example.com")
        .env("ALERT_RETRY_BACKOFF", "10ms");
    let (out, alert) = send(with_login(test, &credentials), "error", "db down");
    out.assert_code(2).assert_no_secrets(&[&credentials.1]);
    let d = &deliveries(&alert)[0];
    assert_eq!(d["outcome"], "failed");
    assert_eq!(
        d["error"],
        format!(
            "localhost:{}: the server does not offer STARTTLS; refusing to continue unencrypted \
             (SMTP_TLS=starttls)",
            server.port()
        )
    );
    assert_eq!(d["attempts"], 1, "a missing STARTTLS is not retried");
    // The server offered AUTH in the clear; the client never took it.
    assert_eq!(server.commands(), ["EHLO", "QUIT"]);
    assert!(!server.transcript_text().contains(&credentials.1));
    assert!(server.messages().is_empty());
}

#[test]
fn implicit_tls_encrypts_from_the_first_command() {
    let credentials = login();
    let server = SmtpServer::start(SmtpOptions {
        mode: SmtpMode::Implicit,
        login: Some(credentials.clone()),
        ..SmtpOptions::default()
    });
    let test =
        with_login(smtp_test(&server, "ops@example.com"), &credentials).env("SMTP_TLS", "tls");
    let (out, alert) = send(test, "warning", "disk at 85%");
    out.assert_code(0).assert_no_secrets(&[&credentials.1]);
    assert_eq!(
        summary(&alert),
        [("ops@example.com".to_owned(), "delivered".to_owned(), 1)]
    );
    assert_eq!(
        server.commands(),
        ["EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"]
    );
    assert!(server.transcript().iter().all(|e| e.tls));
    assert_eq!(
        server.only_message().str("subject"),
        "[WARNING] Digital Agency Alert: disk_full"
    );
}

#[test]
fn an_untrusted_certificate_fails_at_once() {
    let server = SmtpServer::start(SmtpOptions::default());
    let test = Test::new()
        .env("SMTP_HOST", "localhost")
        .env("SMTP_PORT", server.port().to_string())
        .env("ALERT_EMAIL_RECIPIENTS", "ops@example.com");
    let (out, alert) = send(test, "error", "db down");
    out.assert_code(2);
    let d = &deliveries(&alert)[0];
    assert_eq!(d["attempts"], 1);
    assert_eq!(
        d["error"],
        format!(
            "localhost:{}: server certificate is not signed by a trusted CA (unknown issuer; set \
             SSL_CERT_FILE or sslrootcert)",
            server.port()
        )
    );
    assert_eq!(server.commands(), ["EHLO", "STARTTLS"]);
}

#[test]
fn a_rejected_recipient_fails_alone() {
    let server = SmtpServer::start(SmtpOptions {
        reject: vec!["nobody@example.com".to_owned()],
        ..SmtpOptions::default()
    });
    let test = smtp_test(
        &server,
        "ops@example.com,nobody@example.com,oncall@example.com",
    );
    let (out, alert) = send(test, "critical", "db down");
    out.assert_code(1);
    assert_eq!(
        summary(&alert),
        [
            ("ops@example.com".to_owned(), "delivered".to_owned(), 1),
            ("nobody@example.com".to_owned(), "failed".to_owned(), 1),
            ("oncall@example.com".to_owned(), "delivered".to_owned(), 1),
        ]
    );
    let rejected = &deliveries(&alert)[1];
    assert_eq!(rejected["history"][0]["status"], 550);
    assert_eq!(
        rejected["error"],
        format!(
            "localhost:{}: RCPT refused: 550 5.1.1 <nobody@example.com>: Recipient address \
             rejected: User unknown",
            server.port()
        )
    );
    assert_eq!(
        server.only_message().rcpt_tos(),
        ["ops@example.com", "oncall@example.com"]
    );
}

#[test]
fn a_temporary_failure_is_retried() {
    let server = SmtpServer::start(SmtpOptions {
        tempfail: 1,
        ..SmtpOptions::default()
    });
    let (out, alert) = send(smtp_test(&server, "ops@example.com"), "critical", "db down");
    out.assert_code(0);
    let d = &deliveries(&alert)[0];
    assert_eq!(d["outcome"], "delivered");
    assert_eq!(d["attempts"], 2);
    assert_eq!(d["history"][0]["status"], 451);
    assert_eq!(
        d["history"][0]["error"],
        format!(
            "localhost:{}: DATA refused: 451 4.3.0 Temporary failure, please try again later",
            server.port()
        )
    );
    assert_eq!(d["history"][1]["status"], 250);
    assert_eq!(server.messages().len(), 1);
}

#[test]
fn a_wrong_password_is_not_retried_and_not_shown() {
    let server = SmtpServer::start(SmtpOptions {
        login: Some(login()),
        ..SmtpOptions::default()
    });
    let wrong = login();
    let (out, alert) = send(
        with_login(smtp_test(&server, "ops@example.com"), &wrong),
        "critical",
        "db down",
    );
    out.assert_code(2).assert_no_secrets(&[&wrong.1]);
    let d = &deliveries(&alert)[0];
    assert_eq!(d["attempts"], 1);
    assert_eq!(
        d["error"],
        format!(
            "localhost:{}: AUTH refused: 535 5.7.8 Authentication credentials invalid",
            server.port()
        )
    );
    assert!(server.messages().is_empty());
}

#[test]
fn plain_smtp_without_credentials_to_a_loopback_relay() {
    let server = SmtpServer::start(SmtpOptions {
        mode: SmtpMode::Plain,
        ..SmtpOptions::default()
    });
    let test = Test::new()
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_PORT", server.port().to_string())
        .env("SMTP_TLS", "none")
        .env("ALERT_EMAIL_RECIPIENTS", "ops@example.com")
        .env("ALERT_SUBJECT_PREFIX", "Acme");
    let (out, _) = send(test, "info", "nightly backup done");
    out.assert_code(0);
    let mail = server.only_message();
    assert!(!mail.0["tls"].as_bool().unwrap_or(true));
    assert_eq!(mail.str("subject"), "[INFO] Acme Alert: disk_full");
    assert!(mail.parts()[1].1.contains("<h2 style=\"color: #1976D2;\">"));
}

#[test]
fn a_refused_connection_is_retried_three_times() {
    let port = free_port();
    let test = Test::new()
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_PORT", port.to_string())
        .env("ALERT_EMAIL_RECIPIENTS", "ops@example.com")
        .env("ALERT_RETRY_BACKOFF", "10ms");
    let (out, alert) = send(test, "critical", HOSTILE_HEAD);
    out.assert_code(2);
    let d = &deliveries(&alert)[0];
    assert_eq!(d["attempts"], 3);
    assert_eq!(
        d["error"],
        format!("127.0.0.1:{port}: connection refused; gave up after 3 attempts")
    );
}

#[test]
fn plain_auth_only_when_asked_for_a_loopback_relay() {
    let credentials = login();
    let server = SmtpServer::start(SmtpOptions {
        mode: SmtpMode::Plain,
        login: Some(credentials.clone()),
        ..SmtpOptions::default()
    });
    let test = Test::new()
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_PORT", server.port().to_string())
        .env("SMTP_TLS", "none")
        .env("ALERT_EMAIL_RECIPIENTS", "ops@example.com");
    let (out, _) = send(with_login(test, &credentials), "critical", "db down");
    out.assert_code(0).assert_no_secrets(&[&credentials.1]);
    assert_eq!(
        server.commands(),
        ["EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"]
    );
    assert!(server.transcript().iter().all(|e| !e.tls));

    // The same request to a host that is not loopback is refused before any connection.
    let out = with_login(
        Test::new()
            .env("SMTP_HOST", "smtp.example.com")
            .env("SMTP_TLS", "none")
            .env("ALERT_EMAIL_RECIPIENTS", "ops@example.com"),
        &credentials,
    )
    .args(send_args("critical", "db down"))
    .run();
    out.assert_code(3)
        .assert_stderr_contains("SMTP_TLS: \"none\" would send SMTP_PASSWORD unencrypted")
        .assert_no_secrets(&[&credentials.1]);
}
