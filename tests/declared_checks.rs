//! Checks declared in `vitals.toml`: Nagios plugins from Debian's
//! monitoring-plugins (the real `check_*` programs operators already run),
//! plugins written here to misbehave (hang, flood, bad perfdata, odd exits),
//! and TCP ports served by the test.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::support::alerts::{Backend, Store};
use crate::support::cmd::Test;
use crate::support::net::free_port;
use crate::support::random_token;

const PLUGINS: &str = "/usr/lib/nagios/plugins";

/// A monitoring-plugins program; scripts/test.sh installs them.
fn plugin(name: &str) -> String {
    let path = Path::new(PLUGINS).join(name);
    assert!(
        path.exists(),
        "{} is missing: install monitoring-plugins-basic and -standard (scripts/test.sh does)",
        path.display()
    );
    path.display().to_string()
}

/// A `vitals.toml` in the test's directory.
fn declare(test: Test, toml: &str) -> Test {
    test.write_file("vitals.toml", toml);
    test
}

/// An executable shell script in the test's directory.
fn script(test: &Test, name: &str, body: &str) -> PathBuf {
    let path = test.write_file(name, format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn command_check(name: &str, argv: &[&str]) -> String {
    let argv: Vec<String> = argv.iter().map(|a| format!("{a:?}")).collect();
    format!(
        "[[check]]\nname = \"{name}\"\nkind = \"command\"\ncommand = [{}]\n\n",
        argv.join(", ")
    )
}

/// Processes whose command line holds `marker`, as `ps` lists them.
fn processes_with(marker: &str) -> Vec<String> {
    let out = std::process::Command::new("ps")
        .args(["-eo", "pid,pgid,args"])
        .output()
        .expect("ps");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(marker) && !l.contains(" ps "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn check_dummy_statuses_map_to_vitals_statuses() {
    let mut toml = String::new();
    for (code, name) in [(0, "ok"), (1, "warn"), (2, "crit"), (3, "unk")] {
        toml.push_str(&command_check(
            name,
            &[
                &plugin("check_dummy"),
                &code.to_string(),
                &format!("said {name}"),
            ],
        ));
    }
    let t = declare(Test::new(), &toml);
    let expected = [
        ("ok", "healthy", "OK: said ok", 0),
        ("warn", "degraded", "WARNING: said warn", 1),
        ("crit", "unhealthy", "CRITICAL: said crit", 2),
        ("unk", "unknown", "UNKNOWN: said unk", 3),
    ];
    for (name, status, message, code) in expected {
        let out = t.run_args(["check", name, "--json"]);
        out.assert_code(code);
        let v = out.json();
        assert_eq!(v["status"], status, "{name}");
        assert_eq!(v["kind"], "command");
        assert_eq!(v["exit_code"], code);
        assert_eq!(v["message"], message);
        assert_eq!(v["metrics"], json!({}));
    }
    // Worst wins, unknown between degraded and unhealthy: any unhealthy is 2,
    // else any unknown is 3, else any degraded 1.
    for (names, status, code) in [
        (&["ok", "warn"][..], "degraded", 1),
        (&["ok", "warn", "unk"][..], "unknown", 3),
        (&["warn", "crit", "unk"][..], "unhealthy", 2),
    ] {
        let out = t.run_args(
            ["check"]
                .into_iter()
                .chain(names.iter().copied())
                .chain(["--json"]),
        );
        out.assert_code(code);
        let v = out.json();
        assert_eq!(v["overall_status"], status, "{names:?}");
        let keys: Vec<&str> = v["checks"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, names.to_vec());
    }
}

#[test]
fn real_plugins_report_their_perfdata_in_every_format() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
        }
    });
    let web =
        crate::support::http::HttpServer::replying(crate::support::http::Reply::text(200, "up"));
    let web_port = web.port().to_string();
    let toml = [
        command_check(
            "web",
            &[
                &plugin("check_http"),
                "-H",
                "127.0.0.1",
                "-p",
                &web_port,
                "-u",
                "/health",
            ],
        ),
        command_check(
            "disk",
            &[&plugin("check_disk"), "-w", "1%", "-c", "1%", "-p", "/"],
        ),
        command_check(
            "port",
            &[&plugin("check_tcp"), "-H", "127.0.0.1", "-p", &port],
        ),
        command_check(
            "procs",
            &[&plugin("check_procs"), "-w", "100000", "-c", "200000"],
        ),
    ]
    .concat();
    let t = declare(Test::new(), &toml);

    let out = t.run_args(["check", "web", "disk", "port", "procs", "--json"]);
    out.assert_code(0);
    let v = out.json();
    let web_check = &v["checks"]["web"];
    assert_eq!(web_check["status"], "healthy", "{web_check}");
    assert!(
        web_check["message"]
            .as_str()
            .unwrap()
            .starts_with("HTTP OK: HTTP/1.1 200 OK"),
        "{web_check}"
    );
    assert_eq!(web_check["metrics"]["time"]["unit"], "s");
    assert_eq!(web_check["metrics"]["size"]["unit"], "B");
    let disk = &v["checks"]["disk"];
    assert_eq!(disk["status"], "healthy");
    let root = &disk["metrics"]["/"];
    assert_eq!(root["unit"], "B");
    assert_eq!(root["min"], 0.0);
    let (used, max) = (
        root["value"].as_f64().unwrap(),
        root["max"].as_f64().unwrap(),
    );
    assert!(used > 0.0 && used <= max, "{root}");
    assert!(
        disk["message"].as_str().unwrap().starts_with("DISK OK"),
        "{disk}"
    );

    let port_check = &v["checks"]["port"];
    assert_eq!(port_check["status"], "healthy");
    assert!(
        port_check["message"]
            .as_str()
            .unwrap()
            .starts_with("TCP OK - "),
        "{port_check}"
    );
    assert_eq!(port_check["metrics"]["time"]["unit"], "s");
    assert_eq!(port_check["metrics"]["time"]["max"], 10.0);
    let procs = &v["checks"]["procs"];
    assert_eq!(procs["status"], "healthy");
    assert!(
        procs["metrics"]["procs"]["value"].as_f64().unwrap() >= 1.0,
        "{procs}"
    );
    assert_eq!(procs["metrics"]["procs"]["warn"], "100000");
    assert_eq!(procs["metrics"]["procs"]["crit"], "200000");

    // Nagios: one status line with every check's perfdata under its check's name.
    let out = t.run_args(["check", "disk", "port", "procs", "--format", "nagios"]);
    out.assert_code(0);
    let first = out.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("VITALS OK - disk, port, procs healthy | "),
        "{first}"
    );
    for item in [
        "'disk::/'=",
        "'port::time'=",
        "'procs::procs'=",
        "'disk_time'=",
    ] {
        assert!(first.contains(item), "{item} in {first}");
    }
    assert_eq!(out.stdout.lines().count(), 4, "{}", out.stdout);

    // Prometheus: vitals_check_metric{check,label,unit}.
    let out = t.run_args(["check", "disk", "port", "--format", "prometheus"]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("# TYPE vitals_check_metric gauge\n"),
        "{}",
        out.stdout
    );
    let sample = out
        .stdout
        .lines()
        .find(|l| l.starts_with("vitals_check_metric{check=\"disk\",label=\"/\",unit=\"B\"} "))
        .unwrap_or_else(|| panic!("no disk sample in {}", out.stdout));
    // The disk's use moves between two runs; that it is a byte count of it does not.
    let value: f64 = sample.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(value > 0.0 && value.fract() == 0.0, "{sample}");
    assert!(
        out.stdout
            .contains("vitals_check_status{check=\"port\",status=\"unknown\"} 0\n")
    );
}

