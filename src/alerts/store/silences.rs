//! Silences in the store: created, listed, ended early, and the active ones
//! read inside the transaction that records an occurrence, so a silence
//! created meanwhile by another host is seen.

use super::super::silence::{Silence, SilenceState};
use super::super::{Labels, Timestamp};
use super::read::{IdTable, full_id_in};
use crate::store::{Backend, Cell, Param, Records, Result, Row, StoreError, int, text};

pub(super) const SILENCES: IdTable = IdTable {
    records: Records {
        noun: "silence",
        lister: "vitals alert silences --all",
    },
    table: "silences",
    columns: "id, matchers, created_by",
    newest_first: "created_at DESC, id",
};

const COLUMNS: &str = "id, matchers, starts_at, ends_at, created_by, reason, created_at, ended_by";

fn silence_from_row(row: &Row, now: Timestamp) -> Result<Silence> {
    let bad = |what: &str| StoreError::Malformed(format!("silence row: {what}"));
    let [
        id,
        matchers,
        starts_at,
        ends_at,
        created_by,
        reason,
        created_at,
        ended_by,
    ] = row.as_slice()
    else {
        return Err(bad("wrong number of columns"));
    };
    let required = |cell: &Cell, what: &str| cell.text()?.ok_or_else(|| bad(what));
    let instant = |cell: &Cell, what: &str| -> Result<Timestamp> {
        cell.int()?
            .and_then(Timestamp::from_millis)
            .ok_or_else(|| bad(what))
    };
    let id = required(id, "id")?;
    let matchers: Labels =
        serde_json::from_str(&required(matchers, "matchers")?).map_err(|_| {
            bad(&format!(
                "matchers of {id} are not a JSON object of strings"
            ))
        })?;
    let starts_at = instant(starts_at, "starts_at")?;
    let ends_at = instant(ends_at, "ends_at")?;
    Ok(Silence {
        matchers,
        starts_at,
        ends_at,
        created_by: required(created_by, "created_by")?,
        reason: required(reason, "reason")?,
        created_at: instant(created_at, "created_at")?,
        ended_by: ended_by.text()?,
        state: SilenceState::at(starts_at, ends_at, now),
        id,
    })
}

pub(super) async fn insert(db: &mut dyn Backend, s: &Silence) -> Result<()> {
    let matchers =
        serde_json::to_string(&s.matchers).map_err(|e| StoreError::Malformed(e.to_string()))?;
    db.execute(
        &format!("INSERT INTO silences ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
        &[
            text(&s.id),
            text(matchers),
            int(s.starts_at.millis()),
            int(s.ends_at.millis()),
            text(&s.created_by),
            text(&s.reason),
            int(s.created_at.millis()),
            Param::Text(s.ended_by.clone()),
        ],
    )
    .await?;
    Ok(())
}

/// Silences that have not ended (or every one, with `all`), newest first.
pub(super) async fn list(db: &mut dyn Backend, all: bool, now: Timestamp) -> Result<Vec<Silence>> {
    let (filter, params) = if all {
        ("1 = 1", Vec::new())
    } else {
        ("ends_at > $1", vec![int(now.millis())])
    };
    let rows = db
        .query(
            &format!(
                "SELECT {COLUMNS} FROM silences WHERE {filter} ORDER BY {}",
                SILENCES.newest_first
            ),
            &params,
        )
        .await?;
    rows.iter().map(|r| silence_from_row(r, now)).collect()
}

/// The silences in force at `now`.
pub(super) async fn active(db: &mut dyn Backend, now: Timestamp) -> Result<Vec<Silence>> {
    let rows = db
        .query(
            &format!(
                "SELECT {COLUMNS} FROM silences WHERE starts_at <= $1 AND ends_at > $1 \
                 ORDER BY {}",
                SILENCES.newest_first
            ),
            &[int(now.millis())],
        )
        .await?;
    rows.iter().map(|r| silence_from_row(r, now)).collect()
}

/// Ends the silence `prefix` names at `now`; one that already ended is refused.
pub(super) async fn end(
    db: &mut dyn Backend,
    prefix: &str,
    by: &str,
    now: Timestamp,
) -> Result<Silence> {
    let id = full_id_in(db, &SILENCES, prefix).await?;
    let rows = db
        .query(
            &format!(
                "SELECT {COLUMNS} FROM silences WHERE id = $1{}",
                db.for_update()
            ),
            &[text(&id)],
        )
        .await?;
    let found = rows
        .first()
        .map(|r| silence_from_row(r, now))
        .transpose()?
        .ok_or_else(|| StoreError::NotFound {
            what: SILENCES.records,
            id: prefix.to_owned(),
        })?;
    if found.state == SilenceState::Expired {
        return Err(StoreError::Refused(format!(
            "silence {} already ended at {}{}",
            found.id,
            found.ends_at,
            found
                .ended_by
                .as_deref()
                .map(|by| format!(" (ended by {by})"))
                .unwrap_or_default()
        )));
    }
    db.execute(
        "UPDATE silences SET ends_at = $1, ended_by = $2 WHERE id = $3",
        &[int(now.millis()), text(by), text(&id)],
    )
    .await?;
    Ok(Silence {
        ends_at: now,
        ended_by: Some(by.to_owned()),
        state: SilenceState::Expired,
        ..found
    })
}
