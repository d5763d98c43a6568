//! Self-tests of the test support: each check would fail if the harness were broken.

use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::{Client, NoTls};
use redis::TlsCertificates;

use crate::support::certs::TestCa;
use crate::support::cmd::{Outcome, Test};
use crate::support::net::{GarbageServer, SilentServer};
use crate::support::postgres::{PgOptions, PgServer};
use crate::support::redis::{RedisOptions, RedisServer};

const SECOND: Duration = Duration::from_secs(1);

/// The sync clients' connect timeouts only cover the TCP handshake, which the
/// kernel completes even for a frozen server: bound the whole call with a thread.
fn in_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Receiver<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(f()));
    rx
}

fn pg_connect(url: &str) -> Receiver<Result<(), String>> {
    let mut config = postgres::Config::from_str(url).expect("parse PostgreSQL URL");
    config.connect_timeout(SECOND);
    in_thread(move || config.connect(NoTls).map(drop).map_err(|e| e.to_string()))
}

fn redis_ping(url: String) -> Receiver<redis::RedisResult<String>> {
    in_thread(move || {
        let mut con = redis::Client::open(url)?.get_connection_with_timeout(SECOND)?;
        redis::cmd("PING").query(&mut con)
    })
}

fn assert_refused(port: u16) {
    let err = TcpStream::connect(("127.0.0.1", port)).expect_err("port still open after stop()");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
}

fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn pg_shared_server_answers_and_gives_each_test_a_database() {
    let pg = PgServer::shared();
    let one: i32 = pg
        .client("postgres")
        .query_one("SELECT 1", &[])
        .expect("SELECT 1")
        .get(0);
    assert_eq!(one, 1);

    let (a, b) = (pg.create_database(), pg.create_database());
    assert_ne!(a, b);
    let mut client = Client::connect(&a, NoTls).expect("connect to the created database");
    let name: String = client
        .query_one("SELECT current_database()", &[])
        .expect("query")
        .get(0);
    assert!(
        a.ends_with(&format!("/{name}")),
        "{a} is not database {name}"
    );

    // Proves TCP logins really check the password (scram-sha-256).
    let err = Client::connect(&pg.url_with_password("postgres", "wrong"), NoTls)
        .err()
        .expect("a wrong password was accepted");
    assert_eq!(err.code(), Some(&SqlState::INVALID_PASSWORD), "{err}");

    let comm = std::fs::read_to_string(format!("/proc/{}/comm", pg.pid())).expect("read comm");
    assert_eq!(comm.trim(), "postgres", "pid() is not the postmaster");
}

#[test]
fn pg_dedicated_server_applies_options_tls_and_socket_dir() {
    let ca = TestCa::new("vitals test CA");
    let pg = PgServer::start(PgOptions {
        max_connections: Some(7),
        superuser_reserved_connections: Some(2),
        tls: Some(ca.issue(&["localhost", "127.0.0.1"])),
        settings: vec![("statement_timeout".into(), "12s".into())],
    });
    let mut client = pg.client("postgres");
    for (name, expected) in [
        ("max_connections", "7"),
        ("superuser_reserved_connections", "2"),
        ("ssl", "on"),
        ("statement_timeout", "12s"),
    ] {
        let value: String = client
            .query_one(&format!("SHOW {name}"), &[])
            .expect("SHOW")
            .get(0);
        assert_eq!(value, expected, "setting {name}");
    }

    let mut local = postgres::Config::new();
    local
        .host_path(pg.socket_dir())
        .port(pg.port())
        .user("postgres")
        .dbname("postgres");
    local
        .connect(NoTls)
        .expect("connect through the Unix socket (trust)");
}

#[test]
fn pg_pause_freezes_new_and_open_connections_then_stop_and_restart() {
    let mut pg = PgServer::start(PgOptions::default());
    let url = pg.url("postgres");
    let mut open = pg.client("postgres");
    open.batch_execute("CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")
        .expect("seed");

    pg.pause();
    let paused_connect = pg_connect(&url);
    assert!(
        paused_connect.recv_timeout(2 * SECOND).is_err(),
        "a paused server accepted a login"
    );
    let query = in_thread(move || {
        open.query_one("SELECT x FROM kept", &[])
            .map(|r| r.get::<_, i32>(0))
    });
    assert!(
        query.recv_timeout(SECOND).is_err(),
        "a paused server's backend answered"
    );

    pg.resume();
    let answer = query
        .recv_timeout(10 * SECOND)
        .expect("open connection still frozen after resume");
    assert_eq!(answer.expect("query after resume"), 42);
    pg_connect(&url)
        .recv_timeout(10 * SECOND)
        .expect("login hangs after resume")
        .expect("login");

    pg.stop();
    assert_refused(pg.port());

    pg.restart();
    let x: i32 = pg
        .client("postgres")
        .query_one("SELECT x FROM kept", &[])
        .expect("query")
        .get(0);
    assert_eq!(x, 42, "data lost across restart");
}

