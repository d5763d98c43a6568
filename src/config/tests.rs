//! Loading whole configurations from fixed variables.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::*;

fn load(pairs: &[(&'static str, &'static str)]) -> Loaded {
    Config::load_from(&pairs.iter().copied().collect::<HashMap<_, _>>(), None)
}

fn error_vars(loaded: &Loaded) -> Vec<&'static str> {
    loaded.errors.iter().map(|e| e.var).collect()
}

#[test]
fn defaults_when_nothing_is_set() {
    let loaded = load(&[("HOME", "/home/op")]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let c = loaded.config;
    assert!(c.database.url.is_none());
    assert_eq!(c.database.connections_degraded_percent, 80.0);
    assert_eq!(c.agents.heartbeat_max_age, Duration::from_secs(480));
    assert_eq!(c.agents.queue_degraded_threshold, 100);
    assert_eq!(c.services.slow, Duration::from_millis(2000));
    assert_eq!(c.state.repeat_interval, Duration::from_secs(4 * 3600));
    assert_eq!(c.platform_name, "Digital Agency");
    let anthropic = &c.services.apis[0];
    assert_eq!(anthropic.service.name, "anthropic_api");
    assert!(anthropic.key.is_none());
    assert_eq!(
        anthropic.base_url.expose().as_str(),
        "https://api.anthropic.com/"
    );
    assert!(c.services.declared.is_empty());
    assert!(matches!(
        c.state.location,
        Some(StateLocation::File(ref p)) if p == Path::new("/home/op/.local/state/vitals/alerts.db")
    ));
    assert!(matches!(c.email, Channel::Unset));
    assert!(!c.any_channel_ready());
}

#[test]
fn malformed_values_name_their_variable() {
    let loaded = load(&[
        ("DATABASE_URL", "mysql://x"),
        ("SMTP_PORT", "abc"),
        ("EMAIL_PROVIDER", "pigeon"),
        ("AGENT_HEARTBEAT_MAX_AGE", "soon"),
        ("ALERT_SMS_RECIPIENTS", "+14155550123,0044"),
    ]);
    assert_eq!(
        error_vars(&loaded),
        [
            "DATABASE_URL",
            "AGENT_HEARTBEAT_MAX_AGE",
            "EMAIL_PROVIDER",
            "SMTP_PORT",
            "ALERT_SMS_RECIPIENTS"
        ]
    );
    let text = ConfigErrors(loaded.errors).to_string();
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
fn the_value_used_is_the_value_scrubbed() {
    // Quoted with a stray space in a .env: the key sent is the trimmed one.
    let loaded = load(&[("ANTHROPIC_API_KEY", " sk-trimmed-key-42 ")]);
    let key = loaded
        .config
        .services
        .apis
        .iter()
        .find_map(|api| api.key.clone());
    assert_eq!(key.as_ref().map(Secret::expose), Some("sk-trimmed-key-42"));
    assert_eq!(redact::scrub("echo: sk-trimmed-key-42"), "echo: ***");
}

#[test]
fn secret_values_are_never_echoed_in_errors() {
    let loaded = load(&[("DATABASE_URL", "not a url with pw-unique-7781")]);
    let text = ConfigErrors(loaded.errors).to_string();
    assert!(text.contains("DATABASE_URL"), "{text}");
    assert!(!text.contains("pw-unique-7781"), "{text}");
}

#[test]
fn smtp_channel_defaults_and_tls_rules() {
    let loaded = load(&[
        ("SMTP_HOST", "smtp.example.com"),
        ("SMTP_PORT", "465"),
        ("ALERT_EMAIL_RECIPIENTS", "a@example.com, b@example.com"),
    ]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let Channel::Ready(email) = loaded.config.email else {
        panic!("email should be ready");
    };
    assert_eq!(email.recipients, ["a@example.com", "b@example.com"]);
    assert_eq!(email.sender, "alerts@digital-agency.ai");
    let EmailTransport::Smtp(smtp) = email.transport else {
        panic!("smtp expected");
    };
    assert_eq!((smtp.port, smtp.tls), (465, SmtpTls::Implicit));

    let plain = load(&[
        ("SMTP_HOST", "smtp.example.com"),
        ("SMTP_TLS", "none"),
        ("SMTP_USER", "u"),
        ("SMTP_PASSWORD", "p"),
        ("ALERT_EMAIL_RECIPIENTS", "a@example.com"),
    ]);
    let Channel::Incomplete(problems) = plain.config.email else {
        panic!("plain SMTP with credentials to a remote host must be refused");
    };
    assert_eq!(problems[0].var, "SMTP_TLS");

    let loopback = load(&[
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_TLS", "none"),
        ("SMTP_USER", "u"),
        ("SMTP_PASSWORD", "p"),
        ("ALERT_EMAIL_RECIPIENTS", "a@example.com"),
    ]);
    assert!(loopback.config.email.ready().is_some());
}

#[test]
fn partial_channels_say_what_is_missing() {
    let loaded = load(&[
        ("SMTP_HOST", "smtp.example.com"),
        ("TWILIO_AUTH_TOKEN", "tok-12345"),
    ]);
    let Channel::Incomplete(email) = &loaded.config.email else {
        panic!("email incomplete");
    };
    assert_eq!(email[0].var, "ALERT_EMAIL_RECIPIENTS");
    let Channel::Incomplete(sms) = &loaded.config.sms else {
        panic!("sms incomplete");
    };
    let vars: Vec<_> = sms.iter().map(|e| e.var).collect();
    assert_eq!(
        vars,
        [
            "TWILIO_ACCOUNT_SID",
            "TWILIO_FROM_NUMBER",
            "ALERT_SMS_RECIPIENTS"
        ]
    );
}