#[test]
fn a_hanging_plugin_is_stopped_with_everything_it_started() {
    let marker = format!("vitals-hang-{}", random_token());
    let t = Test::new();
    // It starts a child of its own, and ignores SIGTERM: only SIGKILL stops it.
    let hang = script(
        &t,
        "hang",
        &format!(
            "trap '' TERM\nsh -c 'sleep 300; echo {marker}' &\nexec sleep 301 {marker} 2>/dev/null || sleep 302"
        ),
    );
    let hang = hang.display().to_string();
    let t = declare(
        t,
        &format!(
            "{}{}[[check]]\nname = \"hang-critical\"\nkind = \"command\"\ncommand = [{hang:?}]\non_timeout = \"critical\"\ntimeout = \"300ms\"\n",
            command_check("hang", &[&hang]),
            "",
        ),
    );
    let out = t.run_args(["check", "hang", "--json", "--timeout", "500ms"]);
    out.assert_code(3).assert_within(Duration::from_secs(3));
    let v = out.json();
    assert_eq!(v["status"], "unknown");
    assert_eq!(
        v["message"],
        format!("{hang}: timed out after 500 ms; its process group was stopped")
    );
    assert_eq!(processes_with(&marker), Vec::<String>::new());

    let out = t.run_args(["check", "hang-critical", "--json"]);
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["status"], "unhealthy");
    assert_eq!(
        v["message"],
        format!("{hang}: timed out after 300 ms; its process group was stopped")
    );
    assert_eq!(processes_with(&marker), Vec::<String>::new());
}

