//! Local runs: the recorded scaffolder dry-run reproduced byte for byte,
//! every offline action, skipped outside-world actions, and path traversal
//! attempts (`..`, absolute paths, symlinks) refused.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use callboard_core::template::{RunEvent, StepStatus, Template};
use callboard_io::template::actions::{plan_local, run_local, LocalRun};
use serde_json::{json, Map, Value};

fn fixtures() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures")).to_path_buf()
}

fn values(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

/// The recorded `POST /v2/dry-run`: same template, values and skeleton;
/// callboard's plan must produce the same files, byte for byte.
#[test]
fn local_plan_equals_recorded_dry_run() {
    let api = fixtures().join("backstage-api");
    let request: Value =
        serde_json::from_slice(&fs::read(api.join("scaffolder-dry-run.request.json")).unwrap())
            .unwrap();
    let response: Value =
        serde_json::from_slice(&fs::read(api.join("scaffolder-dry-run.json")).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for f in request["directoryContents"].as_array().unwrap() {
        let path = dir.path().join(f["path"].as_str().unwrap());
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(
            &path,
            base64::engine::general_purpose::STANDARD
                .decode(f["base64Content"].as_str().unwrap())
                .unwrap(),
        )
        .unwrap();
    }
    let template = Template::from_entity(&request["template"]).unwrap();
    let run = LocalRun {
        base_dir: dir.path().to_path_buf(),
        values: values(request["values"].clone()),
        dry_run: true,
        template_ref: "template:default/dry-run".into(),
        ..LocalRun::default()
    };
    let mut events = Vec::new();
    let outcome = plan_local(&template, &run, &mut |e| events.push(e));
    assert!(outcome.succeeded(), "{:?}", outcome.error);
    let want: BTreeMap<String, Vec<u8>> = response["directoryContents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                base64::engine::general_purpose::STANDARD
                    .decode(f["base64Content"].as_str().unwrap())
                    .unwrap(),
            )
        })
        .collect();
    let got: BTreeMap<String, Vec<u8>> = outcome
        .files()
        .map(|(p, b)| (p.to_string(), b.to_vec()))
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &want {
        assert_eq!(
            String::from_utf8_lossy(&got[path]),
            String::from_utf8_lossy(bytes),
            "{path} differs"
        );
        assert_eq!(&got[path], bytes);
    }
    assert_eq!(outcome.output, response["output"]);
    // The debug:log message reaches the event stream.
    assert!(events.iter().any(|e| matches!(e,
        RunEvent::Log { step: Some(s), line } if s == "hello" && line == "Hello, dry-one owned by group:default/tui-core")));
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn template(steps: Value) -> Template {
    Template::from_entity(&json!({
        "apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
        "metadata": {"name": "t"},
        "spec": {"type": "service", "owner": "group:a", "steps": steps,
                 "output": {"links": [{"title": "Repo", "url": "${{ steps.publish.output.remoteUrl }}"},
                                      {"title": "Hidden", "url": "x", "if": "${{ parameters.off }}"}]}}
    }))
    .unwrap()
}

fn plan(
    t: &Template,
    base: &Path,
    v: Value,
) -> (callboard_io::template::actions::Outcome, Vec<RunEvent>) {
    let run = LocalRun {
        base_dir: base.to_path_buf(),
        values: values(v),
        dry_run: true,
        template_ref: t.entity_ref(),
        ..LocalRun::default()
    };
    let mut events = Vec::new();
    let o = plan_local(t, &run, &mut |e| events.push(e));
    (o, events)
}

fn file(o: &callboard_io::template::actions::Outcome, path: &str) -> Option<String> {
    o.files()
        .find(|(p, _)| *p == path)
        .map(|(_, b)| String::from_utf8(b.to_vec()).unwrap())
}

#[test]
fn fetch_template_options_and_fs_actions() {
    let base = tempfile::tempdir().unwrap();
    let b = base.path();
    write(
        b,
        "skel/${{ values.name }}.txt",
        "name=${{ values.name }}\n",
    );
    write(b, "skel/raw/keep.txt", "${{ values.name }} stays\n");
    write(b, "skel/raw/render.txt", "${{ values.name }} renders\n");
    write(b, "skel/${{ values.optional }}/dropped.txt", "x");
    write(
        b,
        "skel/cond.txt",
        "a\n{%- if values.flag %}\nflag\n{%- endif %}\nb\n",
    );
    write(b, "skel/existing.txt", "new ${{ values.name }}");
    write(
        b,
        "cc/{{ cookiecutter.name }}.md",
        "# {{ cookiecutter.name | jsonify }}\n",
    );
    write(b, "plain/${{ literal }}.txt", "${{ not rendered }}");
    write(b, "njk/a.txt.njk", "${{ values.name }}");
    write(b, "njk/b.txt", "${{ values.name }}");
    let t = template(json!([
        {"id": "pre", "action": "fetch:plain:file", "input": {"url": "./skel/existing.txt", "targetPath": "out/existing.txt"}},
        {"id": "fetch", "action": "fetch:template", "input": {
            "url": "./skel", "targetPath": "./out",
            "copyWithoutTemplating": ["raw/*", "!raw/render.txt"],
            "values": {"name": "${{ parameters.name }}", "flag": "${{ parameters.flag }}"}}},
        {"id": "cc", "action": "fetch:template", "input": {"url": "./cc", "targetPath": "cc", "cookiecutterCompat": true,
            "values": {"name": "${{ parameters.name }}"}}},
        {"id": "plain", "action": "fetch:plain", "input": {"url": "./plain", "targetPath": "plain"}},
        {"id": "njk", "action": "fetch:template", "input": {"url": "./njk", "targetPath": "njk", "templateFileExtension": true,
            "values": {"name": "${{ parameters.name }}"}}},
        {"id": "rename", "action": "fs:rename", "input": {"files": [{"from": "plain", "to": "moved"}]}},
        {"id": "delete", "action": "fs:delete", "input": {"files": ["njk/b.txt"]}},
        {"id": "each", "action": "fetch:template:file", "each": "${{ parameters.tags }}",
         "input": {"url": "./skel/cond.txt", "targetPath": "tags/${{ each.value }}.txt", "values": {"flag": true}}},
        {"id": "never", "if": "${{ parameters.off }}", "action": "fs:delete", "input": {"files": ["**"]}},
        {"id": "publish", "action": "publish:github", "input": {"repoUrl": "github.com?owner=o&repo=r"}},
        {"id": "register", "action": "catalog:register", "input": {}},
        {"id": "write", "action": "catalog:write", "input": {"entity": {"metadata": {"name": "${{ parameters.name }}"}}}},
    ]));
    let (o, events) = plan(
        &t,
        b,
        json!({"name": "svc", "flag": true, "off": false, "tags": ["x", "y"]}),
    );
    assert!(o.succeeded(), "{:?}", o.error);
    assert_eq!(file(&o, "out/svc.txt").unwrap(), "name=svc\n");
    assert_eq!(
        file(&o, "out/raw/keep.txt").unwrap(),
        "${{ values.name }} stays\n"
    );
    assert_eq!(file(&o, "out/raw/render.txt").unwrap(), "svc renders\n");
    assert!(
        o.files().all(|(p, _)| !p.contains("dropped")),
        "empty segment drops the entry"
    );
    assert_eq!(file(&o, "out/cond.txt").unwrap(), "a\nflag\nb\n");
    // Not replaced: fetch:template skips existing files unless `replace`.
    assert_eq!(
        file(&o, "out/existing.txt").unwrap(),
        "new ${{ values.name }}"
    );
    assert_eq!(file(&o, "cc/svc.md").unwrap(), "# \"svc\"\n");
    assert_eq!(
        file(&o, "moved/${{ literal }}.txt").unwrap(),
        "${{ not rendered }}"
    );
    assert_eq!(file(&o, "njk/a.txt").unwrap(), "svc");
    assert!(file(&o, "njk/b.txt").is_none());
    assert_eq!(file(&o, "tags/x.txt").unwrap(), "a\nflag\nb\n");
    assert_eq!(file(&o, "tags/y.txt").unwrap(), "a\nflag\nb\n");
    assert_eq!(
        file(&o, "catalog-info.yaml").unwrap(),
        "metadata:\n  name: svc\n  annotations:\n    backstage.io/source-template: template:default/t\n"
    );
    let status: BTreeMap<&str, StepStatus> =
        o.steps.iter().map(|s| (s.id.as_str(), s.status)).collect();
    assert_eq!(status["never"], StepStatus::Skipped);
    assert_eq!(status["publish"], StepStatus::Skipped);
    assert_eq!(status["register"], StepStatus::Skipped);
    assert_eq!(status["write"], StepStatus::Completed);
    assert!(events.iter().any(|e| matches!(e, RunEvent::Skipped { id, reason } if id == "publish" && reason.contains("publishes"))));
    // Output: the skipped publish step has no output; the `if: false` link is dropped.
    assert_eq!(o.output, json!({"links": [{"title": "Repo"}]}));
}

#[test]
fn traversal_attempts_are_refused() {
    let base = tempfile::tempdir().unwrap();
    let b = base.path();
    write(b, "skel/a.txt", "a");
    write(b, "skel/${{ values.evil }}", "pwned");
    let attempts = [
        json!({"action": "fetch:template", "input": {"url": "./skel", "targetPath": "../outside"}}),
        json!({"action": "fetch:template", "input": {"url": "./skel", "targetPath": "/tmp/abs"}}),
        json!({"action": "fetch:template", "input": {"url": "./skel", "values": {"evil": "../../escape.txt"}}}),
        json!({"action": "fetch:template", "input": {"url": "../", "targetPath": "x"}}),
        json!({"action": "fetch:plain:file", "input": {"url": "/etc/passwd", "targetPath": "x"}}),
        json!({"action": "fetch:plain:file", "input": {"url": "./skel/a.txt", "targetPath": "a/../../x"}}),
        json!({"action": "fs:rename", "input": {"files": [{"from": "skel", "to": "../x"}]}}),
        json!({"action": "fs:delete", "input": {"files": ["../*"]}}),
        json!({"action": "catalog:write", "input": {"filePath": "../../c.yaml", "entity": {}}}),
    ];
    for attempt in attempts {
        let t = template(json!([attempt]));
        let (o, _) = plan(&t, b, json!({}));
        let err = o.error.clone().unwrap_or_default();
        assert!(
            err.contains("outside") || err.contains("absolute"),
            "{attempt}: expected a refusal, got {:?}",
            o.error
        );
    }
}

#[cfg(unix)]
#[test]
fn symlinks_that_leave_the_target_are_refused_and_nothing_is_written() {
    let base = tempfile::tempdir().unwrap();
    let b = base.path();
    write(b, "skel/ok.txt", "ok");
    std::os::unix::fs::symlink("../../../etc/passwd", b.join("skel/link")).unwrap();
    let t = template(json!([{"id": "f", "action": "fetch:template", "input": {"url": "./skel"}}]));
    let target = tempfile::tempdir().unwrap();
    let run = LocalRun {
        base_dir: b.to_path_buf(),
        ..LocalRun::default()
    };
    let mut events = Vec::new();
    let o = run_local(&t, &run, target.path(), false, &mut |e| events.push(e));
    assert!(
        o.error
            .as_deref()
            .unwrap_or("")
            .contains("leaves the target"),
        "{:?}",
        o.error
    );
    assert!(
        !target.path().join("ok.txt").exists(),
        "a refusal writes nothing"
    );
    assert!(matches!(events.last(), Some(RunEvent::Failed { .. })));

    // An existing symlinked directory inside the target is not followed.
    let outside = tempfile::tempdir().unwrap();
    let target = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), target.path().join("sub")).unwrap();
    write(b, "skel2/sub/file.txt", "x");
    let t = template(json!([{"id": "f", "action": "fetch:plain", "input": {"url": "./skel2"}}]));
    let o = run_local(&t, &run, target.path(), true, &mut |_| {});
    assert!(o.error.is_some());
    assert!(!outside.path().join("file.txt").exists());
}

