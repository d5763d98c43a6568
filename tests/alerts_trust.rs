//! Alert trust: what vitals tells people must be right when hosts share a
//! store, when a send is interrupted or killed, when the store is busy or
//! gone, and when a check it alerted for goes away. Each scenario runs the
//! real binary on SQLite and on the harness PostgreSQL; two "hosts" are two
//! `VITALS_INSTANCE` values against one store.

use std::thread;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::support::alerts::{Backend, Store, events};
use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};
use crate::support::net::free_port;
use crate::support::postgres::{PgOptions, PgServer};
use crate::support::random_token;

/// A store and the Slack and PagerDuty stand-ins every host notifies.
struct Site {
    store: Store,
    slack: HttpServer,
    pagerduty: HttpServer,
    routing_key: String,
}

impl Site {
    fn new(backend: Backend) -> Site {
        Site::with(
            Store::fresh(backend),
            HttpServer::replying(Reply::text(200, "ok")),
        )
    }

    fn with(store: Store, slack: HttpServer) -> Site {
        Site {
            store,
            slack,
            pagerduty: HttpServer::replying(Reply::json(
                202,
                &json!({"status": "success", "message": "Event processed"}),
            )),
            routing_key: format!("pdkey{}", random_token()),
        }
    }

    /// `vitals` on the host called `instance`.
    fn host(&self, instance: &str) -> Test {
        self.store
            .test()
            .env("VITALS_INSTANCE", instance)
            .env(
                "SLACK_WEBHOOK_URL",
                format!("{}/services/T0/B0/hook", self.slack.url()),
            )
            .env("PAGERDUTY_BASE_URL", self.pagerduty.url())
            .env("PAGERDUTY_ROUTING_KEY", &self.routing_key)
            .env("ALERT_RETRY_BACKOFF", "10ms")
    }

    /// The open alerts, as `alert list --json` prints them.
    fn open_alerts(&self) -> Vec<Value> {
        let out = self.store.test().args(["alert", "list", "--json"]).run();
        out.assert_code(0);
        out.json().as_array().cloned().unwrap_or_default()
    }

    /// Requests Slack and PagerDuty received.
    fn told(&self) -> (usize, usize) {
        (self.slack.request_count(), self.pagerduty.request_count())
    }

