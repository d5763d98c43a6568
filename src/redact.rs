//! Keeping secrets out of everything vitals prints.
//!
//! Two layers: structural redaction where a value is displayed on purpose
//! (`postgres://user:***@host:5432/db`), and a last-line scrub that replaces every
//! known secret value in every string on its way to stdout, stderr or the log.
//!
//! Neither masks the scheme, host or port of a URL: they say where vitals
//! connects, and a password that happens to be `postgres` must not turn
//! `postgres://db:5432` into `***://db:5432`. Everything else that equals a
//! secret is masked wherever it appears, user names and paths included.

use std::borrow::Cow;
use std::ops::Range;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use url::Url;

pub const MASK: &str = "***";

/// Shorter values are only redacted structurally: scrubbing two-letter strings
/// out of every line would mangle output without protecting anything.
pub const MIN_SCRUB_LEN: usize = 4;

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

/// The registered secrets, longest first. Process-wide in the binary; per
/// thread in unit tests, where parallel tests (and fuzz cases, which clear it)
/// must not see each other's secrets.
#[cfg(not(test))]
mod registry {
    use std::sync::RwLock;

    static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

    pub fn read<R>(f: impl FnOnce(&[String]) -> R) -> R {
        f(&SECRETS
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    pub fn write<R>(f: impl FnOnce(&mut Vec<String>) -> R) -> R {
        f(&mut SECRETS
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Forgets every secret: each fuzz case starts with none.
    #[cfg(feature = "fuzzing")]
    pub fn clear() {
        write(Vec::clear);
    }
}

#[cfg(test)]
mod registry {
    use std::cell::RefCell;

    thread_local! {
        static SECRETS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    pub fn read<R>(f: impl FnOnce(&[String]) -> R) -> R {
        SECRETS.with_borrow(|s| f(s))
    }

    pub fn write<R>(f: impl FnOnce(&mut Vec<String>) -> R) -> R {
        SECRETS.with_borrow_mut(f)
    }

    /// Forgets this thread's secrets: fuzz cases would otherwise pile up millions.
    pub fn clear() {
        write(Vec::clear);
    }
}

#[cfg(any(test, feature = "fuzzing"))]
pub use registry::clear as forget_all;

/// Every registered form of every secret, longest first.
#[cfg(any(test, feature = "fuzzing"))]
pub fn registered() -> Vec<String> {
    registry::read(<[String]>::to_vec)
}

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
    registry::write(|secrets| {
        for form in [secret, json_inner, &form_encoded, &percent_encoded] {
            if form.len() >= MIN_SCRUB_LEN && !secrets.iter().any(|s| s == form) {
                secrets.push(form.to_owned());
            }
        }
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    });
}

/// Registers the credentials a URL carries: its password (as written and
/// decoded) and the values of credential-like query parameters.
pub fn register_url_credentials(url: &Url) {
    for (_, secret) in url_credentials(url) {
        register(&secret);
    }
}

/// The credentials a URL carries, each with what it is: its password (as
/// written, and decoded when that differs) and the values of credential-like
/// query parameters.
pub fn url_credentials(url: &Url) -> Vec<(String, String)> {
    let mut found = Vec::new();
    if let Some(password) = url.password() {
        found.push(("the password".to_owned(), password.to_owned()));
        if let Ok(decoded) = percent_decode_str(password).decode_utf8()
            && decoded != password
        {
            found.push(("the password".to_owned(), decoded.into_owned()));
        }
    }
    for (key, value) in url.query_pairs() {
        if is_sensitive_param(&key) {
            found.push((format!("parameter `{key}`"), value.into_owned()));
        }
    }
    found
}

fn is_sensitive_param(key: &str) -> bool {
    SENSITIVE_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(key))
}

/// Replaces every registered secret in `text` with `***`, except where it
/// lies wholly within the scheme, host or port of a URL.
///
/// Repeated until nothing is left: a replacement can join the text around it
/// into a secret again (`x***` in `xx***` leaves `x***`). Each pass shortens
/// the text, because secrets are longer than the mask, so this ends.
pub fn scrub(text: &str) -> Cow<'_, str> {
    registry::read(|secrets| {
        let mut out = Cow::Borrowed(text);
        loop {
            let mut changed = false;
            for secret in secrets {
                if let Some(masked) = mask(&out, secret) {
                    out = Cow::Owned(masked);
                    changed = true;
                }
            }
            if !changed {
                return out;
            }
        }
    })
}

/// `text` with each occurrence of `secret` outside a URL's frame masked;
/// `None` when there was none.
fn mask(text: &str, secret: &str) -> Option<String> {
    if !text.contains(secret) {
        return None;
    }
    let frames = url_frames(text);
    let (mut masked, mut copied, mut from) = (String::new(), 0, 0);
    while let Some(found) = text[from..].find(secret) {
        let at = from + found;
        let end = at + secret.len();
        if frames.iter().any(|f| f.start <= at && end <= f.end) {
            // Shown as it is; an occurrence starting inside it and reaching
            // beyond is still found.
            from = at + text[at..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        masked.push_str(&text[copied..at]);
        masked.push_str(MASK);
        copied = end;
        from = end;
    }
    if copied == 0 {
        return None;
    }
    masked.push_str(&text[copied..]);
    Some(masked)
}

/// Where `text` holds the scheme (with `://`) and the host and port of a
/// URL, which the scrub leaves as they are.
fn url_frames(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut frames = Vec::new();
    for (at, _) in text.match_indices("://") {
        let scheme_char = |b: u8| b.is_ascii_alphanumeric() || b"+-.".contains(&b);
        let mut start = at;
        while start > 0 && scheme_char(bytes[start - 1]) {
            start -= 1;
        }
        // A scheme starts with a letter.
        while start < at && !bytes[start].is_ascii_alphabetic() {
            start += 1;
        }
        if start == at {
            continue;
        }
        frames.push(start..at + 3);
        let authority_char =
            |b: u8| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=:@[]".contains(&b);
        let rest = &bytes[at + 3..];
        let authority = rest
            .iter()
            .position(|b| !authority_char(*b))
            .unwrap_or(rest.len());
        let host = at
            + 3
            + rest[..authority]
                .iter()
                .rposition(|b| *b == b'@')
                .map_or(0, |p| p + 1);
        let mut end = host;
        if bytes.get(end) == Some(&b'[') {
            end += bytes[end..]
                .iter()
                .position(|b| *b == b']')
                .map_or(0, |p| p + 1);
        } else {
            let host_char = |b: u8| b.is_ascii_alphanumeric() || b"-._~%".contains(&b);
            while end < bytes.len() && host_char(bytes[end]) {
                end += 1;
            }
        }
        if bytes.get(end) == Some(&b':') {
            let digits = bytes[end + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits > 0 {
                end += 1 + digits;
            }
        }
        if end > host {
            frames.push(host..end);
        }
    }
    frames
}

/// A JSON value with every known secret scrubbed from its strings and keys.
pub fn scrub_json(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(scrub(&s).into_owned()),
        Value::Array(items) => Value::Array(items.into_iter().map(scrub_json).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (scrub(&k).into_owned(), scrub_json(v)))
                .collect(),
        ),
        other => other,
    }
}

/// A URL as it may be shown: its password and credential-like query values
/// masked, and anything else that equals a secret (the user name, the
/// database) too; the scheme, host and port never, and the port given even
/// when the URL leaves it to the default, so that it says where vitals
/// connects.
pub fn url(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Only fails for URLs that cannot have credentials, which then have no password.
        let _ = shown.set_password(Some(MASK));
    }
    if shown.port().is_none()
        && shown.host_str().is_some_and(|h| !h.is_empty())
        && let Some(port) = default_port(shown.scheme())
    {
        let _ = shown.set_port(Some(port));
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
    scrub(shown.as_str()).into_owned()
}

/// The ports the URL standard does not know as defaults, but their clients do.
fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "postgres" | "postgresql" => Some(5432),
        "redis" | "rediss" | "valkey" | "valkeys" => Some(6379),
        _ => None,
    }
}

/// What a URL points at, as an alert label shows it: `host:port/path`,
/// without the scheme, the credentials or the query (where secrets hide).
/// A URL without a host (a Unix socket) is its path.
pub fn url_target(url: &Url) -> String {
    let path = url.path().trim_end_matches('/');
    match (
        url.host_str().filter(|h| !h.is_empty()),
        url.port_or_known_default(),
    ) {
        (Some(host), Some(port)) => format!("{host}:{port}{path}"),
        (Some(host), None) => format!("{host}{path}"),
        (None, _) => path.to_owned(),
    }
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

    fn shown(text: &str) -> String {
        let u = Url::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        register_url_credentials(&u);
        url(&u)
    }

    #[test]
    fn scheme_host_and_port_are_never_masked() {
        assert_eq!(
            shown("postgres://postgres:postgres@host/postgres"),
            "postgres://***:***@host:5432/***"
        );
        assert_eq!(
            shown("postgres://app:s3cret-app@host/app"),
            "postgres://app:***@host:5432/app"
        );
        // A secret that is also the host name: where it connects is still said.
        assert_eq!(
            shown("redis://:cache-box@cache-box/0"),
            "redis://:***@cache-box:6379/0"
        );
        assert_eq!(
            scrub("could not reach postgres://db.example:5432 as postgres"),
            "could not reach postgres://db.example:5432 as ***"
        );
    }

    #[test]
    fn a_secret_reaching_beyond_a_frame_is_masked() {
        register("host:5432/leak");
        assert_eq!(scrub("redis://host:5432/leak"), "redis://***");
        register("ab:99");
        // Skipping the frame's occurrence does not skip an overlapping one.
        assert_eq!(scrub("x://ab:99ab:99"), "x://ab:99***");
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

    /// Found by fuzzing: one replacement joined `x` and the mask into the secret again.
    #[test]
    fn scrub_repeats_until_no_secret_is_left() {
        register("x***");
        assert_eq!(scrub("xx***"), "***");
        assert_eq!(scrub("xxxx***"), "***");
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

/// Scrub completeness and URL redaction as invariants (`fuzz/` fuzzes the
/// scrub too, with any text).
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn scrub_leaves_no_registered_secret(
            // Few distinct characters, the mask's among them: the joins and
            // overlaps that defeat a naive replace are then common.
            secrets in prop::collection::vec("[ax*%\"\\\\/ ]{4,9}", 1..4),
            parts in prop::collection::vec("[ax*%\"\\\\/ ]{0,6}", 1..5),
        ) {
            forget_all();
            for secret in &secrets {
                register(secret);
            }
            // The secrets themselves, between arbitrary glue.
            let mut text = String::new();
            for (i, part) in parts.iter().enumerate() {
                text.push_str(part);
                text.push_str(&secrets[i % secrets.len()]);
            }
            let scrubbed = scrub(&text);
            registry::read(|forms| {
                for form in forms {
                    prop_assert!(!scrubbed.contains(form.as_str()), "{form:?} left in {scrubbed:?}");
                }
                Ok(())
            })?;
        }

        #[test]
        fn scrub_leaves_other_text_alone(text in any::<String>(), secret in "[a-z0-9]{8,16}") {
            forget_all();
            register(&format!("#{secret}#"));
            // Text without the secret's delimiter cannot contain it.
            let clean: String = text.chars().filter(|c| *c != '#').collect();
            prop_assert_eq!(scrub(&clean), clean.as_str());
        }

        #[test]
        fn redacted_urls_keep_everything_but_the_credentials(
            scheme in "(postgres|redis|https?)",
            user in "[a-z%0-9]{0,8}",
            password in any::<String>(),
            host in "[a-z][a-z0-9]{0,9}(\\.[a-z][a-z0-9]{0,8}){0,2}",
            port in proptest::option::of(1u16..),
            path in "(/[a-zA-Z0-9%._~-]{0,10}){0,3}",
            query in prop::collection::vec(("[a-z_]{1,12}", any::<String>()), 0..4),
        ) {
            let mut url = Url::parse(&format!("{scheme}://{host}")).map_err(|e| TestCaseError::reject(e.to_string()))?;
            let _ = url.set_username(&user);
            let _ = url.set_password(Some(&password).filter(|p| !p.is_empty()).map(String::as_str));
            let _ = url.set_port(port);
            url.set_path(&path);
            if !query.is_empty() {
                url.query_pairs_mut().extend_pairs(&query);
            }
            let shown = super::url(&url);
            let parsed = Url::parse(&shown);
            prop_assert!(parsed.is_ok(), "{shown:?} does not parse");
            let Ok(shown) = parsed else { return Ok(()) };
            prop_assert_eq!(shown.password(), url.password().map(|_| MASK));
            prop_assert_eq!(shown.username(), url.username());
            prop_assert_eq!(shown.host_str(), url.host_str());
            prop_assert_eq!(shown.port(), url.port().or_else(|| default_port(url.scheme())));
            prop_assert_eq!(shown.path(), url.path());
            let before: Vec<(String, String)> = url.query_pairs().into_owned().collect();
            let after: Vec<(String, String)> = shown.query_pairs().into_owned().collect();
            prop_assert_eq!(after.len(), before.len());
            for ((k, v), (k2, v2)) in before.iter().zip(&after) {
                prop_assert_eq!(k, k2);
                let expected = if is_sensitive_param(k) { MASK } else { v.as_str() };
                prop_assert_eq!(v2.as_str(), expected);
            }
        }

        /// `%` is left out: in a URL it starts an escape, so a password typed
        /// with `%A0` means the byte 0xA0, and that is what is registered.
        #[test]
        fn url_credentials_are_scrubbed_in_every_form(password in "[^\u{0}%]{4,24}", encode in any::<bool>()) {
            forget_all();
            let Ok(mut url) = Url::parse("redis://cache:6379/0") else {
                return Err(TestCaseError::fail("literal URL"));
            };
            let written = if encode {
                utf8_percent_encode(&password, COMPONENT).to_string()
            } else {
                password.clone()
            };
            let _ = url.set_password(Some(&written));
            register_url_credentials(&url);
            let json = serde_json::to_string(&password).unwrap_or_default();
            for text in [password.as_str(), url.as_str(), json.as_str()] {
                prop_assert!(!scrub(text).contains(password.as_str()), "{text:?}");
            }
        }
    }
}
