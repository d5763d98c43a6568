//! An alert's life through the store: raised (recorded, then notified unless
//! it repeats an open alert too soon), acknowledged, resolved; and the alerts
//! `check --alert` raises and resolves for the checks.

use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;
use serde_json::Value;

use super::channels::{self, ChannelId, Entry};
use super::store::{AlertStore, Reason, Rules, StatusFilter, StoreError};
use super::{Alert, AlertStatus, Delivery, Event, Outcome, Policy, Severity, Timestamp};
use crate::checks::{CheckId, CheckResult};
use crate::cli::{AckArgs, ListArgs, ListStatus, ResolveArgs};
use crate::config::{Config, StateLocation};
use crate::output::{self, Output};
use crate::signals::{self, Interrupted};
use crate::status::{Exit, Status};
use crate::tls::Trust;

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

/// Opens the configured store, saying which one in any error.
pub async fn open_store(config: &Config, timeout: Duration) -> anyhow::Result<AlertStore> {
    let location = config.state.location.as_ref().with_context(|| {
        format!(
            "{}: no location: set VITALS_STATE (a file path or a postgres:// URL), or HOME",
            store_name(config)
        )
    })?;
    let trust = Trust::new(config.extra_ca_file.clone());
    AlertStore::open(location, &trust, timeout)
        .await
        .with_context(|| store_name(config))
}

