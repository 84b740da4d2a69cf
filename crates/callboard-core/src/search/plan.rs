//! A query compiled against one corpus, and how one record scores.
//!
//! Every positive atom must match **one field** of a record, and the best
//! field counts: name ×4, title ×3, kind/type/owner name/tag ×2 (×4 when
//! the word is the whole value), and, only
//! when none of those matched, the description ×1 by substring. The atom
//! scores are summed; the whole text equal to the name adds
//! [`EXACT_NAME_BONUS`]. A `!word` excludes a record if the word is in any of
//! those fields.

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::corpus::{Rec, T_KIND, T_OWNER, T_TAG, T_TYPE};
use super::fuzzy;
use super::index::Fields;
use super::needle::{byte_mask, Needle, IN_DESC, IN_NAME, IN_TITLE};
use super::{CompiledFilters, Corpus, Filter, Query, RecordView};
use crate::catalog::entity_ref::ref_name;

/// Field weights: a match in the name counts most, a description substring least.
pub(super) const W_NAME: u32 = 4;
pub(super) const W_TITLE: u32 = 3;
const W_FIELD: u32 = 2;
const W_DESC: u32 = 1;
/// Added when the whole text equals the name: exact name matches come first.
pub const EXACT_NAME_BONUS: u32 = 10_000;
/// Description marks ([`Needle::mark`]) scan the whole text of a run of
/// records per atom; for needles shorter than this the scan finds so many
/// occurrences that checking each record's description is cheaper.
const MARK_MIN: usize = 3;

/// A query compiled against one corpus: the filters decided once per
/// distinct field value, each atom scored once per distinct kind, type,
/// owner and tag. Building one costs only those tables; use it with the
/// corpus it was built for.
pub struct Plan {
    text: String,
    filter_list: Vec<Filter>,
    pub(super) filters: CompiledFilters,
    pub(super) positive: Vec<PositiveAtom>,
    negative: Vec<NegativeAtom>,
    /// The text is a single atom: an exact name match gets a bonus.
    single: bool,
}

pub(super) struct PositiveAtom {
    pub(super) atom: Atom,
    /// The same needle as a substring atom, for descriptions (fuzzy and
    /// substring atoms only; anchored atoms never match descriptions).
    desc: Option<Atom>,
    /// Weighted score per kind, type, owner and tag entry (0 = no match).
    kind: Vec<u32>,
    ty: Vec<u32>,
    owner: Vec<u32>,
    tag: Vec<u32>,
    needle: Option<Needle>,
    needle_len: usize,
    /// [`fuzzy::score`] gives this atom's score on prepared fields: a
    /// fuzzy atom with a lower-case ASCII needle.
    fast: bool,
}

struct NegativeAtom {
    atom: Atom,
    /// Table entries (kind, type, owner, tag) that contain the needle.
    kind: Vec<bool>,
    ty: Vec<bool>,
    owner: Vec<bool>,
    tag: Vec<bool>,
    needle: Option<Needle>,
}

/// Needle marks for one run of records, per atom (None: not scanned).
pub(super) struct Marks {
    positive: Vec<Option<Vec<u8>>>,
    negative: Vec<Option<Vec<u8>>>,
}

/// Per-thread scratch space for scoring.
pub(super) struct Scorer {
    pub(super) matcher: Matcher,
    fast: fuzzy::Scratch,
    buf: Vec<char>,
}

impl Scorer {
    pub(super) fn new() -> Scorer {
        Scorer {
            matcher: Matcher::new(Config::DEFAULT),
            fast: fuzzy::Scratch::default(),
            buf: Vec::new(),
        }
    }
}

