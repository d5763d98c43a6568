//! What the dashboard and `/metrics` show from the check history: each
//! served check's uptime over the last day, week and month, its last day
//! in columns (status strip and response-time chart), and the latest
//! incidents and anomalies across checks. Read at most once a round (the
//! history changes once a round), with one query set for every check.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::chart::{Trend, status_of};
use crate::config::StoreSettings;
use crate::history::{self, Asked, Incident, PastAnomaly, ReadError};
use crate::metrics::{Metric, Unit};
use crate::output::prometheus;
use crate::redact;

/// The windows, as `window` labels them and `--since` reads them.
pub const WINDOWS: [&str; 3] = ["24h", "7d", "30d"];

/// The window of the status strip and response-time chart.
const TREND: usize = 0;

/// The window the dashboard lists incidents and anomalies from.
const RECENT: usize = 1;

/// The most incidents, and the most anomalies, the dashboard lists.
pub const MAX_RECENT: usize = 10;

/// Each check's share of time up (healthy or degraded) in each of
/// [`WINDOWS`], as a ratio; `None` where nothing was recorded.
pub type Uptimes = BTreeMap<String, [Option<f64>; 3]>;

/// What the history says of the served checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Past {
    pub uptimes: Uptimes,
    /// Each check's last day, by its name.
    pub trends: BTreeMap<String, Trend>,
    /// The latest incidents of the last week across checks, newest first.
    pub incidents: Vec<(String, Incident)>,
    /// The latest anomalies of the last week across checks, newest first.
    pub anomalies: Vec<(String, PastAnomaly)>,
    /// The uptimes as `/metrics` prints them (see [`metrics`]): rendered
    /// and scrubbed once a read, not once a scrape; empty with no uptimes.
    pub exposition: String,
}

/// What the history says of `checks` (canonical names) at `now`.
pub async fn read(
    store: &StoreSettings,
    checks: &[String],
    now: DateTime<Utc>,
    timeout: Duration,
) -> Result<Past, ReadError> {
    let mut past = Past {
        uptimes: checks.iter().map(|c| (c.clone(), [None; 3])).collect(),
        ..Past::default()
    };
    let asked: Vec<Asked<'_>> = WINDOWS
        .iter()
        .enumerate()
        .map(|(w, window)| Asked {
            names: checks,
            since: window,
            until: None,
            instance: None,
            anomalies: w == RECENT,
        })
        .collect();
    let reports = history::reports(store, &asked, now, timeout).await?;
    for (w, report) in reports.into_iter().enumerate() {
        for summary in report.checks {
            if let Some(slot) = past.uptimes.get_mut(&summary.check) {
                slot[w] = summary.uptime_percent.map(|p| p / 100.0);
            }
            if w == TREND && summary.samples > 0 {
                let trend = Trend {
                    since: summary.since,
                    until: summary.until,
                    statuses: summary
                        .buckets
                        .iter()
                        .map(|b| b.status.as_deref().map(status_of))
                        .collect(),
                    response_ms: summary.buckets.iter().map(|b| b.response_ms).collect(),
                };
                past.trends.insert(summary.check.clone(), trend);
            }
            if w == RECENT {
                let check = &summary.check;
                past.incidents
                    .extend(summary.incidents.into_iter().map(|i| (check.clone(), i)));
                past.anomalies.extend(
                    summary
                        .anomalies
                        .into_iter()
                        .flatten()
                        .map(|a| (check.clone(), a)),
                );
            }
        }
    }
    past.incidents
        .sort_by(|a, b| b.1.started_at.cmp(&a.1.started_at).then(a.0.cmp(&b.0)));
    past.incidents.truncate(MAX_RECENT);
    past.anomalies
        .sort_by(|a, b| b.1.since.cmp(&a.1.since).then(a.0.cmp(&b.0)));
    past.anomalies.truncate(MAX_RECENT);
    past.exposition = redact::scrub(&prometheus::families(&metrics(&past.uptimes))).into_owned();
    Ok(past)
}

/// `vitals_uptime_ratio{check,window}`, for the windows with a figure.
fn metrics(uptimes: &Uptimes) -> Vec<Metric> {
    uptimes
        .iter()
        .flat_map(|(check, ratios)| {
            WINDOWS
                .iter()
                .zip(ratios)
                .filter_map(move |(window, ratio)| {
                    ratio.map(|r| {
                        Metric::gauge(
                            "uptime_ratio",
                            "Share of the time the check was healthy or degraded over the window, from its recorded runs.",
                            Unit::Ratio,
                            Some(r),
                        )
                        .label("check", check.clone())
                        .label("window", *window)
                    })
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::prometheus;

    #[test]
    fn uptimes_are_one_family_with_a_check_and_a_window() {
        let uptimes: Uptimes = [
            ("cache".to_owned(), [Some(0.5), Some(0.75), None]),
            ("database".to_owned(), [None, None, None]),
        ]
        .into_iter()
        .collect();
        let text = prometheus::families(&metrics(&uptimes));
        let samples: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            samples,
            [
                r#"vitals_uptime_ratio{check="cache",window="24h"} 0.5"#,
                r#"vitals_uptime_ratio{check="cache",window="7d"} 0.75"#,
            ]
        );
        assert_eq!(text.matches("# TYPE vitals_uptime_ratio gauge").count(), 1);
    }
}
