//! The binary form of a [`Corpus`] as the cache stores it, and reading it
//! back without a `String` per field.

use std::cmp::Ordering;
use std::mem::MaybeUninit;

use super::corpus::{offset, Rec, Span, TABLES, T_TAG};
use super::text::{CorpusText, SharedBytes};
use super::{Corpus, RecordView, SearchRecord, PAR_MIN_RECORDS};

/// Why a stored corpus could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorpusError {
    #[error("not a callboard search corpus (bad magic)")]
    BadMagic,
    #[error("search corpus version {0} is not supported (expected {CORPUS_VERSION})")]
    UnsupportedVersion(u32),
    #[error("search corpus is truncated")]
    Truncated,
    #[error("search corpus is corrupt: {0}")]
    Corrupt(&'static str),
    #[error("search corpus fails its check")]
    Unverified,
}

/// Magic bytes at the start of an encoded corpus.
pub const CORPUS_MAGIC: &[u8; 8] = b"CBSEARCH";
/// Bumped whenever the layout changes; older caches are simply rebuilt.
pub const CORPUS_VERSION: u32 = 1;
/// Magic + four 8-digit hex numbers (version, records, text bytes, meta bytes).
pub(super) const HEADER_LEN: usize = 8 + 4 * 8;

impl Corpus {
    /// The binary form: an ASCII header (`CBSEARCH`, then version, record
    /// count, text length and meta length as 8 hex digits each), the UTF-8
    /// text, then the meta section of LEB128 varints: for each table its
    /// string count and lengths; for each record the lengths of name, title,
    /// description, `ref_len + 1` (0 = derived ref), six table ids, the tag
    /// count and tag ids.
    pub fn encode(&self) -> Vec<u8> {
        let text = &self.buf.as_bytes()[HEADER_LEN..];
        let mut meta = Vec::with_capacity(self.recs.len() * 16 + 64);
        for table in &self.tables {
            put_varint(&mut meta, offset(table.len()));
            for span in table {
                put_varint(&mut meta, span.end - span.start);
            }
        }
        for (i, rec) in self.recs.iter().enumerate() {
            put_varint(&mut meta, rec.title - rec.name);
            put_varint(&mut meta, rec.desc - rec.title);
            put_varint(&mut meta, rec.refo - rec.desc);
            put_varint(
                &mut meta,
                if rec.ref_explicit {
                    rec.end - rec.refo + 1
                } else {
                    0
                },
            );
            for id in rec.ids {
                put_varint(&mut meta, id);
            }
            let tags = RecordView { corpus: self, rec }.tag_ids();
            put_varint(&mut meta, offset(tags.len()));
            for &t in tags {
                put_varint(&mut meta, t);
            }
            debug_assert!(i == 0 || rec.name == self.recs[i - 1].end);
        }
        let mut out = Vec::with_capacity(HEADER_LEN + text.len() + meta.len());
        out.extend_from_slice(CORPUS_MAGIC);
        for n in [
            CORPUS_VERSION,
            offset(self.recs.len()),
            offset(text.len()),
            offset(meta.len()),
        ] {
            out.extend_from_slice(format!("{n:08x}").as_bytes());
        }
        out.extend_from_slice(text);
        out.extend_from_slice(&meta);
        out
    }

    /// Read an encoded corpus, taking ownership so that the text is used in
    /// place. Never panics: truncated or corrupt input is an error.
    pub fn decode(bytes: Vec<u8>) -> Result<Corpus, CorpusError> {
        Self::decode_verified(bytes, |_| true)
    }

    /// [`Corpus::decode`] of bytes `verify` must approve (a checksum):
    /// `false` is [`CorpusError::Unverified`], whatever else is wrong with
    /// them. A large corpus is verified while its meta section is parsed on
    /// another thread (a small one, or one whose header is wrong, first).
    pub fn decode_verified(
        mut bytes: Vec<u8>,
        verify: impl FnOnce(&[u8]) -> bool,
    ) -> Result<Corpus, CorpusError> {
        let parts = Decoded::parse(&bytes, verify)?;
        // The text becomes the corpus buffer in place.
        bytes.truncate(parts.text_end);
        // SAFETY: `Decoded::parse` checked these bytes are UTF-8.
        let buf = unsafe { String::from_utf8_unchecked(bytes) };
        Ok(parts.into_corpus(buf.into()))
    }

