//! Deterministic synthetic Backstage catalogs for benchmarks and scale tests.
//!
//! [`generate`] builds a catalog of realistic shape from a seed: an org tree
//! (organization → departments → teams) with users, domains, systems, and a
//! software graph of components, resources and APIs. Every document passes
//! Backstage's default validation and every ref it writes points at an entity
//! it also generates. `dependsOn` always names the kind and only points at
//! components and resources generated earlier, so the dependency graph
//! (including API consumption, which only targets APIs of shallower
//! providers) is a DAG; depths reach up to 8, and a few shared hubs
//! (`platform-auth-svc`, `shared-postgres-cluster`, …) carry a large blast
//! radius.
//!
//! Proportions per component: 1 API per 3, 2 resources per 9, 1 system per 5,
//! 1 user per 8, 1 team per 20; departments grow with the square root of the
//! team count. The component count is chosen so that the total is
//! `entities` (exactly, once `entities` is more than a few dozen), which puts
//! components at about 51%, APIs 17%, resources 11%, systems 10%, users 6%
//! and groups 3%.
//!
//! The PRNG is a self-contained splitmix64, so output depends only on the
//! seed and this crate.

mod documents;
mod graph;
mod model;
mod output;
mod rng;
mod words;

use serde_json::Value;

use crate::model::{Counts, Generator};
use crate::rng::Rng;
use crate::words::COMPANIES;
pub use output::{server_entities, write_names, write_yaml_tree};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenOptions {
    /// Target number of entities (met exactly above a few dozen).
    pub entities: usize,
    pub seed: u64,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            entities: 10_000,
            seed: 42,
        }
    }
}

const API_VERSION: &str = "backstage.io/v1alpha1";
/// Longest allowed path in the `dependsOn` graph.
const MAX_DEPTH: usize = 8;

/// Generate a synthetic catalog of about `opts.entities` documents, in the
/// shape a descriptor file holds them (no `relations`, no `namespace`).
/// Exactly `opts.entities` above a few dozen; empty for 0.
pub fn generate(opts: &GenOptions) -> Vec<Value> {
    if opts.entities == 0 {
        return Vec::new();
    }
    let mut rng = Rng::new(opts.seed);
    let (company, company_title) = *rng.pick(COMPANIES);
    let counts = Counts::for_total(opts.entities);
    let mut g = Generator {
        rng,
        company,
        company_title,
        counts,
        depts: Vec::new(),
        teams: Vec::new(),
        users: Vec::new(),
        domains: Vec::new(),
        systems: Vec::new(),
        nodes: Vec::new(),
        apis: Vec::new(),
        by_depth: vec![Vec::new(); MAX_DEPTH + 1],
        by_system: Vec::new(),
        hubs: Vec::new(),
    };
    g.org();
    g.users();
    g.domains_and_systems();
    g.software();
    g.apis();
    g.consumers();
    g.documents()
}

#[cfg(test)]
mod tests {
    use super::*;
    use callboard_core::catalog::entity_ref::{EntityRef, RefContext};
    use callboard_core::catalog::index::{
        dependency_tree, Catalog, CatalogEntity, Direction, Origin,
    };
    use callboard_core::catalog::relations::emit_relations;
    use callboard_core::catalog::validate::{is_valid_object_name, validate_document};
    use callboard_core::catalog::Entity;
    use std::collections::HashMap;
    use std::collections::HashSet;

    fn docs(n: usize, seed: u64) -> Vec<Value> {
        generate(&GenOptions { entities: n, seed })
    }

    fn kind_of(doc: &Value) -> &str {
        doc["kind"].as_str().unwrap()
    }

    fn key(doc: &Value) -> String {
        let kind = kind_of(doc);
        EntityRef::new(kind, "default", doc["metadata"]["name"].as_str().unwrap()).canonical()
    }

    #[test]
    fn same_seed_same_output_other_seed_other_output() {
        let a = docs(2000, 7);
        assert_eq!(a, docs(2000, 7));
        assert_ne!(a, docs(2000, 8));
    }

