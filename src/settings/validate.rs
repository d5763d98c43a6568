//! The report of `vitals config validate`: every variable group as
//! configured, not configured or invalid, with secrets hidden.

use serde::Serialize;
use url::Url;

use super::Everything;
use strum::IntoEnumIterator;

use chrono::{DateTime, Utc};

use crate::alerts::Severity;
use crate::alerts::channels::{CHANNELS, ChannelId};
use crate::alerts::hygiene::{FLAP_WINDOW, Hygiene};
use crate::alerts::store::FLAP_CHANGES;
use crate::checks::{BUILTINS, Check};
use crate::config::{ConfigError, EnvFile, GENERAL, Group, STATE, Secrecy, Source, Table};
use crate::net::tls;
use crate::{clock, json, redact};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupStatus {
    Configured,
    NotConfigured,
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Valid,
    Warnings,
    Errors,
}

#[derive(Debug, Serialize)]
pub struct GroupReport {
    pub title: &'static str,
    pub status: GroupStatus,
    /// Variables that are set (and effective defaults worth knowing), as shown safely.
    #[serde(serialize_with = "json::pairs")]
    pub variables: Vec<(&'static str, String)>,
    pub errors: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub result: Verdict,
    pub env_file: Option<String>,
    #[serde(serialize_with = "json::pairs")]
    pub groups: Vec<(&'static str, GroupReport)>,
    /// Which usable channels each severity reaches (`*_MIN_SEVERITY`).
    #[serde(serialize_with = "json::pairs")]
    pub routing: Vec<(Severity, Vec<ChannelId>)>,
    /// What `check --alert` applies to each configured check.
    pub rules: Rules,
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
}

/// The alerting rules of the configured checks, the flap damping and the
/// maintenance windows, as `check --alert` applies them.
#[derive(Debug, Serialize)]
pub struct Rules {
    #[serde(serialize_with = "json::pairs")]
    pub checks: Vec<(&'static str, CheckRules)>,
    /// A check whose status changes more often than this within the
    /// window is flapping: its alerts are held until it is stable.
    pub flap_changes: usize,
    pub flap_window_seconds: u64,
    pub maintenance: Vec<Window>,
}

/// One check's thresholds and dependencies.
#[derive(Debug, Serialize)]
pub struct CheckRules {
    pub failure_threshold: u32,
    pub success_threshold: u32,
    pub depends_on: Vec<String>,
}

/// A `[[maintenance]]` window and its next start.
#[derive(Debug, Serialize)]
pub struct Window {
    /// As alerts held by it name it.
    pub window: String,
    /// The checks or services it covers; `null`: all.
    pub checks: Option<Vec<String>>,
    #[serde(serialize_with = "crate::json::rfc3339_or_null")]
    pub next_start: Option<DateTime<Utc>>,
}

/// The rules `hygiene` and each check's own declaration make, at `now`.
fn rules(checks: &[Box<dyn Check>], hygiene: &Hygiene, now: DateTime<Utc>) -> Rules {
    let checks = checks
        .iter()
        .filter(|c| c.configured())
        .map(|check| {
            let id = check.id();
            let own = check.alert_fields();
            let depends_on = if own.depends_on.is_empty() {
                hygiene
                    .depends_on
                    .of(id)
                    .iter()
                    .map(|d| d.key().to_owned())
                    .collect()
            } else {
                own.depends_on.clone()
            };
            let (failure_threshold, success_threshold) = hygiene.thresholds_of(id, Some(&own));
            let rules = CheckRules {
                failure_threshold,
                success_threshold,
                depends_on,
            };
            (id.key(), rules)
        })
        .collect();
    Rules {
        checks,
        flap_changes: FLAP_CHANGES,
        flap_window_seconds: FLAP_WINDOW.as_secs(),
        maintenance: hygiene
            .maintenance
            .iter()
            .map(|w| Window {
                window: w.to_string(),
                checks: w.checks.clone(),
                next_start: w.next_start(now),
            })
            .collect(),
    }
}

/// What reading one group came to.
struct Read {
    key: &'static str,
    configured: bool,
    /// What makes a channel unusable: its malformed variables (listed by
    /// variable already) and what is missing.
    problems: Vec<ConfigError>,
}

/// Reads every variable (the general settings, each check's, each
/// channel's, the alert state's) and reports each group.
pub fn build(source: &dyn Source, env_file: Option<&EnvFile>) -> Report {
    let table = super::table();
    let Everything {
        config,
        checks,
        channels: entries,
        hygiene,
        findings,
    } = super::everything(source);
    let mut errors = findings.errors;
    if let Some(path) = &config.extra_ca_file
        && let Err(e) = tls::read_pem_file(path)
    {
        errors.push(ConfigError {
            var: "SSL_CERT_FILE",
            problem: e.to_string(),
        });
    }

    let mut reads = vec![Read {
        key: GENERAL.key,
        configured: true,
        problems: Vec::new(),
    }];
    reads.extend(BUILTINS.iter().zip(&checks).map(|(spec, check)| Read {
        key: spec.group.key,
        configured: check.configured(),
        problems: Vec::new(),
    }));
    reads.extend(CHANNELS.iter().zip(&entries).map(|(spec, entry)| Read {
        key: spec.group.key,
        configured: entry.ready().is_some(),
        problems: entry.problems().to_vec(),
    }));
    reads.push(Read {
        key: STATE.key,
        configured: config.state.location.is_some(),
        problems: Vec::new(),
    });

    let groups: Vec<(&'static str, GroupReport)> = table
        .groups()
        .iter()
        .map(|group| {
            let read = reads.iter().find(|r| r.key == group.key);
            let mut group_errors: Vec<&ConfigError> = errors
                .iter()
                .filter(|e| table.find(e.var).is_some_and(|(g, _)| g.key == group.key))
                .collect();
            // A channel's problems include its malformed variables, listed already.
            for problem in read.map_or(&[][..], |r| &r.problems) {
                if !group_errors.contains(&problem) {
                    group_errors.push(problem);
                }
            }
            let status = if !group_errors.is_empty() {
                GroupStatus::Invalid
            } else if read.is_some_and(|r| r.configured) {
                GroupStatus::Configured
            } else {
                GroupStatus::NotConfigured
            };
            let report = GroupReport {
                title: group.title,
                status,
                variables: shown_variables(group, source, &findings.notes),
                errors: group_errors.iter().map(ToString::to_string).collect(),
            };
            (group.key, report)
        })
        .collect();

    let mut warnings = Vec::new();
    if !entries.iter().any(|e| e.ready().is_some()) {
        warnings.push(
            "no alert channel is configured: set SLACK_WEBHOOK_URL, SMTP_HOST (or EMAIL_PROVIDER=sendgrid), \
             TWILIO_* or PAGERDUTY_ROUTING_KEY"
                .to_owned(),
        );
    }
    // A check set but set wrong is reported as its error, not as "nothing to check".
    let check_invalid = groups.iter().any(|(key, g)| {
        g.status == GroupStatus::Invalid && BUILTINS.iter().any(|b| b.group.key == *key)
    });
    if !checks.iter().any(|c| c.configured()) && !check_invalid {
        warnings.push(
            "nothing to check is configured: set DATABASE_URL, REDIS_URL, AGENT_REGISTRY_URL or an API key"
                .to_owned(),
        );
    }
    if let Some(file) = env_file {
        warnings.extend(file.warnings.iter().cloned());
    }
    // Only a regular file's mode is the author's to change (not /dev/null's).
    if let Some(file) = env_file
        && let Some(mode) = file.mode
        && mode & 0o170_000 == 0o100_000
        && mode & 0o077 != 0
    {
        warnings.push(format!(
            "{} is readable by other users (mode {:o}); it holds secrets: chmod 600 {}",
            file.path.display(),
            mode & 0o777,
            file.path.display()
        ));
    }

    warnings.extend(weak_secrets(table, source));

    let all_errors: Vec<String> = groups.iter().flat_map(|(_, g)| g.errors.clone()).collect();
    let result = if !all_errors.is_empty() {
        Verdict::Errors
    } else if !warnings.is_empty() {
        Verdict::Warnings
    } else {
        Verdict::Valid
    };
    let routing = Severity::iter()
        .map(|severity| {
            let reached = entries
                .iter()
                .filter(|e| e.ready().is_some() && e.minimum.takes(severity))
                .map(|e| e.id)
                .collect();
            (severity, reached)
        })
        .collect();
    Report {
        result,
        env_file: env_file.map(|f| f.path.display().to_string()),
        groups,
        routing,
        rules: rules(&checks, &hygiene, clock::now()),
        warnings,
        errors: all_errors,
    }
}

/// Shorter than this, a secret is easy to guess, and its text is common
/// enough that masking it everywhere masks words in messages too.
const SHORT_SECRET: usize = 8;

/// Secrets that will mask more than themselves, or are easy to guess: too
/// short, or equal to the user name beside them.
fn weak_secrets(table: &Table, source: &dyn Source) -> Vec<String> {
    let mut warnings = Vec::new();
    for var in table.vars().filter(|v| v.secrecy != Secrecy::Public) {
        let Some(value) = source.get(var.name).ok().flatten() else {
            continue;
        };
        let value = value.trim();
        let (secrets, user) = if value.is_empty() {
            continue;
        } else if var.secrecy.url_credentials(value) {
            match Url::parse(value) {
                Ok(url) => (redact::url_credentials(&url), url.username().to_owned()),
                Err(_) => continue,
            }
        } else if var.secrecy == Secrecy::Secret {
            (
                vec![("the value".to_owned(), value.to_owned())],
                String::new(),
            )
        } else {
            continue;
        };
        let Some((what, secret)) = secrets.into_iter().next() else {
            continue;
        };
        let masked = "vitals masks its text wherever it appears, so every message \
                      containing that word is masked too";
        if secret.chars().count() < redact::MIN_SCRUB_LEN {
            warnings.push(format!(
                "{}: {what} is shorter than {SHORT_SECRET} characters: easy to guess, and too \
                 short for vitals to mask in messages",
                var.name
            ));
        } else if secret.chars().count() < SHORT_SECRET {
            warnings.push(format!(
                "{}: {what} is shorter than {SHORT_SECRET} characters: {masked}",
                var.name
            ));
        } else if !user.is_empty() && secret == user {
            warnings.push(format!(
                "{}: {what} equals the user name: {masked}, the user name included",
                var.name
            ));
        }
    }
    warnings
}

/// The set variables of a group, each shown as safely as its secrecy
/// demands, or as the reader noted it (an effective default, a file's content).
fn shown_variables(
    group: &Group,
    source: &dyn Source,
    notes: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    group
        .vars
        .iter()
        .filter_map(|v| {
            if let Some((_, shown)) = notes.iter().find(|(name, _)| *name == v.name) {
                return Some((v.name, shown.clone()));
            }
            let value = source
                .get(v.name)
                .ok()
                .flatten()
                .filter(|s| !s.trim().is_empty())?;
            let value = value.trim();
            let display = match v.secrecy {
                Secrecy::Public => value.to_owned(),
                // A secret URL (a webhook) may show where it points, never its path.
                Secrecy::Secret => match Url::parse(value) {
                    Ok(url) if url.has_host() => redact::url_origin(&url),
                    _ => format!("{} (set, hidden)", redact::MASK),
                },
                // A file path is no secret; a broken URL may hold one.
                Secrecy::PathOrUrl if !v.secrecy.url_credentials(value) => value.to_owned(),
                Secrecy::UrlCredentials | Secrecy::PathOrUrl => match Url::parse(value) {
                    Ok(url) => redact::url(&url),
                    Err(_) => format!("{} (unparseable, hidden)", redact::MASK),
                },
            };
            Some((v.name, display))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::PathBuf;

    fn report(pairs: &[(&'static str, &'static str)], env_file: Option<EnvFile>) -> Report {
        let map: HashMap<_, _> = pairs.iter().copied().collect();
        build(&map, env_file.as_ref())
    }

    fn group<'a>(r: &'a Report, key: &str) -> &'a GroupReport {
        r.groups
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, g)| g)
            .unwrap_or_else(|| panic!("no group {key}"))
    }

    #[test]
    fn valid_configuration_hides_secrets() {
        let r = report(
            &[
                ("HOME", "/home/op"),
                ("DATABASE_URL", "postgres://app:pw-uniq-991@db:5432/app"),
                (
                    "SLACK_WEBHOOK_URL",
                    "https://hooks.slack.com/services/T/B/uniq-992",
                ),
            ],
            None,
        );
        assert_eq!(r.result, Verdict::Valid, "{r:?}");
        let db = group(&r, "database");
        assert_eq!(db.status, GroupStatus::Configured);
        assert_eq!(
            db.variables,
            [("DATABASE_URL", "postgres://app:***@db:5432/app".to_owned())]
        );
        assert_eq!(
            group(&r, "slack").variables,
            [(
                "SLACK_WEBHOOK_URL",
                "https://hooks.slack.com/***".to_owned()
            )]
        );
        assert_eq!(group(&r, "sms").status, GroupStatus::NotConfigured);
    }

    #[test]
    fn malformed_variables_are_errors() {
        let r = report(
            &[
                ("HOME", "/h"),
                ("EMAIL_PROVIDER", "pigeon"),
                ("REDIS_URL", "redis://c"),
            ],
            None,
        );
        assert_eq!(r.result, Verdict::Errors);
        let email = group(&r, "email");
        assert_eq!(email.status, GroupStatus::Invalid);
        assert!(
            email.errors[0].starts_with("EMAIL_PROVIDER: expected"),
            "{:?}",
            email.errors
        );
    }

    #[test]
    fn warnings_for_no_channel_and_open_env_file() {
        let env_file = EnvFile {
            path: PathBuf::from("/srv/.env"),
            mode: Some(0o100644),
            warnings: Vec::new(),
        };
        let r = report(
            &[("HOME", "/h"), ("REDIS_URL", "redis://c")],
            Some(env_file),
        );
        assert_eq!(r.result, Verdict::Warnings);
        assert!(
            r.warnings[0].starts_with("no alert channel is configured"),
            "{:?}",
            r.warnings
        );
        assert_eq!(
            r.warnings[1],
            "/srv/.env is readable by other users (mode 644); it holds secrets: chmod 600 /srv/.env"
        );
    }
}
