//! `check … --alert`: the alerts checks raise, the ones their recovery
//! resolves, and the ones left behind by a check this vitals no longer runs
//! (stale). Every check alert carries the labels `check`, `target` and
//! `instance`, so that hosts sharing a store each raise and resolve their
//! own; a failing external service raises its own alert (label `service`).

use std::time::Duration;

use serde_json::{Map, Value};

use super::channels::{self, Entry};
use super::lifecycle::{Raised, Raising, follow_up, in_store, open_store, raise_all, rules};
use super::store::Matching;
use super::{Alert, Delivery, Event, Held, Labels, Outcome, Policy, Severity, Timestamp};
use crate::checks::{CheckId, CheckResult, services};
use crate::config::Config;
use crate::config::parse::Expected;
use crate::error::report;
use crate::exit::Exit;
use crate::runtime::Stop;
use crate::status::Status;

/// The severity of each check's `{check}_failure` alert
/// (`VITALS_ALERT_SEVERITY=database=critical,cache=error`); `error` for the others.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FailureSeverity(pub(crate) Vec<(CheckId, Severity)>);

impl FailureSeverity {
    pub fn of(&self, id: CheckId) -> Severity {
        self.0
            .iter()
            .find(|(check, _)| *check == id)
            .map_or(Severity::Error, |(_, severity)| *severity)
    }

    /// `name=severity,…`, each name a check's (or its alias), each once.
    pub fn parse(text: &str) -> Result<FailureSeverity, Expected> {
        let expected = |why: String| {
            Expected(format!(
                "CHECK=SEVERITY pairs such as database=critical,cache=error ({why})"
            ))
        };
        let mut pairs = Vec::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, severity) = item
                .split_once('=')
                .ok_or_else(|| expected(format!("{item:?} has no =")))?;
            let name = name.trim();
            let id = name.parse::<CheckId>().map_err(|_| {
                expected(format!(
                    "{name:?} is not a check{}",
                    did_you_mean(name)
                        .map(|n| format!("; did you mean {n}?"))
                        .unwrap_or_default()
                ))
            })?;
            let severity = severity
                .trim()
                .to_ascii_lowercase()
                .parse::<Severity>()
                .map_err(|_| {
                    expected(format!(
                        "{:?} is not one of info, warning, error, critical",
                        severity.trim()
                    ))
                })?;
            if pairs.iter().any(|(check, _)| *check == id) {
                return Err(expected(format!("{} is given twice", id.key())));
            }
            pairs.push((id, severity));
        }
        Ok(FailureSeverity(pairs))
    }
}

/// The check name most like `name`, when one is close (a typo).
fn did_you_mean(name: &str) -> Option<&'static str> {
    crate::checks::BUILTINS
        .iter()
        .flat_map(|c| [Some(c.name), c.alias])
        .flatten()
        .map(|known| (strsim::jaro(name, known), known))
        .filter(|(likeness, _)| *likeness > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, known)| known)
}

/// The type suffix and severity of a check in trouble; `None` when it is not.
fn trouble(status: Status, failure: Severity) -> Option<(&'static str, Severity)> {
    match status {
        Status::Unhealthy => Some(("failure", failure)),
        Status::Degraded => Some(("degraded", Severity::Warning)),
        Status::Healthy | Status::Unconfigured => None,
    }
}

/// The types of a check's alerts, which its recovery resolves.
fn alert_types(id: CheckId) -> Vec<String> {
    ["failure", "degraded"]
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
/// is unhealthy, `{check}_degraded` (warning) when degraded, with the check's
/// result as context; for external services, one per service in trouble.
pub fn check_alerts(
    id: CheckId,
    result: &CheckResult,
    instance: &str,
    failure: &FailureSeverity,
) -> Vec<Alert> {
    let raise = |status: Status, message: String, context: Map<String, Value>, labels: Labels| {
        let (suffix, severity) = trouble(status, failure.of(id))?;
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

/// What a recovered check (or service) resolves.
fn recovered(id: CheckId, result: &CheckResult, instance: &str) -> Vec<(Matching, String)> {
    let note = |what: &str, said: &str| format!("{what} is healthy again: {said}");
    let mut out = Vec::new();
    if result.status == Status::Healthy {
        out.push((
            Matching {
                types: alert_types(id),
                labels: check_labels(id, None, instance),
                target: result.target.clone(),
                legacy: true,
            },
            note(id.key(), &result.message),
        ));
    } else if id == services::CHECK.id() {
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
                },
                note(&name, said),
            ));
        }
    }
    out
}

/// Why an open alert of this instance is stale after this run, if it is:
/// its check ran here but no longer looks at what the alert is about.
fn stale_reason(alert: &Alert, checks: &[(CheckId, CheckResult)]) -> Option<String> {
    let key = alert.labels.get("check")?;
    let (id, result) = checks.iter().find(|(id, _)| id.key() == key)?;
    if result.status == Status::Unconfigured {
        return Some(format!(
            "check {key} is no longer configured here (set {})",
            id.configured_by()
        ));
    }
    if let Some(service) = alert.labels.get("service") {
        let live = services(result)
            .iter()
            .any(|(name, status, _)| name == service && *status != Status::Unconfigured);
        return (!live).then(|| format!("service {service} is no longer configured here"));
    }
    match (alert.labels.get("target"), &result.target) {
        (Some(was), Some(now)) if was != now => {
            Some(format!("check {key} now checks {now}, not {was}"))
        }
        _ => None,
    }
}

