//! `check … --alert`: the alerts checks raise, the ones their recovery
//! resolves, and the ones left behind by a check this vitals no longer runs
//! (stale). Every check alert carries the labels `check`, `target` and
//! `instance`, so that hosts sharing a store each raise and resolve their
//! own; a failing external service raises its own alert (label `service`).

use std::time::Duration;

use serde_json::{Map, Value};

mod flapping;
mod severity;
mod stale;

pub use severity::FailureSeverity;

use super::channels::{self, Entry};
use super::hygiene::{self, FLAP_WINDOW, Hygiene, Subject};
use super::lifecycle::{Raised, Raising, follow_up, in_store, open_store, raise_all, rules};
use super::policy::Hold;
use super::store::{Flap, Matching, Run};
use super::{Alert, Delivery, Event, Held, Labels, Outcome, Policy, Severity, Timestamp};
use crate::checks::{CheckId, CheckResult, services};
use crate::config::Config;
use crate::error::report;
use crate::exit::Exit;
use crate::runtime::Stop;
use crate::status::Status;
use flapping::{flapping_alert, hold_flapping, settled};
use stale::mark_stale;

/// The type suffix and severity of a check in trouble; `None` when it is not.
fn trouble(status: Status, failure: Severity) -> Option<(&'static str, Severity)> {
    match status {
        Status::Unhealthy => Some(("failure", failure)),
        Status::Degraded => Some(("degraded", Severity::Warning)),
        Status::Unknown => Some(("unknown", Severity::Warning)),
        Status::Healthy | Status::Unconfigured => None,
    }
}

/// The types of a check's alerts, which its recovery resolves.
fn alert_types(id: CheckId) -> Vec<String> {
    ["failure", "degraded", "unknown"]
        .iter()
        .map(|suffix| format!("{}_{suffix}", id.key()))
        .collect()
}

fn label(labels: &mut Labels, name: &str, value: &str) {
    labels.insert(name.to_owned(), value.to_owned());
}

/// `check`, `target` (when known) and `instance`.
fn check_labels(id: CheckId, target: Option<&str>, instance: &str) -> Labels {
    let mut labels = Labels::new();
    label(&mut labels, "check", id.key());
    label(&mut labels, "instance", instance);
    if let Some(target) = target {
        label(&mut labels, "target", target);
    }
    labels
}

/// The services of an `external_services` result, each with its status and result object.
fn services(result: &CheckResult) -> Vec<(String, Status, Map<String, Value>)> {
    let Some(Value::Object(services)) = result.details.get("services") else {
        return Vec::new();
    };
    services
        .iter()
        .filter_map(|(name, value)| {
            let object = value.as_object()?.clone();
            let status = serde_json::from_value(object.get("status")?.clone()).ok()?;
            Some((name.clone(), status, object))
        })
        .collect()
}

fn part_target<'a>(result: &'a CheckResult, part: &str) -> Option<&'a str> {
    result
        .part_targets
        .iter()
        .find(|(name, _)| name == part)
        .map(|(_, target)| target.as_str())
}

/// The alerts a check in trouble raises: `{check}_failure` (error) when it
/// is unhealthy, `{check}_degraded` (warning) when degraded, `{check}_unknown`
/// (warning) when it could not judge (a declared check's `severity` sets its failure's), with the check's result as context; for external services, one per service in trouble.
pub fn check_alerts(
    id: CheckId,
    result: &CheckResult,
    instance: &str,
    failure: &FailureSeverity,
) -> Vec<Alert> {
    // Degraded only for its anomalies: one `{check}_anomaly` alert per
    // metric, and no `{check}_degraded`.
    if result.anomaly_only {
        return result
            .anomalies
            .iter()
            .filter_map(|anomaly| {
                let mut labels = check_labels(id, result.target.as_deref(), instance);
                label(&mut labels, "metric", &anomaly.metric);
                let context = match serde_json::to_value(anomaly) {
                    Ok(Value::Object(map)) => map,
                    _ => Map::new(),
                };
                Alert::new(
                    &format!("{}_anomaly", id.key()),
                    Severity::Warning,
                    &format!("{}: {}", id.key(), anomaly.describe()),
                    context,
                )
                .and_then(|a| a.with_labels(labels))
                .ok()
            })
            .collect();
    }
    // A declared check's own `severity`, else `VITALS_ALERT_SEVERITY`'s.
    let failure = result
        .alert_fields
        .severity
        .as_deref()
        .and_then(|s| s.parse::<Severity>().ok())
        .unwrap_or_else(|| failure.of(id));
    let raise = |status: Status, message: String, context: Map<String, Value>, labels: Labels| {
        let (suffix, severity) = trouble(status, failure)?;
        Alert::new(
            &format!("{}_{suffix}", id.key()),
            severity,
            &message,
            context,
        )
        .and_then(|a| a.with_labels(labels))
        .ok()
    };
    if id == services::CHECK.id() {
        let each: Vec<Alert> = services(result)
            .into_iter()
            .filter_map(|(name, status, object)| {
                let mut labels = check_labels(id, part_target(result, &name), instance);
                label(&mut labels, "service", &name);
                let said = object
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let message = format!("{}: {name} is {status}: {said}", id.key());
                raise(status, message, object, labels)
            })
            .collect();
        // A check that failed as a whole (it timed out, or is required and
        // unconfigured) has no service to blame: it raises one alert.
        if !each.is_empty() {
            return each;
        }
    }
    let context = match serde_json::to_value(result) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let message = format!("{} is {}: {}", id.key(), result.status, result.message);
    let labels = check_labels(id, result.target.as_deref(), instance);
    raise(result.status, message, context, labels)
        .into_iter()
        .collect()
}

