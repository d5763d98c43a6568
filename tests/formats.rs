//! `--format nagios` and `--format prometheus`, checked against the plugin
//! perfdata grammar and the official Prometheus client's parser.

use serde_json::Value;

use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};
use crate::support::postgres::PgServer;
use crate::support::redis::RedisServer;

fn check_all(format: &str) -> Outcome {
    Test::new()
        .env("DATABASE_URL", PgServer::shared().create_database())
        .env("REDIS_URL", RedisServer::shared().url())
        .args(["check", "all", "--format", format])
        .run()
}

/// The families as parsed by `prometheus_client` (Python), via a helper script.
pub fn parse_prometheus(text: &str) -> Vec<Value> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/py/parse_prometheus.py"
    );
    let out = Test::new()
        .program("python3")
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .arg(script)
        .stdin(text.as_bytes().to_vec())
        .run();
    out.assert_code(0);
    match out.json() {
        Value::Array(families) => families,
        other => panic!("parser printed {other}"),
    }
}

fn family<'a>(families: &'a [Value], name: &str) -> &'a Value {
    families
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no family {name} in {families:#?}"))
}

fn sample<'a>(family: &'a Value, label: &str, value: &str) -> &'a Value {
    // prometheus_client may give integral values as JSON integers: compare with as_f64.
    family["samples"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["labels"][label] == value))
        .unwrap_or_else(|| panic!("no sample with {label}={value} in {family}"))
}

#[test]
fn prometheus_output_parses_with_the_official_parser() {
    let out = check_all("prometheus");
    out.assert_code(0).assert_no_ansi();
    let families = parse_prometheus(&out.stdout);

    let up = family(&families, "vitals_check_up");
    assert_eq!(up["type"], "gauge");
    assert_eq!(sample(up, "check", "database")["value"].as_f64(), Some(1.0));
    assert_eq!(sample(up, "check", "cache")["value"].as_f64(), Some(1.0));
    assert!(
        up["samples"].as_array().is_some_and(|s| s.len() == 2),
        "unconfigured agents have no up sample: {up}"
    );

    let status = family(&families, "vitals_check_status");
    let agents: Vec<(&str, f64)> = status["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .filter(|s| s["labels"]["check"] == "agents")
        .map(|s| {
            let status = s["labels"]["status"].as_str().unwrap_or_default();
            (status, s["value"].as_f64().unwrap_or(-1.0))
        })
        .collect();
    assert_eq!(
        agents,
        [
            ("healthy", 0.0),
            ("degraded", 0.0),
            ("unknown", 0.0),
            ("unhealthy", 0.0),
            ("unconfigured", 1.0)
        ]
    );

    let used = family(&families, "vitals_cache_memory_used_bytes");
    assert!(
        used["samples"][0]["value"]
            .as_f64()
            .is_some_and(|v| v > 100_000.0),
        "{used}"
    );
    let ratio = family(&families, "vitals_cache_memory_usage_ratio");
    assert!(
        ratio["samples"][0]["value"]
            .as_f64()
            .is_some_and(|v| (0.0..=1.0).contains(&v))
    );
    let evicted = family(&families, "vitals_cache_evicted_keys");
    assert_eq!(evicted["type"], "counter");
    assert_eq!(
        evicted["samples"][0]["name"],
        "vitals_cache_evicted_keys_total"
    );
    let max = family(&families, "vitals_database_max_connections");
    assert_eq!(max["samples"][0]["value"].as_f64(), Some(100.0));
    let run = family(&families, "vitals_last_run_timestamp_seconds");
    assert!(
        run["samples"][0]["value"]
            .as_f64()
            .is_some_and(|t| t > 1.7e9)
    );

    for f in &families {
        assert!(
            f["help"].as_str().is_some_and(|h| !h.is_empty()),
            "no HELP: {f}"
        );
        for s in f["samples"].as_array().expect("samples") {
            assert_eq!(
                s["timestamp"],
                Value::Null,
                "timestamps break the textfile collector: {s}"
            );
        }
    }
}

#[test]
fn prometheus_output_file_is_written_atomically() {
    let test = Test::new()
        .env("REDIS_URL", RedisServer::shared().url())
        .args([
            "check",
            "cache",
            "--format",
            "prometheus",
            "--output",
            "out/vitals.prom",
        ]);
    std::fs::create_dir_all(test.dir().join("out")).expect("mkdir");
    let out = test.run();
    out.assert_code(0);
    assert_eq!(out.stdout, "", "the result goes to the file, not stdout");
    let text = std::fs::read_to_string(test.dir().join("out/vitals.prom")).expect("output file");
    let families = parse_prometheus(&text);
    assert_eq!(
        sample(family(&families, "vitals_check_up"), "check", "cache")["value"],
        1.0
    );
    let leftovers: Vec<_> = std::fs::read_dir(test.dir().join("out"))
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        leftovers,
        ["vitals.prom"],
        "no temporary file is left behind"
    );

    let out = Test::new()
        .env("REDIS_URL", RedisServer::shared().url())
        .args([
            "check",
            "cache",
            "--format",
            "prometheus",
            "--output",
            "/nonexistent/dir/vitals.prom",
        ])
        .run();
    out.assert_code(3)
        .assert_stderr_contains("cannot write /nonexistent/dir/vitals.prom");
}

