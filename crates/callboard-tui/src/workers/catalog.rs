//! The catalog jobs of the workers: open the sources' snapshots and send
//! the search corpus (syncing never-synced sources first), and sync every
//! source in the background, reporting progress as [`SyncEvent`]s.

use std::sync::Arc;

use anyhow::{Context, Result};

use super::WorkerConfig;
use crate::messages::{CatalogLoad, Msg, SourceStatus, SyncEvent, UiSender};
use callboard_core::catalog::EntityLookup;
use callboard_core::search::Corpus;
use callboard_core::text;
use callboard_io::cache::Store;
use callboard_io::clock::Clock;
use callboard_io::config::{Source, SourceKind};
use callboard_io::remotes::Cancel;
use callboard_io::source::backstage::{ErrorKind, RemoteError, RetryPolicy};
use callboard_io::sync::{sync_all, SyncOptions, SyncOutcome};

pub(super) fn run_sync(config: &WorkerConfig, ui: &UiSender, cancel: &Cancel) {
    let options = SyncOptions {
        cancel: Some(cancel.clone()),
        ..Default::default()
    };
    sync_sources(config, &config.sources, ui, &options);
}

/// Refresh the named sources (stale remote snapshots at start) quickly: one
/// retry with short waits, and no waiting for another process's sync; the
/// cached snapshot stays when the endpoint cannot be reached.
pub(super) fn run_refresh(config: &WorkerConfig, names: &[String], ui: &UiSender, cancel: &Cancel) {
    let sources: Vec<Source> = config
        .sources
        .iter()
        .filter(|s| names.contains(&s.name))
        .cloned()
        .collect();
    let options = SyncOptions {
        retry: RetryPolicy::quick(),
        no_wait: true,
        cancel: Some(cancel.clone()),
        ..Default::default()
    };
    sync_sources(config, &sources, ui, &options);
}

/// Sync `sources` in order through io's one sync loop, telling the UI how
/// it goes (the status bar names the source, not the download's progress).
/// Failures are told in words ([`failure_in_words`]) once the loop is done.
fn sync_sources(
    config: &WorkerConfig,
    sources: &[Source],
    ui: &UiSender,
    options: &SyncOptions,
) -> SyncOutcome {
    let outcome = sync_all(
        &config.remotes,
        &config.cache,
        sources,
        config.allowed_kinds.as_deref(),
        options,
        &|event| match event {
            SyncEvent::Progress(_)
            | SyncEvent::SourceDone { result: Err(_), .. }
            | SyncEvent::Finished { .. } => {}
            other => {
                let _ = ui.send(Msg::Sync(other.clone()));
            }
        },
    );
    for failure in &outcome.failed {
        let _ = ui.send(Msg::Sync(SyncEvent::SourceDone {
            name: failure.source.clone(),
            result: Err(failure_in_words(&failure.source, &failure.error)),
        }));
    }
    let _ = ui.send(Msg::Sync(SyncEvent::Finished {
        failed: outcome.failed.len(),
    }));
    if let Some(name) = &outcome.cancelled {
        let _ = ui.send(Msg::Notice {
            text: format!(
                "sync of '{}' cancelled; the previous snapshot is kept",
                text::one_line(name)
            ),
            error: false,
        });
    }
    outcome
}

/// How a failure that is the network's says so.
pub const CONNECTION_PROBLEM: &str = "a connection problem";

