//! `vitals config validate`: every variable group as configured, not
//! configured or invalid, with secrets hidden.

use crate::config::validate::{self, Verdict};
use crate::config::{Loaded, ProcessEnv};
use crate::exit::Exit;
use crate::output::Output;

pub fn validate(loaded: Loaded, out: &Output) -> anyhow::Result<Exit> {
    let report = validate::build(loaded, &ProcessEnv);
    out.emit(&report)?;
    Ok(match report.result {
        Verdict::Valid => Exit::Ok,
        Verdict::Warnings => Exit::Warning,
        Verdict::Errors => Exit::Critical,
    })
}
