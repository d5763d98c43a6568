//! Parsers of variable values. Each returns the value, or why it was
//! refused: what was expected instead ("a port number from 1 to 65535"),
//! which the caller words as `VAR: expected …` with the value shown only when
//! it is not a secret; or, for a value whose form is right, the part that is
//! wrong and what would be right ("unknown parameter `sslmod` — did you mean
//! `sslmode`?"), which never quotes the rest of the value.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::RateLimit;
use super::libpq::{self, has_host_param, host_param_in_authority};

/// What a value should have been, e.g. "a port number from 1 to 65535".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {0}")]
pub struct Expected(pub String);

impl Expected {
    pub fn new(what: impl Into<String>) -> Expected {
        Expected(what.into())
    }
}

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error(transparent)]
    Expected(#[from] Expected),
    /// One part of a well-formed value is wrong, said in full: the part, and
    /// what would be right. Quotes that part only (a parameter's name, a port),
    /// never the whole value, which may hold a secret.
    #[error("{0}")]
    Part(String),
}

/// A parser's result.
type Check<T> = Result<T, Expected>;

/// The closest of `candidates` to a mistyped `word`, if one is close enough
/// to be what was meant: at most two edits, one for short words.
pub fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = if word.chars().count() <= 4 { 1 } else { 2 };
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&word.to_ascii_lowercase(), c), *c))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// "— did you mean `x`?" when one of `candidates` is close to `word`.
pub(super) fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    nearest(word, candidates)
        .map(|c| format!(" — did you mean `{c}`?"))
        .unwrap_or_default()
}

/// "unknown parameter `x` — did you mean `y`?", or with `otherwise` when
/// nothing is close.
pub(super) fn unknown_parameter(key: &str, known: &[&str], otherwise: &str) -> Invalid {
    Invalid::Part(match nearest(key, known) {
        Some(c) => format!("unknown parameter `{key}` — did you mean `{c}`?"),
        None => format!("unknown parameter `{key}` ({otherwise})"),
    })
}

/// `a, b or c`.
pub(super) fn one_of(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A URL of one of `schemes`, with what vitals checks of each kind of URL
/// before using it: its port, libpq's parameters for PostgreSQL, the
/// database number and parameters for Redis. A mistake there is a mistake
/// in the configuration, said as one, never found out by a failed connection.
pub fn parse_url(value: &str, schemes: &[&str]) -> Result<Url, Invalid> {
    let url = parse_any_url(value, schemes)?;
    if url.port() == Some(0) {
        return Err(port_problem("0", "is out of range"));
    }
    match url.scheme() {
        "postgres" | "postgresql" => {
            // libpq's URLs have no fragment; tokio-postgres refuses one.
            if let Some(fragment) = url.fragment() {
                return Err(Invalid::Part(format!(
                    "`#{fragment}` is not understood: a PostgreSQL URL has no #fragment"
                )));
            }
            // tokio-postgres decodes them and refuses what is not UTF-8.
            check_decodes("user name", url.username())?;
            check_decodes("host", url.host_str().unwrap_or_default())?;
            check_decodes("database", url.path())?;
            libpq::check_parameters(&url)?
        }
        "redis" | "rediss" | "valkey" | "valkeys" | "unix" | "redis+unix" => check_redis(&url)?,
        _ => {}
    }
    Ok(url)
}

/// A URL part that the client percent-decodes must make UTF-8 text. The
/// part is never quoted: it may be a password.
fn check_decodes(part: &str, text: &str) -> Result<(), Invalid> {
    match percent_encoding::percent_decode_str(text).decode_utf8() {
        Ok(_) => Ok(()),
        Err(_) => Err(Invalid::Part(format!(
            "the {part} is not valid: its %-escapes do not make UTF-8 text"
        ))),
    }
}

fn port_problem(port: &str, what: &str) -> Invalid {
    Invalid::Part(format!("port `{port}` {what}: expected 1 to 65535"))
}

/// The port as written in a URL the URL standard refused, if that is why.
/// Not when an `@` follows the authority: then a password holding `/`, `?`
/// or `#` ended it early, and what looks like the port is part of the password.
fn written_port(value: &str) -> Option<&str> {
    let (_, rest) = value.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if rest[end..].contains('@') {
        return None;
    }
    let authority = &rest[..end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let after_host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.1,
        None => host_port.find(':').map_or("", |at| &host_port[at..]),
    };
    after_host.strip_prefix(':').filter(|p| !p.is_empty())
}

fn parse_any_url(value: &str, schemes: &[&str]) -> Result<Url, Invalid> {
    let expected = || Expected(format!("a URL starting with {}", schemes_list(schemes)));
    let url = Url::parse(value)
        .or_else(|e| {
            host_param_in_authority(value)
                .ok_or(e)
                .and_then(|v| Url::parse(&v))
        })
        // Why a URL with the right scheme is still refused ("invalid port
        // number"): the reason never quotes the value, which may be secret.
        .map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => Invalid::from(expected()),
            url::ParseError::InvalidPort
                if schemes
                    .iter()
                    .any(|s| value.starts_with(&format!("{s}://"))) =>
            {
                match written_port(value) {
                    Some(port) if port.bytes().all(|b| b.is_ascii_digit()) => {
                        port_problem(port, "is out of range")
                    }
                    Some(port) => port_problem(port, "is not a number"),
                    None => Expected("a valid URL (invalid port number)".to_owned()).into(),
                }
            }
            other => Expected(format!("a valid URL ({other})")).into(),
        })?;
    // `postgres:app?host=…` has the scheme but not the `//` every client
    // here starts its URLs with (tokio-postgres refuses it).
    if !schemes.contains(&url.scheme()) || !url.has_authority() {
        return Err(expected().into());
    }
    let socket_scheme = matches!(url.scheme(), "unix" | "redis+unix");
    if !socket_scheme && url.host_str().is_none_or(str::is_empty) && !has_host_param(&url) {
        return Err(Expected(format!("{} with a host", expected().0)).into());
    }
    Ok(url)
}

