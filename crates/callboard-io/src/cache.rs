//! The on-disk cache: one immutable SQLite snapshot per source.
//!
//! A sync writes a complete new database beside the old one and renames it
//! into place, under an exclusive lock file, so a killed sync or a second
//! instance never leaves a half-written snapshot: readers see the old file or
//! the new one. Snapshots are never modified after the rename, which lets
//! readers open them `immutable` (no locking, no journal). One lookup reads
//! one row by primary key, so `show` does not touch the rest of the catalog;
//! the search corpus is one blob so `search` does not parse entities.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::Serialize;

use crate::clock::system_now_ms;
use crate::source::Problem;
use callboard_core::catalog::{CatalogEntity, EntityLookup, Origin};
use callboard_core::search::{encode_corpus, SearchRecord};

/// Bumped whenever the schema or the corpus encoding changes; an older
/// snapshot is treated as missing and re-synced.
pub const FORMAT_VERSION: u32 = 3;

/// What a snapshot records about its sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotInfo {
    pub source: String,
    /// Where the source read from (roots or endpoint).
    pub origin: String,
    /// Milliseconds since the Unix epoch.
    pub synced_at_ms: u64,
    pub entity_count: usize,
    pub problem_count: usize,
    #[serde(skip)]
    pub path: PathBuf,
}

impl SnapshotInfo {
    /// How old the snapshot is now (the wall clock).
    pub fn age(&self) -> Duration {
        self.age_at(system_now_ms())
    }

    /// How old the snapshot is at `now_ms` ([`crate::clock::Clock::now_ms`]).
    pub fn age_at(&self, now_ms: u64) -> Duration {
        Duration::from_millis(now_ms.saturating_sub(self.synced_at_ms))
    }

    /// The age in words: "40 s", "12 min", "3 h", "2 days".
    pub fn age_text(&self) -> String {
        age_words(self.age())
    }

    /// [`SnapshotInfo::age_text`] at `now_ms`.
    pub fn age_text_at(&self, now_ms: u64) -> String {
        age_words(self.age_at(now_ms))
    }
}

/// A duration in words, rounded down to its largest unit.
pub fn age_words(age: Duration) -> String {
    let s = age.as_secs();
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

/// The cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn snapshot_dir(&self) -> PathBuf {
        self.dir.join("snapshots")
    }

    /// The snapshot file of a source: a readable slug plus a hash, so any
    /// source name maps to a safe, distinct file name.
    pub fn snapshot_path(&self, source: &str) -> PathBuf {
        self.snapshot_dir()
            .join(format!("{}.sqlite", file_stem(source)))
    }

    fn lock_path(&self, source: &str) -> PathBuf {
        self.snapshot_dir()
            .join(format!("{}.lock", file_stem(source)))
    }

    /// Replace a source's snapshot atomically. Holds an exclusive lock for
    /// the duration, so concurrent syncs of one source take turns.
    pub fn write_snapshot(
        &self,
        source: &str,
        origin: &str,
        entities: &[CatalogEntity],
        problems: &[Problem],
    ) -> Result<SnapshotInfo> {
        let mut writer = self.begin_snapshot(source, origin)?;
        for e in entities {
            writer.add(e)?;
        }
        writer.finish(problems)
    }

    /// Start writing a new snapshot of `source`, entity by entity (a remote
    /// sync streams pages into it). Takes the source's lock, waiting for a
    /// sync in another process to finish; nothing replaces the current
    /// snapshot until [`SnapshotWriter::finish`], and dropping the writer
    /// (or killing the process) discards the new one.
    pub fn begin_snapshot(&self, source: &str, origin: &str) -> Result<SnapshotWriter> {
        self.begin(source, origin, true)?
            .context("the cache lock was not taken")
    }

    /// Like [`Cache::begin_snapshot`], but `Ok(None)` at once when another
    /// process is syncing this source.
    pub fn try_begin_snapshot(&self, source: &str, origin: &str) -> Result<Option<SnapshotWriter>> {
        self.begin(source, origin, false)
    }

    fn begin(&self, source: &str, origin: &str, wait: bool) -> Result<Option<SnapshotWriter>> {
        let dir = self.snapshot_dir();
        fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create cache dir {}", dir.display()))?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.lock_path(source))
            .with_context(|| format!("cannot open lock file in {}", dir.display()))?;
        if wait {
            lock.lock()
                .with_context(|| format!("cannot lock the cache for source '{source}'"))?;
        } else {
            match lock.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e)
                        .with_context(|| format!("cannot lock the cache for source '{source}'"))
                }
            }
        }
        // A sync killed mid-write leaves its temp file; holding the lock, we
        // know no one else is writing this source's, so clear them.
        let tmp_prefix = format!(".{}.sync-", file_stem(source));
        remove_stale_temp_files(&dir, &tmp_prefix);
        let tmp = tempfile::Builder::new()
            .prefix(&tmp_prefix)
            .suffix(".sqlite.tmp")
            .tempfile_in(&dir)
            .with_context(|| format!("cannot create a temp file in {}", dir.display()))?;
        let conn = create_database(tmp.path())
            .with_context(|| format!("cannot write snapshot for source '{source}'"))?;
        Ok(Some(SnapshotWriter {
            conn: Some(conn),
            tmp: Some(tmp),
            _lock: lock,
            dir,
            final_path: self.snapshot_path(source),
            source: source.to_string(),
            origin: origin.to_string(),
            records: Vec::new(),
            count: 0,
            meta: Vec::new(),
        }))
    }

    /// Open a source's snapshot, `Ok(None)` when it has never been synced
    /// (or was written by an incompatible version).
    pub fn open_snapshot(&self, source: &str) -> Result<Option<Snapshot>> {
        let path = self.snapshot_path(source);
        if !path.exists() {
            return Ok(None);
        }
        let snapshot = Snapshot::open(&path)?;
        Ok((snapshot.format_version == FORMAT_VERSION).then_some(snapshot))
    }
}

