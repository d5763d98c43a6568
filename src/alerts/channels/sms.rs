//! SMS through Twilio's Messages API: critical alerts only by default
//! (`SMS_MIN_SEVERITY`), one request per recipient, so one bad number never stops the others. A retried SMS can
//! arrive twice, so only a request Twilio certainly did not act on (429, a
//! refused connection, an unknown host) is tried again.

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::{ChannelId, ChannelSpec, Content, Message, Notifier, Shared};
use crate::alerts::retry::{self, body_excerpt};
use crate::alerts::{Accepted, Alert, Delivery, Event, Policy};
use crate::config::parse::{Expected, parse_phone};
use crate::config::{
    Channel, ConfigError, Group, Reader, Secrecy, Secret, SecretUrl, required, var,
};
use crate::net::basic_credentials;
use crate::net::http::{self, Method};
use crate::redact;

pub const CHANNEL: ChannelSpec = ChannelSpec {
    name: "sms",
    help: "Twilio SMS (critical alerts only, unless SMS_MIN_SEVERITY says otherwise).",
    configured_by: "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER and ALERT_SMS_RECIPIENTS",
    min_severity: "SMS_MIN_SEVERITY",
    group: Group {
        key: "sms",
        title: "SMS alerts (Twilio)",
        vars: &[
            var(
                "TWILIO_ACCOUNT_SID",
                Secrecy::Public,
                None,
                "Twilio Account SID (AC followed by 32 hex digits).",
            ),
            var(
                "TWILIO_AUTH_TOKEN",
                Secrecy::Secret,
                None,
                "Twilio auth token.",
            ),
            var(
                "TWILIO_FROM_NUMBER",
                Secrecy::Public,
                None,
                "Sending number in E.164 form, e.g. +14155550123.",
            ),
            var(
                "ALERT_SMS_RECIPIENTS",
                Secrecy::Public,
                None,
                "Comma-separated E.164 numbers that receive critical alerts.",
            ),
            var(
                "TWILIO_BASE_URL",
                Secrecy::UrlCredentials,
                Some("https://api.twilio.com"),
                "Twilio API base URL.",
            ),
            var(
                "SMS_MIN_SEVERITY",
                Secrecy::Public,
                Some("critical"),
                "The least severe alert sent by SMS: info, warning, error or critical (alert test reaches SMS whatever it is).",
            ),
        ],
    },
    read: |r, shared| settings(r).map(|s| Box::new(Sms::new(&s, shared)) as Box<dyn Notifier>),
};

const PROVIDER: &str = "twilio";

#[derive(Debug, Clone)]
pub struct SmsConfig {
    pub account_sid: String,
    pub auth_token: Secret,
    pub from: String,
    pub recipients: Vec<String>,
    pub base_url: SecretUrl,
}

pub fn settings(r: &mut Reader<'_>) -> Channel<SmsConfig> {
    let sid = r.optional("TWILIO_ACCOUNT_SID", |v| {
        if v.len() == 34 && v.starts_with("AC") && v[2..].bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(v.to_owned())
        } else {
            Err(Expected(
                "a Twilio Account SID: \"AC\" followed by 32 hex digits".to_owned(),
            ))
        }
    });
    let token = r.secret("TWILIO_AUTH_TOKEN");
    let from = r.optional("TWILIO_FROM_NUMBER", parse_phone);
    let recipients = r.list("ALERT_SMS_RECIPIENTS", parse_phone);
    let base_url = r.base_url("TWILIO_BASE_URL");
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
                .filter(|(var, set)| !set && r.raw(var).is_none())
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

/// Characters of the message an SMS carries, cut where the Python module
/// vitals replaces cut it (docs/COMPATIBILITY.md).
pub const MESSAGE_CHARS: usize = 100;

pub struct Sms {
    account_sid: String,
    auth_token: Secret,
    from: String,
    recipients: Vec<String>,
    url: url::Url,
    http: http::Client,
}

impl Sms {
    pub fn new(config: &SmsConfig, shared: &Shared) -> Sms {
        let path = format!("/2010-04-01/Accounts/{}/Messages.json", config.account_sid);
        Sms {
            account_sid: config.account_sid.clone(),
            auth_token: config.auth_token.clone(),
            from: config.from.clone(),
            recipients: config.recipients.clone(),
            url: http::join(config.base_url.expose(), &path),
            http: shared.http.clone(),
        }
    }
}

/// `CRITICAL ALERT: {type}\n{message cut to 100 characters}`: characters,
/// not bytes, so a UTF-8 sequence is never split. A test alert says so instead.
pub fn text(alert: &Alert) -> String {
    let head = if alert.test {
        "TEST ALERT"
    } else {
        "CRITICAL ALERT"
    };
    let message: String = alert.message.chars().take(MESSAGE_CHARS).collect();
    format!("{head}: {}\n{message}", alert.alert_type)
}

