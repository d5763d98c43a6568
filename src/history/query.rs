//! What `vitals history` reports of a check over a range of time: runs,
//! shares of time in each status, response time percentiles, the current
//! status and the incidents. Recorded runs answer for the time they are
//! kept; older time is answered from the hourly, then daily, roll-ups.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::maintain::{
    DAY_MS, Figures, HOUR_MS, float_at, int_at, percentile, status_times, text_at,
    weighted_percentile,
};
use super::record::{first_id, started_ms};
use super::{MAX_MESSAGE_CHARS, RESPONSE_TIME, unit_name, unit_of};
use crate::store::{Backend, Cell, Param, Result, Row, int, text};
use crate::text;

/// Which checks, instances and time `history` looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// Canonical names; every check with data in the range when empty.
    pub checks: Vec<String>,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub instance: Option<String>,
    /// Columns of the status strip and sparkline.
    pub buckets: usize,
    /// Whether to list the anomalies of the range.
    pub anomalies: bool,
}

/// An anomaly the history kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PastAnomaly {
    pub instance: String,
    pub metric: String,
    pub unit: &'static str,
    #[serde(serialize_with = "rfc3339")]
    pub since: DateTime<Utc>,
    /// When the first run back in the band ran; `null` while it lasts.
    #[serde(serialize_with = "rfc3339_or_null")]
    pub until: Option<DateTime<Utc>>,
    /// The value furthest from the baseline, and the latest.
    pub peak: f64,
    pub last_value: f64,
    pub baseline: f64,
    pub band: [f64; 2],
}

/// The most incidents listed per check (the latest).
pub const MAX_INCIDENTS: usize = 100;

/// A stretch of runs not healthy, on one instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub instance: String,
    /// The worst status of the stretch.
    pub status: String,
    #[serde(serialize_with = "rfc3339")]
    pub started_at: DateTime<Utc>,
    /// When the first healthy run after it started; `null` while it lasts.
    #[serde(serialize_with = "rfc3339_or_null")]
    pub ended_at: Option<DateTime<Utc>>,
    /// Until `ended_at`, or until now while it lasts.
    pub duration_seconds: f64,
    /// What its first run said.
    pub message: String,
}

/// Percentiles of the response time, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseTimes {
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
}

/// One column of the status strip and sparkline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bucket {
    /// The worst status seen in it; `None` when nothing ran.
    pub status: Option<String>,
    /// The slowest response time in it, in milliseconds.
    pub response_ms: Option<f64>,
}

/// One check's history over the range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub check: String,
    #[serde(serialize_with = "rfc3339")]
    pub since: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub until: DateTime<Utc>,
    pub instances: Vec<String>,
    /// Runs in the range.
    pub samples: i64,
    pub runs_by_status: BTreeMap<String, i64>,
    /// Percent of the time in each status.
    pub time_percent: BTreeMap<String, f64>,
    /// Percent of the time healthy or degraded (the dependency answered).
    pub uptime_percent: Option<f64>,
    pub response_time_ms: Option<ResponseTimes>,
    /// The status of the latest run, and since when it has held on its instance.
    pub status: Option<String>,
    #[serde(serialize_with = "rfc3339_or_null")]
    pub status_since: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339_or_null")]
    pub last_run_at: Option<DateTime<Utc>>,
    pub message: Option<String>,
    /// All incidents in the range; `incidents` lists the latest [`MAX_INCIDENTS`].
    pub incidents_total: usize,
    pub incidents: Vec<Incident>,
    /// With `--anomalies`: the anomalies of the range, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anomalies: Option<Vec<PastAnomaly>>,
    #[serde(skip)]
    pub buckets: Vec<Bucket>,
}

fn rfc3339<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

