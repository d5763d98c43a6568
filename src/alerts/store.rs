//! The alert store: every alert and every notification, kept in the store
//! (`crate::store`) with the same SQL on SQLite and PostgreSQL.
//!
//! Deciding to notify is claimed in the transaction that records the
//! occurrence: a write transaction serialised per alert type (SQLite:
//! `BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock on the
//! type, with a unique index on open identities as a backstop). The claim is
//! a lease on the alert row, bounded by the time a delivery may take. The
//! notifications it covers are recorded as `pending` in that same
//! transaction, before any request goes out, and replaced by their outcomes
//! afterwards; pending ones whose lease lapsed (their vitals died) count as
//! `unknown`: they may have reached someone, so follow-ups go there too.

mod check_states;
mod read;
mod rows;
mod silences;
mod write;

use super::channels::ChannelId;
use super::policy::{Hold, Reason, Rules, decide_held};
use super::silence::Silence;
use super::{Alert, AlertStatus, Delivery, Held, Labels, Severity, Timestamp};
use crate::store::{Lock, Param, Result, Store, StoreError, Tx, int, text};
pub use check_states::{FLAP_CHANGES, Flap, Observed, Run};
use read::{full_id, load, select};
use rows::{COLUMNS, Meta, alert_from_row};
use write::{find_open, insert_deliveries, lapse, notified_in, open_of_types, record_in};

/// Everything that reads and then changes the open alerts of one type.
fn type_lock(alert_type: &str) -> Lock<'_> {
    Lock::Keyed(2, alert_type)
}

/// What recording an occurrence decided.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The alert as stored now (its deliveries not loaded).
    pub alert: Alert,
    pub notify: bool,
    pub reason: Reason,
    /// The claim to hand back to [`AlertStore::notified`].
    pub claim: Option<Timestamp>,
    /// Channels over their rate limit, with why.
    pub suppressed: Vec<(ChannelId, String)>,
    /// The notifications recorded as pending, to be sent now.
    pub pending: Vec<Delivery>,
}

/// What an occurrence would come to, for `--dry-run`.
#[derive(Debug, Clone)]
pub struct Foreseen {
    /// The open alert it would be one more occurrence of.
    pub open: Option<Alert>,
    pub notify: bool,
    pub reason: Reason,
}

/// `alert list` filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Active and acknowledged: what still needs someone.
    Open,
    Only(AlertStatus),
    All,
}

/// Which open alerts a recovered check resolves: those of these types whose
/// labels include all of `labels` and whose `target` (if they have one) is
/// `target` (any, when it is `None`), and (`legacy`) those raised before
/// alerts had labels.
#[derive(Debug, Clone)]
pub struct Matching {
    pub types: Vec<String>,
    pub labels: Labels,
    pub target: Option<String>,
    pub legacy: bool,
    /// Alerts with any of these labels (name, value) stay open.
    pub spare: Vec<(String, String)>,
    /// Only alerts without this label (a check's own, not its services').
    pub without: Option<String>,
}

impl Matching {
    fn takes(&self, alert: &Alert, meta: &Meta) -> bool {
        if !self.types.contains(&alert.alert_type) {
            return false;
        }
        if meta.unlabelled_legacy {
            return self.legacy;
        }
        self.without
            .as_ref()
            .is_none_or(|name| !alert.labels.contains_key(name))
            && self
                .labels
                .iter()
                .all(|(name, value)| alert.labels.get(name) == Some(value))
            && !self
                .spare
                .iter()
                .any(|(name, value)| alert.labels.get(name) == Some(value))
            && self.target.as_ref().is_none_or(|want| {
                alert
                    .labels
                    .get("target")
                    .is_none_or(|target| target == want)
            })
    }
}

pub struct AlertStore {
    store: Store,
}

impl AlertStore {
    /// The alerts of an open store: one opened as usual (created or migrated
    /// as needed), or only to be read (`--dry-run`).
    pub fn new(store: Store) -> AlertStore {
        AlertStore { store }
    }

    /// Closes the connection while notifications go out; the next call opens another.
    pub fn release(&mut self) {
        self.store.release();
    }

