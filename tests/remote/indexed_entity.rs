//! `parse_indexed` (the lean read a remote sync indexes entities with)
//! against a full `Entity` parse: the same verdict and error on every
//! input, and where both accept, the same ref, name, etag, relations and
//! search record. Inputs: every object in the recorded backend responses
//! and the example catalogs, a generated catalog, and hostile variants
//! (every field of an entity replaced by every JSON type, repeated keys,
//! non-objects).

use callboard_core::catalog::indexed::parse_indexed;
use callboard_core::catalog::Entity;
use callboard_core::search::SearchRecord;
use callboard_gen::{generate, GenOptions};
use serde_json::{json, Value};

fn check(text: &str) -> bool {
    let full = serde_json::from_str::<Entity>(text);
    let lean = parse_indexed(text);
    match (&full, &lean) {
        (Ok(f), Ok(l)) => {
            assert_eq!(f.ref_key(), l.ref_key(), "{text}");
            assert_eq!(
                (&f.kind, &f.metadata.name, &f.metadata.etag, &f.metadata.uid),
                (&l.kind, &l.metadata.name, &l.metadata.etag, &l.metadata.uid),
                "{text}"
            );
            assert_eq!(f.relations, l.relations, "{text}");
            assert_eq!(
                SearchRecord::from_entity(f),
                SearchRecord::from_entity(l),
                "{text}"
            );
            true
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "{text}");
            false
        }
        _ => panic!("{text}: Entity {full:?}, indexed {lean:?}"),
    }
}

/// Every object inside `v` (itself included).
fn objects(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(map) => {
            out.push(v.clone());
            map.values().for_each(|x| objects(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| objects(x, out)),
        _ => {}
    }
}

/// Every object in the recorded responses and the example catalogs
/// (`../shared/fixtures`), files in name order: the entities among them
/// and everything else.
pub(crate) fn fixture_objects() -> Vec<Value> {
    use serde::Deserialize;
    let mut docs = Vec::new();
    for dir in [
        "../shared/fixtures/backstage-api",
        "../shared/fixtures/backstage-examples",
    ] {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let parsed: Vec<Value> = match path.extension().and_then(|e| e.to_str()) {
                Some("json") => serde_json::from_str(&text).into_iter().collect(),
                Some("yaml") | Some("yml") => serde_norway::Deserializer::from_str(&text)
                    .filter_map(|d| serde_norway::Value::deserialize(d).ok())
                    .filter_map(|v| serde_json::to_value(v).ok())
                    .collect(),
                _ => Vec::new(),
            };
            for v in &parsed {
                objects(v, &mut docs);
            }
        }
    }
    docs
}

#[test]
fn recorded_responses_and_example_catalogs_parse_alike() {
    let docs = fixture_objects();
    let accepted = docs
        .iter()
        .filter(|d| check(&serde_json::to_string(d).unwrap()))
        .count();
    // The recorded answers hold entities (most objects are not).
    assert!(accepted > 100, "{accepted} of {}", docs.len());
}

#[test]
fn a_generated_catalog_parses_alike() {
    let docs = generate(&GenOptions {
        entities: 2000,
        seed: 7,
    });
    for d in &docs {
        assert!(check(&serde_json::to_string(d).unwrap()));
    }
}

#[test]
fn hostile_entities_get_the_same_verdict_and_error() {
    let base = json!({
        "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
        "metadata": {"name": "Svc", "namespace": "Ops", "title": "T", "description": "d",
                     "labels": {"a": "b"}, "annotations": {"x": "y"}, "tags": ["t", 1],
                     "links": [{"url": "u"}], "uid": "u-1", "etag": "e-1", "extra": {"k": [1]}},
        "spec": {"type": "service", "owner": "team-a", "lifecycle": "production",
                 "system": "sys", "dependsOn": ["component:x"]},
        "relations": [{"type": "ownedBy", "targetRef": "group:ops/team-a"},
                      {"type": "dependsOn", "targetRef": "Component:Ops/X", "target": {"kind": "c"}}],
        "status": {"items": []}, "unknown": 5
    });
    assert!(check(&base.to_string()));
    let kinds = [
        json!(null),
        json!(1),
        json!(-2.5),
        json!(true),
        json!("s"),
        json!(""),
        json!([]),
        json!([1, "a"]),
        json!({}),
        json!({"a": 1}),
        json!([{"type": "t", "targetRef": "r"}]),
        json!(["t", "r"]),
        json!([["t", "r"]]),
    ];
    let paths: &[&[&str]] = &[
        &["apiVersion"],
        &["kind"],
        &["metadata"],
        &["spec"],
        &["relations"],
        &["status"],
        &["unknown"],
        &["metadata", "name"],
        &["metadata", "namespace"],
        &["metadata", "title"],
        &["metadata", "description"],
        &["metadata", "labels"],
        &["metadata", "annotations"],
        &["metadata", "tags"],
        &["metadata", "links"],
        &["metadata", "uid"],
        &["metadata", "etag"],
        &["metadata", "extra"],
        &["spec", "type"],
        &["spec", "owner"],
        &["spec", "lifecycle"],
        &["spec", "system"],
        &["spec", "dependsOn"],
    ];
    let mut checked = 0;
    for path in paths {
        for value in &kinds {
            let mut doc = base.clone();
            let (last, parents) = path.split_last().unwrap();
            let mut at = &mut doc;
            for p in parents {
                at = &mut at[*p];
            }
            at[*last] = value.clone();
            check(&doc.to_string());
            // And left out.
            let mut doc = base.clone();
            let mut at = &mut doc;
            for p in parents {
                at = &mut at[*p];
            }
            at.as_object_mut().unwrap().remove(*last);
            check(&doc.to_string());
            checked += 2;
        }
    }
    assert!(checked > 500);
    // Texts a Value cannot hold: repeated keys, at each level.
    let text = base.to_string();
    for (from, to) in [
        (
            r#""kind":"Component""#,
            r#""kind":"Component","kind":"API""#,
        ),
        (r#""name":"Svc""#, r#""name":"Svc","name":"other""#),
        (
            r#""owner":"team-a""#,
            r#""owner":"team-a","owner":"team-b""#,
        ),
        (r#""unknown":5"#, r#""unknown":5,"unknown":6"#),
        (r#""etag":"e-1""#, r#""etag":"e-1","etag":null"#),
        (
            r#""status":{"items":[]}"#,
            r#""status":{"items":[]},"status":1"#,
        ),
        (r#""labels":{"a":"b"}"#, r#""labels":{"a":"b","a":"c"}"#),
    ] {
        assert!(text.contains(from), "{from}");
        check(&text.replacen(from, to, 1));
    }
    for odd in [
        "",
        "null",
        "1",
        "\"s\"",
        "[]",
        "[1]",
        "{}",
        "{",
        "{\"kind\":",
        "[\"a\",\"b\",{}]",
        r#"["backstage.io/v1alpha1","Component",{"name":"x"}]"#,
        r#"{"apiVersion":"v","kind":"K","metadata":["x"]}"#,
        r#"{"apiVersion":"v","kind":"K","metadata":{"name":"x"},"spec":["service","o"]}"#,
        r#"{"apiVersion":"v","kind":"K","metadata":{"name":"x","labels":["a"]}}"#,
        r#"{"apiVersion":"v","kind":"K","metadata":{"name":"x"}} trailing"#,
        r#"{"apiVersion":"v","kind":"K","metadata":{"name":"x\u0000y"}}"#,
        r#"{"apiVersion":"v","kind":"K","metadata":{"name":"\ud800"}}"#,
    ] {
        check(odd);
    }
}
