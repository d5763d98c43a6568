//! Golden files: the exact output of the real binary, byte for byte, for
//! deterministic situations (unconfigured checks; a refused port; local HTTP
//! stand-ins), so that a change of layout cannot change what users read.
//!
//! Only what varies from run to run is normalised, by [`normalise`]: times
//! (RFC 3339 instants and Unix seconds), measured durations, alert ids, the
//! ports the stand-ins got, the per-test directory and the host name. Table
//! cells are compared trimmed (comfy-table pads every column to its widest
//! cell, and a measured time may be one digit wider in one run).
//!
//! The files live in `tests/golden/`; after an intended change of output,
//! regenerate them with `VITALS_REGENERATE_GOLDEN=1 cargo test golden` and
//! read the diff.

use std::path::Path;

use regex::Regex;
use serde_json::json;

use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};
use crate::support::net::free_port;

/// Compares `actual` with `tests/golden/{name}`, or writes it when regenerating.
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("VITALS_REGENERATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("golden dir")).expect("create tests/golden");
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\n(create it with VITALS_REGENERATE_GOLDEN=1 cargo test golden)",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from {} (first at line {}):\n--- expected ---\n{expected}\n--- actual ---\n{actual}",
            path.display(),
            first + 1
        );
    }
}

/// What varies between runs, replaced by a placeholder. `replace` pairs are
/// literal (ports, directories, the host name), applied first.
pub(crate) fn normalise(text: &str, replace: &[(String, &str)]) -> String {
    let mut text = text.to_owned();
    for (from, to) in replace {
        text = text.replace(from.as_str(), to);
    }
    let rules: [(&str, &str); 9] = [
        // RFC 3339 instants, in JSON, tables and e-mail bodies.
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
            "<TIME>",
        ),
        // Measured milliseconds in JSON.
        (
            r#""(response_time_ms|duration_ms|connect_time_ms)":( ?)[0-9.e-]+"#,
            r#""$1":$2<MS>"#,
        ),
        // Measured milliseconds in tables (`12.34 ms`, `in 3.10 ms at`) and single-check fields.
        (r"\b\d+\.\d\d ms\b", "<MS> ms"),
        (
            r"\|( *)response_time_ms( *)\|( *)\d+\.\d\d( *)\|",
            "|$1response_time_ms$2|$3<MS>$4|",
        ),
        (
            r"\|( *)connect_time_ms( *)\|( *)[0-9.]+( *)\|",
            "|$1connect_time_ms$2|$3<MS>$4|",
        ),
        // Nagios perfdata of times.
        (
            r"(_time'|_connect'|_response_[a-z0-9_]*')=[0-9.]+ms",
            "$1=<MS>ms",
        ),
        // Prometheus samples in seconds.
        (
            r"(?m)^(vitals_[a-z_]*_seconds(\{[^}]*\})?) [0-9.e+-]+$",
            "$1 <S>",
        ),
        // Slack's `ts` (Unix seconds).
        (r#""ts":( ?)\d+"#, r#""ts":$1<UNIX>"#),
        // A table's padding.
        (r"(?m)[ ]+\|", " |"),
    ];
    for (pattern, with) in rules {
        let re = Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        text = re.replace_all(&text, with).into_owned();
    }
    // Cells trimmed on the left too, and border lines reduced to their column count.
    let cells = Regex::new(r"\|[ ]+").expect("regex");
    let border = Regex::new(r"(?m)^\+[-=+]+\+$").expect("regex");
    let text = cells.replace_all(&text, "| ");
    border
        .replace_all(&text, |c: &regex::Captures<'_>| {
            let columns = c[0].matches('+').count() - 1;
            format!("+{}", "-+".repeat(columns))
        })
        .into_owned()
}

/// The outcome as one document: exit code, stdout, stderr.
fn shown(out: &Outcome, replace: &[(String, &str)]) -> String {
    normalise(
        &format!(
            "exit code: {}\n--- stdout ---\n{}--- stderr ---\n{}",
            out.code, out.stdout, out.stderr
        ),
        replace,
    )
}

