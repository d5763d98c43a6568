//! Shared pieces of the alert tests.

use base64::Engine as _;
use serde_json::{Value, json};

use super::cmd::{Outcome, Test};
use super::http::{HttpServer, Reply};
use super::random_token;
use super::smtp::{SmtpOptions, SmtpServer};

/// Markup, an ampersand, both quotes and an emoji: everything a renderer can get wrong.
pub const HOSTILE_HEAD: &str = "<script>alert(\"x\")</script> & 'single' \"double\" 🔥 ";

/// [`HOSTILE_HEAD`] followed by 300 Cyrillic characters (600 bytes).
pub fn hostile_message() -> String {
    format!("{HOSTILE_HEAD}{}", "Ж".repeat(300))
}

/// `vitals alert send --type disk_full --severity S --message M --json`.
pub fn send_args(severity: &str, message: &str) -> Vec<String> {
    [
        "alert",
        "send",
        "--type",
        "disk_full",
        "--severity",
        severity,
        "--message",
        message,
        "--json",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `vitals` with Slack alerts posted to `server`.
pub fn slack_at(server: &HttpServer) -> Test {
    Test::new().env(
        "SLACK_WEBHOOK_URL",
        format!("{}/services/T0/B0/x", server.url()),
    )
}

/// The `deliveries` of an `alert send --json` document.
pub fn deliveries(alert: &Value) -> Vec<Value> {
    alert["deliveries"]
        .as_array()
        .unwrap_or_else(|| panic!("no deliveries in {alert}"))
        .clone()
}

/// `(recipient, outcome, attempts)` of each delivery, in order.
pub fn summary(alert: &Value) -> Vec<(String, String, u64)> {
    deliveries(alert)
        .iter()
        .map(|d| {
            (
                d["recipient"].as_str().unwrap_or_default().to_owned(),
                d["outcome"].as_str().unwrap_or_default().to_owned(),
                d["attempts"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// Every channel configured against local servers, with a distinct planted secret in each.
pub struct Everything {
    pub smtp: SmtpServer,
    pub slack: HttpServer,
    pub twilio: HttpServer,
    pub pagerduty: HttpServer,
    pub smtp_password: String,
    pub hook: String,
    pub sid: String,
    pub token: String,
    pub routing_key: String,
}

impl Everything {
    pub fn start() -> Everything {
        let smtp_password = format!("smtppw{}", random_token());
        Everything {
            smtp: SmtpServer::start(SmtpOptions {
                login: Some(("alerts".into(), smtp_password.clone())),
                ..SmtpOptions::default()
            }),
            slack: HttpServer::replying(Reply::text(200, "ok")),
            twilio: HttpServer::replying(Reply::json(
                201,
                &json!({"sid": "SM0001", "status": "queued"}),
            )),
            pagerduty: HttpServer::replying(Reply::json(
                202,
                &json!({"status": "success", "message": "Event processed", "dedup_key": "disk_full"}),
            )),
            smtp_password,
            hook: format!("hook{}", random_token()),
            sid: format!("AC{}", random_token()),
            token: format!("twiliotoken{}", random_token()),
            routing_key: format!("pdkey{}", random_token()),
        }
    }

    pub fn test(&self) -> Test {
        Test::new().envs(self.env())
    }

    /// The variables that configure every channel against these servers.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SMTP_HOST", "localhost".to_owned()),
            ("SMTP_PORT", self.smtp.port().to_string()),
            ("SMTP_CA_FILE", self.smtp.ca_path().display().to_string()),
            ("SMTP_USER", "alerts".to_owned()),
            ("SMTP_PASSWORD", self.smtp_password.clone()),
            ("ALERT_EMAIL_RECIPIENTS", "ops@example.com".to_owned()),
            (
                "SLACK_WEBHOOK_URL",
                format!("{}/services/T0/B0/{}", self.slack.url(), self.hook),
            ),
            ("TWILIO_BASE_URL", self.twilio.url()),
            ("TWILIO_ACCOUNT_SID", self.sid.clone()),
            ("TWILIO_AUTH_TOKEN", self.token.clone()),
            ("TWILIO_FROM_NUMBER", "+14155550100".to_owned()),
            (
                "ALERT_SMS_RECIPIENTS",
                "+14155550101,+14155550102".to_owned(),
            ),
            ("PAGERDUTY_BASE_URL", self.pagerduty.url()),
            ("PAGERDUTY_ROUTING_KEY", self.routing_key.clone()),
            ("ALERT_RETRY_BACKOFF", "10ms".to_owned()),
        ]
    }

    /// Every planted secret, plus the forms they take on the wire.
    pub fn secrets(&self) -> Vec<String> {
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.sid, self.token));
        vec![
            self.smtp_password.clone(),
            self.hook.clone(),
            format!("/services/T0/B0/{}", self.hook),
            self.token.clone(),
            basic,
            self.routing_key.clone(),
        ]
    }

    pub fn check(&self, out: &Outcome) {
        let secrets = self.secrets();
        let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
        out.assert_no_secrets(&refs);
    }

    pub fn requests(&self) -> usize {
        self.slack.request_count() + self.twilio.request_count() + self.pagerduty.request_count()
    }
}

/// One scenario as a test per backend: `name::sqlite` and `name::postgres`.
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            use crate::support::alerts::Backend;

            #[test]
            fn sqlite() {
                super::$name(Backend::Sqlite);
            }

            #[test]
            fn postgres() {
                super::$name(Backend::Postgres);
            }
        }
    };
}

