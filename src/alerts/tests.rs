//! The alert model and its records.

use chrono::Utc;
use serde_json::{Map, Value};

use super::alert::clean_message;
use super::channels::{slack, sms};
use super::*;
use crate::exit::Exit;

#[test]
fn attempt_errors_are_scrubbed_single_lines() {
    crate::redact::register("attempt-secret-991");
    let attempt = Attempt::new(
        Timestamp::now(),
        1.0,
        Some(500),
        Some("server said: token attempt-secret-991\nwas\trejected"),
    );
    assert_eq!(
        attempt.error.as_deref(),
        Some("server said: token *** was rejected")
    );
}

fn alert(severity: Severity) -> Alert {
    let made = Alert::new("disk_full", severity, "disk / is 97% full", Map::new());
    made.unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn alert_json_round_trips_unchanged() {
    let mut a = alert(Severity::Critical);
    a.context.insert("host".into(), Value::String("db1".into()));
    a.deliveries.push(Delivery::finished(
        sms::CHANNEL.id(),
        "twilio",
        "+14155550101".into(),
        Ok::<_, String>(Accepted {
            id: Some("SM1".into()),
            status: Some("queued".into()),
        }),
        vec![Attempt {
            at: Timestamp::now(),
            duration_ms: 12.5,
            status: Some(201),
            error: None,
        }],
    ));
    let text = serde_json::to_string(&a).unwrap_or_default();
    let back: Result<Alert, _> = serde_json::from_str(&text);
    assert_eq!(back.ok().as_ref(), Some(&a), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap_or_default();
    assert_eq!(v["severity"], "critical");
    assert_eq!(v["status"], "active");
    assert_eq!(v["occurrences"], 1);
    assert_eq!(v["acknowledged_at"], Value::Null);
    assert_eq!(v["deliveries"][0]["channel"], "sms");
    assert_eq!(v["deliveries"][0]["provider"], "twilio");
    assert_eq!(v["deliveries"][0]["outcome"], "delivered");
    assert_eq!(v["deliveries"][0]["attempts"], 1);
    assert_eq!(v["deliveries"][0]["provider_id"], "SM1");
    let ts = v["triggered_at"].as_str().unwrap_or_default();
    assert_eq!(ts.len(), "2026-11-28T07:41:37.016Z".len(), "{ts}");
    assert!(ts.ends_with('Z'), "{ts}");
}

#[test]
fn ids_are_short_hex_and_differ_by_type_and_time() {
    let t = Utc::now();
    let id = alert_id("disk_full", t);
    assert_eq!(id.len(), 12);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    assert_eq!(id, alert_id("disk_full", t), "stable");
    assert_ne!(id, alert_id("disk_fulL", t));
    assert_ne!(
        id,
        alert_id("disk_full", t + chrono::Duration::nanoseconds(1))
    );
}

#[test]
fn context_must_be_an_object() {
    assert_eq!(parse_context(None), Ok(Map::new()));
    let ok = parse_context(Some(r#"{"a":1}"#)).unwrap_or_default();
    assert_eq!(ok.get("a"), Some(&Value::from(1)));
    assert_eq!(
        parse_context(Some("[1]")),
        Err(InputError::ContextNotObject("an array"))
    );
    assert!(matches!(
        parse_context(Some("{oops")),
        Err(InputError::ContextSyntax(_))
    ));
}

/// Found by fuzzing: a long number was read one bit off, so the stored
/// context differed from the one given, and read back as yet another value.
#[test]
fn context_numbers_are_kept_exactly() {
    let number = format!("3{}6.5", "5".repeat(86));
    let context = parse_context(Some(&format!(r#"{{"x":{number}}}"#))).unwrap_or_default();
    assert_eq!(context["x"].as_f64(), number.parse::<f64>().ok());
    let again = serde_json::to_string(&context).unwrap_or_default();
    assert_eq!(parse_context(Some(&again)), Ok(context));
}

#[test]
fn messages_are_cleaned_and_cut() {
    assert_eq!(
        clean_message("a\0b\x1b[2J\r\nc\td"),
        "a\u{FFFD}b\u{FFFD}[2J\nc\td"
    );
    let long = "ж".repeat(MAX_MESSAGE_BYTES);
    let cut = clean_message(&long);
    assert_eq!(
        cut,
        format!(
            "{}… [cut at {MAX_MESSAGE_BYTES} bytes]",
            "ж".repeat(MAX_MESSAGE_BYTES / 2)
        )
    );
    let odd = format!("x{}", "ж".repeat(MAX_MESSAGE_BYTES / 2));
    assert!(
        clean_message(&odd).starts_with(&format!("x{}…", "ж".repeat(MAX_MESSAGE_BYTES / 2 - 1)))
    );
}

#[test]
fn bad_types_and_messages_are_refused() {
    for bad in ["", "  ", "a\nb", &"x".repeat(201)] {
        assert_eq!(
            Alert::new(bad, Severity::Info, "m", Map::new()).err(),
            Some(InputError::BadType),
            "{bad:?}"
        );
    }
    assert_eq!(
        Alert::new("t", Severity::Info, " ", Map::new()).err(),
        Some(InputError::EmptyMessage)
    );
}

#[test]
fn exit_codes_follow_the_deliveries() {
    let d = |outcome| {
        Delivery::not_sent(
            slack::CHANNEL.id(),
            Some("slack"),
            "x".into(),
            outcome,
            String::new(),
        )
    };
    use Outcome::*;
    assert_eq!(exit_for(&[d(Delivered), d(Skipped)]), Exit::Ok);
    assert_eq!(exit_for(&[d(Delivered), d(Failed)]), Exit::Warning);
    assert_eq!(exit_for(&[d(Failed), d(Failed)]), Exit::Critical);
    assert_eq!(exit_for(&[d(Skipped)]), Exit::Critical);
}

#[test]
fn severities_order_and_label() {
    assert!(Severity::Critical > Severity::Error && Severity::Warning > Severity::Info);
    assert_eq!(Severity::Warning.label(), "WARNING");
}

#[test]
fn a_declared_checks_severity_field_takes_every_severity_and_no_other() {
    use strum::IntoEnumIterator;
    let names: Vec<String> = Severity::iter().map(|s| s.to_string()).collect();
    assert_eq!(names, crate::config::SEVERITIES);
}
