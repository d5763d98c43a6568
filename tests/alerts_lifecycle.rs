//! `vitals check … --alert` as cron runs it: an outage raises one alert and
//! one notification per channel however often it runs, recovery resolves it
//! with a resolved notification, and alerting trouble shows in the exit code.

use serde_json::{Value, json};

use crate::support::alerts::{Backend, Everything, Store, deliveries, events};
use crate::support::cmd::Test;
use crate::support::http::{HttpServer, Reply};
use crate::support::net::free_port;
use crate::support::postgres::{PgOptions, PgServer};

fn outage_raises_once_and_recovery_resolves(backend: Backend) {
    let mut pg = PgServer::start(PgOptions::default());
    let database = pg.create_database();
    let store = Store::fresh(backend);
    let all = Everything::start();
    let run = || {
        let out = all
            .test()
            .env("VITALS_STATE", &store.location)
            .env("VITALS_INSTANCE", "web1")
            .env("DATABASE_URL", &database)
            .args(["check", "db", "--alert", "--json", "--timeout", "3s"])
            .run();
        all.check(&out);
        out
    };
    let requests = || {
        (
            all.smtp.messages().len(),
            all.slack.request_count(),
            all.twilio.request_count(),
            all.pagerduty.request_count(),
        )
    };

    let healthy = run();
    healthy.assert_code(0);
    assert_eq!(healthy.stderr, "");
    assert_eq!(store.alerts(), Vec::<Value>::new());
    assert_eq!(requests(), (0, 0, 0, 0));

    pg.stop();
    // A cron job every minute during the outage: one notification per channel.
    for _ in 0..3 {
        let down = run();
        down.assert_code(2);
        assert_eq!(down.json()["status"], "unhealthy");
        assert_eq!(down.stderr, "", "alerting complained");
    }
    assert_eq!(requests(), (1, 1, 0, 1), "SMS is for critical alerts only");
    let stored = store.alerts();
    assert_eq!(stored.len(), 1);
    let a = &stored[0];
    assert_eq!(a["alert_type"], "database_failure");
    assert_eq!(a["severity"], "error");
    assert_eq!(a["status"], "active");
    assert_eq!(a["occurrences"], 3);
    let name = database.rsplit('/').next().unwrap_or_default();
    let endpoint = format!("127.0.0.1:{}/{name}", pg.port());
    assert_eq!(
        a["message"],
        format!("database is unhealthy: {endpoint}: connection refused")
    );
    assert_eq!(a["context"]["status"], "unhealthy");
    assert_eq!(
        a["context"]["message"],
        format!("{endpoint}: connection refused")
    );
    let e = |event: &str, channel: &str, outcome: &str| {
        (event.to_owned(), channel.to_owned(), outcome.to_owned())
    };
    assert_eq!(
        events(a),
        [
            e("trigger", "email", "delivered"),
            e("trigger", "slack", "delivered"),
            e("trigger", "sms", "skipped"),
            e("trigger", "sms", "skipped"),
            e("trigger", "pagerduty", "delivered"),
        ]
    );
    let mail = &all.smtp.messages()[0];
    assert_eq!(
        mail.str("subject"),
        "[ERROR] Digital Agency Alert: database_failure"
    );

    pg.restart();
    let recovered = run();
    recovered.assert_code(0);
    assert_eq!(recovered.stderr, "");
    assert_eq!(requests(), (2, 2, 0, 2));
    let stored = store.alerts();
    let a = &stored[0];
    assert_eq!(a["status"], "resolved");
    assert_eq!(a["resolved_by"], "vitals check on web1");
    assert_eq!(
        a["resolution_note"],
        "database is healthy again: Database operational"
    );
    assert_eq!(
        events(a)[5..],
        [
            e("resolve", "email", "delivered"),
            e("resolve", "slack", "delivered"),
            e("resolve", "pagerduty", "delivered"),
        ]
    );
    assert_eq!(
        all.smtp.messages()[1].str("subject"),
        "[RESOLVED] Digital Agency Alert: database_failure"
    );
    let slack = all.slack.requests()[1].json();
    assert_eq!(
        slack["attachments"][0]["title"],
        "Resolved: database_failure"
    );
    let name = database.rsplit('/').next().unwrap_or_default();
    assert_eq!(
        all.pagerduty.requests()[1].json(),
        json!({
            "routing_key": all.routing_key,
            "event_action": "resolve",
            "dedup_key": format!("database_failure{{check=\"database\",instance=\"web1\",target=\"127.0.0.1:{}/{name}\"}}", pg.port()),
        })
    );

    // Healthy and nothing open: nothing to say.
    run().assert_code(0);
    assert_eq!(requests(), (2, 2, 0, 2));
    assert_eq!(store.alerts().len(), 1);
}

