//! Alert hygiene through whole scenarios: the real binary, a real store
//! (SQLite and PostgreSQL), `check services --alert` run as cron would run
//! it with the clock moved by `VITALS_NOW`, an endpoint whose health the
//! test sets, and a webhook stand-in that counts every notification.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::support::alerts::{Backend, Store};
use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};

/// 08:00 UTC on a Tuesday: every run is some minutes after it.
const START: &str = "2031-05-06T08:00:00Z";

fn at(minutes: i64) -> String {
    let start: DateTime<Utc> = START.parse().expect("START");
    (start + Duration::minutes(minutes)).to_rfc3339()
}

/// One declared endpoint whose health the test sets, one store, and a
/// webhook that receives every notification.
struct Cron {
    store: Store,
    _billing: HttpServer,
    status: Arc<AtomicU16>,
    hook: HttpServer,
    config: tempfile::TempDir,
}

impl Cron {
    /// `fields` are added to the `[[service]]` table of `billing`.
    fn new(backend: Backend, fields: &str) -> Cron {
        let status = Arc::new(AtomicU16::new(200));
        let replying = status.clone();
        let billing = HttpServer::start(move |_| {
            Reply::text(replying.load(Ordering::SeqCst), "billing says hi")
        });
        let config = tempfile::Builder::new()
            .prefix("vitals-hygiene-")
            .tempdir()
            .expect("config dir");
        std::fs::write(
            config.path().join("vitals.toml"),
            format!(
                "[[service]]\nname = \"billing\"\nurl = \"{}/healthz\"\n{fields}\n",
                billing.url()
            ),
        )
        .expect("write vitals.toml");
        Cron {
            store: Store::fresh(backend),
            _billing: billing,
            status,
            hook: HttpServer::replying(Reply::status(200)),
            config,
        }
    }

    fn healthy(&self, healthy: bool) {
        self.status
            .store(if healthy { 200 } else { 503 }, Ordering::SeqCst);
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
            // These scenarios count notifications of failures and holds; a
            // response time that wanders on a busy machine is not one of them.
            .env("VITALS_ANOMALY", "off")
            .env("VITALS_NOW", at(minutes))
    }

    /// One cron run: `check services --alert`.
    fn run(&self, minutes: i64) -> Outcome {
        self.run_at(&at(minutes))
    }

    /// One cron run at `now` (RFC 3339).
    fn run_at(&self, now: &str) -> Outcome {
        let minutes = (now.parse::<DateTime<Utc>>().expect("now")
            - START.parse::<DateTime<Utc>>().expect("START"))
        .num_minutes();
        let out = self
            .vitals(minutes)
            .env("VITALS_NOW", now)
            .args(["check", "services", "--alert"])
            .run();
        assert!(
            (0..=2).contains(&out.code) && out.stderr.is_empty(),
            "run at +{minutes} min: exit {}: {}",
            out.code,
            out.stderr
        );
        out
    }

    /// Every notification so far: `(firing|resolved, alertname)`.
    fn told(&self) -> Vec<(String, String)> {
        told_by(&self.hook)
    }

    fn alerts(&self) -> Vec<Value> {
        self.store.alerts()
    }
}

fn firing(alertname: &str) -> (String, String) {
    ("firing".to_owned(), alertname.to_owned())
}

fn resolved(alertname: &str) -> (String, String) {
    ("resolved".to_owned(), alertname.to_owned())
}

const FAILURE: &str = "external_services_failure";

