//! Each check's run counters in the store, so thresholds hold across cron
//! runs and hosts: how many consecutive runs it has been in trouble or
//! healthy, and when it last changed between the two (for flapping).

use std::time::Duration;

use super::super::Timestamp;
use super::write::millis_of;
use crate::store::{Backend, Lock, Param, Result, StoreError, int, text};

/// Everything that reads and then writes the check states.
const CHECK_STATES_LOCK: Lock<'static> = Lock::Global(4);

/// One run of one subject (a check, or one service of a check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// `instance/check` or `instance/check/service`.
    pub subject: String,
    pub trouble: bool,
}

/// A subject's state after a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// Consecutive runs in trouble, this one included (0 when healthy).
    pub failing_runs: u32,
    /// Consecutive healthy runs, this one included (0 when in trouble).
    pub healthy_runs: u32,
    /// When it changed between trouble and health within the flap window, oldest first.
    pub changes: Vec<Timestamp>,
    /// Since when it has been flapping, if it is (or was, until this run: see `flap`).
    pub flapping_since: Option<Timestamp>,
    pub flap: Flap,
}

/// More changes between trouble and health than this within the flap
/// window, and a check is flapping; it has settled once the window passes
/// without a change.
pub const FLAP_CHANGES: usize = 4;

/// What this run did to a subject's flapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flap {
    /// Not flapping.
    Steady,
    /// It just started flapping.
    Started,
    /// Still flapping.
    Flapping,
    /// It was flapping and has been stable for the whole window.
    Settled,
}

/// The flap state after a run: flapping since when, and what changed.
pub fn flap(since: Option<Timestamp>, changes: usize, now: Timestamp) -> (Option<Timestamp>, Flap) {
    match since {
        None if changes > FLAP_CHANGES => (Some(now), Flap::Started),
        None => (None, Flap::Steady),
        Some(_) if changes == 0 => (None, Flap::Settled),
        Some(since) => (Some(since), Flap::Flapping),
    }
}

/// Counts one run of each subject; state changes older than `window` are forgotten.
pub(super) async fn observe(
    db: &mut dyn Backend,
    runs: &[Run],
    now: Timestamp,
    window: Duration,
) -> Result<Vec<Observed>> {
    db.lock(CHECK_STATES_LOCK).await?;
    let since = now.millis().saturating_sub(millis_of(window));
    let mut observed = Vec::with_capacity(runs.len());
    for run in runs {
        let rows = db
            .query(
                "SELECT status, failing_runs, healthy_runs, changes, flapping_since \
                 FROM check_states WHERE subject = $1",
                &[text(&run.subject)],
            )
            .await?;
        let status = if run.trouble { "trouble" } else { "healthy" };
        let count = |n: Option<i64>| n.and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        let state = match rows.first() {
            None => {
                let state = Observed {
                    failing_runs: u32::from(run.trouble),
                    healthy_runs: u32::from(!run.trouble),
                    changes: Vec::new(),
                    flapping_since: None,
                    flap: Flap::Steady,
                };
                db.execute(
                    "INSERT INTO check_states (subject, status, failing_runs, healthy_runs, \
                     changes, flapping_since, updated_at) VALUES ($1, $2, $3, $4, '[]', NULL, $5)",
                    &[
                        text(&run.subject),
                        text(status),
                        int(i64::from(state.failing_runs)),
                        int(i64::from(state.healthy_runs)),
                        int(now.millis()),
                    ],
                )
                .await?;
                state
            }
            Some(row) => {
                let [was, failing, healthy, changes, flapping_since] = row.as_slice() else {
                    return Err(StoreError::Malformed("a check_states row".into()));
                };
                let changed = was.text()?.as_deref() != Some(status);
                let mut changes: Vec<i64> =
                    serde_json::from_str(&changes.text()?.unwrap_or_default()).map_err(|_| {
                        StoreError::Malformed(format!("changes of {} are not a list", run.subject))
                    })?;
                if changed {
                    changes.push(now.millis());
                }
                changes.retain(|at| *at > since);
                let (failing, healthy) = (count(failing.int()?), count(healthy.int()?));
                let was_flapping = flapping_since.int()?.and_then(Timestamp::from_millis);
                let (flapping_since, flap) = flap(was_flapping, changes.len(), now);
                let state = Observed {
                    failing_runs: if run.trouble {
                        failing.saturating_add(1)
                    } else {
                        0
                    },
                    healthy_runs: if run.trouble {
                        0
                    } else {
                        healthy.saturating_add(1)
                    },
                    changes: changes
                        .iter()
                        .filter_map(|at| Timestamp::from_millis(*at))
                        .collect(),
                    flapping_since: flapping_since.or(was_flapping),
                    flap,
                };
                db.execute(
                    "UPDATE check_states SET status = $1, failing_runs = $2, healthy_runs = $3, \
                     changes = $4, flapping_since = $5, updated_at = $6 WHERE subject = $7",
                    &[
                        text(status),
                        int(i64::from(state.failing_runs)),
                        int(i64::from(state.healthy_runs)),
                        text(serde_json::to_string(&changes).unwrap_or_else(|_| "[]".into())),
                        Param::Int(flapping_since.map(Timestamp::millis)),
                        int(now.millis()),
                        text(&run.subject),
                    ],
                )
                .await?;
                state
            }
        };
        observed.push(state);
    }
    Ok(observed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flapping_starts_past_the_limit_and_settles_after_a_quiet_window() {
        let now = Timestamp::now();
        assert_eq!(flap(None, FLAP_CHANGES, now), (None, Flap::Steady));
        assert_eq!(
            flap(None, FLAP_CHANGES + 1, now),
            (Some(now), Flap::Started)
        );
        let since = Timestamp::from_millis(now.millis() - 60_000);
        assert_eq!(flap(since, 1, now), (since, Flap::Flapping));
        assert_eq!(flap(since, 0, now), (None, Flap::Settled));
    }
}