fn rfc3339_or_null<S: serde::Serializer>(
    at: &Option<DateTime<Utc>>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match at {
        Some(at) => rfc3339(at, s),
        None => s.serialize_none(),
    }
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// How bad a status is, by its name: a name this vitals does not know
/// counts as unknown.
fn rank(status: &str) -> u8 {
    match status {
        "healthy" => 0,
        "degraded" => 1,
        "unhealthy" => 3,
        _ => 2,
    }
}

fn worse(a: Option<String>, b: &str) -> Option<String> {
    match a {
        Some(a) if rank(&a) >= rank(b) => Some(a),
        _ => Some(b.to_owned()),
    }
}

/// Where each source of the history answers from: raw runs from `raw`
/// on, hourly roll-ups from `hourly` to `raw`, daily ones before.
struct Sources {
    raw: i64,
    hourly: i64,
}

async fn sources(db: &mut dyn Backend) -> Result<Sources> {
    let oldest_run = first_cell(&db.query("SELECT MIN(id) FROM history_runs", &[]).await?)?;
    let oldest_hour = first_cell(
        &db.query(
            "SELECT MIN(bucket) FROM history_status_rollups WHERE period = 'hour'",
            &[],
        )
        .await?,
    )?;
    let hourly_mark = first_cell(
        &db.query("SELECT at FROM history_marks WHERE name = 'hourly'", &[])
            .await?,
    )?;
    let daily_mark = first_cell(
        &db.query("SELECT at FROM history_marks WHERE name = 'daily'", &[])
            .await?,
    )?;
    // The first whole hour of raw runs, unless the hour before it is not
    // rolled up yet: then the raw runs answer from their very first.
    let raw = oldest_run.map_or(i64::MAX, |id| {
        let first = started_ms(id);
        ceil(first, HOUR_MS).min(hourly_mark.unwrap_or(first).max(first))
    });
    let hourly = oldest_hour.map_or(raw, |ms| {
        ceil(ms, DAY_MS)
            .min(daily_mark.unwrap_or(ms).max(ms))
            .min(raw)
    });
    Ok(Sources { raw, hourly })
}

fn ceil(ms: i64, unit: i64) -> i64 {
    (ms + unit - 1).div_euclid(unit) * unit
}

fn first_cell(rows: &[Row]) -> Result<Option<i64>> {
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .map(Cell::int)
        .transpose()?
        .flatten())
}

pub(super) async fn summarize(
    db: &mut dyn Backend,
    filter: &Filter,
    now: DateTime<Utc>,
) -> Result<Vec<Summary>> {
    let checks = if filter.checks.is_empty() {
        let rows = db
            .query(
                "SELECT DISTINCT check_name FROM history_runs \
                 UNION SELECT DISTINCT check_name FROM history_status_rollups",
                &[],
            )
            .await?;
        let mut names: Vec<String> = rows.iter().map(|r| text_at(r, 0)).collect::<Result<_>>()?;
        names.sort();
        names
    } else {
        filter.checks.clone()
    };
    let sources = sources(db).await?;
    let mut out = Vec::new();
    for check in checks {
        let summary = summarize_check(db, filter, &check, &sources, now).await?;
        // Every check named is reported; the others only when they have data.
        if summary.samples > 0 || !filter.checks.is_empty() {
            out.push(summary);
        }
    }
    Ok(out)
}

/// A raw run as the summary reads it.
struct RawRun {
    id: i64,
    instance: String,
    at: i64,
    status: String,
    /// Kept only for runs that were not healthy.
    message: Option<String>,
}

