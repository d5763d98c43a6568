//! Shared pieces of the alert tests.

use serde_json::Value;

/// Markup, an ampersand, both quotes and an emoji: everything a renderer can get wrong.
pub const HOSTILE_HEAD: &str = "<script>alert(\"x\")</script> & 'single' \"double\" 🔥 ";

/// [`HOSTILE_HEAD`] followed by 300 Cyrillic characters (600 bytes).
pub fn hostile_message() -> String {
    format!("{HOSTILE_HEAD}{}", "Ж".repeat(300))
}

/// `vitals alert send --type disk_full --severity S --message M --json`.
pub fn send_args(severity: &str, message: &str) -> Vec<String> {
    [
        "alert",
        "send",
        "--type",
        "disk_full",
        "--severity",
        severity,
        "--message",
        message,
        "--json",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The `deliveries` of an `alert send --json` document.
pub fn deliveries(alert: &Value) -> Vec<Value> {
    alert["deliveries"]
        .as_array()
        .unwrap_or_else(|| panic!("no deliveries in {alert}"))
        .clone()
}

/// `(recipient, outcome, attempts)` of each delivery, in order.
pub fn summary(alert: &Value) -> Vec<(String, String, u64)> {
    deliveries(alert)
        .iter()
        .map(|d| {
            (
                d["recipient"].as_str().unwrap_or_default().to_owned(),
                d["outcome"].as_str().unwrap_or_default().to_owned(),
                d["attempts"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}
