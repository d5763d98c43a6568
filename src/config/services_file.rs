//! The user's own HTTP endpoints: `[[service]]` tables in `vitals.toml` (or
//! the file `VITALS_CONFIG` names), and the `[[check]]` tables beside them
//! (`check_table.rs` keeps their fields for their kinds). The file is walked by hand over toml's
//! spanned document rather than deserialized with serde, because serde's
//! errors name neither the field nor the line; here every problem reads
//! `file:line: service "name": field: problem`, and all of them are reported
//! at once.

use std::fmt;
use std::ops::{Range, RangeInclusive};
use std::path::Path;
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};
use url::Url;

use super::check_table::CheckTable;
use super::parse::{parse_duration, parse_url};
use super::{NotUnicode, Secret, SecretUrl, Source};
use crate::net::http::Method;
use crate::redact;

/// The keys a `[[service]]` table may have.
const FIELDS: &str = "name, url, method, expect_status, headers, body_contains, slow_ms, timeout, \
     critical, failure_threshold, success_threshold, depends_on";

/// Header names whose literal values are treated as secrets, like expanded ones.
const SECRET_HEADER_WORDS: &[&str] = &[
    "authorization",
    "cookie",
    "key",
    "token",
    "secret",
    "password",
    "auth",
    "signature",
];

const MAX_NAME_LEN: usize = 64;

/// One endpoint the user declared.
#[derive(Debug, Clone)]
pub struct DeclaredService {
    pub name: String,
    pub url: SecretUrl,
    pub method: Method,
    pub expect_status: StatusSet,
    /// Values may hold expanded `${VAR}`s: secrets, registered for scrubbing.
    pub headers: Vec<(String, Secret)>,
    pub body_contains: Option<String>,
    pub slow: Option<Duration>,
    pub timeout: Option<Duration>,
    /// Its failure makes the whole services check unhealthy.
    pub critical: bool,
    /// Thresholds and dependencies of its alerts.
    pub alerts: AlertFields,
}

/// HTTP status codes counted as success: single codes and inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet(Vec<RangeInclusive<u16>>);

impl StatusSet {
    pub fn range(codes: RangeInclusive<u16>) -> Self {
        StatusSet(vec![codes])
    }

    pub fn contains(&self, code: u16) -> bool {
        self.0.iter().any(|r| r.contains(&code))
    }
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if r.start() == r.end() {
                write!(f, "{}", r.start())?;
            } else {
                write!(f, "{}-{}", r.start(), r.end())?;
            }
        }
        Ok(())
    }
}

/// One problem in the file, located by line when it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FileError {
    pub file: String,
    pub line: Option<usize>,
    pub problem: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.problem),
            None => write!(f, "{}: {}", self.file, self.problem),
        }
    }
}

/// What the file declares: endpoints, and checks for their kinds to read.
#[derive(Debug, Clone, Default)]
pub struct Declarations {
    pub services: Vec<DeclaredService>,
    pub checks: Vec<CheckTable>,
    pub maintenance: Vec<MaintenanceWindow>,
}

/// Reads and validates the file. `${VAR}`s are looked up in `source`;
/// `reserved` are the names of the built-in checks and services. The errors
/// returned are the file's and its services'; a check's own are in its
/// table, so that each check read well stays usable beside them.
pub fn load(path: &Path, source: &dyn Source, reserved: &[&str]) -> (Declarations, Vec<FileError>) {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => read(&file, &text, source, reserved),
        Err(e) => (
            Declarations::default(),
            vec![FileError {
                file,
                line: None,
                problem: format!("cannot read the file: {e}"),
            }],
        ),
    }
}

/// [`read`], all or nothing.
#[cfg(any(test, feature = "fuzzing"))]
pub fn parse(
    file: &str,
    text: &str,
    source: &dyn Source,
    reserved: &[&str],
) -> Result<Declarations, Vec<FileError>> {
    match read(file, text, source, reserved) {
        (declared, errors) if errors.is_empty() => Ok(declared),
        (_, errors) => Err(errors),
    }
}

