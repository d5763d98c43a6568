//! Reading error chains: libraries wrap the cause that matters (a TLS
//! alert, a refused connection) in layers of their own.

use std::error::Error as StdError;
use std::sync::Arc;

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
}
