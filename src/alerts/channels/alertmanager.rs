//! Prometheus Alertmanager: alerts pushed to `POST /api/v2/alerts` as a
//! JSON array, where Alertmanager's own routing, grouping, silences and
//! receivers take over. Alertmanager forgets an alert that is not sent again
//! within its `resolve_timeout`, so a firing alert is pushed on every
//! occurrence (every `check --alert` run), not only when people would be
//! notified; its resolution is pushed with `endsAt`. An alert vitals holds
//! back (silenced, inhibited, flapping) is not pushed.

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::{
    ChannelId, ChannelSpec, Content, Message, Notifier, Shared, annotations, prometheus_labels,
};
use crate::alerts::retry::{self, body_excerpt};
use crate::alerts::{Accepted, Alert, Delivery, Event, Policy};
use crate::config::{Channel, Group, Reader, Secrecy, SecretUrl, var};
use crate::net::http::{self, Method};
use crate::redact;

pub const CHANNEL: ChannelSpec = ChannelSpec {
    name: "alertmanager",
    help: "Prometheus Alertmanager's API (POST /api/v2/alerts), every run while an alert fires.",
    configured_by: "ALERTMANAGER_URL",
    min_severity: "ALERTMANAGER_MIN_SEVERITY",
    group: Group {
        key: "alertmanager",
        title: "Alertmanager alerts",
        vars: &[
            var(
                "ALERTMANAGER_URL",
                Secrecy::UrlCredentials,
                None,
                "Alertmanager's base URL, e.g. http://alertmanager:9093; alerts go to its /api/v2/alerts.",
            ),
            var(
                "ALERTMANAGER_MIN_SEVERITY",
                Secrecy::Public,
                Some("info"),
                "The least severe alert pushed to Alertmanager: info, warning, error or critical.",
            ),
        ],
    },
    read: |r, shared| {
        settings(r).map(|s| Box::new(Alertmanager::new(&s, shared)) as Box<dyn Notifier>)
    },
};

const PROVIDER: &str = "alertmanager";

#[derive(Debug, Clone)]
pub struct AlertmanagerConfig {
    pub url: SecretUrl,
}

pub fn settings(r: &mut Reader<'_>) -> Channel<AlertmanagerConfig> {
    match r.url("ALERTMANAGER_URL", &["http", "https"]) {
        Some(url) => Channel::Ready(AlertmanagerConfig { url }),
        None => Channel::Unset,
    }
}

pub struct Alertmanager {
    url: url::Url,
    http: http::Client,
}

impl Alertmanager {
    pub fn new(config: &AlertmanagerConfig, shared: &Shared) -> Alertmanager {
        Alertmanager {
            url: http::join(config.url.expose(), "/api/v2/alerts"),
            http: shared.http.clone(),
        }
    }
}

/// The request body: an array holding the one alert. A firing alert has no
/// `endsAt` (Alertmanager ends it after its `resolve_timeout` unless it is
/// pushed again); a resolved one ends when it was resolved, which
/// Alertmanager takes as resolved at once.
pub fn body(alert: &Alert, event: Event) -> Value {
    let mut pushed = json!({
        "labels": prometheus_labels(alert),
        "annotations": annotations(alert, event),
        "startsAt": alert.triggered_at.to_string(),
        "generatorURL": "",
    });
    if let (Event::Resolve, Some(at), Some(map)) =
        (event, alert.resolved_at, pushed.as_object_mut())
    {
        map.insert("endsAt".into(), Value::String(at.to_string()));
    }
    json!([pushed])
}

impl Notifier for Alertmanager {
    fn name(&self) -> ChannelId {
        CHANNEL.id()
    }

    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn recipients(&self) -> Vec<String> {
        vec![redact::url(&self.url)]
    }

    /// Firing and resolved: Alertmanager has no acknowledged state (its
    /// silences are its own).
    fn takes(&self, event: Event) -> bool {
        matches!(event, Event::Trigger | Event::Resolve)
    }

    fn resends(&self) -> bool {
        true
    }

    fn render(&self, alert: &Alert, event: Event) -> Vec<Message> {
        vec![Message {
            channel: CHANNEL.id(),
            provider: Some(PROVIDER),
            to: self.recipients(),
            content: Content::Json {
                body: body(alert, event),
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
            let request = http::Request::new(Method::Post, self.url.clone(), policy.timeout)
                .json(&body(alert, event));
            let (result, history) =
                retry::deliver_http(policy, &self.http, &request, 200..=299, body_excerpt).await;
            vec![Delivery::finished(
                CHANNEL.id(),
                PROVIDER,
                redact::url(&self.url),
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
        labels.insert("check".into(), "database".into());
        labels.insert("instance".into(), "web1".into());
        Alert::new(
            "database_failure",
            Severity::Error,
            "database is unhealthy",
            Map::new(),
        )
        .and_then(|a| a.with_labels(labels))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_firing_alert_has_no_end() {
        let a = alert();
        assert_eq!(
            body(&a, Event::Trigger),
            json!([{
                "labels": {
                    "alertname": "database_failure",
                    "check": "database",
                    "instance": "web1",
                    "severity": "error",
                },
                "annotations": {
                    "summary": "database_failure: database is unhealthy",
                    "description": "database is unhealthy",
                    "alert_id": a.id,
                },
                "startsAt": a.triggered_at.to_string(),
                "generatorURL": "",
            }])
        );
    }

    #[test]
    fn a_resolved_alert_ends_when_it_was_resolved() {
        let mut a = alert();
        let at = Timestamp::from_millis(a.triggered_at.millis() + 90_000)
            .unwrap_or_else(|| panic!("timestamp"));
        a.resolved_at = Some(at);
        let pushed = body(&a, Event::Resolve);
        assert_eq!(pushed[0]["endsAt"], at.to_string());
        assert_eq!(pushed[0]["startsAt"], a.triggered_at.to_string());
    }
}