/// Redis numbers its databases from 0; `SELECT` takes a C `int`.
const MAX_REDIS_DATABASE: i64 = i32::MAX as i64;

/// What the Redis client reads from a URL: the database (the path, or `db`
/// for a socket), the protocol, and for a socket the credentials.
fn check_redis(url: &Url) -> Result<(), Invalid> {
    let socket = matches!(url.scheme(), "unix" | "redis+unix");
    let known: &[&str] = if socket {
        &["db", "user", "pass", "protocol"]
    } else {
        &["protocol"]
    };
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "db" if socket => redis_database(&value)?,
            "protocol" if !matches!(value.as_ref(), "2" | "resp2" | "3" | "resp3") => {
                return Err(Invalid::Part(format!(
                    "protocol `{value}` is not valid: expected resp2 or resp3"
                )));
            }
            key if !known.contains(&key) => {
                let takes = format!("a Redis URL takes {}", one_of(known));
                return Err(unknown_parameter(key, known, &takes));
            }
            _ => {}
        }
    }
    if socket {
        // The client reads the socket's path as a file URL's: a host other
        // than localhost has no path it can use.
        if url.to_file_path().is_err() {
            let scheme = url.scheme();
            let example = format!("a path such as {scheme}:///run/redis.sock");
            return Err(Invalid::Part(
                match url.host_str().filter(|h| !h.is_empty()) {
                    Some(host) => format!("host `{host}` is not valid here: expected {example}"),
                    None => format!("the socket path is not valid: expected {example}"),
                },
            ));
        }
        return Ok(());
    }
    // The client decodes them and refuses what is not UTF-8.
    check_decodes("user name", url.username())?;
    check_decodes("password", url.password().unwrap_or_default())?;
    if url
        .host_str()
        .is_some_and(|h| matches!(h, "0.0.0.0" | "[::]"))
    {
        return Err(Invalid::Part(format!(
            "host `{}` is a wildcard address: name the server's address",
            url.host_str().unwrap_or_default()
        )));
    }
    if let Some(fragment) = url.fragment()
        && !(fragment == "insecure" && matches!(url.scheme(), "rediss" | "valkeys"))
    {
        return Err(Invalid::Part(format!(
            "`#{fragment}` is not understood: only rediss:// URLs take #insecure"
        )));
    }
    match url.path().trim_matches('/') {
        "" => Ok(()),
        database => redis_database(database),
    }
}

