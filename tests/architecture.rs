//! The house rules, checked over `cargo metadata` and the sources: the
//! layers of the workspace depend one way only (README, "Architecture").
//!
//! - `callboard-core` depends on no workspace crate, and nothing in its
//!   dependency tree is a terminal, async runtime, HTTP, SQLite or keyring
//!   crate;
//! - `callboard-io` depends on the core only, and never prints;
//! - `callboard-tui` depends on io and core;
//! - nothing depends on the `callboard` binary or on the generator except
//!   as a dev-dependency;
//! - no Rust file is over 1,500 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const CORE: &str = "callboard-core";
const IO: &str = "callboard-io";
const TUI: &str = "callboard-tui";
const BIN: &str = "callboard";
const GEN: &str = "callboard-gen";

/// Crates the core must not pull in, even transitively.
const NOT_IN_CORE: &[&str] = &[
    "ratatui",
    "crossterm",
    "tokio",
    "reqwest",
    "hyper",
    "rusqlite",
    "libsqlite3-sys",
    "keyring-core",
    "zbus-secret-service-keyring-store",
    "linux-keyutils-keyring-store",
];

struct Graph {
    /// Package id -> name.
    names: BTreeMap<String, String>,
    /// Package id -> ids of its normal and build dependencies.
    edges: BTreeMap<String, Vec<String>>,
    /// Package id -> (name, kind) of every declared dependency, dev ones too.
    declared: BTreeMap<String, Vec<(String, String)>>,
    members: Vec<String>,
}

fn graph() -> Graph {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut names = BTreeMap::new();
    let mut declared = BTreeMap::new();
    for p in meta["packages"].as_array().unwrap() {
        let id = p["id"].as_str().unwrap().to_string();
        names.insert(id.clone(), p["name"].as_str().unwrap().to_string());
        let deps = p["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["name"].as_str().unwrap().to_string(),
                    d["kind"].as_str().unwrap_or("normal").to_string(),
                )
            })
            .collect();
        declared.insert(id, deps);
    }
    let mut edges = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().unwrap() {
        let id = node["id"].as_str().unwrap().to_string();
        let normal = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].as_str() != Some("dev"))
            })
            .map(|d| d["pkg"].as_str().unwrap().to_string())
            .collect();
        edges.insert(id, normal);
    }
    let members = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    Graph {
        names,
        edges,
        declared,
        members,
    }
}

impl Graph {
    fn id(&self, name: &str) -> &str {
        self.members
            .iter()
            .find(|id| self.names[*id] == name)
            .unwrap_or_else(|| panic!("{name} is not a workspace member"))
    }

    /// Every crate `name` builds with (normal and build dependencies, transitively).
    fn closure(&self, name: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![self.id(name).to_string()];
        while let Some(id) = todo.pop() {
            for dep in self.edges.get(&id).into_iter().flatten() {
                if seen.insert(dep.clone()) {
                    todo.push(dep.clone());
                }
            }
        }
        seen.iter().map(|id| self.names[id].clone()).collect()
    }

    /// The workspace crates `name` declares as normal or build dependencies.
    fn workspace_deps(&self, name: &str) -> BTreeSet<String> {
        let members: BTreeSet<&String> = self.members.iter().map(|id| &self.names[id]).collect();
        self.declared[self.id(name)]
            .iter()
            .filter(|(dep, kind)| kind != "dev" && members.contains(dep))
            .map(|(dep, _)| dep.clone())
            .collect()
    }
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn layers_depend_one_way() {
    let g = graph();
    assert_eq!(
        g.workspace_deps(CORE),
        set(&[]),
        "the core depends on no workspace crate"
    );
    assert_eq!(
        g.workspace_deps(IO),
        set(&[CORE]),
        "io depends on the core only"
    );
    assert_eq!(
        g.workspace_deps(TUI),
        set(&[CORE, IO]),
        "the TUI depends on io and core"
    );
    assert_eq!(g.workspace_deps(BIN), set(&[CORE, IO, TUI]));
    assert_eq!(
        g.workspace_deps(GEN),
        set(&[CORE]),
        "the generator is built on the core"
    );
    // Nothing imports the binary; the generator only for tests and benches.
    for id in &g.members {
        for (dep, kind) in &g.declared[id] {
            assert_ne!(dep, BIN, "{} depends on the binary", g.names[id]);
            if dep == GEN {
                assert_eq!(kind, "dev", "{} ships the generator", g.names[id]);
            }
        }
    }
}

#[test]
fn the_core_has_no_io_stack() {
    let g = graph();
    let closure = g.closure(CORE);
    let found: Vec<&&str> = NOT_IN_CORE
        .iter()
        .filter(|c| closure.contains(**c))
        .collect();
    assert!(found.is_empty(), "callboard-core builds with {found:?}");
    // The check can fail: io has them.
    let io = g.closure(IO);
    assert!(io.contains("tokio") && io.contains("rusqlite"), "{io:?}");
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() && name != "target" && !name.to_string_lossy().starts_with('.') {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn core_and_io_never_print() {
    let mut files = Vec::new();
    for dir in ["crates/callboard-core/src", "crates/callboard-io/src"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 20, "{files:?}");
    let printing = [
        "println!",
        "eprintln!",
        "print!",
        "eprint!",
        "dbg!",
        "stdout()",
        "stderr()",
    ];
    let mut offenders = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if printing.iter().any(|p| {
                code.match_indices(p)
                    .any(|(i, _)| !code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
            }) {
                offenders.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "the core and io layers report through values and callbacks, never print:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn no_rust_file_is_over_1500_lines() {
    let mut files = Vec::new();
    for dir in ["src", "crates", "tools", "tests", "benches"] {
        rust_files(&root().join(dir), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap().lines().count();
            (lines > 1500).then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "split by concern: {long:?}");
}
