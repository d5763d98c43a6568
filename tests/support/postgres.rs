//! Throwaway PostgreSQL servers.
//!
//! `initdb` + start takes about a second, so tests that only need a healthy
//! server use [`PgServer::shared`] and their own database; tests that pause,
//! stop or reconfigure a server start a dedicated one.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use std::{env, fs};

use tempfile::TempDir;

use super::certs::ServerCert;
use super::net::free_port;
use super::process::{
    Account, Daemon, chown, command_as, retry_port_clash, service_account, wait_for,
    wait_port_closed, write_file,
};
use super::{encode_userinfo, random_token};

#[derive(Clone, Default)]
pub struct PgOptions {
    pub max_connections: Option<u32>,
    pub superuser_reserved_connections: Option<u32>,
    /// Turns on `ssl`; plain connections are still accepted.
    pub tls: Option<ServerCert>,
    /// Extra `-c name=value` settings, applied last.
    pub settings: Vec<(String, String)>,
}

pub struct PgServer {
    // Field order matters: `daemon` must go (killing the server) before `dir` is removed.
    daemon: Daemon,
    dir: TempDir,
    data: PathBuf,
    account: Option<Account>,
    settings: Vec<(String, String)>,
    password: String,
    port: u16,
}

const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A temp dir owned by the account PostgreSQL runs as.
fn server_dir(account: Option<&Account>) -> TempDir {
    let dir = tempfile::Builder::new()
        .prefix("vitals-pg-")
        .tempdir()
        .expect("PostgreSQL temp dir");
    chown(dir.path(), account);
    dir
}

impl PgServer {
    pub fn start(opts: PgOptions) -> PgServer {
        let account = service_account();
        let dir = server_dir(account.as_ref());
        let data = dir.path().join("data");
        let password = random_token();

        let pwfile = dir.path().join("pwfile");
        write_file(&pwfile, password.as_bytes(), 0o600);
        chown(&pwfile, account.as_ref());
        let out = command_as(account.as_ref(), &pg_bin("initdb"))
            .arg("-D")
            .arg(&data)
            .arg(format!("--pwfile={}", pwfile.display()))
            .args([
                "-U",
                "postgres",
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
            ])
            .args(["-E", "UTF8", "--locale=C", "--no-sync"])
            .current_dir(dir.path())
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = fs::remove_file(&pwfile);
        PgServer::run(account, dir, data, password, opts)
    }

    /// A streaming replica of this server, as operators set one up: a
    /// `pg_basebackup` of it with `-R` (which writes `standby.signal` and
    /// `primary_conninfo`), started on its own port. It is read-only, in
    /// recovery, has the same users and passwords, and streams before this returns.
    pub fn start_replica(&self) -> PgServer {
        let account = service_account();
        let dir = server_dir(account.as_ref());
        let data = dir.path().join("data");
        let out = command_as(account.as_ref(), &pg_bin("pg_basebackup"))
            .arg("-D")
            .arg(&data)
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-R", "-X", "stream", "--no-sync"])
            .env("PGPASSWORD", &self.password)
            .current_dir(dir.path())
            .output()
            .expect("run pg_basebackup");
        assert!(
            out.status.success(),
            "pg_basebackup failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let replica = PgServer::run(
            account,
            dir,
            data,
            self.password.clone(),
            PgOptions::default(),
        );
        wait_for(START_TIMEOUT, || {
            let status: Option<String> = replica
                .client("postgres")
                .query_opt("SELECT status FROM pg_stat_wal_receiver", &[])
                .map_err(|e| e.to_string())?
                .map(|row| row.get(0));
            Ok((status.as_deref() == Some("streaming")).then_some(()))
        })
        .unwrap_or_else(|e| panic!("the replica does not stream: {e}\nlog:\n{}", replica.log()));
        replica
    }

