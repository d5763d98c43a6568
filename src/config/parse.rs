//! Parsers of variable values. Each returns the value, or what was expected
//! instead ("a port number from 1 to 65535"), which the caller words as
//! `VAR: expected …` with the value shown only when it is not a secret.

use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::RateLimit;
use super::libpq::{has_host_param, host_param_in_authority};

/// What a value should have been, e.g. "a port number from 1 to 65535".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {0}")]
pub struct Expected(pub String);

impl Expected {
    fn new(what: impl Into<String>) -> Expected {
        Expected(what.into())
    }
}

/// A parser's result.
type Check<T> = Result<T, Expected>;

pub fn parse_url(value: &str, schemes: &[&str]) -> Check<Url> {
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
            url::ParseError::RelativeUrlWithoutBase => expected(),
            other => Expected(format!("a valid URL ({other})")),
        })?;
    if !schemes.contains(&url.scheme()) {
        return Err(expected());
    }
    let socket_scheme = matches!(url.scheme(), "unix" | "redis+unix");
    if !socket_scheme && url.host_str().is_none_or(str::is_empty) && !has_host_param(&url) {
        return Err(Expected(format!("{} with a host", expected().0)));
    }
    Ok(url)
}

fn schemes_list(schemes: &[&str]) -> String {
    let quoted: Vec<String> = schemes.iter().map(|s| format!("{s}://")).collect();
    match quoted.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
        [] => String::new(),
    }
}

pub fn parse_port(value: &str) -> Check<u16> {
    value
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| Expected::new("a port number from 1 to 65535"))
}

pub(super) fn parse_percent(value: &str) -> Check<f64> {
    value
        .trim_end_matches('%')
        .parse::<f64>()
        .ok()
        .filter(|p| *p > 0.0 && *p <= 100.0)
        .ok_or_else(|| Expected::new("a percentage above 0 and at most 100"))
}

pub(super) fn parse_count(value: &str) -> Check<u64> {
    value
        .parse::<u64>()
        .map_err(|_| Expected::new("a whole number (0 or more)"))
}

/// Milliseconds as a bare number, or any duration with a unit.
pub(super) fn parse_millis(value: &str) -> Check<Duration> {
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
        Err(_) => humantime::parse_duration(value).map_err(|_| expected())?,
    };
    if d.is_zero() {
        return Err(Expected(format!("{} (greater than zero)", expected().0)));
    }
    if d > MAX_DURATION {
        return Err(Expected(format!("{} (at most 366 days)", expected().0)));
    }
    Ok(d)
}

pub(super) fn parse_rate_limit(value: &str) -> Check<RateLimit> {
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
        "s" | "m" | "h" | "d" => humantime::parse_duration(&format!("1{per}")).ok(),
        _ => humantime::parse_duration(per).ok(),
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
pub(super) fn parse_name(value: &str) -> Check<String> {
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

    /// Found by fuzzing: the scheme was right, so say what else is wrong.
    #[test]
    fn url_errors_say_why_a_url_with_the_right_scheme_is_refused() {
        assert_eq!(
            parse_url("https://xn--:1", &["https"])
                .err()
                .map(|e| e.0)
                .as_deref(),
            Some("a valid URL (invalid international domain name)")
        );
        assert_eq!(
            parse_url("postgres://u:p@host:port/db", &["postgres"])
                .err()
                .map(|e| e.0)
                .as_deref(),
            Some("a valid URL (invalid port number)")
        );
    }
}
