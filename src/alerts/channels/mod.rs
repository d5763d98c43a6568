//! Alert channels behind one small trait, and the registry of them.
//!
//! A channel is one file declaring a [`ChannelSpec`] (its name, its
//! variables, how it reads them) and implementing [`Notifier`], plus one
//! line in `channels!` below (docs/ARCHITECTURE.md shows it). Whether a
//! channel can be used is decided when its settings are read: only a
//! `Ready` one is ever built, so a [`Notifier`] always has what it needs.

/// E-mail's second transport (the first is SMTP, in `email/`).
pub mod sendgrid;

use std::fmt;
use std::str::FromStr;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Alert, Delivery, Event, Outcome, Policy, Severity};
use crate::config::parse::Expected;
use crate::config::{Channel, Config, ConfigError, Group, Reader};
use crate::net::http;
use crate::net::tls::Trust;

/// Declares each channel's module and lists its descriptor in `CHANNELS`,
/// so that registering a channel is one line.
macro_rules! channels {
    ($($channel:ident,)*) => {
        $(pub mod $channel;)*

        /// Every channel, in the order deliveries are reported.
        pub const CHANNELS: &[ChannelSpec] = &[$($channel::CHANNEL),*];
    };
}

channels! {
    email,
    slack,
    sms,
    pagerduty,
    webhook,
    alertmanager,
}

/// What vitals knows of a channel before reading its settings.
pub struct ChannelSpec {
    /// What `--channel` takes and delivery records carry (in the store too).
    pub name: &'static str,
    /// Its line in `--channel`'s help.
    pub help: &'static str,
    /// What to set to use it.
    pub configured_by: &'static str,
    /// The variable of its group that sets the least severe alert it takes.
    pub min_severity: &'static str,
    /// Its variables, under its title in `config validate` and `.env.example`.
    pub group: Group,
    /// Reads its settings (problems go to the reader) and, when they are
    /// complete, builds it.
    pub read: fn(&mut Reader<'_>, &Shared) -> Channel<Box<dyn Notifier>>,
}

impl ChannelSpec {
    pub const fn id(&self) -> ChannelId {
        ChannelId(self.name)
    }
}

/// A channel, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChannelId(&'static str);

impl ChannelId {
    fn spec(self) -> Option<&'static ChannelSpec> {
        CHANNELS.iter().find(|c| c.name == self.0)
    }

    /// What to set to use this channel.
    pub fn configured_by(self) -> &'static str {
        self.spec().map_or("", |c| c.configured_by)
    }
}

impl AsRef<str> for ChannelId {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The name is not one of a channel vitals knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown channel {0:?}")]
pub struct UnknownChannel(String);

impl FromStr for ChannelId {
    type Err = UnknownChannel;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        CHANNELS
            .iter()
            .find(|c| c.name == name)
            .map(ChannelSpec::id)
            .ok_or_else(|| UnknownChannel(name.to_owned()))
    }
}

impl Serialize for ChannelId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for ChannelId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<str>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// One way of notifying people.
pub trait Notifier: Send + Sync {
    fn name(&self) -> ChannelId;

    /// Who carries the message (`smtp`, `sendgrid`, `twilio`…), as delivery records name it.
    fn provider(&self) -> &'static str;

    /// Who receives notifications, as they may be printed (a webhook as its origin only).
    fn recipients(&self) -> Vec<String>;

    /// Whether this channel carries `event`. Every channel carries the alert
    /// itself; follow-ups go only where people act on them.
    fn takes(&self, event: Event) -> bool {
        event == Event::Trigger
    }

    /// Whether this channel keeps its own copy of each firing alert that
    /// lapses unless sent again (Alertmanager): it then gets every
    /// occurrence of an alert that is not held back, notified or not, and
    /// `alert test` resolves there what it raised.
    fn resends(&self) -> bool {
        false
    }

    /// Exactly what [`Notifier::send`] would send, credentials masked. Pure: no network.
    fn render(&self, alert: &Alert, event: Event) -> Vec<Message>;

    /// Sends `event` about the alert: one record per recipient, failures included.
    /// Never panics, never outlives the policy's deadline by more than one request timeout.
    fn send<'a>(
        &'a self,
        alert: &'a Alert,
        event: Event,
        policy: &'a Policy,
    ) -> BoxFuture<'a, Vec<Delivery>>;
}

