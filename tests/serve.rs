//! `vitals serve` against real servers: its API equals the CLI's JSON, its
//! metrics parse with Prometheus' own parser, rounds follow a dependency
//! going down and coming back (one alert, then its resolve), concurrent
//! requests for a fresh result share one run, hostile input is refused or
//! escaped, and SIGTERM finishes what is in flight and exits 0.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::formats::parse_prometheus;
use crate::support::alerts::{HOSTILE_HEAD, Store, hostile_message, send_args, slack_at};
use crate::support::browser::Browser;
use crate::support::cmd::Test;
use crate::support::http::{HttpServer, Reply};
use crate::support::keys;
use crate::support::net::{DelayProxy, free_port};
use crate::support::postgres::PgServer;
use crate::support::redis::{RedisOptions, RedisServer};
use crate::support::serve::{Serve, Served};

const TOKEN: &str = "serve-token-9f3a1c";

/// Waits for the first round's result.
fn first_round(served: &Served) {
    served.wait(Duration::from_secs(20), "a first round", |s| {
        s.get("/healthz").json()["rounds"].as_u64() >= Some(1)
    });
}

#[test]
fn the_api_answers_what_check_prints() {
    let db = PgServer::shared().create_database();
    let redis = RedisServer::shared().url();
    let served = Serve::new()
        .env("DATABASE_URL", &db)
        .env("REDIS_URL", &redis)
        .args(&["--interval", "1h"])
        .start();
    first_round(&served);
    let cli = Test::new()
        .env("DATABASE_URL", &db)
        .env("REDIS_URL", &redis)
        .args(["check", "all", "--json"])
        .run();
    cli.assert_code(0);
    let cli = cli.json();

    let status = served.get("/api/v1/status");
    assert_eq!(status.status, 200);
    assert_eq!(status.header("content-type"), Some("application/json"));
    let api = status.json();
    assert_eq!(
        keys(&api),
        [
            "overall_status",
            "timestamp",
            "cached",
            "age_seconds",
            "duration_ms",
            "checks"
        ]
    );
    assert_eq!(api["cached"], true);
    assert!(
        api["age_seconds"].as_f64().is_some_and(|a| a >= 0.0),
        "{api}"
    );
    assert_eq!(api["overall_status"], cli["overall_status"]);
    // Only the configured checks run; each is the CLI's object, key for key.
    assert_eq!(keys(&api["checks"]), ["database", "cache"]);
    for name in ["database", "cache"] {
        assert_eq!(
            keys(&api["checks"][name]),
            keys(&cli["checks"][name]),
            "{name}"
        );
        assert_eq!(api["checks"][name]["status"], "healthy");
    }

    let one = served.get("/api/v1/checks/db").json();
    let single = Test::new()
        .env("DATABASE_URL", &db)
        .args(["check", "db", "--json"])
        .run()
        .json();
    let mut expected = keys(&single);
    expected.extend(["timestamp", "cached", "age_seconds"].map(str::to_owned));
    assert_eq!(keys(&one), expected);
    assert_eq!(one["timestamp"], api["timestamp"]);

    // The database's password appears in no answer, body or header.
    let password = PgServer::shared().password();
    for path in [
        "/",
        "/metrics",
        "/api/v1/status",
        "/api/v1/checks/db",
        "/healthz",
    ] {
        let reply = served.get(path);
        assert_eq!(reply.status, 200, "{path}");
        assert!(!reply.body.contains(password), "{path} shows the password");
        for (name, value) in &reply.headers {
            assert!(!value.contains(password), "{path}: header {name}");
        }
    }

    // Badges: a check's, the overall one, and an unknown check's.
    let badge = served.get("/badge/db.svg");
    assert_eq!(badge.status, 200);
    assert_eq!(badge.header("content-type"), Some("image/svg+xml"));
    assert!(
        badge.body.contains("<title>database: healthy</title>"),
        "{}",
        badge.body
    );
    let overall = served.get("/badge/all.svg");
    assert!(
        overall.body.contains("<title>vitals: healthy</title>"),
        "{}",
        overall.body
    );
    let nothing = served.get("/badge/nosuch.svg");
    assert_eq!(nothing.status, 404);
    assert!(
        nothing
            .body
            .contains("<title>vitals: unknown check</title>")
    );

    let unknown = served.get("/api/v1/checks/nosuch");
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"], "unknown check \"nosuch\"");
    let not_run = served.get("/api/v1/checks/agents");
    assert_eq!(not_run.status, 404);
    assert_eq!(
        not_run.json()["error"],
        "check agents is not run by this server"
    );
}

