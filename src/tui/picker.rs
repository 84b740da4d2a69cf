//! The catalog list: an incremental `nucleo::Nucleo` over the search corpus.
//!
//! Each record is injected once, as one haystack column (name, title, kind,
//! type, owner, tags — the short fields people type), holding only its index
//! into the corpus. A keystroke that changes the free text only re-parses
//! the pattern (append-optimised when the new text extends the old); a
//! change of the *filters* (`kind:api owner:team-a`, same syntax as
//! `callboard search`) restarts the matcher and injects only the records
//! that pass them. Each frame ticks the matcher and reads the visible rows.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use nucleo::pattern::{CaseMatching, Normalization};
use nucleo::{Config, Matcher, Nucleo, Utf32String};

use crate::search::{parse_query, Corpus, Filter, FilterKey, RecordView};

/// Corpora up to this size are injected on the calling thread (a few
/// milliseconds); larger ones on a background thread, so the first frame
/// does not wait for them.
pub const SYNC_INJECT_LIMIT: usize = 20_000;

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
    /// Records that pass the filters (injected so far).
    pub total: u32,
    /// Still matching or injecting.
    pub running: bool,
}

struct Injection {
    /// Bumped on every restart; an injector thread stops when it changes.
    generation: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    passed: Arc<AtomicUsize>,
}

pub struct Picker {
    nucleo: Nucleo<u32>,
    corpus: Arc<Corpus>,
    order: Arc<Vec<u32>>,
    filters: Vec<Filter>,
    text: String,
    injection: Injection,
    matcher: Matcher,
    indices: Vec<u32>,
    notify: Arc<dyn Fn() + Send + Sync>,
    threads: Option<usize>,
    /// The matcher was still running at the last tick.
    running: bool,
}

impl Picker {
    /// `notify` is called (from nucleo's threads) when there is something
    /// new to draw; it should only wake the event loop.
    pub fn new(
        corpus: Arc<Corpus>,
        order: Arc<Vec<u32>>,
        notify: Arc<dyn Fn() + Send + Sync>,
    ) -> Picker {
        Picker::with_threads(corpus, order, notify, None)
    }

    pub fn with_threads(
        corpus: Arc<Corpus>,
        order: Arc<Vec<u32>>,
        notify: Arc<dyn Fn() + Send + Sync>,
        threads: Option<usize>,
    ) -> Picker {
        let nucleo = Nucleo::new(Config::DEFAULT, notify.clone(), threads, 1);
        let mut picker = Picker {
            nucleo,
            corpus,
            order,
            filters: Vec::new(),
            text: String::new(),
            injection: Injection {
                generation: Arc::new(AtomicU64::new(0)),
                done: Arc::new(AtomicBool::new(false)),
                passed: Arc::new(AtomicUsize::new(0)),
            },
            matcher: Matcher::new(Config::DEFAULT),
            indices: Vec::new(),
            notify,
            threads,
            running: false,
        };
        picker.inject();
        picker
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
        if parsed.filters != self.filters {
            self.filters = parsed.filters;
            self.nucleo.restart(true);
            self.inject();
        }
        if parsed.text != self.text {
            // nucleo may only narrow the previous matches when the old text
            // is a prefix of the new one (and did not end in an escape).
            let append = parsed.text.starts_with(&self.text) && !self.text.ends_with('\\');
            self.nucleo.pattern.reparse(
                0,
                &parsed.text,
                CaseMatching::Smart,
                Normalization::Smart,
                append,
            );
            self.text = parsed.text;
        }
    }

    /// Push the records that pass the filters: inline for small corpora,
    /// else on a thread that stops when the picker restarts again.
    fn inject(&mut self) {
        let generation = self.injection.generation.fetch_add(1, Ordering::SeqCst) + 1;
        self.injection.done = Arc::new(AtomicBool::new(false));
        self.injection.passed = Arc::new(AtomicUsize::new(0));
        let injector = self.nucleo.injector();
        let corpus = self.corpus.clone();
        let order = self.order.clone();
        let filters = self.filters.clone();
        let current = self.injection.generation.clone();
        let done = self.injection.done.clone();
        let passed = self.injection.passed.clone();
        let notify = self.notify.clone();
        let work = move || {
            let mut haystack = String::new();
            let mut count = 0;
            let mut memo: Vec<Memo> = filters.iter().map(|_| Memo::default()).collect();
            for (n, &i) in order.iter().enumerate() {
                if n % 4096 == 0 && current.load(Ordering::Relaxed) != generation {
                    return;
                }
                let Some(view) = corpus.get(i as usize) else {
                    continue;
                };
                if !filters
                    .iter()
                    .zip(memo.iter_mut())
                    .all(|(f, m)| passes_memo(f, &view, m))
                {
                    continue;
                }
                haystack_into(&view, &mut haystack);
                let column = Utf32String::from(haystack.as_str());
                injector.push(i, move |_, cols| cols[0] = column);
                count += 1;
                if count % 4096 == 0 {
                    passed.store(count, Ordering::Relaxed);
                }
            }
            passed.store(count, Ordering::Relaxed);
            done.store(true, Ordering::SeqCst);
            notify();
        };
        if self.corpus.len() <= SYNC_INJECT_LIMIT {
            work();
        } else {
            std::thread::Builder::new()
                .name("callboard-inject".into())
                .spawn(work)
                .expect("spawn the injector thread");
        }
    }

