//! Keeping secrets out of everything vitals prints.
//!
//! Two layers: structural redaction where a value is displayed on purpose
//! (`postgres://user:***@host/db`), and a last-line scrub that replaces every
//! known secret value in every string on its way to stdout, stderr or the log.

use std::borrow::Cow;
use std::sync::RwLock;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use url::Url;

pub const MASK: &str = "***";

/// Shorter values are only redacted structurally: scrubbing two-letter strings
/// out of every line would mangle output without protecting anything.
const MIN_SCRUB_LEN: usize = 4;

/// Query parameters that carry credentials in connection URLs.
const SENSITIVE_PARAMS: &[&str] = &[
    "password",
    "sslpassword",
    "pass",
    "pwd",
    "secret",
    "token",
    "access_token",
    "api_key",
    "apikey",
    "key",
    "auth",
];

/// What a URL component escapes: everything but RFC 3986 unreserved characters.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers a secret so that [`scrub`] removes it, together with the forms it
/// takes when it is percent-encoded in a URL or escaped in JSON.
pub fn register(secret: &str) {
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json_inner = json
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or_default();
    let form_encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let percent_encoded = utf8_percent_encode(secret, COMPONENT).to_string();
    let mut secrets = SECRETS
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for form in [secret, json_inner, &form_encoded, &percent_encoded] {
        if form.len() >= MIN_SCRUB_LEN && !secrets.iter().any(|s| s == form) {
            secrets.push(form.to_owned());
        }
    }
    // Longest first, so a secret containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Registers the credentials a URL carries: its password (as written and
/// decoded) and the values of credential-like query parameters.
pub fn register_url_credentials(url: &Url) {
    if let Some(password) = url.password() {
        register(password);
        if let Ok(decoded) = percent_decode_str(password).decode_utf8() {
            register(&decoded);
        }
    }
    for (key, value) in url.query_pairs() {
        if is_sensitive_param(&key) {
            register(&value);
        }
    }
}

fn is_sensitive_param(key: &str) -> bool {
    SENSITIVE_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(key))
}

/// Replaces every registered secret in `text` with `***`.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut out = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), MASK));
        }
    }
    out
}

/// A URL with its password and credential-like query values masked.
pub fn url(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Only fails for URLs that cannot have credentials, which then have no password.
        let _ = shown.set_password(Some(MASK));
    }
    if shown.query_pairs().any(|(k, _)| is_sensitive_param(&k)) {
        let pairs: Vec<(String, String)> = shown
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_sensitive_param(&k) {
                    MASK.to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

/// Only the scheme and host of a URL whose path is itself a secret (webhooks).
pub fn url_origin(url: &Url) -> String {
    match url.host_str() {
        Some(host) => format!("{}://{host}/{MASK}", url.scheme()),
        None => MASK.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_masks_password_and_sensitive_params() {
        let u = Url::parse(
            "postgres://app:s3cr%40t@db.example.com:5432/main?sslmode=require&password=x2",
        )
        .map_err(|e| e.to_string());
        let u = u.as_ref().map(url);
        assert_eq!(
            u.as_deref(),
            Ok("postgres://app:***@db.example.com:5432/main?sslmode=require&password=***")
        );
    }

    #[test]
    fn url_without_credentials_is_unchanged() {
        let u = Url::parse("redis://cache.internal:6379/0").map(|u| url(&u));
        assert_eq!(u.as_deref(), Ok("redis://cache.internal:6379/0"));
    }

    #[test]
    fn scrub_removes_every_form_of_a_secret() {
        register("pa ss\"w0rd/unique-1");
        let text =
            "raw pa ss\"w0rd/unique-1, json pa ss\\\"w0rd/unique-1, url pa%20ss%22w0rd%2Funique-1";
        let scrubbed = scrub(text);
        assert!(!scrubbed.contains("w0rd"), "{scrubbed}");
        assert_eq!(scrubbed.matches(MASK).count(), 3, "{scrubbed}");
    }

    #[test]
    fn url_credentials_are_registered_decoded() {
        let u = Url::parse("redis://:hunter%2Funiq-2@h:1");
        if let Ok(u) = u {
            register_url_credentials(&u);
        }
        assert_eq!(
            scrub("error: hunter/uniq-2 rejected"),
            "error: *** rejected"
        );
        assert_eq!(
            scrub("error: hunter%2Funiq-2 rejected"),
            "error: *** rejected"
        );
    }

    #[test]
    fn short_values_are_not_scrubbed() {
        register("ab");
        assert_eq!(scrub("abc tab"), "abc tab");
    }

    #[test]
    fn origin_hides_path() {
        let u = Url::parse("https://hooks.slack.com/services/T0/B0/XYZ").map(|u| url_origin(&u));
        assert_eq!(u.as_deref(), Ok("https://hooks.slack.com/***"));
    }
}
