//! `check agents`: the agent/worker registry, read where it lives — the
//! orchestrator's HTTP status endpoint, or a Redis registry in the key layout
//! Python RQ workers write.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use redis::aio::MultiplexedConnection;
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use futures_util::future::BoxFuture;

use super::{BuiltinCheck, Check, CheckId, CheckResult};
use crate::config::{Group, Reader, Secret, Secrecy, SecretUrl, var};
use crate::metrics::{Metric, Unit, count};
use crate::net::http::{self, Method};
use crate::net::tls::Trust;
use crate::status::Status;
use crate::text;

/// Commands per pipelined round trip: large registries are read in a few
/// batches, never one round trip per key, and never one unbounded reply.
const BATCH: usize = 2000;

pub const CHECK: BuiltinCheck = BuiltinCheck {
    name: "agents",
    alias: None,
    help: "The agent registry (AGENT_REGISTRY_URL).",
    configured_by: "AGENT_REGISTRY_URL",
    group: Group {
        key: "agents",
        title: "Agent registry",
        vars: &[
            var(
                "AGENT_REGISTRY_URL",
                Secrecy::UrlCredentials,
                None,
                "Agent registry: the orchestrator's http(s):// status endpoint, or a redis(s):// RQ registry.",
            ),
            var(
                "AGENT_HEARTBEAT_MAX_AGE",
                Secrecy::Public,
                Some("480s"),
                "An agent whose last heartbeat is older than this counts as offline.",
            ),
            var(
                "AGENT_QUEUE_DEGRADED_THRESHOLD",
                Secrecy::Public,
                Some("100"),
                "Degraded when more tasks than this are pending.",
            ),
        ],
    },
    read: |r, trust| Box::new(Agents::read(r, trust)),
};

pub struct Agents {
    pub(crate) registry: Option<SecretUrl>,
    pub(crate) heartbeat_max_age: Duration,
    pub(crate) queue_degraded_threshold: u64,
    /// For a Redis registry whose URL carries none, as for the cache.
    pub(crate) redis_password: Option<Secret>,
    pub(crate) trust: Trust,
}

impl Agents {
    pub fn read(r: &mut Reader<'_>, trust: &Trust) -> Self {
        Agents {
            registry: r.url("AGENT_REGISTRY_URL", &["http", "https", "redis", "rediss"]),
            heartbeat_max_age: r.duration("AGENT_HEARTBEAT_MAX_AGE"),
            queue_degraded_threshold: r.count("AGENT_QUEUE_DEGRADED_THRESHOLD"),
            redis_password: r.secret("REDIS_PASSWORD"),
            trust: trust.clone(),
        }
    }
}

impl Check for Agents {
    fn id(&self) -> CheckId {
        CHECK.id()
    }

    fn configured(&self) -> bool {
        self.registry.is_some()
    }

