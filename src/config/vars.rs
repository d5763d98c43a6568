//! Every environment variable vitals reads: its group, whether it is secret,
//! its default and what it is for. `config validate`, redaction and
//! `.env.example` are all driven by this one table.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    General,
    Database,
    Cache,
    Agents,
    Services,
    Email,
    Slack,
    Sms,
    PagerDuty,
    State,
}

impl Group {
    pub const ALL: [Group; 10] = [
        Group::General,
        Group::Database,
        Group::Cache,
        Group::Agents,
        Group::Services,
        Group::Email,
        Group::Slack,
        Group::Sms,
        Group::PagerDuty,
        Group::State,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Group::General => "general",
            Group::Database => "database",
            Group::Cache => "cache",
            Group::Agents => "agents",
            Group::Services => "services",
            Group::Email => "email",
            Group::Slack => "slack",
            Group::Sms => "sms",
            Group::PagerDuty => "pagerduty",
            Group::State => "state",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Group::General => "General",
            Group::Database => "Database (PostgreSQL)",
            Group::Cache => "Cache (Redis)",
            Group::Agents => "Agent registry",
            Group::Services => "External services",
            Group::Email => "E-mail alerts",
            Group::Slack => "Slack alerts",
            Group::Sms => "SMS alerts (Twilio)",
            Group::PagerDuty => "PagerDuty alerts",
            Group::State => "Alert state",
        }
    }
}

/// How a variable's value may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrecy {
    Public,
    /// The whole value is a secret.
    Secret,
    /// A URL whose password and credential-like parameters are secret.
    UrlCredentials,
}

#[derive(Debug)]
pub struct Var {
    pub name: &'static str,
    pub group: Group,
    pub secrecy: Secrecy,
    pub default: Option<&'static str>,
    /// Rendered into `.env.example`, which a unit test keeps in sync.
    pub help: &'static str,
}

const fn var(
    name: &'static str,
    group: Group,
    secrecy: Secrecy,
    default: Option<&'static str>,
    help: &'static str,
) -> Var {
    Var {
        name,
        group,
        secrecy,
        default,
        help,
    }
}

use Group as G;
use Secrecy::{Public, Secret, UrlCredentials};

