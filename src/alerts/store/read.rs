//! What reads the store: alerts with their notifications, and an alert by
//! any unique prefix of its id.

use super::super::{Alert, Delivery, Outcome, Timestamp};
use super::rows::{COLUMNS, alert_from_row, named};
use crate::store::{Backend, Param, Records, Result, Row, StoreError, int, text};

/// The shortest id prefix taken: shorter ones would match too much to mean anything.
const MIN_ID_PREFIX: usize = 4;

/// How many candidates an ambiguous id prefix lists.
const MAX_CANDIDATES: i64 = 10;

pub(super) async fn load(db: &mut dyn Backend, id: &str, now: Timestamp) -> Result<Alert> {
    let mut alerts = select(db, "id = $1", &[text(id)], now).await?;
    alerts.pop().ok_or_else(|| StoreError::NotFound {
        what: ALERTS.records,
        id: id.to_owned(),
    })
}

/// A table of records named by ids of hex digits, and how a candidate for
/// an ambiguous prefix is described.
pub(super) struct IdTable {
    pub records: Records,
    pub table: &'static str,
    /// Three columns: the id and two that describe it.
    pub columns: &'static str,
    pub newest_first: &'static str,
}

pub(super) const ALERTS: IdTable = IdTable {
    records: Records {
        noun: "alert",
        lister: "vitals alert list --status all",
    },
    table: "alerts",
    columns: "id, alert_type, status",
    newest_first: "triggered_at DESC, id",
};

/// The full id of the one alert whose id starts with `prefix` (any case).
pub(super) async fn full_id(db: &mut dyn Backend, prefix: &str) -> Result<String> {
    full_id_in(db, &ALERTS, prefix).await
}

/// The full id of the one record of `named` whose id starts with `prefix` (any case).
pub(super) async fn full_id_in(
    db: &mut dyn Backend,
    named: &IdTable,
    prefix: &str,
) -> Result<String> {
    let noun = named.records.noun;
    let not_found = || StoreError::NotFound {
        what: named.records,
        id: prefix.to_owned(),
    };
    let wanted = prefix.to_ascii_lowercase();
    if wanted.chars().count() < MIN_ID_PREFIX {
        return Err(StoreError::Refused(format!(
            "{prefix:?} is too short to name {}: give at least {MIN_ID_PREFIX} characters \
             of its id (`{}` shows them)",
            article(noun),
            named.records.lister
        )));
    }
    // Ids are hex digits: anything else names none (and never reaches the SQL as a pattern).
    if !wanted.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let rows = db
        .query(
            &format!(
                "SELECT {} FROM {} WHERE substr(id, 1, length(CAST($1 AS TEXT))) = $1 \
                 ORDER BY {} LIMIT $2",
                named.columns, named.table, named.newest_first
            ),
            &[text(&wanted), int(MAX_CANDIDATES + 1)],
        )
        .await?;
    let texts = |row: &Row| -> Result<Vec<String>> {
        row.iter()
            .map(|c| Ok(c.text()?.unwrap_or_default()))
            .collect()
    };
    match rows.as_slice() {
        [] => Err(not_found()),
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
                what: named.records,
                prefix: prefix.to_owned(),
                candidates,
            })
        }
    }
}

/// `an alert`, `a silence`.
fn article(noun: &str) -> String {
    match noun.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {noun}"),
        _ => format!("a {noun}"),
    }
}

/// Alerts matching `filter` (a condition on `alerts`), newest first, with
/// deliveries; pending ones whose lease lapsed read as unknown.
pub(super) async fn select(
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