    /// [`Corpus::decode_verified`] of bytes owned elsewhere (a file
    /// mapping): the corpus searches them where they lie, and keeps them
    /// alive as long as any clone of it.
    pub fn decode_shared(
        bytes: SharedBytes,
        verify: impl FnOnce(&[u8]) -> bool,
    ) -> Result<Corpus, CorpusError> {
        let parts = Decoded::parse((*bytes).as_ref(), verify)?;
        // SAFETY: `Decoded::parse` checked the text is UTF-8; shared bytes
        // are immutable (`SharedBytes`).
        let text = unsafe { CorpusText::shared_unchecked(bytes, parts.text_end) };
        Ok(parts.into_corpus(text))
    }
}

/// A decoded corpus but its text: where the text ends, and its layout.
struct Decoded {
    text_end: usize,
    ascii: bool,
    layout: Layout,
}

impl Decoded {
    fn parse(bytes: &[u8], verify: impl FnOnce(&[u8]) -> bool) -> Result<Decoded, CorpusError> {
        let mut verify = Some(verify);
        if !header_says_large(bytes) && !verify.take().is_some_and(|v| v(bytes)) {
            return Err(CorpusError::Unverified);
        }
        if bytes.len() < HEADER_LEN {
            let n = bytes.len().min(CORPUS_MAGIC.len());
            return Err(if bytes[..n] == CORPUS_MAGIC[..n] {
                CorpusError::Truncated
            } else {
                CorpusError::BadMagic
            });
        }
        if &bytes[..8] != CORPUS_MAGIC {
            return Err(CorpusError::BadMagic);
        }
        let hex = |i: usize| -> Result<u32, CorpusError> {
            let field = &bytes[8 + i * 8..16 + i * 8];
            std::str::from_utf8(field)
                .ok()
                .and_then(|s| u32::from_str_radix(s, 16).ok())
                .ok_or(CorpusError::Corrupt("header"))
        };
        let version = hex(0)?;
        if version != CORPUS_VERSION {
            return Err(CorpusError::UnsupportedVersion(version));
        }
        let count = hex(1)? as usize;
        let text_len = hex(2)? as usize;
        let meta_len = hex(3)? as usize;
        let text_end = HEADER_LEN + text_len;
        let total = text_end + meta_len;
        match bytes.len().cmp(&total) {
            Ordering::Less => return Err(CorpusError::Truncated),
            Ordering::Greater => return Err(CorpusError::Corrupt("trailing bytes")),
            Ordering::Equal => {}
        }
        // The meta section is parsed where it lies. Large corpora parse the
        // meta on a second thread while this one validates the text: ASCII
        // (the common case) in one pass, else UTF-8.
        let whole = bytes;
        let (text, meta) = bytes.split_at(text_end);
        let validate = || -> Result<bool, CorpusError> {
            if text.is_ascii() {
                return Ok(true);
            }
            std::str::from_utf8(text).map_err(|_| CorpusError::Corrupt("invalid UTF-8"))?;
            Ok(false)
        };
        let (ascii, mut layout) = if count >= PAR_MIN_RECORDS {
            std::thread::scope(|s| {
                let parser = s.spawn(|| Layout::parse(meta, count, text_len, true));
                let ascii = validate();
                let verified = verify.take().is_none_or(|v| v(whole));
                let layout = parser.join().expect("corpus parser panicked");
                if !verified {
                    return Err(CorpusError::Unverified);
                }
                Ok::<_, CorpusError>((ascii?, layout?))
            })?
        } else {
            let layout = Layout::parse(meta, count, text_len, false)?;
            (validate()?, layout)
        };
        if !ascii {
            let text = &text[HEADER_LEN..];
            check_boundaries(text, &layout.tables, &layout.recs)?;
            for r in &mut layout.recs {
                r.ascii = text[r.name as usize..r.end as usize].is_ascii();
            }
        }
        Ok(Decoded {
            text_end,
            ascii,
            layout,
        })
    }

