//! What `vitals history` reports of a check over a range of time: runs,
//! shares of time in each status, response time percentiles, the current
//! status and the incidents. Recorded runs answer for the time they are
//! kept; older time is answered from the hourly, then daily, roll-ups.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::maintain::{
    DAY_MS, Figures, HOUR_MS, MAX_GAP_MS, Time, float_at, int_at, percentile, status_times,
    text_at, weighted_percentile,
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
    #[serde(serialize_with = "crate::json::rfc3339")]
    pub since: DateTime<Utc>,
    /// When the first run back in the band ran; `null` while it lasts.
    #[serde(serialize_with = "crate::json::rfc3339_or_null")]
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
    #[serde(serialize_with = "crate::json::rfc3339")]
    pub started_at: DateTime<Utc>,
    /// When the first healthy run after it started; `null` while it lasts.
    #[serde(serialize_with = "crate::json::rfc3339_or_null")]
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
    /// Runs in it, and how many of them ran in maintenance.
    pub runs: i64,
    pub maintenance_runs: i64,
}

impl Bucket {
    /// Whether every run in it ran in maintenance.
    pub fn maintenance(&self) -> bool {
        self.runs > 0 && self.maintenance_runs == self.runs
    }
}

/// One check's history over the range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub check: String,
    #[serde(serialize_with = "crate::json::rfc3339")]
    pub since: DateTime<Utc>,
    #[serde(serialize_with = "crate::json::rfc3339")]
    pub until: DateTime<Utc>,
    pub instances: Vec<String>,
    /// Runs in the range.
    pub samples: i64,
    pub runs_by_status: BTreeMap<String, i64>,
    /// Percent of the time in each status.
    pub time_percent: BTreeMap<String, f64>,
    /// Percent of the time outside maintenance that was healthy or
    /// degraded (the dependency answered); `None` without such time.
    pub uptime_percent: Option<f64>,
    /// What the uptime leaves out: always `maintenance`.
    pub uptime_excludes: &'static str,
    /// Time in `[[maintenance]]` windows, every status.
    pub maintenance_seconds: f64,
    pub response_time_ms: Option<ResponseTimes>,
    /// The status of the latest run, and since when it has held on its instance.
    pub status: Option<String>,
    #[serde(serialize_with = "crate::json::rfc3339_or_null")]
    pub status_since: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::json::rfc3339_or_null")]
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

pub(super) fn at(ms: i64) -> DateTime<Utc> {
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
/// on, hourly roll-ups from `hourly` to `raw`, daily ones before. Hours
/// before `rolled` are rolled up, raw runs kept or not.
struct Sources {
    raw: i64,
    hourly: i64,
    rolled: i64,
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
    Ok(Sources {
        raw,
        hourly,
        rolled: hourly_mark.unwrap_or(i64::MIN),
    })
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
                "SELECT DISTINCT check_name FROM history_status_rollups",
                &[],
            )
            .await?;
        let mut names: Vec<String> = rows.iter().map(|r| text_at(r, 0)).collect::<Result<_>>()?;
        // The runs' names one index seek each, not by reading every run.
        let mut after = String::new();
        loop {
            let rows = db
                .query(
                    "SELECT MIN(check_name) FROM history_runs WHERE check_name > $1",
                    &[text(&after)],
                )
                .await?;
            match rows
                .first()
                .and_then(|r| r.first())
                .map(Cell::text)
                .transpose()?
                .flatten()
            {
                Some(name) => {
                    names.push(name.clone());
                    after = name;
                }
                None => break,
            }
        }
        names.sort();
        names.dedup();
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

/// One check (and instance, when asked) as the queries of a summary pick it.
struct Scope<'a> {
    check: &'a str,
    instance: Option<&'a str>,
    /// The ids of its response time's series (one per instance), joined
    /// with commas; empty when it has none.
    series: String,
}

impl Scope<'_> {
    /// The check's and instance's parameters after `params`, and the SQL
    /// that picks them (`check_name = $n`, and `AND instance = $m`).
    fn pick(&self, alias: &str, params: &mut Vec<Param>) -> String {
        params.push(text(self.check));
        let mut sql = format!("{alias}check_name = ${}", params.len());
        if let Some(instance) = self.instance {
            params.push(text(instance));
            sql.push_str(&format!(" AND {alias}instance = ${}", params.len()));
        }
        sql
    }
}

