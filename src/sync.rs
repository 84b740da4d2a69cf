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
    let remote = Remote::new(name, endpoint, options.retry.clone());
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
                    p.info.age_text()
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
    let snapshot = writer.finish(&problems)?;
    Ok(SyncReport {
        source: name.to_string(),
        snapshot,
        files_read: 0,
        problems,
        elapsed: started.elapsed(),
        remote: Some(stats),
    })
}

/// A remote source's snapshot for a command: the cached one while fresh;
/// otherwise refreshed first (quickly: short retries, no waiting for
/// another process's sync). When the endpoint cannot be reached, the cached
/// snapshot answers and stderr says how old it is. `Ok(None)`: never
/// synced and unreachable, skipped because other sources can answer.
pub fn open_remote(
    cache: &Cache,
    source: &Source,
    endpoint: &Endpoint,
    allowed_kinds: Option<&[String]>,
    skip_if_unreachable: bool,
) -> Result<Option<crate::cache::Snapshot>> {
    use crate::output::clean;
    let cached = cache.open_snapshot(&source.name).unwrap_or(None);
    let stale = match (&cached, endpoint.refresh_after) {
        (Some(s), Some(max)) => s.info.age() > max,
        (Some(_), None) => false,
        (None, _) => true,
    };
    if !stale {
        return Ok(cached);
    }
    let options = SyncOptions {
        retry: if cached.is_some() {
            RetryPolicy::quick()
        } else {
            RetryPolicy::default()
        },
        no_wait: cached.is_some(),
        ..Default::default()
    };
    match sync_source_with(cache, source, allowed_kinds, &options) {
        Ok(report) => {
            if report.error_count() > 0 {
                eprintln!(
                    "callboard: {} problems while reading '{}'; `callboard sync` lists them",
                    report.error_count(),
                    clean(&source.name)
                );
            }
            let fresh = cache.open_snapshot(&source.name)?;
            Ok(fresh.or(cached))
        }
        Err(e) if e.is::<SyncBusy>() => Ok(cached),
        Err(e) => match cached {
            Some(snapshot) => {
                let offline = e
                    .downcast_ref::<RemoteError>()
                    .is_none_or(RemoteError::is_unreachable);
                eprintln!("callboard: {}", clean(&format!("{e:#}")));
                eprintln!(
                    "callboard: {}answering from the cached snapshot of '{}', synced {} ago",
                    if offline { "offline: " } else { "" },
                    clean(&source.name),
                    snapshot.info.age_text()
                );
                Ok(Some(snapshot))
            }
            None if skip_if_unreachable => {
                eprintln!(
                    "callboard: skipping source '{}' (never synced): {}",
                    clean(&source.name),
                    clean(&format!("{e:#}"))
                );
                Ok(None)
            }
            None => Err(e),
        },
    }
}

/// One line per remote sync for `callboard sync`.
pub fn describe_remote_sync(r: &SyncReport, remote: &RemoteStats) -> String {
    let detail = if remote.mode == "incremental" {
        format!(
            "incremental: {} fetched, {} unchanged, {} removed",
            remote.fetched, remote.unchanged, remote.removed
        )
    } else {
        "full".to_string()
    };
    let skipped = if remote.skipped > 0 {
        format!(", {} left out by rules.allow", remote.skipped)
    } else {
        String::new()
    };
    format!(
        "{}: {} entities ({detail}{skipped}), {} in {} requests, {} errors, {} ms",
        r.source,
        r.snapshot.entity_count,
        human_bytes(remote.bytes_received + remote.bytes_sent),
        remote.requests,
        r.error_count(),
        r.elapsed.as_millis()
    )
}

