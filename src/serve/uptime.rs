//! Each served check's uptime over the last day, week and month, read from
//! the check history for `/metrics` and the dashboard, and the metrics that
//! say it (a pure function).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::StoreSettings;
use crate::history::{self, Asked, ReadError};
use crate::metrics::{Metric, Unit};

/// The windows, as `window` labels them and `--since` reads them.
pub const WINDOWS: [&str; 3] = ["24h", "7d", "30d"];

/// Each check's share of time up (healthy or degraded) in each of
/// [`WINDOWS`], as a ratio; `None` where nothing was recorded.
pub type Uptimes = BTreeMap<String, [Option<f64>; 3]>;

/// The uptimes of `checks` (canonical names) at `now`.
pub async fn read(
    store: &StoreSettings,
    checks: &[String],
    now: DateTime<Utc>,
    timeout: Duration,
) -> Result<Uptimes, ReadError> {
    let mut uptimes: Uptimes = checks.iter().map(|c| (c.clone(), [None; 3])).collect();
    for (w, window) in WINDOWS.iter().enumerate() {
        let asked = Asked {
            names: checks,
            since: window,
            until: None,
            instance: None,
            anomalies: false,
        };
        for summary in history::report(store, &asked, now, timeout).await?.checks {
            if let Some(slot) = uptimes.get_mut(&summary.check) {
                slot[w] = summary.uptime_percent.map(|p| p / 100.0);
            }
        }
    }
    Ok(uptimes)
}

/// `vitals_uptime_ratio{check,window}`, for the windows with a figure.
pub fn metrics(uptimes: &Uptimes) -> Vec<Metric> {
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
