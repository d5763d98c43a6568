//! `check cache`: Redis. PING and INFO pipelined in one round trip.

use std::collections::HashMap;
use std::time::Duration;

use redis::{
    AsyncConnectionConfig, ConnectionAddr, IntoConnectionInfo, RedisError, TlsCertificates,
};
use serde::Serialize;
use tokio::time::Instant;

use futures_util::future::BoxFuture;

use super::{BuiltinCheck, Check, CheckId, CheckResult};
use crate::config::{Group, Reader, Secrecy, Secret, SecretUrl, var};
use crate::error::{chain_text, find_cause};
use crate::metrics::{Metric, Unit, count};
use crate::net::tls::{self, Trust, TrustError};
use crate::status::Status;
use crate::text::{self, millis};

pub const CHECK: BuiltinCheck = BuiltinCheck {
    name: "cache",
    alias: None,
    help: "Redis (REDIS_URL).",
    configured_by: "REDIS_URL",
    group: Group {
        key: "cache",
        title: "Cache (Redis)",
        vars: &[
            var(
                "REDIS_URL",
                Secrecy::UrlCredentials,
                None,
                "Redis URL: redis://, rediss:// (TLS) or unix:///path/to/redis.sock.",
            ),
            var(
                "REDIS_PASSWORD",
                Secrecy::Secret,
                None,
                "Redis password, used when REDIS_URL, a redis:// AGENT_REGISTRY_URL or a declared redis check's URL carries none.",
            ),
            var(
                "CACHE_MEMORY_DEGRADED_PERCENT",
                Secrecy::Public,
                Some("90"),
                "Degraded when Redis memory use exceeds this percentage of its limit.",
            ),
            var(
                "CACHE_SLOW_MS",
                Secrecy::Public,
                Some("500"),
                "Degraded when PING and INFO take longer than this many milliseconds.",
            ),
            var(
                "CACHE_CONNECT_SLOW_MS",
                Secrecy::Public,
                Some("1000"),
                "Degraded when connecting (TCP, TLS, AUTH, SELECT) takes longer than this many milliseconds.",
            ),
        ],
    },
    read: |r, trust| Box::new(Cache::read(r, trust)),
};

pub struct Cache {
    url: Option<SecretUrl>,
    password: Option<Secret>,
    memory_degraded_percent: f64,
    slow: Duration,
    connect_slow: Duration,
    trust: Trust,
}

/// The URL schemes of a Redis server.
pub const SCHEMES: &[&str] = &["redis", "rediss", "unix", "redis+unix", "valkey", "valkeys"];

impl Cache {
    pub fn read(r: &mut Reader<'_>, trust: &Trust) -> Self {
        let url = r.url("REDIS_URL", SCHEMES);
        Cache::with_thresholds(url, r, trust)
    }

    /// The server at `url`, with `REDIS_PASSWORD` and the `CACHE_*` thresholds.
    fn with_thresholds(url: Option<SecretUrl>, r: &mut Reader<'_>, trust: &Trust) -> Self {
        Cache {
            url,
            password: r.secret("REDIS_PASSWORD"),
            memory_degraded_percent: r.percent("CACHE_MEMORY_DEGRADED_PERCENT"),
            slow: r.millis("CACHE_SLOW_MS"),
            connect_slow: r.millis("CACHE_CONNECT_SLOW_MS"),
            trust: trust.clone(),
        }
    }

    /// Another Redis server, declared in vitals.toml (`kind = "redis"`),
    /// judged as `check cache` judges REDIS_URL's, with the same settings.
    pub fn declared(url: SecretUrl, r: &mut Reader<'_>, trust: &Trust) -> Self {
        Cache::with_thresholds(Some(url), r, trust)
    }
}

impl Check for Cache {
    fn id(&self) -> CheckId {
        CHECK.id()
    }

    fn configured(&self) -> bool {
        self.url.is_some()
    }

    fn run(&self, deadline: Instant) -> BoxFuture<'_, CheckResult> {
        Box::pin(async move {
            let Some(url) = &self.url else {
                return CheckResult::unconfigured(CHECK.configured_by);
            };
            match self.probe(url, deadline).await {
                Ok(times) => self.judge(&times),
                // Nothing was measured: no time, and every metric unknown.
                Err(problem) => CheckResult::unhealthy(format!(
                    "{}: {problem}",
                    crate::redact::url_target(url.expose())
                ))
                .with_response_threshold(self.slow)
                .with_metrics(self.metrics(&facts(&HashMap::new()), None)),
            }
        })
    }

    fn target(&self) -> Option<String> {
        self.url
            .as_ref()
            .map(|u| crate::redact::url_target(u.expose()))
    }
}

