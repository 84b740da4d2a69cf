//! Relations derived from `spec`, as Backstage's processors emit them
//! (`BuiltinKindsEntityProcessor`, `ScaffolderEntitiesProcessor`), and the
//! stitching step that attaches each emitted relation to its source entity.

use std::collections::{BTreeSet, HashMap};

use super::entity::{Entity, Kind, Relation};
use super::entity_ref::{EntityRef, RefContext, RefError};

pub const OWNED_BY: &str = "ownedBy";
pub const OWNER_OF: &str = "ownerOf";
pub const PROVIDES_API: &str = "providesApi";
pub const API_PROVIDED_BY: &str = "apiProvidedBy";
pub const CONSUMES_API: &str = "consumesApi";
pub const API_CONSUMED_BY: &str = "apiConsumedBy";
pub const DEPENDS_ON: &str = "dependsOn";
pub const DEPENDENCY_OF: &str = "dependencyOf";
pub const PARENT_OF: &str = "parentOf";
pub const CHILD_OF: &str = "childOf";
pub const MEMBER_OF: &str = "memberOf";
pub const HAS_MEMBER: &str = "hasMember";
pub const PART_OF: &str = "partOf";
pub const HAS_PART: &str = "hasPart";

/// The reverse of a known relation type.
pub fn inverse(relation_type: &str) -> Option<&'static str> {
    Some(match relation_type {
        OWNED_BY => OWNER_OF,
        OWNER_OF => OWNED_BY,
        PROVIDES_API => API_PROVIDED_BY,
        API_PROVIDED_BY => PROVIDES_API,
        CONSUMES_API => API_CONSUMED_BY,
        API_CONSUMED_BY => CONSUMES_API,
        DEPENDS_ON => DEPENDENCY_OF,
        DEPENDENCY_OF => DEPENDS_ON,
        PARENT_OF => CHILD_OF,
        CHILD_OF => PARENT_OF,
        MEMBER_OF => HAS_MEMBER,
        HAS_MEMBER => MEMBER_OF,
        PART_OF => HAS_PART,
        HAS_PART => PART_OF,
        _ => return None,
    })
}

/// One spec field that produces relations.
struct RelationField {
    field: &'static str,
    default_kind: Option<&'static str>,
    outgoing: &'static str,
    incoming: &'static str,
}

const fn rf(
    field: &'static str,
    default_kind: Option<&'static str>,
    outgoing: &'static str,
    incoming: &'static str,
) -> RelationField {
    RelationField {
        field,
        default_kind,
        outgoing,
        incoming,
    }
}

const OWNER: RelationField = rf("owner", Some("Group"), OWNED_BY, OWNER_OF);
const SYSTEM: RelationField = rf("system", Some("System"), PART_OF, HAS_PART);
const DEPENDS: RelationField = rf("dependsOn", None, DEPENDS_ON, DEPENDENCY_OF);
const DEPENDENCY: RelationField = rf("dependencyOf", None, DEPENDENCY_OF, DEPENDS_ON);

/// The table in the reference (§c), in the processors' order.
fn relation_fields(kind: Kind) -> &'static [RelationField] {
    const COMPONENT: &[RelationField] = &[
        OWNER,
        rf("subcomponentOf", Some("Component"), PART_OF, HAS_PART),
        rf("providesApis", Some("API"), PROVIDES_API, API_PROVIDED_BY),
        rf("consumesApis", Some("API"), CONSUMES_API, API_CONSUMED_BY),
        DEPENDS,
        DEPENDENCY,
        SYSTEM,
    ];
    const API: &[RelationField] = &[OWNER, SYSTEM];
    const RESOURCE: &[RelationField] = &[OWNER, DEPENDS, DEPENDENCY, SYSTEM];
    const SYSTEM_FIELDS: &[RelationField] =
        &[OWNER, rf("domain", Some("Domain"), PART_OF, HAS_PART)];
    const DOMAIN: &[RelationField] = &[OWNER, rf("subdomainOf", Some("Domain"), PART_OF, HAS_PART)];
    const USER: &[RelationField] = &[rf("memberOf", Some("Group"), MEMBER_OF, HAS_MEMBER)];
    const GROUP: &[RelationField] = &[
        rf("parent", Some("Group"), CHILD_OF, PARENT_OF),
        rf("children", Some("Group"), PARENT_OF, CHILD_OF),
        rf("members", Some("User"), HAS_MEMBER, MEMBER_OF),
    ];
    const TEMPLATE: &[RelationField] = &[OWNER];
    match kind {
        Kind::Component => COMPONENT,
        Kind::Api => API,
        Kind::Resource => RESOURCE,
        Kind::System => SYSTEM_FIELDS,
        Kind::Domain => DOMAIN,
        Kind::User => USER,
        Kind::Group => GROUP,
        Kind::Template => TEMPLATE,
        Kind::Location => &[],
    }
}

