//! PostgreSQL connections as libpq users expect them (`sslmode`,
//! `sslrootcert`, the socket directory in `host=`), shared by `check db` and
//! the alert store.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{Client, NoTls};
use url::Url;

use crate::error::{Worded, chain_text, find_cause};
use crate::net::tls::{self, Trust, Verify};

/// Why there is no connection: the TLS set-up (nothing was attempted), or
/// the attempt itself.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Setup(#[from] TlsSetupError),
    #[error("{0}")]
    Connect(#[source] Worded),
}

/// A URL that cannot be used as libpq would.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("sslmode must be disable, allow, prefer, require, verify-ca or verify-full, not {0:?}")]
    SslMode(String),
    #[error("{0} (client certificates) is not supported")]
    ClientCertificates(String),
    #[error("not a usable PostgreSQL URL: {0}")]
    Url(#[source] tokio_postgres::Error),
}

/// The trust roots or the TLS configuration for `sslmode` could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("sslrootcert: {0}")]
    RootCert(#[source] tls::TlsError),
    #[error(transparent)]
    Trust(#[from] tls::TrustError),
    #[error(transparent)]
    Config(#[from] tls::TlsError),
}

/// libpq's `sslmode` levels, which tokio-postgres only partly knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Where `sslrootcert` points: libpq's default file is not used unless named.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RootCert {
    Default,
    System,
    File(PathBuf),
}

pub struct Target {
    pub config: tokio_postgres::Config,
    mode: Mode,
    root_cert: RootCert,
}

impl Target {
    /// Splits off the TLS parameters tokio-postgres does not understand and parses the rest.
    pub fn parse(url: &Url) -> Result<Target, TargetError> {
        let mut mode = Mode::Prefer;
        let mut root_cert = RootCert::Default;
        let mut kept = Vec::new();
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "sslmode" => {
                    mode = match value.as_ref() {
                        "disable" => Mode::Disable,
                        "allow" | "prefer" => Mode::Prefer,
                        "require" => Mode::Require,
                        "verify-ca" => Mode::VerifyCa,
                        "verify-full" => Mode::VerifyFull,
                        other => return Err(TargetError::SslMode(other.to_owned())),
                    }
                }
                "sslrootcert" => {
                    root_cert = if value == "system" {
                        RootCert::System
                    } else {
                        RootCert::File(PathBuf::from(value.as_ref()))
                    }
                }
                "sslcert" | "sslkey" | "sslpassword" | "sslcrl" | "sslcrldir" => {
                    return Err(TargetError::ClientCertificates(key.into_owned()));
                }
                _ => kept.push((key.into_owned(), value.into_owned())),
            }
        }
        let mut stripped = url.clone();
        stripped.set_query(None);
        if !kept.is_empty() {
            stripped.query_pairs_mut().extend_pairs(kept);
        }
        let mut config =
            tokio_postgres::Config::from_str(stripped.as_str()).map_err(TargetError::Url)?;
        // libpq: with a root certificate given, `require` verifies the chain like `verify-ca`.
        if mode == Mode::Require && matches!(root_cert, RootCert::File(_)) {
            mode = Mode::VerifyCa;
        }
        config.ssl_mode(match mode {
            Mode::Disable => SslMode::Disable,
            Mode::Prefer => SslMode::Prefer,
            Mode::Require | Mode::VerifyCa | Mode::VerifyFull => SslMode::Require,
        });
        Ok(Target {
            config,
            mode,
            root_cert,
        })
    }

    fn tls(
        &self,
        trust: &Trust,
    ) -> Result<Option<tokio_postgres_rustls::MakeRustlsConnect>, TlsSetupError> {
        let verify = match self.mode {
            Mode::Disable => return Ok(None),
            Mode::Prefer | Mode::Require => Verify::Nothing,
            Mode::VerifyCa => Verify::ChainOnly,
            Mode::VerifyFull => Verify::Full,
        };
        let roots = match (&self.root_cert, verify) {
            // Unverified TLS needs no trust anchors: skip reading any bundle.
            (_, Verify::Nothing) => rustls::RootCertStore::empty(),
            (RootCert::File(path), _) => tls::read_pem_file(path)
                .map(|pem| tls::roots_from_pem(&pem))
                .map_err(TlsSetupError::RootCert)?,
            (RootCert::Default | RootCert::System, _) => trust.root_store()?,
        };
        let config = tls::client_config(roots, verify)?;
        Ok(Some(tokio_postgres_rustls::MakeRustlsConnect::new(config)))
    }

    /// Host and port, never the credentials.
    pub fn endpoint(&self) -> String {
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        match self.config.get_hosts().first() {
            Some(Host::Tcp(host)) => format!("{host}:{port}"),
            Some(Host::Unix(dir)) => format!("{}/.s.PGSQL.{port}", dir.display()),
            None => format!("localhost:{port}"),
        }
    }
}

