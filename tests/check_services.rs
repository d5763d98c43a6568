//! `vitals check services` against local stand-ins for Anthropic, HubSpot and
//! SendGrid that check each request exactly as the real API would and answer
//! with its real success and error bodies, and against the user's own
//! endpoints declared in `vitals.toml`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::certs::TestCa;
use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply, Request};
use crate::support::net::free_port;
use crate::support::random_token;

/// One built-in API as the real provider serves it.
struct Api {
    name: &'static str,
    key_var: &'static str,
    base_var: &'static str,
    /// Method and target of the one request vitals sends.
    target: &'static str,
    /// The authentication header and its value for a key.
    auth: fn(&str) -> (&'static str, String),
    /// Other headers the provider requires.
    required: &'static [(&'static str, &'static str)],
    ok: fn() -> Value,
    rejected: fn() -> Value,
}

static ANTHROPIC: Api = Api {
    name: "anthropic_api",
    key_var: "ANTHROPIC_API_KEY",
    base_var: "ANTHROPIC_BASE_URL",
    target: "/v1/models?limit=1",
    auth: |key| ("x-api-key", key.to_owned()),
    required: &[("anthropic-version", "2023-06-01")],
    ok: || {
        json!({
            "data": [{
                "type": "model",
                "id": "claude-opus-4-1-20250805",
                "display_name": "Claude Opus 4.1",
                "created_at": "2025-08-05T00:00:00Z"
            }],
            "has_more": true,
            "first_id": "claude-opus-4-1-20250805",
            "last_id": "claude-opus-4-1-20250805"
        })
    },
    rejected: || {
        json!({
            "type": "error",
            "error": {"type": "authentication_error", "message": "invalid x-api-key"},
            "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
        })
    },
};

static HUBSPOT: Api = Api {
    name: "hubspot_api",
    key_var: "HUBSPOT_API_KEY",
    base_var: "HUBSPOT_BASE_URL",
    target: "/account-info/v3/details",
    auth: |key| ("authorization", format!("Bearer {key}")),
    required: &[],
    ok: || {
        json!({
            "portalId": 21453987,
            "accountType": "STANDARD",
            "timeZone": "US/Eastern",
            "companyCurrency": "USD",
            "additionalCurrencies": [],
            "utcOffset": "-04:00",
            "utcOffsetMilliseconds": -14400000,
            "uiDomain": "app.hubspot.com",
            "dataHostingLocation": "na1"
        })
    },
    rejected: || {
        json!({
            "status": "error",
            "message": "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            "correlationId": "4c0bfc4b-1f7a-4a8e-9d8e-0a6c3f1e2b7d",
            "category": "INVALID_AUTHENTICATION"
        })
    },
};

static SENDGRID: Api = Api {
    name: "sendgrid_api",
    key_var: "SENDGRID_API_KEY",
    base_var: "SENDGRID_BASE_URL",
    target: "/v3/scopes",
    auth: |key| ("authorization", format!("Bearer {key}")),
    required: &[],
    ok: || json!({"scopes": ["mail.send"]}),
    rejected: || json!({"errors": [{"field": null, "message": "authorization required"}]}),
};

static APIS: [&Api; 3] = [&ANTHROPIC, &HUBSPOT, &SENDGRID];

impl Api {
    /// Answers as the provider does: 404 elsewhere, 400 without a required
    /// header, 401 unless the key is `key`.
    fn handler(&'static self, key: &str) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
        let (auth_name, auth_value) = (self.auth)(key);
        move |req| {
            if req.method != "GET" || req.target != self.target {
                return Reply::json(404, &json!({"message": "not found"}));
            }
            if let Some((name, _)) = self
                .required
                .iter()
                .find(|(name, value)| req.header(name) != Some(*value))
            {
                return Reply::json(
                    400,
                    &json!({"message": format!("{name}: header is required")}),
                );
            }
            if req.header(auth_name) == Some(auth_value.as_str()) {
                Reply::json(200, &(self.ok)())
            } else {
                Reply::json(401, &(self.rejected)())
            }
        }
    }

