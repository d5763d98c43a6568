//! The alert store: every alert and every notification, in an SQLite file or
//! a PostgreSQL database shared by several hosts.
//!
//! Both backends run the same SQL on the same schema. A [`Backend`] is only
//! the dialect's plumbing (transactions, locks, parameters, rows); what an
//! alert's life is — de-duplication, the repeat interval, escalation, the
//! rate limit, acknowledging and resolving — is written once, here.
//!
//! Deciding to notify is claimed in the transaction that records the
//! occurrence: a write transaction serialised per alert identity (SQLite:
//! `BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock on the
//! identity, with a unique index on open identities as a backstop). The claim
//! is a lease on the alert row, released once the notification is recorded,
//! so two processes never both notify, and a crashed one does not silence
//! the alert for longer than the lease.

pub mod postgres;
pub mod sqlite;

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use super::channels::ChannelId;
use super::{Alert, AlertStatus, Delivery, Outcome, Severity, Timestamp};
use crate::checks::BoxFuture;
use crate::config::{RateLimit, StateLocation};
use crate::tls::Trust;

/// A query parameter. Typed even when null: PostgreSQL checks the type of
/// every parameter, absent ones included.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Int(Option<i64>),
    Text(Option<String>),
}

fn int(v: i64) -> Param {
    Param::Int(Some(v))
}

fn text(v: impl Into<String>) -> Param {
    Param::Text(Some(v.into()))
}

/// One value of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
}

pub type Row = Vec<Cell>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be opened or created (nothing was changed).
    #[error("{0}")]
    Open(String),
    /// A statement failed.
    #[error("{0}")]
    Query(String),
    #[error("no answer within {}", humantime::format_duration(*.0))]
    Timeout(Duration),
    #[error(
        "it was written by a newer vitals (schema version {found}; this one knows up to {known}); upgrade vitals"
    )]
    TooNew { found: i64, known: i64 },
    #[error("it holds a record this vitals cannot read ({0})")]
    Malformed(String),
    #[error("no alert with id {0:?} (`vitals alert list --status all` lists them)")]
    NotFound(String),
    /// The alert is not in a state that allows this change.
    #[error("{0}")]
    Refused(String),
}

impl StoreError {
    /// Whether the user asked for something that cannot be done (exit 3),
    /// rather than the store failing.
    pub fn is_refusal(&self) -> bool {
        matches!(self, StoreError::NotFound(_) | StoreError::Refused(_))
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// Writers that must not run at the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock<'a> {
    /// Creating or migrating the schema.
    Schema,
    /// Everything that reads and then changes the open alert of one identity.
    Identity(&'a str),
    /// Counting and reserving rate-limit slots.
    RateLimit,
}

/// A database dialect: the plumbing under the shared SQL. Statements use
/// `$1, $2, …` placeholders.
pub trait Backend: Send {
    /// Starts a transaction. A write transaction may wait (bounded) for other writers.
    fn begin(&mut self, write: bool) -> BoxFuture<'_, Result<()>>;
    /// Keeps other writers of `lock` out until the transaction ends.
    fn lock<'a>(&'a mut self, lock: Lock<'a>) -> BoxFuture<'a, Result<()>>;
    fn query<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Param],
    ) -> BoxFuture<'a, Result<Vec<Row>>>;
    fn execute<'a>(&'a mut self, sql: &'a str, params: &'a [Param]) -> BoxFuture<'a, Result<u64>>;
    /// Several statements without parameters (the schema).
    fn batch<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<()>>;
    fn commit(&mut self) -> BoxFuture<'_, Result<()>>;
    fn rollback(&mut self) -> BoxFuture<'_, Result<()>>;
    /// What makes a `SELECT` lock the rows it reads, where the dialect can.
    fn for_update(&self) -> &'static str;
}