/// What a recovered check (or service) resolves, each with what it is about.
/// A healthy check resolves its own alerts; each healthy service of
/// `external_services` its own, so that each counts its own healthy runs.
fn recovered(
    id: CheckId,
    result: &CheckResult,
    instance: &str,
) -> Vec<(Matching, String, Subject)> {
    let note = |what: &str, said: &str| format!("{what} is healthy again: {said}");
    let mut out = Vec::new();
    // A metric back in its band resolves its anomaly, whatever else the check says.
    if !matches!(result.status, Status::Unhealthy | Status::Unconfigured) {
        out.push((
            Matching {
                types: vec![format!("{}_anomaly", id.key())],
                labels: check_labels(id, None, instance),
                target: result.target.clone(),
                legacy: false,
                without: None,
                spare: result
                    .anomalies
                    .iter()
                    .map(|a| ("metric".to_owned(), a.metric.clone()))
                    .collect(),
            },
            format!("{}: its metrics are back in their usual bands", id.key()),
            Subject {
                check: id,
                service: None,
            },
        ));
    }
    let is_services = id == services::CHECK.id();
    if result.status == Status::Healthy || result.anomaly_only {
        out.push((
            Matching {
                types: alert_types(id),
                labels: check_labels(id, None, instance),
                target: result.target.clone(),
                legacy: true,
                without: is_services.then(|| "service".to_owned()),
                spare: Vec::new(),
            },
            note(id.key(), &result.message),
            Subject {
                check: id,
                service: None,
            },
        ));
    }
    if is_services {
        for (name, status, object) in services(result) {
            if status != Status::Healthy {
                continue;
            }
            let mut labels = check_labels(id, None, instance);
            label(&mut labels, "service", &name);
            let said = object
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default();
            out.push((
                Matching {
                    types: alert_types(id),
                    labels,
                    target: part_target(result, &name).map(str::to_owned),
                    legacy: false,
                    without: None,
                    spare: Vec::new(),
                },
                note(&name, said),
                Subject {
                    check: id,
                    service: Some(name),
                },
            ));
        }
    }
    out
}

/// Whether any check here has a dependency, declared or from `VITALS_DEPENDS_ON`.
fn has_dependencies(checks: &[(CheckId, CheckResult)], hygiene: &Hygiene) -> bool {
    checks.iter().any(|(id, result)| {
        !hygiene.depends_on.of(*id).is_empty()
            || !result.alert_fields.depends_on.is_empty()
            || result
                .part_alert_fields
                .iter()
                .any(|(_, f)| !f.depends_on.is_empty())
    })
}

/// What an alert a check raised is about, from its labels.
fn subject_of(alert: &Alert, id: CheckId) -> Subject {
    Subject {
        check: id,
        service: alert.labels.get("service").cloned(),
    }
}

