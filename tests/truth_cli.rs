//! The small things a new user meets first: options that do what they say
//! or are refused, help that reads well, man pages that say where settings
//! come from, env files whose mistakes are said, numbers that keep their
//! precision.

use serde_json::{Value, json};

use crate::support::cmd::Test;
use crate::support::http::{HttpServer, Reply};
use crate::support::redis::RedisServer;

#[test]
fn completions_honour_output() {
    let test = Test::new().args(["completions", "bash", "--output", "vitals.bash"]);
    let out = test.run();
    out.assert_code(0);
    assert_eq!(out.stdout, "");
    let written = std::fs::read_to_string(test.dir().join("vitals.bash")).expect("vitals.bash");
    let printed = Test::new().args(["completions", "bash"]).run();
    printed.assert_code(0);
    assert_eq!(written, printed.stdout);
    assert!(written.contains("_vitals()"), "{written}");
}

#[test]
fn json_and_another_format_given_together_are_refused() {
    let out = Test::new()
        .args(["check", "db", "--json", "--format", "table"])
        .run();
    out.assert_code(3);
    assert!(
        out.stderr.starts_with(
            "error: --json and --format table ask for two formats: give one of them (--json is \
             --format json)\n"
        ),
        "{}",
        out.stderr
    );
    // The same format twice is no conflict.
    let out = Test::new()
        .args(["check", "db", "--json", "--format", "json"])
        .run();
    out.assert_code(3);
    assert_eq!(out.json()["status"], "unconfigured");
    // The environment's format yields to the flag.
    for format in ["table", "nagios"] {
        let out = Test::new()
            .env("VITALS_FORMAT", format)
            .args(["check", "db", "--json"])
            .run();
        out.assert_code(3);
        assert_eq!(
            out.json(),
            json!({"status": "unconfigured", "message": "not configured: set DATABASE_URL"})
        );
    }
}

#[test]
fn requiring_a_check_that_does_not_run_is_refused() {
    let out = Test::new()
        .args(["check", "db", "--require", "cache,db", "--format", "nagios"])
        .run();
    out.assert_code(3);
    let said = "--require cache: `vitals check db` runs only db (to require several checks, run \
                them together: `vitals check db cache --require db,cache`)";
    assert_eq!(out.stderr, format!("error: {said}\n"));
    assert_eq!(out.stdout, format!("VITALS UNKNOWN - {said}\n"));
    // Requiring the check that runs is what it says.
    let out = Test::new()
        .args(["check", "db", "--require", "db", "--json"])
        .run();
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        "required but not configured: set DATABASE_URL"
    );
}

/// On an 80-column terminal no example is broken across lines: each is a
/// command, then what it does, indented, on a line of its own.
#[test]
fn check_help_examples_fit_an_80_column_terminal() {
    let out = Test::new()
        .env("COLUMNS", "80")
        .args(["check", "--help"])
        .run();
    out.assert_code(0);
    let examples = out
        .stdout
        .split_once("Examples:\n")
        .and_then(|(_, rest)| rest.split_once("\n\n"))
        .map(|(examples, _)| examples)
        .expect("an Examples section");
    assert_eq!(
        examples,
        "  vitals check all
      every check, concurrently, as a table
  vitals check db --json | jq .status
      one check, as JSON
  vitals check all --require db,cache
      an unconfigured db or cache counts as unhealthy
  vitals check replica root-disk --json
      checks declared in vitals.toml ([[check]]), by name
  vitals check --list
      every check there is, its kind and what it looks at
  vitals check all --timeout 2s
      each check gets at most 2 seconds
  vitals check all --alert > /dev/null
      from cron: alert on trouble, resolve on recovery (and record the run)
  vitals check all --record > /dev/null
      from cron: keep each run for `vitals history`
  vitals check all --format nagios
      a Nagios/Icinga plugin status line with perfdata
  vitals check all --format prometheus --output \"$DIR/vitals.prom\"
      for the node_exporter textfile collector reading $DIR"
    );
    let exit_codes = out
        .stdout
        .split_once("Exit codes")
        .map(|(_, rest)| rest)
        .expect("exit codes");
    for line in exit_codes.lines().skip(1) {
        assert!(
            line.starts_with("  ") && (line.starts_with("  0") || line.len() <= 80),
            "{line:?}"
        );
    }
    assert!(
        exit_codes.contains(
            "  3  UNKNOWN   usage error, unreadable configuration, nothing configured,\n               internal error"
        ),
        "{exit_codes}"
    );
}

