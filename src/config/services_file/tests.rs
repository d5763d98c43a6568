//! Reading `vitals.toml`: declarations, and every kind of mistake with its line.

use super::*;
use std::collections::HashMap;

fn env(pairs: &[(&'static str, &'static str)]) -> HashMap<&'static str, &'static str> {
    pairs.iter().copied().collect()
}

fn parse_ok(text: &str, source: &HashMap<&'static str, &'static str>) -> Vec<DeclaredService> {
    match parse("vitals.toml", text, source, &["anthropic_api"]) {
        Ok(declared) => declared.services,
        Err(errors) => panic!("unexpected errors: {errors:#?}"),
    }
}

fn errors(text: &str) -> Vec<String> {
    match parse("vitals.toml", text, &env(&[]), &["anthropic_api"]) {
        Ok(declared) => panic!("expected errors, got {:#?}", declared.services),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_full_declaration() {
    let services = parse_ok(
        r#"
[[service]]
name = "billing"
url = "https://billing.internal/healthz"
method = "head"
expect_status = [200, "204", "300-302", "4xx"]
headers = { Authorization = "Bearer ${BILLING_TOKEN}", Accept = "text/plain" }
slow_ms = 750
timeout = "2s"

[[service]]
name = "search"
url = "http://search:9200/_cluster/health"
body_contains = "green"
timeout = 3
"#,
        &env(&[("BILLING_TOKEN", "tok-unit-4411")]),
    );
    assert_eq!(services.len(), 2);
    let b = &services[0];
    assert_eq!(b.name, "billing");
    assert_eq!(b.url.expose().as_str(), "https://billing.internal/healthz");
    assert_eq!(b.method, Method::Head);
    assert_eq!(b.expect_status.to_string(), "200, 204, 300-302, 400-499");
    let headers: Vec<(&str, &str)> = b
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.expose()))
        .collect();
    assert_eq!(
        headers,
        [
            ("Authorization", "Bearer tok-unit-4411"),
            ("Accept", "text/plain")
        ]
    );
    assert_eq!(b.slow, Some(Duration::from_millis(750)));
    assert_eq!(b.timeout, Some(Duration::from_secs(2)));
    assert_eq!(redact::scrub("tok-unit-4411"), redact::MASK);

    let s = &services[1];
    assert_eq!(s.method, Method::Get);
    assert_eq!(s.expect_status.to_string(), "200-399");
    assert_eq!(s.body_contains.as_deref(), Some("green"));
    assert_eq!(s.timeout, Some(Duration::from_secs(3)));
    assert_eq!(s.slow, None);
}

/// The documented example stays valid.
#[test]
fn the_example_file_parses() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/vitals.example.toml");
    let source = env(&[
        ("BILLING_TOKEN", "example-billing-token"),
        ("SEARCH_API_KEY", "example-search-key"),
    ]);
    let (declared, errors) = load(Path::new(path), &source, &["anthropic_api"]);
    assert_eq!(errors, []);
    let services = declared.services;
    let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["website", "billing", "cdn", "admin-api", "search"]);
    let search_headers: Vec<(&str, &str)> = services[4]
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.expose()))
        .collect();
    assert_eq!(search_headers, [("X-Api-Key", "example-search-key")]);
}

#[test]
fn an_empty_file_declares_nothing() {
    assert!(parse_ok("# nothing yet\n", &env(&[])).is_empty());
}

#[test]
fn every_problem_is_named_with_line_and_field() {
    let text = r#"[[service]]
name = "api"
url = "ftp://api.internal"
method = "POST"
expect_status = ["600", 201]
slow_ms = 0
timout = "1s"

[[service]]
name = "api"
url = "http://api2"

[[service]]
url = "http://x"
headers = { "Bad Header" = "x", Token = "${MISSING_VAR}" }

[[service]]
name = "anthropic_api"
url = "http://y"

[[service]]
name = "probe"
url = "http://z"
method = "HEAD"
body_contains = "ok"
timeout = "soon"
"#;
    assert_eq!(
        errors(text),
        [
            "vitals.toml:3: service \"api\": url: expected a URL starting with http:// or https://",
            "vitals.toml:4: service \"api\": method: expected \"GET\" or \"HEAD\", got \"POST\"",
            "vitals.toml:5: service \"api\": expect_status: expected a status code from 100 to 599, a range such as \"200-299\" or a class such as \"2xx\", got \"600\"",
            "vitals.toml:6: service \"api\": slow_ms: expected a whole number of milliseconds greater than 0",
            "vitals.toml:7: service \"api\": unknown field \"timout\" (expected one of: name, url, method, expect_status, headers, body_contains, slow_ms, timeout, critical, failure_threshold, success_threshold, depends_on)",
            "vitals.toml:10: service \"api\": name: duplicate, already declared on line 2",
            "vitals.toml:13: service #3: name: missing",
            "vitals.toml:15: service #3: headers: \"Bad Header\" is not a valid header name",
            "vitals.toml:15: service #3: headers.Token: ${MISSING_VAR} is not set",
            "vitals.toml:18: service \"anthropic_api\": name: \"anthropic_api\" is the name of a built-in check or service; choose another name",
            "vitals.toml:25: service \"probe\": body_contains: a HEAD response has no body; use method = \"GET\"",
            "vitals.toml:26: service \"probe\": timeout: expected a duration such as 500ms, 5s, 2m or 4h, got \"soon\"",
        ]
    );
}

