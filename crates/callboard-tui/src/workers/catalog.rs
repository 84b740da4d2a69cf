//! The catalog jobs of the workers: open the sources' snapshots and send
//! the search corpus (syncing never-synced sources first), and sync every
//! source in the background, reporting progress as [`SyncEvent`]s.

use std::sync::Arc;

use anyhow::{Context, Result};

use super::WorkerConfig;
use crate::messages::{CatalogLoad, Msg, SourceStatus, SyncEvent, UiSender};
use callboard_core::catalog::Kind;
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
        };
        match config.cache.open_snapshot(&source.name) {
            Ok(Some(snapshot)) => {
                status.synced_at_ms = Some(snapshot.info.synced_at_ms);
                status.entity_count = snapshot.info.entity_count;
                status.problem_count = snapshot.info.problem_count;
                snapshots.push(snapshot);
            }
            Ok(None) => {}
            Err(e) => errors.push(format!("{e:#}")),
        }
        statuses.push(status);
    }
    (Store::new(snapshots), statuses, errors)
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
            .filter(|s| matches!(config.cache.open_snapshot(&s.name), Ok(None)))
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
    let order = display_order(&corpus);
    (
        store,
        CatalogLoad {
            corpus: Arc::new(corpus),
            order: Arc::new(order),
            sources,
            errors,
        },
    )
}

/// Record indices ordered by kind (components first, as people look for
/// them most), then name, ignoring case.
pub fn display_order(corpus: &Corpus) -> Vec<u32> {
    fn kind_rank(kind: &str) -> u8 {
        match Kind::parse(kind) {
            Some(Kind::Component) => 0,
            Some(Kind::Api) => 1,
            Some(Kind::Resource) => 2,
            Some(Kind::System) => 3,
            Some(Kind::Domain) => 4,
            Some(Kind::Group) => 5,
            Some(Kind::User) => 6,
            Some(Kind::Template) => 7,
            Some(Kind::Location) => 8,
            None => 9,
        }
    }
    // Sort on integers first (kind rank, the first 32 bytes of the name
    // folded to lower case), then settle the rare ties on the whole name:
    // no allocation and few string comparisons (100k names in a few ms).
    let fold = |bytes: &[u8]| {
        let mut out = [0u8; 16];
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b.to_ascii_lowercase();
        }
        u128::from_be_bytes(out)
    };
    let mut keys: Vec<(u8, u128, u128, u32)> = corpus
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let name = v.name().as_bytes();
            let rest = name.get(16..).unwrap_or_default();
            (kind_rank(v.kind()), fold(name), fold(rest), i as u32)
        })
        .collect();
    keys.sort_unstable();
    let name = |i: u32| corpus.get(i as usize).map(|v| v.name()).unwrap_or("");
    let mut start = 0;
    while start < keys.len() {
        let same = |k: &(u8, u128, u128, u32)| {
            (k.0, k.1, k.2) == (keys[start].0, keys[start].1, keys[start].2)
        };
        let mut end = start + 1;
        while end < keys.len() && same(&keys[end]) {
            end += 1;
        }
        if end - start > 1 {
            keys[start..end].sort_by(|a, b| {
                callboard_core::search::cmp_ci(name(a.3), name(b.3)).then(a.3.cmp(&b.3))
            });
        }
        start = end;
    }
    keys.into_iter().map(|k| k.3).collect()
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
