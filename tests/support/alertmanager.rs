//! A throwaway Prometheus Alertmanager (Debian's `prometheus-alertmanager`,
//! which ./scripts/test.sh installs): loopback only, its own storage, no
//! cluster, a route to a receiver that sends nothing.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use tempfile::TempDir;

use super::net::free_port;
use super::process::{Daemon, retry_port_clash, wait_for};

pub const BINARY: &str = "/usr/bin/prometheus-alertmanager";

const CONFIG: &str = "route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n";

pub struct AlertmanagerServer {
    // Field order matters: `daemon` must go (killing the server) before `dir` is removed.
    daemon: Daemon,
    dir: TempDir,
    port: u16,
}

impl AlertmanagerServer {
    pub fn start() -> AlertmanagerServer {
        assert!(
            std::path::Path::new(BINARY).exists(),
            "{BINARY} is missing: ./scripts/test.sh installs prometheus-alertmanager"
        );
        let dir = tempfile::Builder::new()
            .prefix("vitals-alertmanager-")
            .tempdir()
            .expect("Alertmanager temp dir");
        std::fs::write(dir.path().join("alertmanager.yml"), CONFIG).expect("write config");
        let mut server = AlertmanagerServer {
            daemon: Daemon::new(dir.path(), "alertmanager.log"),
            dir,
            port: 0,
        };
        retry_port_clash("Alertmanager", || {
            server.port = free_port();
            server.launch()
        });
        server
    }

    fn launch(&mut self) -> Result<(), String> {
        let mut cmd = Command::new(BINARY);
        cmd.arg(format!(
            "--config.file={}",
            self.dir.path().join("alertmanager.yml").display()
        ))
        .arg(format!(
            "--storage.path={}",
            self.dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
        // No gossip with other Alertmanagers: empty turns clustering off.
        .arg("--cluster.listen-address=");
        self.daemon.spawn(cmd);
        let ready = wait_for(Duration::from_secs(20), || {
            if !self.daemon.running() {
                return Err(format!("alertmanager exited:\n{}", self.daemon.log()));
            }
            Ok(get(self.port, "/-/ready")
                .filter(|(status, _)| *status == 200)
                .map(|_| ()))
        });
        ready.inspect_err(|_| self.daemon.shutdown(None, "KILL", Duration::ZERO))
    }

    /// `http://127.0.0.1:PORT`: the base URL `ALERTMANAGER_URL` takes.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `GET /api/v2/alerts` (active, silenced and inhibited alerts; not resolved ones).
    pub fn alerts(&self) -> Vec<serde_json::Value> {
        let (status, body) = get(self.port, "/api/v2/alerts")
            .unwrap_or_else(|| panic!("GET /api/v2/alerts failed; log:\n{}", self.daemon.log()));
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_else(|| panic!("not a JSON array: {body}"))
    }

    pub fn log(&self) -> String {
        self.daemon.log()
    }
}

/// A plain HTTP/1.0 GET on loopback: the status and the body, or `None`
/// when nothing answered.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_owned()))
}
