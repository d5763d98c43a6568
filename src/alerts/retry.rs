//! When to try again: a few attempts, exponential backoff or the server's
//! `Retry-After`, every attempt bounded by the timeout and the whole delivery
//! by a deadline, so `alert send` always ends in bounded time.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::{Attempt, Timestamp};
use crate::net::http::{self, HttpError};
use crate::text::{millis, one_line};

/// Attempts per notification, except SMS (one per recipient).
pub const ATTEMPTS: u32 = 3;

/// A delivery gives up this many timeouts after it started.
const BUDGET_IN_TIMEOUTS: u32 = 4;

/// No server gets us to wait longer than this between two attempts.
const MAX_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub attempts: u32,
    /// The first wait; it doubles after each failed attempt.
    pub backoff: Duration,
    /// Bounds each attempt.
    pub timeout: Duration,
    /// Bounds each channel's whole delivery, retries and waits included,
    /// counted from when that delivery starts (see [`Schedule`]): a follow-up
    /// sent after a slow one still gets its full budget.
    pub budget: Duration,
    /// For messages that must not arrive twice (SMS): a failure is retried
    /// only when the request certainly had no effect.
    pub at_most_once: bool,
}

impl Policy {
    pub fn new(timeout: Duration, backoff: Duration) -> Policy {
        Policy {
            attempts: ATTEMPTS,
            backoff,
            timeout,
            budget: Policy::budget(timeout),
            at_most_once: false,
        }
    }

    /// The longest one channel's delivery may take, retries and waits included.
    pub fn budget(timeout: Duration) -> Duration {
        timeout.saturating_mul(BUDGET_IN_TIMEOUTS)
    }

    /// The same bounds, for messages that must not arrive twice.
    pub fn at_most_once(self) -> Policy {
        Policy {
            at_most_once: true,
            ..self
        }
    }

    /// The wait after failed attempt `n` (from 1): the server's `Retry-After`
    /// when it gave one, else `backoff × 2^(n-1)`; never above [`MAX_WAIT`].
    fn wait(&self, n: u32, retry_after: Option<Duration>) -> Duration {
        retry_after
            .unwrap_or_else(|| {
                self.backoff
                    .saturating_mul(2u32.saturating_pow(n.saturating_sub(1)))
            })
            .min(MAX_WAIT)
    }
}

/// Why an attempt (or, from [`run`], the whole delivery) failed, and whether
/// another attempt could help.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error}")]
pub struct Failure {
    pub error: String,
    pub retryable: bool,
    pub retry_after: Option<Duration>,
    /// The provider certainly did not act on the request (refused connection,
    /// unknown host, 429): trying again cannot deliver twice.
    pub unsent: bool,
    /// Set by [`run`] on the final failure: an attempt went out and got no
    /// answer (a timeout, a connection cut mid-way), so the provider may
    /// have acted on it.
    pub maybe_delivered: bool,
}

impl super::delivery::Unsure for Failure {
    fn maybe_delivered(&self) -> bool {
        self.maybe_delivered
    }
}

impl Failure {
    pub fn permanent(error: impl Into<String>) -> Failure {
        Failure {
            error: error.into(),
            retryable: false,
            retry_after: None,
            unsent: false,
            maybe_delivered: false,
        }
    }

    pub fn transient(error: impl Into<String>) -> Failure {
        Failure {
            retryable: true,
            ..Failure::permanent(error)
        }
    }

    /// Worth another attempt, and the request certainly had no effect.
    fn unsent(error: impl Into<String>) -> Failure {
        Failure {
            unsent: true,
            ..Failure::transient(error)
        }
    }
}

/// Under an at-most-once policy, a failure after which the message may have
/// been sent is final.
fn only_if_unsent<T>(mut step: Step<T>) -> Step<T> {
    if let Err(f) = &mut step.result
        && f.retryable
        && !f.unsent
    {
        f.retryable = false;
        f.error
            .push_str("; not retried: the message may have been sent, and must not arrive twice");
    }
    step
}

/// One attempt's result, with the server's status code when it answered.
#[derive(Debug, Clone)]
pub struct Step<T> {
    pub status: Option<u16>,
    pub result: Result<T, Failure>,
}

/// Why no further attempt is made after a failure worth retrying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GaveUp {
    #[error("not retried: one attempt allowed")]
    OneAttempt,
    #[error("gave up after {0} attempts")]
    Attempts(u32),
    #[error("gave up: waiting {} more would pass the time limit", crate::text::duration(*.0))]
    Deadline(Duration),
}

