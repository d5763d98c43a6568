//! E-mail: one message (`compose`), sent over SMTP (`smtp`) or through
//! SendGrid's API (`super::sendgrid`), as configured.

mod compose;
mod smtp;

pub use compose::{EmailContent, color, compose, html_escape};

use futures_util::future::BoxFuture;

use super::sendgrid::SendGrid;
use super::{ChannelId, Content, Message, Notifier, Shared, read_by_people};
use crate::alerts::{Alert, Delivery, Event, Policy, Provider};
use crate::config::{EmailConfig, EmailTransport};

/// The e-mail channel: one message, the same for every recipient, through
/// the configured provider.
pub struct Email {
    recipients: Vec<String>,
    platform: String,
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
        ChannelId::Email
    }

    fn provider(&self) -> Provider {
        match self.transport {
            Transport::Smtp(_) => Provider::Smtp,
            Transport::SendGrid(_) => Provider::SendGrid,
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
            channel: ChannelId::Email,
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
            let content = compose(alert, event, &self.platform);
            match &self.transport {
                Transport::Smtp(smtp) => smtp.deliver(&content, policy).await,
                Transport::SendGrid(sendgrid) => sendgrid.deliver(&content, policy).await,
            }
        })
    }
}