fn redis_database(text: &str) -> Result<(), Invalid> {
    let range = format!("expected a database number from 0 to {MAX_REDIS_DATABASE}, such as /0");
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::Part(format!(
            "database `{text}` is not a number: {range}"
        )));
    }
    match text.parse::<i64>() {
        Ok(n) if n <= MAX_REDIS_DATABASE => Ok(()),
        _ => Err(Invalid::Part(format!(
            "database `{text}` is out of range: {range}"
        ))),
    }
}

fn schemes_list(schemes: &[&str]) -> String {
    let quoted: Vec<String> = schemes.iter().map(|s| format!("{s}://")).collect();
    one_of(&quoted.iter().map(String::as_str).collect::<Vec<_>>())
}

pub fn parse_port(value: &str) -> Check<u16> {
    value
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| Expected::new("a port number from 1 to 65535"))
}

pub(crate) fn parse_percent(value: &str) -> Check<f64> {
    value
        .trim_end_matches('%')
        .parse::<f64>()
        .ok()
        .filter(|p| *p > 0.0 && *p <= 100.0)
        .ok_or_else(|| Expected::new("a percentage above 0 and at most 100"))
}

pub(crate) fn parse_count(value: &str) -> Check<u64> {
    value
        .parse::<u64>()
        .map_err(|_| Expected::new("a whole number (0 or more)"))
}

/// A whole number from 1 to 1,000,000: a bound on work at once.
pub fn parse_bound(value: &str) -> Check<usize> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=1_000_000).contains(n))
        .ok_or_else(|| Expected::new("a whole number from 1 to 1000000"))
}

/// Milliseconds as a bare number, or any duration with a unit.
pub(crate) fn parse_millis(value: &str) -> Check<Duration> {
    match value.parse::<u64>() {
        Ok(ms) => Ok(Duration::from_millis(ms)),
        Err(_) => parse_duration(value)
            .map_err(|_| Expected::new("a number of milliseconds or a duration such as 500ms")),
    }
}

/// `500ms`, `5s`, `2m`, `4h` (humantime), or a bare number of seconds.
/// Longer than anything vitals waits for or repeats after, and short enough
/// that adding it (or a few times it) to a clock can never overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);

pub fn parse_duration(value: &str) -> Check<Duration> {
    let expected = || Expected::new("a duration such as 500ms, 5s, 2m or 4h");
    let d = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => human_duration(value).ok_or_else(expected)?,
    };
    if d.is_zero() {
        return Err(Expected(format!("{} (greater than zero)", expected().0)));
    }
    if d > MAX_DURATION {
        return Err(Expected(format!("{} (at most 366 days)", expected().0)));
    }
    Ok(d)
}

/// humantime's reading of `2m 30s`, for text that cannot add up to
/// `u64::MAX` seconds: there humantime 2.4 panics instead of reporting an
/// overflow (`18446744073709551615s 1000ms`). Each number counted as years,
/// its largest unit, bounds the sum; nothing that long is a duration vitals
/// takes anyway.
fn human_duration(text: &str) -> Option<Duration> {
    const YEAR: u64 = 31_557_600;
    let bound = text
        .split(|c: char| !c.is_ascii_digit())
        .filter(|digits| !digits.is_empty())
        .map(|digits| {
            digits
                .parse::<u64>()
                .map_or(u64::MAX, |n| n.saturating_mul(YEAR))
        })
        .fold(0, u64::saturating_add);
    if bound == u64::MAX {
        return None;
    }
    humantime::parse_duration(text).ok()
}

pub(crate) fn parse_rate_limit(value: &str) -> Check<RateLimit> {
    let expected = || Expected::new("a rate such as 20/h, 20/1h or 5/10m");
    let (count, per) = value.split_once('/').ok_or_else(expected)?;
    let count = count
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|c| *c > 0)
        .ok_or_else(expected)?;
    let per = per.trim();
    let per = match per {
        "s" | "m" | "h" | "d" => human_duration(&format!("1{per}")),
        _ => human_duration(per),
    }
    .filter(|d| !d.is_zero())
    .ok_or_else(expected)?;
    Ok(RateLimit { count, per })
}

pub(super) fn parse_existing_file(value: &str) -> Check<PathBuf> {
    let path = PathBuf::from(value);
    if path.is_file() {
        Ok(path)
    } else {
        Err(Expected(
            "the path of a readable file (no such file)".to_owned(),
        ))
    }
}

