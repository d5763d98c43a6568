//! Critical services: by default some services failing make `check services`
//! degraded (the rule of the Python module vitals replaces); a service marked
//! critical (`VITALS_CRITICAL_SERVICES` for the built-ins, `critical = true`
//! in vitals.toml) makes it unhealthy when it fails.

use serde_json::json;

use crate::support::cmd::{Outcome, Test};
use crate::support::http::{HttpServer, Reply};

/// Anthropic and HubSpot reject their keys; SendGrid accepts its own.
struct Apis {
    anthropic: HttpServer,
    hubspot: HttpServer,
    sendgrid: HttpServer,
}

impl Apis {
    fn start() -> Apis {
        Apis {
            anthropic: HttpServer::replying(Reply::json(
                401,
                &json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
            )),
            hubspot: HttpServer::replying(Reply::json(
                401,
                &json!({"status": "error", "message": "bad token", "category": "INVALID_AUTHENTICATION"}),
            )),
            sendgrid: HttpServer::replying(Reply::json(200, &json!({"scopes": ["mail.send"]}))),
        }
    }

    fn test(&self) -> Test {
        Test::new()
            .env("ANTHROPIC_API_KEY", "sk-ant-critical-test-1")
            .env("ANTHROPIC_BASE_URL", self.anthropic.url())
            .env("HUBSPOT_API_KEY", "pat-critical-test-2")
            .env("HUBSPOT_BASE_URL", self.hubspot.url())
            .env("SENDGRID_API_KEY", "SG.critical-test-3")
            .env("SENDGRID_BASE_URL", self.sendgrid.url())
    }
}

fn check(test: Test) -> Outcome {
    test.args(["check", "services", "--json"]).run()
}

#[test]
fn two_rejected_keys_of_three_only_degrade_by_default() {
    let apis = Apis::start();
    let out = check(apis.test());
    out.assert_code(1);
    let v = out.json();
    assert_eq!(v["status"], "degraded");
    assert_eq!(
        v["message"],
        "2 of 3 configured services not healthy: anthropic_api (unhealthy), hubspot_api (unhealthy)"
    );
    assert!(v.get("critical_services").is_none(), "{v}");
}

#[test]
fn a_critical_service_that_fails_makes_the_check_unhealthy() {
    let apis = Apis::start();
    // The short name of SPEC's vocabulary is taken as well as the canonical one.
    let out = check(apis.test().env("VITALS_CRITICAL_SERVICES", "anthropic"));
    out.assert_code(2);
    let v = out.json();
    assert_eq!(v["status"], "unhealthy");
    assert_eq!(
        v["message"],
        "critical service anthropic_api unhealthy: API key rejected (HTTP 401: \
         authentication_error: invalid x-api-key)"
    );
    assert_eq!(v["critical_services"], json!(["anthropic_api"]));

    let out = check(
        apis.test()
            .env("VITALS_CRITICAL_SERVICES", "anthropic_api, hubspot"),
    );
    out.assert_code(2);
    assert_eq!(
        out.json()["message"],
        "2 critical services unhealthy: anthropic_api, hubspot_api"
    );

    // A critical service that answers keeps the default rule for the others.
    let out = check(apis.test().env("VITALS_CRITICAL_SERVICES", "sendgrid"));
    out.assert_code(1);
    assert_eq!(out.json()["status"], "degraded");
}

#[test]
fn a_declared_endpoint_is_marked_critical_in_vitals_toml() {
    let down = HttpServer::replying(Reply::status(503));
    let up = HttpServer::replying(Reply::text(200, "ok"));
    let test = Test::new();
    test.write_file(
        "vitals.toml",
        format!(
            "[[service]]\nname = \"billing\"\nurl = \"{}/health\"\ncritical = true\n\n\
             [[service]]\nname = \"docs\"\nurl = \"{}/\"\n",
            down.url(),
            up.url()
        ),
    );
    let out = check(test);
    out.assert_code(2);
    let v = out.json();
    assert_eq!(
        v["message"],
        "critical service billing unhealthy: server error (HTTP 503)"
    );
    assert_eq!(v["critical_services"], json!(["billing"]));

    let test = Test::new();
    test.write_file(
        "vitals.toml",
        format!(
            "[[service]]\nname = \"billing\"\nurl = \"{}/health\"\ncritical = \"yes\"\n",
            down.url()
        ),
    );
    let out = check(test);
    out.assert_code(3).assert_stderr_contains(
        "VITALS_CONFIG: vitals.toml:4: service \"billing\": critical: expected true or false, got string",
    );
}

#[test]
fn unknown_critical_services_are_refused_with_a_suggestion() {
    let apis = Apis::start();
    let out = check(apis.test().env("VITALS_CRITICAL_SERVICES", "antropic"));
    out.assert_code(3).assert_stderr_contains(
        "VITALS_CRITICAL_SERVICES: unknown service `antropic` — did you mean `anthropic`? \
         (expected anthropic_api, hubspot_api, sendgrid_api, or anthropic, hubspot, sendgrid)",
    );
    // No result: the document that says why.
    assert_eq!(out.json()["status"], "unknown");

    let out = check(Test::new().env("VITALS_CRITICAL_SERVICES", "hubspot"));
    out.assert_code(3).assert_stderr_contains(
        "VITALS_CRITICAL_SERVICES: `hubspot_api` is critical, but HUBSPOT_API_KEY is not set",
    );

    let test = apis.test().env("VITALS_CRITICAL_SERVICES", "billing");
    test.write_file(
        "vitals.toml",
        format!(
            "[[service]]\nname = \"billing\"\nurl = \"{}/\"\n",
            apis.sendgrid.url()
        ),
    );
    let out = check(test);
    out.assert_code(3).assert_stderr_contains(
        "VITALS_CRITICAL_SERVICES: `billing` is declared in vitals.toml: mark it there with critical = true",
    );
}
