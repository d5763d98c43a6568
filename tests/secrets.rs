//! Planted secrets never appear in anything vitals prints, at any verbosity,
//! in any format, whether the dependencies are up, down or misconfigured.

use base64::Engine as _;

use crate::support::certs::{ServerCert, TestCa};
use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply, Request};
use crate::support::net::{GarbageServer, SilentServer, free_port};
use crate::support::postgres::PgServer;
use crate::support::random_token;
use crate::support::redis::{RedisOptions, RedisServer};
use crate::support::smtp::{SmtpOptions, SmtpServer};

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

// --- Every secret, every command, every format, every fault -------------------

/// What the stand-ins for the HTTP services, PostgreSQL and Redis do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Everything answers and accepts, echoing each request back.
    Healthy,
    /// Credentials refused, each request echoed back in the error.
    Rejecting,
    /// Every HTTP request answered 429, echoed, so every channel retries.
    RateLimited,
    Down,
    Hanging,
    /// Resets mid-response; a PostgreSQL and Redis port speaking nonsense.
    Broken,
    /// HTTPS with a certificate nobody trusts.
    UntrustedTls,
}

/// The HTTP services vitals talks to, each on its own stand-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Anthropic,
    Hubspot,
    SendGrid,
    Slack,
    Twilio,
    PagerDuty,
    Agents,
    Endpoint,
}

const KINDS: [Kind; 8] = [
    Kind::Anthropic,
    Kind::Hubspot,
    Kind::SendGrid,
    Kind::Slack,
    Kind::Twilio,
    Kind::PagerDuty,
    Kind::Agents,
    Kind::Endpoint,
];

/// Everything a request carried, Basic credentials decoded: what a server learnt.
fn learnt(req: &Request) -> String {
    let mut text = format!("{} {}\n", req.method, req.target);
    for (name, value) in &req.headers {
        text.push_str(&format!("{name}: {value}\n"));
        if let Some(b64) = value.strip_prefix("Basic ") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default();
            text.push_str(&String::from_utf8_lossy(&decoded));
            text.push('\n');
        }
    }
    text.push_str(&req.text());
    text
}

/// An error body in every provider's shape, quoting the request back.
fn echoed_error(status: u16, req: &Request) -> Reply {
    let echo = learnt(req);
    Reply::json(
        status,
        &serde_json::json!({
            "error": {"type": "echo", "message": echo},
            "errors": [{"message": echo, "field": echo}, echo],
            "message": echo, "code": 20003, "more_info": echo, "category": echo,
        }),
    )
    .header("Retry-After", "0")
}

fn stand_in(kind: Kind, fault: Fault, tls: Option<&ServerCert>) -> Option<HttpServer> {
    let handler = move |req: &Request| match fault {
        Fault::Hanging => Reply::Hang,
        Fault::Broken => Reply::ResetMidway,
        Fault::Rejecting => echoed_error(401, req),
        Fault::RateLimited => echoed_error(429, req),
        Fault::Healthy | Fault::Down | Fault::UntrustedTls => {
            let echo = learnt(req);
            match kind {
                Kind::Slack | Kind::Endpoint => Reply::text(200, "ok"),
                Kind::Twilio => {
                    Reply::json(201, &serde_json::json!({"sid": "SM1", "status": echo}))
                }
                Kind::PagerDuty => Reply::json(
                    202,
                    &serde_json::json!({"status": "success", "message": echo, "dedup_key": "disk_full"}),
                ),
                Kind::SendGrid if req.method == "POST" => Reply::status(202),
                Kind::Agents => Reply::json(
                    200,
                    &serde_json::json!({"agents": [{"id": echo, "state": "idle"}], "tasks": {"pending": 0, "active": 0, "completed": 0}}),
                ),
                _ => Reply::json(200, &serde_json::json!({"echo": echo})),
            }
        }
    };
    match (fault, tls) {
        (Fault::Down, _) => None,
        (_, Some(cert)) => Some(HttpServer::start_tls(cert, handler)),
        (_, None) => Some(HttpServer::start(handler)),
    }
}

