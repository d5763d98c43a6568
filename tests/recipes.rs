//! Every recipe in the documentation, run exactly as the page shows it. A
//! recipe is the fenced block right after `<!-- recipe: NAME -->`, on the
//! README or any page under docs/.

use std::path::Path;
use std::time::Duration;

use crate::support::alerts::Everything;
use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};
use crate::support::postgres::PgServer;
use crate::support::redis::RedisServer;

/// One recipe: its name, the page it is on, and its block.
struct Recipe {
    name: String,
    page: String,
    body: String,
}

/// Every recipe of every page: a line `<!-- recipe: NAME -->` and the fenced
/// block right after it.
fn all_recipes() -> Vec<Recipe> {
    let mut recipes = Vec::new();
    for page in crate::docs::pages() {
        let mut lines = page.text.lines();
        while let Some(line) = lines.next() {
            let Some(name) = line
                .trim()
                .strip_prefix("<!-- recipe: ")
                .and_then(|rest| rest.strip_suffix(" -->"))
            else {
                continue;
            };
            let recipe = format!("{}: recipe {name}", page.name());
            lines
                .by_ref()
                .find(|l| !l.trim().is_empty())
                .filter(|l| l.trim_start().starts_with("```"))
                .unwrap_or_else(|| panic!("{recipe} is not followed by a fenced block"));
            let mut body = Vec::new();
            let mut closed = false;
            for line in lines.by_ref() {
                closed = line.trim_start().starts_with("```");
                if closed {
                    break;
                }
                body.push(line);
            }
            assert!(closed, "{recipe}: the block is not closed");
            recipes.push(Recipe {
                name: name.to_owned(),
                page: page.name(),
                body: body.join("\n").trim().to_owned(),
            });
        }
    }
    recipes
}

/// The block of the recipe called `name`, wherever it lives.
fn recipe(name: &str) -> String {
    let mut found: Vec<Recipe> = all_recipes()
        .into_iter()
        .filter(|r| r.name == name)
        .collect();
    match found.len() {
        1 => found.remove(0).body,
        0 => panic!("no page has recipe {name} (README.md or docs/*.md)"),
        _ => {
            let pages: Vec<String> = found.into_iter().map(|r| r.page).collect();
            panic!("recipe {name} appears more than once: {pages:?}")
        }
    }
}

/// A recipe nobody runs could silently go stale: every marker on every page
/// must be run by a test in this file.
#[test]
fn every_recipe_has_a_test() {
    let source = include_str!("recipes.rs");
    let recipes = all_recipes();
    let untested: Vec<String> = recipes
        .iter()
        .filter(|r| !source.contains(&format!("recipe(\"{}\")", r.name)))
        .map(|r| format!("{} ({})", r.name, r.page))
        .collect();
    assert!(untested.is_empty(), "recipes without a test: {untested:?}");
    assert!(recipes.len() >= 12, "only {} recipes found", recipes.len());
}

/// A shell with `vitals` on PATH, as after `cargo install`.
fn shell(script: &str) -> Test {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_vitals"))
        .parent()
        .expect("binary directory")
        .to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Test::new()
        .program("sh")
        .env("PATH", path)
        .args(["-c", script])
}

/// `/etc/vitals/vitals.env` with a database and a cache that are up.
fn healthy_env_file(test: &Test) -> std::path::PathBuf {
    test.write_file(
        "vitals.env",
        format!(
            "DATABASE_URL={}\nREDIS_URL={}\n",
            PgServer::shared().create_database(),
            RedisServer::shared().url()
        ),
    )
}

fn healthy_env(test: Test) -> Test {
    test.env("DATABASE_URL", PgServer::shared().create_database())
        .env("REDIS_URL", RedisServer::shared().url())
}

#[test]
fn jq_lists_the_checks_that_are_not_healthy() {
    let out: Outcome = healthy_env(shell(&recipe("jq-unhealthy"))).run();
    out.assert_code(0);
    // Database and cache are up; the agent registry and services are not configured.
    assert_eq!(out.stdout, "agents\nexternal_services\n");
}

