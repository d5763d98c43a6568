//! Declared `tls` and `dns` checks against real servers the test starts:
//! `openssl s_server` presenting certificates of a test CA (3, 10 and 30
//! days left, expired, for another host, self-signed, from an untrusted CA),
//! and dnsmasq on a free port, beside a resolver that never answers.

use std::net::{TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::certs::{ServerCert, TestCa};
use crate::support::cmd::Test;
use crate::support::net::free_port;

/// A program the test started, stopped when the test ends.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `openssl s_server` presenting `cert` and `key` on a free port, once it accepts.
pub(crate) fn s_server(cert: &Path, key: &Path) -> Server {
    let port = free_port();
    let child = Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server (scripts/test.sh installs openssl)");
    let server = Server { child, port };
    let ready_by = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < ready_by,
            "openssl s_server did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    server
}

fn serve(cert: &ServerCert) -> Server {
    s_server(&cert.cert_path, &cert.key_path)
}

/// A certificate for `name` signed by its own key, written into `dir`.
fn self_signed(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let params = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.join("self.crt"), dir.join("self.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (cert_path, key_path)
}

fn tls_check(name: &str, port: u16, extra: &str) -> String {
    format!(
        "[[check]]\nname = \"{name}\"\nkind = \"tls\"\nhost = \"127.0.0.1\"\nport = {port}\n{extra}\n"
    )
}

#[test]
fn certificates_are_judged_by_the_days_they_have_left_and_by_their_verification() {
    let ca = TestCa::new("vitals test CA");
    let other_ca = TestCa::new("nobody trusts this CA");
    let names = ["edge.test", "127.0.0.1"];
    let days30 = serve(&ca.issue_expiring(&names, 30));
    let days10 = serve(&ca.issue_expiring(&names, 10));
    let days3 = serve(&ca.issue_expiring(&names, 3));
    let expired = serve(&ca.issue_expiring(&names, -3));
    let wrong_host = serve(&ca.issue_expiring(&["other.test"], 30));
    let untrusted = serve(&other_ca.issue_expiring(&names, 30));
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(dir.path(), "edge.test");
    let self_signed = s_server(&cert, &key);

    let toml = [
        tls_check("days30", days30.port, "sni = \"edge.test\""),
        tls_check("days10", days10.port, ""),
        tls_check("days3", days3.port, ""),
        tls_check("expired", expired.port, ""),
        tls_check("wrong-host", wrong_host.port, "sni = \"edge.test\""),
        tls_check("untrusted", untrusted.port, ""),
        tls_check("self-signed", self_signed.port, "sni = \"edge.test\""),
        tls_check("custom", days10.port, "warn_days = 5\ncrit_days = 2"),
    ]
    .concat();
    let t = Test::new().env("SSL_CERT_FILE", ca.ca_path());
    t.write_file("vitals.toml", toml);
    let out = t.run_args(["check", "all", "--json"]);
    out.assert_code(2);
    let v = out.json();
    let c = |name: &str| v["checks"][name].clone();
    let said = |name: &str| {
        let check = c(name);
        (
            check["status"].as_str().unwrap().to_owned(),
            check["days_left"].clone(),
            check["verification"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(said("days30"), ("healthy".into(), json!(30), "ok".into()));
    assert_eq!(said("days10"), ("degraded".into(), json!(10), "ok".into()));
    assert_eq!(said("days3"), ("unhealthy".into(), json!(3), "ok".into()));
    assert_eq!(
        said("expired"),
        ("unhealthy".into(), json!(-2), "expired".into())
    );
    assert_eq!(
        said("wrong-host"),
        (
            "unhealthy".into(),
            json!(30),
            "server certificate is not valid for this host name".into()
        )
    );
    let unknown_issuer = "server certificate is not signed by a trusted CA (unknown issuer; set SSL_CERT_FILE or sslrootcert)";
    assert_eq!(
        said("untrusted"),
        ("unhealthy".into(), json!(30), unknown_issuer.into())
    );
    assert_eq!(said("self-signed").0, "unhealthy");
    assert_eq!(said("self-signed").2, unknown_issuer);
    assert_eq!(said("custom"), ("healthy".into(), json!(10), "ok".into()));

    let message = |name: &str| c(name)["message"].as_str().unwrap().to_owned();
    let port = days10.port;
    assert!(
        message("days10").starts_with(&format!(
            "127.0.0.1:{port}: certificate expires in 10 days ("
        )),
        "{}",
        message("days10")
    );
    assert!(
        message("days10").ends_with(" UTC), fewer than 21 days"),
        "{}",
        message("days10")
    );
    assert!(
        message("days3").ends_with(" UTC), fewer than 7 days"),
        "{}",
        message("days3")
    );
    assert!(
        message("expired").starts_with(&format!(
            "127.0.0.1:{}: certificate expired 2 days ago (",
            expired.port
        )),
        "{}",
        message("expired")
    );
    assert!(
        message("untrusted").starts_with(&format!(
            "127.0.0.1:{}: {unknown_issuer}; certificate expires in 30 days",
            untrusted.port
        )),
        "{}",
        message("untrusted")
    );
    assert_eq!(
        c("days30")["metrics"]["days_left"],
        json!({"value": 30.0, "unit": "", "warn": "21:", "crit": "7:", "min": null, "max": null})
    );
    assert_eq!(c("days30")["kind"], "tls");

    // Nagios: the thresholds travel with the number.
    let out = t.run_args(["check", "days10", "days30", "--format", "nagios"]);
    out.assert_code(1);
    let first = out.stdout.lines().next().unwrap();
    assert!(first.ends_with("'days10::days_left'=10;21:;7:"), "{first}");
    assert!(first.contains("'days30::days_left'=30;21:;7:"), "{first}");
}

#[test]
fn a_ca_file_of_its_own_and_a_port_nobody_listens_on() {
    let ca = TestCa::new("private CA");
    let server = serve(&ca.issue_expiring(&["127.0.0.1"], 100));
    let closed = free_port();
    let t = Test::new();
    t.write_file(
        "vitals.toml",
        [
            tls_check(
                "private",
                server.port,
                &format!("ca_file = {:?}", ca.ca_path().display().to_string()),
            ),
            tls_check("nobody", closed, ""),
        ]
        .concat(),
    );
    let out = t.run_args(["check", "private", "nobody", "--json"]);
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["checks"]["private"]["status"], "healthy");
    assert_eq!(v["checks"]["private"]["days_left"], 100);
    assert_eq!(
        v["checks"]["nobody"]["message"],
        format!("127.0.0.1:{closed}: Connection refused (os error 111)")
    );
}

/// A DNS question for `name`'s A records, to see whether a server answers.
fn probe_query(name: &str) -> Vec<u8> {
    let mut q = vec![0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// dnsmasq answering for `vitals.test` only (and what `records` adds, such
/// as `--mx-host=…`), on a free port, once it answers.
pub(crate) fn dnsmasq(dir: &Path, records: &[&str]) -> Server {
    let port = free_port();
    let child = Command::new("/usr/sbin/dnsmasq")
        .args([
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            "--listen-address=127.0.0.1",
            "--user=root",
            "--local=/vitals.test/",
            "--host-record=www.vitals.test,10.0.0.7,fd00::7",
            "--cname=alias.vitals.test,www.vitals.test",
            "--mx-host=vitals.test,mail.vitals.test,10",
            "--txt-record=vitals.test,v=spf1 -all",
        ])
        .args(records)
        .arg(format!("--port={port}"))
        .arg(format!("--pid-file={}", dir.join("dnsmasq.pid").display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("dnsmasq (scripts/test.sh installs it)");
    let server = Server { child, port };
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let ready_by = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 512];
    loop {
        let _ = socket.send_to(&probe_query("www.vitals.test"), ("127.0.0.1", port));
        if socket.recv(&mut buf).is_ok() {
            break server;
        }
        assert!(
            Instant::now() < ready_by,
            "dnsmasq did not answer on {port}"
        );
    }
}

#[test]
fn dns_records_of_each_kind_from_dnsmasq_and_a_resolver_that_never_answers() {
    let dir = tempfile::tempdir().unwrap();
    let dns = dnsmasq(dir.path(), &[]);
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let at = format!("127.0.0.1:{}", dns.port);
    let nowhere = silent.local_addr().unwrap().to_string();
    let check = |name: &str, query: &str, record: &str, extra: &str| {
        format!(
            "[[check]]\nname = \"{name}\"\nkind = \"dns\"\nquery = \"{query}\"\nrecord = \"{record}\"\nserver = \"{at}\"\n{extra}\n"
        )
    };
    let toml = [
        check("a", "www.vitals.test", "A", "expect = [\"10.0.0.7\"]"),
        check("aaaa", "www.vitals.test", "AAAA", "expect = [\"fd00:0::7\"]"),
        check("cname", "alias.vitals.test", "CNAME", "expect = [\"www.vitals.test\"]"),
        check("mx", "vitals.test", "MX", ""),
        check("txt", "vitals.test", "TXT", "expect = \"v=spf1 -all\""),
        check("wrong", "www.vitals.test", "A", "expect = [\"10.0.0.8\"]"),
        check("missing", "nope.vitals.test", "A", ""),
        format!(
            "[[check]]\nname = \"silent\"\nkind = \"dns\"\nquery = \"www.vitals.test\"\nserver = \"{nowhere}\"\ntimeout = \"400ms\"\n"
        ),
    ]
    .concat();
    let t = Test::new();
    t.write_file("vitals.toml", toml);
    let out = t.run_args(["check", "all", "--json", "--timeout", "3s"]);
    out.assert_code(2).assert_within(Duration::from_secs(3));
    let v = out.json();
    let said = |name: &str| -> (Value, Value, Value) {
        let c = &v["checks"][name];
        (
            c["status"].clone(),
            c["message"].clone(),
            c["answers"].clone(),
        )
    };
    assert_eq!(
        said("a"),
        (
            json!("healthy"),
            json!(format!("www.vitals.test A @{at}: A 10.0.0.7")),
            json!(["10.0.0.7"])
        )
    );
    assert_eq!(said("aaaa").2, json!(["fd00::7"]));
    assert_eq!(said("aaaa").0, "healthy");
    assert_eq!(said("cname").2, json!(["www.vitals.test."]));
    assert_eq!(said("cname").0, "healthy");
    assert_eq!(said("mx").2, json!(["10 mail.vitals.test."]));
    assert_eq!(said("txt").2, json!(["v=spf1 -all"]));
    assert_eq!(said("txt").0, "healthy");
    assert_eq!(
        said("wrong").1,
        json!(format!(
            "www.vitals.test A @{at}: A 10.0.0.7, without the expected 10.0.0.8"
        ))
    );
    assert_eq!(said("wrong").0, "unhealthy");
    assert_eq!(
        said("missing").1,
        json!(format!(
            "nope.vitals.test A @{at}: NXDOMAIN: no such name (rcode 3)"
        ))
    );
    assert_eq!(
        said("silent"),
        (
            json!("unhealthy"),
            json!(format!(
                "www.vitals.test A @{nowhere}: {nowhere} did not answer within 400 ms"
            )),
            Value::Null
        )
    );
    let time = &v["checks"]["a"]["metrics"]["time"];
    assert_eq!(time["unit"], "s");
    assert!(time["value"].as_f64().unwrap() < 1.0, "{time}");
}

#[test]
fn starttls_reads_the_certificate_of_smtp_and_postgresql_servers() {
    use crate::support::postgres::{PgOptions, PgServer};
    use crate::support::smtp::{SmtpOptions, SmtpServer};
    let smtp = SmtpServer::start(SmtpOptions::default());
    let ca = TestCa::new("vitals PostgreSQL CA");
    let pg = PgServer::start(PgOptions {
        tls: Some(ca.issue_expiring(&["127.0.0.1"], 45)),
        ..PgOptions::default()
    });
    let plain = PgServer::shared();
    let toml = [
        tls_check(
            "mail",
            smtp.port(),
            &format!(
                "starttls = \"smtp\"\nca_file = {:?}",
                smtp.ca_path().display().to_string()
            ),
        ),
        tls_check(
            "pg",
            pg.port(),
            &format!(
                "starttls = \"postgres\"\nca_file = {:?}",
                ca.ca_path().display().to_string()
            ),
        ),
        tls_check("db-without-tls", plain.port(), "starttls = \"postgres\""),
        tls_check(
            "not-smtp",
            pg.port(),
            "starttls = \"smtp\"\ntimeout = \"500ms\"",
        ),
    ]
    .concat();
    let t = Test::new();
    t.write_file("vitals.toml", toml);
    let out = t.run_args(["check", "all", "--json"]);
    out.assert_code(2);
    let v = out.json();
    let c = |name: &str| v["checks"][name].clone();
    assert_eq!(c("mail")["verification"], "ok", "{}", c("mail"));
    assert!(c("mail")["days_left"].as_i64().unwrap() > 0);
    assert_eq!(c("pg")["status"], "healthy", "{}", c("pg"));
    assert_eq!(c("pg")["days_left"], 45);
    assert_eq!(
        c("db-without-tls")["message"],
        format!(
            "127.0.0.1:{}: STARTTLS: the server does not accept TLS (ssl = off)",
            plain.port()
        )
    );
    assert_eq!(c("not-smtp")["status"], "unhealthy");
    assert_eq!(
        c("not-smtp")["message"],
        format!("127.0.0.1:{}: timed out after 500 ms", pg.port())
    );
}
