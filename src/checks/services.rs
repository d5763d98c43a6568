//! `check services`: the built-in external APIs and the user's own HTTP
//! endpoints. One request per service proves both that it is reachable and,
//! for the APIs, that the key is accepted. All services are requested at
//! once, at most [`MAX_IN_FLIGHT`] at a time, each bounded by its own timeout
//! and all by the check's.

mod apis;
mod declared;

use std::time::Duration;

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::Value;
use tokio::time::Instant;

use futures_util::future::BoxFuture;

use super::{BuiltinCheck, Check, CheckId, CheckResult, ceil_millis};
use crate::config::parse::nearest;
use crate::config::{AlertFields, Group, Reader, Secrecy, StatusSet, var};
use crate::json;
use crate::metrics::{Metric, Unit};
use crate::net::http::{self, HttpError, Request, Response};
use crate::net::tls::Trust;
use crate::status::Status;
use crate::text::{self, millis, one_line};

/// Requests in flight at once. Each holds a blocking thread and a socket
/// while it runs, so this bounds both; at 128, 500 endpoints answering in
/// 100 ms take four rounds, about 0.4 s.
pub const MAX_IN_FLIGHT: usize = 128;

/// Per-service results are gathered this long before the runner's deadline,
/// so a hanging service costs its own entry, not the whole check's.
const MARGIN: Duration = Duration::from_millis(20);

/// Enough of a body to find a provider's error type, or a `body_contains` text.
const BODY_CAP: u64 = 1024 * 1024;

/// Provider error details quoted in messages are cut to this many characters.
const DETAIL_MAX_CHARS: usize = 200;

/// Names listed in the summary message before "and N more".
const SUMMARY_NAMES: usize = 10;

pub const CHECK: BuiltinCheck = BuiltinCheck {
    name: "external_services",
    alias: Some("services"),
    help: "External APIs (ANTHROPIC_API_KEY, HUBSPOT_API_KEY, SENDGRID_API_KEY) and the endpoints in vitals.toml.",
    configured_by: "ANTHROPIC_API_KEY, HUBSPOT_API_KEY, SENDGRID_API_KEY or VITALS_CONFIG",
    group: Group {
        key: "services",
        title: "External services",
        vars: &[
            var(
                "ANTHROPIC_API_KEY",
                Secrecy::Secret,
                None,
                "Anthropic (Claude) API key; unset means anthropic_api is unconfigured.",
            ),
            var(
                "ANTHROPIC_BASE_URL",
                Secrecy::UrlCredentials,
                Some("https://api.anthropic.com"),
                "Anthropic API base URL (proxies, tests).",
            ),
            var(
                "HUBSPOT_API_KEY",
                Secrecy::Secret,
                None,
                "HubSpot private-app token; unset means hubspot_api is unconfigured.",
            ),
            var(
                "HUBSPOT_BASE_URL",
                Secrecy::UrlCredentials,
                Some("https://api.hubapi.com"),
                "HubSpot API base URL.",
            ),
            var(
                "SENDGRID_API_KEY",
                Secrecy::Secret,
                None,
                "SendGrid API key: checked as a service, and used for e-mail when EMAIL_PROVIDER=sendgrid.",
            ),
            var(
                "SENDGRID_BASE_URL",
                Secrecy::UrlCredentials,
                Some("https://api.sendgrid.com"),
                "SendGrid API base URL.",
            ),
            var(
                "VITALS_CRITICAL_SERVICES",
                Secrecy::Public,
                None,
                "Built-in services whose failure makes the check unhealthy (anthropic_api, hubspot_api, sendgrid_api or anthropic, hubspot, sendgrid); mark your own with critical = true in vitals.toml.",
            ),
            var(
                "SERVICE_SLOW_MS",
                Secrecy::Public,
                Some("2000"),
                "Degraded when a service answers slower than this many milliseconds.",
            ),
            var(
                "VITALS_CONFIG",
                Secrecy::Public,
                Some("vitals.toml"),
                "File declaring your own HTTP endpoints ([[service]]) and checks ([[check]]) (used when present).",
            ),
        ],
    },
    read: |r, trust| Box::new(Services::read(r, trust)),
};

