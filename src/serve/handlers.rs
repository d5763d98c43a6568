//! The routes and their handlers. Every answer passes the secret scrub and
//! carries a strict Content-Security-Policy; errors are JSON with a status
//! code that fits.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

use super::auth::{self, Refusal, Want};
use super::runs::{Answer, Round};
use super::{App, api, badge, page, past};
use crate::alerts::lifecycle::{self, Change, Changed};
use crate::alerts::store::{AlertStore, StatusFilter};
use crate::alerts::{Alert, AlertStatus, Severity, Timestamp};
use crate::checks::CheckId;
use crate::config::parse_duration;
use crate::history::{self, Asked, ReadError};
use crate::metrics::{Metric, Unit};
use crate::net::tls::Trust;
use crate::output::prometheus;
use crate::status::Status;
use crate::store::{Create, Store, StoreError};
use crate::{clock, redact};

/// The largest request body: an acknowledge's JSON is far smaller.
const MAX_BODY: usize = 16 * 1024;

/// Nothing from elsewhere, no inline script or style, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub fn router(app: Arc<App>) -> Router {
    let timeout = app.options.timeout;
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    let routes = Router::new()
        .route("/", get(dashboard))
        .route("/assets/vitals.css", get(stylesheet))
        .route("/assets/vitals.js", get(script))
        .route("/assets/favicon.svg", get(icon))
        .route("/favicon.ico", get(icon))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/api/v1/status", get(status))
        .route("/api/v1/checks/{name}", get(one_check))
        .route("/api/v1/checks/{name}/history", get(check_history))
        .route("/api/v1/alerts", get(alerts))
        .route("/api/v1/alerts/{id}/{action}", post(change))
        .route("/badge/{file}", get(badge))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    // Only `--private` guards reads: otherwise no request pays for it.
    let routes = if app.options.private {
        routes.layer(middleware::from_fn_with_state(Arc::clone(&app), guard))
    } else {
        routes
    };
    routes
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(RequestBodyTimeoutLayer::new(timeout))
        .layer(CompressionLayer::new())
        .layer(header(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .with_state(app)
}

/// What every answer from one round shares, rendered and scrubbed once.
#[derive(Debug)]
pub(super) struct Rendered {
    status: Result<api::StatusParts, String>,
    /// The checks' families, as `check --format prometheus` prints them.
    exposition: String,
}

impl Rendered {
    fn of(round: &Round) -> Rendered {
        let results: Vec<_> = round.report.checks.iter().map(|(id, r)| (*id, r)).collect();
        let exposition = prometheus::render(&results, round.at.into());
        Rendered {
            status: api::status_parts(round)
                .map_err(|e| format!("the result could not be written as JSON: {e}")),
            exposition: redact::scrub(&exposition).into_owned(),
        }
    }
}

fn rendered(round: &Round) -> &Rendered {
    round.rendered.get_or_init(|| Rendered::of(round))
}

/// A body of `content_type`, scrubbed of every known secret.
fn body(status: StatusCode, content_type: &'static str, text: &str) -> Response {
    sent(status, content_type, redact::scrub(text).into_owned())
}

/// A body already scrubbed.
fn sent(status: StatusCode, content_type: &'static str, text: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        text,
    )
        .into_response()
}

fn json_body(status: StatusCode, value: &Value) -> Response {
    body(status, "application/json", &value.to_string())
}

fn error(status: StatusCode, message: &str) -> Response {
    json_body(status, &api::error(message))
}

fn refused(refusal: Refusal) -> Response {
    let mut response = match refusal {
        Refusal::Unauthorized => error(StatusCode::UNAUTHORIZED, refusal.message()),
        Refusal::ReadOnly => error(StatusCode::FORBIDDEN, refusal.message()),
    };
    if refusal == Refusal::Unauthorized {
        let challenges = response.headers_mut();
        challenges.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"vitals\""),
        );
    }
    response
}

