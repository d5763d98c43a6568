//! The last read of something the store holds, kept for the requests that
//! follow: the dashboard's history and its open alerts. Each read opens
//! the store; a page view must not, or the request rate is the store's.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub struct Latest<T> {
    last: Mutex<Slot<T>>,
    /// One read at a time: those who wait may take the read they waited for.
    reading: tokio::sync::Mutex<()>,
}

struct Slot<T> {
    read: Option<(Instant, Arc<T>)>,
    /// When this server last changed what is read: a read started before
    /// then says what was, not what is.
    changed: Option<Instant>,
}

impl<T> Default for Latest<T> {
    fn default() -> Self {
        Latest {
            last: Mutex::new(Slot {
                read: None,
                changed: None,
            }),
            reading: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T> Latest<T> {
    /// The last read and when it started, unless a change came after.
    pub fn last(&self) -> Option<(Instant, Arc<T>)> {
        let slot = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let (at, read) = slot.read.as_ref()?;
        slot.changed
            .is_none_or(|changed| *at > changed)
            .then(|| (*at, Arc::clone(read)))
    }

    /// Says that what is read has changed: the next caller reads again.
    pub fn changed(&self) {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).changed = Some(Instant::now());
    }

    /// The last read when `take` accepts the instant it started, else a
    /// new one made by `read`. A caller that waited for another's read
    /// takes it when `take` accepts it.
    pub async fn get_or_read<F>(
        &self,
        take: impl Fn(Instant) -> bool,
        read: impl FnOnce() -> F,
    ) -> Arc<T>
    where
        F: Future<Output = T>,
    {
        let taken = |latest: &Self| latest.last().filter(|(at, _)| take(*at));
        if let Some((_, read)) = taken(self) {
            return read;
        }
        let _one = self.reading.lock().await;
        if let Some((_, read)) = taken(self) {
            return read;
        }
        let started = Instant::now();
        let value = Arc::new(read().await);
        self.last.lock().unwrap_or_else(|e| e.into_inner()).read =
            Some((started, Arc::clone(&value)));
        value
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn callers_at_once_share_one_read_and_a_change_reads_again() {
        let latest = Latest::<usize>::default();
        let reads = AtomicUsize::new(0);
        let fresh = |at: Instant| at.elapsed() < Duration::from_secs(60);
        let read = || async {
            // The others ask while this read is under way.
            tokio::task::yield_now().await;
            reads.fetch_add(1, Ordering::SeqCst) + 1
        };
        let all = futures_util::future::join_all((0..8).map(|_| latest.get_or_read(fresh, read)))
            .await
            .iter()
            .map(|v| **v)
            .collect::<Vec<_>>();
        assert_eq!(all, [1; 8]);
        assert_eq!(reads.load(Ordering::SeqCst), 1);

        latest.changed();
        assert!(latest.last().is_none());
        assert_eq!(*latest.get_or_read(fresh, read).await, 2);
        assert_eq!(*latest.get_or_read(fresh, read).await, 2);
        // A caller that wants a read begun after it asked does not take an older one.
        let asked = Instant::now();
        assert_eq!(*latest.get_or_read(|at| at >= asked, read).await, 3);
    }
}
