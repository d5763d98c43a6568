//! Labels and identity: what makes two alerts "the same problem".
//!
//! An alert's identity is its type and its labels (`database_failure` on
//! `instance=web1` is not `database_failure` on `instance=web2`). Its
//! canonical text, `type{name="value",…}` with the labels sorted by name as
//! Prometheus writes a series, is what the store de-duplicates on; an alert
//! without labels is its type alone, as alerts were before labels existed,
//! so those keep matching. The fingerprint is a short hash of that text.

use std::collections::BTreeMap;
use std::fmt;

/// Label names and values, sorted by name.
pub type Labels = BTreeMap<String, String>;

/// Names vitals sets itself on the alerts it raises: `alert send --label` refuses them.
pub const RESERVED: [&str; 7] = [
    "alertname",
    "check",
    "target",
    "instance",
    "service",
    "metric",
    "severity",
];

/// The longest label value accepted.
const MAX_VALUE_CHARS: usize = 200;

/// The most labels one alert carries.
const MAX_LABELS: usize = 16;

/// The longest canonical identity: it is indexed, and PagerDuty's `dedup_key` takes 255 characters.
const MAX_IDENTITY_BYTES: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("--label {0:?}: expected NAME=VALUE, e.g. --label host=db1")]
    Shape(String),
    #[error(
        "--label {0:?}: a label name starts with a letter or _ and has only letters, digits and _ (Prometheus label names), and does not start with __"
    )]
    Name(String),
    #[error(
        "--label {0}: `{0}` is reserved (vitals sets it on the alerts it raises: {reserved}); choose another name",
        reserved = RESERVED.join(", ")
    )]
    Reserved(String),
    #[error(
        "--label {0}: expected a value of 1 to {MAX_VALUE_CHARS} characters without control characters"
    )]
    Value(String),
    #[error("--label {0}: given twice")]
    Twice(String),
    #[error("--label: at most {MAX_LABELS} labels")]
    TooMany,
    #[error(
        "--label: the labels are too long together (the type and labels must fit in {MAX_IDENTITY_BYTES} bytes)"
    )]
    TooLong,
}

/// Prometheus label-name syntax: `[a-zA-Z_][a-zA-Z0-9_]*`, `__` reserved for internal use.
pub(super) fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

pub(super) fn valid_value(value: &str) -> bool {
    !value.is_empty()
        && value.chars().count() <= MAX_VALUE_CHARS
        && !value.chars().any(char::is_control)
}

/// The labels a user gives (`--label host=db1`, repeatable): well-formed,
/// none reserved, none twice.
pub fn parse_user_labels(items: &[String]) -> Result<Labels, LabelError> {
    let mut labels = Labels::new();
    for item in items {
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| LabelError::Shape(item.clone()))?;
        let name = name.trim();
        if !valid_name(name) {
            return Err(LabelError::Name(name.to_owned()));
        }
        if RESERVED.contains(&name) {
            return Err(LabelError::Reserved(name.to_owned()));
        }
        if !valid_value(value) {
            return Err(LabelError::Value(name.to_owned()));
        }
        if labels.insert(name.to_owned(), value.to_owned()).is_some() {
            return Err(LabelError::Twice(name.to_owned()));
        }
    }
    if labels.len() > MAX_LABELS {
        return Err(LabelError::TooMany);
    }
    Ok(labels)
}

/// Type and labels, and what derives from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity(String);

impl Identity {
    /// `type{name="value",…}`, or the type alone without labels. Values are
    /// escaped as in Prometheus' text format (`\\`, `\"`, `\n`).
    pub fn of(alert_type: &str, labels: &Labels) -> Result<Identity, LabelError> {
        let text = canonical(alert_type, labels);
        if text.len() > MAX_IDENTITY_BYTES {
            return Err(LabelError::TooLong);
        }
        Ok(Identity(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 12 hex digits of an FNV-1a hash of the canonical text: short enough
    /// to read, to put in a key or a Message-ID.
    pub fn fingerprint(&self) -> String {
        format!("{:012x}", fnv1a(self.0.as_bytes()) >> 16)
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn canonical(alert_type: &str, labels: &Labels) -> String {
    if labels.is_empty() {
        return alert_type.to_owned();
    }
    let each: Vec<String> = labels
        .iter()
        .map(|(name, value)| {
            let escaped = value
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{name}=\"{escaped}\"")
        })
        .collect();
    format!("{alert_type}{{{}}}", each.join(","))
}

/// 64-bit FNV-1a: small, stable across versions and platforms (the store
/// and PagerDuty keep what it gave).
pub(super) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn identity_is_the_type_and_the_sorted_labels() {
        let id = |l: &[(&str, &str)]| Identity::of("disk_full", &labels(l)).map(|i| i.0);
        assert_eq!(id(&[]), Ok("disk_full".to_owned()));
        assert_eq!(
            id(&[("mount", "/var"), ("host", "db1")]),
            Ok(r#"disk_full{host="db1",mount="/var"}"#.to_owned())
        );
        assert_eq!(
            id(&[("host", "a\"b\\c")]),
            Ok(r#"disk_full{host="a\"b\\c"}"#.to_owned())
        );
        let one = Identity::of("disk_full", &labels(&[("host", "db1")])).map(|i| i.fingerprint());
        let two = Identity::of("disk_full", &labels(&[("host", "db2")])).map(|i| i.fingerprint());
        assert_ne!(one, two);
        assert_eq!(one.as_ref().map(String::len), Ok(12));
        assert_eq!(
            Identity::of("t", &labels(&[("a", &"x".repeat(1100))])),
            Err(LabelError::TooLong)
        );
    }

    #[test]
    fn user_labels_follow_prometheus_and_leave_the_reserved_ones_alone() {
        let parse = |items: &[&str]| {
            parse_user_labels(&items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
        };
        assert_eq!(
            parse(&["host=db1", "mount=/var=x"]),
            Ok(labels(&[("host", "db1"), ("mount", "/var=x")]))
        );
        assert_eq!(parse(&["host"]), Err(LabelError::Shape("host".into())));
        assert_eq!(parse(&["9host=x"]), Err(LabelError::Name("9host".into())));
        assert_eq!(parse(&["__x=x"]), Err(LabelError::Name("__x".into())));
        assert_eq!(parse(&["ho-st=x"]), Err(LabelError::Name("ho-st".into())));
        assert_eq!(
            parse(&["instance=web1"]),
            Err(LabelError::Reserved("instance".into()))
        );
        assert_eq!(
            parse(&["instance=web1"]).map_err(|e| e.to_string()),
            Err("--label instance: `instance` is reserved (vitals sets it on the alerts it raises: alertname, check, target, instance, service, metric, severity); choose another name".into())
        );
        assert_eq!(parse(&["host="]), Err(LabelError::Value("host".into())));
        assert_eq!(parse(&["host=a\nb"]), Err(LabelError::Value("host".into())));
        assert_eq!(
            parse(&["host=a", "host=b"]),
            Err(LabelError::Twice("host".into()))
        );
    }
}
