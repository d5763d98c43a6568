//! The alert store: every alert and every notification, kept in the store
//! (`crate::store`) with the same SQL on SQLite and PostgreSQL.
//!
//! Deciding to notify is claimed in the transaction that records the
//! occurrence: a write transaction serialised per alert identity (SQLite:
//! `BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock on the
//! identity, with a unique index on open identities as a backstop). The claim
//! is a lease on the alert row, released once the notification is recorded,
//! so two processes never both notify, and a crashed one does not silence
//! the alert for longer than the lease.

mod rows;

use std::time::Duration;

use serde_json::{Map, Value};

use super::channels::ChannelId;
use super::policy::{Notified, Reason, Rules, decide};
use super::{Alert, AlertStatus, Delivery, Outcome, Severity, Timestamp};
use crate::config::{RateLimit, StateLocation};
use crate::net::tls::Trust;
use crate::store::{Create, Lock, Param, Result, Store, StoreError, bounded, first_int, int, text};
use rows::{COLUMNS, alert_from_row};

/// Everything that reads and then changes the open alert of one identity.
fn identity_lock(identity: &str) -> Lock<'_> {
    Lock::Keyed(2, identity)
}

/// Counting and reserving rate-limit slots.
const RATE_LIMIT_LOCK: Lock<'static> = Lock::Global(1);

/// Rate-limit reservations are kept at least this long, whatever the window.
const SLOT_RETENTION: Duration = Duration::from_secs(24 * 3600);

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
}

/// `alert list` filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// Active and acknowledged: what still needs someone.
    Open,
    Only(AlertStatus),
    All,
}

pub struct AlertStore {
    store: Store,
}

impl AlertStore {
    /// Opens the store at `location`, creating what `create` allows or
    /// migrating it as needed. Every statement and lock wait is bounded by `timeout`.
    pub async fn open(
        location: &StateLocation,
        trust: &Trust,
        timeout: Duration,
        create: Create,
    ) -> Result<AlertStore> {
        Store::open(location, trust, timeout, create)
            .await
            .map(|store| AlertStore { store })
    }

    /// Records one occurrence of `incoming`: a new alert, or one more
    /// occurrence of the open alert of the same identity (message and context
    /// replaced, severity raised if higher). Decides whether to notify and, if
    /// so, claims the notification and reserves a rate-limit slot on each of
    /// `channels`, all in one transaction.
    pub async fn record(
        &mut self,
        incoming: &Alert,
        channels: &[ChannelId],
        now: Timestamp,
        rules: &Rules,
    ) -> Result<Recorded> {
        bounded(self.store.timeout, async {
            self.store.db.begin(true).await?;
            let result = self.record_in(incoming, channels, now, rules).await;
            self.store.end(result).await
        })
        .await
    }

    async fn record_in(
        &mut self,
        incoming: &Alert,
        channels: &[ChannelId],
        now: Timestamp,
        rules: &Rules,
    ) -> Result<Recorded> {
        let identity = incoming.identity();
        self.store.db.lock(identity_lock(identity)).await?;
        let open = self.open_alert(identity).await?;
        let claim = now.plus(rules.claim_for);
        let (mut alert, notify, reason) = match open {
            None => {
                let alert = Alert {
                    status: AlertStatus::Active,
                    occurrences: 1,
                    last_notified_at: None,
                    deliveries: Vec::new(),
                    ..incoming.clone()
                };
                self.insert(&alert, now).await?;
                (alert, true, Reason::New)
            }
            Some((mut alert, notified)) => {
                alert.occurrences = alert.occurrences.saturating_add(1);
                alert.message = incoming.message.clone();
                alert.context = incoming.context.clone();
                alert.severity = alert.severity.max(incoming.severity);
                let (notify, reason) = decide(&alert, &notified, alert.severity, now, rules);
                self.store
                    .db
                    .execute(
                        "UPDATE alerts SET occurrences = $1, message = $2, context = $3, \
                         severity = $4, updated_at = $5 WHERE id = $6",
                        &[
                            int(i64::from(alert.occurrences)),
                            text(&alert.message),
                            text(context_text(&alert.context)),
                            text(alert.severity.as_ref()),
                            int(now.millis()),
                            text(&alert.id),
                        ],
                    )
                    .await?;
                (alert, notify, reason)
            }
        };
        let mut suppressed = Vec::new();
        if notify {
            self.store
                .db
                .execute(
                    "UPDATE alerts SET claim_expires_at = $1 WHERE id = $2",
                    &[int(claim.millis()), text(&alert.id)],
                )
                .await?;
            if let Some(limit) = rules.rate_limit {
                suppressed = self.reserve(channels, &limit, now).await?;
            }
        }
        alert.deliveries = Vec::new();
        Ok(Recorded {
            alert,
            notify,
            reason,
            claim: notify.then_some(claim),
            suppressed,
        })
    }

