//! `vitals check agents` against a real Redis holding an RQ registry, and a
//! local orchestrator status endpoint.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::support::certs::TestCa;
use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};
use crate::support::redis::{RedisOptions, RedisServer};

fn check_agents(url: &str) -> Outcome {
    Test::new()
        .env("AGENT_REGISTRY_URL", url)
        .args(["check", "agents", "--json"])
        .run()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .expect("clock after 1970")
}

/// A time `offset` seconds from now in RQ's `utcformat`, with or without the fraction.
fn rq_time(offset: i64, fraction: bool) -> String {
    let t = chrono::DateTime::from_timestamp(unix_now() + offset, 123_456_000).expect("valid time");
    if fraction {
        t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }
}

/// Writes keys the way RQ workers and queues do.
struct Rq {
    con: redis::Connection,
}

impl Rq {
    fn new(server: &RedisServer) -> Rq {
        Rq {
            con: server.client(),
        }
    }

    fn cmd(&mut self, cmd: &mut redis::Cmd) {
        let _: redis::Value = cmd.query(&mut self.con).expect("redis command");
    }

    /// A worker hash as RQ 1.x and 2.x write it; `heartbeat_age` in seconds.
    fn worker(&mut self, name: &str, state: &str, heartbeat_age: i64, rq2: bool) {
        let key = format!("rq:worker:{name}");
        self.cmd(redis::cmd("SADD").arg("rq:workers").arg(&key));
        let mut hset = redis::cmd("HSET");
        hset.arg(&key)
            .arg("birth")
            .arg(rq_time(-3600, true))
            .arg("last_heartbeat")
            .arg(rq_time(-heartbeat_age, rq2))
            .arg("state")
            .arg(state)
            .arg("queues")
            .arg("default,high")
            .arg("pid")
            .arg("4242")
            .arg("hostname")
            .arg("worker-host")
            .arg("version")
            .arg(if rq2 { "2.1.0" } else { "1.16.2" })
            .arg("python_version")
            .arg("3.11.7")
            .arg("successful_job_count")
            .arg("12")
            .arg("failed_job_count")
            .arg("1")
            .arg("total_working_time")
            .arg("3.5");
        self.cmd(&mut hset);
    }

    /// Listed in `rq:workers` but its hash expired: a dead worker.
    fn dead_worker(&mut self, name: &str) {
        self.cmd(
            redis::cmd("SADD")
                .arg("rq:workers")
                .arg(format!("rq:worker:{name}")),
        );
    }

    fn queue(&mut self, name: &str, pending_jobs: usize) {
        self.cmd(
            redis::cmd("SADD")
                .arg("rq:queues")
                .arg(format!("rq:queue:{name}")),
        );
        for i in 0..pending_jobs {
            self.cmd(
                redis::cmd("RPUSH")
                    .arg(format!("rq:queue:{name}"))
                    .arg(format!("{name}-job-{i}")),
            );
        }
    }

    /// A registry entry scored, as RQ does, by its expiry time.
    fn registry(&mut self, registry: &str, queue: &str, member: &str, expires_in: i64) {
        self.cmd(
            redis::cmd("ZADD")
                .arg(format!("rq:{registry}:{queue}"))
                .arg(unix_now() + expires_in)
                .arg(member),
        );
    }
}

