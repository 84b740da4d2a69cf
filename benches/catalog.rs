//! Catalog model benchmarks on synthetic catalogs of 10k and 100k entities
//! (`callboard_gen`, seed 42):
//!
//! - `parse`: `Entity::from_value` over every generated document;
//! - `relations`: `emit_relations` for every entity, then `stitch`;
//! - `index build`: `Catalog::new` over the stitched entities;
//! - `blast radius`: `dependency_tree(.., DependedOnBy, None)` from the hub
//!   with the most direct dependents.
//!
//! Inputs are cloned in untimed setup (`iter_batched`), so only the named
//! step is measured. Run with `cargo bench --bench catalog`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::Measurement;
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, BenchmarkId, Criterion,
    SamplingMode, Throughput,
};
use serde_json::Value;

use callboard_core::catalog::index::{dependency_tree, Direction};
use callboard_core::catalog::relations::{emit_relations, stitch, DEPENDENCY_OF};
use callboard_core::catalog::{Catalog, CatalogEntity, Entity, Origin};
use callboard_gen::{generate, GenOptions};
use callboard_io::cache::Cache;

const SEED: u64 = 42;
const SIZES: [(usize, &str); 2] = [(10_000, "10k"), (100_000, "100k")];

/// Criterion settings per catalog size. At 100k one run (setup included)
/// takes long, so ten flat samples sized from a probe run give stable
/// figures and keep the whole bench to a few minutes on two cores.
fn configure<M: Measurement>(
    group: &mut BenchmarkGroup<'_, M>,
    entities: usize,
    elements: usize,
    probe: impl FnOnce(),
) {
    group.throughput(Throughput::Elements(elements as u64));
    group.warm_up_time(Duration::from_secs(1));
    if entities >= 100_000 {
        let started = Instant::now();
        probe();
        let once = started.elapsed();
        group.sample_size(10);
        group.sampling_mode(SamplingMode::Flat);
        group.measurement_time((once * 12).max(Duration::from_secs(3)));
    } else {
        group.sample_size(20);
        group.measurement_time(Duration::from_secs(4));
    }
}

fn parse_all(docs: Vec<Value>) -> Vec<Entity> {
    docs.into_iter()
        .map(|d| Entity::from_value(d).expect("generated documents parse"))
        .collect()
}

fn relate(mut entities: Vec<Entity>) -> Vec<Entity> {
    let emitted: Vec<_> = entities
        .iter()
        .flat_map(|e| emit_relations(e).expect("generated refs parse"))
        .collect();
    stitch(&mut entities, emitted);
    entities
}

fn catalog_entities(entities: &[Entity]) -> Vec<CatalogEntity> {
    entities
        .iter()
        .map(|entity| CatalogEntity {
            entity: entity.clone(),
            origin: Origin {
                source: "generated".into(),
                location: "file:/tmp/generated/part-0001.yaml".into(),
                line: Some(1),
            },
        })
        .collect()
}

/// The entity with the most `dependencyOf` relations.
fn biggest_hub(entities: &[Entity]) -> String {
    entities
        .iter()
        .max_by_key(|e| {
            e.relations()
                .iter()
                .filter(|r| r.relation_type == DEPENDENCY_OF)
                .count()
        })
        .expect("catalog is not empty")
        .ref_key()
}

fn catalog_benches(c: &mut Criterion) {
    for (entities, label) in SIZES {
        let docs = generate(&GenOptions {
            entities,
            seed: SEED,
        });

        let mut group = c.benchmark_group("parse");
        configure(&mut group, entities, docs.len(), || {
            black_box(parse_all(docs.clone()));
        });
        group.bench_with_input(BenchmarkId::from_parameter(label), &docs, |b, docs| {
            b.iter_batched(
                || docs.clone(),
                |docs| black_box(parse_all(docs)),
                BatchSize::LargeInput,
            )
        });
        group.finish();

        let parsed = parse_all(docs);
        let mut group = c.benchmark_group("relations");
        configure(&mut group, entities, parsed.len(), || {
            black_box(relate(parsed.clone()));
        });
        group.bench_with_input(BenchmarkId::from_parameter(label), &parsed, |b, parsed| {
            b.iter_batched(
                || parsed.clone(),
                |entities| black_box(relate(entities)),
                BatchSize::LargeInput,
            )
        });
        group.finish();

        let stitched = relate(parsed);
        let mut group = c.benchmark_group("index build");
        configure(&mut group, entities, stitched.len(), || {
            black_box(Catalog::new(catalog_entities(&stitched)));
        });
        group.bench_with_input(
            BenchmarkId::from_parameter(label),
            &stitched,
            |b, stitched| {
                b.iter_batched(
                    || catalog_entities(stitched),
                    |entities| black_box(Catalog::new(entities)),
                    BatchSize::LargeInput,
                )
            },
        );
        group.finish();

        let hub = biggest_hub(&stitched);
        let catalog = Catalog::new(catalog_entities(&stitched));
        drop(stitched);
        let tree = dependency_tree(&catalog, &hub, Direction::DependedOnBy, None);
        eprintln!(
            "blast radius {label}: {hub} reaches {} of {} entities",
            tree.count,
            catalog.len()
        );
        let mut group = c.benchmark_group("blast radius");
        // Throughput counts the entities the walk reaches.
        configure(&mut group, entities, tree.count, || {
            black_box(dependency_tree(
                &catalog,
                &hub,
                Direction::DependedOnBy,
                None,
            ));
        });
        group.bench_with_input(BenchmarkId::from_parameter(label), &hub, |b, hub| {
            b.iter(|| {
                black_box(dependency_tree(
                    &catalog,
                    hub,
                    Direction::DependedOnBy,
                    None,
                ))
            })
        });
        group.finish();

        // Cache: write one snapshot, then time what commands read back.
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = Cache::new(dir.path());
        let all: Vec<CatalogEntity> = catalog.entities().iter().map(|e| (**e).clone()).collect();
        cache
            .write_snapshot("bench", "generated", &all, &[])
            .expect("snapshot written");
        drop(all);
        let mut group = c.benchmark_group("cache load");
        configure(&mut group, entities, catalog.len(), || {
            let snap = cache.open_snapshot("bench").unwrap().unwrap();
            black_box(snap.all_entities().unwrap());
        });
        group.bench_function(BenchmarkId::new("all entities", label), |b| {
            b.iter(|| {
                let snap = cache.open_snapshot("bench").unwrap().unwrap();
                black_box(snap.all_entities().unwrap())
            })
        });
        group.finish();

        let mut group = c.benchmark_group("cache lookup");
        group.bench_function(BenchmarkId::new("open + one entity", label), |b| {
            b.iter(|| {
                let snap = cache.open_snapshot("bench").unwrap().unwrap();
                black_box(snap.entity(&hub).unwrap())
            })
        });
        group.bench_function(BenchmarkId::new("open + corpus decode", label), |b| {
            b.iter(|| {
                let snap = cache.open_snapshot("bench").unwrap().unwrap();
                black_box(
                    callboard_core::search::Corpus::decode(snap.corpus_bytes().unwrap()).unwrap(),
                )
            })
        });
        group.finish();
    }
}

criterion_group!(benches, catalog_benches);
criterion_main!(benches);
