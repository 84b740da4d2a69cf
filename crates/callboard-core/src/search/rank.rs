//! The one ranking: filters first, then every record scored by its
//! [`Plan`], best first, ties in the display order. The CLI, the TUI list,
//! the form pickers and the template list all call [`rank`].

use std::cmp::Ordering;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::corpus::{Rec, T_KIND};
use super::index::{Fields, Index};
use super::order::{folded_prefix, kind_ranks, names_cmp};
use super::plan::{prefetch, prefetch_read, Plan, Scorer};
use super::radix;
use super::{Corpus, Query, MAX_THREADS, PAR_MIN_RECORDS};

/// Records scored per unit of work: threads take blocks from a shared
/// counter (the cost of a record varies with its kind and fields, so fixed
/// halves left a core idle), and cancellation is checked per block (about
/// 0.1-0.3 ms of work).
const BLOCK: usize = 2048;
/// Scan the text of a block for needles once (rather than each record's
/// description separately) when at least 1/SCAN_SHARE of it passed the filters.
const SCAN_SHARE: usize = 8;

/// How many records ahead of the one scored a listed scope asks the CPU
/// for the next ones' memory ([`prefetch`]), and twice as far ahead for
/// their records. (A run of records is read in order: the hardware
/// prefetcher serves it, and hints there measured slower.)
const AHEAD: usize = 8;

/// Which records to rank.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    All,
    /// These corpus indices, ascending (say the previous answer's hits, or
    /// a picker's candidates).
    Only(&'a [u32]),
}

impl Scope<'_> {
    fn len(&self, corpus: &Corpus) -> usize {
        match self {
            Scope::All => corpus.len(),
            Scope::Only(list) => list.len(),
        }
    }
}

/// How to run [`rank`].
#[derive(Clone, Copy)]
pub struct Options<'a> {
    /// Keep the best this many hits (`matched` still counts them all).
    pub limit: usize,
    /// Threads that score (this one included).
    pub threads: usize,
    /// Asked between blocks: true abandons the ranking.
    pub cancel: &'a (dyn Fn() -> bool + Sync),
}

/// Never cancels.
pub const NEVER: &(dyn Fn() -> bool + Sync) = &|| false;

impl Options<'static> {
    /// `limit` hits, on this thread only, never cancelled.
    pub fn limit(limit: usize) -> Options<'static> {
        Options {
            limit,
            threads: 1,
            cancel: NEVER,
        }
    }
}

/// The answer of [`rank`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ranking {
    /// Corpus indices of the best `limit` hits, best first.
    pub hits: Vec<u32>,
    /// The score of each hit (0 for a query with no text).
    pub scores: Vec<u32>,
    /// How many records of the scope passed the filters and matched the text.
    pub matched: usize,
    /// How many records of the scope passed the filters.
    pub passed: usize,
    /// How many records the scope holds.
    pub total: usize,
}

/// What one thread found.
#[derive(Default)]
struct Part {
    /// (score, corpus index).
    hits: Vec<(u32, u32)>,
    /// With an index: the best `limit` sort keys, sorted (see [`display_key`]).
    keys: Vec<u64>,
    matched: usize,
    passed: usize,
}

