//! Silences: "I know, stop telling me until then". A silence matches alerts
//! by labels (the type as `alertname`, a check as `check`, any label with
//! `--match`), all of its matchers at once. A matching alert is still
//! recorded, held back as `silenced` with the silence's id, and nobody is
//! notified; when the silence ends and the alert is raised again, it is
//! notified then, once.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Local, NaiveTime, TimeZone, Utc};
use serde::Serialize;

use super::labels::{valid_name, valid_value};
use super::{Alert, Labels, Timestamp, alert_id};

/// A silence's command-line input that cannot be taken, said per option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SilenceError {
    #[error("--match {0:?}: expected LABEL=VALUE, e.g. --match instance=web1")]
    Shape(String),
    #[error(
        "--match {0:?}: a label name starts with a letter or _ and has only letters, digits and _"
    )]
    Name(String),
    #[error("--match {0}: expected a value without control characters")]
    Value(String),
    #[error("{0} is matched twice, with two values: an alert has one")]
    Twice(String),
    #[error(
        "--until {0:?}: expected an RFC 3339 time (2031-05-06T07:30:00Z) or a local HH:MM (the next one to come)"
    )]
    Until(String),
    #[error("--until {0}: that time is already past")]
    Past(String),
    #[error(
        "--until {0}: {0} does not exist today in the local time zone (a daylight-saving change)"
    )]
    Gap(String),
    #[error("--reason: expected why, e.g. --reason \"database upgrade\"")]
    Reason,
}

/// The matchers of `alert silence`: `--check` (a check's canonical name),
/// `--type` (as `alertname`) and each `--match LABEL=VALUE`; all must hold.
pub fn matchers(
    check: Option<&str>,
    alert_type: Option<&str>,
    matches: &[String],
) -> Result<Labels, SilenceError> {
    let mut labels = Labels::new();
    let mut add = |name: &str, value: &str| match labels.insert(name.to_owned(), value.to_owned()) {
        Some(before) if before != value => Err(SilenceError::Twice(name.to_owned())),
        _ => Ok(()),
    };
    if let Some(check) = check {
        add("check", check)?;
    }
    if let Some(alert_type) = alert_type.map(str::trim).filter(|t| !t.is_empty()) {
        add("alertname", alert_type)?;
    }
    for item in matches {
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| SilenceError::Shape(item.clone()))?;
        let name = name.trim();
        if !valid_name(name) {
            return Err(SilenceError::Name(name.to_owned()));
        }
        if !valid_value(value) {
            return Err(SilenceError::Value(name.to_owned()));
        }
        add(name, value)?;
    }
    Ok(labels)
}

/// When a silence ends: `--for` after `now`, or `--until` (RFC 3339, or
/// the next local `HH:MM`).
pub fn ends_at(
    for_: Option<Duration>,
    until: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Timestamp, SilenceError> {
    let now_ts = Timestamp::from_millis(now.timestamp_millis()).unwrap_or_else(Timestamp::now);
    if let Some(d) = for_ {
        return Ok(now_ts.plus(d));
    }
    let text = until.unwrap_or_default().trim();
    let at = if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        at.with_timezone(&Utc)
    } else {
        next_local(text, now, &Local)?
    };
    // Silences end at a millisecond: one that would end within now's is already over.
    if at.timestamp_millis() <= now.timestamp_millis() {
        return Err(SilenceError::Past(text.to_owned()));
    }
    Timestamp::from_millis(at.timestamp_millis())
        .ok_or_else(|| SilenceError::Until(text.to_owned()))
}

