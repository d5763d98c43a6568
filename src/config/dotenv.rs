//! Loading `.env` (or `--env-file`) before the command line is parsed, so
//! that options with environment equivalents see the file's values too.
//!
//! A relative path set in the file (`VITALS_CONFIG=vitals.toml`) is
//! relative to the file's directory, as it is where its author looked:
//! `--env-file /etc/vitals/vitals.env` from cron, whose working directory is
//! `$HOME`, still finds `/etc/vitals/vitals.toml` ([`resolve`]).

use std::collections::HashSet;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::EnvFile;

/// The env file could not be loaded. Its lines are never quoted: one may hold a secret.
#[derive(Debug, thiserror::Error)]
pub enum EnvFileError {
    #[error("cannot read env file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot parse env file {path}: syntax error at line {line}, column {column}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
    },
    #[error(
        "cannot parse env file {path}: the quoted value on line {line} is not closed by the end of the file"
    )]
    Unclosed { path: String, line: usize },
    #[error("cannot load env file {path}: {source}")]
    Var {
        path: String,
        #[source]
        source: std::env::VarError,
    },
    #[error("cannot load env file {path}")]
    Other { path: String },
}

/// Where the loaded file is, and the variables it set (those the
/// environment did not set already).
struct Origin {
    dir: PathBuf,
    vars: HashSet<String>,
}

static ORIGIN: OnceLock<Origin> = OnceLock::new();

/// A path from `var`: when the env file set it and it is relative, relative
/// to the file's directory; otherwise as it is (relative to the working
/// directory).
pub fn resolve(var: &str, path: &Path) -> PathBuf {
    match ORIGIN.get() {
        Some(origin) if path.is_relative() && origin.vars.contains(var) => origin.dir.join(path),
        _ => path.to_owned(),
    }
}

/// Loads the env file named by `--env-file` / `VITALS_ENV_FILE`, else `./.env`
/// when present. Variables already in the environment are never overridden.
/// `--help` and `--version` read nothing: they must be instant and cannot fail.
pub fn load(args: &[OsString]) -> Result<Option<EnvFile>, EnvFileError> {
    if asks_for_help_or_version(args) {
        return Ok(None);
    }
    let (path, explicit) = match explicit_path(args) {
        Some(path) => (path, true),
        None => (PathBuf::from(".env"), false),
    };
    if !explicit && !path.is_file() {
        return Ok(None);
    }
    let shown = path.display().to_string();
    let read = |source| EnvFileError::Read {
        path: shown.clone(),
        source,
    };
    let mode = std::fs::metadata(&path)
        .map(|m| m.permissions().mode())
        .map_err(read)?;
    let text = std::fs::read_to_string(&path).map_err(read)?;
    // The names first, and every syntax error before anything is set.
    let from_file: HashSet<String> = names(&text, &shown)?
        .into_iter()
        .filter(|name| std::env::var_os(name).is_none())
        .collect();
    dotenvy::from_path(&path).map_err(|e| describe(e, &shown, &text))?;
    let dir = path.parent().map(Path::to_owned).unwrap_or_default();
    let _ = ORIGIN.set(Origin {
        dir,
        vars: from_file,
    });
    Ok(Some(EnvFile {
        warnings: comment_values(&text, &shown),
        path,
        mode: Some(mode),
    }))
}

/// The names the file sets, in order, or its first syntax error (`shown`
/// names the file in it).
pub(crate) fn names(text: &str, shown: &str) -> Result<Vec<String>, EnvFileError> {
    dotenvy::from_read_iter(text.as_bytes())
        .map(|item| {
            item.map(|(name, _)| name)
                .map_err(|e| describe(e, shown, text))
        })
        .collect()
}

/// Errors are described by position only: the offending line may hold a secret.
fn describe(error: dotenvy::Error, shown: &str, text: &str) -> EnvFileError {
    let path = shown.to_owned();
    match error {
        // A quoted value still open at the end of the file: where it opened.
        dotenvy::Error::LineParse(lines, _) if lines.contains('\n') => {
            let (line, _) = position(text, &lines, 0);
            EnvFileError::Unclosed { path, line }
        }
        dotenvy::Error::LineParse(part, index) => {
            let (line, column) = position(text, &part, index);
            EnvFileError::Syntax { path, line, column }
        }
        dotenvy::Error::Io(source) => EnvFileError::Read { path, source },
        dotenvy::Error::EnvVar(source) => EnvFileError::Var { path, source },
        _ => EnvFileError::Other { path },
    }
}

