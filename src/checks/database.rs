//! `check db`: PostgreSQL. Connect, time `SELECT 1`, then read the server's
//! facts in one more round trip.

use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;
use tokio_postgres::SimpleQueryMessage;

use futures_util::future::BoxFuture;

use super::{BuiltinCheck, Check, CheckId, CheckResult};
use crate::config::{Group, Reader, Secrecy, SecretUrl, var};
use crate::metrics::{Metric, Unit};
use crate::net::pg::{ConnectError, Target, describe};
use crate::net::tls::Trust;
use crate::status::Status;
use crate::text::{self, millis};

/// Client backends only: background workers do not use up `max_connections`.
/// `reserved_connections` exists from PostgreSQL 16 on: asked with
/// `missing_ok`, older servers answer NULL.
const FACTS_QUERY: &str = "SELECT current_setting('server_version'), \
     current_setting('max_connections'), \
     current_setting('superuser_reserved_connections'), \
     current_setting('reserved_connections', true), \
     (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'), \
     pg_is_in_recovery(), \
     CASE WHEN NOT pg_is_in_recovery() THEN NULL \
          WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
          ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END, \
     (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())";

pub const CHECK: BuiltinCheck = BuiltinCheck {
    name: "database",
    alias: Some("db"),
    help: "PostgreSQL (DATABASE_URL).",
    configured_by: "DATABASE_URL",
    group: Group {
        key: "database",
        title: "Database (PostgreSQL)",
        vars: &[
            var(
                "DATABASE_URL",
                Secrecy::UrlCredentials,
                None,
                "PostgreSQL URL, e.g. postgres://user:pass@host:5432/db?sslmode=verify-full&sslrootcert=/path/ca.pem.",
            ),
            var(
                "DB_CONNECTIONS_DEGRADED_PERCENT",
                Secrecy::Public,
                Some("80"),
                "Degraded when connections in use exceed this percentage of the connections applications can get (max_connections less superuser_reserved_connections and, from PostgreSQL 16, reserved_connections).",
            ),
            var(
                "DB_SLOW_MS",
                Secrecy::Public,
                Some("1000"),
                "Degraded when SELECT 1 takes longer than this many milliseconds.",
            ),
            var(
                "DB_CONNECT_SLOW_MS",
                Secrecy::Public,
                Some("1000"),
                "Degraded when connecting (TCP, TLS, authentication) takes longer than this many milliseconds.",
            ),
        ],
    },
    read: |r, trust| Box::new(Database::read(r, trust)),
};

pub struct Database {
    url: Option<SecretUrl>,
    /// Where the URL came from, for messages about it (`DATABASE_URL`).
    url_from: &'static str,
    connections_degraded_percent: f64,
    slow: Duration,
    connect_slow: Duration,
    /// A replica further behind is unhealthy (declared checks only).
    max_replication_lag: Option<Duration>,
    trust: Trust,
}

impl Database {
    pub fn read(r: &mut Reader<'_>, trust: &Trust) -> Self {
        let url = r.url("DATABASE_URL", &["postgres", "postgresql"]);
        Database::with_thresholds(url, "DATABASE_URL", r, trust)
    }

    /// The server at `url`, judged by the `DB_*` thresholds.
    fn with_thresholds(
        url: Option<SecretUrl>,
        url_from: &'static str,
        r: &mut Reader<'_>,
        trust: &Trust,
    ) -> Self {
        Database {
            url,
            url_from,
            connections_degraded_percent: r.percent("DB_CONNECTIONS_DEGRADED_PERCENT"),
            slow: r.millis("DB_SLOW_MS"),
            connect_slow: r.millis("DB_CONNECT_SLOW_MS"),
            max_replication_lag: None,
            trust: trust.clone(),
        }
    }

    /// Another PostgreSQL server, declared in vitals.toml (`kind =
    /// "postgres"`), judged as `check db` judges DATABASE_URL's with the
    /// same settings, and by its replication lag when `max_replication_lag` is given.
    pub fn declared(
        url: SecretUrl,
        r: &mut Reader<'_>,
        trust: &Trust,
        max_replication_lag: Option<Duration>,
    ) -> Self {
        Database {
            max_replication_lag,
            ..Database::with_thresholds(Some(url), "url", r, trust)
        }
    }
}

