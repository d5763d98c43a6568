//! The external APIs `check services` knows without being told: which
//! variables configure each, and the one cheap authenticated request that
//! proves the key works. Configuration data, read by the loader and the check.

/// How a built-in API takes its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// The key as the whole value of this header.
    Header(&'static str),
    /// `Authorization: Bearer <key>`.
    Bearer,
}

/// A built-in external API. Adding one is one entry in [`BUILTINS`] (and its
/// two variables in `vars.rs`, which documents them).
#[derive(Debug)]
pub struct BuiltinService {
    pub name: &'static str,
    pub key_var: &'static str,
    pub base_url_var: &'static str,
    /// Path and query of one cheap authenticated read, after the base URL.
    pub path: &'static str,
    pub auth: Auth,
    pub headers: &'static [(&'static str, &'static str)],
}

pub const BUILTINS: &[BuiltinService] = &[
    BuiltinService {
        name: "anthropic_api",
        key_var: "ANTHROPIC_API_KEY",
        base_url_var: "ANTHROPIC_BASE_URL",
        path: "/v1/models?limit=1",
        auth: Auth::Header("x-api-key"),
        headers: &[("anthropic-version", "2023-06-01")],
    },
    BuiltinService {
        name: "hubspot_api",
        key_var: "HUBSPOT_API_KEY",
        base_url_var: "HUBSPOT_BASE_URL",
        path: "/account-info/v3/details",
        auth: Auth::Bearer,
        headers: &[],
    },
    // /v3/scopes answers for any valid key, even one restricted to mail.send.
    BuiltinService {
        name: "sendgrid_api",
        key_var: "SENDGRID_API_KEY",
        base_url_var: "SENDGRID_BASE_URL",
        path: "/v3/scopes",
        auth: Auth::Bearer,
        headers: &[],
    },
];