fn in_store(config: &Config, e: StoreError) -> anyhow::Error {
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

/// Exit code and messages for one raised alert of `alert send`.
pub fn sent_exit(raised: &Raised) -> Exit {
    let mut exit = if raised.notified {
        super::exit_for(&raised.alert.deliveries)
    } else {
        Exit::Ok
    };
    if let Some(e) = &raised.store_error {
        output::error(&format!(
            "{e:#}: the alert was not recorded{}",
            if raised.notified {
                ", so it was notified without de-duplication"
            } else {
                ""
            }
        ));
        exit = exit.max(Exit::Warning);
    }
    if raised.notified
        && !raised.alert.deliveries.is_empty()
        && raised
            .alert
            .deliveries
            .iter()
            .all(|d| d.outcome == Outcome::Skipped)
    {
        output::error(&format!(
            "no configured channel takes {} alerts, so nobody was notified",
            raised.alert.severity
        ));
    }
    exit
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

/// `vitals alert list`.
pub fn list(
    args: &ListArgs,
    config: &Config,
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let filter = match args.status {
        None => StatusFilter::Open,
        Some(ListStatus::All) => StatusFilter::All,
        Some(ListStatus::Active) => StatusFilter::Only(AlertStatus::Active),
        Some(ListStatus::Acknowledged) => StatusFilter::Only(AlertStatus::Acknowledged),
        Some(ListStatus::Resolved) => StatusFilter::Only(AlertStatus::Resolved),
    };
    let runtime = signals::runtime(1)?;
    let alerts = interruptible(
        &runtime,
        async {
            let mut store = open_store(config, timeout).await?;
            store
                .list(filter, args.severity)
                .await
                .map_err(|e| in_store(config, e))
        },
        "nothing was listed",
    )?;
    runtime.shutdown_background();
    out.emit(&AlertList {
        alerts,
        filter,
        severity: args.severity,
    })?;
    Ok(Exit::Ok)
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

/// `vitals alert ack ID --by WHO`.
pub fn acknowledge(
    args: &AckArgs,
    config: &Config,
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let by = who(&args.by)?;
    change(
        config,
        out,
        timeout,
        args.id.trim(),
        by,
        Change::Acknowledge,
    )
}

/// `vitals alert resolve ID --by WHO [--note TEXT]`.
pub fn resolve(
    args: &ResolveArgs,
    config: &Config,
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let by = who(&args.by)?;
    let note = args
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    change(
        config,
        out,
        timeout,
        args.id.trim(),
        by,
        Change::Resolve { note },
    )
}

fn who(by: &str) -> anyhow::Result<&str> {
    let by = by.trim();
    if by.is_empty() || by.chars().any(char::is_control) {
        anyhow::bail!("--by: expected who you are, e.g. --by alice (no control characters)");
    }
    Ok(by)
}

/// What `alert ack` and `alert resolve` do to an alert.
#[derive(Debug, Clone, Copy)]
enum Change<'a> {
    Acknowledge,
    Resolve { note: Option<&'a str> },
}

/// Applies an acknowledge or resolve, then tells the channels that announced the alert.
fn change(
    config: &Config,
    out: &Output,
    timeout: Duration,
    id: &str,
    by: &str,
    change: Change<'_>,
) -> anyhow::Result<Exit> {
    let shared = channels::Shared::new(config);
    let entries = channels::registry(config, &shared);
    let policy = Policy::new(timeout, config.alert_retry_backoff);
    let runtime = signals::runtime(1)?;
    let (alert, stored) = interruptible(
        &runtime,
        async {
            let mut store = open_store(config, timeout).await?;
            let now = Timestamp::now();
            let (changed, event) = match change {
                Change::Acknowledge => (store.acknowledge(id, by, now).await, Event::Acknowledge),
                Change::Resolve { note } => {
                    (store.resolve(id, by, note, now).await, Event::Resolve)
                }
            };
            let mut alert = changed.map_err(|e| refusal_or_store(config, e))?;
            let deliveries = follow_up(&entries, &alert, event, &policy).await;
            let stored = store.add_deliveries(&alert.id, &deliveries).await;
            alert.deliveries = deliveries;
            anyhow::Ok((alert, stored))
        },
        "the change may be recorded, its notifications may not have gone out, and no result was printed",
    )?;
    runtime.shutdown_background();
    out.emit(&Changed { alert: &alert })?;
    let mut exit = if alert
        .deliveries
        .iter()
        .any(|d| d.outcome == Outcome::Failed)
    {
        Exit::Warning
    } else {
        Exit::Ok
    };
    if let Err(e) = stored {
        output::error(&format!(
            "{:#}: the notifications above were not recorded",
            in_store(config, e)
        ));
        exit = exit.max(Exit::Warning);
    }
    Ok(exit)
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

/// Store work that SIGINT or SIGTERM may stop, saying what became of it.
fn interruptible<T>(
    runtime: &tokio::runtime::Runtime,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
    what: &'static str,
) -> anyhow::Result<T> {
    signals::run_until_signal(runtime, work).map_err(|signal| Interrupted { signal, what })?
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
/// it should have), after saying what on stderr.
pub fn for_checks(checks: &[(CheckId, CheckResult)], config: &Config, timeout: Duration) -> Exit {
    let runtime = match signals::runtime(1) {
        Ok(r) => r,
        Err(e) => {
            output::error(&format!("--alert: {e:#}"));
            return Exit::Warning;
        }
    };
    let exit = signals::run_until_signal(&runtime, alert_checks(checks, config, timeout))
        .unwrap_or_else(|signal| {
            let stopped = Interrupted {
                signal,
                what: "alerting was stopped; the checks' result above stands",
            };
            output::error(&stopped.to_string());
            Exit::Unknown
        });
    runtime.shutdown_background();
    exit
}

async fn alert_checks(
    checks: &[(CheckId, CheckResult)],
    config: &Config,
    timeout: Duration,
) -> Exit {
    let mut exit = Exit::Ok;
    let shared = channels::Shared::new(config);
    let entries = channels::registry(config, &shared);
    if entries.iter().all(|e| e.ready().is_none()) {
        output::error(
            "--alert: no alert channel is configured, so alerts are recorded but nobody is notified",
        );
        exit = Exit::Warning;
    }
    let mut store = match open_store(config, timeout).await {
        Ok(s) => Some(s),
        Err(e) => {
            output::error(&format!(
                "--alert: {e:#}: alerts are notified without de-duplication and cannot be resolved"
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
    let raised = raise_all(store.as_mut(), config, &entries, raising, &rules, &policy).await;
    for r in &raised {
        if let Some(e) = &r.store_error {
            output::error(&format!("--alert: {}: {e:#}", r.alert.alert_type));
            exit = Exit::Warning;
        }
        log_raised(r);
        if r.notified
            && r.alert
                .deliveries
                .iter()
                .any(|d| d.outcome == Outcome::Failed)
        {
            output::error(&format!(
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
                    output::error(&format!(
                        "--alert: resolving {alert_type}: {:#}",
                        in_store(config, e)
                    ));
                    exit = Exit::Warning;
                    continue;
                }
            };
            let deliveries = follow_up(&entries, &alert, Event::Resolve, &policy).await;
            tracing::info!(
                "{alert_type}: resolved ({note}); {} of {} resolved notifications delivered",
                deliveries
                    .iter()
                    .filter(|d| d.outcome == Outcome::Delivered)
                    .count(),
                deliveries.len()
            );
            if deliveries.iter().any(|d| d.outcome == Outcome::Failed) {
                output::error(&format!(
                    "--alert: {alert_type} resolved: {}",
                    failures(&deliveries)
                ));
                exit = Exit::Warning;
            }
            if let Err(e) = store.add_deliveries(&alert.id, &deliveries).await {
                output::error(&format!("--alert: {alert_type}: {:#}", in_store(config, e)));
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