    /// The PagerDuty events received: `(event_action, dedup_key)`.
    fn pagerduty_events(&self) -> Vec<(String, String)> {
        self.pagerduty
            .requests()
            .iter()
            .map(|r| {
                let body = r.json();
                (
                    body["event_action"].as_str().unwrap_or_default().to_owned(),
                    body["dedup_key"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn e(event: &str, channel: &str, outcome: &str) -> (String, String, String) {
    (event.to_owned(), channel.to_owned(), outcome.to_owned())
}

/// A database of the harness PostgreSQL: its URL, one with a wrong password
/// (the same target, which this host cannot use), and the target label.
fn database() -> (String, String, String) {
    let server = PgServer::shared();
    let url = server.create_database();
    let name = url.rsplit('/').next().unwrap_or_default().to_owned();
    let wrong = server.url_with_password(&name, "not-the-password");
    let target = format!("127.0.0.1:{}/{name}", server.port());
    (url, wrong, target)
}

/// The store's location as vitals prints it: a URL's password as `***`.
fn redacted(store: &Store) -> String {
    store
        .location
        .replacen(&format!(":{}@", PgServer::shared().password()), ":***@", 1)
}

/// `alert send --type disk_full --severity SEVERITY`.
fn send_disk_full(severity: &str) -> [&str; 6] {
    [
        "alert",
        "send",
        "--type",
        "disk_full",
        "--severity",
        severity,
    ]
}

fn send(test: Test, args: &[&str]) -> Outcome {
    test.args(["alert", "send", "--json"]).args(args).run()
}

// --- 1. Hosts sharing a store ---------------------------------------------

on_both!(hosts_sharing_a_store_raise_and_resolve_only_their_own_alerts);
fn hosts_sharing_a_store_raise_and_resolve_only_their_own_alerts(backend: Backend) {
    let site = Site::new(backend);
    let (good, wrong, target) = database();
    let check = |instance: &str, url: &str| {
        site.host(instance)
            .env("DATABASE_URL", url)
            .args(["-q", "check", "db", "--alert"])
            .run()
    };
    // Host web2 cannot use the database, web1 can; their cron jobs alternate.
    for _ in 0..5 {
        check("web1", &good).assert_code(0);
        let down = check("web2", &wrong);
        down.assert_code(2);
        assert_eq!(down.stderr, "", "alerting complained");
    }
    assert_eq!(
        site.told(),
        (1, 1),
        "one notification per channel, no resolves"
    );
    let stored = site.store.alerts();
    assert_eq!(stored.len(), 1, "{stored:#?}");
    let a = &stored[0];
    let identity =
        format!("database_failure{{check=\"database\",instance=\"web2\",target=\"{target}\"}}");
    assert_eq!(a["identity"], identity.as_str());
    assert_eq!(
        a["labels"],
        json!({"check": "database", "instance": "web2", "target": target})
    );
    assert_eq!(a["status"], "active");
    assert_eq!(a["occurrences"], 5);
    assert_eq!(s(&a["fingerprint"]).len(), 12);
    assert_eq!(a["dedup_key"], identity.as_str());
    assert_eq!(
        site.pagerduty_events(),
        [("trigger".to_owned(), identity.clone())]
    );

    // web2 recovers: its own healthy run resolves its alert, once.
    check("web2", &good).assert_code(0);
    assert_eq!(site.told(), (2, 2));
    assert_eq!(site.pagerduty_events()[1], ("resolve".to_owned(), identity));
    let resolved = &site.store.alerts()[0];
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["resolved_by"], "vitals check on web2");
    let slack = site.slack.requests()[1].json();
    assert_eq!(
        slack["attachments"][0]["title"],
        "Resolved: database_failure"
    );
}

on_both!(alerts_sent_about_different_servers_are_different_alerts);
fn alerts_sent_about_different_servers_are_different_alerts(backend: Backend) {
    let site = Site::new(backend);
    let disk = |host: &str, message: &str| {
        send(
            site.host("ops"),
            &[
                "--type",
                "disk_full",
                "--severity",
                "error",
                "--message",
                message,
                "--label",
                &format!("host={host}"),
            ],
        )
    };
    let db1 = disk("db1", "/var is 97% full on db1");
    db1.assert_code(0);
    let db2 = disk("db2", "/var is 91% full on db2");
    db2.assert_code(0);
    let (db1, db2) = (db1.json(), db2.json());
    assert_ne!(db1["id"], db2["id"]);
    assert_eq!(db2["identity"], "disk_full{host=\"db2\"}");
    assert_eq!(db2["labels"], json!({"host": "db2"}));
    assert_eq!(site.told(), (2, 2), "the second server's disk was notified");
    // The same server again is one more occurrence of its own alert.
    let again = disk("db1", "/var is 98% full on db1");
    again.assert_code(0);
    assert_eq!(again.json()["id"], db1["id"]);
    assert_eq!(again.json()["occurrences"], 2);
    assert_eq!(site.told(), (2, 2));

    // Resolving db2's alert tells of db2, and leaves db1's open.
    let resolve = site
        .host("ops")
        .args(["alert", "resolve", s(&db2["id"]), "--by", "bob"])
        .run();
    resolve.assert_code(0);
    let slack = site.slack.requests()[2].json();
    assert_eq!(slack["attachments"][0]["text"], "/var is 91% full on db2");
    assert_eq!(
        site.pagerduty_events()[2],
        ("resolve".to_owned(), "disk_full{host=\"db2\"}".to_owned())
    );
    let open = site.open_alerts();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["id"], db1["id"]);

    // Unlabelled sends are one identity among themselves, as before labels.
    let plain = |m: &str| {
        send(
            site.host("ops"),
            &["--type", "disk_full", "--severity", "error", "--message", m],
        )
    };
    let first = plain("full").json();
    assert_eq!(first["identity"], "disk_full");
    assert_eq!(plain("still full").json()["id"], first["id"]);

    // vitals' own label names are refused, and so are malformed ones.
    for (label, error) in [
        (
            "instance=web1",
            "error: --label instance: `instance` is reserved (vitals sets it on the alerts it \
             raises: alertname, check, target, instance, service, metric, severity); choose \
             another name\n",
        ),
        (
            "9host=x",
            "error: --label \"9host\": a label name starts with a letter or _ and has only \
             letters, digits and _ (Prometheus label names), and does not start with __\n",
        ),
        (
            "host",
            "error: --label \"host\": expected NAME=VALUE, e.g. --label host=db1\n",
        ),
    ] {
        let out = send(
            site.host("ops"),
            &[
                "--type",
                "t",
                "--severity",
                "info",
                "--message",
                "m",
                "--label",
                label,
            ],
        );
        out.assert_code(3);
        assert_eq!(out.stderr, error);
    }
}

// --- 2. Interrupted and killed sends ---------------------------------------

on_both!(an_interrupted_send_is_recorded_and_its_end_reaches_every_channel_told);
fn an_interrupted_send_is_recorded_and_its_end_reaches_every_channel_told(backend: Backend) {
    // Slack hangs on the first request; PagerDuty answers at once.
    let site = Site::with(
        Store::fresh(backend),
        HttpServer::sequence(vec![Reply::Hang, Reply::text(200, "ok")]),
    );
    let args = [
        "--type",
        "disk_full",
        "--severity",
        "critical",
        "--message",
        "/var is full",
        "--timeout",
        "20s",
    ];
    // Interrupted once vitals has PagerDuty's answer (its `-v` log says so)
    // while Slack keeps it waiting.
    let out = site
        .host("web1")
        .args(["-v", "alert", "send"])
        .args(args)
        .run_interrupted_after_stderr("INT", "pagerduty trigger to ");
    out.assert_code(3);
    assert_eq!(out.stdout, "");
    assert_eq!(site.told(), (1, 1));
    let stored = site.store.alerts();
    let id = s(&stored[0]["id"]).to_owned();
    assert_eq!(
        out.stderr
            .lines()
            .last()
            .map(|l| format!("{l}\n"))
            .unwrap_or_default(),
        format!(
            "error: interrupted by SIGINT: alert {id}: 1 notification(s) finished, 1 still in \
             progress; recorded (those in progress as unknown: they may have reached their \
             channel), and no result was printed\n"
        )
    );
    out.assert_within(Duration::from_secs(15));
    assert_eq!(
        events(&stored[0]),
        [
            e("trigger", "slack", "unknown"),
            e("trigger", "pagerduty", "delivered")
        ]
    );
    assert_eq!(
        stored[0]["deliveries"][0]["error"],
        "interrupted by SIGINT before the provider answered: it may have been notified"
    );

    // The next send is a repeat, not "another vitals is notifying it".
    let mut worse = args;
    worse[5] = "/var is 99% full";
    let next = site.host("web1").args(["alert", "send"]).args(worse).run();
    next.assert_code(0);
    // "0s ago", or "1s ago" on a loaded machine.
    assert!(
        next.stdout
            .contains("occurrence 2 recorded; not notified: notified ")
            && next.stdout.contains("s ago; repeats once 4h have passed"),
        "{}",
        next.stdout
    );
    assert_eq!(site.told(), (1, 1));

    // Both channels that may have heard of it hear of its end.
    let prefix = id[..6].to_ascii_uppercase();
    let resolved = site
        .host("web1")
        .args(["alert", "resolve", &prefix, "--by", "bob", "--json"])
        .run();
    resolved.assert_code(0);
    assert_eq!(site.told(), (2, 2));
    assert_eq!(
        site.pagerduty_events(),
        [
            ("trigger".to_owned(), "disk_full".to_owned()),
            ("resolve".to_owned(), "disk_full".to_owned())
        ]
    );
    let slack = site.slack.requests()[1].json();
    let fields: Vec<(String, String)> = slack["attachments"][0]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|f| (s(&f["title"]).to_owned(), s(&f["value"]).to_owned()))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        fields[4..8],
        [
            ("Resolved by".to_owned(), "bob".to_owned()),
            ("First notified".to_owned(), "/var is full".to_owned()),
            ("Occurrences".to_owned(), "2".to_owned()),
            ("Latest message".to_owned(), "/var is 99% full".to_owned()),
        ]
    );
}

/// An instant `secs` after `at`, as `VITALS_NOW` takes it.
fn later(at: DateTime<Utc>, secs: i64) -> String {
    (at + chrono::Duration::seconds(secs)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

on_both!(a_send_killed_midway_is_notified_again_after_its_lease_and_resolved_everywhere);
fn a_send_killed_midway_is_notified_again_after_its_lease_and_resolved_everywhere(
    backend: Backend,
) {
    let site = Site::with(
        Store::fresh(backend),
        HttpServer::sequence(vec![Reply::Hang, Reply::text(200, "ok")]),
    );
    let start = Utc::now();
    // --timeout 2s: the lease is 4 x 2 s for the deliveries plus 30 s.
    let at = |secs: i64| {
        site.host("web1")
            .env("VITALS_NOW", later(start, secs))
            .args(send_disk_full("critical"))
            .args(["--message", "/var is full", "--timeout", "2s"])
    };
    let killed = at(0).run_killed(|| site.told() == (1, 1));
    assert_eq!(killed.code, 128 + 9);
    assert_eq!(killed.stdout, "");

    // While its lease runs, the dead send still holds the alert.
    let held = at(5).run();
    held.assert_code(0);
    assert!(
        held.stdout.ends_with(
            "occurrence 2 recorded; not notified: another vitals is notifying it right now\n"
        ),
        "{}",
        held.stdout
    );
    // The lease lapsed with nothing known to be delivered: notified again.
    let again = at(60).arg("--json").run();
    again.assert_code(0);
    assert_eq!(site.told(), (2, 2));
    let stored = site.store.alerts();
    assert_eq!(
        events(&stored[0]),
        [
            e("trigger", "slack", "unknown"),
            e("trigger", "pagerduty", "unknown"),
            e("trigger", "slack", "delivered"),
            e("trigger", "pagerduty", "delivered"),
        ]
    );
    assert_eq!(
        stored[0]["deliveries"][1]["error"],
        "the vitals sending it stopped before the provider answered: it may have been notified"
    );
    let id = s(&stored[0]["id"]).to_owned();
    let resolve = site
        .host("web1")
        .env("VITALS_NOW", later(start, 120))
        .args(["alert", "resolve", &id, "--by", "bob"])
        .run();
    resolve.assert_code(0);
    assert_eq!(site.told(), (3, 3));
    assert_eq!(
        site.pagerduty_events()
            .iter()
            .map(|(action, _)| action.as_str())
            .collect::<Vec<_>>(),
        ["trigger", "trigger", "resolve"]
    );
}

// --- 5. A busy store, and a store that is gone ----------------------------

on_both!(twenty_runs_through_an_outage_against_a_busy_store_notify_once);
fn twenty_runs_through_an_outage_against_a_busy_store_notify_once(backend: Backend) {
    // PostgreSQL lets three connections in at once; SQLite takes one writer.
    let server = (backend == Backend::Postgres).then(|| {
        PgServer::start(PgOptions {
            max_connections: Some(3),
            superuser_reserved_connections: Some(0),
            ..PgOptions::default()
        })
    });
    let store = match &server {
        Some(server) => Store::on(server),
        None => Store::fresh(Backend::Sqlite),
    };
    let site = Site::with(store, HttpServer::replying(Reply::text(200, "ok")));
    let down = format!("postgres://app:pw@127.0.0.1:{}/app", free_port());
    let runs: Vec<Outcome> = thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                let test = site.host("web1").env("DATABASE_URL", &down).args([
                    "check",
                    "db",
                    "--alert",
                    "--timeout",
                    "5s",
                ]);
                scope.spawn(move || test.run())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| panic!("a run panicked")))
            .collect()
    });
    for run in &runs {
        run.assert_code(2);
        assert_eq!(run.stderr, "", "a run could not use the store");
        // Within the delivery budget (4 x 5 s), with room for a loaded machine.
        run.assert_within(Duration::from_secs(20));
    }
    assert_eq!(site.told(), (1, 1), "exactly one notification per channel");
    let stored = site.store.alerts();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["occurrences"], 20);
    if let Some(server) = &server {
        assert!(
            server.log().contains("too many clients already"),
            "the store was never full, so nothing was retried:\n{}",
            server.log()
        );
    }
}

