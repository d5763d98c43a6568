//! Health checks: the `Check` seam, the concurrent runner and the `check` command.
//!
//! Adding a check is one new file and one line in [`registry`].

pub mod agents;
pub mod cache;
pub mod database;
pub mod services;

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use clap::ValueEnum;
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::cli::CheckArgs;
use crate::config::Config;
use crate::metrics::Metric;
use crate::output::{self, Output, json};
use crate::signals::{self, Interrupted};
use crate::status::{Exit, Status};
use crate::tls::Trust;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The checks vitals knows, by their command-line name and their JSON key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum CheckId {
    #[value(name = "db", alias = "database")]
    Database,
    Cache,
    Agents,
    #[value(name = "services", alias = "external_services")]
    ExternalServices,
}

impl AsRef<str> for CheckId {
    fn as_ref(&self) -> &str {
        self.key()
    }
}

impl CheckId {
    /// The key in `check all`'s `checks` object (the seed's names).
    pub fn key(self) -> &'static str {
        match self {
            CheckId::Database => "database",
            CheckId::Cache => "cache",
            CheckId::Agents => "agents",
            CheckId::ExternalServices => "external_services",
        }
    }

    /// The variable that configures this check, for "nothing configured" hints.
    pub fn configured_by(self) -> &'static str {
        match self {
            CheckId::Database => "DATABASE_URL",
            CheckId::Cache => "REDIS_URL",
            CheckId::Agents => "AGENT_REGISTRY_URL",
            CheckId::ExternalServices => services::configured_by(),
        }
    }
}

/// One health check. `run` must return by `deadline`; the runner enforces it anyway.
pub trait Check: Send + Sync {
    fn id(&self) -> CheckId;
    fn run(&self, deadline: Instant) -> BoxFuture<'_, CheckResult>;
}

/// Every check, in the seed's order.
pub fn registry(config: &Config, trust: &Trust) -> Vec<Box<dyn Check>> {
    vec![
        Box::new(database::Database::new(&config.database, trust)),
        Box::new(cache::Cache::new(&config.cache, trust)),
        Box::new(agents::Agents::new(&config.agents, trust)),
        Box::new(services::Services::new(&config.services, trust)),
    ]
}

/// What a check found: the seed's `status`, `response_time_ms` and `message`,
/// with the check's own fields between them. `metrics` and `duration` feed
/// the monitoring formats and are not part of the JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub status: Status,
    pub response_time_ms: Option<f64>,
    pub details: Map<String, Value>,
    pub message: String,
    pub metrics: Vec<Metric>,
    /// Wall time of the whole check, set by the runner.
    pub duration: Option<Duration>,
}

impl CheckResult {
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        CheckResult {
            status,
            response_time_ms: None,
            details: Map::new(),
            message: message.into(),
            metrics: Vec::new(),
            duration: None,
        }
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
        if let Some(ms) = self.response_time_ms {
            map.serialize_entry("response_time_ms", &ms)?;
        }
        for (k, v) in &self.details {
            map.serialize_entry(k, v)?;
        }
        map.serialize_entry("message", &self.message)?;
        map.end()
    }
}

/// Milliseconds with two decimals, as the seed reports them.
pub fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

/// Slack added to a check's own network timeouts so that the runner's
/// deadline, with its uniform "timed out after …" message, fires first.
pub const GRACE: Duration = Duration::from_millis(250);

/// Runs one check, bounded by the timeout whatever the check does.
pub async fn run_bounded(check: &dyn Check, timeout: Duration) -> CheckResult {
    let started = Instant::now();
    let deadline = started + timeout;
    let mut result = match tokio::time::timeout_at(deadline, check.run(deadline)).await {
        Ok(result) => result,
        Err(_) => CheckResult::unhealthy(format!(
            "timed out after {}",
            humantime::format_duration(timeout)
        )),
    };
    result.duration = Some(started.elapsed());
    tracing::info!(
        "{}: {} after {:.2} ms: {}",
        check.id().key(),
        result.status,
        millis(started.elapsed()),
        result.message
    );
    result
}

/// The `check all` document.
#[derive(Debug, Serialize)]
pub struct Report {
    pub overall_status: Status,
    pub timestamp: String,
    pub duration_ms: f64,
    #[serde(serialize_with = "json::pairs")]
    pub checks: Vec<(CheckId, CheckResult)>,
}

/// One check's result, printed on its own (`check db`): the JSON is the check's object.
#[derive(Debug)]
pub struct Single<'a> {
    pub id: CheckId,
    pub result: &'a CheckResult,
}

impl Serialize for Single<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.result.serialize(serializer)
    }
}

