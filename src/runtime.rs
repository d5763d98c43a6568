//! Ctrl-C and `kill`: a command that is interrupted stops at once, prints no
//! partial result on stdout, says so in one line on stderr, and exits
//! UNKNOWN (3), so a script or a monitoring system never reads half a document.

use std::future::Future;

use tokio::runtime::Runtime;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

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
        let mut signals = Signals::install();
        tokio::select! {
            done = work => Ok(done),
            signal = signals.next() => Err(signal),
        }
    })
}

/// Runs `work` on `runtime`, handing it a [`Stop`] that tells it when SIGINT
/// or SIGTERM arrives, so that it can wind down (record what it did) rather
/// than vanish; a second signal stops it at once. Returns its output and the
/// signal that asked it to stop, if one did; or the second signal.
pub fn run_until_stopped<F: Future>(
    runtime: &Runtime,
    work: impl FnOnce(Stop) -> F,
) -> Result<(F::Output, Option<&'static str>), &'static str> {
    runtime.block_on(async {
        let mut signals = Signals::install();
        let (tell, told) = watch::channel(None);
        let work = work(Stop(Some(told)));
        tokio::pin!(work);
        let first = tokio::select! {
            done = &mut work => return Ok((done, None)),
            signal = signals.next() => signal,
        };
        let _ = tell.send(Some(first));
        tokio::select! {
            done = &mut work => Ok((done, Some(first))),
            second = signals.next() => Err(second),
        }
    })
}

/// Asks running work to wind down: the signal that arrived, once one has.
#[derive(Debug, Clone)]
pub struct Stop(Option<watch::Receiver<Option<&'static str>>>);

impl Stop {
    /// For work that nothing will interrupt.
    pub fn never() -> Stop {
        Stop(None)
    }

    /// Resolves with the signal's name once one arrived.
    pub async fn requested(&self) -> &'static str {
        if let Some(told) = &self.0 {
            let mut told = told.clone();
            if let Ok(signal) = told.wait_for(Option::is_some).await
                && let Some(signal) = *signal
            {
                return signal;
            }
        }
        std::future::pending().await
    }
}

/// SIGINT and SIGTERM, as they arrive.
struct Signals {
    term: Option<tokio::signal::unix::Signal>,
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// A handler that cannot be installed leaves that signal's default
    /// action (ending the process), which is still an interruption.
    fn install() -> Signals {
        Signals {
            term: signal(SignalKind::terminate()).ok(),
            int: signal(SignalKind::interrupt()).ok(),
        }
    }

    async fn next(&mut self) -> &'static str {
        async fn recv(signal: Option<&mut tokio::signal::unix::Signal>) {
            match signal {
                Some(signal) => {
                    if signal.recv().await.is_none() {
                        std::future::pending::<()>().await;
                    }
                }
                None => std::future::pending::<()>().await,
            }
        }
        tokio::select! {
            () = recv(self.int.as_mut()) => "SIGINT",
            () = recv(self.term.as_mut()) => "SIGTERM",
        }
    }
}
