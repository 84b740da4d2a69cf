//! The on-disk cache: one immutable SQLite snapshot per source.
//!
//! A sync writes a complete new database beside the old one and renames it
//! into place, under an exclusive lock file, so a killed sync or a second
//! instance never leaves a half-written snapshot: readers see the old file or
//! the new one. Snapshots are never modified after the rename, which lets
//! readers open them `immutable` (no locking, no journal). One lookup reads
//! one row by primary key, so `show` does not touch the rest of the catalog;
//! the search corpus is one file beside the snapshot, which `search` maps
//! and searches in place without parsing entities ([`write_corpus_file`]).

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::Serialize;

use crate::clock::system_now_ms;
use crate::source::Problem;
use callboard_core::catalog::lean::parse_lean;
use callboard_core::catalog::relations::EmittedRelation;
use callboard_core::catalog::{CatalogEntity, Entity, Origin};
use callboard_core::search::SearchRecord;
use corpus_file::{
    is_corpus_file_of, remove_other_corpus_files, snapshot_stem, write_corpus_file,
    META_CORPUS_FILE,
};

/// Bumped whenever the schema or the corpus encoding changes; an older
/// snapshot is treated as missing and re-synced.
pub const FORMAT_VERSION: u32 = 7;

/// Snapshots up to this size are checked whole (SQLite `quick_check`) when
/// opened; bigger ones rely on the header, the meta rows and the corpus
/// checksum.
pub const QUICK_CHECK_MAX_BYTES: u64 = 64 << 20;

/// A snapshot that is not what its sync wrote: a disk fault, a stray
/// write. It is never answered from; a sync replaces it.
#[derive(Debug, thiserror::Error)]
#[error("the cache of '{name}' is damaged ({detail}) — run `callboard sync --full`")]
pub struct CacheDamaged {
    /// The source's name.
    pub name: String,
    pub detail: String,
}

fn damaged(source: &str, detail: impl Into<String>) -> anyhow::Error {
    CacheDamaged {
        name: source.to_string(),
        detail: detail.into(),
    }
    .into()
}

/// The checksum of a snapshot's corpus file (meta key `corpus_checksum4`;
/// not for security, for disk faults): an FNV-style multiply step on four
/// independent lanes of 8 bytes, so the multiplies overlap (about 4× one
/// lane), folded at the end.
fn checksum4(bytes: &[u8]) -> u64 {
    const P: u64 = 0x0000_0100_0000_01B3;
    let seed = 0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64;
    let mut h = [
        seed,
        seed.rotate_left(16),
        seed.rotate_left(32),
        seed.rotate_left(48),
    ];
    let mut chunks = bytes.chunks_exact(32);
    for c in &mut chunks {
        for (lane, w) in h.iter_mut().zip(c.chunks_exact(8)) {
            let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
            *lane = (*lane ^ w).wrapping_mul(P).rotate_left(29);
        }
    }
    let mut folded = h.iter().fold(seed, |acc, &lane| {
        (acc ^ lane).wrapping_mul(P).rotate_left(29)
    });
    for &b in chunks.remainder() {
        folded = (folded ^ u64::from(b)).wrapping_mul(P);
    }
    folded ^ (folded >> 32)
}

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

/// The cache directory, and how the snapshots in it are built.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    /// Largest file a local source reads when its snapshot is built (the
    /// config's `max_file_mb`).
    max_file_bytes: u64,
}

