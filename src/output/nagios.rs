//! `--format nagios`: a monitoring-plugins status line with perfdata, then
//! one line per check (the plugin's "long output").

use crate::checks::{CheckId, CheckResult};
use crate::exit::Exit;
use crate::metrics::Metric;
use crate::status::Status;

pub fn render(results: &[(CheckId, &CheckResult)]) -> String {
    let overall = Status::worst_of(results.iter().map(|(_, r)| r.status));
    let state = match overall.exit() {
        Exit::Ok => "OK",
        Exit::Warning => "WARNING",
        Exit::Critical => "CRITICAL",
        Exit::Unknown => "UNKNOWN",
    };
    let mut out = format!("VITALS {state} - {}", summary(results, overall));
    let perf: Vec<String> = results
        .iter()
        .flat_map(|(id, r)| perfdata(*id, r))
        .collect();
    if !perf.is_empty() {
        out.push_str(" | ");
        out.push_str(&perf.join(" "));
    }
    for (id, result) in results {
        out.push_str(&format!(
            "\n{}: {} - {}",
            id.key(),
            result.status,
            plain(&result.message)
        ));
        // A plugin's own long output follows its line, as Nagios shows it.
        if let Some(long) = result.details.get("long_output").and_then(|v| v.as_str()) {
            for line in long.lines() {
                out.push_str("\n  ");
                out.push_str(&plain(line));
            }
        }
        // The state stands as the run said it; the long output says how old it is.
        if let Some(fresh) = result.freshness.filter(|f| f.cached) {
            out.push_str(&format!(
                "\n{}: cached - from a run recorded {} ago",
                id.key(),
                crate::text::ago(fresh.age)
            ));
        }
        for anomaly in &result.anomalies {
            out.push_str(&format!(
                "\n{}: anomaly - {}",
                id.key(),
                plain(&anomaly.describe())
            ));
        }
    }
    out
}

/// The plugin output of a run that has no result: UNKNOWN and why. A
/// reason with details under its first line ("invalid configuration" and
/// each variable's problem) has the first detail on the status line and the
/// others as long output.
pub fn failure(reason: &str) -> String {
    let mut lines = reason
        .lines()
        .map(|l| plain(l.trim()))
        .filter(|l| !l.is_empty());
    let mut status = lines.next().unwrap_or_else(|| "no result".to_owned());
    let details = reason.lines().nth(1).is_some_and(|l| l.starts_with(' '));
    if details && let Some(first) = lines.next() {
        status = format!("{}: {first}", status.trim_end_matches(':'));
    }
    let mut out = format!("VITALS UNKNOWN - {status}");
    for line in lines {
        out.push('\n');
        out.push_str(&line);
    }
    out
}

/// Problems first, with their reasons; then the healthy checks by name.
fn summary(results: &[(CheckId, &CheckResult)], overall: Status) -> String {
    if overall == Status::Unconfigured {
        let vars: Vec<&str> = results.iter().map(|(id, _)| id.configured_by()).collect();
        return format!("nothing to check: set {}", vars.join(", "));
    }
    let mut parts: Vec<String> = results
        .iter()
        .filter(|(_, r)| {
            matches!(
                r.status,
                Status::Degraded | Status::Unknown | Status::Unhealthy
            )
        })
        .map(|(id, r)| format!("{} {}: {}", id.key(), r.status, plain(&r.message)))
        .collect();
    let healthy: Vec<&str> = results
        .iter()
        .filter(|(_, r)| r.status == Status::Healthy)
        .map(|(id, _)| id.key())
        .collect();
    if !healthy.is_empty() {
        parts.push(format!("{} healthy", healthy.join(", ")));
    }
    parts.join(" / ")
}

