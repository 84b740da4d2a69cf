//! Search: the query syntax, the compact search corpus stored in the cache,
//! and headless ranking with the nucleo matcher.
//!
//! # Query
//! `kind:api,component owner:team-a tag:java pay !legacy` — see [`parse_query`].
//! Filters (`kind type owner lifecycle tag system namespace`) narrow first;
//! the rest is nucleo's fzf syntax: each space-separated word is an atom,
//! `'word` is a substring, `^word`/`word$` anchor, `!word` excludes.
//!
//! # How a record matches
//! Every positive atom must match **one field** of the record, and the best
//! field counts (weights: name ×4, title ×3, kind/type/owner/tag ×2,
//! description ×1; the whole text equal to the name adds a large bonus):
//!
//! * name, title, kind, type, the owner's name and each tag: nucleo fuzzy
//!   (or the atom's own kind: substring, prefix, suffix, exact);
//! * description: **substring only** (`pay` finds "payment", not "provides
//!   a way"), and only when no short field matched the atom;
//! * `!word` excludes a record if the word occurs in any of those fields.
//!
//! Hits are ordered by score, then name; with no text, by kind, then name.
//!
//! # Why not one long haystack per entity
//! Measured as whole cold processes (read a file, match, print every hit) on
//! this 2-core machine over 100k synthetic entities (the generator of
//! `benches/search_micro.rs`), 2 matcher threads, median of 15 runs while
//! other builds shared the machine (load ≈ 3):
//!
//! | one nucleo haystack per entity         | file    | `pay`  | `payments` | `pmtgw` | `pay` hits |
//! |----------------------------------------|---------|--------|------------|---------|------------|
//! | `fzf --filter` over the names alone    | 1.9 MB  | 48 ms  | 52 ms      | 41 ms   | 5.9k       |
//! | name only                              | 1.9 MB  | 15 ms  | 13 ms      | 20 ms   | 5.9k       |
//! | name title kind type owner tags        | 6.9 MB  | 44 ms  | 30 ms      | 26 ms   | 41k        |
//! | … + first 40 chars of the description  | 11 MB   | 78 ms  | 97 ms      | 44 ms   | 59k        |
//! | … + the whole description              | 16 MB   | 160 ms | 189 ms     | 93 ms   | 75k        |
//!
//! A fuzzy atom over one long line is slow (most lines pass nucleo's
//! prefilter, then the score matrix runs over the whole span) and mostly
//! noise: `pay` matched 75% of all entities, `p` in one field, `a` in the
//! next, `y` in the description. Matching per field removes the cross-field
//! junk (`pay` then matches 16k: 6k by name, the rest by title, owner, tag or
//! a description containing "pay"), and a description substring is cheap to
//! find: one vectorised scan of the corpus text per atom, on the needle's two
//! rarest bytes, instead of a nucleo call per record.
//!
//! The fields that repeat (kind, namespace, type, owner, lifecycle, system,
//! tags) are interned: filters and atoms are evaluated once per distinct
//! value (a few hundred), so a record costs table lookups plus nucleo on its
//! name and title, skipped when a 64-bit byte set of name+title cannot hold
//! the needle. Records with non-ASCII text take nucleo's general path.
//!
//! The same kind of cold process with this module (read the 13.3 MB corpus
//! of 100k entities, [`Corpus::decode`], [`search`], print the top 50 names),
//! same conditions: `pay` 46 ms, `payments` 40 ms, `pmtgw` 28 ms,
//! `checkout api` 55 ms (fzf: 64 ms), `kind:api owner:team-payments pay`
//! 36 ms; at lower load about 30-35 ms = read 8 + decode 9-12 + search
//! 10-14 ms. In-process (criterion, `benches/search_micro.rs`) at 10k
//! entities: decode 0.6 ms, `pay` 2.1 ms, `payments` 1.5 ms, filters-only
//! 0.2 ms. Whole-process figures against `fzf --filter` come from
//! `benches/process.sh`; in-process ones from `cargo bench --bench search_micro`.
//!
//! # Corpus
//! [`Corpus`] keeps every record's own strings (name, title, description) in
//! one buffer and the repeated ones in tables; [`Corpus::encode`] documents
//! the binary form. Decoding is one UTF-8 check plus a walk over varints
//! (on two threads past 10k records), with no `String` per field;
//! [`decode_corpus`] builds owned [`SearchRecord`]s instead and is ~25x
//! slower (17 ms at 10k), as is [`search`] over a `&[SearchRecord]`
//! (it builds a corpus first), so prefer [`Corpus::decode`] (and
//! [`Corpus::merge`] for several sources) with [`Corpus::search`].
//!
//! # The TUI
//! The TUI's list (`tui::picker`) matches only what it shows, name and
//! title, with the same pattern syntax and filters; the CLI's per-field
//! search here also ranks kinds, owners, tags and descriptions.

pub mod fuzzy;

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;

use nucleo::pattern::{Atom, AtomKind, CaseMatching, Normalization, Pattern};
use nucleo::{Config, Matcher, Utf32Str};

use crate::catalog::entity_ref::split_ref;
use crate::catalog::Entity;

// ---------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------

/// The compact per-entity data that search needs. Strings are stored as they
/// came from the catalog; front ends sanitize at draw time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchRecord {
    /// Canonical `kind:namespace/name`, lower-cased.
    pub entity_ref: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub title: String,
    pub spec_type: String,
    /// Canonical owner ref (`group:default/team-a`) or `""`.
    pub owner: String,
    pub lifecycle: String,
    /// Canonical system ref or `""`.
    pub system: String,
    pub tags: Vec<String>,
    pub description: String,
}

impl SearchRecord {
    pub fn from_entity(e: &Entity) -> Self {
        SearchRecord {
            entity_ref: e.ref_key(),
            kind: e.kind.clone(),
            namespace: e.namespace().to_string(),
            name: e.metadata.name.clone(),
            title: e.metadata.title.clone().unwrap_or_default(),
            spec_type: e.spec_type().unwrap_or_default().to_string(),
            owner: e.owner_ref().map(|r| r.canonical()).unwrap_or_default(),
            lifecycle: e.lifecycle().unwrap_or_default().to_string(),
            system: e.system_ref().map(|r| r.canonical()).unwrap_or_default(),
            tags: e.tags().into_iter().map(str::to_string).collect(),
            description: clip(e.metadata.description.as_deref().unwrap_or_default()),
        }
    }
}

/// Descriptions are kept to this many bytes in the search corpus: enough for
/// the usual sentence or paragraph, and a bound on the corpus size when a
/// catalog pastes whole READMEs into `description`. The full text stays in
/// the entity.
pub const DESCRIPTION_LIMIT: usize = 512;

/// The first [`DESCRIPTION_LIMIT`] bytes, cut at a char boundary.
fn clip(s: &str) -> String {
    let mut end = s.len().min(DESCRIPTION_LIMIT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// The name part of a canonical ref (`group:default/team-a` -> `team-a`);
/// the input itself when it is not a ref.
fn ref_name(r: &str) -> &str {
    match split_ref(r) {
        Ok(parts) => parts.name,
        Err(_) => r,
    }
}

// ---------------------------------------------------------------------------
// Query syntax
// ---------------------------------------------------------------------------

/// The structured filter keys, as Backstage's catalog filters name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FilterKey {
    Kind,
    Type,
    Owner,
    Lifecycle,
    Tag,
    System,
    Namespace,
}

impl FilterKey {
    pub const ALL: [FilterKey; 7] = [
        FilterKey::Kind,
        FilterKey::Type,
        FilterKey::Owner,
        FilterKey::Lifecycle,
        FilterKey::Tag,
        FilterKey::System,
        FilterKey::Namespace,
    ];

    /// Case-insensitive: `Kind`, `KIND` and `kind` are the same key.
    pub fn parse(key: &str) -> Option<FilterKey> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(key))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FilterKey::Kind => "kind",
            FilterKey::Type => "type",
            FilterKey::Owner => "owner",
            FilterKey::Lifecycle => "lifecycle",
            FilterKey::Tag => "tag",
            FilterKey::System => "system",
            FilterKey::Namespace => "namespace",
        }
    }
}

