//! `vitals history` as a table (with a status strip and a response-time
//! sparkline on a terminal) and as CSV.

use chrono::{DateTime, Local, Utc};

use super::table::{self, paint};
use super::{Render, Style, csv};
use crate::history::{Bucket, Report, Summary, unit_of};
use crate::metrics::amount;
use crate::status::Status;
use crate::text::printable;

/// The status a name stands for, for its colour; `None` for a name this
/// vitals does not know.
fn tone(name: &str) -> Option<Status> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// A time in the table: the local time of day, to the second.
fn local(at: DateTime<Utc>) -> String {
    at.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn ms(v: f64) -> String {
    format!("{v:.2} ms")
}

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2} %"))
}

fn status_word(style: &Style, name: &str) -> String {
    match tone(name) {
        Some(status) => table::status(style, status),
        None => printable(name).into_owned(),
    }
}

/// Columns of response times as bars of eight heights, scaled to the slowest.
fn sparkline(buckets: &[Bucket]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let top = buckets
        .iter()
        .filter_map(|b| b.response_ms)
        .fold(0.0_f64, f64::max);
    buckets
        .iter()
        .map(|b| match b.response_ms {
            Some(v) if top > 0.0 => BARS[((v / top) * 7.0).round().clamp(0.0, 7.0) as usize],
            Some(_) => BARS[0],
            None => ' ',
        })
        .collect()
}

/// Columns of the worst status, higher as it is worse, coloured when colour
/// is on; `m` (in the worst status's colour) where every run was in maintenance.
fn strip(style: &Style, buckets: &[Bucket]) -> String {
    buckets
        .iter()
        .map(|b| match b.status.as_deref() {
            None => " ".to_owned(),
            Some(name) => {
                let status = tone(name).unwrap_or(Status::Unhealthy);
                let bar = match name {
                    _ if b.maintenance() => "m",
                    "healthy" => "▁",
                    "degraded" => "▄",
                    "unhealthy" => "█",
                    _ => "▆",
                };
                paint(style, bar, status)
            }
        })
        .collect()
}

/// A time in maintenance as the table says it: `1h 0m`.
fn hours_minutes(seconds: f64) -> String {
    let minutes = (seconds.max(0.0) / 60.0).round() as u64;
    format!("{}h {}m", minutes / 60, minutes % 60)
}

fn current(style: &Style, c: &Summary) -> String {
    match (&c.status, c.status_since) {
        (Some(status), Some(since)) => {
            format!("{} since {}", status_word(style, status), local(since))
        }
        _ => "-".to_owned(),
    }
}

impl Render for Report {
    fn table(&self, style: &Style) -> String {
        let mut t = table::new(
            style,
            &[
                "CHECK",
                "RUNS",
                "UPTIME",
                "P50",
                "P95",
                "MAX",
                "STATUS",
                "INCIDENTS",
            ],
        );
        for c in &self.checks {
            let times = c.response_time_ms.as_ref();
            t.add_row(vec![
                printable(&c.check).into_owned(),
                c.samples.to_string(),
                percent(c.uptime_percent),
                times.map_or_else(|| "-".to_owned(), |r| ms(r.p50)),
                times.map_or_else(|| "-".to_owned(), |r| ms(r.p95)),
                times.map_or_else(|| "-".to_owned(), |r| ms(r.max)),
                current(style, c),
                c.incidents_total.to_string(),
            ]);
        }
        let mut out = format!(
            "history from {} to {}{}\n{t}",
            local(self.since),
            local(self.until),
            self.instance
                .as_deref()
                .map(|i| format!(" on {}", printable(i)))
                .unwrap_or_default()
        );
        if style.tty {
            let width = self
                .checks
                .iter()
                .map(|c| c.check.chars().count())
                .max()
                .unwrap_or(0);
            for c in self.checks.iter().filter(|c| c.samples > 0) {
                let legend = match c.buckets.iter().any(Bucket::maintenance) {
                    true => " (m: maintenance)",
                    false => "",
                };
                out.push_str(&format!(
                    "\n{:width$}  {}  response time\n{:width$}  {}  status{legend}",
                    printable(&c.check),
                    sparkline(&c.buckets),
                    "",
                    strip(style, &c.buckets),
                ));
            }
        }
        for c in self.checks.iter().filter(|c| c.maintenance_seconds > 0.0) {
            out.push_str(&format!(
                "\n{}: uptime leaves out {} of maintenance",
                printable(&c.check),
                hours_minutes(c.maintenance_seconds)
            ));
        }
        let incidents: Vec<String> = self
            .checks
            .iter()
            .flat_map(|c| c.incidents.iter().map(move |i| (c, i)))
            .map(|(c, i)| {
                let end = i.ended_at.map_or_else(|| "ongoing".to_owned(), local);
                format!(
                    "  {} on {}: {} from {} to {} ({}): {}",
                    printable(&c.check),
                    printable(&i.instance),
                    status_word(style, &i.status),
                    local(i.started_at),
                    end,
                    humantime::format_duration(std::time::Duration::from_secs(
                        i.duration_seconds.max(0.0).round() as u64
                    )),
                    printable(&i.message)
                )
            })
            .collect();
        if !incidents.is_empty() {
            out.push_str("\nincidents:\n");
            out.push_str(&incidents.join("\n"));
        }
        let anomalies: Vec<String> = self
            .checks
            .iter()
            .flat_map(|c| c.anomalies.iter().flatten().map(move |a| (c, a)))
            .map(|(c, a)| {
                let unit = unit_of(a.unit);
                let end = a.until.map_or_else(|| "ongoing".to_owned(), local);
                format!(
                    "  {} on {}: {} from {} to {}: peak {}, usually {} (band {} to {})",
                    printable(&c.check),
                    printable(&a.instance),
                    printable(&a.metric),
                    local(a.since),
                    end,
                    amount(a.peak, unit),
                    amount(a.baseline, unit),
                    amount(a.band[0], unit),
                    amount(a.band[1], unit),
                )
            })
            .collect();
        if self.checks.iter().any(|c| c.anomalies.is_some()) {
            out.push_str("\nanomalies:");
            if anomalies.is_empty() {
                out.push_str(" none");
            } else {
                out.push('\n');
                out.push_str(&anomalies.join("\n"));
            }
        }
        out
    }

