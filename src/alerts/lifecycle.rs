//! An alert's life through the store: raised (recorded, then notified unless
//! it repeats an open alert too soon), acknowledged, resolved. Nothing here
//! prints: what the user must hear is handed to the caller.
//!
//! The store's connection is closed before notifications go out (and opened
//! again to record them), so runs at once do not exhaust its connections.

use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

use super::channels::{self, ChannelId, Entry, Slot};
use super::deliver::{Job, planned, send_all, told};
use super::policy::{Hold, Reason, Rules};
use super::store::{AlertStore, Foreseen, StatusFilter};
use super::{Alert, Delivery, Event, Held, InputError, Outcome, Policy, Severity, Timestamp};
use crate::config::{Config, StateLocation};
use crate::net::tls::Trust;
use crate::runtime::Stop;
use crate::store::{Create, Store, StoreError};

/// Where the store is, as it may be printed.
pub(super) fn store_name(config: &Config) -> String {
    match &config.state.location {
        Some(StateLocation::File(path)) => format!("alert store {}", path.display()),
        Some(StateLocation::Postgres(url)) => format!("alert store {url}"),
        None => "alert store".to_owned(),
    }
}

/// "alert store at …", for a store that is not there.
fn at_store(config: &Config) -> String {
    store_name(config).replacen("alert store ", "alert store at ", 1)
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
    match Store::open(location, &trust, timeout, create).await {
        Ok(store) => Ok(AlertStore::new(store)),
        Err(StoreError::Missing) => Err(anyhow::anyhow!(
            "no {}: nothing has been recorded there (`alert send` and `check --alert` create \
             it where VITALS_STATE says)",
            at_store(config)
        )),
        Err(e) => Err(anyhow::Error::new(e).context(store_name(config))),
    }
}

pub fn in_store(config: &Config, e: StoreError) -> anyhow::Error {
    anyhow::Error::new(e).context(store_name(config))
}

/// An alert to raise, and whether it may adopt an open alert of its type
/// raised before alerts had labels (a check's alerts may: the check raised it).
pub struct Raising {
    pub alert: Alert,
    pub adopt: bool,
    /// Why the caller holds it back (inhibited, flapping), if it does.
    pub hold: Option<Hold>,
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

/// What [`raise_all`] did: each alert, and the signal that cut the
/// notifications short, if one did (what finished was recorded, the rest as unknown).
pub struct RaisedAll {
    pub raised: Vec<Raised>,
    pub interrupted: Option<&'static str>,
}

/// Records each alert and notifies those that need it, all channels and all
/// alerts at once. Without a store (none asked for, or it failed) every alert
/// is notified: a lost record must not also lose the alarm.
pub async fn raise_all(
    mut store: Option<&mut AlertStore>,
    config: &Config,
    entries: &[Entry],
    incoming: Vec<Raising>,
    rules: &Rules,
    policy: &Policy,
    stop: &Stop,
) -> RaisedAll {
    struct Planned {
        raised: Raised,
        claim: Option<Timestamp>,
        suppressed: Vec<(ChannelId, String)>,
    }
    let mut planned_all = Vec::with_capacity(incoming.len());
    // After one failure to record (a store down, paused or locked), the other
    // alerts are not recorded either: one wait, not one per alert.
    let mut recording = true;
    for Raising { alert, adopt, hold } in incoming {
        let pending: Vec<Delivery> = entries
            .iter()
            .flat_map(|e| planned(e, &alert, Event::Trigger))
            .collect();
        let recorded = match store.as_deref_mut().filter(|_| recording) {
            Some(s) => Some(
                s.record(
                    &alert,
                    &pending,
                    hold.as_ref(),
                    adopt,
                    Timestamp::now(),
                    rules,
                )
                .await,
            ),
            None => None,
        };
        planned_all.push(match recorded {
            Some(Ok(r)) => Planned {
                raised: Raised {
                    alert: r.alert,
                    notified: r.notify,
                    reason: Some(r.reason),
                    store_error: None,
                },
                claim: r.claim,
                suppressed: r.suppressed,
            },
            Some(Err(e)) => {
                // The store is still asked to release the claims of alerts
                // recorded before this failure, and to keep their deliveries.
                recording = false;
                Planned {
                    raised: Raised {
                        alert,
                        notified: true,
                        reason: None,
                        store_error: Some(in_store(config, e)),
                    },
                    claim: None,
                    suppressed: Vec::new(),
                }
            }
            None => Planned {
                raised: Raised {
                    alert,
                    notified: true,
                    reason: None,
                    store_error: (store.is_some() && !recording).then(|| {
                        anyhow::anyhow!("not recorded: the store failed for an earlier alert")
                    }),
                },
                claim: None,
                suppressed: Vec::new(),
            },
        });
    }
    let jobs: Vec<Job<'_>> = planned_all
        .iter()
        .map(|p| Job {
            alert: &p.raised.alert,
            event: Event::Trigger,
            entries: if p.raised.notified {
                entries.iter().collect()
            } else {
                resent(entries, &p.raised.alert)
            },
            suppressed: &p.suppressed,
        })
        .collect();
    if let Some(s) = store
        .as_deref_mut()
        .filter(|_| jobs.iter().any(|j| !j.entries.is_empty()))
    {
        s.release();
    }
    let (deliveries, interrupted) = send_all(&jobs, policy, stop).await;
    drop(jobs);

    let mut raised = Vec::with_capacity(planned_all.len());
    for (mut p, deliveries) in planned_all.into_iter().zip(deliveries) {
        if let (Some(claim), Some(s)) = (p.claim, store.as_deref_mut()) {
            match s
                .notified(&p.raised.alert, claim, &deliveries, Timestamp::now())
                .await
            {
                Ok(stored) => p.raised.alert = stored,
                Err(e) => p.raised.store_error = Some(in_store(config, e)),
            }
        } else if p.raised.notified {
            if deliveries.iter().any(|d| d.outcome == Outcome::Delivered) {
                p.raised.alert.last_notified_at = Some(Timestamp::now());
            }
        } else if let Some(s) = store.as_deref_mut().filter(|_| p.raised.reason.is_some()) {
            // A resent occurrence that did not arrive is kept; one that did
            // only repeats what the channel already holds.
            let missed: Vec<Delivery> = deliveries
                .iter()
                .filter(|d| d.outcome != Outcome::Delivered)
                .cloned()
                .collect();
            if let Err(e) = s.add_deliveries(&p.raised.alert.id, &missed).await {
                p.raised.store_error = Some(in_store(config, e));
            }
        }
        p.raised.alert.deliveries = deliveries;
        raised.push(p.raised);
    }
    RaisedAll {
        raised,
        interrupted,
    }
}

/// The channels an occurrence nobody is notified of still goes to: those
/// that keep firing alerts only while they are sent again (Alertmanager),
/// unless the alert is held back from notifications.
pub fn resent<'a>(entries: &'a [Entry], alert: &Alert) -> Vec<&'a Entry> {
    let held_back = matches!(
        alert.held,
        Some(Held::Silenced | Held::Inhibited | Held::Flapping)
    );
    if held_back {
        return Vec::new();
    }
    entries
        .iter()
        .filter(|e| e.ready().is_some_and(|n| n.resends()) && e.would_send(alert, Event::Trigger))
        .collect()
}

