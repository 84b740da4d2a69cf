//! Entities kept serialised between reading and writing, for syncs: what
//! the snapshot needs of each entity (its JSON without `relations`, its own
//! relations as (type, target), its search record) is made on the thread
//! that read the file, and the parsed entity is dropped there. Reverse
//! relations are stitched into the compact lists, and `"relations"` is
//! spliced into the JSON as each row is written, so the snapshot is the one
//! [`crate::cache::Cache::write_snapshot`] writes from full entities.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, Result};
#[cfg(doc)]
use callboard_core::catalog::relations::OutsideEdges;
use callboard_core::catalog::relations::{inverse, EmittedRelation};
use callboard_core::catalog::Entity;
use callboard_core::search::SearchRecord;
use serde::Serialize;

use super::spill::{Spill, SpillReader};
use super::{MAX_WORKERS, PARALLEL_STITCH};
use crate::cache::{RowRef, SnapshotWriter};
use crate::source::Problem;

/// `f` of every item, in order, on up to `threads` threads.
fn in_parallel<T: Sync, U: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> U + Sync,
) -> Vec<U> {
    if threads <= 1 || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    let per_thread = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(per_thread)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut all = Vec::with_capacity(items.len());
        for part in parts {
            all.extend(part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        all
    })
}

/// One kept entity, serialised.
pub struct CompactEntity {
    /// Its canonical ref (shared with the relations stitched towards it).
    pub(super) key: Arc<str>,
    /// `metadata.name`, lower-cased (the snapshot's `name` column).
    name: String,
    /// The JSON `serde_json` writes for the entity without `relations`
    /// (its first `json_len` bytes), then its search record but the ref
    /// (the key), packed ([`pack_record`]).
    body: Body,
    json_len: u32,
    /// Where `,"relations":[…]` goes in the JSON.
    splice: u32,
    etag: Option<String>,
    /// Relations from this entity, sorted by (type, target) without
    /// repeats once stitched.
    relations: Vec<(&'static str, Arc<str>)>,
    /// The file it is in ([`callboard_core::catalog::Origin::location`]) and
    /// the line its document starts at; set by the loader.
    pub(super) location: Arc<str>,
    pub(super) line: u32,
}

/// Where a [`CompactEntity`]'s body is.
enum Body {
    Held(Box<[u8]>),
    /// In the load's [`Spill`] file, `len` bytes at `at`.
    Spilled {
        at: u64,
        len: u32,
    },
}

impl CompactEntity {
    /// Serialise `entity` (its `relations` are ignored) with `own`, the
    /// relations it emitted from itself (`key`).
    pub(super) fn new(entity: &Entity, key: String, own: Vec<EmittedRelation>) -> CompactEntity {
        let (mut body, splice) = json_without_relations(entity);
        let json_len = body.len();
        pack_record(SearchRecord::from_entity(entity), &mut body);
        let mut relations: Vec<(&'static str, Arc<str>)> = own
            .into_iter()
            .map(|r| (r.relation_type, Arc::from(r.target)))
            .collect();
        sort_dedup(&mut relations);
        relations.shrink_to_fit();
        CompactEntity {
            key: Arc::from(key),
            name: entity.metadata.name.to_lowercase(),
            body: Body::Held(body.into_boxed_slice()),
            json_len: json_len as u32,
            splice: splice as u32,
            etag: entity.metadata.etag.clone(),
            relations,
            location: Arc::from(""),
            line: 0,
        }
    }

    /// Move its body to `spill` unless the spill keeps it in memory.
    pub(super) fn spill(&mut self, spill: &mut Spill) {
        if let Body::Held(body) = &self.body {
            if let Some(at) = spill.put(body) {
                self.body = Body::Spilled {
                    at,
                    len: body.len() as u32,
                };
            }
        }
    }

    /// The entity's JSON with its relations, as `serde_json::to_vec` of the
    /// stitched entity gives it, into `out` (cleared first); `json` is the
    /// JSON part of its body.
    fn json_into(&self, json: &[u8], out: &mut Vec<u8>) {
        #[derive(Serialize)]
        struct Rel<'a> {
            #[serde(rename = "type")]
            relation_type: &'a str,
            #[serde(rename = "targetRef")]
            target_ref: &'a str,
        }
        let splice = self.splice as usize;
        out.clear();
        out.extend_from_slice(&json[..splice]);
        out.extend_from_slice(b",\"relations\":[");
        for (i, (relation_type, target_ref)) in self.relations.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            serde_json::to_writer(
                &mut *out,
                &Rel {
                    relation_type,
                    target_ref,
                },
            )
            .expect("writing to a Vec does not fail");
        }
        out.push(b']');
        out.extend_from_slice(&json[splice..]);
    }
}