#[test]
fn redis_requirepass_refuses_unauthenticated_ping() {
    // Characters that must be percent-encoded in the URL.
    let r = RedisServer::start(RedisOptions {
        requirepass: Some("p@ss:w/rd".into()),
        ..Default::default()
    });
    let anonymous = redis_ping(format!("redis://127.0.0.1:{}", r.port())).recv_timeout(10 * SECOND);
    let err = anonymous
        .expect("PING hung")
        .expect_err("unauthenticated PING succeeded");
    assert_eq!(err.code(), Some("NOAUTH"), "{err}");

    let pong: String = redis::cmd("PING")
        .query(&mut r.client())
        .expect("authenticated PING");
    assert_eq!(pong, "PONG");
}

#[test]
fn redis_tls_trusts_only_the_test_ca_and_options_apply() {
    let ca = TestCa::new("vitals test CA");
    let cert = ca.issue(&["localhost", "127.0.0.1"]);
    let r = RedisServer::start(RedisOptions {
        tls: Some(cert.clone()),
        unixsocket: true,
        maxmemory: Some("2mb".into()),
        maxmemory_policy: Some("noeviction".into()),
        ..Default::default()
    });
    let roots = TlsCertificates {
        client_tls: None,
        root_cert: Some(ca.ca_pem().into_bytes()),
    };
    let mut tls = redis::Client::build_with_tls(r.tls_url(), roots)
        .expect("TLS client")
        .get_connection_with_timeout(5 * SECOND)
        .expect("TLS connection trusting the test CA");
    let pong: String = redis::cmd("PING").query(&mut tls).expect("PING over TLS");
    assert_eq!(pong, "PONG");

    // The system trust store does not know the test CA: proves the chain is verified.
    let untrusted = redis_ping(r.tls_url())
        .recv_timeout(10 * SECOND)
        .expect("PING hung");
    assert!(untrusted.is_err(), "TLS without the test CA succeeded");

    let maxmemory: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory")
        .query(&mut r.client())
        .expect("CONFIG GET");
    assert_eq!(maxmemory, ["maxmemory", "2097152"]);
    let unix_url = format!("redis+unix://{}", r.socket_path().display());
    let pong = redis_ping(unix_url)
        .recv_timeout(10 * SECOND)
        .expect("PING hung");
    assert_eq!(pong.expect("PING over the Unix socket"), "PONG");

    let tls_only = RedisServer::start(RedisOptions {
        tls: Some(cert),
        tls_only: true,
        ..Default::default()
    });
    let pong: String = redis::cmd("PING")
        .query(&mut tls_only.client())
        .expect("PING, TLS only");
    assert_eq!(pong, "PONG");
}

#[test]
fn redis_pause_resume_stop() {
    let mut r = RedisServer::start(RedisOptions::default());
    r.pause();
    // The client gives up by itself (its connect timeout also bounds the handshake) or hangs.
    let paused = redis_ping(r.url()).recv_timeout(5 * SECOND);
    assert!(
        !matches!(paused, Ok(Ok(_))),
        "a paused Redis answered: {paused:?}"
    );
    r.resume();
    let pong = redis_ping(r.url())
        .recv_timeout(10 * SECOND)
        .expect("Redis still frozen after resume");
    assert_eq!(pong.expect("PING after resume"), "PONG");
    r.stop();
    assert_refused(r.port());
}

#[test]
fn shared_redis_answers() {
    let pong: String = redis::cmd("PING")
        .query(&mut RedisServer::shared().client())
        .expect("PING");
    assert_eq!(pong, "PONG");
}

#[test]
fn garbage_server_sends_its_bytes_and_keeps_the_socket_open() {
    let bytes = b"HTTP/1.1 200 OK\r\n\r\nnot a database";
    let garbage = GarbageServer::start(bytes.to_vec());
    let mut conn = TcpStream::connect(("127.0.0.1", garbage.port())).expect("connect");
    conn.set_read_timeout(Some(SECOND / 2))
        .expect("read timeout");
    let mut got = vec![0; bytes.len()];
    conn.read_exact(&mut got).expect("read the garbage");
    assert_eq!(got, bytes);
    let err = conn
        .read(&mut [0; 1])
        .expect_err("garbage server closed the socket or sent more");
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );
    assert_eq!(garbage.connections(), 1);

    let silent = SilentServer::start();
    let mut conn = TcpStream::connect(("127.0.0.1", silent.port())).expect("connect");
    conn.set_read_timeout(Some(SECOND / 4))
        .expect("read timeout");
    let err = conn
        .read(&mut [0; 1])
        .expect_err("silent server sent something or closed");
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );
}

