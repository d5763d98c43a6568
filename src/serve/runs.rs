//! The last result and the runs in flight: every reader is answered from
//! the last run when it is young enough, and otherwise waits for the one
//! run in flight, so that any number of concurrent requests for a fresh
//! result cause one run of each check (one connection to each dependency).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::checks::runner::{Report, run_all};
use crate::checks::{Check, CheckId, CheckResult};
use crate::clock;
use crate::status::Status;

/// Who asked for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::AsRefStr)]
#[strum(serialize_all = "snake_case")]
pub enum Origin {
    /// The scheduler's round: the one that alerts (and, on the leader, is recorded).
    Scheduled,
    /// A request that wanted a fresher result than the last one.
    OnDemand,
}

/// One finished run of the selected checks.
#[derive(Debug)]
pub struct Round {
    /// The `check all` document; its `timestamp` is `at`.
    pub report: Report,
    pub at: DateTime<Utc>,
    pub origin: Origin,
    /// Since when each check has had its current status, as far as this
    /// server has seen (its start, at the earliest).
    pub since: HashMap<CheckId, DateTime<Utc>>,
    /// What every answer from this round shares, rendered once.
    pub(super) rendered: OnceLock<super::handlers::Rendered>,
}

impl Round {
    pub fn new(
        report: Report,
        at: DateTime<Utc>,
        origin: Origin,
        since: HashMap<CheckId, DateTime<Utc>>,
    ) -> Round {
        Round {
            report,
            at,
            origin,
            since,
            rendered: OnceLock::new(),
        }
    }

    /// How old the result is at `now`.
    pub fn age(&self, now: DateTime<Utc>) -> Duration {
        (now - self.at).to_std().unwrap_or_default()
    }
}

/// A result handed to a reader, and whether it waited for it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub round: Arc<Round>,
    /// Answered from a run finished before the request, not one it waited for.
    pub cached: bool,
}

#[derive(Default)]
struct Inner {
    last: Option<Arc<Round>>,
    /// The round before `last`: what an amended `last` says its statuses held since.
    previous: Option<Arc<Round>>,
    in_flight: Option<watch::Receiver<Option<Arc<Round>>>>,
    runs: HashMap<Origin, u64>,
}

/// The checks a server runs, their last result and the run in flight.
pub struct Runs {
    checks: Vec<Arc<dyn Check>>,
    timeout: Duration,
    /// `VITALS_MAX_IN_FLIGHT`: how many checks of a round run at once.
    max_in_flight: usize,
    inner: Mutex<Inner>,
}

/// The run ended without a result (its task panicked).
#[derive(Debug, thiserror::Error)]
#[error("the checks stopped without a result")]
pub struct NoResult;

