//! Network clients shared by checks, alert channels and the store: HTTP,
//! TLS trust roots, PostgreSQL connections.

pub mod http;
pub mod pg;
pub mod tls;

use std::net::IpAddr;

use url::Url;

/// `host:port` of a URL (the scheme's port when none is written): what a
/// message names as the place tried, never a path or a credential.
pub fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// The value of an HTTP Basic `Authorization` header after `Basic `.
pub fn basic_credentials(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// This host's fully qualified name when the system has one: the host name
/// itself when it has a dot, else the resolver's canonical name for it when
/// that has one (`127.0.1.1 vm.example.com vm` in /etc/hosts, or DNS); else
/// the bare host name. `None` when the system has no host name. It may ask
/// DNS: callers bound it.
pub fn fully_qualified_host_name() -> Option<String> {
    let name = hostname::get().ok()?.into_string().ok()?;
    if name.is_empty() || name.contains('.') {
        return Some(name).filter(|n| !n.is_empty());
    }
    let hints = dns_lookup::AddrInfoHints {
        flags: AI_CANONNAME,
        address: 0,
        socktype: 0,
        protocol: 0,
    };
    let canonical = dns_lookup::getaddrinfo(Some(&name), None, Some(hints))
        .ok()
        .and_then(|mut found| found.find_map(|a| a.ok()?.canonname))
        .filter(|c| c.contains('.') && !c.starts_with("localhost"));
    Some(canonical.unwrap_or(name))
}

/// getaddrinfo's flag asking for the canonical name (the same value on
/// Linux, the BSDs and macOS).
const AI_CANONNAME: i32 = 0x0002;

/// Whether `host` names this machine (SMTP may then go without TLS).
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_encoding_matches_rfc7617() {
        assert_eq!(
            basic_credentials("Aladdin", "open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn host_port_names_the_default_port() {
        let shown = |u: &str| Url::parse(u).map(|u| host_port(&u)).unwrap_or_default();
        assert_eq!(
            shown("https://api.anthropic.com/v1/models?limit=1"),
            "api.anthropic.com:443"
        );
        assert_eq!(shown("http://u:p@[::1]:8080/x"), "[::1]:8080");
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("localhost") && is_loopback("::1") && is_loopback("127.0.0.2"));
        assert!(!is_loopback("smtp.example.com"));
    }
}
