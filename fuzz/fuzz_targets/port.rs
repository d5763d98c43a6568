//! `parse_port` (`SMTP_PORT`). Property: exactly 1 to 65535, as written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::parse_port;

fuzz_target!(|text: &str| {
    let expected = text.parse::<u16>().ok().filter(|p| *p > 0);
    assert_eq!(parse_port(text).ok(), expected, "{text:?}");
});
