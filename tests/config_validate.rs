//! `vitals config validate`: every group reported, secrets hidden, exit 0/1/2.

use std::os::unix::fs::PermissionsExt;

use crate::support::cmd::Test;

const WEBHOOK: &str = "https://hooks.slack.com/services/T000/B000/validate-hook-secret";

#[test]
fn a_valid_configuration_exits_0_with_every_group() {
    let out = Test::new()
        .env(
            "DATABASE_URL",
            "postgres://app:validate-db-secret@db.internal:5432/app",
        )
        .env("SLACK_WEBHOOK_URL", WEBHOOK)
        .args(["config", "validate", "--json"])
        .run();
    out.assert_code(0).assert_no_secrets(&[
        "validate-db-secret",
        "validate-hook-secret",
        "/services/T000",
    ]);
    let v = out.json();
    assert_eq!(v["result"], "valid");
    let groups = v["groups"].as_object().expect("groups");
    let keys: Vec<&String> = groups.keys().collect();
    assert_eq!(
        keys,
        [
            "general",
            "database",
            "cache",
            "agents",
            "services",
            "email",
            "slack",
            "sms",
            "pagerduty",
            "webhook",
            "alertmanager",
            "state",
            "history",
            "serve"
        ]
    );
    assert_eq!(groups["database"]["status"], "configured");
    assert_eq!(
        groups["database"]["variables"]["DATABASE_URL"],
        "postgres://app:***@db.internal:5432/app"
    );
    assert_eq!(
        groups["slack"]["variables"]["SLACK_WEBHOOK_URL"],
        "https://hooks.slack.com/***"
    );
    assert_eq!(groups["cache"]["status"], "not_configured");
    assert_eq!(groups["state"]["status"], "configured");
}

#[test]
fn warnings_exit_1() {
    let out = Test::new()
        .env("REDIS_URL", "redis://cache.internal:6379")
        .args(["config", "validate", "--json"])
        .run();
    out.assert_code(1);
    let v = out.json();
    assert_eq!(v["result"], "warnings");
    assert_eq!(
        v["warnings"],
        serde_json::json!([
            "no alert channel is configured: set SLACK_WEBHOOK_URL, SMTP_HOST \
             (or EMAIL_PROVIDER=sendgrid), TWILIO_* or PAGERDUTY_ROUTING_KEY"
        ]),
        "{v}"
    );
}

#[test]
fn an_env_file_readable_by_others_is_a_warning() {
    let test = Test::new();
    let env = test.write_file(
        ".env",
        format!("SLACK_WEBHOOK_URL={WEBHOOK}\nREDIS_URL=redis://c:6379\n"),
    );
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let test = test.args(["config", "validate", "--json"]);
    let out = test.run();
    out.assert_code(1)
        .assert_no_secrets(&["validate-hook-secret"]);
    let warnings = out.json()["warnings"].to_string();
    assert!(
        warnings.contains(".env is readable by other users (mode 644)"),
        "{warnings}"
    );

    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    test.run().assert_code(0);
}

#[test]
fn errors_exit_2_and_name_each_variable() {
    let out = Test::new()
        .env("DATABASE_URL", "mysql://u:validate-bad-secret@h/db")
        .env("SMTP_PORT", "abc")
        .env("EMAIL_PROVIDER", "pigeon")
        .env("ALERT_SMS_RECIPIENTS", "0123")
        .env("SLACK_WEBHOOK_URL", WEBHOOK)
        .args(["config", "validate", "--json"])
        .run();
    out.assert_code(2)
        .assert_no_secrets(&["validate-bad-secret"]);
    let v = out.json();
    assert_eq!(v["result"], "errors");
    assert_eq!(v["groups"]["database"]["status"], "invalid");
    assert_eq!(v["groups"]["email"]["status"], "invalid");
    assert_eq!(v["groups"]["sms"]["status"], "invalid");
    let errors: Vec<&str> = v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    for var in [
        "DATABASE_URL",
        "SMTP_PORT",
        "EMAIL_PROVIDER",
        "ALERT_SMS_RECIPIENTS",
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with(&format!("{var}: "))),
            "{var} not in {errors:?}"
        );
    }
}

