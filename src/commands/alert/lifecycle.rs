//! `vitals alert list`, `alert ack` and `alert resolve`.

use std::time::Duration;

use super::super::{until_signal, until_stopped};
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

/// `vitals alert ack ID [--by WHO]`.
pub fn acknowledge(
    args: &AckArgs,
    config: &Config,
    entries: &[Entry],
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let by = who(args.by.as_deref())?;
    change(
        config,
        entries,
        out,
        timeout,
        args.id.trim(),
        &by,
        Change::Acknowledge,
    )
}

/// `vitals alert resolve ID [--by WHO] [--note TEXT]`.
pub fn resolve(
    args: &ResolveArgs,
    config: &Config,
    entries: &[Entry],
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let by = who(args.by.as_deref())?;
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
        &by,
        Change::Resolve { note },
    )
}

/// `--by`, or who runs this: the login name, else `$USER`, else `uid:N`
/// (cron jobs have no login name, and often no `USER`).
pub(super) fn who(by: Option<&str>) -> anyhow::Result<String> {
    let Some(by) = by else {
        return Ok(login_name()
            .or_else(|| std::env::var("USER").ok().filter(|u| !u.trim().is_empty()))
            .unwrap_or_else(|| format!("uid:{}", current_uid())));
    };
    let by = by.trim();
    if by.is_empty() || by.chars().any(char::is_control) {
        anyhow::bail!("--by: expected who you are, e.g. --by alice (no control characters)");
    }
    Ok(by.to_owned())
}

/// The name the session was logged in as (`getlogin(3)`), when there is one.
fn login_name() -> Option<String> {
    // SAFETY: getlogin returns NULL or a NUL-terminated string in a static
    // buffer that stays valid until the next call; it is copied at once, and
    // nothing else in vitals calls getlogin.
    let name = unsafe {
        let pointer = libc::getlogin();
        if pointer.is_null() {
            return None;
        }
        std::ffi::CStr::from_ptr(pointer).to_str().ok()?.to_owned()
    };
    Some(name).filter(|n| !n.is_empty() && !n.chars().any(char::is_control))
}

fn current_uid() -> u32 {
    // SAFETY: getuid has no preconditions and cannot fail.
    unsafe { libc::getuid() }
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
    let (changes, _) = until_stopped(
        1,
        "the change may be recorded, its notifications may not have gone out, and no result was printed",
        |stop| async move { lifecycle::change(config, entries, timeout, id, by, change, &stop).await },
    )?;
    let changes = changes?;
    if let Some(signal) = changes.interrupted {
        output::error(&format!(
            "interrupted by {signal}: alert {} was changed; the notifications that had \
             finished were recorded, those in progress as unknown, and no result was printed",
            changes.alert.id
        ));
        return Ok(Exit::Unknown);
    }
    out.emit(&Changed {
        alert: &changes.alert,
    })?;
    let mut exit = if changes
        .alert
        .deliveries
        .iter()
        .any(|d| matches!(d.outcome, Outcome::Failed | Outcome::Unknown))
    {
        Exit::Warning
    } else {
        Exit::Ok
    };
    if let Err(e) = changes.stored {
        output::error(&format!(
            "{}: the notifications above were not recorded",
            report(e.as_ref())
        ));
        exit = exit.max(Exit::Warning);
    }
    Ok(exit)
}