#[test]
fn metrics_parse_with_the_official_parser() {
    let served = Serve::new()
        .env("REDIS_URL", RedisServer::shared().url())
        .args(&["--interval", "1h"])
        .start();
    first_round(&served);
    let metrics = served.get("/metrics");
    assert_eq!(metrics.status, 200);
    assert_eq!(
        metrics.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let families = parse_prometheus(&metrics.body);
    let family = |name: &str| {
        families
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no family {name} in {families:#?}"))
            .clone()
    };
    let up = family("vitals_check_up");
    assert_eq!(up["samples"][0]["labels"]["check"], "cache");
    assert_eq!(up["samples"][0]["value"].as_f64(), Some(1.0));
    let build = family("vitals_build_info");
    assert_eq!(
        build["samples"][0]["labels"]["version"],
        env!("CARGO_PKG_VERSION")
    );
    let leader = family("vitals_serve_leader");
    assert_eq!(
        leader["samples"][0]["labels"]["node"],
        served.get("/healthz").json()["node"]
    );
    assert_eq!(leader["samples"][0]["value"].as_f64(), Some(1.0));
    let lag = family("vitals_serve_scheduler_lag_seconds");
    assert!(
        lag["samples"][0]["value"]
            .as_f64()
            .is_some_and(|l| l >= 0.0)
    );
    // Every family `check --format prometheus` prints is there too.
    let cli = Test::new()
        .env("REDIS_URL", RedisServer::shared().url())
        .args(["check", "cache", "--format", "prometheus"])
        .run();
    for cli_family in parse_prometheus(&cli.stdout) {
        family(cli_family["name"].as_str().unwrap_or_default());
    }
}

#[test]
fn rounds_follow_redis_down_and_back_with_one_alert_and_its_resolve() {
    let mut redis = RedisServer::start(RedisOptions::default());
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let store = Store::fresh(crate::support::alerts::Backend::Sqlite);
    let interval = Duration::from_secs(1);
    let served = Serve::new()
        .env("REDIS_URL", redis.url())
        .env("VITALS_STATE", &store.location)
        .env("VITALS_INSTANCE", "serve-test")
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/x", slack.url()),
        )
        .args(&["--interval", "1s", "--timeout", "1s", "--alert"])
        .start();
    served.wait(Duration::from_secs(20), "healthy", |s| {
        s.get("/api/v1/status").json()["overall_status"] == "healthy"
    });

    redis.stop();
    let stopped = Instant::now();
    served.wait(Duration::from_secs(20), "unhealthy", |s| {
        s.get("/api/v1/status").json()["overall_status"] == "unhealthy"
    });
    // One interval (with its jitter) and the refused connection's round.
    let took = stopped.elapsed();
    assert!(
        took <= interval + interval / 10 + Duration::from_secs(1),
        "the API turned unhealthy {took:?} after Redis stopped"
    );
    served.wait(Duration::from_secs(20), "the alert raised", |s| {
        s.get("/api/v1/alerts").json().as_array().map(Vec::len) == Some(1)
    });
    // Three more rounds in trouble raise nothing more.
    let rounds = served.get("/healthz").json()["rounds"]
        .as_u64()
        .unwrap_or(0);
    served.wait(Duration::from_secs(20), "three more rounds", |s| {
        s.get("/healthz").json()["rounds"].as_u64() >= Some(rounds + 3)
    });
    assert_eq!(slack.request_count(), 1, "one notification for the failure");
    let alerts = served.get("/api/v1/alerts").json();
    assert_eq!(alerts[0]["alert_type"], "cache_failure");
    assert_eq!(alerts[0]["status"], "active");
    let page = served.get("/");
    assert!(
        page.body
            .contains(r#"data-check="cache" data-status="unhealthy""#)
    );
    assert!(page.body.contains("cache_failure"));

    redis.restart();
    served.wait(Duration::from_secs(20), "healthy again", |s| {
        s.get("/api/v1/status").json()["overall_status"] == "healthy"
    });
    served.wait(Duration::from_secs(20), "the alert resolved", |s| {
        s.get("/api/v1/alerts").json().as_array().map(Vec::len) == Some(0)
    });
    let all = served.get("/api/v1/alerts?status=all").json();
    assert_eq!(all[0]["status"], "resolved");
    assert_eq!(all[0]["resolved_by"], "vitals check on serve-test");
    served.wait(Duration::from_secs(20), "the resolve notified", |_| {
        slack.request_count() == 2
    });
    let (code, _) = served.stop("TERM");
    assert_eq!(code, 0);
    assert_eq!(slack.request_count(), 2);
}

#[test]
fn concurrent_fresh_requests_share_one_run() {
    // Each connection to Redis takes 3 s to set up: a run long enough for
    // every request to arrive while it is in flight, even on a loaded machine.
    let proxy = DelayProxy::start(RedisServer::shared().port(), Duration::from_secs(3));
    let served = Serve::new()
        .env("REDIS_URL", format!("redis://127.0.0.1:{}", proxy.port()))
        .args(&["--interval", "1h", "--timeout", "10s"])
        .start();
    first_round(&served);
    assert_eq!(proxy.connections(), 1);

    let served = Arc::new(served);
    let barrier = Arc::new(Barrier::new(200));
    let requests: Vec<_> = (0..200)
        .map(|_| {
            let (served, barrier) = (served.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                served.get("/api/v1/status?max_age=0s")
            })
        })
        .collect();
    let answers: Vec<Value> = requests
        .into_iter()
        .map(|r| {
            let reply = r.join().expect("request thread");
            assert_eq!(reply.status, 200, "{}", reply.body);
            reply.json()
        })
        .collect();
    assert_eq!(proxy.connections(), 2, "200 requests, one run");
    let first = &answers[0]["timestamp"];
    for answer in &answers {
        assert_eq!(&answer["timestamp"], first);
        assert_eq!(answer["cached"], false);
        // Slow, through the proxy.
        assert_eq!(answer["overall_status"], "degraded");
    }
    // A result young enough is answered from the cache, without a run.
    let cached = served.get("/api/v1/status?max_age=1h").json();
    assert_eq!(cached["cached"], true);
    assert_eq!(&cached["timestamp"], first);
    let header = served.get_with("/api/v1/status", ("Cache-Control", "max-age=3600"));
    assert_eq!(header.json()["cached"], true);
    assert_eq!(proxy.connections(), 2);
    let bad = served.get("/api/v1/status?max_age=soon");
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("max_age: ")),
        "{}",
        bad.body
    );
}

