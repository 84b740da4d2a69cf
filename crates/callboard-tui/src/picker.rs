//! The catalog list: fuzzy matching with nucleo's pattern and scoring over
//! every record, on a worker thread.
//!
//! Each record's haystack (its name and title, see [`haystack_into`]) is
//! built once, into one contiguous arena, in display order, together with
//! what [`callboard_core::search::fuzzy`] needs to score it fast (lower-cased text, bonuses,
//! the set of characters it holds). A keystroke only re-parses the
//! pattern; when the new text extends the old one the worker re-scores
//! only the previous matches (append-optimised). A change of the *filters*
//! (`kind:api owner:team-a`, same syntax as `callboard search`) recomputes
//! which records pass them (decided once per distinct field value) and
//! matches those. Results are ranked like nucleo's own picker: score, then
//! shorter haystack, then display order.
//!
//! Why not `nucleo::Nucleo` itself: at 100k records its worker re-sorts
//! every item, matched or not, with a tie-break that chases a pointer per
//! comparison, and does not use the second core for one short pattern; a
//! keystroke took 20–35 ms there. Scoring is what is left: fuzzy atoms
//! over ASCII haystacks go through [`callboard_core::search::fuzzy`] (nucleo's scores,
//! computed from prepared haystacks, about twice as fast), the rest
//! through nucleo's `Atom::score`; two threads share the work in blocks.
//! A superseded query is cancelled mid-way, so fast typing never queues
//! work; the UI keeps showing the previous results until the new ones are
//! complete, and never waits for the worker beyond a frame's tick.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use nucleo::pattern::{Atom, AtomKind, CaseMatching, Normalization, Pattern};
use nucleo::{Config, Matcher, Utf32Str};

use callboard_core::search::{parse_query, CompiledFilters, Corpus, Filter, RecordView};

/// One visible row: the record and which characters of its name and title
/// the query matched (char indices, sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub index: u32,
    pub name_hits: Vec<usize>,
    pub title_hits: Vec<usize>,
}

/// How far the matcher is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub matched: u32,
    /// Records that pass the filters.
    pub total: u32,
    /// The list does not reflect the query yet.
    pub running: bool,
}

/// What the worker is asked to match.
#[derive(Clone)]
struct Job {
    generation: u64,
    text: String,
    filters: Vec<Filter>,
}

/// A complete answer to one [`Job`]: positions in display order.
struct Answer {
    generation: u64,
    text: String,
    matched: Arc<Vec<u32>>,
    total: u32,
}

/// State shared by the picker (UI thread) and its worker.
struct Shared {
    job: Mutex<Option<Job>>,
    job_ready: Condvar,
    answer: Mutex<Option<Answer>>,
    answered: Condvar,
    /// The newest generation asked for: the worker abandons older work.
    wanted: AtomicU64,
    stop: AtomicBool,
    /// The haystacks are built: a text query needs no more preparation.
    indexed: AtomicBool,
}

pub struct Picker {
    corpus: Arc<Corpus>,
    order: Arc<Vec<u32>>,
    shared: Arc<Shared>,
    filters: Vec<Filter>,
    text: String,
    generation: u64,
    /// What the list shows.
    shown: Answer,
    pattern: Option<Pattern>,
    matcher: Matcher,
    indices: Vec<u32>,
    haystack: String,
    threads: Option<usize>,
}

impl Picker {
    /// `notify` is called (from the worker) when there is something new to
    /// draw; it should only wake the event loop.
    pub fn new(
        corpus: Arc<Corpus>,
        order: Arc<Vec<u32>>,
        notify: Arc<dyn Fn() + Send + Sync>,
    ) -> Picker {
        Picker::with_threads(corpus, order, notify, None)
    }