impl Plan {
    pub fn new(corpus: &Corpus, query: &Query) -> Plan {
        let pattern = Pattern::parse(&query.text, CaseMatching::Smart, Normalization::Smart);
        let score_table =
            |atom: &Atom, table: usize, weight: u32| score_table(corpus, atom, table, weight);
        let mut positive = Vec::new();
        let mut negative = Vec::new();
        for atom in pattern.atoms {
            if atom.negative {
                // `score` is None exactly when the needle is present.
                let present = |table: usize| -> Vec<bool> {
                    score_table(&atom, table, 1)
                        .into_iter()
                        .map(|s| s == 0)
                        .collect()
                };
                negative.push(NegativeAtom {
                    kind: present(T_KIND),
                    ty: present(T_TYPE),
                    owner: present(T_OWNER),
                    tag: present(T_TAG),
                    needle: Needle::of(&atom),
                    atom,
                });
            } else {
                let desc = matches!(atom.kind, AtomKind::Fuzzy | AtomKind::Substring).then(|| {
                    let mut a = atom.clone();
                    a.kind = AtomKind::Substring;
                    a
                });
                let needle = Needle::of(&atom);
                let fast = atom.kind == AtomKind::Fuzzy
                    && needle
                        .as_ref()
                        .is_some_and(|n| fuzzy::fast_needle(&n.bytes));
                positive.push(PositiveAtom {
                    desc,
                    kind: score_table(&atom, T_KIND, W_FIELD),
                    ty: score_table(&atom, T_TYPE, W_FIELD),
                    owner: score_table(&atom, T_OWNER, W_FIELD),
                    tag: score_table(&atom, T_TAG, W_FIELD),
                    needle,
                    needle_len: atom.needle_text().len(),
                    fast,
                    atom,
                });
            }
        }
        let single = positive.len() == 1 && negative.is_empty();
        Plan {
            text: query.text.clone(),
            filter_list: query.filters.clone(),
            filters: CompiledFilters::new(corpus, &query.filters),
            positive,
            negative,
            single,
        }
    }

    /// Whether the query has free text (without it every record passing
    /// the filters matches, with score 0).
    pub fn has_text(&self) -> bool {
        !self.positive.is_empty() || !self.negative.is_empty()
    }

    /// True when every record matching `self` matched `prev` (a query
    /// typed further): then only `prev`'s hits need scoring. Same filters,
    /// a text that extends `prev`'s, and no `!word` (which a longer text
    /// can turn from excluding a record into not excluding it). A text
    /// ending in `\` or `$` may change meaning when extended.
    pub fn narrows(&self, prev: &Plan) -> bool {
        self.filter_list == prev.filter_list
            && prev.has_text()
            && self.text.starts_with(&prev.text)
            && !prev.text.ends_with(['\\', '$'])
            && self.negative.is_empty()
    }

    #[inline]
    pub(super) fn passes_filters(&self, corpus: &Corpus, rec: &Rec) -> bool {
        self.filters.passes_rec(corpus, rec)
    }

    /// Scan a run of records' text once per needle that would otherwise be
    /// searched for in every record's description. None when no atom is
    /// worth a scan.
    pub(super) fn marks(&self, corpus: &Corpus, recs: &[Rec]) -> Option<Marks> {
        let positive: Vec<Option<Vec<u8>>> = self
            .positive
            .iter()
            .map(|p| match (&p.needle, &p.desc) {
                (Some(n), Some(_)) if n.bytes.len() >= MARK_MIN => Some(n.mark(corpus, recs)),
                _ => None,
            })
            .collect();
        let negative: Vec<Option<Vec<u8>>> = self
            .negative
            .iter()
            .map(|n| n.needle.as_ref().map(|needle| needle.mark(corpus, recs)))
            .collect();
        let any = positive.iter().chain(&negative).any(Option::is_some);
        any.then_some(Marks { positive, negative })
    }

