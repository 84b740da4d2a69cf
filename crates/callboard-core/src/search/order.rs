//! The display order: how records with equal scores (and every record of a
//! query with no text) are listed, in every front end.

use std::cmp::Ordering;

use super::corpus::T_KIND;
use super::{cmp_ci, Corpus, RecordView, PAR_MIN_RECORDS};
use crate::catalog::Kind;

/// Where a kind is listed: components first, as people look for them
/// most, then APIs, resources, systems, domains, groups, users,
/// templates, locations, and kinds callboard does not know last.
pub fn kind_rank(kind: &str) -> u8 {
    match Kind::parse(kind) {
        Some(Kind::Component) => 0,
        Some(Kind::Api) => 1,
        Some(Kind::Resource) => 2,
        Some(Kind::System) => 3,
        Some(Kind::Domain) => 4,
        Some(Kind::Group) => 5,
        Some(Kind::User) => 6,
        Some(Kind::Template) => 7,
        Some(Kind::Location) => 8,
        None => 9,
    }
}

/// The display order of two records: kind ([`kind_rank`]), then name
/// ignoring case, then name bytes. Records equal here are listed by their
/// index in the corpus.
pub fn display_cmp(a: &RecordView<'_>, b: &RecordView<'_>) -> Ordering {
    kind_rank(a.kind())
        .cmp(&kind_rank(b.kind()))
        .then_with(|| names_cmp(a.name(), b.name()))
}

/// [`cmp_ci`], then bytes.
pub(super) fn names_cmp(a: &str, b: &str) -> Ordering {
    cmp_ci(a, b).then_with(|| a.cmp(b))
}

/// [`kind_rank`] of every entry of the corpus's kind table.
pub(super) fn kind_ranks(corpus: &Corpus) -> Vec<u8> {
    (0..corpus.tables[T_KIND].len())
        .map(|id| kind_rank(corpus.vocab(T_KIND, id as u32)))
        .collect()
}

/// The first `N` bytes of the name folded to lower case (chars, so the
/// bytes compare like [`cmp_ci`]: UTF-8 keeps code point order), as a
/// big-endian integer padded with zeros. Two names whose keys differ
/// compare like their keys; equal keys need the whole names.
pub(super) fn folded_prefix<const N: usize>(name: &str, skip: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if name.is_ascii() {
        let bytes = name.as_bytes().get(skip..).unwrap_or_default();
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b.to_ascii_lowercase();
        }
    } else {
        let mut utf8 = [0u8; 4];
        let folded = name
            .chars()
            .flat_map(char::to_lowercase)
            .flat_map(|c| c.encode_utf8(&mut utf8).as_bytes().to_vec())
            .skip(skip);
        for (o, b) in out.iter_mut().zip(folded) {
            *o = b;
        }
    }
    out
}

/// Every record index in display order ([`display_cmp`], then index).
/// Integer keys first (kind rank, the first 32 folded bytes of the name),
/// the rare ties settled on the whole names: 100k records in a few ms.
/// Past [`PAR_MIN_RECORDS`] twice over, the keys are made and sorted in
/// two halves on two threads and merged (the first frame of a 1M catalog
/// waits for this order).
pub fn display_order(corpus: &Corpus) -> Vec<u32> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    display_order_on(corpus, cores >= 2 && corpus.len() >= 2 * PAR_MIN_RECORDS)
}

type OrderKey = (u8, u128, u128, u32);

fn display_order_on(corpus: &Corpus, two_threads: bool) -> Vec<u32> {
    let ranks = kind_ranks(corpus);
    let sorted_keys = |range: std::ops::Range<usize>| -> Vec<OrderKey> {
        let mut keys = order_keys(corpus, &ranks, range);
        keys.sort_unstable();
        keys
    };
    let keys = if two_threads {
        let mid = corpus.len() / 2;
        let (a, b) = std::thread::scope(|s| {
            let first = s.spawn(|| sorted_keys(0..mid));
            let second = sorted_keys(mid..corpus.len());
            (first.join().expect("a sorting thread panicked"), second)
        });
        merge_keys(a, b)
    } else {
        sorted_keys(0..corpus.len())
    };
    settle_ties(corpus, keys)
}

