//! Configuration from the environment (after `.env` is loaded): one typed
//! `Config` for every variable vitals knows, validated with errors that name
//! the variable and what was expected.

pub mod dotenv;
pub mod services_file;
pub mod validate;
mod vars;

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use crate::checks::services::{BUILTINS, BuiltinService};
use crate::redact;
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

/// Where values come from: the process environment, or a map in unit tests.
pub trait Source {
    fn get(&self, name: &str) -> Result<Option<String>, ()>;
}

/// Fixed variables, for unit tests.
#[cfg(test)]
impl Source for std::collections::HashMap<&'static str, &'static str> {
    fn get(&self, name: &str) -> Result<Option<String>, ()> {
        Ok(self.get(name).map(|v| (*v).to_owned()))
    }
}

/// The process environment. Non-UTF-8 values are reported, not silently skipped.
pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, name: &str) -> Result<Option<String>, ()> {
        match std::env::var(name) {
            Ok(v) => Ok(Some(v)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(()),
        }
    }
}

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

    /// True when at least one alert channel can be used.
    pub fn any_channel_ready(&self) -> bool {
        self.email.ready().is_some()
            || self.slack.ready().is_some()
            || self.sms.ready().is_some()
            || self.pagerduty.ready().is_some()
    }
}

struct Reader<'a> {
    source: &'a dyn Source,
    errors: Vec<ConfigError>,
}

/// Why a value is rejected: `None` keeps the expectation generic.
type Check<T> = Result<T, String>;