/// A relation as a processor emits it: both ends are full refs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmittedRelation {
    pub source: String,
    pub relation_type: &'static str,
    pub target: String,
}

/// A spec ref that could not be turned into a relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationError {
    /// Path of the offending value, e.g. `spec.dependsOn[1]`.
    pub path: String,
    pub error: RefError,
}

/// One ref in an entity's spec: where it is, the relation it emits (and
/// the reverse one on its target), and its canonical target or why it is
/// not a ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecRef {
    /// Path of the value, e.g. `spec.owner` or `spec.dependsOn[1]`.
    pub path: String,
    pub relation_type: &'static str,
    pub reverse_type: &'static str,
    pub target: Result<String, RefError>,
}

/// Every ref in an entity's spec that the processors turn into relations,
/// in their order, with the path it is at (so a message about a relation
/// can point at the line that made it).
pub fn spec_refs(entity: &Entity) -> Vec<SpecRef> {
    let Some(kind) = entity.known_kind() else {
        return Vec::new();
    };
    let namespace = entity.namespace();
    let mut out = Vec::new();
    for field in relation_fields(kind) {
        let values: Vec<(String, &str)> = match entity.spec_value(field.field) {
            None | Some(serde_json::Value::Null) => continue,
            Some(serde_json::Value::String(s)) => {
                vec![(format!("spec.{}", field.field), s.as_str())]
            }
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    v.as_str()
                        .map(|s| (format!("spec.{}[{i}]", field.field), s))
                })
                .collect(),
            // Wrong shapes are reported by validation; nothing to emit.
            Some(_) => continue,
        };
        let ctx = RefContext::new(field.default_kind, Some(namespace));
        for (path, value) in values {
            out.push(SpecRef {
                path,
                relation_type: field.outgoing,
                reverse_type: field.incoming,
                target: EntityRef::parse_with(value, ctx).map(|t| t.canonical()),
            });
        }
    }
    out
}

