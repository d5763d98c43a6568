//! `vitals.toml`, as `check all` and `config validate` read it: raw text,
//! or `[[service]]`, `[[check]]` and `[[maintenance]]` tables built from the
//! fuzzer's choices (right, wrong and odd values for every field, each
//! kind's own fields included); the `[[check]]` tables of an accepted file
//! are then read by their kinds. Properties: accepted services have
//! distinct names other than the built-ins', http(s) URLs and header
//! values without control characters; refused files, and the problems of
//! each check, locate every problem (`vitals.toml:LINE:` with a line of the
//! file) and never show a secret a header or URL expanded; a check is built
//! only from a table without problems.
#![no_main]

use std::collections::HashMap;
use std::fmt::Write;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{NotUnicode, Source, declared_checks, forget_secrets, services_file};

const SECRET: &str = "s3cret-fuzz-§-7";

struct Env(HashMap<&'static str, &'static str>);

impl Source for Env {
    fn get(&self, name: &str) -> Result<Option<String>, NotUnicode> {
        Ok(self.0.get(name).map(|v| (*v).to_owned()))
    }
}

#[derive(Arbitrary, Debug)]
enum Input {
    Raw(String),
    Tables(Vec<Table>),
}

#[derive(Arbitrary, Debug)]
enum Header {
    Service,
    Services,
    Check,
    Maintenance,
    Single,
    Other(String),
}

#[derive(Arbitrary, Debug)]
struct Table {
    header: Header,
    fields: Vec<Field>,
}

#[derive(Arbitrary, Debug)]
enum Field {
    Name(Value),
    Url(Value),
    Method(Value),
    ExpectStatus(Vec<Value>),
    Headers(Vec<(String, Value)>),
    BodyContains(Value),
    SlowMs(Value),
    Timeout(Value),
    Critical(Value),
    /// A field some table knows: a check's kind and its own fields, a
    /// maintenance window's, the alert fields.
    Known(u8, Value),
    Kind(u8),
    Other(String, Value),
    /// A line as it is: broken syntax, comments, stray brackets.
    Line(String),
}