/// What `serde_json::to_vec` writes for `entity` with `relations: None`,
/// and the offset where `relations` would go (after `spec`). Written field
/// by field in [`Entity`]'s serialisation order; tested equal.
fn json_without_relations(entity: &Entity) -> (Vec<u8>, usize) {
    fn put<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
        serde_json::to_writer(&mut *out, value).expect("entities serialise");
    }
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(b"{\"apiVersion\":");
    put(&mut out, &entity.api_version);
    out.extend_from_slice(b",\"kind\":");
    put(&mut out, &entity.kind);
    out.extend_from_slice(b",\"metadata\":");
    put(&mut out, &entity.metadata);
    if let Some(spec) = &entity.spec {
        out.extend_from_slice(b",\"spec\":");
        put(&mut out, spec);
    }
    let splice = out.len();
    if let Some(status) = &entity.status {
        out.extend_from_slice(b",\"status\":");
        put(&mut out, status);
    }
    for (key, value) in &entity.extra {
        out.push(b',');
        put(&mut out, key);
        out.push(b':');
        put(&mut out, value);
    }
    out.push(b'}');
    (out, splice)
}

/// A search record's fields but `entity_ref`, each as its length (u32 LE)
/// and bytes, the tags last after their count, appended to `out`: one
/// allocation instead of a dozen.
fn pack_record(record: SearchRecord, out: &mut Vec<u8>) {
    let SearchRecord {
        entity_ref: _,
        kind,
        namespace,
        name,
        title,
        spec_type,
        owner,
        lifecycle,
        system,
        tags,
        description,
    } = record;
    let fields = [
        kind,
        namespace,
        name,
        title,
        spec_type,
        owner,
        lifecycle,
        system,
        description,
    ];
    let len = fields
        .iter()
        .chain(&tags)
        .map(|f| f.len() + 4)
        .sum::<usize>()
        + 4;
    out.reserve_exact(len);
    let mut put = |text: &str| {
        out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
    };
    for field in &fields {
        put(field);
    }
    put(&tags.len().to_string());
    for tag in &tags {
        put(tag);
    }
}

/// The record [`pack_record`] packed, with `entity_ref`.
fn unpack_record(entity_ref: String, packed: &[u8]) -> SearchRecord {
    let mut at = 0;
    let mut next = || {
        let len = u32::from_le_bytes(packed[at..at + 4].try_into().expect("4 bytes")) as usize;
        let text = std::str::from_utf8(&packed[at + 4..at + 4 + len])
            .expect("packed from a String")
            .to_string();
        at += 4 + len;
        text
    };
    let kind = next();
    let namespace = next();
    let name = next();
    let title = next();
    let spec_type = next();
    let owner = next();
    let lifecycle = next();
    let system = next();
    let description = next();
    let tags = (0..next().parse::<usize>().expect("a count"))
        .map(|_| next())
        .collect();
    SearchRecord {
        entity_ref,
        kind,
        namespace,
        name,
        title,
        spec_type,
        owner,
        lifecycle,
        system,
        tags,
        description,
    }
}