/// `--private`: every request needs the token (a browser may give it as
/// Basic credentials, which it prompts for).
async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match auth::allow(
        app.options.token.as_ref(),
        app.options.private,
        Want::Read,
        given,
    ) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            let mut response = refused(refusal);
            response.headers_mut().append(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"vitals\", charset=\"UTF-8\""),
            );
            response
        }
    }
}

/// `?max_age=10s`, else `Cache-Control: max-age=10`: how old a result may be.
pub fn max_age(
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Option<Duration>, String> {
    if let Some(value) = query.get("max_age") {
        // Zero is a duration here: "a result from no earlier than now".
        let zero = value
            .trim()
            .trim_end_matches(|c: char| c.is_ascii_alphabetic())
            == "0";
        if zero {
            return Ok(Some(Duration::ZERO));
        }
        return parse_duration(value)
            .map(Some)
            .map_err(|e| format!("max_age: {e}"));
    }
    let directives = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim);
    for directive in directives {
        if let Some(seconds) = directive.strip_prefix("max-age=") {
            return seconds
                .trim_matches('"')
                .parse::<u64>()
                .map(|s| Some(Duration::from_secs(s)))
                .map_err(|_| {
                    format!("Cache-Control: max-age: expected whole seconds, not {seconds:?}")
                });
        }
        if directive.eq_ignore_ascii_case("no-cache") {
            return Ok(Some(Duration::ZERO));
        }
    }
    Ok(None)
}