#[test]
fn a_flood_of_output_is_cut_at_8_kib_and_said() {
    let t = Test::new();
    let flood = script(
        &t,
        "flood",
        "echo 'FLOOD OK - lots | size=1B'\nhead -c 100000 /dev/zero | tr '\\0' 'x'\nexit 0",
    );
    let t = declare(t, &command_check("flood", &[&flood.display().to_string()]));
    let out = t.run_args(["check", "flood", "--json"]);
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["message"], "FLOOD OK - lots");
    let first_line = "FLOOD OK - lots | size=1B\n".len();
    assert_eq!(
        v["output_dropped_bytes"],
        (first_line + 100_000 - 8192) as u64
    );
    let long = v["long_output"].as_str().unwrap();
    assert!(
        long.ends_with(&format!(
            "\n(output cut at 8 KiB: {} more bytes dropped)",
            first_line + 100_000 - 8192
        )),
        "{}",
        &long[long.len().saturating_sub(120)..]
    );
    assert_eq!(
        long.len(),
        8192 - first_line + "\n(output cut at 8 KiB: 92034 more bytes dropped)".len()
    );
    assert_eq!(v["metrics"]["size"]["value"], 1.0);
}

#[test]
fn invalid_perfdata_is_skipped_and_said() {
    let t = Test::new();
    let bad = script(
        &t,
        "bad-perf",
        "echo \"OK - some numbers | good=5s;1;2;0;10 bad=x1 'open=3 \"\nexit 0",
    );
    let t = declare(t, &command_check("bad-perf", &[&bad.display().to_string()]));
    let out = t.run_args(["check", "bad-perf", "--json"]);
    out.assert_code(0);
    let v = out.json();
    assert_eq!(
        v["metrics"],
        json!({"good": {"value": 5.0, "unit": "s", "warn": "1", "crit": "2", "min": 0.0, "max": 10.0}})
    );
    assert_eq!(
        v["perfdata_skipped"],
        json!([
            "bad=x1: the value is not a number",
            "'open=3: the label's quote is not closed"
        ])
    );
}

#[test]
fn exits_outside_0_to_3_and_signals_are_unknown() {
    let t = Test::new();
    let four = script(&t, "four", "echo 'said four'\nexit 4");
    let gone = script(&t, "gone", "echo 'sh: 1: nope: not found' >&2\nexit 127");
    let killed = script(&t, "killed", "echo 'about to die'\nkill -KILL $$");
    let missing = t.dir().join("no-such-plugin").display().to_string();
    let t = declare(
        t,
        &[
            command_check("four", &[&four.display().to_string()]),
            command_check("gone", &[&gone.display().to_string()]),
            command_check("killed", &[&killed.display().to_string()]),
            command_check("missing", &[&missing]),
        ]
        .concat(),
    );
    let out = t.run_args(["check", "four", "gone", "killed", "missing", "--json"]);
    out.assert_code(3);
    let v = out.json();
    let said = |name: &str| {
        (
            v["checks"][name]["status"].clone(),
            v["checks"][name]["message"].clone(),
        )
    };
    assert_eq!(
        said("four"),
        (
            json!("unknown"),
            json!(format!(
                "{}: exit code 4, not a plugin status (0-3): said four",
                four.display()
            ))
        )
    );
    assert_eq!(
        said("gone"),
        (
            json!("unknown"),
            json!(format!(
                "{}: exit code 127, not a plugin status (0-3): sh: 1: nope: not found",
                gone.display()
            ))
        )
    );
    assert_eq!(
        said("killed"),
        (
            json!("unknown"),
            json!(format!(
                "{}: killed by signal 9: about to die",
                killed.display()
            ))
        )
    );
    assert_eq!(
        said("missing"),
        (
            json!("unknown"),
            json!(format!(
                "{missing}: cannot run it: No such file or directory (os error 2)"
            ))
        )
    );
    assert_eq!(v["checks"]["killed"]["exit_code"], json!(null));
}

