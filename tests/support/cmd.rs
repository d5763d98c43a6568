//! Runs the real `vitals` binary in a clean, isolated environment.
//!
//! ```ignore
//! Test::new().env("DATABASE_URL", url).args(["check", "db", "--json"]).run().assert_code(0).json();
//! ```

use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tempfile::TempDir;

/// A hung binary must fail its test, not the whole CI job.
const HARD_LIMIT: Duration = Duration::from_secs(60);

/// How long [`Test::run_interrupted`] waits for the program to be ready for its signal.
const READY_LIMIT: Duration = Duration::from_secs(15);

pub struct Test {
    dir: TempDir,
    program: PathBuf,
    args: Vec<OsString>,
    /// Applied in order on an empty environment; `None` removes.
    env: Vec<(OsString, Option<OsString>)>,
    cwd: Option<PathBuf>,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
    /// Stderr of the running program, as far as it came.
    stderr_seen: Arc<Mutex<Vec<u8>>>,
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    /// Only PATH, HOME (`<dir>/home`, created) and XDG_STATE_HOME (`<dir>/state`,
    /// deliberately not created) are set, and the working directory is the
    /// per-test dir: the developer's env (RUST_BACKTRACE, NO_COLOR, TERM,
    /// DATABASE_URL...) and any `.env` file cannot leak into a test.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("vitals-test-")
            .tempdir()
            .expect("test temp dir");
        let home = dir.path().join("home");
        std::fs::create_dir(&home).expect("create test HOME");
        let path =
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
        let env = vec![
            ("PATH".into(), Some(path)),
            ("HOME".into(), Some(home.into())),
            (
                "XDG_STATE_HOME".into(),
                Some(dir.path().join("state").into()),
            ),
        ];
        Test {
            dir,
            program: env!("CARGO_BIN_EXE_vitals").into(),
            args: Vec::new(),
            env,
            cwd: None,
            stdin: None,
            timeout: HARD_LIMIT,
            stderr_seen: Arc::default(),
        }
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().into(), Some(value.as_ref().into())));
        self
    }

    pub fn envs<K: AsRef<OsStr>, V: AsRef<OsStr>>(
        self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        vars.into_iter().fold(self, |t, (k, v)| t.env(k, v))
    }

    /// E.g. to test behaviour without HOME.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().into(), None));
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().into());
        self
    }

    pub fn args(self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Self {
        args.into_iter().fold(self, Test::arg)
    }

    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// Lowers the hard limit (for tests of the runner itself).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = limit;
        self
    }

    /// Runs another program in the same sandbox (for tests of the runner itself).
    pub fn program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = program.into();
        self
    }

    /// Writes a file into the per-test dir (creating parent dirs) and returns its path.
    pub fn write_file(&self, name: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// The per-test dir: default working directory, parent of HOME and XDG_STATE_HOME.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Runs the program to completion. Takes `&self`, so a test can run twice
    /// with the same state dir (e.g. alert de-duplication across runs).
    pub fn run(&self) -> Outcome {
        self.execute(None)
    }

    /// Runs the program with `args` instead of those given so far, in the
    /// same directory and environment: several commands over one set of files.
    pub fn run_args(&self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Outcome {
        self.run_args_env(args, &[])
    }

    /// As [`Test::run_args`], with these variables set too.
    pub fn run_args_env(
        &self,
        args: impl IntoIterator<Item = impl AsRef<OsStr>>,
        env: &[(&str, &str)],
    ) -> Outcome {
        let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().into()).collect();
        let mut vars = self.env.clone();
        vars.extend(
            env.iter()
                .map(|(k, v)| (OsString::from(k), Some(OsString::from(v)))),
        );
        self.execute_with(&args, &vars, None)
    }

    /// Runs the program and sends it `signal` (a kill(1) name: `INT`, `TERM`),
    /// as Ctrl-C or a service manager would, once it is in the middle of its
    /// work: it has installed its handler for `signal` and `busy()` holds (a
    /// stand-in server saw its connection, say). No fixed delay, which would
    /// be too short on a loaded machine and make the test flaky, or too long
    /// and slow it down. Panics if the program ends before, or is not ready
    /// within 15 s.
    pub fn run_interrupted(&self, signal: &'static str, mut busy: impl FnMut() -> bool) -> Outcome {
        self.execute(Some((signal, &mut busy)))
    }

    /// Runs the program and kills it (SIGKILL: no handler, no clean-up, as
    /// a crash or the OOM killer would) once `busy()` holds.
    pub fn run_killed(&self, mut busy: impl FnMut() -> bool) -> Outcome {
        self.execute(Some(("KILL", &mut busy)))
    }

    /// As [`Test::run_interrupted`], once the program has written `needle`
    /// on stderr (a log line at `-v` saying it finished a step): for a
    /// moment a server cannot see, such as the program having read an answer.
    pub fn run_interrupted_after_stderr(&self, signal: &'static str, needle: &str) -> Outcome {
        let seen = self.stderr_seen.clone();
        self.execute(Some((signal, &mut move || {
            String::from_utf8_lossy(&seen.lock().unwrap_or_else(|e| e.into_inner()))
                .contains(needle)
        })))
    }

    fn execute(&self, interrupt: Option<(&'static str, &mut dyn FnMut() -> bool)>) -> Outcome {
        self.execute_with(&self.args, &self.env, interrupt)
    }

    fn execute_with(
        &self,
        args: &[OsString],
        env: &[(OsString, Option<OsString>)],
        mut interrupt: Option<(&'static str, &mut dyn FnMut() -> bool)>,
    ) -> Outcome {
        let mut cmd = Command::new(&self.program);
        cmd.env_clear()
            .args(args)
            .current_dir(self.cwd.as_deref().unwrap_or(self.dir.path()))
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Own process group: on timeout, grandchildren holding our pipes die too.
            .process_group(0);
        for (k, v) in env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        let (start, started_at) = (Instant::now(), Utc::now());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.program.display()));
        // Separate threads: a child blocked on a full pipe must not deadlock us.
        if let (Some(bytes), Some(mut pipe)) = (self.stdin.clone(), child.stdin.take()) {
            thread::spawn(move || pipe.write_all(&bytes));
        }
        let stdout = drain(child.stdout.take(), Arc::default());
        self.stderr_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        let stderr = drain(child.stderr.take(), self.stderr_seen.clone());

        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for child") {
                break Some(status);
            }
            // The child is not reaped yet, so its PID cannot belong to another process.
            // SIGKILL cannot be caught: it waits for the condition alone.
            if let Some((signal, busy)) = interrupt.as_mut()
                && (*signal == "KILL" || catches(child.id(), signal))
                && busy()
            {
                super::process::signal(signal, &[child.id()]);
                interrupt = None;
            }
            let limit = match interrupt {
                Some(_) => READY_LIMIT.min(self.timeout),
                None => self.timeout,
            };
            if start.elapsed() > limit {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.wait();
                break None;
            }
            thread::sleep(Duration::from_millis(5));
        };
        let (elapsed, ended_at) = (start.elapsed(), Utc::now());
        let outcome = |code| Outcome {
            code,
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
            elapsed,
            started_at,
            ended_at,
        };
        match (status, interrupt) {
            (Some(s), None) => outcome(s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0))),
            (Some(s), Some((signal, _))) => panic!(
                "{} {:?} ended before it was ready for SIG{signal} (its handler installed, \
                 the awaited condition true)\n{}",
                self.program.display(),
                self.args,
                outcome(s.code().unwrap_or(-1)).dump()
            ),
            (None, Some((signal, _))) => panic!(
                "{} {:?} was not ready for SIG{signal} (its handler installed, the awaited \
                 condition true) after {:?}: killed\n{}",
                self.program.display(),
                self.args,
                READY_LIMIT.min(self.timeout),
                outcome(-1).dump()
            ),
            (None, None) => panic!(
                "{} {:?} still running after {:?}: killed\n{}",
                self.program.display(),
                self.args,
                self.timeout,
                outcome(-1).dump()
            ),
        }
    }
}

