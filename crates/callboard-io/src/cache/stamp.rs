//! The sync stamp: a sync that finds nothing changed records its time and
//! its meta values (the listing's tags, who synced, the query) in a small
//! file beside the snapshot, `<stem>.synced`, instead of writing the
//! snapshot again. Rewriting it meant copying and syncing the whole file
//! (26 ms at 10k remote entities, 20 MB; seconds at 1M) on every re-sync
//! that changed nothing.
//!
//! A stamp names the snapshot it belongs to (its corpus file and its own
//! sync time, which a new snapshot never shares): beside any other
//! snapshot it is ignored, so a stamp and a snapshot never need to be
//! replaced together. It is written like the snapshot (temp file, sync,
//! rename, directory sync) under the source's lock.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// A stamp is a few kB (the listing's tags); anything much larger is not
/// one of ours and is not read.
const MAX_STAMP_BYTES: u64 = 1 << 20;

/// What a stamp file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Stamp {
    /// [`snapshot_id`] of the snapshot it belongs to.
    pub(super) snapshot: String,
    /// When the latest sync that kept the snapshot ended.
    pub(super) synced_at_ms: u64,
    /// Meta values those syncs set; they win over the snapshot's own.
    pub(super) meta: Vec<(String, String)>,
}

impl Stamp {
    pub(super) fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `meta` set over this stamp's (the later value of a key wins).
    pub(super) fn with_meta(mut self, meta: &[(String, String)]) -> Stamp {
        for (key, value) in meta {
            match self.meta.iter_mut().find(|(k, _)| k == key) {
                Some(kept) => kept.1 = value.clone(),
                None => self.meta.push((key.clone(), value.clone())),
            }
        }
        self
    }
}

/// A written snapshot's identity: its corpus file's name (which carries the
/// corpus checksum) and the sync time in its meta rows.
pub(super) fn snapshot_id(corpus_file: &str, synced_at_ms: u64) -> String {
    format!("{corpus_file}@{synced_at_ms}")
}

/// `<stem>.synced` beside the snapshot at `snapshot`.
pub(super) fn path_of(snapshot: &Path) -> PathBuf {
    snapshot.with_extension("synced")
}

/// The stamp beside `snapshot` when it belongs to the snapshot `id`. A
/// missing, foreign or unreadable one is None: the snapshot's own meta
/// stands (an older sync time, a listing read in full next time).
pub(super) fn read(snapshot: &Path, id: &str) -> Option<Stamp> {
    let file = File::open(path_of(snapshot)).ok()?;
    if file.metadata().ok()?.len() > MAX_STAMP_BYTES {
        return None;
    }
    let stamp: Stamp = serde_json::from_reader(std::io::BufReader::new(file)).ok()?;
    (stamp.snapshot == id).then_some(stamp)
}

/// Write `stamp` beside `snapshot`, atomically; `tmp_prefix` names the
/// temp file as the source's other temp files (cleared by the next sync
/// when this one is killed).
pub(super) fn write(dir: &Path, snapshot: &Path, tmp_prefix: &str, stamp: &Stamp) -> Result<()> {
    let path = path_of(snapshot);
    let mut tmp = tempfile::Builder::new()
        .prefix(tmp_prefix)
        .suffix(".synced.tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temp file in {}", dir.display()))?;
    serde_json::to_writer(&mut tmp, stamp)?;
    tmp.flush()?;
    tmp.as_file().sync_all()?;
    tmp.persist(&path)
        .with_context(|| format!("cannot move the sync stamp to {}", path.display()))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Remove the stamp beside `snapshot` (a new snapshot replaced the one it
/// belonged to).
pub(super) fn remove(snapshot: &Path) {
    let _ = fs::remove_file(path_of(snapshot));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(snapshot: &str) -> Stamp {
        Stamp {
            snapshot: snapshot.into(),
            synced_at_ms: 7,
            meta: vec![("a".into(), "1".into()), ("b".into(), "2".into())],
        }
    }

    #[test]
    fn a_stamp_is_read_only_beside_its_own_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let snapshot = dir.path().join("src-1.sqlite");
        assert_eq!(read(&snapshot, "x@1"), None);
        write(dir.path(), &snapshot, ".src-1.sync-", &stamp("x@1")).unwrap();
        assert!(path_of(&snapshot).ends_with("src-1.synced"));
        assert_eq!(read(&snapshot, "x@1"), Some(stamp("x@1")));
        assert_eq!(read(&snapshot, "x@2"), None, "another snapshot's");
        // No temp file is left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["src-1.synced"]);
        fs::write(path_of(&snapshot), b"{\"snapshot\": \"x@1\", \"synced").unwrap();
        assert_eq!(read(&snapshot, "x@1"), None, "damaged: ignored");
        remove(&snapshot);
        assert!(!path_of(&snapshot).exists());
    }

    #[test]
    fn later_meta_values_win() {
        let merged = stamp("s").with_meta(&[("b".into(), "3".into()), ("c".into(), "4".into())]);
        assert_eq!(
            (merged.meta("a"), merged.meta("b"), merged.meta("c")),
            (Some("1"), Some("3"), Some("4"))
        );
        assert_eq!(merged.meta("d"), None);
    }
}