impl Reader<'_> {
    fn error(&mut self, var: &'static str, problem: impl Into<String>) {
        self.errors.push(ConfigError {
            var,
            problem: problem.into(),
        });
    }

    /// The raw value: `None` when unset or empty. Secrets are registered for scrubbing
    /// before anything else can see them.
    fn raw(&mut self, var: &'static str) -> Option<String> {
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
            Err(()) => {
                self.error(var, "value is not valid UTF-8");
                None
            }
        }
    }

    /// The value, or the variable's documented default.
    fn raw_or_default(&mut self, var: &'static str) -> Option<String> {
        self.raw(var)
            .or_else(|| vars::spec(var).default.map(str::to_owned))
    }

    /// Parses a set value; on failure records "expected …, got …" (value hidden for secrets).
    fn parse<T>(
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
            Secrecy::Public => format!("expected {expected}, got {value:?}"),
            Secrecy::Secret | Secrecy::UrlCredentials => {
                format!("expected {expected} (value hidden)")
            }
        };
        self.error(var, problem);
        None
    }

    /// A value parsed from the variable or, when unset, from its default.
    fn typed<T>(&mut self, var: &'static str, parse: fn(&str) -> Check<T>) -> Option<T> {
        let value = self.raw_or_default(var)?;
        self.parse(var, &value, parse)
    }

    fn secret(&mut self, var: &'static str) -> Option<Secret> {
        self.raw(var).map(Secret)
    }

    fn url(&mut self, var: &'static str, schemes: &[&str]) -> Option<SecretUrl> {
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

    fn existing_file(&mut self, var: &'static str) -> Option<PathBuf> {
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
    fn base_url(&mut self, var: &'static str) -> SecretUrl {
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

    fn email(&mut self) -> Channel<EmailConfig> {
        let provider = self.typed("EMAIL_PROVIDER", |v| {
            match v.to_ascii_lowercase().as_str() {
                "smtp" => Ok(true),
                "sendgrid" => Ok(false),
                _ => Err("\"smtp\" or \"sendgrid\"".to_owned()),
            }
        });
        let host = self.raw("SMTP_HOST");
        let port = self
            .raw("SMTP_PORT")
            .and_then(|p| self.parse("SMTP_PORT", &p, parse_port));
        let user = self.raw("SMTP_USER");
        let password = self.secret("SMTP_PASSWORD");
        let tls = self.raw("SMTP_TLS").and_then(|v| {
            self.parse("SMTP_TLS", &v, |v| match v.to_ascii_lowercase().as_str() {
                "starttls" => Ok(SmtpTls::StartTls),
                "tls" | "implicit" => Ok(SmtpTls::Implicit),
                "none" => Ok(SmtpTls::None),
                _ => Err("\"starttls\", \"tls\" or \"none\"".to_owned()),
            })
        });
        let ca_file = self.existing_file("SMTP_CA_FILE");
        let recipients = self.list("ALERT_EMAIL_RECIPIENTS", parse_email);
        let sender = self.typed("ALERT_SENDER_EMAIL", parse_email);
        let sendgrid_key = self.secret("SENDGRID_API_KEY");
        let sendgrid_base = self.base_url("SENDGRID_BASE_URL");

        let Some(use_smtp) = provider else {
            return Channel::Unset; // the malformed provider is already reported
        };
        let explicitly_chosen = self.raw("EMAIL_PROVIDER").is_some();
        let mut missing = Vec::new();
        let transport = if use_smtp {
            let started = host.is_some() || user.is_some() || password.is_some();
            if !started && recipients.is_none() && !explicitly_chosen {
                return Channel::Unset;
            }
            let Some(host) = host else {
                missing.push(required(
                    "SMTP_HOST",
                    "the SMTP server to send alert e-mail through",
                ));
                return incomplete(missing, recipients.is_none());
            };
            let tls = tls.unwrap_or(if port == Some(465) {
                SmtpTls::Implicit
            } else {
                SmtpTls::StartTls
            });
            let port = port.unwrap_or(match tls {
                SmtpTls::Implicit => 465,
                SmtpTls::StartTls => 587,
                SmtpTls::None => 25,
            });
            if user.is_some() != password.is_some() {
                let var = if user.is_some() {
                    "SMTP_PASSWORD"
                } else {
                    "SMTP_USER"
                };
                missing.push(required(var, "SMTP_USER and SMTP_PASSWORD go together"));
            }
            if tls == SmtpTls::None && password.is_some() && !is_loopback(&host) {
                missing.push(ConfigError {
                    var: "SMTP_TLS",
                    problem: "\"none\" would send SMTP_PASSWORD unencrypted; it is only allowed \
                              without credentials or to a loopback host"
                        .to_owned(),
                });
            }
            EmailTransport::Smtp(SmtpConfig {
                host,
                port,
                user,
                password,
                tls,
                ca_file,
            })
        } else {
            let Some(key) = sendgrid_key else {
                missing.push(required("SENDGRID_API_KEY", "EMAIL_PROVIDER is sendgrid"));
                return incomplete(missing, recipients.is_none());
            };
            EmailTransport::SendGrid {
                key,
                base_url: sendgrid_base,
            }
        };
        let Some(recipients) = recipients else {
            return incomplete(missing, true);
        };
        if !missing.is_empty() {
            return Channel::Incomplete(missing);
        }
        match sender {
            Some(sender) => Channel::Ready(EmailConfig {
                transport,
                recipients,
                sender,
            }),
            None => Channel::Unset, // malformed sender already reported
        }
    }

    fn slack(&mut self) -> Channel<SlackConfig> {
        let given = self.raw("SLACK_WEBHOOK_URL").is_some();
        let webhook = self.url("SLACK_WEBHOOK_URL", &["https", "http"]);
        let channel = self.raw("SLACK_CHANNEL");
        if let Some(webhook) = &webhook {
            // The raw value is registered already; its parsed form, its path
            // and the path's last segment (Slack's token) may be quoted alone.
            let url = webhook.expose();
            redact::register(url.as_str());
            redact::register(url.path());
            if let Some(token) = url.path_segments().and_then(|mut s| s.next_back()) {
                redact::register(token);
            }
        }
        match webhook {
            Some(webhook) => Channel::Ready(SlackConfig { webhook, channel }),
            None if channel.is_some() && !given => Channel::Incomplete(vec![required(
                "SLACK_WEBHOOK_URL",
                "SLACK_CHANNEL is set, but Slack alerts are posted to a webhook",
            )]),
            None => Channel::Unset,
        }
    }

    fn sms(&mut self) -> Channel<SmsConfig> {
        let sid = self.raw("TWILIO_ACCOUNT_SID").and_then(|v| {
            self.parse("TWILIO_ACCOUNT_SID", &v, |v| {
                if v.len() == 34
                    && v.starts_with("AC")
                    && v[2..].bytes().all(|b| b.is_ascii_hexdigit())
                {
                    Ok(v.to_owned())
                } else {
                    Err("a Twilio Account SID: \"AC\" followed by 32 hex digits".to_owned())
                }
            })
        });
        let token = self.secret("TWILIO_AUTH_TOKEN");
        let from = self
            .raw("TWILIO_FROM_NUMBER")
            .and_then(|v| self.parse("TWILIO_FROM_NUMBER", &v, parse_phone));
        let recipients = self.list("ALERT_SMS_RECIPIENTS", parse_phone);
        let base_url = self.base_url("TWILIO_BASE_URL");
        if let (Some(sid), Some(token)) = (&sid, &token) {
            // Basic auth carries SID:token base64-encoded; a server echoing it must not leak the token.
            redact::register(&basic_credentials(sid, token.expose()));
        }
        let given = [
            ("TWILIO_ACCOUNT_SID", sid.is_some()),
            ("TWILIO_AUTH_TOKEN", token.is_some()),
            ("TWILIO_FROM_NUMBER", from.is_some()),
            ("ALERT_SMS_RECIPIENTS", recipients.is_some()),
        ];
        if given.iter().all(|(_, set)| !set) {
            return Channel::Unset;
        }
        match (sid, token, from, recipients) {
            (Some(account_sid), Some(auth_token), Some(from), Some(recipients)) => {
                Channel::Ready(SmsConfig {
                    account_sid,
                    auth_token,
                    from,
                    recipients,
                    base_url,
                })
            }
            _ => {
                // A variable that is set but malformed is already reported; name only the absent ones.
                let missing: Vec<ConfigError> = given
                    .iter()
                    .filter(|(var, set)| !set && self.raw(var).is_none())
                    .map(|(var, _)| {
                        required(
                            var,
                            "SMS alerts need every TWILIO_* variable and ALERT_SMS_RECIPIENTS",
                        )
                    })
                    .collect();
                if missing.is_empty() {
                    Channel::Unset
                } else {
                    Channel::Incomplete(missing)
                }
            }
        }
    }

    fn pagerduty(&mut self) -> Channel<PagerDutyConfig> {
        let base_url = self.base_url("PAGERDUTY_BASE_URL");
        match self.secret("PAGERDUTY_ROUTING_KEY") {
            Some(routing_key) => Channel::Ready(PagerDutyConfig {
                routing_key,
                base_url,
            }),
            None => Channel::Unset,
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

    fn rate_limit(&mut self, var: &'static str) -> Option<RateLimit> {
        let value = self.raw(var)?;
        self.parse(var, &value, parse_rate_limit)
    }

    /// A comma-separated list, each item parsed; `None` when unset or empty.
    fn list(&mut self, var: &'static str, item: fn(&str) -> Check<String>) -> Option<Vec<String>> {
        let value = self.raw(var)?;
        self.parse(var, &value, |v| {
            let items: Vec<String> = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    item(s).map_err(|e| {
                        format!("a comma-separated list, each item {e} (bad item {s:?})")
                    })
                })
                .collect::<Result<_, _>>()?;
            if items.is_empty() {
                return Err("at least one item".to_owned());
            }
            Ok(items)
        })
    }
}

fn required(var: &'static str, why: &str) -> ConfigError {
    ConfigError {
        var,
        problem: format!("not set ({why})"),
    }
}

fn incomplete<T>(mut missing: Vec<ConfigError>, recipients_missing: bool) -> Channel<T> {
    if recipients_missing {
        missing.push(required(
            "ALERT_EMAIL_RECIPIENTS",
            "e-mail alerts need at least one recipient",
        ));
    }
    Channel::Incomplete(missing)
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

/// The value of an HTTP Basic `Authorization` header after `Basic `.
pub fn basic_credentials(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub fn parse_url(value: &str, schemes: &[&str]) -> Check<Url> {
    let expected = || format!("a URL starting with {}", schemes_list(schemes));
    let url = Url::parse(value)
        .or_else(|e| {
            host_param_in_authority(value)
                .ok_or(e)
                .and_then(|v| Url::parse(&v))
        })
        // Why a URL with the right scheme is still refused ("invalid port
        // number"): the reason never quotes the value, which may be secret.
        .map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => expected(),
            other => format!("{} ({other})", expected()),
        })?;
    if !schemes.contains(&url.scheme()) {
        return Err(expected());
    }
    let socket_scheme = matches!(url.scheme(), "unix" | "redis+unix");
    if !socket_scheme && url.host_str().is_none_or(str::is_empty) && !has_host_param(&url) {
        return Err(format!("{} with a host", expected()));
    }
    Ok(url)
}

/// libpq accepts `postgres://user@/db?host=/run/postgresql`, an empty host
/// with a user, which the URL standard rejects. Moving the `host` (and `port`)
/// parameters into the authority, percent-encoded, means the same to libpq
/// and tokio-postgres.
fn host_param_in_authority(raw: &str) -> Option<String> {
    let (scheme, rest) = raw.split_once("://")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !authority.ends_with('@') {
        return None;
    }
    let (path, query) = tail.split_once('?')?;
    let (mut host, mut port) = (None, None);
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some(("host", h)) if host.is_none() && !h.is_empty() => {
                host = Some(h);
                false
            }
            Some(("port", p)) if port.is_none() && !p.is_empty() => {
                port = Some(p);
                false
            }
            _ => true,
        })
        .collect();
    let host = percent_encoding::percent_decode_str(host?)
        .decode_utf8()
        .ok()?;
    let host = percent_encoding::utf8_percent_encode(&host, percent_encoding::NON_ALPHANUMERIC);
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    Some(format!("{scheme}://{authority}{host}{port}{path}{query}"))
}

