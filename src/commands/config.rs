//! `vitals config validate`: every variable group as configured, not
//! configured or invalid, with secrets hidden.

use crate::config::{EnvFile, ProcessEnv};
use crate::exit::Exit;
use crate::output::Output;
use crate::settings::validate::{self, Verdict};

pub fn validate(env_file: Option<&EnvFile>, out: &Output) -> anyhow::Result<Exit> {
    let report = validate::build(&ProcessEnv, env_file);
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
