//! A mistake in the settings is said as one, never as an outage; Nagios,
//! `jq` and Prometheus always get a document, even when vitals has no
//! result (a mistake, a signal); what cannot be written is an error, and a
//! reader that stopped reading is not.

use std::os::unix::fs::FileTypeExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::support::alerts::{send_args, slack_at};
use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};
use crate::support::net::{SilentServer, free_port};

/// A setting written wrong, the check that reads it, and what vitals says.
struct Typo {
    var: &'static str,
    value: String,
    check: &'static str,
    /// The `config validate` group the variable belongs to.
    group: &'static str,
    said: &'static str,
}

fn typos() -> Vec<Typo> {
    // A port where nothing listens: before, each of these was a connection
    // attempt that failed, and so an outage.
    let port = free_port();
    let typo = |var, value: String, check, group, said| Typo {
        var,
        value,
        check,
        group,
        said,
    };
    vec![
        typo(
            "DATABASE_URL",
            format!("postgres://app:pw@127.0.0.1:{port}/app?sslmode=bogus"),
            "db",
            "database",
            "sslmode `bogus` is not valid: expected disable, allow, prefer, require, verify-ca or verify-full",
        ),
        typo(
            "DATABASE_URL",
            format!("postgres://app:pw@127.0.0.1:{port}/app?sslmod=require"),
            "db",
            "database",
            "unknown parameter `sslmod` — did you mean `sslmode`?",
        ),
        typo(
            "DATABASE_URL",
            "postgres://app:pw@127.0.0.1:99999/app".to_owned(),
            "db",
            "database",
            "port `99999` is out of range: expected 1 to 65535",
        ),
        typo(
            "REDIS_URL",
            format!("redis://127.0.0.1:{port}/x"),
            "cache",
            "cache",
            "database `x` is not a number: expected a database number from 0 to 2147483647, such as /0",
        ),
        typo(
            "REDIS_URL",
            format!("redis://127.0.0.1:{port}/0?protocl=3"),
            "cache",
            "cache",
            "unknown parameter `protocl` — did you mean `protocol`?",
        ),
        typo(
            "AGENT_REGISTRY_URL",
            format!("redis://127.0.0.1:{port}/99999999999"),
            "agents",
            "agents",
            "database `99999999999` is out of range: expected a database number from 0 to 2147483647, such as /0",
        ),
    ]
}

#[test]
fn typos_in_urls_are_configuration_errors_never_outages() {
    for typo in typos() {
        let what = format!("{}={}", typo.var, typo.value);
        let problem = format!("{}: {}", typo.var, typo.said);
        let check = |format: &str| {
            Test::new()
                .env(typo.var, &typo.value)
                .args(["check", typo.check, "--format", format])
                .run()
        };
        let stderr = format!("error: invalid configuration\n  {problem}\n");

        let out = check("nagios");
        out.assert_code(3);
        assert_eq!(
            out.stdout,
            format!("VITALS UNKNOWN - invalid configuration: {problem}\n"),
            "{what}"
        );
        assert_eq!(out.stderr, stderr, "{what}");

        let out = check("json");
        out.assert_code(3);
        assert_eq!(
            out.json(),
            json!({"status": "unknown", "error": format!("invalid configuration\n  {problem}")}),
            "{what}"
        );

        let out = check("table");
        out.assert_code(3);
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str()),
            ("", stderr.as_str())
        );

        // With --alert nothing is raised: nobody is paged for a typo.
        let hook = HttpServer::replying(Reply::text(200, "ok"));
        let out = slack_at(&hook)
            .env(typo.var, &typo.value)
            .args(["check", typo.check, "--alert", "--format", "nagios"])
            .run();
        out.assert_code(3);
        assert_eq!(hook.request_count(), 0, "{what}");

        let out = Test::new()
            .env(typo.var, &typo.value)
            .args(["config", "validate", "--json"])
            .run();
        out.assert_code(2);
        let report = out.json();
        assert_eq!(report["result"], "errors", "{what}");
        assert_eq!(report["groups"][typo.group]["status"], "invalid", "{what}");
        assert_eq!(report["errors"], json!([problem]), "{what}");
    }
}