on_both!(a_store_out_of_reach_for_the_whole_budget_still_lets_every_outage_out);
fn a_store_out_of_reach_for_the_whole_budget_still_lets_every_outage_out(backend: Backend) {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    // PostgreSQL: the store is stopped. SQLite: another process holds its lock throughout.
    let (location, why, _lock) = match backend {
        Backend::Postgres => {
            let port = free_port();
            (
                format!("postgres://vitals:pw@127.0.0.1:{port}/alerts"),
                format!("127.0.0.1:{port}/alerts: connection refused"),
                None,
            )
        }
        Backend::Sqlite => {
            let store = Store::created(Backend::Sqlite);
            let lock = rusqlite::Connection::open(&store.location)
                .and_then(|c| c.execute_batch("BEGIN EXCLUSIVE").map(|()| c))
                .unwrap_or_else(|e| panic!("{e}"));
            (
                store.location.clone(),
                "still locked by another process after 1.0 s".to_owned(),
                Some((lock, store)),
            )
        }
    };
    let down = format!("postgres://app:pw@127.0.0.1:{}/app", free_port());
    for n in 1..=3 {
        let out = Test::new()
            .env("VITALS_STATE", &location)
            .env("VITALS_INSTANCE", "web1")
            .env("DATABASE_URL", &down)
            .env(
                "SLACK_WEBHOOK_URL",
                format!("{}/services/T0/B0/hook", slack.url()),
            )
            .args(["check", "db", "--alert", "--timeout", "1s"])
            .run();
        out.assert_code(2);
        assert_eq!(slack.request_count(), n, "run {n} did not deliver");
        assert!(
            out.stderr.contains(&why)
                && out.stderr.contains(
                    ": alerts are notified without de-duplication and cannot be resolved\n"
                ),
            "{}",
            out.stderr
        );
        out.assert_within(Duration::from_secs(5));
    }
}

