//! The e-mail channel's settings: SMTP or SendGrid, recipients and sender.
//! Unset, incomplete (every missing or conflicting variable named) or ready.

use std::path::PathBuf;

use crate::config::parse::{Expected, parse_email, parse_port};
use crate::config::{Channel, ConfigError, Reader, Secret, SecretUrl, required};
use crate::net::is_loopback;
use crate::net::tls;

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
    /// `SMTP_HELO_NAME`; `None` to use this host's name.
    pub helo_name: Option<String>,
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

pub fn settings(r: &mut Reader<'_>) -> Channel<EmailConfig> {
    let provider = r.typed("EMAIL_PROVIDER", |v| {
        match v.to_ascii_lowercase().as_str() {
            "smtp" => Ok(true),
            "sendgrid" => Ok(false),
            _ => Err(Expected("\"smtp\" or \"sendgrid\"".to_owned())),
        }
    });
    let host = r.raw("SMTP_HOST");
    let port = r.optional("SMTP_PORT", parse_port);
    let user = r.raw("SMTP_USER");
    let password = r.secret("SMTP_PASSWORD");
    let tls = r.optional("SMTP_TLS", |v| match v.to_ascii_lowercase().as_str() {
        "starttls" => Ok(SmtpTls::StartTls),
        "tls" | "implicit" => Ok(SmtpTls::Implicit),
        "none" => Ok(SmtpTls::None),
        _ => Err(Expected("\"starttls\", \"tls\" or \"none\"".to_owned())),
    });
    let ca_file = r.existing_file("SMTP_CA_FILE");
    let helo_name = r.optional("SMTP_HELO_NAME", parse_helo_name);
    let recipients = r.list("ALERT_EMAIL_RECIPIENTS", parse_email);
    let sender = r.typed("ALERT_SENDER_EMAIL", parse_email);

    let Some(use_smtp) = provider else {
        return Channel::Unset; // the malformed provider is already reported
    };
    let explicitly_chosen = r.raw("EMAIL_PROVIDER").is_some();
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
        if let Some(file) = &ca_file
            && let Err(e) = tls::read_pem_file(file)
        {
            r.error("SMTP_CA_FILE", e.to_string());
        }
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
            helo_name,
        })
    } else {
        // SendGrid's variables belong to the services check, which checks the same key.
        let key = r.secret("SENDGRID_API_KEY");
        let base_url = r.base_url("SENDGRID_BASE_URL");
        let Some(key) = key else {
            missing.push(required("SENDGRID_API_KEY", "EMAIL_PROVIDER is sendgrid"));
            return incomplete(missing, recipients.is_none());
        };
        EmailTransport::SendGrid { key, base_url }
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

/// A domain name (`mail.example.com`) or an address literal (`[192.0.2.1]`),
/// as EHLO takes them (RFC 5321 4.1.4).
fn parse_helo_name(value: &str) -> Result<String, Expected> {
    let literal = value
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .is_some_and(|inner| match inner.strip_prefix("IPv6:") {
            Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
            None => inner.parse::<std::net::Ipv4Addr>().is_ok(),
        });
    let domain = !value.starts_with(['.', '-'])
        && !value.ends_with(['.', '-'])
        && value.len() <= 255
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if literal || domain {
        Ok(value.to_owned())
    } else {
        Err(Expected(
            "a host name such as mail.example.com, or an address literal such as [192.0.2.1]"
                .to_owned(),
        ))
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
