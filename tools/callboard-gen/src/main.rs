//! `callboard-gen`: write a deterministic synthetic Backstage catalog for
//! benchmarks and scale tests.
//!
//! ```text
//! callboard-gen --entities 100000 --out /tmp/gen100k --names /tmp/gen100k-names.txt
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;

use callboard_gen::{generate, server_entities, write_names, write_yaml_tree, GenOptions};

/// Generate a synthetic Backstage catalog (same seed, same output).
#[derive(Debug, Parser)]
#[command(name = "callboard-gen", version)]
struct Args {
    /// Number of entities to generate.
    #[arg(long)]
    entities: usize,
    /// PRNG seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Documents per `part-NNNN.yaml` file.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    per_file: u64,
    /// Directory for `catalog-info.yaml` and the part files.
    #[arg(long)]
    out: PathBuf,
    /// Also write every entity name, one per line, to this file.
    #[arg(long)]
    names: Option<PathBuf>,
    /// Also write all entities as one JSON array, with relations computed
    /// as the catalog server would (namespace, uid and etag filled in).
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let docs = generate(&GenOptions {
        entities: args.entities,
        seed: args.seed,
    });
    let per_file = usize::try_from(args.per_file).unwrap_or(usize::MAX);
    let root = write_yaml_tree(&docs, &args.out, per_file)
        .with_context(|| format!("cannot write the catalog under {}", args.out.display()))?;
    if let Some(path) = &args.names {
        write_names(&docs, path).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.json {
        let entities = server_entities(&docs).map_err(anyhow::Error::msg)?;
        let file =
            fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        serde_json::to_writer(&mut out, &entities)?;
        out.write_all(b"\n")?;
        out.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
    }

    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for doc in &docs {
        *by_kind
            .entry(doc["kind"].as_str().unwrap_or("?"))
            .or_default() += 1;
    }
    let counts: Vec<String> = by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let files = docs.len().div_ceil(per_file);
    eprintln!(
        "callboard-gen: {} ({}) in {}, {:.1} MB, seed {}, {:.2}s -> {}",
        callboard_core::text::counted(docs.len(), "entity"),
        counts.join(", "),
        callboard_core::text::counted(files, "file"),
        dir_size(&args.out) as f64 / 1e6,
        args.seed,
        started.elapsed().as_secs_f64(),
        root.display()
    );
    Ok(())
}

/// Bytes in the regular files directly under `dir`.
fn dir_size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}