// --- 6. Stale alerts -------------------------------------------------------

on_both!(an_alert_whose_check_is_no_longer_configured_is_stale_until_resolved);
fn an_alert_whose_check_is_no_longer_configured_is_stale_until_resolved(backend: Backend) {
    let site = Site::new(backend);
    let api = HttpServer::replying(Reply::json(200, &json!({"data": []})));
    let down = format!("postgres://app:pw@127.0.0.1:{}/app", free_port());
    let with_api = |instance: &str| {
        site.host(instance)
            .env("ANTHROPIC_API_KEY", "sk-stale-test-key")
            .env("ANTHROPIC_BASE_URL", api.url())
    };
    for instance in ["web1", "web2"] {
        with_api(instance)
            .env("DATABASE_URL", &down)
            .args(["check", "all", "--alert"])
            .run()
            .assert_code(2);
    }
    assert_eq!(site.told(), (2, 2));
    // web1 no longer checks the database: nothing will resolve its alert now.
    let run = || with_api("web1").args(["check", "all", "--alert"]).run();
    let out = run();
    out.assert_code(1);
    let alerts = site.store.alerts();
    let ours = alerts
        .iter()
        .find(|a| a["labels"]["instance"] == "web1")
        .unwrap_or_else(|| panic!("no alert of web1: {alerts:#?}"));
    let theirs = alerts
        .iter()
        .find(|a| a["labels"]["instance"] == "web2")
        .unwrap_or_else(|| panic!("no alert of web2: {alerts:#?}"));
    let id = s(&ours["id"]);
    let reason = "check database is no longer configured here (set DATABASE_URL)";
    assert_eq!(
        out.stderr,
        format!(
            "error: --alert: alert {id} {} is stale: {reason}; nothing will resolve it now: \
             `vitals alert resolve {id}` closes it\n",
            s(&ours["identity"])
        )
    );
    assert_eq!(
        (&ours["held"], &ours["held_reason"]),
        (&json!("stale"), &json!(reason))
    );
    assert_eq!(ours["status"], "active");
    assert_eq!(
        theirs["held"],
        Value::Null,
        "another host's alert is not ours to judge"
    );
    let table = site.host("web1").args(["alert", "list"]).run();
    table.assert_code(0);
    assert!(
        table.stdout.contains("| active (stale) |")
            && table
                .stdout
                .contains(&format!("\n{} held (stale): {reason}\n", &id[..8])),
        "{}",
        table.stdout
    );
    assert_eq!(site.told(), (2, 2), "a stale alert is not notified");

    // Resolved by hand: whoever was told hears of it.
    site.host("web1")
        .args(["alert", "resolve", id, "--by", "alice"])
        .run()
        .assert_code(0);
    assert_eq!(site.told(), (3, 3));
    let quiet = run();
    quiet.assert_code(0);
    assert_eq!(quiet.stderr, "");
}

// --- 7. Dry runs -----------------------------------------------------------

