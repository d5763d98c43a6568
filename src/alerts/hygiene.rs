//! What `check --alert` holds back so that alerts stay few and true:
//! failure and success thresholds (consecutive runs, counted in the store so
//! that they hold across cron runs and hosts). Pure decisions on what the
//! store counted; `from_checks` applies them.

use std::time::Duration;

use super::store::{Flap, Observed, Run};
use crate::checks::{CheckId, CheckResult, services};
use crate::config::parse::Expected;
use chrono::{DateTime, Utc};

use super::Timestamp;
use crate::config::{AlertFields, MAX_THRESHOLD, MaintenanceWindow};
use crate::status::Status;

/// Consecutive runs before an alert is raised (or resolved): one number for
/// every built-in check, and some checks' own (`2,database=5`).
#[derive(Debug, Clone, PartialEq)]
pub struct RunThreshold {
    pub default: u32,
    pub per_check: Vec<(CheckId, u32)>,
}

impl Default for RunThreshold {
    /// One run: today's behaviour, an alert at the first failure and its
    /// resolution at the first healthy run.
    fn default() -> Self {
        RunThreshold {
            default: 1,
            per_check: Vec::new(),
        }
    }
}

impl RunThreshold {
    pub fn of(&self, id: CheckId) -> u32 {
        self.per_check
            .iter()
            .find(|(check, _)| *check == id)
            .map_or(self.default, |(_, n)| *n)
    }

    /// `N`, `CHECK=N,…` or both; each check (name or alias, or one of
    /// `declared`) once.
    pub fn parse(text: &str, declared: &[CheckId]) -> Result<RunThreshold, Expected> {
        let expected = |why: String| {
            Expected(format!(
                "a number of runs from 1 to {MAX_THRESHOLD}, CHECK=N pairs, or both, such as 2,database=5 ({why})"
            ))
        };
        let runs = |n: &str| {
            n.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_THRESHOLD).contains(n))
                .ok_or_else(|| expected(format!("{:?} is not a number of runs", n.trim())))
        };
        let mut threshold = RunThreshold::default();
        let mut default_given = false;
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            match item.split_once('=') {
                None if default_given => {
                    return Err(expected("two numbers for every check".to_owned()));
                }
                None => {
                    threshold.default = runs(item)?;
                    default_given = true;
                }
                Some((name, n)) => {
                    let name = name.trim();
                    let id = check_named(name, declared).ok_or_else(|| {
                        expected(format!("{name:?} is not a check{}", suggestion(name)))
                    })?;
                    if threshold.per_check.iter().any(|(check, _)| *check == id) {
                        return Err(expected(format!("{} is given twice", id.key())));
                    }
                    threshold.per_check.push((id, runs(n)?));
                }
            }
        }
        Ok(threshold)
    }
}

/// The check `name` names: a built-in one by its name or alias, or one of `declared`.
pub fn check_named(name: &str, declared: &[CheckId]) -> Option<CheckId> {
    name.parse::<CheckId>()
        .ok()
        .or_else(|| declared.iter().copied().find(|id| id.key() == name))
}

/// "; did you mean database?" when `name` is close to a check's name.
pub(super) fn suggestion(name: &str) -> String {
    crate::checks::builtin_like(name)
        .map(|known| format!("; did you mean {known}?"))
        .unwrap_or_default()
}

/// `VITALS_DEPENDS_ON`: the checks each built-in check depends on
/// (`agents=database,external_services=database`). A check's own name,
/// and a loop (database=cache,cache=database: both down, nobody told), are refused.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependencies(pub Vec<(CheckId, Vec<CheckId>)>);

impl Dependencies {
    pub fn of(&self, id: CheckId) -> &[CheckId] {
        self.0
            .iter()
            .find(|(check, _)| *check == id)
            .map_or(&[], |(_, deps)| deps.as_slice())
    }

