//! JSON output: one document, never any ANSI codes.

use serde::Serialize;

pub fn render<T: Serialize + ?Sized>(value: &T, pretty: bool) -> serde_json::Result<String> {
    if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
}