pub struct Services {
    client: http::Client,
    entries: Vec<Entry>,
}

enum Entry {
    Unconfigured {
        name: &'static str,
        key_var: &'static str,
    },
    Probe(Box<Probe>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A built-in API: success means the key was accepted.
    Api,
    /// One of the user's endpoints.
    Endpoint,
}

struct Probe {
    name: String,
    kind: Kind,
    /// Complete but for the timeout, which is set when the check runs.
    request: Request,
    expect: StatusSet,
    body_contains: Option<String>,
    slow: Duration,
    timeout: Option<Duration>,
    /// Its failure makes the whole check unhealthy.
    critical: bool,
    /// What its declaration says about its alerts (a built-in API's: nothing).
    alerts: AlertFields,
}

impl Services {
    pub fn read(r: &mut Reader<'_>, trust: &Trust) -> Self {
        let keys: Vec<_> = apis::APIS
            .iter()
            .map(|service| {
                let key = r.secret(service.key_var);
                (service, key, r.base_url(service.base_url_var))
            })
            .collect();
        let slow = r.millis("SERVICE_SLOW_MS");
        let declared = declared::read(r);
        let critical = critical_builtins(r, &declared);
        for (service, key, _) in &keys {
            if key.is_none() && critical.contains(&service.name) {
                r.error(
                    CRITICAL,
                    format!(
                        "`{}` is critical, but {} is not set",
                        service.name, service.key_var
                    ),
                );
            }
        }
        let apis = keys.into_iter().map(|(service, key, base_url)| match key {
            None => Entry::Unconfigured {
                name: service.name,
                key_var: service.key_var,
            },
            Some(key) => Entry::Probe(Box::new(apis::probe(
                service,
                &key,
                &base_url,
                slow,
                critical.contains(&service.name),
            ))),
        });
        let declared = declared
            .iter()
            .map(|service| Entry::Probe(Box::new(declared::probe(service, slow))));
        Services {
            client: http::Client::new(trust).max_in_flight(MAX_IN_FLIGHT),
            entries: apis.chain(declared).collect(),
        }
    }
}

impl Check for Services {
    fn id(&self) -> CheckId {
        CHECK.id()
    }

    fn configured(&self) -> bool {
        self.entries.iter().any(|e| matches!(e, Entry::Probe(_)))
    }

    fn part_targets(&self) -> Vec<(String, String)> {
        self.entries
            .iter()
            .filter_map(|entry| match entry {
                Entry::Probe(probe) => Some((
                    probe.name.clone(),
                    crate::redact::url_target(&probe.request.url),
                )),
                Entry::Unconfigured { .. } => None,
            })
            .collect()
    }

    fn part_alert_fields(&self) -> Vec<(String, AlertFields)> {
        self.entries
            .iter()
            .filter_map(|entry| match entry {
                Entry::Probe(probe) if probe.alerts != AlertFields::default() => {
                    Some((probe.name.clone(), probe.alerts.clone()))
                }
                _ => None,
            })
            .collect()
    }

    fn timed(&self) -> bool {
        false
    }

    fn run(&self, deadline: Instant) -> BoxFuture<'_, CheckResult> {
        Box::pin(async move {
            let started = Instant::now();
            // The runner set `deadline` to now + --timeout a moment ago; rounded
            // up to the millisecond it is that timeout again, for messages.
            let limit = ceil_millis(deadline.saturating_duration_since(started));
            let finish_by = deadline
                .checked_sub(MARGIN)
                .unwrap_or(deadline)
                .max(started);
            let results = futures_util::future::join_all(self.entries.iter().map(|entry| async {
                match entry {
                    Entry::Unconfigured { name, key_var } => {
                        ((*name).to_owned(), ServiceResult::unconfigured(key_var))
                    }
                    Entry::Probe(probe) => (
                        probe.name.clone(),
                        self.probe(probe, limit, finish_by).await,
                    ),
                }
            }))
            .await;
            summarize(results)
        })
    }
}

const CRITICAL: &str = "VITALS_CRITICAL_SERVICES";

