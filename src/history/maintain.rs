//! The history's upkeep, done a bounded step at a time after each
//! recording: hours that are over are rolled up (runs per status, time in
//! each status, and each metric's count, sum, min, max, p50 and p95), days
//! from their hours, and what retention no longer keeps is pruned.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Retention;
use super::record::{first_id, started_ms};
use crate::store::{Backend, Cell, Lock, Param, Result, Row, Store, Tx, float, int, text};

/// One writer of the upkeep at a time (the number is part of the store's format).
const UPKEEP_LOCK: Lock<'static> = Lock::Global(3);

pub(super) const HOUR_MS: i64 = 3_600_000;
pub(super) const DAY_MS: i64 = 24 * HOUR_MS;

/// A run counts for the time until the next run of its check on its
/// instance, at most this long: a vitals that stopped running is not
/// taken to have seen the last status all the while.
pub const MAX_GAP_MS: i64 = HOUR_MS;

/// Hours rolled up per pass, at most: a day's worth.
const HOURS_PER_PASS: usize = 24;
/// Days rolled up per pass, at most.
const DAYS_PER_PASS: usize = 2;
/// Rows pruned per table per pass: at least this, or four times what the
/// pass recorded, so that pruning keeps up with any steady flow of runs.
const PRUNE_BATCH: i64 = 2000;
/// Pruning is looked at once in this long.
const PRUNE_EVERY_MS: i64 = 10 * 60 * 1000;

/// What one pass of the upkeep did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Upkeep {
    pub hours_rolled_up: usize,
    pub days_rolled_up: usize,
    /// Whether pruning was due (once in ten minutes), and so done.
    pub pruning: bool,
    /// Rows deleted, every table together.
    pub pruned: u64,
}

/// Whether any upkeep is due at `now` (ms): an hour to roll up, or
/// pruning. Read in the recording's transaction, so that most runs pay
/// for no second one.
pub(super) async fn due(db: &mut dyn Backend, now: i64) -> Result<bool> {
    let hourly = mark(db, "hourly").await?;
    let pruned = mark(db, "pruned").await?;
    Ok(hourly.is_none_or(|at| at + HOUR_MS + MAX_GAP_MS <= now)
        || pruned.is_none_or(|at| now - at >= PRUNE_EVERY_MS || at > now))
}

pub(super) async fn upkeep(
    store: &mut Store,
    retention: &Retention,
    now: DateTime<Utc>,
    recorded: usize,
) -> Result<Upkeep> {
    let now = now.timestamp_millis();
    let batch = PRUNE_BATCH.max(4 * i64::try_from(recorded).unwrap_or(i64::MAX / 8));
    store
        .transaction(true, &mut |tx: Tx<'_, '_>| {
            Box::pin(upkeep_in(tx.db, retention, now, batch))
        })
        .await
}

async fn upkeep_in(
    db: &mut dyn Backend,
    retention: &Retention,
    now: i64,
    batch: i64,
) -> Result<Upkeep> {
    db.lock(UPKEEP_LOCK).await?;
    let mut done = Upkeep::default();
    let hourly = match mark(db, "hourly").await? {
        Some(at) => Some(at),
        None => oldest_run(db, 0).await?.map(|ms| floor(ms, HOUR_MS)),
    };
    let Some(mut hourly) = hourly else {
        return Ok(done);
    };
    for _ in 0..HOURS_PER_PASS {
        if hourly + HOUR_MS + MAX_GAP_MS > now {
            break;
        }
        if roll_hour(db, hourly).await? {
            done.hours_rolled_up += 1;
            hourly += HOUR_MS;
        } else {
            // Nothing in that hour: on to the hour of the next run.
            hourly = match oldest_run(db, hourly).await? {
                Some(ms) => floor(ms, HOUR_MS),
                None => hourly,
            }
            .max(hourly + HOUR_MS);
        }
    }
    set_mark(db, "hourly", hourly).await?;

    let mut daily = match mark(db, "daily").await? {
        Some(at) => at,
        None => floor(oldest_hour(db, 0).await?.unwrap_or(hourly), DAY_MS),
    };
    for _ in 0..DAYS_PER_PASS {
        if daily + DAY_MS > hourly {
            break;
        }
        if roll_day(db, daily).await? {
            done.days_rolled_up += 1;
            daily += DAY_MS;
        } else {
            daily = match oldest_hour(db, daily).await? {
                Some(ms) => floor(ms, DAY_MS),
                None => daily,
            }
            .max(daily + DAY_MS);
        }
    }
    set_mark(db, "daily", daily).await?;

    let pruned = mark(db, "pruned").await?;
    if pruned.is_none_or(|at| now - at >= PRUNE_EVERY_MS || at > now) {
        done.pruning = true;
        done.pruned = prune(db, retention, now, hourly, daily, batch).await?;
        set_mark(db, "pruned", now).await?;
    }
    Ok(done)
}

