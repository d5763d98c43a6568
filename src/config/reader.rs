//! Reading the environment into a [`Config`]: every variable through the
//! table in `vars.rs`, secrets registered for scrubbing before anything else
//! sees them, and every problem collected rather than the first one returned.

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use super::parse::{
    Expected, parse_count, parse_duration, parse_existing_file, parse_millis, parse_name,
    parse_percent, parse_rate_limit, parse_url,
};
use super::vars::{self, Secrecy};
use super::{
    AgentsConfig, ApiConfig, BUILTINS, CacheConfig, Config, ConfigError, DatabaseConfig,
    DeclaredService, EnvFile, Loaded, ProcessEnv, RateLimit, Secret, SecretUrl, ServicesConfig,
    Source, StateConfig, StateLocation, services_file,
};
use crate::redact;

impl Config {
    pub fn load(env_file: Option<EnvFile>) -> Loaded {
        Self::load_from(&ProcessEnv, env_file)
    }

    pub fn load_from(source: &dyn Source, env_file: Option<EnvFile>) -> Loaded {
        let mut r = Reader {
            source,
            errors: Vec::new(),
        };
        let config = Config {
            extra_ca_file: r.existing_file("SSL_CERT_FILE"),
            platform_name: r
                .typed("ALERT_SUBJECT_PREFIX", parse_name)
                .unwrap_or_else(|| default_of("ALERT_SUBJECT_PREFIX", parse_name, String::new())),
            alert_retry_backoff: r.duration("ALERT_RETRY_BACKOFF"),
            database: DatabaseConfig {
                url: r.url("DATABASE_URL", &["postgres", "postgresql"]),
                connections_degraded_percent: r.percent("DB_CONNECTIONS_DEGRADED_PERCENT"),
                slow: r.millis("DB_SLOW_MS"),
            },
            cache: CacheConfig {
                url: r.url(
                    "REDIS_URL",
                    &["redis", "rediss", "unix", "redis+unix", "valkey", "valkeys"],
                ),
                password: r.secret("REDIS_PASSWORD"),
                memory_degraded_percent: r.percent("CACHE_MEMORY_DEGRADED_PERCENT"),
                slow: r.millis("CACHE_SLOW_MS"),
            },
            agents: AgentsConfig {
                registry: r.url("AGENT_REGISTRY_URL", &["http", "https", "redis", "rediss"]),
                heartbeat_max_age: r.duration("AGENT_HEARTBEAT_MAX_AGE"),
                queue_degraded_threshold: r.count("AGENT_QUEUE_DEGRADED_THRESHOLD"),
            },
            services: r.services(),
            email: r.email(),
            slack: r.slack(),
            sms: r.sms(),
            pagerduty: r.pagerduty(),
            state: StateConfig {
                location: r.state_location(),
                instance: r.instance(),
                repeat_interval: r.duration("ALERT_REPEAT_INTERVAL"),
                rate_limit: r.rate_limit("ALERT_RATE_LIMIT"),
            },
            env_file,
        };
        Loaded {
            config,
            errors: r.errors,
        }
    }
}

pub(super) struct Reader<'a> {
    pub(super) source: &'a dyn Source,
    pub(super) errors: Vec<ConfigError>,
}

/// A parser's result: the value, or what was expected instead.
type Check<T> = Result<T, Expected>;

