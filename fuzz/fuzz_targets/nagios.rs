//! `--format nagios` with hostile text: messages and service names (from
//! vitals.toml) holding `|`, `;`, `'`, `=`, line breaks and escapes, and any
//! metric values. Properties: the output still parses as plugin output —
//! the status line is `VITALS STATE - summary`, the state the worst
//! status's, with at most one `|` before the perfdata; every perfdata item
//! is `'label'=value[UOM];warn;crit;min;max` with numbers or `U`; no long
//! output line holds `|`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{Status, builtin_ids, nagios};
use vitals_fuzz::{Result, results};

fn is_number(text: &str) -> bool {
    !text.is_empty()
        && text
            .strip_prefix('-')
            .unwrap_or(text)
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && text.parse::<f64>().is_ok_and(f64::is_finite)
}

/// One perfdata item; `None` when it does not parse.
fn perf_item(item: &str) -> Option<()> {
    let rest = item.strip_prefix('\'')?;
    // The label ends at a `'` not doubled.
    let mut chars = rest.char_indices().peekable();
    let end = loop {
        let (at, c) = chars.next()?;
        if c == '\'' {
            if chars.peek().map(|(_, c)| *c) == Some('\'') {
                chars.next();
            } else {
                break at;
            }
        }
    };
    let label = &rest[..end];
    if label.contains('=') || label.chars().any(char::is_control) {
        return None;
    }
    let fields = rest[end + 1..].strip_prefix('=')?;
    let mut fields = fields.split(';');
    let value = fields.next()?;
    if value != "U" {
        let number = value.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%');
        let uom = &value[number.len()..];
        if !is_number(number) || !["", "ms", "%", "B", "c"].contains(&uom) {
            return None;
        }
    }
    let rest: Vec<&str> = fields.collect();
    (rest.len() <= 4 && rest.iter().all(|f| f.is_empty() || is_number(f))).then_some(())
}

/// Perfdata items are separated by spaces outside quotes.
fn perf_items(text: &str) -> Vec<String> {
    let (mut items, mut current, mut quoted) = (Vec::new(), String::new(), false);
    for c in text.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                current.push(c);
            }
            ' ' if !quoted => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    items.push(current);
    items.into_iter().filter(|i| !i.is_empty()).collect()
}

fuzz_target!(|input: Vec<Result>| {
    let ids = builtin_ids();
    let results = results(&input);
    let pairs: Vec<_> = results
        .iter()
        .enumerate()
        .map(|(i, r)| (ids[i % ids.len()], r))
        .collect();
    let out = nagios::render(&pairs);
    let mut lines = out.split('\n');
    let first = lines.next().unwrap_or_default();
    let worst = [Status::Unhealthy, Status::Degraded, Status::Healthy]
        .into_iter()
        .find(|s| results.iter().any(|r| r.status == *s));
    let state = match worst {
        Some(Status::Unhealthy) => "CRITICAL",
        Some(Status::Degraded) => "WARNING",
        Some(_) => "OK",
        None => "UNKNOWN",
    };
    assert!(
        first.starts_with(&format!("VITALS {state} - ")),
        "{first:?}"
    );
    let mut halves = first.splitn(2, '|');
    let summary = halves.next().unwrap_or_default();
    assert!(!summary.contains('|'));
    if let Some(perf) = halves.next() {
        assert!(perf.starts_with(' '), "{first:?}");
        for item in perf_items(perf) {
            assert!(perf_item(&item).is_some(), "{item:?} in {first:?}");
        }
    }
    for line in lines {
        assert!(!line.contains('|'), "{line:?}");
    }
});