/// The alert store's URL and the user's own endpoints are checked the same way.
#[test]
fn the_store_url_and_declared_endpoints_are_checked_too() {
    let out = Test::new()
        .env(
            "VITALS_STATE",
            "postgres://vitals:pw@127.0.0.1:1/alerts?sslmod=require",
        )
        .args(["alert", "list"])
        .run();
    out.assert_code(3);
    assert_eq!(
        out.stderr,
        "error: invalid configuration\n  VITALS_STATE: unknown parameter `sslmod` — did you \
         mean `sslmode`?\n"
    );

    let test = Test::new();
    test.write_file(
        "vitals.toml",
        "[[service]]\nname = \"billing\"\nurl = \"https://billing.internal:99999/health\"\n",
    );
    let out = test.args(["check", "services", "--format", "nagios"]).run();
    out.assert_code(3);
    let said = "VITALS_CONFIG: vitals.toml:3: service \"billing\": url: port `99999` is out of range: expected 1 to 65535";
    assert_eq!(
        out.stdout,
        format!("VITALS UNKNOWN - invalid configuration: {said}\n")
    );
}

/// What each format prints when `check` has no result: Nagios `status`
/// on its status line, JSON the `error` that stderr says too.
fn assert_failure_documents(test: impl Fn() -> Test, status: &str, error: &str) {
    let run = |args: &[&str]| test().args(args).run();
    let stderr = format!("error: {error}\n");
    let reason = error;

    let out = run(&["check", "all", "--format", "nagios"]);
    out.assert_code(3);
    assert_eq!(out.stdout, format!("VITALS UNKNOWN - {status}\n"));
    assert_eq!(out.stderr, stderr);

    let out = run(&["check", "all", "--json"]);
    out.assert_code(3);
    assert_eq!(
        out.json(),
        json!({"overall_status": "unknown", "error": reason})
    );

    let out = run(&["check", "db", "--json"]);
    out.assert_code(3);
    assert_eq!(out.json(), json!({"status": "unknown", "error": reason}));

    let out = run(&["check", "all", "--format", "prometheus"]);
    out.assert_code(3);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "# HELP vitals_up 1 when vitals ran its checks, 0 when it could not (a mistake in its \
             settings, a signal, an internal error; stderr says which).",
            "# TYPE vitals_up gauge",
            "vitals_up 0",
            "# HELP vitals_last_run_timestamp_seconds When vitals last ran these checks (Unix time).",
        ],
        "{}",
        out.stdout
    );
    assert_eq!(lines.len(), 6, "{}", out.stdout);

    let out = run(&["check", "all"]);
    out.assert_code(3);
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        ("", stderr.as_str())
    );
}

#[test]
fn a_mistake_in_the_settings_still_gives_every_format_a_document() {
    assert_failure_documents(
        || Test::new().env("DATABASE_URL", "postgres://app@db/app?sslmode=bogus"),
        "invalid configuration: DATABASE_URL: sslmode `bogus` is not valid: expected disable, \
         allow, prefer, require, verify-ca or verify-full",
        "invalid configuration\n  DATABASE_URL: sslmode `bogus` is not valid: expected \
         disable, allow, prefer, require, verify-ca or verify-full",
    );
}

#[test]
fn an_env_file_that_cannot_be_read_still_gives_every_format_a_document() {
    assert_failure_documents(
        || Test::new().args(["--env-file", "/nonexistent/vitals.env"]),
        "cannot read env file /nonexistent/vitals.env: No such file or directory (os error 2)",
        "cannot read env file /nonexistent/vitals.env: No such file or directory (os error 2)",
    );
}