/// `1.4 MB`, `830 kB`, `120 B`.
pub fn human_bytes(n: u64) -> String {
    match n {
        0..=999 => format!("{n} B"),
        1_000..=999_999 => format!("{:.0} kB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

/// The progress line of `callboard sync` on stderr: redrawn in place on a
/// terminal, a plain line every few seconds otherwise.
pub struct StderrProgress {
    enabled: bool,
    state: std::sync::Arc<std::sync::Mutex<ProgressState>>,
}

#[derive(Default)]
struct ProgressState {
    drawn: bool,
    last_plain: Option<Instant>,
}

impl StderrProgress {
    pub fn new(enabled: bool) -> StderrProgress {
        StderrProgress {
            enabled,
            state: Default::default(),
        }
    }

    pub fn callback(&self) -> ProgressFn {
        let enabled = self.enabled;
        let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let state = self.state.clone();
        std::sync::Arc::new(move |p: &crate::source::backstage::SyncProgress| {
            if !enabled {
                return;
            }
            use crate::source::backstage::Phase;
            let what = match p.phase {
                Phase::Pages => "downloading",
                Phase::Listing => "listing changes",
                Phase::Fetching => "fetching changed",
                Phase::Writing => "writing",
            };
            let count = match p.total {
                Some(t) => format!("{}/{t}", p.entities),
                None => p.entities.to_string(),
            };
            let line = format!(
                "{}: {what}: {count} entities, {}",
                crate::output::clean(&p.source),
                human_bytes(p.bytes)
            );
            let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
            if tty {
                eprint!("\r\x1b[2K{line}");
                st.drawn = true;
            } else if st
                .last_plain
                .is_none_or(|t| t.elapsed() >= Duration::from_secs(5))
            {
                eprintln!("{line}");
                st.last_plain = Some(Instant::now());
            }
        })
    }

    /// Clear the line (on a terminal).
    pub fn finish(&self) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.drawn {
            eprint!("\r\x1b[2K");
            st.drawn = false;
        }
    }
}

/// `callboard login NAME`: read a token without echo, check it against the
/// endpoint when the config names it, store it in the OS keyring.
pub fn cmd_login(session: &crate::cli::Session, name: &str) -> Result<u8> {
    use crate::cli::{EXIT_ERROR, EXIT_NO, EXIT_OK};
    use crate::config::TokenSource;
    use crate::output::clean;
    use crate::source::auth::{
        no_keyring_advice, read_token_interactively, say, store_token, Stored,
    };

    let endpoint = match session.sources.iter().find(|s| s.name == name) {
        Some(Source {
            kind: SourceKind::Remote(endpoint),
            ..
        }) => Some(endpoint),
        Some(_) => bail!("source '{name}' reads local files; `login` is for Backstage endpoints (sources with a `url`)"),
        None => {
            say(&format!(
                "note: the config has no endpoint named '{}'; the token is stored for one you add with that name",
                clean(name)
            ));
            None
        }
    };
    if let Some(ep) = endpoint {
        if !matches!(ep.token, TokenSource::Keyring { .. }) {
            say(&format!(
                "note: source '{}' takes its token from {}; the keyring entry is only used with `token: {{keyring: true}}` (the default)",
                clean(name),
                clean(&ep.token.describe())
            ));
        }
    }
    let token = match read_token_interactively(name) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("callboard: login: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    if let Some(ep) = endpoint {
        let checked = Remote::with_token(name, ep, Some(token.clone()), RetryPolicy::quick())
            .and_then(|remote| block_on(remote.count()));
        match checked {
            Ok(n) => say(&format!(
                "{} accepted the token ({n} entities)",
                clean(&ep.url)
            )),
            Err(e)
                if matches!(
                    e.kind,
                    crate::source::backstage::ErrorKind::Unauthorized
                        | crate::source::backstage::ErrorKind::Forbidden
                ) =>
            {
                eprintln!("callboard: {}", clean(&token.redact(&e.to_string())));
                eprintln!("callboard: the token was not stored");
                return Ok(EXIT_NO);
            }
            Err(e) => say(&format!(
                "could not check the token ({}); storing it anyway",
                clean(&token.redact(&e.to_string()))
            )),
        }
    }
    match store_token(name, &token) {
        Ok(Stored::Persistent) => {
            say(&format!(
                "stored in the OS keyring (Secret Service) as service 'callboard', user '{}'",
                clean(name)
            ));
            Ok(EXIT_OK)
        }
        Ok(Stored::KernelKeyring) => {
            say(&format!(
                "No Secret Service is running here, so the token went to the kernel keyring: it is kept in memory \
                 for this user until reboot (or a few days unused), then `callboard login {}` is needed again.\n\
                 For a lasting setup, {}",
                clean(name),
                no_keyring_advice(name)
            ));
            Ok(EXIT_OK)
        }
        Err(e) => {
            eprintln!("callboard: cannot store the token: {e}");
            Ok(EXIT_ERROR)
        }
    }
}

/// `callboard logout NAME`: remove the endpoint's token from the keyring.
pub fn cmd_logout(name: &str) -> u8 {
    use crate::output::clean;
    match crate::source::auth::delete_token(name) {
        Ok(true) => {
            eprintln!(
                "removed the token for '{}' from the OS keyring",
                clean(name)
            );
            crate::cli::EXIT_OK
        }
        Ok(false) => {
            eprintln!("the OS keyring holds no token for '{}'", clean(name));
            crate::cli::EXIT_NO
        }
        Err(e) => {
            eprintln!("callboard: {e}");
            crate::cli::EXIT_ERROR
        }
    }
}