impl Target {
    /// Connects within `timeout` (unless the URL sets `connect_timeout`), with
    /// TLS as `sslmode` says; the connection is driven by a spawned task.
    pub async fn connect(&self, trust: &Trust, timeout: Duration) -> Result<Client, ConnectError> {
        let mut pg = self.config.clone();
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(timeout);
        }
        if pg.get_application_name().is_none() {
            pg.application_name("vitals");
        }
        tracing::debug!(
            "postgres: connecting to {} (sslmode {:?})",
            self.endpoint(),
            self.mode
        );
        let connected = match self.tls(trust)? {
            None => pg.connect(NoTls).await.map(|(client, conn)| {
                tokio::spawn(conn);
                client
            }),
            Some(tls) => pg.connect(tls).await.map(|(client, conn)| {
                tokio::spawn(conn);
                client
            }),
        };
        connected.map_err(|e| {
            ConnectError::Connect(Worded::new(
                format!("{}: {}", self.endpoint(), describe(&e)),
                e,
            ))
        })
    }
}

/// A short, specific reason: the server's own message when it sent one.
pub fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{} (SQLSTATE {})", db.message(), db.code().code());
    }
    if let Some(tls) = find_cause::<rustls::Error>(error) {
        return tls::describe(tls);
    }
    if let Some(io) = find_cause::<std::io::Error>(error) {
        match io.kind() {
            std::io::ErrorKind::ConnectionRefused => return "connection refused".to_owned(),
            std::io::ErrorKind::TimedOut => return "connection timed out".to_owned(),
            std::io::ErrorKind::ConnectionReset => {
                return "connection reset by the server".to_owned();
            }
            _ => {}
        }
    }
    let text = chain_text(error);
    if text.contains("failed to lookup address") || text.contains("Name or service not known") {
        return "could not resolve the host name".to_owned();
    }
    if text.contains("server does not support TLS") {
        return "the server does not support TLS, but sslmode requires it".to_owned();
    }
    if text.contains("unexpected message")
        || text.contains("invalid message")
        || text.contains("unknown authentication")
    {
        return format!("the server did not answer as PostgreSQL does ({text})");
    }
    if error.is_closed() || text.contains("unexpected EOF") {
        return format!("the server closed the connection ({text})");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Result<Target, String> {
        Target::parse(&Url::parse(url).map_err(|e| e.to_string())?).map_err(|e| e.to_string())
    }

    #[test]
    fn sslmode_levels_are_understood() {
        let t = target(
            "postgres://u:p@db.example.com/app?sslmode=verify-full&sslrootcert=/ca.pem&connect_timeout=3",
        );
        let Ok(t) = t else { panic!("{:?}", t.err()) };
        assert_eq!(t.mode, Mode::VerifyFull);
        assert_eq!(t.root_cert, RootCert::File(PathBuf::from("/ca.pem")));
        assert_eq!(
            t.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        assert_eq!(t.endpoint(), "db.example.com:5432");
    }

    #[test]
    fn require_with_a_root_cert_verifies_the_chain() {
        let t = target("postgres://db/app?sslmode=require&sslrootcert=/ca.pem");
        assert_eq!(t.map(|t| t.mode), Ok(Mode::VerifyCa));
        let t = target("postgres://db/app?sslmode=require");
        let Ok(t) = t else { panic!("{:?}", t.err()) };
        assert_eq!(t.mode, Mode::Require);
        // No silent fallback to plain text once TLS is required.
        assert_eq!(t.config.get_ssl_mode(), SslMode::Require);
    }

    #[test]
    fn disable_means_plain_text() {
        let t = target("postgresql://db:6543/app?sslmode=disable");
        let Ok(t) = t else { panic!("{:?}", t.err()) };
        assert_eq!(t.mode, Mode::Disable);
        assert_eq!(t.config.get_ssl_mode(), SslMode::Disable);
        assert_eq!(t.endpoint(), "db:6543");
    }

    #[test]
    fn bad_parameters_are_reported() {
        let e = target("postgres://db/app?sslmode=sometimes")
            .err()
            .unwrap_or_default();
        assert!(e.contains("sslmode must be"), "{e}");
        let e = target("postgres://db/app?sslcert=/c.pem")
            .err()
            .unwrap_or_default();
        assert!(
            e.contains("sslcert (client certificates) is not supported"),
            "{e}"
        );
    }
}