#[test]
fn jq_explains_the_failing_services() {
    let ok = HttpServer::replying(Reply::json(200, &serde_json::json!({"data": []})));
    let rejected = HttpServer::replying(Reply::json(
        401,
        &serde_json::json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
    ));
    let out = shell(&recipe("jq-services"))
        .env("ANTHROPIC_API_KEY", "recipe-anthropic-key")
        .env("ANTHROPIC_BASE_URL", rejected.url())
        .env("SENDGRID_API_KEY", "recipe-sendgrid-key")
        .env("SENDGRID_BASE_URL", ok.url())
        .run();
    out.assert_code(0)
        .assert_no_secrets(&["recipe-anthropic-key", "recipe-sendgrid-key"]);
    assert_eq!(
        out.stdout,
        "anthropic_api: API key rejected (HTTP 401: authentication_error: invalid x-api-key)\n"
    );
}

#[test]
fn ci_gate_passes_when_both_are_up_and_fails_otherwise() {
    let gate = recipe("ci-gate");
    healthy_env(shell(&gate)).run().assert_code(0);
    let out = shell(&gate)
        .env("DATABASE_URL", PgServer::shared().create_database())
        .run();
    out.assert_code(1);
}

#[test]
fn icinga_check_command_runs_as_a_plugin() {
    let definition = recipe("icinga");
    let command: Vec<String> = definition
        .lines()
        .find_map(|l| l.trim().strip_prefix("command = "))
        .map(|array| serde_json::from_str(array).expect("command is a JSON-style array"))
        .expect("a command line");
    assert_eq!(command[0], "/usr/local/bin/vitals");
    let test = Test::new();
    let env_file = healthy_env_file(&test);
    let args: Vec<String> = command[1..]
        .iter()
        .map(|a| {
            if a == "/etc/vitals/vitals.env" {
                env_file.display().to_string()
            } else {
                a.clone()
            }
        })
        .collect();
    let out = test.args(&args).run();
    out.assert_code(0);
    assert!(
        out.stdout
            .starts_with("VITALS OK - database, cache healthy | "),
        "{}",
        out.stdout
    );
}

/// Where the recipes expect vitals ([install](../README.md#install)).
const INSTALLED: &str = "/usr/local/bin/vitals";

/// The command of an `/etc/cron.d` line, run as cron runs it: by `/bin/sh
/// -c`, in the home directory, with cron's environment and nothing else
/// (`env -i PATH=/usr/bin:/bin`, HOME, SHELL, LOGNAME). The installed binary
/// is the one under test; `moved` puts the system paths the line names
/// into the test's directory.
fn cron(line: &str, moved: &[(&str, String)]) -> Test {
    let command = line
        .splitn(7, ' ')
        .nth(6)
        .expect("a command after the five time fields and the user");
    assert!(
        command.starts_with(&format!("{INSTALLED} ")),
        "cron's PATH is /usr/bin:/bin: name the binary by its full path: {command}"
    );
    let mut command = command.replacen(INSTALLED, env!("CARGO_BIN_EXE_vitals"), 1);
    for (from, to) in moved {
        command = command.replace(from, to);
    }
    let test = Test::new();
    let home = test.home();
    test.program("/bin/sh")
        .env_remove("XDG_STATE_HOME")
        .env("PATH", "/usr/bin:/bin")
        .env("SHELL", "/bin/sh")
        .env("LOGNAME", "root")
        .current_dir(home)
        .args(["-c", &command])
}