impl Check for Database {
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
            match Target::parse(url.expose()) {
                Ok(target) => self.probe(&target, deadline).await,
                Err(problem) => CheckResult::unhealthy(format!("{}: {problem}", self.url_from)),
            }
        })
    }

    /// `host:port/database`, as libpq would connect.
    fn target(&self) -> Option<String> {
        Target::parse(self.url.as_ref()?.expose())
            .ok()
            .map(|t| t.shown())
    }
}

/// The Python module's fields beyond status/response_time_ms/message
/// (docs/COMPATIBILITY.md). Its
/// `pool_size`/`pool_overflow` described a client pool a one-shot CLI does not
/// have; the server's own connection figures are reported instead.
#[derive(Debug, Default, Serialize)]
struct Facts {
    connect_time_ms: f64,
    server_version: Option<String>,
    max_connections: Option<u32>,
    /// Slots only superusers may take.
    superuser_reserved_connections: Option<u32>,
    /// Slots for roles with `pg_use_reserved_connections` (PostgreSQL 16
    /// and later; `null` before).
    reserved_connections: Option<u32>,
    /// What applications can get: `max_connections` less both reservations.
    available_connections: Option<u32>,
    connections_in_use: Option<u32>,
    /// Of `available_connections`.
    connections_percent: Option<f64>,
    is_replica: Option<bool>,
    replication_lag_seconds: Option<f64>,
    tls: Option<bool>,
}

impl Database {
    async fn probe(&self, target: &Target, deadline: Instant) -> CheckResult {
        let timeout = deadline.saturating_duration_since(Instant::now()) + super::GRACE;
        let started = Instant::now();
        let client = match target.connect(&self.trust, timeout).await {
            Ok(client) => client,
            Err(ConnectError::Setup(problem)) => {
                return CheckResult::unhealthy(problem.to_string());
            }
            Err(ConnectError::Connect(problem)) => {
                return self.failed(problem.to_string());
            }
        };
        let connect_time = started.elapsed();

        let query_started = Instant::now();
        if let Err(e) = client.simple_query("SELECT 1").await {
            return self.failed(format!(
                "{}: SELECT 1 failed: {}",
                target.shown(),
                describe(&e)
            ));
        }
        let query_time = query_started.elapsed();

        let mut facts = Facts {
            connect_time_ms: millis(connect_time),
            ..Facts::default()
        };
        let facts_error = match client.simple_query(FACTS_QUERY).await {
            Ok(messages) => read_facts(&messages, &mut facts).err(),
            Err(e) => Some(describe(&e)),
        };
        let (status, message) = self.judge(&facts, connect_time, query_time, facts_error);
        CheckResult::new(status, message)
            .with_response_time(query_time)
            .with_response_threshold(self.slow)
            .with_details(&facts)
            .with_metrics(self.metrics(&facts, Some(connect_time)))
    }

    /// Nothing was measured: no time, and every metric unknown.
    fn failed(&self, message: String) -> CheckResult {
        CheckResult::unhealthy(message)
            .with_response_threshold(self.slow)
            .with_metrics(self.metrics(&Facts::default(), None))
    }

    fn metrics(&self, facts: &Facts, connect_time: Option<Duration>) -> Vec<Metric> {
        let available = facts.available_connections.map(f64::from);
        let mut metrics = vec![
            Metric::gauge(
                "database_connections",
                "Client connections in use (pg_stat_activity).",
                Unit::Count,
                facts.connections_in_use.map(f64::from),
            )
            .warn(available.map(|a| a * self.connections_degraded_percent / 100.0))
            .max(available),
            Metric::gauge(
                "database_max_connections",
                "The server's max_connections.",
                Unit::Count,
                facts.max_connections.map(f64::from),
            ),
            Metric::gauge(
                "database_available_connections",
                "Connections applications can get: max_connections less the reserved ones.",
                Unit::Count,
                available,
            ),
            Metric::gauge(
                "database_connect_seconds",
                "Connection set-up: TCP, TLS and authentication.",
                Unit::Seconds,
                connect_time.map(|t| t.as_secs_f64()),
            )
            .warn(Some(self.connect_slow.as_secs_f64())),
            Metric::gauge(
                "database_replica",
                "1 when the server is a replica (in recovery).",
                Unit::Count,
                facts.is_replica.map(|r| f64::from(u8::from(r))),
            ),
        ];
        if facts.is_replica == Some(true) {
            metrics.push(Metric::gauge(
                "database_replication_lag_seconds",
                "How far the replica's replay is behind.",
                Unit::Seconds,
                facts.replication_lag_seconds,
            ));
        }
        metrics
    }

