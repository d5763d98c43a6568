//! Slack, Twilio, PagerDuty and SendGrid against local HTTP servers that
//! check each provider's method, path, headers, auth and body, and answer
//! with the providers' real success and error bodies.

use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::support::alerts::{deliveries, hostile_message, send_args, summary};
use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply, Request};
use crate::support::random_token;

fn secret(name: &str) -> String {
    format!("{name}{}", random_token())
}

fn unix_seconds(rfc3339: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339.as_str().unwrap_or_default())
        .map(|t| t.timestamp())
        .unwrap_or_else(|e| panic!("{rfc3339}: {e}"))
}

fn error_of(alert: &Value, i: usize) -> String {
    deliveries(alert)[i]["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn statuses(alert: &Value, i: usize) -> Vec<Value> {
    deliveries(alert)[i]["history"]
        .as_array()
        .map(|h| h.iter().map(|a| a["status"].clone()).collect())
        .unwrap_or_default()
}

// --- Slack ---------------------------------------------------------------

struct Slack {
    server: HttpServer,
    hook: String,
}

impl Slack {
    fn new(server: HttpServer) -> Slack {
        Slack {
            server,
            hook: secret("hook"),
        }
    }

    fn test(&self) -> Test {
        Test::new()
            .env(
                "SLACK_WEBHOOK_URL",
                format!("{}/services/T0/B0/{}", self.server.url(), self.hook),
            )
            .env("ALERT_RETRY_BACKOFF", "10ms")
    }

    fn send(&self, test: Test) -> (Outcome, Value) {
        let out = test.args(send_args("error", "db down")).run();
        out.assert_no_secrets(&[&self.hook]);
        let json = out.json();
        (out, json)
    }
}

#[test]
fn slack_gets_one_escaped_attachment() {
    let slack = Slack::new(HttpServer::replying(Reply::text(200, "ok")));
    let message = hostile_message();
    let out = slack
        .test()
        .env("SLACK_CHANNEL", "#ops")
        .args(send_args("error", &message))
        .args(["--context", r#"{"db":"<main> & co"}"#])
        .run();
    out.assert_code(0).assert_no_secrets(&[&slack.hook]);
    let alert = out.json();
    assert_eq!(
        summary(&alert),
        [("http://127.0.0.1/***".to_owned(), "delivered".to_owned(), 1)]
    );
    assert_eq!(deliveries(&alert)[0]["provider"], "slack");

    let request = slack.server.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, format!("/services/T0/B0/{}", slack.hook));
    assert_eq!(request.header("content-type"), Some("application/json"));
    let escaped = format!(
        "&lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; 'single' \"double\" 🔥 {}",
        "Ж".repeat(300)
    );
    assert_eq!(
        request.json(),
        json!({
            "attachments": [{
                "fallback": format!("[ERROR] disk_full: {escaped}"),
                "color": "#FF6B00",
                "title": "disk_full",
                "text": escaped,
                "fields": [
                    {"title": "Severity", "value": "ERROR", "short": true},
                    {"title": "Alert ID", "value": alert["id"], "short": true},
                    {"title": "Timestamp", "value": alert["triggered_at"], "short": true},
                    {"title": "Context", "value": "```{\n  \"db\": \"&lt;main&gt; &amp; co\"\n}```", "short": false},
                ],
                "footer": "Digital Agency Monitoring",
                "ts": unix_seconds(&alert["triggered_at"]),
            }],
            "channel": "#ops",
        })
    );
}

#[test]
fn slack_errors_are_reported_and_not_retried() {
    for (status, body) in [
        (400, "invalid_payload"),
        (404, "no_service"),
        (404, "channel_not_found"),
        (410, "channel_is_archived"),
    ] {
        let slack = Slack::new(HttpServer::replying(Reply::text(status, body)));
        let (out, alert) = slack.send(slack.test());
        out.assert_code(2);
        assert_eq!(
            error_of(&alert, 0),
            format!("127.0.0.1:{}: HTTP {status}: {body}", slack.server.port())
        );
        assert_eq!(
            slack.server.request_count(),
            1,
            "{body} must not be retried"
        );
    }
}

#[test]
fn slack_retries_a_server_error() {
    let slack = Slack::new(HttpServer::sequence(vec![
        Reply::text(500, "rollup_error"),
        Reply::text(200, "ok"),
    ]));
    let (out, alert) = slack.send(slack.test());
    out.assert_code(0);
    assert_eq!(statuses(&alert, 0), [json!(500), json!(200)]);
    assert_eq!(
        deliveries(&alert)[0]["history"][0]["error"],
        "HTTP 500: rollup_error"
    );
    assert_eq!(slack.server.request_count(), 2);
}

#[test]
fn slack_waits_as_long_as_retry_after_says() {
    let slack = Slack::new(HttpServer::sequence(vec![
        Reply::text(429, "rate_limited").header("Retry-After", "1"),
        Reply::text(200, "ok"),
    ]));
    let (out, alert) = slack.send(slack.test());
    out.assert_code(0);
    assert_eq!(statuses(&alert, 0), [json!(429), json!(200)]);
    assert!(
        out.elapsed >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured: {:?}",
        out.elapsed
    );
}

#[test]
fn slack_does_not_wait_past_its_deadline() {
    let slack = Slack::new(HttpServer::replying(
        Reply::text(429, "rate_limited").header("Retry-After", "120"),
    ));
    let (out, alert) = slack.send(slack.test());
    out.assert_code(2);
    assert_eq!(
        error_of(&alert, 0),
        format!(
            "127.0.0.1:{}: HTTP 429: rate_limited; gave up: waiting 60.0 s more would pass the \
             time limit",
            slack.server.port()
        )
    );
    assert_eq!(slack.server.request_count(), 1);
    out.assert_within(Duration::from_secs(5));
}

#[test]
fn slack_hanging_is_bounded_by_the_timeout() {
    let slack = Slack::new(HttpServer::replying(Reply::Hang));
    let (out, alert) = slack.send(slack.test().args(["--timeout", "500ms"]));
    out.assert_code(2);
    assert_eq!(
        error_of(&alert, 0),
        format!(
            "127.0.0.1:{}: timed out after 500 ms; gave up after 3 attempts",
            slack.server.port()
        )
    );
    assert_eq!(slack.server.request_count(), 3);
    out.assert_within(Duration::from_secs(3));
}

// --- Twilio --------------------------------------------------------------

const FROM: &str = "+14155550100";
const BAD_NUMBER: &str = "+15005550001";

struct Twilio {
    server: HttpServer,
    sid: String,
    token: String,
}

/// Twilio's answers: 201 with the message resource, or its error body for a bad number.
fn twilio_reply(request: &Request) -> Reply {
    let to = request.form_value("To").unwrap_or_default();
    if to == BAD_NUMBER {
        return Reply::json(
            400,
            &json!({
                "code": 21211,
                "message": format!("The 'To' number {to} is not a valid phone number."),
                "more_info": "https://www.twilio.com/docs/errors/21211",
                "status": 400,
            }),
        );
    }
    Reply::json(
        201,
        &json!({
            "account_sid": request.path().split('/').nth(3),
            "api_version": "2010-04-01",
            "body": request.form_value("Body"),
            "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
            "direction": "outbound-api",
            "error_code": null,
            "from": request.form_value("From"),
            "num_segments": "1",
            "price": null,
            "sid": format!("SM{}", &to[to.len() - 4..]),
            "status": "queued",
            "to": to,
        }),
    )
}

impl Twilio {
    fn new(server: HttpServer) -> Twilio {
        Twilio {
            server,
            sid: format!("AC{}", random_token()),
            token: secret("twiliotoken"),
        }
    }

    fn test(&self, recipients: &str) -> Test {
        Test::new()
            .env("TWILIO_BASE_URL", self.server.url())
            .env("TWILIO_ACCOUNT_SID", &self.sid)
            .env("TWILIO_AUTH_TOKEN", &self.token)
            .env("TWILIO_FROM_NUMBER", FROM)
            .env("ALERT_SMS_RECIPIENTS", recipients)
            .env("ALERT_RETRY_BACKOFF", "10ms")
    }

    fn basic(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", self.sid, self.token))
    }

    fn secrets(&self) -> [String; 2] {
        [self.token.clone(), self.basic()]
    }

    fn check(&self, out: &Outcome) {
        let secrets = self.secrets();
        out.assert_no_secrets(&[&secrets[0], &secrets[1]]);
    }
}

#[test]
fn sms_posts_one_form_per_recipient_with_basic_auth() {
    let twilio = Twilio::new(HttpServer::start(twilio_reply));
    let message = hostile_message();
    let out = twilio
        .test("+14155550101,+14155550102")
        .args(send_args("critical", &message))
        .run();
    out.assert_code(0);
    twilio.check(&out);
    let alert = out.json();
    assert_eq!(
        summary(&alert),
        [
            ("+14155550101".to_owned(), "delivered".to_owned(), 1),
            ("+14155550102".to_owned(), "delivered".to_owned(), 1),
        ]
    );
    for (d, sid) in deliveries(&alert).iter().zip(["SM0101", "SM0102"]) {
        assert_eq!(d["provider"], "twilio");
        assert_eq!(d["provider_id"], sid);
        assert_eq!(d["provider_status"], "queued");
    }

    let mut requests = twilio.server.requests();
    requests.sort_by_key(|r| r.form_value("To"));
    assert_eq!(requests.len(), 2);
    let body: String = message.chars().take(100).collect();
    assert_eq!(
        body,
        format!(
            "<script>alert(\"x\")</script> & 'single' \"double\" 🔥 {}",
            "Ж".repeat(50)
        )
    );
    for (request, to) in requests.iter().zip(["+14155550101", "+14155550102"]) {
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.target,
            format!("/2010-04-01/Accounts/{}/Messages.json", twilio.sid)
        );
        assert_eq!(
            request.header("authorization"),
            Some(format!("Basic {}", twilio.basic()).as_str())
        );
        assert_eq!(
            request.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(
            request.form(),
            [
                ("To".to_owned(), to.to_owned()),
                ("From".to_owned(), FROM.to_owned()),
                (
                    "Body".to_owned(),
                    format!("CRITICAL ALERT: disk_full\n{body}")
                ),
            ]
        );
    }
}

#[test]
fn one_bad_number_does_not_stop_the_others() {
    let twilio = Twilio::new(HttpServer::start(twilio_reply));
    let recipients = format!("+14155550101,{BAD_NUMBER},+14155550102");
    let out = twilio
        .test(&recipients)
        .args(send_args("critical", "db down"))
        .run();
    out.assert_code(1);
    twilio.check(&out);
    let alert = out.json();
    assert_eq!(
        summary(&alert),
        [
            ("+14155550101".to_owned(), "delivered".to_owned(), 1),
            (BAD_NUMBER.to_owned(), "failed".to_owned(), 1),
            ("+14155550102".to_owned(), "delivered".to_owned(), 1),
        ]
    );
    assert_eq!(
        error_of(&alert, 1),
        format!(
            "127.0.0.1:{}: HTTP 400: Twilio error 21211: The 'To' number {BAD_NUMBER} is not a \
             valid phone number. (https://www.twilio.com/docs/errors/21211)",
            twilio.server.port()
        )
    );
    assert_eq!(twilio.server.request_count(), 3);
}

#[test]
fn sms_that_may_have_been_sent_is_not_retried() {
    for (reply, expected) in [
        (
            Reply::json(
                500,
                &json!({"code": 20500, "message": "Internal Server Error", "more_info": "https://www.twilio.com/docs/errors/20500", "status": 500}),
            ),
            "HTTP 500: Twilio error 20500: Internal Server Error (https://www.twilio.com/docs/errors/20500); not retried: the message may have been sent, and must not arrive twice",
        ),
        (
            Reply::Hang,
            "timed out after 500 ms; not retried: the message may have been sent, and must not arrive twice",
        ),
    ] {
        let twilio = Twilio::new(HttpServer::replying(reply));
        let out = twilio
            .test("+14155550101")
            .args(send_args("critical", "db down"))
            .args(["--timeout", "500ms"])
            .run();
        out.assert_code(2);
        twilio.check(&out);
        assert_eq!(
            error_of(&out.json(), 0),
            format!("127.0.0.1:{}: {expected}", twilio.server.port())
        );
        assert_eq!(twilio.server.request_count(), 1);
    }
}

#[test]
fn sms_skips_alerts_below_critical() {
    let twilio = Twilio::new(HttpServer::start(twilio_reply));
    let out = twilio
        .test("+14155550101")
        .args(send_args("error", "db down"))
        .run();
    out.assert_code(2)
        .assert_stderr_contains("no configured channel takes error alerts");
    let alert = out.json();
    assert_eq!(
        summary(&alert),
        [("+14155550101".to_owned(), "skipped".to_owned(), 0)]
    );
    assert_eq!(
        error_of(&alert, 0),
        "sms takes critical alerts and above (SMS_MIN_SEVERITY); this one is error"
    );
    assert_eq!(twilio.server.request_count(), 0);
}

#[test]
fn the_test_alert_goes_out_by_sms_too() {
    let twilio = Twilio::new(HttpServer::start(twilio_reply));
    let out = twilio
        .test("+14155550101")
        .args(["alert", "test", "--json"])
        .run();
    out.assert_code(0);
    let alert = out.json();
    assert_eq!(alert["alert_type"], "vitals_test");
    assert_eq!(alert["severity"], "info");
    assert_eq!(alert["test"], true);
    let body = twilio
        .server
        .only_request()
        .form_value("Body")
        .unwrap_or_default();
    assert!(
        body.starts_with(
            "TEST ALERT: vitals_test\nThis is a test alert sent by `vitals alert test` on "
        ),
        "{body}"
    );
    assert_eq!(
        body.chars().count(),
        "TEST ALERT: vitals_test\n".len() + 100
    );
}

// --- PagerDuty -----------------------------------------------------------

struct PagerDuty {
    server: HttpServer,
    key: String,
}

fn pagerduty_accepted() -> Reply {
    Reply::json(
        202,
        &json!({"status": "success", "message": "Event processed", "dedup_key": "disk_full"}),
    )
}

impl PagerDuty {
    fn new(server: HttpServer) -> PagerDuty {
        PagerDuty {
            server,
            key: secret("pdkey"),
        }
    }

    fn send(&self, extra: &[&str]) -> (Outcome, Value) {
        let out = Test::new()
            .env("PAGERDUTY_BASE_URL", self.server.url())
            .env("PAGERDUTY_ROUTING_KEY", &self.key)
            .env("ALERT_RETRY_BACKOFF", "10ms")
            .args(send_args("critical", "db down"))
            .args(extra)
            .run();
        out.assert_no_secrets(&[&self.key]);
        let json = out.json();
        (out, json)
    }
}

#[test]
fn pagerduty_triggers_an_event_keyed_by_the_alert_type() {
    let pd = PagerDuty::new(HttpServer::replying(pagerduty_accepted()));
    let (out, alert) = pd.send(&["--context", r#"{"db":"main"}"#]);
    out.assert_code(0);
    let d = &deliveries(&alert)[0];
    assert_eq!(d["provider"], "pagerduty");
    assert_eq!(d["provider_id"], "disk_full");
    assert_eq!(d["provider_status"], "Event processed");
    assert_eq!(d["recipient"], format!("{}/v2/enqueue", pd.server.url()));

    let request = pd.server.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/v2/enqueue");
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body = request.json();
    assert_eq!(
        body,
        json!({
            "routing_key": pd.key,
            "event_action": "trigger",
            "dedup_key": "disk_full",
            "payload": {
                "summary": "[CRITICAL] disk_full: db down",
                "source": body["payload"]["source"],
                "severity": "critical",
                "timestamp": alert["triggered_at"],
                "class": "disk_full",
                "custom_details": {
                    "alert_id": alert["id"],
                    "message": "db down",
                    "context": {"db": "main"},
                },
            },
            "client": "vitals",
        })
    );
    assert!(
        !body["payload"]["source"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
}

#[test]
fn pagerduty_400_is_final_429_and_5xx_are_retried() {
    let pd = PagerDuty::new(HttpServer::replying(Reply::json(
        400,
        &json!({"status": "invalid event", "message": "Event object is invalid", "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"]}),
    )));
    let (out, alert) = pd.send(&[]);
    out.assert_code(2);
    assert_eq!(
        error_of(&alert, 0),
        format!(
            "127.0.0.1:{}: HTTP 400: Event object is invalid: Length of 'routing_key' is \
             incorrect (should be 32 characters)",
            pd.server.port()
        )
    );
    assert_eq!(pd.server.request_count(), 1);

    let pd = PagerDuty::new(HttpServer::sequence(vec![
        Reply::json(
            429,
            &json!({"status": "throttle event", "message": "Requests for this service are arriving too quickly. Please retry later."}),
        )
        .header("Retry-After", "1"),
        Reply::status(502),
        pagerduty_accepted(),
    ]));
    let (out, alert) = pd.send(&[]);
    out.assert_code(0);
    assert_eq!(statuses(&alert, 0), [json!(429), json!(502), json!(202)]);
    assert_eq!(
        deliveries(&alert)[0]["history"][0]["error"],
        "HTTP 429: Requests for this service are arriving too quickly. Please retry later."
    );
    assert!(out.elapsed >= Duration::from_secs(1), "{:?}", out.elapsed);
}

#[test]
fn pagerduty_hanging_is_bounded_by_the_timeout() {
    let pd = PagerDuty::new(HttpServer::replying(Reply::Hang));
    let (out, alert) = pd.send(&["--timeout", "300ms"]);
    out.assert_code(2);
    assert_eq!(
        error_of(&alert, 0),
        format!(
            "127.0.0.1:{}: timed out after 300 ms; gave up after 3 attempts",
            pd.server.port()
        )
    );
    out.assert_within(Duration::from_secs(2));
}

// --- SendGrid ------------------------------------------------------------

struct SendGrid {
    server: HttpServer,
    key: String,
}

impl SendGrid {
    fn new(server: HttpServer) -> SendGrid {
        SendGrid {
            server,
            key: secret("SG."),
        }
    }

    fn send(&self, message: &str) -> (Outcome, Value) {
        let out = Test::new()
            .env("EMAIL_PROVIDER", "sendgrid")
            .env("SENDGRID_API_KEY", &self.key)
            .env("SENDGRID_BASE_URL", self.server.url())
            .env(
                "ALERT_EMAIL_RECIPIENTS",
                "ops@example.com,oncall@example.com",
            )
            .env("ALERT_SENDER_EMAIL", "noc@example.com")
            .env("ALERT_RETRY_BACKOFF", "10ms")
            .args(send_args("warning", message))
            .run();
        out.assert_no_secrets(&[&self.key]);
        let json = out.json();
        (out, json)
    }
}

#[test]
fn sendgrid_gets_both_parts_for_every_recipient() {
    let sg = SendGrid::new(HttpServer::replying(
        Reply::status(202).header("X-Message-Id", "sg-msg-1"),
    ));
    let message = hostile_message();
    let (out, alert) = sg.send(&message);
    out.assert_code(0);
    assert_eq!(
        summary(&alert),
        [
            ("ops@example.com".to_owned(), "delivered".to_owned(), 1),
            ("oncall@example.com".to_owned(), "delivered".to_owned(), 1),
        ]
    );
    for d in deliveries(&alert) {
        assert_eq!(d["provider"], "sendgrid");
        assert_eq!(d["provider_id"], "sg-msg-1");
    }

    let request = sg.server.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/v3/mail/send");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {}", sg.key).as_str())
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body = request.json();
    assert_eq!(
        body["personalizations"],
        json!([{"to": [{"email": "ops@example.com"}, {"email": "oncall@example.com"}]}])
    );
    assert_eq!(body["from"], json!({"email": "noc@example.com"}));
    assert_eq!(body["subject"], "[WARNING] Digital Agency Alert: disk_full");
    assert_eq!(body["content"][0]["type"], "text/plain");
    assert_eq!(body["content"][1]["type"], "text/html");
    let text = body["content"][0]["value"].as_str().unwrap_or_default();
    assert!(text.contains(&format!("Message: {message}\n")), "{text}");
    let html = body["content"][1]["value"].as_str().unwrap_or_default();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("<h2 style=\"color: #F57C00;\">[WARNING] disk_full</h2>"));
    assert!(html.contains(&format!(
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;single&#39; &quot;double&quot; 🔥 {}</p>",
        "Ж".repeat(300)
    )));
}

#[test]
fn sendgrid_errors_name_the_problem() {
    let sg = SendGrid::new(HttpServer::replying(Reply::json(
        401,
        &json!({"errors": [{"message": "The provided authorization grant is invalid, expired, or revoked", "field": null, "help": null}]}),
    )));
    let (out, alert) = sg.send("db down");
    out.assert_code(2);
    for i in 0..2 {
        assert_eq!(
            error_of(&alert, i),
            format!(
                "127.0.0.1:{}: HTTP 401: The provided authorization grant is invalid, expired, \
                 or revoked",
                sg.server.port()
            )
        );
    }
    assert_eq!(sg.server.request_count(), 1);

    let sg = SendGrid::new(HttpServer::sequence(vec![Reply::json(
        400,
        &json!({"errors": [{"message": "The from email does not contain a valid address.", "field": "from.email", "help": "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.from"}]}),
    )]));
    let (out, alert) = sg.send("db down");
    out.assert_code(2);
    assert_eq!(
        error_of(&alert, 0),
        format!(
            "127.0.0.1:{}: HTTP 400: The from email does not contain a valid address. (field \
             from.email)",
            sg.server.port()
        )
    );
}

#[test]
fn sendgrid_retries_a_server_error() {
    let sg = SendGrid::new(HttpServer::sequence(vec![
        Reply::status(503),
        Reply::status(202).header("X-Message-Id", "sg-msg-2"),
    ]));
    let (out, alert) = sg.send("db down");
    out.assert_code(0);
    assert_eq!(statuses(&alert, 0), [json!(503), json!(202)]);
    assert_eq!(statuses(&alert, 1), [json!(503), json!(202)]);
    assert_eq!(sg.server.request_count(), 2);
}