#[test]
fn runner_starts_from_a_clean_environment() {
    let t = Test::new().program("/usr/bin/env").env("EXTRA", "1");
    let out = t.run();
    out.assert_code(0);
    let mut names: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split('=').next())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["EXTRA", "HOME", "PATH", "XDG_STATE_HOME"],
        "{}",
        out.stdout
    );
    out.assert_stdout_contains(&format!("HOME={}\n", t.home().display()));

    let pwd = Test::new().program("/bin/pwd").run();
    assert!(
        pwd.stdout.trim().contains("vitals-test-"),
        "cwd is not the test dir: {}",
        pwd.stdout
    );
    let cat = Test::new().program("/bin/cat").stdin("hello").run();
    assert_eq!(cat.stdout, "hello");

    // The real binary runs.
    let version = Test::new().arg("--version").run();
    version.assert_code(0);
    assert_eq!(
        version.stdout,
        format!("vitals {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn runner_kills_a_hung_process_group() {
    let hung = Test::new()
        .program("/bin/sh")
        .args(["-c", "sleep 30 & sleep 30"])
        .timeout(SECOND / 2);
    let start = Instant::now();
    let msg = panic_message(|| {
        hung.run();
    });
    assert!(
        start.elapsed() < 10 * SECOND,
        "the runner waited for the background sleep"
    );
    assert!(msg.contains("killed"), "{msg}");
}

#[test]
fn runner_interrupts_once_the_program_catches_the_signal_and_is_busy() {
    let sh = |script: &str| Test::new().program("/bin/sh").args(["-c", script]);
    for (signal, script, stdout) in [
        // Busy at once, but the handler comes late: a signal sent before it
        // ends the shell. (TERM: dash catches INT on its own while it waits for a child.)
        (
            "TERM",
            ": > busy; sleep 0.3; trap 'echo caught; exit 7' TERM",
            "caught\n",
        ),
        // The handler at once, but busy late: the signal waits for it.
        (
            "INT",
            "trap 'echo caught; exit 7' INT; sleep 0.3; echo working; : > busy",
            "working\ncaught\n",
        ),
    ] {
        let test = sh(&format!("{script}; while :; do sleep 0.05; done"));
        let busy = test.dir().join("busy");
        let out = test.run_interrupted(signal, || busy.exists());
        out.assert_code(7);
        assert_eq!(out.stdout, stdout, "{script}");
    }

    // A program that ends before it is ready fails the test, and says why.
    let msg = panic_message(|| drop(sh("exit 0").run_interrupted("INT", || false)));
    assert!(
        msg.contains("ended before it was ready for SIGINT"),
        "{msg}"
    );
}

#[test]
fn outcome_assertions_fail_without_leaking_secrets() {
    let out = |stdout: &str| Outcome {
        code: 2,
        stdout: stdout.into(),
        stderr: "warning\n".into(),
        elapsed: Duration::ZERO,
        started_at: chrono::Utc::now(),
        ended_at: chrono::Utc::now(),
    };
    let leaky = out("ok\nurl=postgres://u:hunter2-secret@h/db\n");
    leaky
        .assert_no_secrets(&["absent"])
        .assert_code(2)
        .assert_stderr_contains("warn");
    let msg = panic_message(|| {
        leaky.assert_no_secrets(&["absent", "hunter2-secret"]);
    });
    assert!(msg.contains("secret #1 leaked in stdout, line 2"), "{msg}");
    assert!(
        !msg.contains("hunter2"),
        "the panic message leaks the secret"
    );

    assert!(
        panic_message(|| {
            leaky.assert_code(0);
        })
        .contains("url=postgres")
    );
    assert!(
        panic_message(|| {
            out("\x1b[31mred\x1b[0m").assert_no_ansi();
        })
        .contains("stdout")
    );
    assert_eq!(out(" {\"a\": 1}\n").json()["a"], 1);
    assert!(panic_message(|| drop(out("{}\n{}\n").json())).contains("exactly one JSON document"));
}

#[test]
fn http_server_records_requests_and_replies() {
    use crate::support::http::{HttpServer, Reply};
    let server = HttpServer::start(|req| {
        if req.path() == "/hello" {
            Reply::json(201, &serde_json::json!({"ok": true})).header("x-test", "1")
        } else {
            Reply::status(404)
        }
    });
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
    use std::io::Write;
    stream
        .write_all(b"POST /hello?x=1 HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}")
        .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(
        response.starts_with("HTTP/1.1 201 Created\r\n"),
        "{response}"
    );
    assert!(response.ends_with("{\"ok\":true}"), "{response}");
    let req = server.only_request();
    assert_eq!((req.method.as_str(), req.path()), ("POST", "/hello"));
    assert_eq!(req.query("x").as_deref(), Some("1"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.json()["a"], 1);
}
