//! `vitals check …`: runs the selected checks concurrently, prints them, and
//! with `--alert` raises and resolves their alerts.

use std::sync::Arc;
use std::time::Duration;

use super::{Stopped, until_signal, until_stopped};
use crate::alerts::from_checks;
use crate::checks::runner::{Report, Single, run_all};
use crate::checks::{BUILTINS, Check, CheckId, CheckResult};
use crate::cli::CheckArgs;
use crate::config::ProcessEnv;
use crate::error::report;
use crate::exit::Exit;
use crate::output::{self, Output};
use crate::settings;
use crate::status::Status;

pub fn run(args: &CheckArgs, out: &Output, timeout: Duration) -> anyhow::Result<Exit> {
    // Only the selected checks' settings: a mistake elsewhere does not stop them.
    let wanted = args.target.single();
    if let Some(target) = wanted {
        refuse_requiring_others(target, &args.require)?;
    }
    let selected: Vec<Arc<dyn Check>> =
        settings::checks(&ProcessEnv, |id| wanted.is_none_or(|w| w == id))?
            .into_iter()
            .map(Arc::from)
            .collect();

    // A thread per check (up to 4): one check's CPU work (SCRAM hashing, TLS
    // handshakes) must not stall another's clock, or its response time lies.
    // A single check keeps the main thread: worker threads cost it a third of
    // its time (thread start, a malloc arena).
    let (checks, duration) = until_signal(
        selected.len().min(4),
        "the checks were stopped before they had a result",
        run_all(&selected, timeout, &args.require),
    )?;
    let report = Report::new(checks, duration);
    let overall = report.overall_status;
    // An output that cannot be written must not also cancel the alerting.
    let emitted = match (args.target.single(), report.checks.first()) {
        (Some(_), Some((id, result))) => out.emit(&Single { id: *id, result }),
        _ => out.emit(&report),
    };

    if overall == Status::Unconfigured {
        let vars: Vec<&str> = report
            .checks
            .iter()
            .map(|(id, _)| id.configured_by())
            .collect();
        output::error(&format!("nothing to check: set {}", vars.join(", ")));
    }
    let mut exit = overall.exit();
    // Opened only here: a plain `check` never touches the alert store. With
    // nothing configured it still runs, to name the alerts this leaves stale.
    if args.alert {
        exit = exit.max(alert(&report.checks, timeout));
    }
    emitted?;
    Ok(exit)
}

/// `--alert`: the checks' alerts raised and resolved; what went wrong is on
/// stderr, and the exit code says whether alerting worked. Its settings are
/// read only now, after the checks' result is out.
fn alert(checks: &[(CheckId, CheckResult)], timeout: Duration) -> Exit {
    let (config, entries, failure, hygiene) = match settings::check_alerting(&ProcessEnv) {
        Ok(read) => read,
        Err(errors) => {
            output::error(&format!(
                "--alert: no alert was raised or resolved: {errors}"
            ));
            return Exit::Warning;
        }
    };
    let mut notice = |message: String| output::error(&message);
    let what = "alerting was stopped; the checks' result above stands";
    let alerting = until_stopped(1, what, |stop| async move {
        let (failure, hygiene) = (&failure, &hygiene);
        from_checks::alert_checks(
            checks,
            &config,
            &entries,
            failure,
            hygiene,
            timeout,
            &mut notice,
            &stop,
        )
        .await
    });
    match alerting {
        Ok(((exit, None), _)) => exit,
        Ok(((_, Some(signal)), _)) => {
            output::error(&format!(
                "interrupted by {signal}: {what}; the notifications that had finished were \
                 recorded, those in progress as unknown"
            ));
            Exit::Unknown
        }
        Err(Stopped::Runtime(e)) => {
            output::error(&format!("--alert: {}", report(&e)));
            Exit::Warning
        }
        Err(Stopped::Interrupted(stopped)) => {
            output::error(&stopped.to_string());
            Exit::Unknown
        }
    }
}

/// `check db --require cache` would require a check it does not run, and
/// silently succeed whatever the cache's state: refused, with what works.
fn refuse_requiring_others(target: CheckId, require: &[CheckId]) -> anyhow::Result<()> {
    let name = |id: CheckId| {
        BUILTINS
            .iter()
            .find(|b| b.id() == id)
            .map_or(id.key(), |b| b.names().0)
    };
    let others: Vec<&str> = require
        .iter()
        .filter(|r| **r != target)
        .map(|r| name(*r))
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    let mut all: Vec<&str> = vec![name(target)];
    all.extend(&others);
    anyhow::bail!(
        "--require {}: `vitals check {}` runs only {} (to require several checks, run them \
         together: `vitals check all --require {}`)",
        others.join(","),
        name(target),
        name(target),
        all.join(",")
    )
}
