//! Every variable vitals knows, and what each command reads of them.
//!
//! `config` declares its own groups (general settings, alert state), each
//! check and each channel its own in its descriptor; the whole table is
//! assembled here, where all of them are visible, in the order it is
//! documented: general, each check's, each channel's, alert state, history. It drives
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
use std::time::Duration;

use crate::alerts::channels::{self, CHANNELS, Entry, Shared};
use crate::alerts::from_checks::FailureSeverity;
use crate::alerts::hygiene::{Dependencies, Hygiene, RunThreshold, check_named};
use crate::checks::{self, BUILTINS, Check, CheckId, Selection};
use crate::config::{
    Config, ConfigErrors, Findings, GENERAL, Group, MaintenanceWindow, Reader, SERVE, STATE,
    Secrecy, Secret, Source, StoreSettings, Table, services_file,
};
use crate::history::{self, HistorySettings};
use crate::net::tls::Trust;

/// The groups in documentation order.
fn groups() -> impl Iterator<Item = &'static Group> {
    once(&GENERAL)
        .chain(BUILTINS.iter().map(|c| &c.group))
        .chain(CHANNELS.iter().map(|c| &c.group))
        .chain(once(&STATE))
        .chain(once(&history::GROUP))
        .chain(once(&SERVE))
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
    wanted: &Selection,
) -> Result<Vec<Box<dyn Check>>, ConfigErrors> {
    let mut r = reader(source);
    let trust = Trust::new(Config::read_trust(&mut r));
    let checks = checks::read(&mut r, &trust, wanted);
    r.finish()?;
    Ok(checks)
}

/// `VITALS_MAX_IN_FLIGHT`: how many checks run at once at most.
pub fn max_in_flight(source: &dyn Source) -> Result<usize, ConfigErrors> {
    let mut r = reader(source);
    let bound = r.typed("VITALS_MAX_IN_FLIGHT", crate::config::parse::parse_bound);
    r.finish()?;
    Ok(bound.unwrap_or(256))
}

/// The general settings and the alert state's: what every alert command uses.
pub fn general(source: &dyn Source) -> Result<Config, ConfigErrors> {
    let mut r = reader(source);
    let config = Config::read(&mut r);
    r.finish()?;
    Ok(config)
}

/// Whether `VITALS_RECORD` asks to record every run (read alone: a plain
/// `check` reads nothing else of the history's settings).
pub fn record_requested(source: &dyn Source) -> Result<bool, ConfigErrors> {
    let mut r = reader(source);
    let asked = r
        .optional("VITALS_RECORD", history::parse_switch)
        .unwrap_or(false);
    r.finish()?;
    Ok(asked)
}

/// Where the store is and this instance's name, alone: what reading the
/// history for `check --max-age` needs.
pub fn store(source: &dyn Source) -> Result<StoreSettings, ConfigErrors> {
    let mut r = reader(source);
    let config = StoreSettings::read(&mut r);
    r.finish()?;
    Ok(config)
}

/// `VITALS_MAX_AGE`: how old a recorded run may be to answer for a check.
pub fn max_age(source: &dyn Source) -> Result<Option<Duration>, ConfigErrors> {
    let mut r = reader(source);
    let max_age = r.optional("VITALS_MAX_AGE", crate::config::parse_duration);
    r.finish()?;
    Ok(max_age)
}

/// What `history` uses: where the store is, this instance's name, the
/// trust roots, and the history's own settings.
pub fn history(source: &dyn Source) -> Result<(StoreSettings, HistorySettings), ConfigErrors> {
    let mut r = reader(source);
    let config = StoreSettings::read(&mut r);
    let history = HistorySettings::read(&mut r);
    r.finish()?;
    Ok((config, history))
}