fn floor(ms: i64, unit: i64) -> i64 {
    ms.div_euclid(unit) * unit
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

async fn mark(db: &mut dyn Backend, name: &str) -> Result<Option<i64>> {
    let rows = db
        .query(
            "SELECT at FROM history_marks WHERE name = $1",
            &[text(name)],
        )
        .await?;
    first_cell(&rows)
}

async fn set_mark(db: &mut dyn Backend, name: &str, at: i64) -> Result<()> {
    db.execute(
        "INSERT INTO history_marks (name, at) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET at = excluded.at",
        &[text(name), int(at)],
    )
    .await?;
    Ok(())
}

/// When the first run at `from_ms` or later started.
async fn oldest_run(db: &mut dyn Backend, from_ms: i64) -> Result<Option<i64>> {
    let rows = db
        .query(
            "SELECT MIN(id) FROM history_runs WHERE id >= $1",
            &[int(first_id(from_ms))],
        )
        .await?;
    Ok(first_cell(&rows)?.map(started_ms))
}

/// The number in the first cell, `None` when it is null or there is none.
fn first_cell(rows: &[Row]) -> Result<Option<i64>> {
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .map(Cell::int)
        .transpose()?
        .flatten())
}

/// The first hour rolled up at `from_ms` or later.
async fn oldest_hour(db: &mut dyn Backend, from_ms: i64) -> Result<Option<i64>> {
    let rows = db
        .query(
            "SELECT MIN(bucket) FROM history_status_rollups WHERE period = 'hour' AND bucket >= $1",
            &[int(from_ms)],
        )
        .await?;
    first_cell(&rows)
}

/// Status time of each run: until the next run of its check on its
/// instance, at most [`MAX_GAP_MS`], and for the last one until `end_ms`
/// (at most as long). `runs` are (check, instance, started ms, status) in
/// start order.
pub(super) fn status_times(runs: &[(String, String, i64, String)], end_ms: i64) -> Vec<i64> {
    let mut next: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    let mut times = vec![0; runs.len()];
    for (i, (check, instance, at, _)) in runs.iter().enumerate().rev() {
        let until = next
            .get(&(check.as_str(), instance.as_str()))
            .copied()
            .unwrap_or(end_ms.max(*at));
        times[i] = (until - at).clamp(0, MAX_GAP_MS);
        next.insert((check, instance), *at);
    }
    times
}