/// Every relation an entity's spec emits, forward and reverse, exactly as
/// the processors do. Any bad ref fails the whole entity, as in Backstage.
pub fn emit_relations(entity: &Entity) -> Result<Vec<EmittedRelation>, Vec<RelationError>> {
    let self_key = entity.ref_key();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for spec_ref in spec_refs(entity) {
        match spec_ref.target {
            Ok(target) => {
                out.push(EmittedRelation {
                    source: self_key.clone(),
                    relation_type: spec_ref.relation_type,
                    target: target.clone(),
                });
                out.push(EmittedRelation {
                    source: target,
                    relation_type: spec_ref.reverse_type,
                    target: self_key.clone(),
                });
            }
            Err(error) => errors.push(RelationError {
                path: spec_ref.path,
                error,
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Attach every emitted relation to its source entity, as the stitcher does:
/// an entity gets the relations whose source is itself, so a reverse edge
/// exists only where the other side exists, and a forward edge to a missing
/// entity stays (dangling). Existing `relations` are replaced.
pub fn stitch(entities: &mut [Entity], emitted: impl IntoIterator<Item = EmittedRelation>) {
    let index: HashMap<String, usize> = entities
        .iter()
        .enumerate()
        .map(|(i, e)| (e.ref_key(), i))
        .collect();
    let mut per_entity: Vec<BTreeSet<(String, String)>> = vec![BTreeSet::new(); entities.len()];
    for relation in emitted {
        if let Some(&i) = index.get(&relation.source) {
            per_entity[i].insert((relation.relation_type.to_string(), relation.target));
        }
    }
    for (entity, relations) in entities.iter_mut().zip(per_entity) {
        entity.relations = Some(
            relations
                .into_iter()
                .map(|(relation_type, target_ref)| Relation {
                    relation_type,
                    target_ref,
                    target: None,
                })
                .collect(),
        );
    }
}

/// The reverse edges that a set of entities (one source) owes entities
/// outside it. Stitching one source drops them (their receiver is not
/// there); kept beside the source, they let a reader add them to the
/// receiver found in another source, so relations come out as if
/// computed over the union of all sources, as the backend computes them
/// over all its locations, and syncing one source never loses the edges
/// another gives its entities.
///
/// Each entity's relation with a known [`inverse`] whose target is not in
/// the set gives `(target, inverse, entity)`. Refs are interned: one pass,
/// a hash lookup per relation, no per-pair work.
#[derive(Debug, Default)]
pub struct OutsideEdges {
    /// Each ref seen, by id (its index in `inside`); one copy of each.
    ids: HashMap<Box<str>, u32, BuildFxHasher>,
    inside: Vec<bool>,
    /// (receiver, inverse type, emitter)
    edges: Vec<(u32, &'static str, u32)>,
}

/// FxHash (rustc's hasher): refs are short strings looked up once per
/// relation (~6 a catalog entity), where SipHash cost more than the rest
/// of the interning. Not for keys an attacker picks to collide: a server
/// could slow a sync of its own catalog this way, not more.
#[derive(Debug, Default, Clone, Copy)]
struct BuildFxHasher;

impl std::hash::BuildHasher for BuildFxHasher {
    type Hasher = FxHasher;
    fn build_hasher(&self) -> FxHasher {
        FxHasher(0)
    }
}

struct FxHasher(u64);

impl FxHasher {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    /// The state folded through one more 64×64→128-bit multiply, so every
    /// bit of it reaches the low bits. FxHash's multiply carries a word's
    /// bits only upwards: refs that differ in the high bytes of their last
    /// 8-byte word (`component:default/service-0000123`, 32 bytes) had the
    /// same low bits, which pick the bucket, and each lookup compared
    /// against long runs of others (an eighth of a 10k remote sync's CPU).
    fn finish(&self) -> u64 {
        let wide = u128::from(self.0) * u128::from(Self::K);
        (wide as u64) ^ ((wide >> 64) as u64)
    }
}

/// An entity counted in an [`OutsideEdges`] set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityId(u32);

impl OutsideEdges {
    fn id(&mut self, key: &str) -> u32 {
        if let Some(&id) = self.ids.get(key) {
            return id;
        }
        let id = self.inside.len() as u32;
        self.ids.insert(key.into(), id);
        self.inside.push(false);
        id
    }

    /// Count `entity` (its canonical `key`) in the set and note its edges.
    pub fn add(&mut self, key: &str, entity: &Entity) {
        let me = self.id(key);
        self.inside[me as usize] = true;
        self.add_relations_of_entity(EntityId(me), entity);
    }

    /// Count `key` in the set; None when it already was (a duplicate: the
    /// first one counts). The relations of a new one go to
    /// [`OutsideEdges::add_relations_of_entity`]; an entity carried over
    /// unchanged has its edges given by [`OutsideEdges::add_edge`].
    pub fn insert_inside(&mut self, key: &str) -> Option<EntityId> {
        let me = self.id(key);
        let was_inside = std::mem::replace(&mut self.inside[me as usize], true);
        (!was_inside).then_some(EntityId(me))
    }

    /// The edges of an entity counted by [`OutsideEdges::insert_inside`]:
    /// [`OutsideEdges::add`] without looking its ref up again.
    pub fn add_relations_of_entity(&mut self, id: EntityId, entity: &Entity) {
        self.add_relations_of(
            id.0,
            entity
                .relations()
                .iter()
                .map(|r| (r.relation_type.as_str(), r.target_ref.as_str())),
        );
    }

    fn add_relations_of<'r>(
        &mut self,
        me: u32,
        relations: impl IntoIterator<Item = (&'r str, &'r str)>,
    ) {
        for (relation_type, target_ref) in relations {
            if let Some(reverse) = inverse(relation_type) {
                let target = if target_ref.bytes().any(|b| b.is_ascii_uppercase()) {
                    self.id(&target_ref.to_lowercase())
                } else {
                    self.id(target_ref)
                };
                self.edges.push((target, reverse, me));
            }
        }
    }

    /// Note an edge found earlier, `(receiver, inverse type, emitter)` as
    /// [`OutsideEdges::finish`] gives them (a kept snapshot's outside
    /// edge of an entity carried over): kept only if its receiver ends up
    /// outside the set. A type no relation has as inverse is dropped.
    pub fn add_edge(&mut self, receiver: &str, relation_type: &str, emitter: &str) {
        let Some(relation_type) = inverse(relation_type).and_then(inverse) else {
            return;
        };
        let to = self.id(receiver);
        let from = self.id(emitter);
        self.edges.push((to, relation_type, from));
    }

    /// The edges whose receiver is not in the set, sorted, without repeats.
    pub fn finish(self) -> Vec<EmittedRelation> {
        let mut refs: Vec<&str> = vec![""; self.inside.len()];
        for (key, &id) in &self.ids {
            refs[id as usize] = key;
        }
        let mut out: Vec<EmittedRelation> = self
            .edges
            .iter()
            .filter(|(to, _, _)| !self.inside[*to as usize])
            .map(|&(to, relation_type, from)| EmittedRelation {
                source: refs[to as usize].to_string(),
                relation_type,
                target: refs[from as usize].to_string(),
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Sort relations by type then target and drop repeats (the order
/// stitching leaves them in).
pub fn sort_relations(relations: &mut Vec<Relation>) {
    // Equal elements are identical, so an unstable sort is enough.
    relations.sort_unstable_by(|a, b| {
        (a.relation_type.as_str(), a.target_ref.as_str())
            .cmp(&(b.relation_type.as_str(), b.target_ref.as_str()))
    });
    relations.dedup_by(|a, b| a.relation_type == b.relation_type && a.target_ref == b.target_ref);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Refs that differ only in the last bytes of their last 8-byte word
    /// (32-byte refs, the digits at bytes 26–31) still spread over the
    /// low bits, which pick a hash table's bucket.
    #[test]
    fn ref_hashes_spread_over_the_low_bits() {
        use std::hash::BuildHasher;
        let mut buckets = std::collections::HashSet::new();
        let mut full = std::collections::HashSet::new();
        for i in 0..4096 {
            let key = format!("component:default/service-{i:06}");
            assert_eq!(key.len(), 32);
            let h = BuildFxHasher.hash_one(key.as_str());
            buckets.insert(h & 0xfff);
            full.insert(h);
        }
        assert_eq!(full.len(), 4096);
        // Random hashes fill about 63 % of 4096 buckets; the unfolded
        // hash filled 32 of them.
        assert!(buckets.len() > 2000, "{} buckets of 4096", buckets.len());
    }

    fn entity(v: serde_json::Value) -> Entity {
        Entity::from_value(v).unwrap()
    }

    #[test]
    fn component_fields_emit_both_directions_with_defaults() {
        let c = entity(json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "web", "namespace": "prod"},
            "spec": {"type": "website", "lifecycle": "production", "owner": "team-a",
                     "providesApis": ["api-1"], "dependsOn": ["resource:default/db"], "system": "shop"}
        }));
        let rel = emit_relations(&c).unwrap();
        let has = |s: &str, t: &str, d: &str| {
            rel.iter()
                .any(|r| r.source == s && r.relation_type == t && r.target == d)
        };
        assert!(has("component:prod/web", OWNED_BY, "group:prod/team-a"));
        assert!(has("group:prod/team-a", OWNER_OF, "component:prod/web"));
        assert!(has("component:prod/web", PROVIDES_API, "api:prod/api-1"));
        assert!(has("component:prod/web", DEPENDS_ON, "resource:default/db"));
        assert!(has(
            "resource:default/db",
            DEPENDENCY_OF,
            "component:prod/web"
        ));
        assert!(has("component:prod/web", PART_OF, "system:prod/shop"));
        assert_eq!(rel.len(), 8);
    }

    #[test]
    fn depends_on_without_kind_fails_the_entity() {
        let c = entity(json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "web"},
            "spec": {"owner": "a", "dependsOn": ["db"]}
        }));
        let errors = emit_relations(&c).unwrap_err();
        assert_eq!(errors[0].path, "spec.dependsOn[0]");
    }

    #[test]
    fn stitching_keeps_dangling_forward_edges_and_drops_orphan_reverse_ones() {
        let mut entities = vec![entity(json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "User",
            "metadata": {"name": "u"}, "spec": {"memberOf": ["missing"]}
        }))];
        let emitted = emit_relations(&entities[0]).unwrap();
        stitch(&mut entities, emitted);
        let rel = entities[0].relations();
        assert_eq!(rel.len(), 1);
        assert_eq!(rel[0].target_ref, "group:default/missing");
    }

    #[test]
    fn inverses_are_symmetric() {
        for t in [
            OWNED_BY,
            PROVIDES_API,
            CONSUMES_API,
            DEPENDS_ON,
            PARENT_OF,
            MEMBER_OF,
            PART_OF,
        ] {
            assert_eq!(inverse(inverse(t).unwrap()), Some(t));
        }
        assert_eq!(inverse("customThing"), None);
    }

    #[test]
    fn outside_edges_are_the_reverse_edges_stitching_dropped() {
        let mut entities = vec![
            entity(json!({
                "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                "metadata": {"name": "web"},
                "spec": {"owner": "team-a", "system": "shop", "dependsOn": ["resource:db"]}
            })),
            entity(json!({
                "apiVersion": "backstage.io/v1alpha1", "kind": "Resource",
                "metadata": {"name": "db"}, "spec": {"owner": "team-a"}
            })),
        ];
        let emitted: Vec<_> = entities
            .iter()
            .flat_map(|e| emit_relations(e).unwrap())
            .collect();
        stitch(&mut entities, emitted.clone());
        let mut outside = OutsideEdges::default();
        for e in &entities {
            outside.add(&e.ref_key(), e);
        }
        let got = outside.finish();
        // Exactly the emitted edges whose source is not in the set.
        let mut expected: Vec<_> = emitted
            .into_iter()
            .filter(|r| !r.source.starts_with("component:") && !r.source.starts_with("resource:"))
            .collect();
        expected.sort();
        assert_eq!(got, expected);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got.iter().any(|r| r.source == "group:default/team-a"
            && r.relation_type == OWNER_OF
            && r.target == "resource:default/db"));
    }
}
