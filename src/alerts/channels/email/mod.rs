//! E-mail: one message (`compose`), sent over SMTP (`smtp`) or through
//! SendGrid's API (`super::sendgrid`), as configured.

mod compose;
mod smtp;

pub use compose::{EmailContent, color, compose, html_escape};

use super::sendgrid::SendGrid;
use super::{ChannelId, Content, Message, Notifier, Shared};
use crate::alerts::{Alert, Event, Provider};
use crate::config::{EmailConfig, EmailTransport};

/// The e-mail channel for the configured provider.
pub fn notifier(config: &EmailConfig, shared: &Shared) -> Box<dyn Notifier> {
    match &config.transport {
        EmailTransport::Smtp(smtp) => Box::new(smtp::Smtp::new(smtp, config, shared)),
        EmailTransport::SendGrid { key, base_url } => {
            Box::new(SendGrid::new(key, base_url.expose(), config, shared))
        }
    }
}

/// The dry-run view of an e-mail, the same for both providers.
pub fn render(
    provider: Provider,
    recipients: &[String],
    alert: &Alert,
    event: Event,
    platform: &str,
) -> Vec<Message> {
    let content = compose(alert, event, platform);
    vec![Message {
        channel: ChannelId::Email,
        provider: Some(provider),
        to: recipients.to_vec(),
        content: Content::Email {
            subject: content.subject,
            text: content.text,
            html: content.html,
        },
    }]
}
