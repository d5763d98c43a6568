//! Every README recipe, run exactly as the README shows it.

use std::path::Path;

use crate::support::alerts::Everything;
use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};
use crate::support::postgres::PgServer;
use crate::support::redis::RedisServer;

/// The fenced block after `<!-- recipe: NAME -->` in the README.
fn recipe(name: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let marker = format!("<!-- recipe: {name} -->");
    let after = readme
        .split_once(&marker)
        .unwrap_or_else(|| panic!("README has no recipe {name}"))
        .1;
    let block = after.split_once("```").expect("a fenced block").1;
    let body = block.split_once('\n').expect("fence line").1;
    body.split_once("```")
        .expect("closing fence")
        .0
        .trim()
        .to_owned()
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
    let env_file = test.write_file(
        "vitals.env",
        format!(
            "DATABASE_URL={}\nREDIS_URL={}\n",
            PgServer::shared().create_database(),
            RedisServer::shared().url()
        ),
    );
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

#[test]
fn node_exporter_cron_line_writes_the_textfile() {
    let line = recipe("node-exporter");
    // An /etc/cron.d line: five time fields and a user, then the command.
    let command = line
        .splitn(7, ' ')
        .nth(6)
        .expect("a command after the user field");
    let test = healthy_env(Test::new());
    let dir = test.dir().join("textfile_collector");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let command = command.replace(
        "/var/lib/node_exporter/textfile_collector",
        &dir.display().to_string(),
    );
    let out = healthy_env(shell(&command)).current_dir(test.dir()).run();
    out.assert_code(0);
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
    assert_eq!(all.pagerduty.request_count(), 1);
    assert_eq!(all.smtp.messages().len(), 1);
}
