//! Slack incoming webhook: one attachment with a colour bar, title
//! and fields. Success is `200 ok`; errors are short codes in the body
//! (`invalid_payload`, `channel_not_found`, `no_service`, …).

use serde_json::{Value, json};

use futures_util::future::BoxFuture;

use super::{
    ChannelId, ChannelSpec, Content, Message, Notifier, Shared, read_by_people, resolution_lines,
};
use crate::alerts::retry::{self, body_excerpt};
use crate::alerts::{Accepted, Alert, Delivery, Event, Policy, Severity};
use crate::config::{Channel, Group, Reader, Secrecy, SecretUrl, required, var};
use crate::net::http::{self, Method};
use crate::redact;

pub const CHANNEL: ChannelSpec = ChannelSpec {
    name: "slack",
    help: "A Slack incoming webhook.",
    configured_by: "SLACK_WEBHOOK_URL",
    min_severity: "SLACK_MIN_SEVERITY",
    group: Group {
        key: "slack",
        title: "Slack alerts",
        vars: &[
            var(
                "SLACK_WEBHOOK_URL",
                Secrecy::Secret,
                None,
                "Slack incoming-webhook URL (the whole URL is a secret).",
            ),
            var(
                "SLACK_CHANNEL",
                Secrecy::Public,
                None,
                "Slack channel name (informational; the webhook decides).",
            ),
            var(
                "SLACK_MIN_SEVERITY",
                Secrecy::Public,
                Some("info"),
                "The least severe alert posted to Slack: info, warning, error or critical.",
            ),
        ],
    },
    read: |r, shared| settings(r).map(|s| Box::new(Slack::new(&s, shared)) as Box<dyn Notifier>),
};

const PROVIDER: &str = "slack";

#[derive(Debug, Clone)]
pub struct SlackConfig {
    pub webhook: SecretUrl,
    pub channel: Option<String>,
}

pub fn settings(r: &mut Reader<'_>) -> Channel<SlackConfig> {
    let given = r.raw("SLACK_WEBHOOK_URL").is_some();
    let webhook = r.url("SLACK_WEBHOOK_URL", &["https", "http"]);
    let channel = r.raw("SLACK_CHANNEL");
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

pub struct Slack {
    webhook: url::Url,
    channel: Option<String>,
    platform: String,
    http: http::Client,
}

impl Slack {
    pub fn new(config: &SlackConfig, shared: &Shared) -> Slack {
        Slack {
            webhook: config.webhook.expose().clone(),
            channel: config.channel.clone(),
            platform: shared.platform.clone(),
            http: shared.http.clone(),
        }
    }
}

/// The colour bar, as the Python module vitals replaces drew it
/// (docs/COMPATIBILITY.md).
pub fn color(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "#FF0000",
        Severity::Error => "#FF6B00",
        Severity::Warning => "#FFD700",
        Severity::Info => "#36A64F",
    }
}

/// The colour bar of a "resolved" message: Slack's own "good" green.
pub const RESOLVED_COLOR: &str = "#2EB67D";

/// Slack reads `&`, `<` and `>` as markup (links, mentions): these three, and
/// only these, must be sent as HTML entities.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The webhook body. `channel` is honoured by legacy webhooks and ignored by
/// app ones. A resolved alert is announced in green, with who resolved it.
pub fn payload(alert: &Alert, event: Event, platform: &str, channel: Option<&str>) -> Value {
    let context = serde_json::to_string_pretty(&alert.context).unwrap_or_default();
    let field = |title: &str, value: String, short: bool| json!({ "title": title, "value": escape(&value), "short": short });
    let (head, color, title) = match event {
        Event::Resolve => (
            "RESOLVED".to_owned(),
            RESOLVED_COLOR,
            format!("Resolved: {}", alert.alert_type),
        ),
        Event::Trigger | Event::Acknowledge => (
            alert.severity.label(),
            self::color(alert.severity),
            alert.alert_type.clone(),
        ),
    };
    let mut fields = vec![
        field("Severity", alert.severity.label(), true),
        field("Alert ID", alert.id.clone(), true),
        field("Timestamp", alert.triggered_at.to_string(), true),
    ];
    if event == Event::Resolve {
        fields.extend(
            resolution_lines(alert)
                .into_iter()
                .map(|(name, value)| field(name, value, true)),
        );
    }
    fields.push(field("Context", format!("```{context}```"), false));
    let mut body = json!({
        "attachments": [{
            "fallback": escape(&format!("[{head}] {}: {}", alert.alert_type, alert.message)),
            "color": color,
            "title": escape(&title),
            "text": escape(&alert.message),
            "fields": fields,
            "footer": escape(&format!("{platform} Monitoring")),
            "ts": alert.triggered_at.unix_seconds(),
        }]
    });
    if let (Some(channel), Some(map)) = (channel, body.as_object_mut()) {
        map.insert("channel".into(), Value::String(channel.to_owned()));
    }
    body
}