/// `vitals check …`: runs the selected checks concurrently and prints them.
pub fn command(
    args: &CheckArgs,
    config: &Config,
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let trust = Trust::new(config.extra_ca_file.clone());
    let selected: Vec<Arc<dyn Check>> = registry(config, &trust)
        .into_iter()
        .filter(|c| args.target.single().is_none_or(|id| id == c.id()))
        .map(Arc::from)
        .collect();

    // A thread per check (up to 4): one check's CPU work (SCRAM hashing, TLS
    // handshakes) must not stall another's clock, or its response time lies.
    // A single check keeps the main thread: worker threads cost it a third of
    // its time (thread start, a malloc arena).
    let runtime = signals::runtime(selected.len().min(4))?;
    let started = std::time::Instant::now();
    let tasks: Vec<_> = selected
        .iter()
        .map(|check| {
            let check = Arc::clone(check);
            runtime.spawn(async move { run_bounded(check.as_ref(), timeout).await })
        })
        .collect();
    let results = signals::run_until_signal(&runtime, futures_util::future::join_all(tasks));
    let duration = started.elapsed();
    // Do not wait for connections that are still hanging: their checks have
    // already timed out, or the user asked to stop.
    runtime.shutdown_background();
    let results = results.map_err(|signal| Interrupted {
        signal,
        what: "the checks were stopped and no result was printed",
    })?;

    let checks: Vec<(CheckId, CheckResult)> = selected
        .iter()
        .zip(results)
        .map(|(check, result)| {
            let result = result.unwrap_or_else(|e| {
                CheckResult::unhealthy(format!("internal error: the check stopped ({e})"))
            });
            (
                check.id(),
                enforce_required(check.id(), result, &args.require),
            )
        })
        .collect();
    let overall = Status::worst_of(checks.iter().map(|(_, r)| r.status));
    let report = Report {
        overall_status: overall,
        timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: millis(duration),
        checks,
    };
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
    // Opened only here: a plain `check` never touches the alert store.
    if args.alert && overall != Status::Unconfigured {
        exit = exit.max(crate::alerts::lifecycle::for_checks(
            &report.checks,
            config,
            timeout,
        ));
    }
    emitted?;
    Ok(exit)
}

/// `--require`: an unconfigured check that must be there is a failure, not a shrug.
fn enforce_required(id: CheckId, result: CheckResult, required: &[CheckId]) -> CheckResult {
    if result.status == Status::Unconfigured && required.contains(&id) {
        CheckResult::unhealthy(format!(
            "required but not configured: set {}",
            id.configured_by()
        ))
    } else {
        result
    }
}

/// The innermost error of type `T` in a chain. Libraries hide causes inside
/// `io::Error` and `Arc<dyn Error>` wrappers, whose `source()` skips them, so
/// those are opened explicitly.
pub fn find_cause<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut found = None;
    let mut current = Some(error);
    while let Some(mut e) = current {
        loop {
            if let Some(t) = e.downcast_ref::<T>() {
                found = Some(t);
            }
            let inner: Option<&'a (dyn StdError + 'static)> =
                if let Some(arc) = e.downcast_ref::<Arc<dyn StdError + Send + Sync>>() {
                    Some(arc.as_ref())
                } else if let Some(io) = e.downcast_ref::<std::io::Error>() {
                    io.get_ref().map(|inner| inner as &(dyn StdError + 'static))
                } else {
                    None
                };
            match inner {
                Some(inner) => e = inner,
                None => break,
            }
        }
        current = e.source();
    }
    found
}

/// The whole chain as one line, without the repetitions libraries tend to add.
pub fn chain_text(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_has_two_decimals() {
        assert_eq!(millis(Duration::from_micros(15_234)), 15.23);
        assert_eq!(millis(Duration::from_nanos(5_125_000)), 5.13);
    }

    #[test]
    fn result_serializes_in_seed_order() {
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

    #[test]
    fn required_unconfigured_becomes_unhealthy() {
        let r = enforce_required(
            CheckId::Cache,
            CheckResult::unconfigured("REDIS_URL"),
            &[CheckId::Cache],
        );
        assert_eq!(r.status, Status::Unhealthy);
        assert_eq!(r.message, "required but not configured: set REDIS_URL");
        let r = enforce_required(CheckId::Cache, CheckResult::unconfigured("REDIS_URL"), &[]);
        assert_eq!(r.status, Status::Unconfigured);
    }

    #[test]
    fn find_cause_looks_inside_io_errors() {
        let inner = rustls::Error::General("boom".into());
        let io = std::io::Error::other(inner);
        let found = find_cause::<rustls::Error>(&io);
        assert_eq!(
            found.map(|e| e.to_string()).as_deref(),
            Some("unexpected error: boom")
        );
    }
}
