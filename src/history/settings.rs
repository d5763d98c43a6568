//! The history's variables: whether runs are recorded, how long what is
//! recorded is kept, and the anomaly rule's knobs.

use std::time::Duration;

use super::anomaly::{MAX_WINDOW, Rule};
use crate::config::services_file::MaintenanceWindow;
use crate::config::{Expected, Group, Reader, Secrecy, var};

pub const GROUP: Group = Group {
    key: "history",
    title: "History",
    vars: &[
        var(
            "VITALS_RECORD",
            Secrecy::Public,
            None,
            "1 to record every check run in the store (same as check --record; --alert records too). Off by default: a plain check writes nothing.",
        ),
        var(
            "VITALS_MAX_AGE",
            Secrecy::Public,
            None,
            "check answers each check from its latest run recorded on this instance (VITALS_INSTANCE) when that run is at most this old, e.g. 30s (same as check --max-age, which wins); the others run. Not with --alert.",
        ),
        var(
            "VITALS_HISTORY_RETENTION",
            Secrecy::Public,
            Some("raw=14d,hourly=90d,daily=2y"),
            "How long recorded runs are kept, then their hourly and daily roll-ups; any of the three may be given (raw=7d). Older records are pruned a batch at a time as runs are recorded.",
        ),
        var(
            "VITALS_ALERT_RETENTION",
            Secrecy::Public,
            Some("90d"),
            "Resolved alerts older than this are pruned (as runs are recorded).",
        ),
        var(
            "VITALS_ANOMALY",
            Secrecy::Public,
            Some("on"),
            "off to stop judging recorded metrics against their recent history (anomalies make a healthy check degraded and raise {check}_anomaly with --alert).",
        ),
        var(
            "VITALS_ANOMALY_MIN_SAMPLES",
            Secrecy::Public,
            Some("30"),
            "Recorded values a metric needs before it is judged (3 to 1440).",
        ),
        var(
            "VITALS_ANOMALY_RUNS",
            Secrecy::Public,
            Some("3"),
            "Recorded runs in a row outside a metric's usual band that make an anomaly (1 to 100).",
        ),
    ],
};

/// How long each kind of record is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub raw: Duration,
    pub hourly: Duration,
    pub daily: Duration,
}

const DAY: Duration = Duration::from_secs(24 * 3600);

impl Default for Retention {
    fn default() -> Self {
        Retention {
            raw: DAY * 14,
            hourly: DAY * 90,
            daily: DAY * 730,
        }
    }
}

/// The history's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct HistorySettings {
    /// `VITALS_RECORD`.
    pub record: bool,
    pub retention: Retention,
    /// `VITALS_ALERT_RETENTION`: resolved alerts older than this are pruned.
    pub alert_retention: Duration,
    pub anomaly: Rule,
    /// The `[[maintenance]]` windows of `vitals.toml`, check names
    /// canonical: runs in one that covers their check are marked.
    pub maintenance: Vec<MaintenanceWindow>,
}

impl Default for HistorySettings {
    fn default() -> Self {
        HistorySettings {
            record: false,
            retention: Retention::default(),
            alert_retention: DAY * 90,
            anomaly: Rule::default(),
            maintenance: Vec::new(),
        }
    }
}

impl HistorySettings {
    pub fn read(r: &mut Reader<'_>) -> HistorySettings {
        let defaults = HistorySettings::default();
        HistorySettings {
            record: r.optional("VITALS_RECORD", parse_switch).unwrap_or(false),
            retention: r
                .optional("VITALS_HISTORY_RETENTION", parse_retention)
                .unwrap_or(defaults.retention),
            alert_retention: r
                .optional("VITALS_ALERT_RETENTION", parse_long_duration)
                .unwrap_or(defaults.alert_retention),
            anomaly: Rule {
                enabled: r
                    .optional("VITALS_ANOMALY", parse_switch)
                    .unwrap_or(defaults.anomaly.enabled),
                min_samples: r
                    .optional("VITALS_ANOMALY_MIN_SAMPLES", |v| {
                        parse_between(v, 3, MAX_WINDOW as u64)
                    })
                    .map_or(defaults.anomaly.min_samples, |n| n as usize),
                runs: r
                    .optional("VITALS_ANOMALY_RUNS", |v| parse_between(v, 1, 100))
                    .map_or(defaults.anomaly.runs, |n| n as u32),
            },
            // Read with the other declarations of `vitals.toml` (settings).
            maintenance: Vec::new(),
        }
    }
}

