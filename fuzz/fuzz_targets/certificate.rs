//! A server's certificate as `kind = "tls"` checks read its expiry
//! (`notAfter`, from the DER a TLS handshake hands over). Properties: any
//! bytes give an expiry or none, never a panic; an expiry read is written
//! in the bytes (as UTCTime for 1950 to 2049, or GeneralizedTime); a real
//! certificate cut short gives none, whole it gives its own.
#![no_main]

use chrono::{DateTime, Datelike, Utc};
use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::not_after;

/// A real certificate (`notAfter` 2040-02-29T00:00:00Z, as UTCTime).
const REAL: &[u8] = include_bytes!("../seeds/certificate/utctime-2040-02-29.der");

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn written_in(data: &[u8], t: DateTime<Utc>) -> bool {
    let general = t.format("%Y%m%d%H%M%SZ").to_string();
    let utc = t.format("%y%m%d%H%M%SZ").to_string();
    contains(data, general.as_bytes())
        || ((1950..2050).contains(&t.year()) && contains(data, utc.as_bytes()))
}

fuzz_target!(|data: &[u8]| {
    if let Some(t) = not_after(data) {
        assert!(written_in(data, t), "{t} is not in the bytes");
    }
    // The first two bytes cut the real certificate somewhere.
    let cut = match data {
        [a, b, ..] => usize::from(u16::from_be_bytes([*a, *b])) % (REAL.len() + 1),
        _ => REAL.len(),
    };
    let expected = (cut == REAL.len()).then_some("2040-02-29T00:00:00+00:00".to_owned());
    assert_eq!(
        not_after(&REAL[..cut]).map(|t| t.to_rfc3339()),
        expected,
        "cut at {cut}"
    );
});
