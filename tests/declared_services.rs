//! Declared `postgres`, `redis` and `http` checks: further instances of
//! what `check db`, `check cache` and `check services` look at, against
//! real servers — a PostgreSQL streaming replica held behind its primary,
//! PostgreSQL asking for client certificates (`hostssl … cert`), Redis
//! behind a password, HTTP endpoints whose URL comes from a variable.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::support::certs::TestCa;
use crate::support::cmd::Test;
use crate::support::http::{HttpServer, Reply};
use crate::support::postgres::{PgOptions, PgServer};
use crate::support::process::wait_for;
use crate::support::redis::{RedisOptions, RedisServer};

const WAIT: Duration = Duration::from_secs(30);

fn declare(test: Test, toml: &str) -> Test {
    test.write_file("vitals.toml", toml);
    test
}

#[test]
fn a_replica_held_behind_its_primary_is_judged_by_max_replication_lag() {
    let primary = PgServer::start(PgOptions::default());
    let replica = primary.start_replica();
    let mut p = primary.client("postgres");
    p.batch_execute("CREATE TABLE beat (n int); INSERT INTO beat VALUES (1);")
        .unwrap();
    let mut r = replica.client("postgres");
    // Something replayed, so that the replica knows when it last caught up.
    wait_for(WAIT, || {
        let row = r
            .query_one(
                "SELECT pg_last_xact_replay_timestamp() IS NOT NULL \
                 AND to_regclass('beat') IS NOT NULL",
                &[],
            )
            .map_err(|e| e.to_string())?;
        Ok(row.get::<_, bool>(0).then_some(()))
    })
    .unwrap();
    r.batch_execute("SELECT pg_wal_replay_pause()").unwrap();
    wait_for(WAIT, || {
        let row = r
            .query_one("SELECT pg_get_wal_replay_pause_state()", &[])
            .map_err(|e| e.to_string())?;
        Ok((row.get::<_, String>(0) == "paused").then_some(()))
    })
    .unwrap();
    p.batch_execute("INSERT INTO beat VALUES (2)").unwrap();
    // Received, not replayed: the replica is behind.
    wait_for(WAIT, || {
        let row = r
            .query_one(
                "SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()",
                &[],
            )
            .map_err(|e| e.to_string())?;
        Ok(row.get::<_, bool>(0).then_some(()))
    })
    .unwrap();

    let toml = format!(
        r#"
[[check]]
name = "replica-strict"
kind = "postgres"
url = "${{REPLICA_URL}}"
max_replication_lag = "1ms"

[[check]]
name = "replica-relaxed"
kind = "postgres"
url = "${{REPLICA_URL}}"
max_replication_lag = "1h"

[[check]]
name = "primary"
kind = "postgres"
url = "{}"
max_replication_lag = "1ms"
"#,
        primary.url("postgres")
    );
    let t = declare(
        Test::new().env("REPLICA_URL", replica.url("postgres")),
        &toml,
    );
    let out = t.run_args(["check", "all", "--json"]);
    out.assert_code(2).assert_no_secrets(&[primary.password()]);
    let v = out.json();
    let strict = &v["checks"]["replica-strict"];
    assert_eq!(strict["status"], "unhealthy");
    assert_eq!(strict["kind"], "postgres");
    assert_eq!(strict["is_replica"], true);
    let lag = strict["replication_lag_seconds"].as_f64().unwrap();
    assert!(lag > 0.001, "{strict}");
    assert_eq!(
        strict["message"],
        format!("replication lag {lag:.3} s, over max_replication_lag (1 ms)")
    );
    assert_eq!(
        strict["metrics"]["database_replication_lag"]["value"].as_f64(),
        Some(lag)
    );
    let relaxed = &v["checks"]["replica-relaxed"];
    assert_eq!(relaxed["status"], "healthy");
    assert_eq!(relaxed["message"], "Database operational");
    // A primary has no lag to judge.
    assert_eq!(v["checks"]["primary"]["status"], "healthy");
    assert_eq!(v["checks"]["primary"]["is_replica"], false);
    // The built-in database check is not configured, and does not count.
    assert_eq!(v["checks"]["database"]["status"], "unconfigured");

    let out = t.run_args(["check", "--list", "--json"]);
    let listed = out.json();
    let replica_entry = listed["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "replica-strict")
        .cloned()
        .unwrap();
    assert_eq!(
        replica_entry,
        json!({"name": "replica-strict", "kind": "postgres", "configured": true,
               "target": format!("127.0.0.1:{}/postgres", replica.port())})
    );
}

/// A file that the PostgreSQL server's account can read.
fn world_readable(dir: &Path, name: &str, contents: &[u8]) -> String {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    path.display().to_string()
}

#[test]
fn postgres_client_certificates_log_in_where_hostssl_asks_for_them() {
    let ca = TestCa::new("vitals client CA");
    let shared = tempfile::tempdir().unwrap();
    let ca_file = world_readable(shared.path(), "ca.pem", ca.ca_pem().as_bytes());
    let hba = world_readable(
        shared.path(),
        "pg_hba.conf",
        b"local all all trust\n\
          hostssl all certuser 127.0.0.1/32 cert\n\
          host all certuser 127.0.0.1/32 reject\n\
          host all all 127.0.0.1/32 scram-sha-256\n",
    );
    let server = PgServer::start(PgOptions {
        tls: Some(ca.issue(&["127.0.0.1", "localhost"])),
        settings: vec![("ssl_ca_file".into(), ca_file), ("hba_file".into(), hba)],
        ..PgOptions::default()
    });
    server
        .client("postgres")
        .batch_execute("CREATE ROLE certuser LOGIN")
        .unwrap();
    let client = ca.issue_client("certuser");
    let base = format!(
        "postgres://certuser@127.0.0.1:{}/postgres?sslmode=verify-full&sslrootcert={}",
        server.port(),
        ca.ca_path().display()
    );
    let with_cert = format!(
        "{base}&sslcert={}&sslkey={}",
        client.cert_path.display(),
        client.key_path.display()
    );
    let toml = format!(
        "[[check]]\nname = \"with-cert\"\nkind = \"postgres\"\nurl = \"{with_cert}\"\n\n\
         [[check]]\nname = \"without-cert\"\nkind = \"postgres\"\nurl = \"{base}\"\n"
    );
    let t = declare(Test::new(), &toml);
    let out = t.run_args(["check", "with-cert", "without-cert", "--json"]);
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["checks"]["with-cert"]["status"], "healthy", "{v}");
    assert_eq!(v["checks"]["with-cert"]["tls"], true);
    assert_eq!(v["checks"]["without-cert"]["status"], "unhealthy");
    assert_eq!(
        v["checks"]["without-cert"]["message"],
        format!(
            "127.0.0.1:{}/postgres: connection requires a valid client certificate (SQLSTATE 28000)",
            server.port()
        )
    );

    // DATABASE_URL takes them too.
    let out = Test::new()
        .env("DATABASE_URL", &with_cert)
        .args(["check", "db", "--json"])
        .run();
    out.assert_code(0);

    // One without the other is a mistake in the URL, named.
    let half = format!("{base}&sslcert={}", client.cert_path.display());
    let out = declare(
        Test::new(),
        &format!("[[check]]\nname = \"half\"\nkind = \"postgres\"\nurl = \"{half}\"\n"),
    )
    .run_args(["check", "half", "--json"]);
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        "url: sslcert and sslkey go together: sslkey is missing"
    );
}

