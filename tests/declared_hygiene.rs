//! A `[[check]]`'s own alert fields (`failure_threshold`,
//! `success_threshold`, `depends_on`, `severity`) through whole scenarios:
//! the real binary, a real store (SQLite and PostgreSQL), a Nagios plugin
//! from monitoring-plugins as the check, the clock moved by `VITALS_NOW`
//! and a webhook stand-in that counts every notification.

use crate::alerts_hygiene::told_by;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::alerts_hygiene::Switch;
use crate::support::alerts::{Backend, Store};
use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};
use crate::support::random_token;

/// 08:00 UTC on a Tuesday: every run is some minutes after it.
const START: &str = "2031-05-06T08:00:00Z";

const CHECK_DUMMY: &str = "/usr/lib/nagios/plugins/check_dummy";

fn at(minutes: i64) -> String {
    let start: DateTime<Utc> = START.parse().expect("START");
    (start + Duration::minutes(minutes)).to_rfc3339()
}

/// `replica`, a declared check that always fails (`check_dummy 2`), with
/// `fields` in its table; a store; a webhook that receives every notification.
struct Cron {
    store: Store,
    hook: HttpServer,
    config: tempfile::TempDir,
}

impl Cron {
    fn new(backend: Backend, fields: &str) -> Cron {
        assert!(
            std::path::Path::new(CHECK_DUMMY).exists(),
            "{CHECK_DUMMY} is missing: install monitoring-plugins-basic (scripts/test.sh does)"
        );
        let config = tempfile::Builder::new()
            .prefix("vitals-declared-hygiene-")
            .tempdir()
            .expect("config dir");
        std::fs::write(
            config.path().join("vitals.toml"),
            format!(
                "[[check]]\nname = \"replica\"\nkind = \"command\"\n\
                 command = [\"{CHECK_DUMMY}\", \"2\", \"replica lags\"]\n{fields}\n"
            ),
        )
        .expect("write vitals.toml");
        Cron {
            store: Store::fresh(backend),
            hook: HttpServer::replying(Reply::status(200)),
            config,
        }
    }

    /// `vitals` as the cron job runs it, `minutes` after [`START`].
    fn vitals(&self, minutes: i64) -> Test {
        self.store
            .test()
            .env(
                "VITALS_CONFIG",
                self.config.path().join("vitals.toml").display().to_string(),
            )
            .env("WEBHOOK_URL", format!("{}/notify", self.hook.url()))
            .env("VITALS_INSTANCE", "web1")
            .env("ALERT_RETRY_BACKOFF", "10ms")
            .env("VITALS_NOW", at(minutes))
    }

    /// One cron run of `check replica --alert`: the check fails (exit 2), alerting works.
    fn run(&self, minutes: i64) -> Outcome {
        let out = self
            .vitals(minutes)
            .args(["check", "replica", "--alert"])
            .run();
        out.assert_code(2);
        assert_eq!(out.stderr, "", "+{minutes} min");
        out
    }

    /// Every notification so far: `(firing|resolved, alertname)`.
    fn told(&self) -> Vec<(String, String)> {
        told_by(&self.hook)
    }

    fn alert(&self, alert_type: &str) -> Value {
        self.store
            .alerts()
            .into_iter()
            .find(|a| a["alert_type"] == alert_type)
            .unwrap_or_else(|| panic!("no {alert_type} recorded"))
    }
}

fn firing(alertname: &str) -> (String, String) {
    ("firing".to_owned(), alertname.to_owned())
}

fn resolved(alertname: &str) -> (String, String) {
    ("resolved".to_owned(), alertname.to_owned())
}

const FAILURE: &str = "replica_failure";

on_both!(a_declared_check_with_a_threshold_of_three_raises_on_its_third_failing_run);
fn a_declared_check_with_a_threshold_of_three_raises_on_its_third_failing_run(backend: Backend) {
    let cron = Cron::new(backend, "failure_threshold = 3");
    cron.run(1);
    cron.run(2);
    assert_eq!(cron.told(), [], "raised before its third failing run");
    assert_eq!(cron.store.alerts(), Vec::<Value>::new());
    cron.run(3);
    assert_eq!(cron.told(), [firing(FAILURE)]);
    let alert = cron.alert(FAILURE);
    assert_eq!(alert["labels"]["check"], "replica");
    assert_eq!(alert["severity"], "error");
    assert_eq!(alert["occurrences"], 1);
    cron.run(4);
    assert_eq!(
        cron.told().len(),
        1,
        "told again within the repeat interval"
    );
}

