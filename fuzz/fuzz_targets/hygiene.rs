//! `VITALS_FAILURE_THRESHOLD`, `VITALS_SUCCESS_THRESHOLD` and
//! `VITALS_DEPENDS_ON`, with the checks `vitals.toml` declares (the first
//! line: their names, comma-separated; the rest: the value). Properties:
//! thresholds are read within 1 to MAX_THRESHOLD, each check once, or
//! refused saying what was expected; dependencies are read without a loop
//! (a check reaching itself), or refused saying what was expected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{CheckId, Dependencies, MAX_THRESHOLD, RunThreshold};

/// Whether `from` reaches itself through `deps` (depth first, each check once).
fn loops(deps: &Dependencies, from: CheckId) -> bool {
    let mut seen = vec![from];
    let mut stack = deps.of(from).to_vec();
    while let Some(next) = stack.pop() {
        if next == from {
            return true;
        }
        if !seen.contains(&next) {
            seen.push(next);
            stack.extend_from_slice(deps.of(next));
        }
    }
    false
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (names, value) = text.split_once('\n').unwrap_or(("", text));
    let declared: Vec<CheckId> = names
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .take(64)
        .map(CheckId::declared)
        .collect();
    match RunThreshold::parse(value, &declared) {
        Ok(t) => {
            assert!((1..=MAX_THRESHOLD).contains(&t.default));
            for (i, (id, n)) in t.per_check.iter().enumerate() {
                assert!((1..=MAX_THRESHOLD).contains(n));
                assert!(t.per_check[i + 1..].iter().all(|(other, _)| other != id));
            }
        }
        Err(e) => assert!(e.0.starts_with("a number of runs from 1 to "), "{}", e.0),
    }
    match Dependencies::parse(value, &declared) {
        Ok(deps) => {
            for (id, list) in &deps.0 {
                assert!(!list.contains(id), "{} depends on itself", id.key());
                assert!(!loops(&deps, *id), "{} reaches itself", id.key());
            }
        }
        Err(e) => assert!(
            e.0.starts_with("CHECK=DEPENDENCY pairs such as "),
            "{}",
            e.0
        ),
    }
});
