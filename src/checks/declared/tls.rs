//! `kind = "tls"`: a TLS handshake with `host:port` (SNI `sni`, default the
//! host) and the days the server's certificate has left: degraded below
//! `warn_days` (21), unhealthy below `crit_days` (7) and once expired. The
//! chain is read even when it fails verification, so that an expired or
//! untrusted certificate still says when it expires; the verification's
//! verdict (expired, untrusted, wrong host name) is reported beside it.
//! `starttls` (`smtp`, `imap`, `postgres`) asks for TLS the protocol's way first.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::future::BoxFuture;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::perfdata::{PerfItem, Range};
use super::{CheckKind, Outcome, Probe};
use crate::clock;
use crate::config::Fields;
use crate::net::tls::{self, Trust};
use crate::status::Status;
use crate::text;

pub const KIND: CheckKind = CheckKind {
    name: "tls",
    fields: &["host", "port", "sni", "starttls", "warn_days", "crit_days", "ca_file"],
    read: |fields, _, trust| read(fields, trust).map(|t| Box::new(t) as Box<dyn Probe>),
};

const WARN_DAYS: i64 = 21;
const CRIT_DAYS: i64 = 7;
const SECONDS_PER_DAY: i64 = 86_400;

/// A protocol whose plain-text start asks for TLS on the same connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StartTls {
    Smtp,
    Imap,
    Postgres,
}

impl StartTls {
    fn parse(text: &str) -> Option<StartTls> {
        match text {
            "smtp" => Some(StartTls::Smtp),
            "imap" => Some(StartTls::Imap),
            "postgres" => Some(StartTls::Postgres),
            _ => None,
        }
    }
}

/// The longest line read from a server before its TLS starts.
const LINE_CAP: usize = 4096;

