//! Health checks: the `Check` seam, the checks vitals knows and their
//! registry. `runner` runs them, bounded and concurrently.
//!
//! A check kind is one file declaring a [`BuiltinCheck`] (its names, its
//! variables, how it reads them) and implementing [`Check`], plus one line
//! in `builtins!` below (docs/ARCHITECTURE.md shows it).

pub mod declared;
pub mod runner;

use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::config::{AlertFields, Declarations, Group, Reader, services_file};
use crate::json;
use crate::metrics::{Anomaly, Metric};
use crate::net::tls::Trust;
use crate::status::Status;
use crate::text::{millis, seconds};

/// Declares each check's module and lists its descriptor in `BUILTINS`, so
/// that registering a check is one line.
macro_rules! builtins {
    ($($check:ident,)*) => {
        $(pub mod $check;)*

        /// Every built-in check, in the order of the `check all` document.
        pub const BUILTINS: &[BuiltinCheck] = &[$($check::CHECK),*];
    };
}

builtins! {
    database,
    cache,
    agents,
    services,
}

/// What vitals knows of a built-in check before reading its settings.
pub struct BuiltinCheck {
    /// The canonical name: its key in `check all`'s `checks` object, its
    /// alerts' types (the names of the Python module vitals replaces,
    /// docs/COMPATIBILITY.md).
    pub name: &'static str,
    /// A shorter name, accepted too and shown first on the command line (`db`).
    pub alias: Option<&'static str>,
    /// Its line in `check --help`.
    pub help: &'static str,
    /// What to set so that it has something to check.
    pub configured_by: &'static str,
    /// Its variables, under its title in `config validate` and `.env.example`.
    pub group: Group,
    /// Reads its settings (problems go to the reader) and builds it.
    pub read: fn(&mut Reader<'_>, &Trust) -> Box<dyn Check>,
}

impl BuiltinCheck {
    pub const fn id(&self) -> CheckId {
        CheckId(self.name)
    }

    /// Its names on the command line: the one shown first, then the others.
    pub fn names(&self) -> (&'static str, Option<&'static str>) {
        match self.alias {
            Some(alias) => (alias, Some(self.name)),
            None => (self.name, None),
        }
    }
}

/// Reads the settings of the checks `wanted` picks and builds them: the
/// built-ins in registry order, then those `vitals.toml` declares, in its
/// order. The file is read only when a declared check may be wanted.
pub fn read(reader: &mut Reader<'_>, trust: &Trust, wanted: &Selection) -> Vec<Box<dyn Check>> {
    let mut checks: Vec<Box<dyn Check>> = BUILTINS
        .iter()
        .filter(|spec| wanted.wants(spec.id()))
        .map(|spec| (spec.read)(reader, trust))
        .collect();
    if wanted.may_want_declared()
        && let Some(path) = services_file::path(reader)
    {
        let tables = load(reader, &path).checks;
        checks.extend(declared::read(reader, trust, &path, &tables, |id| {
            wanted.wants(id)
        }));
    }
    checks
}

/// Which checks a command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    All,
    /// These, by canonical name (declared ones by theirs).
    Only(Vec<CheckId>),
}

impl Selection {
    pub fn wants(&self, id: CheckId) -> bool {
        match self {
            Selection::All => true,
            Selection::Only(ids) => ids.contains(&id),
        }
    }

    /// Whether it may name a check of `vitals.toml`.
    fn may_want_declared(&self) -> bool {
        match self {
            Selection::All => true,
            Selection::Only(ids) => ids.iter().any(|id| !id.is_builtin()),
        }
    }
}

/// What the file declares; the file's own problems (and its services')
/// are `VITALS_CONFIG`'s, each with its line.
pub(crate) fn load(r: &mut Reader<'_>, path: &Path) -> Declarations {
    let (declared, errors) = services_file::load(path, r.source(), &reserved_names());
    for e in errors {
        r.error("VITALS_CONFIG", e.to_string());
    }
    declared
}

/// The built-in check whose name or alias is closest to `name`, when one
/// is close enough for `name` to be a typo of it.
pub fn builtin_like(name: &str) -> Option<&'static str> {
    let every: Vec<&'static str> = BUILTINS
        .iter()
        .flat_map(|b| [Some(b.name), b.alias])
        .flatten()
        .collect();
    crate::config::parse::nearest(name, &every)
}

/// Names a `[[check]]` or `[[service]]` may not take: every built-in
/// check's and service's, by any name, and `all`.
pub fn reserved_names() -> Vec<&'static str> {
    let mut names = vec!["all"];
    for spec in BUILTINS {
        names.push(spec.name);
        names.extend(spec.alias);
    }
    names.extend(services::api_names());
    names
}

