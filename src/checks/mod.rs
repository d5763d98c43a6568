//! Health checks: the `Check` seam, the checks vitals knows and their
//! registry. `runner` runs them, bounded and concurrently.
//!
//! Adding a check is one new file and one line in [`registry`]
//! (docs/ARCHITECTURE.md shows it).

pub mod agents;
pub mod cache;
pub mod database;
pub mod runner;
pub mod services;

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::config::Config;
use crate::metrics::Metric;
use crate::net::tls::Trust;
use crate::status::Status;
use crate::text::millis;

/// The checks vitals knows. The first name of each is the one the command
/// line shows, the others are accepted too; the longest is the key in
/// `check all`'s `checks` object (the names of the Python module vitals
/// replaces, docs/COMPATIBILITY.md).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::AsRefStr,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::EnumIter,
    strum::EnumMessage,
)]
pub enum CheckId {
    #[strum(serialize = "db", serialize = "database")]
    Database,
    #[strum(serialize = "cache")]
    Cache,
    #[strum(serialize = "agents")]
    Agents,
    #[strum(serialize = "services", serialize = "external_services")]
    ExternalServices,
}

impl CheckId {
    /// The key in `check all`'s `checks` object.
    pub fn key(self) -> &'static str {
        self.into()
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

    /// What it looks at, as alert labels name it (`db.internal:5432/app`):
    /// an endpoint without credentials; `None` when unconfigured.
    fn target(&self) -> Option<String> {
        None
    }

    /// For a check made of parts (the services of `external_services`):
    /// each part's name and target.
    fn part_targets(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// Every check, in the order of the `check all` document.
pub fn registry(config: &Config, trust: &Trust) -> Vec<Box<dyn Check>> {
    vec![
        Box::new(database::Database::new(&config.database, trust)),
        Box::new(cache::Cache::new(&config.cache, trust)),
        Box::new(agents::Agents::new(&config.agents, trust)),
        Box::new(services::Services::new(&config.services, trust)),
    ]
}

/// What a check found: `status`, `response_time_ms` and `message` as the
/// Python module vitals replaces wrote them (docs/COMPATIBILITY.md),
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
    /// What was checked, and what each part checked ([`Check::target`]),
    /// set by the runner for the alerts' labels; not part of the JSON.
    pub target: Option<String>,
    pub part_targets: Vec<(String, String)>,
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
            target: None,
            part_targets: Vec::new(),
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
