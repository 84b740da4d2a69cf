//! Local runs: the template's steps executed against an in-memory
//! workspace, the way the scaffolder's workflow runner does in its own
//! temporary workspace. [`plan_local`] stops there (the file tree to show
//! before writing, like the server's dry-run); [`run_local`] then writes
//! the tree into the chosen directory through [`fs_guard`].
//!
//! Offline actions run: `fetch:template`, `fetch:template:file`,
//! `fetch:plain`, `fetch:plain:file` (from the template's own folder),
//! `fs:delete`, `fs:rename`, `fs:readdir`, `debug:log`, `debug:wait`,
//! `catalog:write`. Anything needing the outside world (`publish:*`,
//! `catalog:register`, `catalog:fetch`, remote URLs, unknown actions) is
//! reported as skipped with the reason, never faked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use globset::{GlobBuilder, GlobMatcher};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::fs_guard::{self, join_inside, Entry};
use callboard_core::template::expr::{self, render_value, Syntax, Val};
use callboard_core::template::{RunEvent, StepStatus, Template};

/// Files produced by a run, keyed by `/`-separated path relative to the
/// workspace root.
pub type Workspace = BTreeMap<String, Entry>;

/// Inputs to a local run.
#[derive(Debug, Clone, Default)]
pub struct LocalRun {
    /// The template's folder: relative `url`s resolve here and may not
    /// leave it.
    pub base_dir: PathBuf,
    /// Form values, defaults already filled in.
    pub values: Map<String, Value>,
    pub secrets: Map<String, Value>,
    /// `user.entity` / `user.ref`; empty for a local run.
    pub user: Value,
    /// Plan only: `debug:wait` does not wait (as the server's dry-run).
    pub dry_run: bool,
    /// Recorded by `catalog:write` as `backstage.io/source-template`
    /// (the server's dry-run writes `template:default/dry-run`).
    pub template_ref: String,
}

/// What a local run produced.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    #[serde(skip)]
    pub workspace: Workspace,
    /// The rendered `spec.output`.
    pub output: Value,
    pub steps: Vec<StepResult>,
    /// Set when a step failed; later steps did not run.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    pub id: String,
    pub name: String,
    pub action: String,
    pub status: StepStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }

    /// The files (not directories) with their bytes, sorted by path.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.workspace.iter().filter_map(|(p, e)| match e {
            Entry::File { bytes, .. } => Some((p.as_str(), bytes.as_slice())),
            _ => None,
        })
    }
}

/// Why a step could not run locally.
enum StepError {
    /// Needs the outside world: skipped, with the reason.
    Skip(String),
    Fail(String),
}

impl From<expr::ExprError> for StepError {
    fn from(e: expr::ExprError) -> Self {
        StepError::Fail(e.to_string())
    }
}

impl From<fs_guard::GuardError> for StepError {
    fn from(e: fs_guard::GuardError) -> Self {
        StepError::Fail(e.to_string())
    }
}

fn fail<T>(msg: impl Into<String>) -> Result<T, StepError> {
    Err(StepError::Fail(msg.into()))
}