/// One perfdata item: `'label'=value[UOM];[warn];[crit];[min];[max]`.
fn check_perfdata_item(item: &str) {
    let (label, rest) = if let Some(quoted) = item.strip_prefix('\'') {
        // Inside quotes, a quote is written twice.
        let mut end = None;
        let bytes = quoted.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\'' {
                if bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                end = Some(i);
                break;
            }
            i += 1;
        }
        let end = end.unwrap_or_else(|| panic!("unterminated label in {item:?}"));
        (&quoted[..end], &quoted[end + 1..])
    } else {
        let at = item.find('=').unwrap_or_else(|| panic!("no = in {item:?}"));
        (&item[..at], &item[at..])
    };
    assert!(
        !label.is_empty() && !label.contains('='),
        "bad label in {item:?}"
    );
    let rest = rest
        .strip_prefix('=')
        .unwrap_or_else(|| panic!("no = after the label in {item:?}"));
    let fields: Vec<&str> = rest.split(';').collect();
    assert!(fields.len() <= 5, "too many fields in {item:?}");
    let value = fields[0];
    if value != "U" {
        let number_end = value
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .unwrap_or(value.len());
        assert!(
            value[..number_end].parse::<f64>().is_ok(),
            "bad value in {item:?}"
        );
        assert!(
            ["", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"].contains(&&value[number_end..]),
            "bad unit in {item:?}"
        );
    }
    for threshold in &fields[1..] {
        assert!(
            threshold.is_empty() || threshold.parse::<f64>().is_ok(),
            "bad threshold in {item:?}"
        );
    }
}

/// Splits perfdata on spaces outside quoted labels.
fn perfdata_items(perf: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in perf.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                current.push(c);
            }
            ' ' if !quoted => {
                if !current.is_empty() {
                    items.push(std::mem::take(&mut current));
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        items.push(current);
    }
    items
}

#[test]
fn nagios_output_follows_the_plugin_grammar() {
    let out = check_all("nagios");
    out.assert_code(0).assert_no_ansi();
    let mut lines = out.stdout.lines();
    let first = lines.next().expect("a status line");
    let (text, perf) = first.split_once(" | ").expect("perfdata after ' | '");
    assert_eq!(text, "VITALS OK - database, cache healthy");
    // Agents and services are not configured here, and say so.
    let items = perfdata_items(perf);
    for item in &items {
        check_perfdata_item(item);
    }
    let labels: Vec<&str> = items
        .iter()
        .map(|i| i.split_once('=').map_or(i.as_str(), |(label, _)| label))
        .collect();
    assert_eq!(
        labels,
        [
            "'database_time'",
            "'database_connections'",
            "'database_max_connections'",
            "'database_available_connections'",
            "'database_connect'",
            "'database_replica'",
            "'cache_time'",
            "'cache_connect'",
            "'cache_memory_used'",
            "'cache_memory_usage'",
            "'cache_memory_limit'",
            "'cache_connected_clients'",
            "'cache_rejected_connections'",
            "'cache_evicted_keys'",
        ]
    );
    assert!(
        items
            .iter()
            .any(|i| i.starts_with("'database_time'=") && i.contains("ms")),
        "{items:?}"
    );
    assert!(
        items
            .iter()
            .any(|i| i.starts_with("'database_connections'=") && i.ends_with(";77.6;;0;97")),
        "{items:?}"
    );
    let long: Vec<&str> = lines.collect();
    assert_eq!(long.len(), 4);
    assert_eq!(
        long,
        [
            "database: healthy - Database operational",
            "cache: healthy - Cache operational",
            "agents: unconfigured - not configured: set AGENT_REGISTRY_URL",
            "external_services: unconfigured - not configured: set ANTHROPIC_API_KEY, \
             HUBSPOT_API_KEY, SENDGRID_API_KEY or VITALS_CONFIG",
        ]
    );
}