#[test]
fn node_exporter_cron_line_writes_the_textfile() {
    let test = Test::new();
    let dir = test.dir().join("textfile_collector");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let env_file = healthy_env_file(&test);
    let out = cron(
        &recipe("node-exporter"),
        &[
            (
                "/var/lib/node_exporter/textfile_collector",
                dir.display().to_string(),
            ),
            ("/etc/vitals/vitals.env", env_file.display().to_string()),
        ],
    )
    .run();
    out.assert_code(0);
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    let text = std::fs::read_to_string(dir.join("vitals.prom")).expect("vitals.prom written");
    assert!(
        text.contains("vitals_check_up{check=\"database\"} 1\n"),
        "{text}"
    );
}

#[test]
fn alert_preview_sends_nothing() {
    let all = Everything::start();
    let out = shell(&recipe("alert-preview")).envs(all.env()).run();
    out.assert_code(0).assert_stdout_contains("disk_full");
    all.check(&out);
    assert_eq!(all.requests(), 0);
    assert!(all.smtp.messages().is_empty());
}

#[test]
fn alert_page_goes_to_sms_and_pagerduty_only() {
    let all = Everything::start();
    let out = shell(&recipe("alert-page")).envs(all.env()).run();
    out.assert_code(0);
    all.check(&out);
    assert_eq!(all.twilio.request_count(), 2, "one SMS per number");
    assert_eq!(all.pagerduty.request_count(), 1);
    assert_eq!(all.slack.request_count(), 0);
    assert!(all.smtp.messages().is_empty());
}

