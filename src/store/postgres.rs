//! The store in PostgreSQL: one alert state for several hosts.
//!
//! Writers of one alert identity are serialised by a transaction-scoped
//! advisory lock on it (taken before the open alert is read, so the second of
//! two concurrent processes reads what the first committed); the unique index
//! on open identities would turn a mistake here into an error, not a
//! duplicate. Every statement and lock wait is bounded server-side
//! (`statement_timeout`, `lock_timeout`) and client-side.

use std::time::Duration;

use tokio_postgres::Client;
use tokio_postgres::types::{ToSql, Type};
use url::Url;

use super::{Backend, Cell, Lock, Param, Result, Row, StoreError};
use futures_util::future::BoxFuture;

use crate::error::{Worded, find_cause};
use crate::net::pg::{self, Target};
use crate::net::tls::Trust;

/// The first key of vitals' advisory locks ("vi" in ASCII), so they do not
/// collide with an application's own advisory locks in a shared database.
const LOCK_SPACE: i32 = 0x7669;

pub struct Postgres {
    client: Client,
    /// Set from BEGIN until COMMIT or ROLLBACK has answered. Still set at the
    /// next BEGIN means an operation was abandoned midway (it timed out): the
    /// connection's state is unknown, so it is not used again, and nothing
    /// half done can be committed by a later operation.
    in_transaction: bool,
}

impl Postgres {
    pub async fn connect(url: &Url, trust: &Trust, timeout: Duration) -> Result<Postgres> {
        let target =
            Target::parse(url).map_err(|e| StoreError::Open(Worded::new(e.to_string(), e)))?;
        let client = target.connect(trust, timeout).await.map_err(|e| {
            let busy = find_cause::<tokio_postgres::Error>(&e).is_some_and(contended);
            let words = Worded::new(e.to_string(), e);
            if busy {
                StoreError::Busy(words)
            } else {
                StoreError::Open(words)
            }
        })?;
        let ms = timeout.as_millis().max(1);
        // A transaction left idle (a client that hung) must not hold locks for long.
        client
            .batch_execute(&format!(
                "SET statement_timeout = {ms}; SET lock_timeout = {ms}; \
                 SET idle_in_transaction_session_timeout = {}",
                ms.saturating_mul(4)
            ))
            .await
            .map_err(|e| StoreError::Open(Worded::new(pg::describe(&e), e)))?;
        Ok(Postgres {
            client,
            in_transaction: false,
        })
    }
}

impl Postgres {
    /// COMMIT or ROLLBACK: once the server has answered, even with an error,
    /// the transaction is over.
    async fn finish(&mut self, sql: &str) -> Result<()> {
        let result = self.client.batch_execute(sql).await.map_err(failed);
        self.in_transaction = false;
        result
    }
}

fn failed(error: tokio_postgres::Error) -> StoreError {
    let busy = contended(&error);
    let words = Worded::new(pg::describe(&error), error);
    if busy {
        StoreError::Busy(words)
    } else {
        StoreError::Query(words)
    }
}

/// Errors that say "not now" rather than "not this": worth another try.
fn contended(error: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    error.code().is_some_and(|code| {
        [
            &SqlState::TOO_MANY_CONNECTIONS,
            &SqlState::CONFIGURATION_LIMIT_EXCEEDED,
            &SqlState::CANNOT_CONNECT_NOW,
            &SqlState::T_R_SERIALIZATION_FAILURE,
            &SqlState::T_R_DEADLOCK_DETECTED,
            &SqlState::LOCK_NOT_AVAILABLE,
        ]
        .contains(&code)
    })
}

fn params(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| match p {
            Param::Int(v) => v as &(dyn ToSql + Sync),
            Param::Float(v) => v as &(dyn ToSql + Sync),
            Param::Text(v) => v as &(dyn ToSql + Sync),
        })
        .collect()
}

fn row(row: &tokio_postgres::Row) -> Result<Row> {
    (0..row.len())
        .map(|i| {
            let ty = row.columns()[i].type_();
            let got = if *ty == Type::INT8 {
                row.try_get::<_, Option<i64>>(i)
                    .map(|v| v.map_or(Cell::Null, Cell::Int))
            } else if *ty == Type::FLOAT8 {
                row.try_get::<_, Option<f64>>(i)
                    .map(|v| v.map_or(Cell::Null, Cell::Float))
            } else if *ty == Type::INT4 {
                row.try_get::<_, Option<i32>>(i)
                    .map(|v| v.map_or(Cell::Null, |v| Cell::Int(i64::from(v))))
            } else {
                row.try_get::<_, Option<String>>(i)
                    .map(|v| v.map_or(Cell::Null, Cell::Text))
            };
            got.map_err(|e| StoreError::Malformed(format!("column {i} ({ty}): {e}")))
        })
        .collect()
}

impl Backend for Postgres {
    fn begin(&mut self, write: bool) -> BoxFuture<'_, Result<()>> {
        // A read sees one consistent state: the alerts and their deliveries from one snapshot.
        let sql = if write {
            "BEGIN"
        } else {
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        };
        Box::pin(async move {
            if self.in_transaction {
                return Err(StoreError::Abandoned);
            }
            self.client.batch_execute(sql).await.map_err(failed)?;
            self.in_transaction = true;
            Ok(())
        })
    }

    fn lock<'a>(&'a mut self, lock: Lock<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            // The lock numbers are offsets in vitals' own key space.
            let result = match lock {
                Lock::Global(kind) => {
                    self.client
                        .execute(
                            &format!("SELECT pg_advisory_xact_lock({}, 0)", LOCK_SPACE + kind),
                            &[],
                        )
                        .await
                }
                Lock::Keyed(kind, key) => {
                    self.client
                        .execute(
                            &format!(
                                "SELECT pg_advisory_xact_lock({}, hashtext($1))",
                                LOCK_SPACE + kind
                            ),
                            &[&key],
                        )
                        .await
                }
            };
            result.map(|_| ()).map_err(failed)
        })
    }

    fn query<'a>(
        &'a mut self,
        sql: &'a str,
        values: &'a [Param],
    ) -> BoxFuture<'a, Result<Vec<Row>>> {
        Box::pin(async move {
            let rows = self
                .client
                .query(sql, &params(values))
                .await
                .map_err(failed)?;
            rows.iter().map(row).collect()
        })
    }

    fn execute<'a>(&'a mut self, sql: &'a str, values: &'a [Param]) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            self.client
                .execute(sql, &params(values))
                .await
                .map_err(failed)
        })
    }

    fn batch<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.client.batch_execute(sql).await.map_err(failed) })
    }

    fn commit(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.finish("COMMIT"))
    }

    fn rollback(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.finish("ROLLBACK"))
    }

    fn for_update(&self) -> &'static str {
        " FOR UPDATE"
    }

    fn has_table<'a>(&'a mut self, name: &'a str) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let rows = self
                .query(
                    "SELECT COUNT(*) FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_name = $1",
                    &[super::text(name)],
                )
                .await?;
            Ok(super::first_int(&rows)? > 0)
        })
    }
}