/// Counts attempts and waits between them.
pub struct Schedule {
    policy: Policy,
    deadline: Instant,
    made: u32,
}

impl Schedule {
    pub fn new(policy: &Policy) -> Schedule {
        Schedule {
            policy: *policy,
            deadline: Instant::now() + policy.budget,
            made: 0,
        }
    }

    /// Starts an attempt: the time it may take, or `None` when none is left.
    pub fn next(&mut self) -> Option<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if self.made >= self.policy.attempts || left.is_zero() {
            return None;
        }
        self.made += 1;
        Some(self.policy.timeout.min(left))
    }

    /// After a failure worth retrying: waits, or says why there is no next attempt.
    pub async fn pause(&mut self, retry_after: Option<Duration>) -> Result<(), GaveUp> {
        if self.made >= self.policy.attempts {
            return Err(match self.made {
                1 => GaveUp::OneAttempt,
                n => GaveUp::Attempts(n),
            });
        }
        let wait = self.policy.wait(self.made, retry_after);
        if Instant::now() + wait >= self.deadline {
            return Err(GaveUp::Deadline(wait));
        }
        tokio::time::sleep(wait).await;
        Ok(())
    }
}

/// Runs one attempt bounded by `timeout` and records it.
pub async fn timed<T>(
    timeout: Duration,
    attempt: impl Future<Output = Step<T>>,
) -> (Step<T>, Attempt) {
    let at = Timestamp::now();
    let started = Instant::now();
    let step = match tokio::time::timeout(timeout, attempt).await {
        Ok(step) => step,
        Err(_) => Step {
            status: None,
            result: Err(Failure::transient(HttpError::Timeout(timeout).to_string())),
        },
    };
    let record = Attempt::new(
        at,
        millis(started.elapsed()),
        step.status,
        step.result.as_ref().err().map(|f| f.error.as_str()),
    );
    (step, record)
}

/// Attempts until success, a permanent failure, or the policy says stop;
/// the failure then says why no further attempt was made.
pub async fn run<T, F, Fut>(policy: &Policy, mut attempt: F) -> (Result<T, Failure>, Vec<Attempt>)
where
    F: FnMut(Duration) -> Fut,
    Fut: Future<Output = Step<T>>,
{
    let mut schedule = Schedule::new(policy);
    let mut history = Vec::new();
    let mut last = Failure::permanent("out of time before the first attempt");
    let mut unanswered = false;
    let finally = |mut f: Failure, unanswered: bool| {
        f.maybe_delivered = unanswered;
        Err(f)
    };
    while let Some(timeout) = schedule.next() {
        let (mut step, record) = timed(timeout, attempt(timeout)).await;
        history.push(record);
        if let Err(f) = &step.result {
            unanswered |= f.retryable && !f.unsent && step.status.is_none();
        }
        if policy.at_most_once {
            step = only_if_unsent(step);
        }
        match step.result {
            Ok(value) => return (Ok(value), history),
            Err(f) if !f.retryable => return (finally(f, unanswered), history),
            Err(mut f) => {
                if let Err(why) = schedule.pause(f.retry_after).await {
                    f.error = format!("{}; {why}", f.error);
                    return (finally(f, unanswered), history);
                }
                last = f;
            }
        }
    }
    (finally(last, unanswered), history)
}

/// Sends `request` under `policy`: [`run`] over [`http`].
pub async fn deliver_http(
    policy: &Policy,
    client: &http::Client,
    request: &http::Request,
    success: Accepts,
    describe: fn(&http::Response) -> String,
) -> (Result<http::Response, Failure>, Vec<Attempt>) {
    let (result, history) = run(policy, |timeout| {
        http(client, request, success.clone(), describe, timeout)
    })
    .await;
    // What was tried, as every failure message names it; never a path, which may be a secret.
    let tried = crate::net::host_port(&request.url);
    let result = result.map_err(|mut f| {
        f.error = format!("{tried}: {}", f.error);
        f
    });
    (result, history)
}

/// The statuses a provider answers when it took the request: one exact
/// code for the APIs that promise one (`202..=202`), any 2xx for a webhook.
pub type Accepts = std::ops::RangeInclusive<u16>;

