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
pub mod chart;
mod handlers;
pub mod latest;
pub mod lead;
pub mod page;
pub mod past;
pub mod runs;
mod scheduler;
mod server;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::alerts::channels::Entry;
use crate::alerts::from_checks::FailureSeverity;
use crate::alerts::hygiene::Hygiene;
use crate::checks::Check;
use crate::config::{Config, Secret, StateLocation, StoreSettings};
use crate::history::HistorySettings;
use crate::net::tls::Trust;
use crate::runtime::Stop;
use runs::Runs;

/// What `check --alert` needs, for a server that alerts.
pub struct Alerting {
    pub failure: FailureSeverity,
    /// Thresholds, flap damping, maintenance and dependencies.
    pub hygiene: Hygiene,
}

/// How a server runs.
pub struct Options {
    pub checks: Vec<Arc<dyn Check>>,
    pub interval: Duration,
    /// Each check's, and each delivery attempt's.
    pub timeout: Duration,
    /// How many checks of a round run at once at most.
    pub max_in_flight: usize,
    /// `VITALS_SERVE_TOKEN`: changes need it; with `private`, every request.
    pub token: Option<Secret>,
    pub private: bool,
    /// The general settings and the alert state's (where alerts are listed from).
    pub config: Config,
    /// The channels, for the follow-ups of an acknowledge or resolve.
    pub entries: Vec<Entry>,
    /// `Some` when the rounds raise and resolve alerts.
    pub alerting: Option<Alerting>,
    /// Where the leader records each scheduled round (the history's store),
    /// and how long what it records is kept.
    pub store: StoreSettings,
    pub history: HistorySettings,
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
    lead: lead::Leadership,
    schedule: Mutex<Schedule>,
    /// This server's own `/metrics` families, and the state they say.
    own: Mutex<Option<(handlers::OwnState, Arc<String>)>>,
    /// What the history says of the checks, and when it was read: read
    /// again after each recorded round, or once an interval has passed,
    /// not once a request.
    past: latest::Latest<past::Past>,
    /// The open alerts the dashboard lists: read at most once a second, and
    /// again after this server changed one.
    open_alerts: latest::Latest<Result<Vec<crate::alerts::Alert>, String>>,
    /// Whether a request started a read of the history in the background.
    refreshing_past: std::sync::atomic::AtomicBool,
    stop: Stop,
}

impl App {
    fn schedule(&self) -> Schedule {
        *self.schedule.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How this server shares its store with others.
#[derive(Debug)]
pub enum Claim {
    /// It leads alone: an SQLite store (its lock file held) or none.
    Alone(Option<lead::LockFile>),
    /// A PostgreSQL store, which instances of one deployment share: one of
    /// them leads at a time.
    Shared,
}

/// What this server must hold before it serves: the SQLite store's lock
/// file (another `vitals serve` on the same file is refused), or nothing.
pub fn claim(config: &Config) -> Result<Claim, lead::LockError> {
    match &config.state.location {
        Some(StateLocation::Postgres(_)) => Ok(Claim::Shared),
        Some(StateLocation::File(path)) => {
            // Where vitals keeps its store by default, it makes the directories.
            if config.state.default_location
                && let Some(dir) = path.parent()
            {
                use std::os::unix::fs::DirBuilderExt as _;
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(|source| lead::LockError::Io {
                        path: dir.to_owned(),
                        source,
                    })?;
            }
            lead::lock_file(path).map(|lock| Claim::Alone(Some(lock)))
        }
        None => Ok(Claim::Alone(None)),
    }
}

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] lead::BadUrl),
}

/// Serves on `listener` until `stop` asks it to end: then it stops
/// accepting, finishes the requests in flight and the round in progress
/// (each bounded by the timeout), lets leadership go, and returns.
pub async fn run(
    options: Options,
    listener: std::net::TcpListener,
    node: String,
    claim: Claim,
    stop: Stop,
) -> Result<(), ServeError> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let (lead, contender) = match (&claim, &options.config.state.location) {
        (Claim::Shared, Some(StateLocation::Postgres(url))) => {
            // A follower asks again (a leader checks its connection) this
            // often: a dead leader is replaced within an interval and a timeout.
            let poll = options.interval.min(options.timeout);
            let trust = Trust::new(options.config.extra_ca_file.clone());
            let (contender, lead) = lead::shared(
                url,
                trust,
                options.timeout,
                poll,
                &options.config.state.instance,
                &node,
            )?;
            (lead, Some(contender))
        }
        _ => (lead::sole(&node), None),
    };
    let runs = Arc::new(Runs::new(
        options.checks.clone(),
        options.timeout,
        options.max_in_flight,
    ));
    let app = Arc::new(App {
        runs,
        node,
        lead,
        schedule: Mutex::new(Schedule::default()),
        own: Mutex::new(None),
        past: latest::Latest::default(),
        open_alerts: latest::Latest::default(),
        refreshing_past: std::sync::atomic::AtomicBool::new(false),
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
    // the stop, the round in progress finished (its alerts recorded); only
    // then is leadership let go.
    let release = Arc::new(Notify::new());
    let scheduled = async {
        scheduler::schedule(Arc::clone(&app)).await;
        release.notify_one();
    };
    let contending = async {
        if let Some(contender) = contender {
            contender.run(Arc::clone(&release)).await;
        }
    };
    tokio::join!(served, scheduled, contending);
    drop(claim);
    Ok(())
}

/// The address a listener is bound to, as a URL for people.
pub fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}
