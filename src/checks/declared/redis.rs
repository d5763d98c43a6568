//! `kind = "redis"`: another Redis server checked as `check cache` checks
//! REDIS_URL's — `rediss://` TLS, unix sockets, `REDIS_PASSWORD` when the
//! URL carries none, the same `CACHE_*` thresholds.

use super::{CheckKind, Instance, Probe};
use crate::checks::cache::Cache;

pub const KIND: CheckKind = CheckKind {
    name: "redis",
    fields: &["url"],
    read: |f, r, trust| {
        if !f.has("url") {
            f.missing("url", "a redis://, rediss:// or unix:// URL");
        }
        let url = f.url("url", crate::checks::cache::SCHEMES)?;
        Some(Box::new(Instance(Box::new(Cache::declared(url, r, trust)))) as Box<dyn Probe>)
    },
};