/// Schema changes in order; the store's `schema_version` is how many have been applied.
const MIGRATIONS: &[&str] = &[
    // 1: alerts, their notifications, rate-limit reservations.
    "CREATE TABLE alerts (
        id TEXT PRIMARY KEY,
        identity TEXT NOT NULL,
        alert_type TEXT NOT NULL,
        severity TEXT NOT NULL,
        message TEXT NOT NULL,
        context TEXT NOT NULL,
        status TEXT NOT NULL,
        triggered_at BIGINT NOT NULL,
        acknowledged_at BIGINT,
        acknowledged_by TEXT,
        resolved_at BIGINT,
        resolved_by TEXT,
        resolution_note TEXT,
        occurrences BIGINT NOT NULL,
        last_notified_at BIGINT,
        test BIGINT NOT NULL,
        notified_severity TEXT,
        claim_expires_at BIGINT,
        updated_at BIGINT NOT NULL
    );
    CREATE UNIQUE INDEX alerts_open_identity ON alerts (identity) WHERE status <> 'resolved';
    CREATE INDEX alerts_triggered_at ON alerts (triggered_at);
    CREATE TABLE deliveries (
        alert_id TEXT NOT NULL REFERENCES alerts (id),
        seq BIGINT NOT NULL,
        event TEXT NOT NULL,
        channel TEXT NOT NULL,
        outcome TEXT NOT NULL,
        at BIGINT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (alert_id, seq)
    );
    CREATE TABLE rate_slots (
        channel TEXT NOT NULL,
        at BIGINT NOT NULL
    );
    CREATE INDEX rate_slots_channel_at ON rate_slots (channel, at);",
];

/// The schema version this vitals writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Rate-limit reservations are kept at least this long, whatever the window.
const SLOT_RETENTION: Duration = Duration::from_secs(24 * 3600);

const COLUMNS: &str = "id, alert_type, severity, message, context, status, triggered_at, \
     acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolution_note, \
     occurrences, last_notified_at, test, notified_severity, claim_expires_at";

/// How alerts are de-duplicated and notified.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// An open alert is notified again only this long after its last notification.
    pub repeat_interval: Duration,
    pub rate_limit: Option<RateLimit>,
    /// How long a claim to notify holds if its process never reports back.
    pub claim_for: Duration,
}

/// Why an occurrence is, or is not, notified.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    New,
    /// Earlier notifications reached nobody, so this one tries again.
    NeverDelivered,
    Escalated {
        from: Severity,
        to: Severity,
    },
    Repeat {
        since: Duration,
    },
    Acknowledged,
    Recent {
        ago: Duration,
        interval: Duration,
    },
    /// Another vitals is notifying this alert right now.
    Claimed,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = |d: &Duration| humantime::format_duration(Duration::from_secs(d.as_secs()));
        match self {
            Reason::New => f.write_str("new alert"),
            Reason::NeverDelivered => f.write_str("no earlier notification was delivered"),
            Reason::Escalated { from, to } => write!(f, "escalated from {from} to {to}"),
            Reason::Repeat { since } => write!(f, "still open, last notified {} ago", d(since)),
            Reason::Acknowledged => f.write_str("acknowledged: not notified again"),
            Reason::Recent { ago, interval } => write!(
                f,
                "notified {} ago; repeats once {} have passed",
                d(ago),
                d(interval)
            ),
            Reason::Claimed => f.write_str("another vitals is notifying it right now"),
        }
    }
}

/// The notification state of an open alert, kept beside the alert itself.
#[derive(Debug, Clone, PartialEq)]
struct Notified {
    /// The severity last delivered to someone.
    severity: Option<Severity>,
    claim_expires_at: Option<Timestamp>,
}

/// Whether this occurrence of an open alert is notified. `severity` is the
/// alert's severity after the occurrence (never lower than before).
fn decide(
    open: &Alert,
    notified: &Notified,
    severity: Severity,
    now: Timestamp,
    rules: &Rules,
) -> (bool, Reason) {
    if notified.claim_expires_at.is_some_and(|until| until > now) {
        return (false, Reason::Claimed);
    }
    if open.status == AlertStatus::Acknowledged {
        return (false, Reason::Acknowledged);
    }
    let (Some(last), Some(notified_severity)) = (open.last_notified_at, notified.severity) else {
        return (true, Reason::NeverDelivered);
    };
    if severity > notified_severity {
        return (
            true,
            Reason::Escalated {
                from: notified_severity,
                to: severity,
            },
        );
    }
    let ago = now.since(last);
    if ago >= rules.repeat_interval {
        (true, Reason::Repeat { since: ago })
    } else {
        (
            false,
            Reason::Recent {
                ago,
                interval: rules.repeat_interval,
            },
        )
    }
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
    db: Box<dyn Backend>,
    timeout: Duration,
}

/// Runs `op` within `timeout`: a server that stopped answering must not hang vitals.
async fn bounded<T>(
    timeout: Duration,
    op: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(timeout, op)
        .await
        .unwrap_or(Err(StoreError::Timeout(timeout)))
}

