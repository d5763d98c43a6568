//! Running checks: each bounded by the timeout whatever it does, all of them
//! at once, and the documents `check` prints.

use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::{Check, CheckId, CheckResult};
use crate::status::Status;
use crate::text::{self, millis};
use crate::{clock, json};

/// Runs one check, bounded by its own timeout (else `timeout`) whatever the
/// check does, plus the time it says it needs to stop what it started.
pub async fn run_bounded(check: &dyn Check, timeout: Duration) -> CheckResult {
    let started = Instant::now();
    let limit = check.timeout().unwrap_or(timeout);
    let deadline = started + limit;
    let bound = deadline + check.overrun();
    let mut result = match tokio::time::timeout_at(bound, check.run(deadline)).await {
        Ok(result) => result,
        Err(_) => CheckResult::unhealthy(timed_out(check.target().as_deref(), limit)),
    };
    result.duration = Some(started.elapsed());
    of_check(check, &mut result);
    tracing::info!(
        "{}: {} after {:.2} ms: {}",
        check.id().key(),
        result.status,
        millis(started.elapsed()),
        result.message
    );
    result
}

/// What a result carries of its check besides what it found: its targets
/// and alert fields (for the alerts' labels), and whether it is timed.
pub fn of_check(check: &dyn Check, result: &mut CheckResult) {
    result.target = check.target();
    result.part_targets = check.part_targets();
    result.part_alert_fields = check.part_alert_fields();
    result.alert_fields = check.alert_fields();
    result.timed = check.timed();
}

/// "`target`: timed out after 5.0 s", the one wording of a check's timeout.
pub fn timed_out(target: Option<&str>, limit: Duration) -> String {
    let what = format!("timed out after {}", text::duration(limit));
    match target {
        Some(target) => format!("{target}: {what}"),
        None => what,
    }
}

/// Runs `checks` at once, at most `max_in_flight` at a time (each holds a
/// socket or a process while it runs), each on its own task so that one
/// check's CPU work (SCRAM hashing, TLS handshakes) does not stall another's
/// clock, and returns their results in order with the wall time of the
/// whole run. A check's time starts when it starts, not while it waits its
/// turn. A check that must be configured (`required`) and is not counts as
/// unhealthy.
pub async fn run_all(
    checks: &[Arc<dyn Check>],
    timeout: Duration,
    required: &[CheckId],
    max_in_flight: usize,
) -> (Vec<(CheckId, CheckResult)>, Duration) {
    let started = std::time::Instant::now();
    let turns = Arc::new(Semaphore::new(max_in_flight.max(1)));
    let tasks: Vec<_> = checks
        .iter()
        .map(|check| {
            let check = Arc::clone(check);
            let turns = Arc::clone(&turns);
            tokio::spawn(async move {
                // Never closed: a permit is always granted in time.
                let _turn = turns.acquire_owned().await;
                run_bounded(check.as_ref(), timeout).await
            })
        })
        .collect();
    let results = futures_util::future::join_all(tasks).await;
    let duration = started.elapsed();
    let checks = checks
        .iter()
        .zip(results)
        .map(|(check, result)| {
            let result = result.unwrap_or_else(|e| {
                CheckResult::unhealthy(format!("internal error: the check stopped ({e})"))
            });
            (check.id(), enforce_required(check.id(), result, required))
        })
        .collect();
    (checks, duration)
}

/// The `check all` document.
#[derive(Debug, Serialize)]
pub struct Report {
    pub overall_status: Status,
    pub timestamp: String,
    /// With `check --max-age` ([`Report::freshness`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<f64>,
    pub duration_ms: f64,
    #[serde(serialize_with = "json::pairs")]
    pub checks: Vec<(CheckId, CheckResult)>,
}

impl Report {
    /// The document of a run that finished now.
    pub fn new(checks: Vec<(CheckId, CheckResult)>, duration: Duration) -> Report {
        Report::at(checks, duration, clock::now())
    }

    /// The document of a run that finished at `at`.
    pub fn at(
        checks: Vec<(CheckId, CheckResult)>,
        duration: Duration,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Report {
        Report {
            overall_status: Status::worst_of(checks.iter().map(|(_, r)| r.status)),
            timestamp: json::timestamp(at),
            cached: None,
            age_seconds: None,
            duration_ms: millis(duration),
            checks,
        }
    }

    /// With `check --max-age`: the document is as old as its oldest result
    /// read from the history (`timestamp` is when that run started), and
    /// `cached` when any result was.
    pub fn freshness(&mut self) {
        let oldest = self
            .checks
            .iter()
            .filter_map(|(_, r)| r.freshness.filter(|f| f.cached))
            .min_by_key(|f| f.at);
        if let Some(fresh) = oldest {
            self.timestamp = json::timestamp(fresh.at);
        }
        self.cached = Some(oldest.is_some());
        self.age_seconds = Some(oldest.map_or(0.0, |f| text::seconds(f.age)));
    }
}

/// One check's result, printed on its own (`check db`): the JSON is the check's object.
#[derive(Debug)]
pub struct Single<'a> {
    pub id: CheckId,
    pub result: &'a CheckResult,
}

impl Serialize for Single<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.result.serialize(serializer)
    }
}

/// `check --list`: every check there is, with its kind and what it looks at.
#[derive(Debug, Serialize)]
pub struct Listing {
    pub checks: Vec<Listed>,
}

#[derive(Debug, Serialize)]
pub struct Listed {
    pub name: &'static str,
    /// `built-in`, or a declared check's kind (`command`, `tcp`…).
    pub kind: &'static str,
    pub configured: bool,
    /// What it looks at, without credentials; `null` when unconfigured.
    pub target: Option<String>,
}

impl Listing {
    pub fn new(checks: &[Box<dyn Check>]) -> Listing {
        Listing {
            checks: checks
                .iter()
                .map(|c| Listed {
                    name: c.id().key(),
                    kind: c.kind(),
                    configured: c.configured(),
                    target: c.target(),
                })
                .collect(),
        }
    }
}

/// `--require`: an unconfigured check that must be there is a failure, not a shrug.
pub fn enforce_required(id: CheckId, result: CheckResult, required: &[CheckId]) -> CheckResult {
    if result.status == Status::Unconfigured && required.contains(&id) {
        CheckResult {
            timed: result.timed,
            ..CheckResult::unhealthy(format!(
                "required but not configured: set {}",
                id.configured_by()
            ))
        }
    } else {
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_unconfigured_becomes_unhealthy() {
        let cache = crate::checks::cache::CHECK.id();
        let r = enforce_required(cache, CheckResult::unconfigured("REDIS_URL"), &[cache]);
        assert_eq!(r.status, Status::Unhealthy);
        assert_eq!(r.message, "required but not configured: set REDIS_URL");
        let r = enforce_required(cache, CheckResult::unconfigured("REDIS_URL"), &[]);
        assert_eq!(r.status, Status::Unconfigured);
    }
}
