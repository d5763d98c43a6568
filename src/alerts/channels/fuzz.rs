//! Property tests over what providers send back and what users put in an
//! alert (`fuzz/run` runs them at scale; the case count comes from `PROPTEST_CASES`).

use super::*;
use crate::alerts::retry::{self, body_excerpt};
use crate::alerts::{Event, Severity, parse_context};
use proptest::prelude::*;
use std::time::Duration;

/// Bodies that look like each provider's error JSON, and anything else.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let text = "[^\u{0}]{0,40}|[\u{0}-\u{1f}\u{7f}\u{1b}a ]{0,40}";
    prop_oneof![
        any::<Vec<u8>>(),
        (text, any::<i64>(), text).prop_map(|(m, code, more)| serde_json::json!({"code": code, "message": m, "more_info": more}).to_string().into_bytes()),
        prop::collection::vec((text, prop::option::of(text)), 0..4).prop_map(|errors| serde_json::json!({"errors": errors.iter().map(|(m, f)| serde_json::json!({"message": m, "field": f})).collect::<Vec<_>>()}).to_string().into_bytes()),
        (text, prop::collection::vec(text, 0..3)).prop_map(|(m, e)| serde_json::json!({"status": "invalid event", "message": m, "errors": e}).to_string().into_bytes()),
        "[a-z_]{0,20}".prop_map(String::into_bytes),
    ]
}

/// A provider's error-body reader.
type Reader = fn(&http::Response) -> String;

fn response(status: u16, body: Vec<u8>, retry_after: Option<String>) -> http::Response {
    http::Response {
        status,
        headers: retry_after
            .map(|v| ("Retry-After".to_owned(), v))
            .into_iter()
            .collect(),
        body,
        elapsed: Duration::ZERO,
    }
}

proptest! {
    /// Every provider's error reader makes one bounded, printable line
    /// from whatever came back, and the judgement follows the status.
    #[test]
    fn provider_errors_are_one_bounded_line(
        status in 100u16..600,
        body in body(),
        retry_after in prop::option::of("[0-9 a-zA-Z,:]{0,24}"),
    ) {
        let r = response(status, body, retry_after);
        let readers: [(&str, Reader); 4] = [
            ("slack", body_excerpt),
            ("twilio", sms::describe),
            ("sendgrid", sendgrid::describe),
            ("pagerduty", pagerduty::describe),
        ];
        for (name, describe) in readers {
            let step = retry::judge(r.clone(), 202..=202, describe);
            prop_assert_eq!(step.status, Some(status));
            match step.result {
                Ok(_) => prop_assert_eq!(status, 202),
                Err(f) => {
                    prop_assert!(f.error.starts_with(&format!("HTTP {status}: ")), "{name}: {}", f.error);
                    prop_assert!(f.error.chars().count() <= 320, "{name}: {} characters", f.error.chars().count());
                    prop_assert!(!f.error.chars().any(char::is_control), "{name}: {:?}", f.error);
                    prop_assert_eq!(f.retryable, matches!(status, 408 | 429 | 500..=599), "{}", name);
                    if !matches!(status, 429 | 503) {
                        prop_assert_eq!(f.retry_after, None);
                    }
                }
            }
        }
    }

    /// `--context`: an object is taken as it is; anything else is refused, never a panic.
    #[test]
    fn context_is_an_object_or_an_error(text in prop_oneof![any::<String>(), "[\\[\\]{}\":,a-z0-9 \\\\]{0,64}"]) {
        match parse_context(Some(&text)) {
            Ok(map) => {
                let again = serde_json::to_string(&map).unwrap_or_default();
                prop_assert_eq!(parse_context(Some(&again)), Ok(map));
            }
            Err(e) => prop_assert!(e.to_string().starts_with("--context: "), "{e}"),
        }
    }

    #[test]
    fn deeply_nested_context_is_refused_without_overflow(depth in prop_oneof![0usize..300, 0usize..20_000]) {
        let text = format!("{{\"a\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
        let parsed = parse_context(Some(&text));
        // serde_json stops at 128 levels instead of recursing without end.
        if depth < 127 {
            prop_assert!(parsed.is_ok(), "{depth}: {parsed:?}");
        } else {
            prop_assert_eq!(parsed.err().map(|e| e.to_string().starts_with("--context: not valid JSON (recursion limit exceeded")), Some(true));
        }
    }

    /// Whatever the alert says, the subject stays one header line, the
    /// HTML has no markup of the user's and Slack gets no raw `<` or `>`.
    #[test]
    fn rendered_alerts_escape_everything(
        alert_type in "[^\u{0}-\u{1f}\u{7f}-\u{9f}]{1,40}",
        message in any::<String>(),
        note in any::<String>(),
        platform in any::<String>(),
    ) {
        let mut context = serde_json::Map::new();
        context.insert("note".into(), serde_json::Value::String(note));
        let alert = Alert::new(&alert_type, Severity::Critical, &format!("m{message}"), context);
        let Ok(alert) = alert else {
            // Only a blank type is refused.
            prop_assert!(alert_type.trim().is_empty());
            return Ok(());
        };
        for event in [Event::Trigger, Event::Resolve] {
            let email = email::compose(&alert, event, &platform);
            prop_assert!(!email.subject.chars().any(char::is_control), "{:?}", email.subject);
            let user_html = [&alert.alert_type, &alert.message, &platform];
            for text in user_html {
                let escaped = email::html_escape(text);
                prop_assert!(!escaped.contains(['<', '>', '"', '\'']));
                prop_assert!(email.html.contains(&escaped));
            }
            let body = slack::payload(&alert, event, &platform, None);
            let attachment = &body["attachments"][0];
            for field in ["title", "text", "fallback", "footer"] {
                let value = attachment[field].as_str().unwrap_or_default();
                prop_assert!(!value.contains(['<', '>']), "{field}: {value:?}");
            }
        }
        prop_assert!(sms::text(&alert).chars().count() <= "CRITICAL ALERT: \n".len() + alert.alert_type.chars().count() + sms::MESSAGE_CHARS);
    }
}
