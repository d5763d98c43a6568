//! Recording runs: each run and its samples in one write transaction, then
//! the upkeep that keeps the history bounded (roll-ups, pruning), a batch
//! at a time so that no run pays for a big delete.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::anomaly::{Baseline, MAX_WINDOW, Rule, State, Verdict, window};
use super::maintain::{self, Upkeep, float_at, int_at, upkeep};
use super::query::{self, Filter, Summary};
use super::recent::{self, Recent};
use super::{Retention, Run, Sample, series_id, unit_name};
use crate::metrics::Anomaly;
use crate::store::{Backend, Cell, Param, Result, Store, StoreError, Tx, float, int, text};

/// Bits of a run id below its start time in milliseconds: runs started in
/// the same millisecond (twenty cron jobs at once) differ by these, chosen
/// at random; a clash is detected and another id taken.
pub(super) const ID_BITS: u32 = 20;

/// The smallest run id of runs started at `at_ms` or later.
pub(super) fn first_id(at_ms: i64) -> i64 {
    at_ms.max(0).saturating_mul(1 << ID_BITS)
}

/// When the run of this id started, in milliseconds.
pub(super) fn started_ms(id: i64) -> i64 {
    id >> ID_BITS
}

/// Samples inserted per statement.
const SAMPLES_PER_INSERT: usize = 200;

/// What recording did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recorded {
    /// Runs stored.
    pub runs: usize,
    /// The anomalies of the runs' metrics, each with the index of its run.
    pub anomalies: Vec<(usize, Anomaly)>,
    /// What the upkeep after it did.
    pub upkeep: Upkeep,
}

/// The history of checks, on a store.
pub struct HistoryStore {
    store: Store,
    /// Series this process has made sure exist.
    known: HashSet<i64>,
}

impl HistoryStore {
    pub fn new(store: Store) -> HistoryStore {
        HistoryStore {
            store,
            known: HashSet::new(),
        }
    }

    /// The store, for another repository to use next.
    pub fn into_store(self) -> Store {
        self.store
    }

    /// Records `runs` (one round of checks, or many), then does a bounded
    /// part of the upkeep due at `now`: roll-ups of hours and days that are
    /// over, and pruning of what `retention` no longer keeps.
    /// Each gauge of each run is judged against its baseline by `rule`.
    pub async fn record(
        &mut self,
        runs: &[Run],
        retention: &Retention,
        rule: &Rule,
        now: DateTime<Utc>,
    ) -> Result<Recorded> {
        let new_series: Vec<(i64, &Run, usize)> =
            runs.iter()
                .flat_map(|run| {
                    run.samples.iter().enumerate().map(move |(i, s)| {
                        (series_id(&run.check, &run.instance, &s.metric), run, i)
                    })
                })
                .filter(|(id, _, _)| !self.known.contains(id))
                .collect();
        let new_series = &new_series;
        let at = now.timestamp_millis();
        let (anomalies, due) = self
            .store
            .transaction(true, &mut |tx: Tx<'_, '_>| {
                Box::pin(async move {
                    let anomalies = record_in(tx.db, runs, new_series, rule).await?;
                    Ok((anomalies, maintain::due(tx.db, at).await?))
                })
            })
            .await?;
        self.known.extend(new_series.iter().map(|(id, _, _)| *id));
        // The runs are safe; the upkeep is its own transaction, so a
        // failure there loses nothing recorded.
        let upkeep = match due {
            true => upkeep(&mut self.store, retention, now, runs.len()).await?,
            false => Upkeep::default(),
        };
        Ok(Recorded {
            runs: runs.len(),
            anomalies,
            upkeep,
        })
    }