fn sort_dedup(relations: &mut Vec<(&'static str, Arc<str>)>) {
    relations.sort_unstable();
    relations.dedup();
}

/// Stitch the `reverse` relations into the entities they start from (looked
/// up in `by_ref`), as [`super::stitch::stitch_kept`] does for full
/// entities. `from_kept` holds reverse relations as (source, type, index of
/// the kept entity they point to), each source as its id in the map beside
/// them (source → id, the ids 0..len).
///
/// The reverse relations whose source is not kept are returned, sorted
/// without repeats: the edges [`OutsideEdges`] finds in the stitched
/// entities (each is the inverse of a relation of a kept entity to a ref
/// outside the set, lower-cased), without interning every ref again.
pub(super) fn stitch_compact(
    entities: &mut [Box<CompactEntity>],
    reverse: Vec<EmittedRelation>,
    from_kept: Vec<(u32, &'static str, u32)>,
    sources: HashMap<Box<str>, u32>,
    by_ref: &HashMap<String, usize>,
) -> Vec<EmittedRelation> {
    let owner = |source: &str| by_ref.get(source).map(|&i| i as u32);
    let threads = if reverse.len() + from_kept.len() < PARALLEL_STITCH {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_WORKERS))
    };
    let mut names: Vec<Box<str>> = vec![Box::from(""); sources.len()];
    for (name, id) in sources {
        names[id as usize] = name;
    }
    // Each source looked up once.
    let source_owner: Vec<Option<u32>> = in_parallel(&names, threads, |s| owner(s));
    let mut from: Vec<Option<u32>> = in_parallel(&reverse, threads, |r| owner(&r.source));
    from.extend(
        from_kept
            .iter()
            .map(|&(source, _, _)| source_owner[source as usize]),
    );
    // Grow each list once.
    let mut added = vec![0u32; entities.len()];
    for &i in from.iter().flatten() {
        added[i as usize] += 1;
    }
    for (entity, &n) in entities.iter_mut().zip(&added) {
        if n > 0 {
            entity.relations.reserve_exact(n as usize);
        }
    }
    let mut outside = Vec::new();
    // A relation to a ref outside the set owes that ref its inverse, which
    // is the reverse relation the loader emitted: kept when the relation
    // type has one, as `OutsideEdges` keeps it, and looked up lower-cased.
    let mut owe = |source: String, relation_type: &'static str, target: &str| {
        if inverse(relation_type).is_none() {
            return;
        }
        let source = if source.bytes().any(|b| b.is_ascii_uppercase()) {
            let lower = source.to_lowercase();
            if by_ref.contains_key(&lower) {
                return;
            }
            lower
        } else {
            source
        };
        outside.push(EmittedRelation {
            source,
            relation_type,
            target: target.to_string(),
        });
    };
    let mut from = from.into_iter();
    for relation in reverse {
        match from.next() {
            Some(Some(i)) => entities[i as usize]
                .relations
                .push((relation.relation_type, Arc::from(relation.target))),
            _ => owe(relation.source, relation.relation_type, &relation.target),
        }
    }
    for (source, relation_type, target) in from_kept {
        match from.next() {
            Some(Some(i)) => {
                // The target's own key, not a copy of it.
                let target = Arc::clone(&entities[target as usize].key);
                entities[i as usize].relations.push((relation_type, target));
            }
            _ => owe(
                names[source as usize].to_string(),
                relation_type,
                &entities[target as usize].key,
            ),
        }
    }
    let per_thread = entities.len().div_ceil(threads).max(1);
    if threads <= 1 {
        for (entity, n) in entities.iter_mut().zip(added) {
            if n > 0 {
                sort_dedup(&mut entity.relations);
            }
        }
    } else {
        std::thread::scope(|scope| {
            for (entities, added) in entities
                .chunks_mut(per_thread)
                .zip(added.chunks(per_thread))
            {
                scope.spawn(move || {
                    for (entity, &n) in entities.iter_mut().zip(added) {
                        if n > 0 {
                            sort_dedup(&mut entity.relations);
                        }
                    }
                });
            }
        });
    }
    outside.sort();
    outside.dedup();
    outside
}

/// Local entities loaded for a sync: [`super::load_local_compact`].
pub struct CompactLoad {
    /// Boxed as the reading threads made them (the list grows by doubling
    /// at 8 bytes an entity).
    #[allow(clippy::vec_box)]
    pub entities: Vec<Box<CompactEntity>>,
    /// The reverse edges the entities owe refs outside them, sorted
    /// without repeats ([`SnapshotWriter::set_outside_edges`]).
    pub outside: Vec<EmittedRelation>,
    pub problems: Vec<Problem>,
    pub files_read: usize,
    /// Where the entities' bodies past the first few are, if anywhere but
    /// in memory.
    pub(super) spill: Option<Spill>,
}

