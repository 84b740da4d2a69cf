//! Byte-level needles for ASCII text: where a word occurs in a run of
//! records (one vectorised scan of their text instead of a nucleo call per
//! record), and 64-bit byte sets that reject a field without reading it.

use nucleo_matcher::pattern::Atom;
use nucleo_matcher::Utf32Str;

use super::codec::HEADER_LEN;
use super::corpus::Rec;
use super::Corpus;

/// Bits of [`Needle::mark`]: in which of a record's own strings a needle occurs.
pub(super) const IN_NAME: u8 = 1;
pub(super) const IN_TITLE: u8 = 2;
pub(super) const IN_DESC: u8 = 4;

/// An ASCII needle, for the byte-level fast paths that apply when the corpus
/// text is all ASCII (then nucleo's normalization has nothing to do and its
/// case folding is ASCII folding; Smart case = ignore case unless the
/// needle has an upper-case letter).
pub(super) struct Needle {
    pub(super) bytes: Box<[u8]>,
    pub(super) ignore_case: bool,
    /// Indices of the two rarest bytes (equal for one-byte needles): a
    /// candidate position must have both.
    pub(super) anchor: usize,
    pub(super) second: usize,
    /// [`byte_mask`] of the needle.
    pub(super) mask: u64,
}

impl Needle {
    pub(super) fn of(atom: &Atom) -> Option<Needle> {
        let Utf32Str::Ascii(bytes) = atom.needle_text() else {
            return None;
        };
        if bytes.is_empty() {
            return None;
        }
        let anchor = (0..bytes.len()).max_by_key(|&i| rarity(bytes[i]))?;
        let second = (0..bytes.len())
            .filter(|&i| i != anchor)
            .max_by_key(|&i| rarity(bytes[i]))
            .unwrap_or(anchor);
        Some(Needle {
            bytes: bytes.into(),
            ignore_case: !bytes.iter().any(u8::is_ascii_uppercase),
            anchor: anchor.min(second),
            second: anchor.max(second),
            mask: byte_mask(bytes),
        })
    }

    #[inline]
    pub(super) fn fold(&self, c: u8) -> u8 {
        if self.ignore_case {
            c.to_ascii_lowercase()
        } else {
            c
        }
    }

    /// Call `f` with every start offset of the needle (as a substring) in
    /// `text`, in increasing order.
    pub(super) fn for_each_occurrence(&self, text: &[u8], mut f: impl FnMut(usize)) {
        let len = self.bytes.len();
        if text.len() < len {
            return;
        }
        let both = |c: u8| {
            if self.ignore_case {
                (c, c.to_ascii_uppercase())
            } else {
                (c, c)
            }
        };
        let (a1, a2) = both(self.bytes[self.anchor]);
        let (b1, b2) = both(self.bytes[self.second]);
        let starts = text.len() - len + 1;
        let mut check = |start: usize| {
            let window = &text[start..start + len];
            if window
                .iter()
                .zip(self.bytes.iter())
                .all(|(&c, &n)| self.fold(c) == n)
            {
                f(start);
            }
        };
        // Candidate starts have the anchor byte at `anchor` and the second
        // byte at `second`. Per 32-byte block, first an OR-reduction (which
        // the compiler vectorises well), and only for blocks with a
        // candidate the positions.
        const W: usize = 32;
        let hit = |x: u8, y: u8| ((x == a1) | (x == a2)) & ((y == b1) | (y == b2));
        let mut base = 0;
        while base + W <= starts {
            let (Ok(x), Ok(y)) = (
                <&[u8; W]>::try_from(&text[base + self.anchor..base + self.anchor + W]),
                <&[u8; W]>::try_from(&text[base + self.second..base + self.second + W]),
            ) else {
                break;
            };
            let mut any = 0u8;
            for j in 0..W {
                any |= u8::from(hit(x[j], y[j]));
            }
            if any != 0 {
                for j in 0..W {
                    if hit(x[j], y[j]) {
                        check(base + j);
                    }
                }
            }
            base += W;
        }
        for start in base..starts {
            check(start);
        }
    }

