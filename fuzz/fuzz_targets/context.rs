//! `alert send --context JSON`. Properties: an object is taken and reads
//! back the same after writing; anything else is refused naming
//! `--context`; deep nesting is refused, never a stack overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::parse_context;

fuzz_target!(|text: &str| {
    match parse_context(Some(text)) {
        Ok(map) => {
            let again = serde_json::to_string(&map).unwrap_or_default();
            assert_eq!(parse_context(Some(&again)).ok(), Some(map));
        }
        Err(e) => assert!(e.to_string().starts_with("--context: "), "{e}"),
    }
});
