//! Property tests over arbitrary environment values (`fuzz/run` runs them at
//! scale; the case count comes from `PROPTEST_CASES`).

use super::libpq::has_host_param;
use super::parse::*;
use super::reader::Reader;
use super::*;
use crate::net::is_loopback;
use proptest::prelude::*;
use std::cell::RefCell;
use std::collections::HashMap;

/// Marks planted secret values: no error template contains it, so finding
/// it in an error means a value was echoed.
const MARK: char = '§';

/// An environment where `Err` stands for a value that is not UTF-8, and
/// which remembers every name asked for.
#[derive(Debug)]
struct Env {
    values: HashMap<String, Result<String, NotUnicode>>,
    asked: RefCell<Vec<String>>,
}

impl Source for Env {
    fn get(&self, name: &str) -> Result<Option<String>, NotUnicode> {
        self.asked.borrow_mut().push(name.to_owned());
        self.values.get(name).cloned().transpose()
    }
}

fn value() -> impl Strategy<Value = Result<String, NotUnicode>> {
    prop_oneof![
        3 => any::<String>().prop_map(Ok),
        3 => "(postgres|postgresql|redis|rediss|unix|valkey|http|https|ftp)://([a-z%:@§]{0,8}@)?[a-z0-9.\\[\\]:-]{0,12}(:[0-9]{0,6})?(/[^ ]{0,10})?(\\?[a-z=&%/§]{0,20})?".prop_map(Ok),
        2 => "[ -~]{0,12}§[ -~]{0,12}".prop_map(Ok),
        2 => " ?[0-9]{0,6}(\\.[0-9])?(ms|s|m|h|d|%|/h|/10m)? ?".prop_map(Ok),
        2 => "([+0-9a-z@. <>\r\n-]{0,16},?){0,4}".prop_map(Ok),
        2 => "(starttls|tls|none|smtp|sendgrid|SMTP|465|AC[0-9a-f]{32})".prop_map(Ok),
        1 => Just(Err(NotUnicode)),
    ]
}

fn env() -> impl Strategy<Value = Env> {
    // VITALS_CONFIG names a file to read: its parser has its own target.
    let names: Vec<String> = VARIABLES
        .iter()
        .map(|v| v.name)
        .filter(|n| *n != "VITALS_CONFIG")
        .chain(["HOME", "XDG_STATE_HOME"])
        .map(str::to_owned)
        .collect();
    prop::collection::hash_map(prop::sample::select(names), value(), 0..16).prop_map(|values| Env {
        values,
        asked: RefCell::new(Vec::new()),
    })
}

fn is_secret(name: &str) -> bool {
    VARIABLES
        .iter()
        .any(|v| v.name == name && v.secrecy != Secrecy::Public)
}

proptest! {
    #[test]
    fn load_from_any_environment(env in env()) {
        redact::forget_all();
        let loaded = Config::load_from(&env, None);
        for e in &loaded.errors {
            prop_assert!(VARIABLES.iter().any(|v| v.name == e.var), "unknown variable {}", e.var);
            let text = e.to_string();
            for (name, value) in &env.values {
                // A public variable given the same value may show it as its own.
                // A public variable may show its own value (quoted, as `{:?}`
                // does), which may hold a secret's: not an echo of the secret.
                let also_public = env.values.iter().any(|(n, v)| {
                    !is_secret(n) && matches!((v, value), (Ok(v), Ok(value)) if format!("{v:?}").contains(value.trim()))
                });
                if let Ok(value) = value
                    && is_secret(name)
                    && value.contains(MARK)
                    // Shorter values match template text by chance (`"§`).
                    && value.trim().chars().count() >= 8
                    && !also_public
                {
                    prop_assert!(!text.contains(value.trim()), "{name}'s value echoed in {text:?}");
                }
            }
        }
        // Every value that is not UTF-8 and was read is reported as such.
        for name in env.asked.borrow().iter() {
            if matches!(env.values.get(name), Some(Err(NotUnicode))) && VARIABLES.iter().any(|v| v.name == name) {
                prop_assert!(
                    loaded.errors.iter().any(|e| e.var == name && e.problem == "value is not valid UTF-8"),
                    "{name}: {:?}", loaded.errors
                );
            }
        }
        let c = &loaded.config;
        if let Channel::Ready(email) = &c.email {
            prop_assert!(!email.recipients.is_empty());
            for r in &email.recipients {
                prop_assert_eq!(parse_email(r), Ok(r.clone()));
            }
            prop_assert_eq!(parse_email(&email.sender), Ok(email.sender.clone()));
            // The password never travels in the clear to a remote host.
            if let EmailTransport::Smtp(smtp) = &email.transport
                && smtp.tls == SmtpTls::None
                && smtp.password.is_some()
            {
                prop_assert!(is_loopback(&smtp.host), "{}", smtp.host);
            }
        }
        if let Channel::Ready(sms) = &c.sms {
            for n in sms.recipients.iter().chain([&sms.from]) {
                prop_assert_eq!(parse_phone(n), Ok(n.clone()));
            }
        }
        prop_assert!(c.database.connections_degraded_percent > 0.0 && c.database.connections_degraded_percent <= 100.0);
        prop_assert!(!c.agents.heartbeat_max_age.is_zero());
    }

    #[test]
    fn comma_lists_keep_exactly_the_valid_items(
        items in prop::collection::vec(prop_oneof!["\\+[1-9][0-9]{1,14}", "[ -~\u{a0}-\u{ff}]{0,18}"], 0..6),
    ) {
        let value = items.join(",");
        let env = Env { values: HashMap::from([("ALERT_SMS_RECIPIENTS".to_owned(), Ok(value.clone()))]), asked: RefCell::new(Vec::new()) };
        let mut r = Reader { source: &env, errors: Vec::new() };
        let parsed = r.list("ALERT_SMS_RECIPIENTS", parse_phone);
        let wanted: Vec<String> = value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        let all_valid = wanted.iter().all(|s| parse_phone(s).is_ok());
        if value.trim().is_empty() {
            prop_assert_eq!(parsed, None);
            prop_assert!(r.errors.is_empty());
        } else if all_valid && !wanted.is_empty() {
            prop_assert_eq!(parsed, Some(wanted));
            prop_assert!(r.errors.is_empty());
        } else {
            prop_assert_eq!(parsed, None);
            prop_assert_eq!(r.errors.len(), 1);
            prop_assert_eq!(r.errors[0].var, "ALERT_SMS_RECIPIENTS");
            let problem = &r.errors[0].problem;
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
            Err(expected) => prop_assert!(expected.0.starts_with("a URL starting with "), "{expected}"),
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