/// The result the request may have, or the error answer.
async fn answer(
    app: &Arc<App>,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Answer, Response> {
    let max_age = max_age(query, headers).map_err(|e| error(StatusCode::BAD_REQUEST, &e))?;
    // A follower runs no rounds: its own runs answer for one interval at most.
    let max_age = max_age.or_else(|| (!app.lead.leading()).then_some(app.options.interval));
    app.runs
        .answer(max_age)
        .await
        .map_err(|e| error(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()))
}

async fn status(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let a = match answer(&app, &query, &headers).await {
        Ok(a) => a,
        Err(response) => return response,
    };
    // Scrubbed once a round; what is added here is a flag and a number.
    match &rendered(&a.round).status {
        Ok(parts) => sent(
            StatusCode::OK,
            "application/json",
            api::status(parts, a.cached, a.round.age(clock::now())),
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// A check by its name or alias, among those this server runs.
fn served(app: &App, name: &str) -> Result<CheckId, String> {
    // Looked up among the served checks rather than interned: a request
    // must not grow the process's table of declared names.
    let builtin = CheckId::from_str(name).ok();
    app.runs
        .checks()
        .iter()
        .map(|c| c.id())
        .find(|id| Some(*id) == builtin || id.key() == name)
        .ok_or_else(|| match builtin {
            Some(id) => format!("check {} is not run by this server", id.key()),
            None => format!("unknown check {name:?}"),
        })
}

async fn one_check(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let id = match served(&app, &name) {
        Ok(id) => id,
        Err(e) => return error(StatusCode::NOT_FOUND, &e),
    };
    match answer(&app, &query, &headers).await {
        Ok(a) => match api::check(&a.round, id, a.cached, a.round.age(clock::now())) {
            Some(doc) => json_body(StatusCode::OK, &doc),
            None => error(
                StatusCode::NOT_FOUND,
                &format!("no result for {}", id.key()),
            ),
        },
        Err(response) => response,
    }
}

/// What the history says of the served checks: read once a round (the
/// leader reads it after recording each one), or once an interval on an
/// instance that records nothing. A request never waits for a read but the
/// very first: past that, it is answered from the last read while the next
/// one is made.
async fn past(app: &Arc<App>) -> Arc<past::Past> {
    // The leader's rounds come an interval apart plus their jitter and their
    // own time: a request just past an interval would read what the round
    // about to end reads again. It waits for the round, unless rounds stop
    // recording.
    let fresh_for = if app.lead.leading() {
        app.options.interval * 2
    } else {
        app.options.interval
    };
    match app.past.last() {
        Some((at, past)) if at.elapsed() < fresh_for => past,
        Some((_, past)) => {
            if !app.refreshing_past.swap(true, Ordering::SeqCst) {
                let reader = Arc::clone(app);
                tokio::spawn(async move {
                    read_past(&reader).await;
                    reader.refreshing_past.store(false, Ordering::SeqCst);
                });
            }
            past
        }
        None => read_past(app).await,
    }
}

/// Reads the history now, one read at a time: a caller that waited for
/// another's read started after it asked takes that read. Nothing when it
/// cannot be read (the log says why).
pub(super) async fn read_past(app: &Arc<App>) -> Arc<past::Past> {
    let asked = std::time::Instant::now();
    app.past
        .get_or_read(
            |at| at >= asked,
            || async {
                let checks: Vec<String> = app
                    .runs
                    .checks()
                    .iter()
                    .map(|c| c.id().key().to_owned())
                    .collect();
                let reader = Arc::clone(app);
                let read = off_thread(move || async move {
                    past::read(
                        &reader.options.store,
                        &checks,
                        clock::now(),
                        reader.options.timeout,
                    )
                    .await
                    .map_err(|e| crate::error::report(&e))
                })
                .await
                .and_then(|read| read);
                read.unwrap_or_else(|e| {
                    tracing::warn!("the dashboard's history: {e}");
                    past::Past::default()
                })
            },
        )
        .await
}

/// `GET /api/v1/checks/{name}/history?since=24h&until=…`: what
/// `vitals history NAME --since … --json` prints, read the same way.
async fn check_history(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let id = match served(&app, &name) {
        Ok(id) => id,
        Err(e) => return error(StatusCode::NOT_FOUND, &e),
    };
    let names = vec![id.key().to_owned()];
    let since = query
        .get("since")
        .cloned()
        .unwrap_or_else(|| "24h".to_owned());
    let until = query.get("until").cloned();
    let read = {
        let app = Arc::clone(&app);
        off_thread(move || async move {
            let asked = Asked {
                names: &names,
                since: &since,
                until: until.as_deref(),
                instance: None,
                anomalies: false,
            };
            history::report(
                &app.options.store,
                &asked,
                clock::now(),
                app.options.timeout,
            )
            .await
        })
        .await
    };
    match read {
        Ok(Ok(report)) => match serde_json::to_value(&report) {
            Ok(value) => json_body(StatusCode::OK, &value),
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        },
        Ok(Err(e @ (ReadError::Since(_) | ReadError::Until(_) | ReadError::Empty { .. }))) => {
            error(StatusCode::BAD_REQUEST, &e.to_string())
        }
        Ok(Err(e)) => error(StatusCode::SERVICE_UNAVAILABLE, &crate::error::report(&e)),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e),
    }
}

/// This server's own families, after the checks'.
/// What this server's own families say; while it holds, they are the same text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct OwnState {
    leading: bool,
    leader: Option<String>,
    lag: Duration,
    runs: Vec<(super::runs::Origin, u64)>,
}

fn own_state(app: &App) -> OwnState {
    OwnState {
        leading: app.lead.leading(),
        leader: app.lead.leader(),
        lag: app.schedule().lag,
        runs: app.runs.counts(),
    }
}

/// This server's own families, rendered and scrubbed once for each state.
fn own_text(app: &App) -> Arc<String> {
    let state = own_state(app);
    let mut cached = app.own.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((was, text)) = cached.as_ref()
        && *was == state
    {
        return Arc::clone(text);
    }
    let text =
        Arc::new(redact::scrub(&prometheus::families(&own_metrics(app, &state))).into_owned());
    *cached = Some((state, Arc::clone(&text)));
    text
}

fn own_metrics(app: &App, state: &OwnState) -> Vec<Metric> {
    let mut metrics = vec![
        Metric::gauge(
            "build_info",
            "1, labelled with the version of vitals serving.",
            Unit::Count,
            Some(1.0),
        )
        .label("version", env!("CARGO_PKG_VERSION")),
        Metric::gauge(
            "serve_leader",
            "1 when this instance (node: host and port) runs the scheduled checks and alerting, 0 when another does.",
            Unit::Count,
            Some(f64::from(u8::from(state.leading))),
        )
        .label("node", app.node.clone())
        .label("leader", state.leader.clone().unwrap_or_default()),
        Metric::gauge(
            "serve_scheduler_lag_seconds",
            "How late the last scheduled round started against its plan.",
            Unit::Seconds,
            Some(state.lag.as_secs_f64()),
        ),
    ];
    for (origin, count) in &state.runs {
        metrics.push(
            Metric::counter(
                "serve_runs_total",
                "Runs of the checks this server started, by what asked for them.",
                Some(*count as f64),
            )
            .label("origin", origin.as_ref()),
        );
    }
    metrics
}

async fn metrics(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    match answer(&app, &query, &headers).await {
        Ok(a) => {
            // Each part rendered and scrubbed once: a round's, the history's
            // uptimes once a read, and the server's own while they hold.
            let past = past(&app).await;
            let text = format!(
                "{}{}{}",
                rendered(&a.round).exposition,
                past.exposition,
                own_text(&app)
            );
            sent(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                text,
            )
        }
        Err(response) => response,
    }
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let schedule = app.schedule();
    let last = app.runs.last();
    let runs: serde_json::Map<String, Value> = app
        .runs
        .counts()
        .into_iter()
        .map(|(origin, count)| (origin.as_ref().to_owned(), json!(count)))
        .collect();
    json_body(
        StatusCode::OK,
        &json!({
            "status": "ok",
            "version": env!("CARGO_PKG_VERSION"),
            "instance": app.options.config.state.instance,
            "node": app.node,
            "leader": app.lead.leading(),
            "leading_node": app.lead.leader(),
            "rounds": schedule.rounds,
            "runs": runs,
            "scheduler_lag_seconds": schedule.lag.as_secs_f64(),
            "last_result_age_seconds": last.map(|r| r.age(clock::now()).as_secs_f64()),
        }),
    )
}

/// Runs `work` on a thread and runtime of its own: the store holds its
/// connection across awaits, which cannot move between the server's threads.
async fn off_thread<T, F>(work: impl FnOnce() -> F + Send + 'static) -> Result<T, String>
where
    T: Send + 'static,
    F: std::future::Future<Output = T>,
{
    tokio::task::spawn_blocking(move || {
        crate::runtime::build(1)
            .map(|runtime| runtime.block_on(work()))
            .map_err(|e| format!("no runtime for the store: {e}"))
    })
    .await
    .map_err(|e| format!("internal error: the store's work stopped ({e})"))
    .and_then(|done| done)
}

/// How long one read of the open alerts stands for every page view: what
/// changes elsewhere (the CLI, another server, this one's rounds) shows
/// within it; what this server changes, at once.
const OPEN_ALERTS_FRESH_FOR: Duration = Duration::from_secs(1);

/// The open alerts the dashboard lists.
async fn open_alerts(app: &Arc<App>) -> Arc<Result<Vec<Alert>, String>> {
    app.open_alerts
        .get_or_read(
            |at| at.elapsed() < OPEN_ALERTS_FRESH_FOR,
            || list_alerts(app, StatusFilter::Open, None),
        )
        .await
}

/// The alerts in the store, newest first; none when nothing was ever recorded.
async fn list_alerts(
    app: &Arc<App>,
    filter: StatusFilter,
    severity: Option<Severity>,
) -> Result<Vec<Alert>, String> {
    let app = Arc::clone(app);
    off_thread(move || async move { read_alerts(&app, filter, severity).await })
        .await
        .and_then(|listed| listed)
}

async fn read_alerts(
    app: &App,
    filter: StatusFilter,
    severity: Option<Severity>,
) -> Result<Vec<Alert>, String> {
    let config = &app.options.config;
    let Some(location) = &config.state.location else {
        return Err("no alert store: set VITALS_STATE".to_owned());
    };
    let trust = Trust::new(config.extra_ca_file.clone());
    let store = match Store::open(location, &trust, app.options.timeout, Create::Nothing).await {
        Ok(store) => store,
        Err(StoreError::Missing) => return Ok(Vec::new()),
        Err(e) => {
            return Err(crate::error::report(
                lifecycle::in_store(config, e).as_ref(),
            ));
        }
    };
    AlertStore::new(store)
        .list(filter, severity, Timestamp::now())
        .await
        .map_err(|e| crate::error::report(lifecycle::in_store(config, e).as_ref()))
}

async fn alerts(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let filter = match query.get("status").map(String::as_str) {
        None | Some("open") => StatusFilter::Open,
        Some("all") => StatusFilter::All,
        Some("active") => StatusFilter::Only(AlertStatus::Active),
        Some("acknowledged") => StatusFilter::Only(AlertStatus::Acknowledged),
        Some("resolved") => StatusFilter::Only(AlertStatus::Resolved),
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "status: expected open, active, acknowledged, resolved or all, not {other:?}"
                ),
            );
        }
    };
    let severity = match query.get("severity") {
        None => None,
        Some(s) => match Severity::from_str(s) {
            Ok(s) => Some(s),
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("severity: expected info, warning, error or critical, not {s:?}"),
                );
            }
        },
    };
    match list_alerts(&app, filter, severity).await {
        Ok(alerts) => match serde_json::to_value(&alerts) {
            Ok(value) => json_body(StatusCode::OK, &value),
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        },
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, &e),
    }
}

