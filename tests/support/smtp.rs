//! A throwaway SMTP server: Python's aiosmtpd (a complete server with
//! STARTTLS and AUTH) driven by `smtp_server.py` beside this file. It records
//! every command with its TLS state, and every accepted message parsed by
//! Python's e-mail package, so tests check what really went over the wire.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use super::certs::{ServerCert, TestCa};
use super::process::{Daemon, wait_for};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpMode {
    /// STARTTLS offered and required; AUTH only after it.
    StartTls,
    /// TLS from the first byte (port 465 style).
    Implicit,
    /// No TLS at all, with AUTH offered in the clear anyway.
    Plain,
}

#[derive(Debug, Clone)]
pub struct SmtpOptions {
    pub mode: SmtpMode,
    /// Required login (user, password); `None` accepts mail without AUTH.
    pub login: Option<(String, String)>,
    /// Recipients answered `550 5.1.1 … User unknown`.
    pub reject: Vec<String>,
    /// The first N `DATA` commands are answered `451`.
    pub tempfail: u32,
    /// Refuse a HELO/EHLO name that is not fully qualified, as Postfix's
    /// `reject_non_fqdn_helo_hostname` does (at RCPT, with `504 5.5.2`).
    pub fqdn_helo: bool,
}

impl Default for SmtpOptions {
    fn default() -> Self {
        SmtpOptions {
            mode: SmtpMode::StartTls,
            login: None,
            reject: Vec::new(),
            tempfail: 0,
            fqdn_helo: false,
        }
    }
}

pub struct SmtpServer {
    // Field order matters: `daemon` must go (killing the server) before `dir` is removed.
    daemon: Daemon,
    dir: TempDir,
    port: u16,
    cert: Option<ServerCert>,
    _ca: Option<TestCa>,
}

/// One command as the server received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub command: String,
    pub arg: String,
    /// Whether the connection was encrypted when the command arrived.
    pub tls: bool,
}

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received(pub Value);

impl Received {
    pub fn str(&self, field: &str) -> &str {
        self.0[field]
            .as_str()
            .unwrap_or_else(|| panic!("received message has no {field}: {}", self.0))
    }

    pub fn rcpt_tos(&self) -> Vec<String> {
        serde_json::from_value(self.0["rcpt_tos"].clone()).expect("rcpt_tos")
    }

    /// `(content type, decoded content)` of every leaf MIME part, in order.
    pub fn parts(&self) -> Vec<(String, String)> {
        self.0["parts"]
            .as_array()
            .expect("parts")
            .iter()
            .map(|p| {
                (
                    p["content_type"].as_str().unwrap_or_default().to_owned(),
                    p["content"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

impl SmtpServer {
    pub fn start(opts: SmtpOptions) -> SmtpServer {
        let dir = tempfile::Builder::new()
            .prefix("vitals-smtp-")
            .tempdir()
            .expect("SMTP temp dir");
        let (ca, cert) = match opts.mode {
            SmtpMode::Plain => (None, None),
            _ => {
                let ca = TestCa::new("vitals SMTP test CA");
                let cert = ca.issue(&["localhost", "127.0.0.1"]);
                (Some(ca), Some(cert))
            }
        };
        let mut daemon = Daemon::new(dir.path(), "smtp.log");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py");
        let mut cmd = Command::new("python3");
        cmd.arg(&script).arg("--dir").arg(dir.path()).args([
            "--mode",
            match opts.mode {
                SmtpMode::StartTls => "starttls",
                SmtpMode::Implicit => "implicit",
                SmtpMode::Plain => "plain",
            },
        ]);
        if let Some(cert) = &cert {
            cmd.arg("--cert")
                .arg(&cert.cert_path)
                .arg("--key")
                .arg(&cert.key_path);
        }
        if let Some((user, password)) = &opts.login {
            cmd.args(["--user", user, "--password", password]);
        }
        for address in &opts.reject {
            cmd.args(["--reject", address]);
        }
        cmd.args(["--tempfail", &opts.tempfail.to_string()]);
        if opts.fqdn_helo {
            cmd.args(["--helo-policy", "fqdn"]);
        }
        daemon.spawn(cmd);

        let port_file = dir.path().join("port");
        let port = wait_for(Duration::from_secs(15), || {
            if !daemon.running() {
                return Err("the SMTP server exited".into());
            }
            Ok(std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|p| p.trim().parse::<u16>().ok()))
        })
        .unwrap_or_else(|why| {
            panic!(
                "SMTP test server (aiosmtpd) did not start: {why}\n\
                 (it needs `python3 -m pip install aiosmtpd`, which ./scripts/test.sh runs)\nlog:\n{}",
                daemon.log()
            )
        });
        SmtpServer {
            daemon,
            dir,
            port,
            cert,
            _ca: ca,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The CA that signed the server's certificate, for `SMTP_CA_FILE`.
    pub fn ca_path(&self) -> PathBuf {
        self.cert
            .as_ref()
            .map(|c| c.ca_path.clone())
            .expect("a plain SMTP server has no certificate")
    }

    /// Every message accepted so far, in order.
    pub fn messages(&self) -> Vec<Received> {
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("messages")) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).expect("read received message");
                Received(serde_json::from_str(&text).expect("received message JSON"))
            })
            .collect()
    }

    /// The only message accepted; panics if there were none or several.
    pub fn only_message(&self) -> Received {
        let mut messages = self.messages();
        assert_eq!(
            messages.len(),
            1,
            "expected exactly one message, got {}; log:\n{}",
            messages.len(),
            self.log()
        );
        messages.remove(0)
    }

    /// Every command received so far, on every connection, in order.
    pub fn transcript(&self) -> Vec<Event> {
        std::fs::read_to_string(self.dir.path().join("transcript.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let v: Value = serde_json::from_str(line).expect("transcript line");
                Event {
                    command: v["command"].as_str().unwrap_or_default().to_owned(),
                    arg: v["arg"].as_str().unwrap_or_default().to_owned(),
                    tls: v["tls"].as_bool().unwrap_or_default(),
                }
            })
            .collect()
    }

    /// The commands alone, e.g. `["EHLO", "STARTTLS", "EHLO", "AUTH", …]`.
    pub fn commands(&self) -> Vec<String> {
        self.transcript().into_iter().map(|e| e.command).collect()
    }

    /// Everything the clients sent as commands, as one text (for leak checks).
    pub fn transcript_text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("transcript.jsonl")).unwrap_or_default()
    }

    pub fn log(&self) -> String {
        self.daemon.log()
    }
}
