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

mod rows;

use std::time::Duration;

use serde_json::{Map, Value};

use super::channels::ChannelId;
use super::policy::{Reason, Rules, decide};
use super::{Alert, AlertStatus, Delivery, Held, Labels, Outcome, Severity, Timestamp};
use crate::config::RateLimit;
use crate::store::{
    Backend, Lock, Param, Result, Row, Store, StoreError, Tx, first_int, int, text,
};
use rows::{COLUMNS, Meta, alert_from_row, named};

/// Everything that reads and then changes the open alerts of one type.
fn type_lock(alert_type: &str) -> Lock<'_> {
    Lock::Keyed(2, alert_type)
}

/// Counting and reserving rate-limit slots.
const RATE_LIMIT_LOCK: Lock<'static> = Lock::Global(1);

/// Rate-limit reservations are kept at least this long, whatever the window.
const SLOT_RETENTION: Duration = Duration::from_secs(24 * 3600);

/// The shortest id prefix taken: shorter ones would match too much to mean anything.
pub const MIN_ID_PREFIX: usize = 4;

/// How many candidates an ambiguous id prefix lists.
const MAX_CANDIDATES: i64 = 10;

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
}

impl Matching {
    fn takes(&self, alert: &Alert, meta: &Meta) -> bool {
        if !self.types.contains(&alert.alert_type) {
            return false;
        }
        if meta.unlabelled_legacy {
            return self.legacy;
        }
        self.labels
            .iter()
            .all(|(name, value)| alert.labels.get(name) == Some(value))
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
    pub async fn record(
        &mut self,
        incoming: &Alert,
        planned: &[Delivery],
        adopt: bool,
        now: Timestamp,
        rules: &Rules,
    ) -> Result<Recorded> {
        self.store
            .transaction(true, &mut |tx: Tx<'_, '_>| {
                Box::pin(record_in(tx.db, incoming, planned, adopt, now, rules))
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
                    let open = match find_open(tx.db, incoming, adopt, false).await? {
                        Some((alert, meta)) => (alert, meta),
                        None => {
                            return Ok(Foreseen {
                                open: None,
                                notify: true,
                                reason: Reason::New,
                            });
                        }
                    };
                    let (mut alert, meta) = open;
                    alert.occurrences = alert.occurrences.saturating_add(1);
                    let severity = alert.severity.max(incoming.severity);
                    let (notify, reason) = decide(&alert, &meta.notified, severity, now, rules);
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
                    let (alert, _) = rows
                        .first()
                        .map(alert_from_row)
                        .transpose()?
                        .ok_or_else(|| StoreError::NotFound(prefix.to_owned()))?;
                    let change = change(&alert)?;
                    lapse(db, &id, now).await?;
                    db.execute(change.sql, &change.params).await?;
                    load(db, &id, now).await
                })
            })
            .await
    }
}