    fn run(&self, deadline: Instant) -> BoxFuture<'_, CheckResult> {
        Box::pin(async move {
            let Some(url) = &self.registry else {
                return CheckResult::unconfigured(CHECK.configured_by);
            };
            let started = Instant::now();
            let source = Source::of(url);
            let census = match source {
                Source::Http => self.read_http(url, deadline).await,
                Source::Rq => self.read_rq(url, deadline).await,
            };
            match census {
                Ok(census) => self
                    .judge(&census, source)
                    .with_response_time(started.elapsed()),
                // Nothing was counted: every metric unknown.
                Err(problem) => CheckResult::unhealthy(format!(
                    "{}: {problem}",
                    crate::redact::url_target(url.expose())
                ))
                .with_metrics(self.metrics(None)),
            }
        })
    }

    fn target(&self) -> Option<String> {
        self.registry
            .as_ref()
            .map(|u| crate::redact::url_target(u.expose()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Source {
    Http,
    Rq,
}

impl Source {
    fn of(url: &SecretUrl) -> Source {
        match url.expose().scheme() {
            "http" | "https" => Source::Http,
            _ => Source::Rq,
        }
    }
}

/// An agent's state, as the Python module vitals replaces counted them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Idle,
    Busy,
    Error,
    Offline,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Breakdown {
    pub(crate) idle: u64,
    pub(crate) busy: u64,
    pub(crate) error: u64,
    pub(crate) offline: u64,
}

impl Breakdown {
    fn add(&mut self, state: State) {
        match state {
            State::Idle => self.idle += 1,
            State::Busy => self.busy += 1,
            State::Error => self.error += 1,
            State::Offline => self.offline += 1,
        }
    }

    pub(crate) fn total(&self) -> u64 {
        self.idle + self.busy + self.error + self.offline
    }

    /// Agents that can take work.
    fn active(&self) -> u64 {
        self.idle + self.busy
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Census {
    pub(crate) agents: Breakdown,
    pub(crate) pending: u64,
    pub(crate) active: u64,
    pub(crate) completed: u64,
    pub(crate) failed: Option<u64>,
}

impl Census {
    /// Adds what the registry says of RQ queues, four numbers per queue: its
    /// length, then the unexpired entries of its wip, finished and failed
    /// registries. The numbers are whatever the server answered, so the sums
    /// stop at the largest count rather than overflow.
    pub(crate) fn add_queues(&mut self, counts: &[u64]) {
        for queue in counts.chunks_exact(4) {
            self.pending = self.pending.saturating_add(queue[0]);
            self.active = self.active.saturating_add(queue[1]);
            self.completed = self.completed.saturating_add(queue[2]);
            self.failed = self.failed.map(|f| f.saturating_add(queue[3]));
        }
    }
}

/// The Python module's fields in its order (docs/COMPATIBILITY.md), plus
/// `source` and `failed_tasks`.
#[derive(Serialize)]
struct Report<'a> {
    total_agents: u64,
    active_agents: u64,
    agent_breakdown: &'a Breakdown,
    pending_tasks: u64,
    active_tasks: u64,
    completed_tasks: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_tasks: Option<u64>,
    source: Source,
}

impl Agents {
    fn judge(&self, census: &Census, source: Source) -> CheckResult {
        let b = &census.agents;
        let (status, message) = if b.total() == 0 {
            (Status::Unhealthy, "no agents registered".to_owned())
        } else if b.active() == 0 {
            (
                Status::Unhealthy,
                format!(
                    "no active agents: {} registered, none idle or busy",
                    b.total()
                ),
            )
        } else {
            let mut problems = Vec::new();
            if b.offline > 0 {
                problems.push(format!("{} of {} agents offline", b.offline, b.total()));
            }
            if b.error > 0 {
                problems.push(format!("{} in error", b.error));
            }
            if census.pending > self.queue_degraded_threshold {
                problems.push(format!(
                    "{} pending tasks (threshold {})",
                    census.pending, self.queue_degraded_threshold
                ));
            }
            if problems.is_empty() {
                (Status::Healthy, "All agents operational".to_owned())
            } else {
                (Status::Degraded, problems.join("; "))
            }
        };
        CheckResult::new(status, message)
            .with_details(&Report {
                total_agents: b.total(),
                active_agents: b.active(),
                agent_breakdown: b,
                pending_tasks: census.pending,
                active_tasks: census.active,
                completed_tasks: census.completed,
                failed_tasks: census.failed,
                source,
            })
            .with_metrics(self.metrics(Some(census)))
    }

    /// The census's numbers; all unknown when the registry could not be read.
    fn metrics(&self, census: Option<&Census>) -> Vec<Metric> {
        let b = census.map(|c| &c.agents);
        let agents = [
            ("idle", b.map(|b| b.idle)),
            ("busy", b.map(|b| b.busy)),
            ("error", b.map(|b| b.error)),
            ("offline", b.map(|b| b.offline)),
        ]
        .into_iter()
        .map(|(state, n)| {
            Metric::gauge(
                "agents",
                "Registered agents by state.",
                Unit::Count,
                count(n),
            )
            .label("state", state)
        });
        let tasks = [
            ("pending", census.map(|c| c.pending)),
            ("active", census.map(|c| c.active)),
            ("completed", census.map(|c| c.completed)),
            ("failed", census.and_then(|c| c.failed)),
        ]
        .into_iter()
        // A source that does not count failed tasks has no such metric; an
        // unread registry has every one, unknown.
        .filter(|(_, n)| n.is_some() || census.is_none())
        .map(|(state, n)| {
            let metric = Metric::gauge("tasks", "Tasks by state.", Unit::Count, count(n))
                .label("state", state);
            if state == "pending" {
                metric.warn(count(Some(self.queue_degraded_threshold)))
            } else {
                metric
            }
        });
        agents.chain(tasks).collect()
    }

    /// Is an agent whose last heartbeat was at `at` still alive?
    fn fresh(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        // A heartbeat from the future is clock skew, not death.
        (now - at)
            .to_std()
            .map_or(true, |age| age <= self.heartbeat_max_age)
    }

    async fn read_http(&self, url: &SecretUrl, deadline: Instant) -> Result<Census, String> {
        // The runner's deadline, with its uniform message, fires first.
        let timeout = deadline.saturating_duration_since(Instant::now()) + super::GRACE;
        let client = http::Client::new(&self.trust);
        let request = http::Request::new(Method::Get, url.expose().clone(), timeout)
            .header("accept", "application/json");
        let response = client.send_async(request).await.map_err(|e| e.to_string())?;
        if !(200..300).contains(&response.status) {
            return Err(format!(
                "the status endpoint answered HTTP {} (expected 2xx)",
                response.status
            ));
        }
        let body: Value = serde_json::from_slice(&response.body).map_err(|e| {
            tracing::info!("status endpoint: not JSON: {e}");
            "the status endpoint did not answer with JSON".to_owned()
        })?;
        parse_status(&body, |at| self.fresh(at, crate::clock::now()))
            .map_err(|e| format!("status endpoint: {e}"))
    }

    async fn read_rq(&self, url: &SecretUrl, deadline: Instant) -> Result<Census, String> {
        let mut con = super::cache::connect(url, self.redis_password.as_ref(), &self.trust, deadline)
            .await
            .map_err(|e| e.to_string())?;
        let (workers, queues): (Vec<String>, Vec<String>) = redis::pipe()
            .smembers("rq:workers")
            .smembers("rq:queues")
            .query_async(&mut con)
            .await
            .map_err(|e| super::cache::describe(&e))?;

        let now = crate::clock::now();
        let mut census = Census {
            failed: Some(0),
            ..Census::default()
        };
        for batch in workers.chunks(BATCH) {
            let mut pipe = redis::pipe();
            for key in batch {
                pipe.cmd("HMGET")
                    .arg(key)
                    .arg("state")
                    .arg("last_heartbeat")
                    .arg("birth");
            }
            let rows: Vec<(Option<String>, Option<String>, Option<String>)> =
                query(&mut pipe, &mut con).await?;
            for (state, heartbeat, birth) in rows {
                census
                    .agents
                    .add(self.rq_worker_state(state, heartbeat, birth, now));
            }
        }

        let now_score = now.timestamp();
        for batch in queues.chunks(BATCH / 4) {
            let mut pipe = redis::pipe();
            for key in batch {
                let name = key.strip_prefix("rq:queue:").unwrap_or(key);
                // Registries are scored by expiry; RQ itself counts only unexpired entries.
                pipe.llen(key);
                for registry in ["wip", "finished", "failed"] {
                    pipe.zcount(format!("rq:{registry}:{name}"), now_score, "+inf");
                }
            }
            let counts: Vec<u64> = query(&mut pipe, &mut con).await?;
            census.add_queues(&counts);
        }
        Ok(census)
    }

    pub(crate) fn rq_worker_state(
        &self,
        state: Option<String>,
        heartbeat: Option<String>,
        birth: Option<String>,
        now: DateTime<Utc>,
    ) -> State {
        if state.is_none() && heartbeat.is_none() && birth.is_none() {
            // Listed in rq:workers, but its hash has expired: the worker died.
            return State::Offline;
        }
        if let Some(at) = heartbeat.as_deref().and_then(parse_rq_time)
            && !self.fresh(at, now)
        {
            return State::Offline;
        }
        match state.as_deref() {
            Some("started" | "idle") => State::Idle,
            Some("busy") => State::Busy,
            Some("suspended") => State::Offline,
            // Not a state RQ writes: whatever wrote it is not working as RQ does.
            _ => State::Error,
        }
    }
}

async fn query<T: redis::FromRedisValue>(
    pipe: &mut redis::Pipeline,
    con: &mut MultiplexedConnection,
) -> Result<T, String> {
    pipe.query_async(con)
        .await
        .map_err(|e| format!("reading the RQ registry: {}", super::cache::describe(&e)))
}

/// RQ's `utcformat`: `%Y-%m-%dT%H:%M:%S.%fZ`, and the older form without fraction.
pub(crate) fn parse_rq_time(text: &str) -> Option<DateTime<Utc>> {
    ["%Y-%m-%dT%H:%M:%S%.fZ", "%Y-%m-%dT%H:%M:%SZ"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

/// At most this many characters of a value the endpoint sent are quoted in
/// a message: the check's message is one line, whatever the endpoint sends.
const QUOTED_MAX: usize = 40;

/// Reads the orchestrator's status document (contract in the README), naming
/// the exact field when something is missing or of the wrong type.
pub(crate) fn parse_status(body: &Value, fresh: impl Fn(DateTime<Utc>) -> bool) -> Result<Census, String> {
    let agents = body
        .get("agents")
        .ok_or("missing field \"agents\"")?
        .as_array()
        .ok_or("\"agents\" is not an array")?;
    let mut breakdown = Breakdown::default();
    for (i, agent) in agents.iter().enumerate() {
        let field = |name: &str| {
            agent
                .get(name)
                .ok_or_else(|| format!("agents[{i}]: missing field \"{name}\""))
        };
        field("id")?
            .as_str()
            .ok_or_else(|| format!("agents[{i}].id is not a string"))?;
        let state = field("state")?
            .as_str()
            .ok_or_else(|| format!("agents[{i}].state is not a string"))?;
        let mut state = match state {
            "idle" => State::Idle,
            "busy" => State::Busy,
            "error" => State::Error,
            "offline" => State::Offline,
            other => {
                return Err(format!(
                    "agents[{i}].state is {:?}, expected idle, busy, error or offline",
                    text::cut(other, QUOTED_MAX)
                ));
            }
        };
        match agent.get("last_heartbeat") {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => {
                let at = DateTime::parse_from_rfc3339(text).map_err(|_| {
                    format!(
                        "agents[{i}].last_heartbeat is not an RFC 3339 time: {:?}",
                        text::cut(text, QUOTED_MAX)
                    )
                })?;
                if !fresh(at.with_timezone(&Utc)) {
                    state = State::Offline;
                }
            }
            Some(_) => return Err(format!("agents[{i}].last_heartbeat is not a string")),
        }
        breakdown.add(state);
    }
    let tasks = body.get("tasks").ok_or("missing field \"tasks\"")?;
    let count = |name: &str| {
        tasks
            .get(name)
            .ok_or_else(|| format!("missing field \"tasks.{name}\""))?
            .as_u64()
            .ok_or_else(|| format!("tasks.{name} is not a whole number"))
    };
    Ok(Census {
        agents: breakdown,
        pending: count("pending")?,
        active: count("active")?,
        completed: count("completed")?,
        failed: match tasks.get("failed") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().ok_or("tasks.failed is not a whole number")?),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn always_fresh(_: DateTime<Utc>) -> bool {
        true
    }

    #[test]
    fn reads_the_documented_contract() {
        let body = json!({
            "agents": [
                {"id": "a1", "state": "idle", "last_heartbeat": "2026-11-28T07:00:00Z"},
                {"id": "a2", "state": "busy"},
                {"id": "a3", "state": "error", "last_heartbeat": null},
                {"id": "a4", "state": "offline", "extra": "ignored"}
            ],
            "tasks": {"pending": 10, "active": 2, "completed": 150}
        });
        let census = parse_status(&body, always_fresh);
        assert_eq!(
            census,
            Ok(Census {
                agents: Breakdown {
                    idle: 1,
                    busy: 1,
                    error: 1,
                    offline: 1
                },
                pending: 10,
                active: 2,
                completed: 150,
                failed: None,
            })
        );
    }

    #[test]
    fn stale_heartbeats_count_offline() {
        let body = json!({
            "agents": [{"id": "a1", "state": "busy", "last_heartbeat": "2020-01-01T00:00:00+00:00"}],
            "tasks": {"pending": 0, "active": 0, "completed": 0}
        });
        let census = parse_status(&body, |at| at.timestamp() > 1_700_000_000);
        assert_eq!(census.map(|c| c.agents.offline), Ok(1));
    }

    /// Found by fuzzing: two queues whose lengths a server gave near the
    /// largest count overflowed the sum (a panic in debug builds, a wrong
    /// count in release).
    #[test]
    fn queue_counts_stop_at_the_largest() {
        let mut census = Census {
            failed: Some(0),
            ..Census::default()
        };
        census.add_queues(&[u64::MAX - 1, 1, 2, 3, 5, 1, 2, 3, 7]);
        assert_eq!(
            (census.pending, census.active, census.completed, census.failed),
            (u64::MAX, 2, 4, Some(6))
        );
    }

    /// Found by fuzzing: a value was quoted whole, so the endpoint decided
    /// how long the check's message was.
    #[test]
    fn long_values_are_quoted_cut() {
        let long = format!("2026-11-1{}T0+7:93:37Z", "1".repeat(300));
        let cut = format!("{:?}", format!("2026-11-1{}…", "1".repeat(31)));
        let body = json!({"agents": [{"id": "a", "state": "idle", "last_heartbeat": long}]});
        assert_eq!(
            parse_status(&body, always_fresh),
            Err(format!("agents[0].last_heartbeat is not an RFC 3339 time: {cut}"))
        );
        let body = json!({"agents": [{"id": "a", "state": long}]});
        assert_eq!(
            parse_status(&body, always_fresh),
            Err(format!(
                "agents[0].state is {cut}, expected idle, busy, error or offline"
            ))
        );
    }

    #[test]
    fn bad_documents_name_the_field() {
        let cases = [
            (json!({}), "missing field \"agents\""),
            (json!({"agents": {}}), "\"agents\" is not an array"),
            (
                json!({"agents": [{"state": "idle"}], "tasks": {}}),
                "agents[0]: missing field \"id\"",
            ),
            (
                json!({"agents": [{"id": "a", "state": "napping"}]}),
                "agents[0].state is \"napping\", expected idle, busy, error or offline",
            ),
            (
                json!({"agents": [{"id": "a", "state": 3}]}),
                "agents[0].state is not a string",
            ),
            (
                json!({"agents": [{"id": "a", "state": "idle", "last_heartbeat": "yesterday"}]}),
                "agents[0].last_heartbeat is not an RFC 3339 time: \"yesterday\"",
            ),
            (json!({"agents": []}), "missing field \"tasks\""),
            (
                json!({"agents": [], "tasks": {"pending": -1, "active": 0, "completed": 0}}),
                "tasks.pending is not a whole number",
            ),
            (
                json!({"agents": [], "tasks": {"pending": 1, "completed": 0}}),
                "missing field \"tasks.active\"",
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(
                parse_status(&body, always_fresh),
                Err(expected.to_owned()),
                "{body}"
            );
        }
    }

    #[test]
    fn rq_times_in_both_formats() {
        let with_fraction = parse_rq_time("2026-11-28T07:41:37.016342Z");
        assert_eq!(
            with_fraction.map(|t| t.timestamp_micros()),
            Some(1_795_851_697_016_342)
        );
        let without = parse_rq_time("2026-11-28T07:41:37Z");
        assert_eq!(without.map(|t| t.timestamp()), Some(1_795_851_697));
        assert_eq!(parse_rq_time("28/11/2026"), None);
    }
}

#[cfg(test)]
mod properties;
