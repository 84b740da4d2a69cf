//! `callboard template list` and `callboard template run`: the headless
//! front end of templates.
//!
//! `run` fills values from `--values FILE` and `--set k=v`, applies the
//! schema defaults (the server does not), validates, then either runs
//! locally into `--out DIR` (showing the file tree first), previews
//! (`--dry-run`, locally or with `--remote` through the server's dry-run),
//! or creates a task on `--remote` and follows its log (Ctrl-C cancels it).
//!
//! Exit codes: 0 the run succeeded; 1 it failed (or was cancelled); 2 it
//! could not start (unknown template, bad arguments, invalid values).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use callboard_core::catalog::entity_ref::{split_ref, DEFAULT_NAMESPACE};
use callboard_core::catalog::Origin;
use callboard_core::template::tree::file_tree_lines;
use callboard_core::template::{schema, RunEvent, StepStatus, Template};
use callboard_io::config::{Endpoint, SourceKind};
use callboard_io::remotes::Cancel;
use callboard_io::template::actions::{plan_local, LocalRun, Outcome};
use callboard_io::template::catalog::{
    catalog_templates, reads_template_folder, skeleton_files, CatalogTemplate,
};
use callboard_io::template::remote::Scaffolder;

use crate::cli::exit::{EXIT_ERROR, EXIT_NO, EXIT_OK};
use crate::cli::json::print_json;
use crate::cli::output::{clean, footer, render_table};
use crate::cli::session::Session;
use callboard_core::text::counted;

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// List the software templates in the catalog.
    List,
    /// Show a template's parameters: per page, each field's type, whether
    /// it is required, default, allowed values and names, pattern and
    /// description (what `run --set` takes).
    Show {
        /// The template: `name`, `namespace/name` or `template:namespace/name`.
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Run a template locally (into --out), preview it (--dry-run), or run
    /// it on a Backstage backend (--remote).
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The template: `name`, `namespace/name` or `template:namespace/name`.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// A value, `key=value` (repeatable; dotted keys nest). A choice takes
    /// its value or display name; a boolean true/false/yes/no/on/off/1/0;
    /// a list a JSON list or comma-separated items; text as written.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Values from a YAML or JSON file (before any --set).
    #[arg(long, value_name = "FILE")]
    pub values: Option<PathBuf>,
    /// Run on this backend (a configured source name or a URL; token from
    /// the source's config or CALLBOARD_TOKEN).
    #[arg(long, value_name = "ENDPOINT")]
    pub remote: Option<String>,
    /// Show what would be produced without writing anything (with
    /// --remote: the server's dry-run).
    #[arg(long)]
    pub dry_run: bool,
    /// The directory a local run writes into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Overwrite files that already exist in --out.
    #[arg(long)]
    pub force: bool,
}

pub fn run(ctx: &Session, command: TemplateCommand, out: &mut dyn Write) -> Result<u8> {
    match command {
        TemplateCommand::List => cmd_list(ctx, out),
        TemplateCommand::Show { name } => super::template_show::cmd_show(ctx, &name, out),
        TemplateCommand::Run(args) => cmd_run(ctx, args, out),
    }
}

fn cmd_list(ctx: &Session, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.store()?;
    let (templates, problems) = catalog_templates(&store);
    for p in &problems {
        eprintln!("callboard: {}", clean(p));
    }
    if ctx.json {
        let items: Vec<Value> = templates
            .iter()
            .map(|t| {
                let t2 = &t.template;
                json!({"ref": t2.entity_ref(), "name": t2.name, "namespace": t2.namespace,
                       "title": t2.title, "description": t2.description, "tags": t2.tags,
                       "owner": t2.owner, "type": t2.kind_type,
                       "steps": t2.steps.iter().map(|s| json!({"id": s.id, "action": s.action})).collect::<Vec<_>>(),
                       "location": t.origin.location})
            })
            .collect();
        print_json(out, &json!({ "templates": items }))?;
    } else {
        let rows: Vec<[String; 4]> = templates
            .iter()
            .map(|t| {
                let t = &t.template;
                [
                    clean(&t.name),
                    clean(t.owner.as_deref().unwrap_or("")),
                    clean(&t.tags.join(",")),
                    clean(&match &t.description {
                        Some(d) => format!("{} — {}", t.display_title(), d),
                        None => t.display_title().to_string(),
                    }),
                ]
            })
            .collect();
        out.write_all(render_table(&rows).as_bytes())?;
        footer(&counted(rows.len(), "template"));
    }
    Ok(if templates.is_empty() {
        EXIT_NO
    } else {
        EXIT_OK
    })
}

