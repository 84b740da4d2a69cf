//! An entity read for indexing only: what a snapshot derives from an
//! entity whose JSON it stores as is (its ref, name and etag, its search
//! record, its relations), without building the rest (labels,
//! annotations, the spec's other fields, status, unknown keys), which
//! [`Entity`]'s `#[serde(flatten)]` maps buffer and copy.
//!
//! [`parse_indexed`] accepts exactly what `Entity` accepts and refuses
//! exactly what it refuses, with its error: the lean read checks every
//! type `Entity` checks (and refuses a little more: repeated keys, which
//! `Entity`'s maps take last-wins); whatever it refuses is parsed again
//! as an `Entity`, which decides.

use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::lean::spec_map;

use super::entity::{Entity, Metadata, Relation};

/// `T` read only from a JSON object (a derived struct also takes an
/// array, field by field; `Entity`'s maps do not).
struct MapOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for MapOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(V(PhantomData)).map(MapOnly)
    }
}

#[derive(Deserialize)]
struct IndexedEntity {
    #[serde(rename = "apiVersion")]
    api_version: String,
    kind: String,
    metadata: MapOnly<IndexedMetadata>,
    #[serde(default)]
    spec: Option<MapOnly<IndexedSpec>>,
    #[serde(default)]
    relations: Option<Vec<Relation>>,
    // `Entity` keeps these as any JSON value.
    #[serde(default)]
    #[allow(dead_code)]
    status: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct IndexedMetadata {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    labels: Option<MapOnly<IgnoredAny>>,
    #[serde(default)]
    #[allow(dead_code)]
    annotations: Option<MapOnly<IgnoredAny>>,
    #[serde(default)]
    tags: Option<Vec<Value>>,
    #[serde(default)]
    #[allow(dead_code)]
    links: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    uid: Option<String>,
    #[serde(default)]
    etag: Option<String>,
}

/// The spec fields an index reads; the others are any JSON value, as in
/// `Entity`'s map.
#[derive(Deserialize)]
struct IndexedSpec {
    #[serde(rename = "type", default)]
    spec_type: Option<Value>,
    #[serde(default)]
    owner: Option<Value>,
    #[serde(default)]
    lifecycle: Option<Value>,
    #[serde(default)]
    system: Option<Value>,
}

/// Parse an entity's JSON for indexing: an [`Entity`] with `apiVersion`,
/// `kind`, `metadata` (name, namespace, title, description, tags, uid,
/// etag), `spec` (type, owner, lifecycle, system) and `relations`; the
/// rest left out. Ok and Err exactly as `serde_json::from_str::<Entity>`,
/// with its error.
pub fn parse_indexed(json: &str) -> serde_json::Result<Entity> {
    let Ok(lean) = serde_json::from_str::<MapOnly<IndexedEntity>>(json) else {
        return serde_json::from_str::<Entity>(json);
    };
    Ok(from_lean(lean.0))
}

/// The entity whose JSON starts `text` (no whitespace before it), read
/// as [`parse_indexed`] reads it, and the length of that JSON: for a
/// page's items read in place, one after the other. `None` where the lean
/// read refuses it (a bad entity, or not one: [`parse_indexed`] on the
/// same text decides).
pub fn parse_indexed_prefix(text: &str) -> Option<(Entity, usize)> {
    if !text.starts_with('{') {
        return None;
    }
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<MapOnly<IndexedEntity>>();
    let lean = stream.next()?.ok()?;
    Some((from_lean(lean.0), stream.byte_offset()))
}

fn from_lean(lean: IndexedEntity) -> Entity {
    let meta = lean.metadata.0;
    let spec = lean.spec.map(|s| {
        let s = s.0;
        spec_map([
            ("type", s.spec_type),
            ("owner", s.owner),
            ("lifecycle", s.lifecycle),
            ("system", s.system),
        ])
    });
    Entity {
        api_version: lean.api_version,
        kind: lean.kind,
        metadata: Metadata {
            name: meta.name,
            namespace: meta.namespace,
            title: meta.title,
            description: meta.description,
            tags: meta.tags,
            uid: meta.uid,
            etag: meta.etag,
            ..Metadata::default()
        },
        spec,
        relations: lean.relations,
        status: None,
        extra: Map::new(),
    }
}
