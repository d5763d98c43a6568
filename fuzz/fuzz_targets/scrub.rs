//! The last-line secret scrub. Properties: with secrets registered, no
//! registered form of any survives in text without a URL (whose scheme,
//! host and port are shown on purpose); text that holds none of them is
//! left exactly as it was.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{forget_secrets, register, registered_secrets, scrub};

#[derive(Arbitrary, Debug)]
struct Input {
    /// Few distinct characters, the mask's among them: the joins and
    /// overlaps that defeat a naive replace are then common.
    narrow: bool,
    secrets: Vec<String>,
    parts: Vec<String>,
}

fn narrow(text: &str) -> String {
    const ALPHABET: &[char] = &['a', 'x', '*', '%', '"', '\\', '/', ' ', '§'];
    text.chars()
        .map(|c| ALPHABET[c as usize % ALPHABET.len()])
        .collect()
}

fuzz_target!(|input: Input| {
    let shape = |t: &String| if input.narrow { narrow(t) } else { t.clone() };
    let secrets: Vec<String> = input.secrets.iter().map(shape).collect();
    let parts: Vec<String> = input.parts.iter().map(shape).collect();
    forget_secrets();
    for s in &secrets {
        register(s);
    }
    let forms = registered_secrets();
    let mut text = String::new();
    for (i, part) in parts.iter().enumerate() {
        text.push_str(part);
        if let Some(s) = secrets.get(i % secrets.len().max(1)) {
            text.push_str(s);
        }
    }
    let scrubbed = scrub(&text);
    if !text.contains("://") {
        for form in &forms {
            assert!(
                !scrubbed.contains(form.as_str()),
                "{form:?} left in {scrubbed:?} (from {text:?})"
            );
        }
    }
    if !forms.iter().any(|f| text.contains(f.as_str())) {
        assert_eq!(scrubbed, text.as_str());
    }
});