    #[test]
    fn every_document_is_valid_and_emits_relations() {
        for doc in docs(2000, 1) {
            let issues = validate_document(&doc);
            assert!(issues.is_empty(), "{doc}: {issues:?}");
            let entity = Entity::from_value(doc.clone()).unwrap();
            assert!(emit_relations(&entity).is_ok(), "{doc}");
            let name = doc["metadata"]["name"].as_str().unwrap();
            assert!(is_valid_object_name(name), "{name}");
            if let Some(d) = doc["metadata"]["description"].as_str() {
                if matches!(kind_of(&doc), "Component" | "API" | "Resource" | "System") {
                    assert!((40..=200).contains(&d.len()), "{} chars: {d}", d.len());
                }
            }
        }
    }

    #[test]
    fn total_is_met_and_refs_are_unique() {
        for n in [50, 2000, 10_000] {
            let docs = docs(n, 3);
            assert_eq!(docs.len(), n);
            let mut seen = HashSet::new();
            for doc in &docs {
                assert!(seen.insert(key(doc)), "duplicate {}", key(doc));
            }
        }
        // Tiny catalogs still generate one of everything.
        assert!(!docs(1, 3).is_empty());
        assert!(docs(0, 3).is_empty());
    }

    #[test]
    fn no_dangling_refs_and_dependencies_form_a_dag() {
        let docs = docs(2000, 11);
        let keys: HashSet<String> = docs.iter().map(key).collect();
        let position: HashMap<String, usize> =
            docs.iter().enumerate().map(|(i, d)| (key(d), i)).collect();
        let fields = [
            ("owner", Some("Group")),
            ("system", Some("System")),
            ("domain", Some("Domain")),
            ("memberOf", Some("Group")),
            ("parent", Some("Group")),
            ("children", Some("Group")),
            ("members", Some("User")),
            ("providesApis", Some("API")),
            ("consumesApis", Some("API")),
            ("dependsOn", None),
        ];
        let mut depends = 0;
        for doc in &docs {
            let me = key(doc);
            for (field, default_kind) in fields {
                let values: Vec<&str> = match &doc["spec"][field] {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().map(|v| v.as_str().unwrap()).collect(),
                    _ => continue,
                };
                for v in values {
                    if field == "dependsOn" {
                        assert!(
                            v.starts_with("component:default/")
                                || v.starts_with("resource:default/"),
                            "{v}"
                        );
                        // Only earlier documents: a DAG in file order.
                        assert!(position[&v.to_string()] < position[&me], "{me} -> {v}");
                        depends += 1;
                    }
                    let target =
                        EntityRef::parse_with(v, RefContext::new(default_kind, Some("default")))
                            .unwrap()
                            .canonical();
                    assert!(keys.contains(&target), "{me}.{field} -> {target} dangles");
                }
            }
        }
        assert!(depends > 500);
    }

    #[test]
    fn group_tree_and_membership_are_consistent() {
        let docs = docs(2000, 5);
        let by_key: HashMap<String, &Value> = docs.iter().map(|d| (key(d), d)).collect();
        let strs = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
                .unwrap_or_default()
        };
        let mut orgs = 0;
        for doc in docs.iter().filter(|d| kind_of(d) == "Group") {
            let name = doc["metadata"]["name"].as_str().unwrap();
            match doc["spec"]["type"].as_str().unwrap() {
                "organization" => orgs += 1,
                "team" => {
                    assert!(doc["metadata"]["annotations"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .any(|k| callboard_core::catalog::entity::is_on_call_annotation(k)));
                    assert!(doc["spec"]["profile"]["email"].is_string());
                }
                _ => {}
            }
            for child in strs(&doc["spec"]["children"]) {
                let child = by_key[&format!("group:default/{child}")];
                assert_eq!(child["spec"]["parent"].as_str(), Some(name));
            }
            if let Some(parent) = doc["spec"]["parent"].as_str() {
                let parent = by_key[&format!("group:default/{parent}")];
                assert!(strs(&parent["spec"]["children"]).contains(&name.to_string()));
            }
            for member in strs(&doc["spec"]["members"]) {
                let user = by_key[&format!("user:default/{member}")];
                assert!(strs(&user["spec"]["memberOf"]).contains(&name.to_string()));
            }
        }
        assert_eq!(orgs, 1);
        for user in docs.iter().filter(|d| kind_of(d) == "User") {
            let name = user["metadata"]["name"].as_str().unwrap().to_string();
            assert!(user["spec"]["profile"]["email"].is_string());
            assert!(user["spec"]["profile"]["displayName"].is_string());
            for group in strs(&user["spec"]["memberOf"]) {
                let group = by_key[&format!("group:default/{group}")];
                assert!(strs(&group["spec"]["members"]).contains(&name));
            }
        }
    }