fn remove_stale_temp_files(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// A name safe as one path segment: a readable slug plus a hash of the
/// original, so distinct names never collide and none can climb out.
pub(crate) fn file_stem(source: &str) -> String {
    let slug: String = source
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    // FNV-1a: stable across versions and platforms, unlike DefaultHasher.
    let hash = source.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    format!("{slug}-{:08x}", hash as u32)
}

fn create_database(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    // The file is private until renamed, and a crash discards it: no journal.
    conn.execute_batch(
        "PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         PRAGMA page_size = 8192;
         CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE entities (id INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                                source TEXT NOT NULL, location TEXT NOT NULL, line INTEGER,
                                json BLOB NOT NULL);
         CREATE TABLE problems (json TEXT NOT NULL);
         CREATE TABLE corpus (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
         CREATE TABLE etags (ref TEXT PRIMARY KEY, etag TEXT NOT NULL) WITHOUT ROWID;
         BEGIN;",
    )?;
    Ok(conn)
}

/// A snapshot being written; see [`Cache::begin_snapshot`].
pub struct SnapshotWriter {
    conn: Option<Connection>,
    tmp: Option<tempfile::NamedTempFile>,
    /// Held until the writer is finished or dropped.
    _lock: File,
    dir: PathBuf,
    final_path: PathBuf,
    source: String,
    origin: String,
    records: Vec<SearchRecord>,
    count: usize,
    meta: Vec<(String, String)>,
}

impl SnapshotWriter {
    fn conn(&self) -> &Connection {
        self.conn.as_ref().expect("the writer is open until finish")
    }

    /// Add one entity; `false` when its ref is already in (the first wins,
    /// as in the index). An entity carrying `metadata.etag` (a remote one)
    /// also records it, for the next incremental sync.
    pub fn add(&mut self, e: &CatalogEntity) -> Result<bool> {
        let json = serde_json::to_vec(&e.entity)?;
        self.add_json(e, &json)
    }

    /// [`SnapshotWriter::add`] with the entity's JSON already serialised.
    pub fn add_json(&mut self, e: &CatalogEntity, json: &[u8]) -> Result<bool> {
        let key = e.entity.ref_key();
        let changed = self
            .conn()
            .prepare_cached(
                "INSERT OR IGNORE INTO entities (ref, name, source, location, line, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                key,
                e.entity.metadata.name.to_lowercase(),
                e.origin.source,
                e.origin.location,
                e.origin.line,
                json
            ])?;
        if changed != 1 {
            return Ok(false);
        }
        if let Some(etag) = &e.entity.metadata.etag {
            self.conn()
                .prepare_cached("INSERT OR REPLACE INTO etags (ref, etag) VALUES (?1, ?2)")?
                .execute(params![key, etag])?;
        }
        self.records.push(SearchRecord::from_entity(&e.entity));
        self.count += 1;
        Ok(true)
    }

    /// Entities added so far.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Record a meta value (read back with [`Snapshot::meta`]).
    pub fn set_meta(&mut self, key: &str, value: &str) {
        self.meta.push((key.to_string(), value.to_string()));
    }

    /// Write the problems, the search corpus and the meta data, then move
    /// the snapshot into place and release the lock.
    pub fn finish(self, problems: &[Problem]) -> Result<SnapshotInfo> {
        self.finish_at(problems, system_now_ms())
    }

    /// [`SnapshotWriter::finish`], recording the sync as done at
    /// `synced_at_ms` ([`crate::clock::Clock::now_ms`]).
    pub fn finish_at(mut self, problems: &[Problem], synced_at_ms: u64) -> Result<SnapshotInfo> {
        let source = self.source.clone();
        let conn = self.conn.take().expect("the writer is open until finish");
        let write = || -> Result<()> {
            {
                let mut meta =
                    conn.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?;
                for (k, v) in [
                    ("format_version", FORMAT_VERSION.to_string()),
                    ("source", self.source.clone()),
                    ("origin", self.origin.clone()),
                    ("synced_at_ms", synced_at_ms.to_string()),
                    ("entity_count", self.count.to_string()),
                    ("problem_count", problems.len().to_string()),
                ] {
                    meta.execute(params![k, v])?;
                }
                for (k, v) in &self.meta {
                    meta.execute(params![k, v])?;
                }
                let mut problem = conn.prepare("INSERT INTO problems (json) VALUES (?1)")?;
                for p in problems {
                    problem.execute(params![serde_json::to_string(p)?])?;
                }
                conn.execute(
                    "INSERT INTO corpus (id, data) VALUES (1, ?1)",
                    params![encode_corpus(&self.records)],
                )?;
            }
            conn.execute_batch("CREATE INDEX entities_name ON entities (name); COMMIT;")?;
            Ok(())
        };
        write().with_context(|| format!("cannot write snapshot for source '{source}'"))?;
        conn.close()
            .map_err(|(_, e)| e)
            .with_context(|| format!("cannot write snapshot for source '{source}'"))?;
        let tmp = self.tmp.take().expect("the writer is open until finish");
        tmp.as_file().sync_all()?;
        tmp.persist(&self.final_path).with_context(|| {
            format!(
                "cannot move the new snapshot to {}",
                self.final_path.display()
            )
        })?;
        if let Ok(d) = File::open(&self.dir) {
            // Make the rename itself durable.
            let _ = d.sync_all();
        }
        Ok(SnapshotInfo {
            source,
            origin: self.origin.clone(),
            synced_at_ms,
            entity_count: self.count,
            problem_count: problems.len(),
            path: self.final_path.clone(),
        })
    }
}

impl Drop for SnapshotWriter {
    fn drop(&mut self) {
        // Close the database before the temp file is removed.
        drop(self.conn.take());
        drop(self.tmp.take());
    }
}

/// A read-only view of one source's snapshot.
pub struct Snapshot {
    conn: Connection,
    pub info: SnapshotInfo,
    format_version: u32,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("info", &self.info)
            .finish()
    }
}

