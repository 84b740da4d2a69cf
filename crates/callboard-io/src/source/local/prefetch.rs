//! Worker threads that prepare the files the loader is about to read,
//! bounded in bytes held; the loader takes them in its own order.
//!
//! A big file is split into pieces at document boundaries
//! ([`Chunked::pieces`]) that every thread prepares, the loader taking them
//! one by one in order: one big file is parsed on every core, and only the
//! pieces read ahead are alive besides what the loader keeps.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Range;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use super::files::{is_template_skeleton, read_text_limited};
use super::prepare::{prepare_piece, Content, Form, PreparedFile, PreparedPiece};
use super::{LocalOptions, PREFETCH_BYTES};
use crate::source::yaml::{Chunked, MAX_ALIAS_NODES};

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
    /// Files of at least twice this many bytes are split into pieces of
    /// about this size.
    piece_bytes: usize,
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
    /// Text bytes of the files and pieces in `done` and `split`.
    done_bytes: usize,
    /// Pieces not started, in the order files were split, as (canonical
    /// path, index); prepared before any new file.
    pieces: VecDeque<(PathBuf, usize)>,
    /// The files split into pieces whose last piece is not taken yet.
    split: HashMap<PathBuf, SplitFile>,
    closed: bool,
}

struct SplitFile {
    chunked: Arc<Chunked>,
    ranges: Vec<Range<usize>>,
    pieces: Vec<Piece>,
}

enum Piece {
    Queued,
    Running,
    Done(PreparedPiece),
    Taken,
}

/// Something to prepare.
enum Job {
    File(PathBuf),
    Piece(PathBuf, usize),
}

