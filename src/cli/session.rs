//! What every command works on: the sources in priority order (from the
//! arguments, the config file or the embedded demo) and the cache.

use std::path::Path;

use anyhow::{Context, Result};
use callboard_io::cache::{Cache, Store};
use callboard_io::config::{
    default_cache_dir, default_config_path, resolve_path, Config, Source, SourceKind,
};
use callboard_io::remotes::Remotes;
use callboard_io::sync::{problems_note, sync_source_in, SyncOptions};

use super::output::{clean, Style};
use super::GlobalArgs;

/// Everything a command needs: the sources in priority order and the cache.
pub struct Session {
    /// The config file as read (or the defaults); read once.
    pub config: Config,
    pub sources: Vec<Source>,
    pub allowed_kinds: Option<Vec<String>>,
    pub cache: Cache,
    /// The Backstage connections (one client and one token per endpoint)
    /// every command and the TUI's workers share.
    pub remotes: Remotes,
    pub json: bool,
    pub style: Style,
}

impl Session {
    pub fn from_args(global: &GlobalArgs) -> Result<Session> {
        let config_path = global
            .config
            .clone()
            .or_else(|| default_config_path().filter(|p| p.exists()));
        let config = match &config_path {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        let config_base = config_path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_else(|| cwd.clone());
        let sources = if !global.sources.is_empty() || !global.endpoints.is_empty() {
            let local = global.sources.iter().map(|p| {
                let root = resolve_path(&p.to_string_lossy(), &cwd);
                Source {
                    name: format!("path:{}", root.display()),
                    kind: SourceKind::Local { roots: vec![root] },
                }
            });
            let remote = global.endpoints.iter().map(|url| {
                let endpoint = callboard_io::config::Endpoint::from_url(url);
                Source {
                    name: endpoint.url.clone(),
                    kind: SourceKind::Remote(endpoint),
                }
            });
            local.chain(remote).collect()
        } else if !config.sources.is_empty() {
            config.resolved_sources(&config_base)
        } else {
            vec![Source {
                name: callboard_io::demo::SOURCE_NAME.to_string(),
                kind: SourceKind::Demo,
            }]
        };
        let cache_dir = global
            .cache_dir
            .clone()
            .or_else(|| {
                config
                    .cache_dir
                    .as_deref()
                    .map(|d| resolve_path(d, &config_base))
            })
            .or_else(default_cache_dir)
            .context("no cache directory: set --cache-dir or CALLBOARD_CACHE_DIR")?;
        for source in &sources {
            if let SourceKind::Remote(endpoint) = &source.kind {
                callboard_io::config::check_url("--endpoint", &endpoint.url)?;
            }
        }
        Ok(Session {
            sources,
            allowed_kinds: config.rules.allow.clone(),
            cache: Cache::new(cache_dir).with_max_file_bytes(config.max_file_bytes()),
            config,
            remotes: Remotes::new(),
            json: global.json,
            style: Style::detect(),
        })
    }

    /// Open every source's snapshot, syncing first the ones never synced
    /// (so a first run, and the demo, just work). A remote snapshot older
    /// than its `refresh_after_secs` is refreshed on the way; when the
    /// endpoint cannot be reached the cached one answers, with a note on
    /// stderr saying how old it is.
    pub fn store(&self) -> Result<Store> {
        let mut snapshots = Vec::new();
        let several = self.sources.len() > 1;
        let mut skipped = Vec::new();
        for source in &self.sources {
            if let SourceKind::Remote(endpoint) = &source.kind {
                let opened = callboard_io::sync::open_remote(
                    &self.remotes,
                    &self.cache,
                    source,
                    endpoint,
                    self.allowed_kinds.as_deref(),
                    several,
                    &callboard_io::clock::Clock::System,
                )?;
                for note in &opened.notes {
                    eprintln!("callboard: {}", clean(note));
                }
                snapshots.extend(opened.snapshot);
                continue;
            }
            let opened = match self.cache.open_snapshot(&source.name) {
                Err(e) if e.is::<callboard_io::cache::CacheDamaged>() => {
                    // Never answered from: synced again instead.
                    eprintln!("callboard: {}; syncing it again", clean(&format!("{e}")));
                    None
                }
                other => other?,
            };
            let snapshot = match opened {
                Some(s) => s,
                None => {
                    let synced = sync_source_in(
                        &self.remotes,
                        &self.cache,
                        source,
                        self.allowed_kinds.as_deref(),
                        &SyncOptions::default(),
                    );
                    let report = match synced {
                        Ok(report) => report,
                        // One source that cannot be read (a folder with no
                        // catalog files, a file with no entities) does not
                        // hide the others: it is skipped, as a remote that
                        // was never synced and cannot be reached is.
                        Err(e) if several => {
                            skipped.push((source.name.clone(), e));
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    if let Some(note) = problems_note(&report) {
                        eprintln!("callboard: {}", clean(&note));
                    }
                    self.cache
                        .open_snapshot(&source.name)?
                        .context("the snapshot just written cannot be read")?
                }
            };
            snapshots.push(snapshot);
        }
        let mut skipped = skipped.into_iter();
        if snapshots.is_empty() {
            if let Some((_, first)) = skipped.next() {
                // No source could be read: the first one's error says why,
                // the notes below say why not the others.
                for (name, e) in skipped {
                    eprintln!(
                        "callboard: source '{}' not read either: {}",
                        clean(&name),
                        clean(&format!("{e:#}"))
                    );
                }
                return Err(first);
            }
        }
        for (name, e) in skipped {
            eprintln!(
                "callboard: skipping source '{}' (never synced): {}",
                clean(&name),
                clean(&format!("{e:#}"))
            );
        }
        let store = Store::new(snapshots);
        store.ensure_any()?;
        Ok(store)
    }

    /// What the TUI's workers need to open and sync the sources.
    pub fn worker_config(&self) -> callboard_tui::workers::WorkerConfig {
        callboard_tui::workers::WorkerConfig {
            cache: self.cache.clone(),
            sources: self.sources.clone(),
            allowed_kinds: self.allowed_kinds.clone(),
            remotes: self.remotes.clone(),
        }
    }
}
