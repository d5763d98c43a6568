//! Each check's run counters in the store, so thresholds hold across cron
//! runs and hosts: how many consecutive runs it has been in trouble or
//! healthy, and when it last changed between the two (for flapping).

use std::time::Duration;

use super::super::Timestamp;
use super::write::millis_of;
use crate::store::{Backend, Lock, Result, StoreError, int, text};

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
    /// Since when it has been flapping, if it is.
    pub flapping_since: Option<Timestamp>,
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
                    flapping_since: flapping_since.int()?.and_then(Timestamp::from_millis),
                };
                db.execute(
                    "UPDATE check_states SET status = $1, failing_runs = $2, healthy_runs = $3, \
                     changes = $4, updated_at = $5 WHERE subject = $6",
                    &[
                        text(status),
                        int(i64::from(state.failing_runs)),
                        int(i64::from(state.healthy_runs)),
                        text(serde_json::to_string(&changes).unwrap_or_else(|_| "[]".into())),
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
