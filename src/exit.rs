//! Process exit codes, in the Nagios/Icinga plugin convention so vitals can be a plugin.

/// What a command's run came to.
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
/// texts can `concat!` it after their examples. No line is longer than 79
/// characters: clap wraps longer ones on an 80-column terminal without
/// their indentation.
#[macro_export]
macro_rules! exit_codes_help {
    () => {
        "Exit codes (Nagios/Icinga plugin convention):
  0  OK        everything healthy / every alert delivered / config valid
  1  WARNING   something degraded / a delivery partly failed / config warnings
  2  CRITICAL  something unhealthy / no delivery succeeded / config errors
  3  UNKNOWN   usage error, unreadable configuration, nothing configured,
               internal error"
    };
}
