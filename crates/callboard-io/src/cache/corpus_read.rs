//! Reading a snapshot's search corpus: the blob into fresh memory a
//! second thread maps meanwhile, checked against the snapshot's checksum
//! (beside the parse, for [`Snapshot::corpus`]).

use anyhow::Result;
use callboard_core::search::{Corpus, CorpusError};

use super::{checksum, checksum4, damaged, Snapshot};

/// Corpus blobs from this size on are read into memory a second thread
/// faults in meanwhile. On the 2-core VM of the benchmarks a fresh 4 KB
/// page costs 2-3 µs, more than copying it: reading the 18 MB corpus of a
/// 100k catalog took ~9 ms, most of it page faults, which two cores share.
const PREFAULT_MIN_BYTES: usize = 4 << 20;

/// Have the kernel map `buf`'s pages now, on this thread, rather than when
/// the reader gets there: `MADV_POPULATE_WRITE` (Linux 5.14+, about half
/// the cost of faulting each page in), else one write a page.
fn prefault(buf: &mut [std::mem::MaybeUninit<u8>]) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let start = buf.as_mut_ptr() as usize;
        let first = start.next_multiple_of(PAGE);
        let end = (start + buf.len()) / PAGE * PAGE;
        if end > first {
            // SAFETY: whole pages inside `buf`, which this thread borrows
            // mutably; populating maps them and changes no byte.
            let done = unsafe {
                libc::madvise(
                    first as *mut libc::c_void,
                    end - first,
                    libc::MADV_POPULATE_WRITE,
                )
            } == 0;
            if done {
                return;
            }
        }
    }
    for page in buf.chunks_mut(4096) {
        page[0].write(0);
    }
}

impl Snapshot {
    /// The encoded search corpus (see [`callboard_core::search::Corpus::decode`]).
    /// Read through the incremental blob API straight into one buffer (the
    /// plain column read would copy the 10+ MB blob twice), not zeroed
    /// first.
    pub fn corpus_bytes(&self) -> Result<Vec<u8>> {
        self.corpus_bytes_with(PREFAULT_MIN_BYTES)
    }

    /// [`Snapshot::corpus_bytes`], the destination mapped by a second
    /// thread from `prefault_min` bytes on.
    pub(crate) fn corpus_bytes_with(&self, prefault_min: usize) -> Result<Vec<u8>> {
        let bytes = self.read_corpus(prefault_min)?;
        if !self.corpus_check()?(&bytes) {
            return Err(self.corpus_damaged());
        }
        Ok(bytes)
    }

    /// The search corpus, decoded: [`Snapshot::corpus_bytes`] then
    /// [`Corpus::decode`], but a large corpus's checksum is computed while
    /// its meta section is parsed on another thread. The outer error: the
    /// snapshot could not be read or is damaged ([`CacheDamaged`](super::CacheDamaged)); the
    /// inner one: the corpus is unreadable.
    pub fn corpus(&self) -> Result<Result<Corpus, CorpusError>> {
        let bytes = self.read_corpus(PREFAULT_MIN_BYTES)?;
        match Corpus::decode_verified(bytes, self.corpus_check()?) {
            Err(CorpusError::Unverified) => Err(self.corpus_damaged()),
            decoded => Ok(decoded),
        }
    }

    fn corpus_damaged(&self) -> anyhow::Error {
        damaged(&self.info.source, "the search corpus fails its checksum")
    }

    /// Whether corpus bytes match the checksum the snapshot carries (the
    /// four-lane one, else the older one, else any bytes do).
    fn corpus_check(&self) -> Result<impl Fn(&[u8]) -> bool> {
        let (expected, sum) = match self.meta("corpus_checksum4")? {
            Some(v) => (Some(v), checksum4 as fn(&[u8]) -> u64),
            None => (self.meta("corpus_checksum")?, checksum as fn(&[u8]) -> u64),
        };
        Ok(move |bytes: &[u8]| {
            expected
                .as_ref()
                .is_none_or(|e| *e == sum(bytes).to_string())
        })
    }

    /// The corpus blob, unchecked; from `prefault_min` bytes on a second
    /// thread maps the destination's tail while this one reads the head.
    ///
    /// The connection's memory map is off meanwhile: SQLite then reads each
    /// overflow page with one `pread` straight into `bytes` (its direct
    /// overflow read) instead of copying it out of the map, which first
    /// maps every page of the blob into this process (at 100k: 18 MB, ~1 ms
    /// of CPU to map and unmap, and as much RSS). The map is restored after.
    fn read_corpus(&self, prefault_min: usize) -> Result<Vec<u8>> {
        let mapped: i64 = self
            .conn
            .pragma_query_value(None, "mmap_size", |r| r.get(0))?;
        self.conn.pragma_update(None, "mmap_size", 0)?;
        let read = self.read_corpus_blob(prefault_min);
        self.conn.pragma_update(None, "mmap_size", mapped)?;
        read
    }

    fn read_corpus_blob(&self, prefault_min: usize) -> Result<Vec<u8>> {
        let blob = self
            .conn
            .blob_open(rusqlite::MAIN_DB, "corpus", "data", 1, true)?;
        let len = blob.len();
        let mut bytes: Vec<u8> = Vec::with_capacity(len);
        let spare = &mut bytes.spare_capacity_mut()[..len];
        if len >= prefault_min {
            // A fresh page costs more than copying it (see
            // `PREFAULT_MIN_BYTES`): a second thread maps the tail while
            // this one reads the head, then this one reads the tail.
            let mid = len * 4 / 9;
            let (head, tail) = spare.split_at_mut(mid);
            std::thread::scope(|s| {
                s.spawn(|| prefault(tail));
                blob.raw_read_at_exact(head, 0).map(|_| ())
            })?;
            blob.raw_read_at_exact(&mut spare[mid..], mid)?;
        } else {
            blob.raw_read_at_exact(spare, 0)?;
        }
        // SAFETY: `raw_read_at_exact` initialised the first `len` bytes
        // (it fails unless it fills the whole slice).
        unsafe { bytes.set_len(len) };
        Ok(bytes)
    }
}
