//! The alert store under faults: whatever happens to it, the alert still goes
//! out, the failure to record it is said, and the exit code is not 0.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::alerts::{Everything, send_args, slack_at};
use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};

/// A small tmpfs, mounted for one test and unmounted after it. Mounting
/// needs root, which CI has (it runs the suite as root); elsewhere the test
/// fails and says how to skip it, rather than pass without testing anything.
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    fn mount(at: &Path, options: &str) -> Tmpfs {
        std::fs::create_dir_all(at).expect("mount point");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(at)
            .output()
            .unwrap_or_else(|e| panic!("cannot run mount: {e}"));
        assert!(
            out.status.success(),
            "cannot mount a tmpfs at {} ({}): {}\
             this test needs root, as on CI; as another user, leave the store fault \
             tests out with `./scripts/test.sh -- --skip store_faults::read_only_state_directory \
             --skip store_faults::disk_full_under_the_store`",
            at.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs {
            path: at.to_owned(),
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

/// A critical alert sent to Slack with the store under `state` (XDG_STATE_HOME).
fn send(slack: &HttpServer, state: &Path, alert_type: &str) -> Outcome {
    let mut args = send_args("critical", "disk full");
    args[3] = alert_type.to_owned();
    slack_at(slack)
        .env("XDG_STATE_HOME", state)
        .args(args)
        .args(["--timeout", "1s"])
        .run()
}

/// Delivered to Slack, exit 1, and stderr says the alert was not recorded, and why.
fn delivered_but_not_recorded(out: &Outcome, slack: &HttpServer, sent_before: usize, why: &str) {
    out.assert_code(1);
    assert_eq!(out.json()["deliveries"][0]["outcome"], "delivered");
    assert_eq!(slack.request_count(), sent_before + 1);
    let line = out
        .stderr
        .lines()
        .find(|l| l.starts_with("error: alert store "))
        .unwrap_or_else(|| panic!("no store error on stderr:\n{}", out.stderr));
    assert!(
        line.contains(why)
            && line.ends_with(
                ": the alert was not recorded, so it was notified without de-duplication"
            ),
        "{line}"
    );
}

#[test]
fn sqlite_store_locked_by_another_process() {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let test = Test::new();
    let state = test.dir().join("state");
    send(&slack, &state, "first").assert_code(0);

    // Another process holds SQLite's exclusive lock for longer than the timeout.
    let db = state.join("vitals/alerts.db");
    let holder = rusqlite::Connection::open(&db).expect("open the store");
    holder
        .execute_batch("BEGIN EXCLUSIVE")
        .expect("lock the store");
    let out = send(&slack, &state, "second");
    drop(holder);
    delivered_but_not_recorded(
        &out,
        &slack,
        1,
        "still locked by another process after 1.0 s",
    );
    out.assert_within(std::time::Duration::from_secs(5));

    // Once the lock is gone, the store works again: nothing was corrupted.
    let out = send(&slack, &state, "third");
    out.assert_code(0);
    let list = Test::new()
        .env("XDG_STATE_HOME", &state)
        .args(["alert", "list", "--json"])
        .run();
    list.assert_code(0);
    let types: Vec<String> = list
        .json()
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| a["alert_type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(types.len(), 2, "{types:?}");
    assert!(
        types.contains(&"first".to_owned()) && types.contains(&"third".to_owned()),
        "{types:?}"
    );
}

#[test]
fn read_only_state_directory() {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let test = Test::new();
    let state = test.dir().join("readonly");
    // A read-only filesystem, because root ignores a directory's mode bits.
    let _fs = Tmpfs::mount(&state, "ro,size=64k");
    let out = send(&slack, &state, "disk_full");
    delivered_but_not_recorded(&out, &slack, 0, "Read-only file system");
}

#[test]
fn disk_full_under_the_store() {
    let slack = HttpServer::replying(Reply::text(200, "ok"));
    let test = Test::new();
    let state = test.dir().join("tiny");
    let _fs = Tmpfs::mount(&state, "size=256k");
    send(&slack, &state, "first").assert_code(0);
    // Fill what is left of the filesystem.
    let filler = std::fs::File::create(state.join("filler")).expect("filler");
    let mut written = 0u64;
    let chunk = vec![0u8; 4096];
    let mut w = std::io::BufWriter::new(filler);
    while std::io::Write::write_all(&mut w, &chunk).is_ok() && written < 1 << 20 {
        written += 4096;
    }
    drop(w);
    let out = slack_at(&slack)
        .env("XDG_STATE_HOME", &state)
        .args([
            "alert",
            "send",
            "--type",
            "second",
            "--severity",
            "critical",
            "--json",
            "--timeout",
            "1s",
        ])
        .args(["--message", &"x".repeat(60_000)])
        .run();
    delivered_but_not_recorded(&out, &slack, 1, "database or disk is full");
}

#[test]
fn the_store_keeps_no_secret() {
    let all = Everything::start();
    // Even when the alert itself quotes a configured secret.
    let quoted = format!("disk full; hook was {}", all.hook);
    let context = format!(r#"{{"token": "{}", "{}": 1}}"#, all.token, all.routing_key);
    let test = all
        .test()
        .args(send_args("critical", &quoted))
        .args(["--context", &context]);
    let out = test.run();
    out.assert_code(0);
    all.check(&out);
    let db = test.state_dir().join("vitals/alerts.db");
    let bytes = std::fs::read(&db).expect("the SQLite store");
    // The write-ahead log, if any, is part of the store too.
    let wal = std::fs::read(db.with_extension("db-wal")).unwrap_or_default();
    for secret in all.secrets() {
        for content in [&bytes, &wal] {
            assert!(
                !content
                    .windows(secret.len())
                    .any(|w| w == secret.as_bytes()),
                "a planted secret is in the store"
            );
        }
    }
    // It does hold the alert, scrubbed, and its deliveries.
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("disk full; hook was ***"),
        "the alert is stored"
    );
    assert_eq!(out.json()["context"]["token"], "***");
}
