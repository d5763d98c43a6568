//! `--label NAME=VALUE` (repeatable) and the alert identity made of them.
//! Properties: the labels taken follow Prometheus' syntax and none is
//! vitals' own; a refusal names `--label`; the identity `type{…}` reads
//! back to exactly the type and labels given (its escaping round-trips),
//! and its fingerprint is 12 hex digits.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{RESERVED, identity, parse_user_labels};

#[derive(Arbitrary, Debug)]
struct Input {
    alert_type: String,
    items: Vec<String>,
}

/// `name="value",…` as Prometheus reads label sets.
fn read_labels(mut text: &str) -> Option<BTreeMap<String, String>> {
    let mut labels = BTreeMap::new();
    while !text.is_empty() {
        let (name, rest) = text.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next()? {
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    c @ ('\\' | '"') => value.push(c),
                    _ => return None,
                },
                (at, '"') => break at,
                (_, c) => value.push(c),
            }
        };
        labels.insert(name.to_owned(), value);
        text = &rest[end + 1..];
        text = text.strip_prefix(',').unwrap_or(text);
    }
    Some(labels)
}

fuzz_target!(|input: Input| {
    let labels = match parse_user_labels(&input.items) {
        Ok(labels) => labels,
        Err(e) => {
            assert!(e.to_string().starts_with("--label"), "{e}");
            return;
        }
    };
    for (name, value) in &labels {
        let mut chars = name.chars();
        assert!(
            chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_'),
            "{name:?}"
        );
        assert!(
            chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.starts_with("__"),
            "{name:?}"
        );
        assert!(!RESERVED.contains(&name.as_str()), "{name}");
        assert!(
            !value.is_empty() && !value.chars().any(char::is_control),
            "{value:?}"
        );
    }
    // Alert types are the checks' names or what `alert send --type` takes.
    if input.alert_type.is_empty() || input.alert_type.contains(['{', '}', '"', '=', ',', '\\']) {
        return;
    }
    let Ok((text, fingerprint)) = identity(&input.alert_type, &labels) else {
        return;
    };
    assert_eq!(fingerprint.len(), 12);
    assert!(
        fingerprint.chars().all(|c| c.is_ascii_hexdigit()),
        "{fingerprint}"
    );
    if labels.is_empty() {
        assert_eq!(text, input.alert_type);
    } else {
        let inner = text
            .strip_prefix(input.alert_type.as_str())
            .and_then(|t| t.strip_prefix('{'))
            .and_then(|t| t.strip_suffix('}'));
        let read = inner.and_then(read_labels);
        assert_eq!(read.as_ref(), Some(&labels), "{text:?}");
    }
});
