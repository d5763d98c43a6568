//! RQ's times read back as RQ writes them. (`fuzz/` fuzzes the registry
//! readers.)

use super::*;
use proptest::prelude::*;

proptest! {
    #[test]
    fn rq_times_round_trip(secs in 0i64..4_102_444_800, micros in 0u32..1_000_000, fraction in any::<bool>()) {
        let Some(t) = DateTime::from_timestamp(secs, micros * 1000) else { return Ok(()) };
        let (text, expected) = if fraction {
            (t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(), t)
        } else {
            (t.format("%Y-%m-%dT%H:%M:%SZ").to_string(), DateTime::from_timestamp(secs, 0).unwrap_or(t))
        };
        prop_assert_eq!(parse_rq_time(&text), Some(expected));
    }
}
