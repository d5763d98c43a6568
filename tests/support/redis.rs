//! Throwaway Redis servers (no persistence, loopback only).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use ::redis::{Client, Connection, RedisResult, TlsCertificates};
use tempfile::TempDir;

use super::certs::{ServerCert, install_crypto_provider};
use super::encode_userinfo;
use super::net::free_port;
use super::process::{Daemon, retry_port_clash, wait_for, wait_port_closed};

#[derive(Clone, Default)]
pub struct RedisOptions {
    pub requirepass: Option<String>,
    /// e.g. "1mb"
    pub maxmemory: Option<String>,
    /// e.g. "noeviction"
    pub maxmemory_policy: Option<String>,
    /// Also listen on `<tempdir>/redis.sock` (mode 700).
    pub unixsocket: bool,
    /// Adds a TLS port (clients are not asked for certificates).
    pub tls: Option<ServerCert>,
    /// With `tls`: no plain TCP port at all.
    pub tls_only: bool,
    /// Extra command-line arguments, e.g. `["--maxclients", "2"]`.
    pub args: Vec<String>,
}

pub struct RedisServer {
    // Field order matters: `daemon` must go (killing the server) before `dir` is removed.
    daemon: Daemon,
    dir: TempDir,
    opts: RedisOptions,
    /// 0 when `tls_only`.
    port: u16,
    /// 0 without TLS.
    tls_port: u16,
}

impl RedisServer {
    pub fn start(opts: RedisOptions) -> RedisServer {
        assert!(
            opts.tls.is_some() || !opts.tls_only,
            "RedisOptions: tls_only needs tls"
        );
        if opts.tls.is_some() {
            install_crypto_provider();
        }
        let dir = tempfile::Builder::new()
            .prefix("vitals-redis-")
            .tempdir()
            .expect("Redis temp dir");
        let mut server = RedisServer {
            daemon: Daemon::new(dir.path(), "redis.log"),
            dir,
            opts,
            port: 0,
            tls_port: 0,
        };
        retry_port_clash("Redis", || {
            server.port = if server.opts.tls_only { 0 } else { free_port() };
            server.tls_port = if server.opts.tls.is_some() {
                free_port()
            } else {
                0
            };
            server.launch()
        });
        server
    }