/// One HTTP request to a provider, judged the same way for all of them:
/// an expected status is success; 408, 429 and 5xx are worth retrying
/// (429 and 503 after their `Retry-After`); any other status is permanent, as are TLS,
/// redirect and size failures; network failures and timeouts are retried.
pub async fn http(
    client: &http::Client,
    request: &http::Request,
    success: Accepts,
    describe: fn(&http::Response) -> String,
    timeout: Duration,
) -> Step<http::Response> {
    // A provider's answer is read for an id or an error only: a long one is
    // cut, never refused, or an accepted message would be reported as failed.
    let mut request = request.clone().truncate_body_at(MAX_PROVIDER_BODY);
    request.timeout = timeout;
    match client.send_async(request).await {
        Ok(response) => judge(response, success, describe),
        Err(e) => Step {
            status: None,
            result: Err(match e {
                HttpError::Tls(_) | HttpError::Redirects | HttpError::TooLarge(_) => {
                    Failure::permanent(e.to_string())
                }
                HttpError::Refused | HttpError::Dns => Failure::unsent(e.to_string()),
                _ => Failure::transient(e.to_string()),
            }),
        },
    }
}

pub(crate) fn judge(
    response: http::Response,
    success: Accepts,
    describe: fn(&http::Response) -> String,
) -> Step<http::Response> {
    let status = Some(response.status);
    if success.contains(&response.status) {
        return Step {
            status,
            result: Ok(response),
        };
    }
    // The provider's words are outside text: one bounded line, whatever it sent.
    let said = one_line(&describe(&response), MAX_ERROR_BODY);
    let error = format!("HTTP {}: {said}", response.status);
    let failure = match response.status {
        429 => Failure {
            retry_after: response.retry_after(crate::clock::now()),
            ..Failure::unsent(error)
        },
        503 => Failure {
            retry_after: response.retry_after(crate::clock::now()),
            ..Failure::transient(error)
        },
        408 | 500..=599 => Failure::transient(error),
        _ => Failure::permanent(error),
    };
    Step {
        status,
        result: Err(failure),
    }
}

/// Bytes of a provider's answer that are read.
const MAX_PROVIDER_BODY: u64 = 64 * 1024;

/// At most this many characters of a response body in an error message.
const MAX_ERROR_BODY: usize = 300;

