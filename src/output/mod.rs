//! Everything vitals prints. Results go to stdout (table or JSON), everything
//! else to stderr, and every byte passes the secret scrub on its way out.

pub mod json;
pub mod nagios;
pub mod prometheus;
pub mod table;

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context as _;

use owo_colors::OwoColorize;
use serde::Serialize;

use crate::checks::{CheckId, CheckResult};
use crate::cli::{ColorChoice, Format, GlobalArgs};
use crate::redact;

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
}

pub struct Output {
    format: Format,
    style: Style,
    file: Option<PathBuf>,
}

impl Output {
    pub fn new(global: &GlobalArgs) -> Self {
        // A file is never a terminal: no colour, compact JSON, ASCII tables.
        let tty = global.output.is_none() && io::stdout().is_terminal();
        Output {
            format: global.format(),
            style: Style {
                color: global.output.is_none() && use_color(global.color, tty),
                tty,
            },
            file: global.output.clone(),
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
                    _ => prometheus::render(&results, SystemTime::now()),
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

/// Text from outside (server replies, error bodies) made safe for a
/// terminal: a control character could move the cursor, recolour the screen
/// or hide a line, so each one but line breaks and tabs becomes `\u{FFFD}`.
pub fn printable(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if text.chars().any(unsafe_char) {
        Cow::Owned(
            text.chars()
                .map(|c| if unsafe_char(c) { '\u{FFFD}' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// Text from outside as one short line: control characters and runs of
/// whitespace become one space, and at most `max` characters are kept.
/// Secrets are scrubbed first: a cut through one would leave a piece of it
/// that the scrub on the way out no longer recognises.
pub fn one_line(text: &str, max: usize) -> String {
    let spaced: String = redact::scrub(text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cut(
        &spaced.split_whitespace().collect::<Vec<_>>().join(" "),
        max,
    )
}

/// The first `max` characters of `text` (never a partial UTF-8 sequence), with `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_counts_characters_not_bytes() {
        assert_eq!(cut("привет", 3), "при…");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("😀😀", 1), "😀…");
    }

    #[test]
    fn outside_text_cannot_drive_the_terminal() {
        assert_eq!(
            printable("ok\x1b[2J\x1b]0;pwned\x07\r\nnext\tline"),
            "ok\u{FFFD}[2J\u{FFFD}]0;pwned\u{FFFD}\u{FFFD}\nnext\tline"
        );
        assert_eq!(one_line("  a\x1b[31m\r\n\tb  c ", 10), "a [31m b c");
        assert_eq!(one_line("abcdef", 3), "abc…");
    }

    #[test]
    fn secrets_are_scrubbed_before_a_cut_could_split_them() {
        redact::register("cut-through-secret-1234");
        assert_eq!(
            one_line("key: cut-through-secret-1234 rest", 12),
            "key: *** res…"
        );
    }
}
