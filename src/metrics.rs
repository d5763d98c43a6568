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
