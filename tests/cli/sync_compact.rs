//! A local sync keeps entities serialised between reading and writing
//! (`load_local_compact`); the snapshot must be the one written from the
//! full entities (`load_local` + `SnapshotWriter::add`): every table, the
//! corpus, outside edges, problems — on the fixture catalogs, on a generated
//! catalog, and on files with duplicates, bad entities, placeholders and
//! Locations.

use std::path::{Path, PathBuf};

use callboard_gen::{generate, write_yaml_tree, GenOptions};
use callboard_io::cache::Cache;
use callboard_io::source::local::{
    load_local, load_local_compact, load_local_compact_pieces, load_local_compact_with,
    load_local_pieces, LocalOptions,
};
use rusqlite::types::Value;
use rusqlite::Connection;

const SYNCED_AT: u64 = 1_700_000_000_000;

/// Every table of a snapshot, each row as its values (rowid first where
/// there is one), with the schema.
fn dump(path: &Path) -> Vec<(String, Vec<Vec<Value>>)> {
    let conn = Connection::open(path).unwrap();
    let tables: Vec<(String, String)> = conn
        .prepare("SELECT name, sql FROM sqlite_master ORDER BY type, name")
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = vec![(
        "schema".to_string(),
        tables
            .iter()
            .map(|(n, s)| vec![Value::Text(n.clone()), Value::Text(s.clone())])
            .collect(),
    )];
    for (name, sql) in &tables {
        if !sql.starts_with("CREATE TABLE") {
            continue;
        }
        let query = if sql.contains("WITHOUT ROWID") {
            format!("SELECT * FROM {name} ORDER BY 1")
        } else {
            format!("SELECT rowid, * FROM {name} ORDER BY rowid")
        };
        let mut stmt = conn.prepare(&query).unwrap();
        let columns = stmt.column_count();
        let rows: Vec<Vec<Value>> = stmt
            .query_map([], |r| (0..columns).map(|i| r.get::<_, Value>(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        out.push((name.clone(), rows));
    }
    out
}

/// Sync `roots` both ways and compare (and the compact way again with
/// every file split into pieces of one document, parsed on every thread);
/// returns the number of entities.
fn assert_same_snapshot(roots: &[PathBuf], options: &LocalOptions) -> usize {
    let n = assert_same_snapshot_pieces(roots, options, None);
    assert_same_snapshot_pieces(roots, options, Some(1));
    n
}

/// [`assert_same_snapshot`] with the compact load's files split into
/// pieces of `piece_bytes` (`None`: as a sync splits them). The full load
/// is a whole-file parse, and equal to the full load in pieces.
fn assert_same_snapshot_pieces(
    roots: &[PathBuf],
    options: &LocalOptions,
    piece_bytes: Option<usize>,
) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let full_cache = Cache::new(dir.path().join("full"));
    let compact_cache = Cache::new(dir.path().join("compact"));

    let full = load_local_pieces("src", roots, options, usize::MAX);
    let default = load_local("src", roots, options);
    assert_eq!(default.entities, full.entities);
    assert_eq!(default.problems, full.problems);
    assert_eq!(default.files_read, full.files_read);
    if let Some(piece_bytes) = piece_bytes {
        let pieces = load_local_pieces("src", roots, options, piece_bytes);
        assert_eq!(pieces.entities, full.entities);
        assert_eq!(pieces.problems, full.problems);
        assert_eq!(pieces.files_read, full.files_read);
    }
    let mut writer = full_cache.begin_snapshot("src", "origin").unwrap();
    for e in &full.entities {
        writer.add(e).unwrap();
    }
    let full_info = writer.finish_at(&full.problems, SYNCED_AT).unwrap();
    let expected = dump(&full_info.path);

    // Bodies kept in memory, all spilled to a file, and the first ~3 kB
    // kept then the rest spilled.
    let spill_dir = dir.path().join("spill");
    for spill in [None, Some(0), Some(3_000)] {
        let mut compact = match (piece_bytes, spill) {
            (None, None) => load_local_compact("src", roots, options),
            (Some(bytes), None) => load_local_compact_pieces("src", roots, options, bytes),
            (bytes, Some(after)) => load_local_compact_with(
                "src",
                roots,
                options,
                bytes.unwrap_or(1024 * 1024),
                Some((&spill_dir, after)),
            ),
        };
        assert_eq!(compact.problems, full.problems);
        assert_eq!(compact.files_read, full.files_read);
        assert_eq!(compact.entities.len(), full.entities.len());
        let mut writer = compact_cache.begin_snapshot("src", "origin").unwrap();
        compact.write_entities("src", &mut writer).unwrap();
        let compact_info = writer.finish_at(&compact.problems, SYNCED_AT).unwrap();
        assert_eq!(compact_info.entity_count, full_info.entity_count);

        let actual = dump(&compact_info.path);
        assert_eq!(expected.len(), actual.len());
        for ((name, rows), (actual_name, actual_rows)) in expected.iter().zip(&actual) {
            assert_eq!(name, actual_name);
            assert_eq!(
                rows.len(),
                actual_rows.len(),
                "table {name}: row count, spill {spill:?}"
            );
            for (row, actual_row) in rows.iter().zip(actual_rows) {
                assert_eq!(row, actual_row, "table {name}, spill {spill:?}");
            }
        }
        // And the files are the same bytes.
        assert_eq!(
            std::fs::read(&full_info.path).unwrap(),
            std::fs::read(&compact_info.path).unwrap(),
            "spill {spill:?}"
        );
    }
    // The spill file has no name: nothing is left behind.
    assert!(!spill_dir.exists() || std::fs::read_dir(&spill_dir).unwrap().next().is_none());
    full.entities.len()
}

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/backstage-examples"
    ))
}

