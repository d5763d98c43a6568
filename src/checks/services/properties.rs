//! The status mapping of `check services`. (`fuzz/` fuzzes the error bodies.)

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
