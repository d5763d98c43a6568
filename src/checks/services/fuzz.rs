//! Property tests over provider answers (`fuzz/run` runs them at scale; the
//! case count comes from `PROPTEST_CASES`).

use super::*;
use crate::net::http::Method;
use proptest::prelude::*;

fn response(status: u16, body: Vec<u8>) -> Response {
    Response {
        status,
        headers: Vec::new(),
        body,
        elapsed: Duration::ZERO,
    }
}

proptest! {
    #[test]
    fn provider_details_are_short_and_printable(body in prop_oneof![
        any::<Vec<u8>>(),
        ("[^\u{0}]{0,300}|[\u{0}-\u{1f}\u{1b}x]{0,20}", "[a-z_]{0,20}").prop_map(|(m, t)| serde_json::json!({"error": {"type": t, "message": m}, "category": t, "errors": [{"message": m}], "message": m}).to_string().into_bytes()),
        "[^\u{0}]{0,300}".prop_map(|m| serde_json::json!({"error": m}).to_string().into_bytes()),
    ]) {
        if let Some(detail) = provider_detail(&response(401, body)) {
            prop_assert!(!detail.is_empty());
            prop_assert!(detail.chars().count() <= DETAIL_MAX_CHARS + 1, "{}", detail.chars().count());
            prop_assert!(!detail.chars().any(char::is_control), "{detail:?}");
        }
    }

    /// Every status is judged, and only the expected ones are healthy.
    #[test]
    fn every_status_is_judged(status in 100u16..1000, body in any::<Vec<u8>>(), slow in any::<bool>()) {
        let mut request = Request::new(Method::Get, url::Url::parse("http://svc.test/").unwrap_or_else(|_| unreachable!()), Duration::from_secs(1));
        request = request.truncate_body_at(BODY_CAP);
        let probe = Probe {
            name: "svc".into(),
            kind: Kind::Api,
            request,
            expect: StatusSet::range(200..=299),
            body_contains: None,
            slow: if slow { Duration::ZERO } else { Duration::from_secs(60) },
            timeout: None,
            critical: false,
            alerts: crate::config::AlertFields::default(),
        };
        let r = judge(&probe, &Response { elapsed: Duration::from_millis(1), ..response(status, body) });
        prop_assert_eq!(r.status_code, Some(status));
        let expected = match status {
            200..=299 if slow => Status::Degraded,
            200..=299 => Status::Healthy,
            429 => Status::Degraded,
            _ => Status::Unhealthy,
        };
        prop_assert_eq!(r.status, expected);
    }
}
