//! What Slack, Twilio, SendGrid and PagerDuty answer, read by each one's
//! error reader and the retry judgement (with `Retry-After`). Properties:
//! the expected status is a delivery; any other is one printable line of
//! bounded length starting with the status, retried exactly for 408, 429
//! and 5xx, with a wait only for 429 and 503 and only as `Retry-After` says.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{provider_errors, response, retry_after};

#[derive(Arbitrary, Debug)]
struct Input {
    status: u16,
    retry_after: Option<String>,
    body: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let status = 100 + input.status % 500;
    let headers = input
        .retry_after
        .map(|v| ("Retry-After".to_owned(), v))
        .into_iter()
        .collect();
    let r = response(status, headers, input.body);
    // A date is a wait from now; seconds are read exactly.
    let now = chrono::DateTime::from_timestamp(1_445_412_400, 0).unwrap_or_default();
    let wait = retry_after(&r, now);
    let seconds = r.headers.first().and_then(|(_, v)| v.trim().parse::<u64>().ok());
    if let Some(seconds) = seconds {
        assert_eq!(wait, Some(Duration::from_secs(seconds)));
    }
    for (name, result) in provider_errors(&r, 202) {
        match result {
            Ok(()) => assert_eq!(status, 202, "{name}"),
            Err(f) => {
                assert!(
                    f.error.starts_with(&format!("HTTP {status}: ")),
                    "{name}: {}",
                    f.error
                );
                assert!(
                    f.error.chars().count() <= 320,
                    "{name}: {} characters",
                    f.error.chars().count()
                );
                assert!(
                    !f.error.chars().any(char::is_control),
                    "{name}: {:?}",
                    f.error
                );
                assert_eq!(
                    f.retryable,
                    matches!(status, 408 | 429 | 500..=599),
                    "{name}"
                );
                // 429 and 503 come with their Retry-After.
                let expected = if matches!(status, 429 | 503) { wait } else { None };
                assert_eq!(f.retry_after, expected, "{name}");
            }
        }
    }
});
