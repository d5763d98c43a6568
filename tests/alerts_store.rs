//! The alert store through the real binary, on a real SQLite file and on the
//! harness PostgreSQL: trigger → list → ack → resolve, de-duplication and the
//! repeat interval, escalation, the rate limit, concurrent senders, and what
//! happens when the store is broken or out of reach.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::thread;

use serde_json::{Value, json};

use crate::support::alerts::{Backend, Everything, Store, deliveries, events, send_args, summary};
use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};
use crate::support::net::free_port;
use crate::support::postgres::PgServer;

fn slack_only(store: &Store, slack: &HttpServer) -> Test {
    store
        .test()
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/hook", slack.url()),
        )
        .env("ALERT_RETRY_BACKOFF", "10ms")
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key} in {v}"))
}

fn outcomes(out: &Outcome) -> Vec<String> {
    summary(&out.json()).into_iter().map(|s| s.1).collect()
}

on_both!(trigger_list_ack_resolve_round_trip);
fn trigger_list_ack_resolve_round_trip(backend: Backend) {
    let store = Store::fresh(backend);
    let all = Everything::start();
    let run = |args: &[&str]| {
        let out = all
            .test()
            .env("VITALS_STATE", &store.location)
            .args(args)
            .run();
        all.check(&out);
        out
    };

    let sent = run(&[
        "alert",
        "send",
        "--type",
        "disk_full",
        "--severity",
        "critical",
        "--message",
        "/var is 97% full",
        "--context",
        r#"{"host":"db1"}"#,
        "--json",
    ]);
    sent.assert_code(0);
    let sent = sent.json();
    let id = str_of(&sent, "id").to_owned();
    assert_eq!(sent["status"], "active");
    assert_eq!(sent["occurrences"], 1);
    assert_eq!(deliveries(&sent).len(), 5);
    assert_eq!(
        (all.slack.request_count(), all.twilio.request_count()),
        (1, 2)
    );
    assert_eq!(
        (all.pagerduty.request_count(), all.smtp.messages().len()),
        (1, 1)
    );

    // The list shows what the store holds, deliveries included.
    let listed = run(&["alert", "list", "--json"]);
    listed.assert_code(0);
    let listed = listed.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let a = &listed[0];
    assert_eq!(str_of(a, "id"), id);
    assert_eq!(a["alert_type"], "disk_full");
    assert_eq!(a["severity"], "critical");
    assert_eq!(a["context"], json!({"host": "db1"}));
    assert_eq!(a["last_notified_at"], sent["last_notified_at"]);
    assert_eq!(a["deliveries"], sent["deliveries"]);
    let table = run(&["alert", "list"]);
    table.assert_code(0);
    // Ids are shown by their first 8 characters, which any command takes.
    let short = &id[..8];
    let row = table
        .stdout
        .lines()
        .find(|l| l.contains(short))
        .unwrap_or_else(|| panic!("no row for {short}:\n{}", table.stdout));
    let cells: Vec<&str> = row
        .split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(&cells[..5], [short, "disk_full", "CRITICAL", "active", "1"]);
    assert_eq!(cells[5], str_of(a, "triggered_at"));
    assert_eq!(cells[7], "/var is 97% full");
    assert!(table.stdout.ends_with("1 open alert\n"), "{}", table.stdout);

    // Acknowledged: PagerDuty's incident too, and no one is notified again.
    let ack = run(&["alert", "ack", &id, "--by", "alice", "--json"]);
    ack.assert_code(0);
    let acked = ack.json();
    assert_eq!(acked["status"], "acknowledged");
    assert_eq!(acked["acknowledged_by"], "alice");
    ack.timestamp(&acked["acknowledged_at"]);
    assert_eq!(
        summary(&acked),
        [(
            format!("{}/v2/enqueue", all.pagerduty.url()),
            "delivered".to_owned(),
            1
        )]
    );
    let pd = all.pagerduty.requests();
    assert_eq!(pd.len(), 2);
    assert_eq!(
        pd[1].json(),
        json!({"routing_key": all.routing_key, "event_action": "acknowledge", "dedup_key": "disk_full"})
    );
    let again = run(&[
        "alert",
        "send",
        "--type",
        "disk_full",
        "--severity",
        "critical",
        "--message",
        "/var is 99% full",
        "--json",
    ]);
    again.assert_code(0);
    let again = again.json();
    assert_eq!(str_of(&again, "id"), id);
    assert_eq!(again["occurrences"], 2);
    assert_eq!(again["status"], "acknowledged");
    assert_eq!(again["message"], "/var is 99% full");
    assert_eq!(deliveries(&again).len(), 0);
    assert_eq!(
        all.requests(),
        5,
        "an acknowledged alert was notified again"
    );

    // Resolved: PagerDuty resolves the incident, e-mail and Slack say so, SMS stays quiet.
    let resolved = run(&[
        "alert",
        "resolve",
        &id,
        "--by",
        "bob",
        "--note",
        "rotated the logs",
    ]);
    resolved.assert_code(0);
    assert!(
        resolved.stdout.contains(&format!(
            "alert {id} disk_full [CRITICAL] resolved by bob at "
        )) && resolved.stdout.ends_with(": rotated the logs\n"),
        "{}",
        resolved.stdout
    );
    assert_eq!(
        (
            all.slack.request_count(),
            all.twilio.request_count(),
            all.pagerduty.request_count()
        ),
        (2, 2, 3)
    );
    let slack = all.slack.requests()[1].json();
    assert_eq!(slack["attachments"][0]["title"], "Resolved: disk_full");
    assert_eq!(slack["attachments"][0]["color"], "#2EB67D");
    let fields: Vec<(Value, Value)> = slack["attachments"][0]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|f| (f["title"].clone(), f["value"].clone()))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(fields[4], (json!("Resolved by"), json!("bob")));
    assert_eq!(fields[5], (json!("Note"), json!("rotated the logs")));
    assert_eq!(
        all.pagerduty.requests()[2].json(),
        json!({"routing_key": all.routing_key, "event_action": "resolve", "dedup_key": "disk_full"})
    );
    let mails = all.smtp.messages();
    assert_eq!(mails.len(), 2);
    assert_eq!(
        mails[1].str("subject"),
        "[RESOLVED] Digital Agency Alert: disk_full"
    );

    // The default list shows what still needs someone: nothing.
    let open = run(&["alert", "list"]);
    open.assert_code(0);
    assert_eq!(open.stdout, "no open alerts\n");
    assert_eq!(run(&["alert", "list", "--json"]).json(), json!([]));
    let stored = store.alerts();
    assert_eq!(stored.len(), 1);
    let a = &stored[0];
    assert_eq!(a["status"], "resolved");
    assert_eq!(a["resolved_by"], "bob");
    assert_eq!(a["resolution_note"], "rotated the logs");
    assert_eq!(a["acknowledged_by"], "alice");
    assert_eq!(a["occurrences"], 2);
    let trigger = |channel: &str| {
        (
            "trigger".to_owned(),
            channel.to_owned(),
            "delivered".to_owned(),
        )
    };
    let follow =
        |event: &str, channel: &str| (event.to_owned(), channel.to_owned(), "delivered".to_owned());
    assert_eq!(
        events(a),
        [
            trigger("email"),
            trigger("slack"),
            trigger("sms"),
            trigger("sms"),
            trigger("pagerduty"),
            follow("acknowledge", "pagerduty"),
            follow("resolve", "email"),
            follow("resolve", "slack"),
            follow("resolve", "pagerduty"),
        ]
    );
    assert_eq!(
        run(&[
            "alert",
            "list",
            "--status",
            "resolved",
            "--severity",
            "critical",
            "--json"
        ])
        .json()[0]["id"],
        json!(id)
    );
    assert_eq!(
        run(&[
            "alert",
            "list",
            "--severity",
            "info",
            "--status",
            "all",
            "--json"
        ])
        .json(),
        json!([])
    );

    // A new occurrence after resolution is a new alert, notified again.
    let reopened = run(&send_args("critical", "/var is full again")
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    reopened.assert_code(0);
    let reopened = reopened.json();
    assert_ne!(str_of(&reopened, "id"), id);
    assert_eq!(reopened["occurrences"], 1);
    assert_eq!(all.slack.request_count(), 3);
}