/// Score `scope` against `plan` (filters first) and keep the best
/// `limit` by score, then display order. None when `cancel` said so.
///
/// With and without `index` the answer is the same: the index only
/// replaces nucleo calls with [`super::fuzzy`] (the same numbers) and name
/// comparisons with display positions (the same order).
pub fn rank(
    corpus: &Corpus,
    index: Option<&Index>,
    plan: &Plan,
    scope: Scope<'_>,
    options: &Options<'_>,
) -> Option<Ranking> {
    if let Some(index) = index {
        assert_eq!(index.len(), corpus.len(), "an index of another corpus");
    }
    let total = scope.len(corpus);
    if let (false, Some(index), Scope::All) = (plan.has_text(), index, scope) {
        return Some(in_display_order(corpus, index, plan, options.limit, total));
    }
    let fields = index.and_then(Index::fields);
    let blocks = total.div_ceil(BLOCK);
    let threads = options.threads.clamp(1, blocks.max(1));
    let next = AtomicUsize::new(0);
    let work = || -> Option<Part> {
        let mut scorer = Scorer::new();
        let mut part = Part::default();
        loop {
            let block = next.fetch_add(1, AtomicOrdering::Relaxed);
            if block >= blocks {
                break;
            }
            if (options.cancel)() {
                return None;
            }
            let range = block * BLOCK..((block + 1) * BLOCK).min(total);
            match scope {
                Scope::All => {
                    let recs = &corpus.recs[range.clone()];
                    scan_run(
                        corpus,
                        fields,
                        plan,
                        range.start,
                        recs,
                        &mut scorer,
                        &mut part,
                    )
                }
                Scope::Only(list) => {
                    scan_list(corpus, fields, plan, &list[range], &mut scorer, &mut part)
                }
            }
        }
        part.matched = part.hits.len();
        if let Some(index) = index {
            // Sorting here keeps the sort on the scoring threads.
            let positions = index.positions();
            part.keys = part
                .hits
                .drain(..)
                .map(|(score, i)| display_key(score, positions[i as usize]))
                .collect();
            if part.keys.len() > options.limit {
                best_sorted(&mut part.keys, options.limit, u64::cmp);
            } else {
                // The whole list (the TUI's): by radix, the same order.
                radix::sort_keys(&mut part.keys);
            }
        }
        Some(part)
    };
    let parts: Vec<Option<Part>> = if threads == 1 {
        vec![work()]
    } else {
        std::thread::scope(|s| {
            let helpers: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
            let mut parts = vec![work()];
            parts.extend(
                helpers
                    .into_iter()
                    .map(|h| h.join().expect("a ranking thread panicked")),
            );
            parts
        })
    };
    let parts: Vec<Part> = parts.into_iter().collect::<Option<_>>()?;
    let passed = parts.iter().map(|p| p.passed).sum();
    let matched = parts.iter().map(|p| p.matched).sum();
    let (hits, scores): (Vec<u32>, Vec<u32>) = match index {
        Some(index) => {
            let mut keys: Vec<u64> = Vec::new();
            for part in parts {
                // The first part's keys are taken as they are (no copy).
                keys = if keys.is_empty() {
                    part.keys
                } else {
                    merge_sorted(&keys, &part.keys)
                };
            }
            keys.truncate(options.limit);
            let order = index.order();
            keys.into_iter()
                .map(|key| {
                    let (score, position) = split_key(key);
                    (order[position as usize], score)
                })
                .unzip()
        }
        None => {
            let hits: Vec<(u32, u32)> = parts.into_iter().flat_map(|p| p.hits).collect();
            sort_without_index(corpus, hits, options.limit)
        }
    };
    Some(Ranking {
        hits,
        scores,
        matched,
        passed,
        total,
    })
}

/// Score a contiguous run of records (`first` is the index of the first).
fn scan_run(
    corpus: &Corpus,
    fields: Option<&Fields>,
    plan: &Plan,
    first: usize,
    recs: &[Rec],
    scorer: &mut Scorer,
    part: &mut Part,
) {
    let passed: Vec<u32> = (0..recs.len() as u32)
        .filter(|&i| plan.passes_filters(corpus, &recs[i as usize]))
        .collect();
    part.passed += passed.len();
    if !plan.has_text() {
        part.hits
            .extend(passed.iter().map(|&i| (0, first as u32 + i)));
        return;
    }
    let marks = if passed.len() * SCAN_SHARE >= recs.len() {
        plan.marks(corpus, recs)
    } else {
        None
    };
    for i in passed {
        let marks = marks.as_ref().map(|m| (m, i as usize));
        let index = first + i as usize;
        if let Some(score) = plan.score(corpus, fields, index, marks, scorer) {
            part.hits.push((score, index as u32));
        }
    }
}