on_both!(thresholds_raise_after_n_failing_runs_and_resolve_after_m_healthy_ones);
fn thresholds_raise_after_n_failing_runs_and_resolve_after_m_healthy_ones(backend: Backend) {
    let cron = Cron::new(backend, "failure_threshold = 3\nsuccess_threshold = 2");
    cron.healthy(false);
    cron.run(1);
    cron.run(2);
    assert_eq!(cron.told(), [], "raised before its third failing run");
    assert_eq!(cron.alerts(), Vec::<Value>::new());
    cron.run(3);
    assert_eq!(cron.told(), [firing(FAILURE)]);
    let alerts = cron.alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["labels"]["service"], "billing");
    assert_eq!(alerts[0]["status"], "active");

    cron.healthy(true);
    cron.run(4);
    assert_eq!(
        cron.alerts()[0]["status"],
        "active",
        "resolved after one healthy run"
    );
    cron.run(5);
    assert_eq!(cron.alerts()[0]["status"], "resolved");
    assert_eq!(cron.told(), [firing(FAILURE), resolved(FAILURE)]);

    // A failing run between healthy ones starts the count again.
    cron.healthy(false);
    cron.run(6);
    cron.run(7);
    cron.healthy(true);
    cron.run(8);
    cron.healthy(false);
    cron.run(9);
    cron.run(10);
    assert_eq!(cron.told().len(), 2, "counted across a healthy run");
    assert_eq!(cron.alerts().len(), 1);
}

#[test]
fn built_in_checks_take_their_thresholds_from_the_variables() {
    let api = HttpServer::replying(Reply::text(500, "down"));
    let hook = HttpServer::replying(Reply::status(200));
    let store = Store::fresh(Backend::Sqlite);
    let run = |minutes: i64, threshold: &str| {
        store
            .test()
            .env("ANTHROPIC_API_KEY", "sk-threshold")
            .env("ANTHROPIC_BASE_URL", api.url())
            .env("WEBHOOK_URL", hook.url())
            .env("VITALS_FAILURE_THRESHOLD", threshold)
            .env("VITALS_NOW", at(minutes))
            .args(["check", "services", "--alert"])
            .run()
    };
    run(1, "4,external_services=2").assert_code(2);
    assert_eq!(hook.request_count(), 0);
    run(2, "4,external_services=2").assert_code(2);
    assert_eq!(hook.request_count(), 1);
    let refused = run(3, "external_services=0");
    refused.assert_code(2).assert_stderr_contains(
        "VITALS_FAILURE_THRESHOLD: expected a number of runs from 1 to 1440",
    );
    assert_eq!(hook.request_count(), 1);
}

/// A silence of `billing` from `START` for two hours: its id and its end.
fn silence(cron: &Cron) -> (String, String) {
    let out = cron
        .vitals(0)
        .args([
            "alert",
            "silence",
            "--match",
            "service=billing",
            "--for",
            "2h",
            "--by",
            "alice",
            "--reason",
            "billing upgrade",
            "--json",
        ])
        .run();
    out.assert_code(0);
    let silence = out.json();
    assert_eq!(silence["state"], "active");
    let instant =
        |key: &str| DateTime::parse_from_rfc3339(silence[key].as_str().expect(key)).expect(key);
    assert_eq!(
        instant("ends_at") - instant("starts_at"),
        Duration::hours(2)
    );
    // The clock runs on from VITALS_NOW: the silence starts a moment after START.
    assert!(
        silence["ends_at"]
            .as_str()
            .expect("ends_at")
            .starts_with("2031-05-06T10:00:00.")
    );
    (
        silence["id"].as_str().expect("id").to_owned(),
        silence["ends_at"].as_str().expect("ends_at").to_owned(),
    )
}

