//! `--format prometheus`: text exposition format 0.0.4, without timestamps,
//! so the node_exporter textfile collector accepts it.

use std::time::SystemTime;

use strum::IntoEnumIterator as _;

use crate::checks::{CheckId, CheckResult};
use crate::metrics::{Kind, Metric, Unit};
use crate::status::Status;

pub fn render(results: &[(CheckId, &CheckResult)], now: SystemTime) -> String {
    let mut families: Vec<Metric> = vec![up(true)];
    for (id, result) in results {
        families.extend(common(*id, result));
        families.extend(result.metrics.iter().cloned());
    }
    families.push(last_run(now));
    exposition(&families)
}

/// The families of `metrics` alone (a long-running vitals's own, after a
/// run's exposition: their names are their own, so the two join as they are).
pub fn families(metrics: &[Metric]) -> String {
    exposition(metrics)
}

/// `vitals_up`: whether vitals could run its checks at all. 1 beside every
/// result; alone (with the time of the run) when there is none, so that a
/// textfile collector serves a failure rather than the last good run's numbers.
fn up(ran: bool) -> Metric {
    Metric::gauge(
        "up",
        "1 when vitals ran its checks, 0 when it could not (a mistake in its settings, a signal, an internal error; stderr says which).",
        Unit::Count,
        Some(f64::from(u8::from(ran))),
    )
}

fn last_run(now: SystemTime) -> Metric {
    let run_at = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    Metric::gauge(
        "last_run_timestamp_seconds",
        "When vitals last ran these checks (Unix time).",
        Unit::Seconds,
        Some(run_at),
    )
}

/// The exposition of a run that has no result.
pub fn failure(now: SystemTime) -> String {
    exposition(&[up(false), last_run(now)])
}

/// What every check has: up, status, and how long it took.
fn common(id: CheckId, result: &CheckResult) -> Vec<Metric> {
    let check = id.key();
    let mut metrics = Vec::new();
    if result.status != Status::Unconfigured {
        let up = matches!(result.status, Status::Healthy | Status::Degraded);
        metrics.push(
            Metric::gauge(
                "check_up",
                "1 when the check's dependency answers (healthy or degraded), 0 when it does not.",
                Unit::Count,
                Some(f64::from(u8::from(up))),
            )
            .label("check", check),
        );
    }
    for status in Status::iter() {
        metrics.push(
            Metric::gauge(
                "check_status",
                "1 for the check's current status, 0 for the others.",
                Unit::Count,
                Some(f64::from(u8::from(result.status == status))),
            )
            .label("check", check)
            .label("status", status.as_ref()),
        );
    }
    // Declared also when not measured (no sample), so the families keep their order.
    if result.reports_time() {
        metrics.push(
            Metric::gauge(
                "check_response_seconds",
                "The check's timed round trip (e.g. SELECT 1, PING+INFO).",
                Unit::Seconds,
                result.response_time_ms.map(|ms| ms / 1000.0),
            )
            .label("check", check),
        );
    }
    for anomaly in &result.anomalies {
        metrics.push(
            Metric::gauge(
                "anomaly",
                "1 for each metric outside its usual band for long enough (the history's anomaly rule).",
                Unit::Count,
                Some(1.0),
            )
            .label("check", check)
            .label("metric", anomaly.metric.clone()),
        );
    }
    if let Some(duration) = result.duration {
        metrics.push(
            Metric::gauge(
                "check_duration_seconds",
                "Wall time of the whole check, connection included.",
                Unit::Seconds,
                Some(duration.as_secs_f64()),
            )
            .label("check", check),
        );
    }
    metrics
}

/// Samples grouped into families (HELP and TYPE once each), in first-seen order.
fn exposition(metrics: &[Metric]) -> String {
    let mut names: Vec<&'static str> = Vec::new();
    for m in metrics {
        if !names.contains(&m.name) {
            names.push(m.name);
        }
    }
    let mut out = String::new();
    for name in names {
        let family: Vec<&Metric> = metrics.iter().filter(|m| m.name == name).collect();
        let Some(first) = family.first() else {
            continue;
        };
        let kind = match first.kind {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        };
        out.push_str(&format!(
            "# HELP vitals_{name} {}\n",
            escape_help(first.help)
        ));
        out.push_str(&format!("# TYPE vitals_{name} {kind}\n"));
        for m in family {
            let Some(value) = m.value else { continue };
            out.push_str(&format!(
                "vitals_{name}{} {}\n",
                labels(&m.labels),
                number(value)
            ));
        }
    }
    out
}

/// Nanosecond precision is plenty, and spares readers `0.0005899999999999999`.
/// Beyond about 1.8e299 the scaling overflows to an infinity: such a value
/// has no digits below a nanosecond to spare, and is given as it is.
fn number(value: f64) -> f64 {
    let rounded = (value * 1e9).round() / 1e9;
    if rounded.is_finite() { rounded } else { value }
}

fn labels(labels: &[(&'static str, String)]) -> String {
    crate::metrics::label_text(labels)
}

fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_have_help_and_type_once() {
        let metrics = [
            Metric::gauge("agents", "Agents by state.", Unit::Count, Some(2.0))
                .label("state", "idle"),
            Metric::gauge("agents", "Agents by state.", Unit::Count, Some(1.0))
                .label("state", "busy"),
            Metric::counter("cache_evicted_keys_total", "Evicted.", None),
        ];
        assert_eq!(
            exposition(&metrics),
            "# HELP vitals_agents Agents by state.\n# TYPE vitals_agents gauge\n\
             vitals_agents{state=\"idle\"} 2\nvitals_agents{state=\"busy\"} 1\n\
             # HELP vitals_cache_evicted_keys_total Evicted.\n# TYPE vitals_cache_evicted_keys_total counter\n"
        );
    }

    /// Found by fuzzing: a finite value near the largest was printed `-inf`.
    #[test]
    fn huge_values_stay_finite() {
        assert_eq!(number(-f64::MAX), -f64::MAX);
        assert_eq!(number(1e300), 1e300);
        assert_eq!(number(0.000_589_999_999_999_999_9), 0.00059);
        assert!(number(f64::NAN).is_nan());
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(
            labels(&[("service", "a\"b\\c\nd".to_owned())]),
            "{service=\"a\\\"b\\\\c\\nd\"}"
        );
    }
}