/// One structured filter: the record passes when its field matches any of
/// `values` (compared ignoring case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub key: FilterKey,
    pub values: Vec<String>,
}

impl Filter {
    /// Whether `value` (a record's field) satisfies this filter. For `owner`
    /// and `system`, `value` is a canonical ref; for `tag`, one tag.
    pub fn matches_value(&self, value: &str) -> bool {
        self.values
            .iter()
            .any(|v| value_matches(self.key, value, v))
    }

    pub fn matches(&self, record: &SearchRecord) -> bool {
        match self.key {
            FilterKey::Kind => self.matches_value(&record.kind),
            FilterKey::Type => self.matches_value(&record.spec_type),
            FilterKey::Owner => self.matches_value(&record.owner),
            FilterKey::Lifecycle => self.matches_value(&record.lifecycle),
            FilterKey::Tag => record.tags.iter().any(|t| self.matches_value(t)),
            FilterKey::System => self.matches_value(&record.system),
            FilterKey::Namespace => self.matches_value(&record.namespace),
        }
    }

    /// The chip text, e.g. `kind:api,component`.
    pub fn describe(&self) -> String {
        format!("{}:{}", self.key.as_str(), self.values.join(","))
    }
}

/// Does a record's `field` satisfy the filter value `wanted`?
fn value_matches(key: FilterKey, field: &str, wanted: &str) -> bool {
    match key {
        FilterKey::Owner | FilterKey::System => ref_matches(field, wanted),
        _ => eq_ci(field, wanted),
    }
}

/// `wanted` may be a full ref, `kind:name`, `namespace/name` or a bare name;
/// the parts it gives must equal the ref's, ignoring case.
fn ref_matches(field: &str, wanted: &str) -> bool {
    if field.is_empty() {
        return false;
    }
    if eq_ci(field, wanted) {
        return true;
    }
    let (Ok(have), Ok(want)) = (split_ref(field), split_ref(wanted)) else {
        return false;
    };
    eq_ci(have.name, want.name)
        && want
            .kind
            .is_none_or(|k| have.kind.is_some_and(|h| eq_ci(h, k)))
        && want
            .namespace
            .is_none_or(|n| have.namespace.is_some_and(|h| eq_ci(h, n)))
}

fn eq_ci(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
    }
}

/// Case-insensitive ordering without allocating (ASCII fast path).
pub fn cmp_ci(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .cmp(b.chars().flat_map(char::to_lowercase))
    }
}

/// A parsed query: structured filters (all must hold) and the free text that
/// is fuzzy-matched (fzf syntax: `'exact`, `^prefix`, `suffix$`, `!not`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub filters: Vec<Filter>,
    pub text: String,
}

impl Query {
    /// One chip per filter, in the order first typed: `["kind:api", "owner:team-a"]`.
    pub fn describe(&self) -> Vec<String> {
        self.filters.iter().map(Filter::describe).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.filters.is_empty() && self.text.trim().is_empty()
    }

    /// Whether a record passes every filter (the free text is not consulted).
    pub fn matches_filters(&self, record: &SearchRecord) -> bool {
        self.filters.iter().all(|f| f.matches(record))
    }
}

/// Parse `kind:api,component owner:team-a pay`.
///
/// Keys (`kind type owner lifecycle tag system namespace`) are
/// case-insensitive; `key:a,b` and a repeated key both mean "any of". A value
/// may be quoted (`owner:"team a"`). A key with no value yet (`kind:` while
/// typing) is ignored. Any other token, `foo:bar` included, is free text.
pub fn parse_query(q: &str) -> Query {
    let mut query = Query::default();
    let mut text: Vec<&str> = Vec::new();
    let mut rest = q;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        // A filter: a known key, ':', then a bare or quoted value.
        if let Some((key, after)) = rest.split_once(':') {
            if let Some(key) = (!key.contains(char::is_whitespace))
                .then(|| FilterKey::parse(key))
                .flatten()
            {
                let (value, remainder) = if let Some(quoted) = after.strip_prefix('"') {
                    match quoted.find('"') {
                        Some(end) => (&quoted[..end], &quoted[end + 1..]),
                        None => (quoted, ""),
                    }
                } else {
                    let end = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..end], &after[end..])
                };
                add_filter(&mut query.filters, key, value);
                rest = remainder;
                continue;
            }
        }
        // Free text: one token, honouring nucleo's `\ ` escape.
        let end = token_end(rest);
        text.push(&rest[..end]);
        rest = &rest[end..];
    }
    query.text = text.join(" ");
    query
}

/// The end of a whitespace-delimited token; a backslash escapes a space.
fn token_end(s: &str) -> usize {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() && !escaped {
            return i;
        }
        escaped = c == '\\' && !escaped;
    }
    s.len()
}

fn add_filter(filters: &mut Vec<Filter>, key: FilterKey, raw: &str) {
    let values = raw
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let index = match filters.iter().position(|f| f.key == key) {
        Some(i) => i,
        None => {
            filters.push(Filter {
                key,
                values: Vec::new(),
            });
            filters.len() - 1
        }
    };
    let filter = &mut filters[index];
    for v in values {
        if !filter.values.iter().any(|have| eq_ci(have, &v)) {
            filter.values.push(v);
        }
    }
    if filter.values.is_empty() {
        filters.remove(index);
    }
}

// ---------------------------------------------------------------------------
// Corpus: interned, offset-based storage and its binary encoding
// ---------------------------------------------------------------------------

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
}

/// Magic bytes at the start of an encoded corpus.
pub const CORPUS_MAGIC: &[u8; 8] = b"CBSEARCH";
/// Bumped whenever the layout changes; older caches are simply rebuilt.
pub const CORPUS_VERSION: u32 = 1;
/// Magic + four 8-digit hex numbers (version, records, text bytes, meta bytes).
const HEADER_LEN: usize = 8 + 4 * 8;

/// Interned field tables, in storage order.
const T_KIND: usize = 0;
const T_NAMESPACE: usize = 1;
const T_TYPE: usize = 2;
const T_OWNER: usize = 3;
const T_LIFECYCLE: usize = 4;
const T_SYSTEM: usize = 5;
const T_TAG: usize = 6;
const TABLES: usize = 7;

fn table_of(key: FilterKey) -> usize {
    match key {
        FilterKey::Kind => T_KIND,
        FilterKey::Namespace => T_NAMESPACE,
        FilterKey::Type => T_TYPE,
        FilterKey::Owner => T_OWNER,
        FilterKey::Lifecycle => T_LIFECYCLE,
        FilterKey::System => T_SYSTEM,
        FilterKey::Tag => T_TAG,
    }
}

/// Byte span into the corpus text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Span {
    start: u32,
    end: u32,
}

/// One record: its own strings are consecutive in the text (name, title,
/// description, explicit ref), the repeated ones are ids into the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Rec {
    name: u32,
    title: u32,
    desc: u32,
    refo: u32,
    end: u32,
    /// `entity_ref` is stored only when it differs from the canonical ref
    /// derived from kind, namespace and name.
    ref_explicit: bool,
    /// The record's own strings are ASCII: byte-level fast paths apply.
    ascii: bool,
    ids: [u32; TABLES - 1],
    tags: u32,
    ntags: u32,
}