on_both!(a_dry_run_asks_the_store_what_a_send_would_do);
fn a_dry_run_asks_the_store_what_a_send_would_do(backend: Backend) {
    let site = Site::new(backend);
    let args = |severity: &str| {
        vec![
            "--type".to_owned(),
            "disk_full".to_owned(),
            "--severity".to_owned(),
            severity.to_owned(),
            "--message".to_owned(),
            "/var is full".to_owned(),
        ]
    };
    let dry = |severity: &str| {
        site.host("ops")
            .args(["alert", "send", "--dry-run", "--json"])
            .args(args(severity))
            .run()
    };
    let first = dry("error");
    first.assert_code(0);
    let first = first.json();
    let summary = s(&first["decision"]["summary"]).to_owned();
    match backend {
        Backend::Sqlite => {
            assert_eq!(
                summary,
                format!(
                    "new alert (there is no alert store at {} yet): every channel below would be notified",
                    site.store.location
                )
            );
            assert!(
                !std::path::Path::new(&site.store.location).exists(),
                "a dry run created the store"
            );
        }
        Backend::Postgres => {
            assert_eq!(
                summary,
                format!(
                    "new alert (there is no alert store at {} yet): every channel below would be notified",
                    redacted(&site.store)
                )
            );
            assert_eq!(
                site.store.number(
                    "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'alerts'"
                ),
                0,
                "a dry run created the schema"
            );
        }
    }
    assert_eq!(first["messages"].as_array().map(Vec::len), Some(2));

    let sent = site
        .host("ops")
        .args(["alert", "send", "--json"])
        .args(args("error"))
        .run();
    sent.assert_code(0);
    let id = s(&sent.json()["id"]).to_owned();
    let repeat = dry("error");
    repeat.assert_code(0);
    let repeat = repeat.json();
    assert_eq!(
        repeat["decision"],
        json!({
            "summary": format!("occurrence 2 of open alert {id} (active); nobody would be notified: notified 0s ago; repeats once 4h have passed"),
            "notify": false,
            "open_alert": id,
            "occurrence": 2,
        })
    );
    assert_eq!(repeat["alert"]["id"], id.as_str());
    assert_eq!(repeat["messages"], json!([]));
    let table = site
        .host("ops")
        .args(["alert", "send", "--dry-run"])
        .args(args("error"))
        .run();
    assert!(
        table.stdout.starts_with(&format!(
            "dry run: nothing was sent\noccurrence 2 of open alert {id} (active); nobody would be notified"
        )),
        "{}",
        table.stdout
    );
    // Worse than what was notified: it would go out at once.
    let worse = dry("critical").json();
    assert_eq!(worse["decision"]["notify"], true);
    assert_eq!(
        worse["decision"]["summary"],
        format!(
            "occurrence 2 of open alert {id} (active); it would be notified again: escalated from error to critical"
        )
    );
    assert_eq!(worse["messages"].as_array().map(Vec::len), Some(2));
    assert_eq!(site.told(), (1, 1), "a dry run sent something");
    assert_eq!(
        site.store.alerts()[0]["occurrences"],
        1,
        "a dry run recorded something"
    );

    // A store out of reach: it cannot tell, and says so.
    let port = free_port();
    let blind = Test::new()
        .env(
            "VITALS_STATE",
            format!("postgres://vitals:pw@127.0.0.1:{port}/alerts"),
        )
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/hook", site.slack.url()),
        )
        .args(["alert", "send", "--dry-run", "--json"])
        .args(args("error"))
        .run();
    blind.assert_code(1);
    let blind = blind.json();
    assert_eq!(blind["decision"]["notify"], Value::Null);
    assert_eq!(
        blind["decision"]["summary"],
        format!(
            "alert store postgres://vitals:***@127.0.0.1:{port}/alerts: 127.0.0.1:{port}/alerts: connection refused: cannot tell whether it repeats an open alert; if it is new, every channel below would be notified"
        )
    );
}

// --- 8. Ids, the list, --by ------------------------------------------------

on_both!(ids_are_taken_by_unique_prefix_in_any_case_and_the_list_fits_80_columns);
fn ids_are_taken_by_unique_prefix_in_any_case_and_the_list_fits_80_columns(backend: Backend) {
    let site = Site::new(backend);
    let long = "a message far longer than eighty columns, to be cut in the table and kept whole in the JSON";
    let mut ids = Vec::new();
    for t in ["disk_full", "queue_stuck"] {
        let out = send(
            site.host("ops"),
            &[
                "--type",
                t,
                "--severity",
                "critical",
                "--message",
                long,
                "--label",
                "host=db1.example.internal",
            ],
        );
        out.assert_code(0);
        ids.push(s(&out.json()["id"]).to_owned());
    }

    let list = site
        .host("ops")
        .env("COLUMNS", "80")
        .args(["alert", "list"])
        .run();
    list.assert_code(0);
    for line in list.stdout.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}\n{}",
            line.chars().count(),
            list.stdout
        );
    }
    let header = list.stdout.lines().nth(1).unwrap_or_default();
    assert_eq!(
        header
            .split('|')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>(),
        ["ID", "ALERT", "SEVERITY", "STATUS", "COUNT", "MESSAGE"]
    );
    for id in &ids {
        let row = list
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {} ", &id[..8])))
            .unwrap_or_else(|| panic!("no row for {id}:\n{}", list.stdout));
        assert!(row.trim_end().ends_with("… |"), "{row}");
    }
    let json = site
        .host("ops")
        .args(["alert", "list", "--json"])
        .run()
        .json();
    assert_eq!(json[0]["message"], long);

    // Any unique prefix of 4 or more, in any case, names the alert.
    let prefix = ids[0][..6].to_ascii_uppercase();
    let ack = site
        .host("ops")
        .env("USER", "carol")
        .args(["alert", "ack", &prefix, "--json"])
        .run();
    ack.assert_code(0);
    let acked = ack.json();
    assert_eq!(acked["id"], ids[0].as_str());
    // No login name here (no terminal, no loginuid), so $USER.
    assert_eq!(acked["acknowledged_by"], "carol");
    let resolve = site
        .host("ops")
        .env_remove("USER")
        .args(["alert", "resolve", &ids[1][..4], "--json"])
        .run();
    resolve.assert_code(0);
    let uid = std::os::unix::fs::MetadataExt::uid(
        &std::fs::metadata("/proc/self").unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(resolve.json()["resolved_by"], format!("uid:{uid}"));

    let short = site.host("ops").args(["alert", "ack", "abc"]).run();
    short.assert_code(3);
    assert_eq!(
        short.stderr,
        "error: \"abc\" is too short to name an alert: give at least 4 characters of its id \
         (`vitals alert list --status all` shows them)\n"
    );
    // Two alerts whose ids share a prefix: the prefix names neither.
    site.store.execute(
        "DELETE FROM deliveries; \
         UPDATE alerts SET id = 'abcd' || substr(id, 5)",
    );
    let ambiguous = site.host("ops").args(["alert", "ack", "ABCD"]).run();
    ambiguous.assert_code(3);
    let stored = site.store.alerts();
    let describe = |a: &Value| {
        format!(
            "{} ({}, {})",
            s(&a["id"]),
            s(&a["alert_type"]),
            s(&a["status"])
        )
    };
    assert_eq!(
        ambiguous.stderr,
        format!(
            "error: 2 alerts have an id starting with \"ABCD\": {}; {}; give more of the id\n",
            describe(&stored[0]),
            describe(&stored[1])
        )
    );
    let unknown = site.host("ops").args(["alert", "ack", "ffff0000"]).run();
    unknown.assert_code(3);
    assert_eq!(
        unknown.stderr,
        "error: no alert with id \"ffff0000\" (`vitals alert list --status all` lists them)\n"
    );
}

