//! Every README recipe, run exactly as the README shows it.

use std::path::Path;

use crate::support::cmd::{Outcome, Test};
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
    // Database and cache are up; the agent registry is not configured.
    assert_eq!(out.stdout, "agents\n");
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
