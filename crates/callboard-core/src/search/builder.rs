//! A search corpus built record by record, as a sync writes its rows: the
//! repeated fields interned and the record's own strings laid out at once,
//! so that finishing it is a concatenation, and no [`SearchRecord`] is
//! allocated for an entity. The result is [`Corpus::new`]'s of the same
//! records, byte for byte (tested).

use std::collections::HashMap;

use super::codec::HEADER_LEN;
use super::corpus::{is_derived_ref, offset, Rec, Span, TABLES, T_KIND, T_LIFECYCLE};
use super::corpus::{T_NAMESPACE, T_OWNER, T_SYSTEM, T_TAG, T_TYPE};
use super::{clip_str, Corpus, SearchRecord};
use crate::catalog::Entity;

/// See the module doc.
#[derive(Default)]
pub struct CorpusBuilder {
    /// Each table's distinct values, by id.
    ids: [HashMap<Box<str>, u32>; TABLES],
    /// Each table's values in id order, one after the other.
    table_text: [String; TABLES],
    table_spans: [Vec<Span>; TABLES],
    /// The records' own strings (name, title, description, explicit ref).
    own: String,
    /// Offsets into `own` until [`CorpusBuilder::finish`].
    recs: Vec<Rec>,
    tag_ids: Vec<u32>,
}

impl CorpusBuilder {
    pub fn new() -> CorpusBuilder {
        CorpusBuilder::default()
    }

    /// Room for `n` more records.
    pub fn reserve(&mut self, n: usize) {
        self.recs.reserve(n);
    }

    /// Records added so far.
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    fn intern(&mut self, table: usize, s: &str) -> u32 {
        if let Some(&id) = self.ids[table].get(s) {
            return id;
        }
        let id = offset(self.table_spans[table].len());
        let text = &mut self.table_text[table];
        let start = offset(text.len());
        text.push_str(s);
        self.table_spans[table].push(Span {
            start,
            end: offset(text.len()),
        });
        self.ids[table].insert(s.into(), id);
        id
    }

    /// Add one record as [`Corpus::new`] lays it out.
    pub fn push_record(&mut self, r: &SearchRecord) {
        self.push(
            &r.entity_ref,
            [
                &r.kind,
                &r.namespace,
                &r.spec_type,
                &r.owner,
                &r.lifecycle,
                &r.system,
            ],
            &r.name,
            &r.title,
            &r.description,
            r.tags.iter().map(String::as_str),
        );
    }

    /// Add `entity`'s record, the one [`SearchRecord::from_entity`] gives,
    /// without building it; `entity_ref` is its [`Entity::ref_key`].
    pub fn push_entity(&mut self, entity_ref: &str, e: &Entity) {
        let owner = e.owner_ref().map(|r| r.canonical()).unwrap_or_default();
        let system = e.system_ref().map(|r| r.canonical()).unwrap_or_default();
        let tags = e
            .metadata
            .tags
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter_map(serde_json::Value::as_str);
        self.push(
            entity_ref,
            [
                &e.kind,
                e.namespace(),
                e.spec_type().unwrap_or_default(),
                &owner,
                e.lifecycle().unwrap_or_default(),
                &system,
            ],
            &e.metadata.name,
            e.metadata.title.as_deref().unwrap_or_default(),
            clip_str(e.metadata.description.as_deref().unwrap_or_default()),
            tags,
        );
    }

