//! libpq's URL forms that the URL standard does not know.

use url::Url;

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
