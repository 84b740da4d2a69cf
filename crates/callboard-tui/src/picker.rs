//! The catalog list: [`callboard_core::search::rank`] (the ranking the
//! command line, the pickers and the template list use too) on a worker
//! thread, so the UI never waits for a keystroke's answer.
//!
//! The worker keeps the corpus's [`Index`]: the display order at once (it
//! answers the empty query, the first frame), names and titles prepared for
//! fast scoring in the background right after. A keystroke compiles a
//! [`Plan`]; when it narrows the previous one (the text typed further,
//! same filters) only the previous hits are ranked. Several threads share
//! the work in blocks; a superseded query is cancelled between blocks, so
//! fast typing never queues work. The UI keeps showing the previous
//! results until the new ones are complete, and never waits for the worker
//! beyond a frame's tick.
//!
//! Why not `nucleo::Nucleo` itself: at 100k records its worker re-sorts
//! every item, matched or not, with a tie-break that chases a pointer per
//! comparison, and does not use the second core for one short pattern; a
//! keystroke took 20–35 ms there.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use callboard_core::search::{
    ascending, display_order_first, parse_query, rank, Corpus, Filter, Highlighter, Index, Options,
    Plan, Query, Scope,
};

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
    query: Query,
}

/// An answer to one [`Job`]: corpus indices, best first.
struct Answer {
    generation: u64,
    plan: Option<Arc<Plan>>,
    hits: Arc<Vec<u32>>,
    total: u32,
    /// How many records match (`hits.len()` unless partial).
    matched: u32,
    /// Only the first rows of the answer (the first frame of a large
    /// catalog); the whole answer follows.
    partial: bool,
}

/// From this many records the first frame shows the first
/// [`FIRST_ROWS`] rows of the display order before the whole order is made.
const FIRST_ROWS_MIN: usize = 50_000;
/// More than any screen's list.
const FIRST_ROWS: usize = 512;

/// State shared by the picker (UI thread) and its worker.
struct Shared {
    job: Mutex<Option<Job>>,
    job_ready: Condvar,
    answer: Mutex<Option<Answer>>,
    answered: Condvar,
    /// The newest generation asked for: the worker abandons older work.
    wanted: AtomicU64,
    stop: AtomicBool,
    /// The newest index of the corpus (for the form pickers too).
    index: Mutex<Option<Arc<Index>>>,
}

pub struct Picker {
    corpus: Arc<Corpus>,
    shared: Arc<Shared>,
    filters: Vec<Filter>,
    text: String,
    generation: u64,
    /// What the list shows.
    shown: Answer,
    highlighter: Highlighter,
    threads: Option<usize>,
}

impl Picker {
    /// `notify` is called (from the worker) when there is something new to
    /// draw; it should only wake the event loop.
    pub fn new(corpus: Arc<Corpus>, notify: Arc<dyn Fn() + Send + Sync>) -> Picker {
        Picker::with_threads(corpus, notify, None)
    }

    /// `threads`: how many threads score one query (None: one per core).
    pub fn with_threads(
        corpus: Arc<Corpus>,
        notify: Arc<dyn Fn() + Send + Sync>,
        threads: Option<usize>,
    ) -> Picker {
        // The empty query is queued before the worker starts, so it is
        // answered before the fields are prepared (the first frame).
        let shared = Arc::new(Shared {
            job: Mutex::new(Some(Job {
                generation: 1,
                query: Query::default(),
            })),
            job_ready: Condvar::new(),
            answer: Mutex::new(None),
            answered: Condvar::new(),
            wanted: AtomicU64::new(1),
            stop: AtomicBool::new(false),
            index: Mutex::new(None),
        });
        let scorers = threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let worker = Worker {
            corpus: corpus.clone(),
            shared: shared.clone(),
            notify,
            scorers,
            index: None,
            last: None,
        };
        std::thread::Builder::new()
            .name("callboard-match".into())
            .spawn(move || worker.run())
            .expect("spawn the matcher thread");
        Picker {
            corpus,
            shared,
            filters: Vec::new(),
            text: String::new(),
            generation: 1,
            shown: Answer {
                generation: 0,
                plan: None,
                hits: Arc::new(Vec::new()),
                total: 0,
                matched: 0,
                partial: false,
            },
            highlighter: Highlighter::default(),
            threads,
        }
    }