/// One scenario: its servers, its variables, and which secrets each HTTP
/// service may legitimately receive.
struct Scenario {
    fault: Fault,
    servers: Vec<(Kind, Option<HttpServer>)>,
    vars: Vec<(&'static str, String)>,
    /// (secret, the one kind allowed to receive it; `None`: no HTTP service).
    secrets: Vec<(String, Option<Kind>)>,
    smtp: Option<SmtpServer>,
    _keep: Vec<Box<dyn std::any::Any + Send + Sync>>,
    dir: tempfile::TempDir,
}

impl Scenario {
    fn new(fault: Fault, pg: &PgServer, redis: &RedisServer, redis_password: &str) -> Scenario {
        let ca = TestCa::new("a CA nobody trusts");
        let cert = (fault == Fault::UntrustedTls).then(|| ca.issue(&["localhost"]));
        let servers: Vec<(Kind, Option<HttpServer>)> = KINDS
            .iter()
            .map(|&k| (k, stand_in(k, fault, cert.as_ref())))
            .collect();
        let origin = |kind: Kind| {
            let server = servers
                .iter()
                .find(|(k, _)| *k == kind)
                .and_then(|(_, s)| s.as_ref());
            let port = server.map_or_else(free_port, HttpServer::port);
            match cert {
                Some(_) => format!("https://localhost:{port}"),
                None => format!("http://127.0.0.1:{port}"),
            }
        };
        let base = |kind: Kind, user: &str, password: &str| {
            origin(kind).replacen("://", &format!("://{user}:{password}@"), 1)
        };
        let mut secrets = Vec::new();
        let (pg_password, pg_role) = (
            plant_in(&mut secrets, "pgpw", None),
            format!("vitals_{}", &random_token()[..10]),
        );
        let redis_url_password = match fault {
            Fault::Healthy | Fault::RateLimited | Fault::UntrustedTls => {
                secrets.push((redis_password.to_owned(), None));
                redis_password.to_owned()
            }
            _ => plant_in(&mut secrets, "redispw", None),
        };
        let unused_redis_password = plant_in(&mut secrets, "redisfallbackpw", None);
        let mut keep: Vec<Box<dyn std::any::Any + Send + Sync>> = vec![Box::new(ca)];
        let (pg_port, redis_port) = match fault {
            Fault::Hanging => {
                let (a, b) = (SilentServer::start(), SilentServer::start());
                let ports = (a.port(), b.port());
                keep.push(Box::new(a));
                keep.push(Box::new(b));
                ports
            }
            Fault::Broken => {
                let (a, b) = (
                    GarbageServer::start(&b"HTTP/1.1 400 Bad Request\r\n\r\n"[..]),
                    GarbageServer::start(&b"SSH-2.0-OpenSSH_9.2\r\n"[..]),
                );
                let ports = (a.port(), b.port());
                keep.push(Box::new(a));
                keep.push(Box::new(b));
                ports
            }
            Fault::Down => (free_port(), free_port()),
            _ => (pg.port(), redis.port()),
        };
        if matches!(
            fault,
            Fault::Healthy | Fault::RateLimited | Fault::UntrustedTls
        ) {
            pg.client("postgres")
                .batch_execute(&format!(
                    "CREATE ROLE {pg_role} LOGIN PASSWORD '{pg_password}'"
                ))
                .expect("create role");
        }
        let sslmode = if fault == Fault::UntrustedTls {
            "verify-full"
        } else {
            "prefer"
        };
        let smtp_password = plant_in(&mut secrets, "smtppw", None);
        let smtp = matches!(fault, Fault::Healthy | Fault::Rejecting).then(|| {
            let accepted = match fault {
                Fault::Healthy => smtp_password.clone(),
                _ => plant("the-real-smtp-password"),
            };
            SmtpServer::start(SmtpOptions {
                login: Some(("alerts".into(), accepted)),
                ..SmtpOptions::default()
            })
        });
        let dir = tempfile::tempdir().expect("scenario dir");
        let endpoint = base(
            Kind::Endpoint,
            "ep",
            &plant_in(&mut secrets, "endpointbasepw", Some(Kind::Endpoint)),
        );
        let services_file = dir.path().join("vitals.toml");
        std::fs::write(
            &services_file,
            format!(
                "[[service]]\nname = \"endpoint\"\nurl = \"{endpoint}/health\"\nheaders = {{ Authorization = \"Bearer ${{ENDPOINT_TOKEN}}\" }}\n"
            ),
        )
        .expect("write vitals.toml");
        let vars = vec![
            (
                "DATABASE_URL",
                format!(
                    "postgres://{pg_role}:{pg_password}@127.0.0.1:{pg_port}/postgres?sslmode={sslmode}"
                ),
            ),
            (
                "REDIS_URL",
                format!("redis://:{redis_url_password}@127.0.0.1:{redis_port}"),
            ),
            ("REDIS_PASSWORD", unused_redis_password),
            (
                "AGENT_REGISTRY_URL",
                format!(
                    "{}/status",
                    base(
                        Kind::Agents,
                        "agent",
                        &plant_in(&mut secrets, "agentpw", Some(Kind::Agents))
                    )
                ),
            ),
            (
                "ANTHROPIC_API_KEY",
                plant_in(&mut secrets, "sk-ant", Some(Kind::Anthropic)),
            ),
            (
                "ANTHROPIC_BASE_URL",
                base(
                    Kind::Anthropic,
                    "proxy",
                    &plant_in(&mut secrets, "anthropicbasepw", Some(Kind::Anthropic)),
                ),
            ),
            (
                "HUBSPOT_API_KEY",
                plant_in(&mut secrets, "pat-hubspot", Some(Kind::Hubspot)),
            ),
            (
                "HUBSPOT_BASE_URL",
                base(
                    Kind::Hubspot,
                    "proxy",
                    &plant_in(&mut secrets, "hubspotbasepw", Some(Kind::Hubspot)),
                ),
            ),
            (
                "SENDGRID_API_KEY",
                plant_in(&mut secrets, "SG.sendgrid", Some(Kind::SendGrid)),
            ),
            (
                "SENDGRID_BASE_URL",
                base(
                    Kind::SendGrid,
                    "proxy",
                    &plant_in(&mut secrets, "sendgridbasepw", Some(Kind::SendGrid)),
                ),
            ),
            (
                "EMAIL_PROVIDER",
                if smtp.is_some() { "smtp" } else { "sendgrid" }.to_owned(),
            ),
            ("SMTP_HOST", "localhost".to_owned()),
            (
                "SMTP_PORT",
                smtp.as_ref()
                    .map_or_else(free_port, SmtpServer::port)
                    .to_string(),
            ),
            ("SMTP_USER", "alerts".to_owned()),
            ("SMTP_PASSWORD", smtp_password),
            ("ALERT_EMAIL_RECIPIENTS", "ops@example.com".to_owned()),
            (
                "SLACK_WEBHOOK_URL",
                format!(
                    "{}/services/T0/B0/{}",
                    origin(Kind::Slack),
                    plant_in(&mut secrets, "hookpath", Some(Kind::Slack))
                ),
            ),
            ("TWILIO_ACCOUNT_SID", format!("AC{}", random_token())),
            (
                "TWILIO_AUTH_TOKEN",
                plant_in(&mut secrets, "twiliotoken", Some(Kind::Twilio)),
            ),
            (
                "TWILIO_BASE_URL",
                base(
                    Kind::Twilio,
                    "proxy",
                    &plant_in(&mut secrets, "twiliobasepw", Some(Kind::Twilio)),
                ),
            ),
            ("TWILIO_FROM_NUMBER", "+14155550100".to_owned()),
            ("ALERT_SMS_RECIPIENTS", "+14155550101".to_owned()),
            (
                "PAGERDUTY_ROUTING_KEY",
                plant_in(&mut secrets, "pdroutingkey", Some(Kind::PagerDuty)),
            ),
            (
                "PAGERDUTY_BASE_URL",
                base(
                    Kind::PagerDuty,
                    "proxy",
                    &plant_in(&mut secrets, "pdbasepw", Some(Kind::PagerDuty)),
                ),
            ),
            (
                "VITALS_STATE",
                format!(
                    "postgres://state:{}@127.0.0.1:{}/state",
                    plant_in(&mut secrets, "statepw", None),
                    free_port()
                ),
            ),
            ("VITALS_CONFIG", services_file.display().to_string()),
            (
                "ENDPOINT_TOKEN",
                plant_in(&mut secrets, "endpointtoken", Some(Kind::Endpoint)),
            ),
            ("ALERT_RETRY_BACKOFF", "10ms".to_owned()),
        ];
        let mut vars = vars;
        if let Some(server) = &smtp {
            vars.push(("SMTP_CA_FILE", server.ca_path().display().to_string()));
        }
        if let Some(cert) = &cert {
            // Trusted by the SMTP and PostgreSQL side only: the stand-ins' CA stays unknown.
            keep.push(Box::new(cert.clone()));
        }
        Scenario {
            fault,
            servers,
            vars,
            secrets,
            smtp,
            _keep: keep,
            dir,
        }
    }