on_both!(repeats_wait_for_the_repeat_interval);
fn repeats_wait_for_the_repeat_interval(backend: Backend) {
    let store = Store::fresh(backend);
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let send = |message: &str| slack_only(&store, &slack).args(send_args("error", message));

    let first = send("queue at 250").run();
    first.assert_code(0);
    let id = str_of(&first.json(), "id").to_owned();
    for (n, message) in [(2, "queue at 300"), (3, "queue at 350")] {
        let out = send(message).run();
        out.assert_code(0);
        let alert = out.json();
        assert_eq!(str_of(&alert, "id"), id);
        assert_eq!(alert["occurrences"], n);
        assert_eq!(alert["message"], message);
        assert_eq!(deliveries(&alert).len(), 0);
    }
    let table = slack_only(&store, &slack)
        .args([
            "alert",
            "send",
            "--type",
            "disk_full",
            "--severity",
            "error",
            "--message",
            "queue at 400",
        ])
        .run();
    table.assert_code(0);
    assert!(
        table.stdout.starts_with(&format!(
            "alert {id} disk_full [ERROR] (active): occurrence 4 recorded; not notified: notified "
        )) && table
            .stdout
            .ends_with(" ago; repeats once 4h have passed\n"),
        "{}",
        table.stdout
    );
    assert_eq!(slack.request_count(), 1, "repeats within 4h were notified");

    // Once the interval has passed (1 ms here) the still-open alert is notified again.
    let later = send("queue at 450")
        .env("ALERT_REPEAT_INTERVAL", "1ms")
        .run();
    later.assert_code(0);
    let later = later.json();
    assert_eq!(later["occurrences"], 5);
    assert_eq!(outcomes_of(&later), ["delivered"]);
    assert_eq!(slack.request_count(), 2);
    let text = slack.requests()[1].json()["attachments"][0]["text"].clone();
    assert_eq!(text, "queue at 450");
    let stored = store.alerts();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["occurrences"], 5);
    assert_eq!(stored[0]["last_notified_at"], later["last_notified_at"]);
    assert_eq!(deliveries(&stored[0]).len(), 2);
}

