//! `vitals check …`: runs the selected checks concurrently, prints them, and
//! with `--alert` raises and resolves their alerts.

use std::sync::Arc;
use std::time::Duration;

use super::{Stopped, until_signal, until_stopped};
use crate::alerts::from_checks;
use crate::checks::runner::{Listing, Report, Single, of_check, run_all};
use crate::checks::{self, BUILTINS, Check, CheckId, CheckResult, Freshness, Selection};
use crate::cli::CheckArgs;
use crate::config::ProcessEnv;
use crate::config::check_table::valid_name;
use crate::error::report;
use crate::exit::Exit;
use crate::output::{self, Output};
use crate::status::Status;
use crate::{clock, history, settings};

pub fn run(args: &CheckArgs, out: &Output, timeout: Duration) -> anyhow::Result<Exit> {
    if args.list {
        return list(out);
    }
    let selection = selection(&args.names)?;
    let required: Vec<CheckId> = args
        .require
        .iter()
        .map(|name| resolve(name))
        .collect::<anyhow::Result<_>>()?;
    refuse_requiring_others(&selection, &required)?;
    // Only the selected checks' settings: a mistake elsewhere does not stop them.
    let selected: Vec<Arc<dyn Check>> = settings::checks(&ProcessEnv, &selection)?
        .into_iter()
        .map(Arc::from)
        .collect();
    refuse_unknown(&selection, &required, &selected)?;
    let max_in_flight = settings::max_in_flight(&ProcessEnv)?;
    let max_age = max_age(args)?;

    // A thread per check (up to 4): one check's CPU work (SCRAM hashing, TLS
    // handshakes) must not stall another's clock, or its response time lies.
    // A single check keeps the main thread: worker threads cost it a third of
    // its time (thread start, a malloc arena).
    let started_at = clock::now();
    let (cached, mut live, duration) = until_signal(
        selected.len().min(4),
        "the checks were stopped before they had a result",
        async {
            let cached = match max_age {
                Some(max_age) => from_history(&selected, max_age, started_at, timeout).await,
                None => Vec::new(),
            };
            let to_run: Vec<Arc<dyn Check>> = selected
                .iter()
                .filter(|c| !cached.iter().any(|(id, _)| *id == c.id()))
                .cloned()
                .collect();
            let (live, duration) = run_all(&to_run, timeout, &required, max_in_flight).await;
            (cached, live, duration)
        },
    )?;
    // Recorded before the result is printed: what the record says joins it.
    // An answer from the history is not recorded again.
    let recording = match settings::record_requested(&ProcessEnv) {
        Ok(asked) if asked || args.record || args.alert => match settings::recording(&ProcessEnv) {
            Ok((config, history)) => {
                super::history::record(&mut live, started_at, &config, &history, timeout)
            }
            Err(errors) => {
                output::error(&format!("--record: the run was not recorded: {errors}"));
                Exit::Warning
            }
        },
        Ok(_) => Exit::Ok,
        Err(errors) => {
            output::error(&format!("the run was not recorded: {errors}"));
            Exit::Warning
        }
    };
    let mut report = Report::new(in_order(&selected, cached, live), duration);
    if max_age.is_some() {
        let now = clock::now();
        for (_, result) in &mut report.checks {
            let at = result.freshness.map_or(started_at, |f| f.at);
            result.freshness = Some(Freshness {
                at,
                cached: result.freshness.is_some(),
                age: (now - at).to_std().unwrap_or_default(),
            });
        }
        report.freshness();
    }
    // Anomalies may have made a check degraded.
    report.overall_status = Status::worst_of(report.checks.iter().map(|(_, r)| r.status));
    let overall = report.overall_status;
    // An output that cannot be written must not also cancel the alerting.
    let emitted = match (single(args), report.checks.first()) {
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
    let mut exit = overall.exit().max(recording);
    // Opened only here: a plain `check` never touches the alert store. With
    // nothing configured it still runs, to name the alerts this leaves stale.
    if args.alert {
        exit = exit.max(alert(&report.checks, timeout));
    }
    emitted?;
    Ok(exit)
}

/// `--max-age`, else `VITALS_MAX_AGE`; refused with `--alert`, which must
/// judge a new run: a recorded one counted again would bring a check
/// nearer its failure threshold for nothing having happened.
fn max_age(args: &CheckArgs) -> anyhow::Result<Option<Duration>> {
    let (max_age, named) = match args.max_age {
        Some(max_age) => (Some(max_age), "--max-age"),
        None => (settings::max_age(&ProcessEnv)?, "VITALS_MAX_AGE"),
    };
    if args.alert && max_age.is_some() {
        anyhow::bail!(
            "--alert and {named} do not go together: alerting judges a new run of each check, \
             never a recorded one (run the alerting job without {named}, and the pollers with it)"
        );
    }
    Ok(max_age)
}

/// The configured checks of `selected` whose latest run recorded on this
/// instance started at most `max_age` before `now`, as results marked
/// cached. Without a store, or a run young enough, none; a store that
/// cannot be read is said once on stderr, and every check runs.
async fn from_history(
    selected: &[Arc<dyn Check>],
    max_age: Duration,
    now: chrono::DateTime<chrono::Utc>,
    timeout: Duration,
) -> Vec<(CheckId, CheckResult)> {
    let config = match settings::store(&ProcessEnv) {
        Ok(config) => config,
        Err(errors) => {
            output::warning(&format!(
                "--max-age: the history was not read, every check ran: {errors}"
            ));
            return Vec::new();
        }
    };
    let names: Vec<String> = selected
        .iter()
        .filter(|c| c.configured())
        .map(|c| c.id().key().to_owned())
        .collect();
    if names.is_empty() {
        return Vec::new();
    }
    let since = now - chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::MAX);
    let recent = match history::recent(&config, &names, since, now, timeout).await {
        Ok(recent) => recent,
        Err(e) => {
            output::warning(&format!(
                "--max-age: the history was not read, every check ran: {}",
                report(&e)
            ));
            return Vec::new();
        }
    };
    selected
        .iter()
        .filter_map(|check| {
            let run = recent.iter().find(|r| r.check == check.id().key())?;
            let mut result = run.result();
            of_check(check.as_ref(), &mut result);
            result.freshness = Some(Freshness {
                at: run.started_at,
                cached: true,
                age: (now - run.started_at).to_std().unwrap_or_default(),
            });
            Some((check.id(), result))
        })
        .collect()
}

