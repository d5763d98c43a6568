//! vitals: health checks and alert routing for a platform's dependencies.
//!
//! The library holds everything; `main.rs` only parses the command line and
//! hands it to [`commands::run`]. docs/ARCHITECTURE.md maps the modules and
//! the rules between them (`tests/architecture.rs` enforces the rules).

pub mod alerts;
pub mod checks;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod error;
pub mod exit;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod history;
pub mod json;
pub mod logging;
pub mod metrics;
pub mod net;
pub mod output;
pub mod recording;
pub mod redact;
pub mod runtime;
pub mod serve;
pub mod settings;
pub mod status;
pub mod store;
pub mod text;