/// Run every step into an in-memory workspace; nothing touches the disk
/// except reading the template's own folder.
pub fn plan_local(template: &Template, run: &LocalRun, emit: &mut dyn FnMut(RunEvent)) -> Outcome {
    let mut ws = Workspace::new();
    let mut steps_ctx = Map::new();
    let mut results = Vec::new();
    let mut error = None;
    let redact = |line: &str| redact_secrets(line, &run.secrets);
    emit(RunEvent::Log {
        step: None,
        line: format!("Starting up task with {} steps", template.steps.len()),
    });
    for step in &template.steps {
        let context = json!({
            "parameters": Value::Object(run.values.clone()),
            "steps": Value::Object(steps_ctx.clone()),
            "secrets": Value::Object(run.secrets.clone()),
            "user": run.user.clone(),
            "context": {"task": {"id": "local"}},
        });
        let ctx = Val::from(&context);
        let result = |status, reason: Option<String>| StepResult {
            id: step.id.clone(),
            name: step.name.clone(),
            action: step.action.clone(),
            status,
            reason,
        };
        // `if:` false, or a string rendering falsy, skips the step.
        let skip_by_condition = match &step.condition {
            Some(Value::Bool(false)) => Ok(true),
            Some(Value::String(s)) => {
                render_value(&Value::String(s.clone()), &ctx).map(|v| !expr::is_truthy(v.as_ref()))
            }
            _ => Ok(false),
        };
        let skip_by_condition = match skip_by_condition {
            Ok(skip) => skip,
            Err(e) => {
                let msg = format!("step {}: if: {e}", step.id);
                emit(RunEvent::StepStarted {
                    id: step.id.clone(),
                    name: step.name.clone(),
                });
                emit(RunEvent::Log {
                    step: Some(step.id.clone()),
                    line: redact(&msg),
                });
                emit(RunEvent::StepFinished {
                    id: step.id.clone(),
                    status: StepStatus::Failed,
                });
                results.push(result(StepStatus::Failed, Some(msg.clone())));
                error = Some(msg);
                break;
            }
        };
        if skip_by_condition {
            let reason = "the step's `if` condition is false".to_string();
            emit(RunEvent::Skipped {
                id: step.id.clone(),
                reason: reason.clone(),
            });
            results.push(result(StepStatus::Skipped, Some(reason)));
            continue;
        }
        emit(RunEvent::StepStarted {
            id: step.id.clone(),
            name: step.name.clone(),
        });
        let mut log = |line: String| {
            emit(RunEvent::Log {
                step: Some(step.id.clone()),
                line: redact(&line),
            })
        };
        let outcome = run_step(step, &ctx, run, &mut ws, &mut log);
        match outcome {
            Ok(output) => {
                steps_ctx.insert(step.id.clone(), json!({ "output": output }));
                emit(RunEvent::StepFinished {
                    id: step.id.clone(),
                    status: StepStatus::Completed,
                });
                results.push(result(StepStatus::Completed, None));
            }
            Err(StepError::Skip(reason)) => {
                steps_ctx.insert(step.id.clone(), json!({ "output": {} }));
                emit(RunEvent::Skipped {
                    id: step.id.clone(),
                    reason: reason.clone(),
                });
                results.push(result(StepStatus::Skipped, Some(reason)));
            }
            Err(StepError::Fail(msg)) => {
                let msg = redact(&msg);
                emit(RunEvent::Log {
                    step: Some(step.id.clone()),
                    line: format!("error: {msg}"),
                });
                emit(RunEvent::StepFinished {
                    id: step.id.clone(),
                    status: StepStatus::Failed,
                });
                results.push(result(StepStatus::Failed, Some(msg.clone())));
                error = Some(format!("step {} failed: {msg}", step.id));
                break;
            }
        }
    }
    let output = if error.is_none() {
        let context = json!({
            "parameters": Value::Object(run.values.clone()),
            "steps": Value::Object(steps_ctx),
            "secrets": Value::Object(run.secrets.clone()),
            "user": run.user.clone(),
            "context": {"task": {"id": "local"}},
        });
        match render_output(&template.output, &Val::from(&context)) {
            Ok(o) => o,
            Err(e) => {
                error = Some(format!("output: {e}"));
                Value::Object(Map::new())
            }
        }
    } else {
        Value::Object(Map::new())
    };
    Outcome {
        workspace: ws,
        output,
        steps: results,
        error,
    }
}

/// Plan, then write the workspace into `target` (created if missing).
/// Refuses, before writing anything, paths that would leave `target`, and
/// existing files unless `overwrite`. Emits `Completed` or `Failed` last.
pub fn run_local(
    template: &Template,
    run: &LocalRun,
    target: &Path,
    overwrite: bool,
    emit: &mut dyn FnMut(RunEvent),
) -> Outcome {
    let mut outcome = plan_local(template, run, emit);
    if outcome.error.is_none() {
        match fs_guard::write_tree(
            target,
            outcome.workspace.iter().map(|(p, e)| (p.as_str(), e)),
            overwrite,
        ) {
            Ok(written) => emit(RunEvent::Log {
                step: None,
                line: format!("Wrote {} entries into {}", written.len(), target.display()),
            }),
            Err(e) => outcome.error = Some(format!("writing into {}: {e}", target.display())),
        }
    }
    match &outcome.error {
        None => emit(RunEvent::Completed {
            output: outcome.output.clone(),
        }),
        Some(message) => emit(RunEvent::Failed {
            message: message.clone(),
        }),
    }
    outcome
}

