//! The shape of the variable table: a [`Var`] is one environment variable
//! (secrecy, default, help), a [`Group`] a titled list of them, and a
//! [`Table`] every group vitals knows, in the order they are documented.
//!
//! `config` declares only its own groups ([`GENERAL`], [`STATE`]); each check
//! and each channel declares its own in its descriptor, and the whole table
//! is assembled above them (`settings::table`). `config validate`, the
//! secret scrub and `.env.example` are all driven by that one table.

/// How a variable's value may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrecy {
    Public,
    /// The whole value is a secret.
    Secret,
    /// A URL whose password and credential-like parameters are secret.
    UrlCredentials,
    /// A file path, which is no secret and stays readable in messages, or a
    /// URL whose credentials are secret (`VITALS_STATE`).
    PathOrUrl,
}

impl Secrecy {
    /// Whether a value of this variable may hold credentials of a URL.
    pub fn url_credentials(self, value: &str) -> bool {
        match self {
            Secrecy::UrlCredentials => true,
            Secrecy::PathOrUrl => value.contains("://"),
            Secrecy::Public | Secrecy::Secret => false,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Var {
    pub name: &'static str,
    pub secrecy: Secrecy,
    pub default: Option<&'static str>,
    /// Rendered into `.env.example`, which a unit test keeps in sync.
    pub help: &'static str,
}

/// A row of the table.
pub const fn var(
    name: &'static str,
    secrecy: Secrecy,
    default: Option<&'static str>,
    help: &'static str,
) -> Var {
    Var {
        name,
        secrecy,
        default,
        help,
    }
}

/// A titled list of variables: one section of `.env.example`, one group of
/// `config validate` (its JSON key and its table title).
#[derive(Debug)]
pub struct Group {
    pub key: &'static str,
    pub title: &'static str,
    pub vars: &'static [Var],
}

/// Every group vitals knows, in the order they are documented.
#[derive(Debug)]
pub struct Table {
    groups: Vec<&'static Group>,
}

impl Table {
    pub fn new(groups: impl IntoIterator<Item = &'static Group>) -> Table {
        Table {
            groups: groups.into_iter().collect(),
        }
    }

    pub fn groups(&self) -> &[&'static Group] {
        &self.groups
    }

    pub fn vars(&self) -> impl Iterator<Item = &'static Var> + '_ {
        self.groups.iter().flat_map(|g| g.vars)
    }

    /// The variable of that name, and its group.
    pub fn find(&self, name: &str) -> Option<(&'static Group, &'static Var)> {
        self.groups
            .iter()
            .find_map(|g| Some((*g, g.vars.iter().find(|v| v.name == name)?)))
    }
}

use Secrecy::{PathOrUrl, Public};

/// Settings of every command: output, trust roots, the platform's name.
pub const GENERAL: Group = Group {
    key: "general",
    title: "General",
    vars: &[
        var(
            "VITALS_FORMAT",
            Public,
            Some("table"),
            "Output format: table, json, for checks nagios or prometheus, for history csv (same as --format).",
        ),
        var(
            "VITALS_OUTPUT",
            Public,
            None,
            "Write results to this file, atomically, instead of stdout (same as --output).",
        ),
        var(
            "VITALS_COLOR",
            Public,
            Some("auto"),
            "Colour: auto, always or never (same as --color). NO_COLOR is also honoured.",
        ),
        var(
            "VITALS_TIMEOUT",
            Public,
            Some("5s"),
            "Timeout per check, e.g. 500ms, 5s, 2m (same as --timeout).",
        ),
        var(
            "VITALS_MAX_IN_FLIGHT",
            Public,
            Some("256"),
            "Checks run at once at most (each holds a connection or a process while it runs); the rest wait their turn.",
        ),
        var(
            "VITALS_ENV_FILE",
            Public,
            None,
            "Load this file instead of ./.env (same as --env-file).",
        ),
        var(
            "SSL_CERT_FILE",
            Public,
            None,
            "PEM bundle trusted in addition to the system store by every TLS connection.",
        ),
        var(
            "ALERT_SUBJECT_PREFIX",
            Public,
            Some("Digital Agency"),
            "Platform name used in alert subjects and footers.",
        ),
        var(
            "ALERT_RETRY_BACKOFF",
            Public,
            Some("500ms"),
            "Wait before the first retry of a failed alert delivery; it doubles after each attempt (a 429's Retry-After wins).",
        ),
    ],
};

/// Where alerts are kept, and how often they are notified.
pub const STATE: Group = Group {
    key: "state",
    title: "Alert state",
    vars: &[
        var(
            "VITALS_STATE",
            PathOrUrl,
            None,
            "Alert store and check history: an SQLite file path (default $XDG_STATE_HOME/vitals/alerts.db, else ~/.local/state/vitals/alerts.db; created 0600 by alert send, check --alert and check --record, in a directory that must exist unless it is the default) or a postgres:// URL shared by several hosts.",
        ),
        var(
            "VITALS_INSTANCE",
            Public,
            None,
            "This vitals in alert labels (instance=…), default the host name: alerts raised by check --alert are this instance's, and only its own healthy runs resolve them. Give every host its own; all instances of one serve deployment share one.",
        ),
        var(
            "VITALS_ALERT_SEVERITY",
            Public,
            None,
            "Severity of each check's {check}_failure alert from check --alert, e.g. database=critical,replica=critical (check names or aliases, declared checks' too; the others error).",
        ),
        var(
            "VITALS_FAILURE_THRESHOLD",
            Public,
            Some("1"),
            "check --alert raises a check's alert only after this many consecutive runs in trouble: a number for every built-in check, CHECK=N pairs (declared checks' names too), or both (2,database=5). [[service]] and [[check]] entries take failure_threshold, which wins.",
        ),
        var(
            "VITALS_SUCCESS_THRESHOLD",
            Public,
            Some("1"),
            "check --alert resolves a check's alert only after this many consecutive healthy runs; as VITALS_FAILURE_THRESHOLD. [[service]] and [[check]] entries take success_threshold, which wins.",
        ),
        var(
            "VITALS_DEPENDS_ON",
            Public,
            None,
            "What each check depends on, e.g. agents=database,replica=database (declared checks' names too): while a dependency is unhealthy, the dependent's alerts are recorded as inhibited and nobody is told of them. [[service]] and [[check]] entries take depends_on, which wins.",
        ),
        var(
            "ALERT_REPEAT_INTERVAL",
            Public,
            Some("4h"),
            "An open alert is notified again only after this long (at once if its severity rises; an acknowledged one never).",
        ),
        var(
            "ALERT_RATE_LIMIT",
            Public,
            None,
            "At most this many notifications per channel, e.g. 20/h; the excess is recorded as suppressed.",
        ),
    ],
};

/// `vitals serve`: where it listens, how often it checks, and the token its
/// changes (and, with `--private`, every request) need.
pub const SERVE: Group = Group {
    key: "serve",
    title: "Serve",
    vars: &[
        var(
            "VITALS_LISTEN",
            Public,
            Some("127.0.0.1:9464"),
            "Address vitals serve listens on (same as --listen); a non-loopback one without VITALS_SERVE_TOKEN draws a warning.",
        ),
        var(
            "VITALS_INTERVAL",
            Public,
            Some("60s"),
            "How often vitals serve runs its checks, with a little jitter (same as --interval; at least 1s).",
        ),
        var(
            "VITALS_SERVE_TOKEN",
            Secrecy::Secret,
            None,
            "Bearer token for acknowledging and resolving alerts through vitals serve (and for every request with --private); unset, its API and page are read-only.",
        ),
    ],
};
