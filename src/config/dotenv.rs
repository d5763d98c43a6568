//! Loading `.env` (or `--env-file`) before the command line is parsed, so
//! that options with environment equivalents see the file's values too.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::EnvFile;

/// Loads the env file named by `--env-file` / `VITALS_ENV_FILE`, else `./.env`
/// when present. Variables already in the environment are never overridden.
pub fn load(args: &[OsString]) -> Result<Option<EnvFile>, String> {
    let (path, explicit) = match explicit_path(args) {
        Some(path) => (path, true),
        None => (PathBuf::from(".env"), false),
    };
    if !explicit && !path.is_file() {
        return Ok(None);
    }
    let shown = path.display();
    let mode = std::fs::metadata(&path)
        .map(|m| m.permissions().mode())
        .map_err(|e| format!("cannot read env file {shown}: {e}"))?;
    // Errors are described by position only: the offending line may hold a secret.
    dotenvy::from_path(&path).map_err(|e| match e {
        dotenvy::Error::LineParse(_, index) => {
            format!("cannot parse env file {shown}: syntax error at character {index}")
        }
        dotenvy::Error::Io(io) => format!("cannot read env file {shown}: {io}"),
        dotenvy::Error::EnvVar(var) => format!("cannot load env file {shown}: {var}"),
        _ => format!("cannot load env file {shown}"),
    })?;
    Ok(Some(EnvFile {
        path,
        mode: Some(mode),
    }))
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
    fn stops_at_double_dash() {
        let found = explicit_path(&args(&["vitals", "--", "--env-file", "x"]));
        assert_ne!(found, Some(PathBuf::from("x")));
    }
}