impl Cache {
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache {
            dir: dir.into(),
            max_file_bytes: crate::source::local::DEFAULT_MAX_FILE_BYTES,
        }
    }

    /// Build local snapshots with this file size limit (`None`: the
    /// default, [`crate::source::local::DEFAULT_MAX_FILE_BYTES`]).
    pub fn with_max_file_bytes(mut self, max: Option<u64>) -> Cache {
        if let Some(max) = max {
            self.max_file_bytes = max;
        }
        self
    }

    /// The file size limit local sources are read with.
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_bytes
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
            rows: Some(Rows::new(conn)),
            tmp: Some(tmp),
            _lock: lock,
            dir,
            final_path: self.snapshot_path(source),
            source: source.to_string(),
            origin: origin.to_string(),
            given_outside: Vec::new(),
            meta: Vec::new(),
        }))
    }

    /// [`Cache::open_snapshot`] without reading every page to check it
    /// (its header and meta rows are still checked): for a full sync, which
    /// reads nothing from it but its meta.
    pub(crate) fn open_snapshot_meta(&self, source: &str) -> Result<Option<Snapshot>> {
        let path = self.snapshot_path(source);
        if !path.exists() {
            return Ok(None);
        }
        let snapshot = Snapshot::open_unchecked(&path, source)?;
        Ok((snapshot.format_version == FORMAT_VERSION).then_some(snapshot))
    }

    /// Open a source's snapshot, `Ok(None)` when it has never been synced
    /// (or was written by an incompatible version).
    pub fn open_snapshot(&self, source: &str) -> Result<Option<Snapshot>> {
        let path = self.snapshot_path(source);
        if !path.exists() {
            return Ok(None);
        }
        let snapshot = Snapshot::open_checked(&path, source)?;
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
    // 16 KiB pages: half the page writes and B-tree splits of 8 KiB (a 10k
    // remote sync: ~5 % less CPU; 32 and 64 KiB gained no more).
    conn.execute_batch(
        "PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         PRAGMA page_size = 16384;
         CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE entities (id INTEGER PRIMARY KEY, ref TEXT NOT NULL, name TEXT NOT NULL,
                                source TEXT NOT NULL, location TEXT NOT NULL, line INTEGER,
                                json BLOB NOT NULL, etag TEXT);
         CREATE TABLE problems (json TEXT NOT NULL);
         CREATE TABLE outside_edges (ref TEXT NOT NULL, type TEXT NOT NULL, target TEXT NOT NULL);
         BEGIN;",
    )?;
    Ok(conn)
}

/// One entity's row as [`SnapshotWriter::add_row`] takes it.
pub struct RowRef<'a> {
    /// Canonical ref.
    pub key: &'a str,
    /// `metadata.name`, lower-cased.
    pub name: &'a str,
    pub source: &'a str,
    pub location: &'a str,
    pub line: Option<u32>,
    /// The entity's JSON (with its relations).
    pub json: &'a [u8],
    pub etag: Option<&'a str>,
}

/// A snapshot being written; see [`Cache::begin_snapshot`].
pub struct SnapshotWriter {
    /// The rows being written; `None` once finished.
    rows: Option<Rows>,
    tmp: Option<tempfile::NamedTempFile>,
    /// Held until the writer is finished or dropped.
    _lock: File,
    dir: PathBuf,
    final_path: PathBuf,
    source: String,
    origin: String,
    /// Those given with the rows ([`SnapshotWriter::set_outside_edges`]).
    given_outside: Vec<EmittedRelation>,
    meta: Vec<(String, String)>,
}

impl SnapshotWriter {
    fn rows(&mut self) -> &mut Rows {
        self.rows.as_mut().expect("the writer is open until finish")
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
        self.rows().add_json(e, json)
    }

    /// Add one entity already serialised (its JSON with relations, its
    /// search record); the same rows as [`SnapshotWriter::add`] of the
    /// entity but the outside edges, which the caller gives for the whole
    /// set ([`SnapshotWriter::set_outside_edges`]). `false` when its ref is
    /// already in.
    pub fn add_row(&mut self, row: RowRef, record: SearchRecord) -> Result<bool> {
        self.rows().add_row(row, record)
    }

    /// Add a row carried over unchanged from the previous snapshot, with
    /// its search record; its outside edges are given by
    /// [`SnapshotWriter::add_outside_edge`], and it counts as in the set
    /// for the edges of the entities added with [`SnapshotWriter::add`].
    /// `false` when its ref is already in.
    pub fn add_carried(&mut self, row: RowRef, record: SearchRecord) -> Result<bool> {
        self.rows().add_carried(row, record)
    }

    /// An outside edge of a carried row, `(receiver, inverse type,
    /// emitter)`: written if the receiver is not in the new snapshot.
    pub fn add_outside_edge(&mut self, receiver: &str, relation_type: &str, emitter: &str) {
        self.rows()
            .outside
            .add_edge(receiver, relation_type, emitter);
    }

