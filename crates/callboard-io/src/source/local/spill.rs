//! Kept entities' serialised bodies (JSON without relations, packed search
//! record) moved out of memory for a large sync: the loader appends each
//! body, in the order the entities are kept, to an unnamed temporary file
//! next to the snapshot, and the writer reads them back in the same order.
//! At 1M entities that is ~1 GB the process no longer holds until the
//! write (the kernel keeps it in its page cache or writes it out).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::Path;

/// Bodies appended so far; see the module doc.
pub(super) struct Spill {
    out: BufWriter<File>,
    /// Bytes appended.
    len: u64,
    /// Bodies are kept in memory once the first this many bytes of them
    /// were (small syncs never touch the disk).
    after: u64,
    /// Bytes of bodies seen (kept in memory or appended).
    seen: u64,
}

/// Buffer of the spill file's writer and reader.
const BUFFER: usize = 1 << 20;

impl Spill {
    /// A spill file in `dir` (created if missing), taking bodies once
    /// `after` bytes of them were kept in memory; `None` when the file
    /// cannot be made (the bodies stay in memory).
    pub(super) fn new(dir: &Path, after: u64) -> Option<Spill> {
        std::fs::create_dir_all(dir).ok()?;
        let file = tempfile::tempfile_in(dir).ok()?;
        Some(Spill {
            out: BufWriter::with_capacity(BUFFER, file),
            len: 0,
            after,
            seen: 0,
        })
    }

    /// Take `body`, returning where it is in the file; `None` when it is
    /// to stay in memory (under the threshold, or the file failed: then
    /// every later body stays too).
    pub(super) fn put(&mut self, body: &[u8]) -> Option<u64> {
        self.seen += body.len() as u64;
        if self.seen <= self.after {
            return None;
        }
        let at = self.len;
        match self.out.write_all(body) {
            Ok(()) => {
                self.len += body.len() as u64;
                Some(at)
            }
            Err(_) => {
                // A partly written body is never read back; keep the rest
                // in memory.
                self.after = u64::MAX;
                None
            }
        }
    }

    /// Read the bodies back, from the first.
    pub(super) fn into_reader(self) -> io::Result<SpillReader> {
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        Ok(SpillReader {
            input: BufReader::with_capacity(BUFFER, file),
            at: 0,
        })
    }
}

/// The bodies of a [`Spill`], read in the order they were put.
pub(super) struct SpillReader {
    input: BufReader<File>,
    at: u64,
}

impl SpillReader {
    /// The body put at `at`, `len` bytes long, into `out` (cleared first):
    /// the next one in the file.
    pub(super) fn read(&mut self, at: u64, len: usize, out: &mut Vec<u8>) -> io::Result<()> {
        if at != self.at {
            return Err(io::Error::other(format!(
                "spilled entity read out of order (at {at}, expected {})",
                self.at
            )));
        }
        out.clear();
        out.resize(len, 0);
        self.input.read_exact(out)?;
        self.at += len as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_come_back_in_order_after_the_threshold() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::new(&dir.path().join("sub"), 10).unwrap();
        let bodies: Vec<Vec<u8>> = (0..100u8).map(|i| vec![i; usize::from(i % 7)]).collect();
        let places: Vec<Option<u64>> = bodies.iter().map(|b| spill.put(b)).collect();
        // The first 10 bytes stay in memory (0+1+2+3+4 = 10).
        assert!(places[..5].iter().all(Option::is_none));
        assert!(places[5..].iter().all(Option::is_some));
        let mut reader = spill.into_reader().unwrap();
        let mut out = Vec::new();
        for (body, at) in bodies.iter().zip(&places) {
            if let Some(at) = *at {
                reader.read(at, body.len(), &mut out).unwrap();
                assert_eq!(&out, body);
            }
        }
        // Out of order is an error, not a wrong body.
        let mut spill = Spill::new(dir.path(), 0).unwrap();
        spill.put(b"abc").unwrap();
        let second = spill.put(b"de").unwrap();
        let mut reader = spill.into_reader().unwrap();
        assert!(reader.read(second, 2, &mut out).is_err());
    }
}