/// Rolls up the hour starting at `hour`; false when it holds no run.
async fn roll_hour(db: &mut dyn Backend, hour: i64) -> Result<bool> {
    let rows = db
        .query(
            "SELECT check_name, instance, id, status, \
             CASE WHEN maintenance IS NULL THEN 0 ELSE 1 END FROM history_runs \
             WHERE id >= $1 AND id < $2 ORDER BY id",
            &[
                int(first_id(hour)),
                int(first_id(hour + HOUR_MS + MAX_GAP_MS)),
            ],
        )
        .await?;
    let runs: Vec<(String, String, i64, String)> = rows
        .iter()
        .map(|r| {
            Ok((
                text_at(r, 0)?,
                text_at(r, 1)?,
                started_ms(int_at(r, 2)?),
                text_at(r, 3)?,
            ))
        })
        .collect::<Result<_>>()?;
    if !runs.iter().any(|(_, _, at, _)| *at < hour + HOUR_MS) {
        return Ok(false);
    }
    let times = status_times(&runs, hour + HOUR_MS + MAX_GAP_MS);
    let mut statuses: BTreeMap<(&str, &str, &str), Time> = BTreeMap::new();
    for (((check, instance, at, status), time), row) in runs.iter().zip(times).zip(&rows) {
        if *at >= hour + HOUR_MS {
            continue;
        }
        statuses
            .entry((check, instance, status))
            .or_default()
            .add(1, time, int_at(row, 4)? != 0);
    }
    for ((check, instance, status), time) in statuses {
        put_status(db, "hour", hour, check, instance, status, &time).await?;
    }
    let rows = db
        .query(
            "SELECT series, value FROM history_samples \
             WHERE series IN (SELECT id FROM history_series) AND run_id >= $1 AND run_id < $2",
            &[int(first_id(hour)), int(first_id(hour + HOUR_MS))],
        )
        .await?;
    let mut values: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for r in &rows {
        values
            .entry(int_at(r, 0)?)
            .or_default()
            .push(float_at(r, 1)?);
    }
    for (series, mut values) in values {
        values.sort_by(f64::total_cmp);
        let figures = Figures {
            samples: values.len() as i64,
            total: values.iter().sum(),
            low: values.first().copied().unwrap_or_default(),
            high: values.last().copied().unwrap_or_default(),
            p50: percentile(&values, 50.0).unwrap_or_default(),
            p95: percentile(&values, 95.0).unwrap_or_default(),
        };
        put_figures(db, "hour", hour, series, &figures).await?;
    }
    Ok(true)
}

/// Rolls up the day starting at `day` from its hours; false when it has none.
async fn roll_day(db: &mut dyn Backend, day: i64) -> Result<bool> {
    let range = [int(day), int(day + DAY_MS)];
    let rows = db
        .query(
            "SELECT check_name, instance, status, CAST(SUM(runs) AS BIGINT), \
             CAST(SUM(time_ms) AS BIGINT), CAST(SUM(maintenance_runs) AS BIGINT), \
             CAST(SUM(maintenance_ms) AS BIGINT) FROM history_status_rollups \
             WHERE period = 'hour' AND bucket >= $1 AND bucket < $2 \
             GROUP BY check_name, instance, status",
            &range,
        )
        .await?;
    if rows.is_empty() {
        return Ok(false);
    }
    for r in &rows {
        put_status(
            db,
            "day",
            day,
            &text_at(r, 0)?,
            &text_at(r, 1)?,
            &text_at(r, 2)?,
            &Time {
                runs: int_at(r, 3)?,
                ms: int_at(r, 4)?,
                maintenance_runs: int_at(r, 5)?,
                maintenance_ms: int_at(r, 6)?,
            },
        )
        .await?;
    }
    let rows = db
        .query(
            "SELECT series, samples, total, low, high, p50, p95 FROM history_metric_rollups \
             WHERE period = 'hour' AND bucket >= $1 AND bucket < $2",
            &range,
        )
        .await?;
    let mut hours: BTreeMap<i64, Vec<Figures>> = BTreeMap::new();
    for r in &rows {
        hours
            .entry(int_at(r, 0)?)
            .or_default()
            .push(Figures::read(r)?);
    }
    for (series, hours) in hours {
        put_figures(db, "day", day, series, &Figures::combine(&hours)).await?;
    }
    Ok(true)
}

/// A metric's figures over a period.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Figures {
    pub samples: i64,
    pub total: f64,
    pub low: f64,
    pub high: f64,
    pub p50: f64,
    pub p95: f64,
}