on_both!(a_declared_check_depending_on_the_database_is_inhibited_while_it_is_down);
fn a_declared_check_depending_on_the_database_is_inhibited_while_it_is_down(backend: Backend) {
    let cron = Cron::new(backend, "depends_on = [\"database\"]");
    let (switch, database_url) = Switch::database();
    let all = |minutes: i64| {
        let out = cron
            .vitals(minutes)
            .env("DATABASE_URL", &database_url)
            .args(["check", "all", "--alert", "--timeout", "3s"])
            .run();
        out.assert_code(2);
        assert_eq!(out.stderr, "", "+{minutes} min");
    };
    // The database is down and replica fails too: one page, the database's.
    switch.set(false);
    all(1);
    all(2);
    assert_eq!(cron.told(), [firing("database_failure")]);
    let replica = cron.alert(FAILURE);
    assert_eq!(replica["held"], "inhibited");
    assert_eq!(
        replica["held_reason"],
        "inhibited by database_failure: replica depends on it"
    );
    assert_eq!(replica["occurrences"], 2);
    // Run alone, the database's open alert still holds it back.
    cron.run(3);
    assert_eq!(cron.told(), [firing("database_failure")]);
    assert_eq!(cron.alert(FAILURE)["held"], "inhibited");

    // The database is back and replica still fails: now it is told, on its own.
    switch.set(true);
    all(4);
    assert_eq!(
        cron.told(),
        [
            firing("database_failure"),
            firing(FAILURE),
            resolved("database_failure")
        ]
    );
    assert_eq!(cron.alert(FAILURE)["held"], Value::Null);
}

#[test]
fn a_critical_declared_check_pages_by_sms() {
    let cron = Cron::new(Backend::Sqlite, "severity = \"critical\"");
    let twilio = HttpServer::replying(Reply::json(
        201,
        &json!({"sid": "SM0001", "status": "queued"}),
    ));
    let out = cron
        .vitals(1)
        .env("TWILIO_BASE_URL", twilio.url())
        .env("TWILIO_ACCOUNT_SID", format!("AC{}", random_token()))
        .env("TWILIO_AUTH_TOKEN", random_token())
        .env("TWILIO_FROM_NUMBER", "+14155550100")
        .env("ALERT_SMS_RECIPIENTS", "+14155550101")
        // The file's field is the check's own: it wins over the variable.
        .env("VITALS_ALERT_SEVERITY", "replica=warning")
        .args(["check", "replica", "--alert"])
        .run();
    out.assert_code(2);
    assert_eq!(out.stderr, "");
    let alert = cron.alert(FAILURE);
    assert_eq!(alert["severity"], "critical");
    let sms = alert["deliveries"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["channel"] == "sms").cloned())
        .unwrap_or_else(|| panic!("no SMS delivery: {alert}"));
    assert_eq!(sms["outcome"], "delivered");
    assert_eq!(twilio.request_count(), 1);
    assert!(
        twilio.requests()[0]
            .form_value("Body")
            .unwrap_or_default()
            .starts_with("CRITICAL ALERT: replica_failure\n"),
        "{:?}",
        twilio.requests()[0].form_value("Body")
    );
}

#[test]
fn the_variables_and_maintenance_windows_name_declared_checks() {
    // 08:00-09:00 UTC every day, replica under maintenance.
    let cron = Cron::new(
        Backend::Sqlite,
        "\n[[maintenance]]\nname = \"rebuild\"\nchecks = [\"replica\"]\nstart = \"08:00\"\n\
         duration = \"1h\"\ntimezone = \"UTC\"",
    );
    let run = |minutes: i64| {
        let out = cron
            .vitals(minutes)
            .env("VITALS_FAILURE_THRESHOLD", "replica=2")
            .env("VITALS_DEPENDS_ON", "replica=cache")
            .args(["check", "replica", "--alert"])
            .run();
        out.assert_code(2);
        assert_eq!(out.stderr, "", "+{minutes} min");
    };
    run(10);
    run(20);
    assert_eq!(cron.told(), [], "told during maintenance");
    assert_eq!(cron.alert(FAILURE)["held"], "silenced");
    // After the window, still failing: told once (its second failing run was long ago).
    run(61);
    assert_eq!(cron.told(), [firing(FAILURE)]);

    // A name that is no check, built-in or declared, is refused as before.
    let refused = cron
        .vitals(62)
        .env("VITALS_DEPENDS_ON", "replica=replcia")
        .args(["check", "replica", "--alert"])
        .run();
    refused.assert_code(2).assert_stderr_contains(
        "VITALS_DEPENDS_ON: expected CHECK=DEPENDENCY pairs such as \
         agents=database,external_services=database (\"replcia\" is not a check)",
    );
}

