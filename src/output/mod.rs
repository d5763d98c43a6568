//! Everything vitals prints. Results go to stdout (table or JSON), everything
//! else to stderr, and every byte passes the secret scrub on its way out.

pub mod json;
pub mod nagios;
pub mod prometheus;
pub mod table;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use owo_colors::OwoColorize;
use serde::Serialize;

use crate::checks::{CheckId, CheckResult};
use crate::text::printable;
use crate::{clock, redact};

/// How results are printed; each variant's doc comment is its `--help` text.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "lowercase")]
pub enum Format {
    Table,
    Json,
    /// A Nagios/Icinga plugin status line with perfdata (check commands only).
    Nagios,
    /// Prometheus text exposition format 0.0.4 (check commands only).
    Prometheus,
}

/// When to colour output.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::EnumIter, strum::EnumMessage,
)]
#[strum(serialize_all = "lowercase")]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// A result that can be shown as a table as well as JSON.
pub trait Render: Serialize {
    fn table(&self, style: &Style) -> String;

    /// Check results, for the monitoring formats; `None` for other commands.
    fn check_results(&self) -> Option<Vec<(CheckId, &CheckResult)>> {
        None
    }
}

/// How tables are drawn on this stream.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub tty: bool,
    /// The columns a wide table must fit in: `COLUMNS`, else the
    /// terminal's width; `None` (no limit) for a pipe or a file.
    pub width: Option<usize>,
}

pub struct Output {
    format: Format,
    style: Style,
    file: Option<PathBuf>,
}

impl Output {
    /// Prints in `format` to `file`, or to stdout when there is none.
    pub fn new(format: Format, color: ColorChoice, file: Option<PathBuf>) -> Self {
        // A file is never a terminal: no colour, compact JSON, ASCII tables.
        let tty = file.is_none() && io::stdout().is_terminal();
        Output {
            format,
            style: Style {
                color: file.is_none() && use_color(color, tty),
                tty,
                width: width(file.is_none(), tty),
            },
            file,
        }
    }

    /// Prints a result in the chosen format: pretty JSON on a terminal, compact otherwise.
    pub fn emit<T: Render>(&self, value: &T) -> anyhow::Result<()> {
        let text = match self.format {
            Format::Json => json::render(value, self.style.tty)?,
            Format::Table => value.table(&self.style),
            Format::Nagios | Format::Prometheus => {
                let results = value
                    .check_results()
                    .ok_or_else(|| anyhow::anyhow!(MONITORING_FORMATS_ONLY_FOR_CHECK))?;
                match self.format {
                    Format::Nagios => nagios::render(&results),
                    _ => prometheus::render(&results, clock::system_time()),
                }
            }
        };
        match &self.file {
            Some(path) => write_atomically(path, &text),
            None => {
                write_stdout(&text);
                Ok(())
            }
        }
    }
}

/// Writes a temporary file beside the target, then renames it over the
/// target: a reader (the node_exporter textfile collector) sees the old file
/// or the new one, never half of one.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("--output {} is not a file path", path.display()))?;
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let mut content = redact::scrub(text).into_owned();
    if !content.ends_with('\n') {
        content.push('\n');
    }
    std::fs::write(&temp, content)
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            anyhow::anyhow!("cannot write {}: {e}", path.display())
        })
}

/// The narrowest width a table is fitted to: below it, nothing readable fits anyway.
const MIN_WIDTH: usize = 40;

/// `COLUMNS` when set (shells export it; a script can set it), else the
/// terminal's width when stdout is one.
fn width(to_stdout: bool, tty: bool) -> Option<usize> {
    if !to_stdout {
        return None;
    }
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0);
    let terminal = || {
        terminal_size::terminal_size_of(io::stdout()).map(|(terminal_size::Width(w), _)| w.into())
    };
    columns
        .or_else(|| if tty { terminal() } else { None })
        .map(|w| w.max(MIN_WIDTH))
}

pub const MONITORING_FORMATS_ONLY_FOR_CHECK: &str =
    "--format nagios and --format prometheus apply to `vitals check` only";

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

/// Raw bytes to stdout (completion scripts), a closed pipe ignored as above.
pub fn write_stdout_bytes(bytes: &[u8]) {
    let mut stdout = io::stdout().lock();
    let _ = stdout.write_all(bytes).and_then(|()| stdout.flush());
}

/// An error for the user, on stderr.
pub fn error(message: &str) {
    let label = if stderr_color() {
        "error:".red().bold().to_string()
    } else {
        "error:".to_owned()
    };
    let message = redact::scrub(message);
    let _ = writeln!(io::stderr(), "{label} {}", printable(&message));
}