    fn judge(
        &self,
        facts: &Facts,
        connect_time: Duration,
        query_time: Duration,
        facts_error: Option<String>,
    ) -> (Status, String) {
        if let (Some(max), Some(lag)) = (self.max_replication_lag, facts.replication_lag_seconds)
            && facts.is_replica == Some(true)
            && lag > max.as_secs_f64()
        {
            return (
                Status::Unhealthy,
                format!(
                    "replication lag {lag:.3} s, over max_replication_lag ({})",
                    text::duration(max)
                ),
            );
        }
        if let (Some(percent), Some(used), Some(available)) = (
            facts.connections_percent,
            facts.connections_in_use,
            facts.available_connections,
        ) && percent > self.connections_degraded_percent
        {
            let of = match reservations(facts) {
                Some(reserved) => format!(
                    "the {available} applications can get ({used} in use; max_connections {} \
                     less {reserved})",
                    facts.max_connections.unwrap_or_default()
                ),
                None => format!("max_connections ({used}/{available})"),
            };
            return (
                Status::Degraded,
                format!(
                    "connections at {percent:.0}% of {of}, above the {}% threshold",
                    self.connections_degraded_percent
                ),
            );
        }
        if connect_time > self.connect_slow {
            return (
                Status::Degraded,
                text::slow("connecting took", connect_time, self.connect_slow),
            );
        }
        if query_time > self.slow {
            return (
                Status::Degraded,
                text::slow("SELECT 1 took", query_time, self.slow),
            );
        }
        match facts_error {
            // The server answers queries; not being allowed to read its statistics is no outage.
            Some(problem) => (
                Status::Healthy,
                format!("Database operational (server facts unavailable: {problem})"),
            ),
            None => (Status::Healthy, "Database operational".to_owned()),
        }
    }
}

/// The reservations that make `available_connections` smaller than
/// `max_connections` ("1 reserved for superusers"), `None` when there are none.
fn reservations(facts: &Facts) -> Option<String> {
    let held: Vec<String> = [
        (facts.superuser_reserved_connections, "for superusers"),
        (facts.reserved_connections, "for pg_use_reserved_connections"),
    ]
    .into_iter()
    .filter_map(|(n, whom)| n.filter(|&n| n > 0).map(|n| format!("{n} reserved {whom}")))
    .collect();
    (!held.is_empty()).then(|| held.join(" and "))
}

fn read_facts(messages: &[SimpleQueryMessage], facts: &mut Facts) -> Result<(), String> {
    let row = messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        })
        .ok_or_else(|| "the facts query returned no row".to_owned())?;
    let text = |i: usize| row.try_get(i).ok().flatten();
    let number = |i: usize| text(i).and_then(|v| v.parse::<u32>().ok());
    facts.server_version = text(0).map(str::to_owned);
    facts.max_connections = number(1);
    facts.superuser_reserved_connections = number(2);
    facts.reserved_connections = number(3);
    facts.connections_in_use = number(4);
    facts.is_replica = text(5).map(|v| v == "t");
    facts.replication_lag_seconds = text(6)
        .and_then(|v| v.parse::<f64>().ok())
        .map(|s| (s * 1000.0).round() / 1000.0);
    facts.tls = text(7).map(|v| v == "t");
    facts.available_connections = facts.max_connections.map(|max| {
        max.saturating_sub(facts.superuser_reserved_connections.unwrap_or(0))
            .saturating_sub(facts.reserved_connections.unwrap_or(0))
    });
    if let (Some(used), Some(available)) = (facts.connections_in_use, facts.available_connections)
        && available > 0
    {
        facts.connections_percent =
            Some((f64::from(used) * 10_000.0 / f64::from(available)).round() / 100.0);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_need_a_row() {
        assert_eq!(
            read_facts(&[], &mut Facts::default()),
            Err("the facts query returned no row".to_owned())
        );
    }
}
