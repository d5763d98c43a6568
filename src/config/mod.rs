//! Configuration from the environment (after `.env` is loaded): one typed
//! `Config` for every variable vitals knows, validated with errors that name
//! the variable and what was expected.

mod builtin_services;
mod channels;
pub mod dotenv;
mod libpq;
pub mod parse;
mod reader;
pub mod services_file;
pub mod validate;
mod vars;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::redact;
pub use builtin_services::{Auth, BUILTINS, BuiltinService};
pub use parse::{Expected, MAX_DURATION, parse_duration};
pub use services_file::{DeclaredService, StatusSet};
pub use vars::{Group, Secrecy, VARIABLES};

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
#[derive(Debug, Clone, thiserror::Error)]
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
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: Option<SecretUrl>,
    pub connections_degraded_percent: f64,
    pub slow: Duration,
}

#[derive(Debug, Clone)]
pub struct CacheConfig {
    pub url: Option<SecretUrl>,
    pub password: Option<Secret>,
    pub memory_degraded_percent: f64,
    pub slow: Duration,
}

#[derive(Debug, Clone)]
pub struct AgentsConfig {
    pub registry: Option<SecretUrl>,
    pub heartbeat_max_age: Duration,
    pub queue_degraded_threshold: u64,
}

/// A built-in external API: its key (unset means unconfigured) and where it lives.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub service: &'static BuiltinService,
    pub key: Option<Secret>,
    pub base_url: SecretUrl,
}

#[derive(Debug, Clone)]
pub struct ServicesConfig {
    /// One per entry of the built-in table, in its order.
    pub apis: Vec<ApiConfig>,
    pub slow: Duration,
    /// The user's own endpoint file, when named or when `./vitals.toml` exists.
    pub config_file: Option<PathBuf>,
    /// The endpoints declared in that file.
    pub declared: Vec<DeclaredService>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    StartTls,
    Implicit,
    None,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub tls: SmtpTls,
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub enum EmailTransport {
    Smtp(SmtpConfig),
    SendGrid { key: Secret, base_url: SecretUrl },
}

#[derive(Debug, Clone)]
pub struct EmailConfig {
    pub transport: EmailTransport,
    pub recipients: Vec<String>,
    pub sender: String,
}

#[derive(Debug, Clone)]
pub struct SlackConfig {
    pub webhook: SecretUrl,
    pub channel: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SmsConfig {
    pub account_sid: String,
    pub auth_token: Secret,
    pub from: String,
    pub recipients: Vec<String>,
    pub base_url: SecretUrl,
}

#[derive(Debug, Clone)]
pub struct PagerDutyConfig {
    pub routing_key: Secret,
    pub base_url: SecretUrl,
}

#[derive(Debug, Clone)]
pub enum StateLocation {
    File(PathBuf),
    Postgres(SecretUrl),
}

/// At most `count` notifications per channel within `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub count: u32,
    pub per: Duration,
}

#[derive(Debug, Clone)]
pub struct StateConfig {
    /// `None` when neither `VITALS_STATE` nor a home directory is available.
    pub location: Option<StateLocation>,
    /// `VITALS_INSTANCE`, or the host name: the `instance` label of check alerts.
    pub instance: String,
    pub repeat_interval: Duration,
    pub rate_limit: Option<RateLimit>,
}

/// The `.env`-style file that was loaded, remembered for `config validate`.
#[derive(Debug, Clone)]
pub struct EnvFile {
    pub path: PathBuf,
    pub mode: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub extra_ca_file: Option<PathBuf>,
    pub platform_name: String,
    pub alert_retry_backoff: Duration,
    pub database: DatabaseConfig,
    pub cache: CacheConfig,
    pub agents: AgentsConfig,
    pub services: ServicesConfig,
    pub email: Channel<EmailConfig>,
    pub slack: Channel<SlackConfig>,
    pub sms: Channel<SmsConfig>,
    pub pagerduty: Channel<PagerDutyConfig>,
    pub state: StateConfig,
    pub env_file: Option<EnvFile>,
}

/// What loading produced: the config (malformed values left at their defaults
/// or unset) and every error, so `config validate` can report both.
pub struct Loaded {
    pub config: Config,
    pub errors: Vec<ConfigError>,
}

impl Loaded {
    /// The config only if every set variable was well-formed.
    pub fn into_result(self) -> Result<Config, ConfigErrors> {
        if self.errors.is_empty() {
            Ok(self.config)
        } else {
            Err(ConfigErrors(self.errors))
        }
    }
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

/// This host's name, as alerts and PagerDuty's `source` show it.
pub fn host_name() -> String {
    hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned())
}

impl Config {
    /// True when at least one alert channel can be used.
    pub fn any_channel_ready(&self) -> bool {
        self.email.ready().is_some()
            || self.slack.ready().is_some()
            || self.sms.ready().is_some()
            || self.pagerduty.ready().is_some()
    }
}
