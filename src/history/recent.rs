//! The latest recorded run of each check on one instance, for `check
//! --max-age`: a run young enough answers instead of a new one. Only what a
//! run keeps comes back (status, message, response time); the checks'
//! other details are not recorded.

use std::time::Duration;

use chrono::{DateTime, Utc};
use strum::IntoEnumIterator as _;

use super::maintain::{float_at, int_at, text_at};
use super::{RESPONSE_TIME, series_id};
use crate::checks::CheckResult;
use crate::status::Status;
use crate::store::{Backend, Result, int, text};

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
        let rows = db
            .query(
                "SELECT id, started_at, duration_us, status, message FROM history_runs \
                 WHERE check_name = $1 AND instance = $2 AND started_at >= $3 AND started_at <= $4 \
                 ORDER BY started_at DESC, id DESC LIMIT 1",
                &[
                    text(check),
                    text(instance),
                    int(since.timestamp_millis()),
                    int(until.timestamp_millis()),
                ],
            )
            .await?;
        let Some(row) = rows.first() else {
            continue;
        };
        let name = text_at(row, 3)?;
        let Some(status) = Status::iter().find(|s| s.as_ref() == name) else {
            continue;
        };
        let run = int_at(row, 0)?;
        let series = series_id(check, instance, RESPONSE_TIME);
        let response = db
            .query(
                "SELECT value FROM history_samples WHERE series = $1 AND run_id = $2",
                &[int(series), int(run)],
            )
            .await?;
        let response_time_ms = match response.first() {
            // Milliseconds with two decimals, as the run printed them.
            Some(row) => Some((float_at(row, 0)? * 100_000.0).round() / 100.0),
            None => None,
        };
        out.push(Recent {
            check: check.clone(),
            started_at: DateTime::from_timestamp_millis(int_at(row, 1)?).unwrap_or_default(),
            duration: Duration::from_micros(u64::try_from(int_at(row, 2)?).unwrap_or(0)),
            status,
            message: text_at(row, 4)?,
            response_time_ms,
        });
    }
    Ok(out)
}
