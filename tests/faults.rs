//! The fault matrix of docs/RELIABILITY.md: the rows no other test file
//! covers exactly. Each test is one row, run against real servers (or local
//! stand-ins that misbehave on purpose), and asserts the status, the exit
//! code and the message.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::alerts::send_args;
use crate::support::certs::TestCa;
use crate::support::cmd::Test;
use crate::support::http::{HttpServer, Reply, Request};
use crate::support::net::SilentServer;
use crate::support::net::{Proxy, free_port};
use crate::support::postgres::{PgOptions, PgServer};
use crate::support::random_token;
use crate::support::redis::{RedisOptions, RedisServer};

// --- Signals ---------------------------------------------------------------

#[test]
fn sigint_during_check_all_exits_3_at_once_with_a_whole_json_document() {
    let (pg, redis) = (SilentServer::start(), SilentServer::start());
    let out = Test::new()
        .env(
            "DATABASE_URL",
            format!("postgres://u:p@127.0.0.1:{}/db", pg.port()),
        )
        .env("REDIS_URL", format!("redis://127.0.0.1:{}", redis.port()))
        .args(["check", "all", "--json", "--timeout", "20s"])
        // Both checks are connected and waiting for an answer: work in progress.
        .run_interrupted("INT", || pg.connections() == 1 && redis.connections() == 1);
    out.assert_code(3);
    // Not half a document: one that says why there is no result.
    assert_eq!(
        out.json(),
        serde_json::json!({
            "overall_status": "unknown",
            "error": "interrupted by SIGINT: the checks were stopped before they had a result"
        })
    );
    assert_eq!(
        out.stderr,
        "error: interrupted by SIGINT: the checks were stopped before they had a result\n"
    );
    // Both checks hang for 20 s: stopping well before proves nobody waited for them.
    out.assert_within(Duration::from_secs(15));
}

#[test]
fn sigterm_during_alert_send_exits_3_without_a_result() {
    let slack = HttpServer::replying(Reply::Hang);
    let test = Test::new()
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/{}", slack.url(), random_token()),
        )
        .args(send_args("critical", "full"))
        .args(["--timeout", "20s"]);
    // The request is out and Slack is not answering: a delivery in progress.
    let out = test.run_interrupted("TERM", || slack.request_count() == 1);
    out.assert_code(3);
    assert_eq!(out.stdout, "");
    // What was in flight is in the store, as unknown: follow-ups will reach Slack.
    let listed = Test::new()
        .env("VITALS_STATE", test.state_dir().join("vitals/alerts.db"))
        .args(["alert", "list", "--json"])
        .run();
    let alert = &listed.json()[0];
    assert_eq!(alert["deliveries"][0]["outcome"], "unknown");
    assert_eq!(
        out.stderr,
        format!(
            "error: interrupted by SIGTERM: alert {}: 0 notification(s) finished, 1 still in \
             progress; recorded (those in progress as unknown: they may have reached their \
             channel), and no result was printed\n",
            alert["id"].as_str().unwrap_or_default()
        )
    );
    out.assert_within(Duration::from_secs(15));
    assert_eq!(slack.request_count(), 1);
}

// --- HTTP: every HTTP target at once ------------------------------------------

/// The HTTP targets vitals talks to, told apart by the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Target {
    Anthropic,
    SendGridScopes,
    Agents,
    Slack,
    Twilio,
    SendGrid,
    PagerDuty,
}

impl Target {
    fn of(path: &str) -> Target {
        match path {
            "/v1/models" => Target::Anthropic,
            "/v3/scopes" => Target::SendGridScopes,
            "/v3/mail/send" => Target::SendGrid,
            "/v2/enqueue" => Target::PagerDuty,
            p if p.starts_with("/services/") => Target::Slack,
            p if p.starts_with("/2010-04-01/") => Target::Twilio,
            _ => Target::Agents,
        }
    }

