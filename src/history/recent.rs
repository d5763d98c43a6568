//! The latest recorded run of each check on one instance, for `check
//! --max-age`: a run young enough answers instead of a new one. Only what a
//! run keeps comes back (status, message, response time); the checks'
//! other details are not recorded.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::maintain::{int_at, text_at};
use super::query::at;
use super::{RESPONSE_TIME, series_id};
use crate::checks::CheckResult;
use crate::status::Status;
use crate::store::{Backend, Cell, Result, int, text};
use crate::text;

/// A check's latest recorded run.
#[derive(Debug, Clone, PartialEq)]
pub struct Recent {
    /// The check's canonical name.
    pub check: String,
    pub started_at: DateTime<Utc>,
    pub duration: Duration,
    pub status: Status,
    pub message: String,
    /// `None` when the run measured none.
    pub response_time_ms: Option<f64>,
}

impl Recent {
    /// The result the run printed, as far as the history kept it.
    pub fn result(&self) -> CheckResult {
        let mut result = CheckResult::new(self.status, self.message.clone());
        result.response_time_ms = self.response_time_ms;
        result.duration = Some(self.duration);
        result
    }
}

/// The latest run of each of `checks` on `instance` that started in
/// `[since, until]`, in the order of `checks`; a check without one (or
/// whose status this vitals does not know) is left out.
pub(super) async fn latest(
    db: &mut dyn Backend,
    checks: &[String],
    instance: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Recent>> {
    let mut out = Vec::new();
    for check in checks {
        let series = series_id(check, instance, RESPONSE_TIME);
        let rows = db
            .query(
                "SELECT r.started_at, r.duration_us, r.status, r.message, s.value \
                 FROM history_runs r \
                 LEFT JOIN history_samples s ON s.run_id = r.id AND s.series = $5 \
                 WHERE r.check_name = $1 AND r.instance = $2 \
                 AND r.started_at >= $3 AND r.started_at <= $4 \
                 ORDER BY r.started_at DESC, r.id DESC LIMIT 1",
                &[
                    text(check),
                    text(instance),
                    int(since.timestamp_millis()),
                    int(until.timestamp_millis()),
                    int(series),
                ],
            )
            .await?;
        let Some(row) = rows.first() else {
            continue;
        };
        let Ok(status) = text_at(row, 2)?.parse::<Status>() else {
            continue;
        };
        // Milliseconds with two decimals, as the run printed them.
        let response_time_ms = row
            .get(4)
            .map(Cell::float)
            .transpose()?
            .flatten()
            .map(|seconds| text::millis(Duration::try_from_secs_f64(seconds).unwrap_or_default()));
        out.push(Recent {
            check: check.clone(),
            started_at: at(int_at(row, 0)?),
            duration: Duration::from_micros(u64::try_from(int_at(row, 1)?).unwrap_or(0)),
            status,
            message: text_at(row, 3)?,
            response_time_ms,
        });
    }
    Ok(out)
}