/// Tells the channels that may have announced each alert that it was
/// acknowledged or resolved, all at once; returns each alert's follow-ups.
/// With `tools_only` for an alert, only the incident tools and the channels
/// that keep firing alerts hear of it ([`keeps_state`]): people heard of it
/// another way (a flapping check that settled).
pub(super) async fn follow_up(
    entries: &[Entry],
    alerts: &[(Alert, bool)],
    event: Event,
    policy: &Policy,
    stop: &Stop,
) -> (Vec<Vec<Delivery>>, Option<&'static str>) {
    let jobs: Vec<Job<'_>> = alerts
        .iter()
        .map(|(alert, tools_only)| Job {
            alert,
            event,
            entries: told(entries, alert, event)
                .into_iter()
                .filter(|e| !tools_only || keeps_state(e))
                .collect(),
            suppressed: &[],
        })
        .collect();
    send_all(&jobs, policy, stop).await
}

/// An incident tool (it takes acknowledgements: PagerDuty) or a channel
/// that keeps firing alerts (Alertmanager): one that must hear an alert's
/// end, or keep it open.
fn keeps_state(entry: &Entry) -> bool {
    entry
        .ready()
        .is_some_and(|n| n.takes(Event::Acknowledge) || n.resends())
}

/// `alert test` closes what it opened: the incident tools the test reached
/// (the channels that take acknowledgements: PagerDuty) and the channels
/// that keep firing alerts (Alertmanager) hear it resolved,
/// under the test's own key. People's channels are not told twice.
pub async fn close_test(entries: &[Entry], alert: &mut Alert, policy: &Policy, stop: &Stop) {
    let now = Timestamp::now();
    alert.status = super::AlertStatus::Resolved;
    alert.resolved_at = Some(now);
    alert.resolved_by = Some("vitals alert test".to_owned());
    let tools: Vec<&Entry> = told(entries, alert, Event::Resolve)
        .into_iter()
        .filter(|e| keeps_state(e))
        .collect();
    let job = Job {
        alert,
        event: Event::Resolve,
        entries: tools,
        suppressed: &[],
    };
    let (mut closed, _) = send_all(&[job], policy, stop).await;
    alert.deliveries.extend(closed.pop().unwrap_or_default());
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
        .list(filter, severity, Timestamp::now())
        .await
        .map_err(|e| in_store(config, e))
}

