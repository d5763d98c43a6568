//! Reading error chains: libraries wrap the cause that matters (a TLS
//! alert, a refused connection) in layers of their own; and writing them for
//! people, once.

use std::error::Error as StdError;
use std::sync::Arc;

/// A lower-level error in the words people read ("still locked by another
/// process after 5s" for SQLite's "database is locked"). `Display` is the
/// wording; `source()` is the original error, kept for whoever inspects the
/// chain. [`report`] ends a chain here: the wording already says what the
/// source said.
#[derive(Debug, thiserror::Error)]
#[error("{words}")]
pub struct Worded {
    words: String,
    #[source]
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl Worded {
    pub fn new(
        words: impl Into<String>,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        Worded {
            words: words.into(),
            source: Some(source.into()),
        }
    }

    /// Words from a library that gave no error value, only its reason.
    pub fn without_source(words: impl Into<String>) -> Self {
        Worded {
            words: words.into(),
            source: None,
        }
    }
}

/// An error chain as one line for people: each layer's words joined by
/// ": ", as `{:#}` prints them, except that the chain ends at a [`Worded`]
/// error (whose words are not repeated when its wrapper said them already).
pub fn report(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        let worded = e.is::<Worded>();
        if !(worded && parts.last() == Some(&text)) {
            parts.push(text);
        }
        if worded {
            break;
        }
        current = e.source();
    }
    parts.join(": ")
}

/// The innermost error of type `T` in a chain. Libraries hide causes inside
/// `io::Error` and `Arc<dyn Error>` wrappers, whose `source()` skips them, so
/// those are opened explicitly.
pub fn find_cause<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut found = None;
    let mut current = Some(error);
    while let Some(mut e) = current {
        loop {
            if let Some(t) = e.downcast_ref::<T>() {
                found = Some(t);
            }
            let inner: Option<&'a (dyn StdError + 'static)> =
                if let Some(arc) = e.downcast_ref::<Arc<dyn StdError + Send + Sync>>() {
                    Some(arc.as_ref())
                } else if let Some(io) = e.downcast_ref::<std::io::Error>() {
                    io.get_ref().map(|inner| inner as &(dyn StdError + 'static))
                } else {
                    None
                };
            match inner {
                Some(inner) => e = inner,
                None => break,
            }
        }
        current = e.source();
    }
    found
}

/// The whole chain as one line, without the repetitions libraries tend to add.
pub fn chain_text(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_cause_looks_inside_io_errors() {
        let inner = rustls::Error::General("boom".into());
        let io = std::io::Error::other(inner);
        let found = find_cause::<rustls::Error>(&io);
        assert_eq!(
            found.map(|e| e.to_string()).as_deref(),
            Some("unexpected error: boom")
        );
    }

    #[test]
    fn a_report_ends_at_worded_errors() {
        #[derive(Debug, thiserror::Error)]
        #[error("{0}")]
        struct Outer(#[source] Worded);
        let driver = std::io::Error::other("database is locked");
        let e = anyhow::Error::new(Outer(Worded::new("still locked after 1s", driver)))
            .context("alert store /tmp/a.db");
        assert_eq!(
            report(e.as_ref()),
            "alert store /tmp/a.db: still locked after 1s"
        );
        assert_eq!(
            format!("{e:#}"),
            "alert store /tmp/a.db: still locked after 1s: still locked after 1s: database is locked"
        );
        let plain = anyhow::anyhow!("refused").context("outer");
        assert_eq!(report(plain.as_ref()), format!("{plain:#}"));
    }
}
