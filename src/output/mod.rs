//! Everything vitals prints. Results go to stdout (table or JSON), everything
//! else to stderr, and every byte passes the secret scrub on its way out.

pub mod json;
pub mod table;

use std::io::{self, IsTerminal, Write};

use owo_colors::OwoColorize;
use serde::Serialize;

use crate::cli::{ColorChoice, Format, GlobalArgs};
use crate::redact;

/// A result that can be shown as a table as well as JSON.
pub trait Render: Serialize {
    fn table(&self, style: &Style) -> String;
}

/// How tables are drawn on this stream.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub tty: bool,
}

pub struct Output {
    format: Format,
    style: Style,
}

impl Output {
    pub fn new(global: &GlobalArgs) -> Self {
        let tty = io::stdout().is_terminal();
        Output {
            format: global.format(),
            style: Style {
                color: use_color(global.color, tty),
                tty,
            },
        }
    }

    /// Prints a result in the chosen format: pretty JSON on a terminal, compact otherwise.
    pub fn emit<T: Render>(&self, value: &T) -> anyhow::Result<()> {
        let text = match self.format {
            Format::Json => json::render(value, self.style.tty)?,
            Format::Table => value.table(&self.style),
        };
        write_stdout(&text);
        Ok(())
    }
}

/// Colour only on a terminal, never with a non-empty NO_COLOR or TERM=dumb,
/// unless `--color` says otherwise (no-color.org, clig.dev).
pub fn use_color(choice: ColorChoice, is_tty: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_tty
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
}

/// Whether stderr may be coloured under the same rules.
pub fn stderr_color() -> bool {
    use_color(ColorChoice::Auto, io::stderr().is_terminal())
}

/// Writes to stdout; a closed pipe (`vitals … | head`) is not an error worth a word.
fn write_stdout(text: &str) {
    let clean = redact::scrub(text);
    let mut stdout = io::stdout().lock();
    let newline = if clean.ends_with('\n') { "" } else { "\n" };
    let _ = stdout
        .write_all(clean.as_bytes())
        .and_then(|()| stdout.write_all(newline.as_bytes()))
        .and_then(|()| stdout.flush());
}

/// An error for the user, on stderr.
pub fn error(message: &str) {
    let label = if stderr_color() {
        "error:".red().bold().to_string()
    } else {
        "error:".to_owned()
    };
    let _ = writeln!(io::stderr(), "{label} {}", redact::scrub(message));
}
