//! `vitals history`: what the store recorded of the checks' runs, and the
//! recording itself for `check --record`.

use std::time::Duration;

use super::until_signal;
use crate::checks::{CheckId, CheckResult};
use crate::cli::HistoryArgs;
use crate::config::{ProcessEnv, StoreSettings};
use crate::error::report;
use crate::exit::Exit;
use crate::history::{self, Asked, HistorySettings};
use crate::output::{self, Output};
use crate::recording;
use crate::{clock, settings};

/// How to fill the history, for whoever finds it empty.
const HOW_TO_RECORD: &str = "record runs with `vitals check all --record` (or VITALS_RECORD=1, \
     or --alert), e.g. from cron every minute";

pub fn run(args: &HistoryArgs, out: &Output, timeout: Duration) -> anyhow::Result<Exit> {
    let now = clock::now();
    let (config, _) = settings::history(&ProcessEnv)?;
    let asked = Asked {
        names: &args.names,
        since: &args.since,
        until: args.until.as_deref(),
        instance: args.instance.as_deref(),
        anomalies: args.anomalies,
    };
    let report = until_signal(
        1,
        "nothing was read",
        history::report(&config, &asked, now, timeout),
    )??;
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
