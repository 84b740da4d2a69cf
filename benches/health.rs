//! Health at scale, on a generated catalog (`callboard_gen`, seed 42,
//! 100k entities by default; `CALLBOARD_BENCH_ENTITIES` changes it):
//!
//! - `impact (memory)`: `health::impact` from the entity with the most
//!   dependents, over the in-memory `Catalog`;
//! - `impact (cache)`: the same over the SQLite snapshot, as
//!   `callboard impact` answers (one entity read a lookup);
//! - `score all`: every entity's scorecard over the in-memory catalog.
//!
//! Each is run `CALLBOARD_BENCH_ROUNDS` times (default 10); the median,
//! min and max are printed. Run with `cargo bench --bench health`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use callboard_core::catalog::relations::{emit_relations, stitch, DEPENDENCY_OF};
use callboard_core::catalog::{Catalog, CatalogEntity, Entity, EntityLookup, Origin};
use callboard_core::health::{impact, score, Scorecard, Subject};
use callboard_core::report::ShowReport;
use callboard_gen::{generate, GenOptions};
use callboard_io::cache::{Cache, Store};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn measure(name: &str, rounds: usize, mut f: impl FnMut()) {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{name:<24} median {:>9.2?}  min {:>9.2?}  max {:>9.2?}  ({rounds} rounds)",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let entities = env_usize("CALLBOARD_BENCH_ENTITIES", 100_000);
    let rounds = env_usize("CALLBOARD_BENCH_ROUNDS", 10).max(1);
    let mut parsed: Vec<Entity> = generate(&GenOptions {
        entities,
        seed: 42,
    })
    .into_iter()
    .map(|d| Entity::from_value(d).expect("generated documents parse"))
    .collect();
    let emitted: Vec<_> = parsed
        .iter()
        .flat_map(|e| emit_relations(e).expect("generated refs parse"))
        .collect();
    stitch(&mut parsed, emitted);
    let hub = parsed
        .iter()
        .max_by_key(|e| {
            e.relations()
                .iter()
                .filter(|r| r.relation_type == DEPENDENCY_OF)
                .count()
        })
        .expect("catalog is not empty")
        .ref_key();
    let entities: Vec<CatalogEntity> = parsed
        .into_iter()
        .map(|entity| CatalogEntity {
            entity,
            origin: Origin {
                source: "generated".into(),
                location: "file:/tmp/generated/part-0001.yaml".into(),
                line: Some(1),
            },
        })
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = Cache::new(dir.path());
    cache
        .write_snapshot("generated", "/tmp/generated", &entities, &[])
        .expect("write the snapshot");
    let catalog = Catalog::new(entities);
    let answer = impact(&catalog, &hub, None);
    println!(
        "{} entities; {hub}: {} dependents, {} in production, {} teams",
        catalog.len(),
        answer.total,
        answer.production,
        answer.teams.len()
    );

    measure("impact (memory)", rounds, || {
        black_box(impact(&catalog, &hub, None));
    });
    let store = Store::new(vec![cache
        .open_snapshot("generated")
        .expect("open the snapshot")
        .expect("the snapshot exists")]);
    measure("impact (cache)", rounds, || {
        black_box(impact(&store, &hub, None));
    });
    let card = Scorecard::default();
    measure("score all", rounds.min(3), || {
        let mut scored = 0;
        for found in catalog.entities() {
            let report = ShowReport::build(&catalog, found, &[], None);
            let links = callboard_core::health::score::owner_links(&catalog, &report);
            let subject = Subject {
                report: &report,
                owner_links: &links,
            };
            scored += usize::from(score(subject, &card).is_some());
        }
        black_box(scored);
    });
    let _ = store.get(&hub);
}