/// `check … --alert`: raises an alert for every check in trouble, resolves
/// those of checks that are healthy again (each with a resolved
/// notification), and marks stale the open alerts of this instance that
/// nothing will resolve any more. Returns `Exit::Ok` when alerting worked,
/// `Exit::Warning` when part of it failed or needs someone (the store, a
/// notification that reached nobody it should have, a stale alert), after
/// telling `notice` what; and the signal that cut it short, if one did.
pub async fn alert_checks(
    checks: &[(CheckId, CheckResult)],
    config: &Config,
    entries: &[Entry],
    failure: &FailureSeverity,
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
    let raising: Vec<Raising> = checks
        .iter()
        .flat_map(|(id, result)| check_alerts(*id, result, instance, failure))
        .map(|alert| Raising { alert, adopt: true })
        .collect();
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
        if r.notified && r.alert.deliveries.iter().any(undelivered) {
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
    let mut resolved = Vec::new();
    for (id, result) in checks {
        for (matching, note) in recovered(*id, result, instance) {
            match store
                .resolve_matching(&matching, &by, &note, Timestamp::now())
                .await
            {
                Ok(alerts) => resolved.extend(alerts.into_iter().map(|a| (a, note.clone()))),
                Err(e) => {
                    notice(format!(
                        "--alert: resolving the alerts of {}: {}",
                        id.key(),
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
    let alerts: Vec<Alert> = resolved.iter().map(|(a, _)| a.clone()).collect();
    let (follow_ups, interrupted) =
        follow_up(entries, &alerts, Event::Resolve, &policy, stop).await;
    for ((alert, note), deliveries) in resolved.iter().zip(follow_ups) {
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

/// Marks stale the open alerts of this instance that nothing will resolve
/// any more, and names every stale one.
async fn mark_stale(
    store: &mut super::store::AlertStore,
    config: &Config,
    checks: &[(CheckId, CheckResult)],
    notice: &mut dyn FnMut(String),
) -> Exit {
    let mut ours = Labels::new();
    label(&mut ours, "instance", &config.state.instance);
    let open = match store.open_labelled(&ours).await {
        Ok(open) => open,
        Err(e) => {
            notice(format!(
                "--alert: looking for stale alerts: {}",
                report(in_store(config, e).as_ref())
            ));
            return Exit::Warning;
        }
    };
    let stale: Vec<(String, Held, String, &Alert)> = open
        .iter()
        .filter_map(|a| Some((a.id.clone(), Held::Stale, stale_reason(a, checks)?, a)))
        .collect();
    let changed: Vec<(String, Held, String)> = stale
        .iter()
        .filter(|(_, _, reason, a)| {
            a.held != Some(Held::Stale) || a.held_reason.as_deref() != Some(reason)
        })
        .map(|(id, held, reason, _)| (id.clone(), *held, reason.clone()))
        .collect();
    let mut exit = Exit::Ok;
    if let Err(e) = store.hold(&changed, Timestamp::now()).await {
        notice(format!(
            "--alert: marking stale alerts: {}",
            report(in_store(config, e).as_ref())
        ));
        exit = Exit::Warning;
    }
    for (id, _, reason, alert) in &stale {
        notice(format!(
            "--alert: alert {id} {} is stale: {reason}; nothing will resolve it now: \
             `vitals alert resolve {id}` closes it",
            alert.identity
        ));
        exit = Exit::Warning;
    }
    exit
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

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> CheckId {
        name.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn failure_severity_takes_names_and_aliases_and_suggests_on_a_typo() {
        let parsed = FailureSeverity::parse("db=critical, cache=WARNING,");
        assert_eq!(
            parsed,
            Ok(FailureSeverity(vec![
                (id("database"), Severity::Critical),
                (id("cache"), Severity::Warning)
            ]))
        );
        let parsed = parsed.unwrap_or_default();
        assert_eq!(parsed.of(id("database")), Severity::Critical);
        assert_eq!(parsed.of(id("agents")), Severity::Error);
        let refused = |text: &str| FailureSeverity::parse(text).err().map(|e| e.0);
        let pairs = "CHECK=SEVERITY pairs such as database=critical,cache=error";
        assert_eq!(
            refused("databse=critical"),
            Some(format!(
                "{pairs} (\"databse\" is not a check; did you mean database?)"
            ))
        );
        assert_eq!(
            refused("queue=critical"),
            Some(format!("{pairs} (\"queue\" is not a check)"))
        );
        assert_eq!(
            refused("db=loud"),
            Some(format!(
                "{pairs} (\"loud\" is not one of info, warning, error, critical)"
            ))
        );
        assert_eq!(refused("db"), Some(format!("{pairs} (\"db\" has no =)")));
        assert_eq!(
            refused("db=error,database=critical"),
            Some(format!("{pairs} (database is given twice)"))
        );
    }
}