impl Snapshot {
    pub fn open(path: &Path) -> Result<Snapshot> {
        let uri = format!("file:{}?immutable=1", uri_escape(path));
        let conn = Connection::open_with_flags(
            &uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open cache snapshot {}", path.display()))?;
        // Memory-map reads: the search corpus spans thousands of overflow
        // pages, and one pread per page costs more than the search itself.
        conn.pragma_update(None, "mmap_size", 1i64 << 30)
            .with_context(|| format!("cannot configure cache snapshot {}", path.display()))?;
        let meta = |conn: &Connection, key: &str| -> Result<String> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()?
                .with_context(|| format!("cache snapshot {} lacks '{key}'", path.display()))
        };
        let read = || -> Result<(u32, SnapshotInfo)> {
            let format_version = meta(&conn, "format_version")?.parse()?;
            let info = SnapshotInfo {
                source: meta(&conn, "source")?,
                origin: meta(&conn, "origin")?,
                synced_at_ms: meta(&conn, "synced_at_ms")?.parse()?,
                entity_count: meta(&conn, "entity_count")?.parse()?,
                problem_count: meta(&conn, "problem_count")?.parse()?,
                path: path.to_path_buf(),
            };
            Ok((format_version, info))
        };
        let (format_version, info) = read().with_context(|| {
            format!(
                "cache snapshot {} is unreadable; run `callboard sync` to rebuild it",
                path.display()
            )
        })?;
        Ok(Snapshot {
            conn,
            info,
            format_version,
        })
    }

