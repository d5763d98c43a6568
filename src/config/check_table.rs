//! `[[check]]` tables of `vitals.toml`: the fields every declared check has
//! (`name`, `kind`, `timeout`), and the rest kept as [`Fields`] for the kind
//! to read with typed getters. Every problem is located as
//! `vitals.toml:LINE: check "NAME": FIELD: problem`, like a `[[service]]`'s.
//!
//! `${VAR}` may stand in any string field. What it expands to is a secret
//! where it stands in URL credentials, in `env` values and in fields whose
//! name says password, token, key or secret; elsewhere (hosts, ports, names)
//! it is plain text, so that messages can say what was checked.

use std::time::Duration;

use toml::Value;
use toml::de::DeValue;
use url::Url;

use super::parse::{parse_duration, parse_url};
use super::services_file::{FileError, expand_with};
use super::{NotUnicode, SecretUrl, Source};
use crate::redact;

/// Longest check name: it becomes a JSON key, an alert type and a label.
pub const MAX_NAME_LEN: usize = 64;

/// Field names whose values are secrets wherever they come from.
const SECRET_WORDS: &[&str] = &["password", "token", "key", "secret"];

/// One `[[check]]` as the file declares it.
#[derive(Debug, Clone)]
pub struct CheckTable {
    pub name: String,
    pub kind: String,
    /// Line of the table's `name`.
    pub line: usize,
    /// Line of its `kind`.
    pub kind_line: usize,
    pub timeout: Option<Duration>,
    /// The fields of a `kind = "http"` check: a `[[service]]`'s, read as theirs are.
    pub endpoint: Option<super::DeclaredService>,
    /// What it says about its alerts (thresholds, dependencies, severity),
    /// read as a `[[service]]`'s are; alerting reads them, its kind does not.
    pub alerts: super::AlertFields,
    /// Its own fields, for its kind.
    pub fields: Vec<RawField>,
    /// Problems with the shared fields; its kind adds its own.
    pub errors: Vec<FileError>,
}

/// One field of a check's table, owned (the file's text is gone by the time
/// the kind reads it), with the line of its value.
#[derive(Debug, Clone)]
pub struct RawField {
    pub key: String,
    pub line: usize,
    pub value: Value,
}

/// Whether `name` is a valid check name: letters, digits, `_` and `-`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The table's value as an owned TOML value.
pub fn owned(value: &DeValue<'_>) -> Value {
    match value {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map(Value::Integer)
            .unwrap_or_else(|_| Value::String(i.as_str().to_owned())),
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse()
            .map(Value::Float)
            .unwrap_or(Value::Float(f64::NAN)),
        DeValue::Boolean(b) => Value::Boolean(*b),
        DeValue::Datetime(d) => Value::Datetime(*d),
        DeValue::Array(items) => Value::Array(items.iter().map(|v| owned(v.get_ref())).collect()),
        DeValue::Table(table) => Value::Table(
            table
                .iter()
                .map(|(k, v)| (k.get_ref().to_string(), owned(v.get_ref())))
                .collect(),
        ),
    }
}

/// A kind's view of its check's fields: typed getters that expand `${VAR}`,
/// register secrets and record located problems. A field no getter asked for
/// is reported as unknown by [`Fields::finish`].
pub struct Fields<'a> {
    endpoint: Option<super::DeclaredService>,
    file: String,
    context: String,
    line: usize,
    fields: Vec<(RawField, bool)>,
    source: &'a dyn Source,
    errors: Vec<FileError>,
}

impl<'a> Fields<'a> {
    pub fn new(file: &str, table: &CheckTable, source: &'a dyn Source) -> Self {
        Fields {
            endpoint: table.endpoint.clone(),
            file: file.to_owned(),
            context: format!("check {:?}", table.name),
            line: table.line,
            fields: table.fields.iter().cloned().map(|f| (f, false)).collect(),
            source,
            errors: Vec::new(),
        }
    }

    /// A `kind = "http"` check's endpoint, read as a `[[service]]` is.
    pub fn endpoint(&self) -> Option<&super::DeclaredService> {
        self.endpoint.as_ref()
    }