    /// The outside edges of the rows given by [`SnapshotWriter::add_row`],
    /// as [`OutsideEdges::finish`] gives them for those entities (sorted,
    /// without repeats); written besides those [`SnapshotWriter::add`]
    /// found.
    pub fn set_outside_edges(&mut self, edges: Vec<EmittedRelation>) {
        self.given_outside = edges;
    }

    /// Room for `n` more entities' search records (a hint: a remote's
    /// total), so they are not copied as they grow.
    pub fn reserve(&mut self, n: usize) {
        self.rows().corpus.reserve(n);
    }

    /// Entities added so far.
    pub fn len(&self) -> usize {
        self.rows.as_ref().map_or(0, |r| r.count)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        let Rows {
            conn,
            corpus,
            outside,
            count,
            ..
        } = self.rows.take().expect("the writer is open until finish");
        let mut outside = outside.finish();
        if !self.given_outside.is_empty() {
            outside.append(&mut self.given_outside);
            outside.sort();
            outside.dedup();
        }
        // The corpus file is encoded, checksummed, written and synced on a
        // thread of its own while SQLite builds the indexes; it is in place
        // before the snapshot naming it is committed and renamed.
        let write = || -> Result<String> {
            std::thread::scope(|scope| {
                let corpus_file = scope.spawn(|| -> Result<(String, u64)> {
                    let corpus = corpus.encode();
                    let sum = checksum4(&corpus);
                    Ok((
                        write_corpus_file(&self.dir, &self.final_path, sum, &corpus)?,
                        sum,
                    ))
                });
                let mut meta =
                    conn.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?;
                for (k, v) in [
                    ("format_version", FORMAT_VERSION.to_string()),
                    ("source", self.source.clone()),
                    ("origin", self.origin.clone()),
                    ("synced_at_ms", synced_at_ms.to_string()),
                    ("entity_count", count.to_string()),
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
                let mut edge = conn
                    .prepare("INSERT INTO outside_edges (ref, type, target) VALUES (?1, ?2, ?3)")?;
                for r in &outside {
                    edge.execute(params![r.source, r.relation_type, r.target])?;
                }
                conn.execute_batch(
                    "CREATE UNIQUE INDEX entities_ref ON entities (ref);
                     CREATE INDEX entities_name ON entities (name);
                     CREATE INDEX outside_edges_ref ON outside_edges (ref);",
                )?;
                let (file, sum) = corpus_file
                    .join()
                    .map_err(|_| anyhow::anyhow!("writing the search corpus failed (a panic)"))??;
                meta.execute(params!["corpus_checksum4", sum.to_string()])?;
                meta.execute(params![META_CORPUS_FILE, file])?;
                drop((meta, problem, edge));
                conn.execute_batch("COMMIT;")?;
                Ok(file)
            })
        };
        let corpus_file =
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
        // The stamp of the snapshot this one replaced (ignored beside it).
        stamp::remove(&self.final_path);
        remove_other_corpus_files(&self.dir, &self.final_path, &corpus_file);
        Ok(SnapshotInfo {
            source,
            origin: self.origin.clone(),
            synced_at_ms,
            entity_count: count,
            problem_count: problems.len(),
            path: self.final_path.clone(),
        })
    }
}

impl SnapshotWriter {
    /// Finish a sync that found nothing changed: `previous` (the current
    /// snapshot, read under this writer's lock) stays as it is, and its
    /// sync stamp records `synced_at_ms` and this writer's meta values
    /// over the ones stamped before ([`stamp`]). Readers opening it from
    /// then on see those; the snapshot file is never written to (readers
    /// hold it open `immutable`).
    pub fn finish_unchanged_at(
        self,
        previous: Snapshot,
        synced_at_ms: u64,
    ) -> Result<SnapshotInfo> {
        let Some(id) = previous.id.clone() else {
            // Naming no corpus file, it has no identity to stamp.
            let path = previous.info.path.clone();
            drop(previous);
            return self.finish_as_copy_at(&path, synced_at_ms);
        };
        let stamp = stamp::Stamp {
            snapshot: id,
            synced_at_ms,
            meta: previous.stamp.map(|s| s.meta).unwrap_or_default(),
        }
        .with_meta(&self.meta);
        let tmp_prefix = format!(".{}.sync-", snapshot_stem(&self.final_path));
        stamp::write(&self.dir, &previous.info.path, &tmp_prefix, &stamp)
            .with_context(|| format!("cannot write the sync stamp for source '{}'", self.source))?;
        Ok(SnapshotInfo {
            synced_at_ms,
            ..previous.info
        })
    }