    /// `threads`: how many threads score one query (None: one per core).
    pub fn with_threads(
        corpus: Arc<Corpus>,
        order: Arc<Vec<u32>>,
        notify: Arc<dyn Fn() + Send + Sync>,
        threads: Option<usize>,
    ) -> Picker {
        // The empty query is queued before the worker starts, so it is
        // answered before the haystacks are built (the first frame).
        let shared = Arc::new(Shared {
            job: Mutex::new(Some(Job {
                generation: 1,
                text: String::new(),
                filters: Vec::new(),
            })),
            job_ready: Condvar::new(),
            answer: Mutex::new(None),
            answered: Condvar::new(),
            wanted: AtomicU64::new(1),
            stop: AtomicBool::new(false),
            indexed: AtomicBool::new(false),
        });
        let scorers = threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let worker = Worker {
            corpus: corpus.clone(),
            order: order.clone(),
            shared: shared.clone(),
            notify,
            scorers,
            haystacks: None,
            passing: None,
            last: None,
            matchers: Vec::new(),
        };
        std::thread::Builder::new()
            .name("callboard-match".into())
            .spawn(move || worker.run())
            .expect("spawn the matcher thread");
        Picker {
            corpus,
            order,
            shared,
            filters: Vec::new(),
            text: String::new(),
            generation: 1,
            shown: Answer {
                generation: 0,
                text: String::new(),
                matched: Arc::new(Vec::new()),
                total: 0,
            },
            pattern: None,
            matcher: Matcher::new(Config::DEFAULT),
            indices: Vec::new(),
            haystack: String::new(),
            threads,
        }
    }

    pub fn corpus(&self) -> &Arc<Corpus> {
        &self.corpus
    }

    /// The filters in force (for the chips).
    pub fn filters(&self) -> &[Filter] {
        &self.filters
    }

    /// Set the whole query line: filters and free text.
    pub fn set_query(&mut self, query: &str) {
        let parsed = parse_query(query);
        if parsed.filters != self.filters || parsed.text != self.text {
            self.filters = parsed.filters;
            self.text = parsed.text;
            self.submit();
        }
    }

    fn submit(&mut self) {
        self.generation += 1;
        self.shared.wanted.store(self.generation, Ordering::SeqCst);
        let job = Job {
            generation: self.generation,
            text: self.text.clone(),
            filters: self.filters.clone(),
        };
        *self.shared.job.lock().unwrap() = Some(job);
        self.shared.job_ready.notify_one();
    }

    /// Take the newest complete answer, waiting up to `timeout_ms` for the
    /// one to the current query; true when the list changed.
    pub fn tick(&mut self, timeout_ms: u64) -> bool {
        if self.shown.generation == self.generation {
            // The list already answers the query (a key that moved the
            // cursor, a space that changed no atom): nothing to wait for.
            return false;
        }
        let deadline = Instant::now() + Duration::from_millis(timeout_ms);
        let mut answer = self.shared.answer.lock().unwrap();
        loop {
            let current = answer
                .as_ref()
                .is_some_and(|a| a.generation == self.generation);
            let now = Instant::now();
            if current || now >= deadline {
                break;
            }
            answer = self
                .shared
                .answered
                .wait_timeout(answer, deadline - now)
                .unwrap()
                .0;
        }
        let Some(new) = answer.take() else {
            return false;
        };
        drop(answer);
        if new.text != self.shown.text || self.pattern.is_none() {
            self.pattern = (!new.text.is_empty())
                .then(|| Pattern::parse(&new.text, CaseMatching::Smart, Normalization::Smart));
        }
        self.shown = new;
        true
    }

    pub fn progress(&self) -> Progress {
        Progress {
            matched: self.shown.matched.len() as u32,
            total: self.shown.total,
            running: self.shown.generation != self.generation,
        }
    }

    /// Block until the list answers the current query and the haystacks
    /// are built (tests, benchmarks).
    pub fn settle(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while (self.progress().running || !self.indexed()) && Instant::now() < deadline {
            if !self.progress().running {
                std::thread::sleep(Duration::from_millis(1));
            }
            self.tick(5);
        }
    }

    /// True once every record's haystack is built (which happens in the
    /// background right after the first answer).
    pub fn indexed(&self) -> bool {
        self.shared.indexed.load(Ordering::SeqCst)
    }

    /// The corpus index of the n-th match.
    pub fn matched_index(&self, n: u32) -> Option<u32> {
        let position = *self.shown.matched.get(n as usize)?;
        self.order.get(position as usize).copied()
    }

