//! The display order: how records with equal scores (and every record of a
//! query with no text) are listed, in every front end.

use std::cmp::Ordering;

use super::corpus::T_KIND;
use super::{cmp_ci, Corpus, RecordView};
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
pub fn display_order(corpus: &Corpus) -> Vec<u32> {
    let ranks = kind_ranks(corpus);
    let mut keys: Vec<(u8, u128, u128, u32)> = corpus
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let name = v.name();
            (
                ranks[v.rec.ids[T_KIND] as usize],
                u128::from_be_bytes(folded_prefix::<16>(name, 0)),
                u128::from_be_bytes(folded_prefix::<16>(name, 16)),
                i as u32,
            )
        })
        .collect();
    keys.sort_unstable();
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
        }
    }
}
