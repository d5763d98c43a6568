//! SMTP manners: vitals introduces itself by a name mail servers accept
//! (`SMTP_HELO_NAME`, else this host's fully qualified name when it has one)
//! and ends every session with QUIT, also after a refusal.

use serde_json::Value;

use crate::support::alerts::{deliveries, send_args};
use crate::support::cmd::{Outcome, Test};
use crate::support::smtp::{SmtpMode, SmtpOptions, SmtpServer};

/// A relay that refuses names that are not fully qualified, as Postfix with
/// `reject_non_fqdn_helo_hostname` does.
fn strict_relay() -> SmtpServer {
    SmtpServer::start(SmtpOptions {
        mode: SmtpMode::Plain,
        fqdn_helo: true,
        ..SmtpOptions::default()
    })
}

fn send_through(server: &SmtpServer, helo: Option<&str>) -> (Outcome, Value) {
    let mut test = Test::new()
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_PORT", server.port().to_string())
        .env("SMTP_TLS", "none")
        .env("ALERT_EMAIL_RECIPIENTS", "ops@example.com");
    if let Some(name) = helo {
        test = test.env("SMTP_HELO_NAME", name);
    }
    let out = test.args(send_args("critical", "db down")).run();
    let json = out.json();
    (out, json)
}

/// The names EHLO carried, in order.
fn ehlo_names(server: &SmtpServer) -> Vec<String> {
    server
        .transcript()
        .into_iter()
        .filter(|e| e.command == "EHLO")
        .map(|e| e.arg)
        .collect()
}

#[test]
fn smtp_helo_name_is_the_name_given_and_accepted() {
    let server = strict_relay();
    let (out, alert) = send_through(&server, Some("monitor.example.com"));
    out.assert_code(0);
    assert_eq!(deliveries(&alert)[0]["outcome"], "delivered");
    assert_eq!(ehlo_names(&server), ["monitor.example.com"]);
    assert_eq!(server.commands(), ["EHLO", "MAIL", "RCPT", "DATA", "QUIT"]);
}

#[test]
fn a_refused_helo_name_is_reported_and_the_session_still_ends_with_quit() {
    let server = strict_relay();
    let (out, alert) = send_through(&server, Some("monitor"));
    out.assert_code(2);
    let d = &deliveries(&alert)[0];
    assert_eq!(d["outcome"], "failed");
    assert_eq!(d["attempts"], 1, "a 5xx refusal is not retried");
    assert_eq!(
        d["error"],
        format!(
            "127.0.0.1:{}: RCPT refused: 504 5.5.2 <monitor>: Helo command rejected: need \
             fully-qualified hostname (SMTP_HELO_NAME sets the name vitals gives)",
            server.port()
        )
    );
    assert_eq!(server.commands(), ["EHLO", "MAIL", "RCPT", "RSET", "QUIT"]);
    assert!(server.messages().is_empty());
}

/// What `hostname -f` says (the resolver's canonical name for the host
/// name) when it is fully qualified, else the bare host name.
fn expected_default_name() -> String {
    let run = |args: &[&str]| {
        std::process::Command::new("hostname")
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|e| panic!("hostname {args:?}: {e}"))
    };
    let short = run(&[]);
    if short.contains('.') {
        return short;
    }
    let full = run(&["-f"]);
    if full.contains('.') && !full.starts_with("localhost") {
        full
    } else {
        short
    }
}

#[test]
fn the_default_name_is_this_hosts_fully_qualified_name_when_it_has_one() {
    let server = SmtpServer::start(SmtpOptions {
        mode: SmtpMode::Plain,
        ..SmtpOptions::default()
    });
    let (out, _) = send_through(&server, None);
    out.assert_code(0);
    assert_eq!(ehlo_names(&server), [expected_default_name()]);
}

#[test]
fn a_bad_smtp_helo_name_is_a_configuration_error() {
    let out = Test::new()
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_HELO_NAME", "two words")
        .env("ALERT_EMAIL_RECIPIENTS", "ops@example.com")
        .args(["config", "validate"])
        .run();
    out.assert_code(2).assert_stdout_contains(
        "SMTP_HELO_NAME: expected a host name such as mail.example.com, or an address \
         literal such as [192.0.2.1], got \"two words\"",
    );
}

#[test]
fn a_rejected_login_ends_with_quit() {
    let server = SmtpServer::start(SmtpOptions {
        login: Some(("vitals".to_owned(), crate::support::random_token())),
        ..SmtpOptions::default()
    });
    let wrong = crate::support::random_token();
    let out = Test::new()
        .env("SMTP_HOST", "localhost")
        .env("SMTP_PORT", server.port().to_string())
        .env("SMTP_CA_FILE", server.ca_path())
        .env("SMTP_USER", "vitals")
        .env("SMTP_PASSWORD", &wrong)
        .env("SMTP_HELO_NAME", "monitor.example.com")
        .env("ALERT_EMAIL_RECIPIENTS", "ops@example.com")
        .args(send_args("critical", "db down"))
        .run();
    out.assert_code(2).assert_no_secrets(&[&wrong]);
    let d = &deliveries(&out.json())[0];
    assert_eq!(
        d["error"],
        format!(
            "localhost:{}: AUTH refused: 535 5.7.8 Authentication credentials invalid",
            server.port()
        )
    );
    assert_eq!(
        server.commands(),
        ["EHLO", "STARTTLS", "EHLO", "AUTH", "QUIT"]
    );
}
