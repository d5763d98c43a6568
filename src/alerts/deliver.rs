//! Sending notifications through the channels, all at once, in a way that
//! a signal cannot turn into silence: when asked to stop, what finished is
//! kept and what was still in flight is recorded as `unknown` (it may have
//! reached someone), for the caller to store.

use std::sync::Mutex;

use super::channels::{ChannelId, Entry};
use super::{Alert, Delivery, Event, Policy};
use crate::runtime::Stop;

/// One notification to send: an event about an alert, through some channels.
pub struct Job<'a> {
    pub alert: &'a Alert,
    pub event: Event,
    pub entries: Vec<&'a Entry>,
    /// Channels the rate limit holds back, with why: recorded, not sent.
    pub suppressed: &'a [(ChannelId, String)],
}

/// The notifications `entry` would send about `alert` for `event`, as
/// records of what is about to happen (one per recipient).
pub fn planned(entry: &Entry, alert: &Alert, event: Event) -> Vec<Delivery> {
    match entry.ready() {
        Some(n) if entry.would_send(alert, event) => n
            .recipients()
            .into_iter()
            .map(|r| Delivery::pending(entry.id, n.provider(), r, event))
            .collect(),
        _ => Vec::new(),
    }
}

/// Sends every job through its channels at once. Returns each job's
/// deliveries and, when `stop` interrupted them, the signal: the channels
/// that had not finished then have `unknown` records instead.
pub async fn send_all(
    jobs: &[Job<'_>],
    policy: &Policy,
    stop: &Stop,
) -> (Vec<Vec<Delivery>>, Option<&'static str>) {
    // Each channel's result, as it finishes: what is here when a signal
    // arrives is what finished.
    let done: Mutex<Vec<Vec<Option<Vec<Delivery>>>>> = Mutex::new(
        jobs.iter()
            .map(|job| vec![None; job.entries.len()])
            .collect(),
    );
    let sends = jobs.iter().enumerate().flat_map(|(j, job)| {
        let done = &done;
        job.entries
            .iter()
            .enumerate()
            .map(move |(k, entry)| async move {
                let deliveries = match job.suppressed.iter().find(|(id, _)| *id == entry.id) {
                    Some((_, why)) => entry.suppressed(job.event, why),
                    None => entry.deliver(job.alert, job.event, policy).await,
                };
                if let Ok(mut done) = done.lock() {
                    done[j][k] = Some(deliveries);
                }
            })
    });
    let interrupted = tokio::select! {
        _ = futures_util::future::join_all(sends) => None,
        signal = stop.requested() => Some(signal),
    };
    let done = done
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let why = interrupted.map(|signal| format!("interrupted by {signal}"));
    let deliveries = jobs
        .iter()
        .zip(done)
        .map(|(job, results)| {
            job.entries
                .iter()
                .zip(results)
                .flat_map(|(entry, result)| {
                    result.unwrap_or_else(|| {
                        let why = why.as_deref().unwrap_or("stopped");
                        planned(entry, job.alert, job.event)
                            .iter()
                            .map(|pending| Delivery::unknown(pending, why))
                            .collect()
                    })
                })
                .collect()
        })
        .collect();
    (deliveries, interrupted)
}

/// The channels that may have told someone about `alert` and take `event`:
/// where an acknowledgement or a resolution must go. A channel that
/// certainly never delivered the alert hears nothing of its end.
pub fn told<'a>(entries: &'a [Entry], alert: &Alert, event: Event) -> Vec<&'a Entry> {
    entries
        .iter()
        .filter(|e| alert.possibly_told(e.id) && e.would_send(alert, event))
        .collect()
}
