//! The external APIs `check services` knows without being told: which
//! variables configure each, and the one cheap authenticated request that
//! proves the key works.

use std::time::Duration;

use super::{BODY_CAP, Kind, Probe};
use crate::config::{AlertFields, Secret, SecretUrl, StatusSet};
use crate::net::http::{self, Method, Request};

/// How a built-in API takes its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// The key as the whole value of this header.
    Header(&'static str),
    /// `Authorization: Bearer <key>`.
    Bearer,
}

/// A built-in external API. Adding one is one entry in [`APIS`] and its two
/// variables in the check's group (which documents them).
#[derive(Debug)]
pub struct BuiltinService {
    pub name: &'static str,
    /// The short name accepted beside it (`VITALS_CRITICAL_SERVICES=anthropic`).
    pub alias: &'static str,
    pub key_var: &'static str,
    pub base_url_var: &'static str,
    /// Path and query of one cheap authenticated read, after the base URL.
    pub path: &'static str,
    pub auth: Auth,
    pub headers: &'static [(&'static str, &'static str)],
}

pub const APIS: &[BuiltinService] = &[
    BuiltinService {
        name: "anthropic_api",
        alias: "anthropic",
        key_var: "ANTHROPIC_API_KEY",
        base_url_var: "ANTHROPIC_BASE_URL",
        path: "/v1/models?limit=1",
        auth: Auth::Header("x-api-key"),
        headers: &[("anthropic-version", "2023-06-01")],
    },
    BuiltinService {
        name: "hubspot_api",
        alias: "hubspot",
        key_var: "HUBSPOT_API_KEY",
        base_url_var: "HUBSPOT_BASE_URL",
        path: "/account-info/v3/details",
        auth: Auth::Bearer,
        headers: &[],
    },
    // /v3/scopes answers for any valid key, even one restricted to mail.send.
    BuiltinService {
        name: "sendgrid_api",
        alias: "sendgrid",
        key_var: "SENDGRID_API_KEY",
        base_url_var: "SENDGRID_BASE_URL",
        path: "/v3/scopes",
        auth: Auth::Bearer,
        headers: &[],
    },
];

/// The request that checks `service` with `key`, at `base_url`.
pub(super) fn probe(
    service: &BuiltinService,
    key: &Secret,
    base_url: &SecretUrl,
    slow: Duration,
    critical: bool,
) -> Probe {
    let key = key.expose();
    let mut request = Request::new(
        Method::Get,
        http::join(base_url.expose(), service.path),
        Duration::ZERO,
    );
    request = match service.auth {
        Auth::Header(name) => request.header(name, key),
        Auth::Bearer => request.header("authorization", format!("Bearer {key}")),
    };
    for (name, value) in service.headers {
        request = request.header(name, *value);
    }
    Probe {
        name: service.name.to_owned(),
        kind: Kind::Api,
        request: request.truncate_body_at(BODY_CAP).no_redirects(),
        expect: StatusSet::range(200..=299),
        body_contains: None,
        slow,
        timeout: None,
        critical,
        alerts: AlertFields::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CHECK, Entry, Services};
    use super::*;
    use crate::checks::Check;
    use crate::net::tls::Trust;

    #[test]
    fn the_value_used_is_the_value_scrubbed() {
        // Quoted with a stray space in a .env: the key sent is the trimmed one.
        let env = std::collections::HashMap::from([("ANTHROPIC_API_KEY", " sk-trimmed-key-42 ")]);
        let services = Services::read(&mut crate::settings::reader(&env), &Trust::new(None));
        assert!(services.configured());
        let Some(Entry::Probe(probe)) = services.entries.first() else {
            panic!("anthropic_api should be probed");
        };
        let key = probe
            .request
            .headers
            .iter()
            .find(|(name, _)| name == "x-api-key");
        assert_eq!(key.map(|(_, v)| v.as_str()), Some("sk-trimmed-key-42"));
        assert_eq!(crate::redact::scrub("echo: sk-trimmed-key-42"), "echo: ***");
    }

    /// The hint names every built-in API's key.
    #[test]
    fn configured_by_names_every_api_key() {
        let keys: Vec<&str> = APIS.iter().map(|b| b.key_var).collect();
        assert_eq!(
            CHECK.configured_by,
            format!("{} or VITALS_CONFIG", keys.join(", "))
        );
    }
}
