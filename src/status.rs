//! The health vocabulary shared by every check, and the exit code each status maps to.

use serde::{Deserialize, Serialize};

use crate::exit::Exit;

/// Health of one check (or of everything, for `overall_status`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::AsRefStr,
    strum::Display,
    strum::EnumIter,
    strum::EnumString,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Status {
    Healthy,
    Degraded,
    /// The check could not judge: a plugin's UNKNOWN, a timeout it was told
    /// to call unknown, an internal error. Worse than degraded (someone must
    /// look), not as bad as unhealthy (nothing is known to be down).
    Unknown,
    Unhealthy,
    Unconfigured,
}

impl Status {
    /// Rank for "worst of": an unconfigured check never outranks a configured one.
    fn rank(self) -> u8 {
        match self {
            Status::Unconfigured => 0,
            Status::Healthy => 1,
            Status::Degraded => 2,
            Status::Unknown => 3,
            Status::Unhealthy => 4,
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
            Status::Unknown | Status::Unconfigured => Exit::Unknown,
        }
    }
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
    fn unknown_ranks_between_degraded_and_unhealthy() {
        assert_eq!(
            Status::worst_of([Status::Degraded, Status::Unknown, Status::Healthy]),
            Status::Unknown
        );
        assert_eq!(
            Status::worst_of([Status::Unknown, Status::Unhealthy]),
            Status::Unhealthy
        );
        assert_eq!(Status::Unknown.exit().code(), 3);
    }

    #[test]
    fn exit_codes_follow_nagios() {
        assert_eq!(Status::Healthy.exit().code(), 0);
        assert_eq!(Status::Degraded.exit().code(), 1);
        assert_eq!(Status::Unhealthy.exit().code(), 2);
        assert_eq!(Status::Unconfigured.exit().code(), 3);
    }
}
