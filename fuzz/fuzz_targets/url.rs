//! `parse_url`, for every scheme set a variable takes. Properties: what is
//! accepted has one of the schemes and a host (or libpq's `host=`), and the
//! connection code takes it too; what is refused says why without quoting
//! the whole value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{Invalid, connectable, parse_url};

const SCHEMES: &[&[&str]] = &[
    &["postgres", "postgresql"],
    &["redis", "rediss", "unix", "redis+unix", "valkey", "valkeys"],
    &["http", "https"],
    &["https"],
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let schemes = SCHEMES[usize::from(pick) % SCHEMES.len()];
    match parse_url(text, schemes) {
        Ok(url) => {
            assert!(schemes.contains(&url.scheme()), "{text:?}");
            if let Err(e) = connectable(&url) {
                panic!("{text:?} is accepted but the connection code refuses it: {e}");
            }
        }
        Err(Invalid::Expected(expected)) => assert!(
            expected.0.starts_with("a URL starting with ")
                || expected.0.starts_with("a valid URL ("),
            "{expected}"
        ),
        Err(Invalid::Part(problem)) => {
            assert!(!problem.is_empty());
            // Long enough not to be a part by chance.
            if text.chars().count() > 24 {
                assert!(!problem.contains(text), "{problem}");
            }
        }
    }
});