/// `check … --alert`: raises an alert for every check in trouble, resolves
/// those of checks that are healthy again (each with a resolved
/// notification), and marks stale the open alerts of this instance that
/// nothing will resolve any more. Returns `Exit::Ok` when alerting worked,
/// `Exit::Warning` when part of it failed or needs someone (the store, a
/// notification that reached nobody it should have, a stale alert), after
/// telling `notice` what; and the signal that cut it short, if one did.
#[allow(clippy::too_many_arguments)]
pub async fn alert_checks(
    checks: &[(CheckId, CheckResult)],
    config: &Config,
    entries: &[Entry],
    failure: &FailureSeverity,
    hygiene: &Hygiene,
    timeout: Duration,
    notice: &mut dyn FnMut(String),
    stop: &Stop,
) -> (Exit, Option<&'static str>) {
    let mut exit = Exit::Ok;
    let instance = &config.state.instance;
    // A channel set up wrongly is an alerting failure even when nothing is raised.
    for entry in entries.iter().filter(|e| !e.problems().is_empty()) {
        notice(format!(
            "--alert: {} is not configured: {}",
            entry.id,
            channels::describe_problems(entry.problems())
        ));
        exit = Exit::Warning;
    }
    if entries.iter().all(|e| e.ready().is_none()) {
        notice(
            "--alert: no alert channel is configured, so alerts are recorded but nobody is notified"
                .to_owned(),
        );
        exit = Exit::Warning;
    }
    let mut store = match open_store(config, timeout, true).await {
        Ok(s) => Some(s),
        Err(e) => {
            notice(format!(
                "--alert: {}: alerts are notified without de-duplication and cannot be resolved",
                report(e.as_ref())
            ));
            exit = Exit::Warning;
            None
        }
    };
    let rules = rules(config, timeout);
    let policy = Policy::new(timeout, config.alert_retry_backoff);

    // This run counted: where each check and service stands against its thresholds.
    let (subjects, runs): (Vec<Subject>, Vec<Run>) =
        hygiene::runs(checks, instance).into_iter().unzip();
    let observed = match store.as_mut() {
        Some(s) => match s.observe(&runs, Timestamp::now(), FLAP_WINDOW).await {
            Ok(observed) => Some(observed),
            Err(e) => {
                notice(format!(
                    "--alert: counting runs for the thresholds: {}: alerts are raised and \
                     resolved as they come",
                    report(in_store(config, e).as_ref())
                ));
                exit = Exit::Warning;
                None
            }
        },
        None => None,
    };
    let standings = hygiene::standings(checks, &subjects, observed.as_deref(), hygiene);
    let standing = |subject: &Subject| standings.iter().find(|s| &s.subject == subject);

    // A dependency not run this time is down when its failure alert of
    // this instance is open.
    let mut ours = Labels::new();
    label(&mut ours, "instance", instance);
    let open_ours = match store.as_mut() {
        Some(s) if has_dependencies(checks, hygiene) => {
            s.open_labelled(&ours).await.unwrap_or_else(|e| {
                notice(format!(
                    "--alert: looking for open alerts of dependencies: {}",
                    report(in_store(config, e).as_ref())
                ));
                Vec::new()
            })
        }
        _ => Vec::new(),
    };
    let down = |dep: CheckId| -> Option<(String, Option<String>)> {
        let alert_type = format!("{}_failure", dep.key());
        match checks.iter().find(|(id, _)| *id == dep) {
            Some((_, result)) => {
                (result.status == Status::Unhealthy).then(|| (alert_type.clone(), None))
            }
            None => open_ours
                .iter()
                .find(|a| a.alert_type == alert_type)
                .map(|a| (alert_type.clone(), Some(a.id.clone()))),
        }
    };

    let mut raising = Vec::new();
    for (id, result) in checks {
        for alert in check_alerts(*id, result, instance, failure) {
            let subject = subject_of(&alert, *id);
            if let Some(s) = standing(&subject).filter(|s| !s.raise) {
                tracing::info!("{}: not raised yet: {}", alert.identity, s.said);
                continue;
            }
            let (deps, unknown) = hygiene::dependencies(&subject, result, hygiene);
            for problem in unknown {
                notice(format!("--alert: {problem}"));
                exit = Exit::Warning;
            }
            let maintenance = hygiene
                .in_maintenance(&subject, crate::clock::now())
                .map(|reason| Hold {
                    held: Held::Silenced,
                    reason,
                    by: None,
                });
            let flapping = standing(&subject)
                .and_then(Hygiene::flapping)
                .map(|reason| Hold {
                    held: Held::Flapping,
                    reason,
                    by: None,
                });
            let hold = maintenance.or(flapping).or_else(|| {
                deps.into_iter().find_map(down).map(|(cause, by)| Hold {
                    held: Held::Inhibited,
                    reason: format!(
                        "inhibited by {cause}: {} depends on it",
                        subject.service.as_deref().unwrap_or(id.key())
                    ),
                    by,
                })
            });
            raising.push(Raising {
                alert,
                adopt: true,
                hold,
            });
        }
    }

    // A check that starts flapping is announced once, by an alert of its own.
    for s in standings.iter().filter(|s| s.flap == Flap::Started) {
        if let Some(alert) = flapping_alert(s, checks, instance) {
            raising.push(Raising {
                alert,
                adopt: false,
                hold: None,
            });
        }
    }

    let raised = raise_all(
        store.as_mut(),
        config,
        entries,
        raising,
        &rules,
        &policy,
        stop,
    )
    .await;
    for r in &raised.raised {
        if let Some(e) = &r.store_error {
            notice(format!(
                "--alert: {}: {}",
                r.alert.identity,
                report(e.as_ref())
            ));
            exit = Exit::Warning;
        }
        log_raised(r);
        if r.alert.deliveries.iter().any(undelivered) {
            notice(format!(
                "--alert: {}: {}",
                r.alert.identity,
                failures(&r.alert.deliveries)
            ));
            exit = Exit::Warning;
        }
    }
    let (Some(store), None) = (store.as_mut(), raised.interrupted) else {
        return (exit, raised.interrupted);
    };

    // Recovered checks resolve their alerts, and what nothing will resolve
    // is marked stale, on one connection; then the follow-ups go out.
    let by = format!("vitals check on {instance}");
    exit = exit.max(hold_flapping(store, config, &standings, instance, notice).await);
    let mut resolving: Vec<(Matching, String, bool)> = Vec::new();
    for (id, result) in checks {
        for (matching, note, subject) in recovered(*id, result, instance) {
            match standing(&subject) {
                Some(s) if Hygiene::flapping(s).is_some() => {
                    tracing::info!("{}: not resolved while it flaps", id.key());
                }
                Some(s) if !s.resolve => {
                    tracing::info!("{}: not resolved yet: {}", id.key(), s.said);
                }
                // Settled after flapping: people hear it from the flapping alert's end.
                s => resolving.push((matching, note, s.is_some_and(|s| s.flap == Flap::Settled))),
            }
        }
    }
    for s in standings.iter().filter(|s| s.flap == Flap::Settled) {
        let (matching, note) = settled(s, instance);
        // Settled in trouble, its own alert is told: the flapping one ends quietly.
        resolving.push((matching, note, s.trouble));
    }
    let mut resolved = Vec::new();
    for (matching, note, tools_only) in resolving {
        {
            match store
                .resolve_matching(&matching, &by, &note, Timestamp::now())
                .await
            {
                Ok(alerts) => {
                    resolved.extend(alerts.into_iter().map(|a| (a, note.clone(), tools_only)));
                }
                Err(e) => {
                    notice(format!(
                        "--alert: resolving {}: {}",
                        matching.types.join(", "),
                        report(in_store(config, e).as_ref())
                    ));
                    exit = Exit::Warning;
                }
            }
        }
    }
    exit = exit.max(mark_stale(store, config, checks, notice).await);
    if resolved.is_empty() {
        return (exit, None);
    }
    store.release();
    let alerts: Vec<(Alert, bool)> = resolved
        .iter()
        .map(|(a, _, tools_only)| (a.clone(), *tools_only))
        .collect();
    let (follow_ups, interrupted) =
        follow_up(entries, &alerts, Event::Resolve, &policy, stop).await;
    for ((alert, note, _), deliveries) in resolved.iter().zip(follow_ups) {
        tracing::info!(
            "{}: resolved ({note}); {} of {} resolved notifications delivered",
            alert.identity,
            deliveries
                .iter()
                .filter(|d| d.outcome == Outcome::Delivered)
                .count(),
            deliveries.len()
        );
        if deliveries.iter().any(undelivered) {
            notice(format!(
                "--alert: {} resolved: {}",
                alert.identity,
                failures(&deliveries)
            ));
            exit = Exit::Warning;
        }
        if let Err(e) = store.add_deliveries(&alert.id, &deliveries).await {
            notice(format!(
                "--alert: {}: {}",
                alert.identity,
                report(in_store(config, e).as_ref())
            ));
            exit = Exit::Warning;
        }
    }
    (exit, interrupted)
}

