//! The RQ registry (`AGENT_REGISTRY_URL=redis…`): each worker hash's
//! `state`, `last_heartbeat` and `birth` as a Redis server returns them,
//! and the queue counts. Properties: a worker's state follows its fields
//! (expired hash or stale heartbeat: offline; RQ's states; anything else:
//! error); times RQ writes read back exactly; queue counts add up without
//! overflow, whatever a server answers.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::{rq_queues, rq_time, rq_worker};

#[derive(Arbitrary, Debug)]
enum Heartbeat {
    /// Seconds before now, written as RQ writes it.
    Age(i32, u32, bool),
    Text(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    now: i64,
    max_age: u32,
    state: Option<String>,
    heartbeat: Option<Heartbeat>,
    birth: Option<String>,
    counts: Vec<u64>,
}

fuzz_target!(|input: Input| {
    // Between 1970 and 2100, as a clock says.
    let now = input.now.rem_euclid(4_102_444_800);
    let Some(now) = DateTime::<Utc>::from_timestamp(now, 0) else {
        return;
    };
    let max_age = Duration::from_secs(u64::from(input.max_age % 86_400) + 1);
    let mut age = None;
    let heartbeat = input.heartbeat.map(|h| match h {
        Heartbeat::Age(secs, micros, fraction) => {
            let at = now
                - chrono::Duration::seconds(i64::from(secs))
                - chrono::Duration::microseconds(i64::from(micros % 1_000_000));
            let text = if fraction {
                at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
            } else {
                at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            };
            let read = rq_time(&text);
            assert!(read.is_some(), "{text:?}");
            age = read.map(|r| now - r);
            text
        }
        Heartbeat::Text(text) => {
            if let Some(t) = rq_time(&text) {
                assert!(text.ends_with('Z'), "{text:?}");
                age = Some(now - t);
            }
            text
        }
    });
    let expired = input.state.is_none() && heartbeat.is_none() && input.birth.is_none();
    let stale = age.is_some_and(|a| a.to_std().is_ok_and(|a| a > max_age));
    let got = rq_worker(input.state.clone(), heartbeat, input.birth, now, max_age);
    let expected = if expired || stale {
        "offline"
    } else {
        match input.state.as_deref() {
            Some("started" | "idle") => "idle",
            Some("busy") => "busy",
            Some("suspended") => "offline",
            _ => "error",
        }
    };
    assert_eq!(got, expected);

    let counts = rq_queues(&input.counts);
    let whole = input.counts.len() / 4 * 4;
    let sum = |k: usize| {
        input.counts[..whole]
            .iter()
            .skip(k)
            .step_by(4)
            .fold(0u64, |a, n| a.saturating_add(*n))
    };
    assert_eq!(counts.pending, sum(0));
    assert_eq!(counts.active, sum(1));
    assert_eq!(counts.completed, sum(2));
    assert_eq!(counts.failed, Some(sum(3)));
});
