//! Fidelity: for every fixture template whose steps can run offline,
//! callboard's local render equals the real scaffolder's dry-run
//! (`POST /api/scaffolder/v2/dry-run`) for the same template, values and
//! skeleton files — file by file, byte by byte, and the rendered output.
//!
//! Templates that also publish or register are checked on their offline
//! steps only (the others removed from the entity sent to both), so their
//! skeletons are covered too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use callboard_core::template::{schema, Template};
use callboard_io::source::auth::Secret;
use callboard_io::template::actions::{plan_local, LocalRun};
use callboard_io::template::remote::Scaffolder;
use serde_json::{json, Value};

use crate::backend::{require_live, Live};

fn shared() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared")).to_path_buf()
}

const OFFLINE: &[&str] = &[
    "fetch:template",
    "fetch:template:file",
    "fetch:plain",
    "fetch:plain:file",
    "fs:delete",
    "fs:rename",
    "debug:log",
    "debug:wait",
    "catalog:write",
];

/// (template folder under ../shared, values)
fn cases() -> Vec<(&'static str, Value)> {
    vec![
        ("backstage/catalog/templates/hello-offline", json!({"name": "fid-one", "owner": "group:default/tui-core", "wait": 0})),
        ("backstage/catalog/templates/hello-offline", json!({"name": "fid-two", "owner": "user:default/jo", "description": "Quotes \" and 'ticks' and ${ dollars }", "lifecycle": "production", "wait": 0})),
        ("fixtures/backstage-examples/scaffolder-sample-templates/conditional-output-demo", json!({"name": "demo"})),
        ("fixtures/backstage-examples/scaffolder-sample-templates/conditional-output-demo", json!({"name": "demo", "enableCI": "No", "showDetails": false})),
        ("fixtures/backstage-examples/scaffolder-sample-templates/conditional-parameters-demo", json!({"name": "demo", "cloudProvider": "AWS", "awsRegion": "eu-west-1", "gcpProjectId": "p", "azureSubscriptionId": "s", "enableMonitoring": true, "alertEmail": "a@b.c"})),
        ("fixtures/backstage-examples/scaffolder-sample-templates/bui-kitchen-sink-demo", json!({"name": "sink", "email": "a@b.c", "ownerRef": "group:default/team-a", "repoUrl": "github.com?owner=o&repo=r", "tags": ["x", "y"]})),
        ("fixtures/backstage-examples/create-app-examples/template", json!({"name": "created", "repoUrl": "github.com?owner=o&repo=r"})),
        ("fixtures/backstage-examples/software-templates/scaffolder-templates/create-react-app", json!({"component_id": "web-app", "description": "A \"web\" app: with colons", "owner": "group:default/team-a", "repoUrl": "github.com?owner=o&repo=web-app"})),
        ("fixtures/backstage-examples/software-templates/scaffolder-templates/create-react-app", json!({"component_id": "no-desc", "owner": "group:default/team-a", "repoUrl": "github.com?owner=o&repo=x"})),
        ("fixtures/backstage-examples/software-templates/scaffolder-templates/docs-template", json!({"name": "docs", "description": "Docs", "owner": "group:default/team-a", "repoUrl": "github.com?owner=o&repo=docs"})),
        ("fixtures/backstage-examples/software-templates/scaffolder-templates/springboot-grpc-template", json!({"component_id": "grpc-svc", "java_package_name": "io.example.grpc", "description": "gRPC", "owner": "group:default/team-a", "repoUrl": "github.com?owner=o&repo=grpc"})),
        ("fixtures/backstage-examples/software-templates/scaffolder-templates/react-ssr-template", json!({"component_id": "ssr", "description": "SSR", "owner": "group:default/team-a", "repoUrl": "github.com?owner=o&repo=ssr"})),
        ("fixtures/backstage-examples/software-templates/scaffolder-templates/clean-architecture-app", json!({"name": "clean", "package": "io.example.clean", "projectType": "rest", "coverage": "80", "lombok": true, "owner": "group:default/team-a", "repoUrl": "github.com?owner=o&repo=clean"})),
        ("fixtures/backstage-examples/software-templates/scaffolder-templates/pull-request", json!({"name": "pr-thing", "repoUrl": "github.com?owner=o&repo=pr"})),
        ("fixtures/backstage-examples/software-templates/scaffolder-templates/gitlab-merge-request", json!({"name": "mr-thing", "targetPath": "sub/dir", "repoUrl": "gitlab.com?owner=o&repo=mr"})),
    ]
}