/// What the text declares, and the problems of the file and its services.
pub fn read(
    file: &str,
    text: &str,
    source: &dyn Source,
    reserved: &[&str],
) -> (Declarations, Vec<FileError>) {
    let mut parser = Parser {
        file,
        newlines: text
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i)
            .collect(),
        source,
        reserved,
        errors: Vec::new(),
        seen: Vec::new(),
        seen_checks: Vec::new(),
        windows: Vec::new(),
    };
    let mut declared = match DeTable::parse(text) {
        // Only the message: toml's Display quotes the offending line, which may hold a secret.
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            parser.fail(at, format!("invalid TOML: {}", e.message().trim_end()));
            Declarations::default()
        }
        Ok(root) => parser.document(root.get_ref()),
    };
    declared.maintenance = std::mem::take(&mut parser.windows);
    // In file order, as an editor would walk them.
    parser.errors.sort_by_key(|e| e.line);
    (declared, parser.errors)
}

type Value<'i> = Spanned<DeValue<'i>>;

struct Parser<'a> {
    file: &'a str,
    /// Byte offsets of the text's line breaks, in order.
    newlines: Vec<usize>,
    source: &'a dyn Source,
    reserved: &'a [&'a str],
    errors: Vec<FileError>,
    /// Names declared so far, with their lines, to report duplicates.
    seen: Vec<(String, usize)>,
    seen_checks: Vec<(String, usize)>,
    /// The `[[maintenance]]` windows read so far.
    windows: Vec<MaintenanceWindow>,
}

