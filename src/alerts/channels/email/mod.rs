//! E-mail: one message (`compose`), sent over SMTP (`smtp`) or through
//! SendGrid's API (`super::sendgrid`), as configured.

mod compose;
mod settings;
mod smtp;

pub use compose::{EmailContent, Thread, color, compose, html_escape};
pub use settings::{EmailConfig, EmailTransport, SmtpConfig, SmtpTls, settings};

use futures_util::future::BoxFuture;

use super::sendgrid::{self, SendGrid};
use super::{ChannelId, ChannelSpec, Content, Message, Notifier, Shared, read_by_people};
use crate::alerts::{Alert, Delivery, Event, Policy, Timestamp};
use crate::config::{Group, Secrecy, var};

pub const CHANNEL: ChannelSpec = ChannelSpec {
    name: "email",
    help: "E-mail through SMTP or SendGrid.",
    configured_by: "SMTP_HOST and ALERT_EMAIL_RECIPIENTS (or EMAIL_PROVIDER=sendgrid, SENDGRID_API_KEY and ALERT_EMAIL_RECIPIENTS)",
    min_severity: "EMAIL_MIN_SEVERITY",
    group: Group {
        key: "email",
        title: "E-mail alerts",
        vars: &[
            var(
                "EMAIL_PROVIDER",
                Secrecy::Public,
                Some("smtp"),
                "How alert e-mail is sent: smtp or sendgrid.",
            ),
            var("SMTP_HOST", Secrecy::Public, None, "SMTP server host name."),
            var(
                "SMTP_PORT",
                Secrecy::Public,
                None,
                "SMTP port; default 587 (STARTTLS), 465 when SMTP_TLS=tls, 25 when SMTP_TLS=none.",
            ),
            var(
                "SMTP_USER",
                Secrecy::Public,
                None,
                "SMTP user name (AUTH is only ever sent over TLS).",
            ),
            var("SMTP_PASSWORD", Secrecy::Secret, None, "SMTP password."),
            var(
                "SMTP_TLS",
                Secrecy::Public,
                None,
                "starttls (default), tls (implicit TLS, default on port 465) or none (only without credentials or to a loopback host).",
            ),
            var(
                "SMTP_CA_FILE",
                Secrecy::Public,
                None,
                "PEM bundle trusted for the SMTP server, e.g. a private CA.",
            ),
            var(
                "SMTP_HELO_NAME",
                Secrecy::Public,
                None,
                "The name vitals gives in EHLO; default this host's fully qualified name when it has one, else its host name.",
            ),
            var(
                "ALERT_EMAIL_RECIPIENTS",
                Secrecy::Public,
                None,
                "Comma-separated e-mail addresses that receive alerts.",
            ),
            var(
                "ALERT_SENDER_EMAIL",
                Secrecy::Public,
                Some("alerts@digital-agency.ai"),
                "From address of alert e-mail.",
            ),
            var(
                "EMAIL_MIN_SEVERITY",
                Secrecy::Public,
                Some("info"),
                "The least severe alert e-mailed: info, warning, error or critical.",
            ),
        ],
    },
    read: |r, shared| settings(r).map(|s| Box::new(Email::new(&s, shared)) as Box<dyn Notifier>),
};

/// The e-mail channel: one message, the same for every recipient, through
/// the configured provider.
pub struct Email {
    recipients: Vec<String>,
    platform: String,
    /// The sender's domain, for the messages' ids.
    domain: String,
    transport: Transport,
}

enum Transport {
    Smtp(smtp::Smtp),
    SendGrid(SendGrid),
}

impl Email {
    pub fn new(config: &EmailConfig, shared: &Shared) -> Email {
        Email {
            recipients: config.recipients.clone(),
            platform: shared.platform.clone(),
            domain: config
                .sender
                .rsplit_once('@')
                .map_or("vitals.invalid", |(_, domain)| domain)
                .to_owned(),
            transport: match &config.transport {
                EmailTransport::Smtp(smtp) => {
                    Transport::Smtp(smtp::Smtp::new(smtp, config, shared))
                }
                EmailTransport::SendGrid { key, base_url } => {
                    Transport::SendGrid(SendGrid::new(key, base_url.expose(), config, shared))
                }
            },
        }
    }
}

impl Notifier for Email {
    fn name(&self) -> ChannelId {
        CHANNEL.id()
    }

    fn provider(&self) -> &'static str {
        match self.transport {
            Transport::Smtp(_) => smtp::PROVIDER,
            Transport::SendGrid(_) => sendgrid::PROVIDER,
        }
    }

    fn recipients(&self) -> Vec<String> {
        self.recipients.clone()
    }

    fn takes(&self, event: Event) -> bool {
        read_by_people(event)
    }

    fn render(&self, alert: &Alert, event: Event) -> Vec<Message> {
        let content = compose(alert, event, &self.platform);
        vec![Message {
            channel: CHANNEL.id(),
            provider: Some(self.provider()),
            to: self.recipients.clone(),
            content: Content::Email {
                subject: content.subject,
                text: content.text,
                html: content.html,
            },
        }]
    }

    fn send<'a>(
        &'a self,
        alert: &'a Alert,
        event: Event,
        policy: &'a Policy,
    ) -> BoxFuture<'a, Vec<Delivery>> {
        Box::pin(async move {
            let content = EmailContent {
                thread: Some(Thread::of(alert, event, &self.domain, Timestamp::now())),
                ..compose(alert, event, &self.platform)
            };
            match &self.transport {
                Transport::Smtp(smtp) => smtp.deliver(&content, policy).await,
                Transport::SendGrid(sendgrid) => sendgrid.deliver(&content, policy).await,
            }
        })
    }
}