#[test]
fn a_plugin_sees_only_path_lang_and_what_it_lists_and_listed_values_stay_secret() {
    let secret = format!("pw-{}", random_token());
    let t = Test::new()
        .env("LANG", "C.UTF-8")
        .env("PLUGIN_PASSWORD", &secret)
        .env("NOT_LISTED", "should-not-pass")
        .env("DATABASE_URL", "postgres://u:hidden@db/app");
    let env = script(&t, "env", "echo \"OK - $(env | sort | tr '\\n' ' ')\"");
    let t = declare(
        t,
        &format!(
            "[[check]]\nname = \"env\"\nkind = \"command\"\ncommand = [{:?}]\nenv = [\"PLUGIN_PASSWORD\"]\n",
            env.display().to_string()
        ),
    );
    let out = t.run_args(["check", "env", "--json"]);
    out.assert_code(0).assert_no_secrets(&[&secret]);
    let message = out.json()["message"].as_str().unwrap().to_owned();
    let names: Vec<&str> = message
        .trim_start_matches("OK - ")
        .split_whitespace()
        .map(|kv| kv.split('=').next().unwrap())
        .collect();
    assert_eq!(names, ["LANG", "PATH", "PLUGIN_PASSWORD", "PWD"]);
    assert!(message.contains("PLUGIN_PASSWORD=***"), "{message}");
}

#[test]
fn a_file_others_can_write_may_not_declare_commands_for_root() {
    let t = declare(
        Test::new(),
        &command_check("ok", &[&plugin("check_dummy"), "0"]),
    );
    let path = t.dir().join("vitals.toml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
    let out = t.run_args(["check", "ok", "--json"]);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        out.assert_code(3);
        assert_eq!(
            out.stderr,
            "error: invalid configuration\n  VITALS_CONFIG: vitals.toml: declares command checks, which vitals \
             runs as root, but group or others can write it (mode 664): fix with `chown root \
             vitals.toml && chmod go-w vitals.toml`\n"
        );
    } else {
        // Run by anyone else, the file can do no more than its reader could.
        out.assert_code(0);
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    t.run_args(["check", "ok"]).assert_code(0);
}

/// A TCP server that greets each connection, then echoes one read.
fn greeter(greeting: &'static [u8]) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let _ = stream.write_all(greeting);
                let mut buf = [0u8; 64];
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                if let Ok(n) = stream.read(&mut buf) {
                    let _ = stream.write_all(&buf[..n]);
                }
            });
        }
    });
    port
}