    fn into_corpus(self, buf: CorpusText) -> Corpus {
        Corpus {
            buf,
            tables: self.layout.tables,
            recs: self.layout.recs,
            tag_ids: self.layout.tag_ids,
            ascii: self.ascii,
        }
    }
}

/// Whether `bytes` starts with a well-formed header of this version, counts
/// at least [`PAR_MIN_RECORDS`] records and is as long as it says (the
/// case [`Corpus::decode`] parses on two threads).
fn header_says_large(bytes: &[u8]) -> bool {
    let hex = |i: usize| -> Option<usize> {
        let field = bytes.get(8 + i * 8..16 + i * 8)?;
        let n = u32::from_str_radix(std::str::from_utf8(field).ok()?, 16).ok()?;
        Some(n as usize)
    };
    bytes.starts_with(CORPUS_MAGIC)
        && hex(0) == Some(CORPUS_VERSION as usize)
        && hex(1).is_some_and(|count| count >= PAR_MIN_RECORDS)
        && matches!((hex(2), hex(3)), (Some(t), Some(m)) if HEADER_LEN + t + m == bytes.len())
}

/// Where each string of a corpus lies in its text, parsed from the meta section.
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Layout {
    tables: [Vec<Span>; TABLES],
    recs: Vec<Rec>,
    tag_ids: Vec<u32>,
}

impl Layout {
    /// Every string is consumed from the text in order; the last must end
    /// exactly at `text_len`. Char boundaries are checked separately.
    /// `parallel`: a second thread maps the records' memory meanwhile.
    fn parse(
        meta: &[u8],
        count: usize,
        text_len: usize,
        parallel: bool,
    ) -> Result<Layout, CorpusError> {
        let mut meta = Reader { bytes: meta };
        let mut pos: u32 = 0;
        let mut take = |len: u32| -> Result<Span, CorpusError> {
            let start = pos;
            let end = start
                .checked_add(len)
                .filter(|&e| e as usize <= text_len)
                .ok_or(CorpusError::Corrupt("string runs past the text"))?;
            pos = end;
            Ok(Span { start, end })
        };
        let mut tables: [Vec<Span>; TABLES] = Default::default();
        for table in &mut tables {
            let n = meta.varint()? as usize;
            // Each entry needs at least one meta byte: bound the allocation.
            if n > meta.bytes.len() {
                return Err(CorpusError::Truncated);
            }
            table.reserve_exact(n);
            for _ in 0..n {
                let len = meta.varint()?;
                table.push(take(len)?);
            }
        }
        // Each record needs at least 11 meta bytes.
        if count > meta.bytes.len() / 11 {
            return Err(CorpusError::Truncated);
        }
        let sizes: [usize; TABLES] = std::array::from_fn(|t| tables[t].len());
        let mut recs: Vec<Rec> = Vec::with_capacity(count);
        let mut tag_ids = Vec::with_capacity(count);
        let mut record = |slot: &mut MaybeUninit<Rec>| -> Result<(), CorpusError> {
            let name = take(meta.varint()?)?;
            let title = take(meta.varint()?)?;
            let desc = take(meta.varint()?)?;
            let ref_code = meta.varint()?;
            let refo = take(ref_code.saturating_sub(1))?;
            let mut ids = [0u32; TABLES - 1];
            for (table, id) in ids.iter_mut().enumerate() {
                *id = meta.varint()?;
                if *id as usize >= sizes[table] {
                    return Err(CorpusError::Corrupt("table id out of range"));
                }
            }
            let ntags = meta.varint()?;
            if ntags as usize > meta.bytes.len() {
                return Err(CorpusError::Truncated);
            }
            let tags = offset(tag_ids.len());
            for _ in 0..ntags {
                let id = meta.varint()?;
                if id as usize >= sizes[T_TAG] {
                    return Err(CorpusError::Corrupt("tag id out of range"));
                }
                tag_ids.push(id);
            }
            slot.write(Rec {
                name: name.start,
                title: title.start,
                desc: desc.start,
                refo: refo.start,
                end: refo.end,
                ref_explicit: ref_code != 0,
                ascii: true,
                ids,
                tags,
                ntags,
            });
            Ok(())
        };
        let slots = &mut recs.spare_capacity_mut()[..count];
        if parallel && count >= 3 {
            // Fresh pages cost more than parsing into them (see
            // `touch_pages`): a second thread faults in the last two thirds
            // of the records' memory while this one parses the first third.
            let (head, tail) = slots.split_at_mut(count / 3);
            std::thread::scope(|s| {
                let toucher = s.spawn(move || {
                    touch_pages(tail);
                    tail
                });
                let parsed = head.iter_mut().try_for_each(&mut record);
                let tail = toucher.join().expect("page toucher panicked");
                parsed?;
                tail.iter_mut().try_for_each(&mut record)
            })?;
        } else {
            slots.iter_mut().try_for_each(&mut record)?;
        }
        // SAFETY: every one of the first `count` slots was written above
        // (any error returned before this point).
        unsafe { recs.set_len(count) };
        if !meta.bytes.is_empty() {
            return Err(CorpusError::Corrupt("trailing meta bytes"));
        }
        if pos as usize != text_len {
            return Err(CorpusError::Corrupt("unused text"));
        }
        Ok(Layout {
            tables,
            recs,
            tag_ids,
        })
    }
}