fn outcomes_of(alert: &Value) -> Vec<String> {
    summary(alert).into_iter().map(|s| s.1).collect()
}

on_both!(a_higher_severity_notifies_at_once);
fn a_higher_severity_notifies_at_once(backend: Backend) {
    let store = Store::fresh(backend);
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let send = |severity: &str| {
        let out = slack_only(&store, &slack)
            .args(send_args(severity, "disk filling"))
            .run();
        out.assert_code(0);
        out.json()
    };
    assert_eq!(outcomes_of(&send("warning")), ["delivered"]);
    assert_eq!(outcomes_of(&send("warning")), Vec::<String>::new());
    let escalated = send("critical");
    assert_eq!(escalated["severity"], "critical");
    assert_eq!(outcomes_of(&escalated), ["delivered"]);
    // Lower again: still the same alert, still critical, not notified.
    let lower = send("error");
    assert_eq!(lower["severity"], "critical");
    assert_eq!(lower["occurrences"], 4);
    assert_eq!(outcomes_of(&lower), Vec::<String>::new());
    let colours: Vec<Value> = slack
        .requests()
        .iter()
        .map(|r| r.json()["attachments"][0]["color"].clone())
        .collect();
    assert_eq!(colours, [json!("#FFD700"), json!("#FF0000")]);
}