/// The built-in services `VITALS_CRITICAL_SERVICES` names, by their
/// canonical names; each unknown name is reported, with the closest known one.
fn critical_builtins(
    r: &mut Reader<'_>,
    declared: &[crate::config::DeclaredService],
) -> Vec<&'static str> {
    let Some(value) = r.raw(CRITICAL) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(api) = apis::APIS
            .iter()
            .find(|a| a.name == item || a.alias == item)
        {
            names.push(api.name);
        } else if declared.iter().any(|d| d.name == item) {
            r.error(
                CRITICAL,
                format!("`{item}` is declared in vitals.toml: mark it there with critical = true"),
            );
        } else {
            let known: Vec<&str> = apis::APIS
                .iter()
                .flat_map(|a| [a.name, a.alias])
                .collect();
            let hint = nearest(item, &known)
                .map(|c| format!(" — did you mean `{c}`?"))
                .unwrap_or_default();
            let canonical: Vec<&str> = apis::APIS.iter().map(|a| a.name).collect();
            let short: Vec<&str> = apis::APIS.iter().map(|a| a.alias).collect();
            r.error(
                CRITICAL,
                format!(
                    "unknown service `{item}`{hint} (expected {}, or {})",
                    canonical.join(", "),
                    short.join(", ")
                ),
            );
        }
    }
    names
}

/// Every built-in service's names, which a declared check or service may not take.
pub fn api_names() -> impl Iterator<Item = &'static str> {
    apis::APIS.iter().flat_map(|a| [a.name, a.alias])
}

impl Services {
    async fn probe(&self, probe: &Probe, limit: Duration, finish_by: Instant) -> ServiceResult {
        request(&self.client, probe, limit, finish_by).await
    }
}

/// One endpoint checked on its own, as a declared check of kind `http`:
/// a `[[service]]`'s fields, request and judgement.
pub struct Endpoint {
    client: http::Client,
    probe: Probe,
}

/// What checking an [`Endpoint`] came to.
pub struct EndpointResult {
    pub status: Status,
    pub message: String,
    pub status_code: Option<u16>,
    pub response_time_ms: Option<f64>,
    /// Above this it is degraded.
    pub slow: Duration,
}

impl Endpoint {
    /// `SERVICE_SLOW_MS` applies unless the endpoint sets `slow_ms`.
    pub fn new(service: &crate::config::DeclaredService, r: &mut Reader<'_>, trust: &Trust) -> Self {
        let slow = r.millis("SERVICE_SLOW_MS");
        Endpoint {
            client: http::Client::new(trust),
            probe: declared::probe(service, slow),
        }
    }

    pub fn target(&self) -> String {
        crate::redact::url_target(&self.probe.request.url)
    }

    pub async fn check(&self, limit: Duration, deadline: Instant) -> EndpointResult {
        let result = request(&self.client, &self.probe, limit, deadline).await;
        EndpointResult {
            status: result.status,
            message: result.message,
            status_code: result.status_code,
            response_time_ms: result.response_time_ms,
            slow: self.probe.slow,
        }
    }
}

/// Sends one probe's request, bounded by `limit` and by `finish_by`, and judges the answer.
async fn request(
    client: &http::Client,
    probe: &Probe,
    limit: Duration,
    finish_by: Instant,
) -> ServiceResult {
    let started = Instant::now();
    let allowed = probe.timeout.map_or(limit, |own| own.min(limit));
    let mut request = probe.request.clone();
    request.timeout = allowed;
    // ureq enforces `allowed` itself; this also covers a DNS lookup it cannot interrupt.
    let give_up = (started + allowed).min(finish_by);
    let outcome = tokio::time::timeout_at(give_up, client.send_async(request)).await;
    let tried = crate::net::host_port(&probe.request.url);
    let mut result = match outcome {
        Ok(Ok(response)) => judge(probe, &response),
        Ok(Err(error)) => ServiceResult::failed(format!("{tried}: {error}")),
        Err(_) => ServiceResult::failed(format!("{tried}: {}", HttpError::Timeout(allowed))),
    };
    result.slow = Some(probe.slow);
    result.critical = probe.critical;
    tracing::debug!("{}: {}: {}", probe.name, result.status, result.message);
    result
}

