//! The database under vitals' records: an SQLite file for one host, or a
//! PostgreSQL database shared by several. This module is the plumbing only —
//! opening, transactions, locks, bounded statements, the schema's version —
//! and knows nothing of what is stored; the repositories (the alert store in
//! `alerts/store.rs`) write their SQL on top of it, the same SQL for both
//! backends.

pub mod postgres;
pub mod schema;
pub mod sqlite;

use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::config::StateLocation;
use crate::error::Worded;
use crate::net::tls::Trust;

/// A query parameter. Typed even when null: PostgreSQL checks the type of
/// every parameter, absent ones included.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Int(Option<i64>),
    Text(Option<String>),
}

pub fn int(v: i64) -> Param {
    Param::Int(Some(v))
}

pub fn text(v: impl Into<String>) -> Param {
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

/// What opening a store may create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// Nothing: the store must exist (for commands that only read, or change
    /// what is there), so that a mistyped location creates nothing.
    Nothing,
    /// The store, in a directory that exists.
    Store,
    /// The store and the directories above it (the default location).
    Directories,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// There is no store there, and nothing was to be created.
    #[error("it does not exist")]
    Missing,
    /// The store cannot be opened or created (nothing was changed).
    #[error("{0}")]
    Open(#[source] Worded),
    #[error("it is a directory, not an SQLite file")]
    Directory,
    /// A statement failed.
    #[error("{0}")]
    Query(#[source] Worded),
    /// A PostgreSQL connection whose last operation was abandoned midway.
    #[error("an earlier operation timed out midway; the connection is not used again")]
    Abandoned,
    #[error("no answer within {}", crate::text::duration(*.0))]
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

pub type Result<T> = std::result::Result<T, StoreError>;

/// Writers that must not run at the same time, until the transaction ends.
/// Repositories name their own locks by number: the numbers are part of the
/// store's format, shared by every vitals writing to one PostgreSQL store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock<'a> {
    /// One lock for all writers of a kind (0 is the schema's).
    Global(i32),
    /// One lock per key within a kind.
    Keyed(i32, &'a str),
}

/// Creating or migrating the schema.
pub const SCHEMA_LOCK: Lock<'static> = Lock::Global(0);

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

/// An open store: a backend and the time every operation on it may take.
pub struct Store {
    pub db: Box<dyn Backend>,
    pub timeout: Duration,
}

/// Runs `op` within `timeout`: a server that stopped answering must not hang vitals.
pub async fn bounded<T>(
    timeout: Duration,
    op: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(timeout, op)
        .await
        .unwrap_or(Err(StoreError::Timeout(timeout)))
}

impl Store {
    /// Opens the store, creating what `create` allows or migrating its
    /// schema as needed. Every statement and lock wait is bounded by `timeout`.
    pub async fn open(
        location: &StateLocation,
        trust: &Trust,
        timeout: Duration,
        create: Create,
    ) -> Result<Store> {
        let db: Box<dyn Backend> = match location {
            StateLocation::File(path) => Box::new(sqlite::Sqlite::open(path, timeout, create)?),
            StateLocation::Postgres(url) => Box::new(
                bounded(
                    timeout,
                    postgres::Postgres::connect(url.expose(), trust, timeout),
                )
                .await?,
            ),
        };
        let mut store = Store { db, timeout };
        if create == Create::Nothing && matches!(location, StateLocation::Postgres(_)) {
            let found = bounded(
                timeout,
                store.db.query(
                    "SELECT COUNT(*) FROM information_schema.tables \
                     WHERE table_name = 'schema_version' AND table_schema = current_schema()",
                    &[],
                ),
            )
            .await?;
            if first_int(&found)? == 0 {
                return Err(StoreError::Missing);
            }
        }
        bounded(timeout, schema::migrate(&mut store)).await?;
        Ok(store)
    }

    /// Commits after success, rolls back after failure.
    pub async fn end<T>(&mut self, result: Result<T>) -> Result<T> {
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
}

/// The number in the first column of the first row (a `COUNT`, a `MAX`), 0 when there is none.
pub fn first_int(rows: &[Row]) -> Result<i64> {
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .map(Cell::int)
        .transpose()?
        .flatten()
        .unwrap_or(0))
}

impl Cell {
    pub fn int(&self) -> Result<Option<i64>> {
        match self {
            Cell::Null => Ok(None),
            Cell::Int(v) => Ok(Some(*v)),
            Cell::Text(t) => Err(StoreError::Malformed(format!(
                "expected a number, found {t:?}"
            ))),
        }
    }

    pub fn text(&self) -> Result<Option<String>> {
        match self {
            Cell::Null => Ok(None),
            Cell::Text(t) => Ok(Some(t.clone())),
            Cell::Int(v) => Err(StoreError::Malformed(format!("expected text, found {v}"))),
        }
    }
}
