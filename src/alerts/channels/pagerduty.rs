//! PagerDuty Events API v2 (`POST /v2/enqueue`, `202`). The `dedup_key` is
//! the alert's identity, so repeated triggers of one problem are one incident,
//! and acknowledging or resolving it later addresses the same incident.

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::{ChannelId, ChannelSpec, Content, Message, Notifier, Shared};
use crate::alerts::retry::{self, body_excerpt};
use crate::alerts::{Accepted, Alert, Delivery, Event, Policy};
use crate::config::{Channel, Group, Reader, Secrecy, Secret, SecretUrl, var};
use crate::net::http::{self, Method};
use crate::redact;
use crate::text::cut;

pub const CHANNEL: ChannelSpec = ChannelSpec {
    name: "pagerduty",
    help: "PagerDuty Events API v2.",
    configured_by: "PAGERDUTY_ROUTING_KEY",
    min_severity: "PAGERDUTY_MIN_SEVERITY",
    group: Group {
        key: "pagerduty",
        title: "PagerDuty alerts",
        vars: &[
            var(
                "PAGERDUTY_ROUTING_KEY",
                Secrecy::Secret,
                None,
                "PagerDuty Events API v2 integration (routing) key.",
            ),
            var(
                "PAGERDUTY_BASE_URL",
                Secrecy::UrlCredentials,
                Some("https://events.pagerduty.com"),
                "PagerDuty Events API base URL.",
            ),
            var(
                "PAGERDUTY_MIN_SEVERITY",
                Secrecy::Public,
                Some("info"),
                "The least severe alert that triggers a PagerDuty incident: info, warning, error or critical.",
            ),
        ],
    },
    read: |r, shared| {
        settings(r).map(|s| Box::new(PagerDuty::new(&s, shared)) as Box<dyn Notifier>)
    },
};

const PROVIDER: &str = "pagerduty";

#[derive(Debug, Clone)]
pub struct PagerDutyConfig {
    pub routing_key: Secret,
    pub base_url: SecretUrl,
}

pub fn settings(r: &mut Reader<'_>) -> Channel<PagerDutyConfig> {
    let base_url = r.base_url("PAGERDUTY_BASE_URL");
    match r.secret("PAGERDUTY_ROUTING_KEY") {
        Some(routing_key) => Channel::Ready(PagerDutyConfig {
            routing_key,
            base_url,
        }),
        None => Channel::Unset,
    }
}

/// PagerDuty refuses longer summaries.
const MAX_SUMMARY_CHARS: usize = 1024;

pub struct PagerDuty {
    routing_key: Secret,
    url: url::Url,
    source: String,
    http: http::Client,
}

impl PagerDuty {
    pub fn new(config: &PagerDutyConfig, shared: &Shared) -> PagerDuty {
        PagerDuty {
            routing_key: config.routing_key.clone(),
            url: http::join(config.base_url.expose(), "/v2/enqueue"),
            source: shared.host.clone(),
            http: shared.http.clone(),
        }
    }
}

/// The event body. Only a trigger carries a payload; acknowledge and resolve
/// name the incident by `dedup_key` alone.
pub fn event(action: Event, alert: &Alert, routing_key: &str, source: &str) -> Value {
    let mut event = json!({
        "routing_key": routing_key,
        "event_action": action.as_ref(),
        "dedup_key": alert.dedup_key,
    });
    if action == Event::Trigger
        && let Some(map) = event.as_object_mut()
    {
        let summary = format!(
            "[{}] {}: {}",
            alert.severity.label(),
            alert.alert_type,
            alert.message
        );
        map.insert(
            "payload".into(),
            json!({
                "summary": cut(&summary, MAX_SUMMARY_CHARS - 1),
                "source": source,
                "severity": alert.severity.as_ref(),
                "timestamp": alert.triggered_at.to_string(),
                "class": alert.alert_type,
                "custom_details": {
                    "alert_id": alert.id,
                    "message": alert.message,
                    "context": alert.context,
                },
            }),
        );
        map.insert("client".into(), Value::String("vitals".into()));
    }
    event
}

