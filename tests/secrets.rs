//! Planted secrets never appear in anything vitals prints, at any verbosity,
//! in any format, whether the dependencies are up, down or misconfigured.

use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};
use crate::support::net::free_port;
use crate::support::postgres::PgServer;
use crate::support::random_token;
use crate::support::redis::{RedisOptions, RedisServer};

/// A distinct, recognisable secret per variable.
fn plant(name: &str) -> String {
    format!("{name}-{}", random_token())
}

struct Planted {
    vars: Vec<(&'static str, String)>,
    secrets: Vec<String>,
}

impl Planted {
    fn test(&self) -> Test {
        Test::new().envs(self.vars.iter().map(|(k, v)| (*k, v.as_str())))
    }

    fn check(&self, out: &Outcome) {
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        out.assert_no_secrets(&secrets);
    }
}

/// A stand-in for every external API that echoes each request's headers back,
/// keys included, with `status`: whatever vitals prints of it must be scrubbed.
fn echoing_apis(status: u16) -> HttpServer {
    HttpServer::start(move |req| {
        let headers: Vec<String> = req
            .headers
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        Reply::json(
            status,
            &serde_json::json!({"error": {"type": "echo", "message": headers.join(" ")}}),
        )
    })
}

/// Every secret variable set, with PostgreSQL, Redis and the APIs really
/// accepting them, and one live RQ worker registered in that Redis.
fn planted(pg: &PgServer, redis: &RedisServer, redis_password: &str, apis: &HttpServer) -> Planted {
    let heartbeat = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let _: () = redis::pipe()
        .cmd("SADD")
        .arg("rq:workers")
        .arg("rq:worker:w1")
        .ignore()
        .cmd("HSET")
        .arg("rq:worker:w1")
        .arg("state")
        .arg("idle")
        .arg("last_heartbeat")
        .arg(heartbeat)
        .ignore()
        .query(&mut redis.client())
        .expect("register an RQ worker");
    let db_password = plant("pgpw");
    let role = format!("vitals_secret_{}", &random_token()[..8]);
    pg.client("postgres")
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD '{db_password}'"
        ))
        .expect("create role");
    let state_password = plant("statepw");
    let proxy_password = plant("proxypw");
    let webhook_path = plant("hookpath");
    let secrets = vec![
        db_password.clone(),
        redis_password.to_owned(),
        plant("smtppw"),
        plant("SG.sendgrid"),
        plant("sk-ant-anthropic"),
        plant("pat-hubspot"),
        plant("twiliotoken"),
        plant("pdroutingkey"),
        state_password.clone(),
        proxy_password.clone(),
        webhook_path.clone(),
    ];
    let vars = vec![
        (
            "DATABASE_URL",
            format!(
                "postgres://{role}:{db_password}@127.0.0.1:{}/postgres",
                pg.port()
            ),
        ),
        ("REDIS_URL", format!("redis://127.0.0.1:{}", redis.port())),
        ("REDIS_PASSWORD", redis_password.to_owned()),
        ("SMTP_HOST", "smtp.example.com".to_owned()),
        ("SMTP_USER", "alerts".to_owned()),
        ("SMTP_PASSWORD", secrets[2].clone()),
        ("ALERT_EMAIL_RECIPIENTS", "ops@example.com".to_owned()),
        ("SENDGRID_API_KEY", secrets[3].clone()),
        ("ANTHROPIC_API_KEY", secrets[4].clone()),
        ("HUBSPOT_API_KEY", secrets[5].clone()),
        ("TWILIO_ACCOUNT_SID", format!("AC{}", random_token())),
        ("TWILIO_AUTH_TOKEN", secrets[6].clone()),
        ("TWILIO_FROM_NUMBER", "+14155550100".to_owned()),
        ("ALERT_SMS_RECIPIENTS", "+14155550101".to_owned()),
        ("PAGERDUTY_ROUTING_KEY", secrets[7].clone()),
        (
            "AGENT_REGISTRY_URL",
            format!("redis://:{redis_password}@127.0.0.1:{}", redis.port()),
        ),
        (
            "VITALS_STATE",
            format!(
                "postgres://state:{state_password}@127.0.0.1:{}/state",
                free_port()
            ),
        ),
        (
            "ANTHROPIC_BASE_URL",
            format!("http://proxy:{proxy_password}@127.0.0.1:{}", apis.port()),
        ),
        ("HUBSPOT_BASE_URL", apis.url()),
        ("SENDGRID_BASE_URL", apis.url()),
        (
            "SLACK_WEBHOOK_URL",
            format!("https://hooks.slack.com/services/T0/B0/{webhook_path}"),
        ),
    ];
    Planted { vars, secrets }
}