pub(crate) fn skeleton_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                if rel != "template.yaml" {
                    out.push((rel, std::fs::read(&p).unwrap()));
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn local_render_equals_live_dry_run_for_offline_fixture_templates() {
    let Live { url, token } = require_live();
    let client =
        Scaffolder::with_token(&url, Some(Secret::new(token)), Duration::from_secs(60)).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut failures = Vec::new();
    let mut compared_files = 0;
    for (folder, values) in cases() {
        let dir = shared().join(folder);
        let text = std::fs::read_to_string(dir.join("template.yaml")).unwrap();
        let mut entity: Value = serde_norway::from_str(&text).unwrap();
        let steps = entity["spec"]["steps"].as_array().unwrap().clone();
        // Offline: a local action reading the template's own folder.
        let offline = |s: &Value| {
            OFFLINE.contains(&s["action"].as_str().unwrap())
                && !s["input"]["url"]
                    .as_str()
                    .is_some_and(|u| u.contains("://"))
        };
        let all_offline = steps.iter().all(offline);
        if !all_offline {
            let kept: Vec<Value> = steps.into_iter().filter(offline).collect();
            entity["spec"]["steps"] = Value::Array(kept);
            entity["spec"].as_object_mut().unwrap().remove("output");
        }
        let template = Template::from_entity(&entity).unwrap();
        let mut values = values.as_object().cloned().unwrap();
        schema::apply_defaults(template.parameter_steps(), &mut values);
        let files = skeleton_files(&dir);
        let remote = match rt.block_on(client.dry_run(
            &template,
            &values,
            &serde_json::Map::new(),
            &files,
        )) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{folder}: dry-run failed: {e}"));
                continue;
            }
        };
        let run = LocalRun {
            base_dir: dir.clone(),
            values: values.clone(),
            dry_run: true,
            template_ref: "template:default/dry-run".into(),
            ..LocalRun::default()
        };
        let local = plan_local(&template, &run, &mut |_| {});
        if let Some(e) = &local.error {
            failures.push(format!("{folder}: local run failed: {e}"));
            continue;
        }
        let want: BTreeMap<&str, &[u8]> = remote
            .files
            .iter()
            .map(|(p, b, _)| (p.as_str(), b.as_slice()))
            .collect();
        let got: BTreeMap<&str, &[u8]> = local.files().collect();
        if want.keys().collect::<Vec<_>>() != got.keys().collect::<Vec<_>>() {
            failures.push(format!(
                "{folder}: file lists differ\n  server: {:?}\n  local:  {:?}",
                want.keys().collect::<Vec<_>>(),
                got.keys().collect::<Vec<_>>()
            ));
        }
        for (path, bytes) in &want {
            compared_files += 1;
            match got.get(path) {
                Some(mine) if mine == bytes => {}
                Some(mine) => failures.push(format!(
                    "{folder}: {path} differs\n--- server\n{}\n--- local\n{}",
                    String::from_utf8_lossy(bytes),
                    String::from_utf8_lossy(mine)
                )),
                None => {}
            }
        }
        if all_offline && remote.output != local.output {
            failures.push(format!(
                "{folder}: output differs\n  server: {}\n  local:  {}",
                remote.output, local.output
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(compared_files >= 20, "only {compared_files} files compared");
    eprintln!("{compared_files} files byte-equal with the live dry-run");
}

/// A synthetic skeleton exercising what byte equality depends on:
/// whitespace control, loops, filters, raw blocks, `copyWithoutTemplating`
/// with negation, empty path segments, binary files, cookiecutter mode,
/// `each`, `if`, fs actions and catalog:write.
#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn local_render_equals_live_dry_run_for_a_nunjucks_torture_skeleton() {
    let Live { url, token } = require_live();
    let client =
        Scaffolder::with_token(&url, Some(Secret::new(token)), Duration::from_secs(60)).unwrap();
    let files: Vec<(String, Vec<u8>)> = [
        ("skel/README.md", "# ${{ values.name | title }}\n{%- if values.tags %}\nTags: ${{ values.tags | join(', ') }}\n{%- endif %}\n{% for t in values.tags -%}\n- ${{ loop.index }}. ${{ t | upper }}{% if not loop.last %},{% endif %}\n{% endfor %}\n{# a comment #}\nraw: {% raw %}${{ keep.me }}{% endraw %}\nnum: ${{ values.count * 2 }} ${{ values.count / 4 }} ${{ values.missing }}|${{ values.nothing }}|\ndump: ${{ values.obj | dump }} ${{ values.tags | dump }}\nrepl: ${{ values.name | replace('-', '_') | lower }}\ndefault: ${{ values.missing | default('dflt') }}\nslug: ${{ values.repo | projectSlug }} ${{ (values.repo | parseRepoUrl).host }}\nref: ${{ values.owner | parseEntityRef | pick('name') }} ${{ 'x' | parseEntityRef({defaultKind: 'group'}) | dump }}\ninline: ${{ 'yes' if values.flag else 'no' }} ${{ values.count > 2 and not values.off }}\n   {%- set v = values.name ~ '!' %}\nset: ${{ v }}\n  trailing   ${{- values.name -}}   x\n"),
        ("skel/${{ values.name }}/${{ values.name }}.txt", "${{ values.name }}\n"),
        ("skel/${{ values.empty }}/dropped.txt", "dropped"),
        ("skel/opt-${{ values.empty }}.txt", "kept ${{ values.name }}"),
        ("skel/raw/a.txt", "${{ raw }}"),
        ("skel/raw/b.txt", "${{ values.name }}"),
        ("skel/crlf.txt", "a\r\n{%- if values.flag %}\r\nb\r\n{%- endif %}\r\nc\r\n"),
        ("skel/unicode.txt", "héllo ${{ values.name }} ✓ ${{ 'ü' | upper }}\n"),
        ("cc/{{ cookiecutter.name }}.yaml", "name: {{ cookiecutter.name | jsonify }}\nflag: {{ cookiecutter.flag }}\n"),
        ("one.txt", "one ${{ values.v }}"),
        ("njk/${{ values.name }}.txt.njk", "rendered ${{ values.name }}\n"),
        ("njk/plain-${{ values.name }}.txt", "not rendered ${{ values.name }}\n"),
        ("plain/${{ x }}/raw.txt", "${{ raw }}"),
    ]
    .iter()
    .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
    .chain(std::iter::once(("skel/bin.dat".to_string(), vec![0u8, 159, 146, 150, 36, 123, 123, 0])))
    .collect();
    let entity = json!({
        "apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
        "metadata": {"name": "torture"},
        "spec": {"type": "x", "owner": "group:a",
          "parameters": [{"properties": {"name": {"type": "string"}}}],
          "steps": [
            {"id": "f", "action": "fetch:template", "input": {"url": "./skel", "targetPath": "out",
              "copyWithoutTemplating": ["raw/*", "!raw/b.txt"],
              "values": {"name": "${{ parameters.name }}", "tags": "${{ parameters.tags }}", "count": "${{ parameters.count }}",
                         "obj": {"a": [1, 2.5, "x"], "b": null}, "nothing": null, "flag": true, "off": false, "empty": "",
                         "repo": "github.com?owner=me&repo=${{ parameters.name }}", "owner": "group:default/team-a"}}},
            {"id": "c", "action": "fetch:template", "input": {"url": "./cc", "targetPath": "cc", "cookiecutterCompat": true,
              "values": {"name": "${{ parameters.name }}", "flag": "${{ parameters.count > 1 }}"}}},
            {"id": "e", "each": "${{ parameters.tags }}", "action": "fetch:template:file",
              "input": {"url": "./one.txt", "targetPath": "each/${{ each.key }}-${{ each.value }}.txt", "values": {"v": "${{ each.value }}"}}},
            {"id": "njk", "action": "fetch:template", "input": {"url": "./njk", "targetPath": "njk", "templateFileExtension": true,
              "values": {"name": "${{ parameters.name }}"}}},
            {"id": "again", "action": "fetch:template", "input": {"url": "./njk", "targetPath": "njk", "templateFileExtension": ".txt",
              "replace": true, "values": {"name": "again"}}},
            {"id": "plain", "action": "fetch:plain", "input": {"url": "./plain", "targetPath": "plain-out"}},
            {"id": "skip", "if": "${{ parameters.count > 100 }}", "action": "fs:delete", "input": {"files": ["out/**"]}},
            {"id": "del", "action": "fs:delete", "input": {"files": ["out/opt-*.txt"]}},
            {"id": "mv", "action": "fs:rename", "input": {"files": [{"from": "cc", "to": "moved-cc"}]}},
            {"id": "w", "action": "catalog:write", "input": {"filePath": "cat/entity.yaml", "entity": {
              "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
              "metadata": {"name": "${{ parameters.name }}", "tags": "${{ parameters.tags }}", "description": "short: with colon"},
              "spec": {"type": "service", "owner": "group:a", "n": "${{ parameters.count }}"}}}}
          ],
          "output": {"links": [{"title": "A", "url": "https://x/${{ parameters.name }}"}, {"title": "B", "url": "y", "if": "${{ parameters.count > 100 }}"}],
                     "text": [{"title": "T", "content": "${{ parameters.tags | length }} tags"}]}}
    });
    let template = Template::from_entity(&entity).unwrap();
    let values = json!({"name": "my-svc", "tags": ["alpha", "beta"], "count": 3})
        .as_object()
        .cloned()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let remote = rt
        .block_on(client.dry_run(&template, &values, &serde_json::Map::new(), &files))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (p, b) in &files {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b).unwrap();
    }
    let run = LocalRun {
        base_dir: dir.path().to_path_buf(),
        values,
        dry_run: true,
        template_ref: "template:default/dry-run".into(),
        ..LocalRun::default()
    };
    let local = plan_local(&template, &run, &mut |_| {});
    assert!(local.error.is_none(), "{:?}", local.error);
    let want: BTreeMap<&str, &[u8]> = remote
        .files
        .iter()
        .map(|(p, b, _)| (p.as_str(), b.as_slice()))
        .collect();
    let got: BTreeMap<&str, &[u8]> = local.files().collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &want {
        assert_eq!(
            String::from_utf8_lossy(got[path]),
            String::from_utf8_lossy(bytes),
            "{path} differs"
        );
        assert_eq!(got[path], *bytes, "{path} differs");
    }
    assert_eq!(local.output, remote.output);
    assert!(want.len() >= 10, "{:?}", want.keys());
    if std::env::var("SHOW").is_ok() {
        for (p, b) in &want {
            eprintln!("== {p}\n{}", String::from_utf8_lossy(b));
        }
    }
}

/// `catalog:write` output (the `yaml` package's stringify) for awkward
/// strings: quoting, single quotes, long lines folded at 80 columns in
/// plain, quoted and block styles, at several depths.
#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn catalog_write_yaml_equals_live_dry_run() {
    let Live { url, token } = require_live();
    let client =
        Scaffolder::with_token(&url, Some(Secret::new(token)), Duration::from_secs(60)).unwrap();
    let words = "word ".repeat(30);
    let mut plain = serde_json::Map::new();
    let mut nested = serde_json::Map::new();
    let mut seq = Vec::new();
    for l in (60..82).step_by(3) {
        let v = format!("{} yyyyy", "x".repeat(l));
        plain.insert(format!("k{l}"), json!(v));
        nested.insert(format!("k{l}"), json!(v));
        seq.push(json!(v));
    }
    let entity = json!({
        "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
        "metadata": {"name": "x", "description": words.trim(), "title": "t: colon",
            "tags": [words.trim()[..90].to_string(), "true", "123", "", "-x", "? q", "a #b", "0x1F", "1e3", ".5", "~"],
            "annotations": {"multi": "line one\nline two\n", "nochomp": "a\nb", "keep": "a\n\n", "long": format!("first\n{}\nthird", "second line is long ".repeat(6)),
                            "quote": "say \"hi\"", "both": "it's \"x\"", "esc": format!("tab\there \"q\" {}", "z ".repeat(40)),
                            "ctl": "bell\u{7}esc\u{1b}nul\u{0}", "q2": format!("a: quoted needs {} tail end here", "x".repeat(100))}},
        "spec": {"type": "service", "plain": plain, "deeper": {"more": {"nested": nested}}, "seq": seq,
                 "items": [{"name": words.trim(), "n": 1.5, "b": true, "z": null}], "empty": [], "obj": {}}
    });
    let entity_s = serde_json::to_string(&entity).unwrap();
    let template = Template::from_entity(&json!({
        "apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template", "metadata": {"name": "yaml"},
        "spec": {"type": "x", "owner": "group:a",
                 "steps": [{"id": "w", "action": "catalog:write", "input": {"entity": serde_json::from_str::<Value>(&entity_s).unwrap()}}]}
    }))
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let remote = rt
        .block_on(client.dry_run(
            &template,
            &serde_json::Map::new(),
            &serde_json::Map::new(),
            &[],
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = LocalRun {
        base_dir: dir.path().to_path_buf(),
        template_ref: "template:default/dry-run".into(),
        dry_run: true,
        ..LocalRun::default()
    };
    let local = plan_local(&template, &run, &mut |_| {});
    assert!(local.error.is_none(), "{:?}", local.error);
    let (_, server, _) = &remote.files[0];
    let (_, mine) = local.files().next().unwrap();
    let (server, mine) = (
        String::from_utf8_lossy(server),
        String::from_utf8_lossy(mine),
    );
    if server != mine {
        for (a, b) in server.lines().zip(mine.lines()) {
            if a != b {
                eprintln!("server: {a:?}\nlocal:  {b:?}");
            }
        }
    }
    assert_eq!(mine, server);
}