    /// What the real service answers on success.
    fn success(self) -> Reply {
        match self {
            Target::Anthropic => Reply::json(200, &json!({"data": [], "has_more": false})),
            Target::SendGridScopes => Reply::json(200, &json!({"scopes": ["mail.send"]})),
            Target::Agents => Reply::json(
                200,
                &json!({"agents": [{"id": "a1", "state": "idle"}], "tasks": {"pending": 0, "active": 0, "completed": 3}}),
            ),
            Target::Slack => Reply::text(200, "ok"),
            Target::Twilio => Reply::json(201, &json!({"sid": "SM0101", "status": "queued"})),
            Target::SendGrid => Reply::status(202).header("X-Message-Id", "sg-1"),
            Target::PagerDuty => Reply::json(
                202,
                &json!({"status": "success", "message": "Event processed", "dedup_key": "disk_full"}),
            ),
        }
    }
}

/// One server playing every target: `reply(target, n)` answers the n-th
/// request (from 0) that target received.
fn every_target(reply: impl Fn(Target, usize) -> Reply + Send + Sync + 'static) -> HttpServer {
    HttpServer::start(counting(reply))
}

fn counting(
    reply: impl Fn(Target, usize) -> Reply + Send + Sync + 'static,
) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    let seen = Mutex::new(HashMap::new());
    move |req: &Request| {
        let target = Target::of(req.path());
        let n = {
            let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            let count = seen.entry(target).or_insert(0usize);
            *count += 1;
            *count - 1
        };
        reply(target, n)
    }
}

/// `vitals` with every HTTP target at `base`: two built-in APIs, the
/// orchestrator endpoint, and all four HTTP alert providers.
fn at(base: &str) -> Test {
    Test::new()
        .env("ANTHROPIC_API_KEY", format!("sk-ant-{}", random_token()))
        .env("ANTHROPIC_BASE_URL", base)
        .env("AGENT_REGISTRY_URL", format!("{base}/status"))
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{base}/services/T0/B0/{}", random_token()),
        )
        .env("TWILIO_BASE_URL", base)
        .env("TWILIO_ACCOUNT_SID", format!("AC{}", random_token()))
        .env("TWILIO_AUTH_TOKEN", random_token())
        .env("TWILIO_FROM_NUMBER", "+14155550100")
        .env("ALERT_SMS_RECIPIENTS", "+14155550101")
        .env("EMAIL_PROVIDER", "sendgrid")
        .env("SENDGRID_API_KEY", format!("SG.{}", random_token()))
        .env("SENDGRID_BASE_URL", base)
        .env("ALERT_EMAIL_RECIPIENTS", "ops@example.com")
        .env("PAGERDUTY_BASE_URL", base)
        .env("PAGERDUTY_ROUTING_KEY", random_token())
        .env("ALERT_RETRY_BACKOFF", "10ms")
}

/// What the checks found: (what, status, message), services and agents.
fn checked(test: Test, timeout: &str) -> (i32, Vec<(String, String, String)>) {
    let out = test
        .args(["check", "all", "--json", "--timeout", timeout])
        .run();
    let v = out.json();
    let mut found = Vec::new();
    for name in ["anthropic_api", "sendgrid_api"] {
        let s = &v["checks"]["external_services"]["services"][name];
        found.push((name.to_owned(), text(&s["status"]), text(&s["message"])));
    }
    let agents = &v["checks"]["agents"];
    found.push((
        "agents".to_owned(),
        text(&agents["status"]),
        text(&agents["message"]),
    ));
    (out.code, found)
}

