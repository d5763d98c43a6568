//! What changes the store: an occurrence recorded with its claim and its
//! pending notifications, their outcomes in their place, a new alert.

use std::time::Duration;

use serde_json::{Map, Value};

use super::super::channels::ChannelId;
use super::super::policy::{Hold, Reason, Rules, decide_held};
use super::super::{Alert, AlertStatus, Delivery, Held, Labels, Outcome, Timestamp};
use super::read::load;
use super::rows::{COLUMNS, Meta, alert_from_row};
use super::silences;
use super::{Recorded, type_lock};
use crate::config::RateLimit;
use crate::store::{Backend, Lock, Param, Result, StoreError, first_int, int, text};

/// Counting and reserving rate-limit slots.
const RATE_LIMIT_LOCK: Lock<'static> = Lock::Global(1);

/// Rate-limit reservations are kept at least this long, whatever the window.
const SLOT_RETENTION: Duration = Duration::from_secs(24 * 3600);

pub(super) async fn record_in(
    db: &mut dyn Backend,
    incoming: &Alert,
    planned: &[Delivery],
    hold: Option<&Hold>,
    adopt: bool,
    now: Timestamp,
    rules: &Rules,
) -> Result<Recorded> {
    db.lock(type_lock(&incoming.alert_type)).await?;
    let claim = now.plus(rules.claim_for);
    // A silence in force wins over what the caller holds it for: it is
    // someone's explicit word.
    let silenced = silences::active(db, now)
        .await?
        .into_iter()
        .find(|s| s.matches(incoming))
        .map(|s| Hold {
            held: Held::Silenced,
            reason: s.hold_reason(),
            by: Some(s.id.clone()),
        });
    let hold = silenced.as_ref().or(hold);
    let held = |alert: &mut Alert| {
        alert.held = hold.map(|h| h.held);
        alert.held_reason = hold.map(|h| h.reason.clone());
        alert.held_by = hold.and_then(|h| h.by.clone());
    };
    let (mut alert, notify, reason) = match find_open(db, incoming, adopt, true).await? {
        None => {
            let mut alert = Alert {
                status: AlertStatus::Active,
                occurrences: 1,
                last_notified_at: None,
                notified_message: None,
                deliveries: Vec::new(),
                ..incoming.clone()
            };
            held(&mut alert);
            insert(db, &alert, now).await?;
            let (notify, reason) = match hold {
                Some(h) => (
                    false,
                    Reason::Held {
                        held: h.held,
                        why: h.reason.clone(),
                    },
                ),
                None => (true, Reason::New),
            };
            (alert, notify, reason)
        }
        Some((mut alert, meta)) => {
            lapse(db, &alert.id, now).await?;
            alert.occurrences = alert.occurrences.saturating_add(1);
            alert.message = incoming.message.clone();
            alert.context = incoming.context.clone();
            alert.severity = alert.severity.max(incoming.severity);
            // Raised again by the check that had stopped: it is followed again.
            if alert.held == Some(Held::Stale) {
                alert.held = None;
                alert.held_reason = None;
            }
            let (notify, reason) = decide_held(&alert, &meta.notified, hold, now, rules);
            // The rate limit's hold is the notification's to lift, not this occurrence's.
            if hold.is_some() || alert.held != Some(Held::RateLimited) {
                held(&mut alert);
            }
            db.execute(
                "UPDATE alerts SET occurrences = $1, message = $2, context = $3, \
                 severity = $4, held = $5, held_reason = $6, held_by = $7, updated_at = $8 \
                 WHERE id = $9",
                &[
                    int(i64::from(alert.occurrences)),
                    text(&alert.message),
                    text(context_text(&alert.context)),
                    text(alert.severity.as_ref()),
                    Param::Text(alert.held.map(|h| h.as_ref().to_owned())),
                    Param::Text(alert.held_reason.clone()),
                    Param::Text(alert.held_by.clone()),
                    int(now.millis()),
                    text(&alert.id),
                ],
            )
            .await?;
            (alert, notify, reason)
        }
    };
    let mut suppressed = Vec::new();
    let mut pending = Vec::new();
    if notify {
        db.execute(
            "UPDATE alerts SET claim_expires_at = $1 WHERE id = $2",
            &[int(claim.millis()), text(&alert.id)],
        )
        .await?;
        if let Some(limit) = rules.rate_limit {
            let mut channels: Vec<ChannelId> = planned.iter().map(|d| d.channel).collect();
            channels.dedup();
            suppressed = reserve(db, &channels, &limit, now).await?;
        }
        pending = planned
            .iter()
            .filter(|d| suppressed.iter().all(|(id, _)| *id != d.channel))
            .cloned()
            .collect();
        insert_deliveries(db, &alert.id, &pending, Some(claim)).await?;
    }
    alert.deliveries = Vec::new();
    Ok(Recorded {
        alert,
        notify,
        reason,
        claim: notify.then_some(claim),
        suppressed,
        pending,
    })
}

