//! JSON output: one document, never any ANSI codes.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

pub fn render<T: Serialize + ?Sized>(value: &T, pretty: bool) -> serde_json::Result<String> {
    if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
}

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