    /// One healthy server per test process, without password or TLS. Never
    /// pause or stop it; use distinct keys per test.
    pub fn shared() -> &'static RedisServer {
        static SHARED: OnceLock<RedisServer> = OnceLock::new();
        SHARED.get_or_init(|| RedisServer::start(RedisOptions::default()))
    }

    fn launch(&mut self) -> Result<(), String> {
        let o = &self.opts;
        let mut cmd = Command::new("redis-server");
        cmd.args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--port", &self.port.to_string()]);
        let mut opt = |name: &str, value: &Option<String>| {
            if let Some(v) = value {
                cmd.arg(name).arg(v);
            }
        };
        opt("--requirepass", &o.requirepass);
        opt("--maxmemory", &o.maxmemory);
        opt("--maxmemory-policy", &o.maxmemory_policy);
        if o.unixsocket {
            cmd.arg("--unixsocket")
                .arg(self.dir.path().join("redis.sock"));
            cmd.args(["--unixsocketperm", "700"]);
        }
        if let Some(cert) = &o.tls {
            cmd.args(["--tls-port", &self.tls_port.to_string()])
                .arg("--tls-cert-file")
                .arg(&cert.cert_path)
                .arg("--tls-key-file")
                .arg(&cert.key_path)
                .arg("--tls-ca-cert-file")
                .arg(&cert.ca_path)
                .args(["--tls-auth-clients", "no"]);
        }
        cmd.args(&o.args);
        self.daemon.spawn(cmd);

        let (pid, client) = (self.pid(), self.redis_client());
        // Asking for the server's PID makes sure we talk to *our* server, not
        // to another one that already held the port.
        let ready = wait_for(Duration::from_secs(10), || {
            if !self.daemon.running() {
                return Err("redis-server exited".into());
            }
            let Ok(info) = open(&client)
                .and_then(|mut c| ::redis::cmd("INFO").arg("server").query::<String>(&mut c))
            else {
                return Ok(None);
            };
            let answering = info
                .lines()
                .find_map(|l| l.strip_prefix("process_id:"))
                .and_then(|p| p.trim().parse::<u32>().ok());
            match answering {
                Some(p) if p == pid => Ok(Some(())),
                other => Err(format!(
                    "port already in use by another Redis (pid {other:?})"
                )),
            }
        });
        ready.map_err(|why| {
            self.daemon.shutdown(None, "KILL", Duration::ZERO);
            format!(
                "{why}; ports {}/{}; log:\n{}",
                self.port,
                self.tls_port,
                self.daemon.log()
            )
        })
    }

    fn auth(&self) -> String {
        self.opts
            .requirepass
            .as_deref()
            .map(|p| format!(":{}@", encode_userinfo(p)))
            .unwrap_or_default()
    }

    /// `redis://[:password@]127.0.0.1:port`
    pub fn url(&self) -> String {
        format!("redis://{}127.0.0.1:{}", self.auth(), self.port())
    }

    /// `rediss://[:password@]localhost:tls_port`: trust the test CA to use it.
    pub fn tls_url(&self) -> String {
        format!("rediss://{}localhost:{}", self.auth(), self.tls_port())
    }

    pub fn port(&self) -> u16 {
        assert!(
            self.port != 0,
            "this Redis has no plain TCP port (tls_only)"
        );
        self.port
    }

    pub fn tls_port(&self) -> u16 {
        assert!(
            self.tls_port != 0,
            "this Redis has no TLS port (RedisOptions::tls not set)"
        );
        self.tls_port
    }

    pub fn socket_path(&self) -> PathBuf {
        assert!(
            self.opts.unixsocket,
            "this Redis has no Unix socket (RedisOptions::unixsocket not set)"
        );
        self.dir.path().join("redis.sock")
    }

    pub fn password(&self) -> Option<&str> {
        self.opts.requirepass.as_deref()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn log(&self) -> String {
        self.daemon.log()
    }

    pub fn pid(&self) -> u32 {
        self.daemon.child_pid().expect("test Redis is not running")
    }

    fn redis_client(&self) -> Client {
        let client = match &self.opts.tls {
            Some(cert) if self.opts.tls_only => Client::build_with_tls(
                self.tls_url(),
                TlsCertificates {
                    client_tls: None,
                    root_cert: Some(cert.ca_pem.clone().into_bytes()),
                },
            ),
            _ => Client::open(self.url()),
        };
        client.expect("build a Redis client for the test server")
    }

    /// An authenticated connection (over TLS if there is no plain port), for seeding data.
    pub fn client(&self) -> Connection {
        open(&self.redis_client()).unwrap_or_else(|e| {
            panic!(
                "connect to test Redis (port {}): {e}\nlog:\n{}",
                self.port,
                self.log()
            )
        })
    }

    /// Freezes the server: connections are accepted by the kernel but never answered.
    pub fn pause(&mut self) {
        self.daemon.pause(self.pid());
    }

    pub fn resume(&mut self) {
        self.daemon.resume();
    }

    /// Starts the server again on the same ports after [`RedisServer::stop`].
    pub fn restart(&mut self) {
        self.launch()
            .unwrap_or_else(|log| panic!("Redis failed to start again:\n{log}"));
    }

    /// Returns once the ports refuse connections.
    pub fn stop(&mut self) {
        let pid = self.daemon.child_pid();
        self.daemon.shutdown(pid, "TERM", Duration::from_secs(10));
        for port in [self.port, self.tls_port].into_iter().filter(|&p| p != 0) {
            wait_port_closed(port);
        }
    }
}

/// Bounded waits, so a paused or broken server fails the test instead of hanging it.
fn open(client: &Client) -> RedisResult<Connection> {
    let con = client.get_connection_with_timeout(Duration::from_secs(2))?;
    con.set_read_timeout(Some(Duration::from_secs(10)))?;
    con.set_write_timeout(Some(Duration::from_secs(10)))?;
    Ok(con)
}
