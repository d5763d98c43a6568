//! The error bodies of the APIs `check services` probes (Anthropic's
//! `{"error":{"type","message"}}`, HubSpot's `{"category"}`, SendGrid's
//! `{"errors":[…]}`, a plain `message` or `error`). Property: what is
//! quoted is one non-empty printable line of at most 200 characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{response, service_detail};

fuzz_target!(|data: &[u8]| {
    let r = response(401, Vec::new(), data.to_vec());
    if let Some(detail) = service_detail(&r) {
        assert!(!detail.is_empty());
        assert!(detail.chars().count() <= 201, "{}", detail.chars().count());
        assert!(!detail.chars().any(char::is_control), "{detail:?}");
    }
});
