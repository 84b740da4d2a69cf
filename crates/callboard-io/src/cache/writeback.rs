//! Early writeback of a snapshot being written. The rows reach the
//! kernel's page cache as SQLite spills them, but nothing goes to the disk
//! until the finish's fsync, which then waits for the whole file (10–15 ms
//! for a 10k remote sync, in the last stretch where nothing overlaps it).
//! Every few MiB of rows the pages written so far are handed to the disk
//! (`sync_file_range(SYNC_FILE_RANGE_WRITE)`, which does not wait for
//! them), so the fsync finds most of the file written. Only a hint: the
//! finish's fsync is still what makes the snapshot durable.

use std::fs::File;

/// Bytes of rows between two hand-overs.
const EVERY_BYTES: usize = 2 << 20;

/// See the module doc.
pub(super) struct Writeback {
    /// The snapshot's temporary file (its own descriptor); `None`: no hints.
    file: Option<File>,
    pending: usize,
    /// Hand-overs so far.
    pub(super) started: usize,
}

impl Writeback {
    pub(super) fn new(file: Option<File>) -> Writeback {
        Writeback {
            file,
            pending: 0,
            started: 0,
        }
    }

    /// `n` more bytes of rows were added.
    pub(super) fn added(&mut self, n: usize) {
        self.pending += n;
        if self.pending >= EVERY_BYTES {
            self.pending = 0;
            self.start();
        }
    }

    fn start(&mut self) {
        let Some(file) = &self.file else {
            return;
        };
        self.started += 1;
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: a descriptor this struct owns, open for its lifetime;
            // the call reads no memory of ours. Its result is only a hint's:
            // an error leaves the work to the fsync.
            unsafe {
                libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = file;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_handed_over_every_few_mib() {
        let file = tempfile::tempfile().unwrap();
        let mut w = Writeback::new(Some(file));
        w.added(EVERY_BYTES - 1);
        assert_eq!(w.started, 0);
        w.added(1);
        assert_eq!(w.started, 1);
        for _ in 0..10 {
            w.added(EVERY_BYTES / 2);
        }
        assert_eq!(w.started, 6);
        let mut none = Writeback::new(None);
        none.added(EVERY_BYTES * 3);
        assert_eq!(none.started, 0);
    }
}
