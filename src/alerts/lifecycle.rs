//! An alert's life through the store: raised (recorded, then notified unless
//! it repeats an open alert too soon), acknowledged, resolved; and the alerts
//! `check --alert` raises and resolves for the checks. Nothing here prints:
//! what the user must hear is handed to the caller (`notice`).

use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;
use serde_json::Value;

use super::channels::{self, ChannelId, Entry, Slot};
use super::policy::{Reason, Rules};
use super::store::{AlertStore, StatusFilter};
use super::{Alert, Delivery, Event, InputError, Outcome, Policy, Severity, Timestamp};
use crate::checks::{CheckId, CheckResult};
use crate::config::{Config, StateLocation};
use crate::error::report;
use crate::exit::Exit;
use crate::net::tls::Trust;
use crate::status::Status;
use crate::store::{Create, StoreError};

/// Where the store is, as it may be printed.
fn store_name(config: &Config) -> String {
    match &config.state.location {
        Some(StateLocation::File(path)) => format!("alert store {}", path.display()),
        Some(StateLocation::Postgres(url)) => format!("alert store {url}"),
        None => "alert store".to_owned(),
    }
}

/// The claim to notify outlives the longest delivery, so it never lapses
/// while its process is still sending.
const CLAIM_MARGIN: Duration = Duration::from_secs(30);

pub fn rules(config: &Config, timeout: Duration) -> Rules {
    Rules {
        repeat_interval: config.state.repeat_interval,
        rate_limit: config.state.rate_limit,
        claim_for: Policy::budget(timeout) + CLAIM_MARGIN,
    }
}

/// Opens the configured store, saying which one in any error. Only a
/// command that records (`writes`) creates it, and the directories above it
/// only at the default location: a mistyped `VITALS_STATE` creates nothing.
pub async fn open_store(
    config: &Config,
    timeout: Duration,
    writes: bool,
) -> anyhow::Result<AlertStore> {
    let location = config.state.location.as_ref().with_context(|| {
        format!(
            "{}: no location: set VITALS_STATE (a file path or a postgres:// URL), or HOME",
            store_name(config)
        )
    })?;
    let trust = Trust::new(config.extra_ca_file.clone());
    let create = match (writes, config.state.default_location) {
        (false, _) => Create::Nothing,
        (true, true) => Create::Directories,
        (true, false) => Create::Store,
    };
    match AlertStore::open(location, &trust, timeout, create).await {
        Ok(store) => Ok(store),
        Err(StoreError::Missing) => Err(anyhow::anyhow!(
            "no {}: nothing has been recorded there (`alert send` and `check --alert` create \
             it where VITALS_STATE says)",
            store_name(config).replacen("alert store ", "alert store at ", 1)
        )),
        Err(e) => Err(anyhow::Error::new(e).context(store_name(config))),
    }
}

pub fn in_store(config: &Config, e: StoreError) -> anyhow::Error {
    anyhow::Error::new(e).context(store_name(config))
}

/// What raising one alert came to.
#[derive(Debug)]
pub struct Raised {
    /// As stored (or as sent, when the store failed), with this run's notifications.
    pub alert: Alert,
    pub notified: bool,
    /// Why it was or was not notified; `None` without a store.
    pub reason: Option<Reason>,
    /// What went wrong with the store, if anything (the notification went out regardless).
    pub store_error: Option<anyhow::Error>,
}