/// What became of each notification: (channel, outcome, attempts, error).
fn delivered(test: Test, timeout: &str) -> (i32, Vec<(String, String, u64, String)>) {
    let out = test
        .args(send_args("critical", "disk full"))
        .args(["--timeout", timeout])
        .run();
    let deliveries = out.json()["deliveries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let found = deliveries
        .iter()
        .map(|d| {
            (
                text(&d["channel"]),
                text(&d["outcome"]),
                d["attempts"].as_u64().unwrap_or_default(),
                text(&d["error"]),
            )
        })
        .collect();
    (out.code, found)
}

/// `host:port` of a stand-in's base URL, as failure messages name what was tried.
fn tried(base: &str) -> String {
    base.split_once("://")
        .map_or(base, |(_, rest)| rest)
        .trim_end_matches('/')
        .to_owned()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn row(what: &str, status: &str, message: &str) -> (String, String, String) {
    (what.to_owned(), status.to_owned(), message.to_owned())
}

/// Both built-in APIs with one `(status, message)`, the agents endpoint with another.
fn apis_and_agents(apis: (&str, &str), agents: (&str, &str)) -> Vec<(String, String, String)> {
    vec![
        row("anthropic_api", apis.0, apis.1),
        row("sendgrid_api", apis.0, apis.1),
        row("agents", agents.0, agents.1),
    ]
}

fn sent(channel: &str, outcome: &str, attempts: u64, error: &str) -> (String, String, u64, String) {
    (
        channel.to_owned(),
        outcome.to_owned(),
        attempts,
        error.to_owned(),
    )
}

/// The same failure from every provider: each delivery says `error` after `attempts`.
fn all_failed(email: (u64, &str), sms: (u64, &str)) -> Vec<(String, String, u64, String)> {
    all_ended("failed", email, sms)
}

/// Every request went out and none was answered: each may have arrived.
fn all_unknown(email: (u64, &str), sms: (u64, &str)) -> Vec<(String, String, u64, String)> {
    all_ended("unknown", email, sms)
}

fn all_ended(
    outcome: &str,
    email: (u64, &str),
    sms: (u64, &str),
) -> Vec<(String, String, u64, String)> {
    vec![
        sent("email", outcome, email.0, email.1),
        sent("slack", outcome, email.0, email.1),
        sent("sms", outcome, sms.0, sms.1),
        sent("pagerduty", outcome, email.0, email.1),
    ]
}

fn all_delivered(attempts: u64) -> Vec<(String, String, u64, String)> {
    ["email", "slack", "sms", "pagerduty"]
        .map(|c| sent(c, "delivered", attempts, ""))
        .to_vec()
}

const MAY_HAVE_BEEN_SENT: &str =
    "not retried: the message may have been sent, and must not arrive twice";

#[test]
fn http_refused() {
    let base = format!("http://127.0.0.1:{}", free_port());
    let at_ = tried(&base);
    let refused = format!("{at_}: connection refused");
    assert_eq!(
        checked(at(&base), "2s"),
        (
            2,
            apis_and_agents(
                ("unhealthy", &refused),
                ("unhealthy", &format!("{at_}/status: connection refused"))
            )
        )
    );
    // Nothing was sent, so even SMS is tried again.
    let gave_up = &format!("{at_}: connection refused; gave up after 3 attempts");
    assert_eq!(
        delivered(at(&base), "2s"),
        (2, all_failed((3, gave_up), (3, gave_up)))
    );
}

#[test]
fn http_reset_mid_response() {
    let server = every_target(|_, _| Reply::ResetMidway);
    let at_ = tried(&server.url());
    let closed = &format!("{at_}: the connection was closed before the whole response arrived");
    assert_eq!(
        checked(at(&server.url()), "2s"),
        (
            2,
            apis_and_agents(
                ("unhealthy", closed),
                (
                    "unhealthy",
                    &format!(
                        "{at_}/status: the connection was closed before the whole response arrived"
                    )
                )
            )
        )
    );
    assert_eq!(
        delivered(at(&server.url()), "2s"),
        (
            2,
            all_unknown(
                (3, &format!("{closed}; gave up after 3 attempts")),
                (1, &format!("{closed}; {MAY_HAVE_BEEN_SENT}")),
            )
        )
    );
}

#[test]
fn http_slowloris_one_byte_per_second() {
    let server = every_target(|target, _| Reply::Slowloris {
        response: Box::new(target.success()),
        per_byte: Duration::from_secs(1),
    });
    let at_ = tried(&server.url());
    let timed_out = &format!("{at_}: timed out after 1.5 s");
    let checks_started = std::time::Instant::now();
    assert_eq!(
        checked(at(&server.url()), "1500ms"),
        (
            2,
            apis_and_agents(
                ("unhealthy", timed_out),
                ("unhealthy", &format!("{at_}/status: timed out after 1.5 s"))
            )
        )
    );
    assert!(
        checks_started.elapsed() < Duration::from_secs(5),
        "{:?}",
        checks_started.elapsed()
    );
    let started = std::time::Instant::now();
    assert_eq!(
        delivered(at(&server.url()), "1500ms"),
        (
            2,
            all_unknown(
                (3, &format!("{timed_out}; gave up after 3 attempts")),
                (1, &format!("{timed_out}; {MAY_HAVE_BEEN_SENT}")),
            )
        )
    );
    // Three attempts of 1.5 s, within the 4 × timeout budget.
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn http_ten_megabyte_body() {
    let server = every_target(|target, _| target.success().body(vec![b'x'; 10 * 1024 * 1024]));
    assert_eq!(
        checked(at(&server.url()), "5s"),
        (
            2,
            apis_and_agents(
                ("healthy", "API key accepted"),
                (
                    "unhealthy",
                    &format!(
                        "{}/status: response body larger than 1048576 bytes",
                        tried(&server.url())
                    )
                )
            )
        )
    );
    // The providers accepted: a long answer does not make that a failure.
    assert_eq!(delivered(at(&server.url()), "5s"), (0, all_delivered(1)));
}

#[test]
fn http_redirect_loop() {
    let server = every_target(|_, _| Reply::status(302).header("location", "/status"));
    assert_eq!(
        checked(at(&server.url()), "2s"),
        (
            2,
            vec![
                row(
                    "anthropic_api",
                    "unhealthy",
                    "unexpected HTTP 302 (expected 200-299)"
                ),
                row(
                    "sendgrid_api",
                    "unhealthy",
                    "unexpected HTTP 302 (expected 200-299)"
                ),
                row(
                    "agents",
                    "unhealthy",
                    &format!("{}/status: too many redirects", tried(&server.url()))
                ),
            ]
        )
    );
    let loop_ = &format!("{}: too many redirects", tried(&server.url()));
    assert_eq!(
        delivered(at(&server.url()), "2s"),
        (2, all_failed((1, loop_), (1, loop_)))
    );
}

#[test]
fn http_invalid_tls() {
    let untrusted = TestCa::new("a CA nobody trusts");
    let server = HttpServer::start_tls(
        &untrusted.issue(&["localhost"]),
        counting(|t, _| t.success()),
    );
    let why = "server certificate is not signed by a trusted CA (unknown issuer; set SSL_CERT_FILE or sslrootcert)";
    let at_ = tried(&server.url());
    let bad = &format!("{at_}: {why}");
    assert_eq!(
        checked(at(&server.url()), "2s"),
        (
            2,
            apis_and_agents(
                ("unhealthy", bad),
                ("unhealthy", &format!("{at_}/status: {why}"))
            )
        )
    );
    // A certificate that is not trusted now will not be in a second either.
    assert_eq!(
        delivered(at(&server.url()), "2s"),
        (2, all_failed((1, bad), (1, bad)))
    );
    assert_eq!(
        server.request_count(),
        0,
        "no request may cross an untrusted handshake"
    );
}

#[test]
fn http_429_with_and_without_retry_after() {
    for retry_after in [Some("1"), None] {
        let server = every_target(move |target, n| match (n, retry_after) {
            (0, Some(wait)) => Reply::text(429, "slow down").header("Retry-After", wait),
            (0, None) => Reply::text(429, "slow down"),
            _ => target.success(),
        });
        let limited = match retry_after {
            Some(_) => "rate limited (HTTP 429, retry after 1.0 s)",
            None => "rate limited (HTTP 429)",
        };
        assert_eq!(
            checked(at(&server.url()), "5s"),
            (
                2,
                apis_and_agents(
                    ("degraded", limited),
                    (
                        "unhealthy",
                        &format!(
                            "{}/status: the status endpoint answered HTTP 429 (expected 2xx)",
                            tried(&server.url())
                        )
                    )
                )
            ),
            "Retry-After {retry_after:?}"
        );
        let started = std::time::Instant::now();
        // A 429 was not acted on: every channel, SMS included, tries again and delivers.
        assert_eq!(delivered(at(&server.url()), "5s"), (0, all_delivered(2)));
        if retry_after.is_some() {
            assert!(
                started.elapsed() >= Duration::from_secs(1),
                "Retry-After not honoured"
            );
        }
    }
}

#[test]
fn http_5xx_flapping() {
    let server = every_target(|target, n| {
        if n % 2 == 0 {
            Reply::text(503, "upstream down")
        } else {
            target.success()
        }
    });
    // Each run reports what it saw: down, then up.
    assert_eq!(
        checked(at(&server.url()), "2s"),
        (
            2,
            apis_and_agents(
                ("unhealthy", "server error (HTTP 503)"),
                (
                    "unhealthy",
                    &format!(
                        "{}/status: the status endpoint answered HTTP 503 (expected 2xx)",
                        tried(&server.url())
                    )
                )
            )
        )
    );
    assert_eq!(
        checked(at(&server.url()), "2s"),
        (
            0,
            apis_and_agents(
                ("healthy", "API key accepted"),
                ("healthy", "All agents operational")
            )
        )
    );
    // A retry rides out the flap; SMS may have been sent, so it is not retried.
    assert_eq!(
        delivered(at(&server.url()), "2s"),
        (
            1,
            vec![
                sent("email", "delivered", 2, ""),
                sent("slack", "delivered", 2, ""),
                sent(
                    "sms",
                    "failed",
                    1,
                    &format!(
                        "{}: HTTP 503: upstream down; {MAY_HAVE_BEEN_SENT}",
                        tried(&server.url())
                    )
                ),
                sent("pagerduty", "delivered", 2, ""),
            ]
        )
    );
}

// --- PostgreSQL --------------------------------------------------------------

/// The PID of the backend serving vitals (its `application_name`), asked of `admin_url`.
fn vitals_backend(admin_url: &str) -> u32 {
    let mut admin =
        ::postgres::Client::connect(admin_url, ::postgres::NoTls).expect("admin connection");
    let pid: i32 = admin
        .query_one(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'vitals'",
            &[],
        )
        .expect("vitals' backend")
        .get(0);
    u32::try_from(pid).expect("positive PID")
}

fn kill(signal: &str, pid: u32) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// `vitals check db` through a proxy that runs `fault` once vitals has
/// logged in and sends `SELECT 1`, before the server sees it.
fn check_db_with_fault_before_select(
    pg: &PgServer,
    timeout: &str,
    fault: impl FnOnce(u32) + Send + 'static,
) -> crate::support::cmd::Outcome {
    let admin = pg.url("postgres");
    let proxy = Proxy::start(pg.port(), b"SELECT 1", move || {
        fault(vitals_backend(&admin))
    });
    Test::new()
        .env(
            "DATABASE_URL",
            format!(
                "postgres://postgres:{}@127.0.0.1:{}/postgres?sslmode=disable",
                pg.password(),
                proxy.port()
            ),
        )
        .args(["check", "db", "--json", "--timeout", timeout])
        .run()
}

#[test]
fn postgres_paused_mid_query() {
    let pg = PgServer::shared();
    let frozen = Arc::new(Mutex::new(None));
    let record = frozen.clone();
    let out = check_db_with_fault_before_select(pg, "1s", move |backend| {
        kill("STOP", backend);
        *record.lock().unwrap_or_else(|e| e.into_inner()) = Some(backend);
    });
    let backend = *frozen.lock().unwrap_or_else(|e| e.into_inner());
    // Thawed before anything can fail: the shared server must not keep a frozen backend.
    if let Some(backend) = backend {
        kill("CONT", backend);
    }
    assert!(
        backend.is_some(),
        "the proxy never saw SELECT 1: the backend was not paused"
    );
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["status"], "unhealthy");
    let message = text(&v["message"]);
    assert!(
        message.starts_with("127.0.0.1:") && message.ends_with("/postgres: timed out after 1.0 s"),
        "{message}"
    );
    out.assert_within(Duration::from_millis(2500));
}

#[test]
fn postgres_killed_between_connect_and_query() {
    // A backend killed with SIGKILL makes the postmaster reset every
    // connection: a server of its own, not the shared one.
    let pg = PgServer::start(PgOptions::default());
    let out = check_db_with_fault_before_select(&pg, "5s", |backend| kill("KILL", backend));
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["status"], "unhealthy");
    let message = text(&v["message"]);
    assert!(
        message.starts_with("127.0.0.1:")
            && message.ends_with("/postgres: SELECT 1 failed: the server closed the connection"),
        "{message}"
    );
}

#[test]
fn postgres_read_only_replica_is_healthy_and_says_replica() {
    let primary = PgServer::start(PgOptions::default());
    let replica = primary.start_replica();
    let out = Test::new()
        .env("DATABASE_URL", replica.url("postgres"))
        .args(["check", "db", "--json"])
        .run();
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["status"], "healthy");
    assert_eq!(v["message"], "Database operational");
    assert_eq!(v["is_replica"], true);
    assert_eq!(v["replication_lag_seconds"], 0.0);

    // The primary, for contrast.
    let out = Test::new()
        .env("DATABASE_URL", primary.url("postgres"))
        .args(["check", "db", "--json"])
        .run();
    out.assert_code(0);
    assert_eq!(out.json()["is_replica"], false);
}