/// `spec.output` rendered; `links` and `text` items whose `if` is falsy
/// are dropped.
fn render_output(output: &Value, ctx: &Val) -> Result<Value, expr::ExprError> {
    let mut rendered = render_value(output, ctx)?.unwrap_or_else(|| json!({}));
    if let Some(map) = rendered.as_object_mut() {
        for key in ["links", "text"] {
            if let Some(Value::Array(items)) = map.get_mut(key) {
                items.retain(|item| match item.get("if") {
                    None => true,
                    Some(v) => expr::is_truthy(Some(v)),
                });
                for item in items.iter_mut() {
                    if let Some(o) = item.as_object_mut() {
                        o.remove("if");
                    }
                }
            }
        }
    }
    Ok(rendered)
}

fn redact_secrets(line: &str, secrets: &Map<String, Value>) -> String {
    let mut out = line.to_string();
    for v in secrets.values() {
        if let Some(s) = v.as_str() {
            if !s.is_empty() {
                out = out.replace(s, "***");
            }
        }
    }
    out
}

/// One step, with `each` expanded. Returns the step's output.
fn run_step(
    step: &callboard_core::template::Step,
    ctx: &Val,
    run: &LocalRun,
    ws: &mut Workspace,
    log: &mut dyn FnMut(String),
) -> Result<Value, StepError> {
    if let Some(reason) = needs_outside_world(&step.action) {
        return Err(StepError::Skip(reason));
    }
    let iterations: Vec<Option<(String, Value)>> = match &step.each {
        None => vec![None],
        Some(each) => match render_value(each, ctx)? {
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| Some((i.to_string(), v)))
                .collect(),
            Some(Value::Object(map)) => map.into_iter().map(Some).collect(),
            other => {
                return fail(format!(
                    "each: expected a list or an object, got {}",
                    other
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "undefined".into())
                ))
            }
        },
    };
    let mut output = Map::new();
    for iteration in iterations {
        let ctx = match &iteration {
            None => ctx.clone(),
            Some((key, value)) => {
                let mut c = ctx.clone();
                if let Val::Object(o) = &mut c {
                    o.insert(
                        "each".into(),
                        Val::from(&json!({"key": key, "value": value})),
                    );
                }
                c
            }
        };
        let input = render_value(&step.input, &ctx)?.unwrap_or_else(|| json!({}));
        let Value::Object(input) = input else {
            return fail("input is not an object");
        };
        if let Some((key, _)) = &iteration {
            log(format!("Running {}[{key}]", step.action));
        }
        let out = run_action(&step.action, &input, run, ws, log)?;
        for (k, v) in out {
            if iteration.is_some() {
                let slot = output.entry(k).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = slot {
                    a.push(v);
                }
            } else {
                output.insert(k, v);
            }
        }
    }
    Ok(Value::Object(output))
}