on_both!(a_silenced_outage_is_recorded_quietly_and_told_once_when_the_silence_ends);
fn a_silenced_outage_is_recorded_quietly_and_told_once_when_the_silence_ends(backend: Backend) {
    let cron = Cron::new(backend, "");
    let (id, until) = silence(&cron);
    cron.healthy(false);
    for minute in [5, 30, 60, 119] {
        cron.run(minute);
    }
    assert_eq!(cron.told(), [], "notified during the silence");
    let alerts = cron.alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["occurrences"], 4);
    assert_eq!(alerts[0]["held"], "silenced");
    assert_eq!(alerts[0]["held_by"], id.as_str());
    assert_eq!(
        alerts[0]["held_reason"],
        format!("silence {id} by alice until {until}: billing upgrade")
    );
    // The table says it too.
    let list = cron.vitals(119).args(["alert", "list"]).run();
    list.assert_code(0).assert_stdout_contains(&format!(
        "held (silenced): silence {id} by alice until {until}: billing upgrade"
    ));

    // The silence is over and billing still fails: told once, then as usual.
    cron.run(121);
    assert_eq!(cron.told(), [firing(FAILURE)]);
    let alert = &cron.alerts()[0];
    assert_eq!(alert["held"], Value::Null);
    assert_eq!(alert["occurrences"], 5);
    cron.run(122);
    assert_eq!(
        cron.told().len(),
        1,
        "told again within the repeat interval"
    );
}

on_both!(an_outage_that_ends_within_its_silence_is_never_told);
fn an_outage_that_ends_within_its_silence_is_never_told(backend: Backend) {
    let cron = Cron::new(backend, "");
    silence(&cron);
    cron.healthy(false);
    cron.run(5);
    cron.run(30);
    cron.healthy(true);
    cron.run(90);
    cron.run(121);
    cron.run(150);
    assert_eq!(cron.told(), []);
    let alerts = cron.alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["status"], "resolved");
    assert_eq!(alerts[0]["occurrences"], 2);
    assert_eq!(
        alerts[0]["resolution_note"],
        "billing is healthy again: HTTP 200"
    );
}

on_both!(silences_are_listed_ended_early_and_named_by_prefix);
fn silences_are_listed_ended_early_and_named_by_prefix(backend: Backend) {
    let cron = Cron::new(backend, "");
    let (id, _) = silence(&cron);
    cron.healthy(false);
    cron.run(5);
    assert_eq!(cron.told(), []);

    let listed = cron.vitals(6).args(["alert", "silences", "--json"]).run();
    listed.assert_code(0);
    let silences = listed.json();
    assert_eq!(silences.as_array().map(Vec::len), Some(1));
    assert_eq!(silences[0]["matchers"]["service"], "billing");
    assert_eq!(silences[0]["created_by"], "alice");

    let short = cron.vitals(7).args(["alert", "unsilence", &id[..3]]).run();
    short.assert_code(3).assert_stderr_contains(
        "is too short to name a silence: give at least 4 characters of its id",
    );
    let unknown = cron
        .vitals(7)
        .args(["alert", "unsilence", "ffffffff"])
        .run();
    unknown
        .assert_code(3)
        .assert_stderr_contains("no silence with id \"ffffffff\"");
    let ended = cron
        .vitals(7)
        .args([
            "alert",
            "unsilence",
            &id[..5].to_uppercase(),
            "--by",
            "bob",
            "--json",
        ])
        .run();
    ended.assert_code(0);
    assert_eq!(ended.json()["state"], "expired");
    assert_eq!(ended.json()["ended_by"], "bob");
    let again = cron.vitals(8).args(["alert", "unsilence", &id]).run();
    again
        .assert_code(3)
        .assert_stderr_contains(&format!("silence {id} already ended at"));

    // Ended early: the next run tells.
    cron.run(9);
    assert_eq!(cron.told(), [firing(FAILURE)]);
    let current = cron.vitals(10).args(["alert", "silences", "--json"]).run();
    assert_eq!(current.json(), serde_json::json!([]));
    let all = cron
        .vitals(10)
        .args(["alert", "silences", "--all", "--json"])
        .run();
    assert_eq!(all.json()[0]["state"], "expired");
}