/// Reads one CRLF- or LF-ended line.
async fn read_line(stream: &mut TcpStream) -> Result<String, String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() < LINE_CAP {
        match stream.read(&mut byte).await {
            Ok(0) => return Err("the server closed the connection".to_owned()),
            Ok(_) if byte[0] == b'\n' => {
                return Ok(String::from_utf8_lossy(&line).trim_end().to_owned());
            }
            Ok(_) => line.push(byte[0]),
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("the server sent a line longer than 4 KiB".to_owned())
}

/// The lines of one SMTP reply (`250-…` continues, `250 …` ends); its last line.
async fn smtp_reply(stream: &mut TcpStream, code: &str) -> Result<(), String> {
    loop {
        let line = read_line(stream).await?;
        if !line.starts_with(code) {
            return Err(format!("expected {code}, the server said {:?}", text::one_line(&line, 80)));
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}

async fn send(stream: &mut TcpStream, bytes: &[u8]) -> Result<(), String> {
    stream.write_all(bytes).await.map_err(|e| e.to_string())
}

/// Asks for TLS the way `protocol` does, on a connection just opened.
async fn start_tls(stream: &mut TcpStream, protocol: StartTls) -> Result<(), String> {
    match protocol {
        StartTls::Smtp => {
            smtp_reply(stream, "220").await?;
            send(stream, b"EHLO vitals\r\n").await?;
            smtp_reply(stream, "250").await?;
            send(stream, b"STARTTLS\r\n").await?;
            smtp_reply(stream, "220").await
        }
        StartTls::Imap => {
            let greeting = read_line(stream).await?;
            if !greeting.starts_with("* OK") {
                return Err(format!("not an IMAP greeting: {:?}", text::one_line(&greeting, 80)));
            }
            send(stream, b"v1 STARTTLS\r\n").await?;
            loop {
                let line = read_line(stream).await?;
                if let Some(status) = line.strip_prefix("v1 ") {
                    return if status.starts_with("OK") {
                        Ok(())
                    } else {
                        Err(format!("STARTTLS refused: {:?}", text::one_line(status, 80)))
                    };
                }
            }
        }
        StartTls::Postgres => {
            // SSLRequest: length 8, code 80877103.
            send(stream, &[0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]).await?;
            let mut answer = [0u8; 1];
            stream
                .read_exact(&mut answer)
                .await
                .map_err(|e| e.to_string())?;
            match answer[0] {
                b'S' => Ok(()),
                b'N' => Err("the server does not accept TLS (ssl = off)".to_owned()),
                other => Err(format!("not a PostgreSQL server: it answered the SSL request with {:?}", char::from(other))),
            }
        }
    }
}

struct Tls {
    host: String,
    port: u16,
    sni: Option<String>,
    starttls: Option<StartTls>,
    warn_days: i64,
    crit_days: i64,
    trust: Trust,
}

fn read(f: &mut Fields<'_>, trust: &Trust) -> Option<Tls> {
    if !f.has("host") {
        f.missing("host", "the name or address to connect to");
    }
    let host = f.non_empty("host");
    let port = if f.has("port") { f.port("port") } else { Some(443) };
    let sni = f.non_empty("sni");
    let starttls = match f.string("starttls") {
        None => None,
        Some(text) => {
            let protocol = StartTls::parse(&text);
            if protocol.is_none() {
                f.error(
                    "starttls",
                    format!("expected \"smtp\", \"imap\" or \"postgres\", got {text:?}"),
                );
            }
            protocol
        }
    };
    let warn_days = f.integer("warn_days", 0..=3650).unwrap_or(WARN_DAYS);
    let crit_days = f.integer("crit_days", 0..=3650).unwrap_or(CRIT_DAYS);
    if crit_days > warn_days {
        f.error(
            "crit_days",
            format!("{crit_days} is more than warn_days ({warn_days}): the warning would never come first"),
        );
    }
    let trust = match f.string("ca_file") {
        Some(file) => {
            let path = std::path::PathBuf::from(&file);
            if !path.is_file() {
                f.error("ca_file", format!("{file:?} is not a readable file"));
            }
            trust.with_file(path)
        }
        None => trust.clone(),
    };
    Some(Tls {
        host: host?,
        port: port?,
        sni,
        starttls,
        warn_days,
        crit_days,
        trust,
    })
}

/// Verifies as every vitals TLS client does, but lets the handshake finish
/// whatever the verdict, which it keeps: the certificate is what this check
/// reads, trusted or not. Handshake signatures are still checked.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    verdict: Mutex<Option<rustls::Error>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Err(e) =
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            *self.verdict.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The verification's verdict in a few words; `None` when it passed.
fn verdict(error: Option<&rustls::Error>) -> Option<String> {
    let error = error?;
    Some(match error {
        rustls::Error::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "expired".to_owned(),
        other => tls::describe(other),
    })
}

impl Tls {
    fn server_name(&self) -> Result<ServerName<'static>, String> {
        let name = self.sni.as_deref().unwrap_or(&self.host);
        ServerName::try_from(name.to_owned())
            .map_err(|_| format!("{name:?} is not a valid server name for TLS"))
    }

    async fn probe(&self) -> Outcome {
        let target = self.target();
        let failed = |why: String| Outcome::new(Status::Unhealthy, format!("{target}: {why}"));
        let roots = match self.trust.root_store() {
            Ok(roots) => roots,
            Err(e) => return Outcome::new(Status::Unknown, format!("{target}: {e}")),
        };
        let provider = tls::provider();
        let inner = match WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
        {
            Ok(inner) => inner,
            Err(e) => return Outcome::new(Status::Unknown, format!("{target}: {e}")),
        };
        let recording = Arc::new(Recording {
            inner,
            verdict: Mutex::new(None),
        });
        let config = match rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
        {
            Ok(builder) => builder
                .dangerous()
                .with_custom_certificate_verifier(recording.clone())
                .with_no_client_auth(),
            Err(e) => return Outcome::new(Status::Unknown, format!("{target}: {e}")),
        };
        let name = match self.server_name() {
            Ok(name) => name,
            Err(e) => return failed(e),
        };
        let started = Instant::now();
        let mut stream = match TcpStream::connect((self.host.as_str(), self.port)).await {
            Ok(stream) => stream,
            Err(e) => return failed(e.to_string()),
        };
        if let Some(protocol) = self.starttls
            && let Err(e) = start_tls(&mut stream, protocol).await
        {
            return failed(format!("STARTTLS: {e}"));
        }
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let stream = match connector.connect(name, stream).await {
            Ok(stream) => stream,
            Err(e) => {
                let why = match e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
                    Some(tls_error) => tls::describe(tls_error),
                    None => format!("TLS handshake failed: {e}"),
                };
                return failed(why);
            }
        };
        let elapsed = started.elapsed();
        let leaf = stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .map(|der| der.as_ref().to_vec());
        let Some(not_after) = leaf.as_deref().and_then(not_after) else {
            return failed("the server sent no certificate whose expiry could be read".to_owned());
        };
        let error = recording
            .verdict
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.judge(&target, not_after, verdict(error.as_ref()))
            .elapsed(elapsed)
    }

    /// The status of a certificate valid until `not_after` whose
    /// verification came to `verification` (`None`: it passed).
    fn judge(&self, target: &str, not_after: DateTime<Utc>, verification: Option<String>) -> Outcome {
        let seconds = not_after.timestamp() - clock::now().timestamp();
        // Whole days, toward zero: 2.5 days left is 2, 2.5 days ago is -2.
        let days = seconds / SECONDS_PER_DAY;
        let until = not_after.format("%Y-%m-%d %H:%M UTC");
        let lifetime = match days {
            _ if seconds >= 0 => format!("certificate expires in {days} days ({until})"),
            0 => format!("certificate expired today ({until})"),
            _ => format!("certificate expired {} days ago ({until})", -days),
        };
        let (status, message) = match &verification {
            Some(why) if why != "expired" => (Status::Unhealthy, format!("{target}: {why}; {lifetime}")),
            _ if seconds < 0 => (Status::Unhealthy, format!("{target}: {lifetime}")),
            _ if days < self.crit_days => (
                Status::Unhealthy,
                format!("{target}: {lifetime}, fewer than {} days", self.crit_days),
            ),
            _ if days < self.warn_days => (
                Status::Degraded,
                format!("{target}: {lifetime}, fewer than {} days", self.warn_days),
            ),
            _ => (Status::Healthy, format!("{target}: {lifetime}")),
        };
        let mut days_left = PerfItem::new("days_left", Some(days as f64), "");
        days_left.warn = Some(Range {
            start: Some(self.warn_days as f64),
            end: None,
            inside: false,
        });
        days_left.crit = Some(Range {
            start: Some(self.crit_days as f64),
            end: None,
            inside: false,
        });
        Outcome::new(status, message)
            .detail("days_left", days)
            .detail(
                "not_after",
                not_after.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            )
            .detail("verification", verification.unwrap_or_else(|| "ok".to_owned()))
            .perf(days_left)
    }
}

impl Probe for Tls {
    fn target(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match &self.sni {
            Some(sni) => format!("{host}:{} (SNI {sni})", self.port),
            None => format!("{host}:{}", self.port),
        }
    }

    fn run(&self, _deadline: Instant, _limit: Duration) -> BoxFuture<'_, Outcome> {
        Box::pin(self.probe())
    }
}

