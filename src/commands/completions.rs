//! `vitals completions SHELL`.

use crate::cli;
use crate::exit::Exit;
use crate::output::Output;

pub fn run(shell: clap_complete::Shell, out: &Output) -> anyhow::Result<Exit> {
    let script = String::from_utf8_lossy(&cli::completions(shell)).into_owned();
    out.emit_text(&script)?;
    Ok(Exit::Ok)
}
