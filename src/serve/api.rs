//! The JSON the API answers, built by pure functions: the `check all`
//! document with `cached` and `age_seconds` beside its `timestamp`, one
//! check's object, errors, and the body of an acknowledge or resolve.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::runs::Round;
use crate::checks::CheckId;
use crate::text::seconds;

/// `map` with `cached` and `age_seconds` inserted right after `timestamp`
/// (at the end when it has none).
fn with_freshness(map: Map<String, Value>, cached: bool, age: Duration) -> Map<String, Value> {
    let mut out = Map::new();
    let mut placed = false;
    for (key, value) in map {
        let after = key == "timestamp";
        out.insert(key, value);
        if after {
            out.insert("cached".to_owned(), Value::Bool(cached));
            out.insert("age_seconds".to_owned(), json!(seconds(age)));
            placed = true;
        }
    }
    if !placed {
        out.insert("cached".to_owned(), Value::Bool(cached));
        out.insert("age_seconds".to_owned(), json!(seconds(age)));
    }
    out
}

/// The parts of `/api/v1/status` that one round's answers share, as JSON
/// text: written once a round, not once a request.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusParts {
    overall_status: String,
    timestamp: String,
    duration_ms: String,
    checks: String,
}

/// `round`'s parts of the `check all --json` document.
pub fn status_parts(round: &Round) -> Result<StatusParts, serde_json::Error> {
    let report = &round.report;
    let checks: Map<String, Value> = report
        .checks
        .iter()
        .map(|(id, result)| Ok((id.key().to_owned(), serde_json::to_value(result)?)))
        .collect::<Result<_, serde_json::Error>>()?;
    Ok(StatusParts {
        overall_status: serde_json::to_string(&report.overall_status)?,
        timestamp: serde_json::to_string(&report.timestamp)?,
        duration_ms: serde_json::to_string(&report.duration_ms)?,
        checks: serde_json::to_string(&checks)?,
    })
}

/// `/api/v1/status`: the `check all --json` document, with `cached` and
/// `age_seconds` beside its `timestamp`.
pub fn status(parts: &StatusParts, cached: bool, age: Duration) -> String {
    format!(
        "{{\"overall_status\":{},\"timestamp\":{},\"cached\":{cached},\"age_seconds\":{},\"duration_ms\":{},\"checks\":{}}}",
        parts.overall_status,
        parts.timestamp,
        json!(seconds(age)),
        parts.duration_ms,
        parts.checks
    )
}

/// `/api/v1/checks/{name}`: the check's object, as `check NAME --json`
/// prints it, then the run's `timestamp`, `cached` and `age_seconds`;
/// `None` when the round has no such check.
pub fn check(round: &Round, id: CheckId, cached: bool, age: Duration) -> Option<Value> {
    let (_, result) = round.report.checks.iter().find(|(c, _)| *c == id)?;
    let Ok(Value::Object(mut map)) = serde_json::to_value(result) else {
        return Some(error("the result could not be written as JSON"));
    };
    map.insert(
        "timestamp".to_owned(),
        Value::String(round.report.timestamp.clone()),
    );
    Some(Value::Object(with_freshness(map, cached, age)))
}

/// An error answer: `{"error": "…"}`.
pub fn error(message: &str) -> Value {
    json!({ "error": message })
}

/// What an acknowledge or resolve asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRequest {
    pub by: String,
    pub note: Option<String>,
}

/// The most a name or a note may hold.
const MAX_TEXT: usize = 1024;