// --- The schema change -------------------------------------------------------

/// The store as vitals created it before alerts had labels (schema version 1).
const SCHEMA_V1: &str = include_str!("fixtures/alert-store-v1.sql");

/// An open alert of schema version 1, notified on Slack and PagerDuty at `at` (ms).
fn v1_alert(id: &str, alert_type: &str, message: &str, at: i64) -> String {
    let when = DateTime::from_timestamp_millis(at)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true);
    let delivery = |seq: i64, channel: &str, recipient: &str| {
        let body = json!({
            "channel": channel, "provider": channel, "recipient": recipient,
            "outcome": "delivered", "attempts": 1, "error": null, "provider_id": null,
            "provider_status": null, "at": when, "history": [], "event": "trigger",
        });
        format!(
            "INSERT INTO deliveries (alert_id, seq, event, channel, outcome, at, body) \
             VALUES ('{id}', {seq}, 'trigger', '{channel}', 'delivered', {at}, '{body}');"
        )
    };
    format!(
        "INSERT INTO alerts (id, identity, alert_type, severity, message, context, status, \
         triggered_at, occurrences, last_notified_at, test, notified_severity, updated_at) \
         VALUES ('{id}', '{alert_type}', '{alert_type}', 'error', '{message}', '{{}}', 'active', \
         {at}, 1, {at}, 0, 'error', {at}); {} {}",
        delivery(1, "slack", "http://127.0.0.1/***"),
        delivery(2, "pagerduty", "http://127.0.0.1/v2/enqueue"),
    )
}

on_both!(alerts_from_before_labels_still_de_duplicate_and_resolve);
fn alerts_from_before_labels_still_de_duplicate_and_resolve(backend: Backend) {
    let site = Site::new(backend);
    let (good, wrong, target) = database();
    let api = HttpServer::replying(Reply::json(200, &json!({"data": []})));
    let ten_minutes_ago = Utc::now().timestamp_millis() - 600_000;
    site.store.execute(&format!(
        "{SCHEMA_V1} {} {} {}",
        v1_alert(
            "0000000000d1",
            "database_failure",
            "database is unhealthy",
            ten_minutes_ago
        ),
        v1_alert(
            "0000000000e5",
            "external_services_failure",
            "external_services is unhealthy",
            ten_minutes_ago
        ),
        v1_alert("0000000000f0", "disk_full", "/var is full", ten_minutes_ago),
    ));
    let web1 = || {
        site.host("web1")
            .env("ANTHROPIC_API_KEY", "sk-migration-test-key")
            .env("ANTHROPIC_BASE_URL", api.url())
    };

    // An unlabelled send is one more occurrence of the unlabelled alert.
    let disk = send(
        web1(),
        &[
            "--type",
            "disk_full",
            "--severity",
            "error",
            "--message",
            "/var is still full",
        ],
    );
    disk.assert_code(0);
    assert_eq!(disk.json()["id"], "0000000000f0");
    assert_eq!(disk.json()["occurrences"], 2);
    assert_eq!(site.told(), (0, 0));
    assert_eq!(
        (
            site.store.number("SELECT MAX(version) FROM schema_version"),
            site.store
                .number("SELECT MAX(compatible_from) FROM schema_version")
        ),
        (6, 5)
    );

    // The database still fails: its check adopts the old alert, labels and all.
    web1()
        .env("DATABASE_URL", &wrong)
        .args(["check", "db", "--alert"])
        .run()
        .assert_code(2);
    let adopted = site
        .store
        .alerts()
        .into_iter()
        .find(|a| a["id"] == "0000000000d1")
        .unwrap_or_else(|| panic!("the old alert is gone"));
    assert_eq!(
        adopted["labels"],
        json!({"check": "database", "instance": "web1", "target": target})
    );
    assert_eq!(adopted["occurrences"], 2);
    assert_eq!(adopted["dedup_key"], "database_failure");
    assert_eq!(
        site.told(),
        (0, 0),
        "a repeat within the interval was notified"
    );
    assert_eq!(site.store.alerts().len(), 3);

    // Healthy runs resolve them, PagerDuty's incidents under their old keys.
    web1()
        .args(["check", "services", "--alert"])
        .run()
        .assert_code(0);
    web1()
        .env("DATABASE_URL", &good)
        .args(["check", "db", "--alert"])
        .run()
        .assert_code(0);
    assert_eq!(site.told(), (2, 2));
    assert_eq!(
        site.pagerduty_events(),
        [
            ("resolve".to_owned(), "external_services_failure".to_owned()),
            ("resolve".to_owned(), "database_failure".to_owned()),
        ]
    );
    let open = site.open_alerts();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["id"], "0000000000f0");
}

