//! `vitals serve`: the selected checks run every interval, their last
//! result answered over HTTP (a dashboard, Prometheus metrics, a JSON API,
//! badges), their alerts raised and resolved as `check --alert` does.
//!
//! Nothing here prints or reads settings: `commands::serve` hands it the
//! checks, the token and the alerting settings, and the bound listener.
//! Pages, bodies and badges are pure functions (`page`, `api`, `badge`,
//! `auth`); `runs` keeps the last result and shares one run among every
//! request that wants a fresher one; `scheduler` runs the rounds;
//! `handlers` answers requests; `server` accepts connections within limits
//! and stops gracefully.

pub mod api;
pub mod auth;
pub mod badge;
mod handlers;
pub mod page;
pub mod runs;
mod scheduler;
mod server;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::alerts::channels::Entry;
use crate::alerts::from_checks::FailureSeverity;
use crate::checks::Check;
use crate::config::{Config, Secret};
use crate::runtime::Stop;
use runs::Runs;

/// What `check --alert` needs, for a server that alerts.
pub struct Alerting {
    pub failure: FailureSeverity,
}

/// How a server runs.
pub struct Options {
    pub checks: Vec<Arc<dyn Check>>,
    pub interval: Duration,
    /// Each check's, and each delivery attempt's.
    pub timeout: Duration,
    /// `VITALS_SERVE_TOKEN`: changes need it; with `private`, every request.
    pub token: Option<Secret>,
    pub private: bool,
    /// The general settings and the alert state's (where alerts are listed from).
    pub config: Config,
    /// The channels, for the follow-ups of an acknowledge or resolve.
    pub entries: Vec<Entry>,
    /// `Some` when the rounds raise and resolve alerts.
    pub alerting: Option<Alerting>,
}

/// What the scheduler last did, for `/metrics` and `/healthz`.
#[derive(Debug, Clone, Copy, Default)]
struct Schedule {
    /// How late the last round started against its plan.
    lag: Duration,
    rounds: u64,
}

/// A running server's state, shared by its handlers and its scheduler.
pub struct App {
    options: Options,
    runs: Arc<Runs>,
    /// This process, as `/healthz` and `/metrics` name it: host and port.
    node: String,
    schedule: Mutex<Schedule>,
    stop: Stop,
}

impl App {
    fn schedule(&self) -> Schedule {
        *self.schedule.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Serves on `listener` until `stop` asks it to end: then it stops
/// accepting, finishes the requests in flight and the round in progress
/// (each bounded by the timeout), and returns.
pub async fn run(
    options: Options,
    listener: std::net::TcpListener,
    node: String,
    stop: Stop,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let runs = Arc::new(Runs::new(options.checks.clone(), options.timeout));
    let app = Arc::new(App {
        runs,
        node,
        schedule: Mutex::new(Schedule::default()),
        stop: stop.clone(),
        options,
    });
    let limits = server::Limits {
        max_connections: server::MAX_CONNECTIONS,
        header_timeout: app.options.timeout,
        grace: app.options.timeout + Duration::from_secs(1),
    };
    let router = handlers::router(Arc::clone(&app));
    let stopping = stop.clone();
    let served = server::serve(listener, router, limits, async move {
        stopping.requested().await;
    });
    // Beside the server, not spawned: alerting holds the store's connection
    // across its awaits, which cannot move between threads. Both end on
    // the stop, the round in progress finished (its alerts recorded).
    tokio::join!(served, scheduler::schedule(Arc::clone(&app)));
    Ok(())
}

/// The address a listener is bound to, as a URL for people.
pub fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}
