//! Which characters of a hit's name and title to highlight: for each atom,
//! the ones of the field that gave it its best weighted score (the name
//! when it scores at least as well as the title, neither when the atom
//! matched the owner, a tag or the description better).

use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::{Corpus, Plan};

/// Matched char indices, sorted, in the name and in the title.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Highlight {
    pub name: Vec<u32>,
    pub title: Vec<u32>,
}

/// Scratch space for [`Highlighter::highlight`]: keep one per view.
pub struct Highlighter {
    matcher: Matcher,
    buf: Vec<char>,
    indices: Vec<u32>,
}

impl Default for Highlighter {
    fn default() -> Self {
        Highlighter {
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
            indices: Vec::new(),
        }
    }
}

impl std::fmt::Debug for Highlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Highlighter")
    }
}

impl Highlighter {
    /// The highlight of record `index` for `plan` (built over `corpus`).
    pub fn highlight(&mut self, corpus: &Corpus, plan: &Plan, index: u32) -> Highlight {
        let mut out = Highlight::default();
        let Some(view) = corpus.get(index as usize) else {
            return out;
        };
        let fields = plan.best_fields(corpus, index as usize, &mut self.matcher, &mut self.buf);
        for (p, field) in plan.positive.iter().zip(fields) {
            let (text, into) = match field {
                Some(true) => (view.name(), &mut out.name),
                Some(false) => (view.title(), &mut out.title),
                None => continue,
            };
            self.indices.clear();
            let hay = Utf32Str::new(text, &mut self.buf);
            if p.atom
                .indices(hay, &mut self.matcher, &mut self.indices)
                .is_some()
            {
                into.extend_from_slice(&self.indices);
            }
        }
        for v in [&mut out.name, &mut out.title] {
            v.sort_unstable();
            v.dedup();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::parse_query;
    use crate::search::test_support::{rec, sample, with};

    fn highlight(records: &[crate::search::SearchRecord], q: &str, name: &str) -> Highlight {
        let corpus = Corpus::new(records);
        let plan = Plan::new(&corpus, &parse_query(q));
        let index = corpus.iter().position(|v| v.name() == name).unwrap();
        Highlighter::default().highlight(&corpus, &plan, index as u32)
    }

    #[test]
    fn each_atom_highlights_the_field_that_scored_best() {
        let records = sample();
        let h = highlight(&records, "pmtapi", "payments-api");
        assert_eq!(h.name, vec![0, 3, 6, 9, 10, 11]);
        assert!(h.title.is_empty());
        // Found through the owner: nothing to highlight.
        assert_eq!(
            highlight(&records, "jdoe", "ledger-events"),
            Highlight::default()
        );
        // One atom in the name, the other through a tag.
        let h = highlight(&records, "ledger kafka", "ledger-events");
        assert_eq!(h.name, vec![0, 1, 2, 3, 4, 5]);
        // The title scores better than the name here (a word start).
        let records = vec![with(rec("Component", "paymentsapi", ""), |r| {
            r.title = "Payments Api".into()
        })];
        let h = highlight(&records, "api", "paymentsapi");
        assert_eq!((h.name, h.title), (vec![], vec![9, 10, 11]));
        let records = vec![rec("Component", "café-api", "")];
        assert_eq!(
            highlight(&records, "café", "café-api").name,
            vec![0, 1, 2, 3]
        );
    }
}
