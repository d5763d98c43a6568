//! The commands: each reads the configuration, calls the domain, prints the
//! result and chooses the exit code. This is the only layer (with `cli.rs`
//! and `main.rs`) that knows clap's types, and the only one that prints.

mod alert;
mod check;
mod completions;
mod config;

use std::future::Future;

use crate::cli::{Cli, Command, ConfigCommand};
use crate::config::dotenv::EnvFileError;
use crate::config::{EnvFile, ProcessEnv};
use crate::error::report;
use crate::exit::Exit;
use crate::output::{self, Format, Output};
use crate::runtime::{self, Interrupted, Stop};
use crate::{clock, logging, settings};

/// Runs the parsed command line; `env_file` is what loading `.env` came to
/// (loaded before parsing, so that options see its values; reported here,
/// after parsing, so that `--help` works whatever the file holds).
pub fn run(cli: &Cli, env_file: Result<Option<EnvFile>, EnvFileError>) -> Exit {
    logging::init(cli.global.verbose, cli.global.quiet, output::stderr_color());
    let env_file = match env_file {
        Ok(file) => file,
        Err(e) => {
            output::error(&e.to_string());
            return Exit::Unknown;
        }
    };
    if let Err(e) = clock::init() {
        output::error(&e.to_string());
        return Exit::Unknown;
    }
    let out = Output::new(
        cli.global.format(),
        cli.global.color,
        cli.global.output.clone(),
    );
    match dispatch(cli, env_file, &out) {
        Ok(exit) => exit,
        Err(e) => {
            output::error(&report(e.as_ref()));
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
    // Each command reads only the settings it uses; every secret is scrubbed all the same.
    settings::register_secrets(&ProcessEnv);
    match &cli.command {
        Command::Check(args) => check::run(args, out, cli.global.timeout),
        Command::Alert(command) => alert::run(command, out, cli.global.timeout),
        Command::Config(ConfigCommand::Validate) => config::validate(env_file.as_ref(), out),
        Command::Completions { shell } => Ok(completions::run(*shell)),
    }
}

/// Why network work ended without its result.
#[derive(Debug, thiserror::Error)]
pub enum Stopped {
    #[error(transparent)]
    Runtime(#[from] std::io::Error),
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
}

/// Runs `work` on a runtime of `workers` threads until it ends or SIGINT or
/// SIGTERM arrives; then drops whatever still hangs (connections of checks
/// that already timed out, requests the user no longer waits for). `what`
/// says what became of the work when a signal stopped it. Every command
/// waits on the network through this one function.
pub fn until_signal<F: Future>(
    workers: usize,
    what: &'static str,
    work: F,
) -> Result<F::Output, Stopped> {
    let runtime = runtime::build(workers)?;
    let result = runtime::run_until_signal(&runtime, work);
    runtime.shutdown_background();
    result.map_err(|signal| Stopped::Interrupted(Interrupted { signal, what }))
}

/// As [`until_signal`], for work that winds down when asked (it records what
/// it did before a signal): the first SIGINT or SIGTERM is handed to it
/// through its [`Stop`], and it returns with the name of that signal; a
/// second one stops it at once, `what` saying what became of the work.
pub fn until_stopped<F: Future>(
    workers: usize,
    what: &'static str,
    work: impl FnOnce(Stop) -> F,
) -> Result<(F::Output, Option<&'static str>), Stopped> {
    let runtime = runtime::build(workers)?;
    let result = runtime::run_until_stopped(&runtime, work);
    runtime.shutdown_background();
    result.map_err(|signal| Stopped::Interrupted(Interrupted { signal, what }))
}
