//! The wall clock. Every reading of the time of day in vitals goes through
//! [`now`]; how long something took is measured with `Instant`, which this
//! clock does not touch.
//!
//! Built with the cargo feature `test-clock` (the test suite's build), the
//! binary honours `VITALS_NOW`: an RFC 3339 instant the clock starts at when
//! the process starts, and from which it advances in real time, so a test
//! can put a run hours after another without sleeping. The production build
//! has no such variable. CONTRIBUTING.md shows how tests use it.

use std::time::SystemTime;

use chrono::{DateTime, Utc};

/// `VITALS_NOW` holds something other than an RFC 3339 instant.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClockError {
    #[error("VITALS_NOW: expected an RFC 3339 time such as 2026-11-28T07:41:37Z, got {value:?}")]
    Malformed {
        value: String,
        #[source]
        source: chrono::ParseError,
    },
    #[error("VITALS_NOW: the value is not valid UTF-8")]
    NotUnicode,
}

/// Reads `VITALS_NOW` (in a `test-clock` build) before anything asks for the
/// time, so that a malformed value stops the command instead of being ignored.
pub fn init() -> Result<(), ClockError> {
    #[cfg(feature = "test-clock")]
    {
        if let Err(e) = fake::start() {
            return Err(e.clone());
        }
    }
    Ok(())
}

/// The time of day.
pub fn now() -> DateTime<Utc> {
    #[cfg(feature = "test-clock")]
    {
        if let Ok(Some((at, started))) = fake::start() {
            return *at + started.elapsed();
        }
    }
    Utc::now()
}

/// The time of day as the standard library counts it.
pub fn system_time() -> SystemTime {
    now().into()
}

#[cfg(feature = "test-clock")]
mod fake {
    use std::sync::OnceLock;
    use std::time::Instant;

    use chrono::{DateTime, Utc};

    use super::ClockError;

    type Start = Result<Option<(DateTime<Utc>, Instant)>, ClockError>;

    /// `VITALS_NOW` and the instant it was read, read once per process.
    pub fn start() -> &'static Start {
        static START: OnceLock<Start> = OnceLock::new();
        START.get_or_init(|| {
            let value = match std::env::var("VITALS_NOW") {
                Ok(value) => value,
                Err(std::env::VarError::NotPresent) => return Ok(None),
                Err(std::env::VarError::NotUnicode(_)) => return Err(ClockError::NotUnicode),
            };
            match DateTime::parse_from_rfc3339(value.trim()) {
                Ok(at) => Ok(Some((at.with_timezone(&Utc), Instant::now()))),
                Err(source) => Err(ClockError::Malformed { value, source }),
            }
        })
    }
}