/// `POST /api/v1/alerts/{id}/ack|resolve` with the bearer token.
async fn change(
    State(app): State<Arc<App>>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Err(refusal) = auth::allow(app.options.token.as_ref(), false, Want::Change, given) {
        return refused(refusal);
    }
    let resolve = match action.as_str() {
        "ack" => false,
        "resolve" => true,
        other => {
            return error(
                StatusCode::NOT_FOUND,
                &format!("no action {other:?}: POST …/ack or …/resolve"),
            );
        }
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return error(rejection.status(), &rejection.body_text()),
    };
    let request = match api::change_request(&body, resolve) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, &e),
    };
    let worker = Arc::clone(&app);
    let id = id.trim().to_owned();
    let changed = off_thread(move || async move {
        let what = match &request.note {
            _ if !resolve => Change::Acknowledge,
            note => Change::Resolve {
                note: note.as_deref(),
            },
        };
        let options = &worker.options;
        lifecycle::change(
            &options.config,
            &options.entries,
            options.timeout,
            &id,
            &request.by,
            what,
            &worker.stop,
        )
        .await
    })
    .await;
    app.open_alerts.changed();
    let changed = match changed {
        Ok(changed) => changed,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    match changed {
        Ok(changes) => {
            if let Err(e) = &changes.stored {
                tracing::warn!(
                    "{}: its follow-up notifications were not recorded: {}",
                    changes.alert.id,
                    crate::error::report(e.as_ref())
                );
            }
            match serde_json::to_value(Changed {
                alert: &changes.alert,
            }) {
                Ok(value) => json_body(StatusCode::OK, &value),
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
            }
        }
        Err(e) => {
            let status = match e.downcast_ref::<StoreError>() {
                Some(StoreError::NotFound { .. }) => StatusCode::NOT_FOUND,
                Some(StoreError::Ambiguous { .. } | StoreError::Refused(_)) => StatusCode::CONFLICT,
                _ if e.to_string().starts_with("no alert store") => StatusCode::NOT_FOUND,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            error(status, &crate::error::report(e.as_ref()))
        }
    }
}

async fn dashboard(
    State(app): State<Arc<App>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let a = match answer(&app, &query, &headers).await {
        Ok(a) => a,
        Err(response) => return response,
    };
    let now = clock::now();
    let past = past(&app).await;
    let cards = a
        .round
        .report
        .checks
        .iter()
        .map(|(id, result)| page::Card {
            name: id.key().to_owned(),
            status: result.status,
            message: result.message.clone(),
            response_time_ms: result.response_time_ms.filter(|_| result.reports_time()),
            facts: page::facts(&result.details),
            for_: a
                .round
                .since
                .get(id)
                .and_then(|since| (now - *since).to_std().ok())
                .unwrap_or_default(),
            uptime: past.uptimes.get(id.key()).copied().unwrap_or_default(),
            trend: past.trends.get(id.key()).cloned(),
        })
        .collect();
    let view = page::View {
        overall: a.round.report.overall_status,
        checked_at: a.round.at,
        age: a.round.age(now),
        cards,
        incidents: past.incidents.clone(),
        anomalies: past.anomalies.clone(),
        alerts: open_alerts(&app).await,
        writable: app.options.token.is_some(),
        refresh: app.options.interval.as_secs().clamp(5, 60),
        instance: app.options.config.state.instance.clone(),
        version: env!("CARGO_PKG_VERSION"),
    };
    body(
        StatusCode::OK,
        "text/html; charset=utf-8",
        &page::dashboard(&view),
    )
}

async fn stylesheet() -> Response {
    body(StatusCode::OK, "text/css; charset=utf-8", page::STYLESHEET)
}

async fn icon() -> Response {
    body(StatusCode::OK, "image/svg+xml", page::ICON)
}

async fn script() -> Response {
    body(
        StatusCode::OK,
        "text/javascript; charset=utf-8",
        page::SCRIPT,
    )
}

/// `/badge/{name}.svg`: a check's status (`all`: the overall one).
async fn badge(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let svg = |status: StatusCode, label: &str, value: &str, tint: badge::Tint| {
        body(status, "image/svg+xml", &badge::svg(label, value, tint))
    };
    let Some(name) = file.strip_suffix(".svg") else {
        return error(StatusCode::NOT_FOUND, "badges are /badge/NAME.svg");
    };
    let wanted = if name == "all" {
        None
    } else {
        match served(&app, name) {
            Ok(id) => Some(id),
            Err(_) => {
                return svg(
                    StatusCode::NOT_FOUND,
                    "vitals",
                    "unknown check",
                    badge::Tint::Grey,
                );
            }
        }
    };
    let a = match answer(&app, &query, &headers).await {
        Ok(a) => a,
        Err(response) => return response,
    };
    let (label, status) = match wanted {
        None => ("vitals", a.round.report.overall_status),
        Some(id) => (
            id.key(),
            a.round
                .report
                .checks
                .iter()
                .find(|(c, _)| *c == id)
                .map_or(Status::Unconfigured, |(_, r)| r.status),
        ),
    };
    svg(
        StatusCode::OK,
        label,
        status.as_ref(),
        badge::Tint::Status(status),
    )
}

async fn not_found(request: Request) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("no such page: {}", request.uri().path()),
    )
}