#[test]
fn run_local_writes_the_tree_and_refuses_to_overwrite() {
    let hello = fixtures().join("../backstage/catalog/templates/hello-offline");
    let t = callboard_io::template::load_template_file(&hello.join("template.yaml")).unwrap();
    let target = tempfile::tempdir().unwrap();
    let run = LocalRun {
        base_dir: hello.clone(),
        values: values(
            json!({"name": "demo", "owner": "group:default/tui-core", "description": "D",
                              "lifecycle": "experimental", "wait": 0}),
        ),
        template_ref: t.entity_ref(),
        ..LocalRun::default()
    };
    let mut events = Vec::new();
    let o = run_local(&t, &run, target.path(), false, &mut |e| events.push(e));
    assert!(o.succeeded(), "{:?}", o.error);
    assert_eq!(
        fs::read_to_string(target.path().join("out/README.md")).unwrap(),
        "# demo\n\nD\n\nOwner: group:default/tui-core\n"
    );
    assert!(
        matches!(events.last(), Some(RunEvent::Completed { output }) if output["links"][0]["url"] == "http://127.0.0.1:3000/create/demo")
    );
    // Second run into the same directory: refused, files untouched.
    let mut run2 = run.clone();
    run2.values.insert("description".into(), json!("changed"));
    let o = run_local(&t, &run2, target.path(), false, &mut |_| {});
    assert!(
        o.error.as_deref().unwrap_or("").contains("exists"),
        "{:?}",
        o.error
    );
    assert!(fs::read_to_string(target.path().join("out/README.md"))
        .unwrap()
        .contains("\nD\n"));
    let o = run_local(&t, &run2, target.path(), true, &mut |_| {});
    assert!(o.succeeded());
    assert!(fs::read_to_string(target.path().join("out/README.md"))
        .unwrap()
        .contains("changed"));
}