/// One service's line in `services`: the fields of the Python module vitals
/// replaces (docs/COMPATIBILITY.md).
#[derive(Debug, Clone, PartialEq)]
struct ServiceResult {
    status: Status,
    /// `None` when no answer came: nothing was measured.
    response_time_ms: Option<f64>,
    status_code: Option<u16>,
    message: String,
    /// Its slow threshold, the perfdata's warning threshold; not in the JSON.
    slow: Option<Duration>,
    /// Marked critical; not in the JSON (the check lists them).
    critical: bool,
}

impl ServiceResult {
    fn unconfigured(key_var: &str) -> Self {
        ServiceResult {
            status: Status::Unconfigured,
            response_time_ms: None,
            status_code: None,
            message: format!("not configured: set {key_var}"),
            slow: None,
            critical: false,
        }
    }

    fn failed(message: String) -> Self {
        ServiceResult {
            status: Status::Unhealthy,
            response_time_ms: None,
            status_code: None,
            message,
            slow: None,
            critical: false,
        }
    }
}

impl Serialize for ServiceResult {
    /// An unconfigured service was never asked: it has no time and no code (as
    /// as in the Python module); every other one has both, `status_code` null without a response.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("status", &self.status)?;
        if self.status != Status::Unconfigured {
            map.serialize_entry("response_time_ms", &self.response_time_ms)?;
            map.serialize_entry("status_code", &self.status_code)?;
        }
        map.serialize_entry("message", &self.message)?;
        map.end()
    }
}

/// The status mapping: expected codes are healthy (degraded when slow),
/// 401/403 a rejected key, 429 rate limiting, 5xx a server error.
fn judge(probe: &Probe, response: &Response) -> ServiceResult {
    let code = response.status;
    let detail = || {
        provider_detail(response)
            .map(|d| format!(": {d}"))
            .unwrap_or_default()
    };
    let (status, message) = if probe.expect.contains(code) {
        match &probe.body_contains {
            Some(needle) if !String::from_utf8_lossy(&response.body).contains(needle.as_str()) => (
                Status::Unhealthy,
                format!("HTTP {code}, but the body does not contain {needle:?}"),
            ),
            _ if response.elapsed > probe.slow => (
                Status::Degraded,
                text::slow("answered in", response.elapsed, probe.slow),
            ),
            _ => match probe.kind {
                Kind::Api => (Status::Healthy, "API key accepted".to_owned()),
                Kind::Endpoint => (Status::Healthy, format!("HTTP {code}")),
            },
        }
    } else {
        match code {
            401 | 403 => {
                let what = match probe.kind {
                    Kind::Api => "API key",
                    Kind::Endpoint => "credentials",
                };
                (
                    Status::Unhealthy,
                    format!("{what} rejected (HTTP {code}{})", detail()),
                )
            }
            429 => {
                let retry = response
                    .retry_after(crate::clock::now())
                    .map(|d| format!(", retry after {}", text::duration(d)))
                    .unwrap_or_default();
                (Status::Degraded, format!("rate limited (HTTP 429{retry})"))
            }
            500..=599 => (
                Status::Unhealthy,
                format!("server error (HTTP {code}{})", detail()),
            ),
            _ => (
                Status::Unhealthy,
                format!(
                    "unexpected HTTP {code} (expected {}){}",
                    probe.expect,
                    detail()
                ),
            ),
        }
    };
    ServiceResult {
        status,
        response_time_ms: Some(millis(response.elapsed)),
        status_code: Some(code),
        message,
        slow: None,
        critical: false,
    }
}

/// The provider's own words for an error, from the JSON shapes the APIs use:
/// Anthropic `{"error":{"type","message"}}`, HubSpot `{"category"}`, SendGrid
/// `{"errors":[{"message"}]}`, or a plain `message`/`error` string.
pub(crate) fn provider_detail(response: &Response) -> Option<String> {
    let v = response.json()?;
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let detail = match v.get("error") {
        Some(error @ Value::Object(_)) => {
            match (text(error.get("type")), text(error.get("message"))) {
                (Some(kind), Some(message)) => Some(format!("{kind}: {message}")),
                (kind, message) => kind.or(message),
            }
        }
        Some(error) => text(Some(error)),
        None => None,
    }
    .or_else(|| text(v.get("category")))
    .or_else(|| text(v.pointer("/errors/0/message")))
    .or_else(|| text(v.get("message")))?;
    Some(one_line(&detail, DETAIL_MAX_CHARS)).filter(|d| !d.is_empty())
}

