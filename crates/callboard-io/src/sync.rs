//! Sync: read each configured source and replace its cache snapshot.
//!
//! A local source is read whole; a remote one (a Backstage backend) is
//! synced incrementally against its previous snapshot when it can be (see
//! [`crate::source::backstage`]), through the registry's connection to it
//! ([`Remotes`]). Either way the new snapshot replaces the old one only
//! when complete: a failed or killed sync keeps the last good one.
//!
//! [`sync_all`] is the one loop over several sources: `callboard sync`,
//! the TUI's `s` and its first sync of never-synced sources all use it and
//! hear about it through [`SyncEvent`]s.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use callboard_core::text::counted;
use serde::Serialize;

use crate::cache::{Cache, Snapshot, SnapshotInfo};
use crate::clock::Clock;
use crate::config::{Endpoint, Source, SourceKind};
use crate::remotes::{Cancel, Remotes};
use crate::source::backstage::{
    Phase, ProgressFn, RemoteError, RemoteStats, RetryPolicy, SyncProgress,
};
use crate::source::local::{load_local_compact_spilling, LocalOptions};
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
    /// Give up when the server has not answered within this (all retries
    /// of the first request included); a command's quick refresh.
    pub first_answer_within: Option<Duration>,
    /// Stop when this is cancelled: the request in flight is dropped at
    /// once and the sync ends with [`SyncCancelled`], the previous snapshot
    /// kept (the new one is discarded, never written).
    pub cancel: Option<Cancel>,
}

/// A sync stopped because its [`SyncOptions::cancel`] was cancelled.
#[derive(Debug, thiserror::Error)]
#[error("the sync of '{0}' was cancelled; the previous snapshot is kept")]
pub struct SyncCancelled(pub String);

fn cancelled(options: &SyncOptions) -> bool {
    options.cancel.as_ref().is_some_and(Cancel::is_cancelled)
}