    /// The rows `start..start + count` of the matches, with highlights.
    pub fn rows(&mut self, start: u32, count: u32) -> Vec<Row> {
        let matched = self.shown.matched.clone();
        let start = (start as usize).min(matched.len());
        let end = start.saturating_add(count as usize).min(matched.len());
        let mut rows = Vec::with_capacity(end - start);
        for &position in &matched[start..end] {
            let index = self.order[position as usize];
            let mut name_hits = Vec::new();
            let mut title_hits = Vec::new();
            if let (Some(pattern), Some(view)) = (&self.pattern, self.corpus.get(index as usize)) {
                haystack_into(&view, &mut self.haystack);
                let mut chars = Vec::new();
                let haystack = Utf32Str::new(&self.haystack, &mut chars);
                self.indices.clear();
                let _ = pattern.indices(haystack, &mut self.matcher, &mut self.indices);
                self.indices.sort_unstable();
                self.indices.dedup();
                let name_len = view.name().chars().count();
                let title_len = view.title().chars().count();
                let title_start = name_len + 1;
                for &i in &self.indices {
                    let i = i as usize;
                    if i < name_len {
                        name_hits.push(i);
                    } else if title_len > 0 && i >= title_start && i < title_start + title_len {
                        title_hits.push(i - title_start);
                    }
                }
            }
            rows.push(Row {
                index,
                name_hits,
                title_hits,
            });
        }
        rows
    }

    /// How many threads score a query (None: one per core).
    pub fn threads(&self) -> Option<usize> {
        self.threads
    }
}

impl Drop for Picker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.wanted.fetch_add(1, Ordering::SeqCst);
        let _guard = self.shared.job.lock().unwrap();
        self.shared.job_ready.notify_all();
    }
}

/// Every record's haystack, in display order, in two arenas (most catalog
/// names are ASCII: one byte per char, no allocation per record). ASCII
/// haystacks are also kept [`callboard_core::search::fuzzy::prepare`]d (lower-cased, with
/// their per-position bonuses) at twice their `ascii` offset.
struct Haystacks {
    ascii: Vec<u8>,
    prepared: Vec<u8>,
    /// Per position: [`callboard_core::search::fuzzy::char_set`] (all ones when not ASCII).
    char_sets: Vec<u64>,
    unicode: Vec<char>,
    /// Per position: start in its arena, length in chars, and which arena.
    spans: Vec<(u32, u32, bool)>,
}

impl Haystacks {
    fn build(corpus: &Corpus, order: &[u32]) -> Haystacks {
        let mut haystacks = Haystacks {
            ascii: Vec::new(),
            prepared: Vec::new(),
            char_sets: Vec::with_capacity(order.len()),
            unicode: Vec::new(),
            spans: Vec::with_capacity(order.len()),
        };
        let mut text = String::new();
        for &index in order {
            text.clear();
            if let Some(view) = corpus.get(index as usize) {
                haystack_into(&view, &mut text);
            }
            if text.is_ascii() {
                haystacks
                    .spans
                    .push((haystacks.ascii.len() as u32, text.len() as u32, true));
                haystacks.ascii.extend_from_slice(text.as_bytes());
                callboard_core::search::fuzzy::prepare(text.as_bytes(), &mut haystacks.prepared);
                haystacks
                    .char_sets
                    .push(callboard_core::search::fuzzy::char_set(text.as_bytes()));
            } else {
                let start = haystacks.unicode.len() as u32;
                haystacks.unicode.extend(text.chars());
                let len = haystacks.unicode.len() as u32 - start;
                haystacks.spans.push((start, len, false));
                haystacks.char_sets.push(u64::MAX);
            }
        }
        haystacks
    }

    fn get(&self, position: u32) -> Utf32Str<'_> {
        let (start, len, ascii) = self.spans[position as usize];
        let range = start as usize..(start + len) as usize;
        if ascii {
            Utf32Str::Ascii(&self.ascii[range])
        } else {
            Utf32Str::Unicode(&self.unicode[range])
        }
    }

    fn len_of(&self, position: u32) -> u32 {
        self.spans[position as usize].1
    }

    /// nucleo's `Pattern::score` of this haystack: fuzzy atoms over ASCII
    /// haystacks by [`callboard_core::search::fuzzy`] (the same numbers), the rest by nucleo.
    fn score(
        &self,
        position: u32,
        atoms: &[PlannedAtom<'_>],
        matcher: &mut Matcher,
        scratch: &mut callboard_core::search::fuzzy::Scratch,
    ) -> Option<u32> {
        let (start, len, ascii) = self.spans[position as usize];
        let chars = self.char_sets[position as usize];
        let prepared = 2 * start as usize..2 * (start + len) as usize;
        let mut total = 0u32;
        for &(atom, fast) in atoms {
            let fast_score = match fast {
                Some((needle, needs)) if ascii => {
                    if chars & needs != needs {
                        return None;
                    }
                    callboard_core::search::fuzzy::score(
                        scratch,
                        &self.prepared[prepared.clone()],
                        needle,
                    )
                }
                _ => callboard_core::search::fuzzy::Fast::Delegate,
            };
            let score = match fast_score {
                callboard_core::search::fuzzy::Fast::Score(score) => score?,
                callboard_core::search::fuzzy::Fast::Delegate => {
                    atom.score(self.get(position), matcher)?
                }
            };
            total += score as u32;
        }
        Some(total)
    }
}