    /// Let the matcher run for up to `timeout_ms`; true when the snapshot
    /// changed.
    pub fn tick(&mut self, timeout_ms: u64) -> bool {
        let status = self.nucleo.tick(timeout_ms);
        self.running = status.running;
        status.changed
    }

    pub fn progress(&self) -> Progress {
        let snapshot = self.nucleo.snapshot();
        let injecting = !self.injection.done.load(Ordering::SeqCst);
        let total = snapshot.item_count();
        Progress {
            matched: snapshot.matched_item_count(),
            total,
            running: injecting || self.running || total < self.injected(),
        }
    }

    fn injected(&self) -> u32 {
        self.nucleo.injector().injected_items()
    }

    /// Block until injection and matching are complete (tests, benchmarks).
    pub fn settle(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            let status = self.nucleo.tick(50);
            self.running = status.running;
            if !status.running
                && self.injection.done.load(Ordering::SeqCst)
                && self.nucleo.snapshot().item_count() == self.injected()
            {
                return;
            }
        }
    }

    /// The corpus index of the n-th match.
    pub fn matched_index(&self, n: u32) -> Option<u32> {
        self.nucleo
            .snapshot()
            .get_matched_item(n)
            .map(|item| *item.data)
    }

    /// The rows `start..start + count` of the matches, with highlights.
    pub fn rows(&mut self, start: u32, count: u32) -> Vec<Row> {
        let snapshot = self.nucleo.snapshot();
        let matched = snapshot.matched_item_count();
        let start = start.min(matched);
        let end = start.saturating_add(count).min(matched);
        let pattern = snapshot.pattern().column_pattern(0);
        let highlight = !pattern.atoms.is_empty();
        let mut rows = Vec::with_capacity((end - start) as usize);
        for item in snapshot.matched_items(start..end) {
            let index = *item.data;
            let mut name_hits = Vec::new();
            let mut title_hits = Vec::new();
            if highlight {
                self.indices.clear();
                let _ = pattern.indices(
                    item.matcher_columns[0].slice(..),
                    &mut self.matcher,
                    &mut self.indices,
                );
                self.indices.sort_unstable();
                self.indices.dedup();
                if let Some(view) = self.corpus.get(index as usize) {
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
            }
            rows.push(Row {
                index,
                name_hits,
                title_hits,
            });
        }
        rows
    }

    /// How many worker threads nucleo was asked for (None: one per core).
    pub fn threads(&self) -> Option<usize> {
        self.threads
    }
}

/// Does a record pass one filter? The same rules as the headless search
/// ([`Filter::matches_value`]), read from the corpus without copying.
pub fn passes(filter: &Filter, view: &RecordView<'_>) -> bool {
    match filter.key {
        FilterKey::Kind => filter.matches_value(view.kind()),
        FilterKey::Type => filter.matches_value(view.spec_type()),
        FilterKey::Owner => filter.matches_value(view.owner()),
        FilterKey::Lifecycle => filter.matches_value(view.lifecycle()),
        FilterKey::System => filter.matches_value(view.system()),
        FilterKey::Namespace => filter.matches_value(view.namespace()),
        FilterKey::Tag => view.tags().any(|t| filter.matches_value(t)),
    }
}

/// Filter results per distinct field value. The corpus interns the
/// repeated fields (kind, owner, tags…), so equal values are one string
/// at one address: each is checked once, then looked up (an `owner:`
/// filter parses a ref per check; 100k checks cost tens of ms).
type Memo =
    std::collections::HashMap<(usize, usize), bool, std::hash::BuildHasherDefault<AddressHasher>>;

/// Keys are string addresses and lengths: a multiply mixes them well
/// enough, much faster than SipHash.
#[derive(Default)]
struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

fn passes_memo(filter: &Filter, view: &RecordView<'_>, memo: &mut Memo) -> bool {
    let mut check = |value: &str| {
        *memo
            .entry((value.as_ptr() as usize, value.len()))
            .or_insert_with(|| filter.matches_value(value))
    };
    match filter.key {
        FilterKey::Kind => check(view.kind()),
        FilterKey::Type => check(view.spec_type()),
        FilterKey::Owner => check(view.owner()),
        FilterKey::Lifecycle => check(view.lifecycle()),
        FilterKey::System => check(view.system()),
        FilterKey::Namespace => check(view.namespace()),
        FilterKey::Tag => view.tags().any(check),
    }
}

/// The haystack of [`crate::search::SearchRecord::haystack`], built from a
/// corpus view into a reused buffer: name, title, kind, type, owner name,
/// tags, separated by spaces.
pub fn haystack_into(view: &RecordView<'_>, out: &mut String) {
    out.clear();
    let mut push = |s: &str| {
        if !s.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(s);
        }
    };
    push(view.name());
    push(view.title());
    push(view.kind());
    push(view.spec_type());
    push(crate::tui::text::ref_name(view.owner()));
    for tag in view.tags() {
        push(tag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::SearchRecord;

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
        let order = Arc::new(crate::tui::worker::display_order(&corpus));
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
    fn haystack_matches_the_search_records() {
        let r = rec(
            "Component",
            "pay",
            "Payments",
            "group:default/team-a",
            &["java", "pci"],
        );
        let corpus = Corpus::new(std::slice::from_ref(&r));
        let mut out = String::new();
        haystack_into(&corpus.get(0).unwrap(), &mut out);
        assert_eq!(out, r.haystack());
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