#[test]
fn a_silence_needs_a_matcher_an_end_and_a_reason() {
    let store = Store::fresh(Backend::Sqlite);
    let silence = |args: &[&str]| store.test().args(["alert", "silence"]).args(args).run();
    silence(&["--for", "1h", "--reason", "x"])
        .assert_code(3)
        .assert_stderr_contains("--check <NAME>");
    silence(&["--check", "db", "--reason", "x"])
        .assert_code(3)
        .assert_stderr_contains("--for <DURATION>");
    silence(&[
        "--check", "db", "--for", "1h", "--until", "18:00", "--reason", "x",
    ])
    .assert_code(3)
    .assert_stderr_contains("cannot be used with");
    silence(&["--check", "databse", "--for", "1h", "--reason", "x"]).assert_code(3);
    silence(&["--match", "instance", "--for", "1h", "--reason", "x"])
        .assert_code(3)
        .assert_stderr_contains("--match \"instance\": expected LABEL=VALUE");
    silence(&[
        "--check",
        "db",
        "--until",
        "2001-01-01T00:00:00Z",
        "--reason",
        "x",
    ])
    .assert_code(3)
    .assert_stderr_contains("--until 2001-01-01T00:00:00Z: that time is already past");
    silence(&["--check", "db", "--until", "soon", "--reason", "x"])
        .assert_code(3)
        .assert_stderr_contains("--until \"soon\": expected an RFC 3339 time");
    silence(&["--check", "db", "--for", "1h", "--reason", " "])
        .assert_code(3)
        .assert_stderr_contains("--reason: expected why");
}

#[test]
fn until_a_local_time_is_the_next_one_to_come_in_the_local_zone() {
    let store = Store::fresh(Backend::Sqlite);
    // 08:00 UTC is 10:00 in Paris (summer time): 09:30 there is tomorrow's.
    let out = store
        .test()
        .env("TZ", "Europe/Paris")
        .env("VITALS_NOW", START)
        .args([
            "alert", "silence", "--check", "db", "--until", "09:30", "--reason", "night", "--json",
        ])
        .run();
    out.assert_code(0);
    assert_eq!(out.json()["ends_at"], "2031-05-07T07:30:00.000Z");
    assert_eq!(out.json()["matchers"]["check"], "database");
}

/// A TCP relay to a port that the test switches off and on: off, it closes
/// every connection at once (a database that is down, at the same address).
pub(crate) struct Switch {
    pub(crate) port: u16,
    on: Arc<std::sync::atomic::AtomicBool>,
}

impl Switch {
    /// A fresh database of the harness PostgreSQL, reached through a switch:
    /// the switch, and the database's URL through it.
    pub(crate) fn database() -> (Switch, String) {
        let pg = crate::support::postgres::PgServer::shared();
        let switch = Switch::to(pg.port());
        let url = pg
            .create_database()
            .replace(&format!(":{}/", pg.port()), &format!(":{}/", switch.port));
        (switch, url)
    }