/// The next `HH:MM` to come in `zone` after `now` (today's, or tomorrow's
/// when today's has passed); the earlier of two when the clock goes back.
fn next_local<Z: TimeZone>(
    text: &str,
    now: DateTime<Utc>,
    zone: &Z,
) -> Result<DateTime<Utc>, SilenceError> {
    let time = NaiveTime::parse_from_str(text, "%H:%M")
        .map_err(|_| SilenceError::Until(text.to_owned()))?;
    let today = now.with_timezone(zone).date_naive();
    for day in [today, today.succ_opt().unwrap_or(today)] {
        let at = zone
            .from_local_datetime(&day.and_time(time))
            .earliest()
            .ok_or_else(|| SilenceError::Gap(text.to_owned()))?
            .with_timezone(&Utc);
        if at > now {
            return Ok(at);
        }
    }
    Err(SilenceError::Until(text.to_owned()))
}

/// `alert silences` as printed: a JSON array, or a table.
#[derive(Debug)]
pub struct SilenceList {
    pub silences: Vec<Silence>,
    pub all: bool,
}

impl Serialize for SilenceList {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.silences.serialize(serializer)
    }
}

/// One silence, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Silence {
    /// 12 hex digits; any unique prefix of 4 or more names it.
    pub id: String,
    /// Label name → value; an alert matches when it has every one.
    pub matchers: Labels,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub created_by: String,
    pub reason: String,
    pub created_at: Timestamp,
    /// Who ended it before its time (`alert unsilence`).
    pub ended_by: Option<String>,
    /// `active`, `pending` (starts later) or `expired`, as of when it was read.
    pub state: SilenceState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, strum::AsRefStr, strum::Display)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum SilenceState {
    Pending,
    Active,
    Expired,
}

impl SilenceState {
    pub fn at(starts_at: Timestamp, ends_at: Timestamp, now: Timestamp) -> SilenceState {
        if now < starts_at {
            SilenceState::Pending
        } else if now < ends_at {
            SilenceState::Active
        } else {
            SilenceState::Expired
        }
    }
}

impl Silence {
    /// A silence from now until `ends_at`.
    pub fn new(matchers: Labels, ends_at: Timestamp, by: &str, reason: &str) -> Silence {
        let now = Timestamp::now();
        let text = matchers_text(&matchers);
        Silence {
            id: alert_id(&format!("silence {text}"), now.to_datetime()),
            matchers,
            starts_at: now,
            ends_at,
            created_by: by.to_owned(),
            reason: reason.to_owned(),
            created_at: now,
            ended_by: None,
            state: SilenceState::at(now, ends_at, now),
        }
    }

    /// Whether every matcher holds for `alert`'s labels.
    pub fn matches(&self, alert: &Alert) -> bool {
        let labels = alert.full_labels();
        self.matchers
            .iter()
            .all(|(name, value)| labels.get(name) == Some(value))
    }

    /// Why an alert it matches is held back, as `alert list` shows it.
    pub fn hold_reason(&self) -> String {
        format!(
            "silence {} by {} until {}: {}",
            self.id, self.created_by, self.ends_at, self.reason
        )
    }
}

/// `name="value",…`, in name order.
pub fn matchers_text(matchers: &Labels) -> String {
    let each: Vec<String> = matchers
        .iter()
        .map(|(name, value)| format!("{name}={value:?}"))
        .collect();
    each.join(",")
}