#[derive(Arbitrary, Debug)]
enum Value {
    Text(String),
    Url(UrlParts),
    Status(StatusText),
    Reference(bool, String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Array(Vec<String>),
    Table(Vec<(String, String)>),
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct UrlParts {
    https: bool,
    host: String,
    port: Option<u32>,
    path: String,
    reference: bool,
}

#[derive(Arbitrary, Debug)]
struct StatusText {
    code: u16,
    form: u8,
    end: u16,
}

/// Every field name a `[[check]]` or `[[maintenance]]` table may hold.
const KNOWN: &[&str] = &[
    "kind",
    "command",
    "env",
    "on_timeout",
    "query",
    "record",
    "server",
    "expect",
    "host",
    "port",
    "send",
    "sni",
    "starttls",
    "warn_days",
    "crit_days",
    "ca_file",
    "max_replication_lag",
    "failure_threshold",
    "success_threshold",
    "depends_on",
    "checks",
    "weekdays",
    "start",
    "duration",
    "timezone",
];

/// Each kind a `[[check]]` may have, and one it may not.
const KINDS: &[&str] = &[
    "command", "tcp", "tls", "dns", "postgres", "redis", "http", "nagios",
];

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn value(v: &Value) -> String {
    match v {
        Value::Text(t) => quoted(t),
        Value::Url(u) => {
            let port = u.port.map(|p| format!(":{p}")).unwrap_or_default();
            let reference = if u.reference { "?key=${TOKEN}" } else { "" };
            let scheme = if u.https { "https" } else { "http" };
            quoted(&format!(
                "{scheme}://{}{port}/{}{reference}",
                u.host, u.path
            ))
        }
        Value::Status(s) => match s.form % 4 {
            0 => s.code.to_string(),
            1 => quoted(&format!("{}xx", s.code % 10)),
            2 => quoted(&format!("{}-{}", s.code, s.end)),
            _ => quoted(&format!("{}XX", s.code)),
        },
        Value::Reference(known, prefix) => {
            let name = if *known { "TOKEN" } else { "MISSING" };
            quoted(&format!("{prefix}${{{name}}}"))
        }
        Value::Int(n) => n.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| quoted(i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Table(pairs) => format!(
            "{{ {} }}",
            pairs
                .iter()
                .map(|(k, v)| format!("{} = {}", quoted(k), quoted(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Raw(r) => r.clone(),
    }
}

fn render(tables: &[Table]) -> String {
    let mut text = String::new();
    for t in tables {
        let header = match &t.header {
            Header::Service => "[[service]]".to_owned(),
            Header::Services => "[[services]]".to_owned(),
            Header::Check => "[[check]]".to_owned(),
            Header::Maintenance => "[[maintenance]]".to_owned(),
            Header::Single => "[service]".to_owned(),
            Header::Other(name) => format!("[[{name}]]"),
        };
        let _ = writeln!(text, "{header}");
        for f in &t.fields {
            let line = match f {
                Field::Name(v) => format!("name = {}", value(v)),
                Field::Url(v) => format!("url = {}", value(v)),
                Field::Method(v) => format!("method = {}", value(v)),
                Field::ExpectStatus(items) => {
                    format!(
                        "expect_status = [{}]",
                        items.iter().map(value).collect::<Vec<_>>().join(", ")
                    )
                }
                Field::Headers(pairs) => format!(
                    "headers = {{ {} }}",
                    pairs
                        .iter()
                        .map(|(k, v)| format!("{} = {}", quoted(k), value(v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Field::BodyContains(v) => format!("body_contains = {}", value(v)),
                Field::SlowMs(v) => format!("slow_ms = {}", value(v)),
                Field::Timeout(v) => format!("timeout = {}", value(v)),
                Field::Critical(v) => format!("critical = {}", value(v)),
                Field::Known(pick, v) => {
                    format!("{} = {}", KNOWN[usize::from(*pick) % KNOWN.len()], value(v))
                }
                Field::Kind(pick) => {
                    format!("kind = {}", quoted(KINDS[usize::from(*pick) % KINDS.len()]))
                }
                Field::Other(k, v) => format!("{} = {}", quoted(k), value(v)),
                Field::Line(l) => l.clone(),
            };
            let _ = writeln!(text, "{line}");
        }
    }
    text
}

/// `vitals.toml:LINE: …`, LINE a line of the file (or just after its last).
fn located(shown: &str, lines: usize) {
    let line = shown
        .strip_prefix("vitals.toml:")
        .and_then(|rest| rest.split_once(':'))
        .and_then(|(line, _)| line.parse::<usize>().ok());
    assert!(
        line.is_some_and(|l| l >= 1 && l <= lines + 1),
        "{shown} ({lines} lines)"
    );
}

fuzz_target!(|input: Input| {
    let text = match &input {
        Input::Raw(t) => t.clone(),
        Input::Tables(tables) => render(tables),
    };
    forget_secrets();
    let env = Env(HashMap::from([("TOKEN", SECRET)]));
    let lines = text.lines().count().max(1);
    match services_file("vitals.toml", &text, &env, &["anthropic_api"]) {
        Ok(declared) => {
            let (built, problems) = declared_checks(&declared.checks, &env);
            assert!(built <= declared.checks.len());
            if problems.is_empty() {
                assert_eq!(built, declared.checks.len());
            }
            for (var, problem) in &problems {
                if var == "VITALS_CONFIG" {
                    located(problem, lines);
                }
                if !text.contains(SECRET) {
                    assert!(!problem.contains(SECRET), "{problem}");
                }
            }
            let services = declared.services;
            let mut names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), services.len(), "duplicate names accepted");
            for s in &services {
                assert!(matches!(s.url.expose().scheme(), "http" | "https"));
                assert_ne!(s.name, "anthropic_api");
                for (_, v) in &s.headers {
                    assert!(
                        !v.expose().chars().any(|c| c.is_control() && c != '\t'),
                        "{:?}",
                        v.expose()
                    );
                }
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for e in &errors {
                let shown = e.to_string();
                located(&shown, lines);
                // Unless the file itself holds that text (a name quoted back).
                if !text.contains(SECRET) {
                    assert!(!shown.contains(SECRET), "{shown}");
                }
            }
        }
    }
});