impl Parser<'_> {
    /// The line of byte `at`: a search in the newlines' offsets, found
    /// once, so that a file of a thousand checks is not read a million times.
    fn line(&self, at: usize) -> usize {
        self.newlines.partition_point(|&n| n < at) + 1
    }

    fn fail(&mut self, at: usize, problem: String) {
        self.errors.push(FileError {
            file: self.file.to_owned(),
            line: Some(self.line(at)),
            problem,
        });
    }

    fn document(&mut self, root: &DeTable<'_>) -> Declarations {
        let mut declared = Declarations::default();
        for (key, value) in root {
            let section = key.get_ref().as_ref();
            if section == "maintenance" {
                self.windows_of(value);
                continue;
            }
            if section != "service" && section != "check" {
                self.fail(
                    key.span().start,
                    format!(
                        "unknown key {section:?}: endpoints are declared as [[service]] tables, \
                         other checks as [[check]] tables, maintenance windows as [[maintenance]] tables"
                    ),
                );
                continue;
            }
            let DeValue::Array(items) = value.get_ref() else {
                self.fail(
                    value.span().start,
                    format!("{section}: expected [[{section}]] tables"),
                );
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                match (section, item.get_ref()) {
                    ("service", DeValue::Table(table)) => {
                        if let Some(s) = self.service(i + 1, item.span(), table) {
                            declared.services.push(s);
                        }
                    }
                    (_, DeValue::Table(table)) => {
                        if let Some(c) = self.check(i + 1, item.span(), table) {
                            declared.checks.push(c);
                        }
                    }
                    (_, other) => self.fail(
                        item.span().start,
                        format!(
                            "{section} #{}: expected a table, got {}",
                            i + 1,
                            other.type_str()
                        ),
                    ),
                }
            }
        }
        declared
    }

    fn service(
        &mut self,
        number: usize,
        span: Range<usize>,
        table: &DeTable<'_>,
    ) -> Option<DeclaredService> {
        let errors_before = self.errors.len();
        // The name comes first: it names the service in every other message.
        let name_value = table
            .iter()
            .find(|(k, _)| k.get_ref() == "name")
            .map(|(_, v)| v);
        let name = name_value.and_then(|v| self.name(number, v));
        let context = match &name {
            Some(name) => format!("service {name:?}"),
            None => format!("service #{number}"),
        };
        if name_value.is_none() {
            self.fail(span.start, format!("{context}: name: missing"));
        }
        let endpoint = self.endpoint(&context, span, table, &["name"]);
        if self.errors.len() > errors_before {
            return None;
        }
        Some(DeclaredService {
            name: name?,
            ..endpoint?
        })
    }

    /// The fields of an HTTP endpoint (a `[[service]]`, or a `[[check]]` of
    /// kind `http`), but for `shared`, which the caller reads; the name is
    /// the caller's to fill in.
    fn endpoint(
        &mut self,
        context: &str,
        span: Range<usize>,
        table: &DeTable<'_>,
        shared: &[&str],
    ) -> Option<DeclaredService> {
        let errors_before = self.errors.len();
        let mut url = None;
        let mut method = Method::Get;
        let mut expect_status = None;
        let mut headers = Vec::new();
        let mut alerts = AlertFields::default();
        let mut body_contains = None;
        let mut body_contains_at = 0;
        let mut slow = None;
        let mut timeout = None;
        let mut critical = false;
        for (key, value) in table {
            let field = key.get_ref().as_ref();
            let f = Field {
                context,
                field,
                value,
            };
            match field {
                _ if shared.contains(&field) => {}
                "url" => url = self.url(&f),
                "method" => method = self.method(&f).unwrap_or(Method::Get),
                "expect_status" => expect_status = self.statuses(&f),
                "headers" => headers = self.headers(&f),
                "body_contains" => {
                    body_contains_at = value.span().start;
                    body_contains = self.non_empty_string(&f);
                }
                "slow_ms" => {
                    slow = self
                        .positive(&f, "a whole number of milliseconds greater than 0")
                        .map(Duration::from_millis)
                }
                "timeout" => timeout = self.timeout(&f),
                "critical" => match value.get_ref() {
                    DeValue::Boolean(b) => critical = *b,
                    other => {
                        let problem = format!("expected true or false, got {}", other.type_str());
                        self.field_error(&f, problem);
                    }
                },
                other => {
                    if !self.alert_field(&f, &mut alerts) {
                        self.fail(
                            key.span().start,
                            format!(
                                "{context}: unknown field {other:?} (expected one of: {FIELDS})"
                            ),
                        );
                    }
                }
            }
        }
        let has_url = table.iter().any(|(k, _)| k.get_ref() == "url");
        if !has_url {
            self.fail(
                span.start,
                format!("{context}: url: missing (the http:// or https:// address to request)"),
            );
        }
        if method == Method::Head && body_contains.is_some() {
            self.fail(
                body_contains_at,
                format!(
                    "{context}: body_contains: a HEAD response has no body; use method = \"GET\""
                ),
            );
        }
        if self.errors.len() > errors_before {
            return None;
        }
        Some(DeclaredService {
            name: String::new(),
            url: url?,
            method,
            expect_status: expect_status.unwrap_or(StatusSet::range(200..=399)),
            headers,
            body_contains,
            slow,
            timeout,
            critical,
            alerts,
        })
    }

    fn name(&mut self, number: usize, value: &Value<'_>) -> Option<String> {
        let at = value.span().start;
        let context = format!("service #{number}");
        let f = Field {
            context: &context,
            field: "name",
            value,
        };
        let name = self.string(&f)?;
        // Any printable text: names are labels for people ("Billing API (EU)");
        // every output format escapes them, and only line breaks would break lines.
        let valid = !name.trim().is_empty()
            && name.chars().count() <= MAX_NAME_LEN
            && !name.chars().any(char::is_control);
        if !valid {
            self.fail(
                at,
                format!(
                    "{context}: name: expected 1 to {MAX_NAME_LEN} printable characters, got {name:?}"
                ),
            );
            return None;
        }
        if self.reserved.contains(&name) {
            self.fail(
                at,
                format!(
                    "service {name:?}: name: {name:?} is the name of a built-in check or service; choose another name"
                ),
            );
            return None;
        }
        let line = self.line(at);
        if let Some((_, first)) = self.seen.iter().find(|(n, _)| n == name) {
            let first = *first;
            self.fail(
                at,
                format!("service {name:?}: name: duplicate, already declared on line {first}"),
            );
            return None;
        }
        self.seen.push((name.to_owned(), line));
        Some(name.to_owned())
    }

    fn string<'v>(&mut self, f: &Field<'_, 'v, '_>) -> Option<&'v str> {
        match f.value.get_ref() {
            DeValue::String(s) => Some(s.as_ref()),
            other => {
                let problem = format!("expected a string, got {}", other.type_str());
                self.field_error(f, problem);
                None
            }
        }
    }

    fn non_empty_string(&mut self, f: &Field<'_, '_, '_>) -> Option<String> {
        let s = self.string(f)?;
        if s.is_empty() {
            self.field_error(f, "expected a non-empty string".to_owned());
            return None;
        }
        Some(s.to_owned())
    }

    fn field_error(&mut self, f: &Field<'_, '_, '_>, problem: String) {
        let message = format!("{}: {}: {problem}", f.context, f.field);
        self.fail(f.value.span().start, message);
    }

    /// The address, `${VAR}` expanded: what a variable puts in its
    /// credentials is secret, its host and path are not (messages name them).
    fn url(&mut self, f: &Field<'_, '_, '_>) -> Option<SecretUrl> {
        let raw = self.string(f)?;
        let source = self.source;
        let value = match expand_with(raw, |name| source.get(name)) {
            Ok((value, _)) => value,
            Err(problem) => {
                self.field_error(f, problem);
                return None;
            }
        };
        // Credentials in the URL are hidden before anything can print them.
        match Url::parse(&value) {
            Ok(url) => redact::register_url_credentials(&url),
            // Unparseable: where its password is cannot be told, so all of it is hidden.
            Err(_) if value != raw => redact::register(&value),
            Err(_) => {}
        }
        match parse_url(&value, &["http", "https"]) {
            Ok(url) => Some(SecretUrl(url)),
            Err(_) if value != raw => {
                self.field_error(
                    f,
                    "expected an http:// or https:// URL (value hidden: it comes from a variable)"
                        .to_owned(),
                );
                None
            }
            Err(invalid) => {
                self.field_error(f, invalid.to_string());
                None
            }
        }
    }

    fn method(&mut self, f: &Field<'_, '_, '_>) -> Option<Method> {
        let value = self.string(f)?;
        match value.to_ascii_uppercase().as_str() {
            "GET" => Some(Method::Get),
            "HEAD" => Some(Method::Head),
            _ => {
                self.field_error(f, format!("expected \"GET\" or \"HEAD\", got {value:?}"));
                None
            }
        }
    }

    fn statuses(&mut self, f: &Field<'_, '_, '_>) -> Option<StatusSet> {
        let items: Vec<&Value<'_>> = match f.value.get_ref() {
            DeValue::Array(items) => items.iter().collect(),
            _ => vec![f.value],
        };
        if items.is_empty() {
            self.field_error(f, "expected at least one status code".to_owned());
            return None;
        }
        let mut ranges = Vec::new();
        for item in items {
            let range = match item.get_ref() {
                DeValue::Integer(i) => u16::from_str_radix(i.as_str(), i.radix())
                    .ok()
                    .map(|c| c..=c),
                DeValue::String(s) => parse_status_range(s),
                _ => None,
            };
            match range.filter(|r| (100..=599).contains(r.start()) && (100..=599).contains(r.end()))
            {
                Some(range) => ranges.push(range),
                None => {
                    let shown = match item.get_ref() {
                        DeValue::String(s) => format!("{s:?}"),
                        DeValue::Integer(i) => i.to_string(),
                        other => other.type_str().to_owned(),
                    };
                    let message = format!(
                        "{}: expect_status: expected a status code from 100 to 599, a range such as \"200-299\" or a class such as \"2xx\", got {shown}",
                        f.context
                    );
                    self.fail(item.span().start, message);
                }
            }
        }
        Some(StatusSet(ranges))
    }

    fn headers(&mut self, f: &Field<'_, '_, '_>) -> Vec<(String, Secret)> {
        let DeValue::Table(table) = f.value.get_ref() else {
            self.field_error(
                f,
                "expected a table of names and values, such as headers = { Authorization = \"Bearer ${TOKEN}\" }"
                    .to_owned(),
            );
            return Vec::new();
        };
        let mut headers: Vec<(String, Secret)> = Vec::new();
        for (key, value) in table {
            let name = key.get_ref().as_ref();
            let field = format!("headers.{name}");
            let hf = Field {
                context: f.context,
                field: &field,
                value,
            };
            if !is_header_name(name) {
                let message = format!(
                    "{}: headers: {name:?} is not a valid header name",
                    f.context
                );
                self.fail(key.span().start, message);
                continue;
            }
            if headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                let message = format!(
                    "{}: headers: {name:?} is given twice (header names ignore case)",
                    f.context
                );
                self.fail(key.span().start, message);
                continue;
            }
            let Some(raw) = self.string(&hf) else {
                continue;
            };
            let value = match expand(raw, self.source) {
                Ok(value) => value,
                Err(problem) => {
                    self.field_error(&hf, problem);
                    continue;
                }
            };
            // Checked after expansion, and without echoing the value: it may be a secret.
            if value.chars().any(|c| c.is_control() && c != '\t') {
                self.field_error(
                    &hf,
                    "the value contains a line break or another control character".to_owned(),
                );
                continue;
            }
            let lower = name.to_ascii_lowercase();
            if value != raw || SECRET_HEADER_WORDS.iter().any(|w| lower.contains(w)) {
                redact::register(&value);
            }
            headers.push((name.to_owned(), Secret(value)));
        }
        headers
    }

    fn positive(&mut self, f: &Field<'_, '_, '_>, expected: &str) -> Option<u64> {
        let number = match f.value.get_ref() {
            DeValue::Integer(i) => u64::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => None,
        };
        match number.filter(|n| *n > 0) {
            Some(n) => Some(n),
            None => {
                self.field_error(f, format!("expected {expected}"));
                None
            }
        }
    }

    fn timeout(&mut self, f: &Field<'_, '_, '_>) -> Option<Duration> {
        match f.value.get_ref() {
            DeValue::String(s) => match parse_duration(s) {
                Ok(d) => Some(d),
                Err(expected) => {
                    self.field_error(f, format!("{expected}, got {s:?}"));
                    None
                }
            },
            _ => self
                .positive(
                    f,
                    "a duration such as \"2s\" or \"500ms\", or whole seconds",
                )
                .map(Duration::from_secs),
        }
    }
}