impl fmt::Display for Silence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "silence {} {{{}}} {} until {}",
            self.id,
            matchers_text(&self.matchers),
            self.state,
            self.ends_at
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Severity;
    use serde_json::Map;

    fn alert() -> Alert {
        let mut labels = Labels::new();
        labels.insert("check".into(), "database".into());
        labels.insert("instance".into(), "web1".into());
        Alert::new("database_failure", Severity::Error, "down", Map::new())
            .and_then(|a| a.with_labels(labels))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn silence(pairs: &[(&str, &str)]) -> Silence {
        let matchers = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let now = Timestamp::now();
        Silence::new(
            matchers,
            now.plus(std::time::Duration::from_secs(60)),
            "alice",
            "upgrade",
        )
    }

    #[test]
    fn every_matcher_must_hold() {
        let a = alert();
        assert!(silence(&[("check", "database")]).matches(&a));
        assert!(silence(&[("alertname", "database_failure")]).matches(&a));
        assert!(silence(&[("check", "database"), ("instance", "web1")]).matches(&a));
        assert!(silence(&[("severity", "error")]).matches(&a));
        assert!(!silence(&[("check", "database"), ("instance", "web2")]).matches(&a));
        assert!(!silence(&[("service", "billing")]).matches(&a));
    }

    #[test]
    fn a_silence_is_pending_then_active_then_expired() {
        let start = Timestamp::now();
        let end = start.plus(std::time::Duration::from_secs(60));
        let before = Timestamp::from_millis(start.millis() - 1).unwrap_or(start);
        assert_eq!(SilenceState::at(start, end, before), SilenceState::Pending);
        assert_eq!(SilenceState::at(start, end, start), SilenceState::Active);
        assert_eq!(SilenceState::at(start, end, end), SilenceState::Expired);
    }

    #[test]
    fn matchers_come_from_check_type_and_each_match() {
        let m = matchers(
            Some("database"),
            Some("database_failure"),
            &["instance=web1".to_owned()],
        );
        let expected: Labels = [
            ("alertname", "database_failure"),
            ("check", "database"),
            ("instance", "web1"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(m, Ok(expected));
        assert_eq!(
            matchers(None, None, &["instance".to_owned()]),
            Err(SilenceError::Shape("instance".into()))
        );
        assert_eq!(
            matchers(None, None, &["1x=a".to_owned()]),
            Err(SilenceError::Name("1x".into()))
        );
        assert_eq!(
            matchers(Some("cache"), None, &["check=database".to_owned()]),
            Err(SilenceError::Twice("check".into()))
        );
    }

    #[test]
    fn until_takes_rfc3339_or_the_next_local_time() {
        let now = DateTime::parse_from_rfc3339("2031-05-06T07:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{e}"));
        let ends = |until: &str| ends_at(None, Some(until), now).map(|t| t.to_string());
        assert_eq!(
            ends("2031-05-06T09:00:00+01:00"),
            Ok("2031-05-06T08:00:00.000Z".into())
        );
        assert_eq!(
            ends("2031-05-06T07:00:00Z"),
            Err(SilenceError::Past("2031-05-06T07:00:00Z".into()))
        );
        assert_eq!(
            ends("tomorrow"),
            Err(SilenceError::Until("tomorrow".into()))
        );
        assert_eq!(
            ends_at(Some(Duration::from_secs(7200)), None, now).map(|t| t.to_string()),
            Ok("2031-05-06T09:30:00.000Z".into())
        );
        let utc = |text: &str| next_local(text, now, &Utc).map(|t| t.to_rfc3339());
        assert_eq!(utc("08:15"), Ok("2031-05-06T08:15:00+00:00".into()));
        assert_eq!(utc("07:00"), Ok("2031-05-07T07:00:00+00:00".into()));
        assert_eq!(utc("25:00"), Err(SilenceError::Until("25:00".into())));
    }

    /// Found with the `silence` fuzz target: a time a fraction of a
    /// millisecond after now made a silence that ended as it began.
    #[test]
    fn until_within_the_current_millisecond_is_past() {
        let now = DateTime::from_timestamp(0, 0).unwrap_or_default();
        let until = "1970-01-01T00:00:00.0005Z";
        assert_eq!(
            ends_at(None, Some(until), now),
            Err(SilenceError::Past(until.into()))
        );
        assert_eq!(
            ends_at(None, Some("1970-01-01T00:00:00.001Z"), now).map(Timestamp::millis),
            Ok(1)
        );
    }

    #[test]
    fn its_hold_reason_names_it_who_and_why() {
        let s = silence(&[("check", "database")]);
        assert_eq!(
            s.hold_reason(),
            format!("silence {} by alice until {}: upgrade", s.id, s.ends_at)
        );
    }
}
