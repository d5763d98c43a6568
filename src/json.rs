//! JSON shapes shared by the documents vitals prints and stores.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// Serializes ordered `(key, value)` pairs as a JSON object, keeping their order.
pub fn pairs<S, K, V>(pairs: &[(K, V)], serializer: S) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    K: AsRef<str>,
    V: Serialize,
{
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        map.serialize_entry(k.as_ref(), v)?;
    }
    map.end()
}

/// A time as every document states it: RFC 3339 in UTC, to the millisecond.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `timestamp` as a serde field serializer (`serialize_with`).
pub fn rfc3339<S: Serializer>(at: &chrono::DateTime<chrono::Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&timestamp(*at))
}

/// `rfc3339`, or `null` for no time.
pub fn rfc3339_or_null<S: Serializer>(
    at: &Option<chrono::DateTime<chrono::Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => rfc3339(at, s),
        None => s.serialize_none(),
    }
}
