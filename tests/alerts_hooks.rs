//! The generic webhook (Alertmanager's webhook payload, signed) and the
//! Alertmanager push, against local stand-ins that check the wire format
//! and against the real Alertmanager.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::alertmanager::AlertmanagerServer;
use crate::support::alerts::{Backend, Store, deliveries, send_args, summary};
use crate::support::cmd::Test;
use crate::support::http::{HttpServer, Reply, Request};
use crate::support::random_token;

struct Hook {
    server: HttpServer,
    token: String,
    secret: String,
    store: Store,
}

impl Hook {
    fn new(server: HttpServer) -> Hook {
        Hook {
            server,
            token: format!("tok{}", random_token()),
            secret: format!("whsec{}", random_token()),
            store: Store::fresh(Backend::Sqlite),
        }
    }

    /// `vitals` with the webhook (signed), this hook's store, and nothing else.
    fn test(&self) -> Test {
        self.store
            .test()
            .env(
                "WEBHOOK_URL",
                format!("{}/hooks/{}", self.server.url(), self.token),
            )
            .env("WEBHOOK_SECRET", &self.secret)
            .env("ALERT_RETRY_BACKOFF", "10ms")
    }

    fn secrets(&self) -> [&str; 2] {
        [&self.token, &self.secret]
    }
}

/// The signature the receiver computes with the shared secret.
fn expected_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC key");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// Alertmanager's webhook payload, version 4: every field, of its type.
fn assert_webhook_schema(body: &Value) {
    let object = body.as_object().expect("a JSON object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "alerts",
            "commonAnnotations",
            "commonLabels",
            "externalURL",
            "groupKey",
            "groupLabels",
            "receiver",
            "status",
            "truncatedAlerts",
            "version"
        ]
    );
    assert_eq!(body["version"], "4");
    assert!(body["truncatedAlerts"].is_u64());
    for key in ["groupKey", "receiver", "externalURL", "status"] {
        assert!(body[key].is_string(), "{key}: {body}");
    }
    for key in ["groupLabels", "commonLabels", "commonAnnotations"] {
        let map = body[key].as_object().expect(key);
        assert!(map.values().all(Value::is_string), "{key}: {body}");
    }
    let alerts = body["alerts"].as_array().expect("alerts");
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0];
    let mut keys: Vec<&str> = alert
        .as_object()
        .expect("alert")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "annotations",
            "endsAt",
            "fingerprint",
            "generatorURL",
            "labels",
            "startsAt",
            "status"
        ]
    );
    assert!(["firing", "resolved"].contains(&alert["status"].as_str().unwrap_or_default()));
    for key in ["startsAt", "endsAt"] {
        let text = alert[key].as_str().expect(key);
        chrono::DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("{key} {text}: {e}"));
    }
    for key in ["labels", "annotations"] {
        let map = alert[key].as_object().expect(key);
        assert!(map.values().all(Value::is_string), "{key}: {alert}");
    }
    assert!(alert["labels"]["alertname"].is_string());
}

fn signed_request(hook: &Hook, request: &Request) -> Value {
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, format!("/hooks/{}", hook.token));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("x-vitals-signature"),
        Some(expected_signature(&hook.secret, &request.body).as_str()),
        "the signature must be the HMAC-SHA256 of the exact body"
    );
    request.json()
}

