//! Live tests against a real Backstage backend (../shared/backstage, started
//! by .ci/run, which sets CALLBOARD_LIVE_URL and CALLBOARD_LIVE_TOKEN).
//!
//! The whole catalog is synced from the backend, and `show`, `search` and
//! `deps` must answer the same as for the local source loading the same
//! YAML files (with the backend's `catalog.rules`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::backend::{require_live, Live};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// The YAML the backend loads (its app-config's catalog.locations).
fn local_roots() -> Vec<PathBuf> {
    vec![
        shared().join("backstage/catalog/all.yaml"),
        shared().join("fixtures/backstage-examples/all.yaml"),
        shared().join("fixtures/backstage-examples/acme-corp.yaml"),
    ]
}

struct Side {
    dir: tempfile::TempDir,
    args: Vec<String>,
    token: String,
}

impl Side {
    fn remote(url: &str, token: &str) -> Side {
        Side::new(vec!["--endpoint".into(), url.into()], token)
    }

    /// One local source reading the three files, as the backend's one
    /// catalog does (relations are stitched within a source).
    fn local() -> Side {
        let paths: Vec<String> = local_roots()
            .iter()
            .map(|p| format!("{:?}", p.display().to_string()))
            .collect();
        Side::new_with(
            Vec::new(),
            "",
            &format!(
                "sources:\n  - name: local\n    paths: [{}]\n",
                paths.join(", ")
            ),
        )
    }

    fn new(args: Vec<String>, token: &str) -> Side {
        Side::new_with(args, token, "")
    }

