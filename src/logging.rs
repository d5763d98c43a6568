//! Logs go to stderr only, through the secret scrub, at the level -q/-v ask for.

use std::io::{self, Write};

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::redact;

/// `-q` errors only; default warnings; `-v` our info; `-vv` our debug and the
/// libraries' info; `-vvv` everything.
pub fn init(verbose: u8, quiet: bool, color: bool) {
    let (ours, theirs) = match (quiet, verbose) {
        (true, _) => (LevelFilter::ERROR, LevelFilter::ERROR),
        (false, 0) => (LevelFilter::WARN, LevelFilter::WARN),
        (false, 1) => (LevelFilter::INFO, LevelFilter::WARN),
        (false, 2) => (LevelFilter::DEBUG, LevelFilter::INFO),
        (false, _) => (LevelFilter::TRACE, LevelFilter::TRACE),
    };
    let filter = Targets::new()
        .with_default(theirs)
        .with_target(env!("CARGO_CRATE_NAME"), ours);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(ScrubbedStderr)
        .with_ansi(color)
        .with_target(verbose >= 2);
    // Fails only when a subscriber is already set, which cannot happen in this process.
    let _ = tracing_subscriber::registry()
        .with(layer)
        .with(filter)
        .try_init();
}

/// stderr behind the scrub. The formatter hands over each event in one write,
/// so a secret is never split across calls.
struct ScrubbedStderr;

impl<'a> MakeWriter<'a> for ScrubbedStderr {
    type Writer = ScrubbedStderr;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbedStderr
    }
}

impl Write for ScrubbedStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        io::stderr()
            .lock()
            .write_all(redact::scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}
