//! The rounds: the selected checks every interval, give or take a little
//! jitter (so that servers started together do not hit a dependency in
//! step), each round's alerts raised and resolved as `check --alert` does;
//! on the leader only.

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::App;
use super::runs::{Origin, Round};
use crate::alerts::from_checks;
use crate::error::report;
use crate::recording;

/// Runs rounds until the server is asked to stop; a round in progress then
/// finishes, its alerting told to wind down.
pub async fn schedule(app: Arc<App>) {
    let interval = app.options.interval;
    let mut planned = Instant::now();
    let mut said = HashSet::new();
    loop {
        // Only the leader runs rounds; a new leader starts one at once.
        if !app.lead.leading() {
            tokio::select! {
                biased;
                _ = app.stop.requested() => return,
                () = app.lead.acquired() => {}
            }
            planned = Instant::now();
        }
        tokio::select! {
            biased;
            _ = app.stop.requested() => return,
            () = app.lead.lost() => continue,
            () = tokio::time::sleep_until(planned) => {}
        }
        let lag = planned.elapsed();
        match app.runs.run(Origin::Scheduled).await {
            Ok(round) => after_round(&app, &round, &mut said).await,
            Err(e) => tracing::warn!("the scheduled round: {e}"),
        }
        {
            let mut schedule = app.schedule.lock().unwrap_or_else(|e| e.into_inner());
            schedule.lag = lag;
            schedule.rounds += 1;
        }
        planned = next(planned, interval, Instant::now(), random());
    }
}

/// What follows each scheduled round: the run recorded in the check
/// history as `check --record` does (before alerting, so that an alert's
/// run is on record and anomalies are alerted on), alerting, then the
/// dashboard's history read again.
async fn after_round(app: &Arc<App>, round: &Arc<Round>, said: &mut HashSet<String>) {
    let options = &app.options;
    // Each problem once while it lasts, not once a round.
    let mut now_said = HashSet::new();
    let mut notice = |message: String| {
        if !said.contains(&message) {
            tracing::warn!("{message}");
        }
        now_said.insert(message);
    };
    let mut checks = round.report.checks.clone();
    let started_at = round.at - chrono::Duration::milliseconds(round.report.duration_ms as i64);
    let recorded = recording::record(
        &mut checks,
        started_at,
        &options.store,
        &options.history,
        options.timeout,
    )
    .await;
    match &recorded {
        // The round that found an anomaly says so itself, not only the next one.
        Ok(()) if checks.iter().any(|(_, r)| !r.anomalies.is_empty()) => {
            app.runs.amend(round, checks.clone());
        }
        Ok(()) => {}
        Err(e) => notice(format!("the round was not recorded: {}", report(e))),
    }
    if let Some(alerting) = &options.alerting {
        alert(app, &checks, alerting, &mut notice).await;
        app.open_alerts.changed();
    }
    *said = now_said;
    // The dashboard's history read afresh once a round, not by a request;
    // a server that is stopping shows nothing more.
    if recorded.is_ok() {
        tokio::select! {
            biased;
            _ = app.stop.requested() => {}
            _ = super::handlers::read_past(app) => {}
        }
    }
}

/// Raises and resolves the round's alerts as `check --alert` does.
async fn alert(
    app: &App,
    checks: &[(crate::checks::CheckId, crate::checks::CheckResult)],
    alerting: &super::Alerting,
    notice: &mut impl FnMut(String),
) {
    let options = &app.options;
    let (_, interrupted) = from_checks::alert_checks(
        checks,
        &options.config,
        &options.entries,
        &alerting.failure,
        &alerting.hygiene,
        options.timeout,
        notice,
        &app.stop,
    )
    .await;
    if let Some(signal) = interrupted {
        tracing::warn!(
            "{signal}: alerting of the last round was cut short; the notifications that had \
             finished were recorded, those in progress as unknown"
        );
    }
}

/// When the round after one planned at `planned` starts: an interval
/// later, moved by up to a twentieth of it either way (`random` picks
/// where); at once when that time has passed already.
pub fn next(planned: Instant, interval: Duration, now: Instant, random: u64) -> Instant {
    let spread = interval / 10;
    let jitter = spread.mul_f64((random % 1001) as f64 / 1000.0);
    let at = planned + interval + jitter - spread / 2;
    at.max(now)
}

/// A number that differs from call to call (`RandomState` is keyed afresh
/// each time): jitter needs no more.
fn random() -> u64 {
    std::collections::hash_map::RandomState::new().hash_one(0u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_keep_the_interval_within_the_jitter() {
        let t0 = Instant::now();
        let minute = Duration::from_secs(60);
        assert_eq!(next(t0, minute, t0, 0), t0 + Duration::from_secs(57));
        assert_eq!(next(t0, minute, t0, 1000), t0 + Duration::from_secs(63));
        assert_eq!(next(t0, minute, t0, 500), t0 + minute);
    }

    #[test]
    fn a_late_round_starts_at_once() {
        let t0 = Instant::now();
        let late = t0 + Duration::from_secs(300);
        assert_eq!(next(t0, Duration::from_secs(60), late, 500), late);
    }
}
