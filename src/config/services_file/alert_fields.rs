//! The fields every declared check shares about its alerts
//! (`failure_threshold`, `success_threshold`, `depends_on`), read the same
//! way from a `[[service]]` table and from a `[[check]]` one; and a
//! `[[check]]`'s `severity` (a service's alerts are its check's,
//! `external_services_failure`, whose severity `VITALS_ALERT_SEVERITY` sets).

use toml::de::DeValue;

use super::{Field, Parser};

/// The severities an alert may have, as `severity` takes them (the alerts'
/// own enum lives above this module; a test there keeps the two the same).
pub const SEVERITIES: &[&str] = &["info", "warning", "error", "critical"];

/// The fields [`Parser::alert_field`] reads, for "unknown field" messages.
pub const ALERT_FIELDS: &[&str] = &["failure_threshold", "success_threshold", "depends_on"];

/// The most consecutive runs a threshold may ask for: a day of runs every minute.
pub const MAX_THRESHOLD: u32 = 1440;

/// What a declared check or service says about its alerts; `None` and empty
/// leave it to the variables (`VITALS_FAILURE_THRESHOLD`…).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFields {
    /// Raise its alert only after this many consecutive runs in trouble.
    pub failure_threshold: Option<u32>,
    /// Resolve it only after this many consecutive healthy runs.
    pub success_threshold: Option<u32>,
    /// Checks whose failure explains this one's: while one fails, this
    /// one's alerts are held back (inhibited). Names as written; the
    /// settings check them, knowing every check.
    pub depends_on: Vec<String>,
    /// A `[[check]]`'s: the severity of its `{name}_failure` alert, one of
    /// [`SEVERITIES`]; `None` leaves it to `VITALS_ALERT_SEVERITY`.
    pub severity: Option<String>,
}

impl Parser<'_> {
    /// Reads `f` into `into` when it is one of [`ALERT_FIELDS`]; false when it is not.
    pub(super) fn alert_field(&mut self, f: &Field<'_, '_, '_>, into: &mut AlertFields) -> bool {
        match f.field {
            "failure_threshold" => into.failure_threshold = self.threshold(f),
            "success_threshold" => into.success_threshold = self.threshold(f),
            "depends_on" => into.depends_on = self.names(f),
            _ => return false,
        }
        true
    }

    /// A `[[check]]`'s `severity`, lower-cased.
    pub(super) fn severity(&mut self, f: &Field<'_, '_, '_>) -> Option<String> {
        let given = self.string(f)?;
        let severity = given.trim().to_ascii_lowercase();
        if SEVERITIES.contains(&severity.as_str()) {
            return Some(severity);
        }
        self.field_error(
            f,
            format!("expected one of {}, got {given:?}", SEVERITIES.join(", ")),
        );
        None
    }

    fn threshold(&mut self, f: &Field<'_, '_, '_>) -> Option<u32> {
        let expected = format!("a whole number of consecutive runs from 1 to {MAX_THRESHOLD}");
        // `positive` says what is wrong with anything but a number too large.
        let n = self.positive(f, &expected)?;
        let n = u32::try_from(n).ok().filter(|n| *n <= MAX_THRESHOLD);
        if n.is_none() {
            self.field_error(f, format!("expected {expected}"));
        }
        n
    }

    fn names(&mut self, f: &Field<'_, '_, '_>) -> Vec<String> {
        let DeValue::Array(items) = f.value.get_ref() else {
            self.field_error(
                f,
                "expected a list of check names, such as depends_on = [\"database\"]".to_owned(),
            );
            return Vec::new();
        };
        let mut names: Vec<String> = Vec::new();
        for item in items {
            match item.get_ref() {
                DeValue::String(name) if !name.trim().is_empty() => {
                    if !names.iter().any(|n| n == name.as_ref()) {
                        names.push(name.trim().to_owned());
                    }
                }
                other => {
                    let message = format!(
                        "{}: depends_on: expected check names, got {}",
                        f.context,
                        other.type_str()
                    );
                    self.fail(item.span().start, message);
                }
            }
        }
        names
    }
}
