//! Property tests over arbitrary environments (`fuzz/run` runs them at
//! scale; the case count comes from `PROPTEST_CASES`).

use super::*;
use crate::alerts::channels::email::{self, EmailTransport, SmtpTls};
use crate::alerts::channels::sms;
use crate::config::parse::{parse_email, parse_phone};
use crate::config::{Channel, NotUnicode};
use crate::net::is_loopback;
use crate::redact;
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
    let names: Vec<String> = table()
        .vars()
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
    table()
        .vars()
        .any(|v| v.name == name && v.secrecy != Secrecy::Public)
}

proptest! {
    #[test]
    fn load_from_any_environment(env in env()) {
        redact::forget_all();
        let errors = everything(&env).findings.errors;
        for e in &errors {
            prop_assert!(table().find(e.var).is_some(), "unknown variable {}", e.var);
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
            if matches!(env.values.get(name), Some(Err(NotUnicode))) && table().find(name).is_some() {
                prop_assert!(
                    errors.iter().any(|e| e.var == name && e.problem == "value is not valid UTF-8"),
                    "{name}: {:?}", errors
                );
            }
        }
        // The channels' settings read again on their own, to look inside.
        let mut r = reader(&env);
        if let Channel::Ready(email) = email::settings(&mut r) {
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
        if let Channel::Ready(sms) = sms::settings(&mut r) {
            for n in sms.recipients.iter().chain([&sms.from]) {
                prop_assert_eq!(parse_phone(n), Ok(n.clone()));
            }
        }
    }
}