// --- Redis -------------------------------------------------------------------

#[test]
fn redis_maxmemory_reached_with_noeviction() {
    let redis = RedisServer::start(RedisOptions {
        maxmemory: Some("2mb".into()),
        maxmemory_policy: Some("noeviction".into()),
        ..RedisOptions::default()
    });
    // Fill it until Redis refuses writes, as an application would see it.
    let mut con = redis.client();
    let refused = (0..200).find_map(|i| {
        redis::cmd("SET")
            .arg(format!("fill:{i}"))
            .arg("x".repeat(64 * 1024))
            .query::<()>(&mut con)
            .err()
    });
    let refused = refused.expect("Redis never refused a write");
    assert_eq!(refused.code(), Some("OOM"), "{refused}");

    let out = Test::new()
        .env("REDIS_URL", redis.url())
        .args(["check", "cache", "--json"])
        .run();
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["status"], "unhealthy");
    assert_eq!(v["memory_limit_source"], "maxmemory");
    let percent = v["memory_usage_percent"].as_f64().expect("percent");
    assert!(percent >= 100.0, "{v}");
    assert_eq!(
        v["message"],
        format!(
            "out of memory: used_memory is {percent:.1}% of maxmemory and maxmemory-policy is \
             noeviction, so Redis refuses writes"
        )
    );
}