    /// Records one occurrence of `incoming`: a new alert, or one more
    /// occurrence of the open alert of the same identity (message and context
    /// replaced, severity raised if higher). With `adopt`, an open alert of
    /// the same type from before alerts had labels is taken as this one and
    /// given its labels. Decides whether to notify and, if so, claims the
    /// notification, reserves a rate-limit slot on each channel of `planned`
    /// and records `planned` (but the rate-limited) as pending, all in one
    /// transaction.
    ///
    /// A silence in force that matches it, or else `hold`, holds it back:
    /// recorded with why, not notified. An alert that was held back and is
    /// no longer is notified once.
    #[allow(clippy::too_many_arguments)]
    pub async fn record(
        &mut self,
        incoming: &Alert,
        planned: &[Delivery],
        hold: Option<&Hold>,
        adopt: bool,
        now: Timestamp,
        rules: &Rules,
    ) -> Result<Recorded> {
        self.store
            .transaction(true, &mut |tx: Tx<'_, '_>| {
                Box::pin(record_in(tx.db, incoming, planned, hold, adopt, now, rules))
            })
            .await
    }

    /// Counts one run of each subject (thresholds, flapping): each one's
    /// state after it, in order.
    pub async fn observe(
        &mut self,
        runs: &[Run],
        now: Timestamp,
        window: std::time::Duration,
    ) -> Result<Vec<Observed>> {
        self.store
            .transaction(true, &mut |tx: Tx<'_, '_>| {
                Box::pin(check_states::observe(tx.db, runs, now, window))
            })
            .await
    }

    /// Stores a new silence.
    pub async fn silence(&mut self, silence: &Silence) -> Result<()> {
        self.store
            .transaction(true, &mut |tx: Tx<'_, '_>| {
                Box::pin(silences::insert(tx.db, silence))
            })
            .await
    }

    /// Silences that have not ended, or every one with `all`; newest first.
    pub async fn silences(&mut self, all: bool, now: Timestamp) -> Result<Vec<Silence>> {
        self.store
            .transaction(false, &mut |tx: Tx<'_, '_>| {
                Box::pin(silences::list(tx.db, all, now))
            })
            .await
    }

    /// Ends the silence `prefix` names (any unique prefix of its id) now.
    pub async fn unsilence(&mut self, prefix: &str, by: &str, now: Timestamp) -> Result<Silence> {
        self.store
            .transaction(true, &mut |tx: Tx<'_, '_>| {
                Box::pin(silences::end(tx.db, prefix, by, now))
            })
            .await
    }

    /// What recording `incoming` would decide, read without changing anything.
    pub async fn foresee(
        &mut self,
        incoming: &Alert,
        adopt: bool,
        now: Timestamp,
        rules: &Rules,
    ) -> Result<Foreseen> {
        self.store
            .transaction(false, &mut |tx: Tx<'_, '_>| {
                Box::pin(async move {
                    let silence = silences::active(tx.db, now)
                        .await?
                        .into_iter()
                        .find(|s| s.matches(incoming))
                        .map(|s| Hold {
                            held: Held::Silenced,
                            reason: s.hold_reason(),
                            by: Some(s.id),
                        });
                    let Some((mut alert, meta)) = find_open(tx.db, incoming, adopt, false).await?
                    else {
                        let (notify, reason) = match silence {
                            Some(h) => (
                                false,
                                Reason::Held {
                                    held: h.held,
                                    why: h.reason,
                                },
                            ),
                            None => (true, Reason::New),
                        };
                        return Ok(Foreseen {
                            open: None,
                            notify,
                            reason,
                        });
                    };
                    alert.occurrences = alert.occurrences.saturating_add(1);
                    alert.severity = alert.severity.max(incoming.severity);
                    let (notify, reason) =
                        decide_held(&alert, &meta.notified, silence.as_ref(), now, rules);
                    Ok(Foreseen {
                        open: Some(alert),
                        notify,
                        reason,
                    })
                })
            })
            .await
    }

    /// Stores the outcomes of the notifications sent for a claim, in place of
    /// their pending records, and releases the claim. When at least one was
    /// delivered the alert counts as notified (at its current severity);
    /// when none was, the next occurrence tries again.
    pub async fn notified(
        &mut self,
        alert: &Alert,
        claim: Timestamp,
        deliveries: &[Delivery],
        now: Timestamp,
    ) -> Result<Alert> {
        self.store
            .transaction(true, &mut |tx: Tx<'_, '_>| {
                Box::pin(notified_in(tx.db, alert, claim, deliveries, now))
            })
            .await
    }