/// Records each alert and notifies those that need it, all channels and all
/// alerts at once. Without a store (none asked for, or it failed) every alert
/// is notified: a lost record must not also lose the alarm.
pub async fn raise_all(
    mut store: Option<&mut AlertStore>,
    config: &Config,
    entries: &[Entry],
    incoming: Vec<Alert>,
    rules: &Rules,
    policy: &Policy,
) -> Vec<Raised> {
    let mut planned = Vec::with_capacity(incoming.len());
    // After one failure to record (a store down, paused or locked), the other
    // alerts are not recorded either: one wait, not one per alert.
    let mut recording = true;
    for alert in incoming {
        let channels: Vec<ChannelId> = entries
            .iter()
            .filter(|e| e.would_send(&alert, Event::Trigger))
            .map(|e| e.id)
            .collect();
        let recorded = match store.as_deref_mut().filter(|_| recording) {
            Some(s) => Some(s.record(&alert, &channels, Timestamp::now(), rules).await),
            None => None,
        };
        let raised = match recorded {
            Some(Ok(r)) => {
                let claim = r.claim;
                (
                    Raised {
                        alert: r.alert,
                        notified: r.notify,
                        reason: Some(r.reason),
                        store_error: None,
                    },
                    claim,
                    r.suppressed,
                )
            }
            Some(Err(e)) => {
                // The store is still asked to release the claims of alerts
                // recorded before this failure, and to keep their deliveries.
                recording = false;
                (
                    Raised {
                        alert,
                        notified: true,
                        reason: None,
                        store_error: Some(in_store(config, e)),
                    },
                    None,
                    Vec::new(),
                )
            }
            None => (
                Raised {
                    alert,
                    notified: true,
                    reason: None,
                    store_error: (store.is_some() && !recording).then(|| {
                        anyhow::anyhow!("not recorded: the store failed for an earlier alert")
                    }),
                },
                None,
                Vec::new(),
            ),
        };
        planned.push(raised);
    }

    let deliveries =
        futures_util::future::join_all(planned.iter().map(|(raised, _, suppressed)| async move {
            if raised.notified {
                deliver(entries, &raised.alert, Event::Trigger, policy, suppressed).await
            } else {
                Vec::new()
            }
        }))
        .await;

    let mut done = Vec::with_capacity(planned.len());
    for ((mut raised, claim, _), deliveries) in planned.into_iter().zip(deliveries) {
        if let (Some(claim), Some(s)) = (claim, store.as_deref_mut()) {
            match s
                .notified(&raised.alert, claim, &deliveries, Timestamp::now())
                .await
            {
                Ok(stored) => raised.alert = stored,
                Err(e) => raised.store_error = Some(in_store(config, e)),
            }
        } else if deliveries.iter().any(|d| d.outcome == Outcome::Delivered) {
            raised.alert.last_notified_at = Some(Timestamp::now());
        }
        raised.alert.deliveries = deliveries;
        done.push(raised);
    }
    done
}

/// Sends `event` about `alert` through every entry, except those the rate
/// limit holds back, which are recorded as suppressed.
async fn deliver(
    entries: &[Entry],
    alert: &Alert,
    event: Event,
    policy: &Policy,
    suppressed: &[(ChannelId, String)],
) -> Vec<Delivery> {
    let each = entries.iter().map(|entry| async move {
        match suppressed.iter().find(|(id, _)| *id == entry.id) {
            Some((_, why)) => entry.suppressed(event, why),
            None => entry.deliver(alert, event, policy).await,
        }
    });
    futures_util::future::join_all(each)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Tells the channels that announced `alert` that it was acknowledged or
/// resolved. A channel that never delivered the alert hears nothing of its end.
async fn follow_up(
    entries: &[Entry],
    alert: &Alert,
    event: Event,
    policy: &Policy,
) -> Vec<Delivery> {
    let announced = |id: ChannelId| {
        alert.deliveries.iter().any(|d| {
            d.channel == id && d.event == Event::Trigger && d.outcome == Outcome::Delivered
        })
    };
    let targets: Vec<&Entry> = entries
        .iter()
        .filter(|e| announced(e.id) && e.would_send(alert, event))
        .collect();
    futures_util::future::join_all(targets.iter().map(|e| e.deliver(alert, event, policy)))
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// `alert send` as printed: the alert, and in the table why it was not notified.
pub struct Sent<'a> {
    pub alert: &'a Alert,
    pub note: Option<String>,
}

impl Serialize for Sent<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.alert.serialize(serializer)
    }
}

/// Why an occurrence was not notified, for people.
pub fn note(raised: &Raised) -> Option<String> {
    if raised.notified {
        return None;
    }
    let reason = raised.reason.as_ref()?;
    Some(format!(
        "occurrence {} recorded; not notified: {reason}",
        raised.alert.occurrences
    ))
}

/// `alert ack` and `alert resolve` as printed: the alert with the follow-ups just sent.
pub struct Changed<'a> {
    pub alert: &'a Alert,
}

impl Serialize for Changed<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.alert.serialize(serializer)
    }
}

/// `alert list` as printed: a JSON array, or a table.
pub struct AlertList {
    pub alerts: Vec<Alert>,
    pub filter: StatusFilter,
    pub severity: Option<Severity>,
}

impl Serialize for AlertList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.alerts.serialize(serializer)
    }
}