pub const VARIABLES: &[Var] = &[
    var(
        "VITALS_FORMAT",
        G::General,
        Public,
        Some("table"),
        "Output format: table, json, or for checks nagios or prometheus (same as --format).",
    ),
    var(
        "VITALS_OUTPUT",
        G::General,
        Public,
        None,
        "Write results to this file, atomically, instead of stdout (same as --output).",
    ),
    var(
        "VITALS_COLOR",
        G::General,
        Public,
        Some("auto"),
        "Colour: auto, always or never (same as --color). NO_COLOR is also honoured.",
    ),
    var(
        "VITALS_TIMEOUT",
        G::General,
        Public,
        Some("5s"),
        "Timeout per check, e.g. 500ms, 5s, 2m (same as --timeout).",
    ),
    var(
        "VITALS_ENV_FILE",
        G::General,
        Public,
        None,
        "Load this file instead of ./.env (same as --env-file).",
    ),
    var(
        "SSL_CERT_FILE",
        G::General,
        Public,
        None,
        "PEM bundle trusted in addition to the system store by every TLS connection.",
    ),
    var(
        "ALERT_SUBJECT_PREFIX",
        G::General,
        Public,
        Some("Digital Agency"),
        "Platform name used in alert subjects and footers.",
    ),
    var(
        "ALERT_RETRY_BACKOFF",
        G::General,
        Public,
        Some("500ms"),
        "Wait before the first retry of a failed alert delivery; it doubles after each attempt (a 429's Retry-After wins).",
    ),
    var(
        "DATABASE_URL",
        G::Database,
        UrlCredentials,
        None,
        "PostgreSQL URL, e.g. postgres://user:pass@host:5432/db?sslmode=verify-full&sslrootcert=/path/ca.pem.",
    ),
    var(
        "DB_CONNECTIONS_DEGRADED_PERCENT",
        G::Database,
        Public,
        Some("80"),
        "Degraded when connections in use exceed this percentage of max_connections.",
    ),
    var(
        "DB_SLOW_MS",
        G::Database,
        Public,
        Some("1000"),
        "Degraded when SELECT 1 takes longer than this many milliseconds.",
    ),
    var(
        "REDIS_URL",
        G::Cache,
        UrlCredentials,
        None,
        "Redis URL: redis://, rediss:// (TLS) or unix:///path/to/redis.sock.",
    ),
    var(
        "REDIS_PASSWORD",
        G::Cache,
        Secret,
        None,
        "Redis password, used when REDIS_URL carries none.",
    ),
    var(
        "CACHE_MEMORY_DEGRADED_PERCENT",
        G::Cache,
        Public,
        Some("90"),
        "Degraded when Redis memory use exceeds this percentage of its limit.",
    ),
    var(
        "CACHE_SLOW_MS",
        G::Cache,
        Public,
        Some("500"),
        "Degraded when PING and INFO take longer than this many milliseconds.",
    ),
    var(
        "AGENT_REGISTRY_URL",
        G::Agents,
        UrlCredentials,
        None,
        "Agent registry: the orchestrator's http(s):// status endpoint, or a redis(s):// RQ registry.",
    ),
    var(
        "AGENT_HEARTBEAT_MAX_AGE",
        G::Agents,
        Public,
        Some("480s"),
        "An agent whose last heartbeat is older than this counts as offline.",
    ),
    var(
        "AGENT_QUEUE_DEGRADED_THRESHOLD",
        G::Agents,
        Public,
        Some("100"),
        "Degraded when more tasks than this are pending.",
    ),
    var(
        "ANTHROPIC_API_KEY",
        G::Services,
        Secret,
        None,
        "Anthropic (Claude) API key; unset means anthropic_api is unconfigured.",
    ),
    var(
        "ANTHROPIC_BASE_URL",
        G::Services,
        UrlCredentials,
        Some("https://api.anthropic.com"),
        "Anthropic API base URL (proxies, tests).",
    ),
    var(
        "HUBSPOT_API_KEY",
        G::Services,
        Secret,
        None,
        "HubSpot private-app token; unset means hubspot_api is unconfigured.",
    ),
    var(
        "HUBSPOT_BASE_URL",
        G::Services,
        UrlCredentials,
        Some("https://api.hubapi.com"),
        "HubSpot API base URL.",
    ),
    var(
        "SENDGRID_API_KEY",
        G::Services,
        Secret,
        None,
        "SendGrid API key: checked as a service, and used for e-mail when EMAIL_PROVIDER=sendgrid.",
    ),
    var(
        "SENDGRID_BASE_URL",
        G::Services,
        UrlCredentials,
        Some("https://api.sendgrid.com"),
        "SendGrid API base URL.",
    ),
    var(
        "SERVICE_SLOW_MS",
        G::Services,
        Public,
        Some("2000"),
        "Degraded when a service answers slower than this many milliseconds.",
    ),
    var(
        "VITALS_CONFIG",
        G::Services,
        Public,
        Some("vitals.toml"),
        "File declaring your own HTTP endpoints to check (used when present).",
    ),
    var(
        "EMAIL_PROVIDER",
        G::Email,
        Public,
        Some("smtp"),
        "How alert e-mail is sent: smtp or sendgrid.",
    ),
    var(
        "SMTP_HOST",
        G::Email,
        Public,
        None,
        "SMTP server host name.",
    ),
    var(
        "SMTP_PORT",
        G::Email,
        Public,
        None,
        "SMTP port; default 587 (STARTTLS), 465 when SMTP_TLS=tls, 25 when SMTP_TLS=none.",
    ),
    var(
        "SMTP_USER",
        G::Email,
        Public,
        None,
        "SMTP user name (AUTH is only ever sent over TLS).",
    ),
    var("SMTP_PASSWORD", G::Email, Secret, None, "SMTP password."),
    var(
        "SMTP_TLS",
        G::Email,
        Public,
        None,
        "starttls (default), tls (implicit TLS, default on port 465) or none (only without credentials or to a loopback host).",
    ),
    var(
        "SMTP_CA_FILE",
        G::Email,
        Public,
        None,
        "PEM bundle trusted for the SMTP server, e.g. a private CA.",
    ),
    var(
        "ALERT_EMAIL_RECIPIENTS",
        G::Email,
        Public,
        None,
        "Comma-separated e-mail addresses that receive alerts.",
    ),
    var(
        "ALERT_SENDER_EMAIL",
        G::Email,
        Public,
        Some("alerts@digital-agency.ai"),
        "From address of alert e-mail.",
    ),
    var(
        "SLACK_WEBHOOK_URL",
        G::Slack,
        Secret,
        None,
        "Slack incoming-webhook URL (the whole URL is a secret).",
    ),
    var(
        "SLACK_CHANNEL",
        G::Slack,
        Public,
        None,
        "Slack channel name (informational; the webhook decides).",
    ),
    var(
        "TWILIO_ACCOUNT_SID",
        G::Sms,
        Public,
        None,
        "Twilio Account SID (AC followed by 32 hex digits).",
    ),
    var(
        "TWILIO_AUTH_TOKEN",
        G::Sms,
        Secret,
        None,
        "Twilio auth token.",
    ),
    var(
        "TWILIO_FROM_NUMBER",
        G::Sms,
        Public,
        None,
        "Sending number in E.164 form, e.g. +14155550123.",
    ),
    var(
        "ALERT_SMS_RECIPIENTS",
        G::Sms,
        Public,
        None,
        "Comma-separated E.164 numbers that receive critical alerts.",
    ),
    var(
        "TWILIO_BASE_URL",
        G::Sms,
        UrlCredentials,
        Some("https://api.twilio.com"),
        "Twilio API base URL.",
    ),
    var(
        "PAGERDUTY_ROUTING_KEY",
        G::PagerDuty,
        Secret,
        None,
        "PagerDuty Events API v2 integration (routing) key.",
    ),
    var(
        "PAGERDUTY_BASE_URL",
        G::PagerDuty,
        UrlCredentials,
        Some("https://events.pagerduty.com"),
        "PagerDuty Events API base URL.",
    ),
    var(
        "VITALS_STATE",
        G::State,
        UrlCredentials,
        None,
        "Alert store: an SQLite file path (default $XDG_STATE_HOME/vitals/alerts.db, else ~/.local/state/vitals/alerts.db; created 0600) or a postgres:// URL shared by several hosts.",
    ),
    var(
        "VITALS_INSTANCE",
        G::State,
        Public,
        None,
        "This vitals in alert labels (instance=…), default the host name: alerts raised by check --alert are this instance's, and only its own healthy runs resolve them. Give every host its own; all instances of one serve deployment share one.",
    ),
    var(
        "ALERT_REPEAT_INTERVAL",
        G::State,
        Public,
        Some("4h"),
        "An open alert is notified again only after this long (at once if its severity rises; an acknowledged one never).",
    ),
    var(
        "ALERT_RATE_LIMIT",
        G::State,
        Public,
        None,
        "At most this many notifications per channel, e.g. 20/h; the excess is recorded as suppressed.",
    ),
];

