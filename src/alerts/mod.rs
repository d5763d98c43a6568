//! Alerts: the model, the store that keeps them, the policy that decides
//! when to notify, the channels that notify, and an alert's life from
//! raised to resolved. Nothing here prints: the `alert` commands do.

mod alert;
pub mod channels;
mod deliver;
mod delivery;
pub mod from_checks;
pub mod hygiene;
pub(crate) mod labels;
pub mod lifecycle;
pub mod policy;
pub(crate) mod retry;
pub mod silence;
pub mod store;

use serde::Serialize;

pub use alert::{
    Alert, AlertStatus, Held, InputError, MAX_MESSAGE_BYTES, Severity, TEST_TYPE, Timestamp,
    alert_id, parse_context, test_alert,
};
use channels::Message;
pub use delivery::{Accepted, Attempt, Delivery, Event, Outcome, exit_for};
pub use labels::{LabelError, Labels, RESERVED, parse_user_labels};
pub use retry::Policy;

/// `--dry-run`: what a real send would do, the alert as it would be
/// recorded, and exactly what each channel would send (nothing when nobody
/// would be notified).
#[derive(Debug, Serialize)]
pub struct Preview {
    pub dry_run: bool,
    pub decision: lifecycle::Foresight,
    pub alert: Alert,
    pub messages: Vec<Message>,
}

#[cfg(test)]
mod tests;