async fn summarize_check(
    db: &mut dyn Backend,
    filter: &Filter,
    check: &str,
    sources: &Sources,
    now: DateTime<Utc>,
) -> Result<Summary> {
    let since = filter.since.timestamp_millis();
    let until = filter
        .until
        .timestamp_millis()
        .min(now.timestamp_millis())
        .max(since);
    let width = (until - since).max(1);
    let columns = filter.buckets.max(1);
    let column = |ms: i64| {
        usize::try_from(
            ((ms - since).clamp(0, width - 1) as i128 * columns as i128 / width as i128) as i64,
        )
        .unwrap_or(0)
        .min(columns - 1)
    };
    let mut buckets = vec![Bucket::default(); columns];
    let mut runs_by_status: BTreeMap<String, i64> = BTreeMap::new();
    let mut time_by_status: BTreeMap<String, i64> = BTreeMap::new();
    let mut instances: Vec<String> = Vec::new();
    let mut note_instance = |name: String| {
        if !instances.contains(&name) {
            instances.push(name);
        }
    };

    // The response time's series of this check (one per instance).
    let mut params = vec![text(check), text(RESPONSE_TIME)];
    let mut instance_sql = String::new();
    if let Some(instance) = &filter.instance {
        params.push(text(instance));
        instance_sql = format!(" AND instance = ${}", params.len());
    }
    let series: Vec<i64> = db
        .query(
            &format!(
                "SELECT id FROM history_series WHERE check_name = $1 AND metric = $2{instance_sql}"
            ),
            &params,
        )
        .await?
        .iter()
        .map(|r| int_at(r, 0))
        .collect::<Result<_>>()?;
    let series_list = series
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");

    // Roll-ups, for the time before the raw runs. A day's roll-up stands
    // for the whole day: when the hourly ones (or the raw runs) start within
    // a day, that day is read from them, not from its roll-up as well.
    let hourly = sources.hourly.div_euclid(DAY_MS) * DAY_MS;
    let mut figures: Vec<Figures> = Vec::new();
    for (period, from, to) in [
        ("day", since, hourly.min(until)),
        ("hour", since.max(hourly), sources.raw.min(until)),
    ] {
        if from >= to {
            continue;
        }
        let unit = if period == "day" { DAY_MS } else { HOUR_MS };
        let from = from.div_euclid(unit) * unit;
        let mut p: Vec<Param> = vec![text(period), text(check), int(from), int(to)];
        let mut only = String::new();
        if let Some(instance) = &filter.instance {
            p.push(text(instance));
            only = " AND instance = $5".to_owned();
        }
        let rows = db
            .query(
                &format!(
                    "SELECT bucket, instance, status, runs, time_ms FROM history_status_rollups \
                     WHERE period = $1 AND check_name = $2 AND bucket >= $3 AND bucket < $4{only}"
                ),
                &p,
            )
            .await?;
        for r in &rows {
            let (bucket, status) = (int_at(r, 0)?, text_at(r, 2)?);
            note_instance(text_at(r, 1)?);
            *runs_by_status.entry(status.clone()).or_default() += int_at(r, 3)?;
            *time_by_status.entry(status.clone()).or_default() += int_at(r, 4)?;
            let b = &mut buckets[column(bucket)];
            b.status = worse(b.status.take(), &status);
        }
        if series.is_empty() {
            continue;
        }
        let rows = db
            .query(
                &format!(
                    "SELECT bucket, samples, total, low, high, p50, p95 FROM history_metric_rollups \
                     WHERE period = $1 AND bucket >= $2 AND bucket < $3 AND series IN ({series_list})"
                ),
                &[text(period), int(from), int(to)],
            )
            .await?;
        for r in &rows {
            let f = Figures {
                samples: int_at(r, 1)?,
                total: float_at(r, 2)?,
                low: float_at(r, 3)?,
                high: float_at(r, 4)?,
                p50: float_at(r, 5)?,
                p95: float_at(r, 6)?,
            };
            let b = &mut buckets[column(int_at(r, 0)?)];
            b.response_ms = Some(b.response_ms.unwrap_or(0.0).max(f.high * 1000.0));
            figures.push(f);
        }
    }

    // Raw runs.
    let raw_from = since.max(sources.raw).min(until);
    let mut p: Vec<Param> = vec![text(check), int(raw_from), int(until)];
    let mut only = String::new();
    if let Some(instance) = &filter.instance {
        p.push(text(instance));
        only = " AND instance = $4".to_owned();
    }
    let rows = db
        .query(
            &format!(
                "SELECT id, instance, started_at, status, \
                 CASE WHEN status <> 'healthy' THEN message END FROM history_runs \
                 WHERE check_name = $1 AND started_at >= $2 AND started_at < $3{only} \
                 ORDER BY started_at, id"
            ),
            &p,
        )
        .await?;
    let runs: Vec<RawRun> = rows
        .iter()
        .map(|r| {
            Ok(RawRun {
                id: int_at(r, 0)?,
                instance: text_at(r, 1)?,
                at: int_at(r, 2)?,
                status: text_at(r, 3)?,
                message: r.get(4).map(Cell::text).transpose()?.flatten().map(bounded),
            })
        })
        .collect::<Result<_>>()?;
    let mut response: BTreeMap<i64, f64> = BTreeMap::new();
    if !series.is_empty() && !runs.is_empty() {
        let rows = db
            .query(
                &format!(
                    "SELECT run_id, value FROM history_samples \
                     WHERE series IN ({series_list}) AND run_id >= $1 AND run_id < $2"
                ),
                &[int(first_id(raw_from)), int(first_id(until))],
            )
            .await?;
        for r in &rows {
            response.insert(int_at(r, 0)?, float_at(r, 1)? * 1000.0);
        }
    }
    let keyed: Vec<(String, String, i64, String)> = runs
        .iter()
        .map(|r| (String::new(), r.instance.clone(), r.at, r.status.clone()))
        .collect();
    let times = status_times(&keyed, until);
    for (run, time) in runs.iter().zip(&times) {
        note_instance(run.instance.clone());
        *runs_by_status.entry(run.status.clone()).or_default() += 1;
        *time_by_status.entry(run.status.clone()).or_default() += time;
        let b = &mut buckets[column(run.at)];
        b.status = worse(b.status.take(), &run.status);
        if let Some(ms) = response.get(&run.id) {
            b.response_ms = Some(b.response_ms.unwrap_or(0.0).max(*ms));
        }
    }

    let samples = runs_by_status.values().sum();
    let total_time: i64 = time_by_status.values().sum();
    let percent = |t: i64| round2(t as f64 * 100.0 / total_time as f64);
    let time_percent: BTreeMap<String, f64> = if total_time > 0 {
        time_by_status
            .iter()
            .map(|(s, t)| (s.clone(), percent(*t)))
            .collect()
    } else {
        BTreeMap::new()
    };
    let uptime_percent = (total_time > 0).then(|| {
        percent(
            ["healthy", "degraded"]
                .iter()
                .filter_map(|s| time_by_status.get(*s))
                .sum(),
        )
    });
    let response_time_ms = response_times(response.values().copied().collect(), &figures);
    let (incidents_total, incidents) = incidents(&runs, now.timestamp_millis());
    let last = runs.last();
    let status_since = last.map(|last| {
        runs.iter()
            .rev()
            .filter(|r| r.instance == last.instance)
            .take_while(|r| r.status == last.status)
            .last()
            .map_or(last.at, |r| r.at)
    });
    let message = match last {
        Some(last) => {
            let rows = db
                .query(
                    "SELECT message FROM history_runs WHERE id = $1",
                    &[int(last.id)],
                )
                .await?;
            rows.first()
                .map(|r| text_at(r, 0))
                .transpose()?
                .map(bounded)
        }
        None => None,
    };
    Ok(Summary {
        check: check.to_owned(),
        since: filter.since,
        until: at(until),
        instances,
        samples,
        runs_by_status,
        time_percent,
        uptime_percent,
        response_time_ms,
        status: last.map(|r| r.status.clone()),
        status_since: status_since.map(at),
        last_run_at: last.map(|r| at(r.at)),
        message,
        incidents_total,
        incidents,
        anomalies: match filter.anomalies {
            true => Some(past_anomalies(db, filter, check, since, until).await?),
            false => None,
        },
        buckets,
    })
}

