//! `vitals alert …`.

mod lifecycle;
mod send;

use std::time::Duration;

use crate::cli::AlertCommand;
use crate::config::Config;
use crate::exit::Exit;
use crate::output::Output;

pub fn run(
    command: &AlertCommand,
    config: &Config,
    out: &Output,
    timeout: Duration,
) -> anyhow::Result<Exit> {
    match command {
        AlertCommand::Send(args) => {
            let alert = send::alert_from_args(args)?;
            send::run(alert, &args.channel, args.dry_run, config, out, timeout)
        }
        AlertCommand::Test(args) => {
            let alert = crate::alerts::test_alert()?;
            send::run(alert, &args.channel, args.dry_run, config, out, timeout)
        }
        AlertCommand::List(args) => lifecycle::list(args, config, out, timeout),
        AlertCommand::Ack(args) => lifecycle::acknowledge(args, config, out, timeout),
        AlertCommand::Resolve(args) => lifecycle::resolve(args, config, out, timeout),
    }
}