#[test]
fn a_step_input_that_fails_to_render_stays_as_written_and_is_logged() {
    // The scaffolder's runner catches each input string's error and keeps
    // the raw text; the step goes on.
    let base = tempfile::tempdir().unwrap();
    let t = template(
        json!([{"id": "bad", "action": "debug:log", "input": {"message": "${{ parameters.x | nope }}"}},
                            {"id": "after", "action": "debug:log", "input": {"message": "then ${{ parameters.x | trim }}"}}]),
    );
    let (o, log) = plan(&t, base.path(), json!({}));
    assert!(o.error.is_none(), "{:?}", o.error);
    assert_eq!(o.steps.len(), 2);
    let text: Vec<String> = log
        .iter()
        .filter_map(|e| match e {
            RunEvent::Log { line, .. } => Some(line.clone()),
            _ => None,
        })
        .collect();
    let text = text.join("\n");
    assert!(text.contains("${{ parameters.x | nope }}"), "{text}");
    assert!(text.contains("then ${{ parameters.x | trim }}"), "{text}");
    assert!(
        text.contains("filter not found: nope") && text.contains("kept as written"),
        "{text}"
    );
}

#[test]
fn secrets_are_usable_but_redacted_from_the_log() {
    let base = tempfile::tempdir().unwrap();
    write(base.path(), "skel/token.txt", "token=${{ values.token }}\n");
    let t = template(json!([
        {"id": "log", "action": "debug:log", "input": {"message": "using ${{ secrets.apiToken }} now"}},
        {"id": "f", "action": "fetch:template", "input": {"url": "./skel", "values": {"token": "${{ secrets.apiToken }}"}}}
    ]));
    let run = LocalRun {
        base_dir: base.path().to_path_buf(),
        secrets: values(json!({"apiToken": "s3cr3t-value"})),
        dry_run: true,
        ..LocalRun::default()
    };
    let mut events = Vec::new();
    let o = plan_local(&t, &run, &mut |e| events.push(e));
    assert!(o.succeeded(), "{:?}", o.error);
    assert_eq!(file(&o, "token.txt").unwrap(), "token=s3cr3t-value\n");
    let logged: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::Log { line, .. } => Some(line.as_str()),
            _ => None,
        })
        .collect();
    assert!(logged.contains(&"using *** now"), "{logged:?}");
    assert!(
        logged.iter().all(|l| !l.contains("s3cr3t-value")),
        "{logged:?}"
    );
}