/// An alert with markup in its message, raised in `store` (and posted to a Slack stand-in).
fn hostile_alert(store: &Store) -> String {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let out = slack_at(&slack)
        .env("VITALS_STATE", &store.location)
        .args(send_args("error", &hostile_message()))
        .run();
    out.assert_code(0);
    store.alerts()[0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Sends raw bytes and returns what came back before the server closed.
fn raw(port: u16, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let _ = stream.write_all(bytes);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn hostile_input_is_escaped_or_refused() {
    let store = Store::fresh(crate::support::alerts::Backend::Sqlite);
    let id = hostile_alert(&store);
    let served = Serve::new()
        .env("REDIS_URL", RedisServer::shared().url())
        .env("VITALS_STATE", &store.location)
        .env("VITALS_SERVE_TOKEN", TOKEN)
        .args(&["--interval", "1h", "--timeout", "2s"])
        .start();
    first_round(&served);

    // Markup from outside renders as text.
    let page = served.get("/");
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(
        page.body
            .contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
    );
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.starts_with("default-src 'none'; script-src 'self'"),
        "{csp}"
    );
    assert!(!page.body.contains(TOKEN));

    // Unknown routes and methods: JSON errors.
    let missing = served.get("/wp-admin/%3Cscript%3E");
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json()["error"],
        "no such page: /wp-admin/%3Cscript%3E"
    );
    let wrong = served.post("/api/v1/status", None, "{}");
    assert_eq!(wrong.status, 405);

    // Bad tokens change nothing.
    let path = format!("/api/v1/alerts/{}/ack", &id[..6]);
    for token in [None, Some("wrong"), Some(&TOKEN[..TOKEN.len() - 1])] {
        let refused = served.post(&path, token, r#"{"by": "mallory"}"#);
        assert_eq!(refused.status, 401, "{token:?}");
        assert_eq!(
            refused.header("www-authenticate"),
            Some("Bearer realm=\"vitals\"")
        );
        assert!(!refused.body.contains(TOKEN));
    }
    assert_eq!(store.alerts()[0]["status"], "active");
    let no_by = served.post(&path, Some(TOKEN), r#"{"note": "x"}"#);
    assert_eq!(no_by.status, 422);
    assert_eq!(
        no_by.json()["error"],
        "by: required: who acts, e.g. \"alice\""
    );
    let unknown = served.post("/api/v1/alerts/ffffffff/ack", Some(TOKEN), r#"{"by": "a"}"#);
    assert_eq!(unknown.status, 404, "{}", unknown.body);

    // With the token, by a prefix of the id.
    let acked = served.post(&path, Some(TOKEN), r#"{"by": "alice"}"#);
    assert_eq!(acked.status, 200, "{}", acked.body);
    assert_eq!(acked.json()["status"], "acknowledged");
    assert_eq!(acked.json()["acknowledged_by"], "alice");
    assert_eq!(store.alerts()[0]["status"], "acknowledged");

    // Oversized: a body past 16 KiB, a head past 16 KiB.
    let big = format!(r#"{{"by": "{}"}}"#, "a".repeat(64 * 1024));
    let resolve = format!("/api/v1/alerts/{}/resolve", &id[..6]);
    assert_eq!(served.post(&resolve, Some(TOKEN), &big).status, 413);
    let head = raw(
        served.port,
        format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "b".repeat(64 * 1024)
        )
        .as_bytes(),
    );
    assert!(head.starts_with("HTTP/1.1 431"), "{head}");
    assert_eq!(store.alerts()[0]["status"], "acknowledged");

    // A slow client is cut off after the header timeout (2 s), not held.
    let started = Instant::now();
    let slow = raw(served.port, b"GET / HTTP/1.1\r\nHost: x\r\n");
    let held = started.elapsed();
    assert!(
        held >= Duration::from_secs(2) && held < Duration::from_secs(6),
        "held {held:?}: {slow}"
    );
    // Still serving.
    assert_eq!(served.get("/healthz").status, 200);
}

#[test]
fn without_a_token_it_is_read_only_and_private_needs_one() {
    let store = Store::fresh(crate::support::alerts::Backend::Sqlite);
    let id = hostile_alert(&store);
    let served = Serve::new()
        .env("REDIS_URL", RedisServer::shared().url())
        .env("VITALS_STATE", &store.location)
        .args(&["--interval", "1h"])
        .start();
    let refused = served.post(
        &format!("/api/v1/alerts/{}/ack", &id[..6]),
        Some("anything"),
        r#"{"by": "a"}"#,
    );
    assert_eq!(refused.status, 403);
    assert!(
        refused.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("set VITALS_SERVE_TOKEN")),
        "{}",
        refused.body
    );
    assert!(!served.get("/").body.contains("data-action"));
    drop(served);

    let private = Serve::new()
        .env("REDIS_URL", RedisServer::shared().url())
        .env("VITALS_SERVE_TOKEN", TOKEN)
        .args(&["--interval", "1h", "--private"])
        .start();
    assert_eq!(private.get("/healthz").status, 401);
    assert_eq!(private.get("/").status, 401);
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("me:{TOKEN}"),
    );
    assert_eq!(
        private
            .get_with("/", ("Authorization", &format!("Basic {basic}")))
            .status,
        200
    );
    assert_eq!(
        private
            .get_with("/healthz", ("Authorization", &format!("Bearer {TOKEN}")))
            .status,
        200
    );

    let refused = Test::new()
        .env("REDIS_URL", RedisServer::shared().url())
        .args(["serve", "--private", "--listen", "127.0.0.1:0"])
        .run();
    refused.assert_code(3).assert_stderr_contains(
        "--private: every request would need VITALS_SERVE_TOKEN, which is not set",
    );
}

#[test]
fn beyond_loopback_without_a_token_it_warns() {
    let served = Serve::new()
        .env("REDIS_URL", RedisServer::shared().url())
        .listen("0.0.0.0:0")
        .args(&["--interval", "1h"])
        .start();
    assert!(
        served.stderr().contains(
            "with no VITALS_SERVE_TOKEN: anyone who reaches it reads the dashboard and the API"
        ),
        "{}",
        served.stderr()
    );
    let nothing = Test::new().args(["serve", "--listen", "127.0.0.1:0"]).run();
    nothing
        .assert_code(3)
        .assert_stderr_contains("nothing to serve: no check is configured");
}

#[test]
fn sigterm_finishes_the_request_in_flight_and_exits_0() {
    let proxy = DelayProxy::start(RedisServer::shared().port(), Duration::from_millis(1500));
    let served = Serve::new()
        .env("REDIS_URL", format!("redis://127.0.0.1:{}", proxy.port()))
        .args(&["--interval", "1h", "--timeout", "10s"])
        .start();
    first_round(&served);
    let url = served.url("/api/v1/status?max_age=0s");
    let in_flight = std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        agent
            .get(&url)
            .call()
            .map(|mut r| r.body_mut().read_to_string().unwrap_or_default())
    });
    served.wait(Duration::from_secs(10), "the fresh run", |_| {
        proxy.connections() == 2
    });
    let (code, stderr) = served.stop("TERM");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("vitals serve: stopped by SIGTERM"),
        "{stderr}"
    );
    let answer = in_flight
        .join()
        .expect("request thread")
        .expect("an answer");
    let answer: Value = serde_json::from_str(&answer).expect("JSON");
    assert_eq!(answer["overall_status"], "degraded");
    assert_eq!(answer["cached"], false);
}