/// A field of one service, for error messages.
struct Field<'c, 'v, 'i> {
    context: &'c str,
    field: &'c str,
    value: &'v Value<'i>,
}

/// `"204"`, `"200-299"` or `"2xx"`.
pub(crate) fn parse_status_range(text: &str) -> Option<RangeInclusive<u16>> {
    let text = text.trim();
    if let Some(class) = text.strip_suffix("xx").or_else(|| text.strip_suffix("XX")) {
        let class: u16 = class.parse().ok()?;
        // Checked: "700xx" must be refused, not overflow.
        let first = class.checked_mul(100)?;
        return Some(first..=first.checked_add(99)?);
    }
    match text.split_once('-') {
        Some((lo, hi)) => {
            let (lo, hi): (u16, u16) = (lo.trim().parse().ok()?, hi.trim().parse().ok()?);
            (lo <= hi).then_some(lo..=hi)
        }
        None => text.parse().ok().map(|c| c..=c),
    }
}

/// RFC 9110 `token`.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Replaces every `${VAR}` with the variable's value. Each substituted value
/// is registered as a secret before the result is returned.
fn expand(raw: &str, source: &dyn Source) -> Result<String, String> {
    let (value, substituted) = expand_with(raw, |name| source.get(name))?;
    for s in &substituted {
        redact::register(s);
    }
    Ok(value)
}

/// Replaces every `${VAR}` with what `get` gives for it, and returns the
/// values substituted, for the caller to judge which are secrets.
pub(super) fn expand_with(
    raw: &str,
    get: impl Fn(&str) -> Result<Option<String>, NotUnicode>,
) -> Result<(String, Vec<String>), String> {
    let mut out = String::with_capacity(raw.len());
    let mut substituted = Vec::new();
    let mut rest = raw;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err("unterminated ${ (write ${NAME})".to_owned());
        };
        let name = &after[..end];
        let valid = name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(format!("${{{name}}} is not a valid variable reference"));
        }
        match get(name) {
            Ok(Some(value)) if !value.is_empty() => {
                out.push_str(&value);
                substituted.push(value);
            }
            Ok(_) => return Err(format!("${{{name}}} is not set")),
            Err(NotUnicode) => return Err(format!("${{{name}}} is not valid UTF-8")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok((out, substituted))
}

mod alert_fields;
mod check;
mod maintenance;
pub use alert_fields::{ALERT_FIELDS, AlertFields, MAX_THRESHOLD, SEVERITIES};
pub use maintenance::{MaintenanceWindow, active_window, path};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod properties;