/// The table entry for a variable. Every name vitals reads is in the table
/// (a unit test checks the ones used by the loader); an unknown name is
/// treated as a secret, the safe side.
pub fn spec(name: &str) -> &'static Var {
    static UNKNOWN: Var = var("", Group::General, Secret, None, "");
    VARIABLES
        .iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| {
            debug_assert!(false, "variable {name} is missing from VARIABLES");
            &UNKNOWN
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        for (i, v) in VARIABLES.iter().enumerate() {
            assert!(
                VARIABLES[i + 1..].iter().all(|w| w.name != v.name),
                "{} listed twice",
                v.name
            );
        }
    }

    /// `.env.example` documents every variable, in table order, with its help and default.
    #[test]
    fn env_example_is_in_sync() {
        let expected = env_example();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example");
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            actual == expected,
            ".env.example is out of date; regenerate it with:\n  \
             VITALS_WRITE_ENV_EXAMPLE=1 cargo test env_example_is_in_sync"
        );
    }

    #[test]
    fn configuration_doc_documents_every_variable() {
        let doc = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/CONFIGURATION.md"
        ))
        .unwrap_or_default();
        let missing: Vec<&str> = VARIABLES
            .iter()
            .map(|v| v.name)
            .filter(|name| !doc.contains(&format!("`{name}`")))
            .collect();
        assert!(
            missing.is_empty(),
            "docs/CONFIGURATION.md does not document {missing:?}"
        );
    }

    fn env_example() -> String {
        let mut out = String::from(
            "# vitals configuration. Copy to .env (chmod 600) or set in the environment;\n\
             # real environment variables win over this file. Empty means unset.\n",
        );
        for group in Group::ALL {
            out.push_str(&format!("\n# --- {} ---\n", group.title()));
            for v in VARIABLES.iter().filter(|v| v.group == group) {
                out.push_str(&format!("# {}\n", v.help));
                match v.secrecy {
                    Public => {}
                    Secret => out.push_str("# (secret: never printed by vitals)\n"),
                    UrlCredentials => {
                        out.push_str("# (credentials in it are never printed by vitals)\n")
                    }
                }
                out.push_str(&format!("#{}={}\n", v.name, v.default.unwrap_or("")));
            }
        }
        if std::env::var_os("VITALS_WRITE_ENV_EXAMPLE").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/.env.example");
            std::fs::write(path, &out).unwrap_or_else(|e| panic!("writing {path}: {e}"));
        }
        out
    }
}