    /// One entity by canonical ref.
    pub fn entity(&self, key: &str) -> Result<Option<CatalogEntity>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT json, source, location, line FROM entities WHERE ref = ?1")?;
        let row = stmt
            .query_row([key], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<u32>>(3)?,
                ))
            })
            .optional()?;
        row.map(|(json, source, location, line)| {
            Ok(CatalogEntity {
                entity: serde_json::from_slice(&json).with_context(|| {
                    format!("cached entity {key} is corrupt; run `callboard sync`")
                })?,
                origin: Origin {
                    source,
                    location,
                    line,
                },
            })
        })
        .transpose()
    }

    /// A meta value recorded by the sync (see [`SnapshotWriter::set_meta`]).
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// `ref -> metadata.etag` of the entities that had one (remote ones).
    pub fn etags(&self) -> Result<std::collections::HashMap<String, String>> {
        let mut stmt = self.conn.prepare("SELECT ref, etag FROM etags")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every entity's ref and stored JSON, without parsing it, for a sync
    /// that carries unchanged entities over.
    pub fn for_each_json(&self, mut f: impl FnMut(&str, &[u8]) -> Result<()>) -> Result<()> {
        let mut stmt = self.conn.prepare("SELECT ref, json FROM entities")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let key = row.get_ref(0)?.as_str()?;
            let json = row.get_ref(1)?.as_blob()?;
            f(key, json)?;
        }
        Ok(())
    }

    /// Refs of entities with this name (case-insensitive).
    pub fn refs_named(&self, name: &str) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT ref FROM entities WHERE name = ?1")?;
        let rows = stmt.query_map([name.to_lowercase()], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every entity, for building the in-memory index.
    pub fn all_entities(&self) -> Result<Vec<CatalogEntity>> {
        let mut stmt = self
            .conn
            .prepare("SELECT json, source, location, line FROM entities")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<u32>>(3)?,
            ))
        })?;
        let mut out = Vec::with_capacity(self.info.entity_count);
        for row in rows {
            let (json, source, location, line) = row?;
            out.push(CatalogEntity {
                entity: serde_json::from_slice(&json)?,
                origin: Origin {
                    source,
                    location,
                    line,
                },
            });
        }
        Ok(out)
    }

    /// The encoded search corpus (see [`callboard_core::search::Corpus::decode`]).
    /// Read through the incremental blob API straight into one buffer: the
    /// plain column read would copy the 10+ MB blob twice.
    pub fn corpus_bytes(&self) -> Result<Vec<u8>> {
        use std::io::Read;
        let mut blob = self
            .conn
            .blob_open(rusqlite::MAIN_DB, "corpus", "data", 1, true)?;
        let mut bytes = Vec::with_capacity(blob.len());
        blob.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// Problems recorded by the sync that wrote this snapshot.
    pub fn problems(&self) -> Result<Vec<serde_json::Value>> {
        let mut stmt = self.conn.prepare("SELECT json FROM problems")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(serde_json::from_str(&row?)?);
        }
        Ok(out)
    }
}

fn uri_escape(path: &Path) -> String {
    let mut out = String::new();
    for b in path.to_string_lossy().bytes() {
        match b {
            b'%' | b'?' | b'#' => out.push_str(&format!("%{b:02X}")),
            _ => out.push(b as char),
        }
    }
    out
}

/// Several snapshots in priority order: the first that has a ref answers.
pub struct Store {
    pub snapshots: Vec<Snapshot>,
    /// Read errors while answering (a corrupt row, say), kept to report.
    errors: std::cell::RefCell<Vec<String>>,
}

impl Store {
    /// Whether `source`'s snapshot was synced as a signed-in user (whose
    /// view the backend filters; see `sync::identity`).
    pub fn read_as_user(&self, source: &str) -> bool {
        self.snapshots.iter().any(|s| {
            s.info.source == source
                && s.meta("principal")
                    .ok()
                    .flatten()
                    .is_some_and(|p| p.starts_with("user:"))
        })
    }

    pub fn new(snapshots: Vec<Snapshot>) -> Store {
        Store {
            snapshots,
            errors: Default::default(),
        }
    }

    /// Every source that has `key`, in priority order.
    pub fn sources_of(&self, key: &str) -> Vec<String> {
        self.snapshots
            .iter()
            .filter(|s| matches!(s.entity(key), Ok(Some(_))))
            .map(|s| s.info.source.clone())
            .collect()
    }

