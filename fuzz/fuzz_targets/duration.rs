//! `parse_duration` (every `*_TIMEOUT`, the repeat interval, `timeout` in
//! vitals.toml). Property: a duration is above zero and at most 366 days,
//! and a number of seconds reads as exactly that; a refusal says what was
//! expected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::config::MAX_DURATION;
use vitals::fuzzing::parse_duration;

fuzz_target!(|text: &str| {
    match parse_duration(text) {
        Ok(d) => {
            assert!(!d.is_zero() && d <= MAX_DURATION, "{text:?}: {d:?}");
            if let Ok(secs) = text.parse::<u64>() {
                assert_eq!(d.as_secs(), secs);
            }
        }
        Err(e) => assert!(
            e.0.starts_with("a duration such as 500ms, 5s, 2m or 4h"),
            "{e}"
        ),
    }
});
