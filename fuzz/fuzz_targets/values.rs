//! The other typed variables: percentages, counts, milliseconds, rates
//! (`ALERT_RATE_LIMIT`) and names. Properties: a percentage is in (0, 100],
//! a count and milliseconds read exactly what a number says, a rate has a
//! count and a window above zero, a name has no control character; a
//! refusal says what was expected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{count, millis, name, percent, rate_limit};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let refused = match pick % 5 {
        0 => percent(text).map(|p| assert!(p > 0.0 && p <= 100.0, "{text:?}: {p}")),
        1 => count(text).map(|n| assert_eq!(Some(n), text.parse().ok())),
        2 => millis(text).map(|d| {
            if let Ok(ms) = text.parse::<u64>() {
                assert_eq!(d.as_millis(), u128::from(ms));
            }
        }),
        3 => rate_limit(text).map(|(n, per)| assert!(n > 0 && !per.is_zero(), "{text:?}")),
        _ => name(text).map(|n| assert!(n == text && !n.chars().any(char::is_control))),
    };
    if let Err(expected) = refused {
        assert!(
            expected.starts_with("a ") || expected.starts_with("an "),
            "{expected}"
        );
    }
});