/// What a summary adds up, from roll-ups and raw runs alike.
struct Tally<'a> {
    column: &'a (dyn Fn(i64) -> usize + Sync),
    buckets: Vec<Bucket>,
    by_status: BTreeMap<String, Time>,
    /// Each instance, and when it was first seen.
    instances: BTreeMap<String, i64>,
    /// Response times of raw runs, in milliseconds.
    response: Vec<f64>,
    /// The response time's roll-ups.
    figures: Vec<Figures>,
}

impl Tally<'_> {
    fn runs(&mut self, instance: String, at: i64, status: &str, time: &Time) {
        let seen = self.instances.entry(instance).or_insert(at);
        *seen = (*seen).min(at);
        let sum = self.by_status.entry(status.to_owned()).or_default();
        sum.runs += time.runs;
        sum.ms += time.ms;
        sum.maintenance_runs += time.maintenance_runs;
        sum.maintenance_ms += time.maintenance_ms;
        let b = &mut self.buckets[(self.column)(at)];
        b.status = worse(b.status.take(), status);
        b.runs += time.runs;
        b.maintenance_runs += time.maintenance_runs;
    }

    fn slowest(&mut self, at: i64, ms: f64) {
        let b = &mut self.buckets[(self.column)(at)];
        b.response_ms = Some(b.response_ms.unwrap_or(0.0).max(ms));
    }

    /// The instances in the order they were first seen.
    fn instances(&self) -> Vec<String> {
        let mut seen: Vec<(&i64, &String)> = self.instances.iter().map(|(i, at)| (at, i)).collect();
        seen.sort();
        seen.into_iter().map(|(_, i)| i.clone()).collect()
    }
}

/// Adds the roll-ups of `period` whose buckets are in `from..to` and that
/// `keep` keeps.
async fn add_rollups(
    db: &mut dyn Backend,
    tally: &mut Tally<'_>,
    scope: &Scope<'_>,
    period: &str,
    (from, to): (i64, i64),
    keep: &(dyn Fn(i64) -> bool + Sync),
) -> Result<()> {
    let mut params = vec![text(period), int(from), int(to)];
    let pick = scope.pick("", &mut params);
    let rows = db
        .query(
            &format!(
                "SELECT bucket, instance, status, runs, time_ms, maintenance_runs, maintenance_ms \
                 FROM history_status_rollups \
                 WHERE period = $1 AND bucket >= $2 AND bucket < $3 AND {pick}"
            ),
            &params,
        )
        .await?;
    for r in &rows {
        let bucket = int_at(r, 0)?;
        if keep(bucket) {
            let time = Time {
                runs: int_at(r, 3)?,
                ms: int_at(r, 4)?,
                maintenance_runs: int_at(r, 5)?,
                maintenance_ms: int_at(r, 6)?,
            };
            tally.runs(text_at(r, 1)?, bucket, &text_at(r, 2)?, &time);
        }
    }
    if scope.series.is_empty() {
        return Ok(());
    }
    let rows = db
        .query(
            &format!(
                "SELECT bucket, samples, total, low, high, p50, p95 FROM history_metric_rollups \
                 WHERE period = $1 AND bucket >= $2 AND bucket < $3 AND series IN ({})",
                scope.series
            ),
            &[text(period), int(from), int(to)],
        )
        .await?;
    for r in &rows {
        let bucket = int_at(r, 0)?;
        if !keep(bucket) {
            continue;
        }
        let f = Figures::read(r)?;
        tally.slowest(bucket, f.high * 1000.0);
        tally.figures.push(f);
    }
    Ok(())
}

/// The whole hours of `from..until` that their hourly roll-ups answer for
/// as the raw runs would: rolled up (before `rolled`), over at least
/// [`MAX_GAP_MS`] before `until` (so that no run of theirs counts up to
/// the range's end), and each inside one column of the strip. The raw
/// runs answer for the rest: about two hours at the end of a range that
/// ends now, and an hour where a column ends.
fn rolled_hours(from: i64, until: i64, rolled: i64, column: &dyn Fn(i64) -> usize) -> Vec<i64> {
    let mut hours = Vec::new();
    let mut hour = ceil(from, HOUR_MS);
    while hour + HOUR_MS <= rolled && hour + HOUR_MS + MAX_GAP_MS <= until {
        if column(hour) == column(hour + HOUR_MS - 1) {
            hours.push(hour);
        }
        hour += HOUR_MS;
    }
    hours
}