#[test]
fn alert_failures_lists_each_failed_notification() {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let pagerduty = HttpServer::replying(Reply::json(
        400,
        &serde_json::json!({"status": "invalid event", "message": "Event object is invalid", "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"]}),
    ));
    let out = shell(&recipe("alert-failures"))
        .env("MSG", "deploy 1234 failed")
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T/B/recipe-hook", slack.url()),
        )
        .env("PAGERDUTY_BASE_URL", pagerduty.url())
        .env("PAGERDUTY_ROUTING_KEY", "recipe-routing-key")
        .run();
    // The pipeline's status is jq's: it succeeded in listing the failure.
    out.assert_code(0)
        .assert_no_secrets(&["recipe-hook", "recipe-routing-key"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert!(lines[0].starts_with("pagerduty "), "{}", lines[0]);
    assert!(lines[0].contains("400"), "{}", lines[0]);
}

#[test]
fn alert_test_reaches_every_channel() {
    let all = Everything::start();
    let out = shell(&recipe("alert-test")).envs(all.env()).run();
    out.assert_code(0);
    all.check(&out);
    assert_eq!(all.slack.request_count(), 1);
    assert_eq!(all.twilio.request_count(), 2);
    // The incident it opened, it resolves.
    let actions: Vec<String> = all
        .pagerduty
        .requests()
        .iter()
        .map(|r| {
            r.json()["event_action"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(actions, ["trigger", "resolve"]);
    assert_eq!(all.smtp.messages().len(), 1);
}

/// An env file as `/etc/vitals/vitals.env` would be: every channel, a
/// database that is down, and a store of its own.
fn alerting_env_file(test: &Test, all: &Everything, store: &Path) -> std::path::PathBuf {
    let mut lines: Vec<String> = all
        .env()
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    lines.push(format!(
        "DATABASE_URL=postgres://vitals@127.0.0.1:{}/app",
        crate::support::net::free_port()
    ));
    lines.push(format!("VITALS_STATE={}", store.display()));
    test.write_file("vitals.env", lines.join("\n") + "\n")
}

#[test]
fn cron_alert_line_notifies_once_per_outage() {
    let line = recipe("cron-alert");
    let all = Everything::start();
    let test = Test::new();
    let env_file = alerting_env_file(&test, &all, &test.dir().join("alerts.db"));
    for _ in 0..3 {
        let out = cron(
            &line,
            &[("/etc/vitals/vitals.env", env_file.display().to_string())],
        )
        .run();
        // The database is down: CRITICAL, said once by the alert, silently by cron.
        out.assert_code(2);
        all.check(&out);
        assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    }
    assert_eq!(all.slack.request_count(), 1);
    assert_eq!(all.pagerduty.request_count(), 1);
    assert_eq!(all.smtp.messages().len(), 1);
    let list = Test::new()
        .env("VITALS_STATE", test.dir().join("alerts.db"))
        .args(["alert", "list", "--json"])
        .run();
    list.assert_code(0);
    let alerts = list.json();
    assert_eq!(alerts[0]["alert_type"], "database_failure");
    assert_eq!(alerts[0]["occurrences"], 3);
}

#[test]
fn shared_store_hosts_each_alert_and_recover_on_their_own() {
    let settings = recipe("shared-store");
    let state = settings
        .lines()
        .find_map(|l| l.strip_prefix("VITALS_STATE="))
        .expect("the recipe sets VITALS_STATE");
    assert!(state.starts_with("postgres://"), "{state}");
    assert!(settings.contains("# VITALS_INSTANCE="));
    let line = recipe("cron-alert");
    let store = PgServer::shared().create_database();
    let database = PgServer::shared().create_database();
    let name = database.rsplit('/').next().unwrap_or_default();
    let unreachable = PgServer::shared().url_with_password(name, "not-this-one");
    let all = Everything::start();
    let test = Test::new();
    // web2 cannot log in to the database web1 checks fine.
    let host = |instance: &str, database: &str| {
        let mut lines: Vec<String> = all
            .env()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        lines.push(format!("VITALS_STATE={store}"));
        lines.push(format!("VITALS_INSTANCE={instance}"));
        lines.push(format!("DATABASE_URL={database}"));
        let file = test.write_file(format!("{instance}.env"), lines.join("\n") + "\n");
        cron(
            &line,
            &[("/etc/vitals/vitals.env", file.display().to_string())],
        )
    };
    for _ in 0..3 {
        host("web1", &database).run().assert_code(0);
        host("web2", &unreachable).run().assert_code(2);
    }
    assert_eq!(
        (all.slack.request_count(), all.pagerduty.request_count()),
        (1, 1)
    );
    host("web2", &database).run().assert_code(0);
    assert_eq!(
        (all.slack.request_count(), all.pagerduty.request_count()),
        (2, 2)
    );
    let alerts = Test::new()
        .env("VITALS_STATE", &store)
        .args(["alert", "list", "--status", "all", "--json"])
        .run()
        .json();
    assert_eq!(alerts.as_array().map(Vec::len), Some(1));
    assert_eq!(alerts[0]["labels"]["instance"], "web2");
    assert_eq!(alerts[0]["occurrences"], 3);
    assert_eq!(alerts[0]["resolved_by"], "vitals check on web2");
}

#[test]
fn systemd_service_runs_its_exec_start_and_counts_health_as_success() {
    let units = recipe("systemd-timer");
    let setting = |name: &str| -> Vec<String> {
        units
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(setting("EnvironmentFile"), ["/etc/vitals/vitals.env"]);
    assert_eq!(setting("OnCalendar"), ["minutely"]);
    let success: Vec<i32> = setting("SuccessExitStatus")
        .iter()
        .flat_map(|s| s.split_whitespace().map(|c| c.parse().expect("exit code")))
        .collect();
    assert_eq!(success, [1, 2]);
    let exec = setting("ExecStart");
    let args: Vec<&str> = exec[0].split_whitespace().collect();
    assert_eq!(args[0], "/usr/local/bin/vitals");

    let all = Everything::start();
    let test = Test::new();
    // systemd reads EnvironmentFile and Environment itself; the test passes both the same way.
    let env_file = alerting_env_file(&test, &all, Path::new("/unused"));
    let text = std::fs::read_to_string(&env_file).expect("env file");
    let state = test.dir().join("state-directory/alerts.db");
    // StateDirectory=vitals: systemd makes the directory before ExecStart.
    std::fs::create_dir(test.dir().join("state-directory")).expect("mkdir");
    let mut run = Test::new()
        .program(env!("CARGO_BIN_EXE_vitals"))
        .args(&args[1..]);
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            run = run.env(k, v);
        }
    }
    for assignment in setting("Environment") {
        let (k, v) = assignment.split_once('=').expect("NAME=value");
        assert_eq!((k, v), ("VITALS_STATE", "/var/lib/vitals/alerts.db"));
        run = run.env(k, &state);
    }
    let out = run.run();
    assert!(
        success.contains(&out.code),
        "exit {}: {}",
        out.code,
        out.stderr
    );
    out.assert_code(2);
    all.check(&out);
    assert_eq!(out.stderr, "");
    assert_eq!(all.slack.request_count(), 1);
    assert!(state.exists());
}

#[test]
fn alert_open_lists_open_alerts_most_severe_first() {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let test = Test::new();
    let store = test.dir().join("alerts.db");
    for (kind, severity) in [
        ("queue_deep", "warning"),
        ("disk_full", "critical"),
        ("db_slow", "error"),
    ] {
        Test::new()
            .env("VITALS_STATE", &store)
            .env(
                "SLACK_WEBHOOK_URL",
                format!("{}/services/T/B/x", slack.url()),
            )
            .args([
                "alert",
                "send",
                "--type",
                kind,
                "--severity",
                severity,
                "--message",
                kind,
            ])
            .run()
            .assert_code(0);
    }
    let out = shell(&recipe("alert-open"))
        .env("VITALS_STATE", &store)
        .run();
    out.assert_code(0);
    let lines: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .map(|l| l.split(' ').skip(1).collect())
        .collect();
    assert_eq!(
        lines,
        [
            vec!["critical", "disk_full", "x1:", "disk_full"],
            vec!["error", "db_slow", "x1:", "db_slow"],
            vec!["warning", "queue_deep", "x1:", "queue_deep"],
        ]
    );
}

/// The units of a recipe, each `# /etc/systemd/system/NAME` followed by its
/// lines: `(NAME, text)`.
fn units(recipe: &str) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in recipe.lines() {
        if let Some(path) = line.strip_prefix("# /etc/systemd/system/") {
            files.extend(current.take());
            current = Some((path.to_owned(), Vec::new()));
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    files.extend(current);
    files
        .into_iter()
        .map(|(name, lines)| (name, lines.join("\n").trim().to_owned() + "\n"))
        .collect()
}

/// The units of `recipe` as systemd itself reads them: `systemd-analyze
/// verify` finds no mistake and warns of nothing (an unknown key, a
/// misspelt section), with `ExecStart` pointing at the binary under test.
fn verify_units(recipe: &str, expected: &[&str]) {
    let found = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "systemd-analyze is needed (Debian: apt-get install systemd; scripts/test.sh installs it)"
    );
    let test = Test::new();
    let files = units(recipe);
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, expected);
    let paths: Vec<std::path::PathBuf> = files
        .iter()
        .map(|(name, text)| {
            test.write_file(
                format!("units/{name}"),
                text.replace(INSTALLED, env!("CARGO_BIN_EXE_vitals")),
            )
        })
        .collect();
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(&paths)
        .env("SYSTEMD_LOG_COLOR", "0")
        .output()
        .expect("run systemd-analyze");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify: {stderr}");
    assert_eq!(stderr, "", "systemd-analyze verify warned");
}

#[test]
fn history_cron_line_records_every_run() {
    let line = recipe("history-cron");
    let test = Test::new();
    let store = test.dir().join("history.db");
    let env_file = test.write_file(
        "vitals.env",
        format!(
            "DATABASE_URL={}\nREDIS_URL={}\nVITALS_STATE={}\n",
            PgServer::shared().create_database(),
            RedisServer::shared().url(),
            store.display()
        ),
    );
    for _ in 0..2 {
        let out = cron(
            &line,
            &[("/etc/vitals/vitals.env", env_file.display().to_string())],
        )
        .run();
        out.assert_code(0);
        assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    }
    let out = Test::new()
        .env("VITALS_STATE", &store)
        .args(["history", "--json"])
        .run();
    out.assert_code(0);
    let samples: Vec<(String, i64)> = out.json()["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap_or_default().to_owned(),
                c["samples"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        samples,
        [("cache".to_owned(), 2), ("database".to_owned(), 2)]
    );
}

#[test]
fn history_uptime_reports_each_recorded_check() {
    let out = healthy_env(shell(&recipe("history-uptime"))).run();
    out.assert_code(0);
    assert_eq!(out.stdout, "cache 100\ndatabase 100\n");
}

#[test]
fn systemd_units_pass_systemd_analyze_verify() {
    verify_units(
        &recipe("systemd-timer"),
        &["vitals-alert.service", "vitals-alert.timer"],
    );
}

#[test]
fn serve_unit_passes_systemd_analyze_verify() {
    verify_units(&recipe("serve-systemd"), &["vitals-serve.service"]);
}

/// The serve unit's ExecStart with its EnvironmentFile and Environment, as
/// systemd runs it: it serves, and systemd's stop (SIGTERM) ends it with
/// exit 0, a success.
#[test]
fn serve_unit_runs_and_stops_cleanly_on_sigterm() {
    let unit = recipe("serve-systemd");
    let setting = |name: &str| -> Vec<String> {
        unit.lines()
            .filter_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(setting("EnvironmentFile"), ["/etc/vitals/vitals.env"]);
    assert_eq!(
        setting("KillSignal"),
        Vec::<String>::new(),
        "SIGTERM, systemd's default"
    );
    let exec = setting("ExecStart");
    let args: Vec<&str> = exec[0].split_whitespace().collect();
    assert_eq!(args[0], INSTALLED);

    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let mut serve = crate::support::serve::Serve::new().exec(&args[1..]);
    // StateDirectory=vitals: systemd makes the directory before ExecStart.
    let state = serve.dir().join("state-directory");
    std::fs::create_dir(&state).expect("mkdir");
    // What /etc/vitals/vitals.env would hold.
    serve = serve
        .env("REDIS_URL", RedisServer::shared().url())
        .env(
            "SLACK_WEBHOOK_URL",
            format!("{}/services/T/B/x", slack.url()),
        )
        .env("VITALS_SERVE_TOKEN", "unit-token-5d1e");
    for assignment in setting("Environment") {
        let (k, v) = assignment.split_once('=').expect("NAME=value");
        let v = match k {
            "VITALS_STATE" => {
                assert_eq!(v, "/var/lib/vitals/alerts.db");
                state.join("alerts.db").display().to_string()
            }
            // Never the standard port: any free one.
            "VITALS_LISTEN" => {
                assert_eq!(v, "127.0.0.1:9464");
                "127.0.0.1:0".to_owned()
            }
            other => panic!("unexpected Environment={other}"),
        };
        serve = serve.env(k, v);
    }
    let served = serve.start();
    served.wait(Duration::from_secs(20), "a first round", |s| {
        s.get("/healthz").json()["rounds"].as_u64() >= Some(1)
    });
    assert_eq!(
        served.get("/api/v1/status").json()["overall_status"],
        "healthy"
    );
    assert!(state.join("alerts.db").exists(), "--alert made its store");
    let (code, stderr) = served.stop("TERM");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(slack.request_count(), 0);
}

// --- checks of your own (docs/CHECKS.md) --------------------------------------

/// `vitals check NAME… --json` over a recipe's vitals.toml, in which each
/// `(shown, used)` pair puts this test's servers where the page has real ones.
fn run_checks(
    toml: &str,
    swaps: &[(&str, String)],
    test: Test,
    names: &[&str],
) -> serde_json::Value {
    let mut text = toml.to_owned();
    for (shown, used) in swaps {
        assert!(text.contains(shown), "the recipe no longer has {shown:?}");
        text = text.replace(shown, used);
    }
    test.write_file("vitals.toml", text);
    let args: Vec<&str> = ["check"]
        .into_iter()
        .chain(names.iter().copied())
        .chain(["--json"])
        .collect();
    let out = test.run_args(args);
    out.json()
}

#[test]
fn check_command_runs_nagios_plugins() {
    let test = Test::new();
    let dump = test.write_file("db.dump", "backup");
    let v = run_checks(
        &recipe("check-command"),
        &[("/var/backups/db.dump", dump.display().to_string())],
        test,
        &["root-disk", "nightly-backup"],
    );
    let disk = &v["checks"]["root-disk"];
    assert_eq!(disk["kind"], "command");
    assert!(
        disk["message"].as_str().unwrap().starts_with("DISK "),
        "{disk}"
    );
    assert_eq!(disk["metrics"]["/"]["unit"], "B");
    let backup = &v["checks"]["nightly-backup"];
    assert_eq!(backup["status"], "healthy", "{backup}");
    assert!(
        backup["message"]
            .as_str()
            .unwrap()
            .starts_with("FILE_AGE OK"),
        "{backup}"
    );
}

#[test]
fn check_tcp_waits_for_the_greeting() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = std::io::Write::write_all(&mut stream, b"220 mail.internal ESMTP\r\n");
        }
    });
    let v = run_checks(
        &recipe("check-tcp"),
        &[
            ("mail.internal", "127.0.0.1".into()),
            ("port = 25", format!("port = {port}")),
        ],
        Test::new(),
        &["smtp"],
    );
    assert_eq!(v["status"], "healthy", "{v}");
    assert_eq!(v["kind"], "tcp");
}