/// A provider's error body as one short line, for providers without a structured one.
pub fn body_excerpt(response: &http::Response) -> String {
    let line = one_line(&response.text(), MAX_ERROR_BODY);
    if line.is_empty() {
        return "(empty body)".to_owned();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_delivery_gets_its_whole_budget_from_when_it_starts() {
        let policy = Policy::new(Duration::from_millis(10), Duration::from_millis(1));
        // Longer than the policy's budget (4 x 10 ms) passes before this delivery starts.
        std::thread::sleep(Duration::from_millis(60));
        let mut schedule = Schedule::new(&policy);
        assert_eq!(schedule.next(), Some(Duration::from_millis(10)));
    }

    fn policy(attempts: u32) -> Policy {
        Policy {
            attempts,
            backoff: Duration::from_millis(10),
            timeout: Duration::from_secs(1),
            budget: Duration::from_secs(10),
            at_most_once: false,
        }
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> http::Response {
        http::Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.as_bytes().to_vec(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn backoff_doubles_and_retry_after_wins_within_the_cap() {
        let p = policy(3);
        assert_eq!(p.wait(1, None), Duration::from_millis(10));
        assert_eq!(p.wait(2, None), Duration::from_millis(20));
        assert_eq!(p.wait(3, None), Duration::from_millis(40));
        assert_eq!(
            p.wait(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(p.wait(1, Some(Duration::from_secs(3600))), MAX_WAIT);
    }

    #[test]
    fn statuses_are_judged_permanent_or_worth_retrying() {
        let judged = |status, headers: &[(&str, &str)]| {
            judge(
                response(status, headers, "no_service"),
                200..=200,
                body_excerpt,
            )
            .result
        };
        assert!(judged(200, &[]).is_ok());
        assert_eq!(
            judged(404, &[]).err(),
            Some(Failure::permanent("HTTP 404: no_service"))
        );
        assert_eq!(
            judged(503, &[]).err(),
            Some(Failure::transient("HTTP 503: no_service"))
        );
        let limited = judged(429, &[("Retry-After", "7")]).err();
        assert_eq!(
            limited.and_then(|f| f.retryable.then_some(f.retry_after).flatten()),
            Some(Duration::from_secs(7))
        );
        // Success is one exact status: a 200 where 202 is promised is not "accepted".
        assert!(
            judge(response(200, &[], ""), 202..=202, body_excerpt)
                .result
                .is_err()
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn run_retries_transient_failures_then_succeeds() {
        let mut calls = 0;
        let (result, history) = run(&policy(3), |_| {
            calls += 1;
            let n = calls;
            async move {
                if n < 3 {
                    Step {
                        status: Some(500),
                        result: Err(Failure::transient("HTTP 500")),
                    }
                } else {
                    Step {
                        status: Some(200),
                        result: Ok("done"),
                    }
                }
            }
        })
        .await;
        assert_eq!(result.map_err(|f| f.error), Ok("done"));
        let statuses: Vec<_> = history.iter().map(|a| a.status).collect();
        assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn run_stops_at_permanent_failures_and_after_the_last_attempt() {
        let (result, history) = run(&policy(3), |_| async {
            Step::<()> {
                status: Some(400),
                result: Err(Failure::permanent("HTTP 400: invalid_payload")),
            }
        })
        .await;
        assert_eq!(
            result.map_err(|f| f.error),
            Err("HTTP 400: invalid_payload".to_owned())
        );
        assert_eq!(history.len(), 1);

        let (result, history) = run(&policy(3), |_| async {
            Step::<()> {
                status: None,
                result: Err(Failure::transient("connection refused")),
            }
        })
        .await;
        assert_eq!(
            result.map_err(|f| f.error),
            Err("connection refused; gave up after 3 attempts".to_owned())
        );
        assert_eq!(history.len(), 3);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn at_most_once_retries_only_what_certainly_was_not_sent() {
        let once = policy(3).at_most_once();
        let (result, history) = run(&once, |_| async {
            Step::<()> {
                status: Some(503),
                result: Err(Failure::transient("HTTP 503: busy")),
            }
        })
        .await;
        assert_eq!(
            result.map_err(|f| f.error),
            Err("HTTP 503: busy; not retried: the message may have been sent, and must not arrive twice".to_owned())
        );
        assert_eq!(history.len(), 1);

        let (result, history) = run(&once, |_| async {
            Step::<()> {
                status: Some(429),
                result: Err(Failure::unsent("HTTP 429: slow down")),
            }
        })
        .await;
        assert_eq!(
            result.map_err(|f| f.error),
            Err("HTTP 429: slow down; gave up after 3 attempts".to_owned())
        );
        assert_eq!(history.len(), 3);
    }

    /// Unknown, not failed, once any attempt went out and was never answered.
    #[tokio::test(flavor = "current_thread")]
    async fn an_unanswered_attempt_may_have_delivered() {
        let steps = |first: Step<()>, then: Step<()>| {
            let calls = std::cell::Cell::new(0);
            move |_| {
                calls.set(calls.get() + 1);
                let step = if calls.get() == 1 { &first } else { &then };
                std::future::ready(step.clone())
            }
        };
        let timeout = || Step::<()> {
            status: None,
            result: Err(Failure::transient("timed out after 1s")),
        };
        let refused = || Step::<()> {
            status: None,
            result: Err(Failure::unsent("connection refused")),
        };
        let answered = || Step::<()> {
            status: Some(503),
            result: Err(Failure::transient("HTTP 503: down")),
        };
        for (first, then, maybe) in [
            (timeout(), timeout(), true),
            (timeout(), refused(), true),
            (refused(), refused(), false),
            (answered(), answered(), false),
        ] {
            let (result, _) = run(&policy(3), steps(first, then)).await;
            assert_eq!(result.map_err(|f| f.maybe_delivered), Err(maybe));
        }
        let (result, _) = run(&policy(3).at_most_once(), steps(timeout(), refused())).await;
        assert_eq!(result.map_err(|f| f.maybe_delivered), Err(true));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_retry_after_past_the_deadline_is_not_waited_for() {
        let (result, history) = run(&policy(3), |_| async {
            Step::<()> {
                status: Some(429),
                result: Err(Failure {
                    retry_after: Some(Duration::from_secs(30)),
                    ..Failure::transient("HTTP 429: rate_limited")
                }),
            }
        })
        .await;
        assert_eq!(
            result.map_err(|f| f.error),
            Err(
                "HTTP 429: rate_limited; gave up: waiting 30.0 s more would pass the time limit"
                    .to_owned()
            )
        );
        assert_eq!(history.len(), 1);
    }
}
