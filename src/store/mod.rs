//! The database under vitals' records: an SQLite file for one host, or a
//! PostgreSQL database shared by several. This module is the plumbing only —
//! opening, transactions, locks, bounded statements, the schema's version —
//! and knows nothing of what is stored; the repositories (the alert store in
//! `alerts/store.rs`) write their SQL on top of it, the same SQL for both
//! backends.

pub mod postgres;
pub mod schema;
pub mod sqlite;

use std::marker::PhantomData;
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
    Float(Option<f64>),
    Text(Option<String>),
}

pub fn int(v: i64) -> Param {
    Param::Int(Some(v))
}

pub fn text(v: impl Into<String>) -> Param {
    Param::Text(Some(v.into()))
}

pub fn float(v: f64) -> Param {
    Param::Float(Some(v))
}

/// One value of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Float(f64),
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
    /// The store is too busy to take this now (a lock held by another
    /// process, no connection left, a serialisation failure): worth another try.
    #[error("{0}")]
    Busy(#[source] Worded),
    /// A PostgreSQL connection whose last operation was abandoned midway.
    #[error("an earlier operation timed out midway; the connection is not used again")]
    Abandoned,
    #[error("no answer within {}", crate::text::duration(*.0))]
    Timeout(Duration),
    #[error(
        "it was written by a newer vitals (schema version {found}, readable from version {compatible_from}; this one knows up to {known}); upgrade vitals"
    )]
    TooNew {
        found: i64,
        compatible_from: i64,
        known: i64,
    },
    #[error("it holds a record this vitals cannot read ({0})")]
    Malformed(String),
    /// Read without migrating, it is not at this vitals' schema yet.
    #[error("{}", unmigrated(*found, *known))]
    Unmigrated { found: i64, known: i64 },
    #[error("no {} with id {id:?} (`{}` lists them)", what.noun, what.lister)]
    NotFound { what: Records, id: String },
    /// An id prefix that more than one record starts with: each candidate, described.
    #[error(
        "{} {}s have an id starting with {prefix:?}: {}; give more of the id",
        candidates.len(),
        what.noun,
        candidates.join("; ")
    )]
    Ambiguous {
        what: Records,
        prefix: String,
        candidates: Vec<String>,
    },
    /// The alert is not in a state that allows this change.
    #[error("{0}")]
    Refused(String),
}

fn unmigrated(found: i64, known: i64) -> String {
    match found {
        0 => format!(
            "it has no schema yet (this vitals writes version {known}): the next write creates it"
        ),
        _ => format!(
            "its schema is older (version {found}; this vitals writes {known}): the next write migrates it \
             (`vitals check all --record`, or any recording or alert)"
        ),
    }
}

impl StoreError {
    /// Whether the user asked for something that cannot be done (exit 3),
    /// rather than the store failing.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            StoreError::NotFound { .. } | StoreError::Ambiguous { .. } | StoreError::Refused(_)
        )
    }

    /// Whether trying again later may succeed.
    pub fn is_contention(&self) -> bool {
        matches!(self, StoreError::Busy(_))
    }
}

/// A kind of record named by id, as messages about ids name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Records {
    /// `alert`, `silence`.
    pub noun: &'static str,
    /// The command that lists every one of them.
    pub lister: &'static str,
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
    /// Whether the table exists, read within the transaction.
    fn has_table<'a>(&'a mut self, name: &'a str) -> BoxFuture<'a, Result<bool>>;
}

/// The work of one transaction: given the connection, a future that runs
/// its statements. Called again when the store was too busy to take it, so
/// it must not consume what it captures.
pub type Work<'w, T> = dyn for<'a> FnMut(Tx<'a, 'w>) -> BoxFuture<'a, Result<T>> + Send + 'w;

/// The connection lent to one try of a transaction's [`Work`].
pub struct Tx<'a, 'w> {
    pub db: &'a mut dyn Backend,
    /// Tells the compiler that what the work captures (`'w`) outlives the
    /// connection's loan (`'a`), so the work's future may borrow both.
    _outlives: PhantomData<&'a &'w ()>,
}

/// A store: where it is, and while a command uses it, one connection.
///
/// A command holds the connection only for its transactions ([`Store::release`]
/// closes it while notifications go out), so many runs at once do not
/// exhaust a PostgreSQL store's connections.
pub struct Store {
    location: StateLocation,
    trust: Trust,
    /// Every transaction, retries included, ends within this.
    pub timeout: Duration,
    db: Option<Box<dyn Backend>>,
    /// What connecting may create (the file, its directories).
    create: Create,
    /// Creates or migrates the schema; without it the store is only read,
    /// and a schema this vitals cannot read is an error.
    migrates: bool,
    /// The schema was checked (and migrated) by this process.
    checked: bool,
}

/// The first wait after the store said it was busy; it doubles after each
/// try, up to [`MAX_BACKOFF`], with jitter so that runs started together do
/// not knock again together.
const FIRST_BACKOFF: Duration = Duration::from_millis(20);
const MAX_BACKOFF: Duration = Duration::from_millis(800);

impl Store {
    /// Opens the store, creating what `create` allows or migrating its
    /// schema as needed. Every transaction, its connection and lock waits
    /// included, is bounded by `timeout`.
    pub async fn open(
        location: &StateLocation,
        trust: &Trust,
        timeout: Duration,
        create: Create,
    ) -> Result<Store> {
        Store::connect_to(location, trust, timeout, create, true).await
    }

