//! The search corpus: every record's own strings (name, title, description)
//! in one buffer, the fields that repeat across entities interned in small
//! tables, and borrowed views of its records. Its binary form is in
//! [`super::codec`].

use std::borrow::Cow;
use std::collections::HashMap;

use super::codec::HEADER_LEN;
use super::text::CorpusText;
use super::{FilterKey, Query, SearchRecord, SearchResults};

/// Interned field tables, in storage order.
pub(super) const T_KIND: usize = 0;
pub(super) const T_NAMESPACE: usize = 1;
pub(super) const T_TYPE: usize = 2;
pub(super) const T_OWNER: usize = 3;
pub(super) const T_LIFECYCLE: usize = 4;
pub(super) const T_SYSTEM: usize = 5;
pub(super) const T_TAG: usize = 6;
pub(super) const TABLES: usize = 7;

pub(super) fn table_of(key: FilterKey) -> usize {
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
pub(super) struct Span {
    pub(super) start: u32,
    pub(super) end: u32,
}

/// One record: its own strings are consecutive in the text (name, title,
/// description, explicit ref), the repeated ones are ids into the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Rec {
    pub(super) name: u32,
    pub(super) title: u32,
    pub(super) desc: u32,
    pub(super) refo: u32,
    pub(super) end: u32,
    /// `entity_ref` is stored only when it differs from the canonical ref
    /// derived from kind, namespace and name.
    pub(super) ref_explicit: bool,
    /// The record's own strings are ASCII: byte-level fast paths apply.
    pub(super) ascii: bool,
    pub(super) ids: [u32; TABLES - 1],
    pub(super) tags: u32,
    pub(super) ntags: u32,
}

impl Rec {
    /// The name's length in bytes (the name's span ends where the title's starts).
    #[inline]
    pub(super) fn name_len(&self) -> usize {
        (self.title - self.name) as usize
    }

    /// The title's length in bytes (it ends where the description starts).
    #[inline]
    pub(super) fn title_len(&self) -> usize {
        (self.desc - self.title) as usize
    }
}

/// The search corpus: every record's strings in one buffer, the fields that
/// repeat across entities (kind, namespace, type, owner, lifecycle, system,
/// tags) interned in small tables. Decoding is one UTF-8 check and a walk
/// over varints; searching allocates nothing per record.
#[derive(Clone)]
pub struct Corpus {
    /// Header (ASCII) + text; spans are relative to `HEADER_LEN`.
    pub(super) buf: CorpusText,
    pub(super) tables: [Vec<Span>; TABLES],
    pub(super) recs: Vec<Rec>,
    pub(super) tag_ids: Vec<u32>,
    /// The whole text is ASCII (the common case): enables byte-level paths.
    pub(super) ascii: bool,
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
    pub(super) corpus: &'a Corpus,
    pub(super) rec: &'a Rec,
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
    pub(super) fn tag_ids(&self) -> &'a [u32] {
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

pub(super) fn derived_ref(kind: &str, namespace: &str, name: &str) -> String {
    let mut s = String::with_capacity(kind.len() + namespace.len() + name.len() + 2);
    s.extend(kind.chars().flat_map(char::to_lowercase));
    s.push(':');
    s.extend(namespace.chars().flat_map(char::to_lowercase));
    s.push('/');
    s.extend(name.chars().flat_map(char::to_lowercase));
    s
}

/// `entity_ref == derived_ref(kind, namespace, name)`, without allocating.
pub(super) fn is_derived_ref(entity_ref: &str, kind: &str, namespace: &str, name: &str) -> bool {
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

pub(super) fn offset(len: usize) -> u32 {
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
            buf: buf.into(),
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
        super::search(self, query, limit)
    }

    pub(super) fn text(&self, start: u32, end: u32) -> &str {
        &self.buf[HEADER_LEN + start as usize..HEADER_LEN + end as usize]
    }

    pub(super) fn vocab(&self, table: usize, id: u32) -> &str {
        let span = self.tables[table][id as usize];
        self.text(span.start, span.end)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Entity;
    use crate::search::decode_corpus;
    use crate::search::test_support::{odd_records, rec, with};

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
}
