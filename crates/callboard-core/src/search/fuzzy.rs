//! nucleo's fuzzy score, computed faster for ASCII haystacks prepared once.
//!
//! The catalog list scores every record on every keystroke. nucleo's
//! `Matcher::fuzzy_match` spends most of a short query re-classifying and
//! lower-casing each haystack and filling its score matrix: about 270 ns a
//! record, 27 ms over 100k records for `te` on the 2-core machine. Here the
//! haystack is lower-cased and its per-position bonuses are computed once,
//! when the list is built, and the score is the same recurrence run one
//! row at a time over a small scratch buffer: 9–10 ms for the same 100k.
//! [`char_set`] rejects most non-matches without reading the haystack.
//!
//! The numbers are nucleo's own (nucleo-matcher 0.3, pinned by
//! `Cargo.lock`), not an approximation: the same constants, the same
//! prefilter (first occurrence of the first needle character, greedy
//! chain, last occurrence of the last one), the same cell recurrence.
//! Unit tests compare the two over random haystacks and needles and over
//! every fixture name, and the picker's test compares whole rankings; any
//! case this module does not cover ([`Fast::Delegate`]) is left to nucleo.

/// nucleo-matcher 0.3's scoring constants (`score.rs`).
const SCORE_MATCH: u16 = 16;
const PENALTY_GAP_START: u16 = 3;
const PENALTY_GAP_EXTENSION: u16 = 1;
const BONUS_BOUNDARY: u16 = SCORE_MATCH / 2;
const BONUS_CAMEL123: u16 = BONUS_BOUNDARY - PENALTY_GAP_START;
const BONUS_NON_WORD: u16 = BONUS_BOUNDARY;
const BONUS_CONSECUTIVE: u16 = PENALTY_GAP_START + PENALTY_GAP_EXTENSION;
const BONUS_FIRST_CHAR_MULTIPLIER: u16 = 2;
/// `Config::DEFAULT`: whitespace and delimiter boundaries score a little
/// more than other word starts; the text starts as if after a space.
const BONUS_BOUNDARY_WHITE: u16 = BONUS_BOUNDARY + 2;
const BONUS_BOUNDARY_DELIMITER: u16 = BONUS_BOUNDARY + 1;
const DELIMITERS: &[u8] = b"/,:;|";

/// The longest haystack region and needle scored here; nucleo's own
/// matrix holds more (it falls back to greedy matching only beyond
/// 100 KiB of cells), so everything within these is nucleo's optimal path.
const MAX_REGION: usize = 1024;
const MAX_NEEDLE: usize = 32;

/// nucleo's character classes, in its order (the order is used: classes
/// above `Delimiter` are word characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Whitespace,
    NonWord,
    Delimiter,
    Lower,
    Upper,
    Number,
}

fn class_of(c: u8) -> Class {
    if c.is_ascii_lowercase() {
        Class::Lower
    } else if c.is_ascii_uppercase() {
        Class::Upper
    } else if c.is_ascii_digit() {
        Class::Number
    } else if c.is_ascii_whitespace() {
        Class::Whitespace
    } else if DELIMITERS.contains(&c) {
        Class::Delimiter
    } else {
        Class::NonWord
    }
}

fn bonus_for(prev: Class, class: Class) -> u16 {
    if class > Class::Delimiter {
        match prev {
            Class::Whitespace => return BONUS_BOUNDARY_WHITE,
            Class::Delimiter => return BONUS_BOUNDARY_DELIMITER,
            Class::NonWord => return BONUS_BOUNDARY,
            _ => {}
        }
    }
    if prev == Class::Lower && class == Class::Upper
        || prev != Class::Number && class == Class::Number
    {
        BONUS_CAMEL123
    } else if class == Class::Whitespace {
        BONUS_BOUNDARY_WHITE
    } else if class == Class::NonWord {
        BONUS_NON_WORD
    } else {
        0
    }
}

