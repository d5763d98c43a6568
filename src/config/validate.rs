//! The report of `vitals config validate`: every variable group as
//! configured, not configured or invalid, with secrets hidden.

use serde::Serialize;
use url::Url;

use super::{Channel, Config, Group, Loaded, Secrecy, Source, StateLocation, VARIABLES};
use crate::net::tls;
use crate::{json, redact};

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
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
}

pub fn build(loaded: Loaded, source: &dyn Source) -> Report {
    let Loaded { config, mut errors } = loaded;
    for (var, path) in [
        ("SSL_CERT_FILE", config.extra_ca_file.as_ref()),
        ("SMTP_CA_FILE", smtp_ca_file(&config)),
    ] {
        if let Some(path) = path
            && let Err(e) = tls::read_pem_file(path)
        {
            errors.push(super::ConfigError {
                var,
                problem: e.to_string(),
            });
        }
    }

    let groups: Vec<(&'static str, GroupReport)> = Group::ALL
        .into_iter()
        .map(|group| {
            let mut group_errors: Vec<String> = errors
                .iter()
                .filter(|e| super::vars::spec(e.var).group == group)
                .map(ToString::to_string)
                .collect();
            group_errors.extend(incomplete(&config, group).iter().map(ToString::to_string));
            let status = if !group_errors.is_empty() {
                GroupStatus::Invalid
            } else if is_configured(&config, group) {
                GroupStatus::Configured
            } else {
                GroupStatus::NotConfigured
            };
            let report = GroupReport {
                title: group.title(),
                status,
                variables: shown_variables(&config, group, source),
                errors: group_errors,
            };
            (group.key(), report)
        })
        .collect();

    let mut warnings = Vec::new();
    if !config.any_channel_ready() {
        warnings.push(
            "no alert channel is configured: set SLACK_WEBHOOK_URL, SMTP_HOST (or EMAIL_PROVIDER=sendgrid), \
             TWILIO_* or PAGERDUTY_ROUTING_KEY"
                .to_owned(),
        );
    }
    if ![
        Group::Database,
        Group::Cache,
        Group::Agents,
        Group::Services,
    ]
    .into_iter()
    .any(|g| is_configured(&config, g))
    {
        warnings.push(
            "nothing to check is configured: set DATABASE_URL, REDIS_URL, AGENT_REGISTRY_URL or an API key"
                .to_owned(),
        );
    }
    if let Some(file) = &config.env_file
        && let Some(mode) = file.mode
        && mode & 0o077 != 0
    {
        warnings.push(format!(
            "{} is readable by other users (mode {:o}); it holds secrets: chmod 600 {}",
            file.path.display(),
            mode & 0o777,
            file.path.display()
        ));
    }

    let all_errors: Vec<String> = groups.iter().flat_map(|(_, g)| g.errors.clone()).collect();
    let result = if !all_errors.is_empty() {
        Verdict::Errors
    } else if !warnings.is_empty() {
        Verdict::Warnings
    } else {
        Verdict::Valid
    };
    Report {
        result,
        env_file: config
            .env_file
            .as_ref()
            .map(|f| f.path.display().to_string()),
        groups,
        warnings,
        errors: all_errors,
    }
}

fn smtp_ca_file(config: &Config) -> Option<&std::path::PathBuf> {
    match &config.email {
        Channel::Ready(super::EmailConfig {
            transport: super::EmailTransport::Smtp(smtp),
            ..
        }) => smtp.ca_file.as_ref(),
        _ => None,
    }
}

fn incomplete(config: &Config, group: Group) -> &[super::ConfigError] {
    fn of<T>(channel: &Channel<T>) -> &[super::ConfigError] {
        match channel {
            Channel::Incomplete(problems) => problems,
            _ => &[],
        }
    }
    match group {
        Group::Email => of(&config.email),
        Group::Slack => of(&config.slack),
        Group::Sms => of(&config.sms),
        Group::PagerDuty => of(&config.pagerduty),
        _ => &[],
    }
}

fn is_configured(config: &Config, group: Group) -> bool {
    match group {
        Group::General => true,
        Group::Database => config.database.url.is_some(),
        Group::Cache => config.cache.url.is_some(),
        Group::Agents => config.agents.registry.is_some(),
        Group::Services => {
            let s = &config.services;
            s.apis.iter().any(|api| api.key.is_some()) || !s.declared.is_empty()
        }
        Group::Email => config.email.ready().is_some(),
        Group::Slack => config.slack.ready().is_some(),
        Group::Sms => config.sms.ready().is_some(),
        Group::PagerDuty => config.pagerduty.ready().is_some(),
        Group::State => config.state.location.is_some(),
    }
}

/// The set variables of a group, each shown as safely as its secrecy demands.
fn shown_variables(
    config: &Config,
    group: Group,
    source: &dyn Source,
) -> Vec<(&'static str, String)> {
    let mut shown: Vec<(&'static str, String)> = VARIABLES
        .iter()
        .filter(|v| v.group == group)
        .filter_map(|v| {
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
                Secrecy::UrlCredentials => match Url::parse(value) {
                    Ok(url) => redact::url(&url),
                    // A file path is no secret; a broken URL may hold one.
                    Err(_) if group == Group::State && !value.contains("://") => value.to_owned(),
                    Err(_) => format!("{} (unparseable, hidden)", redact::MASK),
                },
            };
            Some((v.name, display))
        })
        .collect();
    if group == Group::Services
        && let Some(path) = &config.services.config_file
    {
        let count = config.services.declared.len();
        let described = if count == 0 {
            path.display().to_string()
        } else {
            format!("{} ({count} services declared)", path.display())
        };
        match shown.iter_mut().find(|(name, _)| *name == "VITALS_CONFIG") {
            Some(entry) => entry.1 = described,
            None => shown.push(("VITALS_CONFIG", described)),
        }
    }
    if group == Group::State && !shown.iter().any(|(name, _)| *name == "VITALS_STATE") {
        let effective = match &config.state.location {
            Some(StateLocation::File(path)) => format!("{} (default)", path.display()),
            Some(StateLocation::Postgres(url)) => url.to_string(),
            None => "none: set VITALS_STATE, XDG_STATE_HOME or HOME".to_owned(),
        };
        shown.insert(0, ("VITALS_STATE", effective));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EnvFile;
    use std::collections::HashMap;
    use std::path::PathBuf;

    fn report(pairs: &[(&'static str, &'static str)], env_file: Option<EnvFile>) -> Report {
        let map: HashMap<_, _> = pairs.iter().copied().collect();
        build(Config::load_from(&map, env_file), &map)
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
