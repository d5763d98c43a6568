//! A running `vitals serve`: started on a free port (it listens on port 0
//! and says where on stderr), talked to over HTTP, stopped by a signal.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tempfile::TempDir;

use super::process::{signal, wait_for};

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }
}

pub struct Serve {
    env: Vec<(OsString, OsString)>,
    args: Vec<OsString>,
    /// `--listen`, added after the arguments; `None` leaves it to the environment.
    listen: Option<String>,
    dir: TempDir,
}

/// The server, killed when dropped.
pub struct Served {
    child: Child,
    /// Reads stderr to its end.
    reader: Option<std::thread::JoinHandle<()>>,
    pub port: u16,
    stderr: Arc<Mutex<String>>,
    agent: ureq::Agent,
    _dir: Arc<TempDir>,
}

impl Default for Serve {
    fn default() -> Self {
        Self::new()
    }
}

impl Serve {
    /// `vitals serve --listen 127.0.0.1:0` with only PATH, HOME and
    /// XDG_STATE_HOME (in a temp dir of its own) in its environment.
    pub fn new() -> Serve {
        let dir = tempfile::Builder::new()
            .prefix("vitals-serve-")
            .tempdir()
            .expect("serve temp dir");
        std::fs::create_dir(dir.path().join("home")).expect("HOME");
        let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
        Serve {
            env: vec![
                ("PATH".into(), path),
                ("HOME".into(), dir.path().join("home").into()),
                ("XDG_STATE_HOME".into(), dir.path().join("state").into()),
            ],
            args: vec!["serve".into()],
            listen: Some("127.0.0.1:0".to_owned()),
            dir,
        }
    }

    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Serve {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn args(mut self, args: &[&str]) -> Serve {
        self.args.extend(args.iter().map(OsString::from));
        self
    }

    /// Another address than 127.0.0.1:0.
    pub fn listen(mut self, addr: &str) -> Serve {
        self.listen = Some(addr.to_owned());
        self
    }

    /// Exactly these arguments (a recipe's command line), the address
    /// left to `VITALS_LISTEN`.
    pub fn exec(mut self, args: &[&str]) -> Serve {
        self.args = args.iter().map(OsString::from).collect();
        self.listen = None;
        self
    }

    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Starts it and waits until it says where it listens.
    pub fn start(self) -> Served {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vitals"));
        cmd.env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(&self.args)
            .args(
                self.listen
                    .iter()
                    .flat_map(|addr| ["--listen", addr.as_str()]),
            )
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd.spawn().expect("spawn vitals serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let seen = stderr.clone();
        let mut pipe = child.stderr.take().expect("stderr pipe");
        let reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                seen.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(20)))
            .http_status_as_error(false)
            .build()
            .into();
        let mut served = Served {
            child,
            reader: Some(reader),
            port: 0,
            stderr,
            agent,
            _dir: Arc::new(self.dir),
        };
        let port = wait_for(Duration::from_secs(20), || {
            if let Ok(Some(status)) = served.child.try_wait() {
                return Err(format!("vitals serve exited ({status})"));
            }
            let text = served.stderr();
            Ok(text
                .split("listening on http://")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .and_then(|addr| addr.rsplit(':').next())
                .and_then(|port| port.parse::<u16>().ok()))
        });
        served.port = port.unwrap_or_else(|e| panic!("{e}\n{}", served.stderr()));
        served
    }
}

impl Served {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn reply(&self, answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
        let mut response = answer.unwrap_or_else(|e| panic!("HTTP: {e}\n{}", self.stderr()));
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        Reply {
            status: response.status().as_u16(),
            headers,
            body: response.body_mut().read_to_string().unwrap_or_default(),
        }
    }

    pub fn get(&self, path: &str) -> Reply {
        self.reply(self.agent.get(self.url(path)).call())
    }

    pub fn get_with(&self, path: &str, header: (&str, &str)) -> Reply {
        self.reply(
            self.agent
                .get(self.url(path))
                .header(header.0, header.1)
                .call(),
        )
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &str) -> Reply {
        let mut request = self
            .agent
            .post(self.url(path))
            .header("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        self.reply(request.send(body))
    }

    /// Waits up to `limit` for `probe` to hold, polling.
    pub fn wait(&self, limit: Duration, what: &str, mut probe: impl FnMut(&Served) -> bool) {
        wait_for(limit, || Ok(probe(self).then_some(())))
            .unwrap_or_else(|e| panic!("{what}: {e}\n{}", self.stderr()));
    }

    /// Sends `sig` (a kill(1) name) and returns its exit code once it ends.
    pub fn stop(mut self, sig: &str) -> (i32, String) {
        signal(sig, &[self.child.id()]);
        let status = wait_for(Duration::from_secs(30), || {
            Ok(self.child.try_wait().ok().flatten())
        })
        .unwrap_or_else(|e| panic!("vitals serve did not stop: {e}\n{}", self.stderr()));
        // Its last words may still be in the pipe.
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let code = status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
        (code, self.stderr())
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
