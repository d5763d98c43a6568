//! `vitals alert silence`, `alert silences` and `alert unsilence`.

use std::time::Duration;

use super::super::until_signal;
use super::lifecycle::who;
use crate::alerts::Timestamp;
use crate::alerts::hygiene::check_named;
use crate::alerts::lifecycle::{in_store, open_store};
use crate::alerts::silence::{self, Silence, SilenceError, SilenceList};
use crate::checks::CheckId;
use crate::cli::{SilenceArgs, SilencesArgs, UnsilenceArgs};
use crate::clock;
use crate::commands::check::unknown_check;
use crate::config::Config;
use crate::exit::Exit;
use crate::output::Output;

/// `vitals alert silence …`: stores the silence and prints it (its id first).
pub fn create(
    args: &SilenceArgs,
    declared: &[CheckId],
    config: &Config,
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let by = who(args.by.as_deref())?;
    let reason = args.reason.trim();
    if reason.is_empty() || reason.chars().any(char::is_control) {
        return Err(SilenceError::Reason.into());
    }
    // A built-in check by any of its names, or one vitals.toml declares.
    let check = match args.check.as_deref() {
        Some(name) => Some(
            check_named(name, declared)
                .ok_or_else(|| anyhow::anyhow!("--check: {}", unknown_check(name)))?
                .key(),
        ),
        None => None,
    };
    let matchers = silence::matchers(check, args.alert_type.as_deref(), &args.matches)?;
    let ends_at = silence::ends_at(args.for_, args.until.as_deref(), clock::now())?;
    let silence = Silence::new(matchers, ends_at, &by, reason);
    until_signal(1, "no silence was created", async {
        let mut store = open_store(config, timeout, true).await?;
        store
            .silence(&silence)
            .await
            .map_err(|e| in_store(config, e))
    })??;
    out.emit(&silence)?;
    Ok(Exit::Ok)
}

/// `vitals alert silences [--all]`.
pub fn list(
    args: &SilencesArgs,
    config: &Config,
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let silences = until_signal(1, "nothing was listed", async {
        let mut store = open_store(config, timeout, false).await?;
        store
            .silences(args.all, Timestamp::now())
            .await
            .map_err(|e| in_store(config, e))
    })??;
    out.emit(&SilenceList {
        silences,
        all: args.all,
    })?;
    Ok(Exit::Ok)
}

/// `vitals alert unsilence ID`.
pub fn end(
    args: &UnsilenceArgs,
    config: &Config,
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let by = who(args.by.as_deref())?;
    let ended = until_signal(1, "the silence was not ended", async {
        let mut store = open_store(config, timeout, false).await?;
        store
            .unsilence(args.id.trim(), &by, Timestamp::now())
            .await
            .map_err(|e| {
                if e.is_refusal() {
                    anyhow::Error::new(e)
                } else {
                    in_store(config, e)
                }
            })
    })??;
    out.emit(&ended)?;
    Ok(Exit::Ok)
}
