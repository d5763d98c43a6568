//! The commands: each reads the configuration, calls the domain, prints the
//! result and chooses the exit code. This is the only layer (with `cli.rs`
//! and `main.rs`) that knows clap's types, and the only one that prints.

mod alert;
mod check;
mod completions;
mod config;
mod history;
mod serve;

use std::future::Future;

use std::ffi::OsString;
use std::panic::AssertUnwindSafe;

use clap::CommandFactory;

use crate::cli::{Cli, Command, ConfigCommand};
use crate::config::dotenv::{self, EnvFileError};
use crate::config::{EnvFile, ProcessEnv};
use crate::error::report;
use crate::exit::Exit;
use crate::output::{self, ColorChoice, Document, Format, Output};
use crate::runtime::{self, Interrupted, Stop};
use crate::{clock, logging, settings};

/// Runs the parsed command line; `env_file` is what loading `.env` came to
/// (loaded before parsing, so that options see its values; reported here,
/// after parsing, so that `--help` works whatever the file holds).
pub fn run(cli: &Cli, env_file: Result<Option<EnvFile>, EnvFileError>) -> Exit {
    logging::init(cli.global.verbose, cli.global.quiet, output::stderr_color());
    // Before any work: a signal from here on stops the work, not the process.
    if let Err(e) = runtime::catch_signals() {
        tracing::debug!("SIGINT and SIGTERM are not caught: {e}");
    }
    // A relative VITALS_OUTPUT from the env file is relative to the file's directory.
    let output = cli
        .global
        .output
        .as_deref()
        .map(|path| match std::env::var_os("VITALS_OUTPUT") {
            Some(set) if set == path.as_os_str() => dotenv::resolve("VITALS_OUTPUT", path),
            _ => path.to_owned(),
        });
    let out = Output::new(cli.global.format(), cli.global.color, output);
    // `config validate` lists them with the rest of its warnings.
    if let Ok(Some(file)) = &env_file
        && !cli.global.quiet
        && !matches!(cli.command, Command::Config(_))
    {
        for warning in &file.warnings {
            output::warning(warning);
        }
    }
    // These two say their causes in their own words: as text, not as chains.
    let ran = env_file
        .map_err(|e| anyhow::anyhow!("{e}"))
        .and_then(|env_file| {
            clock::init().map_err(|e| anyhow::anyhow!("{e}"))?;
            // A bug must still leave the caller a document, not silence: the
            // panic's own report is on stderr already.
            std::panic::catch_unwind(AssertUnwindSafe(|| dispatch(cli, env_file, &out)))
                .unwrap_or_else(|_| Err(anyhow::anyhow!("internal error: vitals panicked")))
        });
    match ran {
        Ok(exit) => exit,
        Err(e) => {
            let reason = report(e.as_ref());
            output::error(&reason);
            if let Command::Check(args) = &cli.command
                && !args.list
            {
                let document = match check::single(args) {
                    Some(_) => Document::Single,
                    None => Document::All,
                };
                // The reason is on stderr already; this one cannot fail any louder.
                let _ = out.emit_failure(document, &reason);
            }
            Exit::Unknown
        }
    }
}

/// A command line clap refused, after clap printed why: `check` still gives
/// its format's reader a document when the format can be made out.
pub fn refused(args: &[OsString], error: &clap::Error) -> Exit {
    let matches = Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(args);
    let check = matches
        .as_ref()
        .ok()
        .and_then(|m| m.subcommand_matches("check"));
    if let Some(check) = check {
        // What a refused command line left unset is not there to ask for.
        let format = if check.try_get_one::<bool>("json").ok().flatten() == Some(&true) {
            Format::Json
        } else {
            check
                .try_get_one::<Format>("format")
                .ok()
                .flatten()
                .copied()
                .unwrap_or(Format::Table)
        };
        let names: Vec<&String> = check
            .try_get_many::<String>("names")
            .ok()
            .flatten()
            .map(Iterator::collect)
            .unwrap_or_default();
        let document = match names.as_slice() {
            [one] if *one != "all" => Document::Single,
            _ => Document::All,
        };
        // What clap said before its usage line and hints.
        let rendered = error.render().to_string();
        let said: Vec<&str> = rendered.lines().take_while(|l| !l.is_empty()).collect();
        let said = said.join("\n");
        let reason = said.trim_start_matches("error: ");
        let out = Output::new(format, ColorChoice::Never, None);
        let _ = out.emit_failure(document, reason);
    }
    Exit::Unknown
}

fn dispatch(cli: &Cli, env_file: Option<EnvFile>, out: &Output) -> anyhow::Result<Exit> {
    // Refused before anything is sent, recorded or resolved, not after.
    if matches!(cli.global.format(), Format::Nagios | Format::Prometheus)
        && !matches!(cli.command, Command::Check(_))
    {
        anyhow::bail!(output::MONITORING_FORMATS_ONLY_FOR_CHECK);
    }
    if cli.global.format() == Format::Csv && !matches!(cli.command, Command::History(_)) {
        anyhow::bail!(output::CSV_ONLY_FOR_HISTORY);
    }
    // Each command reads only the settings it uses; every secret is scrubbed all the same.
    settings::register_secrets(&ProcessEnv);
    match &cli.command {
        Command::Check(args) => check::run(args, out, cli.global.timeout),
        Command::Alert(command) => alert::run(command, out, cli.global.timeout),
        Command::Config(ConfigCommand::Validate) => config::validate(env_file.as_ref(), out),
        Command::History(args) => history::run(args, out, cli.global.timeout),
        Command::Serve(args) => serve::run(args, cli.global.timeout, cli.global.quiet),
        Command::Completions { shell } => completions::run(*shell, out),
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