/// The stretches of `from..until` that `hours` (sorted) leave to raw runs.
fn raw_spans(from: i64, until: i64, hours: &[i64]) -> Vec<(i64, i64)> {
    let mut spans = Vec::new();
    let mut at = from;
    for &hour in hours {
        if hour > at {
            spans.push((at, hour));
        }
        at = hour + HOUR_MS;
    }
    if until > at {
        spans.push((at, until));
    }
    spans
}

/// Adds the raw runs of `from..to` (and their response times). A run
/// counts until the next of its instance, so the first run of each
/// instance after `to` (up to [`MAX_GAP_MS`] after) is looked up too.
async fn add_raw(
    db: &mut dyn Backend,
    tally: &mut Tally<'_>,
    scope: &Scope<'_>,
    (from, to): (i64, i64),
    until: i64,
) -> Result<()> {
    let mut params = vec![int(from), int(to)];
    let pick = scope.pick("", &mut params);
    let rows = db
        .query(
            &format!(
                "SELECT instance, started_at, status, \
                 CASE WHEN maintenance IS NULL THEN 0 ELSE 1 END FROM history_runs \
                 WHERE started_at >= $1 AND started_at < $2 AND {pick} ORDER BY started_at, id"
            ),
            &params,
        )
        .await?;
    let mut runs: Vec<(String, String, i64, String)> = rows
        .iter()
        .map(|r| Ok((String::new(), text_at(r, 0)?, int_at(r, 1)?, text_at(r, 2)?)))
        .collect::<Result<_>>()?;
    let mut instances: Vec<String> = runs.iter().map(|r| r.1.clone()).collect();
    instances.sort();
    instances.dedup();
    let ahead = (to + MAX_GAP_MS).min(until);
    for instance in instances.into_iter().filter(|_| ahead > to) {
        let next = first_cell(
            &db.query(
                "SELECT started_at FROM history_runs WHERE check_name = $1 AND instance = $2 \
                 AND started_at >= $3 AND started_at < $4 ORDER BY started_at LIMIT 1",
                &[text(scope.check), text(&instance), int(to), int(ahead)],
            )
            .await?,
        )?;
        if let Some(at) = next {
            runs.push((String::new(), instance, at, String::new()));
        }
    }
    let times = status_times(&runs, until);
    for (((_, instance, at, status), ms), row) in runs.into_iter().zip(times).zip(&rows) {
        if at < to {
            let mut time = Time::default();
            time.add(1, ms, int_at(row, 3)? != 0);
            tally.runs(instance, at, &status, &time);
        }
    }
    if scope.series.is_empty() {
        return Ok(());
    }
    let rows = db
        .query(
            &format!(
                "SELECT run_id, value FROM history_samples \
                 WHERE series IN ({}) AND run_id >= $1 AND run_id < $2",
                scope.series
            ),
            &[int(first_id(from)), int(first_id(to))],
        )
        .await?;
    for r in &rows {
        let ms = float_at(r, 1)? * 1000.0;
        tally.slowest(started_ms(int_at(r, 0)?), ms);
        tally.response.push(ms);
    }
    Ok(())
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

    // The response time's series of this check (one per instance).
    let mut params = vec![text(RESPONSE_TIME)];
    let mut scope = Scope {
        check,
        instance: filter.instance.as_deref(),
        series: String::new(),
    };
    let pick = scope.pick("", &mut params);
    scope.series = db
        .query(
            &format!("SELECT id FROM history_series WHERE metric = $1 AND {pick}"),
            &params,
        )
        .await?
        .iter()
        .map(|r| int_at(r, 0).map(|id| id.to_string()))
        .collect::<Result<Vec<_>>>()?
        .join(", ");

    let mut tally = Tally {
        column: &column,
        buckets: vec![Bucket::default(); columns],
        by_status: BTreeMap::new(),
        instances: BTreeMap::new(),
        response: Vec::new(),
        figures: Vec::new(),
    };
    // Roll-ups, for the time before the raw runs. A day's roll-up stands
    // for the whole day: when the hourly ones (or the raw runs) start within
    // a day, that day is read from them, not from its roll-up as well.
    let hourly = sources.hourly.div_euclid(DAY_MS) * DAY_MS;
    for (period, from, to) in [
        ("day", since, hourly.min(until)),
        ("hour", since.max(hourly), sources.raw.min(until)),
    ] {
        if from < to {
            let unit = if period == "day" { DAY_MS } else { HOUR_MS };
            let from = from.div_euclid(unit) * unit;
            add_rollups(db, &mut tally, &scope, period, (from, to), &|_| true).await?;
        }
    }
    // The time of the raw runs: whole hours from their roll-ups where
    // these say the same, the rest from the runs.
    let raw_from = since.max(sources.raw).min(until);
    let hours = rolled_hours(raw_from, until, sources.rolled, &column);
    if let (Some(first), Some(last)) = (hours.first(), hours.last()) {
        let keep = |bucket: i64| hours.binary_search(&bucket).is_ok();
        add_rollups(
            db,
            &mut tally,
            &scope,
            "hour",
            (*first, last + HOUR_MS),
            &keep,
        )
        .await?;
    }
    for span in raw_spans(raw_from, until, &hours) {
        add_raw(db, &mut tally, &scope, span, until).await?;
    }

    let statuses: Vec<String> = tally.by_status.keys().cloned().collect();
    let (incidents_total, incidents) =
        incidents(db, &scope, &statuses, raw_from, until, now).await?;
    let last = latest(db, &scope, &statuses, raw_from, until).await?;
    let samples = tally.by_status.values().map(|t| t.runs).sum();
    let total_time: i64 = tally.by_status.values().map(|t| t.ms).sum();
    let time_percent: BTreeMap<String, f64> = if total_time > 0 {
        tally
            .by_status
            .iter()
            .map(|(s, t)| (s.clone(), round2(t.ms as f64 * 100.0 / total_time as f64)))
            .collect()
    } else {
        BTreeMap::new()
    };
    // Uptime is of the time outside maintenance: planned work is no outage.
    let outside = |t: &Time| t.ms - t.maintenance_ms;
    let outside_time: i64 = tally.by_status.values().map(outside).sum();
    let uptime_percent = (outside_time > 0).then(|| {
        let up: i64 = ["healthy", "degraded"]
            .iter()
            .filter_map(|s| tally.by_status.get(*s))
            .map(outside)
            .sum();
        round2(up as f64 * 100.0 / outside_time as f64)
    });
    let maintenance_ms: i64 = tally.by_status.values().map(|t| t.maintenance_ms).sum();
    let instances = tally.instances();
    let response_time_ms = response_times(std::mem::take(&mut tally.response), &tally.figures);
    Ok(Summary {
        check: check.to_owned(),
        since: filter.since,
        until: at(until),
        instances,
        samples,
        runs_by_status: tally
            .by_status
            .iter()
            .map(|(s, t)| (s.clone(), t.runs))
            .collect(),
        time_percent,
        uptime_percent,
        uptime_excludes: "maintenance",
        maintenance_seconds: maintenance_ms as f64 / 1000.0,
        response_time_ms,
        status: last.as_ref().map(|l| l.status.clone()),
        status_since: last.as_ref().map(|l| at(l.since)),
        last_run_at: last.as_ref().map(|l| at(l.at)),
        message: last.map(|l| l.message),
        incidents_total,
        incidents,
        anomalies: match filter.anomalies {
            true => Some(past_anomalies(db, filter, check, since, until).await?),
            false => None,
        },
        buckets: tally.buckets,
    })
}