impl Figures {
    /// Columns 1 to 6 of a row of `history_metric_rollups` read as
    /// `samples, total, low, high, p50, p95` (column 0 is the key).
    pub fn read(r: &Row) -> Result<Figures> {
        Ok(Figures {
            samples: int_at(r, 1)?,
            total: float_at(r, 2)?,
            low: float_at(r, 3)?,
            high: float_at(r, 4)?,
            p50: float_at(r, 5)?,
            p95: float_at(r, 6)?,
        })
    }

    /// The figures of several periods together: exact counts, sums and
    /// extremes; p50 and p95 as the sample-weighted p50 and p95 of the periods'.
    pub fn combine(parts: &[Figures]) -> Figures {
        let weighted = |pick: fn(&Figures) -> f64, p: f64| {
            let mut points: Vec<(f64, f64)> =
                parts.iter().map(|f| (pick(f), f.samples as f64)).collect();
            weighted_percentile(&mut points, p).unwrap_or_default()
        };
        Figures {
            samples: parts.iter().map(|f| f.samples).sum(),
            total: parts.iter().map(|f| f.total).sum(),
            low: parts.iter().map(|f| f.low).fold(f64::INFINITY, f64::min),
            high: parts
                .iter()
                .map(|f| f.high)
                .fold(f64::NEG_INFINITY, f64::max),
            p50: weighted(|f| f.p50, 50.0),
            p95: weighted(|f| f.p95, 95.0),
        }
    }
}

/// The nearest-rank percentile of sorted values: the smallest value with at
/// least `p` % of the values at or below it.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// As [`percentile`], of values each with a weight.
pub(super) fn weighted_percentile(points: &mut [(f64, f64)], p: f64) -> Option<f64> {
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = points.iter().map(|(_, w)| w).sum();
    if points.is_empty() || total <= 0.0 {
        return None;
    }
    let mut seen = 0.0;
    for (value, weight) in points.iter() {
        seen += weight;
        if seen >= total * p / 100.0 {
            return Some(*value);
        }
    }
    points.last().map(|(v, _)| *v)
}

/// Runs of one status and the time they count for, all of them and those
/// in maintenance.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Time {
    pub runs: i64,
    pub ms: i64,
    pub maintenance_runs: i64,
    pub maintenance_ms: i64,
}

impl Time {
    pub fn add(&mut self, runs: i64, ms: i64, maintenance: bool) {
        self.runs += runs;
        self.ms += ms;
        if maintenance {
            self.maintenance_runs += runs;
            self.maintenance_ms += ms;
        }
    }
}

async fn put_status(
    db: &mut dyn Backend,
    period: &str,
    bucket: i64,
    check: &str,
    instance: &str,
    status: &str,
    time: &Time,
) -> Result<()> {
    db.execute(
        "INSERT INTO history_status_rollups \
         (period, bucket, check_name, instance, status, runs, time_ms, maintenance_runs, \
         maintenance_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (period, bucket, check_name, instance, status) \
         DO UPDATE SET runs = excluded.runs, time_ms = excluded.time_ms, \
         maintenance_runs = excluded.maintenance_runs, maintenance_ms = excluded.maintenance_ms",
        &[
            text(period),
            int(bucket),
            text(check),
            text(instance),
            text(status),
            int(time.runs),
            int(time.ms),
            int(time.maintenance_runs),
            int(time.maintenance_ms),
        ],
    )
    .await?;
    Ok(())
}

async fn put_figures(
    db: &mut dyn Backend,
    period: &str,
    bucket: i64,
    series: i64,
    f: &Figures,
) -> Result<()> {
    db.execute(
        "INSERT INTO history_metric_rollups \
         (period, bucket, series, samples, total, low, high, p50, p95) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (period, series, bucket) DO UPDATE SET samples = excluded.samples, \
         total = excluded.total, low = excluded.low, high = excluded.high, \
         p50 = excluded.p50, p95 = excluded.p95",
        &[
            text(period),
            int(bucket),
            int(series),
            int(f.samples),
            float(f.total),
            float(f.low),
            float(f.high),
            float(f.p50),
            float(f.p95),
        ],
    )
    .await?;
    Ok(())
}