#[test]
fn webhook_posts_alertmanagers_payload_signed_and_then_its_resolution() {
    let hook = Hook::new(HttpServer::replying(Reply::status(204)));
    let out = hook
        .test()
        .args(send_args("critical", "/var is 97% full"))
        .args(["--label", "host=db1"])
        .run();
    out.assert_code(0).assert_no_secrets(&hook.secrets());
    let alert = out.json();
    assert_eq!(
        summary(&alert),
        [("http://127.0.0.1/***".to_owned(), "delivered".to_owned(), 1)]
    );
    assert_eq!(deliveries(&alert)[0]["provider"], "webhook");

    let fired = signed_request(&hook, &hook.server.only_request());
    assert_webhook_schema(&fired);
    assert_eq!(fired["status"], "firing");
    let labels = json!({"alertname": "disk_full", "host": "db1", "severity": "critical"});
    assert_eq!(fired["commonLabels"], labels);
    assert_eq!(fired["alerts"][0]["labels"], labels);
    assert_eq!(fired["alerts"][0]["startsAt"], alert["triggered_at"]);
    assert_eq!(fired["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(fired["alerts"][0]["fingerprint"], alert["fingerprint"]);
    assert_eq!(
        fired["alerts"][0]["annotations"],
        json!({"summary": "disk_full: /var is 97% full", "description": "/var is 97% full", "alert_id": alert["id"]})
    );

    let id = alert["id"].as_str().expect("id");
    let resolved = hook
        .test()
        .args([
            "alert", "resolve", id, "--by", "alice", "--note", "cleaned", "--json",
        ])
        .run();
    resolved.assert_code(0).assert_no_secrets(&hook.secrets());
    let requests = hook.server.requests();
    assert_eq!(requests.len(), 2);
    let ended = signed_request(&hook, &requests[1]);
    assert_webhook_schema(&ended);
    assert_eq!(ended["status"], "resolved");
    assert_eq!(ended["alerts"][0]["status"], "resolved");
    assert_eq!(ended["alerts"][0]["endsAt"], resolved.json()["resolved_at"]);
    assert_eq!(ended["alerts"][0]["annotations"]["resolved_by"], "alice");
    assert_eq!(
        ended["alerts"][0]["annotations"]["resolution_note"],
        "cleaned"
    );

    // No acknowledged state in that format: an acknowledgement is not posted.
    let again = hook
        .test()
        .args(send_args("critical", "/var is 98% full"))
        .run();
    again.assert_code(0);
    let id = again.json()["id"].as_str().expect("id").to_owned();
    hook.test()
        .args(["alert", "ack", &id, "--json"])
        .run()
        .assert_code(0);
    assert_eq!(hook.server.request_count(), 3);
}

#[test]
fn webhook_without_a_secret_is_not_signed() {
    let server = HttpServer::replying(Reply::status(200));
    let out = Test::new()
        .env("WEBHOOK_URL", format!("{}/in", server.url()))
        .args(send_args("warning", "m"))
        .run();
    out.assert_code(0);
    assert_eq!(server.only_request().header("x-vitals-signature"), None);
}

#[test]
fn webhook_retries_and_honours_retry_after_as_an_http_date() {
    // Three seconds from now, as an HTTP date (whole seconds): however long
    // vitals takes to start, it waits more than one second.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3);
    let date = httpdate::fmt_http_date(later);
    let hook = Hook::new(HttpServer::sequence(vec![
        Reply::text(503, "maintenance").header("Retry-After", &date),
        Reply::status(200),
    ]));
    let out = hook.test().args(send_args("error", "m")).run();
    out.assert_code(0).assert_no_secrets(&hook.secrets());
    let alert = out.json();
    assert_eq!(
        summary(&alert),
        [("http://127.0.0.1/***".to_owned(), "delivered".to_owned(), 2)]
    );
    let history = deliveries(&alert)[0]["history"].clone();
    assert_eq!(history[0]["status"], 503);
    assert_eq!(history[1]["status"], 200);
    let waited = out.timestamp(&history[1]["at"]) - out.timestamp(&history[0]["at"]);
    assert!(
        waited >= chrono::Duration::milliseconds(1000),
        "waited {waited} for Retry-After: {date}"
    );
    // Both attempts signed the same body the same way.
    let requests = hook.server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);
    signed_request(&hook, &requests[1]);
}

#[test]
fn webhook_preview_and_test_never_show_the_url_or_the_secret() {
    let hook = Hook::new(HttpServer::replying(Reply::status(200)));
    let out = hook
        .test()
        .args(send_args("error", "m"))
        .arg("--dry-run")
        .run();
    out.assert_code(0).assert_no_secrets(&hook.secrets());
    let preview = out.json();
    assert_eq!(preview["messages"][0]["channel"], "webhook");
    assert_eq!(
        preview["messages"][0]["to"],
        json!(["http://127.0.0.1/***"])
    );
    assert_webhook_schema(&preview["messages"][0]["body"]);
    assert_eq!(hook.server.request_count(), 0);

    let tested = hook
        .test()
        .args(["alert", "test", "--channel", "webhook", "--json"])
        .run();
    tested.assert_code(0).assert_no_secrets(&hook.secrets());
    // People's channels hear of a test once.
    let body = signed_request(&hook, &hook.server.only_request());
    assert_eq!(body["commonLabels"]["alertname"], "vitals_test");
}

#[test]
fn webhook_minimum_severity_skips_less_severe_alerts() {
    let hook = Hook::new(HttpServer::replying(Reply::status(200)));
    let out = hook
        .test()
        .env("WEBHOOK_MIN_SEVERITY", "error")
        .args(send_args("warning", "m"))
        .run();
    out.assert_code(2)
        .assert_stderr_contains("no configured channel takes warning alerts");
    assert_eq!(
        deliveries(&out.json())[0]["error"],
        "webhook takes error alerts and above (WEBHOOK_MIN_SEVERITY); this one is warning"
    );
    assert_eq!(hook.server.request_count(), 0);
}

/// `vitals` pushing to Alertmanager at `base`, with `store`.
fn pushing_to(store: &Store, base: &str) -> Test {
    store
        .test()
        .env("ALERTMANAGER_URL", base)
        .env("ALERT_RETRY_BACKOFF", "10ms")
}

#[test]
fn alertmanager_gets_every_occurrence_while_it_fires_and_its_end() {
    let server = HttpServer::replying(Reply::status(200));
    let store = Store::fresh(Backend::Sqlite);
    let base = format!("{}/am", server.url());
    let test = || pushing_to(&store, &base);
    let first = test()
        .args(send_args("error", "db down"))
        .args(["--label", "host=db1"])
        .run();
    first.assert_code(0);
    let alert = first.json();
    assert_eq!(
        summary(&alert),
        [(
            format!("http://127.0.0.1:{}/am/api/v2/alerts", server.port()),
            "delivered".to_owned(),
            1
        )]
    );
    // A repeat within the repeat interval notifies nobody, but Alertmanager
    // forgets what is not sent again: it gets it.
    let second = test()
        .args(send_args("error", "db still down"))
        .args(["--label", "host=db1"])
        .run();
    second.assert_code(0);
    assert_eq!(second.json()["occurrences"], 2);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for (request, message) in requests.iter().zip(["db down", "db still down"]) {
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/am/api/v2/alerts");
        assert_eq!(
            request.json(),
            json!([{
                "labels": {"alertname": "disk_full", "host": "db1", "severity": "error"},
                "annotations": {"summary": format!("disk_full: {message}"), "description": message, "alert_id": alert["id"]},
                "startsAt": alert["triggered_at"],
                "generatorURL": "",
            }])
        );
    }
    let id = alert["id"].as_str().expect("id");
    let resolved = test().args(["alert", "resolve", id, "--json"]).run();
    resolved.assert_code(0);
    let end = server.requests()[2].json();
    assert_eq!(end[0]["endsAt"], resolved.json()["resolved_at"]);
    assert_eq!(end[0]["labels"]["alertname"], "disk_full");
}

#[test]
fn a_failed_push_of_a_repeat_is_recorded_and_said() {
    let server = HttpServer::sequence(vec![Reply::status(200), Reply::text(400, "bad alert")]);
    let store = Store::fresh(Backend::Sqlite);
    let test = || pushing_to(&store, &server.url());
    test().args(send_args("error", "m")).run().assert_code(0);
    let out = test().args(send_args("error", "m")).run();
    out.assert_code(2);
    let stored = test().args(["alert", "list", "--json"]).run().json();
    let outcomes: Vec<&str> = stored[0]["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| d["outcome"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(outcomes, ["delivered", "failed"]);
}

#[test]
fn the_real_alertmanager_shows_the_alert_and_drops_it_after_resolve() {
    let am = AlertmanagerServer::start();
    let store = Store::fresh(Backend::Sqlite);
    let test = || pushing_to(&store, &am.url());
    let out = test()
        .args(send_args("critical", "/var is full"))
        .args(["--label", "host=db1"])
        .run();
    out.assert_code(0);
    let alert = out.json();
    assert_eq!(summary(&alert)[0].1, "delivered", "{}", am.log());
    let shown = am.alerts();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(
        shown[0]["labels"],
        json!({"alertname": "disk_full", "host": "db1", "severity": "critical"})
    );
    assert_eq!(shown[0]["status"]["state"], "active");
    assert_eq!(shown[0]["annotations"]["alert_id"], alert["id"]);

    let id = alert["id"].as_str().expect("id");
    test()
        .args(["alert", "resolve", id, "--json"])
        .run()
        .assert_code(0);
    assert_eq!(am.alerts(), Vec::<Value>::new(), "{}", am.log());
}

#[test]
fn alert_test_resolves_in_alertmanager_what_it_raised() {
    let am = AlertmanagerServer::start();
    let out = pushing_to(&Store::fresh(Backend::Sqlite), &am.url())
        .args(["alert", "test", "--channel", "alertmanager", "--json"])
        .run();
    out.assert_code(0);
    let events: Vec<(String, String)> = deliveries(&out.json())
        .iter()
        .map(|d| {
            (
                d["event"].as_str().unwrap_or_default().to_owned(),
                d["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("trigger".to_owned(), "delivered".to_owned()),
            ("resolve".to_owned(), "delivered".to_owned())
        ]
    );
    assert_eq!(am.alerts(), Vec::<Value>::new());
}
