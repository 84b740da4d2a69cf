//! The headless commands, driven as a user would: the real binary, a
//! private cache and config dir, the embedded demo catalog or temp files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    pub(crate) fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_callboard"));
        cmd.args(args)
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env("HOME", self.dir.path())
            .env_remove("CALLBOARD_CONFIG")
            .env_remove("CALLBOARD_CACHE_DIR")
            .env("NO_COLOR", "1");
        cmd
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub(crate) fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn show_gives_the_on_call_view_of_the_demo_catalog_with_no_config() {
    let env = Env::new();
    let out = env.run(&["show", "payments-service"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("component:default/payments-service"),
        "{text}"
    );
    let runbook = text.find("RUNBOOK").expect("runbook line");
    let owner = text.find("OWNER").expect("owner line");
    assert!(runbook < owner, "runbooks come first:\n{text}");
    assert!(text.contains("group:default/team-payments"), "{text}");
    assert!(
        text.contains("@northwind.example>"),
        "member emails:\n{text}"
    );
    assert!(
        text.contains("pagerduty.com/service-id"),
        "on-call:\n{text}"
    );
    assert!(text.contains("SOURCE      demo"), "{text}");
}

#[test]
fn an_ambiguous_bare_name_lists_the_candidates() {
    let env = Env::new();
    let out = env.run(&["show", "booking-api"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(text.contains("api:default/booking-api"), "{text}");
    assert!(text.contains("component:default/booking-api"), "{text}");
    assert!(text.contains("names several entities"));
}

#[test]
fn show_json_is_machine_readable() {
    let env = Env::new();
    let out = env.run(&["show", "component:booking-api", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["entity_ref"], "component:default/booking-api");
    assert_eq!(v["owner"]["owner_ref"], "group:default/team-booking");
    assert!(!v["owner"]["members"].as_array().unwrap().is_empty());
    assert_eq!(v["links"][0]["runbook"], true);
}

#[test]
fn unknown_refs_exit_1_and_say_what_to_do() {
    let env = Env::new();
    let out = env.run(&["show", "component:does-not-exist"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("callboard search"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn search_filters_and_ranks() {
    let env = Env::new();
    let out = env.run(&["search", "kind:api"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("api:")).collect();
    assert_eq!(rows.len(), 5, "{text}");

    let out = env.run(&["search", "--json", "kind:component", "payments"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["hits"][0]["ref"], "component:default/payments-service",
        "{v}"
    );
    assert!(v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["kind"] == "Component"));

    let out = env.run(&["search", "zzzz-nothing-matches"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn deps_show_the_tree_and_the_blast_radius() {
    let env = Env::new();
    let out = env.run(&["deps", "postgres-main", "--reverse"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("dependents (blast radius)"), "{text}");
    let count: usize = text
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(count >= 9, "{text}");

    let out = env.run(&["deps", "component:booking-api", "--depth", "1", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let children = v["tree"]["children"].as_array().unwrap();
    assert!(children
        .iter()
        .any(|c| c["entity_ref"] == "resource:default/postgres-main"));
    assert!(children
        .iter()
        .all(|c| c["children"].as_array().unwrap().is_empty()));
}

#[test]
fn validate_passes_the_demo_and_fails_bad_files_with_positions() {
    let env = Env::new();
    let demo = repo("assets/demo/catalog-info.yaml");
    let out = env.run(&["validate", demo.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stderr(&out).contains(" 0 errors, 0 warnings"),
        "{}",
        stderr(&out)
    );

    let bad = env.path("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ok-one\nspec:\n  type: service\n  lifecycle: production\n  owner: nobody\n---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: bad name\nspec:\n  type: service\n  lifecycle: production\n  owner: nobody\n",
    )
    .unwrap();
    let out = env.run(&["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains(&format!("{}:13:", bad.display())), "{text}");
    assert!(text.contains("no resolvable owner"), "{text}");
    assert!(
        stderr(&out).contains("1 entity:"),
        "the good document still loads:\n{}",
        stderr(&out)
    );
}

#[test]
fn control_sequences_in_catalog_data_never_reach_the_terminal() {
    let env = Env::new();
    let file = env.path("evil.yaml");
    std::fs::write(
        &file,
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: evil\n  title: \"Evil\\e]0;pwned\\a\\e[2J\"\n  description: \"line\\e[31m red \\u009b1m c1\"\n  links:\n    - url: \"https://x.example/\\e]52;c;aGk=\\a\"\n      title: Runbook\nspec:\n  type: service\n  lifecycle: production\n  owner: \"team\\e[5m-a\"\n",
    )
    .unwrap();
    for args in [
        vec!["show", "evil"],
        vec!["search", "evil"],
        vec!["deps", "evil"],
        vec!["show", "evil", "--json"],
    ] {
        let mut full = vec!["--source", file.to_str().unwrap()];
        full.extend(args.iter());
        let out = env.run(&full);
        let text = stdout(&out) + &stderr(&out);
        assert!(!text.contains('\x1b'), "{args:?} printed ESC: {text:?}");
        assert!(!text.contains('\u{9b}'), "{args:?} printed CSI: {text:?}");
        assert!(!text.contains('\x07'), "{args:?} printed BEL: {text:?}");
    }
}

#[test]
fn config_sources_resolve_by_order_and_show_says_so() {
    let env = Env::new();
    let doc = |title: &str| {
        format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: shared\n  title: {title}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
        )
    };
    std::fs::create_dir_all(env.path("a")).unwrap();
    std::fs::create_dir_all(env.path("b")).unwrap();
    std::fs::write(env.path("a/catalog-info.yaml"), doc("From A")).unwrap();
    std::fs::write(env.path("b/catalog-info.yaml"), doc("From B")).unwrap();
    let config = env.path("config.yaml");
    std::fs::write(
        &config,
        "sources:\n  - name: first\n    path: b\n  - name: second\n    path: a\n",
    )
    .unwrap();
    let out = env.run(&["--config", config.to_str().unwrap(), "show", "shared"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("From B"), "{text}");
    assert!(text.contains("also in second"), "{text}");
}

/// A folder `name` holding one `catalog-info.yaml`: the Group team-a.
fn repo_with_team_a(env: &Env, name: &str) -> PathBuf {
    let root = env.path(name);
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n",
    )
    .unwrap();
    root
}

#[test]
fn sync_reports_problems_and_keeps_the_last_good_snapshot() {
    let env = Env::new();
    let root = repo_with_team_a(&env, "repo");
    let src = root.to_str().unwrap();
    let out = env.run(&["--source", src, "sync", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["synced"][0]["snapshot"]["entity_count"], 1);

    // The root disappears: the sync fails, the old snapshot still answers.
    std::fs::remove_dir_all(&root).unwrap();
    let out = env.run(&["--source", src, "sync"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("previous snapshot is kept"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["--source", src, "show", "team-a"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A source that cannot be read the first time (a folder with no catalog
/// files, a path that is gone) does not hide the others; when none can be
/// read, the first one's error says why and the command cannot run.
#[test]
fn a_source_never_synced_that_cannot_be_read_does_not_hide_the_others() {
    let env = Env::new();
    let good = repo_with_team_a(&env, "good");
    let empty = env.path("no-catalog-here");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("README.md"), "not a catalog\n").unwrap();
    let missing = env.path("gone");
    let (good, empty, missing) = (
        good.to_str().unwrap(),
        empty.to_str().unwrap(),
        missing.to_str().unwrap(),
    );

    let out = env.run(&["--source", empty, "--source", good, "search", "team"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("group:team-a"), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("skipping source 'path:"), "{err}");
    assert!(err.contains("no-catalog-here"), "{err}");
    assert!(err.contains("nothing was cached"), "{err}");
    assert!(!err.contains("previous snapshot"), "{err}");

    let out = env.run(&["--source", missing, "--source", empty, "show", "team-a"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("catalog root not found"), "{err}");
    assert!(err.contains("not read either"), "{err}");
    assert!(!err.contains("run `callboard sync` first"), "{err}");
}

#[test]
fn a_broken_config_names_file_and_line() {
    let env = Env::new();
    let config = env.path("config.yaml");
    std::fs::write(&config, "sources:\n  - name: x\n    pth: y\n").unwrap();
    let out = env.run(&["--config", config.to_str().unwrap(), "search", "x"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("{}:3:", config.display())), "{err}");
}
