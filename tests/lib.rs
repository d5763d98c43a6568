//! One integration-test binary (one link instead of one per file).

mod support;

mod check_all;
mod check_cache;
mod check_db;
mod check_services;
mod cli;
mod config_validate;
mod harness;
mod secrets;