/// The anomalies of a check that overlap the range.
async fn past_anomalies(
    db: &mut dyn Backend,
    filter: &Filter,
    check: &str,
    since: i64,
    until: i64,
) -> Result<Vec<PastAnomaly>> {
    let mut params = vec![text(check), int(since), int(until)];
    let mut only = String::new();
    if let Some(instance) = &filter.instance {
        params.push(text(instance));
        only = " AND s.instance = $4".to_owned();
    }
    let rows = db
        .query(
            &format!(
                "SELECT s.instance, s.metric, s.unit, a.since, a.until, a.peak, a.last_value, \
                 a.baseline, a.band_low, a.band_high FROM history_anomalies a \
                 JOIN history_series s ON s.id = a.series \
                 WHERE s.check_name = $1 AND a.since < $3 AND (a.until IS NULL OR a.until >= $2){only} \
                 ORDER BY a.since, s.metric"
            ),
            &params,
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(PastAnomaly {
                instance: text_at(r, 0)?,
                metric: text_at(r, 1)?,
                unit: unit_name(unit_of(&text_at(r, 2)?)),
                since: at(int_at(r, 3)?),
                until: r.get(4).map(Cell::int).transpose()?.flatten().map(at),
                peak: float_at(r, 5)?,
                last_value: float_at(r, 6)?,
                baseline: float_at(r, 7)?,
                band: [float_at(r, 8)?, float_at(r, 9)?],
            })
        })
        .collect()
}