#[test]
fn several_mistakes_put_the_first_on_the_status_line_and_the_others_below() {
    let out = Test::new()
        .env("DATABASE_URL", "postgres://app@db/app?sslmod=require")
        .env("REDIS_URL", "redis://cache/x")
        .args(["check", "all", "--format", "nagios"])
        .run();
    out.assert_code(3);
    assert_eq!(
        out.stdout,
        "VITALS UNKNOWN - invalid configuration: DATABASE_URL: unknown parameter `sslmod` — did \
         you mean `sslmode`?\nREDIS_URL: database `x` is not a number: expected a database \
         number from 0 to 2147483647, such as /0\n"
    );
}

#[test]
fn a_refused_command_line_still_gives_nagios_a_status_line() {
    let out = Test::new()
        .args(["check", "db", "--format", "nagios", "--timeout", "soon"])
        .run();
    out.assert_code(3);
    assert_eq!(
        out.stdout,
        "VITALS UNKNOWN - invalid value 'soon' for '--timeout <DURATION>': expected a duration \
         such as 500ms, 5s, 2m or 4h\n"
    );
    let out = Test::new()
        .args(["check", "all", "--json", "--require", "dbb"])
        .run();
    out.assert_code(3);
    assert_eq!(
        out.json(),
        json!({"overall_status": "unknown", "error": "unknown check \"dbb\" (did you mean `db`?): it is not built in (db, cache, agents, services) and no [[check]] in vitals.toml (VITALS_CONFIG) has that name; `vitals check --list` shows them all"})
    );
}

/// Checks that hang until stopped: a database that accepts and never answers.
fn hanging(format: &str, server: &SilentServer) -> Test {
    Test::new()
        .env(
            "DATABASE_URL",
            format!("postgres://app:pw@127.0.0.1:{}/app", server.port()),
        )
        .args(["check", "all", "--format", format, "--timeout", "20s"])
}

const STOPPED: &str = "the checks were stopped before they had a result";

/// SIGTERM the moment vitals can catch it, before or while its checks start:
/// never the default action (killed, exit 143, nothing said).
#[test]
fn sigterm_at_the_earliest_moment_is_caught_and_said() {
    let server = SilentServer::start();
    for (format, stdout) in [
        (
            "nagios",
            format!("VITALS UNKNOWN - interrupted by SIGTERM: {STOPPED}\n"),
        ),
        ("table", String::new()),
    ] {
        let out = hanging(format, &server).run_interrupted("TERM", || true);
        out.assert_code(3).assert_within(Duration::from_secs(15));
        assert_eq!(out.stdout, stdout);
        assert_eq!(
            out.stderr,
            format!("error: interrupted by SIGTERM: {STOPPED}\n")
        );
    }
}

#[test]
fn sigterm_during_the_checks_gives_nagios_and_jq_a_document() {
    let server = SilentServer::start();
    let out = hanging("nagios", &server).run_interrupted("TERM", || server.connections() == 1);
    out.assert_code(3).assert_within(Duration::from_secs(15));
    assert_eq!(
        out.stdout,
        format!("VITALS UNKNOWN - interrupted by SIGTERM: {STOPPED}\n")
    );

    let out = hanging("json", &server).run_interrupted("INT", || server.connections() == 2);
    out.assert_code(3).assert_within(Duration::from_secs(15));
    assert_eq!(
        out.json(),
        json!({"overall_status": "unknown", "error": format!("interrupted by SIGINT: {STOPPED}")})
    );

    // The textfile collector is told, rather than left with the last good run.
    let test = hanging("prometheus", &server).args(["--output", "vitals.prom"]);
    let out = test.run_interrupted("TERM", || server.connections() == 3);
    out.assert_code(3);
    let written = std::fs::read_to_string(test.dir().join("vitals.prom")).expect("vitals.prom");
    assert!(written.contains("\nvitals_up 0\n"), "{written}");
}