/// What a channel would send, for `--dry-run`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub channel: ChannelId,
    pub provider: Option<&'static str>,
    pub to: Vec<String>,
    #[serde(flatten)]
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Content {
    Email {
        subject: String,
        text: String,
        html: String,
    },
    /// A JSON request body (Slack, PagerDuty).
    Json { body: Value },
    /// A form request body (Twilio), in the order sent.
    Form {
        #[serde(serialize_with = "crate::json::pairs")]
        form: Vec<(String, String)>,
    },
    /// Nothing would be sent, for this reason.
    Skipped { skipped: String },
}

/// People read about an alert and about its end (e-mail, Slack);
/// acknowledgements are for the incident tool (PagerDuty).
pub fn read_by_people(event: Event) -> bool {
    matches!(event, Event::Trigger | Event::Resolve)
}

/// The annotations of an alert, as Alertmanager keeps them (strings only):
/// the summary a chat message shows, the whole message, the alert's id, and
/// for a resolved one who resolved it and why.
pub fn annotations(alert: &Alert, event: Event) -> Map<String, Value> {
    let mut map = Map::new();
    let first_line = alert.message.lines().next().unwrap_or_default();
    map.insert(
        "summary".into(),
        Value::String(format!("{}: {first_line}", alert.alert_type)),
    );
    map.insert("description".into(), Value::String(alert.message.clone()));
    map.insert("alert_id".into(), Value::String(alert.id.clone()));
    if event == Event::Resolve {
        if let Some(by) = &alert.resolved_by {
            map.insert("resolved_by".into(), Value::String(by.clone()));
        }
        if let Some(note) = &alert.resolution_note {
            map.insert("resolution_note".into(), Value::String(note.clone()));
        }
    }
    map
}

/// An alert's labels as Prometheus and Alertmanager read them, as JSON.
pub fn prometheus_labels(alert: &Alert) -> Map<String, Value> {
    alert
        .full_labels()
        .into_iter()
        .map(|(name, value)| (name, Value::String(value)))
        .collect()
}

/// The lines a resolved notification adds: when, by whom, the note, and
/// what the alert was: the message first notified, how many occurrences
/// there were, and the latest message (which is what the notice shows).
pub fn resolution_lines(alert: &Alert) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    if let Some(at) = alert.resolved_at {
        lines.push(("Resolved at", at.to_string()));
    }
    if let Some(by) = &alert.resolved_by {
        lines.push(("Resolved by", by.clone()));
    }
    if let Some(note) = &alert.resolution_note {
        lines.push(("Note", note.clone()));
    }
    if let Some(first) = &alert.notified_message {
        lines.push(("First notified", first.clone()));
    }
    lines.push(("Occurrences", alert.occurrences.to_string()));
    if alert.occurrences > 1 {
        lines.push(("Latest message", alert.message.clone()));
    }
    lines
}

/// What every channel may use: one HTTP client, the trust roots, names.
pub struct Shared {
    pub http: http::Client,
    pub trust: Trust,
    /// `ALERT_SUBJECT_PREFIX`: the platform's name in subjects and footers.
    pub platform: String,
    /// This host, as PagerDuty's `source`.
    pub host: String,
}

impl Shared {
    pub fn new(config: &Config) -> Shared {
        let trust = Trust::new(config.extra_ca_file.clone());
        Shared {
            http: http::Client::new(&trust),
            trust,
            platform: config.platform_name.clone(),
            host: crate::config::host_name(),
        }
    }
}

/// A channel as configured.
pub enum Slot {
    Ready(Box<dyn Notifier>),
    /// Partly set up, or a variable of it malformed: using it is an error
    /// to report, with what is wrong.
    Incomplete(Vec<ConfigError>),
    Unset,
}

pub struct Entry {
    pub id: ChannelId,
    pub slot: Slot,
    /// The least severe alert it takes (`*_MIN_SEVERITY`).
    pub minimum: Minimum,
}

/// The least severe alert a channel takes, and the variable that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Minimum {
    pub severity: Severity,
    pub var: &'static str,
}

impl Minimum {
    /// `var`, or its default: a severity name.
    pub fn read(r: &mut Reader<'_>, var: &'static str) -> Minimum {
        let parse = |v: &str| {
            v.to_ascii_lowercase()
                .parse::<Severity>()
                .map_err(|_| Expected("one of info, warning, error, critical".to_owned()))
        };
        let severity = r
            .typed(var, parse)
            .or_else(|| r.default(var).and_then(|d| parse(d).ok()))
            .unwrap_or(Severity::Info);
        Minimum { severity, var }
    }

    /// Whether an alert of `severity` goes through.
    pub fn takes(self, severity: Severity) -> bool {
        severity >= self.severity
    }

