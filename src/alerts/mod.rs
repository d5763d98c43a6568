//! Alerts: what an alert is, what became of each notification, routing
//! through the channels, and the `alert` command.
//!
//! [`Alert`] and [`Delivery`] are the records the alert store keeps: they
//! serialize to the JSON that `alert send --json` prints and deserialize back
//! unchanged, so the store needs no second model.

pub mod channels;
pub mod lifecycle;
mod retry;
pub mod store;

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use clap::ValueEnum;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::cli::{AlertCommand, SendArgs};
use crate::config::Config;
use crate::output::{Output, one_line};
use crate::redact;
use crate::signals::{self, Interrupted};
use crate::status::Exit;
use channels::{ChannelId, Entry, Message, Slot};
pub use retry::Policy;

/// How bad it is. Ordered, so "a higher severity than the stored one" is a comparison.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }

    /// As the subject line shows it: `[CRITICAL]`.
    pub fn label(self) -> String {
        self.as_str().to_ascii_uppercase()
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
        Timestamp(Utc::now().trunc_subsecs(3))
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

/// One alert and every notification sent about it (SPEC 4.1).
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
        let now = Utc::now();
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
fn clean_message(message: &str) -> String {
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

/// `--message -`: the message from stdin (a log excerpt, say), read no
/// further than needed to know it is too long. Invalid UTF-8 becomes U+FFFD.
fn message_from_stdin() -> Result<String, InputError> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_MESSAGE_BYTES as u64 + 4)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::Stdin(e.to_string()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
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

/// Where a notification went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Smtp,
    SendGrid,
    Slack,
    Twilio,
    PagerDuty,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Smtp => "smtp",
            Provider::SendGrid => "sendgrid",
            Provider::Slack => "slack",
            Provider::Twilio => "twilio",
            Provider::PagerDuty => "pagerduty",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Delivered,
    Failed,
    /// Not sent on purpose (SMS takes critical alerts only).
    Skipped,
    /// Not sent because the channel's rate limit (`ALERT_RATE_LIMIT`) was reached.
    Suppressed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::Suppressed => "suppressed",
        }
    }
}

/// What a notification says: the alert itself, or a follow-up on it. These
/// are PagerDuty's event actions, which carry the same three meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    #[default]
    Trigger,
    Acknowledge,
    Resolve,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Trigger => "trigger",
            Event::Acknowledge => "acknowledge",
            Event::Resolve => "resolve",
        }
    }
}

/// One try at delivering: when, how long, what the server said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: Timestamp,
    pub duration_ms: f64,
    /// HTTP status or SMTP reply code, when the server answered.
    pub status: Option<u16>,
    pub error: Option<String>,
}

impl Attempt {
    /// The record of one try. The error is outside text (a server's reply):
    /// one bounded, scrubbed line, as it will be printed and stored.
    pub fn new(
        at: Timestamp,
        duration_ms: f64,
        status: Option<u16>,
        error: Option<&str>,
    ) -> Attempt {
        Attempt {
            at,
            duration_ms,
            status,
            error: error.map(|e| one_line(e, MAX_SAID_CHARS)),
        }
    }
}

/// What became of one notification to one recipient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub channel: ChannelId,
    /// `None` when the channel is only partly configured and nothing was tried.
    pub provider: Option<Provider>,
    /// Shown as it may be printed: a webhook is only its origin.
    pub recipient: String,
    pub outcome: Outcome,
    pub attempts: u32,
    /// Why it failed, or why it was skipped.
    pub error: Option<String>,
    /// The provider's id for the message (Twilio `sid`, SendGrid
    /// `X-Message-Id`, PagerDuty `dedup_key`).
    pub provider_id: Option<String>,
    /// What the provider said about the accepted message (Twilio `status`, the SMTP reply).
    pub provider_status: Option<String>,
    pub at: Timestamp,
    pub history: Vec<Attempt>,
    /// Whether this notified the alert or followed it up (acknowledged, resolved).
    /// Absent in records written before follow-ups existed, which were all triggers.
    #[serde(default)]
    pub event: Event,
}