impl Reader<'_> {
    pub(super) fn error(&mut self, var: &'static str, problem: impl Into<String>) {
        self.errors.push(ConfigError {
            var,
            problem: problem.into(),
        });
    }

    /// The raw value: `None` when unset or empty. Secrets are registered for scrubbing
    /// before anything else can see them.
    pub(super) fn raw(&mut self, var: &'static str) -> Option<String> {
        let spec = vars::spec(var);
        match self.source.get(var) {
            Ok(Some(v)) if !v.trim().is_empty() => {
                // The trimmed value is the one used, so it is the one to scrub.
                let v = v.trim();
                match spec.secrecy {
                    Secrecy::Secret => redact::register(v),
                    // VITALS_STATE may be a file path, which is no secret and must stay readable in errors.
                    Secrecy::UrlCredentials if var == "VITALS_STATE" && !v.contains("://") => {}
                    Secrecy::UrlCredentials => match Url::parse(v) {
                        Ok(u) => redact::register_url_credentials(&u),
                        // Unparseable: we cannot find the password in it, so hide it all.
                        Err(_) => redact::register(v),
                    },
                    Secrecy::Public => {}
                }
                Some(v.to_owned())
            }
            Ok(_) => None,
            Err(e) => {
                self.error(var, e.to_string());
                None
            }
        }
    }

    /// The value, or the variable's documented default.
    pub(super) fn raw_or_default(&mut self, var: &'static str) -> Option<String> {
        self.raw(var)
            .or_else(|| vars::spec(var).default.map(str::to_owned))
    }

    /// Parses a set value; on failure records "expected …, got …" (value hidden for secrets).
    pub(super) fn parse<T>(
        &mut self,
        var: &'static str,
        value: &str,
        parse: impl FnOnce(&str) -> Check<T>,
    ) -> Option<T> {
        let expected = match parse(value) {
            Ok(t) => return Some(t),
            Err(expected) => expected,
        };
        let problem = match vars::spec(var).secrecy {
            Secrecy::Public => format!("expected {}, got {value:?}", expected.0),
            Secrecy::Secret | Secrecy::UrlCredentials => {
                format!("expected {} (value hidden)", expected.0)
            }
        };
        self.error(var, problem);
        None
    }

    /// A value parsed from the variable or, when unset, from its default.
    pub(super) fn typed<T>(&mut self, var: &'static str, parse: fn(&str) -> Check<T>) -> Option<T> {
        let value = self.raw_or_default(var)?;
        self.parse(var, &value, parse)
    }

    pub(super) fn secret(&mut self, var: &'static str) -> Option<Secret> {
        self.raw(var).map(Secret)
    }

    pub(super) fn url(&mut self, var: &'static str, schemes: &[&str]) -> Option<SecretUrl> {
        let value = self.raw_or_default(var)?;
        self.parse(var, &value, |v| parse_url(v, schemes))
            .map(SecretUrl)
    }

    fn percent(&mut self, var: &'static str) -> f64 {
        self.typed(var, parse_percent)
            .unwrap_or_else(|| default_of(var, parse_percent, 100.0))
    }

    fn millis(&mut self, var: &'static str) -> Duration {
        self.typed(var, parse_millis)
            .unwrap_or_else(|| default_of(var, parse_millis, Duration::ZERO))
    }

    fn duration(&mut self, var: &'static str) -> Duration {
        self.typed(var, parse_duration)
            .unwrap_or_else(|| default_of(var, parse_duration, Duration::ZERO))
    }

    fn count(&mut self, var: &'static str) -> u64 {
        self.typed(var, parse_count)
            .unwrap_or_else(|| default_of(var, parse_count, 0))
    }

    pub(super) fn existing_file(&mut self, var: &'static str) -> Option<PathBuf> {
        let value = self.raw(var)?;
        self.parse(var, &value, parse_existing_file)
    }

    fn services(&mut self) -> ServicesConfig {
        let apis = BUILTINS
            .iter()
            .map(|service| ApiConfig {
                service,
                key: self.secret(service.key_var),
                base_url: self.base_url(service.base_url_var),
            })
            .collect();
        let slow = self.millis("SERVICE_SLOW_MS");
        let config_file = self.services_file();
        let declared = match &config_file {
            Some(path) => self.declared_services(path),
            None => Vec::new(),
        };
        ServicesConfig {
            apis,
            slow,
            config_file,
            declared,
        }
    }

    fn declared_services(&mut self, path: &Path) -> Vec<DeclaredService> {
        let reserved: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
        match services_file::load(path, self.source, &reserved) {
            Ok(services) => services,
            Err(errors) => {
                for e in errors {
                    self.error("VITALS_CONFIG", e.to_string());
                }
                Vec::new()
            }
        }
    }

    /// A provider's base URL. Every one has a valid default, so the placeholder
    /// only stands in for a malformed value, which is reported and stops the run.
    pub(super) fn base_url(&mut self, var: &'static str) -> SecretUrl {
        self.url(var, &["http", "https"])
            .unwrap_or_else(|| SecretUrl(placeholder_url()))
    }

    fn services_file(&mut self) -> Option<PathBuf> {
        match self.raw("VITALS_CONFIG") {
            Some(path) => self.parse("VITALS_CONFIG", &path, parse_existing_file),
            None => {
                let default = PathBuf::from(vars::spec("VITALS_CONFIG").default?);
                default.is_file().then_some(default)
            }
        }
    }

    fn state_location(&mut self) -> Option<StateLocation> {
        match self.raw("VITALS_STATE") {
            Some(v) if v.starts_with("postgres://") || v.starts_with("postgresql://") => self
                .parse("VITALS_STATE", &v, |v| {
                    parse_url(v, &["postgres", "postgresql"])
                })
                .map(|u| StateLocation::Postgres(SecretUrl(u))),
            Some(v) if v.contains("://") => {
                self.error(
                    "VITALS_STATE",
                    "expected a file path or a postgres:// URL (value hidden)",
                );
                None
            }
            Some(v) => Some(StateLocation::File(PathBuf::from(v))),
            None => default_state_file(self.source).map(StateLocation::File),
        }
    }

    fn instance(&mut self) -> String {
        let name = self.raw("VITALS_INSTANCE").and_then(|v| {
            self.parse("VITALS_INSTANCE", &v, |v| {
                parse_name(v).and_then(|name| {
                    if name.chars().count() <= 200 {
                        Ok(name)
                    } else {
                        Err(Expected("a name of at most 200 characters".to_owned()))
                    }
                })
            })
        });
        name.unwrap_or_else(super::host_name)
    }

    fn rate_limit(&mut self, var: &'static str) -> Option<RateLimit> {
        let value = self.raw(var)?;
        self.parse(var, &value, parse_rate_limit)
    }

    /// A comma-separated list, each item parsed; `None` when unset or empty.
    pub(super) fn list(
        &mut self,
        var: &'static str,
        item: fn(&str) -> Check<String>,
    ) -> Option<Vec<String>> {
        let value = self.raw(var)?;
        self.parse(var, &value, |v| {
            let items: Vec<String> = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    item(s).map_err(|e| {
                        Expected(format!(
                            "a comma-separated list, each item {} (bad item {s:?})",
                            e.0
                        ))
                    })
                })
                .collect::<Result<_, _>>()?;
            if items.is_empty() {
                return Err(Expected("at least one item".to_owned()));
            }
            Ok(items)
        })
    }
}

pub(super) fn required(var: &'static str, why: &str) -> ConfigError {
    ConfigError {
        var,
        problem: format!("not set ({why})"),
    }
}

/// A default that is a valid literal of its own parser.
fn default_of<T>(var: &'static str, parse: fn(&str) -> Check<T>, fallback: T) -> T {
    vars::spec(var)
        .default
        .and_then(|d| parse(d).ok())
        .unwrap_or(fallback)
}

fn placeholder_url() -> Url {
    Url::parse("https://invalid.invalid/").unwrap_or_else(|_| unreachable!("literal URL"))
}

fn default_state_file(source: &dyn Source) -> Option<PathBuf> {
    let non_empty = |name: &str| source.get(name).ok().flatten().filter(|v| !v.is_empty());
    let base = non_empty("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| non_empty("HOME").map(|h| Path::new(&h).join(".local/state")))?;
    Some(base.join("vitals").join("alerts.db"))
}
