//! One integration-test binary (one link instead of one per file).

// clippy allows unwrap/expect in tests, but not in the helpers under
// tests/support/, which only tests use.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod support;

mod alerts_cli;
mod alerts_email;
mod alerts_hooks;
mod alerts_http;
mod alerts_hygiene;
mod alerts_lifecycle;
mod alerts_store;
mod alerts_trust;
mod architecture;
mod check_agents;
mod check_all;
mod check_cache;
mod check_db;
mod check_max_age;
mod check_services;
mod cli;
mod clock;
mod config_scope;
mod config_validate;
mod critical_services;
mod declared_checks;
mod declared_hygiene;
mod declared_net;
mod declared_services;
mod docs;
mod faults;
mod formats;
mod golden;
mod harness;
mod history;
mod hostile;
mod judgement;
mod messages;
mod recipes;
mod secrets;
mod serve;
mod serve_lead;
mod smtp_manners;
mod store_faults;
mod truth_cli;
mod truth_config;