impl CompactLoad {
    /// Add every entity and the outside edges to `writer` (an empty one),
    /// in order, freeing each entity as it is written (`entities` and
    /// `outside` are left empty). `source` is the source name the entities
    /// were loaded under. Each row (its JSON with relations, its search
    /// record) is made on another thread while the rows before it are
    /// written (reading the spilled bodies back in order).
    pub fn write_entities(&mut self, source: &str, writer: &mut SnapshotWriter) -> Result<()> {
        writer.set_outside_edges(std::mem::take(&mut self.outside));
        let entities = std::mem::take(&mut self.entities);
        let mut spilled = match self.spill.take() {
            Some(spill) => Some(
                spill
                    .into_reader()
                    .context("cannot read back the entities set aside")?,
            ),
            None => None,
        };
        let (rows, made) = std::sync::mpsc::sync_channel::<Vec<Row>>(ROW_BATCHES);
        std::thread::scope(|scope| {
            let producer = scope.spawn(move || -> std::io::Result<()> {
                let mut batch = Vec::with_capacity(ROW_BATCH);
                let mut scratch = Vec::new();
                for entity in entities {
                    batch.push(Row::new(*entity, spilled.as_mut(), &mut scratch)?);
                    if batch.len() == ROW_BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(ROW_BATCH));
                        if rows.send(full).is_err() {
                            // The writer stopped (an error): drop the rest.
                            return Ok(());
                        }
                    }
                }
                let _ = rows.send(batch);
                Ok(())
            });
            for batch in made {
                for row in batch {
                    let Row {
                        key,
                        name,
                        etag,
                        location,
                        line,
                        json,
                        record,
                    } = row;
                    let added = writer.add_row(
                        RowRef {
                            key: &key,
                            name: &name,
                            source,
                            location: &location,
                            line: Some(line),
                            json: &json,
                            etag: etag.as_deref(),
                        },
                        unpack_record(key.to_string(), &record),
                    )?;
                    // The loader keeps one entity a ref, and the outside
                    // edges were found against exactly these.
                    anyhow::ensure!(added, "entity {key} was loaded twice");
                }
            }
            producer
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e))
                .context("cannot read back the entities set aside")
        })
    }
}

/// Rows made ahead of the writer are sent in batches of this many, at most
/// this many batches waiting.
const ROW_BATCH: usize = 64;
const ROW_BATCHES: usize = 8;

/// A snapshot row made from a [`CompactEntity`].
struct Row {
    key: Arc<str>,
    name: String,
    etag: Option<String>,
    location: Arc<str>,
    line: u32,
    /// Its JSON with relations.
    json: Vec<u8>,
    /// Its packed search record, unpacked by the writer (the records stay
    /// until the snapshot is finished; made on the writer's thread they
    /// reuse the memory it frees).
    record: Box<[u8]>,
}

impl Row {
    /// The row of `entity`, its body read from `spilled` (into `scratch`)
    /// if it was spilled.
    fn new(
        entity: CompactEntity,
        spilled: Option<&mut SpillReader>,
        scratch: &mut Vec<u8>,
    ) -> std::io::Result<Row> {
        let body: &[u8] = match (&entity.body, spilled) {
            (Body::Held(body), _) => &body[..],
            (&Body::Spilled { at, len }, Some(spilled)) => {
                spilled.read(at, len as usize, scratch)?;
                &scratch[..]
            }
            (Body::Spilled { .. }, None) => {
                return Err(std::io::Error::other("a spilled entity without its file"))
            }
        };
        let (json_part, record) = body.split_at(entity.json_len as usize);
        let relations: usize = entity
            .relations
            .iter()
            .map(|(t, r)| t.len() + r.len() + 27)
            .sum();
        let mut json = Vec::with_capacity(json_part.len() + relations + 16);
        entity.json_into(json_part, &mut json);
        let record: Box<[u8]> = record.into();
        let CompactEntity {
            key,
            name,
            etag,
            location,
            line,
            ..
        } = entity;
        Ok(Row {
            key,
            name,
            etag,
            location,
            line,
            json,
            record,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_parallel_keeps_the_order() {
        let items: Vec<u32> = (0..1001).collect();
        let serial: Vec<u64> = items.iter().map(|&i| u64::from(i) * 3).collect();
        for threads in [1, 2, 3, 8, 2000] {
            assert_eq!(in_parallel(&items, threads, |&i| u64::from(i) * 3), serial);
        }
        assert!(in_parallel(&[] as &[u32], 4, |&i| i).is_empty());
    }

    #[test]
    fn a_packed_record_unpacks_to_itself() {
        let record = SearchRecord {
            entity_ref: "component:prod/wéb".into(),
            kind: "Component".into(),
            namespace: "prod".into(),
            name: "wéb".into(),
            title: String::new(),
            spec_type: "service".into(),
            owner: "group:prod/team-a".into(),
            lifecycle: "production".into(),
            system: String::new(),
            tags: vec!["a".into(), String::new(), "ü\0x".into()],
            description: "line\nline".into(),
        };
        let mut packed = b"before".to_vec();
        pack_record(record.clone(), &mut packed);
        assert_eq!(
            unpack_record(record.entity_ref.clone(), &packed[6..]),
            record
        );
        let bare = SearchRecord {
            tags: Vec::new(),
            ..record
        };
        let mut packed = Vec::new();
        pack_record(bare.clone(), &mut packed);
        assert_eq!(unpack_record(bare.entity_ref.clone(), &packed), bare);
    }
}