/// `man vitals` says where every setting comes from.
#[test]
fn the_man_page_has_environment_and_files() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/man/vitals.1"))
        .expect("man/vitals.1");
    let environment = page
        .split_once(".SH ENVIRONMENT\n")
        .map(|(_, rest)| rest)
        .expect("an ENVIRONMENT section");
    for var in [
        "DATABASE_URL",
        "REDIS_URL",
        "VITALS_STATE",
        "PAGERDUTY_ROUTING_KEY",
    ] {
        assert!(
            environment.contains(&format!(".TP\n\\fB{var}\\fR\n")),
            "{var} is not in ENVIRONMENT"
        );
    }
    assert!(environment.contains("Default: 4h."), "{environment}");
    let files = environment
        .split_once(".SH FILES\n")
        .map(|(_, rest)| rest)
        .expect("a FILES section");
    assert!(files.contains("\\fI./.env\\fR"), "{files}");
    assert!(files.contains("~/.local/state/vitals/alerts.db"), "{files}");
    let check = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/man/vitals-check.1"))
        .expect("man/vitals-check.1");
    assert!(check.contains(".SH ENVIRONMENT\n"), "{check}");
}

#[test]
fn the_readme_usage_shows_every_format_and_output() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let usage = readme
        .split_once("## Usage\n\n```\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(usage, _)| usage)
        .expect("a usage block");
    assert!(
        usage.starts_with(
            "vitals [--format table|json|nagios|prometheus] [--json] [--output FILE]\n"
        ),
        "{usage}"
    );
}

/// A real Redis uses a sliver of the machine's memory: the ratio keeps it.
#[test]
fn a_small_memory_ratio_keeps_its_precision_and_counters_their_unit() {
    let redis = RedisServer::shared();
    let json = Test::new()
        .env("REDIS_URL", redis.url())
        .args(["check", "cache", "--json"])
        .run();
    json.assert_code(0);
    let facts = json.json();
    let used = facts["memory_usage_bytes"].as_f64().expect("used");
    let limit = facts["memory_limit_bytes"].as_f64().expect("limit");
    let prometheus = Test::new()
        .env("REDIS_URL", redis.url())
        .args(["check", "cache", "--format", "prometheus"])
        .run();
    prometheus.assert_code(0);
    let ratio: f64 = prometheus
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("vitals_cache_memory_usage_ratio "))
        .and_then(|v| v.parse().ok())
        .expect("a vitals_cache_memory_usage_ratio sample");
    assert!(ratio > 0.0, "{ratio}");
    // The memory in use moves between the two runs by a few KiB at most.
    let expected = used / limit;
    assert!(
        (ratio - expected).abs() < 1e-9 + 65536.0 / limit,
        "{ratio} is not {used}/{limit} = {expected}"
    );
    assert!(
        (ratio * 1e4).fract() != 0.0,
        "{ratio} is rounded to a hundredth of a percent"
    );

    let nagios = Test::new()
        .env("REDIS_URL", redis.url())
        .args(["check", "cache", "--format", "nagios"])
        .run();
    nagios.assert_code(0);
    for counter in ["cache_rejected_connections", "cache_evicted_keys"] {
        let item = nagios
            .stdout
            .split_whitespace()
            .find(|i| i.starts_with(&format!("'{counter}'=")))
            .unwrap_or_else(|| panic!("no {counter} in {}", nagios.stdout));
        let value = item.split_once('=').map(|(_, v)| v).unwrap_or_default();
        let number = value.split(';').next().unwrap_or_default();
        assert!(
            number.ends_with('c') && number[..number.len() - 1].parse::<u64>().is_ok(),
            "{item}"
        );
    }
}

const HASH_WARNING: &str = "the value of SLACK_CHANNEL starts with #, which starts a comment, \
                            so SLACK_CHANNEL is empty: quote values starting with # \
                            (SLACK_CHANNEL='#…')";

