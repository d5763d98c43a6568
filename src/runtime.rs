//! Ctrl-C and `kill`: a command that is interrupted stops at once, prints no
//! partial result on stdout, says so in one line on stderr, and exits
//! UNKNOWN (3), so a script or a monitoring system never reads half a document.

use std::future::Future;

use tokio::runtime::Runtime;
use tokio::signal::unix::{SignalKind, signal};

/// The command was stopped by a signal before it had a result.
#[derive(Debug, thiserror::Error)]
#[error("interrupted by {signal}: {what}")]
pub struct Interrupted {
    pub signal: &'static str,
    /// What became of the work in progress.
    pub what: &'static str,
}

/// The runtime a command's network work runs on: the main thread alone, or
/// `workers` threads when several tasks must not share one clock (checks).
pub fn build(workers: usize) -> std::io::Result<Runtime> {
    if workers > 1 {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    }
}

/// Runs `work` on `runtime` until it finishes, or until SIGINT or SIGTERM
/// arrives; then the name of the signal.
pub fn run_until_signal<F: Future>(runtime: &Runtime, work: F) -> Result<F::Output, &'static str> {
    runtime.block_on(async {
        // A handler that cannot be installed leaves that signal's default
        // action (ending the process), which is still an interruption.
        let mut term = signal(SignalKind::terminate()).ok();
        let terminated = async {
            match term.as_mut() {
                Some(term) => term.recv().await,
                None => std::future::pending().await,
            }
        };
        let interrupted = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            done = work => Ok(done),
            () = interrupted => Err("SIGINT"),
            _ = terminated => Err("SIGTERM"),
        }
    })
}
