//! Property tests over arbitrary values (`fuzz/run` runs them at scale;
//! the case count comes from `PROPTEST_CASES`).

use super::libpq::has_host_param;
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
    fn parse_url_accepts_only_urls_of_its_schemes(text in any::<String>(), http in any::<bool>()) {
        let schemes: &[&str] = if http { &["http", "https"] } else { &["postgres", "postgresql"] };
        match parse_url(&text, schemes) {
            Ok(url) => {
                prop_assert!(schemes.contains(&url.scheme()));
                prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()) || has_host_param(&url));
            }
            Err(Invalid::Expected(expected)) => prop_assert!(expected.0.starts_with("a URL starting with ") || expected.0.starts_with("a valid URL ("), "{expected}"),
            // Said in full, naming the wrong part: never the whole value.
            Err(Invalid::Part(problem)) => prop_assert!(
                problem.starts_with("port `") || problem.starts_with("unknown parameter `")
                    || problem.contains(" is not valid: expected ") || problem.starts_with("parameter `")
                    || problem.starts_with("database `") || problem.starts_with("host `")
                    || problem.starts_with("hostaddr `") || problem.starts_with("sslrootcert `")
                    || problem.starts_with("`#") || problem.starts_with("target_session_attrs `"),
                "{problem}"
            ),
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
    fn parse_duration_is_positive_or_explains(text in prop_oneof![any::<String>(), "[0-9]{0,22}[a-z ]{0,6}"]) {
        match parse_duration(&text) {
            Ok(d) => prop_assert!(!d.is_zero()),
            Err(expected) => prop_assert!(expected.0.starts_with("a duration such as 500ms, 5s, 2m or 4h"), "{expected}"),
        }
    }

    #[test]
    fn parse_duration_reads_numbers_with_units(n in 1u64..1_000_000, unit in prop::sample::select(vec![("ms", 1u64), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("", 1000)])) {
        let (suffix, millis) = unit;
        let d = Duration::from_millis(n * millis);
        let expected = if d <= MAX_DURATION { Ok(d) } else { Err(Expected("a duration such as 500ms, 5s, 2m or 4h (at most 366 days)".to_owned())) };
        prop_assert_eq!(parse_duration(&format!("{n}{suffix}")), expected);
    }

    #[test]
    fn parse_phone_accepts_exactly_e164(text in prop_oneof![any::<String>(), "\\+?[0-9٠-٩０-９ -]{0,17}"]) {
        let digits = text.strip_prefix('+').unwrap_or("");
        let e164 = (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        match parse_phone(&text) {
            Ok(n) => { prop_assert!(e164, "{text:?}"); prop_assert_eq!(n, text); }
            Err(expected) => { prop_assert!(!e164, "{text:?}"); prop_assert_eq!(expected.0, "a phone number in E.164 form, such as +14155550123"); }
        }
    }

    /// Whatever is accepted can go into a mail header unchanged: no line
    /// break, no control character, no space, exactly one `@`.
    #[test]
    fn parse_email_never_accepts_header_injection(text in prop_oneof![any::<String>(), "[a-z.\r\n :<>,]{1,8}@[a-z.\r\n :<>,]{1,8}"]) {
        match parse_email(&text) {
            Ok(address) => {
                prop_assert_eq!(&address, &text);
                prop_assert!(!address.chars().any(|c| c.is_control() || c.is_whitespace()), "{address:?}");
                prop_assert_eq!(address.matches('@').count(), 1);
                prop_assert!(address.parse::<lettre::Address>().is_ok(), "{address:?} is accepted here but not by lettre");
            }
            Err(expected) => prop_assert_eq!(expected.0, "an e-mail address"),
        }
    }

    #[test]
    fn parse_port_accepts_exactly_1_to_65535(n in prop_oneof![any::<u32>().prop_map(|n| n.to_string()), any::<String>()]) {
        let expected = n.parse::<u16>().ok().filter(|p| *p > 0);
        prop_assert_eq!(parse_port(&n).ok(), expected);
    }
}