/// The open alert of `incoming`'s identity; with `adopt`, failing that, an
/// open alert of its type from before labels, given `incoming`'s labels
/// (when `write`; a read only says it would be).
pub(super) async fn find_open(
    db: &mut dyn Backend,
    incoming: &Alert,
    adopt: bool,
    write: bool,
) -> Result<Option<(Alert, Meta)>> {
    let lock = if write { db.for_update() } else { "" };
    let sql =
        format!("SELECT {COLUMNS} FROM alerts WHERE identity = $1 AND status <> 'resolved'{lock}");
    let rows = db.query(&sql, &[text(&incoming.identity)]).await?;
    if let Some(found) = rows.first().map(alert_from_row).transpose()? {
        return Ok(Some(found));
    }
    if !adopt || incoming.labels.is_empty() {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM alerts WHERE identity = $1 AND labels IS NULL \
         AND status <> 'resolved'{lock}"
    );
    let rows = db.query(&sql, &[text(&incoming.alert_type)]).await?;
    let Some((mut alert, mut meta)) = rows.first().map(alert_from_row).transpose()? else {
        return Ok(None);
    };
    alert
        .relabel(incoming.labels.clone())
        .map_err(|e| StoreError::Malformed(e.to_string()))?;
    meta.unlabelled_legacy = false;
    if write {
        tracing::info!(
            "alert {}: raised before alerts had labels; now {}",
            alert.id,
            alert.identity
        );
        db.execute(
            "UPDATE alerts SET labels = $1, identity = $2 WHERE id = $3",
            &[
                text(labels_text(&alert.labels)),
                text(&alert.identity),
                text(&alert.id),
            ],
        )
        .await?;
    }
    Ok(Some((alert, meta)))
}

/// Open alerts of these types, locked for update.
pub(super) async fn open_of_types(
    db: &mut dyn Backend,
    types: &[String],
) -> Result<Vec<(Alert, Meta)>> {
    let mut found = Vec::new();
    for alert_type in types {
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts WHERE alert_type = $1 AND status <> 'resolved' \
             ORDER BY triggered_at, id{}",
            db.for_update()
        );
        for row in &db.query(&sql, &[text(alert_type)]).await? {
            found.push(alert_from_row(row)?);
        }
    }
    Ok(found)
}

/// Pending notifications of `id` whose lease lapsed: their vitals stopped
/// before it could say what happened, so they are recorded as unknown.
pub(super) async fn lapse(db: &mut dyn Backend, id: &str, now: Timestamp) -> Result<()> {
    db.execute(
        "UPDATE deliveries SET outcome = 'unknown' \
         WHERE alert_id = $1 AND outcome = 'pending' AND lease_until <= $2",
        &[text(id), int(now.millis())],
    )
    .await?;
    Ok(())
}

/// Takes one slot of each channel's rate limit, or says why it is full.
pub(super) async fn reserve(
    db: &mut dyn Backend,
    channels: &[ChannelId],
    limit: &RateLimit,
    now: Timestamp,
) -> Result<Vec<(ChannelId, String)>> {
    db.lock(RATE_LIMIT_LOCK).await?;
    let window_start = now.millis().saturating_sub(millis_of(limit.per));
    let expired = now
        .millis()
        .saturating_sub(millis_of(limit.per.max(SLOT_RETENTION)));
    db.execute("DELETE FROM rate_slots WHERE at < $1", &[int(expired)])
        .await?;
    let mut full = Vec::new();
    for channel in channels {
        let rows = db
            .query(
                "SELECT COUNT(*) FROM rate_slots WHERE channel = $1 AND at > $2",
                &[text(channel.as_ref()), int(window_start)],
            )
            .await?;
        let used = first_int(&rows)?;
        if used >= i64::from(limit.count) {
            full.push((
                *channel,
                format!(
                    "rate limit reached: {} notifications per {} on {channel} (ALERT_RATE_LIMIT)",
                    limit.count,
                    humantime::format_duration(limit.per)
                ),
            ));
        } else {
            db.execute(
                "INSERT INTO rate_slots (channel, at) VALUES ($1, $2)",
                &[text(channel.as_ref()), int(now.millis())],
            )
            .await?;
        }
    }
    Ok(full)
}

