//! Recording a round of checks in the history, as `check --record` and the
//! leading `vitals serve` do: the runs stored, their metrics judged (each
//! check given its anomalies), then a bounded part of the upkeep (roll-ups,
//! pruning of the history and of resolved alerts). It composes the two
//! repositories, which know nothing of each other; nothing here prints.

use std::time::Duration;

use crate::alerts::Timestamp;
use crate::alerts::store::AlertStore;
use crate::checks::{CheckId, CheckResult};
use crate::clock;
use crate::config::StoreSettings;
use crate::history::{HistorySettings, HistoryStore, Run, store_name};
use crate::net::tls::Trust;
use crate::store::{Create, Store, StoreError};

/// Resolved alerts pruned per recording, at most.
const ALERT_PRUNE_BATCH: i64 = 500;

/// Why a round was not (wholly) recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{store}: no location: set VITALS_STATE (a file path or a postgres:// URL), or HOME")]
    NoLocation { store: String },
    #[error("{store}")]
    Store {
        store: String,
        #[source]
        source: StoreError,
    },
    #[error("{store}: pruning resolved alerts")]
    Pruning {
        store: String,
        #[source]
        source: StoreError,
    },
}

/// Records the round's runs (a check that is not configured has none) and
/// adds to each check the anomalies its metrics show.
pub async fn record(
    checks: &mut [(CheckId, CheckResult)],
    started_at: chrono::DateTime<chrono::Utc>,
    config: &StoreSettings,
    history: &HistorySettings,
    timeout: Duration,
) -> Result<(), RecordError> {
    let instance = &config.instance;
    let (recorded, runs): (Vec<usize>, Vec<Run>) = checks
        .iter()
        .enumerate()
        .filter_map(|(i, (id, result))| {
            let mut run = Run::of(*id, result, instance, started_at)?;
            run.maintenance =
                crate::config::active_window(&history.maintenance, id.key(), None, started_at)
                    .map(|(w, _)| w.name.clone());
            Some((i, run))
        })
        .unzip();
    let store = store_name(config);
    let location = config
        .location
        .as_ref()
        .ok_or_else(|| RecordError::NoLocation {
            store: store.clone(),
        })?;
    let trust = Trust::new(config.extra_ca_file.clone());
    let create = if config.default_location {
        Create::Directories
    } else {
        Create::Store
    };
    let in_store = |source| RecordError::Store {
        store: store.clone(),
        source,
    };
    let opened = Store::open(location, &trust, timeout, create)
        .await
        .map_err(in_store)?;
    let mut history_store = HistoryStore::new(opened);
    let done = history_store
        .record(&runs, &history.retention, &history.anomaly, clock::now())
        .await
        .map_err(in_store)?;
    tracing::debug!("recorded {} runs; upkeep: {:?}", done.runs, done.upkeep);
    for (run, i) in recorded.iter().enumerate() {
        let found: Vec<_> = done
            .anomalies
            .iter()
            .filter(|(of, _)| *of == run)
            .map(|(_, a)| a.clone())
            .collect();
        if let Some((_, result)) = checks.get_mut(*i) {
            result.add_anomalies(found);
        }
    }
    // Resolved alerts are pruned when the history is (once in ten minutes).
    let kept = i64::try_from(history.alert_retention.as_millis()).unwrap_or(i64::MAX);
    let cutoff = Timestamp::from_millis(Timestamp::now().millis().saturating_sub(kept));
    if let Some(cutoff) = cutoff.filter(|_| done.upkeep.pruning) {
        let pruned = AlertStore::new(history_store.into_store())
            .prune_resolved(cutoff, ALERT_PRUNE_BATCH)
            .await
            .map_err(|source| RecordError::Pruning { store, source })?;
        tracing::debug!("pruned {pruned} resolved alerts");
    }
    Ok(())
}
