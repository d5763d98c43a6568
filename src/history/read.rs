//! What `vitals history --json` prints and `GET /api/v1/checks/NAME/history`
//! answers: one way from what was asked (names, a range in the words of
//! `--since` and `--until`) to the [`Report`], reading the store only.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Filter, HistoryStore, Report, parse_when};
use crate::checks::CheckId;
use crate::config::{StateLocation, StoreSettings};
use crate::net::tls::Trust;
use crate::store::{Store, StoreError};

/// Columns of the status strip and the sparkline.
pub const STRIP_COLUMNS: usize = 48;

/// What is asked of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct Asked<'a> {
    /// Names as given (a built-in's alias reads as its canonical name);
    /// every check with data in the range when empty.
    pub names: &'a [String],
    pub since: &'a str,
    /// `None`: now.
    pub until: Option<&'a str>,
    pub instance: Option<&'a str>,
    pub anomalies: bool,
}

/// Why the history could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("--since: {0}")]
    Since(String),
    #[error("--until: {0}")]
    Until(String),
    #[error("--since {since} is not before --until {until}: the range is empty")]
    Empty { since: String, until: String },
    #[error("{store}: no location: set VITALS_STATE (a file path or a postgres:// URL), or HOME")]
    NoLocation { store: String },
    #[error("{store}")]
    Store {
        store: String,
        #[source]
        source: StoreError,
    },
}

/// Where the store is, as it may be printed.
pub fn store_name(config: &StoreSettings) -> String {
    match &config.location {
        Some(StateLocation::File(path)) => format!("store {}", path.display()),
        Some(StateLocation::Postgres(url)) => format!("store {url}"),
        None => "store".to_owned(),
    }
}

/// The report of what was asked at `now`; a store that is not there (or
/// where nothing was ever recorded) reports no check.
pub async fn report(
    config: &StoreSettings,
    asked: &Asked<'_>,
    now: DateTime<Utc>,
    timeout: Duration,
) -> Result<Report, ReadError> {
    let since = parse_when(asked.since, now).map_err(ReadError::Since)?;
    let until = match asked.until {
        Some(until) => parse_when(until, now).map_err(ReadError::Until)?,
        None => now,
    };
    if since >= until {
        return Err(ReadError::Empty {
            since: asked.since.to_owned(),
            until: asked.until.unwrap_or("now").to_owned(),
        });
    }
    let filter = Filter {
        checks: asked
            .names
            .iter()
            .map(|name| {
                CheckId::from_str(name).map_or_else(|_| name.clone(), |id| id.key().to_owned())
            })
            .collect(),
        since,
        until,
        instance: asked.instance.map(str::to_owned),
        buckets: STRIP_COLUMNS,
        anomalies: asked.anomalies,
    };
    let store = store_name(config);
    let location = config
        .location
        .as_ref()
        .ok_or_else(|| ReadError::NoLocation {
            store: store.clone(),
        })?;
    let trust = Trust::new(config.extra_ca_file.clone());
    let checks = match Store::open_read_only(location, &trust, timeout).await {
        Ok(opened) => HistoryStore::new(opened)
            .summarize(&filter, now)
            .await
            .map_err(|source| ReadError::Store { store, source })?,
        // Not there, or not yet of a vitals that records: nothing recorded.
        Err(StoreError::Missing | StoreError::Unmigrated { .. }) => Vec::new(),
        Err(source) => return Err(ReadError::Store { store, source }),
    };
    Ok(Report {
        since,
        until,
        instance: filter.instance,
        checks,
    })
}