    /// Stores follow-up notifications (acknowledged, resolved).
    pub async fn add_deliveries(&mut self, id: &str, deliveries: &[Delivery]) -> Result<()> {
        if deliveries.is_empty() {
            return Ok(());
        }
        self.store
            .transaction(true, &mut |tx: Tx<'_, '_>| {
                Box::pin(insert_deliveries(tx.db, id, deliveries, None))
            })
            .await
    }

    /// Alerts matching the filters, newest first, each with its notifications.
    pub async fn list(
        &mut self,
        status: StatusFilter,
        severity: Option<Severity>,
        now: Timestamp,
    ) -> Result<Vec<Alert>> {
        let mut conditions = Vec::new();
        let mut params = Vec::new();
        match status {
            StatusFilter::Open => conditions.push("status <> 'resolved'".to_owned()),
            StatusFilter::Only(s) => {
                params.push(text(s.as_ref()));
                conditions.push(format!("status = ${}", params.len()));
            }
            StatusFilter::All => {}
        }
        if let Some(s) = severity {
            params.push(text(s.as_ref()));
            conditions.push(format!("severity = ${}", params.len()));
        }
        let filter = if conditions.is_empty() {
            "1 = 1".to_owned()
        } else {
            conditions.join(" AND ")
        };
        let (filter, params) = (&filter, &params);
        self.store
            .transaction(false, &mut |tx: Tx<'_, '_>| {
                Box::pin(select(tx.db, filter, params, now))
            })
            .await
    }

    /// Marks the alert acknowledged by `by`. Only an active alert can be.
    /// `id` may be any unique prefix of its id.
    pub async fn acknowledge(&mut self, id: &str, by: &str, now: Timestamp) -> Result<Alert> {
        self.transition(id, now, &|alert: &Alert| match alert.status {
            AlertStatus::Active => Ok(Change {
                sql: "UPDATE alerts SET status = 'acknowledged', acknowledged_at = $1, \
                      acknowledged_by = $2, updated_at = $1 WHERE id = $3",
                params: vec![int(now.millis()), text(by), text(&alert.id)],
            }),
            AlertStatus::Acknowledged => Err(StoreError::Refused(format!(
                "alert {} was already acknowledged by {} at {}",
                alert.id,
                alert.acknowledged_by.as_deref().unwrap_or("?"),
                shown(alert.acknowledged_at)
            ))),
            AlertStatus::Resolved => Err(resolved_already(alert)),
        })
        .await
    }

    /// Marks the alert resolved by `by`, with an optional note. `id` may be
    /// any unique prefix of its id.
    pub async fn resolve(
        &mut self,
        id: &str,
        by: &str,
        note: Option<&str>,
        now: Timestamp,
    ) -> Result<Alert> {
        self.transition(id, now, &|alert: &Alert| match alert.status {
            AlertStatus::Active | AlertStatus::Acknowledged => Ok(resolution(alert, by, note, now)),
            AlertStatus::Resolved => Err(resolved_already(alert)),
        })
        .await
    }

    /// Resolves the open alerts `matching` describes (a recovered check),
    /// each with its notifications.
    pub async fn resolve_matching(
        &mut self,
        matching: &Matching,
        by: &str,
        note: &str,
        now: Timestamp,
    ) -> Result<Vec<Alert>> {
        self.store
            .transaction(true, &mut |tx: Tx<'_, '_>| {
                Box::pin(async move {
                    let db = tx.db;
                    let mut resolved = Vec::new();
                    for alert_type in &matching.types {
                        db.lock(type_lock(alert_type)).await?;
                    }
                    for (alert, meta) in open_of_types(db, &matching.types).await? {
                        if matching.takes(&alert, &meta) {
                            lapse(db, &alert.id, now).await?;
                            let change = resolution(&alert, by, Some(note), now);
                            db.execute(change.sql, &change.params).await?;
                            resolved.push(load(db, &alert.id, now).await?);
                        }
                    }
                    Ok(resolved)
                })
            })
            .await
    }

    /// Deletes up to `batch` resolved alerts resolved before `before`, with
    /// their notifications; returns how many alerts went.
    pub async fn prune_resolved(&mut self, before: Timestamp, batch: i64) -> Result<u64> {
        self.store
            .transaction(true, &mut |tx: Tx<'_, '_>| {
                Box::pin(async move {
                    let old = "SELECT id FROM alerts WHERE status = 'resolved' \
                               AND resolved_at < $1 ORDER BY resolved_at LIMIT $2";
                    let params = [int(before.millis()), int(batch)];
                    tx.db
                        .execute(
                            &format!("DELETE FROM deliveries WHERE alert_id IN ({old})"),
                            &params,
                        )
                        .await?;
                    tx.db
                        .execute(&format!("DELETE FROM alerts WHERE id IN ({old})"), &params)
                        .await
                })
            })
            .await
    }