    /// Where the values of `${VAR}` and of `env` come from.
    pub fn source(&self) -> &'a dyn Source {
        self.source
    }

    fn take(&mut self, key: &str) -> Option<(usize, Value)> {
        let (field, used) = self.fields.iter_mut().find(|(f, _)| f.key == key)?;
        *used = true;
        Some((field.line, field.value.clone()))
    }

    pub fn has(&self, key: &str) -> bool {
        self.fields.iter().any(|(f, _)| f.key == key)
    }

    /// Records a problem with `key`, on its line (the table's when absent).
    pub fn error(&mut self, key: &str, problem: impl std::fmt::Display) {
        let line = self
            .fields
            .iter()
            .find(|(f, _)| f.key == key)
            .map_or(self.line, |(f, _)| f.line);
        self.errors.push(FileError {
            file: self.file.clone(),
            line: Some(line),
            problem: format!("{}: {key}: {problem}", self.context),
        });
    }

    /// A missing required field.
    pub fn missing(&mut self, key: &str, what: &str) {
        self.error(key, format!("missing ({what})"));
    }

    fn secret_name(key: &str) -> bool {
        SECRET_WORDS
            .iter()
            .any(|w| key.to_ascii_lowercase().contains(w))
    }

    /// `${VAR}` expanded; the substituted values registered as secrets when
    /// `secret` (or the field's name says so). `None` (recorded) when a
    /// variable is unset or the reference malformed.
    fn expanded(&mut self, key: &str, line_value: &str, secret: bool) -> Option<String> {
        let secret = secret || Self::secret_name(key);
        let source = self.source;
        match expand_with(line_value, |name| source.get(name)) {
            Ok((value, substituted)) => {
                if secret {
                    for s in &substituted {
                        redact::register(s);
                    }
                    if value != line_value || Self::secret_name(key) {
                        redact::register(&value);
                    }
                }
                Some(value)
            }
            Err(problem) => {
                self.error(key, problem);
                None
            }
        }
    }

    fn type_error(&mut self, key: &str, expected: &str, got: &Value) {
        self.error(key, format!("expected {expected}, got {}", got.type_str()));
    }

    /// A string, `${VAR}` expanded (plain text unless the field's name says secret).
    pub fn string(&mut self, key: &str) -> Option<String> {
        let (_, value) = self.take(key)?;
        match value {
            Value::String(s) => self.expanded(key, &s, false),
            other => {
                self.type_error(key, "a string", &other);
                None
            }
        }
    }

    /// A non-empty string.
    pub fn non_empty(&mut self, key: &str) -> Option<String> {
        let s = self.string(key)?;
        if s.is_empty() {
            self.error(key, "expected a non-empty string");
            return None;
        }
        Some(s)
    }

    /// A URL of one of `schemes`; its credentials, wherever they came
    /// from, are secrets. A malformed value is not echoed when a `${VAR}` made it.
    pub fn url(&mut self, key: &str, schemes: &[&str]) -> Option<SecretUrl> {
        let (_, value) = self.take(key)?;
        let Value::String(raw) = value else {
            self.type_error(key, "a URL string", &value);
            return None;
        };
        let expanded = self.expanded(key, &raw, false)?;
        match Url::parse(&expanded) {
            Ok(url) => redact::register_url_credentials(&url),
            // Unparseable: where its password is cannot be told, so all of it is hidden.
            Err(_) if expanded != raw => redact::register(&expanded),
            Err(_) => {}
        }
        match parse_url(&expanded, schemes) {
            Ok(url) => Some(SecretUrl(url)),
            Err(_) if expanded != raw => {
                self.error(
                    key,
                    format!(
                        "expected a {} URL (value hidden: it comes from a variable)",
                        schemes.join(" or ")
                    ),
                );
                None
            }
            Err(invalid) => {
                self.error(key, invalid);
                None
            }
        }
    }

    /// A duration: `"2s"`, `"500ms"`, or whole seconds.
    pub fn duration(&mut self, key: &str) -> Option<Duration> {
        let (_, value) = self.take(key)?;
        match value {
            Value::String(s) => {
                let s = self.expanded(key, &s, false)?;
                match parse_duration(&s) {
                    Ok(d) => Some(d),
                    Err(expected) => {
                        self.error(key, format!("{expected}, got {s:?}"));
                        None
                    }
                }
            }
            Value::Integer(i) if i > 0 => Some(Duration::from_secs(i.unsigned_abs())),
            other => {
                self.type_error(key, "a duration such as \"2s\" or \"500ms\"", &other);
                None
            }
        }
    }

    /// A whole number in `range`, given as an integer or a `${VAR}` string.
    pub fn integer(&mut self, key: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
        let (_, value) = self.take(key)?;
        let number = match &value {
            Value::Integer(i) => Some(*i),
            Value::String(s) => {
                let s = self.expanded(key, s, false)?;
                s.trim().parse().ok()
            }
            _ => None,
        };
        match number.filter(|n| range.contains(n)) {
            Some(n) => Some(n),
            None => {
                let shown = match &value {
                    Value::String(s) => format!("{s:?}"),
                    Value::Integer(i) => i.to_string(),
                    other => other.type_str().to_owned(),
                };
                self.error(
                    key,
                    format!(
                        "expected a whole number from {} to {}, got {shown}",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
        }
    }

    /// A TCP port.
    pub fn port(&mut self, key: &str) -> Option<u16> {
        self.integer(key, 1..=65535)
            .and_then(|n| u16::try_from(n).ok())
    }

    /// An array of strings, each `${VAR}` expanded (plain text); or one string.
    pub fn strings(&mut self, key: &str) -> Option<Vec<String>> {
        let (_, value) = self.take(key)?;
        let items = match value {
            Value::Array(items) => items,
            Value::String(s) => vec![Value::String(s)],
            other => {
                self.type_error(key, "an array of strings", &other);
                return None;
            }
        };
        let mut out = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Value::String(s) => out.push(self.expanded(key, &s, false)?),
                other => {
                    self.error(
                        key,
                        format!(
                            "item {}: expected a string, got {}",
                            i + 1,
                            other.type_str()
                        ),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    /// A variable's value for the check's own environment (`env`): a secret.
    pub fn variable(&mut self, key: &str, name: &str) -> Option<String> {
        match self.source.get(name) {
            Ok(Some(value)) => {
                if !value.is_empty() {
                    redact::register(&value);
                }
                Some(value)
            }
            Ok(None) => None,
            Err(NotUnicode) => {
                self.error(key, format!("{name} is not valid UTF-8"));
                None
            }
        }
    }

    /// The problems found, with one for each field nothing asked for;
    /// `known` lists the kind's fields for the message.
    pub fn finish(mut self, kind: &str, known: &[&str]) -> Vec<FileError> {
        let unknown: Vec<(String, usize)> = self
            .fields
            .iter()
            .filter(|(_, used)| !used)
            .map(|(f, _)| (f.key.clone(), f.line))
            .collect();
        // Every check's fields, then its kind's: a typo of either gets a hint.
        let mut every: Vec<&str> = vec!["name", "kind", "timeout"];
        every.extend(super::ALERT_FIELDS);
        every.push("severity");
        every.extend(known);
        for (key, line) in unknown {
            let hint = super::parse::nearest(&key, &every)
                .map(|k| format!(" — did you mean `{k}`?"))
                .unwrap_or_default();
            self.errors.push(FileError {
                file: self.file.clone(),
                line: Some(line),
                problem: format!(
                    "{}: unknown field {key:?} for kind {kind:?}{hint} (expected one of: {})",
                    self.context,
                    every.join(", ")
                ),
            });
        }
        self.errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn table_of(fields: &[(&str, Value)]) -> CheckTable {
        CheckTable {
            name: "edge".to_owned(),
            kind: "tcp".to_owned(),
            line: 3,
            kind_line: 3,
            timeout: None,
            endpoint: None,
            alerts: super::super::AlertFields::default(),
            fields: fields
                .iter()
                .enumerate()
                .map(|(i, (k, v))| RawField {
                    key: (*k).to_owned(),
                    line: 4 + i,
                    value: v.clone(),
                })
                .collect(),
            errors: Vec::new(),
        }
    }

    #[test]
    fn names_are_letters_digits_underscore_and_dash() {
        assert!(valid_name("replica-2_eu"));
        assert!(!valid_name("two words"));
        assert!(!valid_name(""));
        assert!(!valid_name("é"));
        assert!(!valid_name(&"a".repeat(65)));
    }

    #[test]
    fn getters_expand_and_locate_problems() {
        let env: HashMap<&'static str, &'static str> =
            HashMap::from([("EDGE_HOST", "edge.internal"), ("EDGE_PW", "pw-unit-77")]);
        let t = table_of(&[
            ("host", Value::String("${EDGE_HOST}".into())),
            ("port", Value::String("99999".into())),
            ("password", Value::String("${EDGE_PW}".into())),
            ("send", Value::Integer(3)),
            ("extra", Value::Boolean(true)),
        ]);
        let mut f = Fields::new("vitals.toml", &t, &env);
        assert_eq!(f.string("host").as_deref(), Some("edge.internal"));
        assert_eq!(f.port("port"), None);
        assert_eq!(f.string("password").as_deref(), Some("pw-unit-77"));
        assert_eq!(f.string("send"), None);
        assert_eq!(redact::scrub("pw-unit-77"), redact::MASK);
        assert_eq!(redact::scrub("edge.internal"), "edge.internal");
        let errors: Vec<String> = f
            .finish("tcp", &["host", "port", "send", "expect"])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [
                "vitals.toml:5: check \"edge\": port: expected a whole number from 1 to 65535, got \"99999\"",
                "vitals.toml:7: check \"edge\": send: expected a string, got integer",
                "vitals.toml:8: check \"edge\": unknown field \"extra\" for kind \"tcp\" (expected one of: name, kind, timeout, failure_threshold, success_threshold, depends_on, severity, host, port, send, expect)",
            ]
        );
    }

    #[test]
    fn unset_variables_and_hidden_urls() {
        let env: HashMap<&'static str, &'static str> =
            HashMap::from([("BAD_URL", "postgres://u:pw-unit-91@[::1")]);
        let t = table_of(&[
            ("url", Value::String("${BAD_URL}".into())),
            ("host", Value::String("${NOPE}".into())),
        ]);
        let mut f = Fields::new("vitals.toml", &t, &env);
        assert!(f.url("url", &["postgres", "postgresql"]).is_none());
        assert!(f.string("host").is_none());
        let errors: Vec<String> = f
            .finish("postgres", &["url"])
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [
                "vitals.toml:4: check \"edge\": url: expected a postgres or postgresql URL (value hidden: it comes from a variable)",
                "vitals.toml:5: check \"edge\": host: ${NOPE} is not set",
            ]
        );
    }
}
