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

mod builtin;
mod fetch;
mod globby;
mod input_schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use callboard_core::template::expr::{self, render_value, Val};
use callboard_core::template::{RunEvent, StepStatus, Template};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::fs_guard::{self, Entry};
use builtin::{needs_outside_world, run_action};
pub(crate) use fetch::{inside_template, read_template_file};

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
    /// The folder the workspace is written to, when known: `fs:readdir`
    /// gives `fullPath`s under it, as the server gives them under its
    /// workspace folder.
    pub workspace_dir: Option<PathBuf>,
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
pub(super) enum StepError {
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

pub(super) fn fail<T>(msg: impl Into<String>) -> Result<T, StepError> {
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
    let mut run = run.clone();
    if run.workspace_dir.is_none() {
        run.workspace_dir =
            Some(std::path::absolute(target).unwrap_or_else(|_| target.to_path_buf()));
    }
    let mut outcome = plan_local(template, &run, emit);
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

/// A step's `each` may list at most this many items.
pub const MAX_EACH: usize = 100_000;
/// The files of one run may take at most this much in all (256 MiB).
pub const MAX_RUN_BYTES: u64 = 256 << 20;
/// The bytes of template files one step's iterations may read in all
/// (1 GiB).
pub const MAX_STEP_WORK_BYTES: u64 = 1 << 30;

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
    if iterations.len() > MAX_EACH {
        return fail(format!(
            "each: {} items, over the limit of {MAX_EACH}",
            iterations.len()
        ));
    }
    let mut output = Map::new();
    let mut work = 0u64;
    // One copy of the context for all iterations, `each` replaced in it
    // (a copy per iteration made `each` quadratic).
    let mut each_ctx = step.each.as_ref().map(|_| ctx.clone());
    for iteration in iterations {
        let ctx = match (&iteration, &mut each_ctx) {
            (Some((key, value)), Some(c)) => {
                if let Val::Object(o) = c {
                    o.insert(
                        "each".into(),
                        Val::from(&json!({"key": key, "value": value})),
                    );
                }
                &*c
            }
            _ => ctx,
        };
        for e in expr::render_failures(&step.input, ctx) {
            log(format!(
                "warning: {e}; kept as written, as the scaffolder keeps an input that fails to render"
            ));
        }
        let input = render_value(&step.input, ctx)?.unwrap_or_else(|| json!({}));
        let Value::Object(input) = input else {
            return fail("input is not an object");
        };
        if let Some((key, _)) = &iteration {
            log(format!("Running {}[{key}]", step.action));
        }
        fetch::take_read_bytes();
        input_schema::check(&step.action, &input).map_err(StepError::Fail)?;
        let out = run_action(&step.action, &input, run, ws, log)?;
        let bytes: u64 = ws
            .values()
            .map(|e| match e {
                Entry::File { bytes, .. } => bytes.len() as u64,
                _ => 0,
            })
            .sum();
        if bytes > MAX_RUN_BYTES {
            return fail(format!(
                "the run's files are over {} MiB in all; stopped (nothing was written)",
                MAX_RUN_BYTES >> 20
            ));
        }
        // A long `each` over a big skeleton is stopped even when it
        // rewrites the same files: the template files each iteration read.
        work += fetch::take_read_bytes();
        if work > MAX_STEP_WORK_BYTES {
            return fail(format!(
                "each: the step's iterations read over {} MiB of template files in all; stopped (nothing was written)",
                MAX_STEP_WORK_BYTES >> 20
            ));
        }
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