#[test]
fn incomplete_channels_are_errors_naming_what_is_missing() {
    let out = Test::new()
        .env("SMTP_HOST", "smtp.example.com")
        .env("SLACK_WEBHOOK_URL", WEBHOOK)
        .args(["config", "validate", "--json"])
        .run();
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["groups"]["email"]["status"], "invalid");
    let errors = v["groups"]["email"]["errors"].to_string();
    assert!(
        errors.contains("ALERT_EMAIL_RECIPIENTS: not set"),
        "{errors}"
    );
}

#[test]
fn table_output_lists_groups() {
    let out = Test::new()
        .env("DATABASE_URL", "postgres://app:validate-tbl-secret@db/app")
        .env("SLACK_WEBHOOK_URL", WEBHOOK)
        .args(["config", "validate"])
        .run();
    out.assert_code(0)
        .assert_no_secrets(&["validate-tbl-secret", "validate-hook-secret"])
        .assert_stdout_contains("Database (PostgreSQL)")
        .assert_stdout_contains("DATABASE_URL=postgres://app:***@db:5432/app")
        .assert_stdout_contains("configuration: valid");
}

#[test]
fn a_depends_on_loop_of_declared_checks_is_refused_naming_it() {
    let table = |name: &str, port: u16, deps: &str| {
        format!(
            "[[check]]\nname = \"{name}\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = {port}\n{deps}\n"
        )
    };
    let refused = "VITALS_CONFIG: depends_on makes a loop, a -> b -> c -> a: when all of them \
                   are down, nobody would be told (remove one of these depends_on)";
    // Closed by VITALS_DEPENDS_ON (which has no loop of its own), or by the file alone.
    for (env, deps) in [("c=a", ""), ("", "depends_on = [\"a\"]")] {
        let run = |args: &[&str]| {
            let test = Test::new();
            let file = test.write_file(
                "vitals.toml",
                [
                    table("a", 1, "depends_on = [\"b\"]"),
                    table("b", 2, "depends_on = [\"c\"]"),
                    table("c", 3, deps),
                ]
                .concat(),
            );
            let state = test.dir().join("state.db");
            test.env("VITALS_CONFIG", file)
                .env("VITALS_DEPENDS_ON", env)
                .env("VITALS_STATE", state)
                .args(args)
                .run()
        };
        let validate = run(&["config", "validate"]);
        validate.assert_code(2).assert_stdout_contains(refused);
        let alert = run(&["check", "a", "--alert"]);
        alert.assert_code(2);
        assert_eq!(
            alert.stderr,
            format!(
                "error: --alert: no alert was raised or resolved: invalid configuration\n  {refused}\n"
            )
        );
    }
}

#[test]
fn the_alerting_rules_of_each_check_and_the_windows_are_shown() {
    let test = Test::new();
    let file = test.write_file(
        "vitals.toml",
        "[[check]]\nname = \"a\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\n\
         depends_on = [\"b\"]\nfailure_threshold = 3\n\n\
         [[check]]\nname = \"b\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 2\n\n\
         [[maintenance]]\nname = \"rebuild\"\nchecks = [\"a\"]\nstart = \"08:00\"\n\
         duration = \"1h\"\ntimezone = \"Europe/Paris\"\nweekdays = [\"sun\"]\n",
    );
    let out = test
        .env("VITALS_CONFIG", file)
        .env("REDIS_URL", "redis://cache.internal:6379")
        .env("VITALS_DEPENDS_ON", "cache=b")
        .env("VITALS_FAILURE_THRESHOLD", "2")
        .env("VITALS_SUCCESS_THRESHOLD", "b=4")
        // A Monday: the next Sunday 08:00 in Paris is 07:00 UTC.
        .env("VITALS_NOW", "2026-11-30T10:00:00Z")
        .env("TZ", "UTC")
        .args(["config", "validate", "--json"])
        .run();
    out.assert_code(1);
    assert_eq!(
        out.json()["rules"],
        serde_json::json!({
            "checks": {
                "cache": {"failure_threshold": 2, "success_threshold": 1, "depends_on": ["b"]},
                "a": {"failure_threshold": 3, "success_threshold": 1, "depends_on": ["b"]},
                "b": {"failure_threshold": 2, "success_threshold": 4, "depends_on": []},
            },
            "flap_changes": 4,
            "flap_window_seconds": 3600,
            "maintenance": [{
                "window": "maintenance window \"rebuild\" (Sun 08:00 Europe/Paris for 1h)",
                "checks": ["a"],
                "next_start": "2026-12-06T07:00:00.000Z",
            }],
        })
    );
}