/// The latest run of a range.
struct Latest {
    at: i64,
    status: String,
    /// Since when its instance has had its status, within the range.
    since: i64,
    message: String,
}

/// The latest run of `from..until`, and since when its instance has had
/// its status: every other status of the range (`statuses`) is looked up
/// by index, not by reading the runs.
async fn latest(
    db: &mut dyn Backend,
    scope: &Scope<'_>,
    statuses: &[String],
    from: i64,
    until: i64,
) -> Result<Option<Latest>> {
    let mut params = vec![int(from), int(until)];
    let pick = scope.pick("", &mut params);
    let Some(last_at) = first_cell(
        &db.query(
            &format!(
                "SELECT MAX(started_at) FROM history_runs \
                 WHERE started_at >= $1 AND started_at < $2 AND {pick}"
            ),
            &params,
        )
        .await?,
    )?
    else {
        return Ok(None);
    };
    let mut params = vec![int(last_at)];
    let pick = scope.pick("", &mut params);
    let rows = db
        .query(
            &format!(
                "SELECT id, instance, status, message FROM history_runs \
                 WHERE started_at = $1 AND {pick} ORDER BY id DESC LIMIT 1"
            ),
            &params,
        )
        .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let (id, instance, status) = (int_at(row, 0)?, text_at(row, 1)?, text_at(row, 2)?);
    // The latest run of its instance with another status, and the first after it.
    let mut other = first_id(from) - 1;
    for name in statuses.iter().filter(|s| **s != status) {
        let found = first_cell(
            &db.query(
                "SELECT MAX(id) FROM history_runs WHERE check_name = $1 AND status = $2 \
                 AND instance = $3 AND id >= $4 AND id < $5",
                &[
                    text(scope.check),
                    text(name),
                    text(&instance),
                    int(first_id(from)),
                    int(id),
                ],
            )
            .await?,
        )?;
        other = other.max(found.unwrap_or(other));
    }
    let since = first_cell(
        &db.query(
            "SELECT MIN(started_at) FROM history_runs WHERE check_name = $1 AND status = $2 \
             AND instance = $3 AND id > $4 AND id <= $5",
            &[
                text(scope.check),
                text(&status),
                text(&instance),
                int(other),
                int(id),
            ],
        )
        .await?,
    )?;
    Ok(Some(Latest {
        at: last_at,
        since: since.unwrap_or(last_at),
        status,
        message: bounded(text_at(row, 3)?),
    }))
}