    /// `fields`: kind, namespace, type, owner, lifecycle, system.
    #[allow(clippy::too_many_arguments)]
    fn push<'t>(
        &mut self,
        entity_ref: &str,
        fields: [&str; TABLES - 1],
        name: &str,
        title: &str,
        description: &str,
        tags: impl Iterator<Item = &'t str>,
    ) {
        let [kind, namespace, spec_type, owner, lifecycle, system] = fields;
        let ids = [
            self.intern(T_KIND, kind),
            self.intern(T_NAMESPACE, namespace),
            self.intern(T_TYPE, spec_type),
            self.intern(T_OWNER, owner),
            self.intern(T_LIFECYCLE, lifecycle),
            self.intern(T_SYSTEM, system),
        ];
        let first_tag = offset(self.tag_ids.len());
        for t in tags {
            let id = self.intern(T_TAG, t);
            self.tag_ids.push(id);
        }
        let ntags = offset(self.tag_ids.len()) - first_tag;
        let explicit = !is_derived_ref(entity_ref, kind, namespace, name);
        let own = &mut self.own;
        let start = own.len();
        let pos = |own: &String| offset(own.len());
        let name_at = pos(own);
        own.push_str(name);
        let title_at = pos(own);
        own.push_str(title);
        let desc_at = pos(own);
        own.push_str(description);
        let ref_at = pos(own);
        if explicit {
            own.push_str(entity_ref);
        }
        self.recs.push(Rec {
            name: name_at,
            title: title_at,
            desc: desc_at,
            refo: ref_at,
            end: pos(own),
            ref_explicit: explicit,
            ascii: own.as_bytes()[start..].is_ascii(),
            ids,
            tags: first_tag,
            ntags,
        });
    }

    /// The corpus: the tables' text first, then the records' own strings.
    pub fn finish(self) -> Corpus {
        let tables_len: usize = self.table_text.iter().map(String::len).sum();
        let mut buf = String::with_capacity(HEADER_LEN + tables_len + self.own.len());
        buf.push_str(&"0".repeat(HEADER_LEN)); // replaced by `encode`
        let mut tables: [Vec<Span>; TABLES] = Default::default();
        for ((table, text), spans) in tables
            .iter_mut()
            .zip(&self.table_text)
            .zip(self.table_spans)
        {
            let base = offset(buf.len() - HEADER_LEN);
            buf.push_str(text);
            *table = spans
                .into_iter()
                .map(|s| Span {
                    start: s.start + base,
                    end: s.end + base,
                })
                .collect();
        }
        let shift = offset(buf.len() - HEADER_LEN);
        buf.push_str(&self.own);
        let mut recs = self.recs;
        for r in &mut recs {
            r.name += shift;
            r.title += shift;
            r.desc += shift;
            r.refo += shift;
            r.end += shift;
        }
        let ascii = buf.is_ascii();
        Corpus {
            buf: buf.into(),
            tables,
            recs,
            tag_ids: self.tag_ids,
            ascii,
        }
    }

    /// [`CorpusBuilder::finish`], encoded ([`Corpus::encode`]).
    pub fn encode(self) -> Vec<u8> {
        self.finish().encode()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::encode_corpus;
    use crate::search::test_support::{odd_records, rec, with};

    fn built(records: &[SearchRecord]) -> Vec<u8> {
        let mut b = CorpusBuilder::new();
        for r in records {
            b.push_record(r);
        }
        assert_eq!(b.len(), records.len());
        b.encode()
    }

    #[test]
    fn records_built_one_by_one_encode_as_the_whole_set() {
        assert_eq!(built(&[]), encode_corpus(&[]));
        let odd = odd_records();
        assert_eq!(built(&odd), encode_corpus(&odd));
        // Values repeated across records and tables, and non-ASCII ones.
        let many: Vec<SearchRecord> = (0..500)
            .map(|i| {
                with(rec("Component", &format!("c{i}"), "group:default/t"), |r| {
                    r.tags = vec![format!("t{}", i % 7), "x".into()];
                    r.namespace = if i % 3 == 0 {
                        "Prod".into()
                    } else {
                        "default".into()
                    };
                    r.lifecycle = ["", "production", "ß"][i % 3].into();
                    if i % 11 == 0 {
                        r.description = "é".repeat(i);
                    }
                })
            })
            .collect();
        assert_eq!(built(&many), encode_corpus(&many));
        let corpus = {
            let mut b = CorpusBuilder::new();
            many.iter().for_each(|r| b.push_record(r));
            b.finish()
        };
        assert_eq!(corpus.to_records(), many);
    }

    #[test]
    fn entities_give_the_records_from_entity_gives() {
        let entities: Vec<Entity> = [
            serde_json::json!({"apiVersion": "v1", "kind": "Component",
                "metadata": {"name": "Payments-API", "namespace": "Shop", "title": "Payments",
                    "description": "Takes money.", "tags": ["java", 3, "pci"]},
                "spec": {"type": "service", "lifecycle": "production",
                    "owner": "team-a", "system": "default/checkout"}}),
            serde_json::json!({"apiVersion": "v1", "kind": "Group", "metadata": {"name": "t"}}),
            serde_json::json!({"apiVersion": "v1", "kind": "API",
                "metadata": {"name": "Überweisung", "namespace": "",
                    "description": "ü".repeat(400)},
                "spec": {"owner": "user:bob", "system": 7, "type": ["x"]}}),
        ]
        .into_iter()
        .map(|v| Entity::from_value(v).unwrap())
        .collect();
        let records: Vec<SearchRecord> = entities.iter().map(SearchRecord::from_entity).collect();
        let mut b = CorpusBuilder::new();
        for e in &entities {
            b.push_entity(&e.ref_key(), e);
        }
        assert_eq!(b.encode(), encode_corpus(&records));
    }
}
