//! The schema: every change in order, and the version rule that keeps a
//! vitals from writing a store it does not understand.
//!
//! The store records its schema version and the oldest version a vitals must
//! know to read and write it (`compatible_from`). A change that older
//! vitals can live with (a new table they never read) leaves
//! `compatible_from` where it was, so hosts sharing a PostgreSQL store can be
//! upgraded one at a time; a change they would misread raises it, and an
//! older vitals then refuses the store (and still delivers its alerts).

use super::{Backend, Result, SCHEMA_LOCK, StoreError, first_int, int};

struct Migration {
    /// The oldest schema version a vitals must know to use the store once
    /// this change is applied.
    compatible_from: i64,
    sql: &'static str,
}

/// Schema changes in order; the store's `schema_version` is how many have been applied.
const MIGRATIONS: &[Migration] = &[
    // 1: alerts, their notifications, rate-limit reservations.
    Migration {
        compatible_from: 1,
        sql: "CREATE TABLE alerts (
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
    },
    // 2: alert identity = type + labels; notification leases and pending or
    // unknown outcomes; why an open alert is held back. A vitals of version 1
    // would match open alerts by type alone and misread pending deliveries,
    // so it must not write this store.
    Migration {
        compatible_from: 2,
        sql: "ALTER TABLE schema_version ADD COLUMN compatible_from BIGINT;
        ALTER TABLE alerts ADD COLUMN labels TEXT;
        ALTER TABLE alerts ADD COLUMN dedup_key TEXT;
        ALTER TABLE alerts ADD COLUMN held TEXT;
        ALTER TABLE alerts ADD COLUMN held_reason TEXT;
        ALTER TABLE alerts ADD COLUMN notified_message TEXT;
        ALTER TABLE deliveries ADD COLUMN lease_until BIGINT;",
    },
    // 3: the check history (runs, their metrics' samples, hourly and daily
    // roll-ups, anomaly baselines). New tables only, which a vitals of
    // version 2 never reads: it may go on using the store.
    Migration {
        compatible_from: 2,
        sql: "CREATE TABLE history_runs (
        id BIGINT PRIMARY KEY,
        check_name TEXT NOT NULL,
        instance TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        duration_us BIGINT NOT NULL,
        status TEXT NOT NULL,
        message TEXT NOT NULL
    );
    CREATE INDEX history_runs_check ON history_runs (check_name, started_at);
    CREATE TABLE history_series (
        id BIGINT PRIMARY KEY,
        check_name TEXT NOT NULL,
        instance TEXT NOT NULL,
        metric TEXT NOT NULL,
        unit TEXT NOT NULL
    );
    CREATE TABLE history_samples (
        series BIGINT NOT NULL,
        run_id BIGINT NOT NULL,
        value DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX history_samples_series ON history_samples (series, run_id);
    CREATE TABLE history_status_rollups (
        period TEXT NOT NULL,
        bucket BIGINT NOT NULL,
        check_name TEXT NOT NULL,
        instance TEXT NOT NULL,
        status TEXT NOT NULL,
        runs BIGINT NOT NULL,
        time_ms BIGINT NOT NULL,
        PRIMARY KEY (period, bucket, check_name, instance, status)
    );
    CREATE TABLE history_metric_rollups (
        period TEXT NOT NULL,
        bucket BIGINT NOT NULL,
        series BIGINT NOT NULL,
        samples BIGINT NOT NULL,
        total DOUBLE PRECISION NOT NULL,
        low DOUBLE PRECISION NOT NULL,
        high DOUBLE PRECISION NOT NULL,
        p50 DOUBLE PRECISION NOT NULL,
        p95 DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (period, series, bucket)
    );
    CREATE TABLE history_marks (
        name TEXT PRIMARY KEY,
        at BIGINT NOT NULL
    );
    CREATE TABLE history_baselines (
        series BIGINT PRIMARY KEY,
        computed_at BIGINT NOT NULL,
        samples BIGINT NOT NULL,
        median DOUBLE PRECISION NOT NULL,
        spread DOUBLE PRECISION NOT NULL,
        usual_low DOUBLE PRECISION NOT NULL,
        usual_high DOUBLE PRECISION NOT NULL,
        streak BIGINT NOT NULL,
        out_since BIGINT
    );
    CREATE TABLE history_anomalies (
        series BIGINT NOT NULL,
        since BIGINT NOT NULL,
        until BIGINT,
        last_value DOUBLE PRECISION NOT NULL,
        peak DOUBLE PRECISION NOT NULL,
        baseline DOUBLE PRECISION NOT NULL,
        band_low DOUBLE PRECISION NOT NULL,
        band_high DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (series, since)
    );",
    },
    // 4: alert hygiene: each check's run counters and recent state changes
    // (thresholds, flapping), silences, and what holds an alert back (the
    // silence's id, the alert that inhibits it). Additive, but a vitals
    // without it would notify silenced and inhibited alerts and raise
    // alerts before their failure threshold, so it must not write this
    // store: `compatible_from` is this migration's own version.
    Migration {
        compatible_from: 4,
        sql: "CREATE TABLE check_states (
        subject TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        failing_runs BIGINT NOT NULL,
        healthy_runs BIGINT NOT NULL,
        changes TEXT NOT NULL,
        flapping_since BIGINT,
        updated_at BIGINT NOT NULL
    );
    CREATE TABLE silences (
        id TEXT PRIMARY KEY,
        matchers TEXT NOT NULL,
        starts_at BIGINT NOT NULL,
        ends_at BIGINT NOT NULL,
        created_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        ended_by TEXT
    );
    CREATE INDEX silences_ends_at ON silences (ends_at);
    ALTER TABLE alerts ADD COLUMN held_by TEXT;",
    },
    // 5: maintenance in the history: the `[[maintenance]]` window a run was
    // recorded in, and the runs and time in maintenance of each roll-up;
    // and an index of the runs by check, status and instance, so that
    // `history` finds a range's incidents and its current status's start
    // without reading every run. Additive, but a vitals without it would
    // record runs in a window as ordinary ones and, doing the upkeep, roll
    // up the hours of every host without their maintenance time, so that
    // uptime would silently count planned work as downtime: it must not
    // write this store, and `compatible_from` is this migration's version.
    Migration {
        compatible_from: 5,
        sql: "CREATE INDEX history_runs_status ON history_runs (check_name, status, instance, id);
    ALTER TABLE history_runs ADD COLUMN maintenance TEXT;
    ALTER TABLE history_status_rollups ADD COLUMN maintenance_runs BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE history_status_rollups ADD COLUMN maintenance_ms BIGINT NOT NULL DEFAULT 0;",
    },
    // 6: the runs by check and start carry what `history` reads of a run
    // it answers from raw (instance, status, maintenance; the id orders
    // runs of one millisecond), so those reads need no lookup in the table
    // (SQLite's `BIGINT PRIMARY KEY` is not the rowid): a 30-day history of
    // five checks read 48 raw hours each, a third of its time. Only an
    // index: a vitals at version 5 reads and writes this store as before.
    Migration {
        compatible_from: 5,
        sql: "CREATE INDEX history_runs_span ON history_runs (check_name, started_at, id, instance, status, maintenance);
    DROP INDEX history_runs_check;",
    },
];