/// The first `k` records of [`display_order`], without sorting the rest:
/// what a first frame shows while the whole order is still being made
/// (tens of ms at 1M records instead of hundreds). Equal to
/// `display_order(corpus)[..k]` (tested).
pub fn display_order_first(corpus: &Corpus, k: usize) -> Vec<u32> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    display_order_first_on(corpus, k, cores >= 2 && corpus.len() >= 2 * PAR_MIN_RECORDS)
}

fn display_order_first_on(corpus: &Corpus, k: usize, two_threads: bool) -> Vec<u32> {
    if k == 0 {
        return Vec::new();
    }
    let ranks = kind_ranks(corpus);
    // The `k` smallest keys of a range, and every key tied with the k-th
    // on all but the index (their order needs the whole names).
    let candidates = |range: std::ops::Range<usize>| -> Vec<OrderKey> {
        let mut keys: Vec<OrderKey> = order_keys(corpus, &ranks, range);
        if keys.len() > k {
            keys.select_nth_unstable(k - 1);
            let edge = keys[k - 1];
            let (head, tail) = keys.split_at_mut(k);
            let mut kept = head.len();
            for i in 0..tail.len() {
                if (tail[i].0, tail[i].1, tail[i].2) == (edge.0, edge.1, edge.2) {
                    tail.swap(i, kept - k);
                    kept += 1;
                }
            }
            keys.truncate(kept);
        }
        keys
    };
    let mut keys = if two_threads {
        let mid = corpus.len() / 2;
        let (mut a, b) = std::thread::scope(|s| {
            let first = s.spawn(|| candidates(0..mid));
            let second = candidates(mid..corpus.len());
            (first.join().expect("a sorting thread panicked"), second)
        });
        a.extend(b);
        a
    } else {
        candidates(0..corpus.len())
    };
    keys.sort_unstable();
    let mut order = settle_ties(corpus, keys);
    order.truncate(k);
    order
}

fn order_keys(corpus: &Corpus, ranks: &[u8], range: std::ops::Range<usize>) -> Vec<OrderKey> {
    corpus.recs[range.clone()]
        .iter()
        .zip(range)
        .map(|(rec, i)| {
            let name = corpus.text(rec.name, rec.title);
            (
                ranks[rec.ids[T_KIND] as usize],
                u128::from_be_bytes(folded_prefix::<16>(name, 0)),
                u128::from_be_bytes(folded_prefix::<16>(name, 16)),
                i as u32,
            )
        })
        .collect()
}

/// Two sorted runs of distinct keys as one.
fn merge_keys(a: Vec<OrderKey>, b: Vec<OrderKey>) -> Vec<OrderKey> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        let next = if x < y { a.next() } else { b.next() };
        out.extend(next);
    }
    out.extend(a);
    out.extend(b);
    out
}