/// When the dashboard's server starts, on its clock: the history is recorded before it.
const T: &str = "2026-11-30T12:00:00Z";

/// An instant `minutes` before [`T`], as `VITALS_NOW` takes it.
fn before_t(minutes: i64) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(T).expect("T");
    (t - chrono::Duration::minutes(minutes)).to_rfc3339()
}

/// `check NAME --record --json` at `minutes` before [`T`]: the check's object.
fn record_before_t(store: &Store, check: &str, env: (&str, &str), minutes: i64) -> Value {
    let out = store
        .test()
        .env(env.0, env.1)
        .env("VITALS_INSTANCE", "web-1")
        .env("VITALS_NOW", before_t(minutes))
        .args(["check", check, "--record", "--json"])
        .run();
    assert_eq!(out.stderr, "", "{check} at -{minutes} min");
    out.json()
}

/// A response time as the dashboard draws it: recorded in seconds, read back in milliseconds.
fn drawn_ms(check: &Value) -> String {
    let ms = check["response_time_ms"].as_f64().expect("a response time");
    format!("{:.1} ms", (ms / 1000.0) * 1000.0)
}

#[test]
fn the_dashboard_in_a_real_browser() {
    let store = Store::fresh(crate::support::alerts::Backend::Sqlite);
    let id = hostile_alert(&store);
    let database = PgServer::shared().create_database();
    // Nothing listens there: the cache is down, and so is this database.
    let no_redis = format!("redis://127.0.0.1:{}", free_port());
    let no_database = format!("postgres://app:pw@127.0.0.1:{}/app", free_port());
    // The last day, 30 minutes a column from T - 24 h: the database up in
    // columns 0 and 23, down in 35 and up again in 36; the cache down from column 42.
    let db_first = record_before_t(&store, "db", ("DATABASE_URL", &database), 23 * 60 + 45);
    let db_second = record_before_t(&store, "db", ("DATABASE_URL", &database), 12 * 60 + 15);
    let db_down = record_before_t(&store, "db", ("DATABASE_URL", &no_database), 6 * 60 + 15);
    let db_back = record_before_t(&store, "db", ("DATABASE_URL", &database), 5 * 60 + 45);
    let cache_down = record_before_t(&store, "cache", ("REDIS_URL", &no_redis), 2 * 60 + 45);
    assert_eq!(
        [
            &db_down["status"],
            &db_back["status"],
            &cache_down["status"]
        ],
        ["unhealthy", "healthy", "unhealthy"]
    );
    // The server's clock starts at T: it reads no later than T plus the time since.
    let serving = Instant::now();
    let served = Serve::new()
        .env("DATABASE_URL", &database)
        .env("REDIS_URL", &no_redis)
        .env("VITALS_STATE", &store.location)
        .env("VITALS_INSTANCE", "web-1")
        .env("VITALS_NOW", T)
        .env("VITALS_SERVE_TOKEN", TOKEN)
        .args(&["--interval", "1h"])
        .start();
    // Its first round is recorded (column 47) and the history read again before it counts.
    first_round(&served);
    let db_now = served.get("/api/v1/checks/database").json();
    let browser = Browser::start();
    browser.open(&served.url("/"));
    browser.wait_until(
        Duration::from_secs(20),
        "return document.readyState === 'complete'",
    );
    assert_eq!(browser.errors(), Vec::<String>::new());

    // Nothing was loaded from anywhere but the server, and its stylesheet applied.
    let origin = served.url("");
    let loaded = browser.eval("return performance.getEntriesByType('resource').map(e => e.name)");
    let mut loaded: Vec<&str> = loaded
        .as_array()
        .expect("resource names")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    loaded.sort_unstable();
    assert_eq!(
        loaded,
        [
            format!("{origin}/assets/favicon.svg"),
            format!("{origin}/assets/vitals.css"),
            format!("{origin}/assets/vitals.js")
        ]
    );
    assert_eq!(
        browser.eval("return getComputedStyle(document.querySelector('.symbols')).display"),
        "none"
    );

    // Each check with its status in words.
    let cards = browser.eval(
        "return Array.from(document.querySelectorAll('article[data-check]')).map(a => \
         [a.dataset.check, a.dataset.status, a.querySelector('.word').textContent])",
    );
    assert_eq!(
        cards,
        serde_json::json!([
            ["database", "healthy", "Healthy"],
            ["cache", "unhealthy", "Unhealthy"]
        ])
    );
    assert_eq!(
        browser.eval("return document.querySelector('header.overall .word').textContent"),
        "Unhealthy"
    );
    // The alert's markup is text: no script but the page's own.
    let message = browser.eval("return document.querySelector('li.alert .message').textContent");
    assert!(
        message
            .as_str()
            .is_some_and(|m| m.starts_with(HOSTILE_HEAD)),
        "{message}"
    );
    assert_eq!(browser.eval("return document.scripts.length"), 1);

    // Each card's last day: the response time's line, its figures in words.
    let runs = [&db_first, &db_second, &db_back, &db_now];
    let mut by_time: Vec<(f64, String)> = runs
        .iter()
        .map(|r| {
            (
                r["response_time_ms"].as_f64().unwrap_or_default(),
                drawn_ms(r),
            )
        })
        .collect();
    by_time.sort_by(|a, b| a.0.total_cmp(&b.0));
    let label = browser.eval(
        "return document.querySelector('article[data-check=database] figure.chart svg')\
         .getAttribute('aria-label')",
    );
    assert_eq!(
        label,
        format!(
            "Response time over the last 24 h, the slowest run of each 30 min: from {} to {}, \
             latest {}",
            by_time[0].1,
            by_time[3].1,
            drawn_ms(&db_now)
        )
    );
    assert_eq!(
        browser.eval(
            "return document.querySelector('article[data-check=database] figcaption').textContent"
        ),
        format!("max {} min {}", by_time[3].1, by_time[0].1)
    );
    // The cache never answered: no line, said in words.
    assert_eq!(
        browser
            .eval("return document.querySelector('article[data-check=cache] .chart').textContent"),
        "No response time recorded in the last 24 h."
    );
    // The status strips: a column each 30 minutes, a mark where not healthy.
    let strip = |check: &str| {
        browser.eval(&format!(
            "return Array.from(document.querySelectorAll('article[data-check={check}] .strip li'))\
             .map(li => li.className + ' ' + li.textContent)"
        ))
    };
    let columns = |marked: &[(usize, &str)]| {
        let mut all = vec!["none ".to_owned(); 48];
        for (i, said) in marked {
            all[*i] = (*said).to_owned();
        }
        serde_json::json!(all)
    };
    assert_eq!(
        strip("database"),
        columns(&[
            (0, "healthy "),
            (23, "healthy "),
            (35, "unhealthy ×"),
            (36, "healthy "),
            (47, "healthy ")
        ])
    );
    assert_eq!(
        strip("cache"),
        columns(&[(42, "unhealthy ×"), (47, "unhealthy ×")])
    );
    assert_eq!(
        browser.eval(
            "return document.querySelectorAll('article[data-check=database] .strip li')[35].title"
        ),
        "2026-11-30 05:30–06:00 UTC: Unhealthy"
    );

    // The incidents across checks, newest first: the cache's goes on.
    let incidents = browser.eval(
        "return Array.from(document.querySelectorAll('table.incidents tbody tr'))\
         .map(tr => Array.from(tr.cells).map(td => td.textContent.trim()))",
    );
    // Each recorded run starts a moment after its VITALS_NOW, a moment a busy
    // machine stretches: the times shown are those of the runs as recorded.
    let first = |check: &str, status: &str, after: i64| {
        store.number(&format!(
            "SELECT MIN(started_at) FROM history_runs WHERE check_name = '{check}' \
             AND status = '{status}' AND started_at > {after}"
        ))
    };
    let shown = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .expect("a run's start")
            .format("%Y-%m-%d %H:%M:%SZ")
            .to_string()
    };
    // Whole minutes, as the page counts them.
    let lasted = |ms: i64| match ms / 60_000 {
        m @ 0..60 => format!("{m} min"),
        m => format!("{} h {} min", m / 60, m % 60),
    };
    let (cache_from, db_from) = (
        first("cache", "unhealthy", 0),
        first("database", "unhealthy", 0),
    );
    let db_until = first("database", "healthy", db_from);
    let t = chrono::DateTime::parse_from_rfc3339(T)
        .expect("T")
        .timestamp_millis();
    let read_by = t + i64::try_from(serving.elapsed().as_millis()).expect("a test's length");
    let ongoing =
        [t - cache_from, read_by - cache_from].map(|ms| format!("ongoing, {}", lasted(ms)));
    assert!(
        shown(cache_from).starts_with("2026-11-30 09:15:"),
        "the cache's first failing run at {}",
        shown(cache_from)
    );
    assert!(
        ongoing.contains(&incidents[0][4].as_str().unwrap_or_default().to_owned()),
        "{incidents} lasted one of {ongoing:?}"
    );
    assert_eq!(
        incidents,
        serde_json::json!([
            [
                "cache",
                "web-1",
                "Unhealthy",
                shown(cache_from),
                incidents[0][4],
                cache_down["message"]
            ],
            [
                "database",
                "web-1",
                "Unhealthy",
                shown(db_from),
                lasted(db_until - db_from),
                db_down["message"]
            ]
        ])
    );
    assert_eq!(
        browser.eval("return document.querySelector('.recent .none').textContent"),
        "No anomaly recorded in the last 7 days."
    );

    // Acknowledged from the page, with the token.
    browser.type_into("#auth input[name=token]", TOKEN);
    browser.type_into("#auth input[name=by]", "alice");
    browser.click("button[data-action=ack]");
    browser.wait_until(
        Duration::from_secs(20),
        "const a = document.querySelector('li.alert'); \
         return a !== null && a.dataset.status === 'acknowledged'",
    );
    let alert = &store.alerts()[0];
    assert_eq!(alert["id"], id.as_str());
    assert_eq!(alert["status"], "acknowledged");
    assert_eq!(alert["acknowledged_by"], "alice");
    assert_eq!(browser.errors(), Vec::<String>::new());
}

