//! Invariants of `expect_status` ranges. (`fuzz/` fuzzes the whole file.)

use super::*;
use proptest::prelude::*;

proptest! {
    #[test]
    fn status_ranges_are_inside_what_was_written(text in prop_oneof![any::<String>(), "[0-9]{0,4}(xx|XX|-[0-9]{0,4})?"]) {
        if let Some(r) = parse_status_range(&text) {
            prop_assert!(r.start() <= r.end(), "{text:?} gave {r:?}");
        }
    }
}