/// Whether a notification failed to reach its channel (or may not have).
fn undelivered(d: &Delivery) -> bool {
    matches!(d.outcome, Outcome::Failed | Outcome::Unknown)
}

fn log_raised(r: &Raised) {
    let a = &r.alert;
    match (&r.reason, r.notified) {
        (Some(reason), false) => tracing::info!(
            "{} ({}): occurrence {}, not notified: {reason}",
            a.identity,
            a.id,
            a.occurrences
        ),
        (reason, true) => tracing::info!(
            "{} ({}): notified{}: {} of {} delivered",
            a.identity,
            a.id,
            reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
            a.deliveries
                .iter()
                .filter(|d| d.outcome == Outcome::Delivered)
                .count(),
            a.deliveries.len()
        ),
        (None, false) => {}
    }
}

/// `slack failed: HTTP 500: …; email to ops@example.com failed: …`.
fn failures(deliveries: &[Delivery]) -> String {
    let each: Vec<String> = deliveries
        .iter()
        .filter(|d| undelivered(d))
        .map(|d| {
            let what = match d.outcome {
                Outcome::Unknown => "may not have arrived",
                _ => "failed",
            };
            format!(
                "{} to {} {what}: {}",
                d.channel,
                d.recipient,
                d.error.as_deref().unwrap_or("unknown error")
            )
        })
        .collect();
    each.join("; ")
}
