//! A generic webhook: the alert as Alertmanager's webhook payload (version
//! "4"), so the receivers and bridges written for Alertmanager (chat
//! adapters, n8n, custom handlers) take vitals' alerts unchanged. Firing and
//! resolved only: that format has no acknowledged state. With
//! `WEBHOOK_SECRET`, each request is signed: `X-Vitals-Signature:
//! sha256=<hex HMAC-SHA256 of the body>`, so the receiver can tell it came
//! from vitals and was not altered.

use futures_util::future::BoxFuture;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{
    ChannelId, ChannelSpec, Content, Message, Notifier, Shared, annotations, prometheus_labels,
    read_by_people,
};
use crate::alerts::retry::{self, body_excerpt};
use crate::alerts::{Accepted, Alert, Delivery, Event, Policy};
use crate::config::{Channel, Group, Reader, Secrecy, Secret, SecretUrl, required, var};
use crate::net::http::{self, Method};
use crate::redact;

pub const CHANNEL: ChannelSpec = ChannelSpec {
    name: "webhook",
    help: "Any HTTP endpoint, as Alertmanager's webhook payload, signed with WEBHOOK_SECRET.",
    configured_by: "WEBHOOK_URL",
    min_severity: "WEBHOOK_MIN_SEVERITY",
    group: Group {
        key: "webhook",
        title: "Webhook alerts",
        vars: &[
            var(
                "WEBHOOK_URL",
                Secrecy::Secret,
                None,
                "Where alerts are posted, as Alertmanager's webhook payload (the whole URL is a secret: many carry a token in the path).",
            ),
            var(
                "WEBHOOK_SECRET",
                Secrecy::Secret,
                None,
                "Key of the X-Vitals-Signature header: sha256= and the hex HMAC-SHA256 of the body.",
            ),
            var(
                "WEBHOOK_MIN_SEVERITY",
                Secrecy::Public,
                Some("info"),
                "The least severe alert posted to the webhook: info, warning, error or critical.",
            ),
        ],
    },
    read: |r, shared| settings(r).map(|s| Box::new(Webhook::new(&s, shared)) as Box<dyn Notifier>),
};

const PROVIDER: &str = "webhook";

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "X-Vitals-Signature";

/// What Alertmanager sends as the end of an alert that has not ended.
const NO_END: &str = "0001-01-01T00:00:00Z";

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: SecretUrl,
    pub secret: Option<Secret>,
}

pub fn settings(r: &mut Reader<'_>) -> Channel<WebhookConfig> {
    let given = r.raw("WEBHOOK_URL").is_some();
    let url = r.url("WEBHOOK_URL", &["https", "http"]);
    let secret = r.secret("WEBHOOK_SECRET");
    if let Some(url) = &url {
        // The raw value is registered already; its parsed form and its path
        // (where tokens live) may be quoted alone.
        redact::register(url.expose().as_str());
        if url.expose().path().len() > 1 {
            redact::register(url.expose().path());
        }
    }
    match url {
        Some(url) => Channel::Ready(WebhookConfig { url, secret }),
        None if secret.is_some() && !given => Channel::Incomplete(vec![required(
            "WEBHOOK_URL",
            "WEBHOOK_SECRET is set, but there is no webhook to post to",
        )]),
        None => Channel::Unset,
    }
}

pub struct Webhook {
    url: url::Url,
    secret: Option<Secret>,
    platform: String,
    http: http::Client,
}

impl Webhook {
    pub fn new(config: &WebhookConfig, shared: &Shared) -> Webhook {
        Webhook {
            url: config.url.expose().clone(),
            secret: config.secret.clone(),
            platform: shared.platform.clone(),
            http: shared.http.clone(),
        }
    }
}

/// `firing` or `resolved`, as Alertmanager says it.
fn state(event: Event) -> &'static str {
    match event {
        Event::Resolve => "resolved",
        Event::Trigger | Event::Acknowledge => "firing",
    }
}

