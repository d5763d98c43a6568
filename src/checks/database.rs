//! `check db`: PostgreSQL. Connect, time `SELECT 1`, then read the server's
//! facts in one more round trip.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{NoTls, SimpleQueryMessage};
use url::Url;

use super::{BoxFuture, Check, CheckId, CheckResult, chain_text, find_cause, millis};
use crate::config::{DatabaseConfig, SecretUrl};
use crate::metrics::{Metric, Unit};
use crate::status::Status;
use crate::tls::{self, Trust, Verify};

/// Client backends only: background workers do not use up `max_connections`.
const FACTS_QUERY: &str = "SELECT current_setting('server_version'), \
     current_setting('max_connections'), \
     (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'), \
     pg_is_in_recovery(), \
     CASE WHEN NOT pg_is_in_recovery() THEN NULL \
          WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
          ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END, \
     (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())";

/// Slack given to our own connect timeout so the runner's deadline, with its
/// uniform "timed out after …" message, fires first.
const GRACE: Duration = Duration::from_millis(250);

pub struct Database {
    url: Option<SecretUrl>,
    connections_degraded_percent: f64,
    slow: Duration,
    trust: Trust,
}

impl Database {
    pub fn new(config: &DatabaseConfig, trust: &Trust) -> Self {
        Database {
            url: config.url.clone(),
            connections_degraded_percent: config.connections_degraded_percent,
            slow: config.slow,
            trust: trust.clone(),
        }
    }
}

impl Check for Database {
    fn id(&self) -> CheckId {
        CheckId::Database
    }

    fn run(&self, deadline: Instant) -> BoxFuture<'_, CheckResult> {
        Box::pin(async move {
            let Some(url) = &self.url else {
                return CheckResult::unconfigured("DATABASE_URL");
            };
            match Target::parse(url.expose()) {
                Ok(target) => self.probe(&target, deadline).await,
                Err(problem) => CheckResult::unhealthy(format!("DATABASE_URL: {problem}")),
            }
        })
    }
}

/// The seed's fields beyond status/response_time_ms/message. The seed's
/// `pool_size`/`pool_overflow` described a client pool a one-shot CLI does not
/// have; the server's own connection figures are reported instead.
#[derive(Debug, Default, Serialize)]
struct Facts {
    connect_time_ms: f64,
    server_version: Option<String>,
    max_connections: Option<u32>,
    connections_in_use: Option<u32>,
    connections_percent: Option<f64>,
    is_replica: Option<bool>,
    replication_lag_seconds: Option<f64>,
    tls: Option<bool>,
}

impl Database {
    async fn probe(&self, target: &Target, deadline: Instant) -> CheckResult {
        let mut pg = target.config.clone();
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(deadline.saturating_duration_since(Instant::now()) + GRACE);
        }
        if pg.get_application_name().is_none() {
            pg.application_name("vitals");
        }
        tracing::debug!(
            "database: connecting to {} (sslmode {:?})",
            target.endpoint(),
            target.mode
        );
        let started = Instant::now();
        let connected = match target.tls(&self.trust) {
            Ok(None) => pg.connect(NoTls).await.map(|(client, conn)| {
                tokio::spawn(conn);
                client
            }),
            Ok(Some(tls)) => pg.connect(tls).await.map(|(client, conn)| {
                tokio::spawn(conn);
                client
            }),
            Err(problem) => return CheckResult::unhealthy(problem),
        };
        let client = match connected {
            Ok(client) => client,
            Err(e) => {
                return CheckResult::unhealthy(format!("{}: {}", target.endpoint(), describe(&e)))
                    .with_response_time(started.elapsed());
            }
        };
        let connect_time = started.elapsed();

        let query_started = Instant::now();
        if let Err(e) = client.simple_query("SELECT 1").await {
            return CheckResult::unhealthy(format!("SELECT 1 failed: {}", describe(&e)))
                .with_response_time(query_started.elapsed());
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
        let (status, message) = self.judge(&facts, query_time, facts_error);
        CheckResult::new(status, message)
            .with_response_time(query_time)
            .with_details(&facts)
            .with_metrics(self.metrics(&facts, connect_time))
    }

