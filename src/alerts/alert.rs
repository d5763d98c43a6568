//! What an alert is: its type, severity, message and context, when it was
//! raised and what became of it. [`Alert`] is also the record the alert
//! store keeps and the JSON `alert send --json` prints: it deserializes back
//! unchanged, so the store needs no second model.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::Delivery;
use crate::{clock, redact};

/// How bad it is. Ordered, so "a higher severity than the stored one" is a comparison.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    strum::AsRefStr,
    strum::Display,
    strum::EnumString,
    strum::EnumIter,
    strum::EnumMessage,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
    Critical,
}

impl Severity {
    /// As the subject line shows it: `[CRITICAL]`.
    pub fn label(self) -> String {
        self.as_ref().to_ascii_uppercase()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::AsRefStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum AlertStatus {
    Active,
    Acknowledged,
    Resolved,
}

/// An instant, in UTC with millisecond precision, written as RFC 3339
/// (`2026-11-28T07:41:37.016Z`). Truncated on creation, so a stored value
/// reads back equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn now() -> Self {
        Timestamp(clock::now().trunc_subsecs(3))
    }

    /// Milliseconds since the Unix epoch: how the store keeps instants.
    pub fn millis(self) -> i64 {
        self.0.timestamp_millis()
    }

    pub fn from_millis(millis: i64) -> Option<Self> {
        DateTime::from_timestamp_millis(millis).map(Timestamp)
    }

    /// How long after `earlier` this is (zero if it is not after).
    pub fn since(self, earlier: Timestamp) -> Duration {
        (self.0 - earlier.0).to_std().unwrap_or(Duration::ZERO)
    }

    /// This instant plus `d`, saturating at the far future.
    pub fn plus(self, d: Duration) -> Timestamp {
        chrono::Duration::from_std(d)
            .ok()
            .and_then(|d| self.0.checked_add_signed(d))
            .map_or(self, Timestamp)
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.timestamp()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Timestamp(t.with_timezone(&Utc).trunc_subsecs(3)))
            .map_err(serde::de::Error::custom)
    }
}

/// One alert and every notification sent about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// 12 hex digits derived from the type and the trigger instant (see [`alert_id`]).
    pub id: String,
    pub alert_type: String,
    pub severity: Severity,
    pub message: String,
    pub context: Map<String, Value>,
    pub status: AlertStatus,
    pub triggered_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<Timestamp>,
    pub resolved_by: Option<String>,
    pub resolution_note: Option<String>,
    pub occurrences: u32,
    pub last_notified_at: Option<Timestamp>,
    /// Sent by `alert test`: labelled as such, and SMS takes it whatever its severity.
    pub test: bool,
    pub deliveries: Vec<Delivery>,
}

/// The longest alert type accepted: it appears in subjects, SMS and dedup keys.
const MAX_TYPE_CHARS: usize = 200;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InputError {
    #[error(
        "--type: expected a non-empty alert type of at most {MAX_TYPE_CHARS} characters without control characters"
    )]
    BadType,
    #[error("--message: expected a non-empty message")]
    EmptyMessage,
    #[error("--message -: cannot read the message from stdin ({0})")]
    Stdin(String),
    #[error("--context: not valid JSON ({0})")]
    ContextSyntax(String),
    #[error("--context: expected a JSON object such as '{{\"host\":\"db1\"}}', got {0}")]
    ContextNotObject(&'static str),
}

impl Alert {
    /// A new active alert, triggered now.
    pub fn new(
        alert_type: &str,
        severity: Severity,
        message: &str,
        context: Map<String, Value>,
    ) -> Result<Alert, InputError> {
        let alert_type = alert_type.trim();
        if alert_type.is_empty()
            || alert_type.chars().count() > MAX_TYPE_CHARS
            || alert_type.chars().any(char::is_control)
        {
            return Err(InputError::BadType);
        }
        if message.trim().is_empty() {
            return Err(InputError::EmptyMessage);
        }
        // A configured secret quoted in an alert (a failing check's context, a
        // pasted log line) would be stored and sent to every channel: never.
        let alert_type = redact::scrub(alert_type).into_owned();
        let message = clean_message(&redact::scrub(message));
        let context = context
            .into_iter()
            .map(|(k, v)| (redact::scrub(&k).into_owned(), redact::scrub_json(v)))
            .collect();
        let now = clock::now();
        Ok(Alert {
            id: alert_id(&alert_type, now),
            alert_type,
            severity,
            message,
            context,
            status: AlertStatus::Active,
            triggered_at: Timestamp(now.trunc_subsecs(3)),
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            resolved_by: None,
            resolution_note: None,
            occurrences: 1,
            last_notified_at: None,
            test: false,
            deliveries: Vec::new(),
        })
    }

    /// What makes two alerts "the same problem": PagerDuty's `dedup_key`, and
    /// the key the store de-duplicates on.
    pub fn identity(&self) -> &str {
        &self.alert_type
    }
}

/// The longest message kept, in bytes: far above what anyone reads in an
/// alert, far below what providers refuse (PagerDuty takes 512 KB per event).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// A message as it is sent. Control characters but line breaks and tabs
/// become U+FFFD: a NUL has no place in an e-mail, an escape sequence would
/// drive the terminal of whoever reads the alert. A message over
/// [`MAX_MESSAGE_BYTES`] is cut, and says so.
pub(super) fn clean_message(message: &str) -> String {
    let unix = message.replace("\r\n", "\n");
    let mut clean: String = unix
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    if clean.len() > MAX_MESSAGE_BYTES {
        let mut end = MAX_MESSAGE_BYTES;
        while !clean.is_char_boundary(end) {
            end -= 1;
        }
        tracing::warn!(
            "the message is longer than {MAX_MESSAGE_BYTES} bytes: only the first {end} are sent"
        );
        clean.truncate(end);
        clean.push_str(&format!("… [cut at {MAX_MESSAGE_BYTES} bytes]"));
    }
    clean
}

/// `--context`: a JSON object, or nothing.
pub fn parse_context(text: Option<&str>) -> Result<Map<String, Value>, InputError> {
    let Some(text) = text else {
        return Ok(Map::new());
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(InputError::ContextNotObject(json_kind(&other))),
        Err(e) => Err(InputError::ContextSyntax(e.to_string())),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Short, unique and stable: 12 hex digits of an FNV-1a hash of the type and
/// the trigger instant in nanoseconds. Computed once when the alert is
/// created and stored with it; two alerts would share an id only if the same
/// type were triggered in the same nanosecond.
pub fn alert_id(alert_type: &str, at: DateTime<Utc>) -> String {
    let nanos = at.timestamp_nanos_opt().unwrap_or_else(|| at.timestamp());
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in alert_type.bytes().chain([0]).chain(nanos.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:012x}", hash >> 16)
}

/// The type `alert test` sends.
pub const TEST_TYPE: &str = "vitals_test";

/// A harmless info alert that says what it is.
pub fn test_alert() -> Result<Alert, InputError> {
    let host = super::channels::hostname();
    let mut context = Map::new();
    context.insert("test".into(), Value::Bool(true));
    context.insert("host".into(), Value::String(host.clone()));
    context.insert(
        "sent_by".into(),
        Value::String(concat!("vitals ", env!("CARGO_PKG_VERSION")).into()),
    );
    let mut alert = Alert::new(
        TEST_TYPE,
        Severity::Info,
        &format!(
            "This is a test alert sent by `vitals alert test` on {host} to check that this \
             channel works. No action is needed."
        ),
        context,
    )?;
    alert.test = true;
    Ok(alert)
}
