//! Everything vitals prints. Results go to stdout (table or JSON), everything
//! else to stderr, and every byte passes the secret scrub on its way out.

pub mod csv;
pub mod history;
pub mod json;
pub mod nagios;
pub mod prometheus;
mod silences;
pub mod table;

use std::cell::Cell;
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
    /// Comma-separated values, RFC 4180 (history only).
    Csv,
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

    /// The CSV form, for the documents that have one.
    fn csv(&self) -> Option<String> {
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
    /// Whether a result was printed (or its printing attempted).
    emitted: Cell<bool>,
}

/// What `check` says on stdout when it has no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// `check NAME`: a check's object (`status`).
    Single,
    /// `check all`: the run's document (`overall_status`).
    All,
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
            emitted: Cell::new(false),
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Prints a result in the chosen format: pretty JSON on a terminal, compact otherwise.
    pub fn emit<T: Render>(&self, value: &T) -> anyhow::Result<()> {
        self.emitted.set(true);
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
            Format::Csv => value
                .csv()
                .ok_or_else(|| anyhow::anyhow!(CSV_ONLY_FOR_HISTORY))?,
        };
        self.write(&text)
    }

    /// What `check` prints instead of a result it does not have (a mistake
    /// in its settings, a signal, an internal error; `reason` says which,
    /// one problem a line), so that what reads it is not left with nothing:
    /// Nagios a status line, `jq` a document, Prometheus `vitals_up 0`. A
    /// table prints nothing (stderr says why), and nothing is added to a
    /// result already printed.
    pub fn emit_failure(&self, document: Document, reason: &str) -> anyhow::Result<()> {
        if self.emitted.replace(true) {
            return Ok(());
        }
        let text = match self.format {
            Format::Table | Format::Csv => return Ok(()),
            Format::Json => json::render(&json::failure(document, reason), self.style.tty)?,
            Format::Nagios => nagios::failure(reason),
            Format::Prometheus => prometheus::failure(clock::system_time()),
        };
        self.write(&text)
    }

    /// Text that has one form only (a completion script), where the result would go.
    pub fn emit_text(&self, text: &str) -> anyhow::Result<()> {
        self.emitted.set(true);
        self.write(text)
    }

    fn write(&self, text: &str) -> anyhow::Result<()> {
        match &self.file {
            Some(path) => write_atomically(path, text),
            None => write_stdout(text),
        }
    }
}

/// Writes a temporary file beside the target, then renames it over the
/// target: a reader (the node_exporter textfile collector) sees the old file
/// or the new one, never half of one. A target that exists and is no
/// regular file (`/dev/stdout`, a pipe, `/dev/full`) is written to as it is:
/// renaming over it would replace the device, not write to it.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let content = finished(text);
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .and_then(|mut file| file.write_all(content.as_bytes()))
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()));
    }
    // A link is kept, and the file it points to replaced.
    let resolved = std::fs::canonicalize(path).ok();
    let target = resolved.as_deref().unwrap_or(path);
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .with_context(|| format!("--output {} is not a file path", path.display()))?;
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&temp, content)
        .and_then(|()| std::fs::rename(&temp, target))
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

/// What is written: scrubbed of every known secret, ending in a newline.
fn finished(text: &str) -> String {
    let mut content = redact::scrub(text).into_owned();
    if !content.ends_with('\n') {
        content.push('\n');
    }
    content
}

pub const MONITORING_FORMATS_ONLY_FOR_CHECK: &str =
    "--format nagios and --format prometheus apply to `vitals check` only";

pub const CSV_ONLY_FOR_HISTORY: &str = "--format csv applies to `vitals history` only";

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

/// Writes to stdout, scrubbed and ending in a newline. A reader that
/// stopped reading (`vitals … | head`) is no error worth a word, as for
/// ripgrep; any other failure (`> /dev/full`) is.
fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    let written = stdout
        .write_all(finished(text).as_bytes())
        .and_then(|()| stdout.flush());
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("cannot write to stdout: {e}"))
        }
        _ => Ok(()),
    }
}

/// A warning for the user, on stderr.
pub fn warning(message: &str) {
    tell(
        "warning:",
        |label| label.yellow().bold().to_string(),
        message,
    );
}

/// What a long-running command is doing (where it listens, why it
/// stopped), on stderr.
pub fn say(message: &str) {
    let message = redact::scrub(message);
    let _ = writeln!(io::stderr(), "{}", printable(&message));
}

/// An error for the user, on stderr.
pub fn error(message: &str) {
    tell("error:", |label| label.red().bold().to_string(), message);
}

/// `label message` on stderr, the label coloured by `paint` when stderr may be.
fn tell(label: &str, paint: fn(&str) -> String, message: &str) {
    let label = if stderr_color() {
        paint(label)
    } else {
        label.to_owned()
    };
    let message = redact::scrub(message);
    let _ = writeln!(io::stderr(), "{label} {}", printable(&message));
}