    /// `CHECK=DEPENDENCY` pairs, names or aliases (or names of `declared`
    /// checks); a check may be given several times.
    pub fn parse(text: &str, declared: &[CheckId]) -> Result<Dependencies, Expected> {
        let expected = |why: String| {
            Expected(format!(
                "CHECK=DEPENDENCY pairs such as agents=database,external_services=database ({why})"
            ))
        };
        let check = |name: &str| {
            let name = name.trim();
            check_named(name, declared)
                .ok_or_else(|| expected(format!("{name:?} is not a check{}", suggestion(name))))
        };
        let mut deps = Dependencies::default();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, dep) = item
                .split_once('=')
                .ok_or_else(|| expected(format!("{item:?} has no =")))?;
            let (id, dep) = (check(name)?, check(dep)?);
            if id == dep {
                return Err(expected(format!("{} depends on itself", id.key())));
            }
            match deps.0.iter_mut().find(|(check, _)| *check == id) {
                Some((_, list)) if !list.contains(&dep) => list.push(dep),
                Some(_) => {}
                None => deps.0.push((id, vec![dep])),
            }
        }
        if let Some(path) = deps.find_loop() {
            return Err(expected(format!(
                "{} depends on itself through the others: when all are down, nobody would be told",
                path[0].key()
            )));
        }
        Ok(deps)
    }

    /// A loop (database=cache,cache=database: both down, nobody told), as
    /// the checks along it, the first one again at the end.
    pub fn find_loop(&self) -> Option<Vec<CheckId>> {
        self.0.iter().find_map(|(start, _)| {
            let mut path = vec![*start];
            let mut done = Vec::new();
            self.back_to(*start, &mut path, &mut done).then_some(path)
        })
    }

    /// Whether the dependencies of the last check of `path` lead back to
    /// its first, extending `path` along the way; `done` holds the checks
    /// that were found not to (each is walked once).
    fn back_to(&self, start: CheckId, path: &mut Vec<CheckId>, done: &mut Vec<CheckId>) -> bool {
        let Some(at) = path.last().copied() else {
            return false;
        };
        for dep in self.of(at) {
            if *dep == start {
                path.push(*dep);
                return true;
            }
            if path.contains(dep) || done.contains(dep) {
                continue;
            }
            path.push(*dep);
            if self.back_to(start, path, done) {
                return true;
            }
            path.pop();
            done.push(*dep);
        }
        false
    }
}

/// What `check --alert` reads beyond the channels: the thresholds and
/// dependencies of the built-in checks (a declared check's or service's
/// own fields come with its result).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hygiene {
    pub failure: RunThreshold,
    pub success: RunThreshold,
    pub depends_on: Dependencies,
    /// `[[maintenance]]` windows, check names canonical.
    pub maintenance: Vec<MaintenanceWindow>,
    /// The checks `vitals.toml` declares, which `depends_on` may name.
    pub declared: Vec<CheckId>,
}

impl Hygiene {
    /// The failure and success thresholds of `check`: its declaration's
    /// (`declared`), else the check's variables'.
    pub fn thresholds_of(&self, check: CheckId, declared: Option<&AlertFields>) -> (u32, u32) {
        (
            declared
                .and_then(|f| f.failure_threshold)
                .unwrap_or_else(|| self.failure.of(check)),
            declared
                .and_then(|f| f.success_threshold)
                .unwrap_or_else(|| self.success.of(check)),
        )
    }

    /// Why an alert about a flapping subject is held back.
    pub fn flapping(standing: &Standing) -> Option<String> {
        matches!(standing.flap, Flap::Started | Flap::Flapping).then(|| {
            format!(
                "flapping: {} changes between trouble and health within {}; held until it has \
                 been stable that long",
                standing.changes,
                humantime::format_duration(FLAP_WINDOW)
            )
        })
    }