/// The body: Alertmanager's webhook payload, version "4", holding this one
/// alert. `startsAt` is when it was raised; `endsAt` when it was resolved,
/// or `0001-01-01T00:00:00Z` while it fires, as Alertmanager writes it.
pub fn payload(alert: &Alert, event: Event, platform: &str) -> Value {
    let labels = prometheus_labels(alert);
    let annotations = annotations(alert, event);
    let ends_at = match (event, alert.resolved_at) {
        (Event::Resolve, Some(at)) => at.to_string(),
        _ => NO_END.to_owned(),
    };
    let status = state(event);
    json!({
        "version": "4",
        "groupKey": format!("{{}}:{}", alert.identity),
        "truncatedAlerts": 0,
        "status": status,
        "receiver": format!("{platform} vitals"),
        "groupLabels": {"alertname": alert.alert_type},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "",
        "alerts": [{
            "status": status,
            "labels": labels,
            "annotations": annotations,
            "startsAt": alert.triggered_at.to_string(),
            "endsAt": ends_at,
            "generatorURL": "",
            "fingerprint": alert.fingerprint,
        }],
    })
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `key`.
pub fn signature(key: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length: new_from_slice cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

impl Notifier for Webhook {
    fn name(&self) -> ChannelId {
        CHANNEL.id()
    }

    fn provider(&self) -> &'static str {
        PROVIDER
    }

    /// The URL may be the credential: only its origin is ever shown.
    fn recipients(&self) -> Vec<String> {
        vec![redact::url_origin(&self.url)]
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
                body: payload(alert, event, &self.platform),
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
            let body = payload(alert, event, &self.platform);
            let mut request = http::Request::new(Method::Post, self.url.clone(), policy.timeout)
                .secret_path()
                .json(&body);
            if let (Some(secret), Some(bytes)) = (&self.secret, &request.body) {
                let signed = signature(secret.expose().as_bytes(), &bytes.bytes);
                request = request.header(SIGNATURE_HEADER, signed);
            }
            let (result, history) =
                retry::deliver_http(policy, &self.http, &request, 200..=299, body_excerpt).await;
            vec![Delivery::finished(
                CHANNEL.id(),
                PROVIDER,
                redact::url_origin(&self.url),
                result.map(|_| Accepted::default()),
                history,
            )]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{Labels, Severity, Timestamp};
    use serde_json::Map;

    fn alert() -> Alert {
        let mut labels = Labels::new();
        labels.insert("host".into(), "db1".into());
        Alert::new(
            "disk_full",
            Severity::Critical,
            "/var is 97% full\nsee df",
            Map::new(),
        )
        .and_then(|a| a.with_labels(labels))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_firing_alert_is_alertmanagers_version_4_payload() {
        let a = alert();
        let annotations = json!({
            "summary": "disk_full: /var is 97% full",
            "description": "/var is 97% full\nsee df",
            "alert_id": a.id,
        });
        let labels = json!({"alertname": "disk_full", "host": "db1", "severity": "critical"});
        assert_eq!(
            payload(&a, Event::Trigger, "Acme"),
            json!({
                "version": "4",
                "groupKey": "{}:disk_full{host=\"db1\"}",
                "truncatedAlerts": 0,
                "status": "firing",
                "receiver": "Acme vitals",
                "groupLabels": {"alertname": "disk_full"},
                "commonLabels": labels,
                "commonAnnotations": annotations,
                "externalURL": "",
                "alerts": [{
                    "status": "firing",
                    "labels": labels,
                    "annotations": annotations,
                    "startsAt": a.triggered_at.to_string(),
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "",
                    "fingerprint": a.fingerprint,
                }],
            })
        );
    }

    #[test]
    fn a_resolved_alert_ends_when_it_was_resolved_and_says_by_whom() {
        let mut a = alert();
        let at = Timestamp::from_millis(a.triggered_at.millis() + 60_000)
            .unwrap_or_else(|| panic!("timestamp"));
        a.resolved_at = Some(at);
        a.resolved_by = Some("vitals check on web1".into());
        let body = payload(&a, Event::Resolve, "Acme");
        assert_eq!(body["status"], "resolved");
        assert_eq!(body["alerts"][0]["status"], "resolved");
        assert_eq!(body["alerts"][0]["endsAt"], at.to_string());
        assert_eq!(
            body["alerts"][0]["annotations"]["resolved_by"],
            "vitals check on web1"
        );
    }

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