#[test]
fn check_tls_reads_the_days_left() {
    let ca = crate::support::certs::TestCa::new("recipe CA");
    let cert = ca.issue_expiring(&["www.example.com"], 60);
    let server = crate::declared_net::s_server(&cert.cert_path, &cert.key_path);
    let v = run_checks(
        &recipe("check-tls"),
        &[
            (
                "host = \"www.example.com\"",
                "host = \"127.0.0.1\"\nsni = \"www.example.com\"".into(),
            ),
            ("port = 443", format!("port = {}", server.port)),
        ],
        Test::new().env("SSL_CERT_FILE", ca.ca_path()),
        &["www-certificate"],
    );
    assert_eq!(v["status"], "healthy", "{v}");
    assert_eq!(v["days_left"], 60);
    assert_eq!(v["verification"], "ok");
}

#[test]
fn check_dns_finds_the_mail_exchanger() {
    let dir = tempfile::tempdir().unwrap();
    let dns = crate::declared_net::dnsmasq(
        dir.path(),
        &[
            "--local=/example.com/",
            "--mx-host=example.com,mail.example.com,10",
        ],
    );
    let v = run_checks(
        &recipe("check-dns"),
        &[("192.0.2.53:53", format!("127.0.0.1:{}", dns.port))],
        Test::new(),
        &["mail-exchanger"],
    );
    assert_eq!(v["status"], "healthy", "{v}");
    assert_eq!(v["answers"], serde_json::json!(["10 mail.example.com."]));
}