    /// Why `alert` does not go through `channel`: it is less severe than the
    /// minimum. A test alert goes through every channel.
    fn refuses(self, channel: ChannelId, alert: &Alert) -> Option<String> {
        (!alert.test && !self.takes(alert.severity)).then(|| {
            format!(
                "{channel} takes {} alerts and above ({}); this one is {}",
                self.severity, self.var, alert.severity
            )
        })
    }
}

/// Reads every channel's settings, in the order deliveries are reported. A
/// channel with a malformed variable is unusable, as a half-configured one
/// is, and says why; it stops neither the other channels nor the command.
pub fn read(reader: &mut Reader<'_>, shared: &Shared) -> Vec<Entry> {
    CHANNELS
        .iter()
        .map(|spec| {
            let before = reader.errors().len();
            let minimum = Minimum::read(reader, spec.min_severity);
            let channel = (spec.read)(reader, shared);
            let mut problems = reader.errors()[before..].to_vec();
            let slot = match channel {
                Channel::Ready(notifier) if problems.is_empty() => Slot::Ready(notifier),
                Channel::Unset if problems.is_empty() => Slot::Unset,
                Channel::Incomplete(missing) => {
                    // A variable set but malformed is said once, as malformed.
                    let malformed: Vec<&str> = problems.iter().map(|p| p.var).collect();
                    let missing: Vec<ConfigError> = missing
                        .into_iter()
                        .filter(|m| !malformed.contains(&m.var))
                        .collect();
                    problems.extend(missing);
                    Slot::Incomplete(problems)
                }
                Channel::Ready(_) | Channel::Unset => Slot::Incomplete(problems),
            };
            Entry {
                id: spec.id(),
                slot,
                minimum,
            }
        })
        .collect()
}

pub fn describe_problems(problems: &[ConfigError]) -> String {
    let each: Vec<String> = problems.iter().map(ToString::to_string).collect();
    each.join("; ")
}

impl Entry {
    /// What makes the channel unusable, if anything.
    pub fn problems(&self) -> &[ConfigError] {
        match &self.slot {
            Slot::Incomplete(problems) => problems,
            Slot::Ready(_) | Slot::Unset => &[],
        }
    }

    fn not_configured(&self, problems: &[ConfigError]) -> String {
        format!("not configured: {}", describe_problems(problems))
    }

    /// Why this alert does not go through this channel, when it does not.
    pub fn skips(&self, alert: &Alert) -> Option<String> {
        self.minimum.refuses(self.id, alert)
    }

    pub fn preview(&self, alert: &Alert) -> Vec<Message> {
        let skipped = |provider, to, reason| Message {
            channel: self.id,
            provider,
            to,
            content: Content::Skipped { skipped: reason },
        };
        match &self.slot {
            Slot::Ready(n) => match self.skips(alert) {
                Some(reason) => {
                    tracing::info!("{}: {reason}", n.name());
                    vec![skipped(Some(n.provider()), n.recipients(), reason)]
                }
                None => n.render(alert, Event::Trigger),
            },
            Slot::Incomplete(problems) => {
                vec![skipped(None, Vec::new(), self.not_configured(problems))]
            }
            Slot::Unset => Vec::new(),
        }
    }

    /// The notifier, when the channel is usable.
    pub fn ready(&self) -> Option<&dyn Notifier> {
        match &self.slot {
            Slot::Ready(n) => Some(n.as_ref()),
            Slot::Incomplete(_) | Slot::Unset => None,
        }
    }

    /// Whether delivering `event` about `alert` would make a request: the
    /// channel is usable, takes the event and does not skip the alert.
    pub fn would_send(&self, alert: &Alert, event: Event) -> bool {
        self.ready().is_some_and(|n| {
            n.takes(event) && (event != Event::Trigger || self.skips(alert).is_none())
        })
    }

    /// The record of a notification the rate limit held back, for each recipient.
    pub fn suppressed(&self, event: Event, reason: &str) -> Vec<Delivery> {
        let Some(n) = self.ready() else {
            return Vec::new();
        };
        tracing::info!("{}: {reason}", n.name());
        n.recipients()
            .into_iter()
            .map(|r| Delivery {
                event,
                ..Delivery::not_sent(
                    self.id,
                    Some(n.provider()),
                    r,
                    Outcome::Suppressed,
                    reason.to_owned(),
                )
            })
            .collect()
    }