/// Write the first element of every run that spans a 4 KB page with a
/// blank record, so the kernel maps the pages now, on this thread, rather
/// than when the parser reaches them. On the 2-core VM of the benchmarks a
/// fresh page costs 2-3 µs, about as much as parsing the ~70 records it
/// holds: the records of a 100k corpus are 5.6 MB (1,370 pages).
fn touch_pages(slots: &mut [MaybeUninit<Rec>]) {
    // Writes 4,096 - size bytes apart, each `size` long: every page gets one.
    let step = (4096 / std::mem::size_of::<Rec>()).max(1);
    for slot in slots.iter_mut().step_by(step) {
        slot.write(Rec::default());
    }
}

/// In non-ASCII text, every string must start and end on a char boundary.
fn check_boundaries(
    text: &[u8],
    tables: &[Vec<Span>; TABLES],
    recs: &[Rec],
) -> Result<(), CorpusError> {
    let ok = |i: u32| is_boundary(text, i as usize);
    let spans = tables.iter().flatten().all(|s| ok(s.start) && ok(s.end));
    let recs = recs
        .iter()
        .all(|r| [r.name, r.title, r.desc, r.refo, r.end].into_iter().all(ok));
    if spans && recs {
        Ok(())
    } else {
        Err(CorpusError::Corrupt("string splits a character"))
    }
}

/// A char boundary in valid UTF-8: not a continuation byte.
fn is_boundary(text: &[u8], i: usize) -> bool {
    i >= text.len() || (text[i] as i8) >= -0x40
}

fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    #[inline]
    fn varint(&mut self) -> Result<u32, CorpusError> {
        match self.bytes {
            [b, rest @ ..] if *b < 0x80 => {
                self.bytes = rest;
                Ok(u32::from(*b))
            }
            _ => self.varint_long(),
        }
    }

    fn varint_long(&mut self) -> Result<u32, CorpusError> {
        let mut v: u32 = 0;
        for (i, &b) in self.bytes.iter().enumerate().take(5) {
            if i == 4 && b > 0x0f {
                return Err(CorpusError::Corrupt("varint overflow"));
            }
            v |= u32::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                self.bytes = &self.bytes[i + 1..];
                return Ok(v);
            }
        }
        if self.bytes.len() >= 5 {
            Err(CorpusError::Corrupt("varint overflow"))
        } else {
            Err(CorpusError::Truncated)
        }
    }
}