#[test]
fn outage_raises_once_and_recovery_resolves_sqlite() {
    outage_raises_once_and_recovery_resolves(Backend::Sqlite);
}

#[test]
fn outage_raises_once_and_recovery_resolves_postgres() {
    outage_raises_once_and_recovery_resolves(Backend::Postgres);
}

fn slack(server: &HttpServer) -> String {
    format!("{}/services/T0/B0/hook", server.url())
}

/// `check services` against one built-in API whose replies the test scripts.
fn services(store: &Store, api: &HttpServer, slack_server: &HttpServer) -> Test {
    store
        .test()
        .env("ANTHROPIC_API_KEY", "sk-lifecycle-test-key")
        .env("ANTHROPIC_BASE_URL", api.url())
        .env("SLACK_WEBHOOK_URL", slack(slack_server))
        .env("ALERT_RETRY_BACKOFF", "10ms")
        .env("VITALS_INSTANCE", "web1")
        .args(["check", "services", "--alert"])
}

#[test]
fn degraded_raises_a_warning_that_recovery_resolves() {
    let store = Store::fresh(Backend::Sqlite);
    let api = HttpServer::sequence(vec![
        Reply::text(429, "slow down").header("retry-after", "30"),
        Reply::text(429, "slow down").header("retry-after", "30"),
        Reply::json(200, &json!({"data": []})),
    ]);
    let hook = HttpServer::replying(Reply::text(200, "ok"));
    for _ in 0..2 {
        services(&store, &api, &hook).run().assert_code(1);
    }
    let stored = store.alerts();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["alert_type"], "external_services_degraded");
    assert_eq!(stored[0]["severity"], "warning");
    assert_eq!(stored[0]["occurrences"], 2);
    assert_eq!(hook.request_count(), 1);
    let first = hook.requests()[0].json();
    assert_eq!(
        first["attachments"][0]["title"],
        "external_services_degraded"
    );
    assert_eq!(first["attachments"][0]["color"], "#FFD700");

    services(&store, &api, &hook).run().assert_code(0);
    let stored = store.alerts();
    assert_eq!(stored[0]["status"], "resolved");
    assert_eq!(
        stored[0]["resolution_note"],
        "anthropic_api is healthy again: API key accepted"
    );
    assert_eq!(hook.request_count(), 2);
}

