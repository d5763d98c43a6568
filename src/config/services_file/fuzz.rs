//! Property tests over user-written files (`fuzz/run` runs them at scale; the
//! case count comes from `PROPTEST_CASES`).

use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

const SECRET: &str = "s3cret-fuzz-§-7";

/// Lines of `[[service]]` tables with right, wrong and odd values.
fn file() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("[[service]]".to_owned()),
        Just("[[services]]".to_owned()),
        "name = \"[ -~]{0,12}\"",
        "name = [0-9]{1,3}",
        "url = \"(https?|ftp)://[a-z0-9.:/?${}_-]{0,20}\"",
        "method = \"(GET|HEAD|head|POST)\"",
        "expect_status = \\[([0-9]{1,4}|\"[0-9x-]{1,8}\"|true)(, *[0-9]{1,4})?\\]",
        "expect_status = \"[0-9xX-]{0,9}\"",
        "headers = \\{ (Authorization|X-Key|\"Bad Header\"|a) = \"(Bearer )?\\$\\{(TOKEN|MISSING|1X)\\}[\r\n]?\" \\}",
        "body_contains = \"[a-z]{0,5}\"",
        "slow_ms = -?[0-9]{1,22}",
        "timeout = (\"[0-9]{0,4}(ms|s|m)?\"|[0-9]{1,22}|1\\.5)",
        "[a-z_]{1,8} = \"x\"",
        "[\\[\\]{}=\"'#a-z \\\\]{0,20}",
    ];
    prop::collection::vec(line, 0..14).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #[test]
    fn any_file_is_read_or_every_problem_is_located(text in prop_oneof![file(), any::<String>()]) {
        redact::forget_all();
        let env = HashMap::from([("TOKEN", SECRET)]);
        let lines = text.lines().count().max(1);
        match parse("vitals.toml", &text, &env, &["anthropic_api"]) {
            Ok(declared) => {
                let services = declared.services;
                let mut names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
                names.sort_unstable();
                names.dedup();
                prop_assert_eq!(names.len(), services.len(), "duplicate names accepted");
                for s in &services {
                    prop_assert!(matches!(s.url.expose().scheme(), "http" | "https"));
                    prop_assert!(s.name != "anthropic_api");
                    for (_, v) in &s.headers {
                        prop_assert!(!v.expose().chars().any(|c| c.is_control() && c != '\t'));
                    }
                }
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in &errors {
                    let shown = e.to_string();
                    prop_assert!(shown.starts_with("vitals.toml:"), "{shown}");
                    prop_assert!(e.line.is_some_and(|l| l >= 1 && l <= lines + 1), "{shown} ({lines} lines)");
                    prop_assert!(!shown.contains(SECRET), "{shown}");
                }
            }
        }
    }

    #[test]
    fn status_ranges_are_inside_what_was_written(text in prop_oneof![any::<String>(), "[0-9]{0,4}(xx|XX|-[0-9]{0,4})?"]) {
        if let Some(r) = parse_status_range(&text) {
            prop_assert!(r.start() <= r.end(), "{text:?} gave {r:?}");
        }
    }
}