    /// One atom's score on the name or the title: through [`fuzzy::score`]
    /// when the field is prepared and the atom allows it (the same numbers
    /// as nucleo), else nucleo's.
    /// `text` gives the field's text: only called when nucleo scores it,
    /// so a prepared field's text is never read (one cache miss less per
    /// record: the text is the corpus's largest array).
    #[inline]
    fn field_score<'t>(
        p: &PositiveAtom,
        text: impl FnOnce() -> &'t str,
        ascii: bool,
        prepared: Option<(&[u8], u64)>,
        s: &mut Scorer,
    ) -> Option<u16> {
        if let (true, Some((prepared, set)), Some(n)) = (p.fast, prepared, &p.needle) {
            if set & n.mask != n.mask {
                return None;
            }
            if let fuzzy::Fast::Score(score) = fuzzy::score(&mut s.fast, prepared, &n.bytes) {
                return score;
            }
        }
        p.atom.score(hay(ascii, text(), &mut s.buf), &mut s.matcher)
    }

    /// The record's score, or None when it does not match. `fields` are the
    /// index's prepared names and titles, `marks` (with the record's place
    /// in the marked run) replace per-record description searches; neither
    /// changes the answer.
    pub(super) fn score(
        &self,
        corpus: &Corpus,
        fields: Option<&Fields>,
        index: usize,
        marks: Option<(&Marks, usize)>,
        s: &mut Scorer,
    ) -> Option<u32> {
        let rec = &corpus.recs[index];
        let view = RecordView { corpus, rec };
        // Lengths in bytes, from the spans: the text itself is read only
        // where nucleo scores it.
        let (name_bytes, title_bytes) = (rec.name_len(), rec.title_len());
        let mut total = 0u32;
        let mut exact = false;
        let ascii = rec.ascii;
        // Marks and byte sets are exact for ASCII records only (elsewhere
        // nucleo's normalization may match `e` to `é`).
        let marks = marks.filter(|_| ascii);
        let prepared = fields.and_then(|f| f.get(index, name_bytes, title_bytes));
        // Name and title are adjacent in the text: one set for both.
        let name_title = match &prepared {
            Some(p) => p.name_set | p.title_set,
            None if ascii => byte_mask(corpus.text(rec.name, rec.desc).as_bytes()),
            None => u64::MAX,
        };
        for (a, p) in self.positive.iter().enumerate() {
            let mut best = p.kind[rec.ids[T_KIND] as usize]
                .max(p.ty[rec.ids[T_TYPE] as usize])
                .max(p.owner[rec.ids[T_OWNER] as usize]);
            for &t in view.tag_ids() {
                best = best.max(p.tag[t as usize]);
            }
            let may_match = p
                .needle
                .as_ref()
                .is_none_or(|n| name_title & n.mask == n.mask);
            if may_match {
                let field = prepared.as_ref().map(|f| (f.name, f.name_set));
                if let Some(v) = Self::field_score(p, || view.name(), ascii, field, s) {
                    best = best.max((u32::from(v) + 1) * W_NAME);
                    let name_len = if ascii {
                        name_bytes
                    } else {
                        view.name().chars().count()
                    };
                    if self.single && p.needle_len == name_len {
                        exact = true;
                    }
                }
                if title_bytes > 0 {
                    let field = prepared.as_ref().map(|f| (f.title, f.title_set));
                    if let Some(v) = Self::field_score(p, || view.title(), ascii, field, s) {
                        best = best.max((u32::from(v) + 1) * W_TITLE);
                    }
                }
            }
            if best == 0 {
                // Fallback: the description, by substring only.
                let desc = p.desc.as_ref()?;
                match marks.and_then(|(m, i)| Some((m.positive[a].as_ref()?, i))) {
                    Some((marked, i)) if marked[i] & IN_DESC == 0 => return None,
                    Some(_) => {}
                    None => {
                        if let (Some(f), Some(n)) = (&prepared, &p.needle) {
                            if f.desc_set & n.mask != n.mask {
                                return None;
                            }
                        }
                    }
                }
                let v = desc.score(hay(ascii, view.description(), &mut s.buf), &mut s.matcher)?;
                best = (u32::from(v) + 1) * W_DESC;
            }
            total += best;
        }
        for (a, n) in self.negative.iter().enumerate() {
            if n.kind[rec.ids[T_KIND] as usize]
                || n.ty[rec.ids[T_TYPE] as usize]
                || n.owner[rec.ids[T_OWNER] as usize]
                || view.tag_ids().iter().any(|&t| n.tag[t as usize])
            {
                return None;
            }
            let mark = marks.and_then(|(m, i)| m.negative[a].as_ref().map(|v| v[i]));
            for (bit, field) in [
                (IN_NAME, view.name()),
                (IN_TITLE, view.title()),
                (IN_DESC, view.description()),
            ] {
                if mark.is_none_or(|m| m & bit != 0)
                    && n.atom
                        .score(hay(ascii, field, &mut s.buf), &mut s.matcher)
                        .is_none()
                {
                    return None;
                }
            }
        }
        Some(total + if exact { EXACT_NAME_BONUS } else { 0 })
    }

    /// Which field gives each positive atom its best score on a record:
    /// for highlighting. Per atom: `Some(true)` the name, `Some(false)`
    /// the title, None another field (or none).
    pub(super) fn best_fields(
        &self,
        corpus: &Corpus,
        index: usize,
        matcher: &mut Matcher,
        buf: &mut Vec<char>,
    ) -> Vec<Option<bool>> {
        let Some(rec) = corpus.recs.get(index) else {
            return Vec::new();
        };
        let view = RecordView { corpus, rec };
        let (name, title) = (view.name(), view.title());
        self.positive
            .iter()
            .map(|p| {
                let mut other = p.kind[rec.ids[T_KIND] as usize]
                    .max(p.ty[rec.ids[T_TYPE] as usize])
                    .max(p.owner[rec.ids[T_OWNER] as usize]);
                for &t in view.tag_ids() {
                    other = other.max(p.tag[t as usize]);
                }
                let mut weighted = |text: &str, weight: u32| {
                    p.atom
                        .score(Utf32Str::new(text, buf), matcher)
                        .map_or(0, |v| (u32::from(v) + 1) * weight)
                };
                let in_name = weighted(name, W_NAME);
                let in_title = if title.is_empty() {
                    0
                } else {
                    weighted(title, W_TITLE)
                };
                if in_name > 0 && in_name >= in_title && in_name >= other {
                    Some(true)
                } else if in_title > 0 && in_title >= other {
                    Some(false)
                } else {
                    None
                }
            })
            .collect()
    }
}

