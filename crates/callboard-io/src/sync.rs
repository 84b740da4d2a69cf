//! Sync: read each configured source and replace its cache snapshot.
//!
//! A local source is read whole; a remote one (a Backstage backend) is
//! synced incrementally against its previous snapshot when it can be (see
//! [`crate::source::backstage`]). Either way the new snapshot replaces the
//! old one only when complete: a failed or killed sync keeps the last good
//! one.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde::Serialize;

use crate::cache::{Cache, SnapshotInfo};
use crate::clock::Clock;
use crate::config::{Endpoint, Source, SourceKind};
use crate::source::backstage::{
    block_on, ProgressFn, Remote, RemoteError, RemoteStats, RetryPolicy,
};
use crate::source::local::{load_local, LocalOptions};
use crate::source::{Problem, Severity};

/// What one source's sync did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub source: String,
    pub snapshot: SnapshotInfo,
    pub files_read: usize,
    pub problems: Vec<Problem>,
    #[serde(serialize_with = "as_millis")]
    pub elapsed: Duration,
    /// For a remote source: full or incremental, entities fetched, bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteStats>,
}

/// How to sync.
#[derive(Clone, Default)]
pub struct SyncOptions {
    /// Called as a remote sync goes (entities and bytes so far).
    pub progress: Option<ProgressFn>,
    /// Download everything even when an incremental sync is possible.
    pub full: bool,
    pub retry: RetryPolicy,
    /// Give up at once (with [`SyncBusy`]) when another process is syncing
    /// the same source, instead of waiting for it.
    pub no_wait: bool,
    /// What a remote sync waits on (retries) and stamps and ages its
    /// snapshot by; the wall clock unless a test passes a manual one.
    pub clock: Clock,
}

/// Another process holds the source's sync lock.
#[derive(Debug, thiserror::Error)]
#[error("source '{0}' is being synced by another callboard process")]
pub struct SyncBusy(pub String);

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

impl SyncReport {
    pub fn error_count(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }
}

/// Sync one source. A source that yields nothing readable at all (every
/// root missing, say) fails and leaves the previous snapshot in place.
pub fn sync_source(
    cache: &Cache,
    source: &Source,
    allowed_kinds: Option<&[String]>,
) -> Result<SyncReport> {
    sync_source_with(cache, source, allowed_kinds, &SyncOptions::default())
}

/// [`sync_source`] with options (progress, full, retries). A failed remote
/// sync's error is a [`RemoteError`] (`err.downcast_ref`), or [`SyncBusy`].
///
/// Blocking: a remote sync runs its own small tokio runtime, so call this
/// from synchronous code or `tokio::task::spawn_blocking`.
pub fn sync_source_with(
    cache: &Cache,
    source: &Source,
    allowed_kinds: Option<&[String]>,
    options: &SyncOptions,
) -> Result<SyncReport> {
    let started = Instant::now();
    let roots = match &source.kind {
        SourceKind::Local { roots } => roots.clone(),
        SourceKind::Demo => vec![crate::demo::materialize(cache.dir())?],
        SourceKind::Remote(endpoint) => {
            return sync_remote(
                cache,
                &source.name,
                endpoint,
                allowed_kinds,
                options,
                started,
            )
        }
    };
    let options = LocalOptions {
        allowed_kinds: allowed_kinds.map(<[String]>::to_vec),
        ..LocalOptions::default()
    };
    let loaded = load_local(&source.name, &roots, &options);
    if loaded.files_read == 0 {
        let why = loaded
            .problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n  ");
        bail!(
            "source '{}' read no catalog files from {}; the previous snapshot is kept{}",
            source.name,
            source.describe(),
            if why.is_empty() {
                String::new()
            } else {
                format!(":\n  {why}")
            }
        );
    }
    let snapshot = cache.write_snapshot(
        &source.name,
        &source.describe(),
        &loaded.entities,
        &loaded.problems,
    )?;
    Ok(SyncReport {
        source: source.name.clone(),
        snapshot,
        files_read: loaded.files_read,
        problems: loaded.problems,
        elapsed: started.elapsed(),
        remote: None,
    })
}