/// Stored text as it is read: whatever wrote the store, on one line,
/// scrubbed of known secrets and at most [`MAX_MESSAGE_CHARS`] long.
fn bounded(message: String) -> String {
    text::one_line(&message, MAX_MESSAGE_CHARS)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Exact nearest-rank percentiles of the raw values; with roll-ups, their
/// p50 and p95 weigh as many samples as they stand for.
fn response_times(mut raw: Vec<f64>, rolled: &[Figures]) -> Option<ResponseTimes> {
    if raw.is_empty() && rolled.is_empty() {
        return None;
    }
    raw.sort_by(f64::total_cmp);
    let max = rolled
        .iter()
        .map(|f| f.high * 1000.0)
        .chain(raw.last().copied())
        .fold(f64::NEG_INFINITY, f64::max);
    let (p50, p95) = if rolled.is_empty() {
        (percentile(&raw, 50.0)?, percentile(&raw, 95.0)?)
    } else {
        let pick = |of: fn(&Figures) -> f64, p: f64| {
            let mut points: Vec<(f64, f64)> = raw.iter().map(|v| (*v, 1.0)).collect();
            points.extend(rolled.iter().map(|f| (of(f) * 1000.0, f.samples as f64)));
            weighted_percentile(&mut points, p)
        };
        (pick(|f| f.p50, 50.0)?, pick(|f| f.p95, 95.0)?)
    };
    Some(ResponseTimes {
        p50: round2(p50),
        p95: round2(p95),
        max: round2(max),
    })
}

/// The stretches of runs that were not healthy, per instance, latest last:
/// how many there are, and the latest [`MAX_INCIDENTS`].
fn incidents(runs: &[RawRun], now: i64) -> (usize, Vec<Incident>) {
    let mut open: BTreeMap<&str, Incident> = BTreeMap::new();
    let mut all: Vec<Incident> = Vec::new();
    for run in runs {
        let healthy = run.status == "healthy";
        match (open.remove(run.instance.as_str()), healthy) {
            (Some(mut incident), true) => {
                incident.ended_at = Some(at(run.at));
                incident.duration_seconds =
                    (run.at - incident.started_at.timestamp_millis()) as f64 / 1000.0;
                all.push(incident);
            }
            (Some(mut incident), false) => {
                incident.status = worse(Some(incident.status), &run.status).unwrap_or_default();
                open.insert(&run.instance, incident);
            }
            (None, false) => {
                open.insert(
                    &run.instance,
                    Incident {
                        instance: run.instance.clone(),
                        status: run.status.clone(),
                        started_at: at(run.at),
                        ended_at: None,
                        duration_seconds: 0.0,
                        message: run.message.clone().unwrap_or_default(),
                    },
                );
            }
            (None, true) => {}
        }
    }
    for (_, mut incident) in open {
        incident.duration_seconds =
            ((now - incident.started_at.timestamp_millis()).max(0)) as f64 / 1000.0;
        all.push(incident);
    }
    all.sort_by_key(|i| i.started_at);
    let total = all.len();
    let keep = all.split_off(total.saturating_sub(MAX_INCIDENTS));
    (total, keep)
}

/// `vitals history`'s document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    #[serde(serialize_with = "rfc3339")]
    pub since: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub until: DateTime<Utc>,
    pub instance: Option<String>,
    pub checks: Vec<Summary>,
}