impl Runs {
    pub fn new(checks: Vec<Arc<dyn Check>>, timeout: Duration, max_in_flight: usize) -> Runs {
        Runs {
            checks,
            timeout,
            max_in_flight,
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn checks(&self) -> &[Arc<dyn Check>] {
        &self.checks
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding it left plain data behind, still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The last finished run, if any.
    pub fn last(&self) -> Option<Arc<Round>> {
        self.lock().last.clone()
    }

    /// How many runs each origin started.
    pub fn counts(&self) -> Vec<(Origin, u64)> {
        let inner = self.lock();
        [Origin::Scheduled, Origin::OnDemand]
            .into_iter()
            .map(|o| (o, inner.runs.get(&o).copied().unwrap_or(0)))
            .collect()
    }

    /// A result at most `max_age` old (any age when `None`): the last one
    /// when it is young enough, else the run in flight, else a new run. A
    /// run in flight answers every request that arrives while it runs: its
    /// result comes after the request, and it started at most one timeout
    /// before it.
    pub async fn answer(self: &Arc<Self>, max_age: Option<Duration>) -> Result<Answer, NoResult> {
        let waiting = {
            let inner = self.lock();
            if let Some(last) = &inner.last
                && max_age.is_none_or(|max| last.age(clock::now()) <= max)
            {
                return Ok(Answer {
                    round: Arc::clone(last),
                    cached: true,
                });
            }
            self.join_or_start(inner, Origin::OnDemand)
        };
        let round = wait(waiting).await?;
        Ok(Answer {
            round,
            cached: false,
        })
    }

    /// Runs the checks (or joins the run in flight) and returns its result.
    pub async fn run(self: &Arc<Self>, origin: Origin) -> Result<Arc<Round>, NoResult> {
        let waiting = self.join_or_start(self.lock(), origin);
        wait(waiting).await
    }

    /// Makes `round`, while it is still the last result, answer with
    /// `checks` instead: the same run's results as recording left them
    /// (each with the anomalies its metrics show, a healthy one degraded),
    /// so that the round that found an anomaly is the one that says so.
    /// Returns whether it did.
    pub fn amend(&self, round: &Arc<Round>, checks: Vec<(CheckId, CheckResult)>) -> bool {
        let mut inner = self.lock();
        if !inner
            .last
            .as_ref()
            .is_some_and(|last| Arc::ptr_eq(last, round))
        {
            return false;
        }
        let since = since(inner.previous.as_deref(), &checks, round.at);
        let mut report = Report::at(checks, Duration::ZERO, round.at);
        report.duration_ms = round.report.duration_ms;
        inner.last = Some(Arc::new(Round::new(report, round.at, round.origin, since)));
        true
    }

    fn join_or_start(
        self: &Arc<Self>,
        mut inner: MutexGuard<'_, Inner>,
        origin: Origin,
    ) -> watch::Receiver<Option<Arc<Round>>> {
        if let Some(running) = &inner.in_flight {
            return running.clone();
        }
        let (tell, told) = watch::channel(None);
        inner.in_flight = Some(told.clone());
        *inner.runs.entry(origin).or_default() += 1;
        drop(inner);
        let runs = Arc::clone(self);
        // Its own task: the run finishes (and is kept) even when every
        // request waiting for it has gone.
        tokio::spawn(async move {
            let (checks, duration) =
                run_all(&runs.checks, runs.timeout, &[], runs.max_in_flight).await;
            let at = clock::now();
            let mut inner = runs.lock();
            let since = since(inner.last.as_deref(), &checks, at);
            let round = Arc::new(Round::new(
                Report::at(checks, duration, at),
                at,
                origin,
                since,
            ));
            inner.previous = inner.last.replace(Arc::clone(&round));
            inner.in_flight = None;
            drop(inner);
            tell.send_replace(Some(round));
        });
        told
    }
}

async fn wait(mut waiting: watch::Receiver<Option<Arc<Round>>>) -> Result<Arc<Round>, NoResult> {
    let round = waiting
        .wait_for(Option::is_some)
        .await
        .map_err(|_| NoResult)?;
    round.clone().ok_or(NoResult)
}

/// Since when each check has had its status: unchanged since the last
/// round, the same instant; changed (or new), `at`.
fn since(
    last: Option<&Round>,
    checks: &[(CheckId, CheckResult)],
    at: DateTime<Utc>,
) -> HashMap<CheckId, DateTime<Utc>> {
    checks
        .iter()
        .map(|(id, result)| {
            let kept = last.and_then(|last| {
                let before: Status = last
                    .report
                    .checks
                    .iter()
                    .find(|(other, _)| other == id)
                    .map(|(_, r)| r.status)?;
                (before == result.status)
                    .then(|| last.since.get(id).copied())
                    .flatten()
            });
            (*id, kept.unwrap_or(at))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CheckResult;

    fn round(status: Status, at: DateTime<Utc>, since: DateTime<Utc>) -> Round {
        let db = crate::checks::database::CHECK.id();
        Round::new(
            Report::at(
                vec![(db, CheckResult::new(status, "m"))],
                Duration::ZERO,
                at,
            ),
            at,
            Origin::Scheduled,
            HashMap::from([(db, since)]),
        )
    }

    #[test]
    fn time_in_state_is_kept_while_the_status_holds() {
        let db = crate::checks::database::CHECK.id();
        let t0 = DateTime::from_timestamp(1_000, 0).unwrap_or_default();
        let t1 = DateTime::from_timestamp(1_060, 0).unwrap_or_default();
        let last = round(Status::Healthy, t0, t0);
        let same = since(
            Some(&last),
            &[(db, CheckResult::new(Status::Healthy, "m"))],
            t1,
        );
        assert_eq!(same.get(&db), Some(&t0));
        let changed = since(
            Some(&last),
            &[(db, CheckResult::new(Status::Unhealthy, "m"))],
            t1,
        );
        assert_eq!(changed.get(&db), Some(&t1));
        assert_eq!(
            since(None, &[(db, CheckResult::new(Status::Healthy, "m"))], t1).get(&db),
            Some(&t1)
        );
    }

    /// A check that takes 50 ms and counts its runs.
    struct Counted(Arc<std::sync::atomic::AtomicUsize>);

    impl Check for Counted {
        fn id(&self) -> CheckId {
            crate::checks::database::CHECK.id()
        }

        fn configured(&self) -> bool {
            true
        }

        fn run(
            &self,
            _deadline: tokio::time::Instant,
        ) -> futures_util::future::BoxFuture<'_, CheckResult> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                CheckResult::new(Status::Healthy, "ok")
            })
        }
    }

    #[test]
    fn concurrent_readers_share_one_run_and_then_the_cache() {
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let check: Arc<dyn Check> = Arc::new(Counted(Arc::clone(&count)));
        let runs = Arc::new(Runs::new(vec![check], Duration::from_secs(5), 1));
        let runtime = crate::runtime::build(2).unwrap_or_else(|e| panic!("{e}"));
        let answers = runtime.block_on(async {
            let readers: Vec<_> = (0..50)
                .map(|_| {
                    let runs = Arc::clone(&runs);
                    tokio::spawn(async move { runs.answer(Some(Duration::ZERO)).await })
                })
                .collect();
            futures_util::future::join_all(readers).await
        });
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
        let first = runs.last().map(|r| r.at);
        for answer in answers {
            let answer = answer
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(!answer.cached);
            assert_eq!(Some(answer.round.at), first);
        }
        // Young enough: from the cache, no run.
        let cached = runtime
            .block_on(runs.answer(Some(Duration::from_secs(3600))))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(cached.cached);
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(
            runs.counts(),
            [(Origin::Scheduled, 0), (Origin::OnDemand, 1)]
        );
    }

    #[test]
    fn an_amended_round_answers_while_it_is_the_last() {
        let db = crate::checks::database::CHECK.id();
        let runs = Runs::new(Vec::new(), Duration::from_secs(5), 1);
        let t0 = DateTime::from_timestamp(1_000, 0).unwrap_or_default();
        let t1 = DateTime::from_timestamp(1_060, 0).unwrap_or_default();
        let first = Arc::new(round(Status::Degraded, t0, t0));
        let second = Arc::new(round(Status::Healthy, t1, t1));
        {
            let mut inner = runs.lock();
            inner.previous = Some(first);
            inner.last = Some(Arc::clone(&second));
        }
        // Recording found the anomaly that degraded the round before: it still holds.
        let mut found = CheckResult::new(Status::Healthy, "m");
        found.add_anomalies(vec![crate::metrics::Anomaly {
            metric: "vitals_check_response_seconds".to_owned(),
            value: 0.05,
            baseline: 0.001,
            band: [0.0, 0.006],
            since: t0,
            unit: crate::metrics::Unit::Seconds,
            usual: [0.001, 0.002],
            window: Duration::from_secs(3600),
        }]);
        assert!(runs.amend(&second, vec![(db, found)]));
        let last = runs.last().unwrap_or_else(|| panic!("a round"));
        assert_eq!(last.report.overall_status, Status::Degraded);
        assert_eq!(last.report.checks[0].1.anomalies.len(), 1);
        assert_eq!(last.since.get(&db), Some(&t0));
        assert_eq!(last.at, t1);
        // A round that is no longer the last is left alone.
        assert!(!runs.amend(
            &second,
            vec![(db, CheckResult::new(Status::Unhealthy, "m"))]
        ));
        assert_eq!(
            runs.last().map(|r| r.report.overall_status),
            Some(Status::Degraded)
        );
    }

    #[test]
    fn age_is_never_negative() {
        let t0 = DateTime::from_timestamp(1_000, 0).unwrap_or_default();
        let earlier = DateTime::from_timestamp(999, 0).unwrap_or_default();
        assert_eq!(round(Status::Healthy, t0, t0).age(earlier), Duration::ZERO);
        assert_eq!(
            round(Status::Healthy, earlier, earlier).age(t0),
            Duration::from_secs(1)
        );
    }
}