#[test]
fn a_declared_dependency_that_is_no_check_is_said_and_the_alert_still_told() {
    let cron = Cron::new(Backend::Sqlite, "depends_on = [\"databse\"]");
    let out = cron.vitals(1).args(["check", "replica", "--alert"]).run();
    out.assert_code(2).assert_stderr_contains(
        "--alert: check \"replica\": depends_on: \"databse\" is not a check; did you mean database?",
    );
    assert_eq!(cron.told(), [firing(FAILURE)]);
}

#[test]
fn a_declared_checks_alert_fields_with_mistakes_are_located() {
    let cron = Cron::new(
        Backend::Sqlite,
        "failure_threshold = 0\nsuccess_threshold = \"two\"\nseverity = \"loud\"",
    );
    let out = cron.vitals(1).args(["config", "validate", "--json"]).run();
    out.assert_code(2);
    let file = cron.config.path().join("vitals.toml");
    let file = file.display();
    assert_eq!(
        out.json()["errors"],
        json!([
            format!(
                "VITALS_CONFIG: {file}:5: check \"replica\": failure_threshold: expected a whole number of consecutive runs from 1 to 1440"
            ),
            format!(
                "VITALS_CONFIG: {file}:6: check \"replica\": success_threshold: expected a whole number of consecutive runs from 1 to 1440"
            ),
            format!(
                "VITALS_CONFIG: {file}:7: check \"replica\": severity: expected one of info, warning, error, critical, got \"loud\""
            ),
        ])
    );
}

#[test]
fn serve_alerts_honour_a_declared_checks_threshold_and_severity() {
    use crate::support::serve::Serve;
    let cron = Cron::new(
        Backend::Sqlite,
        "failure_threshold = 3\nseverity = \"critical\"",
    );
    let served = Serve::new()
        .env(
            "VITALS_CONFIG",
            cron.config.path().join("vitals.toml").display().to_string(),
        )
        .env("VITALS_STATE", &cron.store.location)
        .env("VITALS_INSTANCE", "serve-test")
        .env("WEBHOOK_URL", format!("{}/notify", cron.hook.url()))
        .args(&["--interval", "1s", "--timeout", "2s", "--alert", "replica"])
        .start();
    let limit = std::time::Duration::from_secs(30);
    served.wait(limit, "the alert raised", |s| {
        s.get("/api/v1/alerts").json().as_array().map(Vec::len) == Some(1)
    });
    let rounds = served.get("/healthz").json()["rounds"]
        .as_u64()
        .unwrap_or(0);
    // A round is counted once its alerting is done: the third round's alert
    // is seen while two are counted (at the first or second, no more than one).
    assert!(rounds >= 2, "raised after {rounds} rounds");
    let alerts = served.get("/api/v1/alerts").json();
    assert_eq!(alerts[0]["alert_type"], FAILURE);
    assert_eq!(alerts[0]["severity"], "critical");
    served.wait(limit, "the notification", |_| {
        cron.hook.request_count() == 1
    });
    assert_eq!(cron.told(), [firing(FAILURE)]);
}

#[test]
fn a_silence_names_a_declared_check_and_refuses_what_is_no_check() {
    let cron = Cron::new(Backend::Sqlite, "");
    let silence = |name: &str| {
        cron.vitals(0)
            .args([
                "alert", "silence", "--check", name, "--for", "1h", "--reason", "rebuild", "--json",
            ])
            .run()
    };
    let made = silence("replica");
    made.assert_code(0);
    assert_eq!(made.json()["matchers"]["check"], "replica");
    cron.run(1);
    assert_eq!(cron.told(), []);
    assert_eq!(cron.alert(FAILURE)["held"], "silenced");
    silence("replcia")
        .assert_code(3)
        .assert_stderr_contains("--check: unknown check \"replcia\"");
}