on_both!(a_notification_that_reached_nobody_is_retried_next_time);
fn a_notification_that_reached_nobody_is_retried_next_time(backend: Backend) {
    let store = Store::fresh(backend);
    let slack = HttpServer::sequence(vec![
        Reply::text(500, "no_service"),
        Reply::text(500, "no_service"),
        Reply::text(500, "no_service"),
        Reply::text(200, "ok"),
    ]);
    let first = slack_only(&store, &slack)
        .args(send_args("error", "db down"))
        .run();
    first.assert_code(2);
    assert_eq!(summary(&first.json())[0].1, "failed");
    // Recorded with its errors, though nobody was told.
    let stored = store.alerts();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["last_notified_at"], Value::Null);
    let failed = &deliveries(&stored[0])[0];
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(failed["attempts"], 3);
    assert_eq!(
        failed["error"],
        format!(
            "127.0.0.1:{}: HTTP 500: no_service; gave up after 3 attempts",
            slack.port()
        )
    );

    let second = slack_only(&store, &slack)
        .args(send_args("error", "db down"))
        .run();
    second.assert_code(0);
    let notified = second.json();
    assert_eq!(notified["occurrences"], 2);
    assert_eq!(outcomes_of(&notified), ["delivered"]);
    second.timestamp(&notified["last_notified_at"]);
    assert_eq!(slack.request_count(), 4);
    // Delivered now: the next one waits for the repeat interval.
    let third = slack_only(&store, &slack)
        .args(send_args("error", "db down"))
        .run();
    third.assert_code(0);
    assert_eq!(outcomes_of(&third.json()), Vec::<String>::new());
    assert_eq!(slack.request_count(), 4);
}

on_both!(the_rate_limit_records_suppressed_notifications);
fn the_rate_limit_records_suppressed_notifications(backend: Backend) {
    let store = Store::fresh(backend);
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let send = |kind: &str| {
        slack_only(&store, &slack)
            .env("ALERT_RATE_LIMIT", "2/1h")
            .args([
                "alert",
                "send",
                "--type",
                kind,
                "--severity",
                "error",
                "--message",
                "m",
                "--json",
            ])
            .run()
    };
    for kind in ["a_down", "b_down"] {
        let out = send(kind);
        out.assert_code(0);
        assert_eq!(outcomes(&out), ["delivered"]);
    }
    let third = send("c_down");
    // Nothing was delivered: CRITICAL, as for any notification that reached nobody.
    third.assert_code(2);
    let d = &deliveries(&third.json())[0];
    assert_eq!(d["outcome"], "suppressed");
    assert_eq!(d["channel"], "slack");
    assert_eq!(d["attempts"], 0);
    assert_eq!(
        d["error"],
        "rate limit reached: 2 notifications per 1h on slack (ALERT_RATE_LIMIT)"
    );
    assert_eq!(slack.request_count(), 2);
    let stored = store.alerts();
    let c = stored
        .iter()
        .find(|a| a["alert_type"] == "c_down")
        .unwrap_or_else(|| panic!("c_down not stored: {stored:?}"));
    assert_eq!(
        events(c),
        [("trigger".into(), "slack".into(), "suppressed".into())]
    );
    assert_eq!(c["last_notified_at"], Value::Null);
    // Held back, and said why, until a notification gets through.
    assert_eq!(c["held"], "rate_limited");
    assert_eq!(
        c["held_reason"],
        "rate limit reached: 2 notifications per 1h on slack (ALERT_RATE_LIMIT)"
    );
    let table = slack_only(&store, &slack).args(["alert", "list"]).run();
    assert!(
        table.stdout.contains("| active (rate_limited) |"),
        "{}",
        table.stdout
    );
    // A suppressed notification is owed: the next occurrence tries again (and is held again).
    let fourth = send("c_down");
    fourth.assert_code(2);
    assert_eq!(outcomes(&fourth), ["suppressed"]);
    assert_eq!(slack.request_count(), 2);
}