/// The Python module's fields beside status and message (docs/COMPATIBILITY.md).
#[derive(Serialize)]
struct Details {
    #[serde(serialize_with = "json::pairs")]
    services: Vec<(String, ServiceResult)>,
    total_services: usize,
    configured_services: usize,
    /// Those whose failure makes the check unhealthy (absent when none are).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    critical_services: Vec<String>,
}

/// Healthy when every configured service is, unhealthy when all of them are
/// or a critical one is, degraded in between (the rule of the Python module
/// vitals replaces, docs/COMPATIBILITY.md); unconfigured when nothing is
/// configured, so that `check all` passes over it.
fn summarize(services: Vec<(String, ServiceResult)>) -> CheckResult {
    let configured: Vec<&(String, ServiceResult)> = services
        .iter()
        .filter(|(_, r)| r.status != Status::Unconfigured)
        .collect();
    let failing: Vec<&(String, ServiceResult)> = configured
        .iter()
        .copied()
        .filter(|(_, r)| r.status != Status::Healthy)
        .collect();
    let unhealthy = failing
        .iter()
        .filter(|(_, r)| r.status == Status::Unhealthy)
        .count();
    let total = configured.len();
    let (status, message) = if total == 0 {
        (
            Status::Unconfigured,
            format!("not configured: set {}", CHECK.configured_by),
        )
    } else if failing.is_empty() {
        (Status::Healthy, "External services operational".to_owned())
    } else if unhealthy == total {
        let message = match failing.as_slice() {
            [(name, only)] => format!("{name}: {}", only.message),
            _ => format!(
                "all {total} configured services unhealthy: {}",
                name_list(failing.iter().map(|(name, _)| name.clone()))
            ),
        };
        (Status::Unhealthy, message)
    } else if let Some(message) = critical_failure(&failing) {
        (Status::Unhealthy, message)
    } else {
        (
            Status::Degraded,
            format!(
                "{} of {total} configured services not healthy: {}",
                failing.len(),
                name_list(
                    failing
                        .iter()
                        .map(|(name, r)| format!("{name} ({})", r.status))
                )
            ),
        )
    };
    let metrics = metrics(&services);
    let details = Details {
        total_services: services.len(),
        configured_services: total,
        critical_services: services
            .iter()
            .filter(|(_, r)| r.critical)
            .map(|(name, _)| name.clone())
            .collect(),
        services,
    };
    CheckResult::new(status, message)
        .with_details(&details)
        .with_metrics(metrics)
}

/// "critical service x unhealthy: why" when critical services failed.
fn critical_failure(failing: &[&(String, ServiceResult)]) -> Option<String> {
    let critical: Vec<&(String, ServiceResult)> = failing
        .iter()
        .copied()
        .filter(|(_, r)| r.critical && r.status == Status::Unhealthy)
        .collect();
    match critical.as_slice() {
        [] => None,
        [(name, only)] => Some(format!("critical service {name} unhealthy: {}", only.message)),
        several => Some(format!(
            "{} critical services unhealthy: {}",
            several.len(),
            name_list(several.iter().map(|(name, _)| name.clone()))
        )),
    }
}

/// Up and response time of every configured service, labelled by its name.
fn metrics(services: &[(String, ServiceResult)]) -> Vec<Metric> {
    let configured = || {
        services
            .iter()
            .filter(|(_, r)| r.status != Status::Unconfigured)
    };
    let up = configured().map(|(name, r)| {
        let answers = matches!(r.status, Status::Healthy | Status::Degraded);
        Metric::gauge(
            "service_up",
            "1 when the service answers as expected (healthy or degraded), 0 when not.",
            Unit::Count,
            Some(f64::from(u8::from(answers))),
        )
        .label("service", name.clone())
    });
    let times = configured().map(|(name, r)| {
        Metric::gauge(
            "service_response_seconds",
            "Time to the service's answer.",
            Unit::Seconds,
            r.response_time_ms.map(|ms| ms / 1000.0),
        )
        .warn(r.slow.map(|d| d.as_secs_f64()))
        .label("service", name.clone())
    });
    up.chain(times).collect()
}