async fn record_in(
    db: &mut dyn Backend,
    incoming: &Alert,
    planned: &[Delivery],
    adopt: bool,
    now: Timestamp,
    rules: &Rules,
) -> Result<Recorded> {
    db.lock(type_lock(&incoming.alert_type)).await?;
    let claim = now.plus(rules.claim_for);
    let (mut alert, notify, reason) = match find_open(db, incoming, adopt, true).await? {
        None => {
            let alert = Alert {
                status: AlertStatus::Active,
                occurrences: 1,
                last_notified_at: None,
                notified_message: None,
                held: None,
                held_reason: None,
                deliveries: Vec::new(),
                ..incoming.clone()
            };
            insert(db, &alert, now).await?;
            (alert, true, Reason::New)
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
            let (notify, reason) = decide(&alert, &meta.notified, alert.severity, now, rules);
            db.execute(
                "UPDATE alerts SET occurrences = $1, message = $2, context = $3, \
                 severity = $4, held = $5, held_reason = $6, updated_at = $7 WHERE id = $8",
                &[
                    int(i64::from(alert.occurrences)),
                    text(&alert.message),
                    text(context_text(&alert.context)),
                    text(alert.severity.as_ref()),
                    Param::Text(alert.held.map(|h| h.as_ref().to_owned())),
                    Param::Text(alert.held_reason.clone()),
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
async fn find_open(
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
async fn open_of_types(db: &mut dyn Backend, types: &[String]) -> Result<Vec<(Alert, Meta)>> {
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
async fn lapse(db: &mut dyn Backend, id: &str, now: Timestamp) -> Result<()> {
    db.execute(
        "UPDATE deliveries SET outcome = 'unknown' \
         WHERE alert_id = $1 AND outcome = 'pending' AND lease_until <= $2",
        &[text(id), int(now.millis())],
    )
    .await?;
    Ok(())
}

/// Takes one slot of each channel's rate limit, or says why it is full.
async fn reserve(
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

async fn notified_in(
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
async fn insert_deliveries(
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

async fn load(db: &mut dyn Backend, id: &str, now: Timestamp) -> Result<Alert> {
    let mut alerts = select(db, "id = $1", &[text(id)], now).await?;
    alerts
        .pop()
        .ok_or_else(|| StoreError::NotFound(id.to_owned()))
}

/// The full id of the one alert whose id starts with `prefix` (any case).
async fn full_id(db: &mut dyn Backend, prefix: &str) -> Result<String> {
    let wanted = prefix.to_ascii_lowercase();
    if wanted.chars().count() < MIN_ID_PREFIX {
        return Err(StoreError::Refused(format!(
            "{prefix:?} is too short to name an alert: give at least {MIN_ID_PREFIX} characters \
             of its id (`vitals alert list` shows them)"
        )));
    }
    // Ids are hex digits: anything else names none (and never reaches the SQL as a pattern).
    if !wanted.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(StoreError::NotFound(prefix.to_owned()));
    }
    let rows = db
        .query(
            "SELECT id, alert_type, status FROM alerts WHERE substr(id, 1, length(CAST($1 AS TEXT))) = $1 \
             ORDER BY triggered_at DESC, id LIMIT $2",
            &[text(&wanted), int(MAX_CANDIDATES + 1)],
        )
        .await?;
    let texts = |row: &Row| -> Result<Vec<String>> {
        row.iter()
            .map(|c| Ok(c.text()?.unwrap_or_default()))
            .collect()
    };
    match rows.as_slice() {
        [] => Err(StoreError::NotFound(prefix.to_owned())),
        [one] => Ok(texts(one)?.swap_remove(0)),
        many => {
            let mut candidates = many
                .iter()
                .take(usize::try_from(MAX_CANDIDATES).unwrap_or(usize::MAX))
                .map(|row| {
                    let cells = texts(row)?;
                    Ok(format!("{} ({}, {})", cells[0], cells[1], cells[2]))
                })
                .collect::<Result<Vec<_>>>()?;
            if many.len() > candidates.len() {
                candidates.push("…".to_owned());
            }
            Err(StoreError::Ambiguous {
                prefix: prefix.to_owned(),
                candidates,
            })
        }
    }
}

/// Alerts matching `filter` (a condition on `alerts`), newest first, with
/// deliveries; pending ones whose lease lapsed read as unknown.
async fn select(
    db: &mut dyn Backend,
    filter: &str,
    params: &[Param],
    now: Timestamp,
) -> Result<Vec<Alert>> {
    let rows = db
        .query(
            &format!("SELECT {COLUMNS} FROM alerts WHERE {filter} ORDER BY triggered_at DESC, id"),
            params,
        )
        .await?;
    let mut alerts = rows
        .iter()
        .map(|r| alert_from_row(r).map(|(a, _)| a))
        .collect::<Result<Vec<_>>>()?;
    let deliveries = db
        .query(
            &format!(
                "SELECT alert_id, outcome, lease_until, body FROM deliveries WHERE alert_id IN \
                 (SELECT id FROM alerts WHERE {filter}) ORDER BY alert_id, seq"
            ),
            params,
        )
        .await?;
    for row in &deliveries {
        let [id, outcome, lease, body] = row.as_slice() else {
            return Err(StoreError::Malformed("a delivery row".into()));
        };
        let id = id.text()?.unwrap_or_default();
        let body = body.text()?.unwrap_or_default();
        let mut delivery: Delivery = serde_json::from_str(&body)
            .map_err(|e| StoreError::Malformed(format!("a delivery of alert {id}: {e}")))?;
        delivery.outcome = named(outcome.text()?.unwrap_or_default(), "outcome")?;
        let lapsed = lease.int()?.is_some_and(|until| until <= now.millis());
        if delivery.outcome == Outcome::Unknown || (delivery.outcome == Outcome::Pending && lapsed)
        {
            if delivery.error.is_none() {
                delivery = Delivery::unknown(&delivery, "the vitals sending it stopped");
            }
            delivery.outcome = Outcome::Unknown;
        }
        if let Some(alert) = alerts.iter_mut().find(|a| a.id == id) {
            alert.deliveries.push(delivery);
        }
    }
    Ok(alerts)
}

async fn insert(db: &mut dyn Backend, a: &Alert, now: Timestamp) -> Result<()> {
    let at = |t: Option<Timestamp>| Param::Int(t.map(Timestamp::millis));
    let opt = |s: &Option<String>| Param::Text(s.clone());
    let placeholders: Vec<String> = (1..=24).map(|n| format!("${n}")).collect();
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
            text(&a.identity),
            int(now.millis()),
        ],
    )
    .await?;
    Ok(())
}

/// One `UPDATE` of an alert's lifecycle.
struct Change {
    sql: &'static str,
    params: Vec<Param>,
}

fn resolution(alert: &Alert, by: &str, note: Option<&str>, now: Timestamp) -> Change {
    Change {
        sql: "UPDATE alerts SET status = 'resolved', resolved_at = $1, resolved_by = $2, \
              resolution_note = $3, claim_expires_at = NULL, held = NULL, held_reason = NULL, \
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

fn millis_of(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn context_text(context: &Map<String, Value>) -> String {
    Value::Object(context.clone()).to_string()
}

fn labels_text(labels: &Labels) -> String {
    serde_json::to_string(labels).unwrap_or_else(|_| "{}".to_owned())
}