/// File modes as the scaffolder keeps them on a real run from a local
/// template: fetch:template (`outputFile` with the source's mode) and
/// fetch:plain (`fs.copy`) keep the executable bit; fetch:template:file
/// (`outputFile` without a mode) and catalog:write do not.
#[cfg(unix)]
#[test]
fn executable_bits_are_kept_where_the_scaffolder_keeps_them() {
    use std::os::unix::fs::PermissionsExt;
    let base = tempfile::tempdir().unwrap();
    write(
        base.path(),
        "skel/run.sh",
        "#!/bin/sh\necho ${{ values.n }}\n",
    );
    write(base.path(), "skel/plain.txt", "p\n");
    fs::set_permissions(
        base.path().join("skel/run.sh"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let t = template(json!([
        {"id": "t", "action": "fetch:template", "input": {"url": "./skel", "targetPath": "t", "values": {"n": 1}}},
        {"id": "p", "action": "fetch:plain", "input": {"url": "./skel", "targetPath": "p"}},
        {"id": "f", "action": "fetch:template:file", "input": {"url": "./skel/run.sh", "targetPath": "f/run.sh", "values": {"n": 2}}},
        {"id": "c", "action": "catalog:write", "input": {"entity": {"kind": "Component"}}}
    ]));
    let target = tempfile::tempdir().unwrap();
    let run = LocalRun {
        base_dir: base.path().to_path_buf(),
        ..LocalRun::default()
    };
    let o = run_local(&t, &run, target.path(), false, &mut |_| {});
    assert!(o.error.is_none(), "{:?}", o.error);
    let exec = |p: &str| {
        fs::metadata(target.path().join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o111
            != 0
    };
    assert!(exec("t/run.sh"));
    assert!(exec("p/run.sh"));
    assert!(!exec("f/run.sh"));
    assert!(!exec("t/plain.txt"));
    assert!(!exec("catalog-info.yaml"));
}

/// A run that writes no files creates no folder.
#[test]
fn a_run_writing_no_files_creates_no_folder() {
    let base = tempfile::tempdir().unwrap();
    let t =
        template(json!([{"id": "log", "action": "debug:log", "input": {"message": "only a log"}}]));
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("never-made");
    let run = LocalRun {
        base_dir: base.path().to_path_buf(),
        ..LocalRun::default()
    };
    let o = run_local(&t, &run, &target, false, &mut |_| {});
    assert!(o.error.is_none(), "{:?}", o.error);
    assert!(!target.exists());
}

/// A plan on a thread: failing (not hanging) after 20 s.
fn plan_within(t: Template, base: PathBuf) -> callboard_io::template::actions::Outcome {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(plan(&t, &base, json!({})).0);
    });
    rx.recv_timeout(std::time::Duration::from_secs(20))
        .expect("the plan blocked")
}

fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

#[test]
fn template_sources_never_read_through_links_out_of_the_folder_or_pipes() {
    let base = tempfile::tempdir().unwrap();
    let b = base.path();
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.txt", "top secret");
    write(outside.path(), "skel/inner.txt", "also secret");
    write(b, "skel/ok.txt", "ok");
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), b.join("passwd")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("skel"), b.join("linked")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", b.join("zero")).unwrap();
    mkfifo(&b.join("pipe"));
    write(b, "piped/ok.txt", "ok");
    mkfifo(&b.join("piped/fifo"));
    let refused =
        |steps: Value, what: &str| {
            let o = plan_within(template(steps), b.to_path_buf());
            let error = o.error.clone().unwrap_or_default();
            assert!(error.contains(what), "{what}: {error:?}");
            assert!(o.files().all(|(_, bytes)| !bytes.starts_with(b"top secret")
                && !bytes.starts_with(b"also secret")));
        };
    for action in ["fetch:plain:file", "fetch:template:file"] {
        refused(
            json!([{"id": "f", "action": action, "input": {"url": "./passwd", "targetPath": "p"}}]),
            "outside the template's folder",
        );
        refused(
            json!([{"id": "f", "action": action, "input": {"url": "./zero", "targetPath": "p"}}]),
            "outside the template's folder",
        );
        refused(
            json!([{"id": "f", "action": action, "input": {"url": "./pipe", "targetPath": "p"}}]),
            "named pipe",
        );
    }
    for action in ["fetch:plain", "fetch:template"] {
        refused(
            json!([{"id": "f", "action": action, "input": {"url": "./linked"}}]),
            "outside the template's folder",
        );
        refused(
            json!([{"id": "f", "action": action, "input": {"url": "./piped"}}]),
            "named pipe",
        );
    }
    // The files a server dry-run uploads: none from outside.
    let t = template(
        json!([{"id": "f", "action": "fetch:plain", "input": {"url": "./linked"}},
                             {"id": "g", "action": "fetch:plain:file", "input": {"url": "./passwd", "targetPath": "p"}}]),
    );
    let e = callboard_io::template::catalog::skeleton_files(&t, b)
        .map(|files| files.into_iter().map(|(p, _)| p).collect::<Vec<_>>());
    assert!(
        e.as_ref()
            .is_err_and(|e| format!("{e:#}").contains("outside the template's folder")),
        "{e:?}"
    );
}