fn name_list(names: impl ExactSizeIterator<Item = String>) -> String {
    let count = names.len();
    let shown: Vec<String> = names.take(SUMMARY_NAMES).collect();
    if count > SUMMARY_NAMES {
        format!("{} and {} more", shown.join(", "), count - SUMMARY_NAMES)
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_details_from_each_provider_shape() {
        let cases: [(&str, Option<&str>); 6] = [
            (
                r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
                Some("authentication_error: invalid x-api-key"),
            ),
            (
                r#"{"status":"error","message":"The OAuth token used to make this call expired 2 day(s) ago.","correlationId":"x","category":"EXPIRED_AUTHENTICATION"}"#,
                Some("EXPIRED_AUTHENTICATION"),
            ),
            (
                r#"{"errors":[{"field":null,"message":"authorization required"}]}"#,
                Some("authorization required"),
            ),
            (r#"{"error":"bad\ntoken"}"#, Some("bad token")),
            ("<html>502</html>", None),
            (r#"{"ok":false}"#, None),
        ];
        for (body, expected) in cases {
            let response = Response {
                status: 401,
                headers: Vec::new(),
                body: body.as_bytes().to_vec(),
                elapsed: Duration::ZERO,
            };
            assert_eq!(provider_detail(&response).as_deref(), expected, "{body}");
        }
    }

    #[test]
    fn summary_counts_only_configured_services() {
        let r = |status, message: &str| ServiceResult {
            status,
            response_time_ms: Some(1.0),
            status_code: Some(200),
            message: message.to_owned(),
            slow: None,
            critical: false,
        };
        let named = |list: Vec<(&str, ServiceResult)>| {
            list.into_iter()
                .map(|(n, r)| (n.to_owned(), r))
                .collect::<Vec<_>>()
        };
        let all_bad = summarize(named(vec![
            ("a", ServiceResult::unconfigured("A_KEY")),
            ("b", r(Status::Unhealthy, "connection refused")),
        ]));
        assert_eq!(all_bad.status, Status::Unhealthy);
        assert_eq!(all_bad.message, "b: connection refused");

        let some_bad = summarize(named(vec![
            ("a", r(Status::Healthy, "API key accepted")),
            ("b", r(Status::Unhealthy, "connection refused")),
            ("c", r(Status::Degraded, "rate limited (HTTP 429)")),
        ]));
        assert_eq!(some_bad.status, Status::Degraded);
        assert_eq!(
            some_bad.message,
            "2 of 3 configured services not healthy: b (unhealthy), c (degraded)"
        );
        assert_eq!(some_bad.details["total_services"], 3);
        assert_eq!(some_bad.details["configured_services"], 3);

        let nothing = summarize(named(vec![("a", ServiceResult::unconfigured("A_KEY"))]));
        assert_eq!(nothing.status, Status::Unconfigured);
        assert_eq!(
            nothing.message,
            "not configured: set ANTHROPIC_API_KEY, HUBSPOT_API_KEY, SENDGRID_API_KEY or VITALS_CONFIG"
        );
        assert_eq!(
            serde_json::to_string(&nothing.details["services"])
                .ok()
                .as_deref(),
            Some(r#"{"a":{"status":"unconfigured","message":"not configured: set A_KEY"}}"#)
        );
    }

    #[test]
    fn long_name_lists_are_cut() {
        let names = (1..13).map(|i| format!("s{i}"));
        assert_eq!(
            name_list(names),
            "s1, s2, s3, s4, s5, s6, s7, s8, s9, s10 and 2 more"
        );
    }

    #[test]
    fn timeouts_round_up_to_the_millisecond() {
        assert_eq!(
            ceil_millis(Duration::from_nanos(4_999_999_870)),
            Duration::from_secs(5)
        );
        assert_eq!(
            ceil_millis(Duration::from_millis(1234)),
            Duration::from_millis(1234)
        );
    }
}

#[cfg(test)]
mod properties;
