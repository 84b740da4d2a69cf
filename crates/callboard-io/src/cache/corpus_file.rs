//! A snapshot's search corpus file: its name, its writing, and the removal
//! of the ones no snapshot names any more.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

/// The meta key naming a snapshot's corpus file (see [`write_corpus_file`]).
pub(super) const META_CORPUS_FILE: &str = "corpus_file";

/// Write the encoded search corpus beside the snapshot at `snapshot`, as
/// `<stem>.<checksum>.corpus`; returns that file name.
///
/// The corpus is its own file, not a blob in the database, so a reader can
/// map it and search the page cache in place: read out of SQLite it was
/// copied into fresh memory first, and zeroing and copying those pages
/// was a third of a cold `search`'s CPU. Named by its checksum, a corpus
/// file is never rewritten in place (a mapped file must not change): a new
/// one is written to a temp file and renamed, and equal corpora share the
/// name. It is written before the snapshot that names it is moved into
/// place, so a crash in between leaves at worst an unused file.
pub(super) fn write_corpus_file(
    dir: &Path,
    snapshot: &Path,
    sum: u64,
    corpus: &[u8],
) -> Result<String> {
    use std::io::Write;
    let stem = snapshot_stem(snapshot);
    let name = format!("{stem}.{sum:016x}.corpus");
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{stem}.sync-"))
        .suffix(".corpus.tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temp file in {}", dir.display()))?;
    tmp.write_all(corpus)?;
    tmp.as_file().sync_all()?;
    tmp.persist(dir.join(&name)).with_context(|| {
        format!(
            "cannot move the search corpus to {}",
            dir.join(&name).display()
        )
    })?;
    Ok(name)
}

pub(super) fn snapshot_stem(snapshot: &Path) -> String {
    snapshot
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Remove the corpus files of the snapshot at `snapshot` but `keep` (the
/// one it names now). A reader that opened the previous snapshot holds its
/// corpus file open from then on, and one that finds it gone between the
/// two opens opens the new snapshot instead ([`Snapshot::open_unchecked`]).
pub(super) fn remove_other_corpus_files(dir: &Path, snapshot: &Path, keep: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name != keep && is_corpus_file_of(snapshot, &name) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether `name` is the name of a corpus file of the snapshot at
/// `snapshot` (never a path: a damaged meta row cannot point elsewhere).
pub(super) fn is_corpus_file_of(snapshot: &Path, name: &str) -> bool {
    let prefix = format!("{}.", snapshot_stem(snapshot));
    name.strip_prefix(&prefix).is_some_and(is_corpus_file_name)
}

/// `<16 hex digits>.corpus`: what follows a snapshot's stem and a dot in
/// the name of one of its corpus files.
fn is_corpus_file_name(rest: &str) -> bool {
    rest.strip_suffix(".corpus")
        .is_some_and(|hex| hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}