#[test]
fn memory_bombs_in_templates_are_errors_not_gigabytes() {
    use callboard_core::template::expr::{render_str, Syntax, Val};
    let ctx = Val::from(&json!({}));
    let started = std::time::Instant::now();
    let doubling = format!(
        "{{% set s = 'ab' %}}{}${{{{ s | length }}}}",
        "{% set s = s + s %}".repeat(40)
    );
    let e = render_str(&doubling, &ctx, Syntax::default()).unwrap_err();
    assert!(e.message.contains("over the 16 MiB limit"), "{e}");
    let chain = format!(
        "${{{{ 'aaaaaaaaaa'{} }}}}",
        " | replace('a', 'aaaaaaaaaa')".repeat(30)
    );
    let e = render_str(&chain, &ctx, Syntax::default()).unwrap_err();
    assert!(e.message.contains("replace would make a string"), "{e}");
    let joined = "${{ range(0, 100000) | join('x' * 1) }}${{ (range(0, 100000) | join(range(0, 100000) | join)) | length }}";
    assert!(render_str(joined, &ctx, Syntax::default()).is_err());
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    // `each` over a long list and a 1 MB skeleton: stopped, nothing written.
    let base = tempfile::tempdir().unwrap();
    write(base.path(), "skel/big.txt", &"x".repeat(1 << 20));
    let t = template(
        // One target for every item: what is read adds up before any output.
        json!([{"id": "f", "action": "fetch:template", "each": "${{ range(0, 100000) }}",
                             "input": {"url": "./skel", "targetPath": "same"}}]),
    );
    let o = plan_within(t, base.path().to_path_buf());
    let error = o.error.unwrap_or_default();
    assert!(error.contains("over 1024 MiB of template files"), "{error}");
    let t = template(
        // One target for every item: the files read add up, not the output.
        json!([{"id": "f", "action": "fetch:template", "each": "${{ range(0, 5000) }}",
                             "input": {"url": "./skel", "targetPath": "same"}}]),
    );
    let target = tempfile::tempdir().unwrap();
    let run = LocalRun {
        base_dir: base.path().to_path_buf(),
        ..LocalRun::default()
    };
    let o = run_local(&t, &run, target.path(), false, &mut |_| {});
    let error = o.error.unwrap_or_default();
    assert!(error.contains("over 1024 MiB of template files"), "{error}");
    assert_eq!(
        fs::read_dir(target.path()).unwrap().count(),
        0,
        "nothing written"
    );
    // Files kept apart: the run's total is bounded too.
    let t = template(
        json!([{"id": "f", "action": "fetch:template", "each": "${{ range(0, 500) }}",
                             "input": {"url": "./skel", "targetPath": "./d${{ each.value }}"}}]),
    );
    let o = run_local(&t, &run, target.path(), false, &mut |_| {});
    let error = o.error.unwrap_or_default();
    assert!(error.contains("over 256 MiB in all"), "{error}");
    assert_eq!(
        fs::read_dir(target.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

/// Rendering is linear: 40,000 sequential `if` blocks, and `each` over
/// 64,000 items of a parameter, each well within a few seconds (they took
/// 30 s and 23 s when rendering was quadratic).
#[test]
fn rendering_is_linear_in_template_size_and_items() {
    use callboard_core::template::expr::{render_str, Syntax, Val};
    let ctx = Val::from(&json!({"a": true}));
    let ifs = "{% if a %}x{% endif %}\n".repeat(40_000);
    let started = std::time::Instant::now();
    let out = render_str(&ifs, &ctx, Syntax::default()).unwrap();
    assert_eq!(out.len(), 80_000);
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(4),
        "40k ifs: {took:?}"
    );

    let base = tempfile::tempdir().unwrap();
    let items: Vec<Value> = (0..64_000).map(|i| json!(format!("item-{i}"))).collect();
    let t = template(
        json!([{"id": "f", "action": "debug:log", "each": "${{ parameters.items }}",
                             "input": {"message": "${{ each.value }} for ${{ parameters.name }}"}}]),
    );
    let started = std::time::Instant::now();
    let (o, _) = plan(&t, base.path(), json!({"items": items, "name": "svc"}));
    let took = started.elapsed();
    assert!(o.error.is_none(), "{:?}", o.error);
    assert!(
        took < std::time::Duration::from_secs(15),
        "each over 64k: {took:?}"
    );
}