    /// The latest run of each of `checks` on `instance` started in `[since, until]`.
    pub async fn recent(
        &mut self,
        checks: &[String],
        instance: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Recent>> {
        self.store
            .transaction(false, &mut |tx: Tx<'_, '_>| {
                Box::pin(recent::latest(tx.db, checks, instance, since, until))
            })
            .await
    }

    /// What the history holds for each check `filter` picks, at `now`.
    pub async fn summarize(&mut self, filter: &Filter, now: DateTime<Utc>) -> Result<Vec<Summary>> {
        self.store
            .transaction(false, &mut |tx: Tx<'_, '_>| {
                Box::pin(query::summarize(tx.db, filter, now))
            })
            .await
    }
}

/// A random number, from the standard library's randomly keyed hasher.
pub(super) fn random() -> u64 {
    use std::hash::BuildHasher as _;
    std::collections::hash_map::RandomState::new().hash_one(std::process::id())
}

async fn record_in(
    db: &mut dyn Backend,
    runs: &[Run],
    new_series: &[(i64, &Run, usize)],
    rule: &Rule,
) -> Result<Vec<(usize, Anomaly)>> {
    for (id, run, i) in new_series {
        let sample = &run.samples[*i];
        db.execute(
            "INSERT INTO history_series (id, check_name, instance, metric, unit) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
            &[
                int(*id),
                text(&run.check),
                text(&run.instance),
                text(&sample.metric),
                text(unit_name(sample.unit)),
            ],
        )
        .await?;
    }
    let ids = insert_runs(db, runs).await?;
    let mut samples: Vec<Param> = Vec::new();
    for (run, id) in runs.iter().zip(ids.iter().copied()) {
        for sample in &run.samples {
            samples.extend([
                int(series_id(&run.check, &run.instance, &sample.metric)),
                int(id),
                float(sample.value),
            ]);
        }
    }
    for chunk in samples.chunks(3 * SAMPLES_PER_INSERT) {
        let rows: Vec<String> = (0..chunk.len() / 3)
            .map(|r| format!("(${}, ${}, ${})", 3 * r + 1, 3 * r + 2, 3 * r + 3))
            .collect();
        db.execute(
            &format!(
                "INSERT INTO history_samples (series, run_id, value) VALUES {}",
                rows.join(", ")
            ),
            chunk,
        )
        .await?;
    }
    let mut anomalies = Vec::new();
    if rule.enabled {
        for (i, run) in runs.iter().enumerate() {
            for sample in run.samples.iter().filter(|s| s.gauge) {
                let series = series_id(&run.check, &run.instance, &sample.metric);
                let at = run.started_at.timestamp_millis();
                if let Some(anomaly) = judge(db, series, at, sample, rule).await? {
                    anomalies.push((i, anomaly));
                }
            }
        }
    }
    Ok(anomalies)
}

/// Judges one sample of a series against its baseline (rebuilt when it is
/// stale), keeps the series' state and its anomalies, and returns the
/// anomaly the sample is part of, if it is.
async fn judge(
    db: &mut dyn Backend,
    series: i64,
    at: i64,
    sample: &Sample,
    rule: &Rule,
) -> Result<Option<Anomaly>> {
    let sql = format!(
        "SELECT computed_at, samples, median, spread, usual_low, usual_high, streak, out_since \
         FROM history_baselines WHERE series = $1{}",
        db.for_update()
    );
    let rows = db.query(&sql, &[int(series)]).await?;
    let mut state = match rows.first() {
        Some(r) => State {
            built_at: int_at(r, 0)?,
            baseline: (int_at(r, 1)? > 0)
                .then(|| -> Result<Baseline> {
                    Ok(Baseline {
                        samples: usize::try_from(int_at(r, 1)?).unwrap_or(0),
                        median: float_at(r, 2)?,
                        spread: float_at(r, 3)?,
                        usual_low: float_at(r, 4)?,
                        usual_high: float_at(r, 5)?,
                    })
                })
                .transpose()?,
            streak: u32::try_from(int_at(r, 6)?).unwrap_or(0),
            out_since: r.get(7).map(Cell::int).transpose()?.flatten(),
        },
        None => State::default(),
    };
    let before = state.clone();
    if state.stale(at, rule) {
        let rows = db
            .query(
                "SELECT run_id, value FROM history_samples WHERE series = $1 AND run_id < $2 \
                 ORDER BY run_id DESC LIMIT $3",
                &[
                    int(series),
                    int(first_id(at)),
                    int(i64::try_from(MAX_WINDOW.max(rule.min_samples)).unwrap_or(i64::MAX)),
                ],
            )
            .await?;
        let latest: Vec<(i64, f64)> = rows
            .iter()
            .map(|r| Ok((started_ms(int_at(r, 0)?), float_at(r, 1)?)))
            .collect::<Result<_>>()?;
        state.baseline = Baseline::of(&window(&latest, at, rule.min_samples));
        state.built_at = at;
    }
    let (verdict, ended) = state.judge(sample.value, at, sample.unit, rule);
    if state != before {
        let b = state.baseline.clone();
        let figure = |pick: fn(&Baseline) -> f64| float(b.as_ref().map_or(0.0, pick));
        db.execute(
            "INSERT INTO history_baselines (series, computed_at, samples, median, spread, \
             usual_low, usual_high, streak, out_since) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (series) DO UPDATE SET computed_at = excluded.computed_at, \
             samples = excluded.samples, median = excluded.median, spread = excluded.spread, \
             usual_low = excluded.usual_low, usual_high = excluded.usual_high, \
             streak = excluded.streak, out_since = excluded.out_since",
            &[
                int(series),
                int(state.built_at),
                int(b
                    .as_ref()
                    .map_or(0, |b| i64::try_from(b.samples).unwrap_or(0))),
                figure(|b| b.median),
                figure(|b| b.spread),
                figure(|b| b.usual_low),
                figure(|b| b.usual_high),
                int(i64::from(state.streak)),
                Param::Int(state.out_since),
            ],
        )
        .await?;
    }
    if ended {
        db.execute(
            "UPDATE history_anomalies SET until = $2 WHERE series = $1 AND until IS NULL",
            &[int(series), int(at)],
        )
        .await?;
    }
    let (Verdict::Anomalous { since, started }, Some(baseline)) = (verdict, &state.baseline) else {
        return Ok(None);
    };
    let (low, high) = baseline.band(sample.unit);
    if started {
        db.execute(
            "INSERT INTO history_anomalies (series, since, until, last_value, peak, baseline, \
             band_low, band_high) VALUES ($1, $2, NULL, $3, $3, $4, $5, $6) \
             ON CONFLICT (series, since) DO NOTHING",
            &[
                int(series),
                int(since),
                float(sample.value),
                float(baseline.median),
                float(low),
                float(high),
            ],
        )
        .await?;
    } else {
        db.execute(
            "UPDATE history_anomalies SET last_value = $2, peak = CASE \
             WHEN ABS($2 - baseline) > ABS(peak - baseline) THEN $2 ELSE peak END \
             WHERE series = $1 AND until IS NULL",
            &[int(series), float(sample.value)],
        )
        .await?;
    }
    // How far back the baseline looked: its oldest value.
    let rows = db
        .query(
            "SELECT MIN(run_id) FROM (SELECT run_id FROM history_samples WHERE series = $1 \
             AND run_id < $2 ORDER BY run_id DESC LIMIT $3) w",
            &[
                int(series),
                int(first_id(state.built_at)),
                int(i64::try_from(baseline.samples).unwrap_or(0)),
            ],
        )
        .await?;
    let oldest = rows
        .first()
        .map(|r| int_at(r, 0))
        .transpose()?
        .map_or(state.built_at, started_ms);
    Ok(Some(Anomaly {
        metric: sample.metric.clone(),
        value: sample.value,
        baseline: baseline.median,
        band: [low, high],
        since: DateTime::from_timestamp_millis(since).unwrap_or_default(),
        unit: sample.unit,
        usual: [baseline.usual_low, baseline.usual_high],
        window: std::time::Duration::from_millis(
            u64::try_from(state.built_at - oldest).unwrap_or(0),
        ),
    }))
}

/// Runs inserted per statement.
const RUNS_PER_INSERT: usize = 100;

/// Inserts the runs, each under a new id, and returns their ids in order.
async fn insert_runs(db: &mut dyn Backend, runs: &[Run]) -> Result<Vec<i64>> {
    let mut ids: Vec<Option<i64>> = vec![None; runs.len()];
    // Twenty processes starting in one millisecond clash once in about ten
    // thousand rounds, and a clashing run is simply given another id;
    // sixteen clashes in a row do not happen.
    for _ in 0..16 {
        let waiting: Vec<usize> = (0..runs.len()).filter(|i| ids[*i].is_none()).collect();
        if waiting.is_empty() {
            break;
        }
        for chunk in waiting.chunks(RUNS_PER_INSERT) {
            let mut params: Vec<Param> = Vec::with_capacity(8 * chunk.len());
            let mut tried: Vec<(usize, i64)> = Vec::with_capacity(chunk.len());
            let mut taken: HashSet<i64> = HashSet::with_capacity(chunk.len());
            for &i in chunk {
                let run = &runs[i];
                let start = run.started_at.timestamp_millis();
                // Unique within the statement, which could not tell two apart.
                let mut id = first_id(start) | (random() & ((1 << ID_BITS) - 1)) as i64;
                while !taken.insert(id) {
                    id = first_id(start) | (random() & ((1 << ID_BITS) - 1)) as i64;
                }
                tried.push((i, id));
                params.extend([
                    int(id),
                    text(&run.check),
                    text(&run.instance),
                    int(start),
                    int(i64::try_from(run.duration.as_micros()).unwrap_or(i64::MAX)),
                    text(&run.status),
                    text(&run.message),
                    Param::Text(run.maintenance.clone()),
                ]);
            }
            let rows: Vec<String> = (0..chunk.len())
                .map(|r| {
                    let n: Vec<String> = (1..=8).map(|c| format!("${}", 8 * r + c)).collect();
                    format!("({})", n.join(", "))
                })
                .collect();
            let inserted = db
                .query(
                    &format!(
                        "INSERT INTO history_runs \
                         (id, check_name, instance, started_at, duration_us, status, message, \
                         maintenance) \
                         VALUES {} ON CONFLICT (id) DO NOTHING RETURNING id",
                        rows.join(", ")
                    ),
                    &params,
                )
                .await?;
            let inserted: HashSet<i64> = inserted
                .iter()
                .filter_map(|r| r.first().and_then(|c| c.int().ok().flatten()))
                .collect();
            for (i, id) in tried {
                if inserted.contains(&id) {
                    ids[i] = Some(id);
                }
            }
        }
    }
    ids.into_iter()
        .map(|id| id.ok_or_else(|| StoreError::Refused("no free run id after 16 tries".to_owned())))
        .collect()
}