/// Whether `pid` has a handler installed for `signal`: its bit in the
/// `SigCgt` mask of /proc/PID/status.
fn catches(pid: u32, signal: &str) -> bool {
    let number = match signal {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "USR1" => 10,
        "USR2" => 12,
        "TERM" => 15,
        other => panic!("run_interrupted: no signal number known for {other}"),
    };
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let mask = status.lines().find_map(|l| l.strip_prefix("SigCgt:"))?;
            u64::from_str_radix(mask.trim(), 16).ok()
        })
        .is_some_and(|mask| mask & (1 << (number - 1)) != 0)
}

/// Reads a pipe to its end, keeping what came so far in `seen` as it comes.
fn drain(
    pipe: Option<impl Read + Send + 'static>,
    seen: Arc<Mutex<Vec<u8>>>,
) -> JoinHandle<String> {
    thread::spawn(move || {
        if let Some(mut p) = pipe {
            let mut chunk = [0u8; 4096];
            loop {
                match p.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => seen
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        let all = seen.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&all).into_owned()
    })
}

#[derive(Debug)]
pub struct Outcome {
    /// Exit code, or 128 + signal number if killed by a signal.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// Wall-clock times just before the program started and just after it ended.
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
}

impl Outcome {
    fn dump(&self) -> String {
        format!(
            "exit code {} after {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.elapsed, self.stdout, self.stderr
        )
    }

    pub fn assert_code(&self, expected: i32) -> &Self {
        assert_eq!(self.code, expected, "unexpected exit code\n{}", self.dump());
        self
    }

    /// Finished within `limit`: "returns within the timeout", with the margin the caller allows.
    pub fn assert_within(&self, limit: Duration) -> &Self {
        assert!(
            self.elapsed < limit,
            "took {:?}, more than {limit:?}\n{}",
            self.elapsed,
            self.dump()
        );
        self
    }

    /// `value` as a timestamp this run wrote: UTC, RFC 3339 to the millisecond
    /// (`2026-11-30T12:06:39.434Z`), and taken while the program ran.
    pub fn timestamp(&self, value: &serde_json::Value) -> DateTime<Utc> {
        let text = value
            .as_str()
            .unwrap_or_else(|| panic!("not a timestamp: {value}"));
        assert!(
            text.len() == 24 && text.ends_with('Z'),
            "{text} is not UTC to the millisecond"
        );
        let at = DateTime::parse_from_rfc3339(text)
            .unwrap_or_else(|e| panic!("{text} is not RFC 3339: {e}"))
            .to_utc();
        // Cut to the millisecond, a time taken just after the start can read as before it.
        let earliest = self.started_at - chrono::Duration::milliseconds(1);
        assert!(
            earliest <= at && at <= self.ended_at,
            "{text} was not taken during the run ({} to {})",
            self.started_at,
            self.ended_at
        );
        at
    }

    /// Stdout parsed as exactly one JSON document (surrounding whitespace allowed).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not exactly one JSON document: {e}\n{}",
                self.dump()
            )
        })
    }

    pub fn assert_stdout_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{}",
            self.dump()
        );
        self
    }

    pub fn assert_stderr_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{}",
            self.dump()
        );
        self
    }

    /// None of `secrets` appears in stdout or stderr. The panic message names
    /// the secret by index and shows the output with every secret redacted, so
    /// a failing test does not leak it into CI logs.
    pub fn assert_no_secrets(&self, secrets: &[&str]) -> &Self {
        let mut leaks = Vec::new();
        for (i, secret) in secrets.iter().enumerate() {
            assert!(
                !secret.is_empty(),
                "assert_no_secrets: secret #{i} is empty (test bug)"
            );
            for (stream, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
                if let Some(at) = text.find(secret) {
                    let line = text[..at].matches('\n').count() + 1;
                    leaks.push(format!(
                        "secret #{i} leaked in {stream}, line {line} (byte {at})"
                    ));
                }
            }
        }
        if !leaks.is_empty() {
            let mut order: Vec<usize> = (0..secrets.len()).collect();
            // Longest first, so a secret containing another is redacted whole.
            order.sort_by_key(|&i| std::cmp::Reverse(secrets[i].len()));
            let redact = |text: &str| {
                order.iter().fold(text.to_string(), |t, &i| {
                    t.replace(secrets[i], &format!("<secret #{i}>"))
                })
            };
            panic!(
                "{}\nexit code {}\n--- stdout (redacted) ---\n{}\n--- stderr (redacted) ---\n{}",
                leaks.join("\n"),
                self.code,
                redact(&self.stdout),
                redact(&self.stderr)
            );
        }
        self
    }

    /// No ANSI escape sequence (`ESC [`) in stdout or stderr.
    pub fn assert_no_ansi(&self) -> &Self {
        for (stream, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            assert!(
                !text.contains("\x1b["),
                "ANSI escape in {stream} (shown escaped):\n{text:?}\nexit code {}",
                self.code
            );
        }
        self
    }
}
