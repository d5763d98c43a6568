//! `kind = "command"`: any Nagios-compatible plugin, run as an argv array
//! (never through a shell). Its exit code is its status (0 healthy, 1
//! degraded, 2 unhealthy, 3 unknown; anything else unknown, as Icinga
//! does), its first output line the message, the rest its long output, and
//! its perfdata its measurements. It runs in a process group of its own:
//! when its time runs out the whole group is told to stop (SIGTERM), then
//! killed (SIGKILL), so that nothing it started is left behind.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncReadExt as _};
use tokio::process::Child;
use tokio::time::Instant;

use super::perfdata;
use super::{CheckKind, Outcome, Probe};
use crate::config::Fields;
use crate::status::Status;
use crate::text;

pub const KIND: CheckKind = CheckKind {
    name: "command",
    fields: &["command", "env", "on_timeout"],
    read: |fields, _, _| read(fields).map(|c| Box::new(c) as Box<dyn Probe>),
};

/// Output kept of each stream, as Nagios keeps of a plugin's; the rest is
/// read (so that the plugin is not blocked on a full pipe) and dropped.
pub const OUTPUT_CAP: usize = 8 * 1024;

/// Between SIGTERM and SIGKILL to a plugin that overran.
const TERM_GRACE: Duration = Duration::from_millis(200);

/// The variables every plugin gets from vitals' own environment.
const INHERITED: &[&str] = &["PATH", "LANG"];

struct Command {
    argv: Vec<String>,
    /// PATH, LANG and what `env` lists (secrets, registered for the scrub).
    env: Vec<(String, String)>,
    on_timeout: Status,
}

fn read(f: &mut Fields<'_>) -> Option<Command> {
    let argv = match f.strings("command") {
        Some(argv) if argv.first().is_some_and(|p| !p.is_empty()) => Some(argv),
        Some(_) => {
            f.error(
                "command",
                "expected the program and its arguments, such as [\"/usr/lib/nagios/plugins/check_disk\", \"-w\", \"10%\"]",
            );
            None
        }
        None => {
            if !f.has("command") {
                f.missing(
                    "command",
                    "the program and its arguments, such as [\"/usr/lib/nagios/plugins/check_disk\", \"-w\", \"10%\"]",
                );
            }
            None
        }
    };
    let mut env = Vec::new();
    for name in INHERITED {
        if let Ok(Some(value)) = f.source().get(name) {
            env.push(((*name).to_owned(), value));
        }
    }
    for name in f.strings("env").unwrap_or_default() {
        let valid = name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            f.error("env", format!("{name:?} is not a variable name"));
            continue;
        }
        if let Some(value) = f.variable("env", &name) {
            env.retain(|(n, _)| *n != name);
            env.push((name, value));
        }
    }
    let on_timeout = match f.string("on_timeout").as_deref() {
        None | Some("unknown") => Status::Unknown,
        Some("critical" | "unhealthy") => Status::Unhealthy,
        Some(other) => {
            f.error(
                "on_timeout",
                format!("expected \"unknown\" or \"critical\", got {other:?}"),
            );
            Status::Unknown
        }
    };
    Some(Command {
        argv: argv?,
        env,
        on_timeout,
    })
}

/// What a plugin printed and how it ended.
struct Finished {
    status: Option<ExitStatus>,
    stdout: Captured,
    stderr: Captured,
    elapsed: Duration,
    /// The time it had, when it ran out of it.
    timed_out: Option<Duration>,
}

#[derive(Default)]
struct Captured {
    kept: Vec<u8>,
    dropped: u64,
}

async fn capture(stream: Option<impl AsyncRead + Unpin>) -> Captured {
    let mut captured = Captured::default();
    let Some(mut stream) = stream else {
        return captured;
    };
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return captured,
            Ok(n) => {
                let room = OUTPUT_CAP - captured.kept.len();
                let take = n.min(room);
                captured.kept.extend_from_slice(&buf[..take]);
                captured.dropped += (n - take) as u64;
            }
        }
    }
}