/// Score the listed records.
fn scan_list(
    corpus: &Corpus,
    fields: Option<&Fields>,
    plan: &Plan,
    list: &[u32],
    scorer: &mut Scorer,
    part: &mut Part,
) {
    // A dense list (say the previous keystroke's hits, most of the
    // corpus): scan the text of the run it spans once per needle, as
    // `scan_run` does, instead of each record's description separately.
    let span = match (list.first(), list.last()) {
        (Some(&lo), Some(&hi)) if lo <= hi && (hi as usize) < corpus.len() => {
            Some((lo, (hi - lo) as usize + 1))
        }
        _ => None,
    };
    let marks = match span {
        Some((lo, len)) if plan.has_text() && list.len() * SCAN_SHARE >= len => plan
            .marks(corpus, &corpus.recs[lo as usize..lo as usize + len])
            .map(|m| (lo, len, m)),
        _ => None,
    };
    for (k, &index) in list.iter().enumerate() {
        if let Some(&ahead) = list.get(k + 2 * AHEAD) {
            prefetch_read(corpus.recs.get(ahead as usize));
        }
        if let Some(&ahead) = list.get(k + AHEAD) {
            prefetch(corpus, fields, ahead as usize);
        }
        let Some(rec) = corpus.recs.get(index as usize) else {
            continue;
        };
        if !plan.passes_filters(corpus, rec) {
            continue;
        }
        part.passed += 1;
        if !plan.has_text() {
            part.hits.push((0, index));
            continue;
        }
        // The record's place in the marked run (None outside it: a list
        // out of order is still answered, without marks).
        let marks = marks.as_ref().and_then(|(lo, len, m)| {
            let at = index.checked_sub(*lo)? as usize;
            (at < *len).then_some((m, at))
        });
        if let Some(score) = plan.score(corpus, fields, index as usize, marks, scorer) {
            part.hits.push((score, index));
        }
    }
}

/// A query with no text over the whole corpus: the display order,
/// filtered; nothing to sort. The filters are checked in corpus order
/// into a bitmap first: the display order visits the records in a
/// scattered order, a cache miss a record at 1M (20-30 ms a keystroke
/// while a filter is typed, against a few ms this way).
fn in_display_order(
    corpus: &Corpus,
    index: &Index,
    plan: &Plan,
    limit: usize,
    total: usize,
) -> Ranking {
    let filters = &plan.filters;
    let (hits, passed) = if filters.is_empty() {
        (index.order().iter().copied().take(limit).collect(), total)
    } else if filters.passes_none() {
        (Vec::new(), 0)
    } else {
        let mut passing = vec![0u64; corpus.len().div_ceil(64)];
        for (word, recs) in passing.iter_mut().zip(corpus.recs.chunks(64)) {
            for (bit, rec) in recs.iter().enumerate() {
                *word |= u64::from(filters.passes_rec(corpus, rec)) << bit;
            }
        }
        let passed: usize = passing.iter().map(|w| w.count_ones() as usize).sum();
        let hits: Vec<u32> = index
            .order()
            .iter()
            .copied()
            .filter(|&i| passing[i as usize / 64] >> (i % 64) & 1 == 1)
            .take(limit)
            .collect();
        (hits, passed)
    };
    Ranking {
        scores: vec![0; hits.len()],
        hits,
        matched: passed,
        passed,
        total,
    }
}

/// Better first: score descending, then display position.
#[inline]
fn display_key(score: u32, position: u32) -> u64 {
    (u64::from(u32::MAX - score) << 32) | u64::from(position)
}

fn split_key(key: u64) -> (u32, u32) {
    (u32::MAX - (key >> 32) as u32, key as u32)
}

/// Keep the best `limit` of `items` (by `order`), sorted.
fn best_sorted<T>(items: &mut Vec<T>, limit: usize, order: impl Fn(&T, &T) -> Ordering) {
    if limit == 0 {
        items.clear();
    } else if items.len() > limit {
        items.select_nth_unstable_by(limit - 1, &order);
        items.truncate(limit);
    }
    items.sort_unstable_by(order);
}

