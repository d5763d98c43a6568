//! The settings that belong to no check and no channel: trust roots, the
//! platform's name, delivery retries, and where and how alerts are kept.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::parse::{Expected, parse_name, parse_rate_limit, parse_url};
use super::{Reader, SecretUrl, Source};

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
    /// Whether `location` is the default one (`VITALS_STATE` unset), whose
    /// directories vitals creates; it creates none for a path it was given.
    pub default_location: bool,
    pub repeat_interval: Duration,
    pub rate_limit: Option<RateLimit>,
}

/// The general settings and the alert state's: what alerting needs beyond its channels.
#[derive(Debug, Clone)]
pub struct Config {
    pub extra_ca_file: Option<PathBuf>,
    pub platform_name: String,
    pub alert_retry_backoff: Duration,
    pub state: StateConfig,
}

impl Config {
    /// `SSL_CERT_FILE`: all that a command which only connects needs of the general settings.
    pub fn read_trust(r: &mut Reader<'_>) -> Option<PathBuf> {
        r.existing_file("SSL_CERT_FILE")
    }

    pub fn read(r: &mut Reader<'_>) -> Config {
        let (location, default_location) = state_location(r);
        Config {
            extra_ca_file: Self::read_trust(r),
            platform_name: r
                .typed("ALERT_SUBJECT_PREFIX", parse_name)
                .unwrap_or_else(|| {
                    r.default("ALERT_SUBJECT_PREFIX")
                        .unwrap_or_default()
                        .to_owned()
                }),
            alert_retry_backoff: r.duration("ALERT_RETRY_BACKOFF"),
            state: StateConfig {
                location,
                default_location,
                instance: instance(r),
                repeat_interval: r.duration("ALERT_REPEAT_INTERVAL"),
                rate_limit: r.optional("ALERT_RATE_LIMIT", parse_rate_limit),
            },
        }
    }
}

/// What recording and reading the history need of the general settings:
/// where the store is, this vitals' instance name and the trust roots; a
/// mistake in the alerting settings does not stop them.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub location: Option<StateLocation>,
    /// Whether `location` is the default one (whose directories vitals creates).
    pub default_location: bool,
    pub instance: String,
    pub extra_ca_file: Option<PathBuf>,
}

impl StoreSettings {
    pub fn read(r: &mut Reader<'_>) -> StoreSettings {
        let (location, default_location) = state_location(r);
        StoreSettings {
            location,
            default_location,
            instance: instance(r),
            extra_ca_file: Config::read_trust(r),
        }
    }
}

/// Where alerts are kept, and whether that is the default location.
fn state_location(r: &mut Reader<'_>) -> (Option<StateLocation>, bool) {
    let location = match r.raw("VITALS_STATE") {
        Some(v) if v.starts_with("postgres://") || v.starts_with("postgresql://") => r
            .parse("VITALS_STATE", &v, |v| {
                parse_url(v, &["postgres", "postgresql"])
            })
            .map(|u| StateLocation::Postgres(SecretUrl(u))),
        Some(v) if v.contains("://") => {
            r.error(
                "VITALS_STATE",
                "expected a file path or a postgres:// URL (value hidden)",
            );
            None
        }
        Some(v) => Some(StateLocation::File(super::dotenv::resolve(
            "VITALS_STATE",
            Path::new(&v),
        ))),
        None => {
            let default = default_state_file(r.source());
            r.note(
                "VITALS_STATE",
                match &default {
                    Some(path) => format!("{} (default)", path.display()),
                    None => "none: set VITALS_STATE, XDG_STATE_HOME or HOME".to_owned(),
                },
            );
            return (default.map(StateLocation::File), true);
        }
    };
    (location, false)
}

fn instance(r: &mut Reader<'_>) -> String {
    let name = r.raw("VITALS_INSTANCE").and_then(|v| {
        r.parse("VITALS_INSTANCE", &v, |v| {
            parse_name(v).and_then(|name| {
                if name.chars().count() <= 200 {
                    Ok(name)
                } else {
                    Err(Expected("a name of at most 200 characters".to_owned()))
                }
            })
        })
    });
    name.unwrap_or_else(host_name)
}

/// This host's name, as alerts and PagerDuty's `source` show it.
pub fn host_name() -> String {
    hostname::get()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned())
}

fn default_state_file(source: &dyn Source) -> Option<PathBuf> {
    let non_empty = |name: &str| source.get(name).ok().flatten().filter(|v| !v.is_empty());
    let base = non_empty("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| non_empty("HOME").map(|h| Path::new(&h).join(".local/state")))?;
    Some(base.join("vitals").join("alerts.db"))
}