    /// [`SnapshotWriter::finish_unchanged_at`] as a copy of the snapshot
    /// at `previous`, its meta set as on this writer and `synced_at_ms`.
    /// Replaced atomically like [`SnapshotWriter::finish_at`].
    fn finish_as_copy_at(mut self, previous: &Path, synced_at_ms: u64) -> Result<SnapshotInfo> {
        let source = self.source.clone();
        let cannot = || format!("cannot write snapshot for source '{source}'");
        drop(self.rows.take());
        let tmp = self.tmp.take().expect("the writer is open until finish");
        fs::copy(previous, tmp.path()).with_context(cannot)?;
        let (entity_count, problem_count) = {
            let conn = Connection::open(tmp.path()).with_context(cannot)?;
            let write = || -> Result<(usize, usize)> {
                conn.execute_batch("PRAGMA journal_mode = OFF; BEGIN;")?;
                {
                    let mut meta =
                        conn.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?;
                    meta.execute(params!["synced_at_ms", synced_at_ms.to_string()])?;
                    for (k, v) in &self.meta {
                        meta.execute(params![k, v])?;
                    }
                }
                let count = |key: &str| -> Result<usize> {
                    let v: String =
                        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
                            r.get(0)
                        })?;
                    Ok(v.parse()?)
                };
                let counts = (count("entity_count")?, count("problem_count")?);
                conn.execute_batch("COMMIT;")?;
                Ok(counts)
            };
            let counts = write().with_context(cannot)?;
            conn.close().map_err(|(_, e)| e).with_context(cannot)?;
            counts
        };
        tmp.as_file().sync_all()?;
        tmp.persist(&self.final_path).with_context(|| {
            format!(
                "cannot move the new snapshot to {}",
                self.final_path.display()
            )
        })?;
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(SnapshotInfo {
            source,
            origin: self.origin.clone(),
            synced_at_ms,
            entity_count,
            problem_count,
            path: self.final_path.clone(),
        })
    }
}

impl Drop for SnapshotWriter {
    fn drop(&mut self) {
        // Close the database before the temp file is removed.
        drop(self.rows.take());
        drop(self.tmp.take());
    }
}

/// A read-only view of one source's snapshot.
pub struct Snapshot {
    conn: Connection,
    pub info: SnapshotInfo,
    format_version: u32,
    /// Its search corpus file, opened with the database.
    corpus: CorpusFile,
    /// Its identity for a sync stamp (None: a snapshot naming no corpus file).
    id: Option<String>,
    /// The sync stamp beside it, when it belongs to it ([`stamp`]).
    stamp: Option<stamp::Stamp>,
}

/// A snapshot's search corpus file (see [`write_corpus_file`]).
enum CorpusFile {
    /// Open, and the checksum its bytes must have (none recorded, or not
    /// a number: no bytes pass).
    Open { file: File, checksum: Option<u64> },
    /// Named by the snapshot but not there.
    Missing(String),
    /// Not named (a snapshot of another format version), or not a plain
    /// file name beside the snapshot.
    Unnamed,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("info", &self.info)
            .finish()
    }
}

impl Snapshot {
    /// Open a snapshot file, checking its header and meta rows (not its
    /// pages: see [`Snapshot::open_checked`]).
    pub fn open(path: &Path) -> Result<Snapshot> {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        Self::open_unchecked(path, name.as_deref().unwrap_or("?"))
    }