// --- The document ------------------------------------------------------------

/// docs/RELIABILITY.md names a test for every row: each name must be a test
/// that exists, in the file (or, for `src`, the module) it says.
#[test]
fn reliability_doc_names_only_tests_that_exist() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/RELIABILITY.md")).expect("read the doc");
    let mut checked = 0;
    for name in doc
        .split('`')
        .filter(|s| s.contains("::") && !s.contains(' '))
    {
        let parts: Vec<&str> = name.split("::").collect();
        let (Some(test), Some(first)) = (parts.last(), parts.first()) else {
            continue;
        };
        let file = match first.strip_suffix(".rs") {
            Some(stem) => root.join("tests").join(format!("{stem}.rs")),
            None if parts.len() >= 3
                && matches!(parts[parts.len() - 2], "tests" | "properties") =>
            {
                let module = &parts[..parts.len() - 2];
                let as_file = root.join("src").join(format!("{}.rs", module.join("/")));
                // A module's tests may be a file of their own beside it (`config/properties.rs`).
                let own_file = root
                    .join("src")
                    .join(module.join("/"))
                    .join(format!("{}.rs", parts[parts.len() - 2]));
                if own_file.is_file() {
                    own_file
                } else if as_file.is_file() {
                    as_file
                } else {
                    root.join("src").join(module.join("/")).join("mod.rs")
                }
            }
            None => continue,
        };
        let source = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{name}: {}: {e}", file.display()));
        // `…name` abbreviates a sibling of the target named just before it.
        let test = test.trim_start_matches('…');
        assert!(
            source.contains(&format!("fn {test}(")) || source.contains(&format!("fn {test}")),
            "docs/RELIABILITY.md names {name}, which {} does not define",
            file.display()
        );
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} test names found in the doc");
}
