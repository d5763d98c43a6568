//! The one HTTP client used by checks and alert channels: ureq (blocking) with
//! the shared trust roots, a timeout on every request, a cap on every body,
//! and errors that say what went wrong in a few words.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use url::Url;

use crate::tls::Trust;

/// Bodies larger than this are refused unless a request asks for another cap.
pub const DEFAULT_MAX_BODY: u64 = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    // `allow`, not `expect`: the checks that use it land on other branches.
    #[allow(dead_code, reason = "used by the agents and services checks")]
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
    pub timeout: Duration,
    pub max_body: u64,
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
        let value = format!("Basic {}", crate::config::basic_credentials(user, password));
        self.header("authorization", value)
    }

    /// `Authorization: Bearer …`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", format!("Bearer {token}"))
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
    #[allow(dead_code, reason = "used by the services check")]
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

    /// `Retry-After` in seconds (the HTTP-date form is rare from APIs and ignored).
    pub fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after")?
            .trim()
            .parse::<u64>()
            .ok()
            .map(Duration::from_secs)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    #[error("timed out after {}", humantime::format_duration(*.0))]
    Timeout(Duration),
    #[error("connection refused")]
    Refused,
    #[error("could not resolve the host name")]
    Dns,
    #[error("{0}")]
    Tls(String),
    #[error("response body larger than {0} bytes")]
    TooLarge(u64),
    #[error("too many redirects")]
    Redirects,
    #[error("{0}")]
    Other(String),
}

/// An HTTP client with the run's trust roots. Roots are read on the first
/// HTTPS request only; plain-HTTP use never touches a certificate bundle.
#[derive(Clone)]
pub struct Client {
    trust: Trust,
    plain: Arc<OnceLock<ureq::Agent>>,
    tls: Arc<OnceLock<Result<ureq::Agent, String>>>,
}

impl Client {
    pub fn new(trust: &Trust) -> Self {
        Client {
            trust: trust.clone(),
            plain: Arc::new(OnceLock::new()),
            tls: Arc::new(OnceLock::new()),
        }
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
                    .unversioned_rustls_crypto_provider(crate::tls::provider())
                    .build();
                Ok(agent(tls))
            })
            .clone()
            .map_err(HttpError::Tls)
    }

    /// Sends a request and reads the whole (capped) body, within `request.timeout`.
    pub fn send(&self, request: &Request) -> Result<Response, HttpError> {
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
            .map_err(|e| HttpError::Other(e.to_string()))?;
        let config = agent
            .configure_request(http_request)
            .timeout_global(Some(request.timeout))
            .build();
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

    /// [`Client::send`] on the blocking pool, for async callers.
    pub async fn send_async(&self, request: Request) -> Result<Response, HttpError> {
        let client = self.clone();
        tokio::task::spawn_blocking(move || client.send(&request))
            .await
            .unwrap_or_else(|e| Err(HttpError::Other(format!("request task failed: {e}"))))
    }
}

fn agent(tls: TlsConfig) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(5)
        .max_redirects_will_error(true)
        .user_agent(concat!("vitals/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build()
        .new_agent()
}

fn describe(error: ureq::Error, timeout: Duration) -> HttpError {
    use ureq::Error as E;
    match error {
        E::Timeout(_) => HttpError::Timeout(timeout),
        E::HostNotFound => HttpError::Dns,
        E::BodyExceedsLimit(limit) => HttpError::TooLarge(limit),
        E::TooManyRedirects | E::RedirectFailed => HttpError::Redirects,
        E::Tls(reason) => HttpError::Tls(format!("TLS handshake failed: {reason}")),
        E::Rustls(e) => HttpError::Tls(crate::tls::describe(&e)),
        E::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => HttpError::Refused,
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                HttpError::Timeout(timeout)
            }
            _ => match crate::checks::find_cause::<rustls::Error>(&io) {
                Some(tls) => HttpError::Tls(crate::tls::describe(tls)),
                None => HttpError::Other(io.to_string()),
            },
        },
        E::ConnectionFailed => HttpError::Refused,
        other => HttpError::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds() {
        let r = Response {
            status: 429,
            headers: vec![("Retry-After".into(), " 7 ".into())],
            body: Vec::new(),
            elapsed: Duration::ZERO,
        };
        assert_eq!(r.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(r.header("retry-after"), Some(" 7 "));
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