#[test]
fn check_postgres_and_redis_instances() {
    let v = run_checks(
        &recipe("check-postgres"),
        &[],
        Test::new()
            .env("REPLICA_URL", PgServer::shared().create_database())
            .env("SESSIONS_REDIS_URL", RedisServer::shared().url()),
        &["replica", "sessions"],
    );
    assert_eq!(v["overall_status"], "healthy", "{v}");
    assert_eq!(v["checks"]["replica"]["kind"], "postgres");
    assert_eq!(v["checks"]["replica"]["message"], "Database operational");
    assert_eq!(v["checks"]["sessions"]["message"], "Cache operational");
}

#[test]
fn check_http_expands_variables_in_the_url() {
    let server = HttpServer::start(|req| {
        if req.path() == "/healthz"
            && req.header("authorization") == Some("Bearer recipe-billing-token")
        {
            Reply::text(200, "ok")
        } else {
            Reply::text(403, "no")
        }
    });
    let v = run_checks(
        &recipe("check-http"),
        &[],
        Test::new()
            .env("BILLING_HOST", format!("127.0.0.1:{}", server.port()))
            .env("BILLING_TOKEN", "recipe-billing-token"),
        &["billing"],
    );
    assert_eq!(v["status"], "healthy", "{v}");
    assert_eq!(v["status_code"], 200);
}

