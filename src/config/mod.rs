//! Configuration machinery: the shape of the variable table ([`Var`],
//! [`Group`], [`Table`]), the [`Reader`] that turns variables into typed
//! values with errors naming the variable and what was expected, the value
//! parsers, values that must not be shown ([`Secret`], [`SecretUrl`]),
//! `.env` and `vitals.toml`, and the settings that belong to no check and no
//! channel ([`Config`]). Each check and each channel reads its own settings
//! with a `Reader`; nothing here knows them.

pub mod check_table;
pub mod dotenv;
mod general;
mod libpq;
pub mod parse;
mod reader;
pub mod services_file;
mod vars;

#[cfg(test)]
mod properties;

use std::fmt;
use std::path::PathBuf;

use url::Url;

use crate::redact;
pub use check_table::{CheckTable, Fields};
pub use general::{Config, RateLimit, StateConfig, StateLocation, StoreSettings, host_name};
pub use parse::{Expected, MAX_DURATION, parse_duration};
pub use reader::{Findings, Reader, required};
pub use services_file::{
    ALERT_FIELDS, AlertFields, Declarations, DeclaredService, FileError, MAX_THRESHOLD,
    MaintenanceWindow, SEVERITIES, StatusSet, active_window,
};
pub use vars::{GENERAL, Group, SERVE, STATE, Secrecy, Table, Var, var};

/// A value that must never be printed. It has no `Display`, and its `Debug` is masked.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", redact::MASK)
    }
}

/// A URL that may carry credentials: displayed redacted, exposed only to the client using it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(Url);

impl SecretUrl {
    pub fn expose(&self) -> &Url {
        &self.0
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact::url(&self.0))
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({self})")
    }
}

/// One malformed or inconsistent variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

/// Every problem found while loading, so the user fixes them all in one go.
#[derive(Debug, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration")?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

/// A channel's settings: absent, partly given (which is an error to report), or usable.
#[derive(Debug, Clone)]
pub enum Channel<T> {
    Unset,
    Incomplete(Vec<ConfigError>),
    Ready(T),
}

impl<T> Channel<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Channel::Ready(t) => Some(t),
            _ => None,
        }
    }

    /// The usable settings turned into something else (a channel built from them).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Channel<U> {
        match self {
            Channel::Unset => Channel::Unset,
            Channel::Incomplete(problems) => Channel::Incomplete(problems),
            Channel::Ready(t) => Channel::Ready(f(t)),
        }
    }
}

/// The `.env`-style file that was loaded, remembered for `config validate`.
#[derive(Debug, Clone)]
pub struct EnvFile {
    pub path: PathBuf,
    pub mode: Option<u32>,
    /// What its lines mean that their author may not have meant.
    pub warnings: Vec<String>,
}

/// A variable's value is not valid UTF-8 (and so cannot be used).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("value is not valid UTF-8")]
pub struct NotUnicode;

/// Where values come from: the process environment, or a map in unit tests.
pub trait Source {
    fn get(&self, name: &str) -> Result<Option<String>, NotUnicode>;
}

/// Fixed variables, for unit tests.
#[cfg(test)]
impl Source for std::collections::HashMap<&'static str, &'static str> {
    fn get(&self, name: &str) -> Result<Option<String>, NotUnicode> {
        Ok(self.get(name).map(|v| (*v).to_owned()))
    }
}

/// The process environment. Non-UTF-8 values are reported, not silently skipped.
pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, name: &str) -> Result<Option<String>, NotUnicode> {
        match std::env::var(name) {
            Ok(v) => Ok(Some(v)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(NotUnicode),
        }
    }
}