pub(super) fn usage(message: String) -> Result<u8> {
    eprintln!("callboard: {}", clean(&message));
    Ok(EXIT_ERROR)
}

/// `name`, `ns/name` or `template:ns/name` (kind in any case) →
/// (namespace, name). Another kind, or a string that is not a ref, is
/// taken whole as a name, which no template has.
fn split_template_ref(input: &str) -> (String, String) {
    match split_ref(input) {
        Ok(parts)
            if parts
                .kind
                .is_none_or(|k| k.eq_ignore_ascii_case("template")) =>
        {
            (
                parts.namespace.unwrap_or(DEFAULT_NAMESPACE).to_lowercase(),
                parts.name.to_string(),
            )
        }
        _ => (DEFAULT_NAMESPACE.into(), input.to_string()),
    }
}

fn scaffolder_for(ctx: &Session, endpoint: &str) -> Result<Scaffolder> {
    let wanted = callboard_io::config::normalize_url(endpoint);
    for source in &ctx.sources {
        if let SourceKind::Remote(ep) = &source.kind {
            if source.name == endpoint || ep.url == wanted {
                return ctx
                    .remotes
                    .scaffolder(&source.name, ep)
                    .map_err(anyhow::Error::from);
            }
        }
    }
    callboard_io::config::check_url("--remote", &wanted)?;
    let ep = Endpoint::from_url(endpoint);
    ctx.remotes
        .scaffolder(&ep.url, &ep)
        .map_err(anyhow::Error::from)
}

/// Prints run events as they come (stderr, so stdout stays the result).
struct Progress {
    json: bool,
}

impl Progress {
    fn show(&self, e: &RunEvent) {
        if self.json {
            return;
        }
        let line = match e {
            RunEvent::TaskCreated { task_id } => format!("task {task_id}"),
            RunEvent::StepStarted { name, .. } => format!("▶ {name}"),
            RunEvent::Log { step, line } => {
                let prefix = step
                    .as_deref()
                    .map(|s| format!("  [{s}] "))
                    .unwrap_or_else(|| "  ".into());
                line.lines()
                    .map(|l| format!("{prefix}{l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            RunEvent::StepFinished { id, status } => match status {
                StepStatus::Completed => format!("✓ {id}"),
                other => format!("✗ {id} {}", other.as_str()),
            },
            RunEvent::Skipped { id, reason } => format!("– {id} skipped: {reason}"),
            RunEvent::Completed { .. } => "completed".into(),
            RunEvent::Failed { message } => format!("failed: {message}"),
        };
        eprintln!("{}", callboard_core::text::sanitize(&line));
    }
}

fn step_json(outcome: &Outcome) -> Vec<Value> {
    outcome
        .steps
        .iter()
        .map(|s| json!({"id": s.id, "name": s.name, "action": s.action, "status": s.status, "reason": s.reason}))
        .collect()
}

fn print_output(out: &mut dyn Write, output: &Value) -> Result<()> {
    for link in output
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let title = link.get("title").and_then(Value::as_str).unwrap_or("link");
        let target = link
            .get("url")
            .or_else(|| link.get("entityRef"))
            .and_then(Value::as_str)
            .unwrap_or("");
        writeln!(out, "{}: {}", clean(title), clean(target))?;
    }
    for text in output
        .get("text")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(t) = text.get("title").and_then(Value::as_str) {
            writeln!(out, "{}", clean(t))?;
        }
        if let Some(c) = text.get("content").and_then(Value::as_str) {
            writeln!(out, "{}", callboard_core::text::sanitize(c))?;
        }
    }
    Ok(())
}

/// The catalog's template for `name` (`name`, `ns/name` or a full ref).
pub(super) fn find_local_template(
    templates: Vec<CatalogTemplate>,
    input: &str,
) -> Option<CatalogTemplate> {
    let (namespace, name) = split_template_ref(input);
    templates.into_iter().find(|t| {
        t.template.namespace.eq_ignore_ascii_case(&namespace)
            && t.template.name.eq_ignore_ascii_case(&name)
    })
}