on_both!(a_newer_schema_is_used_when_compatible_and_refused_otherwise);
fn a_newer_schema_is_used_when_compatible_and_refused_otherwise(backend: Backend) {
    let site = Site::new(backend);
    let args = [
        "--type",
        "disk_full",
        "--severity",
        "error",
        "--message",
        "/var is full",
    ];
    send(site.host("web1"), &args).assert_code(0);
    // A newer vitals changed the schema in a way this one can live with.
    site.store
        .execute("UPDATE schema_version SET version = 7, compatible_from = 6");
    let compatible = send(site.host("web1"), &args);
    compatible.assert_code(0);
    assert_eq!(compatible.json()["occurrences"], 2);
    assert_eq!(site.told(), (1, 1));
    // ... and then in one it cannot: it says so, and the alert still goes out.
    site.store
        .execute("UPDATE schema_version SET compatible_from = 7");
    let refused = send(site.host("web1"), &args);
    refused.assert_code(1);
    assert_eq!(site.told(), (2, 2));
    let name = redacted(&site.store);
    let why = format!(
        "error: alert store {name}: it was written by a newer vitals (schema version 7, \
         readable from version 7; this one knows up to 6); upgrade vitals"
    );
    assert_eq!(
        refused.stderr,
        format!("{why}: the alert was not recorded, so it was notified without de-duplication\n")
    );
    let list = site.host("web1").args(["alert", "list"]).run();
    list.assert_code(3);
    assert_eq!(list.stderr, format!("{why}\n"));
    assert_eq!(
        site.store.number("SELECT MAX(version) FROM schema_version"),
        7,
        "the store was rewritten"
    );
}

// --- 4. Severity and routing ---------------------------------------------------

on_both!(outages_reach_sms_when_the_routing_says_so);
fn outages_reach_sms_when_the_routing_says_so(backend: Backend) {
    let site = Site::new(backend);
    let twilio = HttpServer::replying(Reply::json(
        201,
        &json!({"sid": "SM0001", "status": "queued"}),
    ));
    let port = free_port();
    let down = format!("postgres://app:pw@127.0.0.1:{port}/app");
    // Each instance raises its own outage: a new alert, notified at once.
    let outage = |instance: &str, settings: &[(&str, &str)]| {
        let out = site
            .host(instance)
            .env("TWILIO_BASE_URL", twilio.url())
            .env("TWILIO_ACCOUNT_SID", format!("AC{}", random_token()))
            .env("TWILIO_AUTH_TOKEN", random_token())
            .env("TWILIO_FROM_NUMBER", "+14155550100")
            .env("ALERT_SMS_RECIPIENTS", "+14155550101")
            .env("DATABASE_URL", &down)
            .envs(settings.iter().copied())
            .args(["check", "db", "--alert"])
            .run();
        out.assert_code(2);
        assert_eq!(out.stderr, "", "{instance}");
        let alerts = site.store.alerts();
        alerts
            .into_iter()
            .find(|a| a["labels"]["instance"] == instance)
            .unwrap_or_else(|| panic!("no alert of {instance}"))
    };
    let sms = |alert: &Value| {
        alert["deliveries"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["channel"] == "sms").cloned())
            .unwrap_or_else(|| panic!("no SMS delivery: {alert}"))
    };

    // As before: an outage is an error, and SMS takes critical alerts only.
    let plain = outage("web1", &[]);
    assert_eq!(plain["severity"], "error");
    assert_eq!(sms(&plain)["outcome"], "skipped");
    assert_eq!(
        sms(&plain)["error"],
        "sms takes critical alerts and above (SMS_MIN_SEVERITY); this one is error"
    );
    assert_eq!(twilio.request_count(), 0);
    // The database's outages are critical: SMS is sent.
    let critical = outage("web2", &[("VITALS_ALERT_SEVERITY", "db=critical")]);
    assert_eq!(critical["severity"], "critical");
    assert_eq!(sms(&critical)["outcome"], "delivered");
    assert_eq!(twilio.request_count(), 1);
    assert_eq!(
        twilio.requests()[0].form_value("Body").unwrap_or_default(),
        format!(
            "CRITICAL ALERT: database_failure\ndatabase is unhealthy: 127.0.0.1:{port}/app: \
             connection refused"
        )
    );
    // Or SMS takes errors too.
    let routed = outage("web3", &[("SMS_MIN_SEVERITY", "error")]);
    assert_eq!(routed["severity"], "error");
    assert_eq!(sms(&routed)["outcome"], "delivered");
    assert_eq!(twilio.request_count(), 2);
    // PagerDuty only for critical ones: an error is recorded as skipped there.
    let paged = outage("web4", &[("PAGERDUTY_MIN_SEVERITY", "critical")]);
    let skipped: Vec<(String, String)> = events(&paged)
        .into_iter()
        .filter(|(_, _, outcome)| outcome == "skipped")
        .map(|(_, channel, outcome)| (channel, outcome))
        .collect();
    assert_eq!(
        skipped,
        [
            ("sms".to_owned(), "skipped".to_owned()),
            ("pagerduty".to_owned(), "skipped".to_owned())
        ]
    );

    // A mistyped check name stops alerting, and says what it looks like.
    let typo = site
        .host("web5")
        .env("DATABASE_URL", &down)
        .env("VITALS_ALERT_SEVERITY", "databse=critical")
        .args(["check", "db", "--alert"])
        .run();
    typo.assert_code(2);
    assert_eq!(
        typo.stderr,
        "error: --alert: no alert was raised or resolved: invalid configuration\n  \
         VITALS_ALERT_SEVERITY: expected CHECK=SEVERITY pairs such as \
         database=critical,cache=error (\"databse\" is not a check; did you mean database?), \
         got \"databse=critical\"\n"
    );

    // config validate shows where each severity goes.
    let validate = site
        .host("web1")
        .env("SMS_MIN_SEVERITY", "error")
        .env("TWILIO_ACCOUNT_SID", format!("AC{}", random_token()))
        .env("TWILIO_AUTH_TOKEN", random_token())
        .env("TWILIO_FROM_NUMBER", "+14155550100")
        .env("ALERT_SMS_RECIPIENTS", "+14155550101")
        .args(["config", "validate", "--json"])
        .run();
    assert_eq!(
        validate.json()["routing"],
        json!({
            "info": ["slack", "pagerduty"],
            "warning": ["slack", "pagerduty"],
            "error": ["slack", "sms", "pagerduty"],
            "critical": ["slack", "sms", "pagerduty"],
        })
    );
}