    pub fn take_errors(&self) -> Vec<String> {
        std::mem::take(&mut self.errors.borrow_mut())
    }

    pub fn ensure_any(&self) -> Result<()> {
        if self.snapshots.is_empty() {
            bail!("no cached catalog; run `callboard sync` first");
        }
        Ok(())
    }
}

impl EntityLookup for Store {
    fn get(&self, key: &str) -> Option<Arc<CatalogEntity>> {
        for snapshot in &self.snapshots {
            match snapshot.entity(key) {
                Ok(Some(e)) => return Some(Arc::new(e)),
                Ok(None) => {}
                Err(e) => self.errors.borrow_mut().push(format!("{e:#}")),
            }
        }
        None
    }

    fn refs_named(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        for snapshot in &self.snapshots {
            match snapshot.refs_named(name) {
                Ok(refs) => out.extend(refs),
                Err(e) => self.errors.borrow_mut().push(format!("{e:#}")),
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callboard_core::catalog::Entity;
    use serde_json::json;

    fn entity(name: &str) -> CatalogEntity {
        CatalogEntity {
            entity: Entity::from_value(json!({
                "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                "metadata": {"name": name},
                "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}
            }))
            .unwrap(),
            origin: Origin {
                source: "s".into(),
                location: "file:/x.yaml".into(),
                line: Some(3),
            },
        }
    }

    #[test]
    fn snapshots_round_trip_and_record_their_sync() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        assert!(cache.open_snapshot("local repos").unwrap().is_none());
        cache
            .write_snapshot("local repos", "/src", &[entity("Web"), entity("db")], &[])
            .unwrap();
        let snap = cache.open_snapshot("local repos").unwrap().unwrap();
        assert_eq!(snap.info.entity_count, 2);
        assert_eq!(snap.info.origin, "/src");
        assert!(snap.info.age() < Duration::from_secs(60));
        let web = snap.entity("component:default/web").unwrap().unwrap();
        assert_eq!(web.entity, entity("Web").entity);
        assert_eq!(web.origin.line, Some(3));
        assert_eq!(
            snap.refs_named("WEB").unwrap(),
            vec!["component:default/web"]
        );
        assert_eq!(snap.all_entities().unwrap().len(), 2);
        let corpus = callboard_core::search::decode_corpus(&snap.corpus_bytes().unwrap()).unwrap();
        assert_eq!(corpus.len(), 2);
    }

    #[test]
    fn a_reader_keeps_its_snapshot_while_a_sync_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        cache
            .write_snapshot("s", "o", &[entity("old")], &[])
            .unwrap();
        let reader = cache.open_snapshot("s").unwrap().unwrap();
        cache
            .write_snapshot("s", "o", &[entity("new")], &[])
            .unwrap();
        assert!(reader.entity("component:default/old").unwrap().is_some());
        let fresh = cache.open_snapshot("s").unwrap().unwrap();
        assert!(fresh.entity("component:default/new").unwrap().is_some());
        assert!(fresh.entity("component:default/old").unwrap().is_none());
        // No temp files are left behind.
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("snapshots"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn concurrent_syncs_of_one_source_never_corrupt_it() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        std::thread::scope(|s| {
            for t in 0..4 {
                let cache = cache.clone();
                s.spawn(move || {
                    for i in 0..5 {
                        let entities: Vec<_> =
                            (0..50).map(|n| entity(&format!("t{t}-{i}-{n}"))).collect();
                        cache.write_snapshot("shared", "o", &entities, &[]).unwrap();
                    }
                });
            }
        });
        let snap = cache.open_snapshot("shared").unwrap().unwrap();
        assert_eq!(snap.info.entity_count, 50);
        assert_eq!(snap.all_entities().unwrap().len(), 50);
    }

    #[test]
    fn a_garbage_snapshot_is_reported_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        fs::create_dir_all(dir.path().join("snapshots")).unwrap();
        fs::write(cache.snapshot_path("s"), b"not a database").unwrap();
        let err = format!("{:#}", cache.open_snapshot("s").unwrap_err());
        assert!(
            err.contains("callboard sync") || err.contains("cannot open"),
            "{err}"
        );
    }

    #[test]
    fn file_names_are_safe_and_distinct() {
        assert_ne!(file_stem("a/b"), file_stem("a_b"));
        assert!(!file_stem("../../etc").contains('/'));
    }
}
