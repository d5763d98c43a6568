//! `VITALS_NOW` moves the binary's clock (a `test-clock` build only): the
//! way tests put one run hours after another without sleeping.

use crate::support::cmd::Test;

fn dry_run(now: Option<&str>) -> crate::support::cmd::Outcome {
    let mut test = Test::new().env(
        "SLACK_WEBHOOK_URL",
        "https://hooks.slack.com/services/T/B/clock",
    );
    if let Some(now) = now {
        test = test.env("VITALS_NOW", now);
    }
    test.args([
        "alert",
        "send",
        "--type",
        "disk_full",
        "--severity",
        "error",
        "--message",
        "full",
        "--dry-run",
        "--json",
    ])
    .run()
}

#[test]
#[cfg_attr(
    not(feature = "test-clock"),
    ignore = "needs a build with --features test-clock"
)]
fn vitals_now_sets_when_an_alert_is_triggered() {
    let out = dry_run(Some("2031-05-06T07:08:09Z"));
    out.assert_code(0);
    let triggered = out.json()["alert"]["triggered_at"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // The clock starts at VITALS_NOW and runs on from there.
    assert!(
        triggered.starts_with("2031-05-06T07:08:"),
        "triggered_at {triggered}"
    );
    let ts = out.json()["messages"][0]["body"]["attachments"][0]["ts"]
        .as_i64()
        .unwrap_or_default();
    assert!(
        (1_935_817_689..1_935_817_749).contains(&ts),
        "Slack ts {ts}"
    );
}

#[test]
#[cfg_attr(
    not(feature = "test-clock"),
    ignore = "needs a build with --features test-clock"
)]
fn a_malformed_vitals_now_is_a_clear_error() {
    let out = dry_run(Some("yesterday"));
    out.assert_code(3);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: VITALS_NOW: expected an RFC 3339 time such as 2026-11-28T07:41:37Z, got \"yesterday\"\n"
    );
}