/// From this many entries a table (owners, tags at 1M entities: tens of
/// thousands) is scored on several threads: a keystroke waits for it
/// before any record is ranked.
const PAR_TABLE_MIN: usize = 4096;

/// One atom's weighted score per entry of a table (kind, type, owner,
/// tag; 0 = no match).
fn score_table(corpus: &Corpus, atom: &Atom, table: usize, weight: u32) -> Vec<u32> {
    let len = corpus.tables[table].len();
    let threads = if len >= PAR_TABLE_MIN {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(super::MAX_THREADS))
    } else {
        1
    };
    score_table_with(corpus, atom, table, weight, threads)
}

/// [`score_table`] on `threads` threads (each scores a contiguous range).
fn score_table_with(
    corpus: &Corpus,
    atom: &Atom,
    table: usize,
    weight: u32,
    threads: usize,
) -> Vec<u32> {
    let needle: String = atom
        .needle_text()
        .chars()
        .collect::<String>()
        .to_lowercase();
    let len = corpus.tables[table].len();
    let range = |ids: std::ops::Range<usize>| -> Vec<u32> {
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        ids.map(|id| {
            let s = corpus.vocab(table, id as u32);
            let s = if table == T_OWNER { ref_name(s) } else { s };
            // The word is the whole value (an owner, a tag, a type):
            // as good a match as one in the name.
            let weight = if !atom.negative && lower_equals(s, &needle) {
                weight.max(W_NAME)
            } else {
                weight
            };
            atom.score(Utf32Str::new(s, &mut buf), &mut matcher)
                .map_or(0, |v| (u32::from(v) + 1) * weight)
        })
        .collect()
    };
    let threads = threads.clamp(1, len.max(1));
    if threads == 1 {
        return range(0..len);
    }
    let chunk = len.div_ceil(threads);
    std::thread::scope(|scope| {
        let range = &range;
        let helpers: Vec<_> = (1..threads)
            .map(|t| scope.spawn(move || range(t * chunk..((t + 1) * chunk).min(len))))
            .collect();
        let mut scores = range(0..chunk.min(len));
        for helper in helpers {
            scores.extend(helper.join().expect("a table-scoring thread panicked"));
        }
        scores
    })
}

/// `s.to_lowercase() == lower`, without allocating for ASCII `s`.
#[inline]
fn lower_equals(s: &str, lower: &str) -> bool {
    if s.is_ascii() {
        s.len() == lower.len()
            && s.bytes()
                .zip(lower.bytes())
                .all(|(a, b)| a.to_ascii_lowercase() == b)
    } else {
        s.to_lowercase() == lower
    }
}

/// Ask the CPU to load what scoring record `index` reads first (its
/// name's text, its prepared fields): records are scored in a loop, and
/// loading the next ones' scattered memory while this one is scored hides
/// the cache misses. A hint only: no effect on any answer.
#[inline]
pub(super) fn prefetch(corpus: &Corpus, fields: Option<&Fields>, index: usize) {
    let Some(rec) = corpus.recs.get(index) else {
        return;
    };
    prefetch_read(
        corpus
            .buf
            .as_bytes()
            .get(super::codec::HEADER_LEN + rec.name as usize),
    );
    if let Some(fields) = fields {
        fields.prefetch(index);
    }
}