/// The stored alerts matching `filter` and `severity`, newest first.
pub async fn list(
    config: &Config,
    timeout: Duration,
    filter: StatusFilter,
    severity: Option<Severity>,
) -> anyhow::Result<Vec<Alert>> {
    let mut store = open_store(config, timeout, false).await?;
    store
        .list(filter, severity)
        .await
        .map_err(|e| in_store(config, e))
}

/// What `alert ack` and `alert resolve` do to an alert.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    Acknowledge,
    Resolve { note: Option<&'a str> },
}

/// Applies an acknowledge or resolve, then tells the channels that announced
/// the alert. Returns the alert with the follow-ups just sent, and whether
/// they could be recorded.
pub async fn change(
    config: &Config,
    entries: &[Entry],
    timeout: Duration,
    id: &str,
    by: &str,
    change: Change<'_>,
) -> anyhow::Result<(Alert, anyhow::Result<()>)> {
    let policy = Policy::new(timeout, config.alert_retry_backoff);
    let mut store = open_store(config, timeout, false).await?;
    let now = Timestamp::now();
    let (changed, event) = match change {
        Change::Acknowledge => (store.acknowledge(id, by, now).await, Event::Acknowledge),
        Change::Resolve { note } => (store.resolve(id, by, note, now).await, Event::Resolve),
    };
    let mut alert = changed.map_err(|e| refusal_or_store(config, e))?;
    let deliveries = follow_up(entries, &alert, event, &policy).await;
    let stored = store
        .add_deliveries(&alert.id, &deliveries)
        .await
        .map_err(|e| in_store(config, e));
    alert.deliveries = deliveries;
    Ok((alert, stored))
}

/// An unknown id or a refused change is the user's to fix, said plainly;
/// anything else is the store's failure, said with where the store is.
fn refusal_or_store(config: &Config, e: StoreError) -> anyhow::Error {
    if e.is_refusal() {
        anyhow::Error::new(e)
    } else {
        in_store(config, e)
    }
}

/// The alert a check in trouble raises: `{check}_failure` (error) when it is
/// unhealthy, `{check}_degraded` (warning) when degraded, with the check's
/// result as context.
pub fn check_alert(id: CheckId, result: &CheckResult) -> Option<Alert> {
    let (suffix, severity) = match result.status {
        Status::Unhealthy => ("failure", Severity::Error),
        Status::Degraded => ("degraded", Severity::Warning),
        Status::Healthy | Status::Unconfigured => return None,
    };
    let context = match serde_json::to_value(result) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let message = format!("{} is {}: {}", id.key(), result.status, result.message);
    Alert::new(
        &format!("{}_{suffix}", id.key()),
        severity,
        &message,
        context,
    )
    .ok()
}

/// The alerts of a check that recover when it is healthy again.
fn check_alert_types(id: CheckId) -> [String; 2] {
    [
        format!("{}_failure", id.key()),
        format!("{}_degraded", id.key()),
    ]
}