#[test]
fn no_command_prints_a_planted_secret() {
    let pg = PgServer::shared();
    let redis_password = plant("redispw");
    let redis = RedisServer::start(RedisOptions {
        requirepass: Some(redis_password.clone()),
        ..RedisOptions::default()
    });
    let apis = echoing_apis(200);
    let p = planted(pg, &redis, &redis_password, &apis);

    for command in [
        &["check", "all"][..],
        &["check", "db"],
        &["check", "cache"],
        &["check", "services"],
        &["config", "validate"],
        // Dry runs only: the planted endpoints are not reachable (alerts_cli sends for real).
        &[
            "alert",
            "send",
            "--type",
            "t",
            "--severity",
            "critical",
            "--message",
            "m",
            "--dry-run",
        ],
        &["alert", "test", "--dry-run"],
    ] {
        for format in ["table", "json"] {
            let out = p
                .test()
                .args(command)
                .args(["--format", format, "-vv"])
                .run();
            p.check(&out);
            assert!(
                out.code == 0 || out.code == 1,
                "{command:?} {format}: expected success, got {}:\n{}{}",
                out.code,
                out.stdout,
                out.stderr
            );
        }
    }
}

#[test]
fn failures_do_not_print_secrets_either() {
    let pg = PgServer::shared();
    let redis = RedisServer::shared();
    let wrong = plant("wrongpw");
    let p = Planted {
        vars: vec![
            (
                "DATABASE_URL",
                format!(
                    "postgres://postgres:{wrong}@127.0.0.1:{}/postgres",
                    pg.port()
                ),
            ),
            (
                "REDIS_URL",
                format!("redis://default:{wrong}@127.0.0.1:{}", redis.port()),
            ),
        ],
        secrets: vec![wrong.clone()],
    };
    for format in ["table", "json"] {
        let out = p
            .test()
            .args(["check", "all", "-vvv", "--format", format])
            .run();
        out.assert_code(2);
        p.check(&out);
    }

    // Both APIs reject their key and quote the request's headers, key included.
    let rejecting = echoing_apis(401);
    let (key, token) = (plant("sk-ant-echoed"), plant("pat-echoed"));
    let p = Planted {
        vars: vec![
            ("ANTHROPIC_API_KEY", key.clone()),
            ("ANTHROPIC_BASE_URL", rejecting.url()),
            ("HUBSPOT_API_KEY", token.clone()),
            ("HUBSPOT_BASE_URL", rejecting.url()),
        ],
        secrets: vec![key, token],
    };
    for format in ["table", "json"] {
        let out = p
            .test()
            .args(["check", "services", "-vvv", "--format", format])
            .run();
        out.assert_code(2)
            .assert_stdout_contains("API key rejected (HTTP 401: echo: ");
        p.check(&out);
    }

    // A malformed URL cannot be redacted structurally: it is never echoed at all.
    let bad = plant("badurlpw");
    let p = Planted {
        vars: vec![("DATABASE_URL", format!("postgres://u:{bad}@host:port/db"))],
        secrets: vec![bad],
    };
    let out = p.test().args(["check", "db", "-vv"]).run();
    out.assert_code(3).assert_stderr_contains("DATABASE_URL");
    p.check(&out);
    let out = p.test().args(["config", "validate", "--json"]).run();
    out.assert_code(2);
    p.check(&out);
}