#[test]
fn redis_instances_use_redis_password_where_their_url_has_none() {
    let secret = "declared-redis-secret-5";
    let guarded = RedisServer::start(RedisOptions {
        requirepass: Some(secret.into()),
        ..RedisOptions::default()
    });
    let open = RedisServer::shared();
    let toml = format!(
        "[[check]]\nname = \"sessions\"\nkind = \"redis\"\nurl = \"redis://127.0.0.1:{}/0\"\n\n\
         [[check]]\nname = \"queue\"\nkind = \"redis\"\nurl = \"{}\"\n",
        guarded.port(),
        open.url()
    );
    let t = declare(Test::new(), &toml);
    let out = t.run_args(["check", "sessions", "queue", "--json"]);
    out.assert_code(2);
    let v = out.json();
    assert_eq!(
        v["checks"]["sessions"]["message"],
        format!(
            "127.0.0.1:{}/0: authentication required: put the password in REDIS_URL or set \
             REDIS_PASSWORD",
            guarded.port()
        )
    );
    assert_eq!(v["checks"]["queue"]["status"], "healthy");
    assert_eq!(v["checks"]["queue"]["message"], "Cache operational");

    let out = t.run_args_env(
        ["check", "sessions", "--json"],
        &[("REDIS_PASSWORD", secret)],
    );
    out.assert_code(0).assert_no_secrets(&[secret]);
    let v = out.json();
    assert_eq!(v["kind"], "redis");
    assert_eq!(v["message"], "Cache operational");
    assert!(v["metrics"]["cache_memory_used"]["value"].as_f64().unwrap() > 0.0);
    assert_eq!(v["metrics"]["cache_memory_used"]["unit"], "B");
}

