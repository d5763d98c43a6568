//! Alerts: the model, the store that keeps them, the policy that decides
//! when to notify, the channels that notify, and an alert's life from
//! raised to resolved. Nothing here prints: the `alert` commands do.

mod alert;
pub mod channels;
mod delivery;
pub mod lifecycle;
pub mod policy;
mod retry;
pub mod store;

use serde::Serialize;

pub use alert::{
    Alert, AlertStatus, InputError, MAX_MESSAGE_BYTES, Severity, TEST_TYPE, Timestamp, alert_id,
    parse_context, test_alert,
};
use channels::Message;
pub use delivery::{Accepted, Attempt, Delivery, Event, Outcome, exit_for};
pub use retry::Policy;

/// `--dry-run`: the alert and exactly what each channel would send.
#[derive(Debug, Serialize)]
pub struct Preview {
    pub dry_run: bool,
    pub alert: Alert,
    pub messages: Vec<Message>,
}

#[cfg(test)]
mod tests;