const FORMATS: [&str; 4] = ["table", "json", "nagios", "prometheus"];

#[test]
fn check_with_nothing_configured() {
    for format in FORMATS {
        for target in ["all", "db"] {
            let test = Test::new();
            let dir = test.dir().display().to_string();
            let out = test.args(["check", target, "--format", format]).run();
            golden(
                &format!("check-{target}-unconfigured.{format}"),
                &shown(&out, &[(dir, "<DIR>")]),
            );
        }
    }
}

/// Refused PostgreSQL and Redis ports, a degraded agent registry, one
/// accepted and one rejected API key, one unconfigured API and one declared
/// endpoint, all answered by local stand-ins.
#[test]
fn check_in_a_mixed_situation() {
    let registry = HttpServer::replying(Reply::json(
        200,
        &json!({
            "agents": [
                {"id": "a1", "state": "idle", "last_heartbeat": null},
                {"id": "a2", "state": "busy"},
                {"id": "a3", "state": "error"}
            ],
            "tasks": {"pending": 3, "active": 1, "completed": 10, "failed": 2}
        }),
    ));
    let anthropic = HttpServer::replying(Reply::json(200, &json!({"data": []})));
    let hubspot = HttpServer::replying(Reply::json(
        401,
        &json!({"status": "error", "message": "bad token", "category": "INVALID_AUTHENTICATION"}),
    ));
    let endpoint = HttpServer::replying(Reply::text(200, "all green"));
    let (db_port, redis_port) = (free_port(), free_port());
    for format in FORMATS {
        for target in ["all", "services", "db"] {
            let test = Test::new();
            let toml = test.write_file(
                "vitals.toml",
                format!(
                    "[[service]]\nname = \"billing\"\nurl = \"{}/healthz\"\nbody_contains = \"green\"\n",
                    endpoint.url()
                ),
            );
            let replace = [
                (test.dir().display().to_string(), "<DIR>"),
                (registry.port().to_string(), "<REGISTRY_PORT>"),
                (anthropic.port().to_string(), "<ANTHROPIC_PORT>"),
                (hubspot.port().to_string(), "<HUBSPOT_PORT>"),
                (endpoint.port().to_string(), "<ENDPOINT_PORT>"),
                (db_port.to_string(), "<DB_PORT>"),
                (redis_port.to_string(), "<REDIS_PORT>"),
            ];
            let out = test
                .env(
                    "DATABASE_URL",
                    format!("postgres://app:pw-golden@127.0.0.1:{db_port}/app?sslmode=disable"),
                )
                .env("REDIS_URL", format!("redis://127.0.0.1:{redis_port}"))
                .env("AGENT_REGISTRY_URL", format!("{}/status", registry.url()))
                .env("ANTHROPIC_API_KEY", "sk-golden-anthropic")
                .env("ANTHROPIC_BASE_URL", anthropic.url())
                .env("HUBSPOT_API_KEY", "pat-golden-hubspot")
                .env("HUBSPOT_BASE_URL", hubspot.url())
                .env("SERVICE_SLOW_MS", "60000")
                .env("VITALS_CONFIG", &toml)
                .args(["check", target, "--format", format])
                .run();
            golden(
                &format!("check-{target}-mixed.{format}"),
                &shown(&out, &replace),
            );
        }
    }
}