/// Resolves once `cancel` is cancelled (never when there is none).
async fn until_cancelled(cancel: Option<Cancel>) {
    let Some(cancel) = cancel else {
        return std::future::pending().await;
    };
    let mut rx = cancel.subscribe();
    // Err: the sender is gone, so it can no longer be cancelled.
    if rx.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// How long a command's quick refresh waits for the server in all.
pub const QUICK_REFRESH: Duration = Duration::from_secs(3);

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
/// One-off: a remote source gets a registry of its own; long-lived
/// callers use [`sync_source_in`].
pub fn sync_source(
    cache: &Cache,
    source: &Source,
    allowed_kinds: Option<&[String]>,
) -> Result<SyncReport> {
    sync_source_with(cache, source, allowed_kinds, &SyncOptions::default())
}

/// [`sync_source`] with options (progress, full, retries). A failed remote
/// sync's error is a [`RemoteError`] (`err.downcast_ref`), or [`SyncBusy`].
pub fn sync_source_with(
    cache: &Cache,
    source: &Source,
    allowed_kinds: Option<&[String]>,
    options: &SyncOptions,
) -> Result<SyncReport> {
    sync_source_in(&Remotes::new(), cache, source, allowed_kinds, options)
}

/// [`sync_source_with`] through `remotes` (its runtime, client and token).
///
/// Blocking: call it from synchronous code, never from inside a tokio
/// runtime.
pub fn sync_source_in(
    remotes: &Remotes,
    cache: &Cache,
    source: &Source,
    allowed_kinds: Option<&[String]>,
    options: &SyncOptions,
) -> Result<SyncReport> {
    let progress = |p: &SyncProgress| {
        if let Some(f) = &options.progress {
            f(p)
        }
    };
    sync_one(remotes, cache, source, allowed_kinds, options, &progress)
}

fn sync_one(
    remotes: &Remotes,
    cache: &Cache,
    source: &Source,
    allowed_kinds: Option<&[String]>,
    options: &SyncOptions,
    progress: &dyn Fn(&SyncProgress),
) -> Result<SyncReport> {
    let started = Instant::now();
    let roots = match &source.kind {
        SourceKind::Local { roots } => roots.clone(),
        SourceKind::Demo => vec![crate::demo::materialize(cache.dir())?],
        SourceKind::Remote(endpoint) => {
            return sync_remote(
                remotes,
                cache,
                &source.name,
                endpoint,
                allowed_kinds,
                options,
                progress,
            )
        }
    };
    let sync_options = options;
    let options = LocalOptions {
        allowed_kinds: allowed_kinds.map(<[String]>::to_vec),
        max_file_bytes: cache.max_file_bytes(),
    };
    // Bodies past the first few go next to the snapshots while loading.
    let mut loaded = load_local_compact_spilling(&source.name, &roots, &options, cache.dir());
    if cancelled(sync_options) {
        return Err(SyncCancelled(source.name.clone()).into());
    }
    if loaded.files_read == 0 {
        let why = loaded
            .problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n  ");
        bail!(
            "source '{}' read no catalog files from {}; {}{}",
            source.name,
            source.describe(),
            if cache.snapshot_path(&source.name).exists() {
                "the previous snapshot is kept"
            } else {
                "nothing was cached"
            },
            if why.is_empty() {
                String::new()
            } else {
                format!(":\n  {why}")
            }
        );
    }
    let mut writer = cache.begin_snapshot(&source.name, &source.describe())?;
    loaded.write_entities(&source.name, &mut writer)?;
    let snapshot = writer.finish(&loaded.problems)?;
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
    remotes: &Remotes,
    cache: &Cache,
    name: &str,
    endpoint: &Endpoint,
    allowed_kinds: Option<&[String]>,
    options: &SyncOptions,
    progress: &dyn Fn(&SyncProgress),
) -> Result<SyncReport> {
    let started = Instant::now();
    let remote = remotes
        .remote(name, endpoint, options.retry.clone())
        .map(|r| {
            r.with_clock(options.clock.clone())
                .with_first_answer_within(options.first_answer_within)
        });
    let mut writer = if options.no_wait {
        match cache.try_begin_snapshot(name, &endpoint.url)? {
            Some(w) => w,
            None => return Err(SyncBusy(name.to_string()).into()),
        }
    } else {
        cache.begin_snapshot(name, &endpoint.url)?
    };
    // Read under the lock: no other sync replaces it meanwhile. An
    // unreadable previous snapshot only means a full sync; so does one
    // synced as someone else (its entities are not this user's to keep).
    let who = identity(remotes, name, endpoint);
    // A full sync reads only its meta: the pages are not checked (a
    // quick_check reads the whole file).
    let opened = if options.full {
        cache.open_snapshot_meta(name)
    } else {
        cache.open_snapshot(name)
    };
    let previous = opened
        .ok()
        .flatten()
        .filter(|p| synced_as(p).as_deref() == Some(who.as_str()));
    writer.set_meta(META_PRINCIPAL, &who);
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
    let remote = std::sync::Arc::new(remote.map_err(kept)?);
    // Cancelling drops the download where it is (the request in flight
    // too); the writer is dropped unfinished, so nothing is replaced.
    let synced = remotes.block_on(async {
        tokio::select! {
            biased;
            () = until_cancelled(options.cancel.clone()) => None,
            r = remote.sync(
                &mut writer,
                previous.as_ref(),
                allowed_kinds,
                options.full,
                progress,
            ) => Some(r),
        }
    });
    let Some(synced) = synced else {
        return Err(SyncCancelled(name.to_string()).into());
    };
    let (stats, mut problems) = synced.map_err(kept)?;
    if cancelled(options) {
        return Err(SyncCancelled(name.to_string()).into());
    }
    // The listing answered 304, or listed nothing changed: the previous
    // snapshot is this sync's.
    let unchanged = match previous {
        Some(p) if stats.not_modified || stats.nothing_changed => {
            problems = p
                .problems()?
                .into_iter()
                .filter_map(|v| serde_json::from_value(v).ok())
                .collect();
            Some(p)
        }
        _ => None,
    };
    progress(&SyncProgress {
        source: name.to_string(),
        phase: Phase::Writing,
        entities: stats.entities,
        total: None,
        bytes: stats.bytes_received,
    });
    let snapshot = match unchanged {
        Some(previous) => writer.finish_unchanged_at(previous, options.clock.now_ms())?,
        None => writer.finish_at(&problems, options.clock.now_ms())?,
    };
    Ok(SyncReport {
        source: name.to_string(),
        snapshot,
        files_read: 0,
        problems,
        elapsed: started.elapsed(),
        remote: Some(stats),
    })
}

/// How a run of [`sync_all`] goes, as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    /// `total` sources are about to be synced.
    Started {
        total: usize,
    },
    /// Source `index` (0-based) starts.
    Source {
        index: usize,
        name: String,
    },
    /// A remote source's download so far.
    Progress(SyncProgress),
    /// A source is done: a one-line summary, or why it failed (the
    /// error's whole chain).
    SourceDone {
        name: String,
        result: Result<String, String>,
    },
    Finished {
        failed: usize,
    },
}

