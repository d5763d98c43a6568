//! Every setting, read as `config validate` reads them, from any environment
//! (values that are not UTF-8 included). Properties: errors name known
//! variables; a secret's value is never echoed; every unreadable value that
//! was read is reported as such; ready channels hold only valid addresses
//! and numbers, and an SMTP password never goes in the clear to a remote
//! host.
#![no_main]

use std::cell::RefCell;
use std::collections::HashMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{
    NotUnicode, Secrecy, Source, everything, forget_secrets, is_loopback, parse_email, parse_phone,
    ready_channels, table,
};

/// Marks planted secrets: no message template contains it.
const MARK: char = '§';

#[derive(Arbitrary, Debug)]
enum Value {
    Text(String),
    /// A secret-looking value: the mark inside text.
    Planted(String, String),
    NotUnicode,
}

#[derive(Arbitrary, Debug)]
struct Input {
    vars: Vec<(u8, Value)>,
}

/// An environment that remembers every name asked for.
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

fn is_secret(name: &str) -> bool {
    table()
        .vars()
        .any(|v| v.name == name && v.secrecy != Secrecy::Public)
}

fuzz_target!(|input: Input| {
    // VITALS_CONFIG names a file to read: its parser has its own target.
    let names: Vec<&str> = table()
        .vars()
        .map(|v| v.name)
        .filter(|n| *n != "VITALS_CONFIG")
        .collect();
    let mut values = HashMap::new();
    for (index, value) in input.vars {
        let name = names[usize::from(index) % names.len()].to_owned();
        let value = match value {
            Value::Text(text) => Ok(text),
            Value::Planted(before, after) => Ok(format!("{before}{MARK}{after}")),
            Value::NotUnicode => Err(NotUnicode),
        };
        values.insert(name, value);
    }
    forget_secrets();
    let env = Env {
        values,
        asked: RefCell::new(Vec::new()),
    };
    let errors = everything(&env).findings.errors;
    for e in &errors {
        assert!(table().find(e.var).is_some(), "unknown variable {}", e.var);
        let text = e.to_string();
        for (name, value) in &env.values {
            let Ok(value) = value else { continue };
            let value = value.trim();
            // A public variable may show its own value, which may hold a secret's.
            let also_public = env.values.iter().any(|(n, v)| {
                !is_secret(n) && matches!(v, Ok(v) if format!("{v:?}").contains(value))
            });
            // Shorter values match template text by chance (`"§`).
            if is_secret(name) && value.contains(MARK) && value.chars().count() >= 8 && !also_public
            {
                assert!(!text.contains(value), "{name}'s value echoed in {text:?}");
            }
        }
    }
    for name in env.asked.borrow().iter() {
        if matches!(env.values.get(name), Some(Err(NotUnicode))) {
            assert!(
                errors
                    .iter()
                    .any(|e| e.var == name && e.problem == "value is not valid UTF-8"),
                "{name}: {errors:?}"
            );
        }
    }
    let ready = ready_channels(&env);
    for a in &ready.addresses {
        assert_eq!(parse_email(a).as_ref(), Ok(a));
    }
    for n in &ready.numbers {
        assert_eq!(parse_phone(n).as_ref(), Ok(n));
    }
    if let Some(host) = &ready.password_in_clear_to {
        assert!(is_loopback(host), "{host}");
    }
});
