//! Numbers a check measured, in base units, for the Nagios (perfdata) and
//! Prometheus formats. Each check declares its own; the formats only render.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Stored in seconds; Nagios shows milliseconds.
    Seconds,
    Bytes,
    /// Stored as 0..1; Nagios shows a percentage.
    Ratio,
    Count,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    /// Only ever grows (since the server started).
    Counter,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// The Prometheus name without the `vitals_` prefix, unit suffix included.
    pub name: &'static str,
    pub help: &'static str,
    pub kind: Kind,
    pub unit: Unit,
    pub labels: Vec<(&'static str, String)>,
    /// `None` when it could not be determined (Nagios `U`; no Prometheus sample).
    pub value: Option<f64>,
    pub warn: Option<f64>,
    pub crit: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// A measurement a declared check reported in perfdata: its label and
    /// `value[UOM];warn;crit;min;max` exactly as given, which the Nagios
    /// format passes through rather than rebuilding from the fields above.
    pub perf: Option<Perf>,
}

/// A perfdata item kept as its check gave it (see [`Metric::perf`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Perf {
    /// `check::label`, so that two checks' labels never collide on one line.
    pub label: String,
    pub data: String,
}

impl Metric {
    pub fn gauge(name: &'static str, help: &'static str, unit: Unit, value: Option<f64>) -> Metric {
        Metric {
            name,
            help,
            kind: Kind::Gauge,
            unit,
            labels: Vec::new(),
            value,
            warn: None,
            crit: None,
            min: Some(0.0),
            max: None,
            perf: None,
        }
    }

    pub fn counter(name: &'static str, help: &'static str, value: Option<f64>) -> Metric {
        Metric {
            kind: Kind::Counter,
            ..Metric::gauge(name, help, Unit::Count, value)
        }
    }

    pub fn label(mut self, name: &'static str, value: impl Into<String>) -> Metric {
        self.labels.push((name, value.into()));
        self
    }

    pub fn warn(mut self, at: Option<f64>) -> Metric {
        self.warn = at;
        self
    }

    pub fn max(mut self, at: Option<f64>) -> Metric {
        self.max = at;
        self
    }

    /// What tells this metric apart in a check's history: its Prometheus
    /// name and its labels sorted by name (`vitals_tasks{state="queued"}`).
    /// The `check` label is left out: the history keeps each check's own.
    pub fn key(&self) -> String {
        let mut labels: Vec<(&str, String)> = self
            .labels
            .iter()
            .filter(|(name, _)| *name != "check")
            .map(|(name, value)| (*name, value.clone()))
            .collect();
        labels.sort();
        format!("vitals_{}{}", self.name, label_text(&labels))
    }

    /// Its perfdata label: the name without its unit suffix, then each
    /// label's value (`agents_idle`).
    pub fn perf_label(&self) -> String {
        let mut name = self
            .name
            .trim_end_matches("_seconds")
            .trim_end_matches("_bytes")
            .trim_end_matches("_ratio")
            .trim_end_matches("_total")
            .to_owned();
        for (_, value) in &self.labels {
            name.push('_');
            name.push_str(value);
        }
        name
    }

    /// Its perfdata unit of measure, and the factor from the stored value
    /// to it (a ratio is shown as a percentage). Seconds stay seconds.
    pub fn perf_unit(&self) -> (f64, &'static str) {
        match (self.unit, self.kind) {
            (Unit::Seconds, _) => (1.0, "s"),
            (Unit::Ratio, _) => (100.0, "%"),
            (Unit::Bytes, _) => (1.0, "B"),
            (Unit::Count, Kind::Counter) => (1.0, "c"),
            (Unit::Count, Kind::Gauge) => (1.0, ""),
        }
    }
}

/// Labels as the Prometheus text format writes them: `{a="x",b="y"}`,
/// nothing when there are none.
pub fn label_text<S: AsRef<str>>(labels: &[(&str, S)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let pairs: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v.as_ref())))
        .collect();
    format!("{{{}}}", pairs.join(","))
}

/// A label value escaped as the Prometheus text format wants it.
pub fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A count as a metric value (counts stay far below 2^53).
pub fn count(n: Option<u64>) -> Option<f64> {
    n.map(|n| n as f64)
}

