//! The catalog jobs of the workers: open the sources' snapshots and send
//! the search corpus (syncing never-synced sources first), and sync every
//! source in the background, reporting progress as [`SyncEvent`]s.

use std::sync::Arc;

use anyhow::{Context, Result};

use super::WorkerConfig;
use crate::messages::{CatalogLoad, Msg, SourceStatus, SyncEvent, UiSender};
use callboard_core::catalog::EntityLookup;
use callboard_core::search::Corpus;
use callboard_io::cache::Store;
use callboard_io::config::Source;
use callboard_io::sync::{sync_all, SyncOptions, SyncOutcome};

pub(super) fn run_sync(config: &WorkerConfig, ui: &UiSender) {
    sync_sources(config, &config.sources, ui);
}

/// Sync `sources` in order through io's one sync loop, telling the UI how
/// it goes (the status bar names the source, not the download's progress).
fn sync_sources(config: &WorkerConfig, sources: &[Source], ui: &UiSender) -> SyncOutcome {
    sync_all(
        &config.remotes,
        &config.cache,
        sources,
        config.allowed_kinds.as_deref(),
        &SyncOptions::default(),
        &|event| {
            if !matches!(event, SyncEvent::Progress(_)) {
                let _ = ui.send(Msg::Sync(event.clone()));
            }
        },
    )
}

/// Open every source's snapshot that exists; returns the store and the
/// status of each source plus the errors met.
pub(super) fn open_store(config: &WorkerConfig) -> (Store, Vec<SourceStatus>, Vec<String>) {
    let mut snapshots = Vec::new();
    let mut statuses = Vec::new();
    let mut errors = Vec::new();
    for source in &config.sources {
        let mut status = SourceStatus {
            name: source.name.clone(),
            synced_at_ms: None,
            entity_count: 0,
            problem_count: 0,
            stale: false,
            signed_in_as: None,
        };
        match callboard_io::sync::snapshot_for(&config.remotes, &config.cache, source) {
            Ok(Some(snapshot)) => {
                status.synced_at_ms = Some(snapshot.info.synced_at_ms);
                status.entity_count = snapshot.info.entity_count;
                status.problem_count = snapshot.info.problem_count;
                status.signed_in_as =
                    callboard_io::sync::synced_as(&snapshot).filter(|who| who.starts_with("user:"));
                snapshots.push(snapshot);
            }
            Ok(None) => {}
            Err(e) => errors.push(format!("{e:#}")),
        }
        statuses.push(status);
    }
    (Store::new(snapshots), statuses, errors)
}

/// `R`: refresh `key` on the backend of the source that has it.
pub(super) fn refresh(
    config: &WorkerConfig,
    key: &str,
) -> Result<callboard_io::refresh::RefreshReport, String> {
    let (store, _, _) = open_store(config);
    let found = store
        .get(key)
        .ok_or_else(|| format!("{key} is not in the catalog"))?;
    let source = config
        .sources
        .iter()
        .find(|s| s.name == found.origin.source)
        .ok_or_else(|| format!("the source of {key} is not configured"))?;
    drop(store);
    callboard_io::refresh::refresh_entity(
        &config.remotes,
        &config.cache,
        source,
        config.allowed_kinds.as_deref(),
        key,
        std::time::Duration::from_secs(3),
    )
}

pub(super) fn load_catalog(
    config: &WorkerConfig,
    ui: &UiSender,
    sync_missing: bool,
) -> (Store, CatalogLoad) {
    let mut errors = Vec::new();
    if sync_missing {
        // First run (or a new source): sync what was never synced, as the
        // headless commands do, reporting progress like `s` does.
        let missing: Vec<Source> = config
            .sources
            .iter()
            .filter(|s| {
                matches!(
                    callboard_io::sync::snapshot_for(&config.remotes, &config.cache, s),
                    Ok(None)
                )
            })
            .cloned()
            .collect();
        if !missing.is_empty() {
            let outcome = sync_sources(config, &missing, ui);
            errors.extend(
                outcome
                    .failed
                    .iter()
                    .map(|f| format!("first sync of '{}' failed: {:#}", f.source, f.error)),
            );
        }
    }
    let (store, sources, open_errors) = open_store(config);
    errors.extend(open_errors);
    let mut parts = Vec::new();
    for snapshot in &store.snapshots {
        let decoded = snapshot
            .corpus_bytes()
            .map_err(|e| format!("{e:#}"))
            .and_then(|bytes| Corpus::decode(bytes).map_err(|e| e.to_string()));
        match decoded {
            Ok(corpus) => parts.push(corpus),
            Err(e) => errors.push(format!(
                "the search index of '{}' is unreadable ({e}); press s to sync",
                snapshot.info.source
            )),
        }
    }
    let corpus = Corpus::merge(parts);
    (
        store,
        CatalogLoad {
            corpus: Arc::new(corpus),
            sources,
            errors,
        },
    )
}

/// Open the catalog once on the calling thread, for benchmarks and tests
/// that want the corpus without workers.
pub fn load_corpus_now(config: &WorkerConfig) -> Result<CatalogLoad> {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let (_store, load) = load_catalog(config, &tx, true);
    if load.corpus.is_empty() && !load.errors.is_empty() {
        return Err(anyhow::anyhow!(load.errors.join("; "))).context("cannot load the catalog");
    }
    Ok(load)
}
