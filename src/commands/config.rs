//! `vitals config validate`: every variable group as configured, not
//! configured or invalid, with secrets hidden.

use crate::config::validate::{self, Verdict};
use crate::config::{Loaded, ProcessEnv};
use crate::exit::Exit;
use crate::output::Output;

pub fn validate(loaded: Loaded, out: &Output) -> anyhow::Result<Exit> {
    let report = validate::build(loaded, &ProcessEnv);
    out.emit(&report)?;
    Ok(exit(report.result))
}

/// 0 valid, 1 with warnings, 2 with errors.
fn exit(verdict: Verdict) -> Exit {
    match verdict {
        Verdict::Valid => Exit::Ok,
        Verdict::Warnings => Exit::Warning,
        Verdict::Errors => Exit::Critical,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_verdict() {
        assert_eq!(exit(Verdict::Valid), Exit::Ok);
        assert_eq!(exit(Verdict::Warnings), Exit::Warning);
        assert_eq!(exit(Verdict::Errors), Exit::Critical);
    }
}