    /// Opens a store that exists to read it only: its schema is neither
    /// created nor migrated (`StoreError::Unmigrated` when it is not this
    /// vitals' yet).
    pub async fn open_read_only(
        location: &StateLocation,
        trust: &Trust,
        timeout: Duration,
    ) -> Result<Store> {
        Store::connect_to(location, trust, timeout, Create::Nothing, false).await
    }

    async fn connect_to(
        location: &StateLocation,
        trust: &Trust,
        timeout: Duration,
        create: Create,
        migrates: bool,
    ) -> Result<Store> {
        let mut store = Store {
            location: location.clone(),
            trust: trust.clone(),
            timeout,
            db: None,
            create,
            migrates,
            checked: false,
        };
        store
            .transaction(false, &mut |_| Box::pin(async { Ok(()) }))
            .await?;
        Ok(store)
    }

    /// Closes the connection; the next transaction opens another.
    pub fn release(&mut self) {
        self.db = None;
    }

    /// Runs `work` in one transaction: commits after success, rolls back
    /// after failure. When the store is busy (a lock held past SQLite's
    /// wait, PostgreSQL out of connections, a serialisation failure) it
    /// waits and tries again, until `timeout` has passed since the first try.
    pub async fn transaction<T>(&mut self, write: bool, work: &mut Work<'_, T>) -> Result<T> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut tries: u32 = 0;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let result = tokio::time::timeout(left, self.attempt(write, work))
                .await
                .unwrap_or(Err(StoreError::Timeout(self.timeout)));
            let error = match result {
                Ok(value) => return Ok(value),
                Err(e) => e,
            };
            if matches!(error, StoreError::Timeout(_) | StoreError::Abandoned)
                || error.is_contention()
            {
                // A connection left midway, or refused, is not used again.
                self.db = None;
            }
            tries += 1;
            let wait = backoff(tries);
            if !error.is_contention() || tokio::time::Instant::now() + wait >= deadline {
                return Err(error);
            }
            tracing::debug!("store busy ({error}); trying again in {wait:?}");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt<T>(&mut self, write: bool, work: &mut Work<'_, T>) -> Result<T> {
        let db = match &mut self.db {
            Some(db) => db,
            None => {
                let mut db = self.connect().await?;
                if !self.checked {
                    // A PostgreSQL store must have been created by a command that records.
                    if self.create == Create::Nothing
                        && matches!(self.location, StateLocation::Postgres(_))
                        && !schema::exists(db.as_mut()).await?
                    {
                        return Err(StoreError::Missing);
                    }
                    if self.migrates {
                        schema::migrate(db.as_mut()).await?;
                    } else {
                        schema::verify(db.as_mut()).await?;
                    }
                    self.checked = true;
                }
                self.db.insert(db)
            }
        };
        db.begin(write).await?;
        let result = work(Tx {
            db: db.as_mut(),
            _outlives: PhantomData,
        })
        .await;
        end(db.as_mut(), result).await
    }

    async fn connect(&self) -> Result<Box<dyn Backend>> {
        Ok(match &self.location {
            StateLocation::File(path) => {
                Box::new(sqlite::Sqlite::open(path, self.timeout, self.create)?)
            }
            StateLocation::Postgres(url) => Box::new(
                postgres::Postgres::connect(url.expose(), &self.trust, self.timeout).await?,
            ),
        })
    }
}

/// The wait before try `n + 1`: doubling from [`FIRST_BACKOFF`], at most
/// [`MAX_BACKOFF`], and a random part of it ("equal jitter").
fn backoff(n: u32) -> Duration {
    use std::hash::BuildHasher as _;
    let full = FIRST_BACKOFF
        .saturating_mul(2u32.saturating_pow(n.saturating_sub(1)))
        .min(MAX_BACKOFF);
    // RandomState is seeded randomly per instance: enough randomness to spread retries.
    let random = std::collections::hash_map::RandomState::new().hash_one(n);
    let half = full / 2;
    half + half.mul_f64((random % 1000) as f64 / 1000.0)
}

/// Commits after success, rolls back after failure.
async fn end<T>(db: &mut dyn Backend, result: Result<T>) -> Result<T> {
    match result {
        Ok(value) => {
            db.commit().await?;
            Ok(value)
        }
        Err(e) => {
            // The failure is what matters; a rollback error would only hide it.
            let _ = db.rollback().await;
            Err(e)
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
            Cell::Float(v) => Err(StoreError::Malformed(format!(
                "expected a whole number, found {v}"
            ))),
            Cell::Text(t) => Err(StoreError::Malformed(format!(
                "expected a number, found {t:?}"
            ))),
        }
    }

    /// A number, whole or not (SQLite keeps a whole `REAL` as an integer).
    pub fn float(&self) -> Result<Option<f64>> {
        match self {
            Cell::Null => Ok(None),
            Cell::Float(v) => Ok(Some(*v)),
            Cell::Int(v) => Ok(Some(*v as f64)),
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
            Cell::Float(v) => Err(StoreError::Malformed(format!("expected text, found {v}"))),
        }
    }
}