/// `sh -c SCRIPT` with `$VITALS` the binary, in the test's sandbox.
fn shell(script: &str) -> Test {
    Test::new()
        .program("/bin/sh")
        .env("VITALS", env!("CARGO_BIN_EXE_vitals"))
        .args(["-c", script])
}

#[test]
fn a_failed_write_to_stdout_is_exit_3_and_said() {
    for format in ["json", "nagios", "table"] {
        let out = shell(&format!(
            "\"$VITALS\" check db --format {format} > /dev/full"
        ))
        .env("DATABASE_URL", "postgres://app@127.0.0.1:1/app")
        .run();
        out.assert_code(3);
        assert_eq!(
            out.stderr, "error: cannot write to stdout: No space left on device (os error 28)\n",
            "{format}"
        );
    }
    let out = shell("\"$VITALS\" completions bash > /dev/full").run();
    out.assert_code(3);
    assert_eq!(
        out.stderr,
        "error: cannot write to stdout: No space left on device (os error 28)\n"
    );
}

/// A reader that stopped reading (`vitals … | head`): vitals ends as it
/// would have, without a word about the pipe, as ripgrep does.
#[test]
fn a_closed_pipe_ends_quietly() {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_vitals"))
        .env_clear()
        .env("DATABASE_URL", "postgres://app@127.0.0.1:1/app")
        .env("HOME", "/nonexistent")
        .args(["check", "db", "--json"])
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("run vitals");
    // The database is down: the check's own code, not a write error.
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

/// `--output` onto a full file system: the old file stays whole, nothing
/// half-written or empty is left. The file system is a tiny tmpfs in a
/// mount namespace of the test's own (`unshare`), gone when it ends.
#[test]
fn a_full_file_system_leaves_the_old_output_whole() {
    let probe = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "true"])
        .status();
    assert!(
        probe.is_ok_and(|s| s.success()),
        "this test needs `unshare --user --map-root-user --mount` (util-linux, user namespaces)"
    );
    let script = "dir=$PWD/full && mkdir -p \"$dir\" && mount -t tmpfs -o size=8k tmpfs \"$dir\" \
        && echo 'vitals_up 1' > \"$dir/vitals.prom\" \
        && (dd if=/dev/zero of=\"$dir/filler\" bs=1k 2>/dev/null; true) \
        && \"$VITALS\" check db --format prometheus --output \"$dir/vitals.prom\"; \
        echo \"exit $?\"; ls -A \"$dir\"; cat \"$dir/vitals.prom\"";
    let out = Test::new()
        .program("unshare")
        .env("VITALS", env!("CARGO_BIN_EXE_vitals"))
        .env("DATABASE_URL", "postgres://app@127.0.0.1:1/app")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "/bin/sh",
            "-c",
            script,
        ])
        .run();
    out.assert_code(0);
    assert_eq!(out.stdout, "exit 3\nfiller\nvitals.prom\nvitals_up 1\n");
    assert!(
        out.stderr
            .ends_with("/full/vitals.prom: No space left on device (os error 28)\n"),
        "{}",
        out.stderr
    );
}

/// `--output` through a link replaces the file it points to and keeps the
/// link; onto something that is no file (a pipe) it writes into it.
#[test]
fn output_keeps_links_and_writes_into_pipes() {
    let test = Test::new()
        .env("DATABASE_URL", "postgres://app@127.0.0.1:1/app")
        .args(["check", "db", "--format", "nagios", "--output", "latest"]);
    let real = test.write_file("runs/real.txt", "old\n");
    std::os::unix::fs::symlink(&real, test.dir().join("latest")).expect("symlink");
    test.run().assert_code(2);
    let link = std::fs::symlink_metadata(test.dir().join("latest")).expect("latest");
    assert!(
        link.file_type().is_symlink(),
        "the link was replaced by a file"
    );
    let written = std::fs::read_to_string(&real).expect("real.txt");
    assert!(
        written.starts_with("VITALS CRITICAL - database unhealthy"),
        "{written}"
    );

    let test = Test::new()
        .env("DATABASE_URL", "postgres://app@127.0.0.1:1/app")
        .args(["check", "db", "--format", "nagios", "--output", "fifo"]);
    let fifo = test.dir().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let (tell, told) = std::sync::mpsc::channel();
    let reading = fifo.clone();
    std::thread::spawn(move || tell.send(std::fs::read_to_string(reading)));
    let out: Outcome = test.run();
    out.assert_code(2);
    let read = told
        .recv_timeout(Duration::from_secs(10))
        .expect("nothing was written into the pipe")
        .expect("read the pipe");
    assert!(
        read.starts_with("VITALS CRITICAL - database unhealthy"),
        "{read}"
    );
    let kind = std::fs::symlink_metadata(&fifo).expect("fifo").file_type();
    assert!(kind.is_fifo(), "the pipe was replaced by a file");
}