    fn csv(&self) -> Option<String> {
        let mut out = csv::record(&[
            "check",
            "since",
            "until",
            "instances",
            "runs",
            "uptime_percent",
            "healthy_percent",
            "degraded_percent",
            "unhealthy_percent",
            "p50_ms",
            "p95_ms",
            "max_ms",
            "status",
            "status_since",
            "last_run_at",
            "incidents",
            "message",
            "maintenance_seconds",
        ]);
        let utc = crate::json::timestamp;
        let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        for c in &self.checks {
            let share = |s: &str| {
                number(
                    c.time_percent
                        .get(s)
                        .copied()
                        .or((!c.time_percent.is_empty()).then_some(0.0)),
                )
            };
            let times = c.response_time_ms.as_ref();
            out.push_str(&csv::record(&[
                c.check.clone(),
                utc(c.since),
                utc(c.until),
                c.instances.join(" "),
                c.samples.to_string(),
                number(c.uptime_percent),
                share("healthy"),
                share("degraded"),
                share("unhealthy"),
                number(times.map(|r| r.p50)),
                number(times.map(|r| r.p95)),
                number(times.map(|r| r.max)),
                c.status.clone().unwrap_or_default(),
                c.status_since.map(utc).unwrap_or_default(),
                c.last_run_at.map(utc).unwrap_or_default(),
                c.incidents_total.to_string(),
                c.message.clone().unwrap_or_default(),
                c.maintenance_seconds.to_string(),
            ]));
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(status: Option<&str>, ms: Option<f64>) -> Bucket {
        Bucket {
            status: status.map(str::to_owned),
            response_ms: ms,
            runs: i64::from(status.is_some()),
            maintenance_runs: 0,
        }
    }

    #[test]
    fn sparkline_scales_to_the_slowest_and_strip_rises_with_trouble() {
        let buckets = [
            bucket(Some("healthy"), Some(1.0)),
            bucket(None, None),
            bucket(Some("degraded"), Some(4.0)),
            bucket(Some("unhealthy"), Some(8.0)),
            bucket(Some("unknown"), Some(0.0)),
        ];
        assert_eq!(sparkline(&buckets), "▂ ▅█▁");
        let plain = Style {
            color: false,
            tty: true,
            width: None,
        };
        assert_eq!(strip(&plain, &buckets), "▁ ▄█▆");
        // A column is maintenance only when every run in it was.
        let mut maintenance = buckets.clone();
        maintenance[3].maintenance_runs = 1;
        maintenance[2].runs = 2;
        maintenance[2].maintenance_runs = 1;
        assert_eq!(strip(&plain, &maintenance), "▁ ▄m▆");
        assert_eq!(hours_minutes(3600.0), "1h 0m");
        assert_eq!(hours_minutes(5430.0), "1h 31m");
    }
}
