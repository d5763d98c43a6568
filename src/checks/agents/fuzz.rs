//! Property tests over what registries send (`fuzz/run` runs them at scale;
//! the case count comes from `PROPTEST_CASES`).

use super::*;
use proptest::prelude::*;
use serde_json::json;

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z_0-9:.+-]{0,30}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{0,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Documents close to the contract, with a wrong part now and then.
fn status_doc() -> impl Strategy<Value = Value> {
    let state = prop_oneof![
        4 => prop::sample::select(vec!["idle", "busy", "error", "offline"]).prop_map(Value::from),
        1 => any_json(),
    ];
    let heartbeat = prop_oneof![
        Just(None),
        Just(Some(Value::Null)),
        Just(Some(Value::from("2026-11-28T07:41:37Z"))),
        any_json().prop_map(Some),
    ];
    let agent = (
        prop_oneof![4 => "[a-z0-9]{1,8}".prop_map(Value::from), 1 => any_json()],
        state,
        heartbeat,
    )
        .prop_map(|(id, state, hb)| {
            let mut a = json!({"id": id, "state": state});
            if let (Some(hb), Some(map)) = (hb, a.as_object_mut()) {
                map.insert("last_heartbeat".into(), hb);
            }
            a
        });
    let count = prop_oneof![4 => any::<u32>().prop_map(Value::from), 1 => any_json()];
    (
        prop::collection::vec(agent, 0..12),
        count.clone(),
        count.clone(),
        count.clone(),
        prop::option::of(count),
    )
        .prop_map(|(agents, p, a, c, f)| {
            let mut tasks = json!({"pending": p, "active": a, "completed": c});
            if let (Some(f), Some(map)) = (f, tasks.as_object_mut()) {
                map.insert("failed".into(), f);
            }
            json!({"agents": agents, "tasks": tasks})
        })
}

fn agents(max_age: u64) -> Agents {
    Agents {
        registry: None,
        heartbeat_max_age: Duration::from_secs(max_age),
        queue_degraded_threshold: 100,
        redis_password: None,
        trust: Trust::new(None),
    }
}

proptest! {
    #[test]
    fn any_status_document_is_counted_or_refused(doc in prop_oneof![any_json(), status_doc()], fresh in any::<bool>()) {
        match parse_status(&doc, |_| fresh) {
            Ok(census) => {
                let listed = doc["agents"].as_array().map_or(0, Vec::len) as u64;
                prop_assert_eq!(census.agents.total(), listed);
                prop_assert_eq!(Some(census.pending), doc["tasks"]["pending"].as_u64());
                if !fresh {
                    // Without a heartbeat an agent's own state stands.
                    prop_assert!(census.agents.offline >= doc["agents"].as_array().map_or(0, |a| a.iter().filter(|a| a.get("last_heartbeat").is_some_and(Value::is_string)).count()) as u64);
                }
            }
            Err(problem) => prop_assert!(!problem.is_empty() && problem.len() < 200, "{problem}"),
        }
    }

    #[test]
    fn rq_times_round_trip(secs in 0i64..4_102_444_800, micros in 0u32..1_000_000, fraction in any::<bool>()) {
        let Some(t) = DateTime::from_timestamp(secs, micros * 1000) else { return Ok(()) };
        let (text, expected) = if fraction {
            (t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(), t)
        } else {
            (t.format("%Y-%m-%dT%H:%M:%SZ").to_string(), DateTime::from_timestamp(secs, 0).unwrap_or(t))
        };
        prop_assert_eq!(parse_rq_time(&text), Some(expected));
    }

    #[test]
    fn rq_times_never_panic(text in prop_oneof![any::<String>(), "[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}T[0-9:.]{0,20}Z?"]) {
        if let Some(t) = parse_rq_time(&text) {
            prop_assert!(text.ends_with('Z'));
            prop_assert!(t.timestamp() > -1_000_000_000_000);
        }
    }

    /// The worker hash as RQ leaves it, or half-written, or by something else entirely.
    #[test]
    fn rq_worker_states_follow_the_fields(
        state in prop::option::of(prop_oneof![prop::sample::select(vec!["started", "idle", "busy", "suspended"]).prop_map(str::to_owned), any::<String>()]),
        // Not 480 itself: the heartbeat is written to the microsecond,
        // so "exactly 480 s ago" reads back a hair older.
        age in prop::option::of(prop_oneof![-100i64..480, 481i64..100_000]),
        garbage_heartbeat in prop::option::of(any::<String>()),
        birth in prop::option::of(any::<String>()),
    ) {
        let now = Utc::now();
        let heartbeat = match age {
            Some(age) => Some((now - chrono::Duration::seconds(age)).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
            None => garbage_heartbeat.clone(),
        };
        let got = agents(480).rq_worker_state(state.clone(), heartbeat.clone(), birth.clone(), now);
        let expired = state.is_none() && heartbeat.is_none() && birth.is_none();
        let expected = if expired || age.is_some_and(|a| a > 480) {
            State::Offline
        } else {
            match state.as_deref() {
                Some("started" | "idle") => State::Idle,
                Some("busy") => State::Busy,
                Some("suspended") => State::Offline,
                _ => State::Error,
            }
        };
        prop_assert_eq!(got, expected);
    }
}
