//! Network clients shared by checks, alert channels and the store: HTTP,
//! TLS trust roots, PostgreSQL connections.

pub mod http;
pub mod pg;
pub mod tls;

use std::net::IpAddr;

/// The value of an HTTP Basic `Authorization` header after `Basic `.
pub fn basic_credentials(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

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
    fn loopback_hosts() {
        assert!(is_loopback("localhost") && is_loopback("::1") && is_loopback("127.0.0.2"));
        assert!(!is_loopback("smtp.example.com"));
    }
}
