//! Checks declared in `vitals.toml` as `[[check]]` tables. Each kind is one
//! file declaring a [`CheckKind`] (the `kind` value, its fields, how it reads
//! them) and a [`Probe`], plus one line in `kinds!` below. A declared check
//! is then a [`Check`] like the built-ins: `check NAME`, `check all`,
//! `--require`, the four formats and `--alert` take it from here.

pub mod perfdata;

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use self::perfdata::PerfItem;
use super::runner::timed_out;
use super::{Check, CheckId, CheckResult, GRACE};
use crate::config::parse::nearest;
use crate::config::{AlertFields, CheckTable, Fields, Reader};
use crate::metrics::{Metric, Perf, Unit};
use crate::net::tls::Trust;
use crate::status::Status;

/// Declares each kind's module and lists its descriptor in `KINDS`.
macro_rules! kinds {
    ($($kind:ident,)*) => {
        $(pub mod $kind;)*

        /// Every kind a `[[check]]` may have.
        pub const KINDS: &[CheckKind] = &[$($kind::KIND),*];
    };
}

kinds! {
    command,
    tcp,
    tls,
    dns,
    postgres,
    redis,
    http,
}

/// What vitals knows of a kind of declared check.
pub struct CheckKind {
    /// The `kind` value.
    pub name: &'static str,
    /// Its own fields, for "unknown field" messages (name, kind and timeout are everyone's).
    pub fields: &'static [&'static str],
    /// Reads its fields (problems go to `fields`), and the variables it
    /// shares with a built-in check (`DB_SLOW_MS` for `postgres`) from the
    /// reader; `None` when they are unusable.
    pub read: fn(&mut Fields<'_>, &mut Reader<'_>, &Trust) -> Option<Box<dyn Probe>>,
}

/// What a declared check does, given its fields.
pub trait Probe: Send + Sync {
    /// What it looks at, without credentials (`db.internal:5432`, a plugin's path).
    fn target(&self) -> String;

    /// Runs it; returns by `deadline` plus [`Probe::cleanup`]. `limit` is
    /// the time it was given, for messages.
    fn run(&self, deadline: Instant, limit: Duration) -> BoxFuture<'_, Outcome>;

    /// Its status when its time runs out.
    fn on_timeout(&self) -> Status {
        Status::Unhealthy
    }

    /// How long after its deadline it may still need to clean up (a
    /// plugin's process group told to stop, then killed) before it returns.
    fn cleanup(&self) -> Duration {
        Duration::ZERO
    }

    /// Whether it runs programs (which a file others can write must not declare for root).
    fn runs_programs(&self) -> bool {
        false
    }
}

/// What a probe found.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub status: Status,
    pub message: String,
    /// The measured round trip, when there is one.
    pub elapsed: Option<Duration>,
    /// Its measurements, as perfdata.
    pub perf: Vec<PerfItem>,
    /// The kind's own fields in the JSON object, between `kind` and `metrics`.
    pub details: Map<String, Value>,
}

impl Outcome {
    pub fn new(status: Status, message: impl Into<String>) -> Outcome {
        Outcome {
            status,
            message: message.into(),
            elapsed: None,
            perf: Vec::new(),
            details: Map::new(),
        }
    }

    pub fn elapsed(mut self, elapsed: Duration) -> Outcome {
        self.elapsed = Some(elapsed);
        self
    }

    pub fn perf(mut self, item: PerfItem) -> Outcome {
        self.perf.push(item);
        self
    }

    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Outcome {
        self.details.insert(key.to_owned(), value.into());
        self
    }
}

/// A built-in check run for a declared one (`kind = "postgres"` is
/// `check db` on another URL): its result as an outcome, its metrics as perfdata.
pub struct Instance(pub Box<dyn Check>);

impl Probe for Instance {
    fn target(&self) -> String {
        self.0.target().unwrap_or_default()
    }

    fn run(&self, deadline: Instant, _limit: Duration) -> BoxFuture<'_, Outcome> {
        Box::pin(async move {
            let result = self.0.run(deadline).await;
            Outcome {
                status: result.status,
                elapsed: result
                    .response_time_ms
                    .map(|ms| Duration::from_secs_f64(ms / 1000.0)),
                perf: result.metrics.iter().map(perf_item).collect(),
                details: result.details,
                message: result.message,
            }
        })
    }
}

/// A built-in metric as perfdata, its threshold an upper bound.
fn perf_item(m: &Metric) -> PerfItem {
    let (scale, uom) = m.perf_unit();
    let scaled = |v: Option<f64>| v.map(|v| v * scale);
    let upper = |v: Option<f64>| {
        scaled(v).map(|end| perfdata::Range {
            start: Some(0.0),
            end: Some(end),
            inside: false,
        })
    };
    PerfItem {
        label: m.perf_label(),
        value: scaled(m.value),
        uom: uom.to_owned(),
        warn: upper(m.warn),
        crit: upper(m.crit),
        min: scaled(m.min),
        max: scaled(m.max),
    }
}

/// A declared check: its name, kind and timeout around its kind's probe.
pub struct Declared {
    id: CheckId,
    kind: &'static str,
    timeout: Option<Duration>,
    probe: Box<dyn Probe>,
    alerts: AlertFields,
}

const METRIC_HELP: &str =
    "A declared check's measurement (perfdata), in the unit its check gave (label unit).";