/// An atom, and when [`callboard_core::search::fuzzy`] can score it, its needle and the
/// characters a haystack must contain to match.
type PlannedAtom<'p> = (&'p Atom, Option<(&'p [u8], u64)>);

/// Which atoms of a pattern [`callboard_core::search::fuzzy`] can score: positive fuzzy
/// atoms with an ASCII, lower-case needle.
fn plan(pattern: &Pattern) -> Vec<PlannedAtom<'_>> {
    pattern
        .atoms
        .iter()
        .map(|atom| {
            let fast = match atom.needle_text() {
                Utf32Str::Ascii(needle)
                    if atom.kind == AtomKind::Fuzzy
                        && !atom.negative
                        && callboard_core::search::fuzzy::fast_needle(needle) =>
                {
                    Some((needle, callboard_core::search::fuzzy::char_set(needle)))
                }
                _ => None,
            };
            (atom, fast)
        })
        .collect()
}

/// The previous answer, for narrowing when the text grows.
struct Last {
    text: String,
    filters: Vec<Filter>,
    matched: Arc<Vec<u32>>,
}

struct Worker {
    corpus: Arc<Corpus>,
    order: Arc<Vec<u32>>,
    shared: Arc<Shared>,
    notify: Arc<dyn Fn() + Send + Sync>,
    scorers: usize,
    haystacks: Option<Haystacks>,
    /// The positions passing the last filters.
    passing: Option<(Vec<Filter>, Arc<Vec<u32>>)>,
    last: Option<Last>,
    matchers: Vec<Matcher>,
}

/// Positions beyond this do not fit the packed sort key with the length
/// tie-break; larger catalogs rank ties by display order only.
const PACKED_POSITIONS: usize = 1 << 20;

impl Worker {
    fn run(mut self) {
        loop {
            let job = {
                let mut slot = self.shared.job.lock().unwrap();
                loop {
                    if self.shared.stop.load(Ordering::SeqCst) {
                        return;
                    }
                    if let Some(job) = slot.take() {
                        break Some(job);
                    }
                    // Idle: build the haystacks before the first keystroke
                    // needs them (the empty query does not).
                    if self.haystacks.is_none() {
                        break None;
                    }
                    slot = self.shared.job_ready.wait(slot).unwrap();
                }
            };
            match job {
                Some(job) => self.answer(job),
                None => self.build_haystacks(),
            }
        }
    }

    fn build_haystacks(&mut self) {
        self.haystacks = Some(Haystacks::build(&self.corpus, &self.order));
        self.shared.indexed.store(true, Ordering::SeqCst);
    }

    fn cancelled(&self, generation: u64) -> bool {
        self.shared.wanted.load(Ordering::Relaxed) != generation
    }

    fn answer(&mut self, job: Job) {
        let passing = self.passing(&job.filters);
        let total = passing.len() as u32;
        let pattern = Pattern::parse(&job.text, CaseMatching::Smart, Normalization::Smart);
        let matched = if pattern.atoms.is_empty() {
            passing
        } else {
            let narrowing = self.last.as_ref().filter(|last| {
                last.filters == job.filters
                    && !last.text.is_empty()
                    && job.text.starts_with(&last.text)
                    && !last.text.ends_with(['\\', '$'])
                    && pattern.atoms.iter().all(|a| !a.negative)
            });
            // The previous matches, in position order rather than rank:
            // the haystacks are then read front to back.
            let base = narrowing.map_or(passing, |last| {
                Arc::new(in_position_order(&last.matched, self.order.len()))
            });
            if self.haystacks.is_none() {
                self.build_haystacks();
            }
            match self.score(&pattern, &base, job.generation) {
                Some(matched) => Arc::new(matched),
                None => return,
            }
        };
        self.last = Some(Last {
            text: job.text.clone(),
            filters: job.filters.clone(),
            matched: matched.clone(),
        });
        *self.shared.answer.lock().unwrap() = Some(Answer {
            generation: job.generation,
            text: job.text,
            matched,
            total,
        });
        self.shared.answered.notify_all();
        (self.notify)();
    }