/// A DER element: its tag, its content, and what follows it.
fn element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let octets = usize::from(first & 0x7f);
        if octets == 0 || octets > 4 || rest.len() < octets {
            return None;
        }
        let len = rest[..octets]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[octets..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

const SEQUENCE: u8 = 0x30;

/// The `notAfter` of an X.509 certificate: Certificate → TBSCertificate →
/// [version], serialNumber, signature, issuer, validity → notAfter.
pub fn not_after(der: &[u8]) -> Option<DateTime<Utc>> {
    let (SEQUENCE, certificate, _) = element(der)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = element(certificate)? else {
        return None;
    };
    let mut rest = tbs;
    let (tag, _, after) = element(rest)?;
    if tag == 0xa0 {
        rest = after; // the explicit version
    }
    for _ in 0..3 {
        // serialNumber, signature, issuer
        rest = element(rest)?.2;
    }
    let (SEQUENCE, validity, _) = element(rest)? else {
        return None;
    };
    let not_before_rest = element(validity)?.2;
    let (tag, time, _) = element(not_before_rest)?;
    asn1_time(tag, std::str::from_utf8(time).ok()?)
}

/// UTCTime (`YYMMDDHHMMSSZ`, years 1950-2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn asn1_time(tag: u8, text: &str) -> Option<DateTime<Utc>> {
    let digits = text.strip_suffix('Z')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (year, rest) = match (tag, digits.len()) {
        (0x17, 12) => {
            let yy: i32 = digits[..2].parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &digits[2..])
        }
        (0x18, 14) => (digits[..4].parse().ok()?, &digits[4..]),
        _ => return None,
    };
    let field = |i: usize| rest.get(i..i + 2)?.parse::<u32>().ok();
    NaiveDate::from_ymd_opt(year, field(0)?, field(2)?)?
        .and_hms_opt(field(4)?, field(6)?, field(8)?)
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_not_after_from_a_real_certificate() {
        let mut params = rcgen::CertificateParams::new(vec!["edge.test".to_owned()]).unwrap();
        params.not_after = rcgen::date_time_ymd(2031, 5, 6);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(
            not_after(cert.der()).map(|t| t.to_rfc3339()),
            Some("2031-05-06T00:00:00+00:00".to_owned())
        );
        params.not_after = rcgen::date_time_ymd(2051, 1, 2);
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(
            not_after(cert.der()).map(|t| t.to_rfc3339()),
            Some("2051-01-02T00:00:00+00:00".to_owned())
        );
    }

    #[test]
    fn refuses_what_is_not_a_certificate() {
        for bad in [&b""[..], b"\x30", b"\x30\x05abc", b"\x30\x84\xff\xff\xff\xff", b"\x02\x01\x00"] {
            assert_eq!(not_after(bad), None, "{bad:?}");
        }
        assert_eq!(asn1_time(0x17, "491231235959Z").map(|t| t.to_rfc3339()), Some("2049-12-31T23:59:59+00:00".to_owned()));
        assert_eq!(asn1_time(0x17, "500101000000Z").map(|t| t.to_rfc3339()), Some("1950-01-01T00:00:00+00:00".to_owned()));
        assert_eq!(asn1_time(0x17, "5001010000Z"), None);
        assert_eq!(asn1_time(0x18, "20261340000000Z"), None);
    }
}