    /// Open `source`'s snapshot file and check it: the SQLite header, the
    /// meta rows, and (up to [`QUICK_CHECK_MAX_BYTES`]) every page with
    /// `quick_check`. Damage is a [`CacheDamaged`] error.
    pub fn open_checked(path: &Path, source: &str) -> Result<Snapshot> {
        let snapshot = Self::open_unchecked(path, source)?;
        let size = fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size <= QUICK_CHECK_MAX_BYTES {
            let verdict: Result<Vec<String>, _> = snapshot
                .conn
                .prepare("PRAGMA quick_check(3)")
                .and_then(|mut stmt| {
                    stmt.query_map([], |r| r.get::<_, String>(0))?
                        .collect::<Result<Vec<_>, _>>()
                });
            match verdict {
                Ok(lines) if lines.len() == 1 && lines[0] == "ok" => {}
                Ok(lines) => return Err(damaged(source, lines.join("; "))),
                Err(e) => return Err(damaged(source, e.to_string())),
            }
        }
        Ok(snapshot)
    }

    pub(crate) fn open_unchecked(path: &Path, source: &str) -> Result<Snapshot> {
        let snapshot = Self::open_once(path, source)?;
        if matches!(snapshot.corpus, CorpusFile::Missing(_)) {
            // A sync replaced the snapshot, and removed the corpus file it
            // named, between the two opens: the new one names its own.
            drop(snapshot);
            return Self::open_once(path, source);
        }
        Ok(snapshot)
    }

    fn open_once(path: &Path, source: &str) -> Result<Snapshot> {
        {
            use std::io::Read;
            let mut header = [0u8; 16];
            let read = File::open(path)
                .and_then(|mut f| f.read_exact(&mut header))
                .is_ok();
            if !read || &header != b"SQLite format 3\0" {
                return Err(damaged(
                    source,
                    "not an SQLite database: the header is wrong",
                ));
            }
        }
        let uri = format!("file:{}?immutable=1", uri_escape(path));
        let conn = Connection::open_with_flags(
            &uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open cache snapshot {}", path.display()))?;
        // Memory-map reads: scans over every row (the hygiene reports, an
        // incremental sync's carried rows) read thousands of pages, one
        // pread each otherwise. (Set when the corpus was a blob in here,
        // where it paid; a `show` measured the same with and without.)
        conn.pragma_update(None, "mmap_size", 1i64 << 30)
            .with_context(|| format!("cannot configure cache snapshot {}", path.display()))?;
        let read = || -> Result<(u32, SnapshotInfo, CorpusFile, Option<String>)> {
            // One statement for all the rows: a short command opens every
            // snapshot, and each prepared statement costs a parse.
            let mut rows: Vec<(String, String)> = conn
                .prepare(
                    "SELECT key, value FROM meta WHERE key IN ('format_version', 'source', \
                     'origin', 'synced_at_ms', 'entity_count', 'problem_count', \
                     'corpus_file', 'corpus_checksum4')",
                )?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut meta = |key: &str| -> Result<String> {
                let at = rows
                    .iter()
                    .position(|(k, _)| k == key)
                    .with_context(|| format!("cache snapshot {} lacks '{key}'", path.display()))?;
                Ok(rows.swap_remove(at).1)
            };
            let format_version = meta("format_version")?.parse()?;
            let info = SnapshotInfo {
                source: meta("source")?,
                origin: meta("origin")?,
                synced_at_ms: meta("synced_at_ms")?.parse()?,
                entity_count: meta("entity_count")?.parse()?,
                problem_count: meta("problem_count")?.parse()?,
                path: path.to_path_buf(),
            };
            let checksum = meta("corpus_checksum4").ok().and_then(|v| v.parse().ok());
            let corpus_name = meta(META_CORPUS_FILE).ok();
            let id = corpus_name
                .as_deref()
                .map(|name| stamp::snapshot_id(name, info.synced_at_ms));
            let corpus = match corpus_name {
                Some(name) if is_corpus_file_of(path, &name) => {
                    let at = path.with_file_name(&name);
                    match File::open(&at) {
                        Ok(file) => CorpusFile::Open { file, checksum },
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            CorpusFile::Missing(name)
                        }
                        Err(e) => {
                            return Err(e).with_context(|| format!("cannot open {}", at.display()))
                        }
                    }
                }
                _ => CorpusFile::Unnamed,
            };
            Ok((format_version, info, corpus, id))
        };
        let (format_version, mut info, corpus, id) =
            read().map_err(|e| damaged(source, format!("{}: {e:#}", path.display())))?;
        let stamp = id.as_deref().and_then(|id| stamp::read(path, id));
        if let Some(stamp) = &stamp {
            info.synced_at_ms = info.synced_at_ms.max(stamp.synced_at_ms);
        }
        Ok(Snapshot {
            conn,
            info,
            format_version,
            corpus,
            id,
            stamp,
        })
    }

