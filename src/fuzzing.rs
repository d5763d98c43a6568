//! The parsers of outside data as the cargo-fuzz targets in `fuzz/` call
//! them (cargo feature `fuzzing`, which nothing else turns on). Each entry
//! is the function production calls, or a thin call of it returning what a
//! target's property needs to see; the properties live in the targets.

use std::ops::RangeInclusive;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::alerts::channels::{pagerduty, sendgrid, sms};
use crate::alerts::retry;
use crate::checks::agents::{self, Agents, Census};
use crate::net::http::Response;
use crate::net::tls::Trust;

pub use crate::alerts::from_checks::FailureSeverity;
pub use crate::alerts::hygiene::{Dependencies, RunThreshold};
pub use crate::alerts::{RESERVED, parse_context, parse_user_labels};
pub use crate::checks::declared::dns::{Answer, Record, answer as dns_answer, query as dns_query};
pub use crate::checks::declared::perfdata::{PerfItem, parse as perfdata};
pub use crate::checks::declared::tls::not_after;
pub use crate::checks::{CheckId, CheckResult};
pub use crate::config::parse::{
    Invalid, parse_duration, parse_email, parse_phone, parse_port, parse_url,
};
pub use crate::config::services_file::parse as services_file;
pub use crate::config::{CheckTable, MAX_THRESHOLD, NotUnicode, Secrecy, Source};
pub use crate::metrics::{Kind, Metric, Unit};
pub use crate::net::is_loopback;
pub use crate::output::{nagios, prometheus};
pub use crate::redact::{MASK, MIN_SCRUB_LEN, register, scrub};
pub use crate::settings::{everything, table};
pub use crate::status::Status;

/// What the ready e-mail and SMS channels would send with, read as
/// `alert send` reads them.
#[derive(Debug, Default)]
pub struct Ready {
    /// E-mail recipients and the sender.
    pub addresses: Vec<String>,
    /// The SMTP host a password would go to without TLS.
    pub password_in_clear_to: Option<String>,
    /// SMS recipients and the sender number.
    pub numbers: Vec<String>,
}

pub fn ready_channels(source: &dyn Source) -> Ready {
    use crate::alerts::channels::email::{self, EmailTransport, SmtpTls};
    use crate::config::Channel;
    let mut r = crate::settings::reader(source);
    let mut ready = Ready::default();
    if let Channel::Ready(e) = email::settings(&mut r) {
        ready.addresses = e.recipients.iter().chain([&e.sender]).cloned().collect();
        if let EmailTransport::Smtp(smtp) = &e.transport
            && smtp.tls == SmtpTls::None
            && smtp.password.is_some()
        {
            ready.password_in_clear_to = Some(smtp.host.clone());
        }
    }
    if let Channel::Ready(s) = sms::settings(&mut r) {
        ready.numbers = s.recipients.iter().chain([&s.from]).cloned().collect();
    }
    ready
}

/// The other typed values variables hold, by the parsers `Reader` uses:
/// a percentage, a count, milliseconds, a rate (count and window) and a
/// name, each said in words when refused.
pub fn percent(text: &str) -> Result<f64, String> {
    crate::config::parse::parse_percent(text).map_err(|e| e.0)
}

pub fn count(text: &str) -> Result<u64, String> {
    crate::config::parse::parse_count(text).map_err(|e| e.0)
}

pub fn millis(text: &str) -> Result<Duration, String> {
    crate::config::parse::parse_millis(text).map_err(|e| e.0)
}

pub fn rate_limit(text: &str) -> Result<(u32, Duration), String> {
    crate::config::parse::parse_rate_limit(text)
        .map(|r| (r.count, r.per))
        .map_err(|e| e.0)
}

pub fn name(text: &str) -> Result<String, String> {
    crate::config::parse::parse_name(text).map_err(|e| e.0)
}