#[test]
fn syntax_errors_give_the_line_without_quoting_it() {
    let text =
        "[[service]]\nname = \"a\"\nurl = \"http://a\"\nheaders = { X-Key = \"s3cret-unit-9912 }\n";
    let errs = errors(text);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("vitals.toml:4: invalid TOML: "),
        "{errs:?}"
    );
    assert!(!errs[0].contains("s3cret-unit-9912"), "{errs:?}");
}

#[test]
fn unknown_top_level_keys_and_wrong_shapes() {
    assert_eq!(
        errors("[[services]]\nname = \"a\"\n"),
        [
            "vitals.toml:1: unknown key \"services\": endpoints are declared as [[service]] tables, other checks as [[check]] tables, maintenance windows as [[maintenance]] tables"
        ]
    );
    assert_eq!(
        errors("service = \"x\"\n"),
        ["vitals.toml:1: service: expected [[service]] tables"]
    );
    assert_eq!(
        errors("[[service]]\nname = 7\nurl = \"http://a\"\n"),
        ["vitals.toml:2: service #1: name: expected a string, got integer"]
    );
}

#[test]
fn expansion() {
    let source = env(&[("A", "alpha-unit-1"), ("B_2", "beta")]);
    assert_eq!(
        expand("x ${A} y ${B_2}$ z", &source).as_deref(),
        Ok("x alpha-unit-1 y beta$ z")
    );
    assert_eq!(
        expand("no refs $HOME", &source).as_deref(),
        Ok("no refs $HOME")
    );
    assert_eq!(
        expand("${A", &source),
        Err("unterminated ${ (write ${NAME})".to_owned())
    );
    assert_eq!(
        expand("${1A}", &source),
        Err("${1A} is not a valid variable reference".to_owned())
    );
    assert_eq!(expand("${C}", &source), Err("${C} is not set".to_owned()));
}

#[test]
fn header_values_with_line_breaks_are_refused_without_echo() {
    let text = "[[service]]\nname = \"a\"\nurl = \"http://a\"\nheaders = { X = \"${V}\" }\n";
    let result = parse("f.toml", text, &env(&[("V", "ab\r\nInjected: 1")]), &[]);
    let errs: Vec<String> = result
        .err()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        errs,
        [
            "f.toml:4: service \"a\": headers.X: the value contains a line break or another control character"
        ]
    );
}

#[test]
fn status_ranges() {
    assert_eq!(parse_status_range("2xx"), Some(200..=299));
    assert_eq!(parse_status_range("200-204"), Some(200..=204));
    assert_eq!(parse_status_range("204"), Some(204..=204));
    assert_eq!(parse_status_range("300-200"), None);
    assert_eq!(parse_status_range("abc"), None);
    // Found by fuzzing: 700 × 100 overflowed (a panic in debug builds).
    assert_eq!(parse_status_range("700xx"), None);
    assert_eq!(
        errors("[[service]]\nname = \"a\"\nurl = \"http://a\"\nexpect_status = [\"700xx\"]\n"),
        [
            "vitals.toml:4: service \"a\": expect_status: expected a status code from 100 to 599, a range such as \"200-299\" or a class such as \"2xx\", got \"700xx\""
        ]
    );
    let set = StatusSet(vec![200..=200, 300..=399]);
    assert!(set.contains(200) && set.contains(302) && !set.contains(204));
}

#[test]
fn a_checks_alert_fields_are_read_as_a_services_and_located() {
    let text = r#"
[[check]]
name = "replica"
kind = "tcp"
host = "replica.internal"
failure_threshold = 3
success_threshold = 2
depends_on = ["db", "replica-dns"]
severity = "Critical"

[[check]]
name = "edge"
kind = "http"
url = "https://edge.internal/"
failure_threshold = 2
severity = "warning"

[[check]]
name = "bad"
kind = "tcp"
failure_threshold = 0
depends_on = "database"
severity = "loud"
"#;
    let (declared, file_errors) = read("vitals.toml", text, &env(&[]), &[]);
    assert_eq!(file_errors, []);
    let fields = |name: &str| {
        let table = declared.checks.iter().find(|c| c.name == name);
        table.map(|c| (c.alerts.clone(), c.errors.clone()))
    };
    let (replica, errors) = fields("replica").unwrap_or_default();
    assert_eq!(errors, []);
    assert_eq!(
        replica,
        AlertFields {
            failure_threshold: Some(3),
            success_threshold: Some(2),
            depends_on: vec!["db".to_owned(), "replica-dns".to_owned()],
            severity: Some("critical".to_owned()),
        }
    );
    // Not left for the kind, which would call them unknown.
    let keys: Vec<&str> = declared.checks[0]
        .fields
        .iter()
        .map(|f| f.key.as_str())
        .collect();
    assert_eq!(keys, ["host"]);
    let (edge, errors) = fields("edge").unwrap_or_default();
    assert_eq!(errors, []);
    assert_eq!(
        (edge.failure_threshold, edge.severity.as_deref()),
        (Some(2), Some("warning"))
    );
    let (_, errors) = fields("bad").unwrap_or_default();
    let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "vitals.toml:21: check \"bad\": failure_threshold: expected a whole number of consecutive runs from 1 to 1440",
            "vitals.toml:22: check \"bad\": depends_on: expected a list of check names, such as depends_on = [\"database\"]",
            "vitals.toml:23: check \"bad\": severity: expected one of info, warning, error, critical, got \"loud\"",
        ]
    );
}