#[test]
fn alerting_trouble_raises_the_exit_code_to_at_least_warning() {
    let api = HttpServer::replying(Reply::json(200, &json!({"data": []})));
    let hook = HttpServer::replying(Reply::text(200, "ok"));
    let password = format!("statepw{}", crate::support::random_token());
    let port = free_port();
    let unreachable = Test::new()
        .env(
            "VITALS_STATE",
            format!("postgres://vitals:{password}@127.0.0.1:{port}/alerts"),
        )
        .env("ANTHROPIC_API_KEY", "sk-lifecycle-test-key")
        .env("ANTHROPIC_BASE_URL", api.url())
        .env("SLACK_WEBHOOK_URL", slack(&hook))
        .args(["check", "services", "--alert"]);
    // Healthy, but alerting is broken: WARNING, and why.
    let out = unreachable.run();
    out.assert_code(1).assert_no_secrets(&[&password]);
    assert_eq!(
        out.stderr,
        format!(
            "error: --record: store postgres://vitals:***@127.0.0.1:{port}/alerts: \
             127.0.0.1:{port}/alerts: connection refused\n\
             error: --alert: alert store postgres://vitals:***@127.0.0.1:{port}/alerts: \
             127.0.0.1:{port}/alerts: connection refused: alerts are notified without \
             de-duplication and cannot be resolved\n"
        )
    );
    assert_eq!(hook.request_count(), 0);

    // A failing notification: the check's own CRITICAL stands, and stderr says what failed.
    let store = Store::fresh(Backend::Sqlite);
    let down = HttpServer::replying(Reply::text(503, "upstream down"));
    let failing_hook = HttpServer::replying(Reply::text(500, "no_service"));
    let out = services(&store, &down, &failing_hook).run();
    out.assert_code(2);
    assert_eq!(
        out.stderr,
        format!(
            "error: --alert: external_services_failure{{check=\"external_services\",\
             instance=\"web1\",service=\"anthropic_api\",target=\"127.0.0.1:{}/v1/models\"}}: \
             slack to http://127.0.0.1/*** failed: 127.0.0.1:{}: HTTP 500: no_service; gave up after \
             3 attempts\n",
            down.port(),
            failing_hook.port()
        )
    );
    let stored = store.alerts();
    assert_eq!(stored[0]["alert_type"], "external_services_failure");
    assert_eq!(deliveries(&stored[0])[0]["outcome"], "failed");

    // Healthy, with a failing notification channel and nothing to resolve on it: OK.
    let healthy_store = Store::fresh(Backend::Sqlite);
    services(&healthy_store, &api, &failing_hook)
        .run()
        .assert_code(0);
}

#[test]
fn a_plain_check_never_opens_the_store() {
    let api = HttpServer::replying(Reply::json(200, &json!({"data": []})));
    let test = Test::new();
    let file = test.dir().join("not-yet/alerts.db");
    let check = |alert: bool| {
        let mut t = Test::new()
            .env("VITALS_STATE", &file)
            .env("ANTHROPIC_API_KEY", "sk-lifecycle-test-key")
            .env("ANTHROPIC_BASE_URL", api.url())
            .args(["check", "services"]);
        if alert {
            t = t.arg("--alert");
        }
        t.run()
    };
    check(false).assert_code(0);
    assert!(!file.exists() && !file.parent().is_some_and(|d| d.exists()));
    // A location given in VITALS_STATE is created in a directory that exists.
    std::fs::create_dir(file.parent().expect("a parent")).expect("mkdir");
    // With --alert but no channel: recorded (nothing to record when healthy), and said.
    let out = check(true);
    out.assert_code(1);
    assert_eq!(
        out.stderr,
        "error: --alert: no alert channel is configured, so alerts are recorded but nobody is notified\n"
    );
    assert!(file.exists());
}

#[test]
fn an_output_that_cannot_be_written_does_not_cancel_the_alert() {
    let store = Store::fresh(Backend::Sqlite);
    let api = HttpServer::replying(Reply::text(503, "down"));
    let slack_server = HttpServer::replying(Reply::text(200, "ok"));
    let out = services(&store, &api, &slack_server)
        .args([
            "--format",
            "prometheus",
            "--output",
            "/nonexistent/dir/vitals.prom",
        ])
        .run();
    // The result could not be written (exit 3, said on stderr), but the outage was raised.
    out.assert_code(3)
        .assert_stderr_contains("cannot write /nonexistent/dir/vitals.prom");
    assert_eq!(slack_server.request_count(), 1);
}

#[test]
fn monitoring_formats_are_refused_before_an_alert_goes_out() {
    let slack_server = HttpServer::replying(Reply::text(200, "ok"));
    for format in ["nagios", "prometheus"] {
        let out = Test::new()
            .env("SLACK_WEBHOOK_URL", slack(&slack_server))
            .env("VITALS_FORMAT", format)
            .args([
                "alert",
                "send",
                "--type",
                "t",
                "--severity",
                "error",
                "--message",
                "m",
            ])
            .run();
        out.assert_code(3).assert_stderr_contains(
            "--format nagios and --format prometheus apply to `vitals check` only",
        );
        assert_eq!(out.stdout, "");
    }
    assert_eq!(slack_server.request_count(), 0, "nothing was sent");
}