    /// One entity by canonical ref.
    pub fn entity(&self, key: &str) -> Result<Option<CatalogEntity>> {
        self.entity_with(key, |json| serde_json::from_slice(json))
    }

    /// [`Snapshot::entity`] keeping only
    /// [`callboard_core::catalog::lean::LEAN_FIELDS`]
    /// and the relations of `relation_types`.
    pub fn entity_lean(&self, key: &str, relation_types: &[&str]) -> Result<Option<CatalogEntity>> {
        self.entity_with(key, |json| parse_lean(json, relation_types))
    }

    fn entity_with(
        &self,
        key: &str,
        parse: impl FnOnce(&[u8]) -> serde_json::Result<Entity>,
    ) -> Result<Option<CatalogEntity>> {
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
                entity: parse(&json).map_err(|e| {
                    damaged(
                        &self.info.source,
                        format!("entity {key} is unreadable: {e}"),
                    )
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

    /// Whether the snapshot has this canonical ref.
    pub fn has(&self, key: &str) -> Result<bool> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM entities WHERE ref = ?1")?;
        Ok(stmt.exists([key])?)
    }

    /// The reverse edges this snapshot's entities give `key`, an entity of
    /// another source (see [`OutsideEdges`]): (relation type, target ref).
    pub fn outside_edges(&self, key: &str) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT type, target FROM outside_edges WHERE ref = ?1")?;
        let rows = stmt.query_map([key], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A meta value recorded by the sync (see [`SnapshotWriter::set_meta`]).
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        if let Some(value) = self.stamp.as_ref().and_then(|s| s.meta(key)) {
            return Ok(Some(value.to_string()));
        }
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// `ref -> metadata.etag` of the entities that had one (remote ones).
    pub fn etags(&self) -> Result<std::collections::HashMap<String, String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT ref, etag FROM entities WHERE etag IS NOT NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every row's ref, name and stored JSON in write order (the search
    /// corpus's order), without parsing it.
    pub fn for_each_row(&self, mut f: impl FnMut(&str, &str, &[u8]) -> Result<()>) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT ref, name, json FROM entities ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            f(
                row.get_ref(0)?.as_str()?,
                row.get_ref(1)?.as_str()?,
                row.get_ref(2)?.as_blob()?,
            )?;
        }
        Ok(())
    }

    /// The search records of the corpus, in row order.
    pub fn search_records(&self) -> Result<Vec<SearchRecord>> {
        let bytes = self.corpus_bytes()?;
        callboard_core::search::decode_corpus(&bytes)
            .map_err(|e| damaged(&self.info.source, format!("the search corpus: {e}")))
    }

    /// Every outside edge: (receiver ref, inverse type, emitter ref).
    pub fn all_outside_edges(&self) -> Result<Vec<(String, String, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT ref, type, target FROM outside_edges")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
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
                entity: serde_json::from_slice(&json).map_err(|e| {
                    damaged(&self.info.source, format!("an entity is unreadable: {e}"))
                })?,
                origin: Origin {
                    source,
                    location,
                    line,
                },
            });
        }
        if out.len() != self.info.entity_count {
            return Err(damaged(
                &self.info.source,
                format!(
                    "{} entities where its sync wrote {}",
                    out.len(),
                    self.info.entity_count
                ),
            ));
        }
        Ok(out)
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

mod corpus_file;
mod corpus_read;
mod rows;
mod stamp;
mod store;
pub use rows::Rows;
pub use store::Store;

#[cfg(test)]
mod tests;