/// Why a source's sync failed, in one line of words: a connection problem
/// said as one ("cannot connect to 'prod' (connection refused)"), not the
/// HTTP client's chain of errors; other errors (a refused token, a wrong
/// URL) as the source reader words them.
pub fn failure_in_words(source: &str, error: &anyhow::Error) -> String {
    let Some(remote) = error.downcast_ref::<RemoteError>() else {
        return text::one_line(&format!("{error:#}")).into_owned();
    };
    let message = remote.to_string();
    // The innermost cause: "Connection refused (os error 111)".
    let cause = message
        .rsplit(": ")
        .next()
        .unwrap_or_default()
        .split(" (os error")
        .next()
        .unwrap_or_default()
        .trim();
    let cause = {
        let mut c = cause.chars();
        c.next()
            .map(|f| f.to_lowercase().chain(c).collect::<String>())
            .unwrap_or_default()
    };
    let cause = text::one_line(&cause).into_owned();
    let name = text::one_line(source).into_owned();
    match remote.kind {
        ErrorKind::Connect => {
            format!("cannot connect to '{name}' ({cause}): {CONNECTION_PROBLEM}")
        }
        ErrorKind::Timeout => {
            format!("'{name}' did not answer in time (timeout_secs): {CONNECTION_PROBLEM}")
        }
        ErrorKind::Tls => {
            format!("no secure connection to '{name}' ({cause}); a private CA needs ca_cert")
        }
        ErrorKind::Server => format!("'{name}' answers with server errors ({cause})"),
        ErrorKind::RateLimited => format!("'{name}' asks to slow down (rate limited); try later"),
        _ => text::one_line(&message).into_owned(),
    }
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
            refresh_due: false,
            signed_in_as: None,
        };
        match callboard_io::sync::snapshot_for(&config.remotes, &config.cache, source) {
            Ok(Some(snapshot)) => {
                status.synced_at_ms = Some(snapshot.info.synced_at_ms);
                if let SourceKind::Remote(endpoint) = &source.kind {
                    // Older than its refresh age: the app refreshes it in
                    // the background, as the commands do on the way.
                    let now = Clock::System.now_ms();
                    status.refresh_due = endpoint
                        .refresh_after
                        .is_some_and(|max| snapshot.info.age_at(now) > max);
                }
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
    sync_missing: Option<&super::SyncCancel>,
) -> (Store, CatalogLoad) {
    let mut errors = Vec::new();
    let mut first_sync_failed = Vec::new();
    if let Some(slot) = sync_missing {
        // First run (or a new source): sync what was never synced, as the
        // headless commands do, reporting progress like `s` does.
        let missing: Vec<Source> = config
            .sources
            .iter()
            .filter(
                |s| match callboard_io::sync::snapshot_for(&config.remotes, &config.cache, s) {
                    Ok(None) => true,
                    // Damaged: synced again, never answered from.
                    Err(e) => e.is::<callboard_io::cache::CacheDamaged>(),
                    Ok(Some(_)) => false,
                },
            )
            .cloned()
            .collect();
        if !missing.is_empty() {
            let options = SyncOptions {
                cancel: Some(super::fresh_cancel(slot)),
                ..Default::default()
            };
            let outcome = sync_sources(config, &missing, ui, &options);
            first_sync_failed.extend(
                outcome
                    .failed
                    .iter()
                    .map(|f| failure_in_words(&f.source, &f.error)),
            );
            if let Some(name) = &outcome.cancelled {
                first_sync_failed.push(format!(
                    "the sync of '{}' was cancelled",
                    text::one_line(name)
                ));
            }
        }
    }
    let (store, sources, open_errors) = open_store(config);
    errors.extend(open_errors);
    let mut parts = Vec::new();
    for snapshot in &store.snapshots {
        let decoded = snapshot
            .corpus()
            .map_err(|e| format!("{e:#}"))
            .and_then(|decoded| decoded.map_err(|e| e.to_string()));
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
            first_sync_failed,
        },
    )
}

/// Open the catalog once on the calling thread, for benchmarks and tests
/// that want the corpus without workers.
pub fn load_corpus_now(config: &WorkerConfig) -> Result<CatalogLoad> {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let (_store, load) = load_catalog(config, &tx, Some(&Default::default()));
    if load.corpus.is_empty() && !load.errors.is_empty() {
        return Err(anyhow::anyhow!(load.errors.join("; "))).context("cannot load the catalog");
    }
    Ok(load)
}
