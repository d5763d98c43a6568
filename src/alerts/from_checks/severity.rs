//! `VITALS_ALERT_SEVERITY`: the severity of each check's `{check}_failure` alert.

use super::super::Severity;
use super::super::hygiene::suggestion;
use crate::checks::CheckId;
use crate::config::check_table::valid_name;
use crate::config::parse::Expected;

/// The severity of each check's `{check}_failure` alert
/// (`VITALS_ALERT_SEVERITY=database=critical,cache=error`); `error` for the others.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FailureSeverity(pub(crate) Vec<(CheckId, Severity)>);

impl FailureSeverity {
    pub fn of(&self, id: CheckId) -> Severity {
        self.0
            .iter()
            .find(|(check, _)| *check == id)
            .map_or(Severity::Error, |(_, severity)| *severity)
    }

    /// `name=severity,…`, each name a check's (or its alias), each once.
    pub fn parse(text: &str) -> Result<FailureSeverity, Expected> {
        let expected = |why: String| {
            Expected(format!(
                "CHECK=SEVERITY pairs such as database=critical,cache=error ({why})"
            ))
        };
        let mut pairs = Vec::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, severity) = item
                .split_once('=')
                .ok_or_else(|| expected(format!("{item:?} has no =")))?;
            let name = name.trim();
            // A check declared in vitals.toml by its name; one close to a
            // built-in's is taken for a typo of it.
            let hint = suggestion(name);
            let id = match name.parse::<CheckId>() {
                Ok(id) => id,
                Err(_) if hint.is_empty() && valid_name(name) => CheckId::declared(name),
                Err(_) => return Err(expected(format!("{name:?} is not a check{hint}"))),
            };
            let severity = severity
                .trim()
                .to_ascii_lowercase()
                .parse::<Severity>()
                .map_err(|_| {
                    expected(format!(
                        "{:?} is not one of info, warning, error, critical",
                        severity.trim()
                    ))
                })?;
            if pairs.iter().any(|(check, _)| *check == id) {
                return Err(expected(format!("{} is given twice", id.key())));
            }
            pairs.push((id, severity));
        }
        Ok(FailureSeverity(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> CheckId {
        name.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn failure_severity_takes_names_and_aliases_and_suggests_on_a_typo() {
        let parsed = FailureSeverity::parse("db=critical, cache=WARNING,");
        assert_eq!(
            parsed,
            Ok(FailureSeverity(vec![
                (id("database"), Severity::Critical),
                (id("cache"), Severity::Warning)
            ]))
        );
        let parsed = parsed.unwrap_or_default();
        assert_eq!(parsed.of(id("database")), Severity::Critical);
        assert_eq!(parsed.of(id("agents")), Severity::Error);
        let refused = |text: &str| FailureSeverity::parse(text).err().map(|e| e.0);
        let pairs = "CHECK=SEVERITY pairs such as database=critical,cache=error";
        assert_eq!(
            refused("databse=critical"),
            Some(format!(
                "{pairs} (\"databse\" is not a check; did you mean database?)"
            ))
        );
        assert_eq!(
            refused("my queue=critical"),
            Some(format!("{pairs} (\"my queue\" is not a check)"))
        );
        // A check declared in vitals.toml.
        let declared = FailureSeverity::parse("replica=critical").unwrap_or_default();
        assert_eq!(
            declared.of(CheckId::declared("replica")),
            Severity::Critical
        );
        assert_eq!(
            refused("db=loud"),
            Some(format!(
                "{pairs} (\"loud\" is not one of info, warning, error, critical)"
            ))
        );
        assert_eq!(refused("db"), Some(format!("{pairs} (\"db\" has no =)")));
        assert_eq!(
            refused("db=error,database=critical"),
            Some(format!("{pairs} (database is given twice)"))
        );
    }
}