on_both!(twenty_concurrent_senders_make_one_alert_and_one_notification);
fn twenty_concurrent_senders_make_one_alert_and_one_notification(backend: Backend) {
    // On PostgreSQL the senders are held at the door together: the test locks
    // the alerts table (so the store must exist) until all twenty wait for a
    // lock, so they really do reach the store at the same instant. (SQLite's
    // writers queue on the file lock whatever happens, the store's first
    // creation included.)
    let store = match backend {
        Backend::Postgres => Store::created(backend),
        Backend::Sqlite => Store::fresh(backend),
    };
    let all = Everything::start();
    let gate = (backend == Backend::Postgres).then(|| {
        let db = store
            .location
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut holder = PgServer::shared().client(&db);
        holder
            .batch_execute("BEGIN; LOCK TABLE alerts IN ACCESS EXCLUSIVE MODE")
            .unwrap_or_else(|e| panic!("{e}"));
        (holder, PgServer::shared().client(&db), db)
    });
    let outs: Vec<Outcome> = thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let test = all
                    .test()
                    .env("VITALS_STATE", &store.location)
                    .args(send_args("critical", &format!("sender {i}")))
                    .args(["--timeout", "20s"]);
                scope.spawn(move || test.run())
            })
            .collect();
        if let Some((mut holder, mut watcher, db)) = gate {
            let mut waiting = || -> i64 {
                watcher
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity \
                         WHERE datname = $1 AND wait_event_type = 'Lock'",
                        &[&db],
                    )
                    .map(|r| r.get(0))
                    .unwrap_or_else(|e| panic!("{e}"))
            };
            let started = std::time::Instant::now();
            loop {
                let n = waiting();
                if n >= 20 {
                    break;
                }
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(15),
                    "only {n} senders reached the lock"
                );
                thread::sleep(std::time::Duration::from_millis(20));
            }
            holder
                .batch_execute("COMMIT")
                .unwrap_or_else(|e| panic!("{e}"));
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| panic!("a sender thread panicked"))
            })
            .collect()
    });
    for out in &outs {
        out.assert_code(0);
        all.check(out);
    }
    let ids: std::collections::BTreeSet<String> = outs
        .iter()
        .map(|o| str_of(&o.json(), "id").to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let notified = outs
        .iter()
        .filter(|o| !deliveries(&o.json()).is_empty())
        .count();
    assert_eq!(notified, 1);
    assert_eq!(all.slack.request_count(), 1);
    assert_eq!(all.pagerduty.request_count(), 1);
    assert_eq!(all.twilio.request_count(), 2, "one SMS per number");
    assert_eq!(all.smtp.messages().len(), 1);
    let stored = store.alerts();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["occurrences"], 20);
    assert_eq!(deliveries(&stored[0]).len(), 5);
}

on_both!(an_unknown_id_or_a_refused_change_exits_3);
fn an_unknown_id_or_a_refused_change_exits_3(backend: Backend) {
    let store = Store::created(backend);
    let out = store
        .test()
        .args(["alert", "ack", "0123456789ab", "--by", "alice"])
        .run();
    out.assert_code(3);
    assert_eq!(
        out.stderr,
        "error: no alert with id \"0123456789ab\" (`vitals alert list --status all` lists them)\n"
    );
    assert_eq!(out.stdout, "");
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let sent = slack_only(&store, &slack)
        .args(send_args("error", "m"))
        .run();
    let id = str_of(&sent.json(), "id").to_owned();
    let resolve = || {
        store
            .test()
            .args(["alert", "resolve", &id, "--by", "bob"])
            .run()
    };
    resolve().assert_code(0);
    let twice = resolve();
    twice.assert_code(3);
    assert!(
        twice.stderr.starts_with(&format!(
            "error: alert {id} was already resolved by bob at "
        )),
        "{}",
        twice.stderr
    );
    let ack = store
        .test()
        .args(["alert", "ack", &id, "--by", "alice"])
        .run();
    ack.assert_code(3)
        .assert_stderr_contains("was already resolved by bob");
    let nobody = store.test().args(["alert", "ack", &id, "--by", " "]).run();
    nobody
        .assert_code(3)
        .assert_stderr_contains("error: --by: expected who you are");
}

