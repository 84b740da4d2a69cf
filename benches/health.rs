//! Health at scale, on a generated catalog (`callboard_gen`, seed 42,
//! 100k entities by default; `CALLBOARD_BENCH_ENTITIES` changes it):
//!
//! - `impact (memory)`: `health::impact` from the entity with the most
//!   dependents, over the in-memory `Catalog`;
//! - `impact (cache)`: the same over the SQLite snapshot, as
//!   `callboard impact` answers (one row a lookup, dependents parsed
//!   leanly: relations, owner, lifecycle); `full reads` parses every
//!   dependent whole, as before lean reads (the baseline);
//! - `score all`: every entity's scorecard over the in-memory catalog.
//!
//! Each is run `CALLBOARD_BENCH_ROUNDS` times (default 10); the median,
//! min and max of the thread's CPU time are printed, and the wall time
//! (which on a loaded machine mostly measures the other processes). Run with `cargo bench --bench health`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use callboard_core::catalog::relations::{emit_relations, stitch, DEPENDENCY_OF};
use callboard_core::catalog::{Catalog, CatalogEntity, Entity, EntityLookup, Origin};
use callboard_core::health::{impact, score, Scorecard, Subject};
use callboard_core::report::ShowReport;
use callboard_gen::{generate, GenOptions};
use callboard_io::cache::{Cache, Store};

/// The store with lean reads turned off (every dependent parsed whole), as
/// `callboard impact` read the cache before lean reads: the baseline.
struct FullReads<'a>(&'a Store);

impl EntityLookup for FullReads<'_> {
    fn get(&self, key: &str) -> Option<std::sync::Arc<CatalogEntity>> {
        self.0.get(key)
    }

    fn refs_named(&self, name: &str) -> Vec<String> {
        self.0.refs_named(name)
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU time of this thread: on a loaded shared machine wall time mostly
/// measures the other processes.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn measure(name: &str, rounds: usize, mut f: impl FnMut()) {
    let mut wall: Vec<Duration> = Vec::new();
    let mut cpu: Vec<Duration> = Vec::new();
    for _ in 0..rounds {
        let (started, cpu_started) = (Instant::now(), thread_cpu());
        f();
        wall.push(started.elapsed());
        cpu.push(thread_cpu() - cpu_started);
    }
    wall.sort();
    cpu.sort();
    println!(
        "{name:<30} cpu median {:>9.2?} min {:>9.2?} max {:>9.2?} | wall median {:>9.2?} min {:>9.2?}  ({rounds} rounds)",
        cpu[cpu.len() / 2],
        cpu[0],
        cpu[cpu.len() - 1],
        wall[wall.len() / 2],
        wall[0],
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let entities = env_usize("CALLBOARD_BENCH_ENTITIES", 100_000);
    let rounds = env_usize("CALLBOARD_BENCH_ROUNDS", 10).max(1);
    let mut parsed: Vec<Entity> = generate(&GenOptions { entities, seed: 42 })
        .into_iter()
        .map(|d| Entity::from_value(d).expect("generated documents parse"))
        .collect();
    let emitted: Vec<_> = parsed
        .iter()
        .flat_map(|e| emit_relations(e).expect("generated refs parse"))
        .collect();
    stitch(&mut parsed, emitted);
    // The entity with the most direct dependents (the worst case), and one
    // at the 99th percentile of direct dependents (a busy but ordinary one).
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
    let hub = by_dependents
        .last()
        .expect("catalog is not empty")
        .1
        .clone();
    let busy = by_dependents[by_dependents.len() * 99 / 100].1.clone();
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

    let ordinary = impact(&catalog, &busy, None);
    println!(
        "{busy} (99th percentile of direct dependents): {} dependents, {} teams",
        ordinary.total,
        ordinary.teams.len()
    );
    measure("impact (memory)", rounds, || {
        black_box(impact(&catalog, &hub, None));
    });
    measure("impact p99 (memory)", rounds, || {
        black_box(impact(&catalog, &busy, None));
    });
    let store = Store::new(vec![cache
        .open_snapshot("generated")
        .expect("open the snapshot")
        .expect("the snapshot exists")]);
    measure("impact (cache, full reads)", rounds, || {
        black_box(impact(&FullReads(&store), &hub, None));
    });
    measure("impact (cache)", rounds, || {
        black_box(impact(&store, &hub, None));
    });
    measure("impact p99 (cache, full reads)", rounds, || {
        black_box(impact(&FullReads(&store), &busy, None));
    });
    measure("impact p99 (cache)", rounds, || {
        black_box(impact(&store, &busy, None));
    });
    let card = Scorecard::default();
    measure("score all", rounds.min(2), || {
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