    /// The positions whose records pass every filter.
    fn passing(&mut self, filters: &[Filter]) -> Arc<Vec<u32>> {
        if let Some((cached, positions)) = &self.passing {
            if cached == filters {
                return positions.clone();
            }
        }
        let compiled = CompiledFilters::new(&self.corpus, filters);
        let positions: Vec<u32> = (0..self.order.len() as u32)
            .filter(|&position| {
                compiled.passes(&self.corpus, self.order[position as usize] as usize)
            })
            .collect();
        let positions = Arc::new(positions);
        self.passing = Some((filters.to_vec(), positions.clone()));
        positions
    }

    /// Score `base` on the scorer threads; None when cancelled.
    ///
    /// The threads take blocks of positions from a shared counter rather
    /// than one half each: records are in display order (grouped by
    /// kind), and the cost of a haystack varies by kind, so fixed halves
    /// left one core idle for most of a keystroke.
    fn score(&mut self, pattern: &Pattern, base: &[u32], generation: u64) -> Option<Vec<u32>> {
        const BLOCK: usize = 2048;
        let haystacks = self.haystacks.as_ref().expect("built before scoring");
        let packed = self.order.len() <= PACKED_POSITIONS;
        // Small inputs are not worth a thread.
        let threads = if base.len() < 2 * BLOCK {
            1
        } else {
            self.scorers.min(base.len().div_ceil(BLOCK))
        };
        while self.matchers.len() < threads {
            self.matchers.push(Matcher::new(Config::DEFAULT));
        }
        let wanted = &self.shared.wanted;
        let atoms = plan(pattern);
        let atoms = &atoms[..];
        let next_block = std::sync::atomic::AtomicUsize::new(0);
        let score_blocks = |matcher: &mut Matcher| -> Option<Vec<u64>> {
            let mut keys = Vec::new();
            let mut scratch = callboard_core::search::fuzzy::Scratch::default();
            loop {
                let start = next_block.fetch_add(1, Ordering::Relaxed) * BLOCK;
                if start >= base.len() {
                    break;
                }
                if wanted.load(Ordering::Relaxed) != generation {
                    return None;
                }
                for &position in &base[start..(start + BLOCK).min(base.len())] {
                    if let Some(score) = haystacks.score(position, atoms, matcher, &mut scratch) {
                        let rank = (u32::MAX - score) as u64;
                        keys.push(if packed {
                            (rank << 32)
                                | ((haystacks.len_of(position).min(0xFFF) as u64) << 20)
                                | position as u64
                        } else {
                            (rank << 32) | position as u64
                        });
                    }
                }
            }
            keys.sort_unstable();
            Some(keys)
        };
        let (own, helpers) = self.matchers[..threads]
            .split_first_mut()
            .expect("one matcher at least");
        let mut parts: Vec<Option<Vec<u64>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = helpers
                .iter_mut()
                .map(|matcher| scope.spawn(|| score_blocks(matcher)))
                .collect();
            // This thread scores too.
            let mut parts = vec![score_blocks(own)];
            parts.extend(
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a scorer thread panicked")),
            );
            parts
        });
        if self.cancelled(generation) || parts.iter().any(Option::is_none) {
            return None;
        }
        let mut merged: Vec<u64> = parts.pop().flatten().unwrap_or_default();
        for part in parts.into_iter().flatten() {
            merged = merge_sorted(&part, &merged);
        }
        let mask = if packed { 0xF_FFFF } else { 0xFFFF_FFFF };
        Some(merged.into_iter().map(|key| (key & mask) as u32).collect())
    }
}