/// What `alert ack` and `alert resolve` do to an alert.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    Acknowledge,
    Resolve { note: Option<&'a str> },
}

/// What an acknowledge or resolve came to: the alert with the follow-ups
/// just sent, whether they could be recorded, and the signal that cut them
/// short, if one did.
pub struct Changes {
    pub alert: Alert,
    pub stored: anyhow::Result<()>,
    pub interrupted: Option<&'static str>,
}

/// Applies an acknowledge or resolve to the alert `id` names (any unique
/// prefix of it), then tells the channels that may have announced it.
pub async fn change(
    config: &Config,
    entries: &[Entry],
    timeout: Duration,
    id: &str,
    by: &str,
    change: Change<'_>,
    stop: &Stop,
) -> anyhow::Result<Changes> {
    let policy = Policy::new(timeout, config.alert_retry_backoff);
    let mut store = open_store(config, timeout, false).await?;
    let now = Timestamp::now();
    let (changed, event) = match change {
        Change::Acknowledge => (store.acknowledge(id, by, now).await, Event::Acknowledge),
        Change::Resolve { note } => (store.resolve(id, by, note, now).await, Event::Resolve),
    };
    let mut alert = changed.map_err(|e| refusal_or_store(config, e))?;
    store.release();
    let (deliveries, interrupted) =
        follow_up(entries, &[(alert.clone(), false)], event, &policy, stop).await;
    let deliveries = deliveries.into_iter().next().unwrap_or_default();
    let stored = store
        .add_deliveries(&alert.id, &deliveries)
        .await
        .map_err(|e| in_store(config, e));
    alert.deliveries = deliveries;
    Ok(Changes {
        alert,
        stored,
        interrupted,
    })
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

/// What a real send of an alert would do, as far as the store can tell.
#[derive(Debug, Clone, Serialize)]
pub struct Foresight {
    /// In words: "occurrence 3 of open alert 3f9c…; nobody would be notified".
    pub summary: String,
    /// Whether anyone would be notified; `None` when the store could not say.
    pub notify: Option<bool>,
    /// The open alert it would be one more occurrence of.
    pub open_alert: Option<String>,
    pub occurrence: Option<u32>,
}

/// Runs the de-duplication decision for `alert` against the store, reading
/// only: a store that does not exist yet is not created, nor a schema
/// migrated. Returns the alert as a real send would record it (the open
/// one, one occurrence on) and what it would do.
pub async fn foresee(config: &Config, timeout: Duration, alert: Alert) -> (Alert, Foresight) {
    let cannot_tell = |why: String| Foresight {
        summary: format!(
            "{why}: cannot tell whether it repeats an open alert; if it is new, every channel below would be notified"
        ),
        notify: None,
        open_alert: None,
        occurrence: None,
    };
    let new = |summary: String| Foresight {
        summary: format!("new alert ({summary}): every channel below would be notified"),
        notify: Some(true),
        open_alert: None,
        occurrence: None,
    };
    let Some(location) = &config.state.location else {
        return (
            alert,
            cannot_tell(format!("{}: no location", store_name(config))),
        );
    };
    let rules = rules(config, timeout);
    let trust = Trust::new(config.extra_ca_file.clone());
    let foreseen = match Store::open_read_only(location, &trust, timeout).await {
        Ok(store) => {
            let mut alerts = AlertStore::new(store);
            alerts
                .foresee(&alert, false, Timestamp::now(), &rules)
                .await
        }
        Err(e) => Err(e),
    };
    match foreseen {
        Err(StoreError::Missing | StoreError::Unmigrated { found: 0, .. }) => {
            let why = format!("there is no {} yet", at_store(config));
            (alert, new(why))
        }
        Err(e) => {
            let why = crate::error::report(in_store(config, e).as_ref());
            (alert, cannot_tell(why))
        }
        Ok(Foreseen {
            open: None, reason, ..
        }) => (
            alert,
            Foresight {
                summary: format!("{reason}: every channel below would be notified"),
                notify: Some(true),
                open_alert: None,
                occurrence: None,
            },
        ),
        Ok(Foreseen {
            open: Some(open),
            notify,
            reason,
        }) => {
            let summary = format!(
                "occurrence {} of open alert {} ({}); {}",
                open.occurrences,
                open.id,
                open.status.as_ref(),
                if notify {
                    format!("it would be notified again: {reason}")
                } else {
                    format!("nobody would be notified: {reason}")
                }
            );
            let foresight = Foresight {
                summary,
                notify: Some(notify),
                open_alert: Some(open.id.clone()),
                occurrence: Some(open.occurrences),
            };
            let severity = open.severity.max(alert.severity);
            let merged = Alert {
                message: alert.message,
                context: alert.context,
                severity,
                ..open
            };
            (merged, foresight)
        }
    }
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