/// libpq URLs may name the host (or a socket directory) in `?host=` instead.
fn has_host_param(url: &Url) -> bool {
    url.query_pairs().any(|(k, v)| k == "host" && !v.is_empty())
}

fn schemes_list(schemes: &[&str]) -> String {
    let quoted: Vec<String> = schemes.iter().map(|s| format!("{s}://")).collect();
    match quoted.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
        [] => String::new(),
    }
}

pub fn parse_port(value: &str) -> Check<u16> {
    value
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| "a port number from 1 to 65535".to_owned())
}

fn parse_percent(value: &str) -> Check<f64> {
    value
        .trim_end_matches('%')
        .parse::<f64>()
        .ok()
        .filter(|p| *p > 0.0 && *p <= 100.0)
        .ok_or_else(|| "a percentage above 0 and at most 100".to_owned())
}

fn parse_count(value: &str) -> Check<u64> {
    value
        .parse::<u64>()
        .map_err(|_| "a whole number (0 or more)".to_owned())
}

/// Milliseconds as a bare number, or any duration with a unit.
fn parse_millis(value: &str) -> Check<Duration> {
    match value.parse::<u64>() {
        Ok(ms) => Ok(Duration::from_millis(ms)),
        Err(_) => parse_duration(value)
            .map_err(|_| "a number of milliseconds or a duration such as 500ms".to_owned()),
    }
}