    /// Why an alert about `subject` is held back at `now` by a maintenance window, if it is.
    pub fn in_maintenance(&self, subject: &Subject, now: DateTime<Utc>) -> Option<String> {
        let (w, end) = crate::config::active_window(
            &self.maintenance,
            subject.check.key(),
            subject.service.as_deref(),
            now,
        )?;
        let end = Timestamp::from_millis(end.timestamp_millis())?;
        Some(format!("{w}, until {end}"))
    }
}

/// The checks `subject` depends on: its declaration's `depends_on` (a
/// `[[service]]`'s or a `[[check]]`'s; names that are not checks are
/// returned apart, to be reported), else `VITALS_DEPENDS_ON`'s.
pub fn dependencies(
    subject: &Subject,
    result: &CheckResult,
    hygiene: &Hygiene,
) -> (Vec<CheckId>, Vec<String>) {
    let Some(fields) = declared_fields(subject, result).filter(|f| !f.depends_on.is_empty()) else {
        return (hygiene.depends_on.of(subject.check).to_vec(), Vec::new());
    };
    let declaration = match &subject.service {
        Some(service) => format!("service {service:?}"),
        None => format!("check {:?}", subject.check.key()),
    };
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for name in &fields.depends_on {
        match check_named(name, &hygiene.declared) {
            Some(id) => ids.push(id),
            None => unknown.push(format!(
                "{declaration}: depends_on: {name:?} is not a check{}",
                suggestion(name)
            )),
        }
    }
    (ids, unknown)
}

/// What the declaration of `subject` says about its alerts: a service's
/// table for a service, the check's own otherwise (empty for a built-in).
pub fn declared_fields<'r>(subject: &Subject, result: &'r CheckResult) -> Option<&'r AlertFields> {
    match &subject.service {
        Some(name) => result
            .part_alert_fields
            .iter()
            .find(|(part, _)| part == name)
            .map(|(_, fields)| fields),
        None => Some(&result.alert_fields),
    }
}

/// The flap window's length; state changes older than this are forgotten.
pub const FLAP_WINDOW: Duration = Duration::from_secs(3600);

/// What one alert of a check is about: the check, or one of its services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub check: CheckId,
    pub service: Option<String>,
}

impl Subject {
    /// Its key in the store: this instance's, so hosts sharing a store count their own runs.
    fn key(&self, instance: &str) -> String {
        match &self.service {
            Some(service) => format!("{instance}/{}/{service}", self.check.key()),
            None => format!("{instance}/{}", self.check.key()),
        }
    }
}

/// Where the thresholds stand for one subject after this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub subject: Subject,
    /// Its alerts may be raised: it has been in trouble long enough.
    pub raise: bool,
    /// Its alerts may be resolved: it has been healthy long enough.
    pub resolve: bool,
    /// In words, for the log: "2 of 3 failing runs".
    pub said: String,
    /// What this run did to its flapping.
    pub flap: Flap,
    /// Its state changes within the flap window.
    pub changes: usize,
    /// In trouble this run.
    pub trouble: bool,
}

/// Each subject of these results that ran: every configured check, and each
/// configured service of `external_services`; with its run.
pub fn runs(checks: &[(CheckId, CheckResult)], instance: &str) -> Vec<(Subject, Run)> {
    // Unknown is trouble too: it raises `{check}_unknown`, which a run that
    // cannot judge must not resolve.
    let trouble = |status: Status| {
        matches!(
            status,
            Status::Unhealthy | Status::Degraded | Status::Unknown
        )
    };
    let mut out = Vec::new();
    for (id, result) in checks {
        if result.status == Status::Unconfigured {
            continue;
        }
        let whole = Subject {
            check: *id,
            service: None,
        };
        // A check made of services is in trouble as a whole only when no
        // service says why (it timed out), or for its anomalies, whose
        // alerts are the whole check's: otherwise its services are.
        let parts = service_statuses(result);
        out.push((
            whole.clone(),
            Run {
                subject: whole.key(instance),
                trouble: trouble(result.status) && (parts.is_empty() || result.anomaly_only),
            },
        ));
        if *id != services::CHECK.id() {
            continue;
        }
        for (name, status) in parts {
            if status == Status::Unconfigured {
                continue;
            }
            let part = Subject {
                check: *id,
                service: Some(name),
            };
            out.push((
                part.clone(),
                Run {
                    subject: part.key(instance),
                    trouble: trouble(status),
                },
            ));
        }
    }
    out
}