/// What recording uses: `history`'s settings and the `[[maintenance]]`
/// windows of `vitals.toml`, which mark the runs they cover (read only
/// here: `vitals history` has no use for them).
pub fn recording(source: &dyn Source) -> Result<(StoreSettings, HistorySettings), ConfigErrors> {
    let (config, mut history) = history(source)?;
    // The file's mistakes are said where its checks are run.
    history.maintenance = declarations(&mut reader(source), false).0;
    Ok((config, history))
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

/// The thresholds and dependencies of the built-in checks
/// (`VITALS_FAILURE_THRESHOLD`, `VITALS_SUCCESS_THRESHOLD`,
/// `VITALS_DEPENDS_ON`, which may name the checks `vitals.toml` declares),
/// read where the checks' names are known.
///
/// The services file's mistakes are said here only when `file_errors`: where
/// the services check reads the same file (`config validate`), it says them.
fn hygiene(r: &mut Reader<'_>, file_errors: bool) -> Hygiene {
    let (maintenance, declared, tables) = declarations(r, file_errors);
    let mut threshold = |var| {
        let value = r.raw_or_default(var)?;
        r.parse(var, &value, |text| RunThreshold::parse(text, &declared))
    };
    let failure = threshold("VITALS_FAILURE_THRESHOLD").unwrap_or_default();
    let success = threshold("VITALS_SUCCESS_THRESHOLD").unwrap_or_default();
    let depends_on = r
        .raw("VITALS_DEPENDS_ON")
        .and_then(|value| {
            r.parse("VITALS_DEPENDS_ON", &value, |text| {
                Dependencies::parse(text, &declared)
            })
        })
        .unwrap_or_default();
    refuse_loops(r, &depends_on, &tables, &declared);
    Hygiene {
        failure,
        success,
        depends_on,
        maintenance,
        declared,
    }
}

/// A loop made by the `depends_on` of `vitals.toml`'s `[[check]]` tables,
/// with `VITALS_DEPENDS_ON` for the checks they do not declare (whose own
/// loops its parsing refuses): refused as one, naming the checks along it.
fn refuse_loops(
    r: &mut Reader<'_>,
    env: &Dependencies,
    tables: &[(CheckId, Vec<String>)],
    declared: &[CheckId],
) {
    let mut all = Dependencies(
        tables
            .iter()
            .filter(|(_, names)| !names.is_empty())
            .map(|(id, names)| {
                let deps = names
                    .iter()
                    .filter_map(|name| check_named(name, declared))
                    .collect();
                (*id, deps)
            })
            .collect(),
    );
    for (id, deps) in &env.0 {
        if all.of(*id).is_empty() {
            all.0.push((*id, deps.clone()));
        }
    }
    if let Some(path) = all.find_loop() {
        let names: Vec<&str> = path.iter().map(|id| id.key()).collect();
        r.error(
            "VITALS_CONFIG",
            format!(
                "depends_on makes a loop, {}: when all of them are down, nobody would be told \
                 (remove one of these depends_on)",
                names.join(" -> ")
            ),
        );
    }
}

/// The `[[maintenance]]` windows of the services file, each check named by
/// its canonical name (a name that is no check is a service's or a
/// declared check's); and the checks it declares.
fn declarations(r: &mut Reader<'_>, file_errors: bool) -> Declared {
    let Some(path) = services_file::path(r) else {
        return (Vec::new(), Vec::new(), Vec::new());
    };
    // Service names are checked where the services are read.
    let (declared, errors) = services_file::load(&path, r.source(), &[]);
    // A check with mistakes of its own still names a check: its run says what is wrong.
    let checks = declared
        .checks
        .iter()
        .map(|table| CheckId::declared(&table.name))
        .collect();
    if !errors.is_empty() {
        for e in errors.into_iter().filter(|_| file_errors) {
            r.error("VITALS_CONFIG", e.to_string());
        }
        return (Vec::new(), checks, Vec::new());
    }
    let tables = declared
        .checks
        .iter()
        .map(|table| {
            (
                CheckId::declared(&table.name),
                table.alerts.depends_on.clone(),
            )
        })
        .collect();
    let windows = declared
        .maintenance
        .into_iter()
        .map(|mut w| {
            if let Some(names) = &mut w.checks {
                for name in names.iter_mut() {
                    if let Ok(id) = name.parse::<CheckId>() {
                        *name = id.key().to_owned();
                    }
                }
            }
            w
        })
        .collect();
    (windows, checks, tables)
}

/// What `vitals.toml` declares for alerting: the `[[maintenance]]` windows,
/// the checks, and each `[[check]]`'s `depends_on` as written.
type Declared = (
    Vec<MaintenanceWindow>,
    Vec<CheckId>,
    Vec<(CheckId, Vec<String>)>,
);

/// The names of the checks `vitals.toml` declares (none without the file;
/// its mistakes are said where its checks are run).
pub fn declared_checks(source: &dyn Source) -> Vec<CheckId> {
    declarations(&mut reader(source), false).1
}

/// What `check --alert` uses: alerting's settings, the severity of each
/// check's failure and the thresholds (whose mistakes stop alerting, as a
/// general setting's does).
pub fn check_alerting(
    source: &dyn Source,
) -> Result<(Config, Vec<Entry>, FailureSeverity, Hygiene), ConfigErrors> {
    let (config, entries) = alerting(source)?;
    let mut r = reader(source);
    let failure = failure_severity(&mut r);
    let hygiene = hygiene(&mut r, true);
    r.finish()?;
    Ok((config, entries, failure, hygiene))
}

/// `VITALS_SERVE_TOKEN`, the one setting of `vitals serve` that is no option.
pub fn serve_token(source: &dyn Source) -> Result<Option<Secret>, ConfigErrors> {
    let mut r = reader(source);
    let token = r.secret("VITALS_SERVE_TOKEN");
    r.finish()?;
    Ok(token)
}

/// Every setting, read as `config validate` reads them.
pub struct Everything {
    pub config: Config,
    pub checks: Vec<Box<dyn Check>>,
    pub channels: Vec<Entry>,
    /// What `check --alert` applies beyond the channels.
    pub hygiene: Hygiene,
    pub findings: Findings,
}

pub fn everything(source: &dyn Source) -> Everything {
    let mut r = reader(source);
    let config = Config::read(&mut r);
    let trust = Trust::new(config.extra_ca_file.clone());
    let checks = checks::read(&mut r, &trust, &Selection::All);
    let channels = channels::read(&mut r, &Shared::new(&config));
    failure_severity(&mut r);
    HistorySettings::read(&mut r);
    r.secret("VITALS_SERVE_TOKEN");
    let hygiene = hygiene(&mut r, false);
    Everything {
        config,
        checks,
        channels,
        hygiene,
        findings: r.into_findings(),
    }
}
