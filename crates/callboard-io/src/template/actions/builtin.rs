//! The actions a local run performs itself (`fs:*`, `debug:*`,
//! `catalog:write`, and the `fetch:*` family via [`super::fetch`]), and
//! the reason each outside-world action is skipped.

use std::time::Duration;

use serde_json::{json, Map, Value};

use super::fetch::{fetch_template, glob, is_executable, read_source_dir, read_source_file};
use super::{fail, LocalRun, StepError, Workspace};
use crate::template::fs_guard::{join_inside, Entry};

/// `Some(reason)` for actions a local run cannot do.
pub(super) fn needs_outside_world(action: &str) -> Option<String> {
    if action.starts_with("publish:") {
        return Some(format!(
            "{action} publishes to a remote host; local runs stay offline"
        ));
    }
    match action {
        "fetch:template"
        | "fetch:template:file"
        | "fetch:plain"
        | "fetch:plain:file"
        | "fs:delete"
        | "fs:rename"
        | "fs:readdir"
        | "debug:log"
        | "debug:wait"
        | "catalog:write" => None,
        "catalog:register" => {
            Some("catalog:register needs a Backstage catalog; run remotely".into())
        }
        "catalog:fetch" => Some("catalog:fetch needs a Backstage catalog; run remotely".into()),
        other => Some(format!("action {other} is not available in a local run")),
    }
}

pub(super) fn str_input<'a>(input: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

