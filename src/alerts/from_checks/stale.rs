//! Alerts nothing will resolve any more: raised by a check this instance
//! ran, which no longer looks at what they are about.

use super::super::lifecycle::in_store;
use super::super::store::AlertStore;
use super::super::{Alert, Held, Labels, Timestamp};
use super::{label, services};
use crate::checks::{CheckId, CheckResult};
use crate::config::Config;
use crate::error::report;
use crate::exit::Exit;
use crate::status::Status;

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

/// Marks stale the open alerts of this instance that nothing will resolve
/// any more, and names every stale one.
pub(super) async fn mark_stale(
    store: &mut AlertStore,
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
