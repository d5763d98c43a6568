//! `vitals completions SHELL`.

use crate::cli;
use crate::exit::Exit;
use crate::output;

pub fn run(shell: clap_complete::Shell) -> Exit {
    output::write_stdout_bytes(&cli::completions(shell));
    Exit::Ok
}