#[test]
fn rq_registry_counts_every_state_and_queue() {
    let redis = RedisServer::start(RedisOptions::default());
    let mut rq = Rq::new(&redis);
    rq.worker("w1", "idle", 5, false);
    rq.worker("w2", "busy", 5, true);
    rq.worker("w3", "started", 0, true);
    rq.worker("w4", "suspended", 5, false);
    rq.worker("w5", "busy", 20 * 60, true); // heartbeat older than 480 s
    rq.dead_worker("w6");
    rq.queue("default", 3);
    rq.queue("high", 0);
    rq.queue("low", 2);
    rq.registry("wip", "default", "job-a", 300); // RQ 1.x member
    rq.registry("wip", "high", "job-b:9f1c2d", 300); // RQ 2.x member
    rq.registry("wip", "default", "job-dead", -100); // expired: RQ would clean it up
    for (queue, job) in [
        ("default", "f1"),
        ("default", "f2"),
        ("default", "f3"),
        ("default", "f4"),
        ("low", "f5"),
    ] {
        rq.registry("finished", queue, job, 500);
    }
    rq.registry("finished", "low", "f-old", -1);
    rq.registry("failed", "default", "x1", 31_536_000);

    let out = check_agents(&redis.url());
    out.assert_code(1);
    let v = out.json();
    assert_eq!(v["status"], "degraded");
    assert_eq!(v["source"], "rq");
    assert_eq!(v["total_agents"], 6);
    assert_eq!(v["active_agents"], 3);
    assert_eq!(
        v["agent_breakdown"],
        json!({"idle": 2, "busy": 1, "error": 0, "offline": 3})
    );
    assert_eq!(v["pending_tasks"], 5);
    assert_eq!(v["active_tasks"], 2);
    assert_eq!(v["completed_tasks"], 5);
    assert_eq!(v["failed_tasks"], 1);
    assert_eq!(v["message"], "3 of 6 agents offline");
    let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
    assert_eq!(
        keys,
        [
            "status",
            "response_time_ms",
            "total_agents",
            "active_agents",
            "agent_breakdown",
            "pending_tasks",
            "active_tasks",
            "completed_tasks",
            "failed_tasks",
            "source",
            "message"
        ]
    );
}

#[test]
fn rq_thresholds_and_exit_codes() {
    let redis = RedisServer::start(RedisOptions::default());
    let url = redis.url();
    let mut rq = Rq::new(&redis);

    // Nothing registered: unhealthy.
    let out = check_agents(&url);
    out.assert_code(2);
    assert_eq!(out.json()["message"], "no agents registered");

    // Only suspended workers: none active.
    rq.worker("s1", "suspended", 1, true);
    let out = check_agents(&url);
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        "no active agents: 1 registered, none idle or busy"
    );

    // One idle worker, three pending tasks: healthy by default, degraded over a threshold of 2.
    rq.cmd(redis::cmd("DEL").arg("rq:workers"));
    rq.worker("i1", "idle", 1, true);
    rq.queue("default", 3);
    let out = check_agents(&url);
    out.assert_code(0);
    assert_eq!(out.json()["message"], "All agents operational");
    let out = Test::new()
        .env("AGENT_REGISTRY_URL", &url)
        .env("AGENT_QUEUE_DEGRADED_THRESHOLD", "2")
        .args(["check", "agents", "--json"])
        .run();
    out.assert_code(1);
    assert_eq!(out.json()["message"], "3 pending tasks (threshold 2)");

    // With a 10 s maximum age, a 1 s old heartbeat is fresh and a 30 s old one is not.
    rq.worker("i2", "idle", 30, false);
    let out = Test::new()
        .env("AGENT_REGISTRY_URL", &url)
        .env("AGENT_HEARTBEAT_MAX_AGE", "10s")
        .args(["check", "agents", "--json"])
        .run();
    out.assert_code(1);
    let v = out.json();
    assert_eq!(v["agent_breakdown"]["offline"], 1);
    assert_eq!(v["agent_breakdown"]["idle"], 1);
}

#[test]
fn rq_registry_of_a_thousand_workers_and_a_hundred_queues() {
    let redis = RedisServer::start(RedisOptions::default());
    let mut con = redis.client();
    let heartbeat = rq_time(-2, true);
    let mut pipe = redis::pipe();
    for i in 0..1000 {
        let key = format!("rq:worker:w{i}");
        pipe.cmd("SADD").arg("rq:workers").arg(&key).ignore();
        let state = if i % 10 == 0 { "busy" } else { "idle" };
        pipe.cmd("HSET")
            .arg(&key)
            .arg("state")
            .arg(state)
            .arg("last_heartbeat")
            .arg(&heartbeat)
            .arg("birth")
            .arg(&heartbeat)
            .ignore();
    }
    for q in 0..100 {
        pipe.cmd("SADD")
            .arg("rq:queues")
            .arg(format!("rq:queue:q{q}"))
            .ignore();
        pipe.cmd("RPUSH")
            .arg(format!("rq:queue:q{q}"))
            .arg("a")
            .arg("b")
            .ignore();
        pipe.cmd("ZADD")
            .arg(format!("rq:finished:q{q}"))
            .arg(unix_now() + 500)
            .arg("done")
            .ignore();
    }
    let _: () = pipe.query(&mut con).expect("seed registry");

    let out = Test::new()
        .env("AGENT_REGISTRY_URL", redis.url())
        .env("AGENT_QUEUE_DEGRADED_THRESHOLD", "1000")
        .args(["check", "agents", "--json"])
        .run();
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["total_agents"], 1000);
    assert_eq!(
        v["agent_breakdown"],
        json!({"idle": 900, "busy": 100, "error": 0, "offline": 0})
    );
    assert_eq!(v["pending_tasks"], 200);
    assert_eq!(v["completed_tasks"], 100);
    assert_eq!(v["failed_tasks"], 0);
}