    fn test(&self) -> Test {
        Test::new()
            .envs(self.vars.iter().map(|(k, v)| (*k, v.as_str())))
            .current_dir(self.dir.path())
    }

    fn timeout(&self) -> &'static str {
        if self.fault == Fault::Hanging {
            "300ms"
        } else {
            "3s"
        }
    }

    /// Every secret in the forms it takes on the wire and in logs.
    fn all_secrets(&self) -> Vec<String> {
        self.secrets.iter().map(|(s, _)| s.clone()).collect()
    }

    /// No request to one service carried another's secret, nor a database's.
    fn check_requests(&self) {
        for (kind, server) in &self.servers {
            let Some(server) = server else { continue };
            for req in server.requests() {
                let text = learnt(&req);
                for (secret, owner) in &self.secrets {
                    assert!(
                        *owner == Some(*kind) || !text.contains(secret.as_str()),
                        "{:?}: a secret of {owner:?} reached {kind:?}",
                        self.fault
                    );
                }
            }
        }
        if let Some(smtp) = &self.smtp {
            // Only SMTP_PASSWORD may go there, and only inside AUTH.
            let mut seen = smtp.transcript_text();
            for message in smtp.messages() {
                seen.push_str(&message.0.to_string());
            }
            let password = self
                .vars
                .iter()
                .find(|(k, _)| *k == "SMTP_PASSWORD")
                .map(|(_, v)| v);
            for (secret, _) in self.secrets.iter().filter(|(s, _)| Some(s) != password) {
                assert!(
                    !seen.contains(secret.as_str()),
                    "{:?}: a secret reached the SMTP server",
                    self.fault
                );
            }
        }
    }
}