    pub(crate) fn to(upstream: u16) -> Switch {
        use std::io::copy;
        use std::net::{TcpListener, TcpStream};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the switch");
        let port = listener.local_addr().expect("addr").port();
        let on = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let relaying = on.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !relaying.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let (mut c1, mut s1) = (
                    client.try_clone().expect("clone"),
                    server.try_clone().expect("clone"),
                );
                let (mut c2, mut s2) = (client, server);
                std::thread::spawn(move || {
                    let _ = copy(&mut c1, &mut s1);
                    let _ = s1.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = copy(&mut s2, &mut c2);
                    let _ = c2.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        Switch { port, on }
    }

    pub(crate) fn set(&self, on: bool) {
        self.on.store(on, Ordering::SeqCst);
    }
}

on_both!(a_dependent_check_is_inhibited_while_its_dependency_is_down);
fn a_dependent_check_is_inhibited_while_its_dependency_is_down(backend: Backend) {
    let cron = Cron::new(backend, "depends_on = [\"db\"]");
    let (switch, database_url) = Switch::database();
    let run = |minutes: i64| {
        let out = cron
            .vitals(minutes)
            .env("DATABASE_URL", &database_url)
            .args(["check", "all", "--alert", "--timeout", "3s"])
            .run();
        assert!(out.stderr.is_empty(), "+{minutes} min: {}", out.stderr);
        out
    };
    // The database goes down, and billing, which needs it, fails too: one page.
    switch.set(false);
    cron.healthy(false);
    run(1).assert_code(2);
    run(2).assert_code(2);
    assert_eq!(cron.told(), [firing("database_failure")]);
    let alerts = cron.alerts();
    let billing = alerts
        .iter()
        .find(|a| a["alert_type"] == FAILURE)
        .expect("billing's alert is recorded");
    assert_eq!(billing["held"], "inhibited");
    assert_eq!(
        billing["held_reason"],
        "inhibited by database_failure: billing depends on it"
    );
    assert_eq!(billing["occurrences"], 2);
    let list = cron.vitals(2).args(["alert", "list"]).run();
    list.assert_code(0).assert_stdout_contains(
        "held (inhibited): inhibited by database_failure: billing depends on it",
    );

    // The database is back and billing still fails: now it is told, on its own.
    switch.set(true);
    run(3).assert_code(2);
    assert_eq!(
        cron.told(),
        [
            firing("database_failure"),
            firing(FAILURE),
            resolved("database_failure")
        ]
    );
    // Both well: billing's resolution, and nothing else.
    cron.healthy(true);
    run(4).assert_code(0);
    assert_eq!(cron.told().len(), 4);
    assert_eq!(cron.told()[3], resolved(FAILURE));
}

on_both!(a_maintenance_window_holds_alerts_in_local_time_across_a_daylight_saving_change);
fn a_maintenance_window_holds_alerts_in_local_time_across_a_daylight_saving_change(
    backend: Backend,
) {
    // Every night 01:00-03:00 in Paris, which moves from UTC+1 to UTC+2 on
    // Sunday 30 March 2031.
    let cron = Cron::new(
        backend,
        "\n[[maintenance]]\nname = \"backup\"\nchecks = [\"billing\"]\nstart = \"01:00\"\n\
         duration = \"2h\"\ntimezone = \"Europe/Paris\"",
    );
    cron.healthy(false);
    cron.run_at("2031-03-28T00:30:00Z"); // 01:30 in Paris: in the window
    assert_eq!(cron.told(), []);
    let held = &cron.alerts()[0];
    assert_eq!(held["held"], "silenced");
    assert_eq!(
        held["held_reason"],
        "maintenance window \"backup\" (daily 01:00 Europe/Paris for 2h), until 2031-03-28T02:00:00.000Z"
    );
    cron.run_at("2031-03-28T02:30:00Z"); // 03:30: over, still failing: told once
    assert_eq!(cron.told(), [firing(FAILURE)]);
    cron.healthy(true);
    cron.run_at("2031-03-28T03:00:00Z");
    assert_eq!(cron.told(), [firing(FAILURE), resolved(FAILURE)]);

    // After the change the window is an hour earlier in UTC: 23:00-01:00.
    cron.healthy(false);
    cron.run_at("2031-03-30T23:30:00Z"); // 01:30 in Paris on Monday
    cron.run_at("2031-03-31T00:30:00Z"); // 02:30
    assert_eq!(cron.told().len(), 2, "told during the window");
    cron.run_at("2031-03-31T01:30:00Z"); // 03:30: over
    assert_eq!(cron.told().len(), 3);
    assert_eq!(cron.told()[2], firing(FAILURE));
}

#[test]
fn a_maintenance_window_with_mistakes_is_refused_with_its_line() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("vitals.toml");
    std::fs::write(
        &path,
        "[[maintenance]]\nchecks = \"some\"\nstart = \"25:00\"\nduration = \"2h\"\ntimezone = \"Mars/Olympus\"\nweekdays = [\"caturday\"]\n",
    )
    .expect("write");
    let out = Test::new()
        .env("VITALS_CONFIG", path.display().to_string())
        .args(["config", "validate", "--json"])
        .run();
    out.assert_code(2);
    let errors: Vec<String> = out.json()["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e.as_str().unwrap_or_default().to_owned())
        .collect();
    let file = path.display();
    assert_eq!(
        errors,
        [
            format!(
                "VITALS_CONFIG: {file}:2: maintenance #1: checks: expected \"all\" or a list of check names, such as [\"database\"]"
            ),
            format!(
                "VITALS_CONFIG: {file}:3: maintenance #1: start: expected HH:MM, got \"25:00\""
            ),
            format!(
                "VITALS_CONFIG: {file}:5: maintenance #1: timezone: expected an IANA time zone such as Europe/Paris or UTC, got \"Mars/Olympus\""
            ),
            format!(
                "VITALS_CONFIG: {file}:6: maintenance #1: weekdays: \"caturday\" is not a day (mon, tue, … sun)"
            ),
        ]
    );
}

on_both!(a_check_flapping_for_an_hour_is_told_flapping_once_and_settled_once);
fn a_check_flapping_for_an_hour_is_told_flapping_once_and_settled_once(backend: Backend) {
    let cron = Cron::new(backend, "");
    // Down on odd minutes, up on even ones, for an hour.
    for minute in 1..=60 {
        cron.healthy(minute % 2 == 0);
        cron.run(minute);
    }
    let flapping = "external_services_flapping";
    // Before the fifth change nothing tells a flap from outages: each is told.
    assert_eq!(
        cron.told(),
        [
            firing(FAILURE),
            resolved(FAILURE),
            firing(FAILURE),
            resolved(FAILURE),
            firing(FAILURE),
            firing(flapping),
        ]
    );
    let alerts = cron.alerts();
    let open: Vec<&Value> = alerts.iter().filter(|a| a["status"] == "active").collect();
    assert_eq!(open.len(), 2, "{alerts:#?}");
    let failure = open
        .iter()
        .find(|a| a["alert_type"] == FAILURE)
        .expect("failure");
    assert_eq!(failure["held"], "flapping");
    assert!(
        failure["held_reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("flapping: "),
        "{failure}"
    );
    let announced = open
        .iter()
        .find(|a| a["alert_type"] == flapping)
        .expect("flapping");
    assert_eq!(announced["labels"]["service"], "billing");
    assert_eq!(announced["severity"], "warning");

    // Stable from then on: the flap is over once a whole hour has no change.
    for minute in [70, 90, 110] {
        cron.run(minute);
    }
    assert_eq!(cron.told().len(), 6, "told before it settled");
    cron.run(120);
    cron.run(130);
    let told = cron.told();
    assert_eq!(told.len(), 7, "{told:?}");
    assert_eq!(told[6], resolved(flapping));
    let alerts = cron.alerts();
    assert!(
        alerts.iter().all(|a| a["status"] == "resolved"),
        "{alerts:#?}"
    );
    let ended = alerts
        .iter()
        .find(|a| a["alert_type"] == flapping)
        .expect("flapping");
    assert_eq!(ended["resolution_note"], "billing settled: healthy for 1h");
}

on_both!(a_check_that_settles_failing_is_told_once_as_failing);
fn a_check_that_settles_failing_is_told_once_as_failing(backend: Backend) {
    let cron = Cron::new(backend, "");
    for minute in 1..=10 {
        cron.healthy(minute % 2 == 0);
        cron.run(minute);
    }
    assert_eq!(cron.told().len(), 6);
    cron.healthy(false);
    for minute in [11, 40, 70] {
        cron.run(minute);
    }
    assert_eq!(cron.told().len(), 6, "told while it flapped");
    // An hour after its last change (minute 11) it has settled, failing:
    // its own alert is told, once; the flapping alert ends quietly.
    cron.run(72);
    cron.run(80);
    assert_eq!(cron.told().len(), 7, "{:?}", cron.told());
    assert_eq!(cron.told()[6], firing(FAILURE));
}

// A cron job running `vitals check all --alert` every minute through a
// database outage inside its maintenance window, one outside it (with a
// service that depends on the database failing along), and an endpoint
// flapping for an hour: the notifications a tired on-call engineer wants,
// counted.
on_both!(a_day_of_cron_runs_tells_exactly_what_matters);
fn a_day_of_cron_runs_tells_exactly_what_matters(backend: Backend) {
    let cron = Cron::new(
        backend,
        "depends_on = [\"database\"]\n\n[[maintenance]]\nname = \"db upgrade\"\n\
         checks = [\"db\"]\nstart = \"08:00\"\nduration = \"30m\"\ntimezone = \"UTC\"",
    );
    let (switch, database_url) = Switch::database();
    let run = |minutes: i64, database: bool, billing: bool| {
        switch.set(database);
        cron.healthy(billing);
        let out = cron
            .vitals(minutes)
            .env("DATABASE_URL", &database_url)
            .args(["check", "all", "--alert", "--timeout", "3s"])
            .run();
        assert!(out.stderr.is_empty(), "+{minutes} min: {}", out.stderr);
    };
    // 08:00-08:30 the database is under maintenance: its outage, and
    // billing's failure because of it, tell nobody.
    run(0, true, true);
    for minute in [5, 10, 15] {
        run(minute, false, false);
    }
    run(20, true, true);
    run(25, true, true);
    assert_eq!(cron.told(), [], "told during maintenance");
    // 09:00-09:10 an outage outside it: one page, and its end.
    run(60, false, false);
    run(65, false, false);
    run(70, true, true);
    let database = "database_failure";
    assert_eq!(cron.told(), [firing(database), resolved(database)]);
    // 10:31-11:30 billing flaps every minute (the fifth change starts the
    // flap); then it is stable, and an hour after its last change it has settled.
    for minute in 151..=210 {
        run(minute, true, minute % 2 == 0);
    }
    for minute in [225, 240, 255, 270, 271] {
        run(minute, true, true);
    }
    let flapping = "external_services_flapping";
    assert_eq!(
        cron.told(),
        [
            firing(database),
            resolved(database),
            firing(FAILURE),
            resolved(FAILURE),
            firing(FAILURE),
            resolved(FAILURE),
            firing(flapping),
            resolved(flapping),
        ]
    );
    // Everything held back is on record: the database's alert in its
    // window, billing's two while the database was down, and billing's
    // failure that came with the fifth change, held as flapping.
    let alerts = cron.alerts();
    assert!(
        alerts.iter().all(|a| a["status"] == "resolved"),
        "{alerts:#?}"
    );
    let quiet: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["last_notified_at"].is_null())
        .collect();
    assert_eq!(quiet.len(), 4, "{quiet:#?}");
    let mut held: Vec<&str> = quiet
        .iter()
        .map(|a| a["alert_type"].as_str().unwrap_or_default())
        .collect();
    held.sort_unstable();
    assert_eq!(held, ["database_failure", FAILURE, FAILURE, FAILURE]);
}

#[test]
fn a_dependency_that_is_no_check_is_said_and_the_alert_still_told() {
    let cron = Cron::new(Backend::Sqlite, "depends_on = [\"databse\"]");
    cron.healthy(false);
    let out = cron.vitals(1).args(["check", "services", "--alert"]).run();
    // The outage's own exit code (2) stands; stderr says what was ignored.
    out.assert_code(2).assert_stderr_contains(
        "--alert: service \"billing\": depends_on: \"databse\" is not a check; did you mean database?",
    );
    assert_eq!(cron.told(), [firing(FAILURE)]);
}

/// What a webhook stand-in was told, in order: `(firing|resolved, alertname)`.
pub(crate) fn told_by(hook: &HttpServer) -> Vec<(String, String)> {
    hook.requests()
        .iter()
        .map(|r| {
            let body = r.json();
            (
                body["status"].as_str().unwrap_or_default().to_owned(),
                body["commonLabels"]["alertname"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}
