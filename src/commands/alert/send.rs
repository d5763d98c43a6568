//! `vitals alert send` and `vitals alert test`: an alert recorded (unless it
//! is a test) and sent through the channels, or with `--dry-run` only shown.

use std::time::Duration;

use super::super::{until_signal, until_stopped};
use crate::alerts::channels::{self, ChannelId};
use crate::alerts::lifecycle::{self, Foresight, Raised, Raising};
use crate::alerts::{
    self, Alert, InputError, MAX_MESSAGE_BYTES, Outcome, Policy, Preview, parse_user_labels,
};
use crate::cli::SendArgs;
use crate::config::{Config, ProcessEnv};
use crate::error::report;
use crate::exit::Exit;
use crate::output::{self, Output};
use crate::settings;

/// Sends the alert through the channels of `only` (every configured one
/// when empty). The settings are read first, so their mistakes are said
/// before the alert's.
pub fn run(
    alert: impl FnOnce() -> Result<Alert, InputError>,
    only: &[ChannelId],
    dry_run: bool,
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let (config, entries) = settings::alerting(&ProcessEnv)?;
    let config = &config;
    let alert = alert()?;
    let selected = lifecycle::select(entries, only)?;

    if dry_run {
        return preview(alert, &selected, config, out, timeout);
    }

    let policy = Policy::new(timeout, config.alert_retry_backoff);
    let rules = lifecycle::rules(config, timeout);
    // A test alert is not recorded: it must go out every time it is asked for.
    let recorded = !alert.test;
    let (raised, interrupted) = until_stopped(
        1,
        "deliveries in progress were abandoned (some channels may have been notified) \
         and no result was printed",
        |stop| async move {
            let mut store = None;
            let mut open_error = None;
            if recorded {
                match lifecycle::open_store(config, timeout, true).await {
                    Ok(s) => store = Some(s),
                    Err(e) => open_error = Some(e),
                }
            }
            let mut all = lifecycle::raise_all(
                store.as_mut(),
                config,
                &selected,
                vec![Raising {
                    alert,
                    adopt: false,
                    hold: None,
                }],
                &rules,
                &policy,
                &stop,
            )
            .await;
            if let (Some(r), Some(e)) = (all.raised.first_mut(), open_error) {
                r.store_error = Some(e);
            }
            // A test closes what it opened (a PagerDuty incident), unless interrupted.
            if let (Some(r), None, false) = (all.raised.first_mut(), all.interrupted, recorded) {
                lifecycle::close_test(&selected, &mut r.alert, &policy, &stop).await;
            }
            all.raised
        },
    )?;
    let Some(raised) = raised.into_iter().next() else {
        anyhow::bail!("internal error: the alert was lost");
    };
    if let Some(signal) = interrupted {
        return Ok(interrupted_exit(signal, &raised));
    }
    out.emit(&lifecycle::Sent {
        alert: &raised.alert,
        note: lifecycle::note(&raised),
    })?;
    Ok(sent_exit(&raised))
}

/// `--dry-run`: what a real send would decide, from the store (read only),
/// and what each channel would send if anyone is to be notified.
fn preview(
    alert: Alert,
    selected: &[channels::Entry],
    config: &Config,
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    let (alert, decision) = if alert.test {
        let decision = Foresight {
            summary: "a test alert is not recorded: every channel below would be notified"
                .to_owned(),
            notify: Some(true),
            open_alert: None,
            occurrence: None,
        };
        (alert, decision)
    } else {
        until_signal(
            1,
            "nothing was sent",
            lifecycle::foresee(config, timeout, alert),
        )?
    };
    let messages = if decision.notify == Some(false) {
        // Nobody would be told, but Alertmanager would get it again.
        lifecycle::resent(selected, &alert)
            .into_iter()
            .flat_map(|s| s.preview(&alert))
            .collect()
    } else {
        selected.iter().flat_map(|s| s.preview(&alert)).collect()
    };
    let exit = match decision.notify {
        Some(_) => Exit::Ok,
        None => Exit::Warning,
    };
    out.emit(&Preview {
        dry_run: true,
        decision,
        alert,
        messages,
    })?;
    Ok(exit)
}

pub fn alert_from_args(args: &SendArgs) -> Result<Alert, InputError> {
    let context = alerts::parse_context(args.context.as_deref())?;
    let labels = parse_user_labels(&args.label)?;
    let message = match args.message.as_str() {
        "-" => message_from_stdin()?,
        text => text.to_owned(),
    };
    Alert::new(&args.alert_type, args.severity, &message, context)?.with_labels(labels)
}

/// `--message -`: the message from stdin (a log excerpt, say), read no
/// further than needed to know it is too long. Invalid UTF-8 becomes U+FFFD.
fn message_from_stdin() -> Result<String, InputError> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_MESSAGE_BYTES as u64 + 4)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::Stdin(e.to_string()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A signal stopped the notifications: what finished was recorded, what was
/// in flight recorded as unknown; nothing on stdout, one line on stderr, exit 3.
fn interrupted_exit(signal: &str, raised: &Raised) -> Exit {
    let count = |o: Outcome| {
        raised
            .alert
            .deliveries
            .iter()
            .filter(|d| d.outcome == o)
            .count()
    };
    let unknown = count(Outcome::Unknown);
    let finished = raised.alert.deliveries.len() - unknown;
    let kept = match &raised.store_error {
        None if raised.reason.is_some() => "recorded",
        _ => "not recorded (the store could not be used)",
    };
    output::error(&format!(
        "interrupted by {signal}: alert {}: {finished} notification(s) finished, {unknown} \
         still in progress; {kept} (those in progress as unknown: they may have reached their \
         channel), and no result was printed",
        raised.alert.id
    ));
    Exit::Unknown
}

/// Exit code and messages for one raised alert of `alert send`.
fn sent_exit(raised: &Raised) -> Exit {
    // An occurrence nobody is notified of may still go to Alertmanager.
    let mut exit = if raised.notified || !raised.alert.deliveries.is_empty() {
        alerts::exit_for(&raised.alert.deliveries)
    } else {
        Exit::Ok
    };
    if let Some(e) = &raised.store_error {
        output::error(&format!(
            "{}: the alert was not recorded{}",
            report(e.as_ref()),
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
