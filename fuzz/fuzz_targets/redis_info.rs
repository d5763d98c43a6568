//! Redis `INFO`, as `check cache` reads it. Properties: a memory
//! percentage is finite and not negative and comes with its limit; the
//! limit's source is given exactly when there is a limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::redis_info;

fuzz_target!(|text: &str| {
    let facts = redis_info(text);
    if let Some(p) = facts["memory_usage_percent"].as_f64() {
        assert!(p.is_finite() && p >= 0.0, "{p}");
        assert!(
            facts["memory_limit_bytes"].as_u64().is_some_and(|l| l > 0),
            "{facts}"
        );
    }
    assert_eq!(
        facts["memory_limit_source"].is_string(),
        facts["memory_limit_bytes"].is_u64(),
        "{facts}"
    );
});
