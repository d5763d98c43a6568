//! Invariants of the value readers: defaults when a value is malformed,
//! lists that keep exactly their valid items, well-formed URLs and
//! durations read back as written. (`fuzz/` fuzzes the parsers themselves.)

use super::parse::*;
use super::*;
use proptest::prelude::*;
use std::collections::HashMap;
use std::time::Duration;

/// Variables of each kind the reader handles, with a default to fall back on.
const TEST_VARS: Group = Group {
    key: "test",
    title: "Test",
    vars: &[
        var("A_PERCENT", Secrecy::Public, Some("80"), ""),
        var("A_DURATION", Secrecy::Public, Some("480s"), ""),
        var("ALERT_SMS_RECIPIENTS", Secrecy::Public, None, ""),
    ],
};

fn source(name: &'static str, value: String) -> HashMap<&'static str, String> {
    HashMap::from([(name, value)])
}

impl Source for HashMap<&'static str, String> {
    fn get(&self, name: &str) -> Result<Option<String>, NotUnicode> {
        Ok(self.get(name).cloned())
    }
}

proptest! {
    /// Whatever is set, a percentage stays a percentage and a duration is never
    /// zero: a malformed value is reported and the default used.
    #[test]
    fn typed_values_stay_in_range(percent in any::<String>(), duration in any::<String>()) {
        let table = Table::new([&TEST_VARS]);
        let env = source("A_PERCENT", percent);
        let value = Reader::new(&env, &table).percent("A_PERCENT");
        prop_assert!(value > 0.0 && value <= 100.0, "{value}");
        let env = source("A_DURATION", duration);
        prop_assert!(!Reader::new(&env, &table).duration("A_DURATION").is_zero());
    }

    #[test]
    fn comma_lists_keep_exactly_the_valid_items(
        items in prop::collection::vec(prop_oneof!["\\+[1-9][0-9]{1,14}", "[ -~\u{a0}-\u{ff}]{0,18}"], 0..6),
    ) {
        let value = items.join(",");
        let table = Table::new([&TEST_VARS]);
        let env = source("ALERT_SMS_RECIPIENTS", value.clone());
        let mut r = Reader::new(&env, &table);
        let parsed = r.list("ALERT_SMS_RECIPIENTS", parse_phone);
        let wanted: Vec<String> = value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        let all_valid = wanted.iter().all(|s| parse_phone(s).is_ok());
        if value.trim().is_empty() {
            prop_assert_eq!(parsed, None);
            prop_assert!(r.errors().is_empty());
        } else if all_valid && !wanted.is_empty() {
            prop_assert_eq!(parsed, Some(wanted));
            prop_assert!(r.errors().is_empty());
        } else {
            prop_assert_eq!(parsed, None);
            prop_assert_eq!(r.errors().len(), 1);
            prop_assert_eq!(r.errors()[0].var, "ALERT_SMS_RECIPIENTS");
            let problem = &r.errors()[0].problem;
            prop_assert!(problem.starts_with("expected a comma-separated list, each item a phone number in E.164 form, such as +14155550123 (bad item ") || problem.starts_with("expected at least one item"), "{problem}");
        }
    }

    #[test]
    fn parse_url_keeps_well_formed_urls(
        scheme in "(postgres|redis|https)",
        user in "[a-z]{0,6}",
        password in "[a-zA-Z0-9%!*]{0,10}",
        // No hyphens: "xn--" would start a (broken) punycode label.
        host in "[a-z][a-z0-9]{0,10}(\\.[a-z]{2,5}){0,2}",
        port in 1u16..,
        path in "(/[a-z0-9]{1,8}){0,2}",
    ) {
        // What the clients decode must be text: `%80` alone is refused, rightly.
        prop_assume!(percent_encoding::percent_decode_str(&password).decode_utf8().is_ok());
        let auth = match (user.is_empty(), password.is_empty()) {
            (true, true) => String::new(),
            (_, true) => format!("{user}@"),
            _ => format!("{user}:{password}@"),
        };
        // A Redis URL's path is its database number.
        let path = if scheme == "redis" { format!("/{}", path.len()) } else { path };
        let text = format!("{scheme}://{auth}{host}:{port}{path}");
        let parsed = parse_url(&text, &["postgres", "redis", "https"]);
        prop_assert!(parsed.is_ok(), "{text}: {parsed:?}");
        if let Ok(url) = parsed {
            prop_assert_eq!(url.host_str(), Some(host.as_str()));
            prop_assert_eq!(url.username(), user.as_str());
            prop_assert_eq!(url.password().unwrap_or_default(), password.as_str());
            let expected_port = if scheme == "https" && port == 443 { None } else { Some(port) };
            prop_assert_eq!(url.port(), expected_port);
        }
    }

    #[test]
    fn parse_duration_reads_numbers_with_units(n in 1u64..1_000_000, unit in prop::sample::select(vec![("ms", 1u64), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("", 1000)])) {
        let (suffix, millis) = unit;
        let d = Duration::from_millis(n * millis);
        let expected = if d <= MAX_DURATION { Ok(d) } else { Err(Expected("a duration such as 500ms, 5s, 2m or 4h (at most 366 days)".to_owned())) };
        prop_assert_eq!(parse_duration(&format!("{n}{suffix}")), expected);
    }

}