#[test]
fn the_leader_records_every_round_and_the_api_reads_it_as_history_does() {
    let redis = RedisServer::start(RedisOptions::default());
    let store = Store::fresh(crate::support::alerts::Backend::Sqlite);
    let served = Serve::new()
        .env("REDIS_URL", redis.url())
        .env("VITALS_STATE", &store.location)
        .env("VITALS_INSTANCE", "serve-test")
        .args(&["--interval", "1s", "--timeout", "1s"])
        .start();
    let samples = || {
        let out = store
            .test()
            .args(["history", "--since", "1h", "--json"])
            .run();
        let doc: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
        let checks = doc["checks"].as_array().cloned().unwrap_or_default();
        let names: Vec<String> = checks
            .iter()
            .map(|c| c["check"].as_str().unwrap_or("").to_owned())
            .collect();
        (names, checks.first().and_then(|c| c["samples"].as_u64()))
    };
    let mut seen = 0;
    served.wait(Duration::from_secs(30), "three recorded rounds", |_| {
        let (names, count) = samples();
        if let Some(count) = count {
            assert_eq!(names, ["cache"]);
            assert!(count >= seen, "the samples went from {seen} to {count}");
            seen = count;
        }
        seen >= 3
    });
    let (names, count) = samples();
    assert_eq!(names, ["cache"]);
    assert!(count >= Some(seen));

    // The API's history of a check is what `vitals history NAME --json` prints.
    let now = chrono::Utc::now();
    let when =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let (since, until) = (when(now - chrono::Duration::hours(1)), when(now));
    let api = served.get(&format!(
        "/api/v1/checks/cache/history?since={since}&until={until}"
    ));
    assert_eq!(api.status, 200, "{}", api.body);
    let cli = store
        .test()
        .args([
            "history", "cache", "--since", &since, "--until", &until, "--json",
        ])
        .run();
    cli.assert_code(0);
    assert_eq!(api.json(), cli.json());
    assert!(cli.json()["checks"][0]["samples"].as_u64() >= Some(3));
    let bad = served.get("/api/v1/checks/cache/history?since=yesterday-ish");
    assert_eq!(bad.status, 400);
    let error = bad.json()["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.starts_with("--since: "), "{error}");

    // Uptime from the recorded rounds: Redis answered all along.
    served.wait(Duration::from_secs(20), "the uptime in /metrics", |s| {
        s.get("/metrics")
            .body
            .contains(r#"vitals_uptime_ratio{check="cache",window="24h"} 1"#)
    });
    let metrics = served.get("/metrics").body;
    for window in ["7d", "30d"] {
        let line = format!(r#"vitals_uptime_ratio{{check="cache",window="{window}"}} 1"#);
        assert!(metrics.lines().any(|l| l == line), "{metrics}");
    }
    let page = served.get("/").body;
    assert!(
        page.contains(r#"<dd class="uptime">100.00 % / 100.00 % / 100.00 %</dd>"#),
        "{page}"
    );

    let (code, _) = served.stop("TERM");
    assert_eq!(code, 0);
}

#[test]
fn the_round_that_finds_an_anomaly_says_so_itself() {
    let store = Store::fresh(crate::support::alerts::Backend::Sqlite);
    let fast = HttpServer::replying(Reply::json(200, &serde_json::json!({"data": []})));
    let slow = HttpServer::replying(
        Reply::json(200, &serde_json::json!({"data": []})).after(Duration::from_secs(1)),
    );
    let rule = [
        ("VITALS_ANOMALY_MIN_SAMPLES", "5"),
        ("VITALS_ANOMALY_RUNS", "1"),
    ];
    // A baseline of five fast runs, a minute apart, before T.
    for minutes in (6..=10).rev() {
        let mut test = store
            .test()
            .env("ANTHROPIC_API_KEY", "sk-anomaly")
            .env("ANTHROPIC_BASE_URL", fast.url())
            .env("VITALS_INSTANCE", "web-1")
            .env("VITALS_NOW", before_t(minutes));
        for (key, value) in rule {
            test = test.env(key, value);
        }
        test.args(["check", "services", "--record"])
            .run()
            .assert_code(0);
    }
    let mut serve = Serve::new()
        .env("ANTHROPIC_API_KEY", "sk-anomaly")
        .env("ANTHROPIC_BASE_URL", slow.url())
        .env("VITALS_STATE", &store.location)
        .env("VITALS_INSTANCE", "web-1")
        .env("VITALS_NOW", T);
    for (key, value) in rule {
        serve = serve.env(key, value);
    }
    let served = serve.args(&["services", "--interval", "1h"]).start();
    first_round(&served);
    // The first round, a second slower: its answer says so, not only the next round's.
    let status = served.get("/api/v1/status").json();
    assert_eq!(status["overall_status"], "degraded", "{status}");
    let services = served.get("/api/v1/checks/services").json();
    assert_eq!(services["status"], "degraded", "{services}");
    let anomalies = services["anomalies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        anomalies
            .iter()
            .any(|a| a["metric"] == "vitals_service_response_seconds{service=\"anthropic_api\"}"),
        "{services}"
    );
    // And the dashboard lists it among the recent anomalies, ongoing.
    let page = served.get("/").body;
    assert!(
        page.contains(
            "<td><code>vitals_service_response_seconds{service=&quot;anthropic_api&quot;}</code></td>\
             <td><time datetime=\"2026-11-30T12:00:00Z\">2026-11-30 12:00:00Z</time></td>"
        ),
        "{page}"
    );
    let (code, _) = served.stop("TERM");
    assert_eq!(code, 0);
}
