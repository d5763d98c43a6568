//! Text shared by every part of vitals: outside text made safe to print or
//! store, and times as vitals writes them.

use std::borrow::Cow;
use std::time::Duration;

use crate::redact;

/// Text from outside (server replies, error bodies) made safe for a
/// terminal: a control character could move the cursor, recolour the screen
/// or hide a line, so each one but line breaks and tabs becomes `\u{FFFD}`.
pub fn printable(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if text.chars().any(unsafe_char) {
        Cow::Owned(
            text.chars()
                .map(|c| if unsafe_char(c) { '\u{FFFD}' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// Text from outside as one short line: control characters and runs of
/// whitespace become one space, and at most `max` characters are kept.
/// Secrets are scrubbed first: a cut through one would leave a piece of it
/// that the scrub on the way out no longer recognises.
pub fn one_line(text: &str, max: usize) -> String {
    let spaced: String = redact::scrub(text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cut(
        &spaced.split_whitespace().collect::<Vec<_>>().join(" "),
        max,
    )
}

/// The first `max` characters of `text` (never a partial UTF-8 sequence), with `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// A duration in a message for people: whole milliseconds below one second
/// (`494 ms`), seconds with one decimal from one second on (`5.0 s`). Every
/// message that states a time says it this way, whatever measured it.
pub fn duration(d: Duration) -> String {
    match d.as_millis() {
        ms @ 0..1000 => format!("{ms} ms"),
        _ => format!("{:.1} s", d.as_secs_f64()),
    }
}

/// How long ago something was, for people: as [`duration`] below a
/// minute, then whole minutes and seconds, then hours and minutes.
pub fn ago(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..60 => duration(d),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// "slow: SELECT 1 took 1.2 s (threshold 1.0 s)": how every check says a
/// time went over its threshold; `what` ends with its verb ("answered in").
pub fn slow(what: &str, took: Duration, threshold: Duration) -> String {
    format!(
        "slow: {what} {} (threshold {})",
        duration(took),
        duration(threshold)
    )
}

/// Seconds to the millisecond, as the documents' `age_seconds` say an age.
pub fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

/// Milliseconds with two decimals, as every JSON document reports them.
pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_counts_characters_not_bytes() {
        assert_eq!(cut("привет", 3), "при…");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("😀😀", 1), "😀…");
    }

    #[test]
    fn outside_text_cannot_drive_the_terminal() {
        assert_eq!(
            printable("ok\x1b[2J\x1b]0;pwned\x07\r\nnext\tline"),
            "ok\u{FFFD}[2J\u{FFFD}]0;pwned\u{FFFD}\u{FFFD}\nnext\tline"
        );
        assert_eq!(one_line("  a\x1b[31m\r\n\tb  c ", 10), "a [31m b c");
        assert_eq!(one_line("abcdef", 3), "abc…");
    }

    #[test]
    fn secrets_are_scrubbed_before_a_cut_could_split_them() {
        redact::register("cut-through-secret-1234");
        assert_eq!(
            one_line("key: cut-through-secret-1234 rest", 12),
            "key: *** res…"
        );
    }

    #[test]
    fn durations_for_people() {
        let cases = [
            (Duration::from_nanos(494_871_888), "494 ms"),
            (Duration::from_micros(140), "0 ms"),
            (Duration::from_micros(999_999), "999 ms"),
            (Duration::from_secs(1), "1.0 s"),
            (Duration::from_nanos(4_999_871_888), "5.0 s"),
            (Duration::from_millis(1500), "1.5 s"),
            (Duration::from_millis(3007), "3.0 s"),
            (Duration::from_secs(90), "90.0 s"),
        ];
        for (d, shown) in cases {
            assert_eq!(duration(d), shown, "{d:?}");
        }
    }

    #[test]
    fn millis_has_two_decimals() {
        assert_eq!(millis(Duration::from_micros(15_234)), 15.23);
        assert_eq!(millis(Duration::from_nanos(5_125_000)), 5.13);
    }
}