    /// The one request vitals must have sent, exactly.
    fn assert_request(&self, server: &HttpServer, key: &str) {
        let req = server.only_request();
        assert_eq!(
            (req.method.as_str(), req.target.as_str()),
            ("GET", self.target)
        );
        let (auth_name, auth_value) = (self.auth)(key);
        assert_eq!(req.header(auth_name), Some(auth_value.as_str()), "{req:?}");
        for (name, value) in self.required {
            assert_eq!(req.header(name), Some(*value), "{req:?}");
        }
        assert_eq!(
            req.header("user-agent"),
            Some(concat!("vitals/", env!("CARGO_PKG_VERSION"))),
            "{req:?}"
        );
    }
}

fn key(api: &Api) -> String {
    format!("{}-key-{}", api.name, random_token())
}

fn with_api(test: Test, api: &Api, key: &str, base_url: &str) -> Test {
    test.env(api.key_var, key).env(api.base_var, base_url)
}

fn check_services(test: Test) -> Outcome {
    test.args(["check", "services", "--json"]).run()
}

/// A service's entry: exactly the seed's four fields, with these values.
fn assert_service(v: &Value, name: &str, status: &str, code: Option<u16>, message: &str) {
    let entry = &v["services"][name];
    let keys: Vec<&String> = entry
        .as_object()
        .unwrap_or_else(|| panic!("no service {name} in {v}"))
        .keys()
        .collect();
    assert_eq!(
        keys,
        ["status", "response_time_ms", "status_code", "message"],
        "{name}"
    );
    assert_eq!(entry["status"], status, "{name}: {entry}");
    assert_eq!(entry["status_code"], json!(code), "{name}: {entry}");
    assert_eq!(entry["message"], message, "{name}: {entry}");
    // Without an answer there is no time to report.
    match code {
        Some(_) => assert!(
            entry["response_time_ms"].as_f64().is_some_and(|t| t >= 0.0),
            "{name}: {entry}"
        ),
        None => assert_eq!(entry["response_time_ms"], Value::Null, "{name}: {entry}"),
    }
}

fn response_time(v: &Value, name: &str) -> f64 {
    v["services"][name]["response_time_ms"]
        .as_f64()
        .unwrap_or_else(|| panic!("{name} has no response time: {v}"))
}

#[test]
fn valid_keys_are_accepted_by_every_provider() {
    let keys: Vec<String> = APIS.iter().map(|api| key(api)).collect();
    let servers: Vec<HttpServer> = APIS
        .iter()
        .zip(&keys)
        .map(|(api, key)| HttpServer::start(api.handler(key)))
        .collect();
    let test = APIS
        .iter()
        .zip(&keys)
        .zip(&servers)
        .fold(Test::new(), |t, ((api, key), server)| {
            with_api(t, api, key, &server.url())
        });
    let out = check_services(test);
    out.assert_code(0)
        .assert_no_secrets(&keys.iter().map(String::as_str).collect::<Vec<_>>());
    let v = out.json();
    let top: Vec<&String> = v.as_object().expect("object").keys().collect();
    assert_eq!(
        top,
        [
            "status",
            "services",
            "total_services",
            "configured_services",
            "message"
        ]
    );
    assert_eq!(v["status"], "healthy");
    assert_eq!(v["message"], "External services operational");
    assert_eq!(v["total_services"], 3);
    assert_eq!(v["configured_services"], 3);
    for ((api, key), server) in APIS.iter().zip(&keys).zip(&servers) {
        assert_service(&v, api.name, "healthy", Some(200), "API key accepted");
        api.assert_request(server, key);
    }
}

#[test]
fn rejected_keys_are_unhealthy_with_the_provider_error() {
    let servers: Vec<HttpServer> = APIS
        .iter()
        .map(|api| HttpServer::start(api.handler("the-right-key")))
        .collect();
    let wrong: Vec<String> = APIS.iter().map(|api| key(api)).collect();
    let test = APIS
        .iter()
        .zip(&wrong)
        .zip(&servers)
        .fold(Test::new(), |t, ((api, key), server)| {
            with_api(t, api, key, &server.url())
        });
    let out = check_services(test);
    out.assert_code(2)
        .assert_no_secrets(&wrong.iter().map(String::as_str).collect::<Vec<_>>());
    let v = out.json();
    assert_eq!(v["status"], "unhealthy");
    assert_eq!(
        v["message"],
        "all 3 configured services unhealthy: anthropic_api, hubspot_api, sendgrid_api"
    );
    assert_service(
        &v,
        "anthropic_api",
        "unhealthy",
        Some(401),
        "API key rejected (HTTP 401: authentication_error: invalid x-api-key)",
    );
    assert_service(
        &v,
        "hubspot_api",
        "unhealthy",
        Some(401),
        "API key rejected (HTTP 401: INVALID_AUTHENTICATION)",
    );
    assert_service(
        &v,
        "sendgrid_api",
        "unhealthy",
        Some(401),
        "API key rejected (HTTP 401: authorization required)",
    );
}

#[test]
fn an_expired_hubspot_token_says_so() {
    let server = HttpServer::replying(Reply::json(
        401,
        &json!({
            "status": "error",
            "message": "The OAuth token used to make this call expired 2 day(s) ago.",
            "correlationId": "0d3b6a4c-8f0e-4f59-a2a5-3c7b8a0d9e11",
            "category": "EXPIRED_AUTHENTICATION"
        }),
    ));
    let token = key(&HUBSPOT);
    let out = check_services(with_api(Test::new(), &HUBSPOT, &token, &server.url()));
    out.assert_code(2).assert_no_secrets(&[&token]);
    let v = out.json();
    assert_eq!(v["configured_services"], 1);
    assert_service(
        &v,
        "hubspot_api",
        "unhealthy",
        Some(401),
        "API key rejected (HTTP 401: EXPIRED_AUTHENTICATION)",
    );
    // With one configured service, the summary is that service's story.
    assert_eq!(
        v["message"],
        "hubspot_api: API key rejected (HTTP 401: EXPIRED_AUTHENTICATION)"
    );
    assert_eq!(
        v["services"]["anthropic_api"],
        json!({"status": "unconfigured", "message": "not configured: set ANTHROPIC_API_KEY"})
    );
}

#[test]
fn rate_limits_degrade_and_server_errors_fail() {
    let limited = HttpServer::replying(
        Reply::json(
            429,
            &json!({"type": "error", "error": {"type": "rate_limit_error", "message": "Number of requests has exceeded your rate limit"}}),
        )
        .header("retry-after", "30"),
    );
    let failing = HttpServer::replying(Reply::text(500, "Internal Server Error"));
    let sendgrid_key = key(&SENDGRID);
    let healthy = HttpServer::start(SENDGRID.handler(&sendgrid_key));
    let test = with_api(Test::new(), &ANTHROPIC, &key(&ANTHROPIC), &limited.url());
    let test = with_api(test, &HUBSPOT, &key(&HUBSPOT), &failing.url());
    let test = with_api(test, &SENDGRID, &sendgrid_key, &healthy.url());
    let out = check_services(test);
    out.assert_code(1);
    let v = out.json();
    assert_eq!(v["status"], "degraded");
    assert_eq!(
        v["message"],
        "2 of 3 configured services not healthy: anthropic_api (degraded), hubspot_api (unhealthy)"
    );
    assert_service(
        &v,
        "anthropic_api",
        "degraded",
        Some(429),
        "rate limited (HTTP 429, retry after 30.0 s)",
    );
    assert_service(
        &v,
        "hubspot_api",
        "unhealthy",
        Some(500),
        "server error (HTTP 500)",
    );
    assert_service(&v, "sendgrid_api", "healthy", Some(200), "API key accepted");

    // Anthropic's overload answer carries its error type.
    let overloaded = HttpServer::replying(Reply::json(
        529,
        &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ));
    let out = check_services(with_api(
        Test::new(),
        &ANTHROPIC,
        &key(&ANTHROPIC),
        &overloaded.url(),
    ));
    out.assert_code(2);
    assert_service(
        &out.json(),
        "anthropic_api",
        "unhealthy",
        Some(529),
        "server error (HTTP 529: overloaded_error: Overloaded)",
    );
}

#[test]
fn a_slow_answer_is_degraded() {
    let key = key(&SENDGRID);
    let handler = SENDGRID.handler(&key);
    let server = HttpServer::start(move |req| handler(req).after(Duration::from_millis(300)));
    let out = check_services(
        with_api(Test::new(), &SENDGRID, &key, &server.url()).env("SERVICE_SLOW_MS", "100"),
    );
    out.assert_code(1);
    let v = out.json();
    let ms = response_time(&v, "sendgrid_api");
    assert!((300.0..1000.0).contains(&ms), "{v}");
    // Whole milliseconds, cut rather than rounded: 337.996 ms (338.0 in JSON) is "337 ms".
    let whole = if v["services"]["sendgrid_api"]["message"]
        == format!("slow: answered in {} ms (threshold 100 ms)", ms.floor())
    {
        ms.floor()
    } else {
        (ms - 0.01).floor()
    };
    assert_service(
        &v,
        "sendgrid_api",
        "degraded",
        Some(200),
        &format!("slow: answered in {whole} ms (threshold 100 ms)"),
    );
}

#[test]
fn hanging_refused_and_unresolvable_services_are_unhealthy_within_the_timeout() {
    let hanging = HttpServer::replying(Reply::Hang);
    let test = with_api(Test::new(), &ANTHROPIC, &key(&ANTHROPIC), &hanging.url());
    let refusing = free_port();
    let test = with_api(
        test,
        &HUBSPOT,
        &key(&HUBSPOT),
        &format!("http://127.0.0.1:{refusing}"),
    );
    let test = with_api(
        test,
        &SENDGRID,
        &key(&SENDGRID),
        "https://vitals-test-no-such-host.invalid",
    );
    let out = check_services(test.args(["--timeout", "1s"]));
    out.assert_code(2);
    let v = out.json();
    assert_service(
        &v,
        "anthropic_api",
        "unhealthy",
        None,
        &format!("127.0.0.1:{}: timed out after 1.0 s", hanging.port()),
    );
    assert_service(
        &v,
        "hubspot_api",
        "unhealthy",
        None,
        &format!("127.0.0.1:{refusing}: connection refused"),
    );
    assert_service(
        &v,
        "sendgrid_api",
        "unhealthy",
        None,
        "vitals-test-no-such-host.invalid:443: could not resolve the host name",
    );
    // Given up 20 ms before the deadline; a busy machine may wake the check late.
    assert!(out.elapsed >= Duration::from_millis(950), "{v}");
    out.assert_within(Duration::from_millis(2000));
    assert_eq!(hanging.request_count(), 1);
}

#[test]
fn one_hanging_service_costs_one_timeout_not_the_sum() {
    let hanging = HttpServer::replying(Reply::Hang);
    let (hubspot_key, sendgrid_key) = (key(&HUBSPOT), key(&SENDGRID));
    let hubspot = HttpServer::start(HUBSPOT.handler(&hubspot_key));
    let sendgrid = HttpServer::start(SENDGRID.handler(&sendgrid_key));
    let test = with_api(Test::new(), &ANTHROPIC, &key(&ANTHROPIC), &hanging.url());
    let test = with_api(test, &HUBSPOT, &hubspot_key, &hubspot.url());
    let test = with_api(test, &SENDGRID, &sendgrid_key, &sendgrid.url());
    let out = check_services(test.args(["--timeout", "1500ms"]));
    out.assert_code(1);
    let v = out.json();
    assert_eq!(v["status"], "degraded");
    assert_eq!(
        v["message"],
        "1 of 3 configured services not healthy: anthropic_api (unhealthy)"
    );
    assert_service(
        &v,
        "anthropic_api",
        "unhealthy",
        None,
        &format!("127.0.0.1:{}: timed out after 1.5 s", hanging.port()),
    );
    assert_service(&v, "hubspot_api", "healthy", Some(200), "API key accepted");
    assert_service(&v, "sendgrid_api", "healthy", Some(200), "API key accepted");
    // The two that answer do not wait for the one that hangs, nor it for them.
    assert!(response_time(&v, "hubspot_api") < 500.0, "{v}");
    assert!(
        out.elapsed >= Duration::from_millis(1400) && out.elapsed < Duration::from_millis(2300),
        "took {:?}",
        out.elapsed
    );
}

#[test]
fn tls_trusts_ssl_cert_file_and_refuses_an_unknown_ca() {
    let ca = TestCa::new("vitals services test CA");
    let key = key(&ANTHROPIC);
    let server = HttpServer::start_tls(&ca.issue(&["localhost"]), ANTHROPIC.handler(&key));
    assert!(server.url().starts_with("https://localhost:"));
    let out = check_services(
        with_api(Test::new(), &ANTHROPIC, &key, &server.url()).env("SSL_CERT_FILE", ca.ca_path()),
    );
    out.assert_code(0).assert_no_secrets(&[&key]);
    assert_service(
        &out.json(),
        "anthropic_api",
        "healthy",
        Some(200),
        "API key accepted",
    );
    ANTHROPIC.assert_request(&server, &key);

    let other = TestCa::new("some other CA");
    let out = check_services(
        with_api(Test::new(), &ANTHROPIC, &key, &server.url())
            .env("SSL_CERT_FILE", other.ca_path()),
    );
    out.assert_code(2).assert_no_secrets(&[&key]);
    assert_service(
        &out.json(),
        "anthropic_api",
        "unhealthy",
        None,
        &format!(
            "localhost:{}: server certificate is not signed by a trusted CA (unknown issuer; \
             set SSL_CERT_FILE or sslrootcert)",
            server.port()
        ),
    );
    // The handshake failed: the key never left the process.
    assert_eq!(server.request_count(), 1);
}

#[test]
fn keys_echoed_back_by_a_server_are_never_printed() {
    let key = key(&ANTHROPIC);
    let echo = key.clone();
    let server = HttpServer::replying(Reply::json(
        401,
        &json!({"type": "error", "error": {"type": "authentication_error", "message": format!("invalid x-api-key: {echo}")}}),
    ));
    for format in ["json", "table"] {
        let out = with_api(Test::new(), &ANTHROPIC, &key, &server.url())
            .args(["check", "services", "-vv", "--format", format])
            .run();
        out.assert_code(2)
            .assert_no_secrets(&[&key])
            .assert_stdout_contains(
                "API key rejected (HTTP 401: authentication_error: invalid x-api-key: ***)",
            );
    }
}

/// The user's endpoints: one server, one path per behaviour.
fn endpoints_server(token: &str) -> HttpServer {
    let bearer = format!("Bearer {token}");
    HttpServer::start(move |req| match (req.method.as_str(), req.path()) {
        ("GET", "/health") => {
            if req.header("authorization") == Some(bearer.as_str())
                && req.header("x-client") == Some("vitals")
            {
                Reply::text(200, "ok")
            } else {
                Reply::json(401, &json!({"message": "missing or bad token"}))
            }
        }
        ("HEAD", "/head") => Reply::status(204),
        (_, "/private") => Reply::json(401, &json!({"message": "login required"})),
        (_, "/denied") => Reply::json(403, &json!({"message": "forbidden for this token"})),
        (_, "/status") => Reply::json(200, &json!({"state": "red"})),
        (_, "/moved") => Reply::status(302).header("location", "/elsewhere"),
        (_, "/hang") => Reply::Hang,
        _ => Reply::status(404),
    })
}

#[test]
fn declared_endpoints_are_checked_beside_the_builtins() {
    let token = format!("endpoint-token-{}", random_token());
    let server = endpoints_server(&token);
    let base = server.url();
    let test = Test::new();
    test.write_file(
        "vitals.toml",
        format!(
            r#"# The user's own endpoints.
[[service]]
name = "billing"
url = "{base}/health"
headers = {{ Authorization = "Bearer ${{BILLING_TOKEN}}", X-Client = "vitals" }}

[[service]]
name = "cdn"
url = "{base}/head"
method = "HEAD"
expect_status = "2xx"

[[service]]
name = "admin"
url = "{base}/private"
expect_status = [401]

[[service]]
name = "search"
url = "{base}/status"
body_contains = "green"

[[service]]
name = "docs"
url = "{base}/missing"

[[service]]
name = "legacy"
url = "{base}/moved"

[[service]]
name = "reports"
url = "{base}/denied"

[[service]]
name = "queue"
url = "{base}/hang"
timeout = "300ms"
"#
        ),
    );
    let out = check_services(test.env("BILLING_TOKEN", &token));
    out.assert_code(1).assert_no_secrets(&[&token]);
    let v = out.json();
    assert_eq!(v["total_services"], 11);
    assert_eq!(v["configured_services"], 8);
    let names: Vec<&String> = v["services"]
        .as_object()
        .expect("services")
        .keys()
        .collect();
    assert_eq!(
        names,
        [
            "anthropic_api",
            "hubspot_api",
            "sendgrid_api",
            "billing",
            "cdn",
            "admin",
            "search",
            "docs",
            "legacy",
            "reports",
            "queue"
        ]
    );
    assert_service(&v, "billing", "healthy", Some(200), "HTTP 200");
    assert_service(&v, "cdn", "healthy", Some(204), "HTTP 204");
    assert_service(&v, "admin", "healthy", Some(401), "HTTP 401");
    assert_service(
        &v,
        "search",
        "unhealthy",
        Some(200),
        "HTTP 200, but the body does not contain \"green\"",
    );
    assert_service(
        &v,
        "docs",
        "unhealthy",
        Some(404),
        "unexpected HTTP 404 (expected 200-399)",
    );
    assert_service(&v, "legacy", "healthy", Some(302), "HTTP 302");
    assert_service(
        &v,
        "reports",
        "unhealthy",
        Some(403),
        "credentials rejected (HTTP 403: forbidden for this token)",
    );
    assert_service(
        &v,
        "queue",
        "unhealthy",
        None,
        &format!("127.0.0.1:{}: timed out after 300 ms", server.port()),
    );
    assert_eq!(v["status"], "degraded");
    assert_eq!(
        v["message"],
        "4 of 8 configured services not healthy: search (unhealthy), docs (unhealthy), reports (unhealthy), queue (unhealthy)"
    );

    let requests = server.requests();
    let billing = requests
        .iter()
        .find(|r| r.path() == "/health")
        .expect("billing request");
    assert_eq!(billing.method, "GET");
    assert_eq!(
        billing.header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert_eq!(billing.header("x-client"), Some("vitals"));
    let cdn = requests
        .iter()
        .find(|r| r.path() == "/head")
        .expect("cdn request");
    assert_eq!(cdn.method, "HEAD");
    // One request per service: the redirect was reported, not followed.
    assert_eq!(requests.len(), 8, "{requests:#?}");
    assert!(requests.iter().all(|r| r.path() != "/elsewhere"));
}

#[test]
fn vitals_config_names_another_file() {
    let server = HttpServer::replying(Reply::text(200, "ok"));
    let test = Test::new();
    let file = test.write_file(
        "etc/endpoints.toml",
        format!("[[service]]\nname = \"api\"\nurl = \"{}/\"\n", server.url()),
    );
    let out = check_services(test.env("VITALS_CONFIG", &file));
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["status"], "healthy");
    assert_eq!(
        (
            v["total_services"].as_u64(),
            v["configured_services"].as_u64()
        ),
        (Some(4), Some(1))
    );
    assert_service(&v, "api", "healthy", Some(200), "HTTP 200");
}

#[test]
fn two_hundred_declared_endpoints_are_all_reported() {
    let server = HttpServer::replying(Reply::text(200, "ok").after(Duration::from_millis(100)));
    let test = Test::new();
    let mut file = String::new();
    for i in 0..200 {
        file.push_str(&format!(
            "[[service]]\nname = \"endpoint-{i:03}\"\nurl = \"{}/e/{i}\"\n\n",
            server.url()
        ));
    }
    test.write_file("vitals.toml", file);
    let out = check_services(test);
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["total_services"], 203);
    assert_eq!(v["configured_services"], 200);
    for i in 0..200 {
        assert_service(
            &v,
            &format!("endpoint-{i:03}"),
            "healthy",
            Some(200),
            "HTTP 200",
        );
    }
    let mut paths: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.path().to_owned())
        .collect();
    paths.sort();
    let mut expected: Vec<String> = (0..200).map(|i| format!("/e/{i}")).collect();
    expected.sort();
    assert_eq!(paths, expected);
    // 200 × 100 ms one after another would be 20 s; in parallel it is two rounds.
    out.assert_within(Duration::from_secs(3));
}

