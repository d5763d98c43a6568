//! Several `vitals serve` on one store: on a shared PostgreSQL, one leads
//! (rounds and alerting), the others follow and take over when it dies;
//! on an SQLite file, a second one is refused.

use std::time::{Duration, Instant};

use crate::support::alerts::{Backend, Store};
use crate::support::http::{HttpServer, Reply};
use crate::support::net::SilentServer;
use crate::support::serve::{Serve, Served};

/// Rounds of the scheduler so far, and whether it leads, from `/healthz`.
fn health(served: &Served) -> (u64, bool, Option<String>) {
    let h = served.get("/healthz").json();
    (
        h["rounds"].as_u64().unwrap_or(0),
        h["leader"] == true,
        h["leading_node"].as_str().map(str::to_owned),
    )
}

/// Runs of the checks this instance started: scheduled, and on demand.
fn runs(served: &Served) -> (u64, u64) {
    let h = served.get("/healthz").json();
    (
        h["runs"]["scheduled"].as_u64().unwrap_or(0),
        h["runs"]["on_demand"].as_u64().unwrap_or(0),
    )
}

fn node(served: &Served) -> String {
    served.get("/healthz").json()["node"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_follower_takes_over_from_a_killed_leader_without_duplicates() {
    // Each round opens one connection to the cache, which never answers:
    // the connections count the rounds of every instance together.
    let cache = SilentServer::start();
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let store = Store::fresh(Backend::Postgres);
    let start = || {
        Serve::new()
            .env("REDIS_URL", format!("redis://127.0.0.1:{}", cache.port()))
            .env("VITALS_STATE", &store.location)
            .env("VITALS_INSTANCE", "lead-test")
            .env(
                "SLACK_WEBHOOK_URL",
                format!("{}/services/T0/B0/x", slack.url()),
            )
            .args(&["--interval", "1s", "--timeout", "1s", "--alert"])
            .start()
    };
    let first = start();
    first.wait(Duration::from_secs(20), "the first leads", |s| health(s).1);
    let second = start();
    let leader = node(&first);
    second.wait(Duration::from_secs(20), "the second follows", |s| {
        health(s).2.as_deref() == Some(leader.as_str())
    });
    assert!(!health(&second).1);
    let metrics = second.get("/metrics").body;
    assert!(
        metrics.contains(&format!(
            "vitals_serve_leader{{node=\"{}\",leader=\"{leader}\"}} 0",
            node(&second)
        )),
        "{metrics}"
    );

    // Only the leader runs rounds: the cache sees one connection a round.
    first.wait(Duration::from_secs(20), "the alert raised", |s| {
        s.get("/api/v1/alerts").json().as_array().map(Vec::len) == Some(1)
    });
    let rounds = health(&first).0;
    first.wait(Duration::from_secs(30), "three more rounds", |s| {
        health(s).0 >= rounds + 3
    });
    // A run counts as it starts, a connection a moment later: read them in
    // that order, and they differ by the round starting, at most.
    let connections = cache.connections() as u64;
    let (leader_runs, follower_runs) = (runs(&first), runs(&second));
    // The follower's only run answered its /metrics above, and was not a round.
    assert_eq!(follower_runs, (0, 1));
    assert_eq!(leader_runs.1, 0);
    let started = leader_runs.0 + follower_runs.1;
    assert!(
        started == connections || started == connections + 1,
        "{connections} connections for {started} runs"
    );
    assert_eq!(health(&second).0, 0, "the follower ran no round");
    assert_eq!(slack.request_count(), 1, "one notification");

    // SIGKILL: no clean-up; PostgreSQL lets the lock go with the connection.
    let (code, _) = first.stop("KILL");
    assert_eq!(code, 128 + 9);
    let killed = Instant::now();
    second.wait(Duration::from_secs(20), "the second leads", |s| health(s).1);
    let took = killed.elapsed();
    // The interval (1 s) plus the timeout (1 s), and a second for a loaded machine.
    assert!(took < Duration::from_secs(3), "took over after {took:?}");
    assert_eq!(health(&second).2, Some(node(&second)));
    second.wait(Duration::from_secs(30), "rounds on the new leader", |s| {
        health(s).0 >= 3
    });
    // The alert raised by the first is the second's too: not notified again.
    assert_eq!(slack.request_count(), 1, "no duplicate notification");
    let alerts = second.get("/api/v1/alerts").json();
    assert_eq!(alerts.as_array().map(Vec::len), Some(1), "{alerts}");
    assert!(alerts[0]["occurrences"].as_u64() > Some(3), "{alerts}");

    // SIGTERM lets leadership go: a newcomer leads at once.
    let (code, stderr) = second.stop("TERM");
    assert_eq!(code, 0, "{stderr}");
    let third = start();
    third.wait(Duration::from_secs(10), "a newcomer leads", |s| health(s).1);
}

#[test]
fn a_second_server_on_one_sqlite_store_is_refused() {
    let store = Store::fresh(Backend::Sqlite);
    let first = Serve::new()
        .env(
            "REDIS_URL",
            crate::support::redis::RedisServer::shared().url(),
        )
        .env("VITALS_STATE", &store.location)
        .args(&["--interval", "1h"])
        .start();
    let second = crate::support::cmd::Test::new()
        .env(
            "REDIS_URL",
            crate::support::redis::RedisServer::shared().url(),
        )
        .env("VITALS_STATE", &store.location)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .run();
    second.assert_code(3).assert_stderr_contains(&format!(
        "{}: another vitals serve already uses this SQLite store (process {}); an SQLite store \
         takes one vitals serve (to run several, share a PostgreSQL store: \
         VITALS_STATE=postgres://…)",
        store.location,
        first.pid()
    ));
    assert!(health(&first).1);
}