#[test]
fn nagios_states_follow_the_exit_codes() {
    let out = Test::new()
        .env("DATABASE_URL", "postgres://u:p@127.0.0.1:1/db")
        .args(["check", "db", "--format", "nagios"])
        .run();
    out.assert_code(2);
    assert!(
        out.stdout.starts_with(
            "VITALS CRITICAL - database unhealthy: 127.0.0.1:1/db: connection refused |"
        ),
        "{}",
        out.stdout
    );
    let out = Test::new()
        .args(["check", "all", "--format", "nagios"])
        .run();
    out.assert_code(3);
    let unset = "ANTHROPIC_API_KEY, HUBSPOT_API_KEY, SENDGRID_API_KEY or VITALS_CONFIG";
    assert_eq!(
        out.stdout,
        format!(
            "VITALS UNKNOWN - nothing to check: set DATABASE_URL, REDIS_URL, AGENT_REGISTRY_URL, \
             {unset}\n\
             database: unconfigured - not configured: set DATABASE_URL\n\
             cache: unconfigured - not configured: set REDIS_URL\n\
             agents: unconfigured - not configured: set AGENT_REGISTRY_URL\n\
             external_services: unconfigured - not configured: set {unset}\n"
        )
    );

    let out = Test::new()
        .args(["config", "validate", "--format", "nagios"])
        .run();
    out.assert_code(3).assert_stderr_contains(
        "--format nagios and --format prometheus apply to `vitals check` only",
    );
}

#[test]
fn nagios_perfdata_grammar_checker_rejects_bad_items() {
    for bad in [
        "'unterminated=1",
        "'a'=x",
        "'a'=1;2;3;4;5;6",
        "'a'=1parsecs",
    ] {
        let result = std::panic::catch_unwind(|| check_perfdata_item(bad));
        assert!(result.is_err(), "{bad:?} should be rejected");
    }
    check_perfdata_item("'it''s'=1.5ms;2;3;0;10");
    check_perfdata_item("'x'=U");
}

/// Service names are the user's text: quotes, backslashes, spaces and
/// non-ASCII must survive both formats' escaping.
const HOSTILE_NAMES: [&str; 4] = [
    "it's \"quoted\"",
    "back\\slash",
    "naïve ünïcode 🔥",
    "a = b | c",
];

fn hostile_services(test: &Test, url: &str) -> String {
    let mut toml = String::new();
    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        toml.push_str(&format!(
            "[[service]]\nname = {}\nurl = \"{url}/{i}\"\n\n",
            toml_string(name)
        ));
    }
    test.write_file("vitals.toml", toml).display().to_string()
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[test]
fn hostile_service_names_survive_prometheus_escaping() {
    let server = HttpServer::replying(Reply::text(200, "ok"));
    let test = Test::new();
    hostile_services(&test, &server.url());
    let out = test
        .args(["check", "services", "--format", "prometheus"])
        .run();
    out.assert_code(0);
    let families = parse_prometheus(&out.stdout);
    let up = family(&families, "vitals_service_up");
    for name in HOSTILE_NAMES {
        assert_eq!(
            sample(up, "service", name)["value"].as_f64(),
            Some(1.0),
            "{name}"
        );
    }
    let times = family(&families, "vitals_service_response_seconds");
    assert_eq!(times["samples"].as_array().map(Vec::len), Some(4));
}

#[test]
fn hostile_service_names_make_valid_perfdata() {
    let server = HttpServer::replying(Reply::text(200, "ok"));
    let test = Test::new();
    hostile_services(&test, &server.url());
    let out = test.args(["check", "services", "--format", "nagios"]).run();
    out.assert_code(0);
    let first = out.stdout.lines().next().expect("status line");
    let (text, perf) = first.split_once(" | ").expect("perfdata");
    assert_eq!(text, "VITALS OK - external_services healthy");
    let items = perfdata_items(perf);
    for item in &items {
        check_perfdata_item(item);
    }
    assert!(
        items.contains(&"'service_up_it''s \"quoted\"'=1;;;0".to_owned()),
        "{items:?}"
    );
    assert!(
        items.contains(&"'service_up_a _ b / c'=1;;;0".to_owned()),
        "{items:?}"
    );
}
