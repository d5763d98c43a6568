//! The `vitals` binary: parses the command line and runs it. Everything else
//! is in the library.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::error::ErrorKind;

use vitals::cli;
use vitals::exit::Exit;
use vitals::{commands, config};

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    // Before parsing, so options with environment equivalents see the file too;
    // a broken file is reported after parsing, so `--help` still works.
    let env_file = config::dotenv::load(&args);
    let exit = match cli::parse(&args) {
        Ok(cli) => commands::run(&cli, env_file),
        Err(e) => usage_exit(&args, &e),
    };
    ExitCode::from(exit.code())
}

/// `--help` and `--version` succeed; every usage error is UNKNOWN (3), not clap's 2.
fn usage_exit(args: &[OsString], error: &clap::Error) -> Exit {
    // Printing fails only if the stream is closed, and then nobody is listening.
    let _ = error.print();
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Exit::Ok,
        _ => commands::refused(args, error),
    }
}