/// `check … --alert`: raises an alert for every check in trouble and
/// resolves those of checks that are healthy again, each with a resolved
/// notification. Returns `Exit::Ok` when alerting worked, `Exit::Warning`
/// when part of it failed (the store, or a notification that reached nobody
/// it should have), after telling `notice` what.
pub async fn alert_checks(
    checks: &[(CheckId, CheckResult)],
    config: &Config,
    entries: &[Entry],
    timeout: Duration,
    notice: &mut dyn FnMut(String),
) -> Exit {
    let mut exit = Exit::Ok;
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

    let raising: Vec<Alert> = checks
        .iter()
        .filter_map(|(id, result)| check_alert(*id, result))
        .collect();
    let raised = raise_all(store.as_mut(), config, entries, raising, &rules, &policy).await;
    for r in &raised {
        if let Some(e) = &r.store_error {
            notice(format!(
                "--alert: {}: {}",
                r.alert.alert_type,
                report(e.as_ref())
            ));
            exit = Exit::Warning;
        }
        log_raised(r);
        if r.notified
            && r.alert
                .deliveries
                .iter()
                .any(|d| d.outcome == Outcome::Failed)
        {
            notice(format!(
                "--alert: {}: {}",
                r.alert.alert_type,
                failures(&r.alert.deliveries)
            ));
            exit = Exit::Warning;
        }
    }

    let Some(store) = store.as_mut() else {
        return exit;
    };
    let host = channels::hostname();
    for (id, result) in checks.iter().filter(|(_, r)| r.status == Status::Healthy) {
        for alert_type in check_alert_types(*id) {
            let note = format!("{} is healthy again: {}", id.key(), result.message);
            let by = format!("vitals check on {host}");
            let resolved = store
                .resolve_identity(&alert_type, &by, &note, Timestamp::now())
                .await;
            let alert = match resolved {
                Ok(Some(alert)) => alert,
                Ok(None) => continue,
                Err(e) => {
                    notice(format!(
                        "--alert: resolving {alert_type}: {}",
                        report(in_store(config, e).as_ref())
                    ));
                    exit = Exit::Warning;
                    continue;
                }
            };
            let deliveries = follow_up(entries, &alert, Event::Resolve, &policy).await;
            tracing::info!(
                "{alert_type}: resolved ({note}); {} of {} resolved notifications delivered",
                deliveries
                    .iter()
                    .filter(|d| d.outcome == Outcome::Delivered)
                    .count(),
                deliveries.len()
            );
            if deliveries.iter().any(|d| d.outcome == Outcome::Failed) {
                notice(format!(
                    "--alert: {alert_type} resolved: {}",
                    failures(&deliveries)
                ));
                exit = Exit::Warning;
            }
            if let Err(e) = store.add_deliveries(&alert.id, &deliveries).await {
                notice(format!(
                    "--alert: {alert_type}: {}",
                    report(in_store(config, e).as_ref())
                ));
                exit = Exit::Warning;
            }
        }
    }
    exit
}

fn log_raised(r: &Raised) {
    let a = &r.alert;
    match (&r.reason, r.notified) {
        (Some(reason), false) => tracing::info!(
            "{} ({}): occurrence {}, not notified: {reason}",
            a.alert_type,
            a.id,
            a.occurrences
        ),
        (reason, true) => tracing::info!(
            "{} ({}): notified{}: {} of {} delivered",
            a.alert_type,
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
        .filter(|d| d.outcome == Outcome::Failed)
        .map(|d| {
            format!(
                "{} to {} failed: {}",
                d.channel,
                d.recipient,
                d.error.as_deref().unwrap_or("unknown error")
            )
        })
        .collect();
    each.join("; ")
}

/// Tells apart "the user asked for something impossible" (exit 3) from a failed delivery.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{channel} is not configured: {hint}")]
    NotConfigured { channel: ChannelId, hint: String },
    #[error("no alert channel is configured: {0}")]
    NothingConfigured(String),
    #[error("no alert channel can be used: {0}")]
    NoneUsable(String),
}

/// The channels to use: those listed (each must be usable), or every
/// configured one, half-configured ones included so their problem is reported.
pub fn select(entries: Vec<Entry>, only: &[ChannelId]) -> Result<Vec<Entry>, AlertError> {
    let unusable = |entry: &Entry| match &entry.slot {
        Slot::Ready(_) => None,
        Slot::Incomplete(problems) => Some(channels::describe_problems(problems)),
        Slot::Unset => Some(format!("set {}", entry.id.configured_by())),
    };
    if !only.is_empty() {
        for entry in entries.iter().filter(|e| only.contains(&e.id)) {
            if let Some(hint) = unusable(entry) {
                return Err(AlertError::NotConfigured {
                    channel: entry.id,
                    hint,
                });
            }
        }
        return Ok(entries
            .into_iter()
            .filter(|e| only.contains(&e.id))
            .collect());
    }
    if entries.iter().all(|e| unusable(e).is_some()) {
        let incomplete: Vec<String> = entries
            .iter()
            .filter(|e| matches!(e.slot, Slot::Incomplete(_)))
            .filter_map(|e| Some(format!("{} ({})", e.id, unusable(e)?)))
            .collect();
        return Err(if incomplete.is_empty() {
            let each: Vec<String> = entries
                .iter()
                .map(|e| format!("{}: {}", e.id, e.id.configured_by()))
                .collect();
            AlertError::NothingConfigured(format!("set one of {}", each.join("; ")))
        } else {
            AlertError::NoneUsable(incomplete.join("; "))
        });
    }
    Ok(entries
        .into_iter()
        .filter(|e| !matches!(e.slot, Slot::Unset))
        .collect())
}
