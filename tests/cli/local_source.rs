//! The local source against real fixtures and against bad input
//! (`tests/data/bad/`): every problem is pinned to its file, line and
//! column, and the documents around a bad one still load.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use callboard_core::catalog::{CatalogEntity, Entity};
use callboard_io::source::local::{load_local, LocalOptions};
use callboard_io::source::yaml::parse_documents;
use callboard_io::source::{LoadResult, Problem, Severity};
use serde_json::Value;

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");
const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");

fn canonical(path: impl AsRef<Path>) -> PathBuf {
    let path = path.as_ref();
    std::fs::canonicalize(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn shared(path: &str) -> PathBuf {
    canonical(Path::new(SHARED).join(path))
}

fn bad(path: &str) -> PathBuf {
    canonical(Path::new(MANIFEST).join("tests/data/bad").join(path))
}

fn load(roots: &[PathBuf]) -> LoadResult {
    load_local("test", roots, &LocalOptions::new())
}

fn entity<'a>(result: &'a LoadResult, key: &str) -> &'a CatalogEntity {
    result
        .entities
        .iter()
        .find(|e| e.entity.ref_key() == key)
        .unwrap_or_else(|| panic!("{key} not loaded; have {:?}", refs(result)))
}

fn refs(result: &LoadResult) -> Vec<String> {
    result.entities.iter().map(|e| e.entity.ref_key()).collect()
}

fn has_relation(e: &Entity, relation_type: &str, target: &str) -> bool {
    e.relations()
        .iter()
        .any(|r| r.relation_type == relation_type && r.target_ref == target)
}

fn kinds(result: &LoadResult) -> BTreeMap<String, usize> {
    let mut kinds = BTreeMap::new();
    for e in &result.entities {
        *kinds.entry(e.entity.kind.clone()).or_default() += 1;
    }
    kinds
}

/// Problems as `file:line:col: severity` (file relative to tests/data/bad)
/// with the message, for exact comparisons.
fn positions(result: &LoadResult) -> Vec<String> {
    let base = format!("{}/", bad("").display());
    result
        .problems
        .iter()
        .map(|p| {
            let file = p.location.strip_prefix(&base).unwrap_or(&p.location);
            match (p.line, p.column) {
                (Some(l), Some(c)) => format!("{file}:{l}:{c}: {}", p.severity),
                _ => format!("{file}: {}", p.severity),
            }
        })
        .collect()
}

fn message_at(result: &LoadResult, line: u32, column: u32) -> &Problem {
    result
        .problems
        .iter()
        .find(|p| p.line == Some(line) && p.column == Some(column))
        .unwrap_or_else(|| panic!("no problem at {line}:{column}: {:#?}", result.problems))
}

// ---------------------------------------------------------------- fixtures

#[test]
fn backstage_examples_load_with_relations() {
    let result = load(&[
        shared("fixtures/backstage-examples/all.yaml"),
        shared("fixtures/backstage-examples/acme-corp.yaml"),
    ]);
    let expected: BTreeMap<String, usize> = [
        ("API", 7),
        ("AiResource", 2),
        ("Component", 13),
        ("Domain", 3),
        ("Group", 8),
        ("Location", 9),
        ("Resource", 1),
        ("System", 3),
        ("User", 17),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_string(), n))
    .collect();
    assert_eq!(kinds(&result), expected);
    assert_eq!(result.entities.len(), 63);
    assert_eq!(result.files_read, 48);

    // Only the three remote `$text` definitions fail.
    let errors: Vec<&Problem> = result.problems.iter().collect();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    for p in errors {
        assert_eq!(p.severity, Severity::Error);
        assert!(
            p.message
                .starts_with("callboard does not fetch remote $text placeholders"),
            "{p}"
        );
    }
    let spotify = shared("fixtures/backstage-examples/apis/spotify-api.yaml");
    let p = result
        .problems
        .iter()
        .find(|p| p.location == spotify.display().to_string())
        .unwrap();
    assert_eq!((p.line, p.column), (Some(17), Some(12)));

    // Relations both ways, with the referrer's namespace as the default.
    let artist_lookup = &entity(&result, "component:default/artist-lookup").entity;
    assert!(has_relation(
        artist_lookup,
        "ownedBy",
        "group:default/team-a"
    ));
    assert!(has_relation(
        artist_lookup,
        "partOf",
        "system:default/artist-engagement-portal"
    ));
    assert!(has_relation(
        artist_lookup,
        "dependsOn",
        "resource:default/artists-db"
    ));
    let team_a = &entity(&result, "group:default/team-a").entity;
    assert!(has_relation(
        team_a,
        "ownerOf",
        "component:default/artist-lookup"
    ));
    assert!(has_relation(team_a, "hasMember", "user:development/guest"));
    assert!(has_relation(team_a, "childOf", "group:default/backstage"));
    let guest = &entity(&result, "user:development/guest").entity;
    assert!(has_relation(guest, "memberOf", "group:default/team-a"));
    let db = &entity(&result, "resource:default/artists-db").entity;
    assert!(has_relation(
        db,
        "dependencyOf",
        "component:default/artist-lookup"
    ));

    // Origins: source, absolute file and the document's line; no annotations added.
    let example_all = entity(&result, "location:default/example-all");
    assert_eq!(example_all.origin.source, "test");
    assert_eq!(
        example_all.origin.location,
        format!(
            "file:{}",
            shared("fixtures/backstage-examples/all.yaml").display()
        )
    );
    assert_eq!(example_all.origin.line, Some(1));
    assert!(example_all.entity.metadata.annotations.is_none());
    let backstage_group = entity(&result, "group:default/backstage");
    assert!(backstage_group
        .origin
        .location
        .ends_with("/acme/backstage-group.yaml"));
}

