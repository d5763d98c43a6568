//! The `[[check]]` tables of the file: their shared fields read by the same
//! walk as `[[service]]`s, the rest kept for their kinds.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::super::check_table::{self, CheckTable, RawField};
use super::{AlertFields, DeclaredService, Field, Parser};

impl Parser<'_> {
    /// A `[[check]]`: its name, kind and timeout read here (a bad name is
    /// the file's problem: nothing could select the check); the rest is its
    /// kind's, with the problems found so far.
    pub(super) fn check(
        &mut self,
        number: usize,
        span: Range<usize>,
        table: &DeTable<'_>,
    ) -> Option<CheckTable> {
        let get = |key: &str| {
            table
                .iter()
                .find(|(k, _)| k.get_ref() == key)
                .map(|(_, v)| v)
        };
        let Some(name_value) = get("name") else {
            self.fail(span.start, format!("check #{number}: name: missing"));
            return None;
        };
        let at = name_value.span().start;
        let line = self.line(at);
        let name = match name_value.get_ref() {
            DeValue::String(s) if check_table::valid_name(s) => s.to_string(),
            other => {
                let shown = match other {
                    DeValue::String(s) => format!("{s:?}"),
                    other => other.type_str().to_owned(),
                };
                self.fail(
                    at,
                    format!(
                        "check #{number}: name: expected 1 to {} letters, digits, _ or -, got {shown}",
                        check_table::MAX_NAME_LEN
                    ),
                );
                return None;
            }
        };
        if self.reserved.contains(&name.as_str()) {
            self.fail(
                at,
                format!(
                    "check {name:?}: name: {name:?} is the name of a built-in check or service; choose another name"
                ),
            );
            return None;
        }
        if let Some((_, first)) = self.seen_checks.iter().find(|(n, _)| *n == name) {
            let first = *first;
            self.fail(
                at,
                format!("check {name:?}: name: duplicate, already declared on line {first}"),
            );
            return None;
        }
        self.seen_checks.push((name.clone(), line));

        let context = format!("check {name:?}");
        let mut checked = CheckTable {
            name,
            kind: String::new(),
            line,
            kind_line: line,
            timeout: None,
            endpoint: None,
            alerts: AlertFields::default(),
            fields: Vec::new(),
            errors: Vec::new(),
        };
        let errors_before = self.errors.len();
        let http =
            matches!(get("kind").map(Spanned::get_ref), Some(DeValue::String(k)) if k == "http");
        if http && let Some(critical) = get("critical") {
            self.fail(
                critical.span().start,
                format!(
                    "{context}: critical: marks a [[service]] inside external_services; \
                     a [[check]] is a check of its own (require it with --require {})",
                    checked.name
                ),
            );
        }
        if http {
            checked.endpoint = self
                .endpoint(
                    &context,
                    span.clone(),
                    table,
                    &["name", "kind", "timeout", "severity"],
                )
                .map(|e| DeclaredService {
                    name: checked.name.clone(),
                    ..e
                });
            // Its thresholds and dependencies were read as a [[service]]'s are.
            if let Some(endpoint) = &checked.endpoint {
                checked.alerts = endpoint.alerts.clone();
            }
        }
        for (key, value) in table {
            let field = key.get_ref().as_ref();
            let f = Field {
                context: &context,
                field,
                value,
            };
            match field {
                "name" => {}
                "kind" => {
                    checked.kind_line = self.line(value.span().start);
                    checked.kind = self.non_empty_string(&f).unwrap_or_default();
                }
                "timeout" => checked.timeout = self.timeout(&f),
                "severity" => checked.alerts.severity = self.severity(&f),
                // An endpoint's fields, read above as a [[service]]'s are.
                _ if http => {}
                _ if self.alert_field(&f, &mut checked.alerts) => {}
                _ => checked.fields.push(RawField {
                    key: field.to_owned(),
                    line: self.line(value.span().start),
                    value: check_table::owned(value.get_ref()),
                }),
            }
        }
        if get("kind").is_none() {
            self.fail(span.start, format!("{context}: kind: missing"));
        }
        // The shared fields' problems are the check's own: another check still runs.
        checked.errors = self.errors.split_off(errors_before);
        Some(checked)
    }
}