/// The results from the history and the new ones, in the order of `selected`.
fn in_order(
    selected: &[Arc<dyn Check>],
    cached: Vec<(CheckId, CheckResult)>,
    live: Vec<(CheckId, CheckResult)>,
) -> Vec<(CheckId, CheckResult)> {
    let mut all: Vec<(CheckId, CheckResult)> = cached.into_iter().chain(live).collect();
    all.sort_by_key(|(id, _)| selected.iter().position(|c| c.id() == *id));
    all
}

/// The one name of `check NAME` (not `all`), whose own object is printed;
/// `None` when several names, or `all`, ask for the document of all.
pub fn single(args: &CheckArgs) -> Option<&str> {
    match args.names.as_slice() {
        [one] if one != "all" => Some(one),
        _ => None,
    }
}

/// A check by a name given on the command line: a built-in by any of its
/// names, else a declared check's (whether one exists is known once the
/// file is read).
fn resolve(name: &str) -> anyhow::Result<CheckId> {
    if let Ok(id) = name.parse::<CheckId>() {
        return Ok(id);
    }
    if !valid_name(name) {
        anyhow::bail!("{}", unknown_check(name));
    }
    Ok(CheckId::declared(name))
}

/// What names on the command line select (`all` or none given: everything).
pub(super) fn selection(names: &[String]) -> anyhow::Result<Selection> {
    if names.iter().any(|n| n == "all") {
        return Ok(Selection::All);
    }
    let mut ids: Vec<CheckId> = Vec::new();
    for name in names {
        let id = resolve(name)?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(Selection::Only(ids))
}

pub(super) fn unknown_check(name: &str) -> String {
    let builtins: Vec<&str> = BUILTINS.iter().map(|b| b.names().0).collect();
    let hint = checks::builtin_like(name)
        .map(|n| format!(" (did you mean `{n}`?)"))
        .unwrap_or_default();
    format!(
        "unknown check {name:?}{hint}: it is not built in ({}) and no [[check]] in vitals.toml \
         (VITALS_CONFIG) has that name; `vitals check --list` shows them all",
        builtins.join(", ")
    )
}

/// A name that is neither built in nor declared is a mistake, not an empty run.
fn refuse_unknown(
    selection: &Selection,
    required: &[CheckId],
    read: &[Arc<dyn Check>],
) -> anyhow::Result<()> {
    let named = match selection {
        Selection::All => &[][..],
        Selection::Only(ids) => ids.as_slice(),
    };
    let known = |id: &CheckId| read.iter().any(|c| c.id() == *id);
    match named.iter().chain(required).find(|id| !known(id)) {
        Some(id) => anyhow::bail!("{}", unknown_check(id.key())),
        None => Ok(()),
    }
}

/// `check --list`: every check there is, built-in and declared, with what it looks at.
fn list(out: &Output) -> anyhow::Result<Exit> {
    let checks = settings::checks(&ProcessEnv, &Selection::All)?;
    out.emit(&Listing::new(&checks))?;
    Ok(Exit::Ok)
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
fn refuse_requiring_others(selection: &Selection, required: &[CheckId]) -> anyhow::Result<()> {
    let Selection::Only(ids) = selection else {
        return Ok(());
    };
    let name = |id: CheckId| {
        BUILTINS
            .iter()
            .find(|b| b.id() == id)
            .map_or(id.key(), |b| b.names().0)
    };
    let others: Vec<&str> = required
        .iter()
        .filter(|r| !ids.contains(r))
        .map(|r| name(*r))
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    let running: Vec<&str> = ids.iter().map(|id| name(*id)).collect();
    let mut all = running.clone();
    all.extend(&others);
    anyhow::bail!(
        "--require {}: `vitals check {}` runs only {} (to require several checks, run them \
         together: `vitals check {} --require {}`)",
        others.join(","),
        running.join(" "),
        running.join(", "),
        all.join(" "),
        all.join(",")
    )
}