    pub async fn deliver(&self, alert: &Alert, event: Event, policy: &Policy) -> Vec<Delivery> {
        let mut deliveries = match &self.slot {
            Slot::Ready(n) if !n.takes(event) => Vec::new(),
            Slot::Ready(n) => match self.skips(alert).filter(|_| event == Event::Trigger) {
                Some(reason) => {
                    tracing::info!("{}: {reason}", n.name());
                    n.recipients()
                        .into_iter()
                        .map(|r| {
                            Delivery::not_sent(
                                self.id,
                                Some(n.provider()),
                                r,
                                Outcome::Skipped,
                                reason.clone(),
                            )
                        })
                        .collect()
                }
                None => {
                    let deliveries = n.send(alert, event, policy).await;
                    for d in &deliveries {
                        tracing::info!(
                            "{} {} to {}: {} after {} attempt(s){}",
                            n.name(),
                            event.as_ref(),
                            d.recipient,
                            d.outcome.as_ref(),
                            d.attempts,
                            d.error
                                .as_deref()
                                .map(|e| format!(": {e}"))
                                .unwrap_or_default()
                        );
                    }
                    deliveries
                }
            },
            Slot::Incomplete(problems) if event == Event::Trigger => vec![Delivery::not_sent(
                self.id,
                None,
                "-".to_owned(),
                Outcome::Failed,
                self.not_configured(problems),
            )],
            Slot::Incomplete(_) | Slot::Unset => Vec::new(),
        };
        for d in &mut deliveries {
            d.event = event;
        }
        deliveries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_takes_its_minimum_severity_and_above_and_every_test() {
        let minimum = Minimum {
            severity: Severity::Error,
            var: "SMS_MIN_SEVERITY",
        };
        let sms = ChannelId("sms");
        let alert = |severity| {
            Alert::new("disk_full", severity, "m", Map::new()).unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(minimum.refuses(sms, &alert(Severity::Error)), None);
        assert_eq!(minimum.refuses(sms, &alert(Severity::Critical)), None);
        assert_eq!(
            minimum.refuses(sms, &alert(Severity::Warning)),
            Some("sms takes error alerts and above (SMS_MIN_SEVERITY); this one is warning".into())
        );
        let mut test = alert(Severity::Info);
        test.test = true;
        assert_eq!(minimum.refuses(sms, &test), None);
    }
}

/// Invariants of what users put in an alert: deep `--context` refused
/// without overflow, every rendering escaped. (`fuzz/` fuzzes the providers'
/// answers and `--context`.)
#[cfg(test)]
mod properties {
    use super::*;
    use crate::alerts::{Event, Severity, parse_context};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn deeply_nested_context_is_refused_without_overflow(depth in prop_oneof![0usize..300, 0usize..20_000]) {
            let text = format!("{{\"a\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
            let parsed = parse_context(Some(&text));
            // serde_json stops at 128 levels instead of recursing without end.
            if depth < 127 {
                prop_assert!(parsed.is_ok(), "{depth}: {parsed:?}");
            } else {
                prop_assert_eq!(parsed.err().map(|e| e.to_string().starts_with("--context: not valid JSON (recursion limit exceeded")), Some(true));
            }
        }

        /// Whatever the alert says, the subject stays one header line, the
        /// HTML has no markup of the user's and Slack gets no raw `<` or `>`.
        #[test]
        fn rendered_alerts_escape_everything(
            alert_type in "[^\u{0}-\u{1f}\u{7f}-\u{9f}]{1,40}",
            message in any::<String>(),
            note in any::<String>(),
            platform in any::<String>(),
        ) {
            let mut context = serde_json::Map::new();
            context.insert("note".into(), serde_json::Value::String(note));
            let alert = Alert::new(&alert_type, Severity::Critical, &format!("m{message}"), context);
            let Ok(alert) = alert else {
                // Only a blank type is refused.
                prop_assert!(alert_type.trim().is_empty());
                return Ok(());
            };
            for event in [Event::Trigger, Event::Resolve] {
                let email = email::compose(&alert, event, &platform);
                prop_assert!(!email.subject.chars().any(char::is_control), "{:?}", email.subject);
                let user_html = [&alert.alert_type, &alert.message, &platform];
                for text in user_html {
                    let escaped = email::html_escape(text);
                    prop_assert!(!escaped.contains(['<', '>', '"', '\'']));
                    prop_assert!(email.html.contains(&escaped));
                }
                let body = slack::payload(&alert, event, &platform, None);
                let attachment = &body["attachments"][0];
                for field in ["title", "text", "fallback", "footer"] {
                    let value = attachment[field].as_str().unwrap_or_default();
                    prop_assert!(!value.contains(['<', '>']), "{field}: {value:?}");
                }
            }
            prop_assert!(sms::text(&alert).chars().count() <= "CRITICAL ALERT: \n".len() + alert.alert_type.chars().count() + sms::MESSAGE_CHARS);
        }
    }
}
