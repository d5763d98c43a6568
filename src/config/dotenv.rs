//! Loading `.env` (or `--env-file`) before the command line is parsed, so
//! that options with environment equivalents see the file's values too.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

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
    #[error("cannot parse env file {path}: syntax error at character {index}")]
    Syntax { path: String, index: usize },
    #[error("cannot load env file {path}: {source}")]
    Var {
        path: String,
        #[source]
        source: std::env::VarError,
    },
    #[error("cannot load env file {path}")]
    Other { path: String },
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
    let mode = std::fs::metadata(&path)
        .map(|m| m.permissions().mode())
        .map_err(|source| EnvFileError::Read {
            path: shown.clone(),
            source,
        })?;
    dotenvy::from_path(&path).map_err(|e| describe(e, &shown))?;
    Ok(Some(EnvFile {
        path,
        mode: Some(mode),
    }))
}

/// Errors are described by position only: the offending line may hold a secret.
fn describe(error: dotenvy::Error, shown: &str) -> EnvFileError {
    let path = shown.to_owned();
    match error {
        dotenvy::Error::LineParse(_, index) => EnvFileError::Syntax { path, index },
        dotenvy::Error::Io(source) => EnvFileError::Read { path, source },
        dotenvy::Error::EnvVar(source) => EnvFileError::Var { path, source },
        _ => EnvFileError::Other { path },
    }
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

    #[test]
    fn stops_at_double_dash() {
        let found = explicit_path(&args(&["vitals", "--", "--env-file", "x"]));
        assert_ne!(found, Some(PathBuf::from("x")));
    }
}

/// Property tests over env files (`fuzz/run` runs them at scale; the case
/// count comes from `PROPTEST_CASES`). The parser is dotenvy's, read from
/// memory so that nothing is set in this process.
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &str = "pw-§-fuzz-secret";

    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Z_]{1,8}=[^\n]{0,20}",
            "(export )?[A-Z_]{1,8} ?= ?['\"]?[a-z$ {}\\\\]{0,12}['\"]?",
            "#[^\n]{0,20}",
            "[^\n]{0,30}",
            Just(format!("SMTP_PASSWORD='{SECRET}")),
            Just(format!("SMTP_PASSWORD=\"{SECRET}")),
            Just(format!("{SECRET} = x")),
            Just(format!("SMTP_PASSWORD={SECRET}\\")),
        ]
    }

    proptest! {
        #[test]
        fn env_file_errors_never_quote_the_file(lines in prop::collection::vec(line(), 0..8), bytes in any::<Vec<u8>>(), raw in any::<bool>()) {
            let content = if raw { bytes } else { lines.join("\n").into_bytes() };
            for item in dotenvy::from_read_iter(content.as_slice()) {
                if let Err(e) = item {
                    let message = describe(e, ".env").to_string();
                    prop_assert!(!message.contains(SECRET), "{message}");
                    prop_assert!(message.starts_with("cannot "), "{message}");
                    prop_assert!(!message.contains('\n'), "{message:?}");
                    break;
                }
            }
        }
    }
}
