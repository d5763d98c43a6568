//! The alert channels' variables: each channel is unset, incomplete (with
//! every missing or conflicting variable named) or ready to use.

use super::parse::{Expected, parse_email, parse_phone, parse_port};
use super::reader::{Reader, required};
use super::{
    Channel, ConfigError, EmailConfig, EmailTransport, PagerDutyConfig, SlackConfig, SmsConfig,
    SmtpConfig, SmtpTls,
};
use crate::net::{basic_credentials, is_loopback};
use crate::redact;

impl Reader<'_> {
    pub(super) fn email(&mut self) -> Channel<EmailConfig> {
        let provider = self.typed("EMAIL_PROVIDER", |v| {
            match v.to_ascii_lowercase().as_str() {
                "smtp" => Ok(true),
                "sendgrid" => Ok(false),
                _ => Err(Expected("\"smtp\" or \"sendgrid\"".to_owned())),
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
                _ => Err(Expected("\"starttls\", \"tls\" or \"none\"".to_owned())),
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

    pub(super) fn slack(&mut self) -> Channel<SlackConfig> {
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

    pub(super) fn sms(&mut self) -> Channel<SmsConfig> {
        let sid = self.raw("TWILIO_ACCOUNT_SID").and_then(|v| {
            self.parse("TWILIO_ACCOUNT_SID", &v, |v| {
                if v.len() == 34
                    && v.starts_with("AC")
                    && v[2..].bytes().all(|b| b.is_ascii_hexdigit())
                {
                    Ok(v.to_owned())
                } else {
                    Err(Expected(
                        "a Twilio Account SID: \"AC\" followed by 32 hex digits".to_owned(),
                    ))
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

    pub(super) fn pagerduty(&mut self) -> Channel<PagerDutyConfig> {
        let base_url = self.base_url("PAGERDUTY_BASE_URL");
        match self.secret("PAGERDUTY_ROUTING_KEY") {
            Some(routing_key) => Channel::Ready(PagerDutyConfig {
                routing_key,
                base_url,
            }),
            None => Channel::Unset,
        }
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