/// The CLI's path (no index): sort keys of score, kind rank and the
/// name's first 8 folded bytes, so most comparisons never touch the names.
fn sort_without_index(
    corpus: &Corpus,
    hits: Vec<(u32, u32)>,
    limit: usize,
) -> (Vec<u32>, Vec<u32>) {
    struct SortKey {
        score: u32,
        kind: u8,
        prefix: u64,
        index: u32,
    }
    let ranks = kind_ranks(corpus);
    let name = |i: u32| corpus.text(corpus.recs[i as usize].name, corpus.recs[i as usize].title);
    let mut keys: Vec<SortKey> = hits
        .into_iter()
        .map(|(score, index)| SortKey {
            score,
            kind: ranks[corpus.recs[index as usize].ids[T_KIND] as usize],
            prefix: u64::from_be_bytes(folded_prefix::<8>(name(index), 0)),
            index,
        })
        .collect();
    best_sorted(&mut keys, limit, |a, b| {
        b.score
            .cmp(&a.score)
            .then(a.kind.cmp(&b.kind))
            .then(a.prefix.cmp(&b.prefix))
            .then_with(|| names_cmp(name(a.index), name(b.index)))
            .then(a.index.cmp(&b.index))
    });
    keys.into_iter().map(|k| (k.index, k.score)).unzip()
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

/// `indices` (distinct, below `len`) in ascending order, through a
/// bitmap: a previous answer's hits as a [`Scope::Only`].
pub fn ascending(indices: &[u32], len: usize) -> Vec<u32> {
    let mut bits = vec![0u64; len.div_ceil(64)];
    for &i in indices {
        bits[i as usize / 64] |= 1 << (i % 64);
    }
    let mut out = Vec::with_capacity(indices.len());
    for (word_index, &word) in bits.iter().enumerate() {
        let mut word = word;
        while word != 0 {
            out.push((word_index * 64) as u32 + word.trailing_zeros());
            word &= word - 1;
        }
    }
    out
}

/// One ranked record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index of the record in the corpus (and in the records it was built from).
    pub index: usize,
    pub score: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchResults {
    /// The best `limit` hits, best first.
    pub hits: Vec<Hit>,
    /// How many records passed the filters and matched the text.
    pub matched: usize,
    /// How many records were searched.
    pub total: usize,
}

/// [`rank`] the whole corpus once (the CLI): no index, one thread per
/// [`PAR_MIN_RECORDS`] records (up to 4 and the cores), never cancelled.
pub fn search(corpus: &Corpus, query: &Query, limit: usize) -> SearchResults {
    let available = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = available
        .min(corpus.len() / PAR_MIN_RECORDS)
        .clamp(1, MAX_THREADS);
    search_with(corpus, query, limit, threads)
}

fn search_with(corpus: &Corpus, query: &Query, limit: usize, threads: usize) -> SearchResults {
    let plan = Plan::new(corpus, query);
    let options = Options {
        limit,
        threads,
        cancel: NEVER,
    };
    let ranking = rank(corpus, None, &plan, Scope::All, &options).expect("never cancelled");
    SearchResults {
        hits: ranking
            .hits
            .iter()
            .zip(&ranking.scores)
            .map(|(&index, &score)| Hit {
                index: index as usize,
                score,
            })
            .collect(),
        matched: ranking.matched,
        total: ranking.total,
    }
}

/// Rank plain strings (not entities: the tag picker) by nucleo's pattern
/// score, best first, ties in input order; an empty query keeps them all
/// in input order. Indices into `items`.
pub fn rank_texts<T>(
    items: &[T],
    text: impl Fn(&T) -> &str,
    query: &str,
    limit: usize,
) -> Vec<usize> {
    let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
    if pattern.atoms.is_empty() {
        return (0..items.len()).take(limit).collect();
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let score = pattern.score(Utf32Str::new(text(item), &mut buf), &mut matcher)?;
            Some((score, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(limit).map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::test_support::{names, rec, sample, search_records, with};
    use crate::search::{parse_query, SearchRecord};

    fn ranked(
        corpus: &Corpus,
        index: Option<&Index>,
        q: &str,
        scope: Scope<'_>,
        limit: usize,
        threads: usize,
    ) -> Ranking {
        let plan = Plan::new(corpus, &parse_query(q));
        let options = Options {
            limit,
            threads,
            cancel: NEVER,
        };
        rank(corpus, index, &plan, scope, &options).unwrap()
    }

    /// Records in one order, the same ones scattered over kinds, with
    /// titles, tags, descriptions and a few non-ASCII ones.
    fn mixed(n: usize) -> Vec<SearchRecord> {
        let kinds = ["Component", "API", "System", "Group", "Resource"];
        let mut records = sample();
        records.extend((0..n).map(|i| {
            with(
                rec(
                    kinds[i % 5],
                    &format!("svc-{}-pay", i % 97),
                    "group:default/team-a",
                ),
                |r| {
                    r.title = if i % 3 == 0 {
                        format!("Service {i}")
                    } else {
                        String::new()
                    };
                    r.description = format!("item {i} for payments and Refunds, see svc-{}", i + 1);
                    r.tags = vec![format!("t{}", i % 7)];
                },
            )
        }));
        records.push(with(rec("Component", "café-pay", ""), |r| {
            r.description = "Zahlungen für Refunds".into()
        }));
        records.push(with(rec("System", "Svc-1-PAY", ""), |r| {
            r.description = "refunds for svc-1 café".into()
        }));
        records
    }

    const QUERIES: &[&str] = &[
        "pay",
        "p",
        "payments",
        "Refunds",
        "refunds",
        "'nts and",
        "svc-1 !svc-12",
        "!item",
        "!^svc",
        "!pay$",
        "^svc pay$",
        "tag:t3 item",
        "kind:system,api pay",
        "ledger !kafka",
        "java",
        "s 1 2",
        "svc-1-pay",
        "",
        "kind:component",
    ];

    #[test]
    fn empty_text_orders_by_kind_then_name() {
        let records = sample();
        let all = search_records(&records, "", usize::MAX);
        // Components, then APIs, then groups; by name within a kind.
        assert_eq!(
            names(&records, &all),
            vec![
                "ledger",
                "payments-api",
                "ledger-events",
                "payments",
                "team-a"
            ]
        );
        assert_eq!((all.matched, all.total), (5, 5));
        assert!(all.hits.iter().all(|h| h.score == 0));
    }

    #[test]
    fn equal_scores_list_components_and_apis_before_systems_and_groups() {
        let records = vec![
            rec("Group", "booking", ""),
            rec("System", "booking-x", ""),
            rec("API", "booking-y", ""),
            rec("Component", "booking-z", ""),
        ];
        let r = search_records(&records, "book", 10);
        assert!(r.hits.windows(2).all(|w| w[0].score == w[1].score));
        assert_eq!(
            names(&records, &r),
            ["booking-z", "booking-y", "booking-x", "booking"]
        );
        // The exact name still comes first.
        let r = search_records(&records, "booking", 10);
        assert_eq!(names(&records, &r)[0], "booking");
    }

    #[test]
    fn limit_keeps_the_best_and_counts_all() {
        let records: Vec<SearchRecord> = (0..50)
            .map(|i| rec("Component", &format!("svc-{i:02}"), ""))
            .collect();
        let all = search_records(&records, "svc", usize::MAX);
        let top = search_records(&records, "svc", 7);
        assert_eq!(top.matched, 50);
        assert_eq!(top.hits, all.hits[..7]);
        assert_eq!(names(&records, &top)[0], "svc-00");
        let none = search_records(&records, "svc", 0);
        assert!(none.hits.is_empty());
        assert_eq!(none.matched, 50);
    }

    #[test]
    fn threads_do_not_change_results() {
        let corpus = Corpus::new(&mixed(5000));
        let index = Index::build(&corpus);
        for q in ["pay", "tag:t3 item", "", "1 !2", "svc-49"] {
            let one = ranked(&corpus, None, q, Scope::All, 40, 1);
            for threads in [2, 3, 7] {
                assert_eq!(ranked(&corpus, None, q, Scope::All, 40, threads), one);
                let fast = ranked(&corpus, Some(&index), q, Scope::All, 40, threads);
                assert_eq!(fast, one, "{q:?}");
            }
        }
    }

    /// Byte sets, marks, prepared fields and display positions are
    /// shortcuts: the answer equals nucleo's over every record, compared
    /// by name, whatever the scope.
    #[test]
    fn byte_fast_paths_and_the_index_agree_with_nucleo() {
        let records = mixed(3000);
        let fast = Corpus::new(&records);
        assert!(!fast.ascii);
        assert_eq!(fast.recs.iter().filter(|r| !r.ascii).count(), 2);
        let mut slow = fast.clone();
        for r in &mut slow.recs {
            r.ascii = false;
        }
        let index = Index::build(&fast);
        let ordered = Index::ordered(&fast);
        let every: Vec<u32> = (0..fast.len() as u32).collect();
        let some: Vec<u32> = (0..fast.len() as u32).filter(|i| i % 3 != 1).collect();
        for &q in QUERIES {
            let expected = ranked(&slow, None, q, Scope::All, usize::MAX, 1);
            assert!(expected.matched > 0, "{q:?} should match something");
            for threads in [1, 3] {
                for (index, name) in [
                    (None, "none"),
                    (Some(&ordered), "ordered"),
                    (Some(&index), "built"),
                ] {
                    let got = ranked(&fast, index, q, Scope::All, usize::MAX, threads);
                    assert_eq!(got, expected, "{q:?} index {name}");
                    let got = ranked(&fast, index, q, Scope::Only(&every), usize::MAX, threads);
                    assert_eq!(got, expected, "{q:?} index {name}, every record listed");
                    // A scope is the same ranking restricted to it.
                    let got = ranked(&fast, index, q, Scope::Only(&some), 30, threads);
                    let restricted: Vec<u32> = expected
                        .hits
                        .iter()
                        .copied()
                        .filter(|i| i % 3 != 1)
                        .take(30)
                        .collect();
                    assert_eq!(got.hits, restricted, "{q:?} index {name}, some records");
                    // Out of order (marks only for the records inside the
                    // span the list's ends give): the same answer.
                    let mut shuffled = some.clone();
                    shuffled.swap(0, 5);
                    shuffled.swap(100, 2);
                    let got = ranked(&fast, index, q, Scope::Only(&shuffled), 30, threads);
                    assert_eq!(got.hits, restricted, "{q:?} index {name}, shuffled");
                }
            }
        }
    }

    /// Whole lists of more keys a thread than the radix sort's threshold
    /// (short queries matching most records): the same hits, scores and
    /// order as the plain path (no index: nucleo, names compared).
    #[test]
    fn whole_lists_sorted_by_radix_equal_the_plain_ranking() {
        let corpus = Corpus::new(&mixed(12_000));
        let index = Index::build(&corpus);
        for q in [
            "p",
            "s",
            "1",
            "pa",
            "item",
            "kind:api,component,system p",
            "svc 9",
        ] {
            let plain = ranked(&corpus, None, q, Scope::All, usize::MAX, 1);
            assert!(plain.matched > 5000, "{q:?}: {} hits", plain.matched);
            for threads in [1, 2] {
                let got = ranked(&corpus, Some(&index), q, Scope::All, usize::MAX, threads);
                assert_eq!(got, plain, "{q:?}, {threads} threads");
            }
        }
    }

    /// Filters without text walk the display order through a bitmap of
    /// the records passing them: the plain path's answer, and an empty one
    /// at once when a filter accepts no value (one typed halfway).
    #[test]
    fn filters_alone_list_the_records_passing_in_display_order() {
        let corpus = Corpus::new(&mixed(3000));
        let index = Index::build(&corpus);
        for q in [
            "kind:api",
            "tag:t3",
            "kind:system,api tag:t1,t2",
            "owner:team-a",
            "kind:ap",
            "tag:t",
            "owner:team-a kind:nothing",
            "",
        ] {
            for limit in [usize::MAX, 10, 0] {
                let plain = ranked(&corpus, None, q, Scope::All, limit, 1);
                let got = ranked(&corpus, Some(&index), q, Scope::All, limit, 2);
                assert_eq!(got, plain, "{q:?} limit {limit}");
            }
        }
        let some = ranked(&corpus, Some(&index), "kind:system,api", Scope::All, 5, 1);
        assert_eq!((some.hits.len(), some.total), (5, corpus.len()));
        assert!(some.matched > 1000 && some.matched < corpus.len());
        let none = ranked(&corpus, Some(&index), "kind:ap", Scope::All, 5, 1);
        assert_eq!((none.hits.len(), none.matched, none.passed), (0, 0, 0));
        assert_eq!(none.total, corpus.len());
    }

    /// The TUI ranks only the previous hits when a query narrows them.
    #[test]
    fn narrowed_scans_equal_full_scans() {
        let corpus = Corpus::new(&mixed(3000));
        let index = Index::build(&corpus);
        for typed in ["payments", "svc-1-pay", "kind:api pay x", "^svc-4"] {
            let mut prev: Option<(Plan, Ranking)> = None;
            for end in 1..=typed.len() {
                let plan = Plan::new(&corpus, &parse_query(&typed[..end]));
                let full = rank(
                    &corpus,
                    Some(&index),
                    &plan,
                    Scope::All,
                    &Options::limit(usize::MAX),
                )
                .unwrap();
                if let Some((prev_plan, prev_ranking)) = &prev {
                    if plan.narrows(prev_plan) {
                        let scope = ascending(&prev_ranking.hits, corpus.len());
                        let narrowed = rank(
                            &corpus,
                            Some(&index),
                            &plan,
                            Scope::Only(&scope),
                            &Options::limit(usize::MAX),
                        )
                        .unwrap();
                        assert_eq!(narrowed.hits, full.hits, "{}", &typed[..end]);
                        assert_eq!(narrowed.scores, full.scores, "{}", &typed[..end]);
                    }
                }
                prev = Some((plan, full));
            }
        }
    }

    /// A generated catalog: names, titles, owners and tags from a small
    /// vocabulary (many equal scores and equal names across kinds), more
    /// than one block so several threads share the work.
    fn generated(seed: &[(u8, u8, u8, u8)], n: usize) -> Vec<SearchRecord> {
        let words = [
            "pay", "payments", "svc", "auth", "ledger", "api", "team", "Pay", "x1", "order",
        ];
        let kinds = [
            "Component",
            "API",
            "System",
            "Group",
            "Resource",
            "Template",
        ];
        let mut records = mixed(0);
        records.extend((0..n).map(|i| {
            let (a, b, c, d) = seed[i % seed.len()];
            let (a, b, c, d) = (a as usize, b as usize, c as usize, d as usize);
            let name = format!(
                "{}-{}{}",
                words[(a + i) % words.len()],
                words[(b + i / 7) % words.len()],
                if c % 3 == 0 {
                    String::new()
                } else {
                    format!("-{}", (i * 31 + d) % 50)
                }
            );
            with(
                rec(
                    kinds[(a + c + i) % kinds.len()],
                    &name,
                    &format!(
                        "group:default/{}",
                        words[(c + i) % words.len()].to_lowercase()
                    ),
                ),
                |r| {
                    if d % 2 == 0 {
                        r.title = format!(
                            "{} {}",
                            words[(d + i) % words.len()],
                            words[b % words.len()]
                        );
                    }
                    r.tags = vec![words[(d + i / 3) % words.len()].to_lowercase()];
                    r.description = format!(
                        "handles {} for {}",
                        words[(a + d + i) % words.len()],
                        words[c % words.len()]
                    );
                },
            )
        }));
        records
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]
        /// Several threads, an index, and a narrowed scope (each prefix of
        /// a typed query) give the one-thread, whole-corpus answer.
        #[test]
        fn parallel_and_narrowed_rankings_equal_one_thread(
            seed in proptest::collection::vec((0u8..10, 0u8..10, 0u8..10, 0u8..10), 1..8),
            n in 2049usize..6200,
            query in proptest::sample::select(vec![
                "payments", "pay svc", "kind:api pay", "owner:team pa", "tag:auth or",
                "^pay", "api$", "'led", "x1 !auth", "", "kind:component", "p", "zzq",
                "Pay", "tag:pay,svc s", "ledger-api",
            ]),
            limit in proptest::sample::select(vec![usize::MAX, 1, 37]),
        ) {
            let corpus = Corpus::new(&generated(&seed, n));
            let index = Index::build(&corpus);
            let mut prev: Option<(Plan, Ranking)> = None;
            for end in 0..=query.len() {
                let q = &query[..end];
                let one = ranked(&corpus, None, q, Scope::All, limit, 1);
                for threads in [2, 3] {
                    proptest::prop_assert_eq!(&ranked(&corpus, None, q, Scope::All, limit, threads), &one, "{:?}", q);
                    proptest::prop_assert_eq!(&ranked(&corpus, Some(&index), q, Scope::All, limit, threads), &one, "{:?}", q);
                }
                let plan = Plan::new(&corpus, &parse_query(q));
                let full = ranked(&corpus, Some(&index), q, Scope::All, usize::MAX, 1);
                if let Some((prev_plan, prev_full)) = &prev {
                    if plan.narrows(prev_plan) {
                        let scope = ascending(&prev_full.hits, corpus.len());
                        for threads in [1, 2] {
                            let narrowed = ranked(&corpus, Some(&index), q, Scope::Only(&scope), usize::MAX, threads);
                            proptest::prop_assert_eq!(&narrowed.hits, &full.hits, "{:?}", q);
                            proptest::prop_assert_eq!(&narrowed.scores, &full.scores, "{:?}", q);
                        }
                    }
                }
                prev = Some((plan, full));
            }
        }
    }

    /// A listed scope asks for memory ahead of the record it scores (a
    /// hint): past the list's end, for indices outside the corpus and for
    /// records without prepared fields it asks for nothing and the answer
    /// is the one of the valid records alone.
    #[test]
    fn prefetching_ahead_changes_no_listed_ranking() {
        let corpus = Corpus::new(&mixed(3000));
        let index = Index::build(&corpus);
        let valid: Vec<u32> = (0..corpus.len() as u32).filter(|i| i % 5 != 2).collect();
        let mut with_strays = valid.clone();
        for (at, stray) in [(3, u32::MAX), (500, corpus.len() as u32), (1000, 1 << 30)] {
            with_strays.insert(at, stray);
        }
        with_strays.extend([corpus.len() as u32 + 7; 20]);
        for q in ["pay", "café", "svc 1", "kind:api p"] {
            for threads in [1, 2] {
                let expected = ranked(
                    &corpus,
                    Some(&index),
                    q,
                    Scope::Only(&valid),
                    usize::MAX,
                    threads,
                );
                let got = ranked(
                    &corpus,
                    Some(&index),
                    q,
                    Scope::Only(&with_strays),
                    usize::MAX,
                    threads,
                );
                assert_eq!(got.hits, expected.hits, "{q:?}");
                assert_eq!(got.scores, expected.scores, "{q:?}");
                assert!(expected.matched > 0, "{q:?}");
            }
        }
    }

    #[test]
    fn cancel_abandons_the_ranking() {
        let corpus = Corpus::new(&mixed(100));
        let plan = Plan::new(&corpus, &parse_query("pay"));
        let options = Options {
            limit: 10,
            threads: 2,
            cancel: &|| true,
        };
        assert_eq!(rank(&corpus, None, &plan, Scope::All, &options), None);
    }

    #[test]
    fn ascending_sorts_through_a_bitmap() {
        assert_eq!(
            ascending(&[130, 2, 64, 0, 63], 131),
            vec![0, 2, 63, 64, 130]
        );
        assert!(ascending(&[], 0).is_empty());
    }

    #[test]
    fn texts_rank_by_nucleo_score_then_input_order() {
        let tags = ["java", "javascript", "kafka", "go"];
        assert_eq!(rank_texts(&tags, |t| t, "ja", 10), vec![0, 1]);
        assert_eq!(rank_texts(&tags, |t| t, "a", 2).len(), 2);
        assert_eq!(rank_texts(&tags, |t| t, " ", 10), vec![0, 1, 2, 3]);
        assert!(rank_texts(&tags, |t| t, "zz", 10).is_empty());
    }
}