/// `{"status":"invalid event","message":"Event object is invalid","errors":["..."]}`.
pub(crate) fn describe(response: &http::Response) -> String {
    let Some(body) = response.json() else {
        return body_excerpt(response);
    };
    let message = body["message"].as_str().unwrap_or("(no message)");
    let errors: Vec<&str> = body["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if errors.is_empty() {
        message.to_owned()
    } else {
        format!("{message}: {}", errors.join("; "))
    }
}

/// `{"status":"success","message":"Event processed","dedup_key":"..."}`.
fn accepted(response: &http::Response) -> Accepted {
    let body = response.json().unwrap_or_default();
    Accepted {
        id: body["dedup_key"].as_str().map(str::to_owned),
        status: body["message"].as_str().map(str::to_owned),
    }
}

impl Notifier for PagerDuty {
    fn name(&self) -> ChannelId {
        CHANNEL.id()
    }

    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn recipients(&self) -> Vec<String> {
        vec![redact::url(&self.url)]
    }

    /// Acknowledging and resolving the incident keeps PagerDuty in step with the store.
    fn takes(&self, _event: Event) -> bool {
        true
    }

    fn render(&self, alert: &Alert, action: Event) -> Vec<Message> {
        vec![Message {
            channel: CHANNEL.id(),
            provider: Some(PROVIDER),
            to: self.recipients(),
            content: Content::Json {
                body: event(action, alert, redact::MASK, &self.source),
            },
        }]
    }

    fn send<'a>(
        &'a self,
        alert: &'a Alert,
        action: Event,
        policy: &'a Policy,
    ) -> BoxFuture<'a, Vec<Delivery>> {
        Box::pin(async move {
            let body = event(action, alert, self.routing_key.expose(), &self.source);
            let request =
                http::Request::new(Method::Post, self.url.clone(), policy.timeout).json(&body);
            let (result, history) =
                retry::deliver_http(policy, &self.http, &request, 202..=202, describe).await;
            vec![Delivery::finished(
                CHANNEL.id(),
                PROVIDER,
                redact::url(&self.url),
                result.map(|r| accepted(&r)),
                history,
            )]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Severity;
    use serde_json::Map;
    use std::time::Duration;

    fn alert() -> Alert {
        let mut context = Map::new();
        context.insert("disk".into(), Value::String("/".into()));
        Alert::new("disk_full", Severity::Warning, "97% used", context)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn trigger_carries_the_payload() {
        let a = alert();
        let e = event(Event::Trigger, &a, "R0UT1NGKEY", "web1");
        assert_eq!(
            e,
            json!({
                "routing_key": "R0UT1NGKEY",
                "event_action": "trigger",
                "dedup_key": "disk_full",
                "payload": {
                    "summary": "[WARNING] disk_full: 97% used",
                    "source": "web1",
                    "severity": "warning",
                    "timestamp": a.triggered_at.to_string(),
                    "class": "disk_full",
                    "custom_details": {
                        "alert_id": a.id,
                        "message": "97% used",
                        "context": {"disk": "/"},
                    },
                },
                "client": "vitals",
            })
        );
    }

    #[test]
    fn acknowledge_and_resolve_name_the_incident_only() {
        let a = alert();
        for action in [Event::Acknowledge, Event::Resolve] {
            assert_eq!(
                event(action, &a, "K", "web1"),
                json!({"routing_key": "K", "event_action": action.as_ref(), "dedup_key": "disk_full"})
            );
        }
    }

    #[test]
    fn summaries_are_cut_to_pagerduty_limit() {
        let mut a = alert();
        a.message = "ю".repeat(2000);
        let e = event(Event::Trigger, &a, "K", "h");
        let summary = e["payload"]["summary"].as_str().unwrap_or_default();
        assert_eq!(summary.chars().count(), MAX_SUMMARY_CHARS);
    }

    #[test]
    fn errors_list_what_is_invalid() {
        let response = http::Response {
            status: 400,
            headers: Vec::new(),
            body: br#"{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]}"#.to_vec(),
            elapsed: Duration::ZERO,
        };
        assert_eq!(
            describe(&response),
            "Event object is invalid: Length of 'routing_key' is incorrect (should be 32 characters)"
        );
    }
}
