//! `impact` through the cache reads dependents leanly (relations, owner,
//! lifecycle only); it must answer exactly as reading every entity whole,
//! and as the in-memory catalog, on the demo and on a generated catalog.

use std::sync::Arc;

use callboard_core::catalog::relations::{emit_relations, stitch, DEPENDENCY_OF};
use callboard_core::catalog::{Catalog, CatalogEntity, Entity, EntityLookup, Origin};
use callboard_core::health::impact;
use callboard_gen::{generate, GenOptions};
use callboard_io::cache::{Cache, Store};
use callboard_io::source::local::{load_local, LocalOptions};

/// The store with lean reads turned off: every lookup parses the whole entity.
struct FullReads<'a>(&'a Store);

impl EntityLookup for FullReads<'_> {
    fn get(&self, key: &str) -> Option<Arc<CatalogEntity>> {
        self.0.get(key)
    }

    fn refs_named(&self, name: &str) -> Vec<String> {
        self.0.refs_named(name)
    }
}

/// Write `entities` as one snapshot and compare the three paths for each
/// of `roots`, with and without a depth limit. Returns how many roots had
/// dependents.
fn assert_same_answers(entities: Vec<CatalogEntity>, roots: &[String]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    cache
        .write_snapshot("src", "/tmp/src", &entities, &[])
        .unwrap();
    let store = Store::new(vec![cache.open_snapshot("src").unwrap().unwrap()]);
    let catalog = Catalog::new(entities);
    let mut with_dependents = 0;
    for root in roots {
        for depth in [None, Some(1), Some(2)] {
            let memory = impact(&catalog, root, depth);
            let full = impact(&FullReads(&store), root, depth);
            let lean = impact(&store, root, depth);
            assert_eq!(
                lean, full,
                "{root} depth {depth:?}: lean vs full cache reads"
            );
            assert_eq!(lean, memory, "{root} depth {depth:?}: cache vs memory");
            if depth.is_none() && lean.total > 0 {
                with_dependents += 1;
            }
        }
    }
    assert!(store.take_errors().is_empty());
    with_dependents
}

#[test]
fn lean_impact_matches_full_reads_on_every_demo_entity() {
    let dir = tempfile::tempdir().unwrap();
    let root = callboard_io::demo::materialize(dir.path()).unwrap();
    let loaded = load_local("demo", &[root], &LocalOptions::default());
    assert!(loaded.entities.len() > 20);
    let roots: Vec<String> = loaded.entities.iter().map(|e| e.entity.ref_key()).collect();
    let with_dependents = assert_same_answers(loaded.entities, &roots);
    assert!(
        with_dependents >= 5,
        "only {with_dependents} demo entities have dependents"
    );
}

#[test]
fn lean_impact_matches_full_reads_on_a_generated_catalog() {
    let mut parsed: Vec<Entity> = generate(&GenOptions {
        entities: 3000,
        seed: 7,
    })
    .into_iter()
    .map(|d| Entity::from_value(d).unwrap())
    .collect();
    let emitted: Vec<_> = parsed
        .iter()
        .flat_map(|e| emit_relations(e).unwrap())
        .collect();
    stitch(&mut parsed, emitted);
    // The 15 entities with the most direct dependents, and every 97th.
    let mut by_dependents: Vec<(usize, String)> = parsed
        .iter()
        .map(|e| {
            let n = e
                .relations()
                .iter()
                .filter(|r| r.relation_type == DEPENDENCY_OF)
                .count();
            (n, e.ref_key())
        })
        .collect();
    by_dependents.sort();
    let mut roots: Vec<String> = by_dependents
        .iter()
        .rev()
        .take(15)
        .map(|(_, r)| r.clone())
        .collect();
    roots.extend(by_dependents.iter().step_by(97).map(|(_, r)| r.clone()));
    let entities = parsed
        .into_iter()
        .map(|entity| CatalogEntity {
            entity,
            origin: Origin {
                source: "src".into(),
                location: "file:/tmp/src/catalog.yaml".into(),
                line: Some(1),
            },
        })
        .collect();
    let with_dependents = assert_same_answers(entities, &roots);
    assert!(
        with_dependents >= 15,
        "only {with_dependents} roots have dependents"
    );
}