pub(super) async fn notified_in(
    db: &mut dyn Backend,
    alert: &Alert,
    claim: Timestamp,
    deliveries: &[Delivery],
    now: Timestamp,
) -> Result<Alert> {
    // The pending records of this claim (or what lapsed of them) give way to the outcomes.
    db.execute(
        "DELETE FROM deliveries WHERE alert_id = $1 AND lease_until = $2 \
         AND outcome IN ('pending', 'unknown')",
        &[text(&alert.id), int(claim.millis())],
    )
    .await?;
    insert_deliveries(db, &alert.id, deliveries, None).await?;
    let any = |o: Outcome| deliveries.iter().any(|d| d.outcome == o);
    if any(Outcome::Delivered) {
        db.execute(
            "UPDATE alerts SET last_notified_at = $1, notified_severity = $2, \
             updated_at = $1 WHERE id = $3",
            &[
                int(now.millis()),
                text(alert.severity.as_ref()),
                text(&alert.id),
            ],
        )
        .await?;
    }
    if deliveries.iter().any(|d| d.outcome.possibly_delivered()) {
        db.execute(
            "UPDATE alerts SET notified_message = $1 WHERE id = $2 AND notified_message IS NULL",
            &[text(&alert.message), text(&alert.id)],
        )
        .await?;
    }
    // Held back by the rate limit when it was due and nothing went out; no
    // longer once something did.
    let limited = deliveries
        .iter()
        .find(|d| d.outcome == Outcome::Suppressed)
        .filter(|_| deliveries.iter().all(|d| d.outcome == Outcome::Suppressed));
    match limited {
        Some(d) => {
            db.execute(
                "UPDATE alerts SET held = $1, held_reason = $2 WHERE id = $3",
                &[
                    text(Held::RateLimited.as_ref()),
                    Param::Text(d.error.clone()),
                    text(&alert.id),
                ],
            )
            .await?;
        }
        None if any(Outcome::Delivered) => {
            db.execute(
                "UPDATE alerts SET held = NULL, held_reason = NULL WHERE id = $1 AND held = $2",
                &[text(&alert.id), text(Held::RateLimited.as_ref())],
            )
            .await?;
        }
        None => {}
    }
    // Only our own claim is released: after its lease another process may hold a new one.
    db.execute(
        "UPDATE alerts SET claim_expires_at = NULL WHERE id = $1 AND claim_expires_at = $2",
        &[text(&alert.id), int(claim.millis())],
    )
    .await?;
    load(db, &alert.id, now).await
}

/// Appends deliveries to an alert's record; pending ones carry the lease they run under.
pub(super) async fn insert_deliveries(
    db: &mut dyn Backend,
    id: &str,
    deliveries: &[Delivery],
    lease: Option<Timestamp>,
) -> Result<()> {
    let rows = db
        .query(
            "SELECT COALESCE(MAX(seq), 0) FROM deliveries WHERE alert_id = $1",
            &[text(id)],
        )
        .await?;
    let mut seq = first_int(&rows)?;
    for d in deliveries {
        seq += 1;
        let body = serde_json::to_string(d).map_err(|e| StoreError::Malformed(e.to_string()))?;
        db.execute(
            "INSERT INTO deliveries (alert_id, seq, event, channel, outcome, at, body, lease_until) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                text(id),
                int(seq),
                text(d.event.as_ref()),
                text(d.channel.as_ref()),
                text(d.outcome.as_ref()),
                int(d.at.millis()),
                text(body),
                Param::Int(lease.map(Timestamp::millis)),
            ],
        )
        .await?;
    }
    Ok(())
}

pub(super) async fn insert(db: &mut dyn Backend, a: &Alert, now: Timestamp) -> Result<()> {
    let at = |t: Option<Timestamp>| Param::Int(t.map(Timestamp::millis));
    let opt = |s: &Option<String>| Param::Text(s.clone());
    let placeholders: Vec<String> = (1..=25).map(|n| format!("${n}")).collect();
    db.execute(
        &format!(
            "INSERT INTO alerts ({COLUMNS}, identity, updated_at) VALUES ({})",
            placeholders.join(", ")
        ),
        &[
            text(&a.id),
            text(&a.alert_type),
            text(a.severity.as_ref()),
            text(&a.message),
            text(context_text(&a.context)),
            text(a.status.as_ref()),
            int(a.triggered_at.millis()),
            at(a.acknowledged_at),
            opt(&a.acknowledged_by),
            at(a.resolved_at),
            opt(&a.resolved_by),
            opt(&a.resolution_note),
            int(i64::from(a.occurrences)),
            at(a.last_notified_at),
            int(i64::from(a.test)),
            Param::Text(None),
            Param::Int(None),
            text(labels_text(&a.labels)),
            text(&a.dedup_key),
            Param::Text(a.held.map(|h| h.as_ref().to_owned())),
            opt(&a.held_reason),
            opt(&a.notified_message),
            opt(&a.held_by),
            text(&a.identity),
            int(now.millis()),
        ],
    )
    .await?;
    Ok(())
}

pub(super) fn millis_of(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

pub(super) fn context_text(context: &Map<String, Value>) -> String {
    Value::Object(context.clone()).to_string()
}

pub(super) fn labels_text(labels: &Labels) -> String {
    serde_json::to_string(labels).unwrap_or_else(|_| "{}".to_owned())
}
