//! Reading a snapshot's search corpus from its own file: mapped, so the
//! search runs over the page cache where it lies, and checked against the
//! snapshot's checksum (beside the parse, for [`Snapshot::corpus`]).

use std::fs::File;
use std::sync::Arc;

use anyhow::{Context, Result};
use callboard_core::search::{Corpus, CorpusError, SharedBytes};

use super::{checksum4, damaged, CorpusFile, Snapshot};

/// Corpus files from this size on are mapped; smaller ones are read (a
/// mapping costs more than the copy of a few pages).
pub(super) const MAP_MIN_BYTES: u64 = 64 << 10;

/// A mapped corpus file, as the corpus's text.
struct Mapped(memmap2::Mmap);

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// The bytes of a corpus file: mapped, or read when small.
enum CorpusBytes {
    Mapped(Arc<Mapped>),
    Read(Vec<u8>),
}

impl Snapshot {
    /// The encoded search corpus (see [`callboard_core::search::Corpus::decode`]),
    /// checked against the snapshot's checksum.
    pub fn corpus_bytes(&self) -> Result<Vec<u8>> {
        let (file, check) = self.corpus_file()?;
        let bytes = file
            .metadata()
            .and_then(|m| read_whole(file, m.len()))
            .with_context(|| format!("cannot read the search corpus of '{}'", self.info.source))?;
        if !check(&bytes) {
            return Err(self.corpus_damaged());
        }
        Ok(bytes)
    }

    /// The search corpus, decoded: [`Snapshot::corpus_bytes`] then
    /// [`Corpus::decode`], but a large corpus is mapped, not read, and its
    /// checksum computed while its meta section is parsed on another
    /// thread. The outer error: the snapshot could not be read or is
    /// damaged ([`CacheDamaged`](super::CacheDamaged)); the inner one: the
    /// corpus is unreadable.
    pub fn corpus(&self) -> Result<Result<Corpus, CorpusError>> {
        let (file, check) = self.corpus_file()?;
        let decoded = match self.read_or_map(file)? {
            CorpusBytes::Mapped(m) => Corpus::decode_shared(m as SharedBytes, check),
            CorpusBytes::Read(v) => Corpus::decode_verified(v, check),
        };
        match decoded {
            Err(CorpusError::Unverified) => Err(self.corpus_damaged()),
            decoded => Ok(decoded),
        }
    }

    fn read_or_map(&self, file: &File) -> Result<CorpusBytes> {
        let cannot = || format!("cannot read the search corpus of '{}'", self.info.source);
        let len = file.metadata().with_context(cannot)?.len();
        if len < MAP_MIN_BYTES {
            return Ok(CorpusBytes::Read(
                read_whole(file, len).with_context(cannot)?,
            ));
        }
        // Populated: the whole corpus is read anyway (checked, then
        // searched), and mapping it in one call took ~12 % less CPU than a
        // fault per 16 pages, for the same wall time (100k, 18 MB).
        // SAFETY: a corpus file is never written after it is renamed into
        // place (`write_corpus_file`: a new corpus is a new file), so the
        // mapped bytes cannot change under the corpus that borrows them.
        let map =
            unsafe { memmap2::MmapOptions::new().populate().map(file) }.with_context(cannot)?;
        Ok(CorpusBytes::Mapped(Arc::new(Mapped(map))))
    }

    /// The open corpus file and the check its bytes must pass.
    fn corpus_file(&self) -> Result<(&File, impl Fn(&[u8]) -> bool)> {
        match &self.corpus {
            CorpusFile::Open { file, checksum } => {
                let expected = *checksum;
                Ok((file, move |bytes: &[u8]| expected == Some(checksum4(bytes))))
            }
            CorpusFile::Missing(name) => Err(damaged(
                &self.info.source,
                format!("its search corpus file {name} is missing"),
            )),
            CorpusFile::Unnamed => {
                Err(damaged(&self.info.source, "it names no search corpus file"))
            }
        }
    }

    fn corpus_damaged(&self) -> anyhow::Error {
        damaged(&self.info.source, "the search corpus fails its checksum")
    }
}

/// The whole of `file`, `len` bytes, from its start whatever its offset (a
/// snapshot may read its corpus more than once, from more than one thread).
fn read_whole(file: &File, len: u64) -> std::io::Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let mut bytes = vec![0; len as usize];
        file.read_exact_at(&mut bytes, 0)?;
        Ok(bytes)
    }
    #[cfg(not(unix))]
    {
        use std::io::{Read, Seek};
        let mut own = file.try_clone()?;
        own.rewind()?;
        let mut bytes = Vec::with_capacity(len as usize);
        own.read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}