fn cmd_run(ctx: &Session, args: RunArgs, out: &mut dyn Write) -> Result<u8> {
    let (namespace, name) = split_template_ref(&args.name);
    let template_ref = format!("template:{namespace}/{name}");
    let store = ctx.store()?;
    let (templates, _) = catalog_templates(&store);
    let local = find_local_template(templates, &args.name);
    let remote = match &args.remote {
        Some(ep) => Some(scaffolder_for(ctx, ep)?),
        None => None,
    };
    let found = match (local, &remote) {
        (Some(t), _) => t,
        (None, Some(client)) => {
            // Not in the local catalog: ask the backend's catalog.
            let entity = match ctx
                .remotes
                .block_on(client.catalog_entity("template", &namespace, &name))
            {
                Ok(e) => e,
                Err(e) => return usage(format!("template {template_ref}: {e}")),
            };
            match Template::from_entity(&entity) {
                Ok(template) => CatalogTemplate {
                    template,
                    origin: Origin {
                        source: "remote".into(),
                        location: "url:remote".into(),
                        line: None,
                    },
                },
                Err(e) => return usage(e.to_string()),
            }
        }
        (None, None) => {
            return usage(format!(
                "no template '{}' in the catalog; `callboard template list` shows them",
                args.name
            ))
        }
    };
    let template = &found.template;
    let pages = template.parameter_steps();
    let (mut values, given) =
        match super::template_set::collect_values(args.values.as_deref(), &args.set, pages) {
            Ok(v) => v,
            Err(e) => return usage(e),
        };
    // The server does not apply schema defaults: callboard does.
    schema::apply_defaults(pages, &mut values);
    // The backend checks every page, also those a form hides (`when`);
    // a local run needs only the pages the form would show.
    let problems = if remote.is_some() {
        schema::validate(pages, &values)
    } else {
        schema::validate_shown(pages, &values)
    };
    let errors = super::template_set::explain(pages, &values, &given, problems);
    if !errors.is_empty() {
        if ctx.json {
            let errs: Vec<Value> = errors
                .iter()
                .map(|e| json!({"path": e.path, "message": e.message}))
                .collect();
            print_json(
                out,
                &json!({"template": template.entity_ref(), "status": "invalid", "errors": errs}),
            )?;
        }
        eprintln!(
            "callboard: invalid values for {}:",
            clean(&template.entity_ref())
        );
        for e in &errors {
            eprintln!("  {}: {}", clean(&e.path), clean(&e.message));
        }
        return Ok(EXIT_ERROR);
    }
    let (plain, secrets) = schema::split_secrets(pages, &values);
    let progress = Progress { json: ctx.json };

    match (&remote, args.dry_run) {
        (Some(client), false) => {
            let mut events = Vec::new();
            // Ctrl-C cancels the task on the server; the run then ends.
            let cancel = Cancel::new();
            let ctrl_c = ctx.remotes.cancel_on_ctrl_c(&cancel, || {
                eprintln!("callboard: cancelling the task…");
            });
            let result = ctx.remotes.run_template(
                client,
                &template.entity_ref(),
                &plain,
                &secrets,
                &mut |e| {
                    progress.show(&e);
                    events.push(e);
                },
                &cancel,
            );
            drop(ctrl_c);
            let outcome = match result {
                Ok(o) => o,
                Err(e) if !e.validation.is_empty() => {
                    eprintln!("callboard: the backend refused the values:");
                    for v in &e.validation {
                        eprintln!("  {}", clean(v));
                    }
                    return Ok(EXIT_ERROR);
                }
                Err(e) => {
                    eprintln!("callboard: {}", clean(&e.message));
                    return Ok(EXIT_NO);
                }
            };
            let status = if outcome.succeeded {
                "completed"
            } else if outcome.cancelled {
                "cancelled"
            } else {
                "failed"
            };
            if ctx.json {
                print_json(
                    out,
                    &json!({"template": template.entity_ref(), "mode": "remote", "task_id": outcome.task_id,
                    "status": status, "output": outcome.output, "error": outcome.error}),
                )?;
            } else {
                print_output(out, &outcome.output)?;
                if let Some(e) = &outcome.error {
                    eprintln!("callboard: {}", clean(e));
                }
            }
            Ok(if outcome.succeeded { EXIT_OK } else { EXIT_NO })
        }
        (Some(client), true) => {
            let files = match found.base_dir() {
                Some(dir) => skeleton_files(template, &dir)?,
                None if reads_template_folder(template) => {
                    return usage(format!(
                        "{} reads files from its own folder, which is not on this machine; \
                         the server's dry-run needs them: point --source at a local copy of the template",
                        template.entity_ref()
                    ))
                }
                None => Vec::new(),
            };
            let dry = match ctx
                .remotes
                .block_on(client.dry_run(template, &plain, &secrets, &files))
            {
                Ok(d) => d,
                Err(e) if !e.validation.is_empty() => {
                    eprintln!("callboard: the backend refused the values:");
                    for v in &e.validation {
                        eprintln!("  {}", clean(v));
                    }
                    return Ok(EXIT_ERROR);
                }
                Err(e) => {
                    eprintln!("callboard: {}", clean(&e.message));
                    return Ok(EXIT_NO);
                }
            };
            for e in &dry.log {
                progress.show(e);
            }
            let failed = dry.log.iter().any(|e| {
                matches!(
                    e,
                    RunEvent::StepFinished {
                        status: StepStatus::Failed,
                        ..
                    }
                )
            });
            if ctx.json {
                let files: Vec<Value> = dry
                    .files
                    .iter()
                    .map(|(p, b, x)| json!({"path": p, "size": b.len(), "executable": x}))
                    .collect();
                print_json(
                    out,
                    &json!({"template": template.entity_ref(), "mode": "remote-dry-run",
                    "status": if failed {"failed"} else {"completed"}, "files": files, "output": dry.output}),
                )?;
            } else {
                for line in file_tree_lines(dry.files.iter().map(|(p, b, _)| (p.as_str(), b.len())))
                {
                    writeln!(out, "{line}")?;
                }
                print_output(out, &dry.output)?;
            }
            Ok(if failed { EXIT_NO } else { EXIT_OK })
        }
        (None, dry_run) => {
            let Some(base_dir) = found.base_dir() else {
                return usage(format!(
                    "{} comes from {}; its files are not on this machine: use --remote",
                    template.entity_ref(),
                    found.origin.location
                ));
            };
            if !dry_run && args.out.is_none() {
                return usage("a local run needs --out DIR (or --dry-run to preview)".into());
            }
            let run = LocalRun {
                base_dir,
                values: plain,
                secrets,
                user: json!({}),
                dry_run,
                template_ref: template.entity_ref(),
                workspace_dir: args
                    .out
                    .as_ref()
                    .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.clone())),
            };
            let mut outcome = plan_local(template, &run, &mut |e| progress.show(&e));
            let files: Vec<(String, usize)> = outcome
                .files()
                .map(|(p, b)| (p.to_string(), b.len()))
                .collect();
            if !ctx.json && outcome.error.is_none() {
                match &args.out {
                    Some(dir) if !dry_run => writeln!(
                        out,
                        "{} into {}:",
                        counted(files.len(), "file"),
                        clean(&dir.display().to_string())
                    )?,
                    _ => writeln!(out, "{} would be written:", counted(files.len(), "file"))?,
                }
                for line in file_tree_lines(files.iter().map(|(p, n)| (p.as_str(), *n))) {
                    writeln!(out, "{line}")?;
                }
            }
            let mut written = false;
            if let (Some(dir), false, None) = (&args.out, dry_run, &outcome.error) {
                match callboard_io::template::fs_guard::write_tree(
                    dir,
                    outcome.workspace.iter().map(|(p, e)| (p.as_str(), e)),
                    args.force,
                ) {
                    Ok(_) => written = true,
                    Err(e) => outcome.error = Some(format!("writing into {}: {e}", dir.display())),
                }
            }
            let status = if outcome.error.is_some() {
                "failed"
            } else {
                "completed"
            };
            if ctx.json {
                let files: Vec<Value> = files
                    .iter()
                    .map(|(p, n)| json!({"path": p, "size": n}))
                    .collect();
                print_json(
                    out,
                    &json!({"template": template.entity_ref(), "mode": if dry_run {"dry-run"} else {"local"},
                    "status": status, "written": written, "out": args.out, "steps": step_json(&outcome),
                    "files": files, "output": outcome.output, "error": outcome.error}),
                )?;
            } else {
                if outcome.error.is_none() {
                    print_output(out, &outcome.output)?;
                }
                if let Some(e) = &outcome.error {
                    eprintln!("callboard: {}", clean(e));
                }
            }
            Ok(if outcome.error.is_some() {
                EXIT_NO
            } else {
                EXIT_OK
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_template_ref;

    #[test]
    fn template_refs_split_like_entity_refs() {
        let pair = |ns: &str, name: &str| (ns.to_string(), name.to_string());
        assert_eq!(split_template_ref("svc"), pair("default", "svc"));
        assert_eq!(split_template_ref("Ops/svc"), pair("ops", "svc"));
        assert_eq!(split_template_ref("template:ops/svc"), pair("ops", "svc"));
        // The kind compares ignoring case, as Backstage's refs do.
        assert_eq!(split_template_ref("TEMPLATE:svc"), pair("default", "svc"));
        assert_eq!(
            split_template_ref("component:svc"),
            pair("default", "component:svc")
        );
        assert_eq!(split_template_ref("ops/na:me"), pair("ops", "na:me"));
    }
}
