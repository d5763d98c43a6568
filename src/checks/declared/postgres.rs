//! `kind = "postgres"`: another PostgreSQL server (a replica, a second
//! primary) checked as `check db` checks DATABASE_URL's — TLS and `sslmode`,
//! client certificates (`sslcert`/`sslkey`), unix sockets, the same
//! `DB_*` thresholds — and, for a replica, `max_replication_lag`.

use super::{CheckKind, Instance, Probe};
use crate::checks::database::Database;

pub const KIND: CheckKind = CheckKind {
    name: "postgres",
    fields: &["url", "max_replication_lag"],
    read: |f, r, trust| {
        if !f.has("url") {
            f.missing("url", "a postgres:// URL, such as \"${REPLICA_URL}\"");
        }
        let url = f.url("url", &["postgres", "postgresql"]);
        let max_lag = f.duration("max_replication_lag");
        let database = Database::declared(url?, r, trust, max_lag);
        Some(Box::new(Instance(Box::new(database))) as Box<dyn Probe>)
    },
};
