//! `vitals alert list`, `alert ack` and `alert resolve`.

use std::time::Duration;

use super::super::until_signal;
use crate::alerts::AlertStatus;
use crate::alerts::Outcome;
use crate::alerts::channels::Entry;
use crate::alerts::lifecycle::{self, AlertList, Change, Changed};
use crate::alerts::store::StatusFilter;
use crate::cli::{AckArgs, ListArgs, ListStatus, ResolveArgs};
use crate::config::Config;
use crate::error::report;
use crate::exit::Exit;
use crate::output::{self, Output};

/// `vitals alert list`.
pub fn list(
    args: &ListArgs,
    config: &Config,
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let filter = match args.status {
        None => StatusFilter::Open,
        Some(ListStatus::All) => StatusFilter::All,
        Some(ListStatus::Active) => StatusFilter::Only(AlertStatus::Active),
        Some(ListStatus::Acknowledged) => StatusFilter::Only(AlertStatus::Acknowledged),
        Some(ListStatus::Resolved) => StatusFilter::Only(AlertStatus::Resolved),
    };
    let alerts = until_signal(
        1,
        "nothing was listed",
        lifecycle::list(config, timeout, filter, args.severity),
    )??;
    out.emit(&AlertList {
        alerts,
        filter,
        severity: args.severity,
    })?;
    Ok(Exit::Ok)
}

/// `vitals alert ack ID --by WHO`.
pub fn acknowledge(
    args: &AckArgs,
    config: &Config,
    entries: &[Entry],
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let by = who(&args.by)?;
    change(
        config,
        entries,
        out,
        timeout,
        args.id.trim(),
        by,
        Change::Acknowledge,
    )
}

/// `vitals alert resolve ID --by WHO [--note TEXT]`.
pub fn resolve(
    args: &ResolveArgs,
    config: &Config,
    entries: &[Entry],
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let by = who(&args.by)?;
    let note = args
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    change(
        config,
        entries,
        out,
        timeout,
        args.id.trim(),
        by,
        Change::Resolve { note },
    )
}

fn who(by: &str) -> anyhow::Result<&str> {
    let by = by.trim();
    if by.is_empty() || by.chars().any(char::is_control) {
        anyhow::bail!("--by: expected who you are, e.g. --by alice (no control characters)");
    }
    Ok(by)
}

/// Applies an acknowledge or resolve and prints the alert with the follow-ups sent.
fn change(
    config: &Config,
    entries: &[Entry],
    out: &Output,
    timeout: Duration,
    id: &str,
    by: &str,
    change: Change<'_>,
) -> anyhow::Result<Exit> {
    let (alert, stored) = until_signal(
        1,
        "the change may be recorded, its notifications may not have gone out, and no result was printed",
        lifecycle::change(config, entries, timeout, id, by, change),
    )??;
    out.emit(&Changed { alert: &alert })?;
    let mut exit = if alert
        .deliveries
        .iter()
        .any(|d| d.outcome == Outcome::Failed)
    {
        Exit::Warning
    } else {
        Exit::Ok
    };
    if let Err(e) = stored {
        output::error(&format!(
            "{}: the notifications above were not recorded",
            report(e.as_ref())
        ));
        exit = exit.max(Exit::Warning);
    }
    Ok(exit)
}
