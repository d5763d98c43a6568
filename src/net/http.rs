//! The one HTTP client used by checks and alert channels: ureq (blocking) with
//! the shared trust roots, a timeout on every request, a cap on every body,
//! and errors that say what went wrong in a few words.
//!
//! ureq is blocking: async callers go through [`Client::send_async`], which
//! runs each request on tokio's blocking pool. A client made with
//! [`Client::max_in_flight`] holds a permit for the whole blocking call, so
//! however many requests are queued, threads and sockets stay bounded.

use std::io::Read as _;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use url::Url;

use crate::error::Worded;
use crate::net::tls::{Trust, TrustError};

/// `path_and_query` under `base`, keeping the base's own path: a proxy or a
/// regional endpoint may put an API under a prefix (`http://proxy/anthropic`).
pub fn join(base: &Url, path_and_query: &str) -> Url {
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    let mut url = base.clone();
    url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
    url.set_query(query);
    url
}

/// Bodies larger than this are refused unless a request asks for another cap.
pub const DEFAULT_MAX_BODY: u64 = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    /// Header values may be secrets: they are never logged.
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
    /// The whole exchange, including any wait for a free slot of a limited client.
    pub timeout: Duration,
    pub max_body: u64,
    /// Keep the first `max_body` bytes of a larger body instead of failing.
    pub truncate_body: bool,
    /// Off for probes: a redirect must be seen, and a key sent in a custom
    /// header must not follow it to another host.
    pub follow_redirects: bool,
    /// The path and query are a credential (webhooks): logs show the origin only.
    pub secret_path: bool,
}

#[derive(Debug, Clone)]
pub struct Body {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl Request {
    pub fn new(method: Method, url: Url, timeout: Duration) -> Self {
        Request {
            method,
            url,
            headers: Vec::new(),
            body: None,
            timeout,
            max_body: DEFAULT_MAX_BODY,
            truncate_body: false,
            follow_redirects: true,
            secret_path: false,
        }
    }

    /// Marks the URL's path as a secret, so it never reaches a log line.
    pub fn secret_path(mut self) -> Self {
        self.secret_path = true;
        self
    }

    /// `Authorization: Basic …` from a user and password.
    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        let value = format!("Basic {}", crate::net::basic_credentials(user, password));
        self.header("authorization", value)
    }

