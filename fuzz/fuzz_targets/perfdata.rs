//! A plugin's performance data (`'label'=value[UOM];warn;crit;min;max`, as
//! `kind = "command"` checks read it after the `|`). Properties: every item
//! is read or skipped, never a failure; an item read has a label and a
//! finite value (or `U`); a skip message is short; written out and read
//! again, what was read reads back the same, with nothing skipped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{PerfItem, perfdata};

fn written(items: &[PerfItem]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let first = perfdata(text);
    for item in &first.items {
        assert!(!item.label.is_empty(), "{item:?}");
        assert!(item.value.is_none_or(f64::is_finite), "{item:?}");
        for bound in [item.min, item.max].into_iter().flatten() {
            assert!(bound.is_finite(), "{item:?}");
        }
    }
    for skipped in &first.skipped {
        assert!(skipped.chars().count() < 200, "{skipped}");
    }
    let second = perfdata(&written(&first.items));
    assert_eq!(second.skipped, Vec::<String>::new(), "{:?}", first.items);
    assert_eq!(second.items.len(), first.items.len());
    for (a, b) in first.items.iter().zip(&second.items) {
        assert_eq!(a.label, b.label);
        assert_eq!(a.uom, b.uom);
    }
    assert_eq!(perfdata(&written(&second.items)).items, second.items);
});
