//! Ctrl-C and `kill`: a command that is interrupted stops at once, prints no
//! partial result on stdout, says so in one line on stderr, and exits
//! UNKNOWN (3), so a script or a monitoring system never reads half a document.
//!
//! SIGINT and SIGTERM are caught from the start of a command
//! ([`catch_signals`]), before any work: one that arrives before the work
//! starts stops it before it starts, one that arrives between two stretches
//! of work stops the next, and none ends the process half-way through
//! printing.

use std::future::Future;
use std::sync::OnceLock;

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
/// arrives (or has arrived already: then `work` does not start); then the
/// name of the signal.
pub fn run_until_signal<F: Future>(runtime: &Runtime, work: F) -> Result<F::Output, &'static str> {
    runtime.block_on(async {
        let mut signals = Signals::install();
        tokio::select! {
            // A signal that came before the work started stops it before it starts.
            biased;
            signal = signals.next() => Err(signal),
            done = work => Ok(done),
        }
    })
}

/// Runs `work` on `runtime`, handing it a [`Stop`] that tells it when SIGINT
/// or SIGTERM arrives, so that it can wind down (record what it did) rather
/// than vanish; a second signal stops it at once. Returns its output and the
/// signal that asked it to stop, if one did; or the second signal. A signal
/// that came before the work started stops it before it starts.
pub fn run_until_stopped<F: Future>(
    runtime: &Runtime,
    work: impl FnOnce(Stop) -> F,
) -> Result<(F::Output, Option<&'static str>), &'static str> {
    runtime.block_on(async {
        let mut signals = Signals::install();
        tokio::select! {
            biased;
            signal = signals.next() => return Err(signal),
            () = std::future::ready(()) => {}
        }
        let (tell, told) = watch::channel(None);
        let work = work(Stop(told));
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
pub struct Stop(watch::Receiver<Option<&'static str>>);

impl Stop {
    /// Resolves with the signal's name once one arrived.
    pub async fn requested(&self) -> &'static str {
        let mut told = self.0.clone();
        if let Ok(signal) = told.wait_for(Option::is_some).await
            && let Some(signal) = *signal
        {
            return signal;
        }
        std::future::pending().await
    }
}

/// How many signals have arrived, and the name of the last one.
type Arrived = (u64, &'static str);

static ARRIVED: OnceLock<watch::Receiver<Arrived>> = OnceLock::new();

/// Catches SIGINT and SIGTERM for the rest of the process, on a thread of
/// its own (runtimes come and go; a signal between two of them must not be
/// lost, nor end the process while it prints). Returns once the handlers
/// are installed.
pub fn catch_signals() -> std::io::Result<()> {
    if ARRIVED.get().is_some() {
        return Ok(());
    }
    let (ready, installed) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            let listen = async {
                let mut int = signal(SignalKind::interrupt())?;
                let mut term = signal(SignalKind::terminate())?;
                let (tell, told) = watch::channel((0, ""));
                let _ = ready.send(Ok(told));
                let mut count = 0;
                loop {
                    let name = tokio::select! {
                        Some(()) = int.recv() => "SIGINT",
                        Some(()) = term.recv() => "SIGTERM",
                        else => return Ok::<(), std::io::Error>(()),
                    };
                    count += 1;
                    tell.send_replace((count, name));
                }
            };
            let failed = match build(1) {
                Ok(runtime) => runtime.block_on(listen).err(),
                Err(e) => Some(e),
            };
            if let Some(e) = failed {
                let _ = ready.send(Err(e));
            }
        })?;
    let told = installed
        .recv()
        .map_err(|_| std::io::Error::other("the signal thread ended"))??;
    let _ = ARRIVED.set(told);
    Ok(())
}

/// SIGINT and SIGTERM as they arrive, counting those that arrived before.
pub struct Signals {
    told: Option<watch::Receiver<Arrived>>,
    seen: u64,
}

impl Signals {
    /// Signals from the start of the command on; none without [`catch_signals`].
    pub fn install() -> Signals {
        Signals {
            told: ARRIVED.get().cloned(),
            seen: 0,
        }
    }

    /// The next signal not seen yet.
    pub async fn next(&mut self) -> &'static str {
        if let Some(told) = self.told.as_mut()
            && let Ok(arrived) = told.wait_for(|(count, _)| *count > self.seen).await
        {
            let (count, name) = *arrived;
            self.seen = count;
            return name;
        }
        std::future::pending().await
    }
}