/// What one successful probe read and how long its two steps took.
struct Probe {
    info: HashMap<String, String>,
    connect: Duration,
    round_trip: Duration,
}

/// Why no connection to Redis was opened, in words for people (the client's
/// own error is the source).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("not a usable Redis URL: {}", describe(.0))]
    Url(#[source] RedisError),
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error("the server has no database {database} ({})", .error.detail().unwrap_or("SELECT refused"))]
    NoDatabase {
        database: i64,
        #[source]
        error: RedisError,
    },
    #[error("{}", describe(.0))]
    Connect(#[source] RedisError),
}

/// Opens a connection to a Redis URL with the shared trust roots and
/// `REDIS_PASSWORD` when the URL has none. Also used by the RQ agent registry.
pub async fn connect(
    url: &SecretUrl,
    password: Option<&Secret>,
    trust: &Trust,
    deadline: Instant,
) -> Result<redis::aio::MultiplexedConnection, ConnectError> {
    let info = url
        .expose()
        .as_str()
        .into_connection_info()
        .map_err(ConnectError::Url)?;
    let mut settings = info.redis_settings().clone().set_skip_set_lib_name();
    let database = settings.db();
    if settings.password().is_none()
        && let Some(password) = password
    {
        settings = settings.set_password(password.expose());
    }
    let is_tls = matches!(info.addr(), ConnectionAddr::TcpTls { .. });
    let info = info.set_redis_settings(settings);
    let client = if is_tls {
        let pem = trust.pem()?;
        // Load the provider before redis builds its rustls config.
        tls::provider();
        redis::Client::build_with_tls(
            info,
            TlsCertificates {
                client_tls: None,
                root_cert: Some(pem.to_vec()),
            },
        )
    } else {
        redis::Client::open(info)
    }
    .map_err(ConnectError::Url)?;
    tracing::debug!("redis: connecting to {url}");
    let limit = deadline.saturating_duration_since(Instant::now()) + super::GRACE;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(limit))
        .set_response_timeout(Some(limit));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| {
            // The client's words for a failed SELECT; the server's are its detail.
            if chain_text(&e).contains("refused to switch database") {
                ConnectError::NoDatabase { database, error: e }
            } else {
                ConnectError::Connect(e)
            }
        })
}

/// The Python module's fields (docs/COMPATIBILITY.md) plus what an operator
/// wants to know next.
#[derive(Debug, Serialize)]
pub(crate) struct Facts {
    connect_time_ms: Option<f64>,
    memory_usage_bytes: Option<u64>,
    memory_usage_percent: Option<f64>,
    memory_limit_bytes: Option<u64>,
    /// `maxmemory`, or `total_system_memory` when no maxmemory is set.
    memory_limit_source: Option<&'static str>,
    connected_clients: Option<u64>,
    role: Option<String>,
    redis_version: Option<String>,
    rejected_connections: Option<u64>,
    evicted_keys: Option<u64>,
}

impl Cache {
    async fn probe(&self, url: &SecretUrl, deadline: Instant) -> Result<Probe, String> {
        let started = Instant::now();
        let mut connection = connect(url, self.password.as_ref(), &self.trust, deadline)
            .await
            .map_err(|e| e.to_string())?;
        let connect = started.elapsed();
        let started = Instant::now();
        let (_pong, info): (String, String) = redis::pipe()
            .cmd("PING")
            .cmd("INFO")
            .query_async(&mut connection)
            .await
            .map_err(|e| describe(&e))?;
        Ok(Probe {
            info: parse_info(&info),
            connect,
            round_trip: started.elapsed(),
        })
    }

