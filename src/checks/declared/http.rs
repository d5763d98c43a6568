//! `kind = "http"`: an HTTP endpoint with the fields of a `[[service]]`
//! (`url`, `method`, `expect_status`, `headers`, `body_contains`,
//! `slow_ms`), judged as `check services` judges those, but a check of its
//! own: its own status, alerts and history. `${VAR}` may stand in the URL.

use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::time::Instant;

use super::perfdata::{PerfItem, Range};
use super::{CheckKind, Outcome, Probe};
use crate::checks::services::Endpoint;

pub const KIND: CheckKind = CheckKind {
    name: "http",
    // Read by the file's walk as a [[service]]'s fields are; listed for messages.
    fields: &[
        "url",
        "method",
        "expect_status",
        "headers",
        "body_contains",
        "slow_ms",
    ],
    read: |f, r, trust| {
        let endpoint = Endpoint::new(f.endpoint()?, r, trust);
        Some(Box::new(Http(endpoint)) as Box<dyn Probe>)
    },
};

struct Http(Endpoint);

impl Probe for Http {
    fn target(&self) -> String {
        self.0.target()
    }

    fn run(&self, deadline: Instant, limit: Duration) -> BoxFuture<'_, Outcome> {
        Box::pin(async move {
            let result = self.0.check(limit, deadline).await;
            let elapsed = result
                .response_time_ms
                .map(|ms| Duration::from_secs_f64(ms / 1000.0));
            let mut time = PerfItem::new("time", elapsed.map(|e| e.as_secs_f64()), "s");
            time.warn = Some(Range {
                start: Some(0.0),
                end: Some(result.slow.as_secs_f64()),
                inside: false,
            });
            time.min = Some(0.0);
            // A failure already names the host and port it tried.
            let message = match result.status_code {
                Some(_) => format!("{}: {}", self.0.target(), result.message),
                None => result.message,
            };
            let mut outcome = Outcome::new(result.status, message)
            .detail("status_code", result.status_code)
            .perf(time);
            outcome.elapsed = elapsed;
            outcome
        })
    }
}
