//! The whole table, and reading whole configurations from fixed variables.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::*;
use crate::alerts::channels::{Slot, email, sms};
use crate::config::{Channel, ConfigError, StateLocation};
use crate::redact;

fn map(pairs: &[(&'static str, &'static str)]) -> HashMap<&'static str, &'static str> {
    pairs.iter().copied().collect()
}

fn error_vars(errors: &[ConfigError]) -> Vec<&'static str> {
    errors.iter().map(|e| e.var).collect()
}

/// The variables that made reading fail.
fn refused<T>(read: Result<T, ConfigErrors>) -> Vec<&'static str> {
    match read {
        Ok(_) => panic!("read, though a variable it uses is malformed"),
        Err(errors) => error_vars(&errors.0),
    }
}

#[test]
fn names_are_unique() {
    let names: Vec<&str> = table().vars().map(|v| v.name).collect();
    for (i, name) in names.iter().enumerate() {
        assert!(!names[i + 1..].contains(name), "{name} listed twice");
    }
    let keys: Vec<&str> = table().groups().iter().map(|g| g.key).collect();
    for (i, key) in keys.iter().enumerate() {
        assert!(!keys[i + 1..].contains(key), "group {key} listed twice");
    }
}

/// `.env.example` documents every variable, in table order, with its help and default.
#[test]
fn env_example_is_in_sync() {
    let expected = env_example();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example");
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        ".env.example is out of date; regenerate it with:\n  \
         VITALS_WRITE_ENV_EXAMPLE=1 cargo test env_example_is_in_sync"
    );
}

const TABLE_START: &str = "<!-- variables: generated from the variable table -->\n";
const TABLE_END: &str = "<!-- end of the generated variables -->\n";

/// docs/CONFIGURATION.md's tables of variables are the variable table
/// itself: every variable, its default and its help, group by group, so
/// that they cannot drift apart.
#[test]
fn configuration_doc_tables_are_the_variable_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/CONFIGURATION.md");
    let doc = std::fs::read_to_string(path).unwrap_or_default();
    let (Some(start), Some(end)) = (doc.find(TABLE_START), doc.find(TABLE_END)) else {
        panic!("docs/CONFIGURATION.md lacks the markers {TABLE_START:?} and {TABLE_END:?}");
    };
    let generated = configuration_tables();
    let current = &doc[start + TABLE_START.len()..end];
    if current != generated && std::env::var_os("VITALS_REGENERATE").is_some() {
        let updated = format!(
            "{}{generated}{}",
            &doc[..start + TABLE_START.len()],
            &doc[end..]
        );
        std::fs::write(path, updated).unwrap_or_else(|e| panic!("writing {path}: {e}"));
        return;
    }
    assert!(
        current == generated,
        "docs/CONFIGURATION.md's variables are out of date; regenerate them with:\n  \
         VITALS_REGENERATE=1 cargo test --lib configuration_doc"
    );
}

fn configuration_tables() -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    let mut out = String::new();
    for group in table().groups() {
        out.push_str(&format!(
            "\n### {}\n\n| variable | default | meaning |\n|---|---|---|\n",
            group.title
        ));
        for v in group.vars {
            let default = v.default.map(|d| format!("`{d}`")).unwrap_or_default();
            let secret = match v.secrecy {
                Secrecy::Public => "",
                Secrecy::Secret => " Secret: never printed.",
                Secrecy::UrlCredentials | Secrecy::PathOrUrl => {
                    " Credentials in it are never printed."
                }
            };
            out.push_str(&format!(
                "| `{}` | {} | {}{secret} |\n",
                v.name,
                cell(&default),
                cell(v.help)
            ));
        }
    }
    out.push('\n');
    out
}

fn env_example() -> String {
    let mut out = String::from(
        "# vitals configuration. Copy to .env (chmod 600) or set in the environment;\n\
         # real environment variables win over this file. Empty means unset.\n",
    );
    for group in table().groups() {
        out.push_str(&format!("\n# --- {} ---\n", group.title));
        for v in group.vars {
            out.push_str(&format!("# {}\n", v.help));
            match v.secrecy {
                Secrecy::Public => {}
                Secrecy::Secret => out.push_str("# (secret: never printed by vitals)\n"),
                Secrecy::UrlCredentials | Secrecy::PathOrUrl => {
                    out.push_str("# (credentials in it are never printed by vitals)\n")
                }
            }
            out.push_str(&format!("#{}={}\n", v.name, v.default.unwrap_or("")));
        }
    }
    if std::env::var_os("VITALS_WRITE_ENV_EXAMPLE").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example");
        std::fs::write(path, &out).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    }
    out
}

