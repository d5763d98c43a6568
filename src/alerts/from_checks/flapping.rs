//! A flapping check in `check --alert`: the alert that announces it, the
//! hold on its own alerts while it flaps, and what its settling resolves.

use super::super::hygiene::{FLAP_WINDOW, Hygiene, Standing, Subject};
use super::super::lifecycle::in_store;
use super::super::store::{AlertStore, Matching};
use super::super::{Alert, Held, Labels, Severity, Timestamp};
use super::{alert_types, check_labels, label, part_target};
use crate::checks::{CheckId, CheckResult};
use crate::config::Config;
use crate::error::report;
use crate::exit::Exit;
use serde_json::Map;

/// The labels of a subject's alerts: `check`, `instance`, and `service` for a service.
pub(super) fn subject_labels(subject: &Subject, instance: &str) -> Labels {
    let mut labels = check_labels(subject.check, None, instance);
    if let Some(service) = &subject.service {
        label(&mut labels, "service", service);
    }
    labels
}

/// `{check}_flapping`, raised once when a check or service starts flapping.
pub(super) fn flapping_alert(
    standing: &Standing,
    checks: &[(CheckId, CheckResult)],
    instance: &str,
) -> Option<Alert> {
    let subject = &standing.subject;
    let (_, result) = checks.iter().find(|(id, _)| *id == subject.check)?;
    let target = match &subject.service {
        Some(service) => part_target(result, service),
        None => result.target.as_deref(),
    };
    let mut labels = check_labels(subject.check, target, instance);
    if let Some(service) = &subject.service {
        label(&mut labels, "service", service);
    }
    let name = subject.service.as_deref().unwrap_or(subject.check.key());
    let message = format!(
        "{name} is flapping: {} changes between trouble and health within {}; its alerts are \
         held back until it has been stable that long, then its settled state is told",
        standing.changes,
        humantime::format_duration(FLAP_WINDOW)
    );
    Alert::new(
        &format!("{}_flapping", subject.check.key()),
        Severity::Warning,
        &message,
        Map::new(),
    )
    .and_then(|a| a.with_labels(labels))
    .ok()
}

/// What a settled subject resolves: its flapping alert, with how it settled.
pub(super) fn settled(standing: &Standing, instance: &str) -> (Matching, String) {
    let subject = &standing.subject;
    let name = subject.service.as_deref().unwrap_or(subject.check.key());
    let how = if standing.trouble {
        "in trouble (its own alert is told)"
    } else {
        "healthy"
    };
    (
        Matching {
            types: vec![format!("{}_flapping", subject.check.key())],
            labels: subject_labels(subject, instance),
            target: None,
            legacy: false,
            without: subject.service.is_none().then(|| "service".to_owned()),
            spare: Vec::new(),
        },
        format!(
            "{name} settled: {how} for {}",
            humantime::format_duration(FLAP_WINDOW)
        ),
    )
}

/// Marks the open alerts of each flapping subject as held back (flapping),
/// so that `alert list` says why and its settled state is told once.
pub(super) async fn hold_flapping(
    store: &mut AlertStore,
    config: &Config,
    standings: &[Standing],
    instance: &str,
    notice: &mut dyn FnMut(String),
) -> Exit {
    let mut held = Vec::new();
    for s in standings {
        let Some(reason) = Hygiene::flapping(s) else {
            continue;
        };
        let types = alert_types(s.subject.check);
        match store
            .open_labelled(&subject_labels(&s.subject, instance))
            .await
        {
            Ok(open) => held.extend(
                open.into_iter()
                    .filter(|a| types.contains(&a.alert_type))
                    .filter(|a| s.subject.service.is_some() || !a.labels.contains_key("service"))
                    .filter(|a| a.held != Some(Held::Flapping))
                    .map(|a| (a.id, Held::Flapping, reason.clone())),
            ),
            Err(e) => {
                notice(format!(
                    "--alert: holding the alerts of a flapping check: {}",
                    report(in_store(config, e).as_ref())
                ));
                return Exit::Warning;
            }
        }
    }
    match store.hold(&held, Timestamp::now()).await {
        Ok(()) => Exit::Ok,
        Err(e) => {
            notice(format!(
                "--alert: holding the alerts of a flapping check: {}",
                report(in_store(config, e).as_ref())
            ));
            Exit::Warning
        }
    }
}