#[test]
fn config_validate() {
    for format in ["table", "json"] {
        let test = Test::new();
        let env_file = test.write_file(
            ".env",
            "DATABASE_URL=postgres://app:pw-golden-env@db.internal:5432/app\n\
             SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T0/B0/golden\n\
             SMTP_HOST=smtp.example.com\n\
             SMTP_PORT=nope\n\
             TWILIO_AUTH_TOKEN=golden-token\n\
             ALERT_RATE_LIMIT=20/h\n",
        );
        let dir = test.dir().display().to_string();
        std::fs::set_permissions(
            &env_file,
            std::os::unix::fs::PermissionsExt::from_mode(0o644),
        )
        .expect("chmod .env");
        let out = test
            .env("REDIS_URL", "redis://:pw-golden-redis@cache:6379/0")
            .args(["config", "validate", "--format", format])
            .run();
        golden(
            &format!("config-validate.{format}"),
            &shown(&out, &[(dir, "<DIR>")]),
        );
        // A valid configuration, without warnings.
        let test = Test::new();
        let dir = test.dir().display().to_string();
        let out = test
            .env(
                "PAGERDUTY_ROUTING_KEY",
                "golden-routing-key-0123456789abcdef",
            )
            .env("AGENT_REGISTRY_URL", "https://orchestrator.internal/status")
            .args(["config", "validate", "--format", format])
            .run();
        golden(
            &format!("config-validate-valid.{format}"),
            &shown(&out, &[(dir, "<DIR>")]),
        );
    }
}

#[test]
fn alert_send_dry_run() {
    let json_id = Regex::new(r#""id": ?"([0-9a-f]{12})""#).expect("regex");
    let table_id = Regex::new(r"alert ([0-9a-f]{12}) ").expect("regex");
    // PagerDuty's `source` is this host's name.
    let source = Regex::new(r#""source":( ?)"[^"]*""#).expect("regex");
    for format in ["table", "json"] {
        for (name, severity, channel) in [
            ("all", "critical", None),
            ("warning", "warning", None),
            ("slack", "error", Some("slack")),
        ] {
            let test = Test::new();
            let dir = test.dir().display().to_string();
            let mut args = vec![
                "alert",
                "send",
                "--type",
                "disk_full",
                "--severity",
                severity,
                "--message",
                "/var is 97% full on db1 <b>&</b>",
                "--context",
                r#"{"host":"db1","used_percent":97}"#,
                "--dry-run",
                "--format",
                format,
            ];
            if let Some(channel) = channel {
                args.extend(["--channel", channel]);
            }
            let out = test
                .env("SMTP_HOST", "smtp.example.com")
                .env(
                    "ALERT_EMAIL_RECIPIENTS",
                    "ops@example.com, oncall@example.com",
                )
                .env(
                    "SLACK_WEBHOOK_URL",
                    "https://hooks.slack.com/services/T0/B0/golden-secret",
                )
                .env("SLACK_CHANNEL", "#ops")
                .env("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef")
                .env("TWILIO_AUTH_TOKEN", "golden-twilio-token")
                .env("TWILIO_FROM_NUMBER", "+14155550100")
                .env("ALERT_SMS_RECIPIENTS", "+14155550101")
                .env(
                    "PAGERDUTY_ROUTING_KEY",
                    "golden-routing-key-0123456789abcdef",
                )
                .args(&args)
                .run();
            let id = json_id
                .captures(&out.stdout)
                .or_else(|| table_id.captures(&out.stdout))
                .map(|c| c[1].to_owned())
                .unwrap_or_else(|| panic!("no alert id in {}", out.stdout));
            let text = shown(&out, &[(dir, "<DIR>"), (id, "<ID>")]);
            golden(
                &format!("alert-send-dry-run-{name}.{format}"),
                &source.replace_all(&text, r#""source":$1"<HOST>""#),
            );
        }
    }
}

#[test]
fn help_and_version() {
    let commands: &[&[&str]] = &[
        &["--help"],
        &["--version"],
        &["check", "--help"],
        &["alert", "--help"],
        &["alert", "send", "--help"],
        &["alert", "test", "--help"],
        &["alert", "list", "--help"],
        &["alert", "ack", "--help"],
        &["alert", "resolve", "--help"],
        &["config", "--help"],
        &["config", "validate", "--help"],
        &["serve", "--help"],
        &["completions", "--help"],
        &["help", "check"],
        &["check"],
        &["check", "nothing"],
        &["alert", "send", "--severity", "loud"],
    ];
    for args in commands {
        let out = Test::new().args(*args).run();
        let name = args
            .iter()
            .map(|a| a.trim_start_matches('-'))
            .collect::<Vec<_>>()
            .join("-");
        golden(&format!("cli-{name}.txt"), &shown(&out, &[]));
    }
}