/// `500ms`, `5s`, `2m`, `4h` (humantime), or a bare number of seconds.
/// Longer than anything vitals waits for or repeats after, and short enough
/// that adding it (or a few times it) to a clock can never overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);

pub fn parse_duration(value: &str) -> Check<Duration> {
    let expected = || "a duration such as 500ms, 5s, 2m or 4h".to_owned();
    let d = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => humantime::parse_duration(value).map_err(|_| expected())?,
    };
    if d.is_zero() {
        return Err(format!("{} (greater than zero)", expected()));
    }
    if d > MAX_DURATION {
        return Err(format!("{} (at most 366 days)", expected()));
    }
    Ok(d)
}

fn parse_rate_limit(value: &str) -> Check<RateLimit> {
    let expected = || "a rate such as 20/h, 20/1h or 5/10m".to_owned();
    let (count, per) = value.split_once('/').ok_or_else(expected)?;
    let count = count
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|c| *c > 0)
        .ok_or_else(expected)?;
    let per = per.trim();
    let per = match per {
        "s" | "m" | "h" | "d" => humantime::parse_duration(&format!("1{per}")).ok(),
        _ => humantime::parse_duration(per).ok(),
    }
    .filter(|d| !d.is_zero())
    .ok_or_else(expected)?;
    Ok(RateLimit { count, per })
}

fn parse_existing_file(value: &str) -> Check<PathBuf> {
    let path = PathBuf::from(value);
    if path.is_file() {
        Ok(path)
    } else {
        Err("the path of a readable file (no such file)".to_owned())
    }
}

/// A bare address, strict enough that nothing can be smuggled into a mail header.
pub fn parse_email(value: &str) -> Check<String> {
    let expected = || "an e-mail address".to_owned();
    let (local, domain) = value.rsplit_once('@').ok_or_else(expected)?;
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\@".contains(c);
    if local.is_empty()
        || domain.is_empty()
        || local.chars().any(bad_char)
        || domain.chars().any(bad_char)
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
        // What the SMTP client will accept, so that a valid configuration sends.
        || value.parse::<lettre::Address>().is_err()
    {
        return Err(expected());
    }
    Ok(value.to_owned())
}

/// A name that goes into mail headers and message footers: one line.
fn parse_name(value: &str) -> Check<String> {
    if value.chars().any(char::is_control) {
        return Err("a name without line breaks or other control characters".to_owned());
    }
    Ok(value.to_owned())
}

