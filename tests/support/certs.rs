//! A throwaway certificate authority for TLS tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Datelike as _;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tempfile::TempDir;

use super::process::{Account, chown, write_file};

pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    dir: Arc<TempDir>,
    ca_path: PathBuf,
}

/// A server certificate signed by a [`TestCa`]. Cloning is cheap; the files
/// stay on disk as long as any clone (or the CA) is alive.
#[derive(Clone)]
pub struct ServerCert {
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    /// The issuing CA certificate, for servers that want one (Redis).
    pub ca_path: PathBuf,
    pub ca_pem: String,
    /// Leaf certificate followed by the CA certificate.
    pub chain_pem: String,
    _dir: Arc<TempDir>,
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        install_crypto_provider();
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("generate CA key");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("self-sign CA");
        let dir = Arc::new(
            tempfile::Builder::new()
                .prefix("vitals-ca-")
                .tempdir()
                .expect("CA temp dir"),
        );
        let ca_path = dir.path().join("ca.pem");
        write_file(&ca_path, issuer.pem().as_bytes(), 0o644);
        TestCa {
            issuer,
            dir,
            ca_path,
        }
    }

    pub fn ca_path(&self) -> &Path {
        &self.ca_path
    }

    pub fn ca_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `names`: IP addresses become IP SANs, the rest DNS SANs.
    pub fn issue(&self, names: &[&str]) -> ServerCert {
        self.issue_with(names, |_| {})
    }

    /// A server certificate for `names` that expires at midnight UTC
    /// `days + 1` days from today: `days` whole days left from any time of
    /// today (negative: expired that many days ago, and then some).
    pub fn issue_expiring(&self, names: &[&str], days: i64) -> ServerCert {
        self.issue_with(names, |params| {
            let today = chrono::Utc::now().date_naive();
            let (y, m, d) = (today.year(), today.month() as u8, today.day() as u8);
            let midnight = rcgen::date_time_ymd(y, m, d);
            let day = std::time::Duration::from_secs(86_400);
            params.not_before = midnight - day * 60;
            let until = days + 1;
            params.not_after = if until >= 0 {
                midnight + day * u32::try_from(until).unwrap()
            } else {
                midnight - day * u32::try_from(-until).unwrap()
            };
        })
    }

    /// A client certificate for the database user `user` (its common name),
    /// for PostgreSQL's `cert` authentication.
    pub fn issue_client(&self, user: &str) -> ServerCert {
        self.issue_with(&[], |params| {
            params.distinguished_name.push(DnType::CommonName, user);
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        })
    }

    fn issue_with(
        &self,
        names: &[&str],
        adjust: impl FnOnce(&mut CertificateParams),
    ) -> ServerCert {
        let sans: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params =
            CertificateParams::new(sans).unwrap_or_else(|e| panic!("SANs {names:?}: {e}"));
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("server"),
        );
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        adjust(&mut params);
        let key = KeyPair::generate().expect("generate server key");
        let cert = params
            .signed_by(&key, &*self.issuer)
            .expect("sign server certificate");

        let stem = super::random_token();
        let cert_path = self.dir.path().join(format!("{stem}.crt"));
        let key_path = self.dir.path().join(format!("{stem}.key"));
        write_file(&cert_path, cert.pem().as_bytes(), 0o644);
        write_file(&key_path, key.serialize_pem().as_bytes(), 0o600);
        ServerCert {
            cert_path,
            key_path,
            ca_path: self.ca_path.clone(),
            ca_pem: self.issuer.pem(),
            chain_pem: format!("{}{}", cert.pem(), self.issuer.pem()),
            _dir: self.dir.clone(),
        }
    }
}

impl ServerCert {
    /// Copies certificate and key into `dir` for a server running as `owner`:
    /// PostgreSQL refuses a key file that is not 0600 and owned by its user.
    /// Returns the new (cert, key) paths.
    pub(crate) fn install(&self, dir: &Path, owner: Option<&Account>) -> (PathBuf, PathBuf) {
        let (cert, key) = (dir.join("server.crt"), dir.join("server.key"));
        for (from, to, mode) in [
            (&self.cert_path, &cert, 0o644),
            (&self.key_path, &key, 0o600),
        ] {
            let bytes =
                std::fs::read(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()));
            write_file(to, &bytes, mode);
            chown(to, owner);
        }
        (cert, key)
    }
}

/// Both ring and aws-lc-rs may end up enabled in test builds; rustls then
/// refuses to guess a provider, so pick ring before any TLS client is built.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