#[test]
fn defaults_when_nothing_is_set() {
    let env = map(&[("HOME", "/home/op")]);
    let all = everything(&env);
    assert!(all.findings.errors.is_empty(), "{:?}", all.findings.errors);
    let c = all.config;
    assert_eq!(c.state.repeat_interval, Duration::from_secs(4 * 3600));
    assert_eq!(c.alert_retry_backoff, Duration::from_millis(500));
    assert_eq!(c.platform_name, "Digital Agency");
    assert!(matches!(
        c.state.location,
        Some(StateLocation::File(ref p)) if p == Path::new("/home/op/.local/state/vitals/alerts.db")
    ));
    assert_eq!(all.checks.len(), 4);
    assert!(all.checks.iter().all(|c| !c.configured()));
    assert_eq!(all.channels.len(), 6);
    assert!(all.channels.iter().all(|e| matches!(e.slot, Slot::Unset)));
    assert_eq!(
        all.findings.notes,
        [(
            "VITALS_STATE",
            "/home/op/.local/state/vitals/alerts.db (default)".to_owned()
        )]
    );
}

#[test]
fn malformed_values_name_their_variable() {
    let env = map(&[
        ("DATABASE_URL", "mysql://x"),
        ("SMTP_PORT", "abc"),
        ("EMAIL_PROVIDER", "pigeon"),
        ("AGENT_HEARTBEAT_MAX_AGE", "soon"),
        ("ALERT_SMS_RECIPIENTS", "+14155550123,0044"),
    ]);
    let errors = everything(&env).findings.errors;
    assert_eq!(
        error_vars(&errors),
        [
            "DATABASE_URL",
            "AGENT_HEARTBEAT_MAX_AGE",
            "EMAIL_PROVIDER",
            "SMTP_PORT",
            "ALERT_SMS_RECIPIENTS"
        ]
    );
    let text = ConfigErrors(errors).to_string();
    assert!(
        text.contains("SMTP_PORT: expected a port number from 1 to 65535, got \"abc\""),
        "{text}"
    );
    assert!(
        text.contains("EMAIL_PROVIDER: expected \"smtp\" or \"sendgrid\", got \"pigeon\""),
        "{text}"
    );
    assert!(
        text.contains(
            "ALERT_SMS_RECIPIENTS: expected a comma-separated list, each item a phone number \
             in E.164 form, such as +14155550123 (bad item \"0044\"), got \"+14155550123,0044\""
        ),
        "{text}"
    );
    assert!(
        text.contains("DATABASE_URL: expected a URL starting with postgres:// or postgresql://"),
        "{text}"
    );
}

#[test]
fn secret_values_are_never_echoed_in_errors() {
    let env = map(&[("DATABASE_URL", "not a url with pw-unique-7781")]);
    let text = ConfigErrors(everything(&env).findings.errors).to_string();
    assert!(text.contains("DATABASE_URL"), "{text}");
    assert!(!text.contains("pw-unique-7781"), "{text}");
}

/// A check reads its own variables and the trust roots, nothing else: a
/// mistake in a channel, the alert state or another check does not stop it.
#[test]
fn a_check_reads_only_its_own_settings() {
    let env = map(&[
        ("DATABASE_URL", "postgres://app@db/app"),
        ("SLACK_WEBHOOK_URL", "not a url"),
        ("TWILIO_ACCOUNT_SID", "AC123"),
        ("VITALS_STATE", "ftp://x"),
        ("ALERT_RETRY_BACKOFF", "soon"),
        ("REDIS_URL", "mysql://x"),
        ("VITALS_CONFIG", "/nonexistent/vitals.toml"),
    ]);
    let db = checks(
        &env,
        &crate::checks::Selection::Only(vec![crate::checks::database::CHECK.id()]),
    );
    let db = db.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(db.len(), 1);
    assert!(db[0].configured());

    // `check all` reads them.
    assert_eq!(
        refused(checks(&env, &crate::checks::Selection::All)),
        ["REDIS_URL", "VITALS_CONFIG"]
    );

    let env = map(&[("SSL_CERT_FILE", "/nonexistent/ca.pem")]);
    assert_eq!(
        refused(checks(&env, &crate::checks::Selection::All)),
        ["SSL_CERT_FILE"]
    );
}

