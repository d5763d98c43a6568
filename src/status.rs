//! The health vocabulary shared by every check, and the process exit codes it maps to.

use serde::{Deserialize, Serialize};

/// Health of one check (or of everything, for `overall_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Healthy,
    Degraded,
    Unhealthy,
    Unconfigured,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Healthy => "healthy",
            Status::Degraded => "degraded",
            Status::Unhealthy => "unhealthy",
            Status::Unconfigured => "unconfigured",
        }
    }

    /// Rank for "worst of": an unconfigured check never outranks a configured one.
    fn rank(self) -> u8 {
        match self {
            Status::Unconfigured => 0,
            Status::Healthy => 1,
            Status::Degraded => 2,
            Status::Unhealthy => 3,
        }
    }

    /// The worse of two statuses.
    pub fn worst(self, other: Status) -> Status {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    /// Worst of many; `Unconfigured` when there is nothing (or nothing configured).
    pub fn worst_of(statuses: impl IntoIterator<Item = Status>) -> Status {
        statuses
            .into_iter()
            .fold(Status::Unconfigured, Status::worst)
    }

    pub fn exit(self) -> Exit {
        match self {
            Status::Healthy => Exit::Ok,
            Status::Degraded => Exit::Warning,
            Status::Unhealthy => Exit::Critical,
            Status::Unconfigured => Exit::Unknown,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Process exit codes, in the Nagios/Icinga plugin convention so vitals can be a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// The exit-code table, shown in `--help` and the README. A macro, so help
/// texts can `concat!` it after their examples.
#[macro_export]
macro_rules! exit_codes_help {
    () => {
        "Exit codes (Nagios/Icinga plugin convention):
  0  OK        everything checked is healthy / every alert delivered / config valid
  1  WARNING   something degraded / a delivery partly failed / config has warnings
  2  CRITICAL  something unhealthy / no delivery succeeded / config has errors
  3  UNKNOWN   usage error, unreadable configuration, nothing configured, internal error"
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_ignores_unconfigured() {
        assert_eq!(
            Status::worst_of([Status::Unconfigured, Status::Healthy]),
            Status::Healthy
        );
        assert_eq!(
            Status::worst_of([Status::Degraded, Status::Unconfigured, Status::Healthy]),
            Status::Degraded
        );
        assert_eq!(
            Status::worst_of([Status::Unhealthy, Status::Degraded]),
            Status::Unhealthy
        );
        assert_eq!(Status::worst_of([]), Status::Unconfigured);
    }

    #[test]
    fn exit_codes_follow_nagios() {
        assert_eq!(Status::Healthy.exit().code(), 0);
        assert_eq!(Status::Degraded.exit().code(), 1);
        assert_eq!(Status::Unhealthy.exit().code(), 2);
        assert_eq!(Status::Unconfigured.exit().code(), 3);
    }

    #[test]
    fn serializes_lowercase() {
        assert_eq!(
            serde_json::to_string(&Status::Unhealthy).ok().as_deref(),
            Some("\"unhealthy\"")
        );
    }
}