/// A planted secret, remembered with the one HTTP service allowed to receive it.
fn plant_in(secrets: &mut Vec<(String, Option<Kind>)>, name: &str, kind: Option<Kind>) -> String {
    let value = plant(name);
    secrets.push((value.clone(), kind));
    value
}

/// The commands and formats a user can run, and the exit code each should
/// give under `fault`.
fn runs(fault: Fault) -> Vec<(Vec<&'static str>, i32)> {
    use Fault::*;
    let checks: [(&str, i32); 5] = [
        ("all", 2),
        (
            "db",
            if matches!(fault, Healthy | RateLimited) {
                0
            } else {
                2
            },
        ),
        (
            "cache",
            if matches!(fault, Healthy | RateLimited | UntrustedTls) {
                0
            } else {
                2
            },
        ),
        ("agents", if fault == Healthy { 0 } else { 2 }),
        (
            "services",
            match fault {
                Healthy => 0,
                // Every service answering, if only "slow down", is degraded.
                RateLimited => 1,
                _ => 2,
            },
        ),
    ];
    let mut runs = Vec::new();
    for (target, code) in checks {
        let code = if target == "all" && fault == Healthy {
            0
        } else {
            code
        };
        for format in ["table", "json", "nagios", "prometheus"] {
            runs.push((vec!["check", target, "--format", format], code));
        }
    }
    let send = [
        "alert",
        "send",
        "--type",
        "disk_full",
        "--severity",
        "critical",
        "--message",
        "m",
    ];
    let delivered = if fault == Healthy { 0 } else { 2 };
    // The planted VITALS_STATE points at nothing: a send still delivers, and
    // its failure to record (a secret-bearing URL in an error) lifts the exit to 1.
    let sent = delivered.max(1);
    for format in ["table", "json"] {
        runs.push((vec!["config", "validate", "--format", format], 0));
        runs.push(([&send[..], &["--format", format]].concat(), sent));
        runs.push((vec!["alert", "test", "--format", format], delivered));
        // A dry run cannot ask that store whether the alert repeats: it says so, exit 1.
        runs.push(([&send[..], &["--dry-run", "--format", format]].concat(), 1));
        runs.push((vec!["alert", "test", "--dry-run", "--format", format], 0));
    }
    runs
}

#[test]
fn every_secret_stays_hidden_through_every_fault_command_and_format() {
    let pg = PgServer::shared();
    let redis_password = plant("redispw");
    let redis = RedisServer::start(RedisOptions {
        requirepass: Some(redis_password.clone()),
        ..RedisOptions::default()
    });
    for fault in [
        Fault::Healthy,
        Fault::Rejecting,
        Fault::RateLimited,
        Fault::Down,
        Fault::Hanging,
        Fault::Broken,
        Fault::UntrustedTls,
    ] {
        let scenario = Scenario::new(fault, pg, &redis, &redis_password);
        let secrets = scenario.all_secrets();
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let runs = runs(fault);
        // Three at a time: most runs wait on the network, not the CPU.
        std::thread::scope(|scope| {
            for chunk in runs.chunks(runs.len().div_ceil(3)) {
                let (scenario, refs) = (&scenario, &refs);
                scope.spawn(move || {
                    for (args, code) in chunk {
                        let out = scenario
                            .test()
                            .args(args)
                            .args(["-vv", "--timeout", scenario.timeout()])
                            .run();
                        out.assert_no_secrets(refs);
                        assert_eq!(
                            out.code,
                            *code,
                            "{fault:?} {args:?}:\n{}",
                            out.stderr.lines().last().unwrap_or_default()
                        );
                    }
                });
            }
        });
        scenario.check_requests();
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