    fn metrics(&self, facts: &Facts, connect_time: Duration) -> Vec<Metric> {
        let max = facts.max_connections.map(f64::from);
        let mut metrics = vec![
            Metric::gauge(
                "database_connections",
                "Client connections in use (pg_stat_activity).",
                Unit::Count,
                facts.connections_in_use.map(f64::from),
            )
            .warn(max.map(|m| m * self.connections_degraded_percent / 100.0))
            .max(max),
            Metric::gauge(
                "database_max_connections",
                "The server's max_connections.",
                Unit::Count,
                max,
            ),
            Metric::gauge(
                "database_connect_seconds",
                "Connection set-up: TCP, TLS and authentication.",
                Unit::Seconds,
                Some(connect_time.as_secs_f64()),
            ),
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
        query_time: Duration,
        facts_error: Option<String>,
    ) -> (Status, String) {
        if let (Some(percent), Some(used), Some(max)) = (
            facts.connections_percent,
            facts.connections_in_use,
            facts.max_connections,
        ) && percent > self.connections_degraded_percent
        {
            return (
                Status::Degraded,
                format!(
                    "connections at {percent:.0}% of max_connections ({used}/{max}), above the {}% threshold",
                    self.connections_degraded_percent
                ),
            );
        }
        if query_time > self.slow {
            return (
                Status::Degraded,
                format!(
                    "slow: SELECT 1 took {:.2} ms (threshold {} ms)",
                    millis(query_time),
                    self.slow.as_millis()
                ),
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

fn read_facts(messages: &[SimpleQueryMessage], facts: &mut Facts) -> Result<(), String> {
    let row = messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        })
        .ok_or_else(|| "the facts query returned no row".to_owned())?;
    let text = |i: usize| row.try_get(i).ok().flatten();
    facts.server_version = text(0).map(str::to_owned);
    facts.max_connections = text(1).and_then(|v| v.parse().ok());
    facts.connections_in_use = text(2).and_then(|v| v.parse().ok());
    facts.is_replica = text(3).map(|v| v == "t");
    facts.replication_lag_seconds = text(4)
        .and_then(|v| v.parse::<f64>().ok())
        .map(|s| (s * 1000.0).round() / 1000.0);
    facts.tls = text(5).map(|v| v == "t");
    if let (Some(used), Some(max)) = (facts.connections_in_use, facts.max_connections)
        && max > 0
    {
        facts.connections_percent =
            Some((f64::from(used) * 10_000.0 / f64::from(max)).round() / 100.0);
    }
    Ok(())
}

/// libpq's `sslmode` levels, which tokio-postgres only partly knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Where `sslrootcert` points: libpq's default file is not used unless named.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RootCert {
    Default,
    System,
    File(PathBuf),
}

struct Target {
    config: tokio_postgres::Config,
    mode: Mode,
    root_cert: RootCert,
}

impl Target {
    /// Splits off the TLS parameters tokio-postgres does not understand and parses the rest.
    fn parse(url: &Url) -> Result<Target, String> {
        let mut mode = Mode::Prefer;
        let mut root_cert = RootCert::Default;
        let mut kept = Vec::new();
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "sslmode" => {
                    mode = match value.as_ref() {
                        "disable" => Mode::Disable,
                        "allow" | "prefer" => Mode::Prefer,
                        "require" => Mode::Require,
                        "verify-ca" => Mode::VerifyCa,
                        "verify-full" => Mode::VerifyFull,
                        other => {
                            return Err(format!(
                                "sslmode must be disable, allow, prefer, require, verify-ca or verify-full, not {other:?}"
                            ));
                        }
                    }
                }
                "sslrootcert" => {
                    root_cert = if value == "system" {
                        RootCert::System
                    } else {
                        RootCert::File(PathBuf::from(value.as_ref()))
                    }
                }
                "sslcert" | "sslkey" | "sslpassword" | "sslcrl" | "sslcrldir" => {
                    return Err(format!("{key} (client certificates) is not supported"));
                }
                _ => kept.push((key.into_owned(), value.into_owned())),
            }
        }
        let mut stripped = url.clone();
        stripped.set_query(None);
        if !kept.is_empty() {
            stripped.query_pairs_mut().extend_pairs(kept);
        }
        let mut config = tokio_postgres::Config::from_str(stripped.as_str())
            .map_err(|e| format!("not a usable PostgreSQL URL: {e}"))?;
        // libpq: with a root certificate given, `require` verifies the chain like `verify-ca`.
        if mode == Mode::Require && matches!(root_cert, RootCert::File(_)) {
            mode = Mode::VerifyCa;
        }
        config.ssl_mode(match mode {
            Mode::Disable => SslMode::Disable,
            Mode::Prefer => SslMode::Prefer,
            Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
        });
        Ok(Target {
            config,
            mode,
            root_cert,
        })
    }