pub(super) fn run_action(
    action: &str,
    input: &Map<String, Value>,
    run: &LocalRun,
    ws: &mut Workspace,
    log: &mut dyn FnMut(String),
) -> Result<Map<String, Value>, StepError> {
    let mut output = Map::new();
    match action {
        "debug:log" => {
            if let Some(m) = input.get("message") {
                log(match m {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
            }
            match input.get("listWorkspace") {
                Some(Value::Bool(true)) | Some(Value::String(_)) => {
                    let with_contents = input.get("listWorkspace") == Some(&json!("with-contents"));
                    let mut lines = vec!["Workspace:".to_string()];
                    for (path, entry) in ws.iter() {
                        if let Entry::File { bytes, .. } = entry {
                            lines.push(format!("  - {path}"));
                            if with_contents {
                                let text = String::from_utf8_lossy(bytes);
                                for l in text.lines() {
                                    lines.push(format!("    {l}"));
                                }
                            }
                        }
                    }
                    log(lines.join("\n"));
                }
                _ => {}
            }
        }
        "debug:wait" => {
            let ms = input.get("minutes").and_then(Value::as_f64).unwrap_or(0.0) * 60_000.0
                + input.get("seconds").and_then(Value::as_f64).unwrap_or(0.0) * 1000.0
                + input
                    .get("milliseconds")
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0);
            if ms > 600_000.0 {
                return fail("debug:wait: at most 10 minutes");
            }
            if run.dry_run {
                log(format!("Not waiting {ms} ms in a preview"));
            } else if ms > 0.0 {
                log(format!("Waiting {ms} ms"));
                std::thread::sleep(Duration::from_millis(ms as u64));
            }
        }
        "fetch:template" | "fetch:template:file" => fetch_template(action, input, run, ws, log)?,
        "fetch:plain" => {
            let url = str_input(input, "url").ok_or(StepError::Fail("url is required".into()))?;
            let target = join_inside("", str_input(input, "targetPath").unwrap_or("./"))?;
            let src = read_source_dir(&run.base_dir, url)?;
            log(format!("Fetching plain content from {url}"));
            for (rel, entry) in src {
                let dest = join_inside(&target, &rel)?;
                ws.insert(dest, entry);
            }
        }
        "fetch:plain:file" => {
            let url = str_input(input, "url").ok_or(StepError::Fail("url is required".into()))?;
            let target = str_input(input, "targetPath")
                .ok_or(StepError::Fail("targetPath is required".into()))?;
            let dest = join_inside("", target)?;
            let (path, bytes) = read_source_file(&run.base_dir, url)?;
            log(format!("Fetching plain file {url}"));
            ws.insert(
                dest,
                Entry::File {
                    bytes,
                    executable: is_executable(&path),
                },
            );
        }
        "fs:delete" => {
            let Some(Value::Array(files)) = input.get("files") else {
                return fail("files must be a list of paths or globs");
            };
            for f in files {
                let Some(pattern) = f.as_str() else {
                    return fail("files must be a list of strings");
                };
                join_inside("", pattern)?;
                let matcher = glob(pattern)?;
                let doomed: Vec<String> = ws
                    .keys()
                    .filter(|p| matcher.is_match(p.as_str()))
                    .cloned()
                    .collect();
                for path in doomed {
                    let prefix = format!("{path}/");
                    ws.retain(|p, _| *p != path && !p.starts_with(&prefix));
                    log(format!("File {path} deleted successfully"));
                }
            }
        }
        "fs:rename" => {
            let Some(Value::Array(files)) = input.get("files") else {
                return fail("files must be a list of {from, to}");
            };
            for f in files {
                let (Some(from), Some(to)) = (
                    f.get("from").and_then(Value::as_str),
                    f.get("to").and_then(Value::as_str),
                ) else {
                    return fail("each file must have a from and to property");
                };
                let overwrite = f.get("overwrite").and_then(Value::as_bool).unwrap_or(false);
                let from = join_inside("", from)?;
                let to = join_inside("", to)?;
                let prefix = format!("{from}/");
                let moving: Vec<String> = ws
                    .keys()
                    .filter(|p| **p == from || p.starts_with(&prefix))
                    .cloned()
                    .collect();
                if moving.is_empty() {
                    return fail(format!("{from}: no such file or directory"));
                }
                if ws.contains_key(&to) && !overwrite {
                    return fail(format!("{to}: dest already exists."));
                }
                for old in moving {
                    if let Some(entry) = ws.remove(&old) {
                        let new = format!("{to}{}", &old[from.len()..]);
                        ws.insert(new, entry);
                    }
                }
                log(format!("File {from} renamed to {to} successfully"));
            }
        }
        "fs:readdir" => {
            let Some(Value::Array(paths)) = input.get("paths") else {
                return fail("paths must be a list");
            };
            let recursive = input
                .get("recursive")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let (mut files, mut folders) = (Vec::new(), Vec::new());
            // Every entry, with the folders that hold them (not all of
            // them are entries of their own).
            let mut listing: std::collections::BTreeMap<&str, bool> =
                std::collections::BTreeMap::new();
            for (path, entry) in ws.iter() {
                listing.insert(path, matches!(entry, Entry::Dir));
                let mut p = path.as_str();
                while let Some((parent, _)) = p.rsplit_once('/') {
                    listing.insert(parent, true);
                    p = parent;
                }
            }
            for p in paths.iter().filter_map(Value::as_str) {
                let dir = join_inside("", p)?;
                let prefix = if dir.is_empty() {
                    String::new()
                } else {
                    format!("{dir}/")
                };
                for (&path, &is_dir) in &listing {
                    let Some(rest) = path.strip_prefix(&prefix) else {
                        continue;
                    };
                    if rest.is_empty() || (!recursive && rest.contains('/')) {
                        continue;
                    }
                    let name = rest.rsplit('/').next().unwrap_or(rest);
                    let full = match &run.workspace_dir {
                        Some(dir) => dir.join(path).to_string_lossy().into_owned(),
                        None => path.to_string(),
                    };
                    let item = json!({"name": name, "path": path, "fullPath": full});
                    if is_dir {
                        folders.push(item);
                    } else {
                        files.push(item);
                    }
                }
            }
            output.insert("files".into(), Value::Array(files));
            output.insert("folders".into(), Value::Array(folders));
        }
        "catalog:write" => {
            let entity = input
                .get("entity")
                .ok_or(StepError::Fail("entity is required".into()))?;
            let path = join_inside(
                "",
                str_input(input, "filePath").unwrap_or("catalog-info.yaml"),
            )?;
            log(format!("Writing {path}"));
            // The scaffolder records where the entity came from.
            let mut entity = entity.clone();
            if let Some(meta) = entity.get_mut("metadata").and_then(Value::as_object_mut) {
                let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
                if let Some(a) = annotations.as_object_mut() {
                    a.insert(
                        "backstage.io/source-template".into(),
                        Value::String(run.template_ref.clone()),
                    );
                }
            }
            ws.insert(
                path,
                Entry::File {
                    bytes: callboard_core::template::yaml::stringify(&entity).into_bytes(),
                    executable: false,
                },
            );
        }
        other => {
            return Err(StepError::Skip(format!(
                "action {other} is not available locally"
            )))
        }
    }
    Ok(output)
}