#[test]
fn tcp_checks_connect_send_and_expect() {
    let pop = greeter(b"+OK POP3 ready\r\n");
    let silent = crate::support::net::SilentServer::start();
    let closed = free_port();
    let toml = format!(
        r#"
[[check]]
name = "pop"
kind = "tcp"
host = "127.0.0.1"
port = {pop}
expect = "+OK"

[[check]]
name = "echo"
kind = "tcp"
host = "${{ECHO_HOST}}"
port = "${{ECHO_PORT}}"
send = "PING\r\n"
expect = "PING"

[[check]]
name = "wrong"
kind = "tcp"
host = "127.0.0.1"
port = {pop}
expect = "SSH-2.0"

[[check]]
name = "silent"
kind = "tcp"
host = "127.0.0.1"
port = {silent_port}
expect = "220"
timeout = "300ms"

[[check]]
name = "closed"
kind = "tcp"
host = "127.0.0.1"
port = {closed}
"#,
        silent_port = silent.port()
    );
    let t = declare(
        Test::new()
            .env("ECHO_HOST", "127.0.0.1")
            .env("ECHO_PORT", pop.to_string()),
        &toml,
    );
    let out = t.run_args([
        "check", "pop", "echo", "wrong", "silent", "closed", "--json",
    ]);
    out.assert_code(2);
    let v = out.json();
    let checks = &v["checks"];
    assert_eq!(checks["pop"]["status"], "healthy");
    let connect = checks["pop"]["message"].as_str().unwrap();
    assert!(
        connect.starts_with(&format!("127.0.0.1:{pop}: connected in "))
            && connect.ends_with(", answered \"+OK\""),
        "{connect}"
    );
    assert_eq!(checks["pop"]["kind"], "tcp");
    assert_eq!(checks["pop"]["metrics"]["time"]["unit"], "s");
    assert!(checks["pop"]["metrics"]["time"]["value"].as_f64().unwrap() < 1.0);
    assert_eq!(checks["echo"]["status"], "healthy");
    assert_eq!(checks["wrong"]["status"], "unhealthy");
    let wrong = checks["wrong"]["message"].as_str().unwrap();
    assert!(
        wrong.ends_with(
            ", but \"SSH-2.0\" did not come before it closed the connection; got \"+OK POP3 ready\""
        ) || wrong.contains("did not come within"),
        "{wrong}"
    );
    assert_eq!(checks["silent"]["status"], "unhealthy");
    let silent_said = checks["silent"]["message"].as_str().unwrap();
    assert!(
        silent_said.ends_with(", but \"220\" did not come within 300 ms; got \"\""),
        "{silent_said}"
    );
    assert_eq!(checks["closed"]["status"], "unhealthy");
    assert_eq!(
        checks["closed"]["message"],
        format!("127.0.0.1:{closed}: Connection refused (os error 111)")
    );
    assert_eq!(checks["closed"]["response_time_ms"], json!(null));
}

#[test]
fn built_in_and_declared_checks_mix_and_require_takes_declared_names() {
    let t = declare(
        Test::new(),
        &command_check("ok", &[&plugin("check_dummy"), "0", "fine"]),
    );
    // One name: that check's object.
    let out = t.run_args(["check", "ok", "--json"]);
    out.assert_code(0);
    assert_eq!(out.json()["message"], "OK: fine");
    // A built-in beside it: the document of all, with only those two.
    let out = t.run_args(["check", "ok", "cache", "--json", "--require", "cache"]);
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["checks"]["ok"]["status"], "healthy");
    assert_eq!(
        v["checks"]["cache"]["message"],
        "required but not configured: set REDIS_URL"
    );
    assert_eq!(v["checks"].as_object().unwrap().len(), 2);
    // `all` runs the built-ins and the declared ones.
    let out = t.run_args(["check", "all", "--json", "--require", "ok"]);
    out.assert_code(0);
    let keys: Vec<String> = out.json()["checks"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        keys,
        ["database", "cache", "agents", "external_services", "ok"]
    );
    // A name nobody declared.
    let out = t.run_args(["check", "okk", "--json"]);
    out.assert_code(3);
    assert_eq!(
        out.stderr,
        "error: unknown check \"okk\": it is not built in (db, cache, agents, services) and no \
         [[check]] in vitals.toml (VITALS_CONFIG) has that name; `vitals check --list` shows them all\n"
    );
    let out = t.run_args(["check", "ok", "--require", "other"]);
    out.assert_code(3);
}

#[test]
fn check_list_shows_kind_and_target_without_secrets() {
    let t = Test::new().env(
        "DATABASE_URL",
        "postgres://app:s3cret-list@db.internal:5432/app",
    );
    let t = declare(
        t,
        &format!(
            "{}[[check]]\nname = \"edge\"\nkind = \"tcp\"\nhost = \"edge.internal\"\nport = 443\n",
            command_check("ok", &[&plugin("check_dummy"), "0"])
        ),
    );
    let out = t.run_args(["check", "--list", "--json"]);
    out.assert_code(0).assert_no_secrets(&["s3cret-list"]);
    assert_eq!(
        out.json()["checks"],
        json!([
            {"name": "database", "kind": "built-in", "configured": true, "target": "db.internal:5432/app"},
            {"name": "cache", "kind": "built-in", "configured": false, "target": null},
            {"name": "agents", "kind": "built-in", "configured": false, "target": null},
            {"name": "external_services", "kind": "built-in", "configured": false, "target": null},
            {"name": "ok", "kind": "command", "configured": true, "target": format!("{PLUGINS}/check_dummy")},
            {"name": "edge", "kind": "tcp", "configured": true, "target": "edge.internal:443"},
        ])
    );
}