    /// The open alerts whose labels include all of `labels`.
    pub async fn open_labelled(&mut self, labels: &Labels) -> Result<Vec<Alert>> {
        self.store
            .transaction(false, &mut |tx: Tx<'_, '_>| {
                Box::pin(async move {
                    let rows = tx
                        .db
                        .query(
                            &format!(
                                "SELECT {COLUMNS} FROM alerts \
                                 WHERE status <> 'resolved' AND labels IS NOT NULL \
                                 ORDER BY triggered_at DESC, id"
                            ),
                            &[],
                        )
                        .await?;
                    let mut alerts = Vec::new();
                    for row in &rows {
                        let (alert, _) = alert_from_row(row)?;
                        if labels.iter().all(|(k, v)| alert.labels.get(k) == Some(v)) {
                            alerts.push(alert);
                        }
                    }
                    Ok(alerts)
                })
            })
            .await
    }

    /// Marks open alerts as held back, each with its reason; an alert that is
    /// resolved meanwhile is left alone.
    pub async fn hold(&mut self, held: &[(String, Held, String)], now: Timestamp) -> Result<()> {
        if held.is_empty() {
            return Ok(());
        }
        self.store
            .transaction(true, &mut |tx: Tx<'_, '_>| {
                Box::pin(async move {
                    for (id, why, reason) in held {
                        tx.db
                            .execute(
                                "UPDATE alerts SET held = $1, held_reason = $2, updated_at = $3 \
                                 WHERE id = $4 AND status <> 'resolved'",
                                &[
                                    text(why.as_ref()),
                                    text(reason),
                                    int(now.millis()),
                                    text(id),
                                ],
                            )
                            .await?;
                    }
                    Ok(())
                })
            })
            .await
    }

    /// Reads the alert an id prefix names, locked, checks the change is
    /// allowed, applies it.
    async fn transition(
        &mut self,
        prefix: &str,
        now: Timestamp,
        change: &(dyn Fn(&Alert) -> Result<Change> + Sync),
    ) -> Result<Alert> {
        self.store
            .transaction(true, &mut |tx: Tx<'_, '_>| {
                Box::pin(async move {
                    let db = tx.db;
                    let id = full_id(db, prefix).await?;
                    let sql = format!(
                        "SELECT {COLUMNS} FROM alerts WHERE id = $1{}",
                        db.for_update()
                    );
                    let rows = db.query(&sql, &[text(&id)]).await?;
                    let (alert, _) =
                        rows.first()
                            .map(alert_from_row)
                            .transpose()?
                            .ok_or_else(|| StoreError::NotFound {
                                what: read::ALERTS.records,
                                id: prefix.to_owned(),
                            })?;
                    let change = change(&alert)?;
                    lapse(db, &id, now).await?;
                    db.execute(change.sql, &change.params).await?;
                    load(db, &id, now).await
                })
            })
            .await
    }
}

/// One `UPDATE` of an alert's lifecycle.
struct Change {
    sql: &'static str,
    params: Vec<Param>,
}

fn resolution(alert: &Alert, by: &str, note: Option<&str>, now: Timestamp) -> Change {
    Change {
        sql: "UPDATE alerts SET status = 'resolved', resolved_at = $1, resolved_by = $2, \
              resolution_note = $3, claim_expires_at = NULL, held = NULL, held_reason = NULL, held_by = NULL, \
              updated_at = $1 WHERE id = $4",
        params: vec![
            int(now.millis()),
            text(by),
            Param::Text(note.map(str::to_owned)),
            text(&alert.id),
        ],
    }
}

fn resolved_already(alert: &Alert) -> StoreError {
    StoreError::Refused(format!(
        "alert {} was already resolved by {} at {}",
        alert.id,
        alert.resolved_by.as_deref().unwrap_or("?"),
        shown(alert.resolved_at)
    ))
}

fn shown(at: Option<Timestamp>) -> String {
    at.map_or_else(|| "?".to_owned(), |t| t.to_string())
}