impl AlertStore {
    /// Opens the store, creating it or migrating its schema as needed. Every
    /// statement and lock wait is bounded by `timeout`.
    pub async fn open(
        location: &StateLocation,
        trust: &Trust,
        timeout: Duration,
    ) -> Result<AlertStore> {
        let db: Box<dyn Backend> = match location {
            StateLocation::File(path) => Box::new(sqlite::Sqlite::open(path, timeout)?),
            StateLocation::Postgres(url) => Box::new(
                bounded(
                    timeout,
                    postgres::Postgres::connect(url.expose(), trust, timeout),
                )
                .await?,
            ),
        };
        let mut store = AlertStore { db, timeout };
        bounded(timeout, store.migrate()).await?;
        Ok(store)
    }

    async fn migrate(&mut self) -> Result<()> {
        self.db.begin(true).await?;
        let result = async {
            self.db.lock(Lock::Schema).await?;
            self.db
                .batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
                .await?;
            let rows = self
                .db
                .query("SELECT MAX(version) FROM schema_version", &[])
                .await?;
            let found = rows
                .first()
                .and_then(|r| r.first())
                .map(Cell::int)
                .transpose()?
                .flatten()
                .unwrap_or(0);
            if found > SCHEMA_VERSION {
                return Err(StoreError::TooNew {
                    found,
                    known: SCHEMA_VERSION,
                });
            }
            let applied = usize::try_from(found).unwrap_or(0);
            for (i, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
                tracing::info!("alert store: applying schema version {}", i + 1);
                self.db.batch(migration).await?;
            }
            if found < SCHEMA_VERSION {
                self.db.execute("DELETE FROM schema_version", &[]).await?;
                self.db
                    .execute(
                        "INSERT INTO schema_version (version) VALUES ($1)",
                        &[int(SCHEMA_VERSION)],
                    )
                    .await?;
            }
            Ok(())
        }
        .await;
        self.end(result).await
    }