/// A prefetch hint for the cache line holding `item` (none for None).
#[inline(always)]
pub(super) fn prefetch_read<T>(item: Option<&T>) {
    #[cfg(target_arch = "x86_64")]
    if let Some(item) = item {
        // SAFETY: a prefetch reads nothing into the program and cannot
        // fault; the pointer comes from a live reference.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                (item as *const T).cast::<i8>(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = item;
}

/// A nucleo haystack: ASCII records skip the per-call check and segmentation.
#[inline]
fn hay<'s>(ascii: bool, s: &'s str, buf: &'s mut Vec<char>) -> Utf32Str<'s> {
    if ascii {
        Utf32Str::Ascii(s.as_bytes())
    } else {
        Utf32Str::new(s, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::parse_query;
    use crate::search::test_support::{find, rec, sample, with};

    #[test]
    fn filters_narrow_and_combine() {
        let records = sample();
        assert_eq!(
            find(&records, "kind:api"),
            vec!["ledger-events", "payments"]
        );
        assert_eq!(
            find(&records, "kind:API,group"),
            vec!["ledger-events", "payments", "team-a"]
        );
        assert_eq!(
            find(&records, "kind:api kind:group owner:jdoe"),
            vec!["ledger-events"]
        );
        assert_eq!(
            find(&records, "tag:JAVA"),
            vec!["payments-api", "ledger-events"]
        );
        assert_eq!(
            find(&records, "tag:java kind:component"),
            vec!["payments-api"]
        );
        assert_eq!(
            find(&records, "type:service lifecycle:EXPERIMENTAL"),
            vec!["ledger"]
        );
        assert_eq!(
            find(&records, "system:checkout kind:component"),
            vec!["payments-api"]
        );
        assert_eq!(
            find(&records, "system:system:checkout kind:api"),
            vec!["payments"]
        );
        assert_eq!(
            find(&records, "namespace:Default kind:group"),
            vec!["team-a"]
        );
        assert!(find(&records, "namespace:other").is_empty());
        assert!(find(&records, "kind:nosuchkind").is_empty());
        // Filters narrow before the text is matched.
        assert_eq!(find(&records, "owner:team-b pay"), vec!["ledger"]);
    }

    #[test]
    fn exact_name_beats_other_matches() {
        let records = sample();
        let found = find(&records, "payments");
        // Exact name first, then a name match, then description-only matches.
        assert_eq!(found[..2], ["payments", "payments-api"]);
        assert_eq!(found.len(), 4);
        assert!(found[2..].contains(&"ledger".to_string()));
        assert!(found[2..].contains(&"team-a".to_string()));
    }

    /// A word that is a whole field (the owner here) is as good a match
    /// as a name: it beats a name the letters are merely scattered over
    /// (`t`…`e`…`a`…`m`…`-`…`a` in artist-engagement-portal), and among
    /// equal matches components come before systems.
    #[test]
    fn a_whole_field_equal_to_the_word_beats_a_scattered_name() {
        let records = vec![
            rec("System", "artist-engagement-portal", "group:default/team-a"),
            rec("Component", "artist-lookup", "group:default/team-a"),
            rec("Group", "team-a", ""),
            rec("Component", "other", "group:default/team-ab"),
        ];
        assert_eq!(
            find(&records, "team-a"),
            [
                "team-a",
                "artist-lookup",
                "artist-engagement-portal",
                "other"
            ]
        );
    }

    #[test]
    fn name_match_beats_description_match() {
        let records = vec![
            with(rec("Component", "billing", ""), |r| {
                r.description = "Sends invoices for refund requests.".into()
            }),
            rec("Component", "refund-worker", ""),
        ];
        assert_eq!(find(&records, "refund"), vec!["refund-worker", "billing"]);
    }

    #[test]
    fn descriptions_match_by_substring_only() {
        let records = vec![with(rec("Component", "x", ""), |r| {
            r.description = "provides a way".into()
        })];
        // p..a..y is scattered over the prose: not a match.
        assert!(find(&records, "pay").is_empty());
        assert_eq!(find(&records, "way"), vec!["x"]);
        assert_eq!(find(&records, "'vides"), vec!["x"]);
    }

    #[test]
    fn fuzzy_matches_short_fields_per_field() {
        let records = sample();
        // Abbreviation of the name.
        assert_eq!(find(&records, "pmtapi"), vec!["payments-api"]);
        // Words may match different fields: name and tag, name and owner.
        assert_eq!(find(&records, "ledger kafka"), vec!["ledger-events"]);
        assert_eq!(find(&records, "ledger jdoe"), vec!["ledger-events"]);
        // Kind and type are searchable too.
        assert_eq!(find(&records, "asyncapi"), vec!["ledger-events"]);
        // But one word never spans two fields (`le` in ledger, `go` in the tag).
        assert!(find(&records, "lego").is_empty());
    }

    #[test]
    fn fzf_syntax() {
        let records = sample();
        // 'exact: contiguous only; pmtapi is a fuzzy match but not a substring.
        assert!(find(&records, "'pmtapi").is_empty());
        assert_eq!(find(&records, "'ments-a"), vec!["payments-api"]);
        // !not removes records containing the word in any field.
        assert_eq!(find(&records, "ledger !kafka"), vec!["ledger"]);
        assert_eq!(find(&records, "payments !api"), vec!["ledger", "team-a"]);
        assert_eq!(
            find(&records, "kind:component !refunds"),
            vec!["payments-api"]
        );
        // ^prefix and suffix$ anchor to a field.
        assert_eq!(find(&records, "^ledger"), vec!["ledger", "ledger-events"]);
        assert_eq!(find(&records, "events$"), vec!["ledger-events"]);
        assert_eq!(find(&records, "^ledger$"), vec!["ledger"]);
    }

    #[test]
    fn smart_case() {
        let records = sample();
        assert_eq!(find(&records, "Team A"), vec!["team-a"]);
        assert!(find(&records, "LEDGER").is_empty());
    }

    #[test]
    fn non_ascii_fields() {
        let records = vec![
            with(rec("Component", "zahlungs-dienst", ""), |r| {
                r.title = "Zahlungsdienst für Bestellungen".into();
                r.description = "Überweisungen und Rückbuchungen".into();
            }),
            rec("Component", "café-api", ""),
        ];
        assert_eq!(find(&records, "für"), vec!["zahlungs-dienst"]);
        assert_eq!(find(&records, "rückbuch"), vec!["zahlungs-dienst"]);
        assert_eq!(find(&records, "cafe"), vec!["café-api"]);
    }

    fn plan(corpus: &Corpus, q: &str) -> Plan {
        Plan::new(corpus, &parse_query(q))
    }

    /// Large tables are scored on several threads: the same scores, in
    /// the same order, as on one; the whole-value check without
    /// allocating equals the lower-cased comparison.
    #[test]
    fn tables_scored_on_threads_equal_one_thread() {
        let records: Vec<_> = (0..700)
            .map(|i| {
                with(
                    rec(
                        ["Component", "API", "System"][i % 3],
                        &format!("svc-{i}"),
                        &format!("group:default/Team-{}", i % 350),
                    ),
                    |r| {
                        r.tags = vec![format!("t{}", i % 97), format!("Tëam-{}", i % 5)];
                        r.spec_type = format!("type-{}", i % 11);
                    },
                )
            })
            .collect();
        let corpus = Corpus::new(&records);
        assert!(corpus.tables[T_OWNER].len() >= 350);
        for q in [
            "team-1", "te", "^team-3", "'am-2", "4$", "Team", "tëam-1", "!team-9", "t9",
        ] {
            let pattern = Pattern::parse(q, CaseMatching::Smart, Normalization::Smart);
            for atom in &pattern.atoms {
                for table in [T_KIND, T_TYPE, T_OWNER, T_TAG] {
                    let one = score_table_with(&corpus, atom, table, W_FIELD, 1);
                    assert_eq!(one.len(), corpus.tables[table].len());
                    for threads in [2, 3, 8] {
                        let got = score_table_with(&corpus, atom, table, W_FIELD, threads);
                        assert_eq!(got, one, "{q:?} table {table}, {threads} threads");
                    }
                }
            }
        }
        for (s, lower) in [
            ("Team-A", "team-a"),
            ("team-a", "team-a"),
            ("Team-A", "team-b"),
            ("Team", "team-a"),
            ("TËAM", "tëam"),
            ("Tëam", "tëam"),
            ("x", "é"),
            ("", ""),
        ] {
            assert_eq!(
                lower_equals(s, lower),
                s.to_lowercase() == lower,
                "{s} {lower}"
            );
        }
    }

    #[test]
    fn a_longer_text_with_the_same_filters_narrows() {
        let corpus = Corpus::new(&sample());
        let narrows = |q: &str, prev: &str| plan(&corpus, q).narrows(&plan(&corpus, prev));
        assert!(narrows("pa", "p"));
        assert!(narrows("pay x", "pay"));
        assert!(narrows("kind:api pay", "kind:api pa"));
        assert!(narrows("^pay", "^pa"));
        // Not from no text, other filters, another text, a negation, or
        // a text whose last character changes meaning when extended.
        assert!(!narrows("p", ""));
        assert!(!narrows("kind:api pay", "pa"));
        assert!(!narrows("pay", "pax"));
        assert!(!narrows("pay !x", "pay"));
        assert!(!narrows("pay$x", "pay$"));
        assert!(!narrows(r"pay\ x", r"pay\"));
    }
}
