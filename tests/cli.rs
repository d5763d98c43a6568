//! The command line itself: help, version, usage errors, env files, colour.

use std::os::unix::fs::PermissionsExt;

use crate::support::cmd::Test;
use crate::support::postgres::PgServer;
use crate::support::redis::RedisServer;

#[test]
fn help_shows_the_exit_codes_and_exits_0() {
    let out = Test::new().arg("--help").run();
    out.assert_code(0)
        .assert_stdout_contains("Exit codes (Nagios/Icinga plugin convention):")
        .assert_stdout_contains("3  UNKNOWN");
    let out = Test::new().args(["check", "--help"]).run();
    out.assert_code(0)
        .assert_stdout_contains("--require <LIST>");
}

#[test]
fn version_exits_0() {
    let out = Test::new().arg("--version").run();
    out.assert_code(0);
    assert_eq!(
        out.stdout,
        format!("vitals {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_3_not_2() {
    for args in [
        vec!["check"],
        vec!["check", "everything"],
        vec!["frobnicate"],
        vec!["check", "db", "--timeout", "soon"],
        vec!["check", "db", "--format", "xml"],
        vec![],
    ] {
        let out = Test::new().args(&args).run();
        out.assert_code(3);
        assert_eq!(
            out.stdout, "",
            "usage errors print nothing on stdout: {args:?}"
        );
        assert!(
            !out.stderr.is_empty(),
            "usage errors explain themselves: {args:?}"
        );
    }
    let out = Test::new().args(["check", "db", "--timeout", "soon"]).run();
    out.assert_stderr_contains("expected a duration such as 500ms, 5s, 2m or 4h");
}

#[test]
fn global_options_work_before_and_after_the_subcommand() {
    let url = PgServer::shared().create_database();
    for args in [
        vec!["--json", "--timeout", "2s", "check", "db"],
        vec!["check", "db", "--json", "--timeout", "2s"],
        vec!["check", "--format", "json", "db"],
    ] {
        let out = Test::new().env("DATABASE_URL", &url).args(&args).run();
        out.assert_code(0);
        assert_eq!(out.json()["status"], "healthy", "{args:?}");
    }
}

#[test]
fn options_take_their_environment_equivalents() {
    let url = PgServer::shared().create_database();
    let out = Test::new()
        .env("DATABASE_URL", &url)
        .env("VITALS_FORMAT", "json")
        .args(["check", "db"])
        .run();
    out.assert_code(0);
    assert_eq!(out.json()["status"], "healthy");
}

#[test]
fn dot_env_is_loaded_and_the_real_environment_wins() {
    let url = PgServer::shared().create_database();
    let test = Test::new();
    let env = test.write_file(
        ".env",
        format!("DATABASE_URL={url}\nVITALS_FORMAT=json\nREDIS_URL=redis://127.0.0.1:1\n"),
    );
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    // The file's DATABASE_URL and VITALS_FORMAT apply; its REDIS_URL is overridden.
    let out = test
        .env("REDIS_URL", RedisServer::shared().url())
        .args(["check", "all"])
        .run();
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["checks"]["database"]["status"], "healthy");
    assert_eq!(v["checks"]["cache"]["status"], "healthy");
}

#[test]
fn env_file_option_names_another_file() {
    let url = PgServer::shared().create_database();
    let test = Test::new();
    let file = test.write_file("prod.env", format!("DATABASE_URL='{url}'\n"));
    let out = test
        .args(["check", "db", "--json", "--env-file"])
        .arg(&file)
        .run();
    out.assert_code(0);
    assert_eq!(out.json()["status"], "healthy");

    let out = Test::new()
        .args(["check", "db", "--env-file", "/nonexistent/vitals.env"])
        .run();
    out.assert_code(3)
        .assert_stderr_contains("cannot read env file /nonexistent/vitals.env");
}

#[test]
fn a_broken_env_file_is_an_error_without_echoing_its_content() {
    let test = Test::new();
    test.write_file(".env", "SMTP_PASSWORD=\"unterminated-secret-77\n");
    let out = test.args(["check", "db"]).run();
    out.assert_code(3)
        .assert_stderr_contains("cannot parse env file .env")
        .assert_no_secrets(&["unterminated-secret-77"]);
    // --help still works with a broken .env.
    let test = Test::new();
    test.write_file(".env", "BROKEN='\n");
    test.arg("--help").run().assert_code(0);
}

#[test]
fn json_output_never_has_ansi_codes() {
    let url = PgServer::shared().create_database();
    let out = Test::new()
        .env("DATABASE_URL", &url)
        .args(["check", "all", "--json", "--color", "always"])
        .run();
    out.assert_code(0).assert_no_ansi();
    out.json();
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let url = PgServer::shared().create_database();
    // Not a terminal: no colour by default.
    let out = Test::new()
        .env("DATABASE_URL", &url)
        .args(["check", "db"])
        .run();
    out.assert_code(0).assert_no_ansi();
    out.assert_stdout_contains("healthy");
    // NO_COLOR with --color auto: none either.
    let out = Test::new()
        .env("DATABASE_URL", &url)
        .env("NO_COLOR", "1")
        .args(["check", "db", "--color", "auto"])
        .run();
    out.assert_code(0).assert_no_ansi();
    // --color always forces it into the table.
    let out = Test::new()
        .env("DATABASE_URL", &url)
        .env("NO_COLOR", "1")
        .args(["check", "db", "--color", "always"])
        .run();
    out.assert_code(0).assert_stdout_contains("\x1b[");
}

#[test]
fn compact_json_when_piped() {
    let url = PgServer::shared().create_database();
    let out = Test::new()
        .env("DATABASE_URL", &url)
        .args(["check", "all", "--json"])
        .run();
    out.assert_code(0);
    assert_eq!(
        out.stdout.lines().count(),
        1,
        "one compact line: {}",
        out.stdout
    );
}

#[test]
fn completions_print_the_committed_scripts() {
    for (shell, file) in [
        ("bash", "vitals.bash"),
        ("zsh", "_vitals"),
        ("fish", "vitals.fish"),
        ("powershell", "_vitals.ps1"),
        ("elvish", "vitals.elv"),
    ] {
        let out = Test::new().args(["completions", shell]).run();
        out.assert_code(0);
        let committed =
            std::fs::read_to_string(format!("{}/completions/{file}", env!("CARGO_MANIFEST_DIR")))
                .expect("committed completion script");
        assert_eq!(out.stdout, committed, "{shell}");
        assert!(out.stdout.contains("check"), "{shell}");
    }
    Test::new()
        .args(["completions", "tcsh"])
        .run()
        .assert_code(3);
}

#[test]
fn every_subcommand_help_has_examples() {
    for args in [
        vec!["--help"],
        vec!["check", "--help"],
        vec!["config", "validate", "--help"],
        vec!["completions", "--help"],
    ] {
        let out = Test::new().args(&args).run();
        out.assert_code(0)
            .assert_stdout_contains("Examples:\n  vitals ");
    }
}
