//! The store in an SQLite file: the default, for one host.
//!
//! A write transaction is `BEGIN IMMEDIATE`: it takes the database's write
//! lock at once, so a transaction that reads an alert and then changes it
//! cannot interleave with another process doing the same. Waiting for that
//! lock is bounded by SQLite's busy timeout.

use std::fs::{DirBuilder, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::time::Duration;

use futures_util::future::BoxFuture;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::{Backend, Cell, Create, Lock, Param, Result, Row, StoreError};
use crate::error::Worded;

pub struct Sqlite {
    conn: Connection,
    timeout: Duration,
}

impl Sqlite {
    /// Opens the file, creating it (mode 0600) when it does not exist and
    /// `create` allows, and its directories (0700) when `create` says so.
    /// An existing file is never replaced, whatever it holds.
    pub fn open(path: &Path, timeout: Duration, create: Create) -> Result<Sqlite> {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if create == Create::Nothing && !path.exists() {
            return Err(StoreError::Missing);
        }
        if create == Create::Store
            && let Some(dir) = dir
            && !dir.is_dir()
        {
            let missing = std::io::Error::from(ErrorKind::NotFound);
            return Err(StoreError::Open(Worded::new(
                format!(
                    "cannot create it: its directory {} does not exist",
                    dir.display()
                ),
                missing,
            )));
        }
        if let Some(dir) = dir.filter(|_| create == Create::Directories) {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| {
                    StoreError::Open(Worded::new(
                        format!("cannot create {}: {e}", dir.display()),
                        e,
                    ))
                })?;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                return Err(StoreError::Directory);
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {
                // Created here rather than by SQLite, which would use 0644: alerts
                // carry hostnames, messages and contexts that are nobody else's business.
                let created = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path);
                match created {
                    Ok(_) => {}
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                    Err(e) => {
                        return Err(StoreError::Open(Worded::new(
                            format!("cannot create it: {e}"),
                            e,
                        )));
                    }
                }
            }
            Err(e) => {
                return Err(StoreError::Open(Worded::new(
                    format!("cannot read it: {e}"),
                    e,
                )));
            }
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::Open(Worded::new(describe(&e, timeout), e)))?;
        conn.busy_timeout(timeout)
            .map_err(|e| StoreError::Open(Worded::new(describe(&e, timeout), e)))?;
        Ok(Sqlite { conn, timeout })
    }

    fn run<T>(&self, op: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        op(&self.conn).map_err(|e| {
            let busy = matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
            );
            let words = Worded::new(describe(&e, self.timeout), e);
            if busy {
                StoreError::Busy(words)
            } else {
                StoreError::Query(words)
            }
        })
    }
}

/// What SQLite's error means for the person reading it.
fn describe(error: &rusqlite::Error, timeout: Duration) -> String {
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => {
            "not an SQLite database (file is not a database); it was left untouched: move it \
             away or point VITALS_STATE elsewhere"
                .to_owned()
        }
        Some(ErrorCode::DatabaseCorrupt) => {
            format!("the SQLite file is damaged ({error}); it was left untouched")
        }
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => format!(
            "still locked by another process after {}",
            crate::text::duration(timeout)
        ),
        _ => error.to_string(),
    }
}

/// `$1` → `?1`: SQLite's numbered parameters bind by the number written, as
/// PostgreSQL's do, so the shared SQL means the same on both.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

fn values(params: &[Param]) -> Vec<Value> {
    params
        .iter()
        .map(|p| match p {
            Param::Int(Some(v)) => Value::Integer(*v),
            Param::Float(Some(v)) => Value::Real(*v),
            Param::Text(Some(v)) => Value::Text(v.clone()),
            Param::Int(None) | Param::Float(None) | Param::Text(None) => Value::Null,
        })
        .collect()
}

fn cell(value: ValueRef<'_>) -> rusqlite::Result<Cell> {
    Ok(match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(v) => Cell::Int(v),
        ValueRef::Real(v) => Cell::Float(v),
        ValueRef::Text(bytes) => Cell::Text(String::from_utf8_lossy(bytes).into_owned()),
        ValueRef::Blob(_) => {
            return Err(rusqlite::Error::InvalidColumnType(
                0,
                "value".to_owned(),
                value.data_type(),
            ));
        }
    })
}

impl Backend for Sqlite {
    fn begin(&mut self, write: bool) -> BoxFuture<'_, Result<()>> {
        let sql = if write { "BEGIN IMMEDIATE" } else { "BEGIN" };
        Box::pin(async move { self.run(|c| c.execute_batch(sql)) })
    }

    /// `BEGIN IMMEDIATE` already keeps every other writer out.
    fn lock<'a>(&'a mut self, _lock: Lock<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    fn query<'a>(
        &'a mut self,
        sql: &'a str,
        params: &'a [Param],
    ) -> BoxFuture<'a, Result<Vec<Row>>> {
        Box::pin(async move {
            self.run(|c| {
                let mut stmt = c.prepare_cached(&numbered(sql))?;
                let width = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(values(params)))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(
                        (0..width)
                            .map(|i| row.get_ref(i).and_then(cell))
                            .collect::<rusqlite::Result<Row>>()?,
                    );
                }
                Ok(out)
            })
        })
    }

    fn execute<'a>(&'a mut self, sql: &'a str, params: &'a [Param]) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move {
            self.run(|c| {
                let mut stmt = c.prepare_cached(&numbered(sql))?;
                let changed = stmt.execute(rusqlite::params_from_iter(values(params)))?;
                Ok(u64::try_from(changed).unwrap_or(u64::MAX))
            })
        })
    }

    fn batch<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.run(|c| c.execute_batch(sql)) })
    }

    fn commit(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.run(|c| c.execute_batch("COMMIT")) })
    }

    fn rollback(&mut self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move { self.run(|c| c.execute_batch("ROLLBACK")) })
    }

    fn for_update(&self) -> &'static str {
        ""
    }

    fn has_table<'a>(&'a mut self, name: &'a str) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let rows = self
                .query(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
                    &[super::text(name)],
                )
                .await?;
            Ok(super::first_int(&rows)? > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_sqlite() {
        assert_eq!(
            numbered("SELECT a FROM t WHERE b = $2 AND c = $10 AND d = '$x'"),
            "SELECT a FROM t WHERE b = ?2 AND c = ?10 AND d = '$x'"
        );
    }
}