impl<'a> Prefetch<'a> {
    pub(super) fn new(options: &'a LocalOptions, form: Form, piece_bytes: usize) -> Self {
        Prefetch {
            options,
            form,
            piece_bytes,
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

    /// Prepare the next piece, else the next scheduled file, unless enough
    /// are waiting to be taken; `Err` when there was nothing to do.
    pub(super) fn prepare_next<'g>(
        &'g self,
        mut state: MutexGuard<'g, PrefetchState>,
    ) -> Result<MutexGuard<'g, PrefetchState>, MutexGuard<'g, PrefetchState>> {
        let job = loop {
            if state.done_bytes >= PREFETCH_BYTES {
                return Err(state);
            }
            if let Some((path, i)) = state.pieces.pop_front() {
                break Job::Piece(path, i);
            }
            match state.queue.pop_front() {
                None => return Err(state),
                Some(path) if state.taken.remove(&path) => continue,
                Some(path) => break Job::File(path),
            }
        };
        match job {
            Job::File(path) => {
                state.running.insert(path.clone());
                drop(state);
                // A panic is left for the loader to meet again when it reads
                // the file itself.
                let prepared =
                    std::panic::catch_unwind(AssertUnwindSafe(|| self.read_file(&path, &path)));
                let mut state = self.lock();
                state.running.remove(&path);
                if let Ok(prepared) = prepared {
                    state.done_bytes += prepared.bytes;
                    state.done.insert(path, prepared);
                }
                self.changed.notify_all();
                Ok(state)
            }
            Job::Piece(path, i) => {
                let (chunked, range) = start_piece(&mut state, &path, i);
                drop(state);
                let prepared = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    prepare_piece(&chunked, range, MAX_ALIAS_NODES, self.options, self.form)
                }));
                let mut state = self.lock();
                let state_ref = &mut *state;
                if let Some(file) = state_ref.split.get_mut(&path) {
                    // A panic is left for the loader to meet again.
                    file.pieces[i] = match prepared {
                        Ok(piece) => {
                            state_ref.done_bytes += piece.bytes;
                            Piece::Done(piece)
                        }
                        Err(_) => Piece::Queued,
                    };
                }
                self.changed.notify_all();
                Ok(state)
            }
        }
    }

    /// Read `path` and prepare it: whole, or split into pieces that every
    /// thread prepares from now on (`canonical` names it to
    /// [`Prefetch::take_piece`]).
    pub(super) fn read_file(&self, path: &Path, canonical: &Path) -> PreparedFile {
        let text = match read_text_limited(path, self.options.max_file_bytes) {
            Err(problem) => {
                return PreparedFile {
                    bytes: 0,
                    content: Content::Unreadable(problem),
                }
            }
            Ok(text) if is_template_skeleton(&text) => {
                return PreparedFile {
                    bytes: text.len(),
                    content: Content::Skeleton(text),
                }
            }
            Ok(text) => text,
        };
        let bytes = text.len();
        let chunked = Chunked::new(text);
        let ranges = if bytes >= self.piece_bytes.saturating_mul(2) {
            chunked.pieces(self.piece_bytes)
        } else {
            Vec::new()
        };
        if ranges.len() < 2 {
            let piece = prepare_piece(
                &chunked,
                0..chunked.len(),
                MAX_ALIAS_NODES,
                self.options,
                self.form,
            );
            return PreparedFile {
                bytes,
                content: Content::Parsed(piece.docs, piece.parse.errors),
            };
        }
        let chunked = Arc::new(chunked);
        let mut state = self.lock();
        let state_ref = &mut *state;
        state_ref
            .pieces
            .extend((0..ranges.len()).map(|i| (canonical.to_path_buf(), i)));
        state_ref.split.insert(
            canonical.to_path_buf(),
            SplitFile {
                chunked: Arc::clone(&chunked),
                ranges: ranges.clone(),
                pieces: (0..ranges.len()).map(|_| Piece::Queued).collect(),
            },
        );
        self.changed.notify_all();
        PreparedFile {
            bytes: 0,
            content: Content::Split(chunked, ranges),
        }
    }

    /// Piece `i` of the split file `canonical`, prepared with the whole
    /// alias budget: waiting if a thread is on it (preparing other pieces
    /// or files meanwhile), preparing it here if none started it. Each piece
    /// is taken once.
    pub(super) fn take_piece(&self, canonical: &Path, i: usize) -> PreparedPiece {
        let mut state = self.lock();
        loop {
            let state_ref = &mut *state;
            let file = state_ref
                .split
                .get_mut(canonical)
                .expect("the pieces of a split file are taken once, in order");
            match &file.pieces[i] {
                Piece::Done(_) => {
                    let Piece::Done(piece) = std::mem::replace(&mut file.pieces[i], Piece::Taken)
                    else {
                        unreachable!()
                    };
                    if i + 1 == file.pieces.len() {
                        state_ref.split.remove(canonical);
                    }
                    state_ref.done_bytes -= piece.bytes;
                    self.changed.notify_all();
                    return piece;
                }
                Piece::Queued => {
                    if let Some(at) = state_ref
                        .pieces
                        .iter()
                        .position(|(p, j)| *j == i && p == canonical)
                    {
                        state_ref.pieces.remove(at);
                    }
                    let (chunked, range) = start_piece(state_ref, canonical, i);
                    drop(state);
                    let piece =
                        prepare_piece(&chunked, range, MAX_ALIAS_NODES, self.options, self.form);
                    let mut state = self.lock();
                    if let Some(file) = state.split.get_mut(canonical) {
                        file.pieces[i] = Piece::Taken;
                        if i + 1 == file.pieces.len() {
                            state.split.remove(canonical);
                        }
                    }
                    return piece;
                }
                Piece::Running => {
                    state = match self.prepare_next(state) {
                        Ok(state) => state,
                        Err(state) => self.wait(state),
                    };
                }
                Piece::Taken => panic!("piece {i} of {} taken twice", canonical.display()),
            }
        }
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

/// Mark piece `i` of `path` running; its text and chunk range.
fn start_piece(state: &mut PrefetchState, path: &Path, i: usize) -> (Arc<Chunked>, Range<usize>) {
    let file = state
        .split
        .get_mut(path)
        .expect("a queued piece belongs to a split file");
    file.pieces[i] = Piece::Running;
    (Arc::clone(&file.chunked), file.ranges[i].clone())
}