    fn judge(&self, probe: &Probe) -> CheckResult {
        let (info, elapsed) = (&probe.info, probe.round_trip);
        let facts = Facts {
            connect_time_ms: Some(millis(probe.connect)),
            ..facts(info)
        };
        let (status, message) = match facts.memory_usage_percent {
            // Full with nothing to evict: every write fails with OOM.
            Some(percent)
                if percent >= 100.0
                    && facts.memory_limit_source == Some("maxmemory")
                    && info.get("maxmemory_policy").map(String::as_str) == Some("noeviction") =>
            {
                (
                    Status::Unhealthy,
                    format!(
                        "out of memory: used_memory is {percent:.1}% of maxmemory and \
                         maxmemory-policy is noeviction, so Redis refuses writes"
                    ),
                )
            }
            Some(percent) if percent > self.memory_degraded_percent => (
                Status::Degraded,
                format!(
                    "memory at {percent:.1}% of {} ({} bytes), above the {}% threshold",
                    facts.memory_limit_source.unwrap_or("the limit"),
                    facts.memory_usage_bytes.unwrap_or_default(),
                    self.memory_degraded_percent
                ),
            ),
            _ if probe.connect > self.connect_slow => (
                Status::Degraded,
                text::slow("connecting took", probe.connect, self.connect_slow),
            ),
            _ if elapsed > self.slow => (
                Status::Degraded,
                text::slow("PING and INFO took", elapsed, self.slow),
            ),
            _ => (Status::Healthy, "Cache operational".to_owned()),
        };
        CheckResult::new(status, message)
            .with_response_time(elapsed)
            .with_response_threshold(self.slow)
            .with_details(&facts)
            .with_metrics(self.metrics(&facts, Some(probe.connect)))
    }

    fn metrics(&self, facts: &Facts, connect_time: Option<Duration>) -> Vec<Metric> {
        let limit = count(facts.memory_limit_bytes);
        vec![
            Metric::gauge(
                "cache_connect_seconds",
                "Connection set-up: TCP, TLS, AUTH and SELECT.",
                Unit::Seconds,
                connect_time.map(|t| t.as_secs_f64()),
            )
            .warn(Some(self.connect_slow.as_secs_f64())),
            Metric::gauge(
                "cache_memory_used_bytes",
                "Redis used_memory.",
                Unit::Bytes,
                count(facts.memory_usage_bytes),
            )
            .warn(limit.map(|l| l * self.memory_degraded_percent / 100.0))
            .max(limit),
            Metric::gauge(
                "cache_memory_usage_ratio",
                "used_memory over the memory limit (0 to 1).",
                Unit::Ratio,
                // From the bytes, not the rounded percentage: a small share is not 0.
                count(facts.memory_usage_bytes)
                    .zip(limit)
                    .filter(|(_, l)| *l > 0.0)
                    .map(|(used, l)| used / l),
            )
            .warn(Some(self.memory_degraded_percent / 100.0))
            .max(Some(1.0)),
            Metric::gauge(
                "cache_memory_limit_bytes",
                "maxmemory, or total_system_memory when maxmemory is not set.",
                Unit::Bytes,
                limit,
            ),
            Metric::gauge(
                "cache_connected_clients",
                "Redis connected_clients.",
                Unit::Count,
                count(facts.connected_clients),
            ),
            Metric::counter(
                "cache_rejected_connections_total",
                "Connections Redis rejected (maxclients) since it started.",
                count(facts.rejected_connections),
            ),
            Metric::counter(
                "cache_evicted_keys_total",
                "Keys Redis evicted (maxmemory) since it started.",
                count(facts.evicted_keys),
            ),
        ]
    }
}