#[test]
fn relative_text_placeholder_resolves() {
    let result = load(&[shared("fixtures/backstage-examples/all.yaml")]);
    let api = &entity(&result, "api:default/petstore-webhook").entity;
    let oas = std::fs::read_to_string(shared(
        "fixtures/backstage-examples/apis/petstore-webhook.oas.yaml",
    ))
    .unwrap();
    assert_eq!(api.spec_str("definition"), Some(oas.as_str()));
    assert!(api
        .spec_str("definition")
        .unwrap()
        .starts_with("openapi: 3.1.0"));
}

#[test]
fn demo_catalog_loads_cleanly() {
    let root = canonical(Path::new(MANIFEST).join("assets/demo/catalog-info.yaml"));
    let result = load(&[root]);
    assert!(
        result.problems.is_empty(),
        "{:#?}",
        result
            .problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    assert!(
        (40..=55).contains(&result.entities.len()),
        "{} entities",
        result.entities.len()
    );
    for kind in [
        "Location",
        "Domain",
        "System",
        "Component",
        "API",
        "Resource",
        "Group",
        "User",
        "Template",
    ] {
        assert!(
            kinds(&result).contains_key(kind),
            "no {kind} in the demo: {:?}",
            kinds(&result)
        );
    }
    // Every forward relation the demo declares points at an entity in it.
    let keys: std::collections::HashSet<String> = refs(&result).into_iter().collect();
    for e in &result.entities {
        for r in e.entity.relations() {
            assert!(
                keys.contains(&r.target_ref),
                "{} {} {} dangles",
                e.entity.ref_key(),
                r.relation_type,
                r.target_ref
            );
        }
    }
}

/// Every entity document in the fixtures survives parse → Entity → value.
#[test]
fn entity_documents_round_trip() {
    let mut files = Vec::new();
    for dir in [
        PathBuf::from(SHARED).join("fixtures/backstage-examples"),
        PathBuf::from(SHARED).join("backstage/catalog"),
        PathBuf::from(MANIFEST).join("assets/demo"),
    ] {
        collect_yaml(&dir, &mut files);
    }
    let mut checked = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let (docs, _) = parse_documents(&text);
        for doc in docs {
            let is_entity =
                doc.value.get("apiVersion").is_some() && doc.value.get("kind").is_some();
            // Template skeletons (`name: ${{ values.name }}`) are not entities yet.
            let name_is_string = doc
                .value
                .pointer("/metadata/name")
                .is_some_and(Value::is_string);
            if !is_entity || !name_is_string {
                continue;
            }
            let entity = Entity::from_value(doc.value.clone())
                .unwrap_or_else(|e| panic!("{}:{}: {e}", file.display(), doc.line));
            assert_eq!(
                entity.to_value(),
                doc.value,
                "{}:{}",
                file.display(),
                doc.line
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} entity documents");
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_yaml(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

// --------------------------------------------------------------- bad input

#[test]
fn malformed_yaml_in_the_second_of_three_documents() {
    let result = load(&[bad("malformed-second-of-three.yaml")]);
    assert_eq!(
        positions(&result),
        vec!["malformed-second-of-three.yaml:14:5: error"]
    );
    assert!(
        result.problems[0]
            .message
            .starts_with("YAML syntax error: "),
        "{}",
        result.problems[0]
    );
    assert_eq!(
        refs(&result),
        vec!["group:default/first-team", "group:default/third-team"]
    );
    assert_eq!(
        entity(&result, "group:default/third-team").origin.line,
        Some(18)
    );
}

#[test]
fn wrong_types_point_at_the_values() {
    let result = load(&[bad("wrong-types.yaml")]);
    assert_eq!(
        positions(&result),
        vec![
            "wrong-types.yaml:5:9: error",
            "wrong-types.yaml:9:10: error",
            "wrong-types.yaml:10:17: error",
            "wrong-types.yaml:24:11: error",
        ]
    );
    assert!(message_at(&result, 9, 10)
        .message
        .starts_with("spec.owner must be a non-empty string, found a number"));
    assert!(message_at(&result, 10, 17)
        .message
        .contains("spec.providesApis must be a list"));
    assert!(message_at(&result, 24, 11).message.contains("quote it"));
    assert_eq!(refs(&result), vec!["user:default/typed-right"]);
}

#[test]
fn missing_required_fields() {
    let result = load(&[bad("missing-fields.yaml")]);
    assert_eq!(
        positions(&result),
        vec![
            "missing-fields.yaml:5:1: error",
            "missing-fields.yaml:11:1: error",
            "missing-fields.yaml:16:1: error",
        ]
    );
    assert!(message_at(&result, 5, 1)
        .message
        .contains("missing required field 'spec.lifecycle'"));
    assert!(message_at(&result, 11, 1)
        .message
        .contains("missing required field 'metadata.name'"));
    assert!(message_at(&result, 16, 1)
        .message
        .contains("missing required field 'apiVersion'"));
    assert_eq!(refs(&result), vec!["domain:default/complete-domain"]);
}

#[test]
fn invalid_names_namespaces_and_tags() {
    let result = load(&[bad("invalid-names.yaml")]);
    assert_eq!(
        positions(&result),
        vec![
            "invalid-names.yaml:4:9: error",
            "invalid-names.yaml:14:14: error",
            "invalid-names.yaml:24:14: error",
        ]
    );
    assert!(message_at(&result, 4, 9)
        .message
        .starts_with("invalid name 'bad name'"));
    assert!(message_at(&result, 14, 14)
        .message
        .starts_with("invalid namespace \"Prod\""));
    assert!(message_at(&result, 24, 14)
        .message
        .starts_with("invalid tag \"Java\""));
    assert_eq!(refs(&result), vec!["component:default/good-name"]);
}

#[test]
fn depends_on_without_a_kind_drops_the_entity() {
    let result = load(&[bad("depends-on-without-kind.yaml")]);
    assert_eq!(
        positions(&result),
        vec!["depends-on-without-kind.yaml:11:7: error"]
    );
    assert!(
        result.problems[0]
            .message
            .contains("'artists-db' has no kind"),
        "{}",
        result.problems[0]
    );
    // The resource still loads; its forward edge dangles (the component is
    // gone) and no reverse edge lands anywhere.
    let db = &entity(&result, "resource:default/artists-db").entity;
    assert_eq!(db.relations().len(), 2, "{:?}", db.relations());
    assert!(has_relation(
        db,
        "dependencyOf",
        "component:default/needs-kind"
    ));
    assert!(has_relation(db, "ownedBy", "group:default/team-a"));
    assert_eq!(refs(&result), vec!["resource:default/artists-db"]);
}

#[test]
fn location_cycle_is_a_warning_and_each_file_is_read_once() {
    let result = load(&[bad("cycle/a.yaml")]);
    assert_eq!(positions(&result), vec!["cycle/b.yaml:6:11: warning"]);
    assert_eq!(
        result.problems[0].message,
        format!(
            "Location cycle: {} already read via the catalog root",
            bad("cycle/a.yaml").display()
        )
    );
    assert_eq!(result.files_read, 2);
    assert_eq!(
        refs(&result),
        vec![
            "location:default/cycle-a",
            "group:default/cycle-group",
            "location:default/cycle-b",
            "user:default/cycle-user",
        ]
    );
    let user = &entity(&result, "user:default/cycle-user").entity;
    assert!(has_relation(user, "memberOf", "group:default/cycle-group"));
    let group = &entity(&result, "group:default/cycle-group").entity;
    assert!(has_relation(group, "hasMember", "user:default/cycle-user"));
}

#[test]
fn missing_location_targets() {
    let result = load(&[bad("missing-target.yaml")]);
    let mine: Vec<String> = positions(&result)
        .into_iter()
        .filter(|p| p.starts_with("missing-target"))
        .collect();
    assert_eq!(
        mine,
        vec![
            "missing-target.yaml:8:7: error",
            "missing-target.yaml:9:7: error",
            "missing-target.yaml:25:11: warning",
        ]
    );
    assert!(message_at(&result, 8, 7)
        .message
        .starts_with("Location target not found: ./does-not-exist.yaml"));
    assert!(message_at(&result, 9, 7)
        .message
        .starts_with("Location target not found: ./nothing-matches-*.yaml"));
    assert!(message_at(&result, 25, 11)
        .message
        .starts_with("remote Location target not followed: https://"));
    // The existing target was followed (its own problems come along), the
    // optional missing one is silent, and all three Locations are kept.
    assert!(result
        .entities
        .iter()
        .any(|e| e.entity.ref_key() == "user:default/typed-right"));
    assert_eq!(
        refs(&result)
            .iter()
            .filter(|r| r.starts_with("location:"))
            .count(),
        3,
        "{:?}",
        refs(&result)
    );
    assert_eq!(result.files_read, 2);
}

#[test]
fn duplicates_non_mappings_and_duplicate_keys() {
    let result = load(&[bad("duplicates.yaml")]);
    assert_eq!(
        positions(&result),
        vec![
            "duplicates.yaml:12:9: error",
            "duplicates.yaml:17:1: error",
            "duplicates.yaml:24:3: error"
        ]
    );
    let duplicate = message_at(&result, 12, 9);
    assert!(
        duplicate.message.starts_with(&format!(
            "duplicate entity group:default/twin: already defined at {}:1",
            bad("duplicates.yaml").display()
        )),
        "{duplicate}"
    );
    assert!(message_at(&result, 17, 1).message.contains("found a list"));
    assert!(message_at(&result, 24, 3)
        .message
        .contains("duplicate key 'name'"));
    assert_eq!(refs(&result), vec!["group:default/twin"]);
    assert_eq!(entity(&result, "group:default/twin").entity.name(), "twin");
}

#[test]
fn targets_and_placeholders_stay_inside_the_root() {
    let result = load(&[bad("escape/catalog-info.yaml")]);
    assert_eq!(
        positions(&result),
        vec![
            "escape/catalog-info.yaml:6:11: error",
            "escape/catalog-info.yaml:17:12: error"
        ]
    );
    assert!(message_at(&result, 6, 11)
        .message
        .starts_with("Location target leaves the catalog root"));
    assert!(message_at(&result, 17, 12)
        .message
        .starts_with("placeholder leaves the catalog root"));
    assert_eq!(refs(&result), vec!["location:default/escapes"]);
    assert_eq!(result.files_read, 1);
}

#[test]
fn non_utf8_file_points_at_the_first_bad_byte() {
    let result = load(&[bad("not-utf8.yaml"), bad("depends-on-without-kind.yaml")]);
    let p = &result.problems[1];
    assert_eq!(p.location, bad("not-utf8.yaml").display().to_string());
    assert_eq!(
        (p.line, p.column, p.severity),
        (Some(5), Some(19), Severity::Error)
    );
    assert!(
        p.message.contains("invalid byte 0xE9 at byte offset 94"),
        "{p}"
    );
    // The other root still loads.
    assert_eq!(refs(&result), vec!["resource:default/artists-db"]);
    assert_eq!(result.files_read, 1);
}

#[test]
fn binary_file_points_at_the_first_nul() {
    let result = load(&[bad("binary.yaml")]);
    assert_eq!(positions(&result), vec!["binary.yaml:3:4: error"]);
    assert!(
        result.problems[0]
            .message
            .contains("NUL byte at byte offset 49"),
        "{}",
        result.problems[0]
    );
    assert!(result.entities.is_empty());
    assert_eq!(result.files_read, 0);
}

#[test]
fn oversized_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big/catalog-info.yaml");
    std::fs::create_dir_all(big.parent().unwrap()).unwrap();
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(50 * 1024 * 1024).unwrap();
    drop(file);
    std::fs::write(
        dir.path().join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: small\nspec:\n  memberOf: []\n",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let small_limit = LocalOptions {
        max_file_bytes: 10 * 1024 * 1024,
        ..LocalOptions::new()
    };
    let result = load_local("test", &[canonical(dir.path())], &small_limit);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(result.problems.len(), 1, "{:?}", result.problems);
    let p = &result.problems[0];
    assert_eq!(p.location, canonical(&big).display().to_string());
    assert_eq!(
        (p.line, p.column, p.severity),
        (None, None, Severity::Error)
    );
    assert_eq!(
        p.message,
        "file is 50.0 MB, over the 10.0 MB limit; split it, or raise the limit with max_file_mb in the config"
    );
    assert_eq!(refs(&result), vec!["user:default/small"]);

    let options = LocalOptions {
        max_file_bytes: 100 * 1024 * 1024,
        ..LocalOptions::new()
    };
    let result = load_local("test", &[canonical(&big)], &options);
    // Read this time: 50 MB of NUL bytes is binary.
    assert!(
        result.problems[0]
            .message
            .contains("NUL byte at byte offset 0"),
        "{:?}",
        result.problems
    );
}

#[test]
fn missing_root_is_named() {
    let missing = Path::new(MANIFEST).join("tests/data/bad/no-such-dir");
    let result = load(std::slice::from_ref(&missing));
    assert_eq!(result.problems.len(), 1);
    assert_eq!(result.problems[0].location, missing.display().to_string());
    assert!(result.problems[0].message.contains("not found"));
    assert_eq!(result.files_read, 0);
}

#[test]
fn problems_are_sorted_and_display_with_positions() {
    let result = load(&[
        bad("wrong-types.yaml"),
        bad("missing-fields.yaml"),
        bad("invalid-names.yaml"),
    ]);
    let keys: Vec<(String, Option<u32>, Option<u32>)> = result
        .problems
        .iter()
        .map(|p| (p.location.clone(), p.line, p.column))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let shown = result.problems[0].to_string();
    assert!(
        shown.starts_with(&format!(
            "{}:4:9: error: invalid name",
            bad("invalid-names.yaml").display()
        )),
        "{shown}"
    );
    // Entity order is file order, then document order.
    assert_eq!(
        refs(&result),
        vec![
            "user:default/typed-right",
            "domain:default/complete-domain",
            "component:default/good-name"
        ]
    );
}

#[test]
fn folder_roots_follow_locations_and_globs() {
    let dir = tempfile::tempdir().unwrap();
    let root = canonical(dir.path());
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let user = |n: &str| {
        format!("apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: {n}\nspec:\n  memberOf: [team]\n")
    };
    write(
        "catalog-info.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: all\nspec:\n  targets: ['./people/*.yaml', './groups/**/*.yml']\n",
    );
    write("people/b.yaml", &user("bea"));
    write("people/a.yaml", &user("al"));
    write("people/deeper/c.yaml", &user("not-matched"));
    write(
        "groups/x/team.yml",
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team\nspec:\n  type: team\n  children: []\n",
    );
    // Found by the walk too, but read only once (no warning: not a cycle).
    write("svc/catalog-info.yaml", &user("cy"));
    write(
        "svc/more.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: more\nspec:\n  target: ./catalog-info.yaml\n",
    );
    write(
        "catalog-info.yml",
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: more-root\nspec:\n  target: ./svc/more.yaml\n",
    );
    let result = load(std::slice::from_ref(&root));
    assert!(result.problems.is_empty(), "{:#?}", result.problems);
    assert_eq!(
        refs(&result),
        vec![
            "location:default/all",
            "user:default/al",
            "user:default/bea",
            "group:default/team",
            "location:default/more-root",
            "location:default/more",
            "user:default/cy",
        ]
    );
    let team = &entity(&result, "group:default/team").entity;
    for member in ["al", "bea", "cy"] {
        assert!(has_relation(
            team,
            "hasMember",
            &format!("user:default/{member}")
        ));
    }
}