impl Declared {
    /// The check's result from its probe's outcome: `kind`, the kind's own
    /// fields and `metrics` in the JSON; the measurements as metrics.
    fn result(&self, outcome: Outcome) -> CheckResult {
        let name = self.id.key();
        let mut result = CheckResult::new(outcome.status, outcome.message);
        result.response_time_ms = outcome.elapsed.map(crate::text::millis);
        result.details.insert("kind".to_owned(), json!(self.kind));
        result.details.extend(outcome.details);
        let mut metrics = Map::new();
        for item in &outcome.perf {
            let range = |r: Option<perfdata::Range>| r.map(|r| r.to_string());
            metrics.insert(
                item.label.clone(),
                json!({
                    "value": item.value,
                    "unit": item.uom,
                    "warn": range(item.warn),
                    "crit": range(item.crit),
                    "min": item.min,
                    "max": item.max,
                }),
            );
            let mut metric = Metric::gauge("check_metric", METRIC_HELP, Unit::Count, item.value)
                .label("check", name)
                .label("label", item.label.clone())
                .label("unit", item.uom.clone())
                .warn(item.warn.and_then(|r| r.bound()))
                .max(item.max);
            metric.crit = item.crit.and_then(|r| r.bound());
            metric.min = item.min;
            metric.perf = Some(Perf {
                label: format!("{name}::{}", item.label),
                data: item.data(),
            });
            result.metrics.push(metric);
        }
        result
            .details
            .insert("metrics".to_owned(), Value::Object(metrics));
        result
    }
}

impl Check for Declared {
    fn id(&self) -> CheckId {
        self.id
    }

    fn configured(&self) -> bool {
        true
    }

    fn target(&self) -> Option<String> {
        Some(self.probe.target())
    }

    fn kind(&self) -> &'static str {
        self.kind
    }

    fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    fn alert_fields(&self) -> AlertFields {
        self.alerts.clone()
    }

    fn overrun(&self) -> Duration {
        self.probe.cleanup() + GRACE
    }

    fn run(&self, deadline: Instant) -> BoxFuture<'_, CheckResult> {
        Box::pin(async move {
            // Its own timeout, else `--timeout`: the runner set the deadline
            // from it a moment ago, so rounded up to the millisecond it is that again.
            let limit = self.timeout.unwrap_or_else(|| {
                crate::checks::ceil_millis(deadline.saturating_duration_since(Instant::now()))
            });
            let outcome = match tokio::time::timeout_at(
                deadline + self.probe.cleanup(),
                self.probe.run(deadline, limit),
            )
            .await
            {
                Ok(outcome) => outcome,
                Err(_) => Outcome::new(
                    self.probe.on_timeout(),
                    timed_out(Some(&self.probe.target()), limit),
                ),
            };
            self.result(outcome)
        })
    }
}

/// The checks the file at `path` declares that `wanted` picks, each read
/// by its kind; every problem is recorded against `VITALS_CONFIG`.
pub fn read(
    r: &mut Reader<'_>,
    trust: &Trust,
    path: &Path,
    tables: &[CheckTable],
    wanted: impl Fn(CheckId) -> bool,
) -> Vec<Box<dyn Check>> {
    let file = path.display().to_string();
    let mut checks: Vec<Box<dyn Check>> = Vec::new();
    let mut programs = false;
    for table in tables {
        let id = CheckId::declared(&table.name);
        if !wanted(id) {
            continue;
        }
        let mut errors = table.errors.clone();
        let mut fields = Fields::new(&file, table, r.source());
        let kind = KINDS.iter().find(|k| k.name == table.kind);
        let probe = match kind {
            Some(kind) => {
                let probe = (kind.read)(&mut fields, r, trust);
                errors.extend(fields.finish(kind.name, kind.fields));
                probe
            }
            None => {
                if !table.kind.is_empty() {
                    let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
                    let hint = nearest(&table.kind, &names)
                        .map(|k| format!(" — did you mean `{k}`?"))
                        .unwrap_or_default();
                    errors.push(crate::config::FileError {
                        file: file.clone(),
                        line: Some(table.kind_line),
                        problem: format!(
                            "check {:?}: kind: unknown kind {:?}{hint} (expected one of: {})",
                            table.name,
                            table.kind,
                            names.join(", ")
                        ),
                    });
                }
                None
            }
        };
        errors.sort_by_key(|e| e.line);
        for e in &errors {
            r.error("VITALS_CONFIG", e.to_string());
        }
        if let Some(probe) = probe.filter(|_| errors.is_empty()) {
            programs |= probe.runs_programs();
            checks.push(Box::new(Declared {
                id,
                kind: kind.map_or("", |k| k.name),
                timeout: table.timeout,
                probe,
                alerts: table.alerts.clone(),
            }));
        }
    }
    if programs && let Some(problem) = unsafe_for_root(path) {
        r.error("VITALS_CONFIG", problem);
        return Vec::new();
    }
    checks
}

/// Run as root, a file that others can change must not say which programs
/// to run (the rule sudo applies to sudoers and ssh to authorized_keys).
fn unsafe_for_root(path: &Path) -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let mode = std::fs::metadata(path).ok()?.mode();
    (mode & 0o022 != 0).then(|| {
        format!(
            "{}: declares command checks, which vitals runs as root, but group or others \
             can write it (mode {:o}): fix with `chown root {0} && chmod go-w {0}`",
            path.display(),
            mode & 0o7777
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_unique_name() {
        let mut names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KINDS.len());
    }
}