#[test]
fn config_file_errors_name_the_file_line_and_field() {
    let test = Test::new();
    test.write_file(
        "vitals.toml",
        r#"[[service]]
name = "api"
url = "ftp://api.internal"
retries = 3

[[service]]
name = "api"
url = "http://api2.internal"
headers = { Authorization = "Bearer ${UNSET_TOKEN}" }
expect_status = "600"
"#,
    );
    let expected = [
        "vitals.toml:3: service \"api\": url: expected a URL starting with http:// or https://",
        "vitals.toml:4: service \"api\": unknown field \"retries\" (expected one of: name, url, method, expect_status, headers, body_contains, slow_ms, timeout, critical, failure_threshold, success_threshold, depends_on)",
        "vitals.toml:7: service \"api\": name: duplicate, already declared on line 2",
        "vitals.toml:9: service #2: headers.Authorization: ${UNSET_TOKEN} is not set",
        "vitals.toml:10: service #2: expect_status: expected a status code from 100 to 599, a range such as \"200-299\" or a class such as \"2xx\", got \"600\"",
    ];

    let out = test.args(["check", "services"]).run();
    out.assert_code(3);
    assert_eq!(out.stdout, "");
    let mut lines = vec!["error: invalid configuration".to_owned()];
    lines.extend(expected.iter().map(|e| format!("  VITALS_CONFIG: {e}")));
    assert_eq!(out.stderr, format!("{}\n", lines.join("\n")));

    let test = Test::new();
    test.write_file(
        "vitals.toml",
        "[[service]]\nname = \"a\"\nurl = \"http://a\"\n[[service]\n",
    );
    let out = test.args(["config", "validate", "--json"]).run();
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["groups"]["services"]["status"], "invalid");
    let errors = v["groups"]["services"]["errors"]
        .as_array()
        .expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    let error = errors[0].as_str().unwrap_or_default();
    assert!(
        error.starts_with("VITALS_CONFIG: vitals.toml:4: invalid TOML: "),
        "{error}"
    );
}

