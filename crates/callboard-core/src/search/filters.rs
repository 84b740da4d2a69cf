//! Structured filters compiled against one corpus.

use super::corpus::{table_of, Rec, T_TAG};
use super::{Corpus, Filter, RecordView};

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

    /// No filters: every record passes.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// Whether some filter accepts no value of its table, so that no
    /// record can pass (a filter value typed halfway, `owner:te`): the
    /// answer is empty without reading a record.
    pub fn passes_none(&self) -> bool {
        self.filters.iter().any(|(_, ok)| !ok.contains(&true))
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
    pub(super) fn passes_rec(&self, corpus: &Corpus, rec: &Rec) -> bool {
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
