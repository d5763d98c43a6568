//! One integration-test binary (one link instead of one per file).

mod support;

mod alerts_cli;
mod alerts_email;
mod alerts_http;
mod alerts_lifecycle;
mod alerts_store;
mod check_agents;
mod check_all;
mod check_cache;
mod check_db;
mod check_services;
mod cli;
mod config_validate;
mod docs;
mod faults;
mod formats;
mod harness;
mod hostile;
mod recipes;
mod secrets;
mod store_faults;