#[test]
fn rq_registry_behind_a_password() {
    let redis = RedisServer::start(RedisOptions {
        requirepass: Some("rq-registry-secret-1".into()),
        ..RedisOptions::default()
    });
    Rq::new(&redis).worker("w", "idle", 1, true);
    let out = Test::new()
        .env("AGENT_REGISTRY_URL", redis.url())
        .args(["check", "agents", "--json", "-vv"])
        .run();
    out.assert_code(0)
        .assert_no_secrets(&["rq-registry-secret-1"]);
    let out = check_agents(&format!("redis://127.0.0.1:{}", redis.port()));
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        format!(
            "127.0.0.1:{}: authentication required: put the password in REDIS_URL or set \
             REDIS_PASSWORD",
            redis.port()
        )
    );
    // REDIS_PASSWORD applies where the URL has none, as for the cache.
    let out = Test::new()
        .env(
            "AGENT_REGISTRY_URL",
            format!("redis://127.0.0.1:{}", redis.port()),
        )
        .env("REDIS_PASSWORD", "rq-registry-secret-1")
        .args(["check", "agents", "--json"])
        .run();
    out.assert_code(0)
        .assert_no_secrets(&["rq-registry-secret-1"]);
    assert_eq!(out.json()["total_agents"], 1);
}

fn status_doc() -> Value {
    json!({
        "agents": [
            {"id": "a1", "state": "idle", "last_heartbeat": chrono::Utc::now().to_rfc3339()},
            {"id": "a2", "state": "idle"},
            {"id": "a3", "state": "busy", "last_heartbeat": chrono::Utc::now().to_rfc3339()}
        ],
        "tasks": {"pending": 10, "active": 2, "completed": 150}
    })
}

#[test]
fn http_status_endpoint_healthy() {
    let server = HttpServer::replying(Reply::json(200, &status_doc()));
    let out = check_agents(&format!("{}/status?verbose=1", server.url()));
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["status"], "healthy");
    assert_eq!(v["source"], "http");
    assert_eq!(v["total_agents"], 3);
    assert_eq!(v["active_agents"], 3);
    assert_eq!(
        v["agent_breakdown"],
        json!({"idle": 2, "busy": 1, "error": 0, "offline": 0})
    );
    assert_eq!(
        (
            v["pending_tasks"].clone(),
            v["active_tasks"].clone(),
            v["completed_tasks"].clone()
        ),
        (json!(10), json!(2), json!(150))
    );
    assert!(
        v.get("failed_tasks").is_none(),
        "not reported when unknown: {v}"
    );
    assert_eq!(v["message"], "All agents operational");
    let req = server.only_request();
    assert_eq!(
        (req.method.as_str(), req.target.as_str()),
        ("GET", "/status?verbose=1")
    );
    assert_eq!(req.header("accept"), Some("application/json"));
}

#[test]
fn http_status_endpoint_degraded_by_errors_and_offline_agents() {
    let doc = json!({
        "agents": [
            {"id": "a1", "state": "idle"},
            {"id": "a2", "state": "error"},
            {"id": "a3", "state": "busy", "last_heartbeat": "2020-01-01T00:00:00Z"}
        ],
        "tasks": {"pending": 0, "active": 0, "completed": 0, "failed": 3}
    });
    let server = HttpServer::replying(Reply::json(200, &doc));
    let out = check_agents(&server.url());
    out.assert_code(1);
    let v = out.json();
    assert_eq!(v["message"], "1 of 3 agents offline; 1 in error");
    assert_eq!(
        v["agent_breakdown"],
        json!({"idle": 1, "busy": 0, "error": 1, "offline": 1})
    );
    assert_eq!(v["failed_tasks"], 3);
}