/// Keys equal but for the index (the first 32 folded bytes of the names
/// alike) ordered by the whole names.
fn settle_ties(corpus: &Corpus, mut keys: Vec<OrderKey>) -> Vec<u32> {
    let name = |i: u32| corpus.get(i as usize).map_or("", |v| v.name());
    let mut start = 0;
    while start < keys.len() {
        let key = |k: &(u8, u128, u128, u32)| (k.0, k.1, k.2);
        let mut end = start + 1;
        while end < keys.len() && key(&keys[end]) == key(&keys[start]) {
            end += 1;
        }
        if end - start > 1 {
            keys[start..end].sort_by(|a, b| names_cmp(name(a.3), name(b.3)).then(a.3.cmp(&b.3)));
        }
        start = end;
    }
    keys.into_iter().map(|k| k.3).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::test_support::rec;
    use proptest::prelude::*;

    fn sorted_by_display_cmp(corpus: &Corpus) -> Vec<u32> {
        let mut all: Vec<u32> = (0..corpus.len() as u32).collect();
        let view = |i: u32| corpus.get(i as usize).unwrap();
        all.sort_by(|&a, &b| display_cmp(&view(a), &view(b)).then(a.cmp(&b)));
        all
    }

    #[test]
    fn kinds_then_names_ignoring_case() {
        let records = vec![
            rec("Group", "team-a", ""),
            rec("Component", "zeta", ""),
            rec("API", "alpha-api", ""),
            rec("Component", "Beta", ""),
            rec("Thing", "aaa", ""),
            rec("component", "beta", ""),
            rec("System", "payments", ""),
        ];
        let corpus = Corpus::new(&records);
        let names: Vec<&str> = display_order(&corpus)
            .into_iter()
            .map(|i| corpus.get(i as usize).unwrap().name())
            .collect();
        assert_eq!(
            names,
            [
                "Beta",
                "beta",
                "zeta",
                "alpha-api",
                "payments",
                "team-a",
                "aaa"
            ]
        );
        assert_eq!(display_order(&corpus), sorted_by_display_cmp(&corpus));
    }

    #[test]
    fn two_threads_sort_a_large_corpus_alike() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        let kinds = ["Component", "API", "group", "Other", "User"];
        let records: Vec<_> = (0..2 * PAR_MIN_RECORDS + 7)
            .map(|_| {
                let name = match next() % 3 {
                    0 => format!("svc-{}", next() % 5000),
                    1 => format!("{}{}", "Shared-Long-Prefix-".repeat(2), next() % 700),
                    _ => format!("É-{}", next() % 300),
                };
                rec(kinds[next() % kinds.len()], &name, "")
            })
            .collect();
        let corpus = Corpus::new(&records);
        let expected = sorted_by_display_cmp(&corpus);
        assert_eq!(display_order_on(&corpus, true), expected);
        assert_eq!(display_order_on(&corpus, false), expected);
        assert_eq!(display_order(&corpus), expected);
        for k in [1, 100, 1000, 7777, expected.len(), expected.len() + 5] {
            let first = &expected[..k.min(expected.len())];
            assert_eq!(display_order_first_on(&corpus, k, true), first);
            assert_eq!(display_order_first_on(&corpus, k, false), first);
        }
        assert_eq!(display_order_first(&corpus, 50), expected[..50]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// The integer keys never disagree with the comparator, whatever
        /// the names: case, shared long prefixes, non-ASCII letters.
        #[test]
        fn display_order_is_a_sort_by_display_cmp(
            names in proptest::collection::vec("[aAbBéÉßİ_ -]{0,3}(x{30})?[aAéÉ]{0,3}", 0..40),
            kinds in proptest::collection::vec(0usize..4, 40),
        ) {
            let kind_names = ["Component", "API", "group", "Other"];
            let records: Vec<_> = names
                .iter()
                .zip(&kinds)
                .map(|(n, &k)| rec(kind_names[k], n, ""))
                .collect();
            let corpus = Corpus::new(&records);
            prop_assert_eq!(display_order(&corpus), sorted_by_display_cmp(&corpus));
            // The two-thread path (used past 20k records) gives the same order.
            let expected = sorted_by_display_cmp(&corpus);
            prop_assert_eq!(display_order_on(&corpus, true), expected.clone());
            // And the first k alone, ties at the cut included.
            for k in [0, 1, 2, 3, 5, 8, 13, 40] {
                let first = &expected[..k.min(expected.len())];
                prop_assert_eq!(display_order_first_on(&corpus, k, false), first.to_vec());
                prop_assert_eq!(display_order_first_on(&corpus, k, true), first.to_vec());
            }
        }
    }
}