#[test]
fn an_unquoted_hash_in_the_env_file_is_said() {
    let test = Test::new().args(["check", "db", "--json"]);
    test.write_file(".env", "# Slack\nSLACK_CHANNEL=#ops\n");
    let out = test.run();
    out.assert_code(3);
    assert_eq!(
        out.stderr,
        format!("warning: .env:2: {HASH_WARNING}\nerror: nothing to check: set DATABASE_URL\n")
    );
    let test = Test::new().args(["config", "validate", "--json"]);
    test.write_file(".env", "# Slack\nSLACK_CHANNEL=#ops\n");
    let out = test.run();
    assert_eq!(out.stderr, "");
    let warnings = out.json()["warnings"].clone();
    assert!(
        warnings
            .as_array()
            .is_some_and(|w| w.contains(&Value::String(format!(".env:2: {HASH_WARNING}")))),
        "{warnings}"
    );
    // Quoted, it is the channel.
    let test = Test::new().args(["config", "validate", "--json"]);
    test.write_file(".env", "SLACK_CHANNEL='#ops'\n");
    let out = test.run();
    assert_eq!(
        out.json()["groups"]["slack"]["variables"]["SLACK_CHANNEL"],
        "#ops"
    );
}

#[test]
fn env_file_syntax_errors_give_the_line_and_column() {
    for (text, said) in [
        (
            "DATABASE_URL=postgres://db/app\n\nSLACK_CHANNEL = ops team\n",
            "syntax error at line 3, column 21",
        ),
        (
            "A=1\nSMTP_PASSWORD=\"s3cret\nB=2\n",
            "the quoted value on line 2 is not closed by the end of the file",
        ),
    ] {
        let test = Test::new().args(["check", "db"]);
        test.write_file("prod.env", text);
        let out = test.args(["--env-file", "prod.env"]).run();
        out.assert_code(3);
        assert_eq!(
            out.stderr,
            format!("error: cannot parse env file prod.env: {said}\n")
        );
        assert!(!out.stderr.contains("s3cret"));
    }
}

/// Only a regular file's permissions are its author's to change.
#[test]
fn an_env_file_that_is_no_file_gets_no_chmod_advice() {
    let out = Test::new()
        .args(["--env-file", "/dev/null", "config", "validate", "--json"])
        .run();
    out.assert_code(1);
    let report = out.json();
    assert_eq!(report["env_file"], "/dev/null");
    assert_eq!(
        report["warnings"],
        json!([
            "no alert channel is configured: set SLACK_WEBHOOK_URL, SMTP_HOST (or EMAIL_PROVIDER=sendgrid), TWILIO_* or PAGERDUTY_ROUTING_KEY",
            "nothing to check is configured: set DATABASE_URL, REDIS_URL, AGENT_REGISTRY_URL or an API key"
        ])
    );
}

/// The declared services of a `check services` document.
fn declared(services: &Value) -> Vec<String> {
    let builtin = ["anthropic_api", "hubspot_api", "sendgrid_api"];
    services
        .as_object()
        .map(|s| {
            s.keys()
                .filter(|k| !builtin.contains(&k.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// `VITALS_CONFIG=services.toml` in `/etc/vitals/vitals.env` means
/// `/etc/vitals/services.toml`, whatever the working directory; set in
/// the environment, it is relative to the working directory.
#[test]
fn a_relative_path_in_an_env_file_is_relative_to_its_directory() {
    let server = HttpServer::replying(Reply::text(200, "ok"));
    let declare = |name: &str| {
        format!(
            "[[service]]\nname = \"{name}\"\nurl = \"{}/health\"\n",
            server.url()
        )
    };
    // The same files each time; VITALS_CONFIG set in the env file or in the environment.
    let services = |in_env_file: bool| {
        let mut test = Test::new();
        if !in_env_file {
            test = test.env("VITALS_CONFIG", "services.toml");
        }
        let test = test.args([
            "--env-file",
            "etc/vitals/vitals.env",
            "check",
            "services",
            "--json",
        ]);
        let setting = if in_env_file {
            "VITALS_CONFIG=services.toml\n"
        } else {
            ""
        };
        test.write_file("etc/vitals/vitals.env", setting);
        test.write_file("etc/vitals/services.toml", declare("beside_the_env_file"));
        test.write_file("services.toml", declare("in_the_working_directory"));
        let out = test.run();
        out.assert_code(0);
        declared(&out.json()["services"])
    };
    assert_eq!(services(true), ["beside_the_env_file"]);
    assert_eq!(services(false), ["in_the_working_directory"]);
}
