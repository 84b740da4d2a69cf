//! An optional speed-up for a corpus searched many times (the TUI): the
//! display order and its inverse, and every ASCII name and title prepared
//! for [`super::fuzzy::score`] with the byte sets of name, title and
//! description. [`super::rank`] gives the same answer with or without it.

use super::fuzzy;
use super::needle::byte_mask;
use super::order::display_order;
use super::Corpus;

/// See the module docs. Build it once per corpus, off the UI thread:
/// [`Index::ordered`] takes a few ms at 100k records, [`Index::build`]
/// about a hundred more.
pub struct Index {
    order: Vec<u32>,
    position: Vec<u32>,
    fields: Option<Fields>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("records", &self.order.len())
            .field("prepared", &self.fields.is_some())
            .finish()
    }
}

impl Index {
    /// The display order only: enough to rank by it without sorting names.
    pub fn ordered(corpus: &Corpus) -> Index {
        let order = display_order(corpus);
        let mut position = vec![0u32; order.len()];
        for (p, &i) in order.iter().enumerate() {
            position[i as usize] = p as u32;
        }
        Index {
            order,
            position,
            fields: None,
        }
    }

    /// The display order and the prepared fields.
    pub fn build(corpus: &Corpus) -> Index {
        Index::ordered(corpus).prepared(corpus)
    }

    /// This index with the prepared fields added.
    pub fn prepared(&self, corpus: &Corpus) -> Index {
        Index {
            order: self.order.clone(),
            position: self.position.clone(),
            fields: Some(Fields::build(corpus)),
        }
    }

    /// Whether names and titles are prepared for fast scoring.
    pub fn is_prepared(&self) -> bool {
        self.fields.is_some()
    }

    /// Record indices in display order.
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    /// Where record `index` is in the display order.
    pub fn position(&self, index: u32) -> u32 {
        self.position[index as usize]
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub(super) fn positions(&self) -> &[u32] {
        &self.position
    }

    pub(super) fn fields(&self) -> Option<&Fields> {
        self.fields.as_ref()
    }
}

/// Records without prepared fields (non-ASCII ones).
const NOT_PREPARED: u32 = u32::MAX;

/// Per record: name then title [`fuzzy::prepare`]d, one contiguous slice
/// (a record's fields are read together, and records are read in a
/// scattered order once a query narrows), and byte sets.
pub(super) struct Fields {
    bytes: Vec<u8>,
    /// Per record: where its prepared name starts, or [`NOT_PREPARED`].
    at: Vec<u32>,
    /// Per record: [`byte_mask`] of name, title and description.
    sets: Vec<[u64; 3]>,
}

/// One record's prepared name and title, and its byte sets.
pub(super) struct PreparedRecord<'a> {
    pub(super) name: &'a [u8],
    pub(super) title: &'a [u8],
    pub(super) name_set: u64,
    pub(super) title_set: u64,
    pub(super) desc_set: u64,
}

impl Fields {
    fn build(corpus: &Corpus) -> Fields {
        let mut fields = Fields {
            bytes: Vec::new(),
            at: Vec::with_capacity(corpus.len()),
            sets: Vec::with_capacity(corpus.len()),
        };
        for v in corpus.iter() {
            let (name, title) = (v.name().as_bytes(), v.title().as_bytes());
            let room = 2 * (name.len() + title.len());
            if !v.rec.ascii || fields.bytes.len() + room > NOT_PREPARED as usize {
                fields.at.push(NOT_PREPARED);
                fields.sets.push([u64::MAX; 3]);
                continue;
            }
            fields.at.push(fields.bytes.len() as u32);
            fuzzy::prepare(name, &mut fields.bytes);
            fuzzy::prepare(title, &mut fields.bytes);
            fields.sets.push([
                byte_mask(name),
                byte_mask(title),
                byte_mask(v.description().as_bytes()),
            ]);
        }
        fields
    }

    /// Ask the CPU to load record `index`'s byte sets and prepared name
    /// (see [`super::plan::prefetch`]).
    #[inline]
    pub(super) fn prefetch(&self, index: usize) {
        if let Some(&at) = self.at.get(index) {
            super::plan::prefetch_read(self.sets.get(index));
            super::plan::prefetch_read(self.bytes.get(at as usize));
        }
    }

    /// Record `index`'s prepared fields (its name and title are
    /// `name_len` and `title_len` bytes), None when not prepared.
    #[inline]
    pub(super) fn get(
        &self,
        index: usize,
        name_len: usize,
        title_len: usize,
    ) -> Option<PreparedRecord<'_>> {
        let at = *self.at.get(index)?;
        if at == NOT_PREPARED {
            return None;
        }
        let at = at as usize;
        let mid = at + 2 * name_len;
        let [name_set, title_set, desc_set] = self.sets[index];
        Some(PreparedRecord {
            name: &self.bytes[at..mid],
            title: &self.bytes[mid..mid + 2 * title_len],
            name_set,
            title_set,
            desc_set,
        })
    }
}