/// Each service of an `external_services` result, with its status.
fn service_statuses(result: &CheckResult) -> Vec<(String, Status)> {
    let Some(serde_json::Value::Object(services)) = result.details.get("services") else {
        return Vec::new();
    };
    services
        .iter()
        .filter_map(|(name, value)| {
            let status = serde_json::from_value(value.get("status")?.clone()).ok()?;
            Some((name.clone(), status))
        })
        .collect()
}

/// The thresholds of `subject`: its declaration's, else the check's variables'.
fn thresholds(subject: &Subject, result: &CheckResult, hygiene: &Hygiene) -> (u32, u32) {
    hygiene.thresholds_of(subject.check, declared_fields(subject, result))
}

/// Where each subject stands, from what the store counted (`None`: it could
/// not count, and then every alert is raised and resolved as it comes, so
/// that nothing is lost).
pub fn standings(
    checks: &[(CheckId, CheckResult)],
    subjects: &[Subject],
    observed: Option<&[Observed]>,
    hygiene: &Hygiene,
) -> Vec<Standing> {
    subjects
        .iter()
        .enumerate()
        .map(|(i, subject)| {
            let result = checks
                .iter()
                .find(|(id, _)| *id == subject.check)
                .map(|(_, r)| r);
            let (failure, success) =
                result.map_or((1, 1), |result| thresholds(subject, result, hygiene));
            let Some(o) = observed.and_then(|o| o.get(i)) else {
                return Standing {
                    subject: subject.clone(),
                    raise: true,
                    resolve: true,
                    said: "not counted (no store)".to_owned(),
                    flap: Flap::Steady,
                    changes: 0,
                    trouble: false,
                };
            };
            let (raise, resolve, said) = if o.failing_runs > 0 {
                (
                    o.failing_runs >= failure,
                    false,
                    format!("{} of {failure} failing runs", o.failing_runs),
                )
            } else {
                (
                    false,
                    o.healthy_runs >= success,
                    format!("{} of {success} healthy runs", o.healthy_runs),
                )
            };
            Standing {
                subject: subject.clone(),
                raise,
                resolve,
                said,
                flap: o.flap,
                changes: o.changes.len(),
                trouble: o.failing_runs > 0,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> CheckId {
        name.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn dependencies_are_pairs_without_loops() {
        let deps = Dependencies::parse("agents=db, agents=cache, services=database", &[]);
        let deps = deps.unwrap_or_default();
        assert_eq!(deps.of(id("agents")), [id("database"), id("cache")]);
        assert_eq!(deps.of(id("external_services")), [id("database")]);
        assert_eq!(deps.of(id("database")), []);
        let refused = |text: &str| Dependencies::parse(text, &[]).err().map(|e| e.0);
        let head = "CHECK=DEPENDENCY pairs such as agents=database,external_services=database";
        assert_eq!(
            refused("db=db"),
            Some(format!("{head} (database depends on itself)"))
        );
        assert_eq!(
            refused("db=cache,cache=agents,agents=database"),
            Some(format!(
                "{head} (database depends on itself through the others: when all are down, nobody would be told)"
            ))
        );
        assert_eq!(
            refused("agents=databse"),
            Some(format!(
                "{head} (\"databse\" is not a check; did you mean database?)"
            ))
        );
        assert_eq!(
            refused("agents"),
            Some(format!("{head} (\"agents\" has no =)"))
        );
    }

    #[test]
    fn a_loop_is_found_with_the_checks_along_it() {
        let [a, b, c, d] = ["a", "b", "c", "d"].map(CheckId::declared);
        // d leads into the loop without being part of it.
        let deps = Dependencies(vec![
            (d, vec![a]),
            (a, vec![d, b]),
            (b, vec![c]),
            (c, vec![b]),
        ]);
        assert_eq!(deps.find_loop(), Some(vec![d, a, d]));
        let deps = Dependencies(vec![(d, vec![b]), (a, vec![b]), (b, vec![c]), (c, vec![a])]);
        assert_eq!(deps.find_loop(), Some(vec![a, b, c, a]));
        let deps = Dependencies(vec![(a, vec![b, c]), (b, vec![c]), (d, vec![a])]);
        assert_eq!(deps.find_loop(), None);
    }

    #[test]
    fn declared_checks_are_named_in_the_variables_and_others_refused() {
        let replica = CheckId::declared("replica");
        let deps = Dependencies::parse("replica=db,agents=replica", &[replica]);
        assert_eq!(
            deps,
            Ok(Dependencies(vec![
                (replica, vec![id("database")]),
                (id("agents"), vec![replica])
            ]))
        );
        let t = RunThreshold::parse("replica=3", &[replica]).unwrap_or_default();
        assert_eq!((t.of(replica), t.of(id("database"))), (3, 1));
        assert_eq!(
            RunThreshold::parse("replica=3", &[]).err().map(|e| e.0),
            Some(format!(
                "a number of runs from 1 to {MAX_THRESHOLD}, CHECK=N pairs, or both, such as \
                 2,database=5 (\"replica\" is not a check)"
            ))
        );
    }

    #[test]
    fn a_threshold_is_a_number_pairs_or_both() {
        assert_eq!(RunThreshold::parse("", &[]), Ok(RunThreshold::default()));
        let t = RunThreshold::parse("2, db=5", &[]).unwrap_or_default();
        assert_eq!((t.of(id("database")), t.of(id("cache"))), (5, 2));
        let t = RunThreshold::parse("cache=3", &[]).unwrap_or_default();
        assert_eq!((t.of(id("cache")), t.of(id("agents"))), (3, 1));
        let refused = |text: &str| RunThreshold::parse(text, &[]).err().map(|e| e.0);
        let head = format!(
            "a number of runs from 1 to {MAX_THRESHOLD}, CHECK=N pairs, or both, such as 2,database=5"
        );
        assert_eq!(
            refused("0"),
            Some(format!("{head} (\"0\" is not a number of runs)"))
        );
        assert_eq!(
            refused("databse=3"),
            Some(format!(
                "{head} (\"databse\" is not a check; did you mean database?)"
            ))
        );
        assert_eq!(
            refused("2,3"),
            Some(format!("{head} (two numbers for every check)"))
        );
        assert_eq!(
            refused("db=2,database=3"),
            Some(format!("{head} (database is given twice)"))
        );
    }
    /// Found with the `hygiene` fuzz target: forty declared checks, each
    /// depending on every later one, took longer than the fuzzer's timeout
    /// to check for loops (every path followed); read at once now.
    #[test]
    fn many_checks_depending_on_many_are_read_at_once() {
        let declared: Vec<CheckId> = (0..40)
            .map(|i| CheckId::declared(&format!("d{i}")))
            .collect();
        let pairs: Vec<String> = (0..40)
            .flat_map(|i| ((i + 1)..40).map(move |j| format!("d{i}=d{j}")))
            .collect();
        let deps = Dependencies::parse(&pairs.join(","), &declared).unwrap_or_default();
        assert_eq!(deps.of(declared[0]).len(), 39);
        let looped = format!("{},d39=d0", pairs.join(","));
        assert_eq!(
            Dependencies::parse(&looped, &declared).err().map(|e| e.0),
            Some(
                "CHECK=DEPENDENCY pairs such as agents=database,external_services=database \
                 (d0 depends on itself through the others: when all are down, nobody would be told)"
                    .to_owned()
            )
        );
    }
}