/// A check, by its canonical name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CheckId(&'static str);

impl CheckId {
    /// A declared check's id, by its name. Names are interned for the life
    /// of the process, once each however often the file is read, so that an
    /// id stays a `Copy` word like a built-in's.
    pub fn declared(name: &str) -> CheckId {
        static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
        let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = names.get(name) {
            return CheckId(known);
        }
        let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
        names.insert(leaked);
        CheckId(leaked)
    }

    /// Whether it is one of the built-in checks.
    pub fn is_builtin(self) -> bool {
        self.spec().is_some()
    }

    /// The key in `check all`'s `checks` object.
    pub fn key(self) -> &'static str {
        self.0
    }

    fn spec(self) -> Option<&'static BuiltinCheck> {
        BUILTINS.iter().find(|c| c.name == self.0)
    }

    /// The variable that configures this check, for "nothing configured" hints.
    pub fn configured_by(self) -> &'static str {
        self.spec().map_or("VITALS_CONFIG", |c| c.configured_by)
    }
}

impl AsRef<str> for CheckId {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// The name is none of a check vitals knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown check {0:?}")]
pub struct UnknownCheck(String);

/// A check by its canonical name or its alias.
impl FromStr for CheckId {
    type Err = UnknownCheck;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        BUILTINS
            .iter()
            .find(|c| c.name == name || c.alias == Some(name))
            .map(BuiltinCheck::id)
            .ok_or_else(|| UnknownCheck(name.to_owned()))
    }
}

/// One health check. `run` must return by `deadline`; the runner enforces it anyway.
pub trait Check: Send + Sync {
    fn id(&self) -> CheckId;

    /// Whether its settings name something to check (an unconfigured check
    /// still runs, and says what to set).
    fn configured(&self) -> bool;

    fn run(&self, deadline: Instant) -> BoxFuture<'_, CheckResult>;

    /// What it looks at (`db.internal:5432/app`): an endpoint without
    /// credentials; `None` when unconfigured. Its failure messages start
    /// with it, the runner's timeout message too.
    fn target(&self) -> Option<String> {
        None
    }

    /// For a check made of parts (the services of `external_services`):
    /// each part's name and target, for its alerts' labels.
    fn part_targets(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// What the declarations of its parts say about their alerts
    /// (thresholds, dependencies), by part name: alerting reads it, the check does not.
    fn part_alert_fields(&self) -> Vec<(String, AlertFields)> {
        Vec::new()
    }

    /// What its declaration says about its alerts (a `[[check]]`'s
    /// thresholds, dependencies and severity): alerting reads it, the check does not.
    fn alert_fields(&self) -> AlertFields {
        AlertFields::default()
    }

    /// Whether it times one round trip (`response_time_ms`). A check made
    /// of parts (the services, each with its own time) does not.
    fn timed(&self) -> bool {
        true
    }

    /// `built-in`, or the kind of a check declared in vitals.toml.
    fn kind(&self) -> &'static str {
        "built-in"
    }

    /// Its own time limit (a declared check's `timeout`); `--timeout` otherwise.
    fn timeout(&self) -> Option<Duration> {
        None
    }

    /// How long past its deadline the runner still waits for it: the time
    /// it needs to stop what it started and say so itself.
    fn overrun(&self) -> Duration {
        Duration::ZERO
    }
}

/// What a check found: `status`, `response_time_ms` and `message` as the
/// Python module vitals replaces wrote them (docs/COMPATIBILITY.md),
/// with the check's own fields between them. `metrics` and `duration` feed
/// the monitoring formats and are not part of the JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub status: Status,
    /// `None` when nothing was measured (the connection failed, say): `null`
    /// in JSON, `U` in perfdata, no Prometheus sample.
    pub response_time_ms: Option<f64>,
    /// Above this the check is degraded: the perfdata's warning threshold.
    pub response_time_warn: Option<Duration>,
    /// Whether the check has a `response_time_ms` at all ([`Check::timed`]).
    pub timed: bool,
    pub details: Map<String, Value>,
    pub message: String,
    pub metrics: Vec<Metric>,
    /// Wall time of the whole check, set by the runner.
    pub duration: Option<Duration>,
    /// What was checked, and what each part checked ([`Check::target`]),
    /// set by the runner for the alerts' labels; not part of the JSON.
    pub target: Option<String>,
    pub part_targets: Vec<(String, String)>,
    /// Metrics outside their usual band (judged when the run is recorded):
    /// `anomalies` in the JSON, after `message`, when there are any.
    pub anomalies: Vec<Anomaly>,
    /// The check was healthy and is degraded for its anomalies alone.
    pub anomaly_only: bool,
    /// [`Check::part_alert_fields`], set by the runner; not part of the JSON.
    pub part_alert_fields: Vec<(String, AlertFields)>,
    /// [`Check::alert_fields`], set by the runner; not part of the JSON.
    pub alert_fields: AlertFields,
    /// With `check --max-age`: `timestamp`, `cached` and `age_seconds`
    /// in the JSON, after everything else.
    pub freshness: Option<Freshness>,
}

