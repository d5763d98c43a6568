//! `vitals alert …`.

mod lifecycle;
mod send;

use std::time::Duration;

use crate::cli::AlertCommand;
use crate::config::ProcessEnv;
use crate::exit::Exit;
use crate::output::Output;
use crate::settings;

/// Every `alert` command reads the general settings and the alert state's;
/// all but `list` the channels too.
pub fn run(command: &AlertCommand, out: &Output, timeout: Duration) -> anyhow::Result<Exit> {
    let alerting = || settings::alerting(&ProcessEnv);
    match command {
        AlertCommand::Send(args) => {
            let (config, entries) = alerting()?;
            let alert = send::alert_from_args(args)?;
            send::run(
                alert,
                &args.channel,
                args.dry_run,
                &config,
                entries,
                out,
                timeout,
            )
        }
        AlertCommand::Test(args) => {
            let (config, entries) = alerting()?;
            let alert = crate::alerts::test_alert()?;
            send::run(
                alert,
                &args.channel,
                args.dry_run,
                &config,
                entries,
                out,
                timeout,
            )
        }
        AlertCommand::List(args) => {
            let config = settings::general(&ProcessEnv)?;
            lifecycle::list(args, &config, out, timeout)
        }
        AlertCommand::Ack(args) => {
            let (config, entries) = alerting()?;
            lifecycle::acknowledge(args, &config, &entries, out, timeout)
        }
        AlertCommand::Resolve(args) => {
            let (config, entries) = alerting()?;
            lifecycle::resolve(args, &config, &entries, out, timeout)
        }
    }
}