async fn method_not_allowed(request: Request) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!(
            "{} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(
        query: &[(&str, &str)],
        cache_control: Option<&str>,
    ) -> Result<Option<Duration>, String> {
        let query = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut headers = HeaderMap::new();
        if let Some(value) = cache_control {
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_str(value).unwrap_or_else(|e| panic!("{e}")),
            );
        }
        max_age(&query, &headers)
    }

    #[test]
    fn max_age_from_the_query_or_cache_control() {
        assert_eq!(asked(&[], None), Ok(None));
        assert_eq!(
            asked(&[("max_age", "10s")], None),
            Ok(Some(Duration::from_secs(10)))
        );
        assert_eq!(asked(&[("max_age", "0s")], None), Ok(Some(Duration::ZERO)));
        assert_eq!(asked(&[("max_age", "0")], None), Ok(Some(Duration::ZERO)));
        // The query wins over the header.
        assert_eq!(
            asked(&[("max_age", "2m")], Some("max-age=5")),
            Ok(Some(Duration::from_secs(120)))
        );
        assert_eq!(
            asked(&[], Some("public, max-age=30")),
            Ok(Some(Duration::from_secs(30)))
        );
        assert_eq!(asked(&[], Some("no-cache")), Ok(Some(Duration::ZERO)));
        assert!(
            asked(&[("max_age", "soon")], None)
                .is_err_and(|e| e.starts_with("max_age: expected a duration"))
        );
        assert_eq!(
            asked(&[], Some("max-age=1.5")),
            Err("Cache-Control: max-age: expected whole seconds, not \"1.5\"".to_owned())
        );
    }
}
