//! A lean read of an entity's JSON for walks over many entities (impact):
//! only what [`LEAN_FIELDS`] names is kept, and only the relations of the
//! types asked for; everything else is skipped without being built
//! (relations are read borrowed, only the kept ones are copied).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::entity::{Entity, Metadata, Relation};

/// What a lean entity keeps: kind, metadata name and namespace,
/// `spec.owner`, `spec.lifecycle`, `spec.type` and the relations of the
/// types asked for (their `target` objects dropped).
pub const LEAN_FIELDS: &str =
    "kind, metadata.name, metadata.namespace, spec.owner, spec.lifecycle, spec.type, relations";

#[derive(Deserialize)]
struct LeanEntity<'a> {
    #[serde(rename = "apiVersion", default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    metadata: LeanMetadata,
    #[serde(default)]
    spec: Option<LeanSpec>,
    #[serde(default, borrow)]
    relations: Option<Vec<LeanRelation<'a>>>,
}

#[derive(Deserialize)]
struct LeanRelation<'a> {
    #[serde(rename = "type", borrow)]
    relation_type: Cow<'a, str>,
    #[serde(rename = "targetRef", borrow)]
    target_ref: Cow<'a, str>,
}

#[derive(Deserialize)]
struct LeanMetadata {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

#[derive(Deserialize)]
struct LeanSpec {
    owner: Option<Value>,
    lifecycle: Option<Value>,
    #[serde(rename = "type")]
    spec_type: Option<Value>,
}

/// Parse `json` (an entity as the cache stores it) keeping only
/// [`LEAN_FIELDS`] and the relations whose type is in `relation_types`
/// (in their order); the accessors for those fields answer as on the full
/// entity.
pub fn parse_lean(json: &[u8], relation_types: &[&str]) -> serde_json::Result<Entity> {
    let lean: LeanEntity = serde_json::from_slice(json)?;
    let relations = lean.relations.map(|all| {
        all.into_iter()
            .filter(|r| relation_types.contains(&r.relation_type.as_ref()))
            .map(|r| Relation {
                relation_type: r.relation_type.into_owned(),
                target_ref: r.target_ref.into_owned(),
                target: None,
            })
            .collect()
    });
    let spec = lean.spec.map(|s| {
        spec_map([
            ("owner", s.owner),
            ("lifecycle", s.lifecycle),
            ("type", s.spec_type),
        ])
    });
    Ok(Entity {
        api_version: lean.api_version,
        kind: lean.kind,
        metadata: Metadata {
            name: lean.metadata.name,
            namespace: lean.metadata.namespace,
            ..Metadata::default()
        },
        spec,
        relations,
        status: None,
        extra: Map::new(),
    })
}

/// A `spec` map of the fields a lean read kept, in the order given, the
/// absent ones left out.
pub(super) fn spec_map<const N: usize>(fields: [(&str, Option<Value>); N]) -> Map<String, Value> {
    fields
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_string(), value?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lean_keeps_what_impact_reads_and_drops_the_rest() {
        let full: Entity = serde_json::from_value(json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "a", "namespace": "ops", "description": "long text",
                         "annotations": {"pagerduty.com/service-id": "P1"}},
            "spec": {"type": "service", "lifecycle": "production", "owner": "team-a",
                     "dependsOn": ["component:b"]},
            "relations": [{"type": "dependencyOf", "targetRef": "component:ops/c"},
                          {"type": "partOf", "targetRef": "system:ops/s"},
                          {"type": "ownedBy", "targetRef": "group:ops/team-a"}],
            "status": {"items": []}
        }))
        .unwrap();
        let json = serde_json::to_vec(&full).unwrap();
        let lean = parse_lean(&json, &["dependencyOf", "ownedBy"]).unwrap();
        assert_eq!(lean.ref_key(), full.ref_key());
        assert_eq!(lean.owner_ref(), full.owner_ref());
        assert_eq!(lean.lifecycle(), Some("production"));
        assert_eq!(lean.spec_str("type"), Some("service"));
        let kept: Vec<&str> = lean
            .relations()
            .iter()
            .map(|r| r.target_ref.as_str())
            .collect();
        assert_eq!(kept, ["component:ops/c", "group:ops/team-a"]);
        let all = parse_lean(&json, &["dependencyOf", "partOf", "ownedBy"]).unwrap();
        assert_eq!(all.relations(), full.relations());
        assert_eq!(lean.metadata.description, None);
        assert!(lean.spec_strs("dependsOn").is_empty());
    }

    #[test]
    fn lean_answers_like_the_full_parse_for_missing_and_odd_fields() {
        for doc in [
            json!({"apiVersion": "v1", "kind": "Resource", "metadata": {"name": "x"}}),
            json!({"apiVersion": "v1", "kind": "Resource", "metadata": {"name": "x"},
                   "spec": {"owner": 5, "lifecycle": null}}),
        ] {
            let full: Entity = serde_json::from_value(doc).unwrap();
            let lean = parse_lean(&serde_json::to_vec(&full).unwrap(), &["dependencyOf"]).unwrap();
            assert_eq!(lean.owner_ref(), full.owner_ref());
            assert_eq!(lean.lifecycle(), full.lifecycle());
            assert_eq!(lean.relations(), full.relations());
            assert_eq!(lean.ref_key(), full.ref_key());
        }
    }
}