/// A run that was not healthy, as incidents are made of.
struct Unwell {
    id: i64,
    instance: String,
    at: i64,
    status: String,
    message: String,
    /// The first healthy run of its instance after it, in the range.
    healed: Option<i64>,
}

/// The incidents of `from..until`: runs of each status but healthy, each
/// with the first healthy run after it, found by index; a range of a check
/// that was healthy throughout reads no run.
async fn incidents(
    db: &mut dyn Backend,
    scope: &Scope<'_>,
    statuses: &[String],
    from: i64,
    until: i64,
    now: DateTime<Utc>,
) -> Result<(usize, Vec<Incident>)> {
    let mut runs = Vec::new();
    for status in statuses.iter().filter(|s| *s != "healthy") {
        let mut params = vec![text(status), int(first_id(from)), int(first_id(until))];
        let pick = scope.pick("r.", &mut params);
        let rows = db
            .query(
                &format!(
                    "SELECT r.id, r.instance, r.started_at, r.message, \
                     (SELECT MIN(h.id) FROM history_runs h \
                     WHERE h.check_name = r.check_name AND h.status = 'healthy' \
                     AND h.instance = r.instance AND h.id > r.id AND h.id < $3) \
                     FROM history_runs r WHERE r.status = $1 AND r.id >= $2 AND r.id < $3 AND {pick}"
                ),
                &params,
            )
            .await?;
        for r in &rows {
            runs.push(Unwell {
                id: int_at(r, 0)?,
                instance: text_at(r, 1)?,
                at: int_at(r, 2)?,
                status: status.clone(),
                message: bounded(text_at(r, 3)?),
                healed: r.get(4).map(Cell::int).transpose()?.flatten(),
            });
        }
    }
    runs.sort_by_key(|r| r.id);
    Ok(stretches(runs, now.timestamp_millis()))
}

