//! The schema: every change in order, and the version check that keeps an
//! older vitals from writing a store a newer one has changed.

use super::{Result, SCHEMA_LOCK, Store, StoreError, first_int, int};

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

/// Creates or migrates the schema, in one transaction under the schema lock.
pub async fn migrate(store: &mut Store) -> Result<()> {
    store.db.begin(true).await?;
    let result = async {
        store.db.lock(SCHEMA_LOCK).await?;
        store
            .db
            .batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            .await?;
        let rows = store
            .db
            .query("SELECT MAX(version) FROM schema_version", &[])
            .await?;
        let found = first_int(&rows)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                found,
                known: SCHEMA_VERSION,
            });
        }
        let applied = usize::try_from(found).unwrap_or(0);
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
            tracing::info!("alert store: applying schema version {}", i + 1);
            store.db.batch(migration).await?;
        }
        if found < SCHEMA_VERSION {
            store.db.execute("DELETE FROM schema_version", &[]).await?;
            store
                .db
                .execute(
                    "INSERT INTO schema_version (version) VALUES ($1)",
                    &[int(SCHEMA_VERSION)],
                )
                .await?;
        }
        Ok(())
    }
    .await;
    store.end(result).await
}
