//! `VITALS_ALERT_SEVERITY` (`CHECK=SEVERITY` pairs). Properties: each
//! check is named at most once; a refusal says what was expected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::failure_severity;

fuzz_target!(|text: &str| {
    match failure_severity(text) {
        Ok(pairs) => {
            for (i, (id, _)) in pairs.iter().enumerate() {
                assert!(
                    pairs[i + 1..].iter().all(|(other, _)| other != id),
                    "{text:?}: {pairs:?}"
                );
            }
        }
        Err(e) => assert!(
            e.starts_with("CHECK=SEVERITY pairs such as database=critical,cache=error ("),
            "{e}"
        ),
    }
});
