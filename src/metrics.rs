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
}

/// A count as a metric value (counts stay far below 2^53).
pub fn count(n: Option<u64>) -> Option<f64> {
    n.map(|n| n as f64)
}
