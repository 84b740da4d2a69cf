//! A snapshot written entity by entity, as a sync writes one (the search
//! corpus built as the rows go), against the reference way: every row's
//! `SearchRecord::from_entity`, encoded whole by `encode_corpus` at the
//! end. Inputs: a generated catalog, and every entity in the recorded
//! backend responses and the example catalogs (repeats included: the
//! first of a ref wins).

use callboard_core::catalog::{CatalogEntity, Entity, Origin};
use callboard_core::search::{encode_corpus, SearchRecord};
use callboard_gen::{generate, GenOptions};
use callboard_io::cache::Cache;

fn check(entities: Vec<Entity>) {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let mut writer = cache.begin_snapshot("s", "o").unwrap();
    let mut records = Vec::new();
    let mut keys = Vec::new();
    for entity in entities {
        let e = CatalogEntity {
            entity,
            origin: Origin {
                source: "s".into(),
                location: "o".into(),
                line: None,
            },
        };
        let json = serde_json::to_vec(&e.entity).unwrap();
        if writer.add_json(&e, &json).unwrap() {
            records.push(SearchRecord::from_entity(&e.entity));
            keys.push(e.entity.ref_key());
        }
    }
    assert!(records.len() > 20, "{} entities", records.len());
    writer.finish(&[]).unwrap();
    let snap = cache.open_snapshot("s").unwrap().unwrap();
    assert_eq!(snap.info.entity_count, records.len());
    assert_eq!(snap.corpus_bytes().unwrap(), encode_corpus(&records));
    assert_eq!(snap.search_records().unwrap(), records);
    let mut rows = Vec::new();
    snap.for_each_row(|key, _, _| {
        rows.push(key.to_string());
        Ok(())
    })
    .unwrap();
    assert_eq!(rows, keys);
}

#[test]
fn a_generated_catalog_writes_the_reference_corpus() {
    let docs = generate(&GenOptions {
        entities: 3000,
        seed: 7,
    });
    check(
        docs.into_iter()
            .map(|d| Entity::from_value(d).unwrap())
            .collect(),
    );
}

#[test]
fn the_example_catalogs_write_the_reference_corpus() {
    let entities = crate::indexed_entity::fixture_objects()
        .into_iter()
        .filter_map(|v| Entity::from_value(v).ok())
        .collect();
    check(entities);
}
