//! `parse_phone` (`ALERT_SMS_RECIPIENTS`, `TWILIO_FROM_NUMBER`). Property:
//! exactly E.164 (`+`, a non-zero digit, 2 to 15 ASCII digits in all).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::parse_phone;

fuzz_target!(|text: &str| {
    let digits = text.strip_prefix('+').unwrap_or("");
    let e164 = (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    match parse_phone(text) {
        Ok(n) => assert!(e164 && n == text, "{text:?}"),
        Err(e) => {
            assert!(!e164, "{text:?}");
            assert_eq!(e.0, "a phone number in E.164 form, such as +14155550123");
        }
    }
});
