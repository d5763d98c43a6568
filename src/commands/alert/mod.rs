//! `vitals alert …`.

mod lifecycle;
mod send;
mod silences;

use std::time::Duration;

use crate::cli::AlertCommand;
use crate::config::ProcessEnv;
use crate::exit::Exit;
use crate::output::Output;
use crate::settings;

/// Every `alert` command reads the general settings and the alert state's;
/// those that notify (`send`, `test`, `ack`, `resolve`) the channels too.
pub fn run(command: &AlertCommand, out: &Output, timeout: Duration) -> anyhow::Result<Exit> {
    match command {
        AlertCommand::Send(args) => send::run(
            || send::alert_from_args(args),
            &args.channel,
            args.dry_run,
            out,
            timeout,
        ),
        AlertCommand::Test(args) => send::run(
            crate::alerts::test_alert,
            &args.channel,
            args.dry_run,
            out,
            timeout,
        ),
        AlertCommand::List(args) => {
            let config = settings::general(&ProcessEnv)?;
            lifecycle::list(args, &config, out, timeout)
        }
        AlertCommand::Ack(args) => {
            let (config, entries) = settings::alerting(&ProcessEnv)?;
            lifecycle::acknowledge(args, &config, &entries, out, timeout)
        }
        AlertCommand::Resolve(args) => {
            let (config, entries) = settings::alerting(&ProcessEnv)?;
            lifecycle::resolve(args, &config, &entries, out, timeout)
        }
        AlertCommand::Silence(args) => {
            let config = settings::general(&ProcessEnv)?;
            let declared = match &args.check {
                Some(name) if name.parse::<crate::checks::CheckId>().is_err() => {
                    settings::declared_checks(&ProcessEnv)
                }
                _ => Vec::new(),
            };
            silences::create(args, &declared, &config, out, timeout)
        }
        AlertCommand::Silences(args) => {
            let config = settings::general(&ProcessEnv)?;
            silences::list(args, &config, out, timeout)
        }
        AlertCommand::Unsilence(args) => {
            let config = settings::general(&ProcessEnv)?;
            silences::end(args, &config, out, timeout)
        }
    }
}