#[test]
fn bad_status_documents_are_unhealthy_and_say_why() {
    let cases: Vec<(Reply, &str)> = vec![
        (
            Reply::json(
                200,
                &json!({"agents": [{"id": "a", "state": "napping"}], "tasks": {"pending": 0, "active": 0, "completed": 0}}),
            ),
            "status endpoint: agents[0].state is \"napping\", expected idle, busy, error or offline",
        ),
        (
            Reply::json(200, &json!({"agents": []})),
            "status endpoint: missing field \"tasks\"",
        ),
        (
            Reply::json(
                200,
                &json!({"agents": [], "tasks": {"pending": "ten", "active": 0, "completed": 0}}),
            ),
            "status endpoint: tasks.pending is not a whole number",
        ),
        (
            Reply::json(500, &json!({"error": "boom"})),
            "the status endpoint answered HTTP 500 (expected 2xx)",
        ),
        (
            Reply::status(200).body(vec![b'x'; 2 * 1024 * 1024]),
            "response body larger than 1048576 bytes",
        ),
    ];
    for (reply, expected) in cases {
        let server = HttpServer::replying(reply);
        let out = check_agents(&server.url());
        out.assert_code(2);
        let v = out.json();
        assert_eq!(v["status"], "unhealthy");
        assert_eq!(
            v["message"],
            format!("127.0.0.1:{}: {expected}", server.port())
        );
    }

    let server = HttpServer::replying(Reply::text(200, "<html>not json</html>"));
    let out = check_agents(&server.url());
    out.assert_code(2);
    let msg = out.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        msg,
        format!(
            "127.0.0.1:{}: the status endpoint did not answer with JSON",
            server.port()
        )
    );
}

#[test]
fn redirect_loops_and_slow_servers_are_bounded() {
    let looping =
        HttpServer::start(|req| Reply::status(302).header("location", &format!("{}x", req.target)));
    let out = check_agents(&format!("{}/status", looping.url()));
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        format!("127.0.0.1:{}/status: too many redirects", looping.port())
    );

    let hanging = HttpServer::replying(Reply::Hang);
    let out = Test::new()
        .env("AGENT_REGISTRY_URL", hanging.url())
        .args(["check", "agents", "--json", "--timeout", "1s"])
        .run();
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        format!("127.0.0.1:{}: timed out after 1.0 s", hanging.port())
    );
    out.assert_within(Duration::from_millis(2500));

    let dribbling = HttpServer::replying(Reply::Slowloris {
        response: Box::new(Reply::json(200, &status_doc())),
        per_byte: Duration::from_millis(50),
    });
    let out = Test::new()
        .env("AGENT_REGISTRY_URL", dribbling.url())
        .args(["check", "agents", "--json", "--timeout", "1s"])
        .run();
    out.assert_code(2);
    assert_eq!(out.json()["status"], "unhealthy");
    out.assert_within(Duration::from_millis(2500));
}

#[test]
fn https_status_endpoint_trusts_ssl_cert_file() {
    let ca = TestCa::new("vitals agents CA");
    let server = HttpServer::start_tls(&ca.issue(&["localhost"]), |_| {
        Reply::json(200, &status_doc())
    });
    let out = Test::new()
        .env("AGENT_REGISTRY_URL", server.url())
        .env("SSL_CERT_FILE", ca.ca_path())
        .args(["check", "agents", "--json"])
        .run();
    out.assert_code(0);
    assert_eq!(out.json()["total_agents"], 3);

    let out = check_agents(&server.url());
    out.assert_code(2);
    let msg = out.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(msg.contains("not signed by a trusted CA"), "{msg}");
}

#[test]
fn check_all_includes_agents() {
    let server = HttpServer::replying(Reply::json(200, &status_doc()));
    let out = Test::new()
        .env("AGENT_REGISTRY_URL", server.url())
        .args(["check", "all", "--json"])
        .run();
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["checks"]["agents"]["status"], "healthy");
    assert_eq!(v["overall_status"], "healthy");
}