/// Which backend an alert-store test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const BOTH: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
}

/// A fresh, empty alert store: an SQLite file in its own temp dir, or a new
/// database on the shared PostgreSQL server.
pub struct Store {
    pub backend: Backend,
    /// The value of `VITALS_STATE`.
    pub location: String,
    _dir: Option<tempfile::TempDir>,
}

impl Store {
    pub fn fresh(backend: Backend) -> Store {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("vitals-store-")
                    .tempdir()
                    .expect("store temp dir");
                Store {
                    backend,
                    location: dir.path().join("alerts.db").display().to_string(),
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => Store {
                backend,
                location: super::postgres::PgServer::shared().create_database(),
                _dir: None,
            },
        }
    }

    /// The SQLite file at `path`, which the test made itself.
    pub fn sqlite_file(path: &std::path::Path) -> Store {
        Store {
            backend: Backend::Sqlite,
            location: path.display().to_string(),
            _dir: None,
        }
    }

    /// A fresh store in a new database of `server` (a PostgreSQL the test configured).
    pub fn on(server: &super::postgres::PgServer) -> Store {
        Store {
            backend: Backend::Postgres,
            location: server.create_database(),
            _dir: None,
        }
    }

    /// A store that exists and holds nothing: created as `check --alert`
    /// creates it, by a healthy check that raises nothing. (Commands that
    /// only read, `alert list` among them, create no store.)
    pub fn created(backend: Backend) -> Store {
        let store = Store::fresh(backend);
        let api = HttpServer::replying(Reply::json(200, &json!({"data": []})));
        let out = store
            .test()
            .env("ANTHROPIC_API_KEY", "sk-store-creation")
            .env("ANTHROPIC_BASE_URL", api.url())
            .args(["check", "services", "--alert"])
            .run();
        // No channel is configured, which --alert says; the store is there.
        out.assert_code(1);
        assert_eq!(store.alerts(), Vec::<Value>::new());
        store
    }

    /// `vitals` with this store (and nothing else configured).
    pub fn test(&self) -> Test {
        Test::new().env("VITALS_STATE", &self.location)
    }

    /// Runs SQL statements on the store itself, as another program would.
    pub fn execute(&self, sql: &str) {
        match self.backend {
            Backend::Sqlite => rusqlite::Connection::open(&self.location)
                .and_then(|c| c.execute_batch(sql))
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            Backend::Postgres => self
                .client()
                .batch_execute(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
        }
    }

    /// The number the query's first row starts with.
    pub fn number(&self, sql: &str) -> i64 {
        match self.backend {
            Backend::Sqlite => rusqlite::Connection::open(&self.location)
                .and_then(|c| c.query_row(sql, [], |row| row.get(0)))
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            Backend::Postgres => self
                .client()
                .query_one(sql, &[])
                .map(|row| row.get(0))
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
        }
    }

    fn client(&self) -> ::postgres::Client {
        ::postgres::Client::connect(&self.location, ::postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to the store: {e}"))
    }

    /// Every stored alert, newest first, as `alert list --status all --json` prints them.
    pub fn alerts(&self) -> Vec<Value> {
        let out = self
            .test()
            .args(["alert", "list", "--status", "all", "--json"])
            .run();
        out.assert_code(0);
        out.json()
            .as_array()
            .unwrap_or_else(|| panic!("alert list did not print an array: {}", out.stdout))
            .clone()
    }
}

/// `(event, channel, outcome)` of each stored delivery of `alert`, in order.
pub fn events(alert: &Value) -> Vec<(String, String, String)> {
    deliveries(alert)
        .iter()
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_owned();
            (s("event"), s("channel"), s("outcome"))
        })
        .collect()
}
