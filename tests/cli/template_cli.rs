//! `callboard template list|run` end to end (the real binary, a temp
//! cache, the embedded demo catalog's `new-service` template). The live
//! remote runs are in `tests/live/template_cli.rs`.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn callboard(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callboard"))
        .args(args)
        .env("CALLBOARD_CACHE_DIR", cache)
        .env_remove("CALLBOARD_CONFIG")
        .env("XDG_CONFIG_HOME", cache.join("no-config"))
        .env_remove("CALLBOARD_TOKEN")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn list_shows_templates_with_title_owner_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    let o = callboard(dir.path(), &["template", "list"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let line = text(&o)
        .lines()
        .find(|l| l.starts_with("new-service"))
        .unwrap()
        .to_string();
    assert!(
        line.contains("team-platform")
            && line.contains("offline")
            && line.contains("New Northwind service"),
        "{line}"
    );
    let o = callboard(dir.path(), &["--json", "template", "list"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let t = &v["templates"][0];
    assert_eq!(t["ref"], "template:default/new-service");
    assert_eq!(t["owner"], "team-platform");
    assert!(t["tags"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x == "recommended"));
}

#[test]
fn local_dry_run_then_run_then_refuse_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(
        &values,
        "name: seat-map\nowner: group:default/team-platform\n",
    )
    .unwrap();
    let values_s = values.to_str().unwrap();

    let o = callboard(
        dir.path(),
        &[
            "template",
            "run",
            "new-service",
            "--values",
            values_s,
            "--dry-run",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(text(&o).contains("seat-map/\n  README.md"), "{}", text(&o));
    assert!(!out.exists());

    let o = callboard(
        dir.path(),
        &[
            "template",
            "run",
            "new-service",
            "--values",
            values_s,
            "--out",
            out_s,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let catalog = std::fs::read_to_string(out.join("seat-map/catalog-info.yaml")).unwrap();
    assert!(catalog.contains("seat-map"));

    let o = callboard(
        dir.path(),
        &[
            "template",
            "run",
            "new-service",
            "--values",
            values_s,
            "--set",
            "description=changed",
            "--out",
            out_s,
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("exists already"), "{}", err(&o));
    let o = callboard(
        dir.path(),
        &[
            "--json",
            "template",
            "run",
            "new-service",
            "--values",
            values_s,
            "--set",
            "description=changed",
            "--out",
            out_s,
            "--force",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "completed");
    assert_eq!(v["written"], true);
    assert!(
        std::fs::read_to_string(out.join("seat-map/catalog-info.yaml"))
            .unwrap()
            .contains("changed")
    );
}

#[test]
fn usage_and_validation_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["template", "run", "new-service", "--dry-run"],
        vec![
            "template",
            "run",
            "new-service",
            "--set",
            "name=Bad_Name",
            "--dry-run",
        ],
        vec![
            "template",
            "run",
            "new-service",
            "--set",
            "noequals",
            "--dry-run",
        ],
        vec!["template", "run", "no-such-template", "--dry-run"],
        vec!["template", "run", "new-service", "--set", "name=ok"],
    ] {
        let o = callboard(dir.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(err(&o).starts_with("callboard: "), "{args:?}: {}", err(&o));
    }
    let o = callboard(
        dir.path(),
        &["--json", "template", "run", "new-service", "--dry-run"],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "invalid");
    assert_eq!(v["errors"][0]["path"], "name");
}

#[test]
fn show_lists_every_parameter_per_page_with_what_set_takes() {
    let dir = tempfile::tempdir().unwrap();
    let o = callboard(dir.path(), &["template", "show", "new-service"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let t = text(&o);
    for want in [
        "Page 1: Service details",
        "name (required) — text",
        "pattern: \"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$\"",
        "Page 2: Lifecycle and operations",
        "production  \"Production (on-call required)\"",
        "default: \"experimental\"",
        "withRunbook — boolean (true/false/yes/no/on/off/1/0)",
    ] {
        assert!(t.contains(want), "{want:?} missing:\n{t}");
    }
    let o = callboard(
        dir.path(),
        &["--json", "template", "show", "template:default/new-service"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["template"], "template:default/new-service");
    let lifecycle = v["pages"][1]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "lifecycle")
        .unwrap();
    assert_eq!(lifecycle["required"], true);
    assert_eq!(lifecycle["default"], "experimental");
    assert_eq!(lifecycle["allowed"][1]["value"], "production");
    assert_eq!(
        lifecycle["allowed"][1]["label"],
        "Production (on-call required)"
    );
    let o = callboard(dir.path(), &["template", "show", "nope"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn set_takes_display_names_boolean_words_and_suggests_keys() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--json",
            "template",
            "run",
            "new-service",
            "--dry-run",
            "--set",
            "name=svc",
        ];
        args.extend_from_slice(extra);
        callboard(dir.path(), &args)
    };
    let o = run(&[
        "--set",
        "lifecycle=Production (on-call required)",
        "--set",
        "withRunbook=no",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = run(&["--set", "lifecycle=prod"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("type one of: experimental (\"Experimental (no on-call)\"), production (\"Production (on-call required)\"), deprecated"),
        "{}",
        err(&o)
    );
    let o = run(&["--set", "withRunbook=maybe"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("yes/no"), "{}", err(&o));
    let o = run(&["--set", "nmae=x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("did you mean \"name\"?"), "{}", err(&o));
}

/// A page a form hides (`when` false) does not hold up a local run; its
/// required fields bind only what the backend would check (a remote run).
/// Backstage's own `conditional-parameters-demo` from the fixtures.
#[test]
fn a_local_run_needs_only_the_pages_the_form_shows() {
    let dir = tempfile::tempdir().unwrap();
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../shared/fixtures/backstage-examples/scaffolder-sample-templates/all-templates.yaml",
    );
    let templates = templates.to_str().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "--source",
            templates,
            "template",
            "run",
            "conditional-parameters-demo",
            "--out",
            out,
            "--set",
            "name=demo",
            "--set",
            "cloudProvider=GCP",
        ];
        args.extend_from_slice(extra);
        callboard(dir.path(), &args)
    };
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    let e = err(&o);
    assert!(e.contains("gcpProjectId: Required"), "{e}");
    assert!(!e.contains("awsRegion"), "{e}");
    assert!(!e.contains("azureSubscriptionId"), "{e}");

    let o = run(&["--set", "gcpProjectId=proj-1"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let t = text(&o) + &err(&o);
    assert!(t.contains("Creating demo on GCP."), "{t}");
    assert!(t.contains("**Project ID:** proj-1"), "{t}");
    assert!(!t.contains("AWS Details"), "{t}");
}