/// A bare address, strict enough that nothing can be smuggled into a mail header.
pub fn parse_email(value: &str) -> Check<String> {
    let expected = || Expected::new("an e-mail address");
    let (local, domain) = value.rsplit_once('@').ok_or_else(expected)?;
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\@".contains(c);
    if local.is_empty()
        || domain.is_empty()
        || local.chars().any(bad_char)
        || domain.chars().any(bad_char)
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
        // What the SMTP client will accept, so that a valid configuration sends.
        || value.parse::<lettre::Address>().is_err()
    {
        return Err(expected());
    }
    Ok(value.to_owned())
}

/// A name that goes into mail headers and message footers: one line.
pub(crate) fn parse_name(value: &str) -> Check<String> {
    if value.chars().any(char::is_control) {
        return Err(Expected(
            "a name without line breaks or other control characters".to_owned(),
        ));
    }
    Ok(value.to_owned())
}

/// E.164: `+`, a non-zero digit, at most 15 digits in all.
pub fn parse_phone(value: &str) -> Check<String> {
    let digits = value.strip_prefix('+').unwrap_or("");
    let ok = (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(Expected(
            "a phone number in E.164 form, such as +14155550123".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_bounded() {
        assert_eq!(
            parse_duration("10000000000000000000"),
            Err(Expected(
                "a duration such as 500ms, 5s, 2m or 4h (at most 366 days)".to_owned()
            ))
        );
        assert_eq!(parse_duration("366d"), Ok(MAX_DURATION));
        // Found by fuzzing: humantime panics on a sum of exactly u64::MAX
        // seconds and a whole second of fractions.
        let expected = Err(Expected(
            "a duration such as 500ms, 5s, 2m or 4h".to_owned(),
        ));
        assert_eq!(parse_duration("18446744073709551615s 1000ms"), expected);
        assert!(parse_rate_limit("9/18446744073709551615s1000ms").is_err());
    }

    #[test]
    fn parsers() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("480"), Ok(Duration::from_secs(480)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-1s").is_err());
        assert_eq!(parse_port("5432"), Ok(5432));
        assert!(parse_port("0").is_err());
        assert!(parse_port("65536").is_err());
        assert_eq!(parse_phone("+14155550123"), Ok("+14155550123".to_owned()));
        for bad in [
            "14155550123",
            "+0123",
            "+1",
            "+1234567890123456",
            "+1 415",
            "",
        ] {
            assert!(parse_phone(bad).is_err(), "{bad}");
        }
        assert!(parse_email("ops@example.com").is_ok());
        for bad in [
            // Found by fuzzing: accepted here, refused by the SMTP client at send time.
            "!@!",
            "ops",
            "@x.com",
            "a@",
            "a b@x.com",
            "a@x.com\r\nBcc: e@vil.com",
            "<a@x.com>",
        ] {
            assert!(parse_email(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_rate_limit("20/h"),
            Ok(RateLimit {
                count: 20,
                per: Duration::from_secs(3600)
            })
        );
        assert_eq!(
            parse_rate_limit("5/10m"),
            Ok(RateLimit {
                count: 5,
                per: Duration::from_secs(600)
            })
        );
        assert!(parse_rate_limit("0/h").is_err());
    }

    #[test]
    fn socket_directory_in_the_host_parameter() {
        let url = parse_url(
            "postgres://app@/main?host=/run/postgresql&port=5433&sslmode=disable",
            &["postgres"],
        );
        assert_eq!(
            url.map(|u| u.to_string()).as_deref(),
            Ok("postgres://app@%2Frun%2Fpostgresql:5433/main?sslmode=disable")
        );
        // Without a user the URL standard accepts the empty host as it is.
        assert!(parse_url("postgres:///main?host=/run/postgresql", &["postgres"]).is_ok());
        assert!(parse_url("postgres://app@/main", &["postgres"]).is_err());
    }

    fn refusal(value: &str, schemes: &[&str]) -> String {
        match parse_url(value, schemes) {
            Ok(url) => panic!("{value} accepted as {url}"),
            Err(invalid) => invalid.to_string(),
        }
    }

    #[test]
    fn libpq_parameters_are_checked_with_a_suggestion() {
        let pg = |query: &str| refusal(&format!("postgres://u:pw@db/app?{query}"), &["postgres"]);
        assert_eq!(
            pg("sslmod=require"),
            "unknown parameter `sslmod` — did you mean `sslmode`?"
        );
        assert_eq!(
            pg("sslmode=bogus"),
            "sslmode `bogus` is not valid: expected disable, allow, prefer, require, verify-ca or verify-full"
        );
        assert_eq!(
            pg("sslmode=verify_full"),
            "sslmode `verify_full` is not valid: expected disable, allow, prefer, require, \
             verify-ca or verify-full — did you mean `verify-full`?"
        );
        assert_eq!(
            pg("frobnicate=1"),
            "unknown parameter `frobnicate` (not one of libpq's connection parameters)"
        );
        assert_eq!(
            pg("sslcert=/nonexistent/c.pem"),
            "sslcert `/nonexistent/c.pem`: no such file (the client's PEM certificate)"
        );
        assert_eq!(
            pg("sslpassword=x"),
            "parameter `sslpassword` (an encrypted client key) is not supported by vitals: \
             give sslkey a key file that is not encrypted, readable only by vitals"
        );
        assert_eq!(
            pg("ssl=true"),
            "parameter `ssl` is not supported by vitals: use sslmode=require"
        );
        assert_eq!(
            pg("service=main"),
            "parameter `service` is not supported by vitals"
        );
        assert_eq!(
            pg("connect_timeout=5s"),
            "connect_timeout `5s` is not valid: expected a whole number of seconds"
        );
        assert_eq!(
            pg("port=5432,70000"),
            "port `70000` is out of range: expected 1 to 65535"
        );
        assert_eq!(
            pg("hostaddr=db.local"),
            "hostaddr `db.local` is not an IP address"
        );
        assert_eq!(
            pg("sslrootcert=/nonexistent/ca.pem"),
            "sslrootcert `/nonexistent/ca.pem`: no such file (a PEM file, or `system`)"
        );
        assert_eq!(
            pg("target_session_attrs=standby"),
            "target_session_attrs `standby` is not supported by vitals: expected any, read-write or read-only"
        );
        for fine in [
            "sslmode=verify-full&sslrootcert=system&connect_timeout=3&application_name=x",
            "host=/run/postgresql&port=5433&target_session_attrs=read-write",
            "keepalives=1&keepalives_idle=30&channel_binding=require&load_balance_hosts=random",
        ] {
            let url = format!("postgres://u@db/app?{fine}");
            assert!(parse_url(&url, &["postgres"]).is_ok(), "{url}");
        }
    }

    #[test]
    fn ports_say_what_is_wrong_with_them() {
        let schemes = &["postgres", "redis"];
        assert_eq!(
            refusal("postgres://u:pw@db:99999/app", schemes),
            "port `99999` is out of range: expected 1 to 65535"
        );
        assert_eq!(
            refusal("postgres://u:pw@db:abc/app", schemes),
            "port `abc` is not a number: expected 1 to 65535"
        );
        assert_eq!(
            refusal("redis://[::1]:0/0", schemes),
            "port `0` is out of range: expected 1 to 65535"
        );
        assert_eq!(written_port("redis://:p@w@[::1]:7x/0"), Some("7x"));
        // A password with a slash ends the authority early: its first part
        // looks like a port, and is never quoted.
        assert_eq!(written_port("postgres://u:99999/secret@db/app"), None);
        assert_eq!(
            refusal("postgres://u:99999/secret@db/app", schemes),
            "expected a valid URL (invalid port number)"
        );
    }

    #[test]
    fn redis_databases_and_parameters_are_checked() {
        let redis = |url: &str| refusal(url, &["redis", "rediss", "unix"]);
        let range = "expected a database number from 0 to 2147483647, such as /0";
        assert_eq!(
            redis("redis://cache/x"),
            format!("database `x` is not a number: {range}")
        );
        assert_eq!(
            redis("redis://cache/-1"),
            format!("database `-1` is not a number: {range}")
        );
        assert_eq!(
            redis("redis://cache/2147483648"),
            format!("database `2147483648` is out of range: {range}")
        );
        assert_eq!(
            redis("unix:///run/redis.sock?db=one"),
            format!("database `one` is not a number: {range}")
        );
        assert_eq!(
            redis("redis://cache/0?protocl=3"),
            "unknown parameter `protocl` — did you mean `protocol`?"
        );
        assert_eq!(
            redis("redis://cache/0?timeout=5"),
            "unknown parameter `timeout` (a Redis URL takes protocol)"
        );
        assert_eq!(
            redis("redis://cache/0?protocol=4"),
            "protocol `4` is not valid: expected resp2 or resp3"
        );
        assert_eq!(
            redis("redis://0.0.0.0:6379"),
            "host `0.0.0.0` is a wildcard address: name the server's address"
        );
        assert_eq!(
            redis("redis://cache/0#insecure"),
            "`#insecure` is not understood: only rediss:// URLs take #insecure"
        );
        // Found by fuzzing: taken here, then refused by the Redis client
        // ("Missing path"), which reads a socket path as a file URL's.
        assert_eq!(
            redis("unix://port=/run/redis.sock"),
            "host `port=` is not valid here: expected a path such as unix:///run/redis.sock"
        );
        for fine in [
            "unix://localhost/run/redis.sock",
            "redis://:pw@cache:6379/15",
            "rediss://cache/0#insecure",
            "redis://cache/?protocol=resp3",
            "unix:///run/redis.sock?db=2&pass=x",
        ] {
            assert!(
                parse_url(fine, &["redis", "rediss", "unix"]).is_ok(),
                "{fine}"
            );
        }
    }

    /// Found by fuzzing: taken here, refused by tokio-postgres at connect
    /// time ("invalid connection string").
    #[test]
    fn urls_without_the_slashes_are_refused() {
        let expected = "expected a URL starting with postgres:// or postgresql://";
        for text in [
            "postgresql:stgresql:///app?host=/var/run/postgresql",
            "postgres:/app?host=/var/run/postgresql",
        ] {
            assert_eq!(
                refusal(text, &["postgres", "postgresql"]),
                expected,
                "{text}"
            );
        }
        assert!(parse_url("postgres:///app?host=/var/run/postgresql", &["postgres"]).is_ok());
    }

    /// Found by fuzzing (the full run): the Redis client refused it at
    /// connect time ("Password is not valid UTF-8 string").
    #[test]
    fn redis_credentials_must_decode_to_text() {
        assert_eq!(
            refusal("redis://:pw%ac@cache/0", &["redis"]),
            "the password is not valid: its %-escapes do not make UTF-8 text"
        );
        assert_eq!(
            refusal("redis://%ff:pw@cache/0", &["redis"]),
            "the user name is not valid: its %-escapes do not make UTF-8 text"
        );
        assert!(parse_url("redis://:p%C3%A9@cache/0", &["redis"]).is_ok());
        // And tokio-postgres: "invalid connection string".
        assert_eq!(
            refusal("postgres://db/app%80", &["postgres"]),
            "the database is not valid: its %-escapes do not make UTF-8 text"
        );
        assert_eq!(
            refusal("postgres://%80@db/app", &["postgres"]),
            "the user name is not valid: its %-escapes do not make UTF-8 text"
        );
        assert_eq!(
            refusal("postgres://db%80/app", &["postgres"]),
            "the host is not valid: its %-escapes do not make UTF-8 text"
        );
        assert!(parse_url("postgres://%C3%A9@db/%C3%A9", &["postgres"]).is_ok());
    }

    /// Found by fuzzing (the full run): a fragment, which tokio-postgres
    /// refuses at connect time.
    #[test]
    fn fragments_in_database_urls_are_refused() {
        assert_eq!(
            refusal("postgres://u@[::1]#insecure", &["postgres"]),
            "`#insecure` is not understood: a PostgreSQL URL has no #fragment"
        );
    }

    /// Found by fuzzing: the scheme was right, so say what else is wrong.
    #[test]
    fn url_errors_say_why_a_url_with_the_right_scheme_is_refused() {
        assert_eq!(
            refusal("https://xn--:1", &["https"]),
            "expected a valid URL (invalid international domain name)"
        );
        assert_eq!(
            refusal("postgres://u:p@host:port/db", &["postgres"]),
            "port `port` is not a number: expected 1 to 65535"
        );
    }
}
