//! An alert as a row of the `alerts` table, and back.

use serde_json::Value;

use super::super::labels::{Identity, Labels};
use super::super::policy::Notified;
use super::super::{Alert, Timestamp};
use crate::store::{Cell, Result, Row, StoreError};

/// The columns every `SELECT` of alerts reads, in [`alert_from_row`]'s order.
pub(super) const COLUMNS: &str = "id, alert_type, severity, message, context, status, triggered_at, \
     acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolution_note, \
     occurrences, last_notified_at, test, notified_severity, claim_expires_at, \
     labels, dedup_key, held, held_reason, notified_message, held_by";

/// A value of one of our enums, from its stored name.
pub(super) fn named<T: serde::de::DeserializeOwned>(value: String, what: &str) -> Result<T> {
    serde_json::from_value(Value::String(value.clone()))
        .map_err(|_| StoreError::Malformed(format!("unknown {what} {value:?}")))
}

/// What the store keeps beside an alert: its notification state, and
/// whether it was raised before alerts had labels.
#[derive(Debug, Clone)]
pub(super) struct Meta {
    pub notified: Notified,
    /// Raised before labels existed (its identity is its type alone): the
    /// first check run that raises its type adopts it, filling its labels in.
    pub unlabelled_legacy: bool,
}

/// An alert row in [`COLUMNS`] order.
pub(super) fn alert_from_row(row: &Row) -> Result<(Alert, Meta)> {
    let bad = |what: &str| StoreError::Malformed(format!("alert row: {what}"));
    let [
        id,
        alert_type,
        severity,
        message,
        context,
        status,
        triggered_at,
        acknowledged_at,
        acknowledged_by,
        resolved_at,
        resolved_by,
        resolution_note,
        occurrences,
        last_notified_at,
        test,
        notified_severity,
        claim_expires_at,
        labels,
        dedup_key,
        held,
        held_reason,
        notified_message,
        held_by,
    ] = row.as_slice()
    else {
        return Err(bad("wrong number of columns"));
    };
    let required = |cell: &Cell, what: &str| cell.text()?.ok_or_else(|| bad(what));
    let instant = |cell: &Cell, what: &str| -> Result<Option<Timestamp>> {
        cell.int()?
            .map(|ms| Timestamp::from_millis(ms).ok_or_else(|| bad(what)))
            .transpose()
    };
    let id = required(id, "id")?;
    let context = match serde_json::from_str(&required(context, "context")?) {
        Ok(Value::Object(map)) => map,
        _ => return Err(bad(&format!("context of {id} is not a JSON object"))),
    };
    let stored_labels = labels.text()?;
    let legacy = stored_labels.is_none();
    let labels: Labels = match stored_labels {
        None => Labels::new(),
        Some(text) => serde_json::from_str(&text)
            .map_err(|_| bad(&format!("labels of {id} are not a JSON object of strings")))?,
    };
    let alert_type = required(alert_type, "alert_type")?;
    let identity =
        Identity::of(&alert_type, &labels).map_err(|e| bad(&format!("labels of {id}: {e}")))?;
    let alert = Alert {
        // Alerts from before keys were stored were known to PagerDuty by their type.
        dedup_key: dedup_key.text()?.unwrap_or_else(|| alert_type.clone()),
        fingerprint: identity.fingerprint(),
        identity: identity.to_string(),
        alert_type,
        labels,
        severity: named(required(severity, "severity")?, "severity")?,
        message: required(message, "message")?,
        context,
        status: named(required(status, "status")?, "status")?,
        held: held.text()?.map(|h| named(h, "held")).transpose()?,
        held_reason: held_reason.text()?,
        held_by: held_by.text()?,
        triggered_at: instant(triggered_at, "triggered_at")?.ok_or_else(|| bad("triggered_at"))?,
        acknowledged_at: instant(acknowledged_at, "acknowledged_at")?,
        acknowledged_by: acknowledged_by.text()?,
        resolved_at: instant(resolved_at, "resolved_at")?,
        resolved_by: resolved_by.text()?,
        resolution_note: resolution_note.text()?,
        occurrences: occurrences
            .int()?
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| bad("occurrences"))?,
        last_notified_at: instant(last_notified_at, "last_notified_at")?,
        notified_message: notified_message.text()?,
        test: test.int()? == Some(1),
        deliveries: Vec::new(),
        id,
    };
    let meta = Meta {
        notified: Notified {
            severity: notified_severity
                .text()?
                .map(|s| named(s, "severity"))
                .transpose()?,
            claim_expires_at: instant(claim_expires_at, "claim_expires_at")?,
        },
        unlabelled_legacy: legacy,
    };
    Ok((alert, meta))
}
