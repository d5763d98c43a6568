//! `[[maintenance]]`: recurring windows in which the named checks' alerts
//! are held back, as a silence holds them. The start is a wall-clock time
//! in an IANA zone, so "02:00 Europe/Paris" stays 02:00 there across
//! daylight-saving changes; the duration is elapsed time.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use toml::de::{DeTable, DeValue};

use super::{Field, Parser, Value};
use crate::config::Reader;
use crate::config::parse::parse_duration;

/// The keys a `[[maintenance]]` table may have.
const FIELDS: &str = "name, checks, weekdays, start, duration, timezone";

/// One recurring window.
#[derive(Debug, Clone, PartialEq)]
pub struct MaintenanceWindow {
    pub name: String,
    /// The checks (or services) it covers, by the names written; `None`: all.
    pub checks: Option<Vec<String>>,
    /// The days it starts on; every day when empty.
    pub weekdays: Vec<Weekday>,
    pub start: NaiveTime,
    pub duration: Duration,
    pub zone: TimeZone,
}

/// The window of `windows` that covers `check` (or `service`) at `at`, and
/// when that occurrence of it ends: one rule for the alerts it holds back
/// and the runs it marks.
pub fn active_window<'a>(
    windows: &'a [MaintenanceWindow],
    check: &str,
    service: Option<&str>,
    at: DateTime<Utc>,
) -> Option<(&'a MaintenanceWindow, DateTime<Utc>)> {
    windows
        .iter()
        .filter(|w| w.covers(check, service))
        .find_map(|w| Some((w, w.active_at(at)?)))
}

impl MaintenanceWindow {
    /// When the occurrence of the window that covers `at` ends, if one does.
    pub fn active_at(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local_day = self.local_day(at)?;
        // A window that started on an earlier day may still be on.
        let days_back = self.duration.as_secs() / 86_400 + 1;
        (0..=days_back).find_map(|back| {
            let day = local_day.checked_sub_days(chrono::Days::new(back))?;
            let start = self.start_on(day)?;
            let end = start + chrono::Duration::from_std(self.duration).ok()?;
            (start <= at && at < end).then_some(end)
        })
    }

    /// When its next occurrence starts at or after `at` (within a week and a day).
    pub fn next_start(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local_day = self.local_day(at)?;
        (0..=8).find_map(|ahead| {
            let day = local_day.checked_add_days(chrono::Days::new(ahead))?;
            self.start_on(day).filter(|s| *s >= at)
        })
    }

    /// When it starts on the local `day`, if it starts that day.
    fn start_on(&self, day: NaiveDate) -> Option<DateTime<Utc>> {
        if !self.weekdays.is_empty() && !self.weekdays.contains(&day.weekday()) {
            return None;
        }
        self.starts(day.and_time(self.start))
    }

    /// The instant a window starting at `local` starts: the earlier one when
    /// the clock goes back; when it skips that time (spring forward), the
    /// first instant after the gap.
    fn starts(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        (0..=2).find_map(|hours| self.earliest(local + chrono::Duration::hours(hours)))
    }

    /// The date on the window's clocks at `at`.
    fn local_day(&self, at: DateTime<Utc>) -> Option<NaiveDate> {
        let instant = jiff::Timestamp::new(at.timestamp(), 0).ok()?;
        let day = self.zone.to_datetime(instant).date();
        NaiveDate::from_ymd_opt(
            i32::from(day.year()),
            u32::try_from(day.month()).ok()?,
            u32::try_from(day.day()).ok()?,
        )
    }

    /// The earlier instant the window's clocks read `local` at; none when
    /// they skip it.
    fn earliest(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let civil = jiff::civil::DateTime::new(
            i16::try_from(local.year()).ok()?,
            i8::try_from(local.month()).ok()?,
            i8::try_from(local.day()).ok()?,
            i8::try_from(local.hour()).ok()?,
            i8::try_from(local.minute()).ok()?,
            i8::try_from(local.second()).ok()?,
            0,
        )
        .ok()?;
        let ambiguous = self.zone.to_ambiguous_timestamp(civil);
        if let AmbiguousOffset::Gap { .. } = ambiguous.offset() {
            return None;
        }
        let instant = ambiguous.earlier().ok()?;
        DateTime::from_timestamp(instant.as_second(), 0)
    }