/// In a URL vitals shows, where it connects is never masked; the password
/// always is, and the rest only where it equals a secret.
#[test]
fn redaction_keeps_scheme_host_and_port() {
    let out = Test::new()
        .env(
            "DATABASE_URL",
            "postgres://postgres:postgres@db.internal/postgres",
        )
        .env("REDIS_URL", "redis://app:s3cret@cache.internal/0")
        .env(
            "AGENT_REGISTRY_URL",
            "redis://:registry-pw@agents.internal:6380/2",
        )
        .args(["config", "validate", "--json"])
        .run();
    out.assert_code(1);
    let report = out.json();
    assert_eq!(
        report["groups"]["database"]["variables"]["DATABASE_URL"],
        "postgres://***:***@db.internal:5432/***"
    );
    assert_eq!(
        report["groups"]["cache"]["variables"]["REDIS_URL"],
        "redis://app:***@cache.internal:6379/0"
    );
    assert_eq!(
        report["groups"]["agents"]["variables"]["AGENT_REGISTRY_URL"],
        "redis://:***@agents.internal:6380/2"
    );
    assert_eq!(
        report["warnings"],
        json!([
            "no alert channel is configured: set SLACK_WEBHOOK_URL, SMTP_HOST (or EMAIL_PROVIDER=sendgrid), TWILIO_* or PAGERDUTY_ROUTING_KEY",
            "DATABASE_URL: the password equals the user name: vitals masks its text wherever it \
             appears, so every message containing that word is masked too, the user name included",
            "REDIS_URL: the password is shorter than 8 characters: vitals masks its text wherever \
             it appears, so every message containing that word is masked too",
        ])
    );

    // In messages too: the scheme survives a password that spells it.
    let port = free_port();
    let out = Test::new()
        .env(
            "VITALS_STATE",
            format!("postgres://postgres:postgres@127.0.0.1:{port}/postgres"),
        )
        .args(["alert", "list"])
        .run();
    out.assert_code(3);
    assert_eq!(
        out.stderr,
        format!(
            "error: alert store postgres://***:***@127.0.0.1:{port}/***: 127.0.0.1:{port}/***: \
             connection refused\n"
        )
    );
}

const NO_STORE: &str = "nothing has been recorded there (`alert send` and `check --alert` create it where VITALS_STATE says)";