/// Sends `signal` to every process of the group; false when none is left.
fn signal_group(group: i32, signal: i32) -> bool {
    // SAFETY: kill has no memory preconditions; a negative pid names a group.
    unsafe { libc::kill(-group, signal) == 0 }
}

impl Command {
    fn program(&self) -> &str {
        self.argv.first().map_or("", String::as_str)
    }

    async fn execute(&self, deadline: Instant, limit: Duration) -> Result<Finished, std::io::Error> {
        let mut command = tokio::process::Command::new(self.program());
        command
            .args(self.argv.iter().skip(1))
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = command.spawn()?;
        let group = child.id().and_then(|id| i32::try_from(id).ok());
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let outputs = async { tokio::join!(capture(stdout), capture(stderr)) };
        let run = async { tokio::join!(child.wait(), outputs) };
        let ran = tokio::time::timeout_at(deadline, run).await;
        let elapsed = started.elapsed();
        let finished = match ran {
            Ok((status, (stdout, stderr))) => Finished {
                status: status.ok(),
                stdout,
                stderr,
                elapsed,
                timed_out: None,
            },
            Err(_) => Finished {
                status: None,
                stdout: Captured::default(),
                stderr: Captured::default(),
                elapsed,
                timed_out: Some(limit),
            },
        };
        // Whatever it left running in its group goes too: nothing outlives the check.
        if let Some(group) = group {
            stop_group(group, &mut child).await;
        }
        Ok(finished)
    }

    fn judge(&self, finished: Finished) -> Outcome {
        let program = self.program();
        if let Some(limit) = finished.timed_out {
            return Outcome::new(
                self.on_timeout,
                format!(
                    "{program}: timed out after {}; its process group was stopped",
                    text::duration(limit)
                ),
            )
            .elapsed(finished.elapsed);
        }
        let stdout = String::from_utf8_lossy(&finished.stdout.kept).into_owned();
        let stderr = String::from_utf8_lossy(&finished.stderr.kept).into_owned();
        let output = Output::parse(&stdout);
        let code = finished.status.and_then(|s| s.code());
        let status = match code {
            Some(0) => Status::Healthy,
            Some(1) => Status::Degraded,
            Some(2) => Status::Unhealthy,
            _ => Status::Unknown,
        };
        let said = if output.text.is_empty() {
            stderr.lines().next().unwrap_or_default().trim().to_owned()
        } else {
            output.text.clone()
        };
        let said = if said.is_empty() {
            "(no output)".to_owned()
        } else {
            said
        };
        let message = match (code, finished.status) {
            (Some(0..=3), _) => said,
            (Some(code), _) => format!("{program}: exit code {code}, not a plugin status (0-3): {said}"),
            (None, Some(status)) => {
                use std::os::unix::process::ExitStatusExt as _;
                let signal = status.signal().unwrap_or_default();
                format!("{program}: killed by signal {signal}: {said}")
            }
            (None, None) => format!("{program}: its exit status could not be read: {said}"),
        };
        let mut long = output.long;
        if finished.stdout.dropped > 0 {
            long.push(format!(
                "(output cut at {} KiB: {} more bytes dropped)",
                OUTPUT_CAP / 1024,
                finished.stdout.dropped
            ));
        }
        let perf = perfdata::parse(&output.perfdata);
        let mut outcome = Outcome::new(status, message)
            .elapsed(finished.elapsed)
            .detail("exit_code", code);
        if !long.is_empty() {
            outcome = outcome.detail("long_output", long.join("\n"));
        }
        if finished.stdout.dropped > 0 {
            outcome = outcome.detail("output_dropped_bytes", finished.stdout.dropped);
        }
        if !perf.skipped.is_empty() {
            outcome = outcome.detail("perfdata_skipped", perf.skipped);
        }
        outcome.perf = perf.items;
        outcome
    }
}

