//! Search: the query syntax, the compact search corpus stored in the cache,
//! and the one ranking that the CLI, the TUI list, the form pickers and the
//! template list share, so a query finds the same entities, in the same
//! order, everywhere.
//!
//! Files: `query` (syntax), `corpus` and `codec` (storage and its binary
//! form), `filters`, `needle` (byte-level scans), `plan` (how a record
//! scores), `rank` (scheduling and order), `order` (the display order),
//! `index` (the TUI's speed-up), `highlight`, and [`fuzzy`].
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
//! description ×1; a word equal to a whole kind, type, owner or tag counts
//! ×4 like a name; the whole text equal to the name adds a large bonus):
//!
//! * name, title, kind, type, the owner's name and each tag: nucleo fuzzy
//!   (or the atom's own kind: substring, prefix, suffix, exact);
//! * description: **substring only** (`pay` finds "payment", not "provides
//!   a way"), and only when no short field matched the atom;
//! * `!word` excludes a record if the word occurs in any of those fields.
//!
//! Hits are ordered by score, then the display order ([`display_cmp`]:
//! components, APIs, resources, systems, domains, groups, users, templates,
//! locations, then the name ignoring case); with no text, by the display
//! order alone.
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
//! slower (17 ms at 10k), so prefer [`Corpus::decode`] (and
//! [`Corpus::merge`] for several sources) with [`Corpus::search`].
//!
//! # One ranking, several front ends
//! [`search`] (the CLI) ranks a corpus once with nucleo. The TUI keeps an
//! [`Index`] (display positions, names and titles prepared for
//! [`fuzzy::score`]) and calls [`rank`] per keystroke with a [`Scope`] (the
//! previous hits when the query [narrows](Plan::narrows) them, a picker's
//! candidates) and a cancel check; the answer is the same with or without
//! the index. [`Highlighter`] finds the characters to highlight.

pub mod backend;
mod builder;
mod codec;
mod corpus;
mod filters;
pub mod fuzzy;
mod highlight;
mod index;
mod needle;
mod order;
mod plan;
mod query;
mod radix;
mod rank;
#[cfg(test)]
mod test_support;
mod text;

pub use builder::CorpusBuilder;
pub use codec::{decode_corpus, encode_corpus, CorpusError, CORPUS_MAGIC, CORPUS_VERSION};
pub use corpus::{Corpus, RecordView};
pub use filters::CompiledFilters;
pub use highlight::{Highlight, Highlighter};
pub use index::Index;
pub use order::{display_cmp, display_order, display_order_first, kind_rank};
pub use plan::{Plan, EXACT_NAME_BONUS};
pub use query::{cmp_ci, parse_query, Filter, FilterKey, Query};
pub use rank::{
    ascending, rank, rank_texts, search, Hit, Options, Ranking, Scope, SearchResults, NEVER,
};
pub use text::SharedBytes;

use crate::catalog::Entity;

/// Records per thread below which one thread is faster (decoding, ranking).
const PAR_MIN_RECORDS: usize = 10_000;

/// Threads a search (ranking, the query plan's tables) uses at most.
const MAX_THREADS: usize = 4;

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
    clip_str(s).to_string()
}

/// [`clip`], borrowed.
fn clip_str(s: &str) -> &str {
    let mut end = s.len().min(DESCRIPTION_LIMIT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_descriptions_are_clipped() {
        let long = "é".repeat(DESCRIPTION_LIMIT);
        let clipped = clip(&long);
        assert_eq!(clipped.len(), DESCRIPTION_LIMIT);
        assert!(long.starts_with(&clipped));
        assert_eq!(clip(&format!("a{long}")).len(), DESCRIPTION_LIMIT - 1);
        assert_eq!(clip("short"), "short");
    }
}