/// A metric outside the band its recent history sets, for long enough to
/// tell (the history's anomaly rule). Values are in the metric's unit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Anomaly {
    /// The metric's key: its Prometheus name and labels.
    pub metric: String,
    pub value: f64,
    /// The median of its recent values.
    pub baseline: f64,
    /// The values that are not anomalous, low and high.
    pub band: [f64; 2],
    /// When the first run outside the band ran.
    #[serde(serialize_with = "crate::json::rfc3339")]
    pub since: chrono::DateTime<chrono::Utc>,
    #[serde(skip)]
    pub unit: Unit,
    /// Its 5th and 95th percentiles over the baseline's window.
    #[serde(skip)]
    pub usual: [f64; 2],
    /// How far back the baseline looked.
    #[serde(skip)]
    pub window: std::time::Duration,
}

/// The response time's key, which people read as "response time".
pub const RESPONSE_TIME: &str = "vitals_check_response_seconds";

impl Anomaly {
    /// What a person reads: "response time 48 ms, usually 3–5 ms over the last 24 h".
    pub fn describe(&self) -> String {
        let service = self
            .metric
            .strip_prefix("vitals_service_response_seconds{service=\"")
            .and_then(|rest| rest.strip_suffix("\"}"));
        let name = match service {
            _ if self.metric == RESPONSE_TIME => "response time".to_owned(),
            Some(service) => format!("{service} response time"),
            None => self.metric.clone(),
        };
        let minutes = (self.window.as_secs_f64() / 60.0).round().max(1.0);
        let window = if minutes < 90.0 {
            format!("{minutes} min")
        } else {
            format!("{} h", (minutes / 60.0).round())
        };
        format!(
            "{name} {}, usually {} over the last {window}",
            amount(self.value, self.unit),
            range(self.usual, self.unit)
        )
    }
}

/// A value for people, in the unit they read it in: the number and the unit's suffix.
fn reading(value: f64, unit: Unit) -> (String, &'static str) {
    let (number, suffix) = match unit {
        Unit::Seconds => (value * 1000.0, " ms"),
        Unit::Ratio => (value * 100.0, " %"),
        Unit::Bytes => (value / 1_048_576.0, " MiB"),
        Unit::Count => (value, ""),
    };
    let digits = if number.abs() >= 10.0 || number == number.round() {
        0
    } else {
        1
    };
    (format!("{number:.digits$}"), suffix)
}

/// "48 ms", "97 %", "12".
pub fn amount(value: f64, unit: Unit) -> String {
    let (number, suffix) = reading(value, unit);
    format!("{number}{suffix}")
}

/// "3–5 ms", or "3 ms" when both ends read the same.
fn range(usual: [f64; 2], unit: Unit) -> String {
    let ((low, suffix), (high, _)) = (reading(usual[0], unit), reading(usual[1], unit));
    if low == high {
        format!("{high}{suffix}")
    } else {
        format!("{low}–{high}{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anomalies_are_described_in_the_units_people_read() {
        let anomaly = Anomaly {
            metric: RESPONSE_TIME.to_owned(),
            value: 0.0481,
            baseline: 0.004,
            band: [0.0, 0.009],
            since: chrono::DateTime::UNIX_EPOCH,
            unit: Unit::Seconds,
            usual: [0.003, 0.005],
            window: std::time::Duration::from_secs(24 * 3600),
        };
        assert_eq!(
            anomaly.describe(),
            "response time 48 ms, usually 3–5 ms over the last 24 h"
        );
        let ratio = Anomaly {
            metric: "vitals_db_connections_ratio".to_owned(),
            unit: Unit::Ratio,
            value: 0.97,
            usual: [0.4, 0.4],
            window: std::time::Duration::from_secs(3 * 3600 + 100),
            ..anomaly.clone()
        };
        assert_eq!(
            ratio.describe(),
            "vitals_db_connections_ratio 97 %, usually 40 % over the last 3 h"
        );
        let service = Anomaly {
            metric: "vitals_service_response_seconds{service=\"hubspot_api\"}".to_owned(),
            value: 0.0512,
            usual: [0.0011, 0.0024],
            window: std::time::Duration::from_secs(29 * 60),
            ..anomaly
        };
        assert_eq!(
            service.describe(),
            "hubspot_api response time 51 ms, usually 1.1–2.4 ms over the last 29 min"
        );
    }
}
