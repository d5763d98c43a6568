//! Anomalies: a metric outside the band its own recent history sets.
//!
//! The baseline of a series (one metric of one check on one instance) is
//! the median of its values over the last 24 hours (at most 1,440 values;
//! the latest `min_samples` when the day holds fewer), recomputed at most
//! every 15 minutes. The band around it is as wide as the largest of five
//! robust standard deviations (1.4826 × the median absolute deviation), half
//! the median, and a floor per unit (5 ms, 5 percentage points, 1 MiB, 2),
//! so that neither a flat series (no deviation at all) nor a small one
//! flags on noise. A value outside the band for `runs` recorded runs in a
//! row is an anomaly, from the first of them on; the first value back inside
//! ends it. A lasting change fills the window and moves the median: it
//! stops being an anomaly once it is half the window, 12 hours at one run
//! a minute.

use std::collections::VecDeque;

use super::maintain::{DAY_MS, percentile};
use crate::metrics::Unit;

/// How far back the baseline looks.
pub const WINDOW_MS: i64 = DAY_MS;
/// The most values a baseline is built from.
pub const MAX_WINDOW: usize = 1440;
/// A baseline is rebuilt at most this often (and at every run until it has enough values).
pub const REBUILD_MS: i64 = 15 * 60 * 1000;
/// Robust standard deviations on either side of the median.
const DEVIATIONS: f64 = 5.0;
/// The band is at least this share of the median on either side.
const RELATIVE: f64 = 0.5;

/// The smallest change worth a flag, per unit.
pub fn floor(unit: Unit) -> f64 {
    match unit {
        Unit::Seconds => 0.005,
        Unit::Ratio => 0.05,
        Unit::Bytes => 1_048_576.0,
        Unit::Count => 2.0,
    }
}

/// The anomaly rule's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// `VITALS_ANOMALY` (on unless `off`).
    pub enabled: bool,
    /// `VITALS_ANOMALY_MIN_SAMPLES`: values a baseline needs before it judges.
    pub min_samples: usize,
    /// `VITALS_ANOMALY_RUNS`: runs in a row outside the band that make an anomaly.
    pub runs: u32,
}

impl Default for Rule {
    fn default() -> Self {
        Rule {
            enabled: true,
            min_samples: 30,
            runs: 3,
        }
    }
}

/// What a series usually is.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub median: f64,
    /// 1.4826 × the median absolute deviation: a standard deviation that
    /// spikes do not inflate.
    pub spread: f64,
    /// The 5th and 95th percentiles: what "usually" means in a message.
    pub usual_low: f64,
    pub usual_high: f64,
    pub samples: usize,
}

impl Baseline {
    /// The baseline of some values; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Baseline> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let median = percentile(&sorted, 50.0)?;
        let mut deviations: Vec<f64> = sorted.iter().map(|v| (v - median).abs()).collect();
        deviations.sort_by(f64::total_cmp);
        let mad = percentile(&deviations, 50.0)?;
        Some(Baseline {
            median,
            spread: 1.4826 * mad,
            usual_low: percentile(&sorted, 5.0)?,
            usual_high: percentile(&sorted, 95.0)?,
            samples: sorted.len(),
        })
    }

    /// The values that are not anomalous, low and high.
    pub fn band(&self, unit: Unit) -> (f64, f64) {
        let width = (DEVIATIONS * self.spread)
            .max(RELATIVE * self.median.abs())
            .max(floor(unit));
        (self.median - width, self.median + width)
    }
}

/// A series' state between runs: its baseline, and how long it has been out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    pub baseline: Option<Baseline>,
    /// When the baseline was built (ms).
    pub built_at: i64,
    /// Runs in a row outside the band.
    pub streak: u32,
    /// When the first of them ran (ms).
    pub out_since: Option<i64>,
}

/// What one value came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Not enough history to judge.
    Learning,
    Normal,
    /// Outside the band, not for long enough yet.
    Outside,
    /// An anomaly since `since` (ms); `started` on the run that made it one.
    Anomalous {
        since: i64,
        started: bool,
    },
}

impl State {
    /// Whether the baseline must be rebuilt before judging a value at `at`.
    pub fn stale(&self, at: i64, rule: &Rule) -> bool {
        self.baseline
            .as_ref()
            .is_none_or(|b| b.samples < rule.min_samples)
            || at - self.built_at >= REBUILD_MS
            || at < self.built_at
    }

    /// Judges `value`, measured at `at`, and moves the state on. Returns
    /// the verdict, and whether an anomaly that was going on ended here.
    pub fn judge(&mut self, value: f64, at: i64, unit: Unit, rule: &Rule) -> (Verdict, bool) {
        let was_anomalous = self.streak >= rule.runs;
        let Some(baseline) = self
            .baseline
            .as_ref()
            .filter(|b| b.samples >= rule.min_samples)
        else {
            self.streak = 0;
            self.out_since = None;
            return (Verdict::Learning, was_anomalous);
        };
        let (low, high) = baseline.band(unit);
        if (low..=high).contains(&value) {
            self.streak = 0;
            self.out_since = None;
            return (Verdict::Normal, was_anomalous);
        }
        self.streak = self.streak.saturating_add(1);
        let since = *self.out_since.get_or_insert(at);
        if self.streak >= rule.runs {
            let started = !was_anomalous;
            (Verdict::Anomalous { since, started }, false)
        } else {
            (Verdict::Outside, false)
        }
    }
}