/// Append `haystack` (ASCII) to `out` as [`score`] reads it: the
/// lower-cased text, then one bonus byte per character. One contiguous
/// slice a haystack, because the list scores them in a scattered order
/// once a query narrows, and every separate array is another cache miss.
pub fn prepare(haystack: &[u8], out: &mut Vec<u8>) {
    debug_assert!(haystack.is_ascii());
    out.extend(haystack.iter().map(u8::to_ascii_lowercase));
    let mut prev = Class::Whitespace;
    for &c in haystack {
        let class = class_of(c);
        out.push(bonus_for(prev, class) as u8);
        prev = class;
    }
}

/// Which characters occur in an ASCII text, ignoring case, as a bit set
/// (letters and digits one bit each, the rest shared): a needle whose
/// characters are not all in a haystack's set cannot match it, which
/// rejects most records without reading them.
pub fn char_set(text: &[u8]) -> u64 {
    text.iter().fold(0, |set, &c| set | char_bit(c))
}

#[inline]
fn char_bit(c: u8) -> u64 {
    let c = c.to_ascii_lowercase();
    let bit = match c {
        b'a'..=b'z' => c - b'a',
        b'0'..=b'9' => 26 + (c - b'0'),
        _ => 36 + c % 28,
    };
    1 << bit
}

/// Whether [`score`] can score this needle: ASCII, not empty, no upper
/// case (nucleo's smart case then ignores case).
pub fn fast_needle(needle: &[u8]) -> bool {
    (1..=MAX_NEEDLE).contains(&needle.len())
        && needle.is_ascii()
        && !needle.iter().any(u8::is_ascii_uppercase)
}

/// The answer of [`score`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fast {
    /// nucleo's score (None: no match).
    Score(Option<u16>),
    /// A case nucleo handles by another path: ask it.
    Delegate,
}

/// Reusable cells for [`score`] (one per thread): no allocation and no
/// clearing beyond the region a haystack needs.
#[derive(Debug, Default)]
pub struct Scratch {
    cell_score: Vec<u16>,
    cell_bonus: Vec<u8>,
}

/// nucleo's `fuzzy_match` score of a [`fast_needle`] against a haystack
/// [`prepare`]d.
pub fn score(scratch: &mut Scratch, prepared: &[u8], needle: &[u8]) -> Fast {
    let (lower, bonus) = prepared.split_at(prepared.len() / 2);
    let (m, len) = (needle.len(), lower.len());
    if m > len {
        return Fast::Score(None);
    }
    if m == len {
        // nucleo compares whole strings here (exact match).
        return Fast::Delegate;
    }
    if m == 1 {
        return Fast::Score(
            best_bonus(lower, bonus, needle[0])
                .map(|b| b as u16 * BONUS_FIRST_CHAR_MULTIPLIER + SCORE_MATCH),
        );
    }
    // The prefilter: where the first character first occurs (leaving room
    // for the rest), then the greedy chain: each row's first column.
    let Some(start) = lower[..len - m + 1].iter().position(|&c| c == needle[0]) else {
        return Fast::Score(None);
    };
    let mut first_col = [0u16; MAX_NEEDLE];
    let mut at = start + 1;
    for (k, &c) in needle.iter().enumerate().skip(1) {
        let Some(i) = lower[at..].iter().position(|&h| h == c) else {
            return Fast::Score(None);
        };
        first_col[k] = (at + i - start) as u16;
        at += i + 1;
    }
    let greedy_end = at;
    let end = greedy_end
        + lower[greedy_end..]
            .iter()
            .rposition(|&h| h == needle[m - 1])
            .map_or(0, |i| i + 1);
    let region = end - start;
    if region == m {
        // One contiguous match: nucleo scores it by another function.
        return Fast::Delegate;
    }
    if region > MAX_REGION {
        return Fast::Delegate;
    }
    let hay = &lower[start..end];
    let bonus = &bonus[start..end];
    let cols = |k: usize| first_col[k] as usize;

    // Row by row: each pass reads the cells of needle character k (the
    // best score of the needle so far ending at each column, 0 for none,
    // and the consecutive bonus it carries) and writes those of k + 1 in
    // place. Row 0 is computed on the fly; the last row is only maximised.
    let Scratch {
        cell_score,
        cell_bonus,
    } = scratch;
    if m > 2 {
        cell_score.clear();
        cell_score.resize(region, 0);
        cell_bonus.clear();
        cell_bonus.resize(region, 0);
    }
    let mut best = 0u16;
    for k in 0..m - 1 {
        let rows = Rows {
            hay,
            bonus,
            this_char: needle[k],
            next_char: needle[k + 1],
            from: cols(k),
            next_from: cols(k + 1),
        };
        best = match (k == 0, k == m - 2) {
            (true, true) => rows.pass::<true, true>(cell_score, cell_bonus),
            (true, false) => rows.pass::<true, false>(cell_score, cell_bonus),
            (false, true) => rows.pass::<false, true>(cell_score, cell_bonus),
            (false, false) => rows.pass::<false, false>(cell_score, cell_bonus),
        };
    }
    Fast::Score((best > 0).then_some(best))
}