    #[test]
    fn proportions_depth_and_hubs_look_real() {
        let docs = docs(10_000, 2);
        let count = |kind: &str| docs.iter().filter(|d| kind_of(d) == kind).count();
        let (components, apis, resources) = (count("Component"), count("API"), count("Resource"));
        let (users, groups) = (count("User"), count("Group"));
        let teams = docs.iter().filter(|d| d["spec"]["type"] == "team").count();
        assert!((4400..=5600).contains(&components), "{components}");
        assert!((1400..=1900).contains(&apis), "{apis}");
        assert!((900..=1300).contains(&resources), "{resources}");
        assert!(
            (components / 10..=components / 6).contains(&users),
            "{users}"
        );
        assert!(
            (components / 25..=components / 16).contains(&teams),
            "{teams}"
        );
        assert!(groups > teams);
        let types = |t: &str| {
            docs.iter()
                .filter(|d| kind_of(d) == "Component" && d["spec"]["type"] == t)
                .count()
        };
        assert!(types("service") > types("library") && types("library") > types("website"));
        assert!(types("website") > 0);
        let runbooks = docs
            .iter()
            .filter(|d| {
                d["metadata"]["links"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|l| l["title"] == "Runbook"))
            })
            .count();
        assert!(runbooks > components / 5);
        for d in &docs {
            if let Some(tags) = d["metadata"]["tags"].as_array() {
                assert!(tags.len() <= 4);
            }
        }

        // Depths and blast radius on the stitched catalog.
        let entities = server_entities(&docs).unwrap();
        let depth = longest_depends_on_path(&entities);
        assert!((3..=MAX_DEPTH).contains(&depth), "depth {depth}");
        let hub = entities
            .iter()
            .max_by_key(|e| {
                e.relations()
                    .iter()
                    .filter(|r| r.relation_type == "dependencyOf")
                    .count()
            })
            .unwrap()
            .ref_key();
        let catalog = Catalog::new(entities.into_iter().map(|entity| CatalogEntity {
            entity,
            origin: Origin::default(),
        }));
        let blast = dependency_tree(&catalog, &hub, Direction::DependedOnBy, None);
        assert!(blast.count > components / 10, "{hub}: {}", blast.count);
    }

    fn longest_depends_on_path(entities: &[Entity]) -> usize {
        let index: HashMap<String, usize> = entities
            .iter()
            .enumerate()
            .map(|(i, e)| (e.ref_key(), i))
            .collect();
        let mut memo: Vec<Option<usize>> = vec![None; entities.len()];
        fn depth(
            i: usize,
            entities: &[Entity],
            index: &HashMap<String, usize>,
            memo: &mut Vec<Option<usize>>,
        ) -> usize {
            if let Some(d) = memo[i] {
                return d;
            }
            let d = entities[i]
                .relations()
                .iter()
                .filter(|r| r.relation_type == "dependsOn")
                .map(|r| 1 + depth(index[&r.target_ref], entities, index, memo))
                .max()
                .unwrap_or(0);
            memo[i] = Some(d);
            d
        }
        (0..entities.len())
            .map(|i| depth(i, entities, &index, &mut memo))
            .max()
            .unwrap_or(0)
    }
}
