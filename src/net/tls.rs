//! Trust roots and rustls client configs shared by every TLS client
//! (HTTPS, PostgreSQL, Redis, SMTP): the system store plus `SSL_CERT_FILE`.
//!
//! Nothing here runs until a TLS connection is actually made, so plain-text
//! checks and `--help` never pay for reading certificate bundles.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Once, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// Where distributions keep their CA bundle (the paths openssl-probe knows).
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/etc/openssl/cert.pem",
];

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read CA file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("CA file {path} holds no usable PEM certificate")]
    NoCertificates { path: PathBuf },
    #[error("{path} holds no PEM private key (PKCS#8, PKCS#1 or SEC1, not encrypted)")]
    NoKey { path: PathBuf },
    #[error("building the TLS configuration failed: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The trust roots could not be read (shared by every clone of a [`Trust`]).
#[derive(Debug, Clone, thiserror::Error)]
#[error(transparent)]
pub struct TrustError(#[from] Arc<TlsError>);

/// The ring provider, installed once as the process default so that every
/// library building its own rustls config (redis, lettre) agrees with ours.
pub fn provider() -> Arc<CryptoProvider> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Fails only if a provider is already installed, which is what we want anyway.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// The trust configuration of this run: system store plus optional extra bundles.
#[derive(Debug, Clone)]
pub struct Trust {
    extra_ca_files: Vec<PathBuf>,
    pem: Arc<OnceLock<Result<Arc<Vec<u8>>, TrustError>>>,
}

impl Trust {
    pub fn new(extra_ca_file: Option<PathBuf>) -> Self {
        Trust {
            extra_ca_files: extra_ca_file.into_iter().collect(),
            pem: Arc::new(OnceLock::new()),
        }
    }

    /// The same trust plus one more bundle, for one kind of server (`SMTP_CA_FILE`).
    pub fn with_file(&self, file: PathBuf) -> Self {
        let mut extra_ca_files = self.extra_ca_files.clone();
        extra_ca_files.push(file);
        Trust {
            extra_ca_files,
            pem: Arc::new(OnceLock::new()),
        }
    }

    /// All trusted certificates as one PEM bundle (the form redis and lettre take).
    pub fn pem(&self) -> Result<Arc<Vec<u8>>, TrustError> {
        self.pem
            .get_or_init(|| {
                self.load_pem()
                    .map(Arc::new)
                    .map_err(|e| TrustError(Arc::new(e)))
            })
            .clone()
    }

    fn load_pem(&self) -> Result<Vec<u8>, TlsError> {
        let mut bundle = Vec::new();
        if let Some(system) = SYSTEM_BUNDLES.iter().map(Path::new).find(|p| p.is_file()) {
            match std::fs::read(system) {
                Ok(bytes) => bundle.extend_from_slice(&bytes),
                Err(e) => {
                    tracing::warn!("cannot read the system CA bundle {}: {e}", system.display())
                }
            }
        } else {
            tracing::warn!("no system CA bundle found; only SSL_CERT_FILE is trusted");
        }
        for extra in &self.extra_ca_files {
            bundle.push(b'\n');
            bundle.extend_from_slice(&read_pem_file(extra)?);
        }
        Ok(bundle)
    }

    /// The trusted certificates as a rustls root store.
    pub fn root_store(&self) -> Result<RootCertStore, TrustError> {
        Ok(roots_from_pem(&self.pem()?))
    }
}

/// Reads a PEM file and checks that it holds at least one certificate.
pub fn read_pem_file(path: &Path) -> Result<Vec<u8>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })?;
    if CertificateDer::pem_slice_iter(&bytes)
        .flatten()
        .next()
        .is_none()
    {
        return Err(TlsError::NoCertificates {
            path: path.to_owned(),
        });
    }
    Ok(bytes)
}

/// The certificates of a bundle that rustls accepts as trust anchors, for
/// libraries that refuse a whole bundle over one odd certificate (lettre).
pub fn usable_roots(pem: &[u8]) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem)
        .flatten()
        .filter(|der| RootCertStore::empty().add(der.clone()).is_ok())
        .collect()
}

pub fn roots_from_pem(pem: &[u8]) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    // System bundles carry the odd certificate rustls rejects; skipping it is what every client does.
    roots.add_parsable_certificates(CertificateDer::pem_slice_iter(pem).flatten());
    roots
}

/// How much of the server's certificate to verify (libpq's sslmode levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// Chain and host name (`verify-full`, and every HTTPS/SMTP/Redis connection).
    Full,
    /// Chain only (`verify-ca`).
    ChainOnly,
    /// Encryption without authentication (`require`, `prefer`), as libpq does.
    Nothing,
}

pub fn client_config(roots: RootCertStore, verify: Verify) -> Result<ClientConfig, TlsError> {
    client_config_with(roots, verify, None)
}

/// A certificate chain and its private key, which a client presents when asked.
pub type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// Reads a client certificate (PEM, the chain) and its key (PEM, not encrypted).
pub fn client_identity(cert: &Path, key: &Path) -> Result<Identity, TlsError> {
    let chain = read_pem_file(cert)?;
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(&chain).flatten().collect();
    let key_pem = std::fs::read(key).map_err(|source| TlsError::Read {
        path: key.to_owned(),
        source,
    })?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsError::NoKey {
        path: key.to_owned(),
    })?;
    Ok((chain, key))
}

/// As [`client_config`], presenting `identity` to a server that asks for one.
pub fn client_config_with(
    roots: RootCertStore,
    verify: Verify,
    identity: Option<Identity>,
) -> Result<ClientConfig, TlsError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = match verify {
        Verify::Full => builder.with_root_certificates(roots),
        Verify::ChainOnly | Verify::Nothing => {
            let chain = match verify {
                Verify::ChainOnly => Some(
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .map_err(|e| rustls::Error::General(e.to_string()))?,
                ),
                _ => None,
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Relaxed {
                    chain,
                    algorithms: provider.signature_verification_algorithms,
                }))
        }
    };
    Ok(match identity {
        Some((chain, key)) => builder.with_client_auth_cert(chain, key)?,
        None => builder.with_no_client_auth(),
    })
}

/// libpq's weaker levels: `verify-ca` (with `chain`) needs the chain to lead
/// to a trusted root but lets the name differ; `require`/`prefer` (without)
/// take any certificate. The handshake signatures are checked either way.
#[derive(Debug)]
struct Relaxed {
    chain: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Relaxed {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A readable sentence for a failed TLS handshake, found anywhere in an error chain.
pub fn describe(error: &rustls::Error) -> String {
    match error {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "server certificate is not signed by a trusted CA (unknown issuer; set SSL_CERT_FILE or sslrootcert)".to_owned()
        }
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "server certificate is not valid for this host name".to_owned(),
        rustls::Error::InvalidCertificate(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => {
            "server certificate has expired".to_owned()
        }
        rustls::Error::InvalidCertificate(other) => format!("invalid server certificate: {other:?}"),
        other => format!("TLS handshake failed: {other}"),
    }
}