    fn new_with(mut args: Vec<String>, token: &str, sources: &str) -> Side {
        let dir = tempfile::tempdir().unwrap();
        // catalog.rules of ../shared/backstage/app-config.yaml.
        let config = dir.path().join("config.yaml");
        std::fs::write(
            &config,
            format!("{sources}rules:\n  allow: [Component, System, API, Resource, Location, Domain, Group, User, Template]\n"),
        )
        .unwrap();
        args.extend(["--config".to_string(), config.display().to_string()]);
        args.extend([
            "--cache-dir".to_string(),
            dir.path().join("cache").display().to_string(),
        ]);
        Side {
            dir,
            args,
            token: token.to_string(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_callboard"))
            .args(&self.args)
            .args(args)
            .env("CALLBOARD_TOKEN", &self.token)
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1")
            .env("CALLBOARD_KEYRING", "none")
            .env_remove("CALLBOARD_CONFIG")
            .env_remove("CALLBOARD_CACHE_DIR")
            .output()
            .unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: {e}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    /// Every ref in the catalog.
    fn refs(&self) -> BTreeSet<String> {
        let v = self.json(&["search", "-n", "100000"]);
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["ref"].as_str().unwrap().to_string())
            .collect()
    }
}

/// What a server adds that a file does not say: where it read it from.
fn strip_origin(mut show: Value) -> Value {
    let obj = show.as_object_mut().unwrap();
    for k in ["source", "location", "shadowed_in"] {
        obj.remove(k);
    }
    if let Some(Value::Array(annotations)) = obj.get_mut("annotations") {
        annotations.retain(|pair| {
            let key = pair[0].as_str().unwrap_or_default();
            !(key.starts_with("backstage.io/managed-by-")
                || key == "backstage.io/view-url"
                || key == "backstage.io/edit-url"
                || key == "backstage.io/source-location")
        });
    }
    show
}

fn drop_relations_to(mut show: Value, differ: &BTreeSet<String>) -> Value {
    if let Some(Value::Array(relations)) = show.get_mut("relations") {
        relations.retain(|r| !differ.contains(r["target_ref"].as_str().unwrap_or_default()));
    }
    // What a group or user owns lists the same targets: drop them there
    // too and count the rest again (the list is in kind order).
    if let Some(owns) = show.get_mut("owns").and_then(Value::as_object_mut) {
        let mut by_kind: Vec<Value> = Vec::new();
        let mut total = 0;
        if let Some(Value::Array(entities)) = owns.get_mut("entities") {
            entities.retain(|e| !differ.contains(e["entity_ref"].as_str().unwrap_or_default()));
            total = entities.len();
            for e in entities.iter() {
                match by_kind.last_mut() {
                    Some(last) if last["kind"] == e["kind"] => {
                        last["count"] = (last["count"].as_u64().unwrap_or(0) + 1).into();
                    }
                    _ => by_kind.push(serde_json::json!({"kind": e["kind"], "count": 1})),
                }
            }
        }
        owns.insert("total".into(), total.into());
        owns.insert("by_kind".into(), by_kind.into());
    }
    show
}

/// Remove the nodes (and their subtrees) of entities in `differ`; true when
/// any went.
fn prune_tree(node: &mut Value, differ: &BTreeSet<String>) -> bool {
    let mut pruned = false;
    if let Some(Value::Array(children)) = node.get_mut("children") {
        let before = children.len();
        children.retain(|c| !differ.contains(c["entity_ref"].as_str().unwrap_or_default()));
        pruned |= children.len() != before;
        for c in children.iter_mut() {
            pruned |= prune_tree(c, differ);
        }
    }
    pruned
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn a_live_sync_answers_like_the_same_yaml_read_locally() {
    let Live { url, token } = require_live();
    let remote = Side::remote(&url, &token);
    let out = remote.run(&["sync"]);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let local = Side::local();
    let out = local.run(&["sync"]);
    assert!(out.status.code().is_some());

    let remote_refs = remote.refs();
    let local_refs = local.refs();
    let common: Vec<&String> = remote_refs.intersection(&local_refs).collect();
    let only_remote: Vec<&String> = remote_refs.difference(&local_refs).collect();
    let only_local: Vec<&String> = local_refs.difference(&remote_refs).collect();
    eprintln!(
        "live: {} remote, {} local, {} in both; only remote: {only_remote:?}; only local: {only_local:?}",
        remote_refs.len(),
        local_refs.len(),
        common.len()
    );
    assert!(remote_refs.len() >= 70, "{}", remote_refs.len());
    // The backend adds the Locations of its config; everything else it has
    // comes from the same files.
    for r in &only_remote {
        assert!(
            r.starts_with("location:default/generated-"),
            "{r} only on the server"
        );
    }
    // What the backend does not ingest (its README): a few example APIs
    // (remote `$text` definitions are refused offline) and the AiResource
    // examples, whose Location it drops with them. Nothing else may differ.
    for r in &only_local {
        assert!(
            r.starts_with("api:") || r.as_str() == "location:default/example-ai-resources",
            "{r} only in the local read"
        );
    }
    assert!(only_local.len() <= 6, "{only_local:?}");

    // Relations and dependency paths through an entity only one side has
    // are left out of the comparison; everything else must be equal.
    let differ: BTreeSet<String> = only_remote
        .iter()
        .chain(&only_local)
        .map(|r| r.to_string())
        .collect();
    let mut pruned_trees = 0;
    for r in &common {
        let a = drop_relations_to(strip_origin(remote.json(&["show", r])), &differ);
        let b = drop_relations_to(strip_origin(local.json(&["show", r])), &differ);
        assert_eq!(a, b, "show {r} differs");
        for reverse in [false, true] {
            let mut args = vec!["deps", r.as_str()];
            if reverse {
                args.push("--reverse");
            }
            let (mut a, mut b) = (remote.json(&args), local.json(&args));
            let pruned = prune_tree(&mut a["tree"], &differ) | prune_tree(&mut b["tree"], &differ);
            if pruned {
                pruned_trees += 1;
                for t in [&mut a, &mut b] {
                    t["tree"].as_object_mut().unwrap().remove("count");
                }
            }
            assert_eq!(a, b, "{args:?} differs");
        }
    }
    eprintln!(
        "live: show and deps equal for {} entities ({pruned_trees} trees pruned)",
        common.len()
    );

    for query in [
        "tui",
        "kind:component",
        "kind:api owner:tui-core",
        "tag:java",
        "kind:user",
        "lifecycle:production pay",
        "artist",
    ] {
        let hits = |side: &Side| -> BTreeSet<String> {
            let v = side.json(&["search", "-n", "1000", query]);
            v["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["ref"].as_str().unwrap().to_string())
                .filter(|r| remote_refs.contains(r) && local_refs.contains(r))
                .collect()
        };
        assert_eq!(hits(&remote), hits(&local), "search {query:?} differs");
    }
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn a_live_resync_is_incremental_and_moves_a_fraction_of_the_bytes() {
    let Live { url, token } = require_live();
    let remote = Side::remote(&url, &token);
    let first = remote.json(&["sync"]);
    let again = remote.json(&["sync"]);
    let stats = |v: &Value| v["synced"][0]["remote"].clone();
    let (full, inc) = (stats(&first), stats(&again));
    assert_eq!(full["mode"], "full", "{first}");
    assert_eq!(inc["mode"], "incremental", "{again}");
    assert_eq!(inc["fetched"], 0, "{again}");
    let bytes =
        |s: &Value| s["bytes_received"].as_u64().unwrap() + s["bytes_sent"].as_u64().unwrap();
    let ratio = bytes(&inc) as f64 / bytes(&full) as f64;
    eprintln!(
        "live: full {} B, unchanged re-sync {} B ({:.1} %)",
        bytes(&full),
        bytes(&inc),
        ratio * 100.0
    );
    assert!(ratio <= 0.10, "{ratio}");
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn a_live_unchanged_resync_is_answered_304_and_keeps_the_snapshot() {
    let Live { url, token } = require_live();
    let remote = Side::remote(&url, &token);
    let stats = |v: &Value| v["synced"][0]["remote"].clone();
    let first = remote.json(&["sync"]);
    assert_eq!(stats(&first)["mode"], "full", "{first}");
    let entities = first["synced"][0]["snapshot"]["entity_count"].clone();
    // The first re-sync lists the identities and keeps the listing's
    // ETags; the next one sends them back. Others' tests share this
    // backend: when the catalog moved in between, the listing is read
    // (and its new tags kept), so try a few times.
    let mut last = Value::Null;
    for _ in 0..4 {
        let again = remote.json(&["sync"]);
        let s = stats(&again);
        if s["not_modified"] == true {
            assert_eq!(s["mode"], "incremental", "{again}");
            assert_eq!(s["fetched"], 0, "{again}");
            assert_eq!(s["bytes_received"], 0, "{again}");
            assert_eq!(s["entities"], entities, "{again}");
            assert_eq!(again["synced"][0]["snapshot"]["entity_count"], entities);
            // The snapshot still answers.
            assert_eq!(remote.refs().len() as u64, entities.as_u64().unwrap());
            return;
        }
        last = again;
    }
    panic!("no re-sync was answered 304 Not Modified: {last}");
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn a_live_wrong_token_is_refused_with_the_fix() {
    let Live { url, .. } = require_live();
    let remote = Side::remote(&url, "not-the-token-4242");
    let out = remote.run(&["sync"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("401") && err.contains("CALLBOARD_TOKEN"),
        "{err}"
    );
    assert!(!err.contains("not-the-token-4242"), "{err}");
    // The base path of a wrong URL.
    let wrong = Side::remote(&format!("{url}/nope"), "x");
    let out = wrong.run(&["sync"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("404") && err.contains("base URL"), "{err}");
}