/// The values a baseline is built from, out of the latest values before a
/// run at `at` (newest first, as (ms, value)): those of the last
/// [`WINDOW_MS`], or the latest `min_samples` when the window holds fewer.
pub fn window(latest: &[(i64, f64)], at: i64, min_samples: usize) -> Vec<f64> {
    let recent = latest
        .iter()
        .take_while(|(t, _)| at - t <= WINDOW_MS)
        .count()
        .max(min_samples)
        .min(MAX_WINDOW);
    latest.iter().take(recent).map(|(_, v)| *v).collect()
}

/// The detector on a series held in memory, as the store runs it on a
/// series recorded run by run: for evaluations and tests.
#[derive(Debug, Clone, Default)]
pub struct Detector {
    /// Newest last: (ms, value).
    values: VecDeque<(i64, f64)>,
    state: State,
}

impl Detector {
    /// Judges the value of a run at `at`, then keeps it for the baselines to come.
    pub fn observe(&mut self, at: i64, value: f64, unit: Unit, rule: &Rule) -> Verdict {
        if self.state.stale(at, rule) {
            let latest: Vec<(i64, f64)> = self.values.iter().rev().copied().collect();
            self.state.baseline = Baseline::of(&window(&latest, at, rule.min_samples));
            self.state.built_at = at;
        }
        let (verdict, _) = self.state.judge(value, at, unit, rule);
        self.values.push_back((at, value));
        while self.values.len() > MAX_WINDOW.max(rule.min_samples) {
            self.values.pop_front();
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    fn rule() -> Rule {
        Rule::default()
    }

    /// Feeds `values` a minute apart from `start`; the verdicts.
    fn feed(d: &mut Detector, start: i64, values: &[f64]) -> Vec<Verdict> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| d.observe(start + i as i64 * MINUTE, *v, Unit::Seconds, &rule()))
            .collect()
    }

    #[test]
    fn a_flat_series_with_millisecond_jitter_never_flags() {
        let mut d = Detector::default();
        let values: Vec<f64> = (0..3000)
            .map(|i| 0.003 + 0.001 * ((i % 3) as f64 - 1.0))
            .collect();
        let verdicts = feed(&mut d, 0, &values);
        assert!(verdicts[..30].iter().all(|v| *v == Verdict::Learning));
        assert!(verdicts[30..].iter().all(|v| *v == Verdict::Normal));
    }

    #[test]
    fn a_change_held_for_three_runs_is_an_anomaly_from_its_first_run() {
        let mut d = Detector::default();
        feed(&mut d, 0, &[0.001; 40]);
        let start = 40 * MINUTE;
        let verdicts = feed(&mut d, start, &[0.051, 0.051, 0.051, 0.052, 0.001]);
        assert_eq!(
            verdicts,
            [
                Verdict::Outside,
                Verdict::Outside,
                Verdict::Anomalous {
                    since: start,
                    started: true
                },
                Verdict::Anomalous {
                    since: start,
                    started: false
                },
                Verdict::Normal,
            ]
        );
        // A single spike is not one.
        let verdicts = feed(&mut d, 50 * MINUTE, &[0.5, 0.001, 0.5, 0.001]);
        assert!(
            verdicts
                .iter()
                .all(|v| matches!(v, Verdict::Outside | Verdict::Normal))
        );
    }

    #[test]
    fn a_lasting_change_stops_being_an_anomaly_within_a_day() {
        let mut d = Detector::default();
        feed(&mut d, 0, &[0.003; 1440]);
        let shifted = feed(&mut d, 1440 * MINUTE, &[0.030; 1440]);
        let last_flag = shifted
            .iter()
            .rposition(|v| matches!(v, Verdict::Anomalous { .. }))
            .unwrap_or(0);
        assert!(
            (700..760).contains(&last_flag),
            "flagged until run {last_flag}"
        );
        assert!(
            shifted[last_flag + 1..]
                .iter()
                .all(|v| *v == Verdict::Normal)
        );
    }

    #[test]
    fn bands_have_floors() {
        let flat = Baseline::of(&[0.002; 50]).unwrap_or_else(|| panic!("a baseline"));
        assert_eq!(flat.spread, 0.0);
        assert_eq!(flat.band(Unit::Seconds), (0.002 - 0.005, 0.002 + 0.005));
        let big = Baseline::of(&[10.0; 50]).unwrap_or_else(|| panic!("a baseline"));
        assert_eq!(big.band(Unit::Count), (5.0, 15.0));
    }
}