impl Notifier for Slack {
    fn name(&self) -> ChannelId {
        CHANNEL.id()
    }

    fn provider(&self) -> &'static str {
        PROVIDER
    }

    /// The webhook URL is the credential: only its origin is ever shown.
    fn recipients(&self) -> Vec<String> {
        vec![redact::url_origin(&self.webhook)]
    }

    fn takes(&self, event: Event) -> bool {
        read_by_people(event)
    }

    fn render(&self, alert: &Alert, event: Event) -> Vec<Message> {
        vec![Message {
            channel: CHANNEL.id(),
            provider: Some(PROVIDER),
            to: self.recipients(),
            content: Content::Json {
                body: payload(alert, event, &self.platform, self.channel.as_deref()),
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
            let body = payload(alert, event, &self.platform, self.channel.as_deref());
            let request = http::Request::new(Method::Post, self.webhook.clone(), policy.timeout)
                .secret_path()
                .json(&body);
            let (result, history) =
                retry::deliver_http(policy, &self.http, &request, 200..=200, body_excerpt).await;
            vec![Delivery::finished(
                CHANNEL.id(),
                PROVIDER,
                redact::url_origin(&self.webhook),
                result.map(|_| Accepted::default()),
                history,
            )]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    #[test]
    fn payload_has_every_field_and_escapes_markup() {
        let mut context = Map::new();
        context.insert("note".into(), Value::String("a<b & c>d".into()));
        let made = Alert::new(
            "db_<down>",
            Severity::Error,
            "<!channel> & \"you\" 😀",
            context,
        );
        let alert = made.unwrap_or_else(|e| panic!("{e}"));
        let body = payload(&alert, Event::Trigger, "Digital Agency", Some("#ops"));
        let a = &body["attachments"][0];
        assert_eq!(body["channel"], "#ops");
        assert_eq!(a["color"], "#FF6B00");
        assert_eq!(a["title"], "db_&lt;down&gt;");
        assert_eq!(a["text"], "&lt;!channel&gt; &amp; \"you\" 😀");
        assert_eq!(
            a["fallback"],
            "[ERROR] db_&lt;down&gt;: &lt;!channel&gt; &amp; \"you\" 😀"
        );
        assert_eq!(a["footer"], "Digital Agency Monitoring");
        assert_eq!(a["ts"], alert.triggered_at.unix_seconds());
        let titles: Vec<&str> = a["fields"]
            .as_array()
            .map(|f| f.iter().filter_map(|f| f["title"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(titles, ["Severity", "Alert ID", "Timestamp", "Context"]);
        assert_eq!(a["fields"][0]["value"], "ERROR");
        assert_eq!(a["fields"][1]["value"], alert.id.as_str());
        assert_eq!(
            a["fields"][3]["value"],
            "```{\n  \"note\": \"a&lt;b &amp; c&gt;d\"\n}```"
        );
        assert_eq!(a["fields"][3]["short"], false);
    }

    #[test]
    fn a_resolved_message_is_green_and_names_who_resolved_it() {
        let mut alert = Alert::new("db_down", Severity::Error, "db <down>", Map::new())
            .unwrap_or_else(|e| panic!("{e}"));
        alert.resolved_at = Some(alert.triggered_at);
        alert.resolved_by = Some("vitals check on web1".into());
        let body = payload(&alert, Event::Resolve, "Digital Agency", None);
        let a = &body["attachments"][0];
        assert_eq!(a["color"], RESOLVED_COLOR);
        assert_eq!(a["title"], "Resolved: db_down");
        assert_eq!(a["fallback"], "[RESOLVED] db_down: db &lt;down&gt;");
        let titles: Vec<&str> = a["fields"]
            .as_array()
            .map(|f| f.iter().filter_map(|f| f["title"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            titles,
            [
                "Severity",
                "Alert ID",
                "Timestamp",
                "Resolved at",
                "Resolved by",
                "Occurrences",
                "Context"
            ]
        );
        assert_eq!(a["fields"][4]["value"], "vitals check on web1");
    }

    #[test]
    fn colours_per_severity() {
        assert_eq!(color(Severity::Critical), "#FF0000");
        assert_eq!(color(Severity::Warning), "#FFD700");
        assert_eq!(color(Severity::Info), "#36A64F");
    }
}