#[test]
fn silence_upgrade_silences_the_database_and_ends_it() {
    let store = crate::support::alerts::Store::fresh(crate::support::alerts::Backend::Sqlite);
    let out = shell(&recipe("silence-upgrade"))
        .env("VITALS_STATE", &store.location)
        .run();
    out.assert_code(0);
    let listed = store
        .test()
        .args(["alert", "silences", "--all", "--json"])
        .run();
    listed.assert_code(0);
    let silences = listed.json();
    assert_eq!(silences.as_array().map(Vec::len), Some(1), "{silences}");
    assert_eq!(
        silences[0]["matchers"],
        serde_json::json!({"check": "database"})
    );
    assert_eq!(silences[0]["reason"], "PostgreSQL 17 upgrade");
    assert_eq!(silences[0]["state"], "expired");
    assert!(silences[0]["ended_by"].is_string());
}

#[test]
fn hygiene_toml_is_valid_and_its_threshold_holds() {
    let billing = HttpServer::replying(Reply::text(503, "down"));
    let hook = HttpServer::replying(Reply::status(200));
    let store = crate::support::alerts::Store::fresh(crate::support::alerts::Backend::Sqlite);
    // The replica is a port nothing listens on: it fails.
    let replica = format!(
        "postgres://monitor@127.0.0.1:{}/app",
        crate::support::net::free_port()
    );
    let toml = recipe("hygiene-toml")
        .replace("https://billing.internal", &billing.url())
        .replace("postgres://monitor@replica.internal:5432/app", &replica);
    let dir = Test::new();
    let file = dir.write_file("vitals.toml", &toml);
    let run = |now: &str| {
        store
            .test()
            .env("VITALS_CONFIG", file.display().to_string())
            .env("WEBHOOK_URL", hook.url())
            // A Tuesday: the Sunday window is not on.
            .env("VITALS_NOW", now)
            .args(["check", "services", "--alert"])
            .run()
    };
    run("2031-05-06T08:00:00Z");
    run("2031-05-06T08:01:00Z");
    assert_eq!(
        hook.request_count(),
        0,
        "alerted before the third failing run"
    );
    run("2031-05-06T08:02:00Z");
    assert_eq!(hook.request_count(), 1);
    // The declared check: raised at its second failing run, critical.
    let replica = |now: &str| {
        let out = store
            .test()
            .env("VITALS_CONFIG", file.display().to_string())
            .env("WEBHOOK_URL", hook.url())
            .env("VITALS_NOW", now)
            .args(["check", "replica", "--alert", "--timeout", "2s"])
            .run();
        out.assert_code(2);
        assert_eq!(out.stderr, "");
    };
    replica("2031-05-06T08:00:00Z");
    assert_eq!(hook.request_count(), 1, "alerted at the first failing run");
    replica("2031-05-06T08:01:00Z");
    assert_eq!(hook.request_count(), 2);
    let alerts = store.alerts();
    let raised = alerts
        .iter()
        .find(|a| a["alert_type"] == "replica_failure")
        .expect("replica_failure");
    assert_eq!(raised["severity"], "critical");
    let validate = store
        .test()
        .env("VITALS_CONFIG", file.display().to_string())
        .env("WEBHOOK_URL", hook.url())
        .args(["config", "validate", "--json"])
        .run();
    assert_eq!(
        validate.json()["errors"],
        serde_json::json!([]),
        "{}",
        validate.stdout
    );
}
