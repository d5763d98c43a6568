//! The check history: every recorded run of a check with the metrics it
//! measured, hourly and daily roll-ups of them, retention, and what
//! `vitals history` reports. A repository on the store beside the alert
//! repository; neither imports the other. Nothing here prints.
//!
//! Statuses are kept as their text names and metrics by key (the metric's
//! Prometheus name and its labels), so a new status or a new check's
//! metrics need no schema change.

pub mod anomaly;
mod maintain;
mod query;
mod read;
mod recent;
mod record;
mod settings;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::checks::{CheckId, CheckResult};
use crate::metrics::{Kind, Metric, Unit};
use crate::status::Status;
use crate::text;

pub use maintain::{MAX_GAP_MS, Upkeep, percentile};
pub use query::{
    Bucket, Filter, Incident, MAX_INCIDENTS, PastAnomaly, Report, ResponseTimes, Summary,
    parse_when,
};
pub use read::{Asked, ReadError, STRIP_COLUMNS, recent, report, reports, store_name};
pub use recent::Recent;
pub use record::{HistoryStore, Recorded};
pub use settings::{GROUP, HistorySettings, Retention, parse_retention, parse_switch};

/// The longest message kept with a run, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1000;

pub use crate::metrics::RESPONSE_TIME;

/// One run of one check, as it is recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The check's canonical name.
    pub check: String,
    /// Which vitals ran it (`VITALS_INSTANCE`).
    pub instance: String,
    pub started_at: DateTime<Utc>,
    pub duration: Duration,
    /// The status's text name (`healthy`, `degraded`…).
    pub status: String,
    /// Scrubbed of secrets, on one line, at most [`MAX_MESSAGE_CHARS`].
    pub message: String,
    pub samples: Vec<Sample>,
    /// The name of the `[[maintenance]]` window it ran in, if it did.
    pub maintenance: Option<String>,
}

/// One value of one metric in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The Prometheus name and labels: `vitals_service_response_seconds{service="hubspot_api"}`.
    pub metric: String,
    pub unit: Unit,
    pub value: f64,
    /// A gauge (a level that may go up and down); counters only grow and
    /// are never judged against a baseline.
    pub gauge: bool,
}

impl Run {
    /// The run of a check as `check` printed it: `None` for a check that is
    /// not configured (nothing was checked).
    pub fn of(
        id: CheckId,
        result: &CheckResult,
        instance: &str,
        started_at: DateTime<Utc>,
    ) -> Option<Run> {
        if result.status == Status::Unconfigured {
            return None;
        }
        let mut samples = Vec::new();
        if result.reports_time()
            && let Some(ms) = result.response_time_ms
        {
            samples.push(Sample {
                metric: RESPONSE_TIME.to_owned(),
                unit: Unit::Seconds,
                value: ms / 1000.0,
                gauge: true,
            });
        }
        samples.extend(result.metrics.iter().filter_map(sample));
        Some(Run {
            check: id.key().to_owned(),
            instance: instance.to_owned(),
            started_at,
            duration: result.duration.unwrap_or_default(),
            status: result.status.as_ref().to_owned(),
            message: text::one_line(&result.message, MAX_MESSAGE_CHARS),
            samples,
            maintenance: None,
        })
    }
}

/// A metric's value as a sample; `None` when it was not measured or is no number.
fn sample(metric: &Metric) -> Option<Sample> {
    let value = metric.value.filter(|v| v.is_finite())?;
    Some(Sample {
        metric: metric.key(),
        unit: metric.unit,
        value,
        gauge: metric.kind == Kind::Gauge,
    })
}

/// A unit's name in the store and in `history`'s documents.
pub fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Seconds => "seconds",
        Unit::Bytes => "bytes",
        Unit::Ratio => "ratio",
        Unit::Count => "count",
    }
}

/// A unit by its name in the store (a name it does not know reads as a count).
pub fn unit_of(name: &str) -> Unit {
    match name {
        "seconds" => Unit::Seconds,
        "bytes" => Unit::Bytes,
        "ratio" => Unit::Ratio,
        _ => Unit::Count,
    }
}

/// The id of a series (one metric of one check on one instance): a stable
/// 63-bit FNV-1a hash of the three, so that every vitals writing a store
/// names a series alike without asking the store first.
pub fn series_id(check: &str, instance: &str, metric: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [check, instance, metric] {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (hash >> 1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_ids_are_stable_and_positive() {
        let id = series_id("database", "web1", RESPONSE_TIME);
        assert_eq!(id, series_id("database", "web1", RESPONSE_TIME));
        assert!(id >= 0);
        assert_ne!(id, series_id("database", "web2", RESPONSE_TIME));
        // The separator keeps ("ab", "c") apart from ("a", "bc").
        assert_ne!(series_id("ab", "c", "m"), series_id("a", "bc", "m"));
    }

    #[test]
    fn a_run_keeps_measured_metrics_and_a_scrubbed_bounded_message() {
        let result = CheckResult::new(Status::Healthy, format!("ok\u{1b}[2J{}", "x".repeat(5000)))
            .with_response_time(Duration::from_micros(2500))
            .with_metrics([
                Metric::gauge("db_connections", "c", Unit::Count, Some(3.0)),
                Metric::gauge("db_size_bytes", "s", Unit::Bytes, None),
                Metric::counter("cache_hits_total", "h", Some(7.0)).label("db", "0"),
            ]);
        let at = DateTime::from_timestamp_millis(1_700_000_000_000).unwrap_or_default();
        let run = Run::of(crate::checks::database::CHECK.id(), &result, "web1", at);
        let run = run.unwrap_or_else(|| panic!("no run"));
        assert_eq!(run.status, "healthy");
        assert_eq!(run.message.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(!run.message.contains('\u{1b}'));
        let keys: Vec<(&str, f64, bool)> = run
            .samples
            .iter()
            .map(|s| (s.metric.as_str(), s.value, s.gauge))
            .collect();
        assert_eq!(
            keys,
            [
                (RESPONSE_TIME, 0.0025, true),
                ("vitals_db_connections", 3.0, true),
                ("vitals_cache_hits_total{db=\"0\"}", 7.0, false)
            ]
        );
        let unconfigured = CheckResult::unconfigured("DATABASE_URL");
        assert_eq!(
            Run::of(
                crate::checks::database::CHECK.id(),
                &unconfigured,
                "web1",
                at
            ),
            None
        );
    }
}
