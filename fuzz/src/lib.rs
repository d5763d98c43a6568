//! What several targets share: check results with hostile text, as the
//! renderers get them.

use arbitrary::Arbitrary;
use vitals::fuzzing::{CheckResult, Metric, Status, Unit};

/// A check's result: its status, message, times and metrics (values of any
/// kind, `service` labels with any name).
#[derive(Arbitrary, Debug)]
pub struct Result {
    pub status: u8,
    pub message: String,
    pub response_ms: Option<u32>,
    pub slow_ms: Option<u32>,
    pub metrics: Vec<(u8, Option<f64>, Option<f64>, String)>,
}

/// Names and units of metrics vitals has; `service` labels hold the names
/// users give their services.
const METRICS: &[(&str, Unit, bool)] = &[
    ("service_up", Unit::Count, false),
    ("service_response_seconds", Unit::Seconds, false),
    ("cache_memory_usage_ratio", Unit::Ratio, false),
    ("cache_memory_used_bytes", Unit::Bytes, false),
    ("cache_evicted_keys_total", Unit::Count, true),
];

/// The results as checks make them.
pub fn results(input: &[Result]) -> Vec<CheckResult> {
    input
        .iter()
        .map(|r| {
            let status = [
                Status::Healthy,
                Status::Degraded,
                Status::Unhealthy,
                Status::Unconfigured,
            ][usize::from(r.status % 4)];
            let mut result = CheckResult::new(status, r.message.clone());
            if let Some(ms) = r.response_ms {
                result = result.with_response_time(std::time::Duration::from_micros(u64::from(ms)));
            }
            if let Some(ms) = r.slow_ms {
                result =
                    result.with_response_threshold(std::time::Duration::from_millis(u64::from(ms)));
            }
            result.with_metrics(r.metrics.iter().map(|(pick, value, warn, service)| {
                let (name, unit, counter) = METRICS[usize::from(*pick) % METRICS.len()];
                let m = if counter {
                    Metric::counter(name, "help", *value)
                } else {
                    Metric::gauge(name, "help", unit, *value)
                };
                m.warn(*warn)
                    .max(Some(1.0))
                    .label("service", service.clone())
            }))
        })
        .collect()
}