#[test]
fn compact_sync_writes_the_full_snapshot_for_the_fixture_catalogs() {
    let root = fixtures();
    // A folder walk (catalog-info files only, skeletons skipped).
    let n = assert_same_snapshot(std::slice::from_ref(&root), &LocalOptions::new());
    assert!(n >= 1, "{n} entities");
    // Files named one by one (Locations followed from all.yaml).
    let n = assert_same_snapshot(
        &[root.join("all.yaml"), root.join("acme-corp.yaml")],
        &LocalOptions::new(),
    );
    assert!(n > 50, "{n} entities");
    // Rules refusing kinds.
    let options = LocalOptions {
        allowed_kinds: Some(vec!["Component".into(), "location".into(), "Group".into()]),
        ..LocalOptions::new()
    };
    assert_same_snapshot(&[root.join("all.yaml")], &options);
}

#[test]
fn compact_sync_writes_the_full_snapshot_for_a_generated_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let docs = generate(&GenOptions {
        entities: 3_000,
        seed: 7,
    });
    write_yaml_tree(&docs, dir.path(), 400).unwrap();
    let n = assert_same_snapshot(&[dir.path().to_path_buf()], &LocalOptions::new());
    assert_eq!(n, 3_001, "3,000 generated and the root Location");
    // One file.
    let one = tempfile::tempdir().unwrap();
    write_yaml_tree(&docs[..1_000], one.path(), 1_000).unwrap();
    assert_same_snapshot(&[one.path().to_path_buf()], &LocalOptions::new());
}

#[test]
fn compact_sync_writes_the_full_snapshot_for_hostile_files() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "catalog-info.yaml",
        r#"apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: root
spec:
  targets: [./more/*.yaml, ./missing.yaml]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: Web
  namespace: Prod
  etag: abc123
  title: "Wéb \"quoted\" \u2028"
  description:
    $text: ./README.md
  tags: [a, b]
  annotations:
    backstage.io/source-location: url:https://example.com/x
spec:
  type: service
  lifecycle: production
  owner: group:prod/Team-A
  system: outside-system
  dependsOn: [resource:db, component:prod/api, resource:db]
  providesApis: [x]
relations:
  - type: ignored
    targetRef: component:default/nothing
status:
  items: []
extraField: {nested: [1, 2.5, true, null]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: web
  namespace: prod
spec: {type: service, lifecycle: production, owner: someone-else}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: "bad name!"
spec: {type: service}
---
- not
- a mapping
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: broken
"#,
    );
    write("README.md", "A readme\nwith lines\n");
    write(
        "more/a.yaml",
        r#"apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a, namespace: prod}
spec: {type: team, children: [], members: [u1, missing-user], parent: outside-parent}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: u1, namespace: prod}
spec: {memberOf: [team-a, Team-A]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: api, namespace: prod}
spec: {type: service, lifecycle: production, owner: group:prod/team-a, dependencyOf: [component:prod/web]}
"#,
    );
    write(
        "more/b.yaml",
        r#"{"apiVersion": "backstage.io/v1alpha1", "kind": "Resource", "metadata": {"name": "db"},
 "spec": {"type": "database", "owner": "team-a", "dependencyOf": ["component:prod/web"]}}
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: loop}
spec: {targets: [../catalog-info.yaml, ./a.yaml]}
"#,
    );
    // Reverse edges from one source to several entities (the loader keeps
    // each source once): kept, outside, outside in upper case, and an
    // outside ref that differs from a kept one only in case.
    write(
        "more/c.yaml",
        r#"apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: c1, namespace: prod}
spec: {type: service, lifecycle: production, owner: group:Prod/Outside-Team, system: outside-system, dependencyOf: [component:prod/web, component:prod/Web]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: c2, namespace: prod}
spec: {type: service, lifecycle: production, owner: group:Prod/Outside-Team, system: outside-system, dependencyOf: [component:prod/web]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: c3, namespace: prod}
spec: {type: service, lifecycle: production, owner: group:prod/team-a, system: Outside-System, dependencyOf: [component:prod/api]}
"#,
    );
    assert_same_snapshot(
        &[dir.path().join("catalog-info.yaml")],
        &LocalOptions::new(),
    );
    assert_same_snapshot(&[dir.path().to_path_buf()], &LocalOptions::new());
}