#[test]
fn config_validate_locates_every_mistake_in_declared_checks() {
    let toml = r#"
[[check]]
name = "db"
kind = "tcp"

[[check]]
name = "edge"
kind = "tpc"
host = "edge"

[[check]]
name = "plugin"
kind = "command"
command = []
on_timeout = "never"
colour = "red"

[[check]]
name = "port"
kind = "tcp"
host = "${NO_SUCH_VAR}"
port = 70000
timeout = "soon"
"#;
    let t = declare(Test::new(), toml);
    let out = t.run_args(["config", "validate", "--json"]);
    out.assert_code(2);
    let errors: Vec<String> = out.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_owned())
        .filter(|e| e.contains("vitals.toml"))
        .collect();
    assert_eq!(
        errors,
        [
            "VITALS_CONFIG: vitals.toml:3: check \"db\": name: \"db\" is the name of a built-in check or service; choose another name",
            "VITALS_CONFIG: vitals.toml:8: check \"edge\": kind: unknown kind \"tpc\" (expected one of: command, tcp, tls, dns, postgres, redis, http)",
            "VITALS_CONFIG: vitals.toml:14: check \"plugin\": command: expected the program and its arguments, such as [\"/usr/lib/nagios/plugins/check_disk\", \"-w\", \"10%\"]",
            "VITALS_CONFIG: vitals.toml:15: check \"plugin\": on_timeout: expected \"unknown\" or \"critical\", got \"never\"",
            "VITALS_CONFIG: vitals.toml:16: check \"plugin\": unknown field \"colour\" for kind \"command\" (expected one of: name, kind, timeout, failure_threshold, success_threshold, depends_on, severity, command, env, on_timeout)",
            "VITALS_CONFIG: vitals.toml:21: check \"port\": host: ${NO_SUCH_VAR} is not set",
            "VITALS_CONFIG: vitals.toml:22: check \"port\": port: expected a whole number from 1 to 65535, got 70000",
            "VITALS_CONFIG: vitals.toml:23: check \"port\": timeout: expected a duration such as 500ms, 5s, 2m or 4h, got \"soon\"",
        ]
    );
}

#[test]
fn an_unknown_check_raises_an_unknown_alert_with_severity_warning() {
    let store = Store::fresh(Backend::Sqlite);
    let t = store.test().env("VITALS_INSTANCE", "web1");
    let t = declare(
        t,
        &command_check("unsure", &[&plugin("check_dummy"), "3", "cannot tell"]),
    );
    let out = t.run_args(["check", "unsure", "--alert", "--json"]);
    // Unknown is 3; alerting with no channel raises it to at least 1, which 3 already is.
    out.assert_code(3);
    let alerts = store.alerts();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["alert_type"], "unsure_unknown");
    assert_eq!(alerts[0]["severity"], "warning");
    assert_eq!(
        alerts[0]["message"],
        "unsure is unknown: UNKNOWN: cannot tell"
    );
    assert_eq!(alerts[0]["labels"]["check"], "unsure");
    assert_eq!(
        alerts[0]["labels"]["target"],
        format!("{PLUGINS}/check_dummy")
    );
}

#[test]
fn max_in_flight_must_be_a_positive_bound() {
    let t = declare(
        Test::new(),
        &command_check("ok", &[&plugin("check_dummy"), "0"]),
    );
    let out = t.run_args_env(["check", "ok"], &[("VITALS_MAX_IN_FLIGHT", "0")]);
    out.assert_code(3);
    assert_eq!(
        out.stderr,
        "error: invalid configuration\n  VITALS_MAX_IN_FLIGHT: expected a whole number from 1 to 1000000, got \"0\"\n"
    );
}