/// Whether a result was run now or read from the history (`check --max-age`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Freshness {
    /// When its run started.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Answered from a recorded run, not run now.
    pub cached: bool,
    /// How old the run was when answered.
    pub age: Duration,
}

impl CheckResult {
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        CheckResult {
            status,
            response_time_ms: None,
            response_time_warn: None,
            timed: true,
            details: Map::new(),
            message: message.into(),
            metrics: Vec::new(),
            duration: None,
            target: None,
            part_targets: Vec::new(),
            anomalies: Vec::new(),
            anomaly_only: false,
            part_alert_fields: Vec::new(),
            alert_fields: AlertFields::default(),
            freshness: None,
        }
    }

    /// Adds the anomalies found in its metrics: a healthy check becomes
    /// degraded, saying what is unusual.
    pub fn add_anomalies(&mut self, anomalies: Vec<Anomaly>) {
        if anomalies.is_empty() {
            return;
        }
        if self.status == Status::Healthy {
            self.status = Status::Degraded;
            self.anomaly_only = true;
            let said: Vec<String> = anomalies.iter().map(Anomaly::describe).collect();
            self.message = said.join("; ");
        }
        self.anomalies = anomalies;
    }

    pub fn unhealthy(message: impl Into<String>) -> Self {
        Self::new(Status::Unhealthy, message)
    }

    pub fn unconfigured(variable: &str) -> Self {
        Self::new(
            Status::Unconfigured,
            format!("not configured: set {variable}"),
        )
    }

    pub fn with_response_time(mut self, elapsed: Duration) -> Self {
        self.response_time_ms = Some(millis(elapsed));
        self
    }

    /// Whether `response_time_ms` is shown (`null` when not measured): a
    /// timed check that ran. An unconfigured check was never run.
    pub fn reports_time(&self) -> bool {
        self.timed && self.status != Status::Unconfigured
    }

    pub fn with_response_threshold(mut self, slow: Duration) -> Self {
        self.response_time_warn = Some(slow);
        self
    }

    pub fn with_metrics(mut self, metrics: impl IntoIterator<Item = Metric>) -> Self {
        self.metrics.extend(metrics);
        self
    }

    /// Adds the fields of a check's typed report.
    pub fn with_details(mut self, details: &impl Serialize) -> Self {
        if let Ok(Value::Object(map)) = serde_json::to_value(details) {
            self.details.extend(map);
        }
        self
    }
}

impl Serialize for CheckResult {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("status", &self.status)?;
        if self.reports_time() {
            map.serialize_entry("response_time_ms", &self.response_time_ms)?;
        }
        for (k, v) in &self.details {
            map.serialize_entry(k, v)?;
        }
        map.serialize_entry("message", &self.message)?;
        if !self.anomalies.is_empty() {
            map.serialize_entry("anomalies", &self.anomalies)?;
        }
        if let Some(fresh) = &self.freshness {
            map.serialize_entry("timestamp", &json::timestamp(fresh.at))?;
            map.serialize_entry("cached", &fresh.cached)?;
            map.serialize_entry("age_seconds", &seconds(fresh.age))?;
        }
        map.end()
    }
}

/// `d` rounded up to the millisecond: a deadline set from a whole number of
/// milliseconds a moment ago is that number again, for messages.
pub fn ceil_millis(d: Duration) -> Duration {
    Duration::from_millis(
        d.as_nanos()
            .div_ceil(1_000_000)
            .try_into()
            .unwrap_or(u64::MAX),
    )
}

/// Slack added to a check's own network timeouts so that the runner's
/// deadline, with its uniform "timed out after …" message, fires first.
pub const GRACE: Duration = Duration::from_millis(250);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_serializes_status_details_message_in_order() {
        #[derive(Serialize)]
        struct Facts {
            max_connections: u32,
        }
        let r = CheckResult::new(Status::Healthy, "Database operational")
            .with_response_time(Duration::from_millis(3))
            .with_details(&Facts {
                max_connections: 100,
            });
        assert_eq!(
            serde_json::to_string(&r).ok().as_deref(),
            Some(
                r#"{"status":"healthy","response_time_ms":3.0,"max_connections":100,"message":"Database operational"}"#
            )
        );
    }
}