impl Delivery {
    /// The record of a finished send.
    pub fn finished(
        channel: ChannelId,
        provider: Provider,
        recipient: String,
        result: Result<Accepted, String>,
        history: Vec<Attempt>,
    ) -> Delivery {
        let (outcome, error, accepted) = match result {
            Ok(accepted) => (Outcome::Delivered, None, accepted),
            Err(e) => (Outcome::Failed, Some(e), Accepted::default()),
        };
        // Ids, statuses and errors quote what servers said: one bounded line each.
        let said = |text: Option<String>| text.map(|t| one_line(&t, MAX_SAID_CHARS));
        Delivery {
            channel,
            provider: Some(provider),
            recipient,
            outcome,
            attempts: u32::try_from(history.len()).unwrap_or(u32::MAX),
            error: said(error),
            provider_id: said(accepted.id),
            provider_status: said(accepted.status),
            at: Timestamp::now(),
            history,
            event: Event::Trigger,
        }
    }

    /// A notification that was not attempted, and why.
    pub fn not_sent(
        channel: ChannelId,
        provider: Option<Provider>,
        recipient: String,
        outcome: Outcome,
        reason: String,
    ) -> Delivery {
        Delivery {
            channel,
            provider,
            recipient,
            outcome,
            attempts: 0,
            error: Some(reason),
            provider_id: None,
            provider_status: None,
            at: Timestamp::now(),
            history: Vec::new(),
            event: Event::Trigger,
        }
    }
}

/// At most this many characters of what a provider said are kept in a delivery record.
const MAX_SAID_CHARS: usize = 1000;

/// What a provider told us about a message it accepted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Accepted {
    pub id: Option<String>,
    pub status: Option<String>,
}

/// 0 when every notification was delivered, 2 when none was, 1 in between.
/// Skipped and suppressed ones (by policy) do not count, unless nothing else happened.
pub fn exit_for(deliveries: &[Delivery]) -> Exit {
    let count = |o: Outcome| deliveries.iter().filter(|d| d.outcome == o).count();
    match (count(Outcome::Delivered), count(Outcome::Failed)) {
        (0, _) => Exit::Critical,
        (_, 0) => Exit::Ok,
        _ => Exit::Warning,
    }
}

/// `--dry-run`: the alert and exactly what each channel would send.
#[derive(Debug, Serialize)]
pub struct Preview {
    pub dry_run: bool,
    pub alert: Alert,
    pub messages: Vec<Message>,
}

/// Tells apart "the user asked for something impossible" (exit 3) from a failed delivery.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{channel} is not configured: {hint}")]
    NotConfigured { channel: ChannelId, hint: String },
    #[error("no alert channel is configured: {0}")]
    NothingConfigured(String),
}

/// `vitals alert …`.
pub fn command(
    command: &AlertCommand,
    config: &Config,
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let (alert, only, dry_run) = match command {
        AlertCommand::Send(args) => (alert_from_args(args)?, &args.channel, args.dry_run),
        AlertCommand::Test(args) => (test_alert()?, &args.channel, args.dry_run),
        AlertCommand::List(args) => return lifecycle::list(args, config, out, timeout),
        AlertCommand::Ack(args) => return lifecycle::acknowledge(args, config, out, timeout),
        AlertCommand::Resolve(args) => return lifecycle::resolve(args, config, out, timeout),
    };
    let shared = channels::Shared::new(config);
    let selected = select(channels::registry(config, &shared), only)?;

    if dry_run {
        let messages = selected.iter().flat_map(|s| s.preview(&alert)).collect();
        out.emit(&Preview {
            dry_run: true,
            alert,
            messages,
        })?;
        return Ok(Exit::Ok);
    }

    let runtime = signals::runtime(1)?;
    let policy = Policy::new(timeout, config.alert_retry_backoff);
    let rules = lifecycle::rules(config, timeout);
    // A test alert is not recorded: it must go out every time it is asked for.
    let recorded = !alert.test;
    let raised = signals::run_until_signal(&runtime, async {
        let mut store = None;
        let mut open_error = None;
        if recorded {
            match lifecycle::open_store(config, timeout).await {
                Ok(s) => store = Some(s),
                Err(e) => open_error = Some(e),
            }
        }
        let mut raised = lifecycle::raise_all(
            store.as_mut(),
            config,
            &selected,
            vec![alert],
            &rules,
            &policy,
        )
        .await;
        if let (Some(r), Some(e)) = (raised.first_mut(), open_error) {
            r.store_error = Some(e);
        }
        raised
    });
    // Requests still hanging have already been given up on, or the user
    // asked to stop; do not wait for them.
    runtime.shutdown_background();
    let raised = raised.map_err(|signal| Interrupted {
        signal,
        what: "deliveries in progress were abandoned (some channels may have been notified) \
               and no result was printed",
    })?;
    let Some(raised) = raised.into_iter().next() else {
        anyhow::bail!("internal error: the alert was lost");
    };
    out.emit(&lifecycle::Sent {
        alert: &raised.alert,
        note: lifecycle::note(&raised),
    })?;
    Ok(lifecycle::sent_exit(&raised))
}

