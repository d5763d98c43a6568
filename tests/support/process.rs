//! Plumbing shared by the throwaway servers: start-up polling, port-clash
//! retries, signals and the watchdog that cleans up after a dead test process.
//!
//! A server's processes are recognised by their working directory: every
//! daemon is spawned with its temp dir as cwd (PostgreSQL then moves into its
//! data dir, its backends inherit that), so "everything whose cwd is inside
//! the dir" finds the postmaster and all its backends, survives restarts, and
//! cannot hit an unrelated process that reused a PID.

use std::fs::{self, OpenOptions};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The OS account a server runs as.
pub(crate) struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// PostgreSQL refuses to run as root: when we are root, servers that need it
/// run as `postgres`. `None` means "run as ourselves".
pub(crate) fn service_account() -> Option<Account> {
    // The owner of /proc/self is our effective uid; this avoids a libc dependency.
    let euid = fs::metadata("/proc/self").expect("stat /proc/self").uid();
    if euid != 0 {
        return None;
    }
    let passwd = fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    let line = passwd
        .lines()
        .find(|l| l.starts_with("postgres:"))
        .expect("running as root, but there is no `postgres` user to run PostgreSQL as");
    let f: Vec<&str> = line.split(':').collect();
    Some(Account {
        name: f[0].to_string(),
        uid: f[2].parse().expect("uid in /etc/passwd"),
        gid: f[3].parse().expect("gid in /etc/passwd"),
    })
}

/// A command for `program`, run as `account` if given. Not `runuser`: it
/// mirrors job-control stops of its child (stops itself when the child is
/// stopped, continues it later), which races with `pause`/`resume` and once
/// left a stopped wrapper that never reaped the postmaster.
pub(crate) fn command_as(account: Option<&Account>, program: &Path) -> Command {
    let mut cmd = Command::new(program);
    if let Some(a) = account {
        // std drops supplementary groups too when root sets a uid.
        cmd.uid(a.uid).gid(a.gid);
    }
    cmd
}

pub(crate) fn chown(path: &Path, account: Option<&Account>) {
    if let Some(a) = account {
        std::os::unix::fs::chown(path, Some(a.uid), Some(a.gid))
            .unwrap_or_else(|e| panic!("chown {} to {}: {e}", path.display(), a.name));
    }
}

/// Polls `probe` every 25 ms: `Ok(Some(v))` is done, `Ok(None)` is "not yet",
/// `Err(why)` gives up at once. Timing out is an `Err` too.
pub(crate) fn wait_for<T>(
    timeout: Duration,
    mut probe: impl FnMut() -> Result<Option<T>, String>,
) -> Result<T, String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = probe()? {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out after {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// `free_port()` can race with another test (or another process) taking the
/// same port before the server binds it; such a start is simply retried.
/// `attempt` returns the server log on failure.
pub(crate) fn retry_port_clash<T>(what: &str, mut attempt: impl FnMut() -> Result<T, String>) -> T {
    let mut last = String::new();
    for _ in 0..5 {
        match attempt() {
            Ok(v) => return v,
            Err(log) if log.contains("already in use") => last = log,
            Err(log) => panic!("{what} failed to start:\n{log}"),
        }
    }
    panic!("{what} failed to start: every port tried was taken; last log:\n{last}")
}

pub(crate) fn wait_port_closed(port: u16) {
    wait_for(Duration::from_secs(10), || {
        Ok(std::net::TcpStream::connect(("127.0.0.1", port))
            .is_err()
            .then_some(()))
    })
    .unwrap_or_else(|e| panic!("port {port} still accepts connections after stop: {e}"));
}

/// Sends a signal with kill(1): avoids a libc dependency, and we are allowed to
/// signal exactly the PIDs we started.
pub(crate) fn signal(sig: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
}

/// One server's processes plus the watchdog guarding its temp dir.
pub(crate) struct Daemon {
    root: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    watchdog: Child,
}

const WATCHDOG: &str = r#"
while kill -0 "$0" 2>/dev/null; do sleep 0.5; done
pids() { for p in /proc/[0-9]*; do case "$(readlink "$p/cwd" 2>/dev/null)" in "$1"|"$1"/*) echo "${p#/proc/}";; esac; done; }
kill -CONT $(pids "$1") 2>/dev/null; kill -TERM $(pids "$1") 2>/dev/null
sleep 1; kill -KILL $(pids "$1") 2>/dev/null
rm -rf "$1"
"#;

impl Daemon {
    /// Starts the watchdog for `root`; `log` (inside `root`) collects the output of every spawn.
    pub fn new(root: &Path, log: &str) -> Self {
        let watchdog = Command::new("sh")
            .args(["-c", WATCHDOG])
            .arg(std::process::id().to_string())
            .arg(root)
            // Outside `root`, or it would kill itself; own process group, so a Ctrl-C
            // aimed at `cargo test` does not kill it before it cleans up.
            .current_dir("/")
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn watchdog sh");
        Daemon {
            root: root.to_path_buf(),
            log: root.join(log),
            child: None,
            watchdog,
        }
    }

    pub fn spawn(&mut self, mut cmd: Command) {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open server log");
        let child = cmd
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup log fd"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {:?}: {e}", cmd.get_program()));
        self.child = Some(child);
    }

    /// PID of the spawned process.
    pub fn child_pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// The last 80 lines of the log, for panic messages.
    pub fn log(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_else(|e| format!("<no log: {e}>"));
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(80)..].join("\n")
    }

    /// Every live process of this server.
    pub fn pids(&self) -> Vec<u32> {
        let Ok(entries) = fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(|e| {
                let e = e.ok()?;
                let pid: u32 = e.file_name().to_str()?.parse().ok()?;
                let cwd = fs::read_link(e.path().join("cwd")).ok()?;
                cwd.starts_with(&self.root).then_some(pid)
            })
            .collect()
    }

    /// Freezes the server. `main` goes first so it cannot fork a child that the
    /// scan would miss; already-forked children are frozen too, so even an open
    /// connection stops answering.
    pub fn pause(&self, main: u32) {
        signal("STOP", &[main]);
        signal("STOP", &self.pids());
    }

    pub fn resume(&self) {
        signal("CONT", &self.pids());
    }

    /// Sends `sig` to `main` and waits for the spawned process to exit; past
    /// `timeout`, kills everything left.
    pub fn shutdown(&mut self, main: Option<u32>, sig: &str, timeout: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        self.resume();
        if let Some(pid) = main {
            signal(sig, &[pid]);
        }
        if wait_for(timeout, || Ok(child.try_wait().ok().flatten())).is_err() {
            signal("KILL", &self.pids());
            let _ = child.kill();
        }
        let _ = child.wait();
        // Backends may outlive the postmaster for a moment.
        let _ = wait_for(Duration::from_secs(5), || {
            Ok(self.pids().is_empty().then_some(()))
        });
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        signal("KILL", &self.pids());
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

/// Writes `contents` to `path` with the given mode.
pub(crate) fn write_file(path: &Path, contents: &[u8], mode: u32) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    f.write_all(contents)
        .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}