/// `INFO` is `key:value` lines under `# Section` headers.
pub(crate) fn parse_info(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

pub(crate) fn facts(info: &HashMap<String, String>) -> Facts {
    let number = |key: &str| info.get(key).and_then(|v| v.parse::<u64>().ok());
    let used = number("used_memory");
    let (limit, source) = match (number("maxmemory"), number("total_system_memory")) {
        (Some(max), _) if max > 0 => (Some(max), Some("maxmemory")),
        (_, Some(total)) if total > 0 => (Some(total), Some("total_system_memory")),
        _ => (None, None),
    };
    let percent = match (used, limit) {
        (Some(used), Some(limit)) => Some((used as f64 * 10_000.0 / limit as f64).round() / 100.0),
        _ => None,
    };
    Facts {
        connect_time_ms: None,
        memory_usage_bytes: used,
        memory_usage_percent: percent,
        memory_limit_bytes: limit,
        memory_limit_source: source,
        connected_clients: number("connected_clients"),
        role: info.get("role").cloned(),
        redis_version: info.get("redis_version").cloned(),
        rejected_connections: number("rejected_connections"),
        evicted_keys: number("evicted_keys"),
    }
}

/// A short, specific reason for a Redis failure. The client's own text is
/// logged (`-v`), not shown.
pub fn describe(error: &RedisError) -> String {
    let words = reason(error);
    tracing::info!("redis: {words} (client: {})", chain_text(error));
    words
}

fn reason(error: &RedisError) -> String {
    match server_code(error).as_deref() {
        Some("NOAUTH") => {
            return "authentication required: put the password in REDIS_URL or set REDIS_PASSWORD"
                .to_owned();
        }
        Some("WRONGPASS") => {
            return "authentication failed: wrong password or user name".to_owned();
        }
        Some("LOADING") => return "Redis is loading its dataset into memory".to_owned(),
        _ => {}
    }
    // The client turns the server's WRONGPASS (or an older server's
    // "invalid password") into this kind without the server's words.
    if error.kind() == redis::ErrorKind::AuthenticationFailed {
        return "authentication failed: wrong password or user name".to_owned();
    }
    if let Some(tls) = find_cause::<rustls::Error>(error) {
        return tls::describe(tls);
    }
    if error.is_connection_refusal() {
        return "connection refused".to_owned();
    }
    if error.is_timeout() {
        return "timed out waiting for Redis to answer".to_owned();
    }
    let text = chain_text(error);
    if text.contains("failed to lookup address") || text.contains("Name or service not known") {
        return "could not resolve the host name".to_owned();
    }
    if find_cause::<std::io::Error>(error).is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
    {
        return "no server socket at this path".to_owned();
    }
    if error.kind() == redis::ErrorKind::Parse {
        return "the server did not answer as Redis does".to_owned();
    }
    // A server that is not Redis: the client drops the connection at its
    // first unreadable byte, and only "broken pipe" is left to report.
    if error.is_connection_dropped() {
        return "the server closed the connection without answering as Redis does".to_owned();
    }
    // The server's own words, when it answered with an error.
    if let (Some(code), Some(detail)) = (server_code(error), error.detail()) {
        return format!("the server answered {code} {detail}");
    }
    "the connection failed (vitals -v shows the client's report)".to_owned()
}

/// The server's error code, also when it came back for a command inside a pipeline.
fn server_code(error: &RedisError) -> Option<String> {
    error.code().map(str::to_owned).or_else(|| {
        let errors = error.clone().into_server_errors()?;
        errors.first().map(|(_, e)| e.code().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = "# Server\r\nredis_version:7.0.15\r\n\r\n# Clients\r\nconnected_clients:3\r\n\
        # Memory\r\nused_memory:1048576\r\nmaxmemory:0\r\ntotal_system_memory:4194304\r\n\
        # Stats\r\nrejected_connections:2\r\nevicted_keys:0\r\n# Replication\r\nrole:master\r\n";

    #[test]
    fn memory_falls_back_to_system_memory() {
        let f = facts(&parse_info(INFO));
        assert_eq!(f.memory_usage_bytes, Some(1_048_576));
        assert_eq!(f.memory_limit_source, Some("total_system_memory"));
        assert_eq!(f.memory_usage_percent, Some(25.0));
        assert_eq!(f.connected_clients, Some(3));
        assert_eq!(f.role.as_deref(), Some("master"));
        assert_eq!(f.redis_version.as_deref(), Some("7.0.15"));
        assert_eq!(f.rejected_connections, Some(2));
    }

    #[test]
    fn maxmemory_wins_when_set() {
        let info = INFO.replace("maxmemory:0", "maxmemory:2097152");
        let f = facts(&parse_info(&info));
        assert_eq!(f.memory_limit_source, Some("maxmemory"));
        assert_eq!(f.memory_usage_percent, Some(50.0));
    }

    #[test]
    fn no_limit_known_never_divides_by_zero() {
        let f = facts(&parse_info(
            "used_memory:100\r\nmaxmemory:0\r\ntotal_system_memory:0\r\n",
        ));
        assert_eq!(f.memory_usage_percent, None);
        assert_eq!(f.memory_limit_source, None);
        let f = facts(&parse_info("garbage without colons\n:::\n"));
        assert_eq!(f.memory_usage_bytes, None);
    }
}

/// `INFO` numbers read back exactly. (`fuzz/` fuzzes the whole reply.)
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn info_numbers_are_read_exactly(used in any::<u64>(), max in any::<u64>(), total in any::<u64>(), clients in any::<u64>()) {
            let text = format!("# Memory\r\nused_memory:{used}\r\nmaxmemory:{max}\r\ntotal_system_memory:{total}\r\n# Clients\r\nconnected_clients:{clients}\r\n");
            let f = facts(&parse_info(&text));
            prop_assert_eq!(f.memory_usage_bytes, Some(used));
            prop_assert_eq!(f.connected_clients, Some(clients));
            let limit = if max > 0 { Some(max) } else if total > 0 { Some(total) } else { None };
            prop_assert_eq!(f.memory_limit_bytes, limit);
            prop_assert_eq!(f.memory_usage_percent.is_some(), limit.is_some());
        }
    }
}