/// `1`, `true`, `yes`, `on` or `0`, `false`, `no`, `off`, in any case.
pub fn parse_switch(value: &str) -> Result<bool, Expected> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(Expected::new("1 or 0 (also true/false, yes/no, on/off)")),
    }
}

/// A whole number from `low` to `high`.
fn parse_between(value: &str, low: u64, high: u64) -> Result<u64, Expected> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (low..=high).contains(n))
        .ok_or_else(|| Expected(format!("a whole number from {low} to {high}")))
}

/// The longest retention: ten years.
const MAX_RETENTION: Duration = Duration::from_secs(10 * 366 * 24 * 3600);

/// A duration of days or years: `90d`, `2y`, `12h` (at least an hour, at most ten years).
fn parse_long_duration(value: &str) -> Result<Duration, Expected> {
    let expected = || Expected::new("a duration such as 14d, 90d or 2y (from 1h to 10y)");
    let d = humantime::parse_duration(value.trim()).map_err(|_| expected())?;
    if d < Duration::from_secs(3600) || d > MAX_RETENTION {
        return Err(expected());
    }
    Ok(d)
}

/// `raw=14d,hourly=90d,daily=2y`, any of the three; the others keep their defaults.
pub fn parse_retention(value: &str) -> Result<Retention, Expected> {
    let expected = |why: String| {
        Expected(format!(
            "KIND=DURATION pairs such as raw=14d,hourly=90d,daily=2y ({why})"
        ))
    };
    let mut retention = Retention::default();
    let mut seen: Vec<&str> = Vec::new();
    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (kind, duration) = item
            .split_once('=')
            .ok_or_else(|| expected(format!("{item:?} has no =")))?;
        let kind = kind.trim();
        let d = parse_long_duration(duration)
            .map_err(|e| expected(format!("{kind}: expected {}", e.0)))?;
        match kind {
            "raw" => retention.raw = d,
            "hourly" => retention.hourly = d,
            "daily" => retention.daily = d,
            other => {
                return Err(expected(format!(
                    "{other:?} is not one of raw, hourly, daily"
                )));
            }
        }
        if seen.contains(&kind) {
            return Err(expected(format!("{kind} is given twice")));
        }
        seen.push(kind);
    }
    if seen.is_empty() {
        return Err(expected("nothing given".to_owned()));
    }
    Ok(retention)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_takes_any_of_its_three_kinds() {
        assert_eq!(
            parse_retention("raw=7d"),
            Ok(Retention {
                raw: DAY * 7,
                ..Retention::default()
            })
        );
        assert_eq!(
            parse_retention(" raw=14d, hourly=90d ,daily=2y"),
            Ok(Retention {
                raw: DAY * 14,
                hourly: DAY * 90,
                // humantime's year is 365.25 days.
                daily: Duration::from_secs(2 * 31_557_600),
            })
        );
        let refused = |v: &str| parse_retention(v).err().map(|e| e.0);
        let pairs = "KIND=DURATION pairs such as raw=14d,hourly=90d,daily=2y";
        assert_eq!(
            refused("raw=7d,weekly=1y"),
            Some(format!(
                "{pairs} (\"weekly\" is not one of raw, hourly, daily)"
            ))
        );
        assert_eq!(
            refused("raw=soon"),
            Some(format!(
                "{pairs} (raw: expected a duration such as 14d, 90d or 2y (from 1h to 10y))"
            ))
        );
        assert_eq!(
            refused("raw=1d,raw=2d"),
            Some(format!("{pairs} (raw is given twice)"))
        );
        assert_eq!(refused("raw"), Some(format!("{pairs} (\"raw\" has no =)")));
        assert_eq!(refused(","), Some(format!("{pairs} (nothing given)")));
    }

    #[test]
    fn switches_read_the_usual_words() {
        assert_eq!(parse_switch("1"), Ok(true));
        assert_eq!(parse_switch("ON"), Ok(true));
        assert_eq!(parse_switch("no"), Ok(false));
        assert!(parse_switch("maybe").is_err());
    }
}
