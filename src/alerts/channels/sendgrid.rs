//! E-mail through SendGrid's v3 Mail Send API (`POST /v3/mail/send`, `202`).
//! One request carries every recipient, so they share its result.

use serde_json::{Value, json};

use super::Shared;
use super::email::{CHANNEL, EmailConfig, EmailContent};
use crate::alerts::retry::{self, body_excerpt};
use crate::alerts::{Accepted, Delivery, Policy};
use crate::config::Secret;
use crate::net::http::{self, Method};

pub const PROVIDER: &str = "sendgrid";

pub struct SendGrid {
    key: Secret,
    url: url::Url,
    sender: String,
    recipients: Vec<String>,
    http: http::Client,
}

impl SendGrid {
    pub fn new(
        key: &Secret,
        base_url: &url::Url,
        email: &EmailConfig,
        shared: &Shared,
    ) -> SendGrid {
        SendGrid {
            key: key.clone(),
            url: http::join(base_url, "/v3/mail/send"),
            sender: email.sender.clone(),
            recipients: email.recipients.clone(),
            http: shared.http.clone(),
        }
    }
}

/// The request body: SendGrid wants `text/plain` before `text/html`; the
/// thread's ids go as headers.
pub fn body(content: &EmailContent, sender: &str, recipients: &[String]) -> Value {
    let to: Vec<Value> = recipients.iter().map(|r| json!({ "email": r })).collect();
    let mut body = json!({
        "personalizations": [{ "to": to }],
        "from": { "email": sender },
        "subject": content.subject,
        "content": [
            { "type": "text/plain", "value": content.text },
            { "type": "text/html", "value": content.html },
        ],
    });
    if let (Some(thread), Some(map)) = (&content.thread, body.as_object_mut()) {
        let mut headers = serde_json::Map::new();
        headers.insert("Message-ID".into(), json!(thread.message_id));
        if let Some(first) = &thread.in_reply_to {
            headers.insert("In-Reply-To".into(), json!(first));
            headers.insert("References".into(), json!(first));
        }
        map.insert("headers".into(), Value::Object(headers));
    }
    body
}

/// `{"errors":[{"message":"…","field":"…","help":…}]}`.
pub(crate) fn describe(response: &http::Response) -> String {
    let errors: Vec<String> = response
        .json()
        .and_then(|b| b["errors"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            let message = e["message"].as_str()?;
            Some(match e["field"].as_str() {
                Some(field) => format!("{message} (field {field})"),
                None => message.to_owned(),
            })
        })
        .collect();
    if errors.is_empty() {
        body_excerpt(response)
    } else {
        errors.join("; ")
    }
}

impl SendGrid {
    /// One request for every recipient: they share its result.
    pub async fn deliver(&self, content: &EmailContent, policy: &Policy) -> Vec<Delivery> {
        let request = http::Request::new(Method::Post, self.url.clone(), policy.timeout)
            .bearer(self.key.expose())
            .json(&body(content, &self.sender, &self.recipients));
        let (result, history) =
            retry::deliver_http(policy, &self.http, &request, 202..=202, describe).await;
        let result = result.map(|r| Accepted {
            id: r.header("x-message-id").map(str::to_owned),
            status: None,
        });
        self.recipients
            .iter()
            .map(|to| {
                Delivery::finished(
                    CHANNEL.id(),
                    PROVIDER,
                    to.clone(),
                    result.clone(),
                    history.clone(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn body_lists_every_recipient_and_plain_text_first() {
        let content = EmailContent {
            subject: "[INFO] Digital Agency Alert: t".into(),
            text: "plain".into(),
            html: "<p>html</p>".into(),
            thread: None,
        };
        let b = body(
            &content,
            "alerts@digital-agency.ai",
            &["a@example.com".into(), "b@example.com".into()],
        );
        assert_eq!(
            b,
            json!({
                "personalizations": [{"to": [{"email": "a@example.com"}, {"email": "b@example.com"}]}],
                "from": {"email": "alerts@digital-agency.ai"},
                "subject": "[INFO] Digital Agency Alert: t",
                "content": [
                    {"type": "text/plain", "value": "plain"},
                    {"type": "text/html", "value": "<p>html</p>"},
                ],
            })
        );
    }

    #[test]
    fn a_follow_up_replies_to_the_first_message() {
        let content = EmailContent {
            subject: "[RESOLVED] Digital Agency Alert: t".into(),
            text: "plain".into(),
            html: "<p>html</p>".into(),
            thread: Some(crate::alerts::channels::email::Thread {
                message_id: "<3f9a0c12be47.resolve.1764300000000@digital-agency.ai>".into(),
                in_reply_to: Some("<3f9a0c12be47@digital-agency.ai>".into()),
            }),
        };
        let b = body(
            &content,
            "alerts@digital-agency.ai",
            &["a@example.com".into()],
        );
        assert_eq!(
            b["headers"],
            json!({
                "Message-ID": "<3f9a0c12be47.resolve.1764300000000@digital-agency.ai>",
                "In-Reply-To": "<3f9a0c12be47@digital-agency.ai>",
                "References": "<3f9a0c12be47@digital-agency.ai>",
            })
        );
    }

    #[test]
    fn errors_name_message_and_field() {
        let response = http::Response {
            status: 400,
            headers: Vec::new(),
            body: br#"{"errors":[{"message":"The from email does not contain a valid address.","field":"from.email","help":"http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.from"}]}"#.to_vec(),
            elapsed: Duration::ZERO,
        };
        assert_eq!(
            describe(&response),
            "The from email does not contain a valid address. (field from.email)"
        );
    }
}