/// A one-character needle's score is its best-placed occurrence: the
/// largest bonus where `c` occurs in `lower`, None when it does not occur.
/// Branch-free (bonus + 1, or 0, maximised), so the compiler vectorises it:
/// every first keystroke runs it over every name and title.
#[inline]
fn best_bonus(lower: &[u8], bonus: &[u8], c: u8) -> Option<u8> {
    let best = lower.iter().zip(bonus).fold(0u8, |best, (&h, &b)| {
        best.max(if h == c { b + 1 } else { 0 })
    });
    best.checked_sub(1)
}

/// One pass of the recurrence: from the cells of needle character `k`
/// (`this_char`, first possible at column `from`) to those of `k + 1`.
struct Rows<'a> {
    hay: &'a [u8],
    bonus: &'a [u8],
    this_char: u8,
    next_char: u8,
    from: usize,
    next_from: usize,
}

impl Rows<'_> {
    /// `FIRST`: row `k` is needle character 0, computed on the fly rather
    /// than read. `LAST`: row `k + 1` is the last: only its best score is
    /// kept (returned; 0 otherwise).
    #[inline(always)]
    fn pass<const FIRST: bool, const LAST: bool>(
        &self,
        cell_score: &mut [u16],
        cell_bonus: &mut [u8],
    ) -> u16 {
        let (hay, bonus) = (self.hay, self.bonus);
        let row_cell = |j: usize, cell_score: &[u16], cell_bonus: &[u8]| -> (u16, u8) {
            if FIRST {
                if hay[j] == self.this_char {
                    (
                        bonus[j] as u16 * BONUS_FIRST_CHAR_MULTIPLIER + SCORE_MATCH,
                        bonus[j],
                    )
                } else {
                    (0, 0)
                }
            } else {
                (cell_score[j], cell_bonus[j])
            }
        };
        // The gap score: the best score of the row so far, less the gap
        // penalties since it ended.
        let mut gap = 0u16;
        let mut prev_score = 0u16;
        let step = |gap: u16, prev_score: u16| {
            prev_score
                .saturating_sub(PENALTY_GAP_START)
                .max(gap.saturating_sub(PENALTY_GAP_EXTENSION))
        };
        // Columns before the next character can first occur only carry
        // the gap forward.
        for j in self.from..self.next_from - 1 {
            gap = step(gap, prev_score);
            prev_score = row_cell(j, cell_score, cell_bonus).0;
        }
        let mut best = 0u16;
        let mut carried = row_cell(self.next_from - 1, cell_score, cell_bonus);
        for j in self.next_from - 1..hay.len() - 1 {
            gap = step(gap, prev_score);
            let (m_score, m_bonus) = carried;
            carried = row_cell(j + 1, cell_score, cell_bonus);
            let (s, cb) = if hay[j + 1] == self.next_char {
                next_cell(gap, bonus[j + 1] as u16, m_score, m_bonus)
            } else {
                (0, 0)
            };
            if LAST {
                best = best.max(s);
            } else {
                cell_score[j + 1] = s;
                cell_bonus[j + 1] = cb;
            }
            prev_score = m_score;
        }
        best
    }
}