#[test]
fn config_validate_reports_the_services_file() {
    let test = Test::new();
    test.write_file(
        "vitals.toml",
        "[[service]]\nname = \"a\"\nurl = \"http://a.internal\"\n\n[[service]]\nname = \"b\"\nurl = \"http://b.internal\"\n",
    );
    let out = test
        .env(
            "SLACK_WEBHOOK_URL",
            "https://hooks.slack.com/services/T/B/x-validate",
        )
        .args(["config", "validate", "--json"])
        .run();
    out.assert_code(0);
    let services = &out.json()["groups"]["services"];
    assert_eq!(services["status"], "configured");
    assert_eq!(
        services["variables"],
        json!({"VITALS_CONFIG": "vitals.toml (2 services declared)"})
    );
    assert_eq!(services["errors"], json!([]));
}

#[test]
fn header_values_from_the_environment_are_never_printed() {
    let token = format!("env-header-secret-{}", random_token());
    // The server quotes the request's Authorization header in its error.
    let server = HttpServer::start(|req| {
        Reply::json(
            500,
            &json!({"message": format!("upstream refused {}", req.header("authorization").unwrap_or_default())}),
        )
    });
    let run = |args: &[&str]| {
        let test = Test::new();
        test.write_file(
            "vitals.toml",
            format!(
                "[[service]]\nname = \"billing\"\nurl = \"{}/\"\nheaders = {{ Authorization = \"Token ${{BILLING_TOKEN}}\" }}\n",
                server.url()
            ),
        );
        test.env("BILLING_TOKEN", &token).args(args).run()
    };
    for format in ["json", "table"] {
        let out = run(&["check", "services", "-vv", "--format", format]);
        out.assert_code(2)
            .assert_no_secrets(&[&token])
            .assert_stdout_contains("server error (HTTP 500: upstream refused ***)");
    }
    let out = run(&["config", "validate", "--json", "-vv"]);
    out.assert_code(1).assert_no_secrets(&[&token]);
}