/// The stretches of runs that were not healthy, per instance, latest last:
/// how many there are, and the latest [`MAX_INCIDENTS`]. `runs` are in
/// start order; a run starts a new stretch when a healthy run of its
/// instance came between it and the one before.
fn stretches(runs: Vec<Unwell>, now: i64) -> (usize, Vec<Incident>) {
    let close = |mut incident: Incident, healed: Option<i64>| {
        let healed = healed.map(started_ms);
        let end = healed.unwrap_or(now);
        incident.ended_at = healed.map(at);
        incident.duration_seconds =
            (end - incident.started_at.timestamp_millis()).max(0) as f64 / 1000.0;
        incident
    };
    let mut open: BTreeMap<String, (Incident, Option<i64>)> = BTreeMap::new();
    let mut all: Vec<Incident> = Vec::new();
    for run in runs {
        match open.remove(&run.instance) {
            Some((mut incident, healed)) if healed.is_none_or(|h| h > run.id) => {
                incident.status = worse(Some(incident.status), &run.status).unwrap_or_default();
                open.insert(run.instance, (incident, run.healed));
            }
            before => {
                if let Some((incident, healed)) = before {
                    all.push(close(incident, healed));
                }
                let incident = Incident {
                    instance: run.instance.clone(),
                    status: run.status,
                    started_at: at(run.at),
                    ended_at: None,
                    duration_seconds: 0.0,
                    message: run.message,
                };
                open.insert(run.instance, (incident, run.healed));
            }
        }
    }
    all.extend(
        open.into_values()
            .map(|(incident, healed)| close(incident, healed)),
    );
    all.sort_by_key(|i| i.started_at);
    let total = all.len();
    let keep = all.split_off(total.saturating_sub(MAX_INCIDENTS));
    (total, keep)
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

/// `vitals history`'s document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    #[serde(serialize_with = "crate::json::rfc3339")]
    pub since: DateTime<Utc>,
    #[serde(serialize_with = "crate::json::rfc3339")]
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

    fn unwell(instance: &str, at_ms: i64, status: &str, healed_ms: Option<i64>) -> Unwell {
        Unwell {
            id: first_id(at_ms) + 1,
            instance: instance.to_owned(),
            at: at_ms,
            status: status.to_owned(),
            message: format!("{status} at {at_ms}"),
            healed: healed_ms.map(|ms| first_id(ms) + 1),
        }
    }

    #[test]
    fn incidents_are_unhealthy_stretches_per_instance() {
        // On "a": healthy at 0 and 180 s, so one stretch from 60 s to 180 s,
        // and another from 240 s that lasts.
        let runs = vec![
            unwell("a", 60_000, "degraded", Some(180_000)),
            unwell("b", 60_000, "unhealthy", None),
            unwell("a", 120_000, "unhealthy", Some(180_000)),
            unwell("a", 240_000, "degraded", None),
        ];
        let (total, list) = stretches(runs, 300_000);
        assert_eq!(total, 3);
        let incident =
            |instance: &str, status: &str, from: i64, to: Option<i64>, said: &str| Incident {
                instance: instance.to_owned(),
                status: status.to_owned(),
                started_at: at(from),
                ended_at: to.map(at),
                duration_seconds: (to.unwrap_or(300_000) - from) as f64 / 1000.0,
                message: said.to_owned(),
            };
        assert_eq!(
            list,
            [
                incident("a", "unhealthy", 60_000, Some(180_000), "degraded at 60000"),
                incident("b", "unhealthy", 60_000, None, "unhealthy at 60000"),
                incident("a", "degraded", 240_000, None, "degraded at 240000"),
            ]
        );
    }

    #[test]
    fn roll_ups_answer_for_whole_hours_inside_a_column() {
        // Columns of 90 minutes from 00:30, so 03:00-04:00 crosses one's
        // end; hours rolled up until 06:00; the range ends at 08:00, so the
        // hour 06:00-07:00 would be too near its end anyway.
        let since = HOUR_MS / 2;
        let column = |ms: i64| usize::try_from((ms - since) / (3 * HOUR_MS / 2)).unwrap_or(0);
        let until = 8 * HOUR_MS;
        let hours = rolled_hours(since, until, 6 * HOUR_MS, &column);
        assert_eq!(hours, [1, 2, 4, 5].map(|h| h * HOUR_MS));
        assert_eq!(
            raw_spans(since, until, &hours),
            [
                (since, HOUR_MS),
                (3 * HOUR_MS, 4 * HOUR_MS),
                (6 * HOUR_MS, until)
            ]
        );
    }
}
