//! `parse_email` (`ALERT_EMAIL_*`, `SMTP_FROM`). Property: what is accepted
//! goes into a mail header unchanged (no line break, no control character,
//! no space, one `@`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::parse_email;

fuzz_target!(|text: &str| {
    match parse_email(text) {
        Ok(address) => {
            assert_eq!(address, text);
            assert!(
                !address.chars().any(|c| c.is_control() || c.is_whitespace()),
                "{address:?}"
            );
            assert_eq!(address.matches('@').count(), 1, "{address:?}");
        }
        Err(e) => assert_eq!(e.0, "an e-mail address"),
    }
});