    /// Commits after success, rolls back after failure.
    async fn end<T>(&mut self, result: Result<T>) -> Result<T> {
        match result {
            Ok(value) => {
                self.db.commit().await?;
                Ok(value)
            }
            Err(e) => {
                // The failure is what matters; a rollback error would only hide it.
                let _ = self.db.rollback().await;
                Err(e)
            }
        }
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
        bounded(self.timeout, async {
            self.db.begin(true).await?;
            let result = self.record_in(incoming, channels, now, rules).await;
            self.end(result).await
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
        self.db.lock(Lock::Identity(identity)).await?;
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
                self.db
                    .execute(
                        "UPDATE alerts SET occurrences = $1, message = $2, context = $3, \
                         severity = $4, updated_at = $5 WHERE id = $6",
                        &[
                            int(i64::from(alert.occurrences)),
                            text(&alert.message),
                            text(context_text(&alert.context)),
                            text(alert.severity.as_str()),
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
            self.db
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
        self.db.lock(Lock::RateLimit).await?;
        let window_start = now.millis().saturating_sub(millis_of(limit.per));
        let expired = now
            .millis()
            .saturating_sub(millis_of(limit.per.max(SLOT_RETENTION)));
        self.db
            .execute("DELETE FROM rate_slots WHERE at < $1", &[int(expired)])
            .await?;
        let mut full = Vec::new();
        for channel in channels {
            let rows = self
                .db
                .query(
                    "SELECT COUNT(*) FROM rate_slots WHERE channel = $1 AND at > $2",
                    &[text(channel.as_str()), int(window_start)],
                )
                .await?;
            let used = rows
                .first()
                .and_then(|r| r.first())
                .map(Cell::int)
                .transpose()?
                .flatten()
                .unwrap_or(0);
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
                self.db
                    .execute(
                        "INSERT INTO rate_slots (channel, at) VALUES ($1, $2)",
                        &[text(channel.as_str()), int(now.millis())],
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
        bounded(self.timeout, async {
            self.db.begin(true).await?;
            let result = async {
                self.insert_deliveries(&alert.id, deliveries).await?;
                if deliveries.iter().any(|d| d.outcome == Outcome::Delivered) {
                    self.db
                        .execute(
                            "UPDATE alerts SET last_notified_at = $1, notified_severity = $2, \
                             updated_at = $1 WHERE id = $3",
                            &[
                                int(now.millis()),
                                text(alert.severity.as_str()),
                                text(&alert.id),
                            ],
                        )
                        .await?;
                }
                // Only our own claim is released: after its lease another process may hold a new one.
                self.db
                    .execute(
                        "UPDATE alerts SET claim_expires_at = NULL \
                         WHERE id = $1 AND claim_expires_at = $2",
                        &[text(&alert.id), int(claim.millis())],
                    )
                    .await?;
                self.load(&alert.id).await
            }
            .await;
            self.end(result).await
        })
        .await
    }

    /// Stores follow-up notifications (acknowledged, resolved).
    pub async fn add_deliveries(&mut self, id: &str, deliveries: &[Delivery]) -> Result<()> {
        if deliveries.is_empty() {
            return Ok(());
        }
        bounded(self.timeout, async {
            self.db.begin(true).await?;
            let result = self.insert_deliveries(id, deliveries).await;
            self.end(result).await
        })
        .await
    }

    async fn insert_deliveries(&mut self, id: &str, deliveries: &[Delivery]) -> Result<()> {
        let rows = self
            .db
            .query(
                "SELECT COALESCE(MAX(seq), 0) FROM deliveries WHERE alert_id = $1",
                &[text(id)],
            )
            .await?;
        let mut seq = rows
            .first()
            .and_then(|r| r.first())
            .map(Cell::int)
            .transpose()?
            .flatten()
            .unwrap_or(0);
        for d in deliveries {
            seq += 1;
            let body =
                serde_json::to_string(d).map_err(|e| StoreError::Malformed(e.to_string()))?;
            self.db
                .execute(
                    "INSERT INTO deliveries (alert_id, seq, event, channel, outcome, at, body) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        text(id),
                        int(seq),
                        text(d.event.as_str()),
                        text(d.channel.as_str()),
                        text(d.outcome.as_str()),
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
                params.push(text(status_str(s)));
                conditions.push(format!("status = ${}", params.len()));
            }
            StatusFilter::All => {}
        }
        if let Some(s) = severity {
            params.push(text(s.as_str()));
            conditions.push(format!("severity = ${}", params.len()));
        }
        let filter = if conditions.is_empty() {
            "1 = 1".to_owned()
        } else {
            conditions.join(" AND ")
        };
        bounded(self.timeout, async {
            self.db.begin(false).await?;
            let result = self.select(&filter, &params).await;
            self.end(result).await
        })
        .await
    }

    /// Alerts matching `filter` (a condition on `alerts`), newest first, with deliveries.
    async fn select(&mut self, filter: &str, params: &[Param]) -> Result<Vec<Alert>> {
        let rows = self
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
            self.db.for_update()
        );
        let rows = self.db.query(&sql, &[text(identity)]).await?;
        rows.first().map(alert_from_row).transpose()
    }

    async fn insert(&mut self, a: &Alert, now: Timestamp) -> Result<()> {
        let at = |t: Option<Timestamp>| Param::Int(t.map(Timestamp::millis));
        let opt = |s: &Option<String>| Param::Text(s.clone());
        self.db
            .execute(
                &format!(
                    "INSERT INTO alerts ({COLUMNS}, identity, updated_at) VALUES \
                     ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
                ),
                &[
                    text(&a.id),
                    text(&a.alert_type),
                    text(a.severity.as_str()),
                    text(&a.message),
                    text(context_text(&a.context)),
                    text(status_str(a.status)),
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
        bounded(self.timeout, async {
            self.db.begin(true).await?;
            let result = async {
                self.db.lock(Lock::Identity(identity)).await?;
                let Some((alert, _)) = self.open_alert(identity).await? else {
                    return Ok(None);
                };
                let change = resolution(&alert, by, Some(note), now);
                self.db.execute(change.sql, &change.params).await?;
                self.load(&alert.id).await.map(Some)
            }
            .await;
            self.end(result).await
        })
        .await
    }

    /// Reads the alert locked, checks the change is allowed, applies it.
    async fn transition(
        &mut self,
        id: &str,
        change: impl FnOnce(&Alert) -> Result<Change>,
    ) -> Result<Alert> {
        bounded(self.timeout, async {
            self.db.begin(true).await?;
            let result = async {
                let sql = format!(
                    "SELECT {COLUMNS} FROM alerts WHERE id = $1{}",
                    self.db.for_update()
                );
                let rows = self.db.query(&sql, &[text(id)]).await?;
                let (alert, _) = rows
                    .first()
                    .map(alert_from_row)
                    .transpose()?
                    .ok_or_else(|| StoreError::NotFound(id.to_owned()))?;
                let change = change(&alert)?;
                self.db.execute(change.sql, &change.params).await?;
                self.load(id).await
            }
            .await;
            self.end(result).await
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

pub fn status_str(status: AlertStatus) -> &'static str {
    match status {
        AlertStatus::Active => "active",
        AlertStatus::Acknowledged => "acknowledged",
        AlertStatus::Resolved => "resolved",
    }
}

impl Cell {
    fn int(&self) -> Result<Option<i64>> {
        match self {
            Cell::Null => Ok(None),
            Cell::Int(v) => Ok(Some(*v)),
            Cell::Text(t) => Err(StoreError::Malformed(format!(
                "expected a number, found {t:?}"
            ))),
        }
    }

    fn text(&self) -> Result<Option<String>> {
        match self {
            Cell::Null => Ok(None),
            Cell::Text(t) => Ok(Some(t.clone())),
            Cell::Int(v) => Err(StoreError::Malformed(format!("expected text, found {v}"))),
        }
    }
}

/// A value of one of our enums, from its stored name.
fn named<T: serde::de::DeserializeOwned>(value: String, what: &str) -> Result<T> {
    serde_json::from_value(Value::String(value.clone()))
        .map_err(|_| StoreError::Malformed(format!("unknown {what} {value:?}")))
}

/// An alert row in [`COLUMNS`] order.
fn alert_from_row(row: &Row) -> Result<(Alert, Notified)> {
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
    let alert = Alert {
        alert_type: required(alert_type, "alert_type")?,
        severity: named(required(severity, "severity")?, "severity")?,
        message: required(message, "message")?,
        context,
        status: named(required(status, "status")?, "status")?,
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
        test: test.int()? == Some(1),
        deliveries: Vec::new(),
        id,
    };
    let notified = Notified {
        severity: notified_severity
            .text()?
            .map(|s| named(s, "severity"))
            .transpose()?,
        claim_expires_at: instant(claim_expires_at, "claim_expires_at")?,
    };
    Ok((alert, notified))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            repeat_interval: Duration::from_secs(4 * 3600),
            rate_limit: None,
            claim_for: Duration::from_secs(60),
        }
    }

    fn open(severity: Severity, last: Option<Timestamp>) -> Alert {
        let mut a =
            Alert::new("disk_full", severity, "m", Map::new()).unwrap_or_else(|e| panic!("{e}"));
        a.last_notified_at = last;
        a
    }

    fn notified(severity: Option<Severity>) -> Notified {
        Notified {
            severity,
            claim_expires_at: None,
        }
    }

    #[test]
    fn repeats_only_after_the_interval() {
        let now = Timestamp::now();
        let hour_ago = Timestamp::from_millis(now.millis() - 3_600_000);
        let five_hours_ago = Timestamp::from_millis(now.millis() - 5 * 3_600_000);
        let a = open(Severity::Error, hour_ago);
        assert_eq!(
            decide(
                &a,
                &notified(Some(Severity::Error)),
                Severity::Error,
                now,
                &rules()
            ),
            (
                false,
                Reason::Recent {
                    ago: Duration::from_secs(3600),
                    interval: Duration::from_secs(4 * 3600)
                }
            )
        );
        let a = open(Severity::Error, five_hours_ago);
        assert_eq!(
            decide(
                &a,
                &notified(Some(Severity::Error)),
                Severity::Error,
                now,
                &rules()
            ),
            (
                true,
                Reason::Repeat {
                    since: Duration::from_secs(5 * 3600)
                }
            )
        );
    }

    #[test]
    fn escalation_acknowledgement_claims_and_failed_notifications() {
        let now = Timestamp::now();
        let a = open(Severity::Critical, Some(now));
        assert_eq!(
            decide(
                &a,
                &notified(Some(Severity::Error)),
                Severity::Critical,
                now,
                &rules()
            )
            .1,
            Reason::Escalated {
                from: Severity::Error,
                to: Severity::Critical
            }
        );
        let mut acked = a.clone();
        acked.status = AlertStatus::Acknowledged;
        assert_eq!(
            decide(
                &acked,
                &notified(Some(Severity::Error)),
                Severity::Critical,
                now,
                &rules()
            ),
            (false, Reason::Acknowledged)
        );
        let claimed = Notified {
            severity: None,
            claim_expires_at: Some(now.plus(Duration::from_secs(1))),
        };
        assert_eq!(
            decide(&a, &claimed, Severity::Critical, now, &rules()),
            (false, Reason::Claimed)
        );
        let expired = Notified {
            severity: None,
            claim_expires_at: Some(now),
        };
        let never = open(Severity::Error, None);
        assert_eq!(
            decide(&never, &expired, Severity::Error, now, &rules()),
            (true, Reason::NeverDelivered)
        );
    }

    #[test]
    fn reasons_read_well() {
        assert_eq!(
            Reason::Recent {
                ago: Duration::from_millis(754_300),
                interval: Duration::from_secs(4 * 3600)
            }
            .to_string(),
            "notified 12m 34s ago; repeats once 4h have passed"
        );
        assert_eq!(
            Reason::Escalated {
                from: Severity::Warning,
                to: Severity::Critical
            }
            .to_string(),
            "escalated from warning to critical"
        );
    }
}