/// A mistyped `VITALS_STATE` creates nothing: commands that only read say
/// there is no store; one that records creates the file, but not the
/// directories of a location it was given.
#[test]
fn a_mistyped_state_location_creates_nothing() {
    let test = Test::new();
    let typo = test.dir().join("nonexistent/x/alerts.db");
    for args in [
        &["alert", "list"][..],
        &["alert", "list", "--status", "all", "--json"],
        &["alert", "ack", "0123456789ab", "--by", "alice"],
        &["alert", "resolve", "0123456789ab", "--by", "alice"],
    ] {
        let out = Test::new().env("VITALS_STATE", &typo).args(args).run();
        out.assert_code(3);
        assert_eq!(
            out.stderr,
            format!("error: no alert store at {}: {NO_STORE}\n", typo.display()),
            "{args:?}"
        );
        assert_eq!(out.stdout, "", "{args:?}");
    }
    assert!(!test.dir().join("nonexistent").exists());

    // The default location, before anything was recorded: the same answer.
    let fresh = Test::new().args(["alert", "list"]);
    let out = fresh.run();
    out.assert_code(3);
    let default = fresh.state_dir().join("vitals/alerts.db");
    assert_eq!(
        out.stderr,
        format!(
            "error: no alert store at {}: {NO_STORE}\n",
            default.display()
        )
    );
    assert!(!fresh.state_dir().exists());

    // Recording: the alert still goes out; the store is not made in a
    // directory that does not exist.
    let hook = HttpServer::replying(Reply::text(200, "ok"));
    let out = slack_at(&hook)
        .env("VITALS_STATE", &typo)
        .args(send_args("error", "m"))
        .run();
    out.assert_code(1);
    assert_eq!(hook.request_count(), 1);
    assert_eq!(
        out.stderr,
        format!(
            "error: alert store {}: cannot create it: its directory {} does not exist: the \
             alert was not recorded, so it was notified without de-duplication\n",
            typo.display(),
            typo.parent().expect("parent").display()
        )
    );
    assert!(!test.dir().join("nonexistent").exists());

    // At the default location its directories are made.
    let out = slack_at(&hook)
        .env("XDG_STATE_HOME", fresh.state_dir())
        .args(send_args("error", "m"))
        .run();
    out.assert_code(0);
    assert!(default.is_file());
}

/// A PostgreSQL database without the store's tables is no store either:
/// reading creates no tables in it.
#[test]
fn reading_a_postgres_store_that_is_not_there_creates_no_tables() {
    let pg = crate::support::postgres::PgServer::shared();
    let url = pg.create_database();
    let out = Test::new()
        .env("VITALS_STATE", &url)
        .args(["alert", "list"])
        .run();
    out.assert_code(3);
    assert!(
        out.stderr
            .starts_with("error: no alert store at postgres://")
            && out.stderr.ends_with(&format!(": {NO_STORE}\n")),
        "{}",
        out.stderr
    );
    let db = url.rsplit('/').next().unwrap_or_default();
    let tables: i64 = pg
        .client(db)
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .map(|r| r.get(0))
        .expect("count tables");
    assert_eq!(tables, 0);
}

/// Nagios rewrites `;` in plugin output to `:`: vitals uses none outside
/// the perfdata, between checks or inside their messages.
#[test]
fn nagios_output_has_no_semicolon_before_the_perfdata() {
    let api = HttpServer::replying(Reply::json(
        401,
        &json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key; rotate it"}}),
    ));
    let port = free_port();
    let out = Test::new()
        .env(
            "DATABASE_URL",
            format!("postgres://app@127.0.0.1:{port}/app"),
        )
        .env("ANTHROPIC_API_KEY", "sk-semicolons")
        .env("ANTHROPIC_BASE_URL", api.url())
        .args(["check", "all", "--format", "nagios"])
        .run();
    out.assert_code(2);
    let (status, long) = out.stdout.split_once('\n').expect("long output");
    let (text, perfdata) = status.split_once(" | ").expect("perfdata");
    let services = "anthropic_api: API key rejected (HTTP 401: authentication_error: invalid \
                    x-api-key, rotate it)";
    assert_eq!(
        text,
        format!(
            "VITALS CRITICAL - database unhealthy: 127.0.0.1:{port}/app: connection refused / \
             external_services unhealthy: {services}"
        )
    );
    assert!(perfdata.contains(";;;0"), "{perfdata}");
    assert_eq!(
        long,
        format!(
            "database: unhealthy - 127.0.0.1:{port}/app: connection refused\n\
             cache: unconfigured - not configured: set REDIS_URL\n\
             agents: unconfigured - not configured: set AGENT_REGISTRY_URL\n\
             external_services: unhealthy - {services}\n"
        )
    );
}