    /// Whether it covers alerts of `check` (a canonical name) or of `service`.
    pub fn covers(&self, check: &str, service: Option<&str>) -> bool {
        self.checks.as_ref().is_none_or(|names| {
            names
                .iter()
                .any(|n| n == check || Some(n.as_str()) == service)
        })
    }
}

impl fmt::Display for MaintenanceWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = if self.weekdays.is_empty() {
            "daily".to_owned()
        } else {
            let each: Vec<String> = self.weekdays.iter().map(ToString::to_string).collect();
            each.join(", ")
        };
        write!(
            f,
            "maintenance window {:?} ({days} {} {} for {})",
            self.name,
            self.start.format("%H:%M"),
            self.zone.iana_name().unwrap_or("(unnamed zone)"),
            humantime::format_duration(self.duration)
        )
    }
}

/// The file `VITALS_CONFIG` names, or `./vitals.toml` when it exists.
pub fn path(r: &mut Reader<'_>) -> Option<PathBuf> {
    if r.raw("VITALS_CONFIG").is_some() {
        return r.existing_file("VITALS_CONFIG");
    }
    let default = PathBuf::from(r.default("VITALS_CONFIG")?);
    default.is_file().then_some(default)
}

impl Parser<'_> {
    pub(super) fn windows_of(&mut self, value: &Value<'_>) {
        let DeValue::Array(items) = value.get_ref() else {
            self.fail(
                value.span().start,
                "maintenance: expected [[maintenance]] tables".to_owned(),
            );
            return;
        };
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(table) => self.maintenance(i + 1, table, item.span().start),
                other => self.fail(
                    item.span().start,
                    format!(
                        "maintenance #{}: expected a table, got {}",
                        i + 1,
                        other.type_str()
                    ),
                ),
            }
        }
    }

    fn maintenance(&mut self, number: usize, table: &DeTable<'_>, at: usize) {
        let before = self.errors.len();
        let context = match table.iter().find(|(k, _)| k.get_ref() == "name") {
            Some((_, v)) => match v.get_ref() {
                DeValue::String(s) => format!("maintenance {s:?}"),
                _ => format!("maintenance #{number}"),
            },
            None => format!("maintenance #{number}"),
        };
        let mut name = format!("#{number}");
        let mut checks = None;
        let mut weekdays = Vec::new();
        let (mut start, mut duration, mut zone) = (None, None, None);
        for (key, value) in table {
            let field = key.get_ref().as_ref();
            let f = Field {
                context: &context,
                field,
                value,
            };
            match field {
                "name" => {
                    if let Some(n) = self.non_empty_string(&f) {
                        name = n;
                    }
                }
                "checks" => checks = self.covered(&f),
                "weekdays" => weekdays = self.weekdays(&f),
                "start" => {
                    start = self.string(&f).and_then(|s| {
                        NaiveTime::parse_from_str(s.trim(), "%H:%M")
                            .map_err(|_| {
                                self.field_error(&f, format!("expected HH:MM, got {s:?}"));
                            })
                            .ok()
                    });
                }
                "duration" => {
                    duration = self.string(&f).and_then(|s| match parse_duration(s) {
                        Ok(d) if d > Duration::ZERO => Some(d),
                        _ => {
                            self.field_error(
                                &f,
                                format!("expected a duration such as 2h, got {s:?}"),
                            );
                            None
                        }
                    });
                }
                "timezone" => {
                    zone = self.string(&f).and_then(|s| {
                        jiff::tz::db()
                            .get(s.trim())
                            .map_err(|_| {
                                self.field_error(
                                    &f,
                                    format!("expected an IANA time zone such as Europe/Paris or UTC, got {s:?}"),
                                );
                            })
                            .ok()
                    });
                }
                other => self.fail(
                    key.span().start,
                    format!("{context}: unknown field {other:?} (expected one of: {FIELDS})"),
                ),
            }
        }
        for (missing, given) in [
            (
                "checks (a list of check names, or \"all\")",
                table.iter().any(|(k, _)| k.get_ref() == "checks"),
            ),
            (
                "start (HH:MM)",
                start.is_some() || table.iter().any(|(k, _)| k.get_ref() == "start"),
            ),
            (
                "duration",
                duration.is_some() || table.iter().any(|(k, _)| k.get_ref() == "duration"),
            ),
            (
                "timezone (an IANA zone such as Europe/Paris)",
                zone.is_some() || table.iter().any(|(k, _)| k.get_ref() == "timezone"),
            ),
        ] {
            if !given {
                self.fail(at, format!("{context}: {missing}: missing"));
            }
        }
        if self.errors.len() > before {
            return;
        }
        if let (Some(start), Some(duration), Some(zone)) = (start, duration, zone) {
            self.windows.push(MaintenanceWindow {
                name,
                checks,
                weekdays,
                start,
                duration,
                zone,
            });
        }
    }

    /// `"all"`, or a non-empty list of names.
    fn covered(&mut self, f: &Field<'_, '_, '_>) -> Option<Vec<String>> {
        let expected = "expected \"all\" or a list of check names, such as [\"database\"]";
        match f.value.get_ref() {
            DeValue::String(s) if s.trim() == "all" => None,
            DeValue::Array(items) if !items.is_empty() => {
                let names: Vec<String> = items
                    .iter()
                    .filter_map(|item: &Value<'_>| match item.get_ref() {
                        DeValue::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
                        _ => None,
                    })
                    .collect();
                if names.len() != items.len() {
                    self.field_error(f, expected.to_owned());
                }
                Some(names)
            }
            _ => {
                self.field_error(f, expected.to_owned());
                Some(Vec::new())
            }
        }
    }

    fn weekdays(&mut self, f: &Field<'_, '_, '_>) -> Vec<Weekday> {
        let expected = "expected a list of days such as [\"sat\", \"sun\"]";
        let DeValue::Array(items) = f.value.get_ref() else {
            self.field_error(f, expected.to_owned());
            return Vec::new();
        };
        let mut days = Vec::new();
        for item in items {
            match item.get_ref() {
                DeValue::String(s) => match s.trim().parse::<Weekday>() {
                    Ok(day) if !days.contains(&day) => days.push(day),
                    Ok(_) => {}
                    Err(_) => self.fail(
                        item.span().start,
                        format!(
                            "{}: weekdays: {s:?} is not a day (mon, tue, … sun)",
                            f.context
                        ),
                    ),
                },
                _ => self.field_error(f, expected.to_owned()),
            }
        }
        days
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(weekdays: Vec<Weekday>, start: &str, hours: u64) -> MaintenanceWindow {
        MaintenanceWindow {
            name: "backup".into(),
            checks: None,
            weekdays,
            start: NaiveTime::parse_from_str(start, "%H:%M").unwrap_or_default(),
            duration: Duration::from_secs(hours * 3600),
            zone: jiff::tz::db().get("Europe/Paris").unwrap(),
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn a_window_keeps_its_local_time_across_daylight_saving() {
        // Paris goes from UTC+1 to UTC+2 on Sunday 30 March 2031 at 02:00.
        let w = window(Vec::new(), "01:00", 2);
        assert_eq!(
            w.active_at(utc("2031-03-28T00:30:00Z")),
            Some(utc("2031-03-28T02:00:00Z"))
        );
        assert_eq!(w.active_at(utc("2031-03-27T23:30:00Z")), None);
        // After the change, 01:00 in Paris is 23:00 UTC the day before.
        assert_eq!(
            w.active_at(utc("2031-03-30T23:30:00Z")),
            Some(utc("2031-03-31T01:00:00Z"))
        );
        assert_eq!(w.active_at(utc("2031-03-31T01:30:00Z")), None);
    }

    #[test]
    fn a_start_the_clock_skips_begins_after_the_gap_and_weekdays_count() {
        // 02:30 does not exist in Paris on 30 March 2031: the window starts at 03:30 local.
        let w = window(vec![Weekday::Sun], "02:30", 1);
        assert_eq!(w.active_at(utc("2031-03-30T01:00:00Z")), None);
        assert_eq!(
            w.active_at(utc("2031-03-30T01:45:00Z")),
            Some(utc("2031-03-30T02:30:00Z"))
        );
        // Not on a Saturday, and a window crossing midnight covers the next day.
        assert_eq!(w.active_at(utc("2031-03-29T01:45:00Z")), None);
        let night = window(vec![Weekday::Sat], "23:00", 3);
        assert_eq!(
            night.active_at(utc("2031-03-30T00:30:00Z")),
            Some(utc("2031-03-30T01:00:00Z"))
        );
    }
}
