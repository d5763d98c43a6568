//! `--format prometheus` with hostile text: service names (label values)
//! holding quotes, backslashes, line breaks, and any metric values.
//! Properties: the output still parses as the text format 0.0.4 — each
//! family's `# HELP` and `# TYPE` once, before its samples, which follow
//! each other; every sample `name{label="value",…} number` with only the
//! format's escapes; a finite value stays finite.
#![no_main]

use std::collections::HashSet;
use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{builtin_ids, prometheus};
use vitals_fuzz::{Result, results};

/// `{k="v",…}` at the start of `text`: what follows it.
fn labels(text: &str) -> Option<&str> {
    let mut rest = text.strip_prefix('{')?;
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Some(after);
        }
        let name_end = rest.find('=')?;
        let name = &rest[..name_end];
        let mut chars = name.chars();
        if !chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return None;
        }
        let value = rest[name_end + 1..].strip_prefix('"')?;
        let mut iter = value.char_indices();
        let end = loop {
            match iter.next()? {
                (_, '\\') => {
                    if !matches!(iter.next()?.1, '\\' | '"' | 'n') {
                        return None;
                    }
                }
                (_, '\n') => return None,
                (at, '"') => break at,
                _ => {}
            }
        };
        rest = &value[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

fn number(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "+Inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        _ => text.parse().ok().filter(|v: &f64| v.is_finite()),
    }
}

fuzz_target!(|input: Vec<Result>| {
    let ids = builtin_ids();
    let results = results(&input);
    let pairs: Vec<_> = results
        .iter()
        .enumerate()
        .map(|(i, r)| (ids[i % ids.len()], r))
        .collect();
    let out = prometheus::render(&pairs, UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    let finite_in = input
        .iter()
        .flat_map(|r| &r.metrics)
        .all(|(_, v, _, _)| v.is_none_or(f64::is_finite));
    let (mut helped, mut typed, mut done) = (HashSet::new(), HashSet::new(), HashSet::new());
    let mut current = String::new();
    for line in out.lines() {
        if let Some(help) = line.strip_prefix("# HELP ") {
            let name = help.split(' ').next().unwrap_or_default().to_owned();
            assert!(helped.insert(name.clone()), "HELP twice: {line:?}");
            if !current.is_empty() {
                done.insert(std::mem::take(&mut current));
            }
            assert!(!done.contains(&name), "{name} split: {out}");
            current = name;
        } else if let Some(kind) = line.strip_prefix("# TYPE ") {
            let (name, kind) = kind.split_once(' ').unwrap_or_default();
            assert!(name == current && typed.insert(name.to_owned()), "{line:?}");
            assert!(matches!(kind, "gauge" | "counter"), "{line:?}");
        } else {
            let name_end = line.find(['{', ' ']).unwrap_or(line.len());
            let name = &line[..name_end];
            assert!(
                name == current && typed.contains(name),
                "sample out of its family: {line:?}"
            );
            let rest = &line[name_end..];
            let rest = if rest.starts_with('{') {
                labels(rest).unwrap_or_else(|| panic!("labels of {line:?}"))
            } else {
                rest
            };
            let value = rest.strip_prefix(' ').and_then(number);
            let value = value.unwrap_or_else(|| panic!("value of {line:?}"));
            if finite_in {
                assert!(value.is_finite(), "{line:?}");
            }
        }
    }
});