#[test]
fn check_all_reports_external_services() {
    let key = key(&SENDGRID);
    let server = HttpServer::start(SENDGRID.handler(&key));
    let out = with_api(Test::new(), &SENDGRID, &key, &server.url())
        .args(["check", "all", "--json"])
        .run();
    out.assert_code(0).assert_no_secrets(&[&key]);
    let v = out.json();
    assert_eq!(v["overall_status"], "healthy");
    let checks: Vec<&String> = v["checks"].as_object().expect("checks").keys().collect();
    assert_eq!(checks, ["database", "cache", "agents", "external_services"]);
    let services = &v["checks"]["external_services"];
    assert_eq!(services["status"], "healthy");
    assert_eq!(services["configured_services"], 1);
    assert_service(
        services,
        "sendgrid_api",
        "healthy",
        Some(200),
        "API key accepted",
    );
}

#[test]
fn nothing_configured_is_unconfigured_and_required_means_unhealthy() {
    let out = Test::new().args(["check", "services", "--json"]).run();
    out.assert_code(3).assert_stderr_contains(
        "nothing to check: set ANTHROPIC_API_KEY, HUBSPOT_API_KEY, SENDGRID_API_KEY or VITALS_CONFIG",
    );
    let v = out.json();
    assert_eq!(v["status"], "unconfigured");
    assert_eq!(
        v["message"],
        "not configured: set ANTHROPIC_API_KEY, HUBSPOT_API_KEY, SENDGRID_API_KEY or VITALS_CONFIG"
    );
    assert_eq!(
        (
            v["total_services"].as_u64(),
            v["configured_services"].as_u64()
        ),
        (Some(3), Some(0))
    );

    let out = Test::new()
        .args(["check", "all", "--json", "--require", "services"])
        .run();
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["overall_status"], "unhealthy");
    assert_eq!(
        v["checks"]["external_services"],
        json!({
            "status": "unhealthy",
            "message": "required but not configured: set ANTHROPIC_API_KEY, HUBSPOT_API_KEY, SENDGRID_API_KEY or VITALS_CONFIG"
        })
    );
}