/// What [`sync_all`] did: a report per source synced, in order, and the
/// sources that failed with why.
#[derive(Debug, Default)]
pub struct SyncOutcome {
    pub reports: Vec<SyncReport>,
    pub failed: Vec<SyncFailure>,
    /// The source whose sync was cancelled ([`SyncOptions::cancel`]); it
    /// and the sources after it were not synced (nor counted as failed).
    pub cancelled: Option<String>,
}

#[derive(Debug)]
pub struct SyncFailure {
    pub source: String,
    pub error: anyhow::Error,
}

/// Sync `sources` one after the other, telling `on_event` about each
/// start, progress and end (and calling `options.progress` too, when
/// set). A failed source does not stop the others. Blocking, like
/// [`sync_source_in`].
pub fn sync_all(
    remotes: &Remotes,
    cache: &Cache,
    sources: &[Source],
    allowed_kinds: Option<&[String]>,
    options: &SyncOptions,
    on_event: &dyn Fn(&SyncEvent),
) -> SyncOutcome {
    on_event(&SyncEvent::Started {
        total: sources.len(),
    });
    let progress = |p: &SyncProgress| {
        if let Some(f) = &options.progress {
            f(p)
        }
        on_event(&SyncEvent::Progress(p.clone()));
    };
    let mut outcome = SyncOutcome::default();
    for (index, source) in sources.iter().enumerate() {
        if cancelled(options) {
            outcome.cancelled = Some(source.name.clone());
            break;
        }
        on_event(&SyncEvent::Source {
            index,
            name: source.name.clone(),
        });
        let result = match sync_one(remotes, cache, source, allowed_kinds, options, &progress) {
            Ok(report) => {
                let summary = format!(
                    "{} from {}, {}",
                    counted(report.snapshot.entity_count, "entity"),
                    counted(report.files_read, "file"),
                    counted(report.error_count(), "error")
                );
                outcome.reports.push(report);
                Ok(summary)
            }
            Err(error) if error.is::<SyncCancelled>() => {
                outcome.cancelled = Some(source.name.clone());
                on_event(&SyncEvent::SourceDone {
                    name: source.name.clone(),
                    result: Err(error.to_string()),
                });
                break;
            }
            Err(error) => {
                let text = format!("{error:#}");
                outcome.failed.push(SyncFailure {
                    source: source.name.clone(),
                    error,
                });
                Err(text)
            }
        };
        on_event(&SyncEvent::SourceDone {
            name: source.name.clone(),
            result,
        });
    }
    on_event(&SyncEvent::Finished {
        failed: outcome.failed.len(),
    });
    outcome
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
    remotes: &Remotes,
    cache: &Cache,
    source: &Source,
    endpoint: &Endpoint,
    allowed_kinds: Option<&[String]>,
    skip_if_unreachable: bool,
    clock: &Clock,
) -> Result<OpenedRemote> {
    let mut notes = Vec::new();
    // A damaged snapshot is never answered from: it is synced again in full.
    // Nor is one synced as somebody else.
    let cached = match snapshot_for(remotes, cache, source) {
        Ok(cached) => cached,
        Err(e) => {
            if let Some(d) = e.downcast_ref::<crate::cache::CacheDamaged>() {
                notes.push(format!("{d}; syncing it again in full"));
            }
            None
        }
    };
    let stale = match (&cached, endpoint.refresh_after) {
        (Some(s), Some(max)) => s.info.age_at(clock.now_ms()) > max,
        (Some(_), None) => false,
        (None, _) => true,
    };
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
        first_answer_within: cached.is_some().then_some(QUICK_REFRESH),
        ..Default::default()
    };
    let snapshot = match sync_source_in(remotes, cache, source, allowed_kinds, &options) {
        Ok(report) => {
            if let Some(note) = problems_note(&report) {
                notes.push(note);
            }
            let fresh = snapshot_for(remotes, cache, source)?;
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

/// The snapshot meta key naming who a remote snapshot was synced as.
pub const META_PRINCIPAL: &str = "principal";

/// Who callboard is at an endpoint, as far as the cache cares (no
/// network): the signed-in user (`user:default/bob`), `static token`, or
/// `anonymous` when no token is sent.
pub fn identity(remotes: &Remotes, name: &str, endpoint: &Endpoint) -> String {
    if let Some(s) = remotes.sign_in(name, endpoint) {
        return s.tokens.who().unwrap_or_else(|| "unnamed user".to_string());
    }
    let unset_env = matches!(&endpoint.token,
        crate::config::TokenSource::Env { var, required: false }
            if std::env::var(var).map(|v| v.trim().is_empty()).unwrap_or(true));
    if unset_env {
        "anonymous".to_string()
    } else {
        "static token".to_string()
    }
}

/// Who a snapshot was synced as (`None`: not recorded).
pub fn synced_as(snapshot: &Snapshot) -> Option<String> {
    snapshot.meta(META_PRINCIPAL).ok().flatten()
}

/// A source's cached snapshot, as long as it is this identity's: a remote
/// snapshot synced as someone else (another user, a static token) is not
/// shown, and is replaced by the next sync.
pub fn snapshot_for(remotes: &Remotes, cache: &Cache, source: &Source) -> Result<Option<Snapshot>> {
    let snapshot = cache.open_snapshot(&source.name)?;
    match (&source.kind, snapshot) {
        (SourceKind::Remote(endpoint), Some(s)) => {
            let who = identity(remotes, &source.name, endpoint);
            Ok((synced_as(&s).as_deref() == Some(who.as_str())).then_some(s))
        }
        (_, s) => Ok(s),
    }
}

/// "3 problems while reading 'x'", when a sync met any errors.
pub fn problems_note(report: &SyncReport) -> Option<String> {
    (report.error_count() > 0).then(|| {
        format!(
            "{} while reading '{}'; `callboard sync` lists them",
            counted(report.error_count(), "problem"),
            report.source
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TokenSource;
    use crate::test_server::{Answer, TestServer};
    use std::sync::Mutex;

    #[test]
    fn sync_all_reports_each_source_in_order_and_goes_on_after_a_failure() {
        let server = TestServer::start(|_| {
            Answer::json(
                200,
                serde_json::json!({
                    "items": [{"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                               "metadata": {"name": "team-a", "etag": "1"}, "spec": {"type": "team"}}],
                    "pageInfo": {}
                }),
            )
        });
        let mut endpoint = Endpoint::from_url(&server.url());
        endpoint.token = TokenSource::Env {
            var: "CALLBOARD_TEST_SURELY_UNSET_VAR".into(),
            required: false,
        };
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("cache"));
        let sources = vec![
            Source {
                name: "demo".into(),
                kind: SourceKind::Demo,
            },
            Source {
                name: "gone".into(),
                kind: SourceKind::Local {
                    roots: vec![dir.path().join("missing")],
                },
            },
            Source {
                name: "prod".into(),
                kind: SourceKind::Remote(endpoint),
            },
        ];
        let events = Mutex::new(Vec::new());
        let outcome = sync_all(
            &Remotes::new(),
            &cache,
            &sources,
            None,
            &SyncOptions::default(),
            &|e| events.lock().unwrap().push(e.clone()),
        );
        let names: Vec<_> = outcome.reports.iter().map(|r| r.source.as_str()).collect();
        assert_eq!(names, ["demo", "prod"]);
        assert_eq!(outcome.failed.len(), 1);
        assert_eq!(outcome.failed[0].source, "gone");
        let events = events.into_inner().unwrap();
        // Progress comes from the remote source only, between its start
        // and its end.
        let (progress, steps): (Vec<_>, Vec<_>) = events
            .iter()
            .partition(|e| matches!(e, SyncEvent::Progress(_)));
        assert!(progress
            .iter()
            .all(|e| matches!(e, SyncEvent::Progress(p) if p.source == "prod")));
        assert!(!progress.is_empty());
        let shown: Vec<String> = steps
            .iter()
            .map(|e| match e {
                SyncEvent::Started { total } => format!("started {total}"),
                SyncEvent::Source { index, name } => format!("{index} {name}"),
                SyncEvent::SourceDone { name, result } => match result {
                    Ok(_) => format!("{name} ok"),
                    Err(e) => format!("{name} failed: {}", e.contains("read no catalog files")),
                },
                SyncEvent::Finished { failed } => format!("finished {failed}"),
                SyncEvent::Progress(_) => unreachable!(),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "started 3",
                "0 demo",
                "demo ok",
                "1 gone",
                "gone failed: true",
                "2 prod",
                "prod ok",
                "finished 1"
            ]
        );
        let last_progress = events
            .iter()
            .rposition(|e| matches!(e, SyncEvent::Progress(_)))
            .unwrap();
        assert!(matches!(
            events[last_progress + 1],
            SyncEvent::SourceDone { ref name, .. } if name == "prod"
        ));
    }
}