/// Encode records for the on-disk cache (see [`Corpus::encode`]).
pub fn encode_corpus(records: &[SearchRecord]) -> Vec<u8> {
    Corpus::new(records).encode()
}

/// Decode records written by [`encode_corpus`]. Prefer [`Corpus::decode`],
/// which searches in place without building a `SearchRecord` per entity.
pub fn decode_corpus(bytes: &[u8]) -> Result<Vec<SearchRecord>, CorpusError> {
    Corpus::decode(bytes.to_vec()).map(|c| c.to_records())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::parse_query;
    use crate::search::test_support::{odd_records, rec, search_records};

    #[test]
    fn corpus_round_trip() {
        let records = odd_records();
        let bytes = encode_corpus(&records);
        assert_eq!(&bytes[..8], CORPUS_MAGIC);
        assert_eq!(decode_corpus(&bytes).unwrap(), records);
        let corpus = Corpus::decode(bytes.clone()).unwrap();
        assert_eq!(corpus.len(), records.len());
        assert_eq!(corpus.recs, Corpus::new(&records).recs);
        assert_eq!(corpus.encode(), bytes);
        assert_eq!(corpus.to_records(), records);
        // The same search over records and over the decoded corpus.
        for q in ["pay", "kind:api", "team-ß", "🎉", ""] {
            assert_eq!(
                corpus.search(&parse_query(q), 10),
                search_records(&records, q, 10)
            );
        }
        assert_eq!(decode_corpus(&encode_corpus(&[])).unwrap(), vec![]);
        // Large corpora are decoded on two threads.
        let many: Vec<SearchRecord> = (0..PAR_MIN_RECORDS + 3)
            .map(|i| rec("Component", &format!("c{i}"), ""))
            .collect();
        let bytes = encode_corpus(&many);
        assert_eq!(decode_corpus(&bytes).unwrap(), many);
        let mut bad = bytes.clone();
        bad[HEADER_LEN + 5] = 0xff;
        assert_eq!(
            decode_corpus(&bad),
            Err(CorpusError::Corrupt("invalid UTF-8"))
        );
        assert!(decode_corpus(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn truncated_corpus_is_an_error() {
        let bytes = encode_corpus(&odd_records());
        for len in 0..bytes.len() {
            assert!(
                decode_corpus(&bytes[..len]).is_err(),
                "prefix of {len} bytes"
            );
        }
        assert_eq!(decode_corpus(&bytes[..20]), Err(CorpusError::Truncated));
        assert_eq!(decode_corpus(&bytes[..4]), Err(CorpusError::Truncated));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_corpus(&longer).is_err());
    }

    #[test]
    fn corrupt_corpus_is_an_error_not_a_panic() {
        let bytes = encode_corpus(&odd_records());
        assert_eq!(
            decode_corpus(b"not a corpus at all, no no no no no no"),
            Err(CorpusError::BadMagic)
        );
        let mut v2 = bytes.clone();
        v2[8..16].copy_from_slice(b"00000002");
        assert_eq!(decode_corpus(&v2), Err(CorpusError::UnsupportedVersion(2)));
        let mut bad_hex = bytes.clone();
        bad_hex[20] = b'z';
        assert!(decode_corpus(&bad_hex).is_err());
        // Flip every byte in turn: decoding may succeed with other data, but
        // it never panics, and whatever it returns can be searched.
        for i in 0..bytes.len() {
            for mask in [0x01, 0x80, 0xff] {
                let mut c = bytes.clone();
                c[i] ^= mask;
                if let Ok(corpus) = Corpus::decode(c) {
                    let _ = corpus.to_records();
                    let _ = corpus.search(&parse_query("pay tag:java !x"), 5);
                }
            }
        }
        // Invalid UTF-8 inside the text.
        let mut c = bytes.clone();
        let at = bytes.windows(7).position(|w| w == b"payment").unwrap();
        c[at] = 0xff;
        assert_eq!(
            Corpus::decode(c).err(),
            Some(CorpusError::Corrupt("invalid UTF-8"))
        );
    }

    #[test]
    fn parsing_with_a_page_toucher_equals_parsing_alone() {
        // Varied records (titles, refs, tags, non-ASCII), many of them.
        let odd = odd_records();
        let records: Vec<SearchRecord> = (0..PAR_MIN_RECORDS + 7)
            .map(|i| {
                let mut r = odd[i % odd.len()].clone();
                r.name = format!("{}-{i}", r.name);
                r
            })
            .collect();
        let bytes = encode_corpus(&records);
        let header = |i: usize| {
            usize::from_str_radix(
                std::str::from_utf8(&bytes[8 + i * 8..16 + i * 8]).unwrap(),
                16,
            )
            .unwrap()
        };
        let (count, text_len) = (header(1), header(2));
        let meta = &bytes[HEADER_LEN + text_len..];
        let alone = Layout::parse(meta, count, text_len, false).unwrap();
        assert_eq!(Layout::parse(meta, count, text_len, true).unwrap(), alone);
        let decoded = Corpus::decode(bytes.clone()).unwrap();
        assert_eq!(decoded.recs, Corpus::new(&records).recs);
        assert_eq!(decoded.to_records(), records);
        // Damage in the first third, at the cut, and after it: the same answer.
        let mut tries = 0;
        for at in (0..meta.len()).step_by(meta.len() / 97 + 1) {
            for mask in [0x01, 0x80] {
                let mut m = meta.to_vec();
                m[at] ^= mask;
                for n in [count, count - 1, count / 3 + 1] {
                    assert_eq!(
                        Layout::parse(&m, n, text_len, true),
                        Layout::parse(&m, n, text_len, false),
                        "byte {at} ^ {mask:#x}, {n} records"
                    );
                    tries += 1;
                }
            }
        }
        assert!(tries > 500);
        for len in [0, 1, meta.len() / 3, meta.len() / 2, meta.len() - 1] {
            assert_eq!(
                Layout::parse(&meta[..len], count, text_len, true),
                Layout::parse(&meta[..len], count, text_len, false)
            );
        }
    }

    #[test]
    fn a_verified_decode_is_a_decode_and_a_refusal_wins() {
        let small = encode_corpus(&odd_records());
        let large = encode_corpus(
            &(0..PAR_MIN_RECORDS + 3)
                .map(|i| rec("Component", &format!("c{i}"), ""))
                .collect::<Vec<_>>(),
        );
        for bytes in [small, large] {
            let plain = Corpus::decode(bytes.clone()).unwrap();
            let seen = std::cell::Cell::new(0);
            let verified = Corpus::decode_verified(bytes.clone(), |b| {
                seen.set(b.len());
                true
            })
            .unwrap();
            assert_eq!(seen.get(), bytes.len(), "verify sees all the bytes");
            assert_eq!(verified.encode(), plain.encode());
            assert_eq!(
                Corpus::decode_verified(bytes.clone(), |_| false).err(),
                Some(CorpusError::Unverified)
            );
            // Refused even when the bytes are also broken, wherever.
            for at in [0, 9, 20, HEADER_LEN + 1, bytes.len() - 1] {
                let mut bad = bytes.clone();
                bad[at] = 0xff;
                assert_eq!(
                    Corpus::decode_verified(bad, |_| false).err(),
                    Some(CorpusError::Unverified),
                    "byte {at}"
                );
            }
            assert_eq!(
                Corpus::decode_verified(bytes[..bytes.len() - 1].to_vec(), |_| false).err(),
                Some(CorpusError::Unverified)
            );
        }
    }

    #[test]
    fn varints() {
        for v in [0, 1, 127, 128, 300, 16_383, 16_384, u32::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            let mut r = Reader { bytes: &out };
            assert_eq!(r.varint(), Ok(v));
            assert!(r.bytes.is_empty());
            let mut short = Reader {
                bytes: &out[..out.len() - 1],
            };
            assert!(short.varint().is_err());
        }
        let mut r = Reader {
            bytes: &[0xff, 0xff, 0xff, 0xff, 0x1f],
        };
        assert!(r.varint().is_err());
    }
}
