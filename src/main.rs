//! vitals: health checks and alert routing for a platform's dependencies.

mod alerts;
mod checks;
mod cli;
mod config;
mod http;
mod logging;
mod metrics;
mod output;
mod pg;
mod redact;
mod signals;
mod status;
mod tls;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use crate::cli::{Cli, Command, ConfigCommand, Format};
use crate::config::{Config, EnvFile};
use crate::output::Output;
use crate::status::Exit;

fn main() -> ExitCode {
    ExitCode::from(run().code())
}

fn run() -> Exit {
    let args: Vec<OsString> = std::env::args_os().collect();
    // Before parsing, so options with environment equivalents see the file too;
    // a broken file is reported after parsing, so `--help` still works.
    let env_file = config::dotenv::load(&args);
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return usage_exit(&e),
    };
    logging::init(cli.global.verbose, cli.global.quiet, output::stderr_color());
    let env_file = match env_file {
        Ok(file) => file,
        Err(message) => {
            output::error(&message);
            return Exit::Unknown;
        }
    };
    let out = Output::new(&cli.global);
    match dispatch(&cli, env_file, &out) {
        Ok(exit) => exit,
        Err(e) => {
            output::error(&format!("{e:#}"));
            Exit::Unknown
        }
    }
}

fn dispatch(cli: &Cli, env_file: Option<EnvFile>, out: &Output) -> anyhow::Result<Exit> {
    // Refused before anything is sent, recorded or resolved, not after.
    if matches!(cli.global.format(), Format::Nagios | Format::Prometheus)
        && !matches!(cli.command, Command::Check(_))
    {
        anyhow::bail!(output::MONITORING_FORMATS_ONLY_FOR_CHECK);
    }
    match &cli.command {
        Command::Check(args) => {
            let config = Config::load(env_file).into_result()?;
            checks::command(args, &config, out, cli.global.timeout)
        }
        Command::Alert(command) => {
            let config = Config::load(env_file).into_result()?;
            alerts::command(command, &config, out, cli.global.timeout)
        }
        Command::Config(ConfigCommand::Validate) => {
            config::validate::command(Config::load(env_file), out)
        }
        Command::Completions { shell } => {
            output::write_stdout_bytes(&cli::completions(*shell));
            Ok(Exit::Ok)
        }
    }
}

/// `--help` and `--version` succeed; every usage error is UNKNOWN (3), not clap's 2.
fn usage_exit(error: &clap::Error) -> Exit {
    // Printing fails only if the stream is closed, and then nobody is listening.
    let _ = error.print();
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Exit::Ok,
        _ => Exit::Unknown,
    }
}
