//! Writing a generated catalog: YAML file trees, name lists, and the
//! entities a fake Backstage server serves (with relations and ids).

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use callboard_core::catalog::relations::{emit_relations, stitch};
use callboard_core::catalog::Entity;
use serde_json::Value;

use crate::API_VERSION;

/// Write `docs` as multi-document YAML files `dir/part-0001.yaml`, … with
/// `per_file` documents each (one JSON-encoded document per line, which is
/// valid YAML), plus `dir/catalog-info.yaml`: a Location named
/// `generated-catalog` that targets every part. Returns the path of
/// `catalog-info.yaml`.
pub fn write_yaml_tree(docs: &[Value], dir: &Path, per_file: usize) -> io::Result<PathBuf> {
    if per_file == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "per_file must be at least 1",
        ));
    }
    fs::create_dir_all(dir)?;
    let mut targets = Vec::new();
    for (i, chunk) in docs.chunks(per_file).enumerate() {
        let file = format!("part-{:04}.yaml", i + 1);
        let mut out = BufWriter::with_capacity(1 << 20, fs::File::create(dir.join(&file))?);
        for doc in chunk {
            out.write_all(b"---\n")?;
            serde_json::to_writer(&mut out, doc)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        targets.push(file);
    }
    let root = dir.join("catalog-info.yaml");
    let mut out = BufWriter::new(fs::File::create(&root)?);
    writeln!(out, "apiVersion: {API_VERSION}")?;
    writeln!(out, "kind: Location")?;
    writeln!(out, "metadata:")?;
    writeln!(out, "  name: generated-catalog")?;
    writeln!(
        out,
        "  description: Synthetic catalog of {} entities written by callboard-gen.",
        docs.len()
    )?;
    writeln!(out, "spec:")?;
    if targets.is_empty() {
        writeln!(out, "  targets: []")?;
    } else {
        writeln!(out, "  targets:")?;
        for t in &targets {
            writeln!(out, "    - ./{t}")?;
        }
    }
    out.flush()?;
    Ok(root)
}

/// Write each document's `metadata.name`, one per line.
pub fn write_names(docs: &[Value], path: &Path) -> io::Result<()> {
    let mut out = BufWriter::new(fs::File::create(path)?);
    for doc in docs {
        if let Some(name) = doc.pointer("/metadata/name").and_then(Value::as_str) {
            writeln!(out, "{name}")?;
        }
    }
    out.flush()
}

/// The documents as a catalog server returns them: parsed, with relations
/// emitted and stitched, `metadata.namespace` filled in and a deterministic
/// `uid` and `etag`. Fails on the first document that does not parse or
/// whose refs do not.
pub fn server_entities(docs: &[Value]) -> Result<Vec<Entity>, String> {
    let mut entities = Vec::with_capacity(docs.len());
    let mut emitted = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let entity =
            Entity::from_value(doc.clone()).map_err(|e| format!("document {}: {e}", i + 1))?;
        let relations = emit_relations(&entity).map_err(|errors| {
            let first = &errors[0];
            format!("{}: {} {:?}", entity.ref_key(), first.path, first.error)
        })?;
        emitted.extend(relations);
        entities.push(entity);
    }
    stitch(&mut entities, emitted);
    for entity in &mut entities {
        let key = entity.ref_key();
        let h1 = fnv1a(key.as_bytes(), 0xCBF2_9CE4_8422_2325);
        let h2 = fnv1a(key.as_bytes(), 0x8422_2325_CBF2_9CE4);
        entity.metadata.namespace = Some("default".into());
        entity.metadata.uid = Some(format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            h1 >> 32,
            (h1 >> 16) & 0xFFFF,
            h1 & 0xFFF,
            0x8000 | ((h2 >> 48) & 0x3FFF),
            h2 & 0xFFFF_FFFF_FFFF
        ));
        entity.metadata.etag = Some(format!("{h2:016x}{h1:016x}"));
    }
    Ok(entities)
}

fn fnv1a(bytes: &[u8], basis: u64) -> u64 {
    bytes.iter().fold(basis, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{generate, GenOptions};
    use callboard_core::catalog::validate::validate_document;
    use serde_json::Value;
    use std::collections::HashSet;
    use std::fs;

    fn docs(n: usize, seed: u64) -> Vec<Value> {
        generate(&GenOptions { entities: n, seed })
    }

    #[test]
    fn yaml_tree_round_trips_and_names_are_listed() {
        let docs = docs(300, 9);
        let dir = tempfile::tempdir().unwrap();
        let root = write_yaml_tree(&docs, dir.path(), 100).unwrap();
        let location: Value = serde_norway::from_str(&fs::read_to_string(&root).unwrap()).unwrap();
        assert!(validate_document(&location).is_empty());
        assert_eq!(location["metadata"]["name"], "generated-catalog");
        let targets = location["spec"]["targets"].as_array().unwrap();
        assert_eq!(targets.len(), 3);
        let mut read: Vec<Value> = Vec::new();
        for t in targets {
            let path = dir
                .path()
                .join(t.as_str().unwrap().trim_start_matches("./"));
            let text = fs::read_to_string(path).unwrap();
            for doc in serde_norway::Deserializer::from_str(&text) {
                read.push(serde::Deserialize::deserialize(doc).unwrap());
            }
        }
        assert_eq!(read, docs);

        let names = dir.path().join("names.txt");
        write_names(&docs, &names).unwrap();
        assert_eq!(
            fs::read_to_string(names).unwrap().lines().count(),
            docs.len()
        );
    }

    #[test]
    fn server_entities_carry_relations_and_ids() {
        let docs = docs(500, 4);
        let entities = server_entities(&docs).unwrap();
        assert_eq!(entities.len(), docs.len());
        let uids: HashSet<_> = entities
            .iter()
            .map(|e| e.metadata.uid.clone().unwrap())
            .collect();
        assert_eq!(uids.len(), entities.len());
        assert!(entities.iter().all(|e| e.namespace() == "default"));
        assert!(
            entities
                .iter()
                .filter(|e| !e.relations().is_empty())
                .count()
                > docs.len() * 9 / 10
        );
    }
}