/// The search corpus: every record's strings in one buffer, the fields that
/// repeat across entities (kind, namespace, type, owner, lifecycle, system,
/// tags) interned in small tables. Decoding is one UTF-8 check and a walk
/// over varints; searching allocates nothing per record.
#[derive(Clone)]
pub struct Corpus {
    /// Header (ASCII) + text; spans are relative to `HEADER_LEN`.
    buf: String,
    tables: [Vec<Span>; TABLES],
    recs: Vec<Rec>,
    tag_ids: Vec<u32>,
    /// The whole text is ASCII (the common case): enables byte-level paths.
    ascii: bool,
}

impl Default for Corpus {
    fn default() -> Self {
        Corpus::new(&[])
    }
}

impl std::fmt::Debug for Corpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Corpus")
            .field("records", &self.recs.len())
            .field("text_bytes", &(self.buf.len() - HEADER_LEN))
            .field("ascii", &self.ascii)
            .finish_non_exhaustive()
    }
}

/// A borrowed view of one record in a [`Corpus`].
#[derive(Clone, Copy)]
pub struct RecordView<'a> {
    corpus: &'a Corpus,
    rec: &'a Rec,
}

impl std::fmt::Debug for RecordView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RecordView")
            .field(&self.entity_ref())
            .finish()
    }
}

impl<'a> RecordView<'a> {
    fn field(&self, table: usize) -> &'a str {
        self.corpus.vocab(table, self.rec.ids[table])
    }
    pub fn name(&self) -> &'a str {
        self.corpus.text(self.rec.name, self.rec.title)
    }
    pub fn title(&self) -> &'a str {
        self.corpus.text(self.rec.title, self.rec.desc)
    }
    pub fn description(&self) -> &'a str {
        self.corpus.text(self.rec.desc, self.rec.refo)
    }
    pub fn kind(&self) -> &'a str {
        self.field(T_KIND)
    }
    pub fn namespace(&self) -> &'a str {
        self.field(T_NAMESPACE)
    }
    pub fn spec_type(&self) -> &'a str {
        self.field(T_TYPE)
    }
    pub fn owner(&self) -> &'a str {
        self.field(T_OWNER)
    }
    pub fn lifecycle(&self) -> &'a str {
        self.field(T_LIFECYCLE)
    }
    pub fn system(&self) -> &'a str {
        self.field(T_SYSTEM)
    }
    pub fn tags(&self) -> impl ExactSizeIterator<Item = &'a str> + 'a {
        let corpus = self.corpus;
        self.tag_ids()
            .iter()
            .map(move |&id| corpus.vocab(T_TAG, id))
    }
    fn tag_ids(&self) -> &'a [u32] {
        let start = self.rec.tags as usize;
        &self.corpus.tag_ids[start..start + self.rec.ntags as usize]
    }
    /// The canonical `kind:namespace/name`.
    pub fn entity_ref(&self) -> Cow<'a, str> {
        if self.rec.ref_explicit {
            Cow::Borrowed(self.corpus.text(self.rec.refo, self.rec.end))
        } else {
            Cow::Owned(derived_ref(self.kind(), self.namespace(), self.name()))
        }
    }
    pub fn to_record(&self) -> SearchRecord {
        SearchRecord {
            entity_ref: self.entity_ref().into_owned(),
            kind: self.kind().to_string(),
            namespace: self.namespace().to_string(),
            name: self.name().to_string(),
            title: self.title().to_string(),
            spec_type: self.spec_type().to_string(),
            owner: self.owner().to_string(),
            lifecycle: self.lifecycle().to_string(),
            system: self.system().to_string(),
            tags: self.tags().map(str::to_string).collect(),
            description: self.description().to_string(),
        }
    }
}

fn derived_ref(kind: &str, namespace: &str, name: &str) -> String {
    let mut s = String::with_capacity(kind.len() + namespace.len() + name.len() + 2);
    s.extend(kind.chars().flat_map(char::to_lowercase));
    s.push(':');
    s.extend(namespace.chars().flat_map(char::to_lowercase));
    s.push('/');
    s.extend(name.chars().flat_map(char::to_lowercase));
    s
}

/// `entity_ref == derived_ref(kind, namespace, name)`, without allocating.
fn is_derived_ref(entity_ref: &str, kind: &str, namespace: &str, name: &str) -> bool {
    let parts = [kind, ":", namespace, "/", name];
    if entity_ref.is_ascii() && parts.iter().all(|p| p.is_ascii()) {
        let mut rest = entity_ref.as_bytes();
        for part in parts {
            let Some((head, tail)) = rest.split_at_checked(part.len()) else {
                return false;
            };
            if !head
                .iter()
                .zip(part.bytes())
                .all(|(&h, p)| h == p.to_ascii_lowercase())
            {
                return false;
            }
            rest = tail;
        }
        return rest.is_empty();
    }
    let derived = parts
        .into_iter()
        .flat_map(str::chars)
        .flat_map(char::to_lowercase);
    entity_ref.chars().eq(derived)
}

fn offset(len: usize) -> u32 {
    u32::try_from(len).expect("search corpus text exceeds 4 GiB")
}

impl Corpus {
    /// Build a corpus from records (order kept: hit indices are record
    /// indices). Panics only if the text would exceed 4 GiB.
    pub fn new(records: &[SearchRecord]) -> Corpus {
        Corpus::build(records.iter().map(Fields::of_record))
    }

    /// Join corpora (say one per source), keeping the first record for each
    /// `entity_ref`: a ref from an earlier part hides the same ref in a
    /// later one. Hit indices refer to the merged corpus. One part is
    /// returned as it is.
    pub fn merge(parts: Vec<Corpus>) -> Corpus {
        if parts.len() <= 1 {
            return parts.into_iter().next().unwrap_or_default();
        }
        let mut seen = std::collections::HashSet::new();
        let keep: Vec<RecordView<'_>> = parts
            .iter()
            .flat_map(|c| c.iter())
            .filter(|v| seen.insert(v.entity_ref()))
            .collect();
        Corpus::build(keep.iter().map(Fields::of_view))
    }

