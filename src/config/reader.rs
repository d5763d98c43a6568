//! Reading variables into typed values: each one through the table (its
//! secrecy and default), secrets registered for scrubbing before anything
//! else sees them, and every problem collected rather than the first one
//! returned. Checks and channels read their own settings with a [`Reader`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use super::parse::{
    Expected, Invalid, parse_count, parse_duration, parse_existing_file, parse_millis,
    parse_percent, parse_url,
};
use super::vars::{Secrecy, Table, Var, var};
use super::{ConfigError, ConfigErrors, Secret, SecretUrl, Source};
use crate::redact;

/// Reads variables from a [`Source`], looking each up in a [`Table`].
pub struct Reader<'a> {
    source: &'a dyn Source,
    table: &'a Table,
    errors: Vec<ConfigError>,
    notes: Vec<(&'static str, String)>,
}

/// What a [`Reader`] found besides the values it returned.
#[derive(Debug, Default)]
pub struct Findings {
    /// Every malformed or inconsistent variable, in the order read.
    pub errors: Vec<ConfigError>,
    /// What `config validate` shows for a variable instead of its value:
    /// an effective default, or what the file it names declares.
    pub notes: Vec<(&'static str, String)>,
}

/// A parser's result: the value, or what was expected instead.
type Check<T> = Result<T, Expected>;

impl<'a> Reader<'a> {
    pub fn new(source: &'a dyn Source, table: &'a Table) -> Self {
        Reader {
            source,
            table,
            errors: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Where values come from (for files whose values refer to variables).
    pub fn source(&self) -> &'a dyn Source {
        self.source
    }

    /// Records a problem; one found again (a file two checks read) is said once.
    pub fn error(&mut self, var: &'static str, problem: impl Into<String>) {
        let error = ConfigError {
            var,
            problem: problem.into(),
        };
        if !self.errors.contains(&error) {
            self.errors.push(error);
        }
    }

    /// The problems found so far.
    pub fn errors(&self) -> &[ConfigError] {
        &self.errors
    }

    /// Ok when every variable read was well-formed.
    pub fn finish(self) -> Result<(), ConfigErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigErrors(self.errors))
        }
    }

    pub fn into_findings(self) -> Findings {
        Findings {
            errors: self.errors,
            notes: self.notes,
        }
    }

    /// Says what `config validate` shows for `var` instead of its value.
    pub fn note(&mut self, var: &'static str, shown: String) {
        self.notes.push((var, shown));
    }

    /// The table entry for a variable. Every name vitals reads is in the table
    /// (a unit test checks the ones read while loading); an unknown name is
    /// treated as a secret, the safe side.
    fn spec(&self, name: &str) -> &'static Var {
        static UNKNOWN: Var = var("", Secrecy::Secret, None, "");
        match self.table.find(name) {
            Some((_, v)) => v,
            None => {
                debug_assert!(false, "variable {name} is missing from the table");
                &UNKNOWN
            }
        }
    }

    /// The raw value: `None` when unset or empty. Secrets are registered for scrubbing
    /// before anything else can see them.
    pub fn raw(&mut self, var: &'static str) -> Option<String> {
        let secrecy = self.spec(var).secrecy;
        match self.source.get(var) {
            Ok(Some(v)) if !v.trim().is_empty() => {
                // The trimmed value is the one used, so it is the one to scrub.
                let v = v.trim();
                if secrecy == Secrecy::Secret {
                    redact::register(v);
                } else if secrecy.url_credentials(v) {
                    match Url::parse(v) {
                        Ok(u) => redact::register_url_credentials(&u),
                        // Unparseable: we cannot find the password in it, so hide it all.
                        Err(_) => redact::register(v),
                    }
                }
                Some(v.to_owned())
            }
            Ok(_) => None,
            Err(e) => {
                self.error(var, e.to_string());
                None
            }
        }
    }

    /// The value, or the variable's documented default.
    pub fn raw_or_default(&mut self, var: &'static str) -> Option<String> {
        self.raw(var)
            .or_else(|| self.spec(var).default.map(str::to_owned))
    }

    /// The variable's documented default.
    pub fn default(&self, var: &'static str) -> Option<&'static str> {
        self.spec(var).default
    }

    /// Parses a set value; on failure records "expected …, got …" (value
    /// hidden for secrets), or the wrong part of a well-formed value.
    pub fn parse<T, E: Into<Invalid>>(
        &mut self,
        var: &'static str,
        value: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let expected = match parse(value).map_err(Into::into) {
            Ok(t) => return Some(t),
            Err(Invalid::Part(problem)) => {
                self.error(var, problem);
                return None;
            }
            Err(Invalid::Expected(expected)) => expected,
        };
        let problem = match self.spec(var).secrecy {
            Secrecy::Public => format!("expected {}, got {value:?}", expected.0),
            Secrecy::Secret | Secrecy::UrlCredentials | Secrecy::PathOrUrl => {
                format!("expected {} (value hidden)", expected.0)
            }
        };
        self.error(var, problem);
        None
    }

    /// A value parsed from the variable or, when unset, from its default.
    pub fn typed<T>(&mut self, var: &'static str, parse: fn(&str) -> Check<T>) -> Option<T> {
        let value = self.raw_or_default(var)?;
        self.parse(var, &value, parse)
    }

    /// A set value parsed; `None` when unset (defaults are not consulted).
    pub fn optional<T>(&mut self, var: &'static str, parse: fn(&str) -> Check<T>) -> Option<T> {
        let value = self.raw(var)?;
        self.parse(var, &value, parse)
    }

    pub fn secret(&mut self, var: &'static str) -> Option<Secret> {
        self.raw(var).map(Secret)
    }

    pub fn url(&mut self, var: &'static str, schemes: &[&str]) -> Option<SecretUrl> {
        let value = self.raw_or_default(var)?;
        self.parse(var, &value, |v| parse_url(v, schemes))
            .map(SecretUrl)
    }

    pub fn percent(&mut self, var: &'static str) -> f64 {
        self.typed(var, parse_percent)
            .unwrap_or_else(|| self.default_of(var, parse_percent, 100.0))
    }

    pub fn millis(&mut self, var: &'static str) -> Duration {
        self.typed(var, parse_millis)
            .unwrap_or_else(|| self.default_of(var, parse_millis, Duration::ZERO))
    }

    pub fn duration(&mut self, var: &'static str) -> Duration {
        self.typed(var, parse_duration)
            .unwrap_or_else(|| self.default_of(var, parse_duration, Duration::ZERO))
    }

    pub fn count(&mut self, var: &'static str) -> u64 {
        self.typed(var, parse_count)
            .unwrap_or_else(|| self.default_of(var, parse_count, 0))
    }

    /// A file that must exist; relative to the env file's directory when the
    /// env file set it.
    pub fn existing_file(&mut self, var: &'static str) -> Option<PathBuf> {
        let value = self.raw(var)?;
        let path = super::dotenv::resolve(var, Path::new(&value));
        self.parse(var, &path.to_string_lossy(), parse_existing_file)
    }

    /// A provider's base URL. Every one has a valid default, so the placeholder
    /// only stands in for a malformed value, which is reported and stops the run.
    pub fn base_url(&mut self, var: &'static str) -> SecretUrl {
        self.url(var, &["http", "https"])
            .unwrap_or_else(|| SecretUrl(placeholder_url()))
    }

    /// A comma-separated list, each item parsed; `None` when unset or empty.
    pub fn list(
        &mut self,
        var: &'static str,
        item: fn(&str) -> Check<String>,
    ) -> Option<Vec<String>> {
        let value = self.raw(var)?;
        self.parse(var, &value, |v| {
            let items: Vec<String> = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    item(s).map_err(|e| {
                        Expected(format!(
                            "a comma-separated list, each item {} (bad item {s:?})",
                            e.0
                        ))
                    })
                })
                .collect::<Result<_, _>>()?;
            if items.is_empty() {
                return Err(Expected("at least one item".to_owned()));
            }
            Ok(items)
        })
    }

    /// A default that is a valid literal of its own parser.
    fn default_of<T>(&self, var: &'static str, parse: fn(&str) -> Check<T>, fallback: T) -> T {
        self.default(var)
            .and_then(|d| parse(d).ok())
            .unwrap_or(fallback)
    }
}

/// A variable that must be set, and is not.
pub fn required(var: &'static str, why: &str) -> ConfigError {
    ConfigError {
        var,
        problem: format!("not set ({why})"),
    }
}

fn placeholder_url() -> Url {
    Url::parse("https://invalid.invalid/").unwrap_or_else(|_| unreachable!("literal URL"))
}