    /// For each record of a contiguous run, which of its own strings (name,
    /// title, description) contain the needle: one pass over their text.
    pub(super) fn mark(&self, corpus: &Corpus, recs: &[Rec]) -> Vec<u8> {
        let mut marks = vec![0u8; recs.len()];
        let (Some(first), Some(last)) = (recs.first(), recs.last()) else {
            return marks;
        };
        let base = first.name as usize;
        let text = &corpus.buf.as_bytes()[HEADER_LEN + base..HEADER_LEN + last.end as usize];
        let len = self.bytes.len() as u32;
        let mut r = 0;
        self.for_each_occurrence(text, |start| {
            let p = (base + start) as u32;
            while r < recs.len() && recs[r].end <= p {
                r += 1;
            }
            let Some(rec) = recs.get(r) else {
                return;
            };
            let q = p + len;
            let within = |from: u32, to: u32| p >= from && q <= to;
            if within(rec.name, rec.title) {
                marks[r] |= IN_NAME;
            } else if within(rec.title, rec.desc) {
                marks[r] |= IN_TITLE;
            } else if within(rec.desc, rec.refo) {
                marks[r] |= IN_DESC;
            }
        });
        marks
    }
}

/// A 64-bit set of the (ASCII case-folded) bytes in `bytes`: if a needle's
/// mask is not a subset of a string's, no part of the string can match it.
/// A table lookup per byte costs far less than a nucleo call.
#[inline]
pub(super) fn byte_mask(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |m, &b| m | BYTE_BITS[b as usize])
}

/// Letters (either case) get bits 0-25, digits 26-35, other bytes share the rest.
static BYTE_BITS: [u64; 256] = {
    let mut bits = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let b = (i as u8).to_ascii_lowercase();
        let bit = if b.is_ascii_lowercase() {
            b - b'a'
        } else if b.is_ascii_digit() {
            26 + (b - b'0')
        } else {
            36 + b % 28
        };
        bits[i] = 1 << bit;
        i += 1;
    }
    bits
};

/// How rare a byte is in catalog text (higher = rarer): the anchor to scan for.
fn rarity(b: u8) -> u8 {
    const BY_FREQUENCY: &[u8] = b"etaoinsrhldcumpfgywbvkxjqz";
    match b.to_ascii_lowercase() {
        b' ' | b'-' => 0,
        c if c.is_ascii_lowercase() => {
            1 + BY_FREQUENCY.iter().position(|&x| x == c).unwrap_or(0) as u8
        }
        c if c.is_ascii_digit() => 20,
        _ => 30,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nucleo_matcher::pattern::{CaseMatching, Normalization};

    #[test]
    fn needle_scanning() {
        let atom = |s: &str| Atom::parse(s, CaseMatching::Smart, Normalization::Smart);
        let n = Needle::of(&atom("pay")).unwrap();
        assert!(n.ignore_case);
        assert_eq!((n.bytes[n.anchor], n.bytes[n.second]), (b'p', b'y'));
        let m = byte_mask(b"xPxAxY");
        assert_eq!(m & n.mask, n.mask);
        assert_ne!(byte_mask(b"pa") & n.mask, n.mask);
        let text = b"pay PAY pa y xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxpay";
        let mut found = Vec::new();
        n.for_each_occurrence(text, |i| found.push(i));
        assert_eq!(found, vec![0, 4, text.len() - 3]);
        let n = Needle::of(&atom("Pay")).unwrap();
        assert!(!n.ignore_case);
        let mut found = Vec::new();
        n.for_each_occurrence(b"pay Pay PAY", |i| found.push(i));
        assert_eq!(found, vec![4]);
        assert!(Needle::of(&atom("für")).is_none());
        // Occurrences across block boundaries and in the tail, one-byte needles.
        let hay: Vec<u8> = (0..200u32)
            .map(|i| if i % 31 == 0 { b'q' } else { b'.' })
            .collect();
        for q in ["q", "q.", ".q", "q..", "..q"] {
            let n = Needle::of(&atom(q)).unwrap();
            let mut found = Vec::new();
            n.for_each_occurrence(&hay, |i| found.push(i));
            let expected: Vec<usize> = (0..=hay.len() - q.len())
                .filter(|&i| &hay[i..i + q.len()] == q.as_bytes())
                .collect();
            assert_eq!(found, expected, "{q}");
        }
    }
}