/// A malformed channel variable makes that channel unusable, naming the
/// variable; the other channels stay usable, and the general settings' own
/// mistakes are the only ones that stop alerting.
#[test]
fn a_channel_mistake_is_that_channels_alone() {
    let env = map(&[
        ("HOME", "/h"),
        (
            "SLACK_WEBHOOK_URL",
            "https://hooks.slack.com/services/T/B/x",
        ),
        ("TWILIO_ACCOUNT_SID", "AC123"),
        ("DATABASE_URL", "mysql://x"),
    ]);
    let (_, entries) = alerting(&env).unwrap_or_else(|e| panic!("{e}"));
    let usable: Vec<&str> = entries
        .iter()
        .filter(|e| e.ready().is_some())
        .map(|e| e.id.as_ref())
        .collect();
    assert_eq!(usable, ["slack"]);
    let sms = entries.iter().find(|e| e.id.as_ref() == "sms");
    let problems: Vec<String> = sms
        .map(|e| e.problems().iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    assert_eq!(
        problems,
        [
            "TWILIO_ACCOUNT_SID: expected a Twilio Account SID: \"AC\" followed by 32 hex digits, got \"AC123\""
        ]
    );

    let env = map(&[("HOME", "/h"), ("ALERT_RATE_LIMIT", "lots")]);
    assert_eq!(refused(alerting(&env)), ["ALERT_RATE_LIMIT"]);
}

/// Every secret that is set is scrubbed, even one the command never reads.
#[test]
fn every_secret_is_registered_at_start_up() {
    let env = map(&[
        ("TWILIO_AUTH_TOKEN", " tok-start-up-1234 "),
        ("DATABASE_URL", "postgres://app:pw-start-up-5678@db/app"),
        ("SLACK_CHANNEL", "#public-channel"),
    ]);
    register_secrets(&env);
    assert_eq!(
        redact::scrub("tok-start-up-1234 pw-start-up-5678 #public-channel"),
        "*** *** #public-channel"
    );
}

#[test]
fn smtp_channel_defaults_and_tls_rules() {
    let read = |pairs: &[(&'static str, &'static str)]| {
        let env = map(pairs);
        let mut r = reader(&env);
        let channel = email::settings(&mut r);
        assert!(r.errors().is_empty(), "{:?}", r.errors());
        channel
    };
    let Channel::Ready(email) = read(&[
        ("SMTP_HOST", "smtp.example.com"),
        ("SMTP_PORT", "465"),
        ("ALERT_EMAIL_RECIPIENTS", "a@example.com, b@example.com"),
    ]) else {
        panic!("email should be ready");
    };
    assert_eq!(email.recipients, ["a@example.com", "b@example.com"]);
    assert_eq!(email.sender, "alerts@digital-agency.ai");
    let email::EmailTransport::Smtp(smtp) = email.transport else {
        panic!("smtp expected");
    };
    assert_eq!((smtp.port, smtp.tls), (465, email::SmtpTls::Implicit));

    let plain = read(&[
        ("SMTP_HOST", "smtp.example.com"),
        ("SMTP_TLS", "none"),
        ("SMTP_USER", "u"),
        ("SMTP_PASSWORD", "p"),
        ("ALERT_EMAIL_RECIPIENTS", "a@example.com"),
    ]);
    let Channel::Incomplete(problems) = plain else {
        panic!("plain SMTP with credentials to a remote host must be refused");
    };
    assert_eq!(problems[0].var, "SMTP_TLS");

    let loopback = read(&[
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_TLS", "none"),
        ("SMTP_USER", "u"),
        ("SMTP_PASSWORD", "p"),
        ("ALERT_EMAIL_RECIPIENTS", "a@example.com"),
    ]);
    assert!(loopback.ready().is_some());
}

/// E-mail sent through SMTP does not read SendGrid's variables.
#[test]
fn smtp_email_ignores_sendgrid_settings() {
    let env = map(&[
        ("SMTP_HOST", "smtp.example.com"),
        ("ALERT_EMAIL_RECIPIENTS", "a@example.com"),
        ("SENDGRID_BASE_URL", "not a url"),
    ]);
    let mut r = reader(&env);
    assert!(email::settings(&mut r).ready().is_some());
    assert!(r.errors().is_empty(), "{:?}", r.errors());
}

#[test]
fn partial_channels_say_what_is_missing() {
    let env = map(&[
        ("SMTP_HOST", "smtp.example.com"),
        ("TWILIO_AUTH_TOKEN", "tok-12345"),
    ]);
    let mut r = reader(&env);
    let Channel::Incomplete(email) = email::settings(&mut r) else {
        panic!("email incomplete");
    };
    assert_eq!(email[0].var, "ALERT_EMAIL_RECIPIENTS");
    let Channel::Incomplete(sms) = sms::settings(&mut r) else {
        panic!("sms incomplete");
    };
    assert_eq!(
        error_vars(&sms),
        [
            "TWILIO_ACCOUNT_SID",
            "TWILIO_FROM_NUMBER",
            "ALERT_SMS_RECIPIENTS"
        ]
    );
}