/// Whether the connection code takes a URL `parse_url` accepted: the Redis
/// client's own reading, or the PostgreSQL target (libpq's forms).
pub fn connectable(url: &url::Url) -> Result<(), String> {
    use redis::IntoConnectionInfo;
    match url.scheme() {
        "postgres" | "postgresql" => crate::net::pg::Target::parse(url)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        "redis" | "rediss" | "valkey" | "valkeys" | "unix" | "redis+unix" => url
            .as_str()
            .into_connection_info()
            .map(|_| ())
            .map_err(|e| e.to_string()),
        _ => Ok(()),
    }
}

/// Forgets every registered secret: each fuzz case starts with none, as a
/// process does.
pub fn forget_secrets() {
    crate::redact::forget_all();
}

/// Every form of the registered secrets the scrub looks for.
pub fn registered_secrets() -> Vec<String> {
    crate::redact::registered()
}

/// `.env`: the names the file sets or its first syntax error, as `load`
/// reads them, and the warnings about values that start a comment.
pub fn env_file(text: &str) -> (Result<Vec<String>, String>, Vec<String>) {
    use crate::config::dotenv;
    (
        dotenv::names(text, ".env").map_err(|e| e.to_string()),
        dotenv::comment_values(text, ".env"),
    )
}

/// `expect_status = ["2xx"]` in `vitals.toml`.
pub fn status_range(text: &str) -> Option<RangeInclusive<u16>> {
    crate::config::services_file::parse_status_range(text)
}

/// What the agents check counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    pub idle: u64,
    pub busy: u64,
    pub error: u64,
    pub offline: u64,
    pub pending: u64,
    pub active: u64,
    pub completed: u64,
    pub failed: Option<u64>,
}

impl From<Census> for Counts {
    fn from(c: Census) -> Counts {
        Counts {
            idle: c.agents.idle,
            busy: c.agents.busy,
            error: c.agents.error,
            offline: c.agents.offline,
            pending: c.pending,
            active: c.active,
            completed: c.completed,
            failed: c.failed,
        }
    }
}

/// The orchestrator's status endpoint: its body read as `check agents`
/// reads it (`fresh` says whether a heartbeat is recent enough).
pub fn agents_status(body: &[u8], fresh: bool) -> Result<Counts, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "not JSON".to_owned())?;
    agents::parse_status(&value, |_| fresh).map(Counts::from)
}

/// An RQ worker's hash fields read at `now`, with the heartbeat age limit.
pub fn rq_worker(
    state: Option<String>,
    heartbeat: Option<String>,
    birth: Option<String>,
    now: DateTime<Utc>,
    max_age: Duration,
) -> &'static str {
    let check = Agents {
        registry: None,
        heartbeat_max_age: max_age,
        queue_degraded_threshold: 100,
        redis_password: None,
        trust: Trust::new(None),
    };
    match check.rq_worker_state(state, heartbeat, birth, now) {
        agents::State::Idle => "idle",
        agents::State::Busy => "busy",
        agents::State::Error => "error",
        agents::State::Offline => "offline",
    }
}

/// An RQ heartbeat or birth time.
pub fn rq_time(text: &str) -> Option<DateTime<Utc>> {
    agents::parse_rq_time(text)
}

/// The RQ queues' counts (four per queue) added up as `check agents` does.
pub fn rq_queues(counts: &[u64]) -> Counts {
    let mut census = Census {
        failed: Some(0),
        ..Census::default()
    };
    census.add_queues(counts);
    census.into()
}

/// Redis `INFO` text: the facts `check cache` reports from it.
pub fn redis_info(text: &str) -> serde_json::Value {
    use crate::checks::cache;
    serde_json::to_value(cache::facts(&cache::parse_info(text))).unwrap_or_default()
}

/// An HTTP answer, as the client hands it over.
pub fn response(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Response {
    Response {
        status,
        headers,
        body,
        elapsed: Duration::ZERO,
    }
}

/// A failed delivery as each provider's error reader and the retry
/// judgement make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    pub error: String,
    pub retryable: bool,
    pub retry_after: Option<Duration>,
}

