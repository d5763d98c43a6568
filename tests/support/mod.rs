//! Test support: a runner for the real `vitals` binary and throwaway servers.
//!
//! Every server lives in its own temp dir on a free port and is killed by a
//! watchdog if the test process dies, so nothing outlives `cargo test`.
//!
//! Rules for the tests built on it:
//! - A test that cannot run here fails and says why; it never `return`s early
//!   and reports a pass. What CI has (root, PostgreSQL, Redis, Python with
//!   aiosmtpd, as ./scripts/test.sh installs) is a prerequisite, not a reason
//!   to skip: the two store-fault tests that mount a tmpfs need root and fail
//!   without it. A test that truly cannot run anywhere the suite runs is
//!   `#[ignore = "why"]`.
//! - Wait for a condition, never for a fixed time: [`process::wait_for`] polls
//!   with a deadline; [`cmd::Test::run_interrupted`] sends SIGINT/SIGTERM once
//!   the program has its handler installed and the test's condition holds (a
//!   stand-in server saw the connection), never after a guessed delay. A
//!   stand-in server that is slow on purpose (`Reply::Slowloris`, a `delay`) is
//!   behaviour under test, not a wait.
//! - Assert exact values where they are knowable: compare with what the
//!   server itself reports (`SHOW server_version`, `INFO`), and check
//!   timestamps with [`cmd::Outcome::timestamp`] (format, and taken during the run).

#![allow(dead_code)] // not every test module uses every helper

#[macro_use]
pub mod alerts;
pub mod alertmanager;
pub mod browser;
pub mod certs;
pub mod cmd;
pub mod http;
pub mod net;
pub mod postgres;
pub(crate) mod process;
pub mod redis;
pub mod serve;
pub mod smtp;

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// 32 hex chars, unique per call: passwords and database names.
/// `RandomState` is randomly keyed per process and per instance, so no `rand` crate is needed.
pub fn random_token() -> String {
    let half = || RandomState::new().hash_one(0u8);
    format!("{:016x}{:016x}", half(), half())
}

/// Percent-encodes a URL userinfo part, so tests may use passwords with `@`, `:` or `/`.
pub fn encode_userinfo(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Keys of a JSON object, in order.
pub fn keys(value: &serde_json::Value) -> Vec<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

/// The instant the history tests' runs are recorded around.
pub fn t0() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
        .expect("t0")
        .to_utc()
}

/// Milliseconds since the epoch as vitals' JSON writes a time: RFC 3339,
/// UTC, to the millisecond.
pub fn utc_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .expect("a time")
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
