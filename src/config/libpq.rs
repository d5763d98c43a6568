//! libpq's URL forms that the URL standard does not know.

use std::path::Path;

use url::Url;

use super::parse::{Invalid, did_you_mean, one_of, unknown_parameter};

/// libpq accepts `postgres://user@/db?host=/run/postgresql`, an empty host
/// with a user, which the URL standard rejects. Moving the `host` (and `port`)
/// parameters into the authority, percent-encoded, means the same to libpq
/// and tokio-postgres.
pub(super) fn host_param_in_authority(raw: &str) -> Option<String> {
    let (scheme, rest) = raw.split_once("://")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !authority.ends_with('@') {
        return None;
    }
    let (path, query) = tail.split_once('?')?;
    let (mut host, mut port) = (None, None);
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some(("host", h)) if host.is_none() && !h.is_empty() => {
                host = Some(h);
                false
            }
            Some(("port", p)) if port.is_none() && !p.is_empty() => {
                port = Some(p);
                false
            }
            _ => true,
        })
        .collect();
    let host = percent_encoding::percent_decode_str(host?)
        .decode_utf8()
        .ok()?;
    let host = percent_encoding::utf8_percent_encode(&host, percent_encoding::NON_ALPHANUMERIC);
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    Some(format!("{scheme}://{authority}{host}{port}{path}{query}"))
}

/// libpq URLs may name the host (or a socket directory) in `?host=` instead.
pub(super) fn has_host_param(url: &Url) -> bool {
    url.query_pairs().any(|(k, v)| k == "host" && !v.is_empty())
}

/// libpq's connection parameters that vitals honours (the rest of libpq's
/// documented ones are in [`UNSUPPORTED`]).
const HONOURED: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "connect_timeout",
    "application_name",
    "options",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslnegotiation",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
];

/// The rest of the parameters libpq documents (PostgreSQL 18, "Parameter Key
/// Words"), with `ssl`, which libpq accepts in URLs for JDBC's sake. Each
/// would change how a libpq client connects, so ignoring one would check a
/// different connection than the application makes: they are refused.
const UNSUPPORTED: &[&str] = &[
    "passfile",
    "require_auth",
    "client_encoding",
    "fallback_application_name",
    "keepalives_count",
    "replication",
    "gssencmode",
    "requiressl",
    "ssl",
    "sslcompression",
    "sslkeylogfile",
    "sslpassword",
    "sslcertmode",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "min_protocol_version",
    "max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "scram_client_key",
    "scram_server_key",
    "service",
    "oauth_issuer",
    "oauth_client_id",
    "oauth_client_secret",
    "oauth_scope",
];

pub const SSLMODES: &[&str] = &[
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// Every query parameter of a `postgres://` URL is one libpq knows and vitals
/// honours, with a value libpq would accept: a mistyped one is a mistake in
/// the configuration, not a database that is down.
pub(super) fn check_parameters(url: &Url) -> Result<(), Invalid> {
    for (key, value) in url.query_pairs() {
        check_parameter(&key, &value)?;
    }
    Ok(())
}

fn check_parameter(key: &str, value: &str) -> Result<(), Invalid> {
    let choice = |allowed: &[&str]| {
        if allowed.contains(&value) {
            Ok(())
        } else {
            Err(Invalid::Part(format!(
                "{key} `{value}` is not valid: expected {}{}",
                one_of(allowed),
                did_you_mean(value, allowed)
            )))
        }
    };
    let whole = |what: &str| {
        if value.parse::<i64>().is_ok() {
            Ok(())
        } else {
            Err(Invalid::Part(format!(
                "{key} `{value}` is not valid: expected {what}"
            )))
        }
    };
    match key {
        "sslmode" => choice(SSLMODES),
        "sslnegotiation" => choice(&["postgres", "direct"]),
        "channel_binding" => choice(&["disable", "prefer", "require"]),
        "load_balance_hosts" => choice(&["disable", "random"]),
        "target_session_attrs" if matches!(value, "primary" | "standby" | "prefer-standby") => {
            Err(Invalid::Part(format!(
                "target_session_attrs `{value}` is not supported by vitals: expected any, \
                 read-write or read-only"
            )))
        }
        "target_session_attrs" => choice(&["any", "read-write", "read-only"]),
        "connect_timeout" | "tcp_user_timeout" | "keepalives_idle" | "keepalives_interval" => {
            whole("a whole number of seconds")
        }
        "keepalives" => whole("1 (on) or 0 (off)"),
        "port" => value
            .split(',')
            .filter(|p| !p.is_empty())
            .try_for_each(|p| match p.parse::<u16>() {
                Ok(port) if port > 0 => Ok(()),
                _ if p.bytes().all(|b| b.is_ascii_digit()) => Err(Invalid::Part(format!(
                    "port `{p}` is out of range: expected 1 to 65535"
                ))),
                _ => Err(Invalid::Part(format!(
                    "port `{p}` is not a number: expected 1 to 65535"
                ))),
            }),
        "hostaddr" => match value
            .split(',')
            .find(|a| a.parse::<std::net::IpAddr>().is_err())
        {
            Some(bad) => Err(Invalid::Part(format!(
                "hostaddr `{bad}` is not an IP address"
            ))),
            None => Ok(()),
        },
        "sslrootcert" if value != "system" && !Path::new(value).is_file() => Err(Invalid::Part(
            format!("sslrootcert `{value}`: no such file (a PEM file, or `system`)"),
        )),
        "sslcert" | "sslkey" if !Path::new(value).is_file() => Err(Invalid::Part(format!(
            "{key} `{value}`: no such file (the client's PEM {})",
            if key == "sslcert" {
                "certificate"
            } else {
                "private key"
            }
        ))),
        key if HONOURED.contains(&key) => Ok(()),
        "sslpassword" => Err(Invalid::Part(
            "parameter `sslpassword` (an encrypted client key) is not supported by vitals: \
             give sslkey a key file that is not encrypted, readable only by vitals"
                .to_owned(),
        )),
        "sslcertmode" => Err(Invalid::Part(
            "parameter `sslcertmode` is not supported by vitals: a client certificate is sent \
             when sslcert and sslkey are given"
                .to_owned(),
        )),
        "ssl" | "requiressl" => Err(Invalid::Part(format!(
            "parameter `{key}` is not supported by vitals: use sslmode=require"
        ))),
        key if UNSUPPORTED.contains(&key) => Err(Invalid::Part(format!(
            "parameter `{key}` is not supported by vitals"
        ))),
        key => {
            let known: Vec<&str> = HONOURED.iter().chain(UNSUPPORTED).copied().collect();
            Err(unknown_parameter(
                key,
                &known,
                "not one of libpq's connection parameters",
            ))
        }
    }
}