    /// `Authorization: Bearer …`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
    }

    /// Reads at most `max` bytes of the body and drops the rest.
    pub fn truncate_body_at(mut self, max: u64) -> Self {
        self.max_body = max;
        self.truncate_body = true;
        self
    }

    /// Returns a 3xx response as it is instead of following it.
    pub fn no_redirects(mut self) -> Self {
        self.follow_redirects = false;
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
    pub fn json(mut self, value: &serde_json::Value) -> Self {
        self.body = Some(Body {
            content_type: "application/json",
            bytes: value.to_string().into_bytes(),
        });
        self
    }
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.body = Some(Body {
            content_type: "application/x-www-form-urlencoded",
            bytes: encoded.into_bytes(),
        });
        self
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

impl Response {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// `Retry-After`: whole seconds, or an HTTP date (any of the three forms
    /// RFC 9110 says a recipient must read), counted from `now`; a date
    /// already past means no wait.
    pub fn retry_after(&self, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
        let value = self.header("retry-after")?.trim();
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        let at: chrono::DateTime<chrono::Utc> = httpdate::parse_http_date(value).ok()?.into();
        Some((at - now).to_std().unwrap_or(Duration::ZERO))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("timed out after {}", crate::text::duration(*.0))]
    Timeout(Duration),
    #[error("connection refused")]
    Refused,
    #[error("could not resolve the host name")]
    Dns,
    #[error("{0}")]
    Tls(#[source] Worded),
    #[error("response body larger than {0} bytes")]
    TooLarge(u64),
    #[error("too many redirects")]
    Redirects,
    #[error("the connection was closed before the whole response arrived")]
    Closed,
    #[error("the server did not answer with HTTP")]
    NotHttp(#[source] ureq::Error),
    #[error("the response header is larger than {0} bytes")]
    LargeHeader(usize),
    #[error("{0}")]
    Other(#[source] Worded),
}

/// An HTTP client with the run's trust roots. Roots are read on the first
/// HTTPS request only; plain-HTTP use never touches a certificate bundle.
#[derive(Clone)]
pub struct Client {
    trust: Trust,
    plain: Arc<OnceLock<ureq::Agent>>,
    tls: Arc<OnceLock<Result<ureq::Agent, TrustError>>>,
    in_flight: Option<Arc<Semaphore>>,
}

impl Client {
    pub fn new(trust: &Trust) -> Self {
        Client {
            trust: trust.clone(),
            plain: Arc::new(OnceLock::new()),
            tls: Arc::new(OnceLock::new()),
            in_flight: None,
        }
    }

    /// At most `limit` requests from [`Client::send_async`] at once (shared by
    /// clones); the others wait, and the wait counts against their timeout.
    pub fn max_in_flight(mut self, limit: usize) -> Self {
        self.in_flight = Some(Arc::new(Semaphore::new(limit.max(1))));
        self
    }

    fn agent(&self, https: bool) -> Result<ureq::Agent, HttpError> {
        if !https {
            return Ok(self
                .plain
                .get_or_init(|| agent(TlsConfig::default()))
                .clone());
        }
        self.tls
            .get_or_init(|| {
                let pem = self.trust.pem()?;
                let certs: Vec<Certificate<'static>> = CertificateDer::pem_slice_iter(&pem)
                    .flatten()
                    .map(|der| Certificate::from_der(der.as_ref()).to_owned())
                    .collect();
                let tls = TlsConfig::builder()
                    .root_certs(RootCerts::Specific(Arc::new(certs)))
                    .unversioned_rustls_crypto_provider(crate::net::tls::provider())
                    .build();
                Ok(agent(tls))
            })
            .clone()
            .map_err(|e| HttpError::Tls(Worded::new(e.to_string(), e)))
    }

    /// Sends a request and reads the whole (capped) body with `time_left` of
    /// `request.timeout` still to spend; a timeout is reported as
    /// `request.timeout`, the limit the caller chose.
    fn send_within(&self, request: &Request, time_left: Duration) -> Result<Response, HttpError> {
        let agent = self.agent(request.url.scheme() == "https")?;
        let started = Instant::now();
        let mut builder = ureq::http::Request::builder()
            .method(request.method.as_str())
            .uri(request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder.header("content-type", body.content_type);
        }
        let body = request
            .body
            .as_ref()
            .map(|b| b.bytes.clone())
            .unwrap_or_default();
        let http_request = builder
            .body(body)
            .map_err(|e| HttpError::Other(Worded::new(e.to_string(), e)))?;
        let mut config = agent
            .configure_request(http_request)
            .timeout_global(Some(time_left));
        if !request.follow_redirects {
            config = config.max_redirects(0);
        }
        let config = config.build();
        let shown = if request.secret_path {
            crate::redact::url_origin(&request.url)
        } else {
            crate::redact::url(&request.url)
        };
        tracing::debug!("{} {shown}", request.method.as_str());
        let mut response = agent
            .run(config)
            .map_err(|e| describe(e, request.timeout))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = if request.method == Method::Head {
            Vec::new()
        } else if request.truncate_body {
            let mut body = Vec::new();
            response
                .body_mut()
                .as_reader()
                .take(request.max_body)
                .read_to_end(&mut body)
                .map_err(|e| describe(ureq::Error::from(e), request.timeout))?;
            body
        } else {
            response
                .body_mut()
                .with_config()
                .limit(request.max_body)
                .read_to_vec()
                .map_err(|e| describe(e, request.timeout))?
        };
        Ok(Response {
            status,
            headers,
            body,
            elapsed: started.elapsed(),
        })
    }

    /// Sends a request on the blocking pool and reads the whole (capped) body,
    /// within `request.timeout`.
    pub async fn send_async(&self, request: Request) -> Result<Response, HttpError> {
        let queued = Instant::now();
        let permit = match &self.in_flight {
            None => None,
            Some(slots) => {
                match tokio::time::timeout(request.timeout, slots.clone().acquire_owned()).await {
                    Ok(Ok(permit)) => Some(permit),
                    Ok(Err(_closed)) => {
                        return Err(HttpError::Other(Worded::without_source(
                            "request limiter closed",
                        )));
                    }
                    Err(_) => return Err(HttpError::Timeout(request.timeout)),
                }
            }
        };
        let time_left = request.timeout.saturating_sub(queued.elapsed());
        let client = self.clone();
        tokio::task::spawn_blocking(move || {
            // Released when the request ends, not when a caller stops waiting for it.
            let _permit = permit;
            client.send_within(&request, time_left)
        })
        .await
        .unwrap_or_else(|e| {
            Err(HttpError::Other(Worded::new(
                format!("request task failed: {e}"),
                e,
            )))
        })
    }
}

/// ureq's buffers are 128 KiB each way by default: with a hundred requests in
/// flight that is most of the memory vitals uses. The response head must fit
/// the input buffer, so it stays at ureq's 64 KiB header limit; requests are
/// small, and bodies larger than a buffer stream through either way.
const INPUT_BUFFER: usize = 64 * 1024;
const OUTPUT_BUFFER: usize = 16 * 1024;

fn agent(tls: TlsConfig) -> ureq::Agent {
    ureq::Agent::config_builder()
        .input_buffer_size(INPUT_BUFFER)
        .output_buffer_size(OUTPUT_BUFFER)
        .http_status_as_error(false)
        .max_redirects(5)
        .max_redirects_will_error(true)
        .user_agent(concat!("vitals/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build()
        .new_agent()
}

/// ureq's error in words; its own text goes to the log (`-v`) when the words leave it out.
fn describe(error: ureq::Error, timeout: Duration) -> HttpError {
    let chain = crate::error::chain_text(&error);
    let words = reason(error, timeout);
    if !matches!(words, HttpError::Timeout(_) | HttpError::Refused) {
        tracing::info!("{words} (client: {chain})");
    }
    words
}

fn reason(error: ureq::Error, timeout: Duration) -> HttpError {
    use ureq::Error as E;
    match error {
        E::Protocol(_) => HttpError::NotHttp(error),
        E::LargeResponseHeader(size, _) => HttpError::LargeHeader(size),
        E::Timeout(_) => HttpError::Timeout(timeout),
        E::HostNotFound => HttpError::Dns,
        E::BodyExceedsLimit(limit) => HttpError::TooLarge(limit),
        E::TooManyRedirects | E::RedirectFailed => HttpError::Redirects,
        E::Tls(reason) => HttpError::Tls(Worded::without_source(format!(
            "TLS handshake failed: {reason}"
        ))),
        E::Rustls(e) => HttpError::Tls(Worded::new(crate::net::tls::describe(&e), e)),
        // std reports getaddrinfo failures as an uncategorized io::Error that
        // only its text identifies; ureq passes it through.
        E::Io(io)
            if io
                .to_string()
                .starts_with("failed to lookup address information") =>
        {
            HttpError::Dns
        }
        E::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => HttpError::Refused,
            // ureq says "Peer disconnected" for a reset or an early close alike.
            std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::BrokenPipe => HttpError::Closed,
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                HttpError::Timeout(timeout)
            }
            _ => {
                match crate::error::find_cause::<rustls::Error>(&io).map(crate::net::tls::describe)
                {
                    Some(words) => HttpError::Tls(Worded::new(words, io)),
                    None => HttpError::Other(Worded::new(FAILED, io)),
                }
            }
        },
        E::ConnectionFailed => HttpError::Refused,
        other => HttpError::Other(Worded::new(FAILED, other)),
    }
}

/// What is said of a failure vitals has no better words for.
const FAILED: &str = "the request failed (vitals -v shows the client's report)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_the_base_path_and_the_query() {
        let joined = |base: &str, path| {
            Url::parse(base)
                .map(|b| join(&b, path).to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            joined("https://api.anthropic.com", "/v1/models?limit=1"),
            "https://api.anthropic.com/v1/models?limit=1"
        );
        assert_eq!(
            joined("http://proxy:8080/anthropic/", "/v1/models?limit=1"),
            "http://proxy:8080/anthropic/v1/models?limit=1"
        );
        assert_eq!(
            joined("http://proxy:8080/pd/", "/v2/enqueue"),
            "http://proxy:8080/pd/v2/enqueue"
        );
    }

    #[test]
    fn retry_after_in_seconds() {
        let r = Response {
            status: 429,
            headers: vec![("Retry-After".into(), " 7 ".into())],
            body: Vec::new(),
            elapsed: Duration::ZERO,
        };
        assert_eq!(r.retry_after(now()), Some(Duration::from_secs(7)));
        assert_eq!(r.header("retry-after"), Some(" 7 "));
    }

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_445_412_400, 0).unwrap_or_default()
    }

    #[test]
    fn retry_after_as_an_http_date_in_each_form() {
        // 2015-10-21T07:26:40Z is `now()`: each date is 80 s later.
        for date in [
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Wednesday, 21-Oct-15 07:28:00 GMT",
            "Wed Oct 21 07:28:00 2015",
        ] {
            let r = Response {
                status: 503,
                headers: vec![("Retry-After".into(), date.into())],
                body: Vec::new(),
                elapsed: Duration::ZERO,
            };
            assert_eq!(
                r.retry_after(now()),
                Some(Duration::from_secs(80)),
                "{date}"
            );
        }
        let past = Response {
            status: 429,
            headers: vec![("retry-after".into(), "Tue, 20 Oct 2015 07:28:00 GMT".into())],
            body: Vec::new(),
            elapsed: Duration::ZERO,
        };
        assert_eq!(past.retry_after(now()), Some(Duration::ZERO));
    }

    #[test]
    fn form_bodies_are_url_encoded() {
        let url = Url::parse("http://x/").map_err(|e| e.to_string());
        let Ok(url) = url else { panic!("{url:?}") };
        let r = Request::new(Method::Post, url, Duration::from_secs(1))
            .form(&[("Body", "CRITICAL ALERT: a&b\nx"), ("To", "+1555")]);
        let body = r
            .body
            .map(|b| String::from_utf8_lossy(&b.bytes).into_owned());
        assert_eq!(
            body.as_deref(),
            Some("Body=CRITICAL+ALERT%3A+a%26b%0Ax&To=%2B1555")
        );
    }
}
