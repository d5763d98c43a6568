//! `vitals alert silence`, `alert silences` and `alert unsilence`.

use std::time::Duration;

use super::super::until_signal;
use super::lifecycle::who;
use crate::alerts::Timestamp;
use crate::alerts::lifecycle::{in_store, open_store};
use crate::alerts::silence::{self, Silence, SilenceError, SilenceList};
use crate::checks::{self, CheckId};
use crate::cli::{SilenceArgs, SilencesArgs, UnsilenceArgs};
use crate::clock;
use crate::config::Config;
use crate::exit::Exit;
use crate::output::Output;

/// `vitals alert silence …`: stores the silence and prints it (its id first).
pub fn create(
    args: &SilenceArgs,
    config: &Config,
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let by = who(args.by.as_deref())?;
    let reason = args.reason.trim();
    if reason.is_empty() || reason.chars().any(char::is_control) {
        return Err(SilenceError::Reason.into());
    }
    let check = args.check.as_deref().map(check_name).transpose()?;
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

/// A check by its canonical name: a built-in by any of its names, else a
/// declared check's; a name close to a built-in's is taken for a typo of it
/// (a silence that matches nothing would hold nothing back, silently).
fn check_name(name: &str) -> anyhow::Result<&str> {
    if let Ok(id) = name.parse::<CheckId>() {
        return Ok(id.key());
    }
    match checks::builtin_like(name) {
        Some(known) => anyhow::bail!("--check {name:?} is not a check; did you mean {known}?"),
        None => Ok(name),
    }
}