/// `--since` and `--until`: a duration back from `now` (`24h`, `7d`), an
/// RFC 3339 time, or a date (midnight UTC).
pub fn parse_when(value: &str, now: DateTime<Utc>) -> std::result::Result<DateTime<Utc>, String> {
    let value = value.trim();
    if let Ok(back) = humantime::parse_duration(value) {
        return chrono::Duration::from_std(back)
            .ok()
            .and_then(|back| now.checked_sub_signed(back))
            .ok_or_else(|| format!("{value:?} reaches back too far"));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Ok(at.to_utc());
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    Err(format!(
        "expected a duration back from now (24h, 7d, 30d), an RFC 3339 time \
         (2026-11-30T12:00:00Z) or a date (2026-11-30), got {value:?}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_is_a_duration_back_a_time_or_a_date() {
        let now = at(1_764_504_000_000); // 2025-11-30T12:00:00Z
        assert_eq!(parse_when("24h", now), Ok(at(1_764_504_000_000 - DAY_MS)));
        assert_eq!(
            parse_when("7d", now),
            Ok(at(1_764_504_000_000 - 7 * DAY_MS))
        );
        assert_eq!(
            parse_when("2025-11-30T11:00:00+01:00", now),
            Ok(at(1_764_504_000_000 - 2 * HOUR_MS))
        );
        assert_eq!(
            parse_when("2025-11-30", now),
            Ok(at(1_764_504_000_000 - 12 * HOUR_MS))
        );
        assert!(parse_when("yesterday", now).is_err_and(|e| e.ends_with("got \"yesterday\"")));
    }

    fn run(instance: &str, at_ms: i64, status: &str) -> RawRun {
        RawRun {
            id: first_id(at_ms),
            instance: instance.to_owned(),
            at: at_ms,
            status: status.to_owned(),
            message: (status != "healthy").then(|| format!("{status} at {at_ms}")),
        }
    }

    #[test]
    fn incidents_are_unhealthy_stretches_per_instance() {
        let runs = [
            run("a", 0, "healthy"),
            run("a", 60_000, "degraded"),
            run("b", 60_000, "unhealthy"),
            run("a", 120_000, "unhealthy"),
            run("a", 180_000, "healthy"),
        ];
        let (total, list) = incidents(&runs, 300_000);
        assert_eq!(total, 2);
        assert_eq!(
            list,
            [
                Incident {
                    instance: "a".to_owned(),
                    status: "unhealthy".to_owned(),
                    started_at: at(60_000),
                    ended_at: Some(at(180_000)),
                    duration_seconds: 120.0,
                    message: "degraded at 60000".to_owned(),
                },
                Incident {
                    instance: "b".to_owned(),
                    status: "unhealthy".to_owned(),
                    started_at: at(60_000),
                    ended_at: None,
                    duration_seconds: 240.0,
                    message: "unhealthy at 60000".to_owned(),
                },
            ]
        );
    }
}
