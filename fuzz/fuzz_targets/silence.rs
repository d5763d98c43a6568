//! `alert silence --until` and `--match` (the first five bytes: now, in
//! seconds up to 2100; then `--until` on the first line and one `--match`
//! on each line after). Properties: `--until` is a time after now (an RFC
//! 3339 time read exactly), or refused naming `--until`; `--match` gives
//! labels of Prometheus' syntax with the values written, or is refused
//! naming `--match` (or the label matched twice).
#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{silence_matches, silence_until};

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

fuzz_target!(|data: &[u8]| {
    let Some((clock, rest)) = data.split_at_checked(5) else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let seconds = clock.iter().fold(0i64, |acc, b| (acc << 8) | i64::from(*b)) % 4_102_444_800;
    let Some(now) = DateTime::<Utc>::from_timestamp(seconds, 0) else {
        return;
    };
    let mut lines = text.split('\n');
    let until = lines.next().unwrap_or_default();
    match silence_until(until, now) {
        Ok(end) => {
            assert!(end > now.timestamp_millis(), "{until:?} at {now}: {end}");
            if let Ok(at) = DateTime::parse_from_rfc3339(until.trim()) {
                assert_eq!(end, at.timestamp_millis());
            }
        }
        Err(e) => assert!(e.starts_with("--until "), "{e}"),
    }
    let items: Vec<String> = lines.map(str::to_owned).collect();
    match silence_matches(&items) {
        Ok(labels) => {
            for (name, value) in &labels {
                assert!(valid_name(name), "{name:?}");
                assert!(
                    !value.is_empty() && value.chars().count() <= 200,
                    "{value:?}"
                );
                assert!(!value.chars().any(char::is_control), "{value:?}");
            }
            for item in &items {
                let (name, value) = item.split_once('=').unwrap_or_default();
                assert!(
                    labels.iter().any(|(n, v)| n == name.trim() && v == value),
                    "{item:?}"
                );
            }
        }
        Err(e) => assert!(
            e.starts_with("--match ") || e.contains("matched twice"),
            "{e}"
        ),
    }
});