/// A provider's error-body reader.
type ErrorReader = fn(&Response) -> String;

/// Every alert provider's reading of an answer: `Ok` when it is the status
/// that provider expects (`success`), its error otherwise.
pub fn provider_errors(
    response: &Response,
    success: u16,
) -> Vec<(&'static str, Result<(), ProviderError>)> {
    let readers: [(&'static str, ErrorReader); 4] = [
        ("slack", retry::body_excerpt),
        ("twilio", sms::describe),
        ("sendgrid", sendgrid::describe),
        ("pagerduty", pagerduty::describe),
    ];
    readers
        .into_iter()
        .map(|(name, describe)| {
            let step = retry::judge(response.clone(), success..=success, describe);
            let result = step.result.map(|_| ()).map_err(|f| ProviderError {
                error: f.error,
                retryable: f.retryable,
                retry_after: f.retry_after,
            });
            (name, result)
        })
        .collect()
}

/// What `check services` quotes of an API's error body (Anthropic,
/// HubSpot, SendGrid, or a plain message).
pub fn service_detail(response: &Response) -> Option<String> {
    crate::checks::services::provider_detail(response)
}

/// `Retry-After`, as every HTTP caller reads it, at `now` (an HTTP date is
/// a wait from then).
pub fn retry_after(response: &Response, now: DateTime<Utc>) -> Option<Duration> {
    response.retry_after(now)
}

/// An alert's identity from its type and labels: its text and fingerprint.
pub fn identity(
    alert_type: &str,
    labels: &crate::alerts::Labels,
) -> Result<(String, String), String> {
    crate::alerts::labels::Identity::of(alert_type, labels)
        .map(|i| (i.as_str().to_owned(), i.fingerprint()))
        .map_err(|e| e.to_string())
}

/// `VITALS_ALERT_SEVERITY`: each check named and its severity, or what was
/// expected.
pub fn failure_severity(text: &str) -> Result<Vec<(&'static str, String)>, String> {
    FailureSeverity::parse(text)
        .map(|f| {
            f.0.iter()
                .map(|(id, severity)| (id.key(), severity.to_string()))
                .collect()
        })
        .map_err(|e| e.0)
}

/// Every built-in check, in `check all`'s order.
pub fn builtin_ids() -> Vec<CheckId> {
    crate::checks::BUILTINS.iter().map(|c| c.id()).collect()
}

/// The `[[check]]` tables of `vitals.toml` read by their kinds, as `check
/// all` and `config validate` read them: how many checks were built, and
/// every problem recorded (variable, message).
pub fn declared_checks(
    tables: &[CheckTable],
    source: &dyn Source,
) -> (usize, Vec<(String, String)>) {
    let mut r = crate::settings::reader(source);
    let built = crate::checks::declared::read(
        &mut r,
        &Trust::new(None),
        std::path::Path::new("vitals.toml"),
        tables,
        |_| true,
    )
    .len();
    let errors = r
        .errors()
        .iter()
        .map(|e| (e.var.to_owned(), e.problem.clone()))
        .collect();
    (built, errors)
}

/// `alert silence --until`: when the silence ends (milliseconds since the
/// epoch), or the refusal in words.
pub fn silence_until(text: &str, now: DateTime<Utc>) -> Result<i64, String> {
    crate::alerts::silence::ends_at(None, Some(text), now)
        .map(crate::alerts::Timestamp::millis)
        .map_err(|e| e.to_string())
}

/// `alert silence --match` (each `LABEL=VALUE`): the labels matched, or the
/// refusal in words.
pub fn silence_matches(items: &[String]) -> Result<Vec<(String, String)>, String> {
    crate::alerts::silence::matchers(None, None, items)
        .map(|labels| labels.into_iter().collect())
        .map_err(|e| e.to_string())
}
