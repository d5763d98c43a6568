//! `vitals history`: what the store recorded of the checks' runs, and the
//! recording itself for `check --record`.

use std::str::FromStr;
use std::time::Duration;

use super::until_signal;
use crate::checks::{CheckId, CheckResult};
use crate::cli::HistoryArgs;
use crate::config::{ProcessEnv, StoreSettings};
use crate::error::report;
use crate::exit::Exit;
use crate::history::{Filter, HistorySettings, HistoryStore, Report, parse_when};
use crate::net::tls::Trust;
use crate::output::{self, Output};
use crate::recording::{self, store_name};
use crate::store::{Store, StoreError};
use crate::{clock, settings};

/// Columns of the status strip and the sparkline.
const STRIP_COLUMNS: usize = 48;

/// How to fill the history, for whoever finds it empty.
const HOW_TO_RECORD: &str = "record runs with `vitals check all --record` (or VITALS_RECORD=1, \
     or --alert), e.g. from cron every minute";

pub fn run(args: &HistoryArgs, out: &Output, timeout: Duration) -> anyhow::Result<Exit> {
    let now = clock::now();
    let since = parse_when(&args.since, now).map_err(|e| anyhow::anyhow!("--since: {e}"))?;
    let until = match &args.until {
        Some(until) => parse_when(until, now).map_err(|e| anyhow::anyhow!("--until: {e}"))?,
        None => now,
    };
    if since >= until {
        anyhow::bail!(
            "--since {} is not before --until {}: the range is empty",
            args.since,
            args.until.as_deref().unwrap_or("now")
        );
    }
    // A name vitals knows by its alias is recorded under its canonical name;
    // any other name is a check it may have recorded (a declared one).
    let checks: Vec<String> = args
        .names
        .iter()
        .map(|name| CheckId::from_str(name).map_or_else(|_| name.clone(), |id| id.key().to_owned()))
        .collect();
    let (config, _) = settings::history(&ProcessEnv)?;
    let filter = Filter {
        checks,
        since,
        until,
        instance: args.instance.clone(),
        buckets: STRIP_COLUMNS,
        anomalies: args.anomalies,
    };
    let read = until_signal(1, "nothing was read", async {
        let mut history = match open(&config, timeout).await {
            Ok(history) => history,
            Err(Opened::Empty) => return Ok(None),
            Err(Opened::Failed(e)) => return Err(e),
        };
        history
            .summarize(&filter, now)
            .await
            .map(Some)
            .map_err(|e| in_store(&config, e))
    })??;
    let checks = read.unwrap_or_default();
    let report = Report {
        since,
        until,
        instance: args.instance.clone(),
        checks,
    };
    if report.checks.iter().all(|c| c.samples == 0) {
        let what = match args.names.as_slice() {
            [] => "any check".to_owned(),
            names => names.join(", "),
        };
        if out.format() != output::Format::Table {
            out.emit(&report)?;
        }
        output::error(&format!(
            "no recorded run of {what} from {} to {}{}: {HOW_TO_RECORD}",
            report.since.format("%Y-%m-%d %H:%M UTC"),
            report.until.format("%Y-%m-%d %H:%M UTC"),
            args.instance
                .as_deref()
                .map(|i| format!(" on instance {i}"))
                .unwrap_or_default()
        ));
        return Ok(Exit::Unknown);
    }
    out.emit(&report)?;
    Ok(Exit::Ok)
}

/// Why there is no history to read.
enum Opened {
    /// No store, or one no run was ever recorded in.
    Empty,
    Failed(anyhow::Error),
}

fn in_store(config: &StoreSettings, e: StoreError) -> anyhow::Error {
    anyhow::Error::new(e).context(store_name(config))
}

/// Opens the history in the configured store to read it.
async fn open(config: &StoreSettings, timeout: Duration) -> Result<HistoryStore, Opened> {
    let location = config.location.as_ref().ok_or_else(|| {
        Opened::Failed(anyhow::anyhow!(
            "{}: no location: set VITALS_STATE (a file path or a postgres:// URL), or HOME",
            store_name(config)
        ))
    })?;
    let trust = Trust::new(config.extra_ca_file.clone());
    match Store::open_read_only(location, &trust, timeout).await {
        Ok(store) => Ok(HistoryStore::new(store)),
        // Not there, or not yet of a vitals that records: nothing recorded.
        Err(StoreError::Missing | StoreError::Unmigrated { .. }) => Err(Opened::Empty),
        Err(e) => Err(Opened::Failed(in_store(config, e))),
    }
}

/// `check --record`: the round recorded (see [`recording::record`]). What
/// went wrong is on stderr; the exit code says whether recording worked.
pub(super) fn record(
    checks: &mut [(CheckId, CheckResult)],
    started_at: chrono::DateTime<chrono::Utc>,
    config: &StoreSettings,
    history: &HistorySettings,
    timeout: Duration,
) -> Exit {
    let outcome = until_signal(
        1,
        "the run was not recorded",
        recording::record(checks, started_at, config, history, timeout),
    );
    match outcome {
        Ok(Ok(())) => Exit::Ok,
        Ok(Err(e)) => {
            output::error(&format!("--record: {}", report(&e)));
            Exit::Warning
        }
        Err(stopped) => {
            output::error(&format!("--record: {stopped}"));
            Exit::Unknown
        }
    }
}
