//! Worker threads that prepare the files the loader is about to read,
//! bounded in bytes held; the loader takes them in its own order.

use std::collections::{HashMap, HashSet, VecDeque};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::prepare::{prepare_file, Form, PreparedFile};
use super::{LocalOptions, PREFETCH_BYTES};

/// Files read ahead of the loader by worker threads.
///
/// The loader schedules the files it is about to read (canonical paths) and
/// takes each one's [`PreparedFile`] when it gets there: waiting if a worker
/// is on it, reading it itself if no worker has started it. Workers stop
/// reading ahead while [`PREFETCH_BYTES`] of text wait to be taken, so
/// memory stays bounded; a file scheduled but never taken only costs that.
pub(super) struct Prefetch<'a> {
    options: &'a LocalOptions,
    form: Form,
    state: Mutex<PrefetchState>,
    changed: Condvar,
}

#[derive(Default)]
pub(super) struct PrefetchState {
    /// Scheduled and not started, next first.
    queue: VecDeque<PathBuf>,
    /// Every file ever scheduled (each is read at most once).
    scheduled: HashSet<PathBuf>,
    /// Files the loader read itself before a worker started them.
    taken: HashSet<PathBuf>,
    running: HashSet<PathBuf>,
    done: HashMap<PathBuf, PreparedFile>,
    done_bytes: usize,
    closed: bool,
}

impl<'a> Prefetch<'a> {
    pub(super) fn new(options: &'a LocalOptions, form: Form) -> Self {
        Prefetch {
            options,
            form,
            state: Mutex::new(PrefetchState::default()),
            changed: Condvar::new(),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, PrefetchState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn wait<'g>(
        &self,
        guard: MutexGuard<'g, PrefetchState>,
    ) -> MutexGuard<'g, PrefetchState> {
        self.changed
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Read these files next, in this order (before anything scheduled
    /// earlier and not started). False when none was new.
    pub(super) fn schedule(&self, files: impl Iterator<Item = PathBuf>) -> bool {
        let mut state = self.lock();
        let new: Vec<PathBuf> = files
            .filter(|f| state.scheduled.insert(f.clone()))
            .collect();
        if new.is_empty() {
            return false;
        }
        for file in new.into_iter().rev() {
            state.queue.push_front(file);
        }
        self.changed.notify_all();
        true
    }

    /// The prepared file, if a worker has it or is on it (the loader reads
    /// other scheduled files while it waits); `None` tells the loader to
    /// read it itself.
    pub(super) fn take(&self, canonical: &Path) -> Option<PreparedFile> {
        let mut state = self.lock();
        loop {
            if let Some(prepared) = state.done.remove(canonical) {
                state.done_bytes -= prepared.bytes;
                self.changed.notify_all();
                return Some(prepared);
            }
            if !state.running.contains(canonical) {
                if state.scheduled.contains(canonical) {
                    state.taken.insert(canonical.to_path_buf());
                }
                return None;
            }
            state = match self.prepare_next(state) {
                Ok(state) => state,
                Err(state) => self.wait(state),
            };
        }
    }

    /// A worker: prepare scheduled files until closed.
    pub(super) fn work(&self) {
        let mut state = self.lock();
        while !state.closed {
            state = match self.prepare_next(state) {
                Ok(state) => state,
                Err(state) => self.wait(state),
            };
        }
    }

    /// Prepare the next scheduled file, unless enough are waiting to be
    /// taken; `Err` when there was nothing to do.
    pub(super) fn prepare_next<'g>(
        &'g self,
        mut state: MutexGuard<'g, PrefetchState>,
    ) -> Result<MutexGuard<'g, PrefetchState>, MutexGuard<'g, PrefetchState>> {
        let path = loop {
            if state.done_bytes >= PREFETCH_BYTES {
                return Err(state);
            }
            match state.queue.pop_front() {
                None => return Err(state),
                Some(path) if state.taken.remove(&path) => continue,
                Some(path) => break path,
            }
        };
        state.running.insert(path.clone());
        drop(state);
        // A panic is left for the loader to meet again when it reads the
        // file itself.
        let prepared = std::panic::catch_unwind(AssertUnwindSafe(|| {
            prepare_file(&path, self.options, self.form)
        }));
        let mut state = self.lock();
        state.running.remove(&path);
        if let Ok(prepared) = prepared {
            state.done_bytes += prepared.bytes;
            state.done.insert(path, prepared);
        }
        self.changed.notify_all();
        Ok(state)
    }

    /// Stop the workers (what they are reading is finished and dropped).
    pub(super) fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_all();
    }
}

pub(super) struct CloseOnDrop<'p, 'a>(pub(super) &'p Prefetch<'a>);

impl Drop for CloseOnDrop<'_, '_> {
    fn drop(&mut self) {
        self.0.close();
    }
}