    pub fn corpus(&self) -> &Arc<Corpus> {
        &self.corpus
    }

    /// The corpus's index as far as it is built (None at the very start):
    /// pickers over the same corpus rank faster with it.
    pub fn index(&self) -> Option<Arc<Index>> {
        self.shared.index.lock().unwrap().clone()
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
            query: Query {
                filters: self.filters.clone(),
                text: self.text.clone(),
            },
        };
        *self.shared.job.lock().unwrap() = Some(job);
        self.shared.job_ready.notify_one();
    }

    /// Take the newest complete answer, waiting up to `timeout_ms` for the
    /// one to the current query; true when the list changed.
    pub fn tick(&mut self, timeout_ms: u64) -> bool {
        if self.shown.generation == self.generation && !self.shown.partial {
            // The list already answers the query (a key that moved the
            // cursor, a space that changed no atom): nothing to wait for.
            return false;
        }
        let deadline = Instant::now() + Duration::from_millis(timeout_ms);
        let mut answer = self.shared.answer.lock().unwrap();
        loop {
            // A partial answer is taken at once the first time only.
            let current = answer.as_ref().is_some_and(|a| {
                a.generation == self.generation
                    && (!a.partial || self.shown.generation != self.generation)
            });
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
        self.shown = new;
        true
    }

    pub fn progress(&self) -> Progress {
        Progress {
            matched: self.shown.matched,
            total: self.shown.total,
            running: self.shown.generation != self.generation || self.shown.partial,
        }
    }

    /// Block until the list answers the current query and the fields are
    /// prepared (tests, benchmarks).
    pub fn settle(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while (self.progress().running || !self.indexed()) && Instant::now() < deadline {
            if !self.progress().running {
                std::thread::sleep(Duration::from_millis(1));
            }
            self.tick(5);
        }
    }

    /// True once the index is complete (which happens in the background
    /// right after the first answer).
    pub fn indexed(&self) -> bool {
        self.index().is_some_and(|index| index.is_prepared())
    }

    /// The corpus index of the n-th match.
    pub fn matched_index(&self, n: u32) -> Option<u32> {
        self.shown.hits.get(n as usize).copied()
    }

    /// The rows `start..start + count` of the matches, with highlights.
    pub fn rows(&mut self, start: u32, count: u32) -> Vec<Row> {
        let hits = self.shown.hits.clone();
        let start = (start as usize).min(hits.len());
        let end = start.saturating_add(count as usize).min(hits.len());
        let plan = self.shown.plan.clone().filter(|plan| plan.has_text());
        hits[start..end]
            .iter()
            .map(|&index| {
                let highlight = plan
                    .as_ref()
                    .map(|plan| self.highlighter.highlight(&self.corpus, plan, index))
                    .unwrap_or_default();
                let chars = |v: Vec<u32>| v.into_iter().map(|i| i as usize).collect();
                Row {
                    index,
                    name_hits: chars(highlight.name),
                    title_hits: chars(highlight.title),
                }
            })
            .collect()
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

/// The previous complete answer, for narrowing when the text grows.
struct Last {
    plan: Arc<Plan>,
    hits: Arc<Vec<u32>>,
    total: u32,
    /// `hits` in corpus order (the scope a narrowing query ranks), made
    /// while the worker waits for the next keystroke.
    ascending: Option<Vec<u32>>,
}

struct Worker {
    corpus: Arc<Corpus>,
    shared: Arc<Shared>,
    notify: Arc<dyn Fn() + Send + Sync>,
    scorers: usize,
    index: Option<Arc<Index>>,
    last: Option<Last>,
}

impl Worker {
    fn run(mut self) {
        self.first_rows();
        self.set_index(Index::ordered(&self.corpus));
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
                    // Idle: prepare the fields before the next keystroke
                    // needs them (ranking without them is only slower).
                    if !self.index.as_ref().is_some_and(|i| i.is_prepared()) {
                        break None;
                    }
                    slot = self.shared.job_ready.wait(slot).unwrap();
                }
            };
            match job {
                Some(job) => self.answer(job),
                None => {
                    let index = self.index.as_ref().expect("ordered first");
                    let prepared = index.prepared(&self.corpus);
                    self.set_index(prepared);
                }
            }
        }
    }

    /// A large catalog's first frame: the empty query's first rows (what
    /// the whole display order would start with) before that order is made
    /// (a few hundred ms at 1M records).
    fn first_rows(&self) {
        if self.corpus.len() < FIRST_ROWS_MIN {
            return;
        }
        let Some(job) = self.shared.job.lock().unwrap().clone() else {
            return;
        };
        if !job.query.filters.is_empty() || !job.query.text.is_empty() {
            return;
        }
        let hits = display_order_first(&self.corpus, FIRST_ROWS);
        let all = self.corpus.len() as u32;
        *self.shared.answer.lock().unwrap() = Some(Answer {
            generation: job.generation,
            plan: None,
            hits: Arc::new(hits),
            total: all,
            matched: all,
            partial: true,
        });
        self.shared.answered.notify_all();
        (self.notify)();
    }

    fn set_index(&mut self, index: Index) {
        let index = Arc::new(index);
        self.index = Some(index.clone());
        *self.shared.index.lock().unwrap() = Some(index);
    }

    fn answer(&mut self, job: Job) {
        let plan = Arc::new(Plan::new(&self.corpus, &job.query));
        let len = self.corpus.len();
        let narrowing = self.last.as_mut().filter(|last| plan.narrows(&last.plan));
        // A narrowed scope holds only the previous hits: the number passing
        // the (same) filters is the previous answer's.
        let narrowed_total = narrowing.as_ref().map(|last| last.total);
        // The previous hits in corpus order: the text is read front to back.
        let scope_list = narrowing.map(|last| {
            last.ascending
                .take()
                .unwrap_or_else(|| ascending(&last.hits, len))
        });
        let scope = scope_list.as_deref().map_or(Scope::All, Scope::Only);
        let wanted = &self.shared.wanted;
        let cancel = move || wanted.load(Ordering::Relaxed) != job.generation;
        let options = Options {
            limit: usize::MAX,
            threads: self.scorers,
            cancel: &cancel,
        };
        let Some(ranking) = rank(&self.corpus, self.index.as_deref(), &plan, scope, &options)
        else {
            return;
        };
        let total = narrowed_total.unwrap_or(ranking.passed as u32);
        let hits = Arc::new(ranking.hits);
        self.last = Some(Last {
            plan: plan.clone(),
            hits: hits.clone(),
            total,
            ascending: None,
        });
        *self.shared.answer.lock().unwrap() = Some(Answer {
            generation: job.generation,
            plan: Some(plan),
            matched: hits.len() as u32,
            hits,
            total,
            partial: false,
        });
        self.shared.answered.notify_all();
        (self.notify)();
        // The next keystroke most often types further: have its scope
        // ready (0.2-0.6 ms at 100k records, 4-6 ms at 1M) unless it is
        // already waiting, when it makes the scope itself if it narrows.
        if self.shared.job.lock().unwrap().is_none() {
            if let Some(last) = &mut self.last {
                last.ascending = Some(ascending(&last.hits, len));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use callboard_core::search::{search, SearchRecord};

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
        let mut p = Picker::with_threads(corpus, Arc::new(|| {}), Some(1));
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
    fn a_large_catalogs_first_rows_are_the_whole_orders_first_rows() {
        let kinds = ["Component", "API", "Group", "System"];
        let records: Vec<SearchRecord> = (0..FIRST_ROWS_MIN + 3)
            .map(|i| {
                let name = format!("svc-{}", (i * 7919) % 10_007);
                rec(kinds[i % 4], &name, "", "", &[])
            })
            .collect();
        let corpus = Arc::new(Corpus::new(&records));
        let mut p = Picker::with_threads(corpus.clone(), Arc::new(|| {}), Some(2));
        let mut seen = Vec::new();
        while p.progress().running || seen.is_empty() {
            if p.tick(50) || seen.is_empty() {
                let n = p.progress().matched.min(40);
                seen.push((p.progress(), p.rows(0, n)));
            }
        }
        p.settle();
        let all = corpus.len() as u32;
        assert_eq!(p.progress().matched, all);
        let whole = p.rows(0, all);
        let order = callboard_core::search::display_order(&corpus);
        assert!(whole.iter().map(|r| r.index).eq(order.iter().copied()));
        for (progress, rows) in seen {
            if progress.matched > 0 {
                assert_eq!(progress.matched, all);
                assert_eq!(progress.total, all);
                assert_eq!(rows[..], whole[..rows.len()]);
            }
        }
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
        // The field that scored best: the name (it weighs more than an
        // equal match in the title).
        assert_eq!(rows[0].name_hits, [0, 1, 2], "{rows:?}");
        assert!(rows[0].title_hits.is_empty(), "{rows:?}");
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

    /// The list's order is core's ranking (the CLI's `search`, no index,
    /// ties by display order), whichever path scored a record: prepared
    /// fields, nucleo, narrowed or full scans, two threads.
    #[test]
    fn ranking_equals_the_core_ranking() {
        let words = [
            "team", "payments", "api", "svc", "auth", "te", "order", "Ticket", "Édition",
            "gateway", "pay", "Tea", "platform", "x1", "a",
        ];
        let kinds = ["Component", "API", "System", "Group"];
        let mut records = Vec::new();
        for (i, a) in words.iter().enumerate() {
            for (j, b) in words.iter().enumerate() {
                let name = format!("{}-{}-{}", a.to_lowercase(), b, i * 31 + j);
                let title = if (i + j) % 3 == 0 {
                    format!("{a} {b} Service")
                } else {
                    String::new()
                };
                let mut r = rec(kinds[(i + j) % 4], &name, &title, "group:default/t", &[b]);
                r.description = format!("{b} and {a} things");
                records.push(r);
            }
        }
        let corpus = Arc::new(Corpus::new(&records));
        let mut p = Picker::with_threads(corpus.clone(), Arc::new(|| {}), Some(2));
        p.settle();
        for query in [
            "t",
            "te",
            "tea",
            "team",
            "pay",
            "api",
            "svc-a",
            "^pay",
            "ce$",
            "!x te",
            "Te",
            "'order",
            "éd",
            "te pay",
            "1",
            "-",
            "kind:api te",
            "kind:api tea",
            "things",
            "",
        ] {
            p.set_query(query);
            answers_as_core(&mut p, &corpus, query);
        }
    }

    /// Once settled, the list is core's ranking of `query` (not empty).
    fn answers_as_core(p: &mut Picker, corpus: &Corpus, query: &str) {
        p.settle();
        let got: Vec<u32> = (0..p.progress().matched)
            .map(|n| p.matched_index(n).unwrap())
            .collect();
        let expected: Vec<u32> = search(corpus, &parse_query(query), usize::MAX)
            .hits
            .iter()
            .map(|h| h.index as u32)
            .collect();
        assert!(
            !expected.is_empty(),
            "{query}: the test should match something"
        );
        assert_eq!(got, expected, "{query}");
    }

    /// Keys typed faster than the answers (each query replaces the
    /// waiting one), then slowly (the worker readies the next scope while
    /// idle), then a key that does not narrow: every answer is core's.
    #[test]
    fn fast_and_slow_typing_answer_as_core_does() {
        let mut records = Vec::new();
        for i in 0..3000 {
            let name = format!("team-{}-svc-{i}", ["pay", "tea", "ops"][i % 3]);
            let mut r = rec("Component", &name, "", "group:default/t", &[]);
            r.description = format!("serves {} things", ["tea", "apis", "te"][i % 3]);
            records.push(r);
        }
        let corpus = Arc::new(Corpus::new(&records));
        let mut p = Picker::with_threads(corpus.clone(), Arc::new(|| {}), Some(2));
        p.settle();
        let check = |p: &mut Picker, query: &str| answers_as_core(p, &corpus, query);
        for query in ["t", "te", "tea"] {
            p.set_query(query);
        }
        check(&mut p, "tea");
        for query in ["tea-", "tea-s", "tea-sv"] {
            p.set_query(query);
            check(&mut p, query);
        }
        p.set_query("te");
        check(&mut p, "te");
        p.set_query("tes");
        check(&mut p, "tes");
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