    /// Intern the repeated fields (tables first in the text), then lay out
    /// each record's own strings. `records` is walked twice.
    fn build<'a, I>(records: I) -> Corpus
    where
        I: Iterator<Item = Fields<'a>> + Clone,
    {
        let mut interner = Interner::default();
        let (count, _) = records.size_hint();
        let mut rec_ids: Vec<[u32; TABLES - 1]> = Vec::with_capacity(count);
        let mut tag_ids = Vec::new();
        let mut tag_starts = Vec::with_capacity(count);
        let mut own_len = 0;
        for r in records.clone() {
            rec_ids.push([
                interner.intern(T_KIND, r.kind),
                interner.intern(T_NAMESPACE, r.namespace),
                interner.intern(T_TYPE, r.spec_type),
                interner.intern(T_OWNER, r.owner),
                interner.intern(T_LIFECYCLE, r.lifecycle),
                interner.intern(T_SYSTEM, r.system),
            ]);
            tag_starts.push((offset(tag_ids.len()), offset(r.tags.len())));
            for t in r.tags.iter() {
                tag_ids.push(interner.intern(T_TAG, t));
            }
            own_len += r.name.len()
                + r.title.len()
                + r.description.len()
                + r.explicit_ref.map_or(0, str::len);
        }
        let order = interner.order;
        let text_len = order.iter().flatten().map(|s| s.len()).sum::<usize>() + own_len;
        let mut buf = String::with_capacity(HEADER_LEN + text_len);
        buf.push_str(&"0".repeat(HEADER_LEN)); // replaced by `encode`
        let pos = |buf: &String| offset(buf.len() - HEADER_LEN);
        let mut tables: [Vec<Span>; TABLES] = Default::default();
        for (table, strings) in order.iter().enumerate() {
            tables[table] = strings
                .iter()
                .map(|s| {
                    let start = pos(&buf);
                    buf.push_str(s);
                    Span {
                        start,
                        end: pos(&buf),
                    }
                })
                .collect();
        }
        let mut recs = Vec::with_capacity(rec_ids.len());
        for ((r, ids), (tags, ntags)) in records.zip(rec_ids).zip(tag_starts) {
            let name = pos(&buf);
            buf.push_str(r.name);
            let title = pos(&buf);
            buf.push_str(r.title);
            let desc = pos(&buf);
            buf.push_str(r.description);
            let refo = pos(&buf);
            buf.push_str(r.explicit_ref.unwrap_or_default());
            recs.push(Rec {
                name,
                title,
                desc,
                refo,
                end: pos(&buf),
                ref_explicit: r.explicit_ref.is_some(),
                ascii: buf.as_bytes()[HEADER_LEN + name as usize..].is_ascii(),
                ids,
                tags,
                ntags,
            });
        }
        let ascii = buf.is_ascii();
        Corpus {
            buf,
            tables,
            recs,
            tag_ids,
            ascii,
        }
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<RecordView<'_>> {
        self.recs
            .get(index)
            .map(|rec| RecordView { corpus: self, rec })
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = RecordView<'_>> + '_ {
        self.recs.iter().map(|rec| RecordView { corpus: self, rec })
    }

    pub fn to_records(&self) -> Vec<SearchRecord> {
        self.iter().map(|v| v.to_record()).collect()
    }

    /// Rank this corpus against `query`; see [`search`].
    pub fn search(&self, query: &Query, limit: usize) -> SearchResults {
        search(self, query, limit)
    }

    fn text(&self, start: u32, end: u32) -> &str {
        &self.buf[HEADER_LEN + start as usize..HEADER_LEN + end as usize]
    }

    fn vocab(&self, table: usize, id: u32) -> &str {
        let span = self.tables[table][id as usize];
        self.text(span.start, span.end)
    }

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
    pub fn decode(mut bytes: Vec<u8>) -> Result<Corpus, CorpusError> {
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
        // The text becomes the corpus buffer in place (the header is ASCII);
        // only the meta section is copied out. Large corpora parse the meta
        // on a second thread while this one validates the text.
        let meta = bytes.split_off(text_end);
        let validate = move || -> Result<(String, bool), CorpusError> {
            let buf =
                String::from_utf8(bytes).map_err(|_| CorpusError::Corrupt("invalid UTF-8"))?;
            let ascii = buf.is_ascii();
            Ok((buf, ascii))
        };
        let ((buf, ascii), layout) = if count >= PAR_MIN_RECORDS {
            std::thread::scope(|s| {
                let parser = s.spawn(|| Layout::parse(&meta, count, text_len));
                let text = validate();
                let layout = parser.join().expect("corpus parser panicked");
                Ok::<_, CorpusError>((text?, layout?))
            })?
        } else {
            let layout = Layout::parse(&meta, count, text_len)?;
            (validate()?, layout)
        };
        let mut recs = layout.recs;
        if !ascii {
            let text = &buf.as_bytes()[HEADER_LEN..];
            check_boundaries(text, &layout.tables, &recs)?;
            for r in &mut recs {
                r.ascii = text[r.name as usize..r.end as usize].is_ascii();
            }
        }
        Ok(Corpus {
            buf,
            tables: layout.tables,
            recs,
            tag_ids: layout.tag_ids,
            ascii,
        })
    }
}

/// Where each string of a corpus lies in its text, parsed from the meta section.
struct Layout {
    tables: [Vec<Span>; TABLES],
    recs: Vec<Rec>,
    tag_ids: Vec<u32>,
}

impl Layout {
    /// Every string is consumed from the text in order; the last must end
    /// exactly at `text_len`. Char boundaries are checked separately.
    fn parse(meta: &[u8], count: usize, text_len: usize) -> Result<Layout, CorpusError> {
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
        let mut recs = Vec::with_capacity(count);
        let mut tag_ids = Vec::with_capacity(count);
        for _ in 0..count {
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
            recs.push(Rec {
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
        }
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

/// One record's strings, borrowed from a [`SearchRecord`] or a [`RecordView`].
#[derive(Clone)]
struct Fields<'a> {
    kind: &'a str,
    namespace: &'a str,
    name: &'a str,
    title: &'a str,
    spec_type: &'a str,
    owner: &'a str,
    lifecycle: &'a str,
    system: &'a str,
    description: &'a str,
    tags: TagsRef<'a>,
    /// `entity_ref` when it is not the one derived from kind, namespace and name.
    explicit_ref: Option<&'a str>,
}

#[derive(Clone, Copy)]
enum TagsRef<'a> {
    Strings(&'a [String]),
    Ids(&'a Corpus, &'a [u32]),
}

impl<'a> TagsRef<'a> {
    fn len(&self) -> usize {
        match self {
            TagsRef::Strings(s) => s.len(),
            TagsRef::Ids(_, ids) => ids.len(),
        }
    }

    fn iter(self) -> impl Iterator<Item = &'a str> {
        let (strings, ids, corpus) = match self {
            TagsRef::Strings(s) => (s, &[][..], None),
            TagsRef::Ids(c, ids) => (&[][..], ids, Some(c)),
        };
        strings.iter().map(String::as_str).chain(
            ids.iter()
                .filter_map(move |&id| corpus.map(|c| c.vocab(T_TAG, id))),
        )
    }
}

impl<'a> Fields<'a> {
    fn of_record(r: &'a SearchRecord) -> Self {
        Fields {
            kind: &r.kind,
            namespace: &r.namespace,
            name: &r.name,
            title: &r.title,
            spec_type: &r.spec_type,
            owner: &r.owner,
            lifecycle: &r.lifecycle,
            system: &r.system,
            description: &r.description,
            tags: TagsRef::Strings(&r.tags),
            explicit_ref: (!is_derived_ref(&r.entity_ref, &r.kind, &r.namespace, &r.name))
                .then_some(r.entity_ref.as_str()),
        }
    }

    fn of_view(v: &RecordView<'a>) -> Self {
        Fields {
            kind: v.kind(),
            namespace: v.namespace(),
            name: v.name(),
            title: v.title(),
            spec_type: v.spec_type(),
            owner: v.owner(),
            lifecycle: v.lifecycle(),
            system: v.system(),
            description: v.description(),
            tags: TagsRef::Ids(v.corpus, v.tag_ids()),
            explicit_ref: v
                .rec
                .ref_explicit
                .then(|| v.corpus.text(v.rec.refo, v.rec.end)),
        }
    }
}

/// Assigns ids to the distinct values of each interned field.
#[derive(Default)]
struct Interner<'a> {
    ids: [HashMap<&'a str, u32>; TABLES],
    order: [Vec<&'a str>; TABLES],
}

impl<'a> Interner<'a> {
    fn intern(&mut self, table: usize, s: &'a str) -> u32 {
        let order = &mut self.order[table];
        *self.ids[table].entry(s).or_insert_with(|| {
            order.push(s);
            offset(order.len() - 1)
        })
    }
}

impl From<&[SearchRecord]> for Corpus {
    fn from(records: &[SearchRecord]) -> Self {
        Corpus::new(records)
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

// ---------------------------------------------------------------------------
// Ranking
// ---------------------------------------------------------------------------

/// One ranked record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index of the record in the corpus (and in the records it was built from).
    pub index: usize,
    pub score: u32,
    /// Matched char indices in the name, sorted, for highlighting; empty when
    /// the name did not match (or the query has no text).
    pub indices: Vec<u32>,
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

/// Field weights: a match in the name counts most, a description substring least.
const W_NAME: u32 = 4;
const W_TITLE: u32 = 3;
const W_FIELD: u32 = 2;
const W_DESC: u32 = 1;
/// Added when the whole text equals the name.
const EXACT_NAME_BONUS: u32 = 10_000;
/// Records per worker thread below which one thread is faster.
const PAR_MIN_RECORDS: usize = 10_000;
const MAX_THREADS: usize = 4;
/// Scan the text of a chunk for needles once (rather than each record's
/// description separately) when at least 1/SCAN_SHARE of it passed the filters.
const SCAN_SHARE: usize = 8;

/// Bits of [`Needle::mark`]: in which of a record's own strings a needle occurs.
const IN_NAME: u8 = 1;
const IN_TITLE: u8 = 2;
const IN_DESC: u8 = 4;

/// An ASCII needle, for the byte-level fast paths that apply when the corpus
/// text is all ASCII (then nucleo's normalization has nothing to do and its
/// case folding is ASCII folding; Smart case = ignore case unless the
/// needle has an upper-case letter).
struct Needle {
    bytes: Box<[u8]>,
    ignore_case: bool,
    /// Indices of the two rarest bytes (equal for one-byte needles): a
    /// candidate position must have both.
    anchor: usize,
    second: usize,
    /// [`byte_mask`] of the needle.
    mask: u64,
}

impl Needle {
    fn of(atom: &Atom) -> Option<Needle> {
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
    fn fold(&self, c: u8) -> u8 {
        if self.ignore_case {
            c.to_ascii_lowercase()
        } else {
            c
        }
    }

    /// Call `f` with every start offset of the needle (as a substring) in
    /// `text`, in increasing order.
    fn for_each_occurrence(&self, text: &[u8], mut f: impl FnMut(usize)) {
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
    fn mark(&self, corpus: &Corpus, recs: &[Rec]) -> Vec<u8> {
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
fn byte_mask(bytes: &[u8]) -> u64 {
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

/// Per-query state computed once: filter verdicts and atom scores over the
/// interned tables, so each record costs table lookups plus matching its
/// name, title and (as a fallback) description.
struct Prepared<'q> {
    filters: CompiledFilters,
    positive: Vec<PreparedAtom<'q>>,
    negative: Vec<NegativeAtom<'q>>,
    /// The text is a single atom: an exact name match gets a bonus.
    single: bool,
}

struct PreparedAtom<'q> {
    atom: &'q Atom,
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
}

struct NegativeAtom<'q> {
    atom: &'q Atom,
    /// Table entries (kind, type, owner, tag) that contain the needle.
    kind: Vec<bool>,
    ty: Vec<bool>,
    owner: Vec<bool>,
    tag: Vec<bool>,
    needle: Option<Needle>,
}

/// Filters decided once per distinct value of their field (the interned
/// tables), so checking a record is one table lookup per filter: an
/// `owner:` filter parses refs per distinct owner, not per record.
pub struct CompiledFilters {
    /// Per filter: its table and the verdict for every value in it.
    filters: Vec<(usize, Vec<bool>)>,
}

impl CompiledFilters {
    pub fn new(corpus: &Corpus, filters: &[Filter]) -> CompiledFilters {
        let filters = filters
            .iter()
            .map(|f| {
                let table = table_of(f.key);
                let verdicts = (0..corpus.tables[table].len())
                    .map(|id| f.matches_value(corpus.vocab(table, id as u32)))
                    .collect();
                (table, verdicts)
            })
            .collect();
        CompiledFilters { filters }
    }

    /// Does record `index` of `corpus` (the corpus these were compiled
    /// for) pass every filter?
    pub fn passes(&self, corpus: &Corpus, index: usize) -> bool {
        corpus
            .recs
            .get(index)
            .is_some_and(|rec| self.passes_rec(corpus, rec))
    }

    #[inline]
    fn passes_rec(&self, corpus: &Corpus, rec: &Rec) -> bool {
        self.filters.iter().all(|(table, ok)| {
            if *table == T_TAG {
                let view = RecordView { corpus, rec };
                view.tag_ids().iter().any(|&t| ok[t as usize])
            } else {
                ok[rec.ids[*table] as usize]
            }
        })
    }
}

/// Needle marks for one chunk of records, per atom (None: not scanned).
struct Marks {
    positive: Vec<Option<Vec<u8>>>,
    negative: Vec<Option<Vec<u8>>>,
}

impl<'q> Prepared<'q> {
    fn new(corpus: &Corpus, query: &Query, pattern: &'q Pattern, matcher: &mut Matcher) -> Self {
        let mut buf = Vec::new();
        let filters = CompiledFilters::new(corpus, &query.filters);
        let mut score_table = |atom: &Atom, table: usize, weight: u32| -> Vec<u32> {
            (0..corpus.tables[table].len())
                .map(|id| {
                    let s = corpus.vocab(table, id as u32);
                    let s = if table == T_OWNER { ref_name(s) } else { s };
                    atom.score(Utf32Str::new(s, &mut buf), matcher)
                        .map_or(0, |v| (u32::from(v) + 1) * weight)
                })
                .collect()
        };
        let needle = Needle::of;
        let mut positive = Vec::new();
        let mut negative = Vec::new();
        for atom in &pattern.atoms {
            if atom.negative {
                // `score` is None exactly when the needle is present.
                let mut present = |table: usize| -> Vec<bool> {
                    score_table(atom, table, 1)
                        .into_iter()
                        .map(|s| s == 0)
                        .collect()
                };
                negative.push(NegativeAtom {
                    atom,
                    kind: present(T_KIND),
                    ty: present(T_TYPE),
                    owner: present(T_OWNER),
                    tag: present(T_TAG),
                    needle: needle(atom),
                });
            } else {
                let desc = matches!(atom.kind, AtomKind::Fuzzy | AtomKind::Substring).then(|| {
                    let mut a = atom.clone();
                    a.kind = AtomKind::Substring;
                    a
                });
                positive.push(PreparedAtom {
                    atom,
                    desc,
                    kind: score_table(atom, T_KIND, W_FIELD),
                    ty: score_table(atom, T_TYPE, W_FIELD),
                    owner: score_table(atom, T_OWNER, W_FIELD),
                    tag: score_table(atom, T_TAG, W_FIELD),
                    needle: needle(atom),
                    needle_len: atom.needle_text().len(),
                });
            }
        }
        let single = positive.len() == 1 && negative.is_empty();
        Prepared {
            filters,
            positive,
            negative,
            single,
        }
    }

    fn has_text(&self) -> bool {
        !self.positive.is_empty() || !self.negative.is_empty()
    }

    #[inline]
    fn passes_filters(&self, corpus: &Corpus, rec: &Rec) -> bool {
        self.filters.passes_rec(corpus, rec)
    }

    /// Scan a chunk's text once per needle that would otherwise be searched
    /// for in every record's description.
    fn marks(&self, corpus: &Corpus, recs: &[Rec]) -> Marks {
        Marks {
            positive: self
                .positive
                .iter()
                .map(|p| match (&p.needle, &p.desc) {
                    (Some(n), Some(_)) => Some(n.mark(corpus, recs)),
                    _ => None,
                })
                .collect(),
            negative: self
                .negative
                .iter()
                .map(|n| n.needle.as_ref().map(|needle| needle.mark(corpus, recs)))
                .collect(),
        }
    }

    /// The record's score, or None when it does not match. `marks` (with
    /// the record's index in the marked chunk) replaces per-record
    /// description searches.
    fn score(
        &self,
        corpus: &Corpus,
        rec: &Rec,
        marks: Option<(&Marks, usize)>,
        matcher: &mut Matcher,
        buf: &mut Vec<char>,
    ) -> Option<u32> {
        let view = RecordView { corpus, rec };
        let name = view.name();
        let title = view.title();
        let mut total = 0u32;
        let mut exact = false;
        let ascii = rec.ascii;
        // Marks and byte masks are exact for ASCII records only (elsewhere
        // nucleo's normalization may match `e` to `é`).
        let marks = marks.filter(|_| ascii);
        // Name and title are adjacent in the text: one mask for both.
        let name_title = if ascii {
            byte_mask(corpus.text(rec.name, rec.desc).as_bytes())
        } else {
            u64::MAX
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
                if let Some(s) = p.atom.score(hay(ascii, name, buf), matcher) {
                    best = best.max((u32::from(s) + 1) * W_NAME);
                    if self.single && p.needle_len == name.chars().count() {
                        exact = true;
                    }
                }
                if !title.is_empty() {
                    if let Some(s) = p.atom.score(hay(ascii, title, buf), matcher) {
                        best = best.max((u32::from(s) + 1) * W_TITLE);
                    }
                }
            }
            if best == 0 {
                // Fallback: the description, by substring only.
                let desc = p.desc.as_ref()?;
                if let Some((m, i)) = marks {
                    if m.positive[a].as_ref().is_some_and(|v| v[i] & IN_DESC == 0) {
                        return None;
                    }
                }
                let s = desc.score(hay(ascii, view.description(), buf), matcher)?;
                best = (u32::from(s) + 1) * W_DESC;
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
                (IN_NAME, name),
                (IN_TITLE, title),
                (IN_DESC, view.description()),
            ] {
                if mark.is_none_or(|m| m & bit != 0)
                    && n.atom.score(hay(ascii, field, buf), matcher).is_none()
                {
                    return None;
                }
            }
        }
        Some(total + if exact { EXACT_NAME_BONUS } else { 0 })
    }

    /// Score one chunk of records (`first` is the index of its first record).
    fn scan(
        &self,
        corpus: &Corpus,
        recs: &[Rec],
        first: usize,
        matcher: &mut Matcher,
    ) -> Vec<(u32, u32)> {
        let passed: Vec<u32> = recs
            .iter()
            .enumerate()
            .filter(|(_, rec)| self.passes_filters(corpus, rec))
            .map(|(i, _)| i as u32)
            .collect();
        if !self.has_text() {
            return passed.into_iter().map(|i| (0, first as u32 + i)).collect();
        }
        let marks = (passed.len() * SCAN_SHARE >= recs.len()).then(|| self.marks(corpus, recs));
        let mut buf = Vec::new();
        passed
            .into_iter()
            .filter_map(|i| {
                let marks = marks.as_ref().map(|m| (m, i as usize));
                self.score(corpus, &recs[i as usize], marks, matcher, &mut buf)
                    .map(|score| (score, first as u32 + i))
            })
            .collect()
    }
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

struct SortKey {
    score: u32,
    kind: u32,
    prefix: u64,
    index: u32,
}

/// The first 8 bytes of an ASCII name, lower-cased, as a big-endian integer:
/// orders like [`cmp_ci`] wherever two prefixes differ.
fn name_prefix(name: &str) -> u64 {
    let mut key = [0u8; 8];
    for (k, b) in key.iter_mut().zip(name.bytes()) {
        *k = b.to_ascii_lowercase();
    }
    u64::from_be_bytes(key)
}

/// Rank `source` against `query`: filters narrow first, then each word of
/// the text must match some field (see the module docs). An empty text
/// returns every filtered record ordered by kind, then name. Hits are
/// ordered by score (best first), then name; at most `limit` are returned,
/// `matched` counts them all.
pub fn search<S: Searchable + ?Sized>(source: &S, query: &Query, limit: usize) -> SearchResults {
    let corpus = source.corpus();
    let available = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = available
        .min(corpus.len() / PAR_MIN_RECORDS)
        .clamp(1, MAX_THREADS);
    rank(&corpus, query, limit, threads)
}

fn rank(corpus: &Corpus, query: &Query, limit: usize, threads: usize) -> SearchResults {
    let pattern = Pattern::parse(&query.text, CaseMatching::Smart, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let prepared = Prepared::new(corpus, query, &pattern, &mut matcher);
    let total = corpus.len();

    let hits: Vec<(u32, u32)> = if threads <= 1 || total < threads {
        prepared.scan(corpus, &corpus.recs, 0, &mut matcher)
    } else {
        let chunk = total.div_ceil(threads);
        std::thread::scope(|s| {
            let prepared = &prepared;
            let workers: Vec<_> = corpus
                .recs
                .chunks(chunk)
                .enumerate()
                .skip(1)
                .map(|(n, recs)| {
                    s.spawn(move || {
                        let mut matcher = Matcher::new(Config::DEFAULT);
                        prepared.scan(corpus, recs, n * chunk, &mut matcher)
                    })
                })
                .collect();
            let mut hits = prepared.scan(corpus, &corpus.recs[..chunk], 0, &mut matcher);
            for w in workers {
                hits.extend(w.join().expect("search worker panicked"));
            }
            hits
        })
    };
    let matched = hits.len();

    // Sort keys: score, then (for an empty text) kind, then name; the kind
    // as its rank in the kind table and the name's first 8 bytes folded into
    // an integer, so most comparisons never touch the strings.
    let by_kind = !prepared.has_text();
    let kind_rank: Vec<u32> = if by_kind {
        let mut ids: Vec<u32> = (0..offset(corpus.tables[T_KIND].len())).collect();
        ids.sort_by(|&a, &b| cmp_ci(corpus.vocab(T_KIND, a), corpus.vocab(T_KIND, b)));
        let mut rank = vec![0; ids.len()];
        for (r, id) in ids.into_iter().enumerate() {
            rank[id as usize] = r as u32;
        }
        rank
    } else {
        Vec::new()
    };
    let view = |i: u32| RecordView {
        corpus,
        rec: &corpus.recs[i as usize],
    };
    let mut keys: Vec<SortKey> = hits
        .into_iter()
        .map(|(score, index)| {
            let rec = &corpus.recs[index as usize];
            SortKey {
                score,
                kind: kind_rank
                    .get(rec.ids[T_KIND] as usize)
                    .copied()
                    .unwrap_or(0),
                prefix: if corpus.ascii {
                    name_prefix(view(index).name())
                } else {
                    0
                },
                index,
            }
        })
        .collect();
    let order = |a: &SortKey, b: &SortKey| -> Ordering {
        b.score
            .cmp(&a.score)
            .then(a.kind.cmp(&b.kind))
            .then(a.prefix.cmp(&b.prefix))
            .then_with(|| {
                let (na, nb) = (view(a.index).name(), view(b.index).name());
                cmp_ci(na, nb).then_with(|| na.cmp(nb))
            })
            .then(a.index.cmp(&b.index))
    };
    if limit == 0 {
        keys.clear();
    } else if keys.len() > limit {
        keys.select_nth_unstable_by(limit - 1, order);
        keys.truncate(limit);
    }
    keys.sort_unstable_by(order);

    let mut buf = Vec::new();
    let mut atom_indices = Vec::new();
    let hits = keys
        .into_iter()
        .map(|SortKey { score, index, .. }| {
            let mut indices = Vec::new();
            let name = view(index).name();
            for p in &prepared.positive {
                atom_indices.clear();
                let hay = Utf32Str::new(name, &mut buf);
                if p.atom
                    .indices(hay, &mut matcher, &mut atom_indices)
                    .is_some()
                {
                    indices.extend_from_slice(&atom_indices);
                }
            }
            indices.sort_unstable();
            indices.dedup();
            Hit {
                index: index as usize,
                score,
                indices,
            }
        })
        .collect();
    SearchResults {
        hits,
        matched,
        total,
    }
}

/// What [`search`] accepts: a decoded [`Corpus`] (fast: searched in place)
/// or plain records (a corpus is built for the call).
pub trait Searchable {
    fn corpus(&self) -> Cow<'_, Corpus>;
}

impl Searchable for Corpus {
    fn corpus(&self) -> Cow<'_, Corpus> {
        Cow::Borrowed(self)
    }
}

impl Searchable for [SearchRecord] {
    fn corpus(&self) -> Cow<'_, Corpus> {
        Cow::Owned(Corpus::new(self))
    }
}

impl Searchable for Vec<SearchRecord> {
    fn corpus(&self) -> Cow<'_, Corpus> {
        self.as_slice().corpus()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(kind: &str, name: &str, owner: &str) -> SearchRecord {
        SearchRecord {
            entity_ref: derived_ref(kind, "default", name),
            kind: kind.to_string(),
            namespace: "default".to_string(),
            name: name.to_string(),
            owner: owner.to_string(),
            ..SearchRecord::default()
        }
    }

    fn with(mut r: SearchRecord, f: impl FnOnce(&mut SearchRecord)) -> SearchRecord {
        f(&mut r);
        r
    }

    fn names(records: &[SearchRecord], results: &SearchResults) -> Vec<String> {
        results
            .hits
            .iter()
            .map(|h| records[h.index].name.clone())
            .collect()
    }

    fn find(records: &[SearchRecord], q: &str) -> Vec<String> {
        names(records, &search(records, &parse_query(q), usize::MAX))
    }

    fn sample() -> Vec<SearchRecord> {
        vec![
            with(
                rec("Component", "payments-api", "group:default/team-a"),
                |r| {
                    r.title = "Payments API".into();
                    r.spec_type = "service".into();
                    r.lifecycle = "production".into();
                    r.system = "system:default/checkout".into();
                    r.tags = vec!["java".into(), "pci".into()];
                    r.description = "Takes card payments.".into();
                },
            ),
            with(rec("API", "payments", "group:default/team-a"), |r| {
                r.spec_type = "openapi".into();
                r.lifecycle = "production".into();
                r.system = "system:default/checkout".into();
            }),
            with(rec("Component", "ledger", "group:default/team-b"), |r| {
                r.spec_type = "service".into();
                r.lifecycle = "experimental".into();
                r.tags = vec!["go".into()];
                r.description = "Double-entry book keeping for payments and refunds.".into();
            }),
            with(rec("API", "ledger-events", "user:default/jdoe"), |r| {
                r.spec_type = "asyncapi".into();
                r.lifecycle = "deprecated".into();
                r.tags = vec!["kafka".into(), "java".into()];
            }),
            with(rec("Group", "team-a", ""), |r| {
                r.title = "Team A".into();
                r.description = "The payments team.".into();
            }),
        ]
    }

    // -- query parsing ------------------------------------------------------

    #[test]
    fn parses_filters_and_text() {
        let q = parse_query("kind:api owner:team-a pay");
        assert_eq!(q.text, "pay");
        assert_eq!(
            q.filters,
            vec![
                Filter {
                    key: FilterKey::Kind,
                    values: vec!["api".into()]
                },
                Filter {
                    key: FilterKey::Owner,
                    values: vec!["team-a".into()]
                },
            ]
        );
        assert_eq!(q.describe(), vec!["kind:api", "owner:team-a"]);
    }

    #[test]
    fn multiple_values_and_repeated_keys_are_any_of() {
        let q = parse_query("kind:api,component tag:java KIND:Resource tag:JAVA");
        assert_eq!(q.filters.len(), 2);
        assert_eq!(q.filters[0].key, FilterKey::Kind);
        assert_eq!(q.filters[0].values, vec!["api", "component", "Resource"]);
        // Duplicate values are dropped ignoring case.
        assert_eq!(q.filters[1].values, vec!["java"]);
        assert_eq!(
            q.describe(),
            vec!["kind:api,component,Resource", "tag:java"]
        );
        assert!(q.text.is_empty());
    }

    #[test]
    fn unknown_keys_and_odd_tokens_stay_in_the_text() {
        let q = parse_query("foo:bar  'exact   Lifecycle:Production ^pre !not suf$");
        assert_eq!(q.text, "foo:bar 'exact ^pre !not suf$");
        assert_eq!(q.describe(), vec!["lifecycle:Production"]);
        // A key without a value (still being typed) is ignored.
        let q = parse_query("kind: pay type:,");
        assert!(q.filters.is_empty());
        assert_eq!(q.text, "pay");
        // A key written with a space before the colon is not a key.
        assert_eq!(parse_query("kind :api").text, "kind :api");
    }

    #[test]
    fn quoted_values_and_escaped_spaces() {
        let q = parse_query(r#"owner:"Team Alpha" pay\ ments tag:"a,b"x"#);
        assert_eq!(q.filters[0].values, vec!["Team Alpha"]);
        assert_eq!(q.filters[1].values, vec!["a", "b"]);
        assert_eq!(q.text, r"pay\ ments x");
        // An unterminated quote takes the rest of the line.
        let q = parse_query(r#"system:"pay ments"#);
        assert_eq!(q.filters[0].values, vec!["pay ments"]);
        assert!(q.text.is_empty());
    }

    #[test]
    fn empty_query() {
        let q = parse_query("   ");
        assert!(q.is_empty());
        assert_eq!(q, Query::default());
    }

    // -- filter semantics ---------------------------------------------------

    #[test]
    fn owner_matches_name_kind_name_or_full_ref() {
        let r = rec("Component", "x", "group:default/team-a");
        for v in [
            "team-a",
            "Team-A",
            "group:team-a",
            "default/team-a",
            "group:default/team-a",
            "GROUP:DEFAULT/TEAM-A",
        ] {
            assert!(
                parse_query(&format!("owner:{v}")).matches_filters(&r),
                "{v}"
            );
        }
        for v in [
            "team",
            "user:team-a",
            "other/team-a",
            "group:other/team-a",
            "team-b",
        ] {
            assert!(
                !parse_query(&format!("owner:{v}")).matches_filters(&r),
                "{v}"
            );
        }
        assert!(!parse_query("owner:team-a").matches_filters(&rec("Component", "x", "")));
    }

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
            vec!["ledger-events", "payments-api"]
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

    // -- ranking ------------------------------------------------------------

    #[test]
    fn empty_text_orders_by_kind_then_name() {
        let records = sample();
        let all = search(&records, &parse_query(""), usize::MAX);
        assert_eq!(
            names(&records, &all),
            vec![
                "ledger-events",
                "payments",
                "ledger",
                "payments-api",
                "team-a"
            ]
        );
        assert_eq!((all.matched, all.total), (5, 5));
        assert!(all
            .hits
            .iter()
            .all(|h| h.score == 0 && h.indices.is_empty()));
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
    fn highlight_indices_are_in_the_name() {
        let records = sample();
        let r = search(&records, &parse_query("pmtapi"), 10);
        assert_eq!(names(&records, &r), vec!["payments-api"]);
        assert_eq!(r.hits[0].indices, vec![0, 3, 6, 9, 10, 11]);
        // A hit found through another field has no name indices.
        let r = search(&records, &parse_query("jdoe"), 10);
        assert!(r.hits[0].indices.is_empty());
    }

    #[test]
    fn limit_keeps_the_best_and_counts_all() {
        let records: Vec<SearchRecord> = (0..50)
            .map(|i| rec("Component", &format!("svc-{i:02}"), ""))
            .collect();
        let all = search(&records, &parse_query("svc"), usize::MAX);
        let top = search(&records, &parse_query("svc"), 7);
        assert_eq!(top.matched, 50);
        assert_eq!(top.hits, all.hits[..7]);
        assert_eq!(names(&records, &top)[0], "svc-00");
        let none = search(&records, &parse_query("svc"), 0);
        assert!(none.hits.is_empty());
        assert_eq!(none.matched, 50);
    }

    #[test]
    fn threads_do_not_change_results() {
        let records: Vec<SearchRecord> = (0..500)
            .map(|i| {
                with(rec("Component", &format!("svc-{i}-pay"), ""), |r| {
                    r.description = format!("item {i}");
                    r.tags = vec![format!("t{}", i % 7)];
                })
            })
            .collect();
        let corpus = Corpus::new(&records);
        for q in ["pay", "tag:t3 item", "", "1 !2", "svc-49"] {
            let q = parse_query(q);
            let one = rank(&corpus, &q, 40, 1);
            for threads in [2, 3, 7] {
                assert_eq!(rank(&corpus, &q, 40, threads), one);
            }
        }
    }

    #[test]
    fn byte_fast_paths_agree_with_nucleo() {
        let mut records = sample();
        records.extend((0..300).map(|i| {
            with(
                rec("Component", &format!("svc-{i}-pay"), "group:default/team-a"),
                |r| {
                    r.title = format!("Service {i}");
                    r.description = format!("item {i} for payments and Refunds, see svc-{}", i + 1);
                    r.tags = vec![format!("t{}", i % 7)];
                },
            )
        }));
        // A few non-ASCII records: they take the slow path in any corpus.
        records.push(with(rec("Component", "café-pay", ""), |r| {
            r.description = "Zahlungen für Refunds".into()
        }));
        records.push(with(rec("Component", "plain", ""), |r| {
            r.description = "refunds for svc-1 café".into()
        }));
        let fast = Corpus::new(&records);
        assert!(!fast.ascii);
        assert_eq!(fast.recs.iter().filter(|r| !r.ascii).count(), 2);
        let mut slow = fast.clone();
        for r in &mut slow.recs {
            r.ascii = false;
        }
        for q in [
            "pay",
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
            "ledger !kafka",
            "java",
            "s 1 2",
        ] {
            let q = parse_query(q);
            for threads in [1, 3] {
                assert_eq!(
                    rank(&fast, &q, 30, threads),
                    rank(&slow, &q, 30, threads),
                    "{q:?}"
                );
            }
        }
    }

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
        let r = search(&records, &parse_query("café"), 1);
        assert_eq!(r.hits[0].indices, vec![0, 1, 2, 3]);
    }

    // -- records and corpus -------------------------------------------------

    #[test]
    fn record_from_entity() {
        let e = Entity::from_value(serde_json::json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {
                "name": "Payments-API", "namespace": "Shop", "title": "Payments",
                "description": "Takes money.", "tags": ["java", 3, "pci"]
            },
            "spec": {"type": "service", "lifecycle": "production",
                     "owner": "team-a", "system": "default/checkout"}
        }))
        .unwrap();
        let r = SearchRecord::from_entity(&e);
        assert_eq!(r.entity_ref, "component:shop/payments-api");
        assert_eq!(r.namespace, "Shop");
        assert_eq!(r.owner, "group:shop/team-a");
        assert_eq!(r.system, "system:default/checkout");
        assert_eq!(r.tags, vec!["java", "pci"]);
        assert_eq!(r.description, "Takes money.");
        // The derived ref is not stored, yet survives a round trip.
        let corpus = Corpus::new(std::slice::from_ref(&r));
        assert!(!corpus.recs[0].ref_explicit);
        assert_eq!(corpus.get(0).unwrap().entity_ref(), r.entity_ref);
    }

    #[test]
    fn derived_refs() {
        for (kind, ns, name) in [("API", "Default", "Pay"), ("Ünit", "ß", "é"), ("", "", "")] {
            let derived = derived_ref(kind, ns, name);
            assert!(is_derived_ref(&derived, kind, ns, name));
            assert!(!is_derived_ref(&format!("{derived}x"), kind, ns, name));
            let mut shorter = derived.clone();
            shorter.pop();
            assert!(!is_derived_ref(&shorter, kind, ns, name));
        }
        assert!(!is_derived_ref("api:default/pay", "API", "default", "PAX"));
        assert!(!is_derived_ref("api/default:pay", "API", "default", "pay"));
    }

    #[test]
    fn long_descriptions_are_clipped() {
        let long = "é".repeat(DESCRIPTION_LIMIT);
        let clipped = clip(&long);
        assert_eq!(clipped.len(), DESCRIPTION_LIMIT);
        assert!(long.starts_with(&clipped));
        assert_eq!(clip(&format!("a{long}")).len(), DESCRIPTION_LIMIT - 1);
        assert_eq!(clip("short"), "short");
    }

    fn odd_records() -> Vec<SearchRecord> {
        let mut records = sample();
        records.push(SearchRecord::default());
        records.push(with(
            rec("Component", "Überweisung", "group:default/team-ß"),
            |r| {
                r.entity_ref = "component:default/something-else".into();
                r.tags = vec!["a b".into(), "".into(), "日本".into()];
                r.description = "emoji 🎉 and\nnewline\u{1b}[31m".into();
            },
        ));
        records.push(with(rec("API", "no-ref", ""), |r| r.entity_ref.clear()));
        records
    }

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
            let q = parse_query(q);
            assert_eq!(search(&corpus, &q, 10), search(&records, &q, 10));
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
    fn merge_keeps_the_first_of_each_ref() {
        let a = odd_records();
        let b = vec![
            with(rec("API", "payments", "group:default/other"), |r| {
                r.title = "Shadowed".into()
            }),
            rec("Component", "only-in-b", ""),
        ];
        let merged = Corpus::merge(vec![Corpus::new(&a), Corpus::new(&b)]);
        // `odd_records` has two records with an empty ref: the first stays.
        let mut seen = std::collections::HashSet::new();
        let expected: Vec<SearchRecord> = a
            .iter()
            .chain(&b)
            .filter(|r| seen.insert(r.entity_ref.clone()))
            .cloned()
            .collect();
        assert_eq!(expected.len(), a.len());
        assert_eq!(merged.to_records(), expected);
        assert_eq!(
            Corpus::decode(merged.encode()).unwrap().to_records(),
            expected
        );
        assert_eq!(Corpus::merge(vec![Corpus::new(&b)]).to_records(), b);
        let empty = Corpus::merge(Vec::new());
        assert!(empty.is_empty());
        assert_eq!(decode_corpus(&empty.encode()).unwrap(), vec![]);
        assert_eq!(
            format!("{empty:?}"),
            "Corpus { records: 0, text_bytes: 0, ascii: true, .. }"
        );
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
