//! The template job of the detail worker: read a template entity and its
//! folder and any saved draft, save and forget drafts, plan a local run (in
//! memory), and start runs, local or on Backstage, each on a thread of its
//! own (`debug:wait` sleeps) that streams [`RunEvent`]s.

use std::path::Path;

use serde_json::Value;

use super::WorkerConfig;
use crate::messages::templates::{Opened, Plan, RunInput, TemplateMsg, TemplateRequest};
use crate::messages::{Msg, UiSender};
use callboard_core::catalog::EntityLookup;
use callboard_core::template::{RunEvent, StepStatus, Template};
use callboard_io::cache::Cache;
use callboard_io::template::actions::{plan_local, run_local, LocalRun};
use callboard_io::template::draft::Drafts;
use callboard_io::template::fs_guard::Entry;

fn drafts(cache: &Cache) -> Drafts {
    Drafts::new(cache.dir().join("drafts"))
}

/// Answer one request (called on the detail worker; runs get a thread of
/// their own, since `debug:wait` sleeps).
pub fn serve(
    request: TemplateRequest,
    config: &WorkerConfig,
    store: Option<&callboard_io::cache::Store>,
    ui: &UiSender,
) {
    let cache = &config.cache;
    let send = |m: TemplateMsg| {
        let _ = ui.send(Msg::Template(Box::new(m)));
    };
    match request {
        TemplateRequest::Open(key) => {
            let result = match store.and_then(|s| s.get(&key)) {
                None => Err(format!(
                    "{key} is not in the catalog (sync, then try again)"
                )),
                Some(found) => {
                    let base_dir = found
                        .origin
                        .location
                        .strip_prefix("file:")
                        .and_then(|p| Path::new(p).parent())
                        .map(Path::to_path_buf);
                    let (draft, draft_error) = match drafts(cache).load(&key) {
                        Ok(d) => (d, None),
                        Err(e) => (None, Some(format!("{e:#}"))),
                    };
                    let remote = config
                        .sources
                        .iter()
                        .find(|s| {
                            s.name == found.origin.source
                                && matches!(s.kind, callboard_io::config::SourceKind::Remote(_))
                        })
                        .map(|s| s.name.clone());
                    Ok(Box::new(Opened {
                        entity: found.entity.to_value(),
                        // A remote entity's location is not a folder here.
                        base_dir: if remote.is_some() { None } else { base_dir },
                        draft,
                        remote,
                        draft_error,
                    }))
                }
            };
            send(TemplateMsg::Opened { key, result });
        }
        TemplateRequest::SaveDraft { key, steps, values } => {
            if let Err(e) = drafts(cache).save(&key, &steps, &values) {
                send(TemplateMsg::Notice(format!("draft not saved: {e:#}")));
            }
        }
        TemplateRequest::DeleteDraft(key) => {
            if let Err(e) = drafts(cache).delete(&key) {
                send(TemplateMsg::Notice(format!("{e:#}")));
            }
        }
        TemplateRequest::Plan(input) => {
            // In memory, and `debug:wait` does not wait: quick enough for
            // the worker itself.
            let key = input.key.clone();
            let result = local_run(&input).map(|(template, mut run)| {
                run.dry_run = true;
                let outcome = plan_local(&template, &run, &mut |_| {});
                Plan {
                    files: outcome
                        .workspace
                        .iter()
                        .filter_map(|(p, e)| match e {
                            Entry::Dir => None,
                            Entry::Symlink(t) => Some((format!("{p} -> {t}"), 0)),
                            Entry::File { bytes, .. } => Some((p.clone(), bytes.len())),
                        })
                        .collect(),
                    skipped: outcome
                        .steps
                        .iter()
                        .filter(|s| s.status == StepStatus::Skipped)
                        .map(|s| (s.name.clone(), s.reason.clone().unwrap_or_default()))
                        .collect(),
                    error: outcome.error,
                }
            });
            send(TemplateMsg::Planned { key, result });
        }
        TemplateRequest::RunRemote {
            input,
            source,
            cancel,
        } => {
            let ui = ui.clone();
            let endpoint = config.sources.iter().find_map(|s| match &s.kind {
                callboard_io::config::SourceKind::Remote(e) if s.name == source => Some(e.clone()),
                _ => None,
            });
            let drafts = drafts(cache);
            let remotes = config.remotes.clone();
            run_thread(ui.clone(), move || {
                let send = |e: RunEvent| {
                    let _ = ui.send(Msg::Template(Box::new(TemplateMsg::Event(e))));
                };
                let Some(endpoint) = endpoint else {
                    return send(RunEvent::Failed {
                        message: format!("source '{source}' is not a Backstage endpoint"),
                    });
                };
                let template_ref = input.key.clone();
                let mut emit = |e: RunEvent| send(e);
                let result = remotes.scaffolder(&source, &endpoint).and_then(|client| {
                    remotes.run_template(
                        &client,
                        &template_ref,
                        &input.values,
                        &input.secrets.0,
                        &mut emit,
                        &cancel,
                    )
                });
                match result {
                    Ok(outcome) => {
                        if outcome.succeeded {
                            let _ = drafts.delete(&input.key);
                        }
                        // The stream ends with Completed/Failed already; a
                        // final state that disagrees is reported too.
                        if let Some(e) = outcome.error {
                            send(RunEvent::Failed { message: e });
                        }
                    }
                    Err(e) => {
                        let mut message = e.message.clone();
                        for v in &e.validation {
                            message.push_str(&format!("; {v}"));
                        }
                        send(RunEvent::Failed { message });
                    }
                }
            });
        }
        TemplateRequest::Run { input, target } => {
            let ui = ui.clone();
            let drafts = drafts(cache);
            run_thread(ui.clone(), move || {
                let send = |e: RunEvent| {
                    let _ = ui.send(Msg::Template(Box::new(TemplateMsg::Event(e))));
                };
                // The final event waits until the draft is forgotten, so
                // "completed" on screen means everything is done.
                let mut last = None;
                let mut emit = |e: RunEvent| match e {
                    RunEvent::Completed { .. } | RunEvent::Failed { .. } => last = Some(e),
                    other => send(other),
                };
                match local_run(&input) {
                    Err(message) => emit(RunEvent::Failed { message }),
                    Ok((template, run)) => {
                        let outcome =
                            run_local(&template, &run, Path::new(&target), false, &mut emit);
                        if outcome.succeeded() {
                            if let Err(e) = drafts.delete(&input.key) {
                                send(RunEvent::Log {
                                    step: None,
                                    line: format!("{e:#}"),
                                });
                            }
                        }
                    }
                }
                if let Some(e) = last {
                    send(e);
                }
            });
        }
    }
}

/// A run on a thread of its own; if it panics, the run fails with the error.
fn run_thread(ui: UiSender, run: impl FnOnce() + Send + 'static) {
    std::thread::spawn(move || {
        if let Err(message) = super::guard::guarded(run) {
            let failed = RunEvent::Failed { message };
            let _ = ui.send(Msg::Template(Box::new(TemplateMsg::Event(failed))));
        }
    });
}

fn local_run(input: &RunInput) -> Result<(Template, LocalRun), String> {
    let template = Template::from_entity(&input.entity).map_err(|e| e.to_string())?;
    let base_dir = input.base_dir.clone().ok_or_else(|| {
        "this template was not read from local files, so its skeleton is not here: run it on Backstage instead".to_string()
    })?;
    Ok((
        template,
        LocalRun {
            base_dir,
            values: input.values.clone(),
            secrets: input.secrets.0.clone(),
            user: Value::Null,
            dry_run: false,
            template_ref: input.key.clone(),
            workspace_dir: None,
        },
    ))
}