#[test]
fn http_checks_take_service_fields_and_variables_in_their_url() {
    let api = HttpServer::start(|req| match req.path() {
        "/health" if req.header("authorization") == Some("Bearer http-token-9") => {
            Reply::text(200, "all green")
        }
        "/health" => Reply::text(401, "no"),
        _ => Reply::text(503, "down"),
    });
    let port = api.port();
    let toml = r#"
[[check]]
name = "api"
kind = "http"
url = "http://127.0.0.1:${API_PORT}/health"
headers = { Authorization = "Bearer ${API_TOKEN}" }
body_contains = "green"
timeout = "2s"

[[check]]
name = "down"
kind = "http"
url = "http://127.0.0.1:${API_PORT}/other"

[[check]]
name = "marked"
kind = "http"
url = "http://127.0.0.1:${API_PORT}/health"
critical = true
"#;
    let t = declare(
        Test::new()
            .env("API_PORT", port.to_string())
            .env("API_TOKEN", "http-token-9"),
        toml,
    );
    // A mistake in one check's fields stops that check, and `all`.
    let out = t.run_args(["check", "api", "down", "--json"]);
    out.assert_code(2);
    let out = t.run_args(["check", "all", "--json"]);
    out.assert_code(3);
    assert_eq!(
        out.stderr,
        "error: invalid configuration\n  VITALS_CONFIG: vitals.toml:19: check \"marked\": critical: \
         marks a [[service]] inside external_services; a [[check]] is a check of its own \
         (require it with --require marked)\n"
    );
    t.write_file("vitals.toml", toml.replace("critical = true", ""));
    let out = t.run_args(["check", "api", "down", "marked", "--json"]);
    out.assert_code(2).assert_no_secrets(&["http-token-9"]);
    let v = out.json();
    assert_eq!(v["checks"]["api"]["status"], "healthy");
    assert_eq!(
        v["checks"]["api"]["message"],
        format!("127.0.0.1:{port}/health: HTTP 200")
    );
    assert_eq!(v["checks"]["api"]["status_code"], 200);
    assert_eq!(v["checks"]["api"]["kind"], "http");
    assert_eq!(v["checks"]["down"]["status"], "unhealthy");
    assert_eq!(
        v["checks"]["down"]["message"],
        format!("127.0.0.1:{port}/other: server error (HTTP 503)")
    );
    assert_eq!(v["checks"]["marked"]["status"], "unhealthy");
    assert_eq!(
        v["checks"]["marked"]["message"],
        format!("127.0.0.1:{port}/health: credentials rejected (HTTP 401)")
    );
}