// --- E-mail threads --------------------------------------------------------------

on_both!(e_mail_follow_ups_reply_to_the_first_notification);
fn e_mail_follow_ups_reply_to_the_first_notification(backend: Backend) {
    let store = Store::fresh(backend);
    let all = crate::support::alerts::Everything::start();
    let start = Utc::now();
    let at = |secs: i64| {
        all.test()
            .env("VITALS_STATE", &store.location)
            .env("VITALS_NOW", later(start, secs))
    };
    let send = |secs: i64, message: &str| {
        at(secs)
            .args(send_disk_full("error"))
            .args(["--message", message, "--json"])
            .run()
    };
    let first = send(0, "/var is 91% full");
    first.assert_code(0);
    let id = s(&first.json()["id"]).to_owned();
    // Past the repeat interval: notified again, in the same thread.
    send(5 * 3600, "/var is 97% full").assert_code(0);
    at(5 * 3600 + 60)
        .args(["alert", "resolve", &id[..6], "--by", "bob"])
        .run()
        .assert_code(0);
    let mails = all.smtp.messages();
    assert_eq!(mails.len(), 3);
    let root = format!("<{id}@digital-agency.ai>");
    assert_eq!(
        (
            mails[0].str("message_id"),
            mails[0].str("in_reply_to"),
            mails[0].str("references")
        ),
        (root.as_str(), "", "")
    );
    for (mail, event) in [(&mails[1], "trigger"), (&mails[2], "resolve")] {
        let own = mail.str("message_id");
        assert!(
            own.starts_with(&format!("<{id}.{event}.")) && own.ends_with("@digital-agency.ai>"),
            "{own}"
        );
        assert_eq!(
            (mail.str("in_reply_to"), mail.str("references")),
            (root.as_str(), root.as_str())
        );
    }
    assert_eq!(
        mails[2].str("subject"),
        "[RESOLVED] Digital Agency Alert: disk_full"
    );
    assert!(
        mails[2].parts()[0].1.contains(
            "First notified: /var is 91% full\r\nOccurrences: 2\r\nLatest message: /var is 97% full\r\n"
        ),
        "{:?}",
        mails[2].parts()
    );
}

// --- 3. alert test -----------------------------------------------------------------

on_both!(alert_test_closes_the_incident_it_opens);
fn alert_test_closes_the_incident_it_opens(backend: Backend) {
    let store = Store::fresh(backend);
    let all = crate::support::alerts::Everything::start();
    let out = all
        .test()
        .env("VITALS_STATE", &store.location)
        .args(["alert", "test", "--json"])
        .run();
    out.assert_code(0);
    all.check(&out);
    let alert = out.json();
    let id = s(&alert["id"]).to_owned();
    let key = format!("vitals_test-{id}");
    assert_eq!(alert["dedup_key"], key.as_str());
    assert_eq!(alert["status"], "resolved");
    assert_eq!(alert["resolved_by"], "vitals alert test");
    let pd: Vec<Value> = all.pagerduty.requests().iter().map(|r| r.json()).collect();
    assert_eq!(
        pd.iter()
            .map(|e| (
                s(&e["event_action"]).to_owned(),
                s(&e["dedup_key"]).to_owned()
            ))
            .collect::<Vec<_>>(),
        [
            ("trigger".to_owned(), key.clone()),
            ("resolve".to_owned(), key)
        ]
    );
    assert!(
        s(&pd[0]["payload"]["summary"]).starts_with("[INFO] vitals_test: This is a test alert"),
        "{}",
        pd[0]
    );
    // People are told once, and told it is a test.
    assert_eq!(all.slack.request_count(), 1);
    let slack = all.slack.requests()[0].json();
    assert!(
        s(&slack["attachments"][0]["text"]).starts_with("This is a test alert"),
        "{slack}"
    );
    assert_eq!(all.smtp.messages().len(), 1);
    assert!(
        all.smtp.messages()[0].parts()[0]
            .1
            .contains("This is a test alert"),
        "{:?}",
        all.smtp.messages()[0].parts()
    );
    assert_eq!(
        all.twilio.requests()[0]
            .form_value("Body")
            .unwrap_or_default()
            .lines()
            .next(),
        Some("TEST ALERT: vitals_test")
    );
    assert_eq!(
        events(&alert)
            .into_iter()
            .filter(|(event, _, _)| event == "resolve")
            .collect::<Vec<_>>(),
        [e("resolve", "pagerduty", "delivered")]
    );
    // Not recorded (no store was even created), and a second test opens and closes its own.
    let list = store.test().args(["alert", "list"]).run();
    list.assert_code(3)
        .assert_stderr_contains(": nothing has been recorded there");
    all.test()
        .env("VITALS_STATE", &store.location)
        .args(["alert", "test"])
        .run()
        .assert_code(0);
    assert_eq!(all.pagerduty.request_count(), 4);
}