/// Deletes, a batch per table, what retention no longer keeps. Runs are
/// kept until their hour is rolled up, hours until their day is.
async fn prune(
    db: &mut dyn Backend,
    retention: &Retention,
    now: i64,
    hourly: i64,
    daily: i64,
    batch: i64,
) -> Result<u64> {
    let raw_cut = (now - millis(retention.raw)).min(hourly);
    let hourly_cut = (now - millis(retention.hourly)).min(daily);
    let daily_cut = now - millis(retention.daily);
    let mut pruned = db
        .execute(
            "DELETE FROM history_runs WHERE id IN \
             (SELECT id FROM history_runs WHERE id < $1 ORDER BY id LIMIT $2)",
            &[int(first_id(raw_cut)), int(batch)],
        )
        .await?;
    let series: Vec<i64> = db
        .query("SELECT id FROM history_series", &[])
        .await?
        .iter()
        .map(|r| int_at(r, 0))
        .collect::<Result<_>>()?;
    for id in series {
        pruned += db
            .execute(
                "DELETE FROM history_samples WHERE series = $1 AND run_id IN \
                 (SELECT run_id FROM history_samples WHERE series = $1 AND run_id < $2 \
                 ORDER BY run_id LIMIT $3)",
                &[int(id), int(first_id(raw_cut)), int(batch)],
            )
            .await?;
    }
    for (period, cut) in [("hour", hourly_cut), ("day", daily_cut)] {
        let params: [Param; 3] = [text(period), int(cut), int(batch)];
        pruned += db
            .execute(
                "DELETE FROM history_status_rollups WHERE (period, bucket, check_name, instance, status) IN \
                 (SELECT period, bucket, check_name, instance, status FROM history_status_rollups \
                 WHERE period = $1 AND bucket < $2 ORDER BY bucket LIMIT $3)",
                &params,
            )
            .await?;
        pruned += db
            .execute(
                "DELETE FROM history_metric_rollups WHERE (period, series, bucket) IN \
                 (SELECT period, series, bucket FROM history_metric_rollups \
                 WHERE period = $1 AND bucket < $2 ORDER BY bucket LIMIT $3)",
                &params,
            )
            .await?;
    }
    pruned += db
        .execute(
            "DELETE FROM history_anomalies WHERE (series, since) IN \
             (SELECT series, since FROM history_anomalies WHERE until < $1 LIMIT $2)",
            &[int(daily_cut), int(batch)],
        )
        .await?;
    Ok(pruned)
}

pub(super) fn int_at(row: &Row, i: usize) -> Result<i64> {
    Ok(row
        .get(i)
        .map(Cell::int)
        .transpose()?
        .flatten()
        .unwrap_or(0))
}

pub(super) fn float_at(row: &Row, i: usize) -> Result<f64> {
    Ok(row
        .get(i)
        .map(Cell::float)
        .transpose()?
        .flatten()
        .unwrap_or(0.0))
}

pub(super) fn text_at(row: &Row, i: usize) -> Result<String> {
    Ok(row
        .get(i)
        .map(Cell::text)
        .transpose()?
        .flatten()
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 50.0), Some(2.0));
        assert_eq!(percentile(&v, 95.0), Some(4.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&[], 50.0), None);
        let mut w = [(10.0, 1.0), (1.0, 3.0)];
        assert_eq!(weighted_percentile(&mut w, 50.0), Some(1.0));
        assert_eq!(weighted_percentile(&mut w, 95.0), Some(10.0));
    }

    #[test]
    fn a_run_counts_until_the_next_of_its_check_at_most_an_hour() {
        let run =
            |check: &str, at: i64| (check.to_owned(), "i".to_owned(), at, "healthy".to_owned());
        let runs = [
            run("a", 0),
            run("b", 10),
            run("a", 60_000),
            run("b", 5 * HOUR_MS),
        ];
        assert_eq!(
            status_times(&runs, 5 * HOUR_MS + 30_000),
            [60_000, HOUR_MS, HOUR_MS, 30_000]
        );
    }
}