/// `positions` (distinct, below `len`) sorted, through a bitmap.
fn in_position_order(positions: &[u32], len: usize) -> Vec<u32> {
    let mut bits = vec![0u64; len.div_ceil(64)];
    for &p in positions {
        bits[p as usize / 64] |= 1 << (p % 64);
    }
    let mut out = Vec::with_capacity(positions.len());
    for (word_index, &word) in bits.iter().enumerate() {
        let mut word = word;
        while word != 0 {
            out.push((word_index * 64) as u32 + word.trailing_zeros());
            word &= word - 1;
        }
    }
    out
}

fn merge_sorted(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// The text the list matches: the name, then the title unless it only
/// repeats the name (`Payments Api` for `payments-api`). Only what the list
/// shows is matched, so every hit can be highlighted; kind, type, owner,
/// tags and the rest are the filters' job (`kind:api owner:team-a pay`).
/// Short haystacks are also what keeps a keystroke within a frame at 100k
/// entities: fuzzy matching costs per character, and over long
/// concatenations one or two typed characters match nearly everything.
pub fn haystack_into(view: &RecordView<'_>, out: &mut String) {
    out.clear();
    out.push_str(view.name());
    let title = view.title();
    if !title.is_empty() && !same_words(title, view.name()) {
        out.push(' ');
        out.push_str(title);
    }
}

/// Equal once case and separators are ignored.
fn same_words(a: &str, b: &str) -> bool {
    let letters = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<Vec<char>>()
    };
    letters(a) == letters(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use callboard_core::search::SearchRecord;

    fn rec(kind: &str, name: &str, title: &str, owner: &str, tags: &[&str]) -> SearchRecord {
        SearchRecord {
            entity_ref: format!("{}:default/{}", kind.to_lowercase(), name.to_lowercase()),
            kind: kind.into(),
            namespace: "default".into(),
            name: name.into(),
            title: title.into(),
            spec_type: "service".into(),
            owner: owner.into(),
            lifecycle: "production".into(),
            system: String::new(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            description: String::new(),
        }
    }

    fn picker(records: &[SearchRecord]) -> Picker {
        let corpus = Arc::new(Corpus::new(records));
        let order = Arc::new(crate::worker::display_order(&corpus));
        let mut p = Picker::with_threads(corpus, order, Arc::new(|| {}), Some(1));
        p.settle();
        p
    }

    fn names(p: &mut Picker) -> Vec<String> {
        let n = p.progress().matched;
        p.rows(0, n)
            .iter()
            .map(|r| p.corpus().get(r.index as usize).unwrap().name().to_string())
            .collect()
    }

    #[test]
    fn haystack_is_the_name_and_a_title_that_adds_something() {
        let haystack = |name: &str, title: &str| {
            let r = rec("Component", name, title, "group:default/team-a", &["java"]);
            let corpus = Corpus::new(std::slice::from_ref(&r));
            let mut out = String::new();
            haystack_into(&corpus.get(0).unwrap(), &mut out);
            out
        };
        assert_eq!(haystack("pay", "Payments"), "pay Payments");
        assert_eq!(haystack("payments-api", "Payments API"), "payments-api");
        assert_eq!(haystack("payments-api", ""), "payments-api");
    }

    #[test]
    fn empty_query_lists_everything_in_display_order() {
        let mut p = picker(&[
            rec("Group", "team-a", "", "", &[]),
            rec("Component", "zeta", "", "group:default/team-a", &[]),
            rec("API", "alpha-api", "", "group:default/team-a", &[]),
            rec("Component", "Beta", "", "group:default/team-a", &[]),
        ]);
        assert_eq!(names(&mut p), vec!["Beta", "zeta", "alpha-api", "team-a"]);
        assert_eq!(
            p.progress(),
            Progress {
                matched: 4,
                total: 4,
                running: false
            }
        );
    }

    #[test]
    fn typing_narrows_and_highlights_name_and_title() {
        let mut p = picker(&[
            rec(
                "Component",
                "payments-service",
                "Payments service",
                "group:default/team-pay",
                &[],
            ),
            rec(
                "Component",
                "booking-api",
                "Booking API",
                "group:default/team-book",
                &[],
            ),
            rec(
                "Component",
                "fraud-check",
                "Fraud check",
                "group:default/team-pay",
                &[],
            ),
        ]);
        for q in ["p", "pa", "pay"] {
            p.set_query(q);
            p.settle();
        }
        let n = names(&mut p);
        assert_eq!(n[0], "payments-service");
        let rows = p.rows(0, 1);
        // nucleo picks the best-scoring place: the name or the title.
        assert!(
            rows[0].name_hits == [0, 1, 2] || rows[0].title_hits == [0, 1, 2],
            "{rows:?}"
        );
        p.set_query("^fraud");
        p.settle();
        assert_eq!(names(&mut p), vec!["fraud-check"]);
        p.set_query("Booking$");
        p.settle();
        assert_eq!(
            p.progress().matched,
            0,
            "Smart case: upper-case means exact case"
        );
        p.set_query("zzzz");
        p.settle();
        assert_eq!(p.progress().matched, 0);
        p.set_query("");
        p.settle();
        assert_eq!(p.progress().matched, 3);
    }

    /// The list's order is nucleo's: `Pattern::score` over each haystack,
    /// then the shorter haystack, then display order, whichever path
    /// (fast ASCII scoring, nucleo for the rest) scored a record.
    #[test]
    fn ranking_equals_nucleo_pattern_scores() {
        let words = [
            "team", "payments", "api", "svc", "auth", "te", "order", "Ticket", "Édition",
            "gateway", "pay", "Tea", "platform", "x1", "a",
        ];
        let mut records = Vec::new();
        for (i, a) in words.iter().enumerate() {
            for (j, b) in words.iter().enumerate() {
                let name = format!("{}-{}-{}", a.to_lowercase(), b, i * 31 + j);
                let title = if (i + j) % 3 == 0 {
                    format!("{a} {b} Service")
                } else {
                    String::new()
                };
                records.push(rec("Component", &name, &title, "group:default/t", &[]));
            }
        }
        let corpus = Arc::new(Corpus::new(&records));
        let order = Arc::new(crate::worker::display_order(&corpus));
        let mut p = Picker::with_threads(corpus.clone(), order.clone(), Arc::new(|| {}), Some(2));
        p.settle();
        let mut matcher = Matcher::new(Config::DEFAULT);
        for query in [
            "t", "te", "tea", "pay", "api", "svc-a", "^pay", "ce$", "!x te", "Te", "'order", "éd",
            "te pay", "1", "-",
        ] {
            p.set_query(query);
            p.settle();
            let got: Vec<u32> = (0..p.progress().matched)
                .map(|n| p.matched_index(n).unwrap())
                .collect();
            let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
            let mut expected: Vec<(std::cmp::Reverse<u32>, usize, usize, u32)> = order
                .iter()
                .enumerate()
                .filter_map(|(position, &index)| {
                    let mut text = String::new();
                    haystack_into(&corpus.get(index as usize).unwrap(), &mut text);
                    let mut chars = Vec::new();
                    let score = pattern.score(Utf32Str::new(&text, &mut chars), &mut matcher)?;
                    let len = text.chars().count();
                    Some((std::cmp::Reverse(score), len, position, index))
                })
                .collect();
            expected.sort();
            let expected: Vec<u32> = expected.into_iter().map(|e| e.3).collect();
            assert!(
                !expected.is_empty(),
                "{query}: the test should match something"
            );
            assert_eq!(got, expected, "{query}");
        }
    }

    #[test]
    fn filters_restart_and_inject_only_passing_records() {
        let mut p = picker(&[
            rec(
                "Component",
                "payments-service",
                "",
                "group:default/team-pay",
                &["java"],
            ),
            rec("API", "payments-api", "", "group:default/team-pay", &[]),
            rec(
                "Component",
                "booking",
                "",
                "group:default/team-book",
                &["java"],
            ),
        ]);
        p.set_query("kind:component");
        p.settle();
        assert_eq!(p.progress().total, 2);
        p.set_query("kind:component owner:team-pay");
        p.settle();
        assert_eq!(names(&mut p), vec!["payments-service"]);
        p.set_query("tag:JAVA book");
        p.settle();
        assert_eq!(names(&mut p), vec!["booking"]);
        assert_eq!(p.filters().len(), 1);
        p.set_query("kind:api,component pay");
        p.settle();
        assert_eq!(p.progress().total, 3);
        assert_eq!(p.progress().matched, 2);
    }
}
