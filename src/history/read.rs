//! What `vitals history --json` prints and `GET /api/v1/checks/NAME/history`
//! answers: one way from what was asked (names, a range in the words of
//! `--since` and `--until`) to the [`Report`], reading the store only.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Filter, HistoryStore, Recent, Report, parse_when};
use crate::checks::CheckId;
use crate::config::{StateLocation, StoreSettings};
use crate::net::tls::Trust;
use crate::store::schema::HISTORY_VERSION;
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
    let filter = filter(asked, now)?;
    let mut history = open_to_report(config, timeout).await?;
    answer(config, &mut history, filter, now).await
}

/// The reports of several questions at `now`, from the store opened once.
pub async fn reports(
    config: &StoreSettings,
    asked: &[Asked<'_>],
    now: DateTime<Utc>,
    timeout: Duration,
) -> Result<Vec<Report>, ReadError> {
    let filters = asked
        .iter()
        .map(|asked| filter(asked, now))
        .collect::<Result<Vec<_>, _>>()?;
    let mut history = open_to_report(config, timeout).await?;
    let mut reports = Vec::with_capacity(filters.len());
    for filter in filters {
        reports.push(answer(config, &mut history, filter, now).await?);
    }
    Ok(reports)
}

/// The history to report from: an error without a location; `None` when
/// there is nothing there yet.
async fn open_to_report(
    config: &StoreSettings,
    timeout: Duration,
) -> Result<Option<HistoryStore>, ReadError> {
    if config.location.is_none() {
        return Err(ReadError::NoLocation {
            store: store_name(config),
        });
    }
    open(config, timeout).await
}

/// The report `filter` asks for, from `history` (no check without one).
async fn answer(
    config: &StoreSettings,
    history: &mut Option<HistoryStore>,
    filter: Filter,
    now: DateTime<Utc>,
) -> Result<Report, ReadError> {
    let checks = match history {
        Some(history) => {
            history
                .summarize(&filter, now)
                .await
                .map_err(|source| ReadError::Store {
                    store: store_name(config),
                    source,
                })?
        }
        None => Vec::new(),
    };
    Ok(Report {
        since: filter.since,
        until: filter.until,
        instance: filter.instance,
        checks,
    })
}

/// What `asked` asks at `now`, as the store is asked it.
fn filter(asked: &Asked<'_>, now: DateTime<Utc>) -> Result<Filter, ReadError> {
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
    Ok(Filter {
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
    })
}

/// The latest run of each of `checks` (canonical names) on `instance`
/// that started in `[since, until]`: none when there is no store, or
/// nothing recorded in it.
pub async fn recent(
    config: &StoreSettings,
    checks: &[String],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    timeout: Duration,
) -> Result<Vec<Recent>, ReadError> {
    match open(config, timeout).await? {
        Some(mut history) => history
            .recent(checks, &config.instance, since, until)
            .await
            .map_err(|source| ReadError::Store {
                store: store_name(config),
                source,
            }),
        None => Ok(Vec::new()),
    }
}

/// The history for reading; `None` when there is none: no location, no
/// store there, or one not yet of a vitals that records. A history of an
/// older schema is an error that says the next recording migrates it, not
/// an empty history.
async fn open(
    config: &StoreSettings,
    timeout: Duration,
) -> Result<Option<HistoryStore>, ReadError> {
    let Some(location) = &config.location else {
        return Ok(None);
    };
    let trust = Trust::new(config.extra_ca_file.clone());
    match Store::open_read_only(location, &trust, timeout).await {
        Ok(opened) => Ok(Some(HistoryStore::new(opened))),
        Err(StoreError::Missing) => Ok(None),
        Err(StoreError::Unmigrated { found, .. }) if found < HISTORY_VERSION => Ok(None),
        Err(source) => Err(ReadError::Store {
            store: store_name(config),
            source,
        }),
    }
}