/// The first schema version with the check history's tables.
pub const HISTORY_VERSION: i64 = 3;

/// The schema version this vitals writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The oldest schema version a vitals must know to use a store at [`SCHEMA_VERSION`].
fn compatible_from() -> i64 {
    MIGRATIONS
        .iter()
        .map(|m| m.compatible_from)
        .max()
        .unwrap_or(1)
}

/// Creates or migrates the schema, in one transaction under the schema lock.
/// A store of a newer schema is used as it is when this vitals is among
/// those it declares compatible, and refused otherwise.
pub async fn migrate(db: &mut dyn Backend) -> Result<()> {
    db.begin(true).await?;
    let result = migrate_in(db).await;
    super::end(db, result).await
}

async fn migrate_in(db: &mut dyn Backend) -> Result<()> {
    db.lock(SCHEMA_LOCK).await?;
    db.batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        .await?;
    let found = version(db).await?;
    if usable(db, found).await? {
        return Ok(());
    }
    let applied = usize::try_from(found).unwrap_or(0);
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
        tracing::info!("store: applying schema version {}", i + 1);
        db.batch(migration.sql).await?;
    }
    db.execute("DELETE FROM schema_version", &[]).await?;
    db.execute(
        "INSERT INTO schema_version (version, compatible_from) VALUES ($1, $2)",
        &[int(SCHEMA_VERSION), int(compatible_from())],
    )
    .await?;
    Ok(())
}

/// Whether the store has a schema at all, read in a transaction of its own.
pub async fn exists(db: &mut dyn Backend) -> Result<bool> {
    db.begin(false).await?;
    let result = db.has_table("schema_version").await;
    super::end(db, result).await
}

/// Checks, reading only, that this vitals can use the store as it is.
pub async fn verify(db: &mut dyn Backend) -> Result<()> {
    db.begin(false).await?;
    let result = async {
        let found = match db.has_table("schema_version").await? {
            true => version(db).await?,
            false => 0,
        };
        match usable(db, found).await? {
            true => Ok(()),
            false => Err(StoreError::Unmigrated {
                found,
                known: SCHEMA_VERSION,
            }),
        }
    }
    .await;
    super::end(db, result).await
}

async fn version(db: &mut dyn Backend) -> Result<i64> {
    first_int(
        &db.query("SELECT MAX(version) FROM schema_version", &[])
            .await?,
    )
}

/// Whether a store at schema version `found` is used as it is: it is this
/// vitals' version, or a newer one that declares this vitals compatible.
/// An older one is not (it needs migrating); a newer incompatible one is refused.
async fn usable(db: &mut dyn Backend, found: i64) -> Result<bool> {
    if found <= SCHEMA_VERSION {
        return Ok(found == SCHEMA_VERSION);
    }
    // Every store past version 1 has the column.
    let rows = db
        .query(
            "SELECT compatible_from FROM schema_version WHERE version = $1",
            &[int(found)],
        )
        .await?;
    let compatible_from = match first_int(&rows)? {
        0 => found,
        n => n,
    };
    if compatible_from > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found,
            compatible_from,
            known: SCHEMA_VERSION,
        });
    }
    tracing::info!(
        "alert store: schema version {found} is newer than this vitals ({SCHEMA_VERSION}) \
         but declared compatible from version {compatible_from}: using it as it is"
    );
    Ok(true)
}