/// The form Twilio receives, in the order sent.
pub fn form(from: &str, to: &str, body: &str) -> Vec<(String, String)> {
    [("To", to), ("From", from), ("Body", body)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Twilio's error body: `{"code": 21211, "message": "...", "more_info": "...", "status": 400}`.
pub(crate) fn describe(response: &http::Response) -> String {
    let Some(body) = response.json() else {
        return body_excerpt(response);
    };
    let message = body["message"].as_str().unwrap_or("(no message)");
    let mut text = match &body["code"] {
        Value::Number(code) => format!("Twilio error {code}: {message}"),
        _ => message.to_owned(),
    };
    if let Some(more) = body["more_info"].as_str() {
        text.push_str(&format!(" ({more})"));
    }
    text
}

/// Twilio's `201` body names the message (`sid`) and its `status` (e.g. `queued`).
fn accepted(response: &http::Response) -> Accepted {
    let body = response.json().unwrap_or_default();
    let field = |name: &str| body[name].as_str().map(str::to_owned);
    Accepted {
        id: field("sid"),
        status: field("status"),
    }
}

impl Notifier for Sms {
    fn name(&self) -> ChannelId {
        CHANNEL.id()
    }

    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn recipients(&self) -> Vec<String> {
        self.recipients.clone()
    }

    fn render(&self, alert: &Alert, _event: Event) -> Vec<Message> {
        let body = text(alert);
        self.recipients
            .iter()
            .map(|to| Message {
                channel: CHANNEL.id(),
                provider: Some(PROVIDER),
                to: vec![to.clone()],
                content: Content::Form {
                    form: form(&self.from, to, &body),
                },
            })
            .collect()
    }

    fn send<'a>(
        &'a self,
        alert: &'a Alert,
        _event: Event,
        policy: &'a Policy,
    ) -> BoxFuture<'a, Vec<Delivery>> {
        let body = text(alert);
        // A retried SMS can arrive twice: only one Twilio never took is retried.
        let once = policy.at_most_once();
        Box::pin(futures_util::future::join_all(self.recipients.iter().map(
            move |to| {
                let pairs = form(&self.from, to, &body);
                let pairs: Vec<(&str, &str)> = pairs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let request = http::Request::new(Method::Post, self.url.clone(), once.timeout)
                    .basic_auth(&self.account_sid, self.auth_token.expose())
                    .form(&pairs);
                async move {
                    let (result, history) =
                        retry::deliver_http(&once, &self.http, &request, 201..=201, describe).await;
                    Delivery::finished(
                        CHANNEL.id(),
                        PROVIDER,
                        to.clone(),
                        result.map(|r| accepted(&r)),
                        history,
                    )
                }
            },
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Severity;
    use serde_json::Map;
    use std::time::Duration;

    fn alert(severity: Severity, message: &str) -> Alert {
        Alert::new("queue_stuck", severity, message, Map::new()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn text_cuts_the_message_at_100_characters_not_bytes() {
        let cyrillic = "Ж".repeat(300);
        let sms = text(&alert(Severity::Critical, &cyrillic));
        assert_eq!(
            sms,
            format!("CRITICAL ALERT: queue_stuck\n{}", "Ж".repeat(100))
        );
        let emoji = format!("{}end", "🔥".repeat(99));
        assert_eq!(
            text(&alert(Severity::Critical, &emoji)),
            format!("CRITICAL ALERT: queue_stuck\n{}e", "🔥".repeat(99))
        );
        assert_eq!(
            text(&alert(Severity::Critical, "short")),
            "CRITICAL ALERT: queue_stuck\nshort"
        );
    }

    #[test]
    fn form_is_to_from_body() {
        assert_eq!(
            form("+14155550100", "+14155550101", "hi"),
            [
                ("To".to_owned(), "+14155550101".to_owned()),
                ("From".to_owned(), "+14155550100".to_owned()),
                ("Body".to_owned(), "hi".to_owned()),
            ]
        );
    }

    #[test]
    fn twilio_errors_are_described_with_their_code() {
        let response = http::Response {
            status: 400,
            headers: Vec::new(),
            body: br#"{"code":21211,"message":"The 'To' number +15005550001 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}"#.to_vec(),
            elapsed: Duration::ZERO,
        };
        assert_eq!(
            describe(&response),
            "Twilio error 21211: The 'To' number +15005550001 is not a valid phone number. (https://www.twilio.com/docs/errors/21211)"
        );
    }
}