/// The cell for a needle character matched with `bonus` after a cell of
/// the previous character (`m_score` 0: none on the diagonal) or a gap.
#[inline]
fn next_cell(gap: u16, bonus: u16, m_score: u16, m_bonus: u8) -> (u16, u8) {
    if m_score == 0 {
        return (gap + bonus + SCORE_MATCH, bonus as u8);
    }
    let mut consecutive = (m_bonus as u16).max(BONUS_CONSECUTIVE);
    if bonus >= BONUS_BOUNDARY && bonus > consecutive {
        consecutive = bonus;
    }
    let on_match = m_score + consecutive.max(bonus);
    let on_skip = gap + bonus;
    if on_match > on_skip {
        (on_match + SCORE_MATCH, consecutive as u8)
    } else {
        (on_skip + SCORE_MATCH, bonus as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nucleo_matcher::{Config, Matcher, Utf32Str};
    use proptest::prelude::*;

    fn nucleo_score(haystack: &str, needle: &str) -> Option<u16> {
        let mut matcher = Matcher::new(Config::DEFAULT);
        matcher.fuzzy_match(
            Utf32Str::Ascii(haystack.as_bytes()),
            Utf32Str::Ascii(needle.as_bytes()),
        )
    }

    /// Ours where we answer, nucleo's where we delegate.
    fn ours(haystack: &str, needle: &str) -> (Option<u16>, bool) {
        let mut prepared = Vec::new();
        prepare(haystack.as_bytes(), &mut prepared);
        match score(&mut Scratch::default(), &prepared, needle.as_bytes()) {
            Fast::Score(s) => (s, false),
            Fast::Delegate => (nucleo_score(haystack, needle), true),
        }
    }

    fn check(haystack: &str, needle: &str) -> bool {
        assert!(fast_needle(needle.as_bytes()), "{needle:?}");
        let (got, delegated) = ours(haystack, needle);
        assert_eq!(
            got,
            nucleo_score(haystack, needle),
            "{needle:?} in {haystack:?}"
        );
        delegated
    }

    #[test]
    fn same_scores_as_nucleo_on_hand_picked_cases() {
        let cases = [
            ("payments-service", "pay"),
            (
                "payments-forecast-gateway-9123 Payments Forecast Gateway",
                "te",
            ),
            ("team-platform", "te"),
            ("ticket-issuer", "te"),
            ("booking-api Booking API", "api"),
            ("fooBarBaz", "fbb"),
            ("a/b:c;d|e,f", "bd"),
            ("svc-auth-2 Auth Service", "svca"),
            ("x1y22z333", "123"),
            ("  lead spaces", "ls"),
            ("abc", "ac"),
            ("aaaaaaaaab", "ab"),
            ("abababababab", "bab"),
            ("te", "te"),
            ("ab", "abc"),
            ("zzz", "qq"),
            ("fooBar", "b"),
            ("x-y z", "z"),
            ("aXa", "x"),
        ];
        for (h, n) in cases {
            check(h, n);
        }
    }

    #[test]
    fn char_sets_never_reject_a_match() {
        for (h, n) in [
            ("Payments-API", "pa-i"),
            ("x_y.z", "_."),
            ("AbC9", "c9"),
            ("a", "b"),
        ] {
            let (hs, ns) = (char_set(h.as_bytes()), char_set(n.as_bytes()));
            let could = hs & ns == ns;
            assert!(could || nucleo_score(h, n).is_none(), "{n} in {h}");
        }
        assert_ne!(char_set(b"a") & char_set(b"b"), char_set(b"b"));
    }

    #[test]
    fn delegates_only_the_cases_nucleo_scores_by_another_path() {
        assert!(check("te", "te"), "whole-string match");
        assert!(check("xtey", "te"), "one contiguous match");
        assert!(!check("xteyte", "te"));
        assert!(!check("t-e", "te"));
    }

    /// Every YAML file at or under `path` (the catalog loader lives in
    /// callboard-io; names are all this test needs).
    fn yaml_files(path: &std::path::Path) -> Vec<String> {
        if path.is_file() {
            return vec![std::fs::read_to_string(path).unwrap()];
        }
        let mut out = Vec::new();
        for entry in std::fs::read_dir(path).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() || p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.extend(yaml_files(&p));
            }
        }
        out
    }

    #[test]
    fn same_scores_as_nucleo_on_every_fixture_and_demo_name() {
        let mut haystacks = Vec::new();
        for root in [
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/fixtures/backstage-examples"
            ),
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/demo"),
        ] {
            for text in yaml_files(std::path::Path::new(root)) {
                for doc in serde_norway::Deserializer::from_str(&text) {
                    // A syntax error ends the file (the loader's business, not this test's).
                    let Ok(doc) = <serde_json::Value as serde::Deserialize>::deserialize(doc)
                    else {
                        break;
                    };
                    let field = |k: &str| doc.pointer(k).and_then(|v| v.as_str()).unwrap_or("");
                    let (name, title) = (field("/metadata/name"), field("/metadata/title"));
                    if !name.is_empty() {
                        haystacks.push(format!("{name} {title}").trim().to_string());
                    }
                }
            }
        }
        assert!(haystacks.len() > 50, "{} names", haystacks.len());
        let needles = [
            "t", "e", "-", "1", "te", "ap", "se", "pay", "api", "svc", "ex", "ar", "mp", "le",
            "doc", "ws", "-s", "o1",
        ];
        let mut scored = 0;
        for h in haystacks.iter().filter(|h| h.is_ascii()) {
            for n in needles {
                if !check(h, n) {
                    scored += 1;
                }
            }
        }
        assert!(scored > 200, "only {scored} pairs took the fast path");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn same_scores_as_nucleo_on_random_text(
            haystack in "[a-cA-C0-2 _/:.-]{0,40}",
            needle in "[a-c0-2_/:.-]{1,5}",
        ) {
            check(&haystack, &needle);
        }

        /// The first keystroke's path: one character, any case and any
        /// class of neighbour in the haystack.
        #[test]
        fn same_single_character_scores_as_nucleo(
            haystack in "[a-dA-D0-3 _/:;|,.#-]{0,48}",
            needle in "[a-d0-3 _/:;|,.#-]",
        ) {
            check(&haystack, &needle);
        }

        #[test]
        fn a_needle_outside_the_char_set_never_matches(
            haystack in "[a-zA-Z0-9 _/:.-]{0,30}",
            needle in "[a-z0-9_/:.-]{1,4}",
        ) {
            let (hs, ns) = (char_set(haystack.as_bytes()), char_set(needle.as_bytes()));
            if hs & ns != ns {
                prop_assert!(nucleo_score(&haystack, &needle).is_none());
            }
        }

        #[test]
        fn same_scores_as_nucleo_on_name_like_text(
            words in proptest::collection::vec("[a-z]{1,8}", 1..6),
            digits in "[0-9]{0,4}",
            needle in "[a-z]{1,4}",
        ) {
            let name = words.join("-");
            let title: Vec<String> = words
                .iter()
                .map(|w| w[..1].to_uppercase() + &w[1..])
                .collect();
            check(&format!("{name}-{digits} {}", title.join(" ")), &needle);
        }
    }
}
