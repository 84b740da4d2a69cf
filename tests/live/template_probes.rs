//! Probe templates (`tests/data/template-probes/<name>/template.yaml` and
//! its files), each made to pin one behaviour of the real scaffolder: sent
//! to the live dry-run and run locally with the same values, the files
//! (byte for byte, with their executable bit), the output and whether the
//! run failed must be the same.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use callboard_core::template::Template;
use callboard_io::source::auth::Secret;
use callboard_io::template::actions::{plan_local, run_local, LocalRun};
use callboard_io::template::fs_guard::Entry;
use callboard_io::template::remote::{DryRun, Scaffolder};
use serde_json::{json, Map, Value};

use crate::backend::{require_live, Live};
use crate::template_fidelity::skeleton_files;

fn probe_dir(name: &str) -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/template-probes"
    ))
    .join(name)
}

/// The probe's template entity, from its YAML.
pub(crate) fn probe_entity(name: &str) -> Value {
    let text = std::fs::read_to_string(probe_dir(name).join("template.yaml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

/// The server's dry-run of a probe (`Err` with its error text when it fails).
pub(crate) fn server_run(name: &str, values: &Value) -> Result<DryRun, String> {
    let Live { url, token } = require_live();
    let client =
        Scaffolder::with_token(&url, Some(Secret::new(token)), Duration::from_secs(60)).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let files = skeleton_files(&probe_dir(name));
    // The entity as written, even one callboard refuses: a template
    // value that only carries it.
    let mut template = Template::from_entity(&minimal()).unwrap();
    template.entity = probe_entity(name);
    rt.block_on(client.dry_run(&template, values.as_object().unwrap(), &Map::new(), &files))
        .map_err(|e| e.to_string())
}

fn minimal() -> Value {
    json!({"apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
           "metadata": {"name": "m"}, "spec": {"type": "x", "steps": []}})
}

/// Runs the probe both ways and lists every difference.
pub(crate) fn compare_probe(name: &str, values: Value) -> Vec<String> {
    let server = server_run(name, &values);
    let run = LocalRun {
        base_dir: probe_dir(name),
        values: values.as_object().cloned().unwrap(),
        dry_run: true,
        template_ref: "template:default/dry-run".into(),
        ..LocalRun::default()
    };
    let local = match Template::from_entity(&probe_entity(name)) {
        Ok(t) => plan_local(&t, &run, &mut |_| {}),
        Err(e) => {
            return match server {
                Err(s) => {
                    eprintln!("{name}: both refused the template; server: {s}; local: {e}");
                    Vec::new()
                }
                Ok(_) => vec![format!(
                    "{name}: the local run refused the template, the server did not: {e}"
                )],
            }
        }
    };
    let mut diffs = Vec::new();
    let server = match (server, &local.error) {
        (Err(s), Some(_)) => {
            eprintln!("{name}: both failed; server: {s}");
            return diffs;
        }
        (Err(s), None) => {
            diffs.push(format!(
                "{name}: the server failed, the local run did not: {s}"
            ));
            return diffs;
        }
        (Ok(_), Some(l)) => {
            diffs.push(format!(
                "{name}: the local run failed, the server did not: {l}"
            ));
            return diffs;
        }
        (Ok(s), None) => s,
    };
    let want: BTreeMap<&str, (&[u8], bool)> = server
        .files
        .iter()
        .map(|(p, b, x)| (p.as_str(), (b.as_slice(), *x)))
        .collect();
    let got: BTreeMap<&str, (&[u8], bool)> = local
        .workspace
        .iter()
        .filter_map(|(p, e)| match e {
            Entry::File { bytes, executable } => {
                Some((p.as_str(), (bytes.as_slice(), *executable)))
            }
            _ => None,
        })
        .collect();
    if want.keys().collect::<Vec<_>>() != got.keys().collect::<Vec<_>>() {
        diffs.push(format!(
            "{name}: file lists differ\n  server: {:?}\n  local:  {:?}",
            want.keys().collect::<Vec<_>>(),
            got.keys().collect::<Vec<_>>()
        ));
    }
    for (path, (bytes, exec)) in &want {
        match got.get(path) {
            Some((mine, _)) if mine != bytes => diffs.push(format!(
                "{name}: {path} differs\n--- server\n{}\n--- local\n{}",
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(mine)
            )),
            Some((_, x)) if x != exec => diffs.push(format!(
                "{name}: {path}: executable {x} locally, {exec} on the server"
            )),
            _ => {}
        }
    }
    if server.output != local.output {
        diffs.push(format!(
            "{name}: output differs\n  server: {}\n  local:  {}",
            server.output, local.output
        ));
    }
    diffs
}

#[track_caller]
fn assert_same(name: &str, values: Value) {
    let diffs = compare_probe(name, values);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n\n")
    );
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn copy_without_templating_globs_match_the_scaffolder() {
    assert_same("copy-globs", json!({"name": "probe"}));
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn an_undefined_copy_pattern_fails_as_on_the_scaffolder() {
    assert!(server_run("copy-globs-undefined", &json!({})).is_err());
    assert_same("copy-globs-undefined", json!({}));
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn expressions_in_step_inputs_render_or_stay_raw_as_on_the_scaffolder() {
    let values = json!({"name": "ba na-na", "n": 12.34567, "tags": ["a", "b"], "csv": "build,dev,qa",
        "obj": {"k": 1}, "nothing": null,
        "links": "see https://example.org/x, www.example.com and mail me@example.com or (example.net). plain"});
    assert_same("expr-inputs", values);
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn a_failing_skeleton_expression_fails_the_run_as_on_the_scaffolder() {
    for probe in ["skeleton-method-fails", "skeleton-undefined-fails"] {
        let values = json!({"name": "banana", "n": 2});
        assert!(
            server_run(probe, &values).is_err(),
            "{probe} passed on the server"
        );
        assert_same(probe, values);
    }
    assert_same(
        "skeleton-undefined-filters",
        json!({"name": "build,dev qa.example.com", "n": 2}),
    );
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn action_inputs_and_the_output_are_checked_as_on_the_scaffolder() {
    for probe in ["input-schema", "output-text-object"] {
        let values = json!({"name": "x"});
        let server = server_run(probe, &values);
        assert!(server.is_err(), "{probe} passed on the server");
        assert_same(probe, values);
    }
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn readdir_gives_full_paths_under_the_workspace_as_on_the_scaffolder() {
    let server = server_run("readdir", &json!({})).unwrap();
    let target = tempfile::tempdir().unwrap();
    let run = LocalRun {
        base_dir: probe_dir("readdir"),
        template_ref: "template:default/dry-run".into(),
        ..LocalRun::default()
    };
    let entity = probe_entity("readdir");
    let local = run_local(
        &Template::from_entity(&entity).unwrap(),
        &run,
        target.path(),
        false,
        &mut |_| {},
    );
    assert!(local.error.is_none(), "{:?}", local.error);
    // fullPath is the workspace folder joined with path: the same once the
    // folder (the server's own temporary one, or the local target) is cut.
    let cut = |out: &Value| -> Value {
        let mut out = out.clone();
        for key in ["all", "flat"] {
            let mut v: Value = serde_json::from_str(out[key].as_str().unwrap()).unwrap();
            for list in ["files", "folders"] {
                for item in v[list].as_array_mut().unwrap() {
                    let path = item["path"].as_str().unwrap().to_string();
                    let full = item["fullPath"].as_str().unwrap().to_string();
                    assert!(
                        full.starts_with('/') && full.ends_with(&format!("/{path}")),
                        "{full} / {path}"
                    );
                    item["fullPath"] = json!(format!("<workspace>/{path}"));
                }
            }
            out[key] = v;
        }
        out
    };
    assert_eq!(cut(&local.output), cut(&server.output));
    assert!(
        cut(&server.output)["all"]["files"]
            .as_array()
            .unwrap()
            .len()
            >= 2
    );
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn template_file_renders_any_file_as_text_as_on_the_scaffolder() {
    assert_same("template-file", json!({"name": "probe"}));
}

/// The dry-run endpoint writes uploaded files with the default mode
/// (`deserializeDirectoryContents`): nothing it returns is executable,
/// whatever the skeleton's mode. (Local runs keep the source's mode where a
/// real run keeps it; see tests/cli/template_local.rs.)
#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn the_dry_run_endpoint_drops_modes_of_uploaded_files() {
    let server = server_run("copy-globs", &json!({"name": "probe"})).unwrap();
    assert!(!server.files.is_empty());
    assert!(server.files.iter().all(|(_, _, x)| !x));
}

/// Page-level `oneOf`: the server's dry-run validates the values against
/// the page and accepts exactly one matching option; callboard's
/// validation (the TUI's review and headless `run`) gives the same verdicts.
#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn page_level_one_of_accepts_what_the_scaffolder_accepts() {
    use callboard_core::template::schema;
    let template = Template::from_entity(&probe_entity("page-one-of")).unwrap();
    for values in [
        json!({}),
        json!({"lorem": "x"}),
        json!({"ipsum": "y"}),
        json!({"lorem": "x", "ipsum": "y"}),
    ] {
        let server_ok = server_run("page-one-of", &values).is_ok();
        let local_ok =
            schema::validate(template.parameter_steps(), values.as_object().unwrap()).is_empty();
        assert_eq!(local_ok, server_ok, "{values}");
        if server_ok {
            assert_same("page-one-of", values);
        }
    }
}