    fn tls(
        &self,
        trust: &Trust,
    ) -> Result<Option<tokio_postgres_rustls::MakeRustlsConnect>, String> {
        let verify = match self.mode {
            Mode::Disable => return Ok(None),
            Mode::Prefer | Mode::Require => Verify::Nothing,
            Mode::VerifyCa => Verify::ChainOnly,
            Mode::VerifyFull => Verify::Full,
        };
        let roots = match (&self.root_cert, verify) {
            // Unverified TLS needs no trust anchors: skip reading any bundle.
            (_, Verify::Nothing) => rustls::RootCertStore::empty(),
            (RootCert::File(path), _) => tls::read_pem_file(path)
                .map(|pem| tls::roots_from_pem(&pem))
                .map_err(|e| format!("sslrootcert: {e}"))?,
            (RootCert::Default | RootCert::System, _) => trust.root_store()?,
        };
        let config = tls::client_config(roots, verify).map_err(|e| e.to_string())?;
        Ok(Some(tokio_postgres_rustls::MakeRustlsConnect::new(config)))
    }

    /// Host and port, never the credentials.
    fn endpoint(&self) -> String {
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        match self.config.get_hosts().first() {
            Some(Host::Tcp(host)) => format!("{host}:{port}"),
            Some(Host::Unix(dir)) => format!("{}/.s.PGSQL.{port}", dir.display()),
            None => format!("localhost:{port}"),
        }
    }
}

/// A short, specific reason: the server's own message when it sent one.
fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{} (SQLSTATE {})", db.message(), db.code().code());
    }
    if let Some(tls) = find_cause::<rustls::Error>(error) {
        return tls::describe(tls);
    }
    if let Some(io) = find_cause::<std::io::Error>(error) {
        match io.kind() {
            std::io::ErrorKind::ConnectionRefused => return "connection refused".to_owned(),
            std::io::ErrorKind::TimedOut => return "connection timed out".to_owned(),
            std::io::ErrorKind::ConnectionReset => {
                return "connection reset by the server".to_owned();
            }
            _ => {}
        }
    }
    let text = chain_text(error);
    if text.contains("failed to lookup address") || text.contains("Name or service not known") {
        return "could not resolve the host name".to_owned();
    }
    if text.contains("server does not support TLS") {
        return "the server does not support TLS, but sslmode requires it".to_owned();
    }
    if text.contains("unexpected message")
        || text.contains("invalid message")
        || text.contains("unknown authentication")
    {
        return format!("the server did not answer as PostgreSQL does ({text})");
    }
    if error.is_closed() || text.contains("unexpected EOF") {
        return format!("the server closed the connection ({text})");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Result<Target, String> {
        Target::parse(&Url::parse(url).map_err(|e| e.to_string())?)
    }

    #[test]
    fn sslmode_levels_are_understood() {
        let t = target(
            "postgres://u:p@db.example.com/app?sslmode=verify-full&sslrootcert=/ca.pem&connect_timeout=3",
        );
        let Ok(t) = t else { panic!("{:?}", t.err()) };
        assert_eq!(t.mode, Mode::VerifyFull);
        assert_eq!(t.root_cert, RootCert::File(PathBuf::from("/ca.pem")));
        assert_eq!(
            t.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        assert_eq!(t.endpoint(), "db.example.com:5432");
    }

    #[test]
    fn require_with_a_root_cert_verifies_the_chain() {
        let t = target("postgres://db/app?sslmode=require&sslrootcert=/ca.pem");
        assert_eq!(t.map(|t| t.mode), Ok(Mode::VerifyCa));
        let t = target("postgres://db/app?sslmode=require");
        let Ok(t) = t else { panic!("{:?}", t.err()) };
        assert_eq!(t.mode, Mode::Require);
        // No silent fallback to plain text once TLS is required.
        assert_eq!(t.config.get_ssl_mode(), SslMode::Require);
    }

    #[test]
    fn disable_means_plain_text() {
        let t = target("postgresql://db:6543/app?sslmode=disable");
        let Ok(t) = t else { panic!("{:?}", t.err()) };
        assert_eq!(t.mode, Mode::Disable);
        assert_eq!(t.config.get_ssl_mode(), SslMode::Disable);
        assert_eq!(t.endpoint(), "db:6543");
    }

    #[test]
    fn bad_parameters_are_reported() {
        let e = target("postgres://db/app?sslmode=sometimes")
            .err()
            .unwrap_or_default();
        assert!(e.contains("sslmode must be"), "{e}");
        let e = target("postgres://db/app?sslcert=/c.pem")
            .err()
            .unwrap_or_default();
        assert!(
            e.contains("sslcert (client certificates) is not supported"),
            "{e}"
        );
    }

    #[test]
    fn facts_need_a_row() {
        assert_eq!(
            read_facts(&[], &mut Facts::default()),
            Err("the facts query returned no row".to_owned())
        );
    }
}
