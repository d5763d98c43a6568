//! The orchestrator's status document (`AGENT_REGISTRY_URL=http…`), read
//! as `check agents` reads it. Properties: a document is counted (every
//! listed agent once, the task counts as written) or refused with a short
//! reason; an agent with a stale heartbeat is offline.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vitals::fuzzing::agents_status;

fuzz_target!(|data: &[u8]| {
    let Some((&fresh, body)) = data.split_first() else {
        return;
    };
    let fresh = fresh & 1 == 1;
    match agents_status(body, fresh) {
        Ok(counts) => {
            let doc: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let listed = doc["agents"].as_array().map_or(0, Vec::len) as u64;
            assert_eq!(
                counts.idle + counts.busy + counts.error + counts.offline,
                listed
            );
            assert_eq!(Some(counts.pending), doc["tasks"]["pending"].as_u64());
            assert_eq!(Some(counts.active), doc["tasks"]["active"].as_u64());
            assert_eq!(Some(counts.completed), doc["tasks"]["completed"].as_u64());
            assert_eq!(counts.failed, doc["tasks"]["failed"].as_u64());
            if !fresh {
                let beating = doc["agents"].as_array().map_or(0, |a| {
                    a.iter().filter(|a| a["last_heartbeat"].is_string()).count()
                });
                assert!(counts.offline >= beating as u64);
            }
        }
        Err(problem) => assert!(
            !problem.is_empty() && problem.chars().count() < 300,
            "{problem}"
        ),
    }
});
