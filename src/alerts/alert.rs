//! What an alert is: its type, severity, message and context, when it was
//! raised and what became of it. [`Alert`] is also the record the alert
//! store keeps and the JSON `alert send --json` prints: it deserializes back
//! unchanged, so the store needs no second model.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::channels::ChannelId;
use super::labels::{Identity, LabelError, Labels, fnv1a};
use super::{Delivery, Event};
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

/// Why an open alert is held back from notifications (its `status` stays
/// what it is). Recorded with a reason, shown by `alert list`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::AsRefStr,
    strum::Display,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Held {
    /// A silence matches it.
    Silenced,
    /// A related alert that explains it is open.
    Inhibited,
    /// Its check keeps changing state.
    Flapping,
    /// Every channel it was due on had reached `ALERT_RATE_LIMIT`.
    RateLimited,
    /// Raised by a check this vitals no longer runs: nothing will resolve it on its own.
    Stale,
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

    pub fn to_datetime(self) -> DateTime<Utc> {
        self.0
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
    /// 12 hex digits derived from the identity and the trigger instant (see [`alert_id`]).
    pub id: String,
    pub alert_type: String,
    /// With the type, what tells this problem from another (`instance`, `target`, `host`…).
    pub labels: Labels,
    /// `type{name="value",…}` (the type alone without labels): the store
    /// keeps one open alert per identity.
    pub identity: String,
    /// A short hash of the identity.
    pub fingerprint: String,
    /// What channels know this alert by (PagerDuty's `dedup_key`): derived
    /// from the identity when the alert was first raised, and kept.
    pub dedup_key: String,
    pub severity: Severity,
    pub message: String,
    pub context: Map<String, Value>,
    pub status: AlertStatus,
    /// Why this open alert is held back from notifications, if it is.
    pub held: Option<Held>,
    pub held_reason: Option<String>,
    /// What holds it: the silence's id, or the id of the alert that inhibits it.
    pub held_by: Option<String>,
    pub triggered_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<Timestamp>,
    pub resolved_by: Option<String>,
    pub resolution_note: Option<String>,
    pub occurrences: u32,
    pub last_notified_at: Option<Timestamp>,
    /// The message of the first notification that may have reached someone:
    /// follow-ups quote it beside the latest one.
    pub notified_message: Option<String>,
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
    #[error(transparent)]
    Label(#[from] LabelError),
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
            identity: alert_type.clone(),
            fingerprint: Identity::of(&alert_type, &Labels::new())?.fingerprint(),
            dedup_key: alert_type.clone(),
            alert_type,
            labels: Labels::new(),
            severity,
            message,
            context,
            status: AlertStatus::Active,
            held: None,
            held_reason: None,
            held_by: None,
            triggered_at: Timestamp(now.trunc_subsecs(3)),
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            resolved_by: None,
            resolution_note: None,
            occurrences: 1,
            last_notified_at: None,
            notified_message: None,
            test: false,
            deliveries: Vec::new(),
        })
    }

    /// The same alert with these labels: its identity, fingerprint, key and
    /// id follow from them. Values quoting a configured secret are scrubbed.
    pub fn with_labels(mut self, labels: Labels) -> Result<Alert, InputError> {
        let labels: Labels = labels
            .into_iter()
            .map(|(name, value)| (name, redact::scrub(&value).into_owned()))
            .collect();
        let identity = Identity::of(&self.alert_type, &labels)?;
        self.id = alert_id(identity.as_str(), self.triggered_at.0);
        self.fingerprint = identity.fingerprint();
        self.dedup_key = dedup_key(&self.alert_type, &identity);
        self.identity = identity.to_string();
        self.labels = labels;
        Ok(self)
    }

    /// Puts the identity back in step with the labels (after a stored
    /// alert's labels were filled in), keeping the id and the key.
    pub fn relabel(&mut self, labels: Labels) -> Result<(), InputError> {
        let identity = Identity::of(&self.alert_type, &labels)?;
        self.fingerprint = identity.fingerprint();
        self.identity = identity.to_string();
        self.labels = labels;
        Ok(())
    }

    /// Every label as Prometheus and Alertmanager read it, and as silences
    /// match it: its own, `alertname` (its type) and `severity`.
    pub fn full_labels(&self) -> Labels {
        let mut labels = self.labels.clone();
        labels.insert("alertname".into(), self.alert_type.clone());
        labels.insert("severity".into(), self.severity.as_ref().to_owned());
        labels
    }

    /// Whether anything may have been told about it: a delivery that
    /// reached someone, or one whose outcome is unknown.
    pub fn possibly_told(&self, channel: ChannelId) -> bool {
        self.deliveries.iter().any(|d| {
            d.channel == channel && d.event == Event::Trigger && d.outcome.possibly_delivered()
        })
    }
}

/// PagerDuty takes a `dedup_key` of at most this many characters.
const MAX_KEY_CHARS: usize = 255;

/// The identity itself when it fits, else the type and the fingerprint.
fn dedup_key(alert_type: &str, identity: &Identity) -> String {
    if identity.as_str().chars().count() <= MAX_KEY_CHARS {
        identity.to_string()
    } else {
        format!("{alert_type}#{}", identity.fingerprint())
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

/// Short, unique and stable: 12 hex digits of an FNV-1a hash of the
/// identity and the trigger instant in nanoseconds. Computed once when the
/// alert is created and stored with it; two alerts would share an id only if
/// the same identity were triggered in the same nanosecond.
pub fn alert_id(identity: &str, at: DateTime<Utc>) -> String {
    let nanos = at.timestamp_nanos_opt().unwrap_or_else(|| at.timestamp());
    let bytes: Vec<u8> = identity
        .bytes()
        .chain([0])
        .chain(nanos.to_le_bytes())
        .collect();
    format!("{:012x}", fnv1a(&bytes) >> 16)
}

/// The type `alert test` sends.
pub const TEST_TYPE: &str = "vitals_test";

/// A harmless info alert that says what it is.
pub fn test_alert() -> Result<Alert, InputError> {
    let host = crate::config::host_name();
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
    // Each test is its own incident, closed by the test itself.
    alert.dedup_key = format!("{TEST_TYPE}-{}", alert.id);
    Ok(alert)
}
