//! JSON output: one document, never any ANSI codes.

use serde::Serialize;
use serde_json::{Value, json};

use super::Document;

pub fn render<T: Serialize + ?Sized>(value: &T, pretty: bool) -> serde_json::Result<String> {
    if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
}

/// The document of a `check` that has no result: its status `unknown` where
/// the result's status would be, and why in `error`.
pub fn failure(document: Document, reason: &str) -> Value {
    let key = match document {
        Document::Single => "status",
        Document::All => "overall_status",
    };
    let mut value = json!({ key: "unknown" });
    value["error"] = Value::String(reason.to_owned());
    value
}