/// `Some(reason)` for actions a local run cannot do.
fn needs_outside_world(action: &str) -> Option<String> {
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

fn str_input<'a>(input: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

fn run_action(
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
            let path = resolve_source(&run.base_dir, url)?;
            let bytes = std::fs::read(&path).map_err(|e| StepError::Fail(format!("{url}: {e}")))?;
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
            for p in paths.iter().filter_map(Value::as_str) {
                let dir = join_inside("", p)?;
                let prefix = if dir.is_empty() {
                    String::new()
                } else {
                    format!("{dir}/")
                };
                for (path, entry) in ws.iter() {
                    let Some(rest) = path.strip_prefix(&prefix) else {
                        continue;
                    };
                    if rest.is_empty() || (!recursive && rest.contains('/')) {
                        continue;
                    }
                    let name = rest.rsplit('/').next().unwrap_or(rest);
                    let item = json!({"name": name, "path": path, "fullPath": path});
                    match entry {
                        Entry::Dir => folders.push(item),
                        _ => files.push(item),
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

fn glob(pattern: &str) -> Result<GlobMatcher, StepError> {
    GlobBuilder::new(pattern.trim_start_matches("./"))
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| StepError::Fail(format!("bad glob {pattern:?}: {e}")))
}

/// A source path inside the template's folder. Remote URLs need the
/// network: skipped.
fn resolve_source(base: &Path, url: &str) -> Result<PathBuf, StepError> {
    if url.contains("://") {
        return Err(StepError::Skip(format!(
            "fetching {url} needs the network; local runs only read the template's folder"
        )));
    }
    let rel = join_inside("", url).map_err(|_| {
        StepError::Fail(format!(
            "{url}: relative path is not allowed to refer to a directory outside the template's folder"
        ))
    })?;
    Ok(if rel.is_empty() {
        base.to_path_buf()
    } else {
        base.join(rel)
    })
}

/// Every entry under `url` (relative to the template's folder), as
/// relative paths, directories included. Symlinks are kept as links (never
/// followed).
fn read_source_dir(base: &Path, url: &str) -> Result<Vec<(String, Entry)>, StepError> {
    let root = resolve_source(base, url)?;
    if !root.is_dir() {
        return fail(format!(
            "{url}: no such directory in the template's folder ({})",
            root.display()
        ));
    }
    let mut out = Vec::new();
    let mut stack = vec![(root.clone(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| StepError::Fail(format!("{}: {e}", dir.display())))?;
        for entry in entries {
            let entry = entry.map_err(|e| StepError::Fail(format!("{}: {e}", dir.display())))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let ft = entry
                .file_type()
                .map_err(|e| StepError::Fail(format!("{}: {e}", path.display())))?;
            if ft.is_symlink() {
                let target = std::fs::read_link(&path)
                    .map_err(|e| StepError::Fail(format!("{}: {e}", path.display())))?;
                out.push((child, Entry::Symlink(target.to_string_lossy().into_owned())));
            } else if ft.is_dir() {
                out.push((child.clone(), Entry::Dir));
                stack.push((path, child));
            } else {
                let bytes = std::fs::read(&path)
                    .map_err(|e| StepError::Fail(format!("{}: {e}", path.display())))?;
                out.push((
                    child,
                    Entry::File {
                        bytes,
                        executable: is_executable(&path),
                    },
                ));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// `isbinaryfile`'s gist: NUL bytes or text that is not UTF-8.
fn is_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    head.contains(&0) || std::str::from_utf8(bytes).is_err()
}

/// The scaffolder's `containsSkippedContent`: an empty rendered path, or
/// one with an empty segment, is left out.
fn skipped_path(p: &str) -> bool {
    p.is_empty() || p.starts_with('/') || p.contains("//")
}

struct GlobList {
    include: Vec<GlobMatcher>,
    exclude: Vec<GlobMatcher>,
}

impl GlobList {
    fn new(patterns: &[String]) -> Result<GlobList, StepError> {
        let mut include = Vec::new();
        let mut exclude = Vec::new();
        for p in patterns {
            match p.strip_prefix('!') {
                Some(neg) => exclude.push(glob(neg)?),
                None => include.push(glob(p)?),
            }
        }
        Ok(GlobList { include, exclude })
    }

    fn matches(&self, path: &str) -> bool {
        self.include.iter().any(|g| g.is_match(path))
            && !self.exclude.iter().any(|g| g.is_match(path))
    }
}

fn fetch_template(
    action: &str,
    input: &Map<String, Value>,
    run: &LocalRun,
    ws: &mut Workspace,
    log: &mut dyn FnMut(String),
) -> Result<(), StepError> {
    let url = str_input(input, "url").ok_or(StepError::Fail("url is required".into()))?;
    let cookiecutter = input
        .get("cookiecutterCompat")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let replace = input
        .get("replace")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let syntax = Syntax {
        cookiecutter,
        trim_blocks: input
            .get("trimBlocks")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        lstrip_blocks: input
            .get("lstripBlocks")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    let values = input.get("values").cloned().unwrap_or_else(|| json!({}));
    let ctx = Val::from(&if cookiecutter {
        json!({ "cookiecutter": values })
    } else {
        json!({ "values": values })
    });
    let copy_raw: Vec<String> = match input.get("copyWithoutTemplating") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    let extension = match input.get("templateFileExtension") {
        Some(Value::Bool(true)) => Some(".njk".to_string()),
        Some(Value::String(e)) if !e.is_empty() => Some(if e.starts_with('.') {
            e.clone()
        } else {
            format!(".{e}")
        }),
        _ => None,
    };
    if extension.is_some() && (!copy_raw.is_empty() || cookiecutter) {
        return fail("templateFileExtension cannot be combined with copyWithoutTemplating or cookiecutterCompat");
    }

    if action == "fetch:template:file" {
        let target = str_input(input, "targetPath")
            .ok_or(StepError::Fail("targetPath is required".into()))?;
        let dest = join_inside("", target)?;
        let path = resolve_source(&run.base_dir, url)?;
        let bytes = std::fs::read(&path).map_err(|e| StepError::Fail(format!("{url}: {e}")))?;
        if ws.contains_key(&dest) && !replace {
            log(format!("File {dest} exists already, not replacing it"));
            return Ok(());
        }
        let bytes = if is_binary(&bytes) {
            bytes
        } else {
            let text = String::from_utf8_lossy(&bytes);
            expr::render_str(&text, &ctx, syntax)?.into_bytes()
        };
        ws.insert(
            dest,
            Entry::File {
                bytes,
                executable: is_executable(&path),
            },
        );
        return Ok(());
    }

    let target = join_inside("", str_input(input, "targetPath").unwrap_or("./"))?;
    log("Fetching template content".to_string());
    let entries = read_source_dir(&run.base_dir, url)?;
    let raw = GlobList::new(&copy_raw)?;
    log(format!(
        "Processing {} template files/directories with input values {}",
        entries.len(),
        serde_json::to_string(&values).unwrap_or_default()
    ));
    for (location, entry) in entries {
        let is_dir = matches!(entry, Entry::Dir);
        // Rendered with the trailing slash directories carry in globby.
        let marked = if is_dir {
            format!("{location}/")
        } else {
            location.clone()
        };
        let (render_contents, mut out_path) = match &extension {
            Some(ext) => {
                let templated = !is_dir && location.ends_with(ext.as_str());
                let stripped = if templated {
                    marked[..marked.len() - ext.len()].to_string()
                } else {
                    marked.clone()
                };
                (templated, stripped)
            }
            None => (!raw.matches(&location), marked.clone()),
        };
        out_path = expr::render_str(&out_path, &ctx, syntax)?;
        if skipped_path(&out_path) {
            continue;
        }
        let dest = join_inside(&target, &out_path)?;
        if dest.is_empty() {
            continue;
        }
        if ws.contains_key(&dest) && !replace {
            continue;
        }
        match entry {
            Entry::Dir => {
                log(format!(
                    "Writing directory {location} to template output path."
                ));
                ws.insert(dest, Entry::Dir);
            }
            Entry::Symlink(link) => {
                log(format!(
                    "Copying file binary or symbolic link at {location}, to template output path."
                ));
                ws.insert(dest, Entry::Symlink(link));
            }
            Entry::File { bytes, executable } => {
                let bytes = if is_binary(&bytes) {
                    log(format!(
                        "Copying file binary or symbolic link at {location}, to template output path."
                    ));
                    bytes
                } else if render_contents {
                    log(format!("Writing file {location} to template output path."));
                    let text = String::from_utf8(bytes).unwrap_or_default();
                    expr::render_str(&text, &ctx, syntax)
                        .map_err(|e| StepError::Fail(format!("{location}: {e}")))?
                        .into_bytes()
                } else {
                    log(format!(
                        "Copying file/directory {location} without processing."
                    ));
                    bytes
                };
                ws.insert(dest, Entry::File { bytes, executable });
            }
        }
    }
    log(format!("Template result written to ./{target}"));
    Ok(())
}