/// Plugin output is line- and `|`-delimited: neither may appear inside a
/// message, and nor may other control characters (outside text). Nagios
/// rewrites `;` to `:` on its way through, so a message's `;` is a `,`
/// before Nagios gets to choose.
fn plain(text: &str) -> String {
    text.replace('|', "/")
        .replace(';', ",")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn perfdata(id: CheckId, result: &CheckResult) -> Vec<String> {
    let mut perf = Vec::new();
    if result.reports_time() {
        let value = result
            .response_time_ms
            .map_or_else(|| "U".to_owned(), |ms| format!("{}ms", number(ms)));
        let warn = result
            .response_time_warn
            .map(|d| number(d.as_secs_f64() * 1000.0))
            .unwrap_or_default();
        perf.push(format!(
            "{}={value};{warn};;0",
            label(&format!("{}_time", id.key())),
        ));
    }
    perf.extend(result.metrics.iter().map(metric));
    perf
}

/// `'label'=value[UOM];[warn];[crit];[min];[max]`, `U` when unknown.
fn metric(m: &Metric) -> String {
    if let Some(perf) = &m.perf {
        return format!("{}={}", label(&perf.label), perf.data);
    }
    // Nagios shows times in milliseconds, where the metric keeps seconds.
    let (scale, uom) = match m.perf_unit() {
        (_, "s") => (1000.0, "ms"),
        unit => unit,
    };
    // A value perfdata cannot hold (NaN, infinite) is unknown.
    let scaled = |v: Option<f64>| v.map(|v| v * scale).filter(|v| v.is_finite());
    let field = |v: Option<f64>| scaled(v).map(number).unwrap_or_default();
    let name = m.perf_label();
    let value = match scaled(m.value) {
        Some(v) => format!("{}{uom}", number(v)),
        None => "U".to_owned(),
    };
    format!(
        "{}={value};{};{};{};{}",
        label(&name),
        field(m.warn),
        field(m.crit),
        field(m.min),
        field(m.max)
    )
    .trim_end_matches(';')
    .to_owned()
}

/// Labels are single-quoted, with `'` doubled; `=` is not allowed at all, and
/// `|` would end the perfdata for some parsers.
fn label(text: &str) -> String {
    format!("'{}'", plain(text).replace('\'', "''").replace('=', "_"))
}

/// Plain decimal notation, as plugins print it: no exponent, no trailing zeros.
fn number(v: f64) -> String {
    let text = format!("{v:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Unit;

    #[test]
    fn perfdata_in_plugin_units() {
        let m = Metric::gauge("cache_memory_used_bytes", "", Unit::Bytes, Some(1024.0))
            .warn(Some(900.0))
            .max(Some(2048.0));
        assert_eq!(metric(&m), "'cache_memory_used'=1024B;900;;0;2048");
        let m = Metric::gauge("database_query_seconds", "", Unit::Seconds, Some(0.00062));
        assert_eq!(metric(&m), "'database_query'=0.62ms;;;0");
        let m = Metric::gauge("agents", "", Unit::Count, None).label("state", "idle");
        assert_eq!(metric(&m), "'agents_idle'=U;;;0");
        let m = Metric::counter("cache_evicted_keys_total", "", Some(3.0));
        assert_eq!(metric(&m), "'cache_evicted_keys'=3c;;;0");
    }

    /// Found by fuzzing: NaN and infinite values printed as `NaN` and `inf`,
    /// which no perfdata parser reads.
    #[test]
    fn values_perfdata_cannot_hold_are_unknown() {
        let m = Metric::gauge("cache_memory_used_bytes", "", Unit::Bytes, Some(f64::NAN))
            .warn(Some(0.0))
            .max(Some(1.0));
        assert_eq!(metric(&m), "'cache_memory_used'=U;0;;0;1");
        let m = Metric::gauge("database_query_seconds", "", Unit::Seconds, Some(f64::MAX))
            .warn(Some(f64::INFINITY));
        assert_eq!(metric(&m), "'database_query'=U;;;0");
    }

    #[test]
    fn labels_are_quoted_and_cleaned() {
        assert_eq!(label("it's a=b|c"), "'it''s a_b/c'");
        assert_eq!(plain("a|b\nc"), "a/b c");
        assert_eq!(
            plain("connection refused; gave up after 3 attempts"),
            "connection refused, gave up after 3 attempts"
        );
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(2.0), "2");
        assert_eq!(number(1e21), "1000000000000000000000");
    }
}