/// The line and column (from 1, in characters) of byte `index` of `part`
/// (the line, or the value, the parser refused) in the file's `text`: its
/// first occurrence outside a comment.
fn position(text: &str, part: &str, index: usize) -> (usize, usize) {
    let in_comment = |at: usize| {
        let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
        text[line_start..at].trim_start().starts_with('#')
    };
    let start = text
        .match_indices(part)
        .map(|(at, _)| at)
        .find(|at| !in_comment(*at))
        .unwrap_or(0);
    let mut at = (start + index).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// `SLACK_CHANNEL=#ops` sets an empty value: an unquoted `#` starts a
/// comment. Said, with where, so that it is quoted rather than lost.
pub(crate) fn comment_values(text: &str, shown: &str) -> Vec<String> {
    text.lines()
        .enumerate()
        .filter_map(|(n, line)| {
            let line = line.trim_start();
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (name, value) = line.split_once('=')?;
            let name = name.trim();
            let valid = !name.is_empty()
                && !name.starts_with('#')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            (valid && value.trim_start().starts_with('#')).then(|| {
                format!(
                    "{shown}:{}: the value of {name} starts with #, which starts a comment, so \
                     {name} is empty: quote values starting with # ({name}='#…')",
                    n + 1
                )
            })
        })
        .collect()
}

fn asks_for_help_or_version(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| ["-h", "--help", "-V", "--version"].iter().any(|f| a == f))
        || args.get(1).is_some_and(|a| a == "help")
}

/// `--env-file PATH` or `--env-file=PATH` before any `--`, else `VITALS_ENV_FILE`.
fn explicit_path(args: &[OsString]) -> Option<PathBuf> {
    let mut iter = args.iter().skip(1);
    while let Some(arg) = iter.next() {
        if arg == "--" {
            break;
        }
        if arg == "--env-file" {
            return iter.next().map(PathBuf::from);
        }
        if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix("--env-file=")) {
            return Some(Path::new(value).to_owned());
        }
    }
    std::env::var_os("VITALS_ENV_FILE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn finds_the_flag_in_both_forms() {
        assert_eq!(
            explicit_path(&args(&["vitals", "check", "db", "--env-file", "prod.env"])),
            Some(PathBuf::from("prod.env"))
        );
        assert_eq!(
            explicit_path(&args(&[
                "vitals",
                "--env-file=/etc/vitals.env",
                "check",
                "db"
            ])),
            Some(PathBuf::from("/etc/vitals.env"))
        );
    }

    #[test]
    fn help_and_version_read_no_file() {
        assert!(asks_for_help_or_version(&args(&[
            "vitals", "check", "--help"
        ])));
        assert!(asks_for_help_or_version(&args(&["vitals", "-V"])));
        assert!(asks_for_help_or_version(&args(&[
            "vitals", "help", "check"
        ])));
        assert!(!asks_for_help_or_version(&args(&["vitals", "check", "db"])));
        assert!(!asks_for_help_or_version(&args(&[
            "vitals", "alert", "send", "--", "--help"
        ])));
    }

    fn syntax_error(text: &str) -> String {
        let error = dotenvy::from_read_iter(text.as_bytes())
            .find_map(Result::err)
            .unwrap_or_else(|| panic!("{text:?} parsed"));
        describe(error, ".env", text).to_string()
    }

    #[test]
    fn syntax_errors_say_the_line_and_column() {
        assert_eq!(
            syntax_error("A=1\n\n# B = x y\nB = x y\n"),
            "cannot parse env file .env: syntax error at line 4, column 7"
        );
        assert_eq!(
            syntax_error("A=1\nB=2\nC=\"open\nD=4\n"),
            "cannot parse env file .env: the quoted value on line 3 is not closed by the end of the file"
        );
        assert_eq!(
            syntax_error("A=1\nÄ=ü x\n"),
            "cannot parse env file .env: syntax error at line 2, column 1"
        );
    }

    #[test]
    fn unquoted_hashes_are_said() {
        assert_eq!(
            comment_values(
                "# SLACK_CHANNEL=#x\nexport SLACK_CHANNEL= #ops\nA='#ok'\nB=#\n",
                ".env"
            ),
            [
                ".env:2: the value of SLACK_CHANNEL starts with #, which starts a comment, so \
                 SLACK_CHANNEL is empty: quote values starting with # (SLACK_CHANNEL='#…')",
                ".env:4: the value of B starts with #, which starts a comment, so B is empty: \
                 quote values starting with # (B='#…')"
            ]
        );
    }

    #[test]
    fn stops_at_double_dash() {
        let found = explicit_path(&args(&["vitals", "--", "--env-file", "x"]));
        assert_ne!(found, Some(PathBuf::from("x")));
    }
}