fn alert_from_args(args: &SendArgs) -> Result<Alert, InputError> {
    let context = parse_context(args.context.as_deref())?;
    let message = match args.message.as_str() {
        "-" => message_from_stdin()?,
        text => text.to_owned(),
    };
    Alert::new(&args.alert_type, args.severity, &message, context)
}

/// The type `alert test` sends.
pub const TEST_TYPE: &str = "vitals_test";

/// A harmless info alert that says what it is.
fn test_alert() -> Result<Alert, InputError> {
    let host = channels::hostname();
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

/// The channels to use: those listed (each must be usable), or every
/// configured one, half-configured ones included so their problem is reported.
fn select(entries: Vec<Entry>, only: &[ChannelId]) -> Result<Vec<Entry>, AlertError> {
    let unusable = |entry: &Entry| match &entry.slot {
        Slot::Ready(_) => None,
        Slot::Incomplete(problems) => Some(channels::describe_problems(problems)),
        Slot::Unset => Some(format!("set {}", entry.id.configured_by())),
    };
    if !only.is_empty() {
        for entry in entries.iter().filter(|e| only.contains(&e.id)) {
            if let Some(hint) = unusable(entry) {
                return Err(AlertError::NotConfigured {
                    channel: entry.id,
                    hint,
                });
            }
        }
        return Ok(entries
            .into_iter()
            .filter(|e| only.contains(&e.id))
            .collect());
    }
    if entries.iter().all(|e| unusable(e).is_some()) {
        let incomplete: Vec<String> = entries
            .iter()
            .filter(|e| matches!(e.slot, Slot::Incomplete(_)))
            .filter_map(|e| Some(format!("{} is incomplete ({})", e.id, unusable(e)?)))
            .collect();
        return Err(AlertError::NothingConfigured(if incomplete.is_empty() {
            let each: Vec<String> = entries
                .iter()
                .map(|e| format!("{}: {}", e.id, e.id.configured_by()))
                .collect();
            format!("set one of {}", each.join("; "))
        } else {
            incomplete.join("; ")
        }));
    }
    Ok(entries
        .into_iter()
        .filter(|e| !matches!(e.slot, Slot::Unset))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_errors_are_scrubbed_single_lines() {
        crate::redact::register("attempt-secret-991");
        let attempt = Attempt::new(
            Timestamp::now(),
            1.0,
            Some(500),
            Some("server said: token attempt-secret-991\nwas\trejected"),
        );
        assert_eq!(
            attempt.error.as_deref(),
            Some("server said: token *** was rejected")
        );
    }

    fn alert(severity: Severity) -> Alert {
        let made = Alert::new("disk_full", severity, "disk / is 97% full", Map::new());
        made.unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn alert_json_round_trips_unchanged() {
        let mut a = alert(Severity::Critical);
        a.context.insert("host".into(), Value::String("db1".into()));
        a.deliveries.push(Delivery::finished(
            ChannelId::Sms,
            Provider::Twilio,
            "+14155550101".into(),
            Ok(Accepted {
                id: Some("SM1".into()),
                status: Some("queued".into()),
            }),
            vec![Attempt {
                at: Timestamp::now(),
                duration_ms: 12.5,
                status: Some(201),
                error: None,
            }],
        ));
        let text = serde_json::to_string(&a).unwrap_or_default();
        let back: Result<Alert, _> = serde_json::from_str(&text);
        assert_eq!(back.ok().as_ref(), Some(&a), "{text}");
        let v: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(v["severity"], "critical");
        assert_eq!(v["status"], "active");
        assert_eq!(v["occurrences"], 1);
        assert_eq!(v["acknowledged_at"], Value::Null);
        assert_eq!(v["deliveries"][0]["channel"], "sms");
        assert_eq!(v["deliveries"][0]["provider"], "twilio");
        assert_eq!(v["deliveries"][0]["outcome"], "delivered");
        assert_eq!(v["deliveries"][0]["attempts"], 1);
        assert_eq!(v["deliveries"][0]["provider_id"], "SM1");
        let ts = v["triggered_at"].as_str().unwrap_or_default();
        assert_eq!(ts.len(), "2026-11-28T07:41:37.016Z".len(), "{ts}");
        assert!(ts.ends_with('Z'), "{ts}");
    }

    #[test]
    fn ids_are_short_hex_and_differ_by_type_and_time() {
        let t = Utc::now();
        let id = alert_id("disk_full", t);
        assert_eq!(id.len(), 12);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        assert_eq!(id, alert_id("disk_full", t), "stable");
        assert_ne!(id, alert_id("disk_fulL", t));
        assert_ne!(
            id,
            alert_id("disk_full", t + chrono::Duration::nanoseconds(1))
        );
    }

    #[test]
    fn context_must_be_an_object() {
        assert_eq!(parse_context(None), Ok(Map::new()));
        let ok = parse_context(Some(r#"{"a":1}"#)).unwrap_or_default();
        assert_eq!(ok.get("a"), Some(&Value::from(1)));
        assert_eq!(
            parse_context(Some("[1]")),
            Err(InputError::ContextNotObject("an array"))
        );
        assert!(matches!(
            parse_context(Some("{oops")),
            Err(InputError::ContextSyntax(_))
        ));
    }

    #[test]
    fn messages_are_cleaned_and_cut() {
        assert_eq!(
            clean_message("a\0b\x1b[2J\r\nc\td"),
            "a\u{FFFD}b\u{FFFD}[2J\nc\td"
        );
        let long = "ж".repeat(MAX_MESSAGE_BYTES);
        let cut = clean_message(&long);
        assert_eq!(
            cut,
            format!(
                "{}… [cut at {MAX_MESSAGE_BYTES} bytes]",
                "ж".repeat(MAX_MESSAGE_BYTES / 2)
            )
        );
        let odd = format!("x{}", "ж".repeat(MAX_MESSAGE_BYTES / 2));
        assert!(
            clean_message(&odd)
                .starts_with(&format!("x{}…", "ж".repeat(MAX_MESSAGE_BYTES / 2 - 1)))
        );
    }

    #[test]
    fn bad_types_and_messages_are_refused() {
        for bad in ["", "  ", "a\nb", &"x".repeat(201)] {
            assert_eq!(
                Alert::new(bad, Severity::Info, "m", Map::new()).err(),
                Some(InputError::BadType),
                "{bad:?}"
            );
        }
        assert_eq!(
            Alert::new("t", Severity::Info, " ", Map::new()).err(),
            Some(InputError::EmptyMessage)
        );
    }

    #[test]
    fn exit_codes_follow_the_deliveries() {
        let d = |outcome| {
            Delivery::not_sent(
                ChannelId::Slack,
                Some(Provider::Slack),
                "x".into(),
                outcome,
                String::new(),
            )
        };
        use Outcome::*;
        assert_eq!(exit_for(&[d(Delivered), d(Skipped)]), Exit::Ok);
        assert_eq!(exit_for(&[d(Delivered), d(Failed)]), Exit::Warning);
        assert_eq!(exit_for(&[d(Failed), d(Failed)]), Exit::Critical);
        assert_eq!(exit_for(&[d(Skipped)]), Exit::Critical);
    }

    #[test]
    fn names_match_their_json() {
        for p in [
            Provider::Smtp,
            Provider::SendGrid,
            Provider::Slack,
            Provider::Twilio,
            Provider::PagerDuty,
        ] {
            assert_eq!(serde_json::to_value(p).unwrap_or_default(), p.as_str());
        }
        for o in [Outcome::Delivered, Outcome::Failed, Outcome::Skipped] {
            assert_eq!(serde_json::to_value(o).unwrap_or_default(), o.as_str());
        }
        for s in [
            Severity::Info,
            Severity::Warning,
            Severity::Error,
            Severity::Critical,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap_or_default(), s.as_str());
        }
    }

    #[test]
    fn severities_order_and_label() {
        assert!(Severity::Critical > Severity::Error && Severity::Warning > Severity::Info);
        assert_eq!(Severity::Warning.label(), "WARNING");
    }
}
