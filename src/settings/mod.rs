//! Every variable vitals knows, and what each command reads of them.
//!
//! `config` declares its own groups (general settings, alert state), each
//! check and each channel its own in its descriptor; the whole table is
//! assembled here, where all of them are visible, in the order it is
//! documented: general, each check's, each channel's, alert state. It drives
//! `.env.example`, docs/CONFIGURATION.md's test, `config validate` and the
//! secret scrub.
//!
//! A command reads only the settings it uses, so a mistake elsewhere does not
//! stop it: `check db` reads the trust roots and the database's variables;
//! alerting reads the general settings, the alert state and the channels,
//! where a channel's own mistake makes that channel unusable, not the rest.

pub mod validate;

#[cfg(test)]
mod tests;

use std::iter::once;
use std::sync::LazyLock;

use crate::alerts::channels::{self, CHANNELS, Entry, Shared};
use crate::alerts::from_checks::FailureSeverity;
use crate::checks::{self, BUILTINS, Check, CheckId};
use crate::config::{
    Config, ConfigErrors, Findings, GENERAL, Group, Reader, STATE, Secrecy, Source, Table,
};
use crate::net::tls::Trust;

/// The groups in documentation order.
fn groups() -> impl Iterator<Item = &'static Group> {
    once(&GENERAL)
        .chain(BUILTINS.iter().map(|c| &c.group))
        .chain(CHANNELS.iter().map(|c| &c.group))
        .chain(once(&STATE))
}

/// Every variable vitals knows.
pub fn table() -> &'static Table {
    static TABLE: LazyLock<Table> = LazyLock::new(|| Table::new(groups()));
    &TABLE
}

pub fn reader(source: &dyn Source) -> Reader<'_> {
    Reader::new(source, table())
}

/// Registers every secret that is set for the last-line scrub, whether or
/// not the command reads it otherwise: nothing vitals prints may carry one.
pub fn register_secrets(source: &dyn Source) {
    let mut r = reader(source);
    for var in table().vars().filter(|v| v.secrecy != Secrecy::Public) {
        r.raw(var.name);
    }
}

/// The checks `wanted` picks, read with the trust roots they connect with.
pub fn checks(
    source: &dyn Source,
    wanted: impl Fn(CheckId) -> bool,
) -> Result<Vec<Box<dyn Check>>, ConfigErrors> {
    let mut r = reader(source);
    let trust = Trust::new(Config::read_trust(&mut r));
    let checks = checks::read(&mut r, &trust, wanted);
    r.finish()?;
    Ok(checks)
}

/// The general settings and the alert state's: what every alert command uses.
pub fn general(source: &dyn Source) -> Result<Config, ConfigErrors> {
    let mut r = reader(source);
    let config = Config::read(&mut r);
    r.finish()?;
    Ok(config)
}

/// What alerting uses: the general settings (whose mistakes stop it) and
/// every channel (whose mistakes make that channel unusable, and are said
/// where it would have been used).
pub fn alerting(source: &dyn Source) -> Result<(Config, Vec<Entry>), ConfigErrors> {
    let config = general(source)?;
    let shared = Shared::new(&config);
    let entries = channels::read(&mut reader(source), &shared);
    Ok((config, entries))
}

/// `VITALS_ALERT_SEVERITY`, read where the checks' names are known.
fn failure_severity(r: &mut Reader<'_>) -> FailureSeverity {
    r.optional("VITALS_ALERT_SEVERITY", FailureSeverity::parse)
        .unwrap_or_default()
}

/// What `check --alert` uses: alerting's settings, and the severity of each
/// check's failure (whose mistake stops alerting, as a general setting's does).
pub fn check_alerting(
    source: &dyn Source,
) -> Result<(Config, Vec<Entry>, FailureSeverity), ConfigErrors> {
    let (config, entries) = alerting(source)?;
    let mut r = reader(source);
    let failure = failure_severity(&mut r);
    r.finish()?;
    Ok((config, entries, failure))
}

/// Every setting, read as `config validate` reads them.
pub struct Everything {
    pub config: Config,
    pub checks: Vec<Box<dyn Check>>,
    pub channels: Vec<Entry>,
    pub findings: Findings,
}

pub fn everything(source: &dyn Source) -> Everything {
    let mut r = reader(source);
    let config = Config::read(&mut r);
    let trust = Trust::new(config.extra_ca_file.clone());
    let checks = checks::read(&mut r, &trust, |_| true);
    let channels = channels::read(&mut r, &Shared::new(&config));
    failure_severity(&mut r);
    Everything {
        config,
        checks,
        channels,
        findings: r.into_findings(),
    }
}
