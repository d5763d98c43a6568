//! PostgreSQL connections as libpq users expect them (`sslmode`,
//! `sslrootcert`, the socket directory in `host=`), shared by `check db` and
//! the alert store.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

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
    #[error("{0} is not supported")]
    Unsupported(String),
    #[error("sslcert and sslkey go together: {0} is missing")]
    HalfAClientCertificate(&'static str),
    #[error("not a usable PostgreSQL URL: {0}")]
    Url(#[source] tokio_postgres::Error),
}

/// The trust roots or the TLS configuration for `sslmode` could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("sslrootcert: {0}")]
    RootCert(#[source] tls::TlsError),
    #[error("sslcert/sslkey: {0}")]
    ClientCert(#[source] tls::TlsError),
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
    /// `sslcert` and `sslkey`: the certificate and key the client presents.
    client_cert: Option<(PathBuf, PathBuf)>,
}

impl Target {
    /// Splits off the TLS parameters tokio-postgres does not understand and parses the rest.
    pub fn parse(url: &Url) -> Result<Target, TargetError> {
        let mut mode = Mode::Prefer;
        let mut root_cert = RootCert::Default;
        let (mut cert, mut key_file) = (None, None);
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
                "sslcert" => cert = Some(PathBuf::from(value.as_ref())),
                "sslkey" => key_file = Some(PathBuf::from(value.as_ref())),
                "sslpassword" | "sslcrl" | "sslcrldir" => {
                    return Err(TargetError::Unsupported(key.into_owned()));
                }
                _ => kept.push((key.into_owned(), value.into_owned())),
            }
        }
        let client_cert = match (cert, key_file) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            (Some(_), None) => return Err(TargetError::HalfAClientCertificate("sslkey")),
            (None, Some(_)) => return Err(TargetError::HalfAClientCertificate("sslcert")),
        };
        let mut stripped = url.clone();
        stripped.set_query(None);
        if !kept.is_empty() {
            stripped.query_pairs_mut().extend_pairs(kept);
        }
        // tokio-postgres takes everything up to the last `@` of the whole URL
        // as the credentials: one in the database name must reach it escaped
        // (it decodes the name). The query was escaped when it was rebuilt.
        let path = stripped.path().replace('@', "%40");
        stripped.set_path(&path);
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
            client_cert,
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
        let identity = match &self.client_cert {
            Some((cert, key)) => {
                Some(tls::client_identity(cert, key).map_err(TlsSetupError::ClientCert)?)
            }
            None => None,
        };
        let config = tls::client_config_with(roots, verify, identity)?;
        Ok(Some(tokio_postgres_rustls::MakeRustlsConnect::new(config)))
    }

    /// Host and port, never the credentials.
    pub fn endpoint(&self) -> String {
        let port = self.port();
        match self.config.get_hosts().first() {
            Some(Host::Tcp(host)) => format!("{host}:{port}"),
            Some(Host::Unix(dir)) => format!("{}/.s.PGSQL.{port}", dir.display()),
            None => format!("localhost:{port}"),
        }
    }

    /// `host:port/database`, as messages name what was tried (libpq's
    /// default database is the user's name).
    pub fn shown(&self) -> String {
        let database = self
            .config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("postgres");
        format!("{}/{database}", self.endpoint())
    }

    fn port(&self) -> u16 {
        self.config.get_ports().first().copied().unwrap_or(5432)
    }
}