/// Reads `{"by": …, "note": …}`: `by` required (who acts), `note` only for a
/// resolve; both one line of text. The error names the field.
pub fn change_request(body: &[u8], takes_note: bool) -> Result<ChangeRequest, String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("expected a JSON object such as {{\"by\": \"alice\"}}: {e}"))?;
    let Value::Object(map) = value else {
        return Err("expected a JSON object such as {\"by\": \"alice\"}".to_owned());
    };
    if let Some(key) = map.keys().find(|k| *k != "by" && *k != "note") {
        return Err(format!("{key}: unknown field (expected by and note)"));
    }
    let text = |field: &str| -> Result<Option<String>, String> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                if s.chars().any(char::is_control) {
                    Err(format!("{field}: expected one line of text"))
                } else if s.len() > MAX_TEXT {
                    Err(format!("{field}: expected at most {MAX_TEXT} bytes"))
                } else {
                    Ok(Some(s.to_owned()).filter(|s| !s.is_empty()))
                }
            }
            Some(_) => Err(format!("{field}: expected a string")),
        }
    };
    let by = text("by")?.ok_or_else(|| "by: required: who acts, e.g. \"alice\"".to_owned())?;
    let note = text("note")?;
    if note.is_some() && !takes_note {
        return Err("note: only a resolve takes a note".to_owned());
    }
    Ok(ChangeRequest { by, note })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::DateTime;

    use super::*;
    use crate::checks::CheckResult;
    use crate::checks::runner::Report;
    use crate::serve::runs::Origin;
    use crate::status::Status;

    fn round() -> Round {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let cache = crate::checks::cache::CHECK.id();
        Round::new(
            Report::at(
                vec![(cache, CheckResult::new(Status::Healthy, "ok"))],
                Duration::from_millis(5),
                at,
            ),
            at,
            Origin::Scheduled,
            HashMap::new(),
        )
    }

    #[test]
    fn freshness_sits_beside_the_timestamp() {
        let round = round();
        let parts = status_parts(&round).unwrap_or_else(|e| panic!("{e}"));
        let text = status(&parts, true, Duration::from_millis(1500));
        let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        // The document `check all --json` prints, freshness aside.
        let mut plain = doc.clone();
        if let Some(map) = plain.as_object_mut() {
            map.remove("cached");
            map.remove("age_seconds");
        }
        assert_eq!(
            plain,
            serde_json::to_value(&round.report).unwrap_or_default()
        );
        let keys: Vec<&String> = doc
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "overall_status",
                "timestamp",
                "cached",
                "age_seconds",
                "duration_ms",
                "checks"
            ]
        );
        assert_eq!(doc["age_seconds"], json!(1.5));
        assert_eq!(doc["timestamp"], "2027-01-15T08:00:00.000Z");
    }

    #[test]
    fn one_check_is_its_object() {
        let cache = crate::checks::cache::CHECK.id();
        let doc = check(&round(), cache, false, Duration::ZERO);
        assert_eq!(
            doc,
            Some(json!({
                "status": "healthy",
                "response_time_ms": null,
                "message": "ok",
                "timestamp": "2027-01-15T08:00:00.000Z",
                "cached": false,
                "age_seconds": 0.0
            }))
        );
        let db = crate::checks::database::CHECK.id();
        assert_eq!(check(&round(), db, false, Duration::ZERO), None);
    }

    #[test]
    fn change_requests_name_the_field_at_fault() {
        assert_eq!(
            change_request(br#"{"by": " alice ", "note": "rotated"}"#, true),
            Ok(ChangeRequest {
                by: "alice".to_owned(),
                note: Some("rotated".to_owned())
            })
        );
        let refused =
            |body: &[u8], note: bool| change_request(body, note).err().unwrap_or_default();
        assert!(refused(br#"{"note": "x"}"#, true).starts_with("by: required"));
        assert!(refused(br#"{"by": ""}"#, true).starts_with("by: required"));
        assert_eq!(refused(br#"{"by": 3}"#, true), "by: expected a string");
        assert_eq!(
            refused(b"{\"by\": \"a\\nb\"}", true),
            "by: expected one line of text"
        );
        assert_eq!(
            refused(br#"{"by": "a", "note": "x"}"#, false),
            "note: only a resolve takes a note"
        );
        assert_eq!(
            refused(br#"{"by": "a", "who": "x"}"#, true),
            "who: unknown field (expected by and note)"
        );
        assert!(refused(b"[1]", true).starts_with("expected a JSON object"));
        assert!(refused(b"{", true).starts_with("expected a JSON object"));
    }
}