/// SIGTERM to the group, then SIGKILL after a moment to what is left, and
/// the plugin reaped; a group already empty is left alone.
async fn stop_group(group: i32, child: &mut Child) {
    if !signal_group(group, 0) {
        return;
    }
    signal_group(group, libc::SIGTERM);
    let gone_by = Instant::now() + TERM_GRACE;
    while Instant::now() < gone_by {
        if !signal_group(group, 0) {
            break;
        }
        // The leader is reaped here, or it would count as still there.
        let _ = tokio::time::timeout(Duration::from_millis(10), child.wait()).await;
    }
    signal_group(group, libc::SIGKILL);
    let _ = tokio::time::timeout(TERM_GRACE, child.wait()).await;
}

/// A plugin's output, as the monitoring-plugins guidelines lay it out:
/// `TEXT | PERFDATA` on the first line, then long output lines, of which
/// the one with a `|` starts more perfdata, to the end.
#[derive(Debug, Default, PartialEq)]
struct Output {
    text: String,
    long: Vec<String>,
    perfdata: String,
}

impl Output {
    fn parse(stdout: &str) -> Output {
        let mut lines = stdout.lines();
        let first = lines.next().unwrap_or_default();
        let (text, perf) = first.split_once('|').unwrap_or((first, ""));
        let mut output = Output {
            text: text.trim().to_owned(),
            long: Vec::new(),
            perfdata: perf.trim().to_owned(),
        };
        let mut in_perf = false;
        for line in lines {
            if in_perf {
                output.perfdata.push(' ');
                output.perfdata.push_str(line.trim());
                continue;
            }
            match line.split_once('|') {
                Some((long, perf)) => {
                    if !long.trim().is_empty() {
                        output.long.push(long.trim_end().to_owned());
                    }
                    output.perfdata.push(' ');
                    output.perfdata.push_str(perf.trim());
                    in_perf = true;
                }
                None => output.long.push(line.trim_end().to_owned()),
            }
        }
        output
    }
}

impl Probe for Command {
    fn target(&self) -> String {
        self.program().to_owned()
    }

    fn run(&self, deadline: Instant, limit: Duration) -> BoxFuture<'_, Outcome> {
        Box::pin(async move {
            match self.execute(deadline, limit).await {
                Ok(finished) => self.judge(finished),
                Err(e) => Outcome::new(
                    Status::Unknown,
                    format!("{}: cannot run it: {e}", self.program()),
                ),
            }
        })
    }

    fn on_timeout(&self) -> Status {
        self.on_timeout
    }

    fn cleanup(&self) -> Duration {
        // SIGTERM, the grace, SIGKILL, the reaping.
        TERM_GRACE * 3
    }

    fn runs_programs(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_lines_per_the_guidelines() {
        // The example of the monitoring-plugins development guidelines.
        let out = Output::parse(
            "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n\
             / 15272 MB (77%);\n\
             /boot 68 MB (69%);\n\
             /home 69357 MB (27%);\n\
             /var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n\
             /home=69357MB;253404;253409;0;253414\n\
             /var/log=818MB;970;975;0;980\n",
        );
        assert_eq!(out.text, "DISK OK - free space: / 3326 MB (56%);");
        assert_eq!(
            out.long,
            [
                "/ 15272 MB (77%);",
                "/boot 68 MB (69%);",
                "/home 69357 MB (27%);",
                "/var/log 819 MB (84%);"
            ]
        );
        assert_eq!(
            out.perfdata,
            "/=2643MB;5948;5958;0;5968 /boot=68MB;88;93;0;98 /home=69357MB;253404;253409;0;253414 /var/log=818MB;970;975;0;980"
        );
        let labels: Vec<String> = perfdata::parse(&out.perfdata)
            .items
            .into_iter()
            .map(|i| i.label)
            .collect();
        assert_eq!(labels, ["/", "/boot", "/home", "/var/log"]);
        assert_eq!(Output::parse(""), Output::default());
        assert_eq!(Output::parse("OK").text, "OK");
    }
}
