//! What became of each notification: where it went, how many attempts it
//! took, what the provider said.

use serde::{Deserialize, Serialize};

use super::Timestamp;
use super::channels::ChannelId;
use crate::exit::Exit;
use crate::text::one_line;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::AsRefStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Outcome {
    Delivered,
    Failed,
    /// Not sent on purpose (SMS takes critical alerts only).
    Skipped,
    /// Not sent because the channel's rate limit (`ALERT_RATE_LIMIT`) was reached.
    Suppressed,
    /// Being sent: recorded before the request goes out, so that a vitals
    /// that dies midway leaves a trace.
    Pending,
    /// It may or may not have reached the channel: the sending vitals was
    /// stopped (a signal, a crash) before the provider answered.
    Unknown,
}

impl Outcome {
    /// Someone may have been told: follow-ups (acknowledged, resolved) go to
    /// every channel for which this holds.
    pub fn possibly_delivered(self) -> bool {
        matches!(
            self,
            Outcome::Delivered | Outcome::Pending | Outcome::Unknown
        )
    }
}

/// What a notification says: the alert itself, or a follow-up on it. These
/// are PagerDuty's event actions, which carry the same three meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, strum::AsRefStr)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Event {
    #[default]
    Trigger,
    Acknowledge,
    Resolve,
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
    /// Who carried it (the channel's provider: `smtp`, `sendgrid`, `twilio`…);
    /// `None` when the channel could not be used and nothing was tried.
    pub provider: Option<String>,
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
    /// The record of a finished send: delivered, failed, or unknown when
    /// an attempt went out and was never answered.
    pub fn finished(
        channel: ChannelId,
        provider: &str,
        recipient: String,
        result: Result<Accepted, impl std::fmt::Display + Unsure>,
        history: Vec<Attempt>,
    ) -> Delivery {
        let (outcome, error, accepted) = match result {
            Ok(accepted) => (Outcome::Delivered, None, accepted),
            Err(e) if e.maybe_delivered() => {
                (Outcome::Unknown, Some(e.to_string()), Accepted::default())
            }
            Err(e) => (Outcome::Failed, Some(e.to_string()), Accepted::default()),
        };
        // Ids, statuses and errors quote what servers said: one bounded line each.
        let said = |text: Option<String>| text.map(|t| one_line(&t, MAX_SAID_CHARS));
        Delivery {
            channel,
            provider: Some(provider.to_owned()),
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
        provider: Option<&str>,
        recipient: String,
        outcome: Outcome,
        reason: String,
    ) -> Delivery {
        Delivery {
            channel,
            provider: provider.map(str::to_owned),
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

    /// A notification about to be sent, recorded before its request goes out.
    pub fn pending(
        channel: ChannelId,
        provider: &str,
        recipient: String,
        event: Event,
    ) -> Delivery {
        Delivery {
            event,
            error: None,
            ..Delivery::not_sent(
                channel,
                Some(provider),
                recipient,
                Outcome::Pending,
                String::new(),
            )
        }
    }

    /// A notification whose sending was cut short: it may have gone out.
    pub fn unknown(pending: &Delivery, why: &str) -> Delivery {
        Delivery {
            outcome: Outcome::Unknown,
            error: Some(format!(
                "{why} before the provider answered: it may have been notified"
            )),
            ..pending.clone()
        }
    }
}

/// Whether a failed send may still have reached the provider.
pub trait Unsure {
    fn maybe_delivered(&self) -> bool {
        false
    }
}

/// SMTP reports each recipient's result as text, kept as failed: only a
/// session cut while the server was taking the end of the message could
/// have delivered it, a moment vitals does not tell apart.
impl Unsure for String {}

/// At most this many characters of what a provider said are kept in a delivery record.
const MAX_SAID_CHARS: usize = 1000;

/// What a provider told us about a message it accepted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Accepted {
    pub id: Option<String>,
    pub status: Option<String>,
}

/// 0 when every notification was delivered, 2 when none was, 1 in between
/// (one whose outcome is unknown was not known to be delivered). Skipped
/// and suppressed ones (by policy) do not count, unless nothing else happened.
pub fn exit_for(deliveries: &[Delivery]) -> Exit {
    let count = |o: Outcome| deliveries.iter().filter(|d| d.outcome == o).count();
    let undelivered = count(Outcome::Failed) + count(Outcome::Unknown) + count(Outcome::Pending);
    match (count(Outcome::Delivered), undelivered) {
        (0, _) => Exit::Critical,
        (_, 0) => Exit::Ok,
        _ => Exit::Warning,
    }
}