#[test]
fn the_store_file_is_created_private_where_xdg_says() {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let test = Test::new()
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/hook", slack.url()),
        )
        .args(send_args("error", "m"));
    test.run().assert_code(0);
    let file = test.state_dir().join("vitals/alerts.db");
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&test.state_dir().join("vitals")), 0o700);
    // Without XDG_STATE_HOME: ~/.local/state/vitals.
    let home = Test::new()
        .env_remove("XDG_STATE_HOME")
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/hook", slack.url()),
        )
        .args(send_args("error", "m"));
    home.run().assert_code(0);
    assert_eq!(
        mode(&home.home().join(".local/state/vitals/alerts.db")),
        0o600
    );
}

#[test]
fn a_corrupt_or_unusable_store_file_is_a_clear_error_and_left_alone() {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let test = Test::new();
    let garbage = b"this is not a database, and it must still be here afterwards\n".repeat(100);
    let file = test.write_file("state/alerts.db", &garbage);
    let list = Test::new()
        .env("VITALS_STATE", &file)
        .args(["alert", "list"])
        .run();
    list.assert_code(3);
    assert_eq!(
        list.stderr,
        format!(
            "error: alert store {}: not an SQLite database (file is not a database); it was left \
             untouched: move it away or point VITALS_STATE elsewhere\n",
            file.display()
        )
    );
    // `alert send` still gets the word out, and says what it could not do.
    let send = Test::new()
        .env("VITALS_STATE", &file)
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/hook", slack.url()),
        )
        .args(send_args("error", "m"))
        .run();
    send.assert_code(1);
    assert_eq!(outcomes(&send), ["delivered"]);
    assert_eq!(slack.request_count(), 1);
    assert!(
        send.stderr.ends_with(
            "it was left untouched: move it away or point VITALS_STATE elsewhere: the alert was \
             not recorded, so it was notified without de-duplication\n"
        ),
        "{}",
        send.stderr
    );
    assert_eq!(
        std::fs::read(&file).ok(),
        Some(garbage),
        "the store file was changed"
    );

    let dir = test.dir().join("a-directory");
    std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    let out = Test::new()
        .env("VITALS_STATE", &dir)
        .args(["alert", "list"])
        .run();
    out.assert_code(3);
    assert_eq!(
        out.stderr,
        format!(
            "error: alert store {}: it is a directory, not an SQLite file\n",
            dir.display()
        )
    );
}

#[test]
fn an_unreachable_postgres_store_still_lets_the_alert_out() {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let password = format!("statepw{}", crate::support::random_token());
    let port = free_port();
    let url = format!("postgres://vitals:{password}@127.0.0.1:{port}/alerts");
    let out = Test::new()
        .env("VITALS_STATE", &url)
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T0/B0/hook", slack.url()),
        )
        .args(send_args("critical", "db down"))
        .args(["-vv"])
        .run();
    out.assert_code(1).assert_no_secrets(&[&password]);
    assert_eq!(outcomes(&out), ["delivered"]);
    assert_eq!(slack.request_count(), 1);
    let expected = format!(
        "error: alert store postgres://vitals:***@127.0.0.1:{port}/alerts: 127.0.0.1:{port}/alerts: connection refused"
    );
    assert!(
        out.stderr.lines().any(|l| l
            == format!(
                "{expected}: the alert was not recorded, so it was notified without de-duplication"
            )),
        "{}",
        out.stderr
    );
    // Reading the store needs the store: a clear error, not a guess.
    let list = Test::new()
        .env("VITALS_STATE", &url)
        .args(["alert", "list"])
        .run();
    list.assert_code(3).assert_no_secrets(&[&password]);
    assert_eq!(list.stderr, format!("{expected}\n"));
}