/// E.164: `+`, a non-zero digit, at most 15 digits in all.
pub fn parse_phone(value: &str) -> Check<String> {
    let digits = value.strip_prefix('+').unwrap_or("");
    let ok = (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(value.to_owned())
    } else {
        Err("a phone number in E.164 form, such as +14155550123".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(pairs: &[(&'static str, &'static str)]) -> Loaded {
        Config::load_from(&pairs.iter().copied().collect::<HashMap<_, _>>(), None)
    }

    fn error_vars(loaded: &Loaded) -> Vec<&'static str> {
        loaded.errors.iter().map(|e| e.var).collect()
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let loaded = load(&[("HOME", "/home/op")]);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let c = loaded.config;
        assert!(c.database.url.is_none());
        assert_eq!(c.database.connections_degraded_percent, 80.0);
        assert_eq!(c.agents.heartbeat_max_age, Duration::from_secs(480));
        assert_eq!(c.agents.queue_degraded_threshold, 100);
        assert_eq!(c.services.slow, Duration::from_millis(2000));
        assert_eq!(c.state.repeat_interval, Duration::from_secs(4 * 3600));
        assert_eq!(c.platform_name, "Digital Agency");
        let anthropic = &c.services.apis[0];
        assert_eq!(anthropic.service.name, "anthropic_api");
        assert!(anthropic.key.is_none());
        assert_eq!(
            anthropic.base_url.expose().as_str(),
            "https://api.anthropic.com/"
        );
        assert!(c.services.declared.is_empty());
        assert!(matches!(
            c.state.location,
            Some(StateLocation::File(ref p)) if p == Path::new("/home/op/.local/state/vitals/alerts.db")
        ));
        assert!(matches!(c.email, Channel::Unset));
        assert!(!c.any_channel_ready());
    }

    #[test]
    fn malformed_values_name_their_variable() {
        let loaded = load(&[
            ("DATABASE_URL", "mysql://x"),
            ("SMTP_PORT", "abc"),
            ("EMAIL_PROVIDER", "pigeon"),
            ("AGENT_HEARTBEAT_MAX_AGE", "soon"),
            ("ALERT_SMS_RECIPIENTS", "+14155550123,0044"),
        ]);
        assert_eq!(
            error_vars(&loaded),
            [
                "DATABASE_URL",
                "AGENT_HEARTBEAT_MAX_AGE",
                "EMAIL_PROVIDER",
                "SMTP_PORT",
                "ALERT_SMS_RECIPIENTS"
            ]
        );
        let text = ConfigErrors(loaded.errors).to_string();
        assert!(
            text.contains("SMTP_PORT: expected a port number from 1 to 65535, got \"abc\""),
            "{text}"
        );
        assert!(
            text.contains("EMAIL_PROVIDER: expected \"smtp\" or \"sendgrid\", got \"pigeon\""),
            "{text}"
        );
        assert!(
            text.contains(
                "ALERT_SMS_RECIPIENTS: expected a comma-separated list, each item a phone number \
                 in E.164 form, such as +14155550123 (bad item \"0044\"), got \"+14155550123,0044\""
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "DATABASE_URL: expected a URL starting with postgres:// or postgresql://"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_value_used_is_the_value_scrubbed() {
        // Quoted with a stray space in a .env: the key sent is the trimmed one.
        let loaded = load(&[("ANTHROPIC_API_KEY", " sk-trimmed-key-42 ")]);
        let key = loaded
            .config
            .services
            .apis
            .iter()
            .find_map(|api| api.key.clone());
        assert_eq!(key.as_ref().map(Secret::expose), Some("sk-trimmed-key-42"));
        assert_eq!(redact::scrub("echo: sk-trimmed-key-42"), "echo: ***");
    }

    #[test]
    fn durations_are_bounded() {
        assert_eq!(
            parse_duration("10000000000000000000"),
            Err("a duration such as 500ms, 5s, 2m or 4h (at most 366 days)".to_owned())
        );
        assert_eq!(parse_duration("366d"), Ok(MAX_DURATION));
    }

    #[test]
    fn secret_values_are_never_echoed_in_errors() {
        let loaded = load(&[("DATABASE_URL", "not a url with pw-unique-7781")]);
        let text = ConfigErrors(loaded.errors).to_string();
        assert!(text.contains("DATABASE_URL"), "{text}");
        assert!(!text.contains("pw-unique-7781"), "{text}");
    }

    #[test]
    fn smtp_channel_defaults_and_tls_rules() {
        let loaded = load(&[
            ("SMTP_HOST", "smtp.example.com"),
            ("SMTP_PORT", "465"),
            ("ALERT_EMAIL_RECIPIENTS", "a@example.com, b@example.com"),
        ]);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let Channel::Ready(email) = loaded.config.email else {
            panic!("email should be ready");
        };
        assert_eq!(email.recipients, ["a@example.com", "b@example.com"]);
        assert_eq!(email.sender, "alerts@digital-agency.ai");
        let EmailTransport::Smtp(smtp) = email.transport else {
            panic!("smtp expected");
        };
        assert_eq!((smtp.port, smtp.tls), (465, SmtpTls::Implicit));

        let plain = load(&[
            ("SMTP_HOST", "smtp.example.com"),
            ("SMTP_TLS", "none"),
            ("SMTP_USER", "u"),
            ("SMTP_PASSWORD", "p"),
            ("ALERT_EMAIL_RECIPIENTS", "a@example.com"),
        ]);
        let Channel::Incomplete(problems) = plain.config.email else {
            panic!("plain SMTP with credentials to a remote host must be refused");
        };
        assert_eq!(problems[0].var, "SMTP_TLS");

        let loopback = load(&[
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_TLS", "none"),
            ("SMTP_USER", "u"),
            ("SMTP_PASSWORD", "p"),
            ("ALERT_EMAIL_RECIPIENTS", "a@example.com"),
        ]);
        assert!(loopback.config.email.ready().is_some());
    }

    #[test]
    fn partial_channels_say_what_is_missing() {
        let loaded = load(&[
            ("SMTP_HOST", "smtp.example.com"),
            ("TWILIO_AUTH_TOKEN", "tok-12345"),
        ]);
        let Channel::Incomplete(email) = &loaded.config.email else {
            panic!("email incomplete");
        };
        assert_eq!(email[0].var, "ALERT_EMAIL_RECIPIENTS");
        let Channel::Incomplete(sms) = &loaded.config.sms else {
            panic!("sms incomplete");
        };
        let vars: Vec<_> = sms.iter().map(|e| e.var).collect();
        assert_eq!(
            vars,
            [
                "TWILIO_ACCOUNT_SID",
                "TWILIO_FROM_NUMBER",
                "ALERT_SMS_RECIPIENTS"
            ]
        );
    }

    #[test]
    fn parsers() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("480"), Ok(Duration::from_secs(480)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-1s").is_err());
        assert_eq!(parse_port("5432"), Ok(5432));
        assert!(parse_port("0").is_err());
        assert!(parse_port("65536").is_err());
        assert_eq!(parse_phone("+14155550123").as_deref(), Ok("+14155550123"));
        for bad in [
            "14155550123",
            "+0123",
            "+1",
            "+1234567890123456",
            "+1 415",
            "",
        ] {
            assert!(parse_phone(bad).is_err(), "{bad}");
        }
        assert!(parse_email("ops@example.com").is_ok());
        for bad in [
            // Found by fuzzing: accepted here, refused by the SMTP client at send time.
            "!@!",
            "ops",
            "@x.com",
            "a@",
            "a b@x.com",
            "a@x.com\r\nBcc: e@vil.com",
            "<a@x.com>",
        ] {
            assert!(parse_email(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_rate_limit("20/h"),
            Ok(RateLimit {
                count: 20,
                per: Duration::from_secs(3600)
            })
        );
        assert_eq!(
            parse_rate_limit("5/10m"),
            Ok(RateLimit {
                count: 5,
                per: Duration::from_secs(600)
            })
        );
        assert!(parse_rate_limit("0/h").is_err());
        assert!(is_loopback("localhost") && is_loopback("::1") && is_loopback("127.0.0.2"));
        assert!(!is_loopback("smtp.example.com"));
    }

    #[test]
    fn socket_directory_in_the_host_parameter() {
        let url = parse_url(
            "postgres://app@/main?host=/run/postgresql&port=5433&sslmode=disable",
            &["postgres"],
        );
        assert_eq!(
            url.map(|u| u.to_string()).as_deref(),
            Ok("postgres://app@%2Frun%2Fpostgresql:5433/main?sslmode=disable")
        );
        // Without a user the URL standard accepts the empty host as it is.
        assert!(parse_url("postgres:///main?host=/run/postgresql", &["postgres"]).is_ok());
        assert!(parse_url("postgres://app@/main", &["postgres"]).is_err());
    }

    /// Found by fuzzing: the scheme was right, so say what else is wrong.
    #[test]
    fn url_errors_say_why_a_url_with_the_right_scheme_is_refused() {
        assert_eq!(
            parse_url("https://xn--:1", &["https"]).err().as_deref(),
            Some("a URL starting with https:// (invalid international domain name)")
        );
        assert_eq!(
            parse_url("postgres://u:p@host:port/db", &["postgres"])
                .err()
                .as_deref(),
            Some("a URL starting with postgres:// (invalid port number)")
        );
    }

    #[test]
    fn basic_auth_encoding_matches_rfc7617() {
        assert_eq!(
            basic_credentials("Aladdin", "open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }
}

/// Property tests over arbitrary environment values (`fuzz/run` runs them at
/// scale; the case count comes from `PROPTEST_CASES`).
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// Marks planted secret values: no error template contains it, so finding
    /// it in an error means a value was echoed.
    const MARK: char = '§';

    /// An environment where `Err` stands for a value that is not UTF-8, and
    /// which remembers every name asked for.
    #[derive(Debug)]
    struct Env {
        values: HashMap<String, Result<String, ()>>,
        asked: RefCell<Vec<String>>,
    }

    impl Source for Env {
        fn get(&self, name: &str) -> Result<Option<String>, ()> {
            self.asked.borrow_mut().push(name.to_owned());
            self.values.get(name).cloned().transpose()
        }
    }

    fn value() -> impl Strategy<Value = Result<String, ()>> {
        prop_oneof![
            3 => any::<String>().prop_map(Ok),
            3 => "(postgres|postgresql|redis|rediss|unix|valkey|http|https|ftp)://([a-z%:@§]{0,8}@)?[a-z0-9.\\[\\]:-]{0,12}(:[0-9]{0,6})?(/[^ ]{0,10})?(\\?[a-z=&%/§]{0,20})?".prop_map(Ok),
            2 => "[ -~]{0,12}§[ -~]{0,12}".prop_map(Ok),
            2 => " ?[0-9]{0,6}(\\.[0-9])?(ms|s|m|h|d|%|/h|/10m)? ?".prop_map(Ok),
            2 => "([+0-9a-z@. <>\r\n-]{0,16},?){0,4}".prop_map(Ok),
            2 => "(starttls|tls|none|smtp|sendgrid|SMTP|465|AC[0-9a-f]{32})".prop_map(Ok),
            1 => Just(Err(())),
        ]
    }

    fn env() -> impl Strategy<Value = Env> {
        // VITALS_CONFIG names a file to read: its parser has its own target.
        let names: Vec<String> = VARIABLES
            .iter()
            .map(|v| v.name)
            .filter(|n| *n != "VITALS_CONFIG")
            .chain(["HOME", "XDG_STATE_HOME"])
            .map(str::to_owned)
            .collect();
        prop::collection::hash_map(prop::sample::select(names), value(), 0..16).prop_map(|values| {
            Env {
                values,
                asked: RefCell::new(Vec::new()),
            }
        })
    }

    fn is_secret(name: &str) -> bool {
        VARIABLES
            .iter()
            .any(|v| v.name == name && v.secrecy != Secrecy::Public)
    }

    proptest! {
        #[test]
        fn load_from_any_environment(env in env()) {
            redact::forget_all();
            let loaded = Config::load_from(&env, None);
            for e in &loaded.errors {
                prop_assert!(VARIABLES.iter().any(|v| v.name == e.var), "unknown variable {}", e.var);
                let text = e.to_string();
                for (name, value) in &env.values {
                    // A public variable given the same value may show it as its own.
                    // A public variable may show its own value (quoted, as `{:?}`
                    // does), which may hold a secret's: not an echo of the secret.
                    let also_public = env.values.iter().any(|(n, v)| {
                        !is_secret(n) && matches!((v, value), (Ok(v), Ok(value)) if format!("{v:?}").contains(value.trim()))
                    });
                    if let Ok(value) = value
                        && is_secret(name)
                        && value.contains(MARK)
                        // Shorter values match template text by chance (`"§`).
                        && value.trim().chars().count() >= 8
                        && !also_public
                    {
                        prop_assert!(!text.contains(value.trim()), "{name}'s value echoed in {text:?}");
                    }
                }
            }
            // Every value that is not UTF-8 and was read is reported as such.
            for name in env.asked.borrow().iter() {
                if matches!(env.values.get(name), Some(Err(()))) && VARIABLES.iter().any(|v| v.name == name) {
                    prop_assert!(
                        loaded.errors.iter().any(|e| e.var == name && e.problem == "value is not valid UTF-8"),
                        "{name}: {:?}", loaded.errors
                    );
                }
            }
            let c = &loaded.config;
            if let Channel::Ready(email) = &c.email {
                prop_assert!(!email.recipients.is_empty());
                for r in &email.recipients {
                    prop_assert_eq!(parse_email(r), Ok(r.clone()));
                }
                prop_assert_eq!(parse_email(&email.sender), Ok(email.sender.clone()));
                // The password never travels in the clear to a remote host.
                if let EmailTransport::Smtp(smtp) = &email.transport
                    && smtp.tls == SmtpTls::None
                    && smtp.password.is_some()
                {
                    prop_assert!(is_loopback(&smtp.host), "{}", smtp.host);
                }
            }
            if let Channel::Ready(sms) = &c.sms {
                for n in sms.recipients.iter().chain([&sms.from]) {
                    prop_assert_eq!(parse_phone(n), Ok(n.clone()));
                }
            }
            prop_assert!(c.database.connections_degraded_percent > 0.0 && c.database.connections_degraded_percent <= 100.0);
            prop_assert!(!c.agents.heartbeat_max_age.is_zero());
        }

        #[test]
        fn comma_lists_keep_exactly_the_valid_items(
            items in prop::collection::vec(prop_oneof!["\\+[1-9][0-9]{1,14}", "[ -~\u{a0}-\u{ff}]{0,18}"], 0..6),
        ) {
            let value = items.join(",");
            let env = Env { values: HashMap::from([("ALERT_SMS_RECIPIENTS".to_owned(), Ok(value.clone()))]), asked: RefCell::new(Vec::new()) };
            let mut r = Reader { source: &env, errors: Vec::new() };
            let parsed = r.list("ALERT_SMS_RECIPIENTS", parse_phone);
            let wanted: Vec<String> = value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
            let all_valid = wanted.iter().all(|s| parse_phone(s).is_ok());
            if value.trim().is_empty() {
                prop_assert_eq!(parsed, None);
                prop_assert!(r.errors.is_empty());
            } else if all_valid && !wanted.is_empty() {
                prop_assert_eq!(parsed, Some(wanted));
                prop_assert!(r.errors.is_empty());
            } else {
                prop_assert_eq!(parsed, None);
                prop_assert_eq!(r.errors.len(), 1);
                prop_assert_eq!(r.errors[0].var, "ALERT_SMS_RECIPIENTS");
                let problem = &r.errors[0].problem;
                prop_assert!(problem.starts_with("expected a comma-separated list, each item a phone number in E.164 form, such as +14155550123 (bad item ") || problem.starts_with("expected at least one item"), "{problem}");
            }
        }

        #[test]
        fn parse_url_accepts_only_urls_of_its_schemes(text in any::<String>(), http in any::<bool>()) {
            let schemes: &[&str] = if http { &["http", "https"] } else { &["postgres", "postgresql"] };
            match parse_url(&text, schemes) {
                Ok(url) => {
                    prop_assert!(schemes.contains(&url.scheme()));
                    prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()) || has_host_param(&url));
                }
                Err(expected) => prop_assert!(expected.starts_with("a URL starting with "), "{expected}"),
            }
        }

        #[test]
        fn parse_url_keeps_well_formed_urls(
            scheme in "(postgres|redis|https)",
            user in "[a-z]{0,6}",
            password in "[a-zA-Z0-9%!*]{0,10}",
            // No hyphens: "xn--" would start a (broken) punycode label.
            host in "[a-z][a-z0-9]{0,10}(\\.[a-z]{2,5}){0,2}",
            port in 1u16..,
            path in "(/[a-z0-9]{1,8}){0,2}",
        ) {
            let auth = match (user.is_empty(), password.is_empty()) {
                (true, true) => String::new(),
                (_, true) => format!("{user}@"),
                _ => format!("{user}:{password}@"),
            };
            let text = format!("{scheme}://{auth}{host}:{port}{path}");
            let parsed = parse_url(&text, &["postgres", "redis", "https"]);
            prop_assert!(parsed.is_ok(), "{text}: {parsed:?}");
            if let Ok(url) = parsed {
                prop_assert_eq!(url.host_str(), Some(host.as_str()));
                prop_assert_eq!(url.username(), user.as_str());
                prop_assert_eq!(url.password().unwrap_or_default(), password.as_str());
                let expected_port = if scheme == "https" && port == 443 { None } else { Some(port) };
                prop_assert_eq!(url.port(), expected_port);
            }
        }

        #[test]
        fn parse_duration_is_positive_or_explains(text in prop_oneof![any::<String>(), "[0-9]{0,22}[a-z ]{0,6}"]) {
            match parse_duration(&text) {
                Ok(d) => prop_assert!(!d.is_zero()),
                Err(expected) => prop_assert!(expected.starts_with("a duration such as 500ms, 5s, 2m or 4h"), "{expected}"),
            }
        }

        #[test]
        fn parse_duration_reads_numbers_with_units(n in 1u64..1_000_000, unit in prop::sample::select(vec![("ms", 1u64), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("", 1000)])) {
            let (suffix, millis) = unit;
            let d = Duration::from_millis(n * millis);
            let expected = if d <= MAX_DURATION { Ok(d) } else { Err("a duration such as 500ms, 5s, 2m or 4h (at most 366 days)".to_owned()) };
            prop_assert_eq!(parse_duration(&format!("{n}{suffix}")), expected);
        }

        #[test]
        fn parse_phone_accepts_exactly_e164(text in prop_oneof![any::<String>(), "\\+?[0-9٠-٩０-９ -]{0,17}"]) {
            let digits = text.strip_prefix('+').unwrap_or("");
            let e164 = (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
            match parse_phone(&text) {
                Ok(n) => { prop_assert!(e164, "{text:?}"); prop_assert_eq!(n, text); }
                Err(expected) => { prop_assert!(!e164, "{text:?}"); prop_assert_eq!(expected, "a phone number in E.164 form, such as +14155550123"); }
            }
        }

        /// Whatever is accepted can go into a mail header unchanged: no line
        /// break, no control character, no space, exactly one `@`.
        #[test]
        fn parse_email_never_accepts_header_injection(text in prop_oneof![any::<String>(), "[a-z.\r\n :<>,]{1,8}@[a-z.\r\n :<>,]{1,8}"]) {
            match parse_email(&text) {
                Ok(address) => {
                    prop_assert_eq!(&address, &text);
                    prop_assert!(!address.chars().any(|c| c.is_control() || c.is_whitespace()), "{address:?}");
                    prop_assert_eq!(address.matches('@').count(), 1);
                    prop_assert!(address.parse::<lettre::Address>().is_ok(), "{address:?} is accepted here but not by lettre");
                }
                Err(expected) => prop_assert_eq!(expected, "an e-mail address"),
            }
        }

        #[test]
        fn parse_port_accepts_exactly_1_to_65535(n in prop_oneof![any::<u32>().prop_map(|n| n.to_string()), any::<String>()]) {
            let expected = n.parse::<u16>().ok().filter(|p| *p > 0);
            prop_assert_eq!(parse_port(&n).ok(), expected);
        }
    }
}