fn sync_remote(
    cache: &Cache,
    name: &str,
    endpoint: &Endpoint,
    allowed_kinds: Option<&[String]>,
    options: &SyncOptions,
    started: Instant,
) -> Result<SyncReport> {
    let remote = Remote::new(name, endpoint, options.retry.clone())
        .map(|r| r.with_clock(options.clock.clone()));
    let mut writer = if options.no_wait {
        match cache.try_begin_snapshot(name, &endpoint.url)? {
            Some(w) => w,
            None => return Err(SyncBusy(name.to_string()).into()),
        }
    } else {
        cache.begin_snapshot(name, &endpoint.url)?
    };
    // Read under the lock: no other sync replaces it meanwhile. An
    // unreadable previous snapshot only means a full sync.
    let previous = cache.open_snapshot(name).ok().flatten();
    let kept = |e: RemoteError| -> anyhow::Error {
        match &previous {
            Some(p) => e
                .with_note(&format!(
                    "the snapshot from {} ago is kept",
                    p.info.age_text_at(options.clock.now_ms())
                ))
                .into(),
            None => e.into(),
        }
    };
    let remote = remote.map_err(kept)?;
    let progress = |p: &crate::source::backstage::SyncProgress| {
        if let Some(f) = &options.progress {
            f(p)
        }
    };
    let (stats, problems) = block_on(remote.sync(
        &mut writer,
        previous.as_ref(),
        allowed_kinds,
        options.full,
        &progress,
    ))
    .map_err(kept)?;
    drop(previous);
    progress(&crate::source::backstage::SyncProgress {
        source: name.to_string(),
        phase: crate::source::backstage::Phase::Writing,
        entities: stats.entities,
        total: None,
        bytes: stats.bytes_received,
    });
    let snapshot = writer.finish_at(&problems, options.clock.now_ms())?;
    Ok(SyncReport {
        source: name.to_string(),
        snapshot,
        files_read: 0,
        problems,
        elapsed: started.elapsed(),
        remote: Some(stats),
    })
}

/// A remote source's snapshot for a command, with what the user should be
/// told about it (the command line prints the notes on stderr).
#[derive(Debug)]
pub struct OpenedRemote {
    /// None: never synced and unreachable, skipped because other sources
    /// can answer.
    pub snapshot: Option<crate::cache::Snapshot>,
    /// An offline answer and how old it is, a skipped source, problems.
    pub notes: Vec<String>,
}

/// A remote source's snapshot for a command: the cached one while fresh;
/// otherwise refreshed first (quickly: short retries, no waiting for
/// another process's sync). When the endpoint cannot be reached, the cached
/// snapshot answers and a note says how old it is. Ages are read from
/// `clock`.
pub fn open_remote(
    cache: &Cache,
    source: &Source,
    endpoint: &Endpoint,
    allowed_kinds: Option<&[String]>,
    skip_if_unreachable: bool,
    clock: &Clock,
) -> Result<OpenedRemote> {
    let cached = cache.open_snapshot(&source.name).unwrap_or(None);
    let stale = match (&cached, endpoint.refresh_after) {
        (Some(s), Some(max)) => s.info.age_at(clock.now_ms()) > max,
        (Some(_), None) => false,
        (None, _) => true,
    };
    let mut notes = Vec::new();
    if !stale {
        return Ok(OpenedRemote {
            snapshot: cached,
            notes,
        });
    }
    let options = SyncOptions {
        retry: if cached.is_some() {
            RetryPolicy::quick()
        } else {
            RetryPolicy::default()
        },
        no_wait: cached.is_some(),
        clock: clock.clone(),
        ..Default::default()
    };
    let snapshot = match sync_source_with(cache, source, allowed_kinds, &options) {
        Ok(report) => {
            if let Some(note) = problems_note(&report) {
                notes.push(note);
            }
            let fresh = cache.open_snapshot(&source.name)?;
            fresh.or(cached)
        }
        Err(e) if e.is::<SyncBusy>() => cached,
        Err(e) => match cached {
            Some(snapshot) => {
                let offline = e
                    .downcast_ref::<RemoteError>()
                    .is_none_or(RemoteError::is_unreachable);
                notes.push(format!("{e:#}"));
                notes.push(format!(
                    "{}answering from the cached snapshot of '{}', synced {} ago",
                    if offline { "offline: " } else { "" },
                    source.name,
                    snapshot.info.age_text_at(clock.now_ms())
                ));
                Some(snapshot)
            }
            None if skip_if_unreachable => {
                notes.push(format!(
                    "skipping source '{}' (never synced): {e:#}",
                    source.name
                ));
                None
            }
            None => return Err(e),
        },
    };
    Ok(OpenedRemote { snapshot, notes })
}

/// "3 problems while reading 'x'", when a sync met any errors.
pub fn problems_note(report: &SyncReport) -> Option<String> {
    (report.error_count() > 0).then(|| {
        format!(
            "{} problems while reading '{}'; `callboard sync` lists them",
            report.error_count(),
            report.source
        )
    })
}