    /// Takes one slot of each channel's rate limit, or says why it is full.
    async fn reserve(
        &mut self,
        channels: &[ChannelId],
        limit: &RateLimit,
        now: Timestamp,
    ) -> Result<Vec<(ChannelId, String)>> {
        self.store.db.lock(RATE_LIMIT_LOCK).await?;
        let window_start = now.millis().saturating_sub(millis_of(limit.per));
        let expired = now
            .millis()
            .saturating_sub(millis_of(limit.per.max(SLOT_RETENTION)));
        self.store
            .db
            .execute("DELETE FROM rate_slots WHERE at < $1", &[int(expired)])
            .await?;
        let mut full = Vec::new();
        for channel in channels {
            let rows = self
                .store
                .db
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
                self.store
                    .db
                    .execute(
                        "INSERT INTO rate_slots (channel, at) VALUES ($1, $2)",
                        &[text(channel.as_ref()), int(now.millis())],
                    )
                    .await?;
            }
        }
        Ok(full)
    }

    /// Stores the notifications sent for a claim and releases it. When at
    /// least one was delivered the alert counts as notified (at its current
    /// severity); when none was, the next occurrence tries again.
    pub async fn notified(
        &mut self,
        alert: &Alert,
        claim: Timestamp,
        deliveries: &[Delivery],
        now: Timestamp,
    ) -> Result<Alert> {
        bounded(self.store.timeout, async {
            self.store.db.begin(true).await?;
            let result = async {
                self.insert_deliveries(&alert.id, deliveries).await?;
                if deliveries.iter().any(|d| d.outcome == Outcome::Delivered) {
                    self.store
                        .db
                        .execute(
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
                // Only our own claim is released: after its lease another process may hold a new one.
                self.store
                    .db
                    .execute(
                        "UPDATE alerts SET claim_expires_at = NULL \
                         WHERE id = $1 AND claim_expires_at = $2",
                        &[text(&alert.id), int(claim.millis())],
                    )
                    .await?;
                self.load(&alert.id).await
            }
            .await;
            self.store.end(result).await
        })
        .await
    }

    /// Stores follow-up notifications (acknowledged, resolved).
    pub async fn add_deliveries(&mut self, id: &str, deliveries: &[Delivery]) -> Result<()> {
        if deliveries.is_empty() {
            return Ok(());
        }
        bounded(self.store.timeout, async {
            self.store.db.begin(true).await?;
            let result = self.insert_deliveries(id, deliveries).await;
            self.store.end(result).await
        })
        .await
    }

    async fn insert_deliveries(&mut self, id: &str, deliveries: &[Delivery]) -> Result<()> {
        let rows = self
            .store
            .db
            .query(
                "SELECT COALESCE(MAX(seq), 0) FROM deliveries WHERE alert_id = $1",
                &[text(id)],
            )
            .await?;
        let mut seq = first_int(&rows)?;
        for d in deliveries {
            seq += 1;
            let body =
                serde_json::to_string(d).map_err(|e| StoreError::Malformed(e.to_string()))?;
            self.store
                .db
                .execute(
                    "INSERT INTO deliveries (alert_id, seq, event, channel, outcome, at, body) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        text(id),
                        int(seq),
                        text(d.event.as_ref()),
                        text(d.channel.as_ref()),
                        text(d.outcome.as_ref()),
                        int(d.at.millis()),
                        text(body),
                    ],
                )
                .await?;
        }
        Ok(())
    }

    async fn load(&mut self, id: &str) -> Result<Alert> {
        let mut alerts = self.select("id = $1", &[text(id)]).await?;
        alerts
            .pop()
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))
    }

    /// Alerts matching the filters, newest first, each with its notifications.
    pub async fn list(
        &mut self,
        status: StatusFilter,
        severity: Option<Severity>,
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
        bounded(self.store.timeout, async {
            self.store.db.begin(false).await?;
            let result = self.select(&filter, &params).await;
            self.store.end(result).await
        })
        .await
    }

    /// Alerts matching `filter` (a condition on `alerts`), newest first, with deliveries.
    async fn select(&mut self, filter: &str, params: &[Param]) -> Result<Vec<Alert>> {
        let rows = self
            .store
            .db
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM alerts WHERE {filter} ORDER BY triggered_at DESC, id"
                ),
                params,
            )
            .await?;
        let mut alerts = rows
            .iter()
            .map(|r| alert_from_row(r).map(|(a, _)| a))
            .collect::<Result<Vec<_>>>()?;
        let deliveries = self
            .store
            .db
            .query(
                &format!(
                    "SELECT alert_id, body FROM deliveries WHERE alert_id IN \
                     (SELECT id FROM alerts WHERE {filter}) ORDER BY alert_id, seq"
                ),
                params,
            )
            .await?;
        for row in &deliveries {
            let [id, body] = row.as_slice() else {
                return Err(StoreError::Malformed("a delivery row".into()));
            };
            let id = id.text()?.unwrap_or_default();
            let body = body.text()?.unwrap_or_default();
            let delivery: Delivery = serde_json::from_str(&body)
                .map_err(|e| StoreError::Malformed(format!("a delivery of alert {id}: {e}")))?;
            if let Some(alert) = alerts.iter_mut().find(|a| a.id == id) {
                alert.deliveries.push(delivery);
            }
        }
        Ok(alerts)
    }

    /// The open (active or acknowledged) alert of an identity, locked for update.
    async fn open_alert(&mut self, identity: &str) -> Result<Option<(Alert, Notified)>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM alerts WHERE identity = $1 AND status <> 'resolved'{}",
            self.store.db.for_update()
        );
        let rows = self.store.db.query(&sql, &[text(identity)]).await?;
        rows.first().map(alert_from_row).transpose()
    }

    async fn insert(&mut self, a: &Alert, now: Timestamp) -> Result<()> {
        let at = |t: Option<Timestamp>| Param::Int(t.map(Timestamp::millis));
        let opt = |s: &Option<String>| Param::Text(s.clone());
        self.store.db
            .execute(
                &format!(
                    "INSERT INTO alerts ({COLUMNS}, identity, updated_at) VALUES \
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
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
                    text(a.identity()),
                    int(now.millis()),
                ],
            )
            .await?;
        Ok(())
    }

    /// Marks the alert acknowledged by `by`. Only an active alert can be.
    pub async fn acknowledge(&mut self, id: &str, by: &str, now: Timestamp) -> Result<Alert> {
        self.transition(id, |alert| match alert.status {
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

    /// Marks the alert resolved by `by`, with an optional note.
    pub async fn resolve(
        &mut self,
        id: &str,
        by: &str,
        note: Option<&str>,
        now: Timestamp,
    ) -> Result<Alert> {
        self.transition(id, |alert| match alert.status {
            AlertStatus::Active | AlertStatus::Acknowledged => Ok(resolution(alert, by, note, now)),
            AlertStatus::Resolved => Err(resolved_already(alert)),
        })
        .await
    }

    /// Resolves the open alert of `identity`, if there is one (a recovered check).
    pub async fn resolve_identity(
        &mut self,
        identity: &str,
        by: &str,
        note: &str,
        now: Timestamp,
    ) -> Result<Option<Alert>> {
        bounded(self.store.timeout, async {
            self.store.db.begin(true).await?;
            let result = async {
                self.store.db.lock(identity_lock(identity)).await?;
                let Some((alert, _)) = self.open_alert(identity).await? else {
                    return Ok(None);
                };
                let change = resolution(&alert, by, Some(note), now);
                self.store.db.execute(change.sql, &change.params).await?;
                self.load(&alert.id).await.map(Some)
            }
            .await;
            self.store.end(result).await
        })
        .await
    }

    /// Reads the alert locked, checks the change is allowed, applies it.
    async fn transition(
        &mut self,
        id: &str,
        change: impl FnOnce(&Alert) -> Result<Change>,
    ) -> Result<Alert> {
        bounded(self.store.timeout, async {
            self.store.db.begin(true).await?;
            let result = async {
                let sql = format!(
                    "SELECT {COLUMNS} FROM alerts WHERE id = $1{}",
                    self.store.db.for_update()
                );
                let rows = self.store.db.query(&sql, &[text(id)]).await?;
                let (alert, _) = rows
                    .first()
                    .map(alert_from_row)
                    .transpose()?
                    .ok_or_else(|| StoreError::NotFound(id.to_owned()))?;
                let change = change(&alert)?;
                self.store.db.execute(change.sql, &change.params).await?;
                self.load(id).await
            }
            .await;
            self.store.end(result).await
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
              resolution_note = $3, claim_expires_at = NULL, updated_at = $1 WHERE id = $4",
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