#[test]
fn the_table_has_one_line_per_service() {
    let server = HttpServer::replying(Reply::json(
        401,
        &json!({"status": "error", "message": "expired", "category": "EXPIRED_AUTHENTICATION"}),
    ));
    let out = with_api(Test::new(), &HUBSPOT, &key(&HUBSPOT), &server.url())
        .args(["check", "services"])
        .run();
    out.assert_code(2).assert_no_ansi();
    let rows: Vec<(String, String)> = out
        .stdout
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            match cells.as_slice() {
                ["", field, value, ""] => Some(((*field).to_owned(), (*value).to_owned())),
                _ => None,
            }
        })
        .collect();
    let fields: Vec<&str> = rows.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "FIELD",
            "status",
            "services.anthropic_api",
            "services.hubspot_api",
            "services.sendgrid_api",
            "total_services",
            "configured_services",
            "message"
        ]
    );
    assert_eq!(
        rows[2].1,
        "unconfigured: not configured: set ANTHROPIC_API_KEY"
    );
    let hubspot = &rows[3].1;
    assert!(
        hubspot.starts_with("unhealthy, HTTP 401, ")
            && hubspot.ends_with(" ms: API key rejected (HTTP 401: EXPIRED_AUTHENTICATION)"),
        "{hubspot}"
    );
}

/// Some servers send tens of kilobytes of headers (cookies, CSP, tracing):
/// the response head must fit vitals' read buffer.
#[test]
fn large_response_headers_are_read() {
    let mut reply = Reply::text(200, "ok");
    for i in 0..40 {
        reply = reply.header(&format!("x-filler-{i}"), &"y".repeat(1000));
    }
    let server = HttpServer::replying(reply);
    let test = Test::new();
    test.write_file(
        "vitals.toml",
        format!("[[service]]\nname = \"big\"\nurl = \"{}/\"\n", server.url()),
    );
    let out = test.args(["check", "services", "--json"]).run();
    out.assert_code(0);
    let v = out.json();
    assert_eq!(v["services"]["big"]["status"], "healthy");
    assert_eq!(v["services"]["big"]["status_code"], 200);
}