impl Target {
    /// Connects within `timeout` (unless the URL sets `connect_timeout`), with
    /// TLS as `sslmode` says; the connection is driven by a spawned task.
    pub async fn connect(&self, trust: &Trust, timeout: Duration) -> Result<Client, ConnectError> {
        let started = Instant::now();
        let mut pg = self.config.clone();
        if pg.get_connect_timeout().is_none() {
            pg.connect_timeout(timeout);
        }
        if pg.get_application_name().is_none() {
            pg.application_name("vitals");
        }
        tracing::debug!(
            "postgres: connecting to {} (sslmode {:?})",
            self.shown(),
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
        let error = match connected {
            Ok(client) => return Ok(client),
            Err(e) => e,
        };
        let mut words = reason(&error);
        if words.maybe_not_postgres {
            let left = timeout.saturating_sub(started.elapsed()).min(PROBE_LIMIT);
            if let Some(answer) = self.negotiation_answer(left).await {
                words.text = answer;
            }
        }
        let words = format!("{}: {}", self.shown(), words.text);
        tracing::info!("{words} (driver: {})", chain_text(&error));
        Err(ConnectError::Connect(Worded::new(words, error)))
    }

    /// A server that is not PostgreSQL shows it in its answer to the
    /// request that opens every PostgreSQL conversation (SSLRequest): libpq
    /// and check_pgsql name that answer, while the driver only sees the
    /// connection end later. Asked on a connection of its own, after a
    /// failure that looked like it; `None` when the answer is PostgreSQL's
    /// or none came.
    async fn negotiation_answer(&self, within: Duration) -> Option<String> {
        let Some(Host::Tcp(host)) = self.config.get_hosts().first() else {
            return None;
        };
        let port = self.port();
        let ask = async {
            let mut stream = tokio::net::TcpStream::connect((host.as_str(), port))
                .await
                .ok()?;
            stream.write_all(&SSL_REQUEST).await.ok()?;
            let mut answer = [0u8];
            stream.read_exact(&mut answer).await.ok()?;
            Some(answer[0])
        };
        let answer = tokio::time::timeout(within, ask).await.ok()??;
        if matches!(answer, b'S' | b'N' | b'E') {
            return None;
        }
        let shown = if answer.is_ascii_graphic() {
            format!("{:?}", char::from(answer))
        } else {
            format!("byte 0x{answer:02x}")
        };
        Some(format!(
            "not a PostgreSQL server: it answered the SSL negotiation with {shown}"
        ))
    }
}

/// The 8 bytes of PostgreSQL's SSLRequest: length 8, code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// The longest a failed connection waits for the SSLRequest answer that names
/// what answered instead of PostgreSQL.
const PROBE_LIMIT: Duration = Duration::from_secs(1);

/// A failure in words, and whether it looks like a server that does not
/// speak PostgreSQL at all.
struct Reason {
    text: String,
    maybe_not_postgres: bool,
}

impl Reason {
    fn new(text: impl Into<String>) -> Reason {
        Reason {
            text: text.into(),
            maybe_not_postgres: false,
        }
    }

    fn odd(text: &str) -> Reason {
        Reason {
            text: text.to_owned(),
            maybe_not_postgres: true,
        }
    }
}

/// A short, specific reason: the server's own message when it sent one.
/// The driver's own text is logged (`-v`), not shown.
pub fn describe(error: &tokio_postgres::Error) -> String {
    let words = reason(error).text;
    tracing::info!("postgres: {words} (driver: {})", chain_text(error));
    words
}

fn reason(error: &tokio_postgres::Error) -> Reason {
    if let Some(db) = error.as_db_error() {
        return Reason::new(format!("{} (SQLSTATE {})", db.message(), db.code().code()));
    }
    if let Some(tls) = find_cause::<rustls::Error>(error) {
        return Reason::new(tls::describe(tls));
    }
    let text = chain_text(error);
    if text.contains("failed to lookup address") || text.contains("Name or service not known") {
        return Reason::new("could not resolve the host name");
    }
    if let Some(io) = find_cause::<std::io::Error>(error) {
        use std::io::ErrorKind as K;
        match io.kind() {
            K::ConnectionRefused => return Reason::new("connection refused"),
            K::TimedOut => return Reason::new("connection timed out"),
            K::NotFound => return Reason::new("no server socket at this path"),
            K::PermissionDenied => return Reason::new("permission denied"),
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
                return Reason::odd("the server reset the connection");
            }
            K::UnexpectedEof => return Reason::odd("the server closed the connection"),
            _ => {}
        }
    }
    // Said of any answer but "S" to the SSLRequest: also of a server that is no PostgreSQL.
    if text.contains("server does not support TLS") {
        return Reason::odd("the server does not support TLS, but sslmode requires it");
    }
    if text.contains("unexpected message")
        || text.contains("invalid message")
        || text.contains("unknown authentication")
        || text.contains("bytes remaining")
    {
        return Reason::odd("the server did not answer as PostgreSQL does");
    }
    if error.is_closed() || text.contains("unexpected EOF") {
        return Reason::odd("the server closed the connection");
    }
    Reason::new("the connection failed (vitals -v shows the driver's report)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Result<Target, String> {
        Target::parse(&Url::parse(url).map_err(|e| e.to_string())?).map_err(|e| e.to_string())
    }

    /// Found by fuzzing: an `@` in the database name was read as the end of
    /// the credentials ("invalid connection string").
    #[test]
    fn an_at_sign_in_the_database_name_is_the_database_s() {
        let t = target("postgres://r/@:u?application_name=a@b");
        let config = t.map(|t| t.config);
        assert_eq!(
            config
                .as_ref()
                .map(|c| (c.get_dbname(), c.get_application_name())),
            Ok((Some("@:u"), Some("a@b")))
        );
        assert_eq!(
            config.map(|c| c.get_hosts().to_vec()),
            Ok(vec![tokio_postgres::config::Host::Tcp("r".to_owned())])
        );
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
            e.contains("sslcert and sslkey go together: sslkey is missing"),
            "{e}"
        );
    }
}