    /// Starts the server in `dir` on a free port, with the harness's settings and `opts`.
    fn run(
        account: Option<Account>,
        dir: TempDir,
        data: PathBuf,
        password: String,
        opts: PgOptions,
    ) -> PgServer {
        let mut settings: Vec<(String, String)> = [
            ("listen_addresses", "127.0.0.1"),
            // Durability is pointless for a database deleted after the test.
            ("fsync", "off"),
            ("synchronous_commit", "off"),
            ("full_page_writes", "off"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into();
        let mut set = |k: &str, v: String| settings.push((k.to_string(), v));
        if let Some(n) = opts.max_connections {
            set("max_connections", n.to_string());
        }
        if let Some(n) = opts.superuser_reserved_connections {
            set("superuser_reserved_connections", n.to_string());
        }
        if let Some(cert) = &opts.tls {
            let (cert, key) = cert.install(dir.path(), account.as_ref());
            set("ssl", "on".into());
            set("ssl_cert_file", cert.display().to_string());
            set("ssl_key_file", key.display().to_string());
        }
        settings.extend(opts.settings);

        let mut server = PgServer {
            daemon: Daemon::new(dir.path(), "postgres.log"),
            dir,
            data,
            account,
            settings,
            password,
            port: 0,
        };
        retry_port_clash("PostgreSQL", || {
            server.port = free_port();
            server.launch()
        });
        server
    }

    /// One healthy server per test process. Never pause or stop it (the
    /// `&mut self` methods make that a compile error); create a database per test.
    pub fn shared() -> &'static PgServer {
        static SHARED: OnceLock<PgServer> = OnceLock::new();
        SHARED.get_or_init(|| PgServer::start(PgOptions::default()))
    }

    /// Starts the postmaster and waits until it reports "ready" in
    /// `postmaster.pid`: unlike a connection attempt, that cannot be fooled by
    /// another server that took our port. Returns the log on failure.
    fn launch(&mut self) -> Result<(), String> {
        // A stale file (after a kill) would claim "ready" at once.
        let _ = fs::remove_file(self.data.join("postmaster.pid"));
        let mut cmd = command_as(self.account.as_ref(), &pg_bin("postgres"));
        cmd.arg("-D")
            .arg(&self.data)
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-k")
            .arg(self.dir.path());
        for (k, v) in &self.settings {
            cmd.arg("-c").arg(format!("{k}={v}"));
        }
        self.daemon.spawn(cmd);
        let ready = wait_for(START_TIMEOUT, || {
            // A replica reports "standby" once it accepts read-only connections.
            if pid_file_line(&self.data, 7).is_some_and(|s| s == "ready" || s == "standby") {
                Ok(Some(()))
            } else if self.daemon.running() {
                Ok(None)
            } else {
                Err("postgres exited".to_string())
            }
        });
        ready.map_err(|why| {
            self.daemon.shutdown(None, "KILL", Duration::ZERO);
            format!("{why}; port {}; log:\n{}", self.port, self.daemon.log())
        })
    }

    pub fn url(&self, db: &str) -> String {
        self.url_with_password(db, &self.password)
    }

    pub fn url_with_password(&self, db: &str, password: &str) -> String {
        format!(
            "postgres://postgres:{}@127.0.0.1:{}/{db}",
            encode_userinfo(password),
            self.port
        )
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `postgres` superuser's password.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Where the Unix socket `.s.PGSQL.<port>` lives (local connections are `trust`).
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn log(&self) -> String {
        self.daemon.log()
    }

    /// Creates a database with a unique name and returns its URL.
    pub fn create_database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("vitals_test_{}", NEXT.fetch_add(1, Ordering::SeqCst));
        self.client("postgres")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        self.url(&name)
    }

    /// A superuser connection to `db`, for seeding data and inspecting state.
    pub fn client(&self, db: &str) -> ::postgres::Client {
        ::postgres::Client::connect(&self.url(db), ::postgres::NoTls).unwrap_or_else(|e| {
            panic!(
                "connect to test PostgreSQL (port {}, db {db}): {e}\nlog:\n{}",
                self.port,
                self.log()
            )
        })
    }

    /// The postmaster's PID, from `postmaster.pid`.
    pub fn pid(&self) -> u32 {
        pid_file_line(&self.data, 0)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("test PostgreSQL is not running (no postmaster.pid)"))
    }

    /// Freezes the postmaster and every backend: new connections hang after
    /// the TCP handshake, open ones stop answering.
    pub fn pause(&mut self) {
        self.daemon.pause(self.pid());
    }

    pub fn resume(&mut self) {
        self.daemon.resume();
    }

    /// Fast shutdown; returns once the port refuses connections.
    pub fn stop(&mut self) {
        let pid = pid_file_line(&self.data, 0).and_then(|s| s.parse().ok());
        self.daemon.shutdown(pid, "INT", START_TIMEOUT);
        wait_port_closed(self.port);
    }

    /// Starts again on the same port with the same data.
    pub fn restart(&mut self) {
        self.stop();
        if let Err(log) = self.launch() {
            panic!("PostgreSQL failed to restart: {log}");
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // Immediate shutdown rather than SIGKILL: PostgreSQL then removes its
        // SysV shared memory segment instead of leaking one per test.
        let pid = pid_file_line(&self.data, 0).and_then(|s| s.parse().ok());
        self.daemon.shutdown(pid, "QUIT", Duration::from_secs(10));
    }
}

/// Line `n` (0-based) of `postmaster.pid`: 0 is the PID, 7 the status.
fn pid_file_line(data: &Path, n: usize) -> Option<String> {
    let text = fs::read_to_string(data.join("postmaster.pid")).ok()?;
    text.lines().nth(n).map(|l| l.trim().to_string())
}

/// Debian keeps `initdb` and `postgres` out of PATH, in a versioned directory.
/// `VITALS_TEST_PG_BIN` overrides; then the directory of the `initdb` in PATH;
/// then the newest /usr/lib/postgresql/N/bin.
fn pg_bin(name: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(dir) = env::var_os("VITALS_TEST_PG_BIN") {
            return dir.into();
        }
        // Resolved: a symlink to `initdb` in PATH leads to the directory
        // that holds every program of that server version (pg_basebackup too).
        let in_path = env::var_os("PATH")
            .map(|p| env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .find(|d| d.join("initdb").is_file())
            .and_then(|d| fs::canonicalize(d.join("initdb")).ok())
            .and_then(|initdb| initdb.parent().map(Path::to_path_buf));
        in_path
            .or_else(|| {
                let versions = fs::read_dir("/usr/lib/postgresql").ok()?;
                let newest = versions
                    .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                    .max()?;
                Some(PathBuf::from(format!("/usr/lib/postgresql/{newest}/bin")))
            })
            .expect("no initdb in PATH or /usr/lib/postgresql/*/bin; set VITALS_TEST_PG_BIN")
    })
    .join(name)
}
