//! Software templates in the TUI: the list (`t` or `:templates`), the form
//! ([`crate::form`]), the plan of a local run (the file tree that will
//! be written, and where) and the run log.
//!
//! Everything that touches the disk (reading the template entity and its
//! folder, drafts, planning and writing a run) is a [`TemplateRequest`] for
//! the worker; its answers come back as [`TemplateMsg`]s. Secrets travel in
//! [`SecretValues`], whose `Debug` never shows them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use serde_json::{Map, Value};

use crate::app::{App, LineEdit, Message};
use crate::form::{self, FormOutcome, FormState};
use crate::keymap::{Action, Key};
use crate::worker::{Msg, UiSender, WorkerConfig};
use callboard_core::catalog::EntityLookup;
use callboard_core::search::{self, parse_query, rank, Corpus, Index, Options, Scope};
use callboard_core::template::{schema, RunEvent, StepStatus, Template};
use callboard_core::text;
use callboard_core::text::sanitize::sanitize_line;
use callboard_io::cache::Cache;
use callboard_io::template::actions::{plan_local, run_local, LocalRun};
use callboard_io::template::draft::Drafts;
use callboard_io::template::fs_guard::Entry;

/// Secret values: compared, cloned and moved, never printed.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretValues(pub Map<String, Value>);

impl std::fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretValues({} redacted)", self.0.len())
    }
}

/// Asks a remote run to cancel; compared by identity.
#[derive(Clone)]
pub struct CancelHandle(pub Arc<tokio::sync::watch::Sender<bool>>);

impl CancelHandle {
    pub fn new() -> CancelHandle {
        CancelHandle(Arc::new(tokio::sync::watch::channel(false).0))
    }

    pub fn cancel(&self) {
        let _ = self.0.send(true);
    }
}

impl Default for CancelHandle {
    fn default() -> Self {
        CancelHandle::new()
    }
}

impl PartialEq for CancelHandle {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for CancelHandle {}

impl std::fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CancelHandle")
    }
}

/// What a run needs from the form.
#[derive(Clone, PartialEq, Eq)]
pub struct RunInput {
    pub key: String,
    pub entity: Value,
    /// The template's folder (local sources only).
    pub base_dir: Option<PathBuf>,
    pub values: Map<String, Value>,
    pub secrets: SecretValues,
}

// `values` may hold `password` widget values (they travel in `values`):
// the Debug form names the keys only.
impl std::fmt::Debug for RunInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunInput")
            .field("key", &self.key)
            .field("base_dir", &self.base_dir)
            .field("values", &self.values.keys().collect::<Vec<_>>())
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

/// Work for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateRequest {
    /// The entity, its folder and any saved draft.
    Open(String),
    SaveDraft {
        key: String,
        steps: Vec<Value>,
        values: Map<String, Value>,
    },
    DeleteDraft(String),
    /// Run into memory and report the tree (nothing written).
    Plan(Box<RunInput>),
    /// Run and write into `target`.
    Run {
        input: Box<RunInput>,
        target: String,
    },
    /// Run on the Backstage backend of this source.
    RunRemote {
        input: Box<RunInput>,
        source: String,
        cancel: CancelHandle,
    },
}

/// Answers.
#[derive(Debug, Clone)]
pub enum TemplateMsg {
    Opened {
        key: String,
        result: Result<Box<Opened>, String>,
    },
    Planned {
        key: String,
        result: Result<Plan, String>,
    },
    Event(RunEvent),
    Notice(String),
}

#[derive(Debug, Clone)]
pub struct Opened {
    pub entity: Value,
    pub base_dir: Option<PathBuf>,
    pub draft: Option<Map<String, Value>>,
    /// The Backstage source it came from, for remote runs.
    pub remote: Option<String>,
    /// A draft that could not be read, and why.
    pub draft_error: Option<String>,
}

/// The file tree a local run will write.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Files (`/`-separated paths) with their sizes.
    pub files: Vec<(String, usize)>,
    /// Steps that will not run here, with the reason.
    pub skipped: Vec<(String, String)>,
    pub error: Option<String>,
}

/// One template in the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateItem {
    pub key: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub owner: String,
    pub spec_type: String,
    /// Its index in the corpus.
    record: u32,
}

/// Every `Template` entity in the catalog, in corpus order.
pub fn template_items(corpus: &Corpus) -> Vec<TemplateItem> {
    corpus
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind().eq_ignore_ascii_case("template"))
        .map(|(record, r)| {
            let title = if r.title().is_empty() {
                r.name().to_string()
            } else {
                r.title().to_string()
            };
            let tags: Vec<String> = r.tags().map(str::to_string).collect();
            TemplateItem {
                key: r.entity_ref().into_owned(),
                title,
                description: r.description().to_string(),
                tags,
                owner: r.owner().to_string(),
                spec_type: r.spec_type().to_string(),
                record: record as u32,
            }
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct TemplateList {
    /// In corpus order.
    pub items: Vec<TemplateItem>,
    pub query: LineEdit,
    /// Indices into `items` that match the query, best first.
    pub shown: Vec<usize>,
    pub cursor: usize,
    corpus: Arc<Corpus>,
    index: Option<Arc<Index>>,
}

impl TemplateList {
    /// `items` from [`template_items`] over `corpus`; `index` is the
    /// catalog list's index of it, if built.
    pub fn new(
        items: Vec<TemplateItem>,
        corpus: Arc<Corpus>,
        index: Option<Arc<Index>>,
    ) -> TemplateList {
        let mut list = TemplateList {
            items,
            query: LineEdit::default(),
            shown: Vec::new(),
            cursor: 0,
            corpus,
            index,
        };
        list.refilter();
        list
    }

    /// Rank the templates for the query, like the catalog list would
    /// (the display order, by name, when there is no text).
    fn refilter(&mut self) {
        self.cursor = 0;
        let records: Vec<u32> = self.items.iter().map(|t| t.record).collect();
        let plan = search::Plan::new(&self.corpus, &parse_query(&self.query.text));
        let options = Options::limit(usize::MAX);
        let ranking = rank(
            &self.corpus,
            self.index.as_deref(),
            &plan,
            Scope::Only(&records),
            &options,
        );
        self.shown = ranking
            .map(|r| r.hits)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|hit| records.binary_search(&hit).ok())
            .collect();
    }

    pub fn selected(&self) -> Option<&TemplateItem> {
        self.shown.get(self.cursor).map(|&i| &self.items[i])
    }
}

/// A form with what it came from.
#[derive(Debug, Clone)]
pub struct FormScreen {
    pub form: FormState,
    pub entity: Value,
    pub base_dir: Option<PathBuf>,
    /// The Backstage source it came from, for remote runs.
    pub remote: Option<String>,
}

/// The plan of a local run, waiting for the target directory.
#[derive(Debug, Clone)]
pub struct PlanScreen {
    pub form: Box<FormScreen>,
    /// None while planning.
    pub plan: Option<Result<Plan, String>>,
    pub target: LineEdit,
    pub offset: usize,
}

/// A run in progress or done.
#[derive(Debug, Clone)]
pub struct RunScreen {
    pub form: Box<FormScreen>,
    /// The directory written, or the endpoint.
    pub target: String,
    pub log: crate::run_log::RunLog,
    /// Remote runs can be cancelled.
    pub cancel: Option<CancelHandle>,
}

impl RunScreen {
    fn new(form: Box<FormScreen>, target: String, cancel: Option<CancelHandle>) -> RunScreen {
        let steps: Vec<(String, String)> = Template::from_entity(&form.entity)
            .map(|t| {
                t.steps
                    .iter()
                    .map(|s| (s.id.clone(), s.name.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let log = crate::run_log::RunLog::new(&form.form.title, steps);
        RunScreen {
            form,
            target,
            log,
            cancel,
        }
    }

    pub fn is_finished(&self) -> bool {
        self.log.is_finished()
    }
}

#[derive(Debug, Clone)]
pub enum TemplateScreen {
    List(TemplateList),
    Loading {
        key: String,
        list: Option<TemplateList>,
    },
    Form(Box<FormScreen>, Option<TemplateList>),
    Plan(Box<PlanScreen>),
    Run(Box<RunScreen>),
}

// ----------------------------------------------------------------------
// The worker side
// ----------------------------------------------------------------------

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
            std::thread::spawn(move || {
                let send = |e: RunEvent| {
                    let _ = ui.send(Msg::Template(Box::new(TemplateMsg::Event(e))));
                };
                let Some(endpoint) = endpoint else {
                    return send(RunEvent::Failed {
                        message: format!("source '{source}' is not a Backstage endpoint"),
                    });
                };
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        return send(RunEvent::Failed {
                            message: format!("cannot start the run: {e}"),
                        })
                    }
                };
                let template_ref = input.key.clone();
                let result = runtime.block_on(async {
                    let client =
                        callboard_io::template::remote::Scaffolder::new(&source, &endpoint)?;
                    let mut emit = |e: RunEvent| send(e);
                    callboard_io::template::remote::run_remote(
                        &client,
                        &template_ref,
                        &input.values,
                        &input.secrets.0,
                        &mut emit,
                        cancel.0.subscribe(),
                    )
                    .await
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
            std::thread::spawn(move || {
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
        },
    ))
}

// ----------------------------------------------------------------------
// The app side
// ----------------------------------------------------------------------

fn is_template_ref(key: &str) -> bool {
    key.split(':')
        .next()
        .is_some_and(|k| k.eq_ignore_ascii_case("template"))
}

impl App {
    fn template_request(&mut self, r: TemplateRequest) {
        self.effects.push(crate::app::Effect::Request(
            crate::worker::Request::Template(Box::new(r)),
        ));
    }

    fn note(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        if error {
            self.last_error = Some(text.clone());
        }
        self.message = Some(Message {
            text,
            error,
            at_ms: self.now_ms,
        });
    }

    /// `t` / `:templates`: the list of templates in the catalog.
    pub fn open_templates(&mut self) {
        let Some(picker) = &self.picker else {
            return self.note("the catalog is still loading", false);
        };
        let items = template_items(picker.corpus());
        if items.is_empty() {
            return self.note("no templates in the catalog (kind: Template)", false);
        }
        let list = TemplateList::new(items, picker.corpus().clone(), picker.index());
        self.templates = Some(TemplateScreen::List(list));
    }

    /// Open a template's form if `key` is a template; false otherwise.
    pub fn open_template_form(&mut self, key: &str, list: Option<TemplateList>) -> bool {
        if !is_template_ref(key) {
            return false;
        }
        self.templates = Some(TemplateScreen::Loading {
            key: key.to_string(),
            list,
        });
        self.template_request(TemplateRequest::Open(key.to_string()));
        true
    }

    pub fn template_msg(&mut self, msg: TemplateMsg) {
        self.dirty = true;
        match msg {
            TemplateMsg::Notice(text) => self.note(text, true),
            TemplateMsg::Opened { key, result } => {
                let Some(TemplateScreen::Loading { key: waiting, list }) = self.templates.take()
                else {
                    return;
                };
                if waiting != key {
                    return;
                }
                let opened = match result {
                    Ok(o) => o,
                    Err(e) => {
                        self.templates = list.map(TemplateScreen::List);
                        return self.note(e, true);
                    }
                };
                let template = match Template::from_entity(&opened.entity) {
                    Ok(t) => t,
                    Err(e) => {
                        self.templates = list.map(TemplateScreen::List);
                        return self.note(e.to_string(), true);
                    }
                };
                let corpus: Option<Arc<Corpus>> = self.picker.as_ref().map(|p| p.corpus().clone());
                let index = self.picker.as_ref().and_then(|p| p.index());
                let mut form = FormState::new(
                    &key,
                    template.display_title(),
                    template.parameter_steps().to_vec(),
                    corpus,
                )
                .with_index(index);
                if let Some(draft) = opened.draft {
                    form.offer_draft(draft);
                }
                if let Some(e) = opened.draft_error {
                    self.note(e, true);
                }
                self.templates = Some(TemplateScreen::Form(
                    Box::new(FormScreen {
                        form,
                        entity: opened.entity,
                        base_dir: opened.base_dir,
                        remote: opened.remote,
                    }),
                    list,
                ));
            }
            TemplateMsg::Planned { key, result } => {
                if let Some(TemplateScreen::Plan(p)) = &mut self.templates {
                    if p.form.form.template_ref == key {
                        // A template that writes everything under one folder
                        // named like the default target (`targetPath:
                        // ./${{ parameters.name }}`) would nest it twice:
                        // offer the current directory instead.
                        if let Ok(plan) = &result {
                            let default = p.target.text.strip_prefix("./").unwrap_or_default();
                            let all_inside = !plan.files.is_empty()
                                && plan.files.iter().all(|(path, _)| {
                                    path.split_once('/').is_some_and(|(top, _)| top == default)
                                });
                            if !default.is_empty() && all_inside {
                                p.target = LineEdit::new(".");
                            }
                        }
                        p.plan = Some(result);
                    }
                }
            }
            TemplateMsg::Event(event) => {
                if let Some(TemplateScreen::Run(r)) = &mut self.templates {
                    // A second end (the task's final state) does not
                    // replace the first.
                    if !(r.is_finished()
                        && matches!(event, RunEvent::Completed { .. } | RunEvent::Failed { .. }))
                    {
                        r.log.apply(&event);
                    }
                }
            }
        }
    }

    /// Pasted text goes into the field or line being edited.
    pub fn template_paste(&mut self, text: &str) {
        self.dirty = true;
        let paste = Action::Paste(text.to_string());
        match &mut self.templates {
            Some(TemplateScreen::Form(screen, _)) => screen.form.paste(text),
            Some(TemplateScreen::Plan(plan)) => {
                plan.target.edit(&paste);
            }
            Some(TemplateScreen::List(list)) => {
                let changed = list.query.edit(&paste);
                if changed {
                    list.refilter();
                }
            }
            _ => {}
        }
    }

    /// A key while a template screen is open.
    pub fn template_key(&mut self, key: &Key) {
        use crossterm::event::KeyCode;
        self.dirty = true;
        let Some(screen) = self.templates.take() else {
            return;
        };
        match screen {
            TemplateScreen::List(mut list) => match key.code {
                KeyCode::Esc => {}
                KeyCode::Down => {
                    list.cursor = (list.cursor + 1).min(list.shown.len().saturating_sub(1));
                    self.templates = Some(TemplateScreen::List(list));
                }
                KeyCode::Up => {
                    list.cursor = list.cursor.saturating_sub(1);
                    self.templates = Some(TemplateScreen::List(list));
                }
                KeyCode::Enter => match list.selected().map(|t| t.key.clone()) {
                    Some(k) => {
                        self.open_template_form(&k, Some(list));
                    }
                    None => self.templates = Some(TemplateScreen::List(list)),
                },
                _ => {
                    if let Some(action) = list_edit_action(key) {
                        if list.query.edit(&action) {
                            list.refilter();
                        }
                    }
                    self.templates = Some(TemplateScreen::List(list));
                }
            },
            TemplateScreen::Loading { key: k, list } => {
                if key.code == KeyCode::Esc {
                    self.templates = list.map(TemplateScreen::List);
                } else {
                    self.templates = Some(TemplateScreen::Loading { key: k, list });
                }
            }
            TemplateScreen::Form(mut screen, list) => {
                let outcome = screen.form.handle_key(key);
                let save = |app: &mut App, s: &FormScreen| {
                    // Masked values never leave the form for a draft.
                    app.template_request(TemplateRequest::SaveDraft {
                        key: s.form.template_ref.clone(),
                        steps: s.form.steps.clone(),
                        values: schema::without_masked(&s.form.steps, &s.form.values),
                    });
                };
                match outcome {
                    FormOutcome::None => self.templates = Some(TemplateScreen::Form(screen, list)),
                    FormOutcome::SaveDraft => {
                        save(self, &screen);
                        self.templates = Some(TemplateScreen::Form(screen, list));
                    }
                    FormOutcome::Leave => {
                        save(self, &screen);
                        self.note("draft kept: open the template again to resume", false);
                        self.templates = list.map(TemplateScreen::List);
                    }
                    FormOutcome::RunLocal => {
                        save(self, &screen);
                        let input = run_input(&screen);
                        let name = screen
                            .form
                            .values
                            .get("name")
                            .and_then(Value::as_str)
                            .map(|n| sanitize_line(n).into_owned())
                            .unwrap_or_else(|| {
                                text::ref_name(&screen.form.template_ref).to_string()
                            });
                        let safe: String = name
                            .chars()
                            .map(|c| {
                                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                                    c
                                } else {
                                    '_'
                                }
                            })
                            .collect();
                        self.template_request(TemplateRequest::Plan(Box::new(input)));
                        self.templates = Some(TemplateScreen::Plan(Box::new(PlanScreen {
                            form: screen,
                            plan: None,
                            target: LineEdit::new(&format!("./{safe}")),
                            offset: 0,
                        })));
                    }
                    FormOutcome::RunRemote => {
                        match screen.remote.clone() {
                            None => {
                                self.note(
                                "this template was not read from a Backstage endpoint: run it locally (l)",
                                true,
                            );
                                self.templates = Some(TemplateScreen::Form(screen, list));
                            }
                            Some(source) => {
                                save(self, &screen);
                                let cancel = CancelHandle::new();
                                self.template_request(TemplateRequest::RunRemote {
                                    input: Box::new(run_input(&screen)),
                                    source: source.clone(),
                                    cancel: cancel.clone(),
                                });
                                self.templates = Some(TemplateScreen::Run(Box::new(
                                    RunScreen::new(screen, source, Some(cancel)),
                                )));
                            }
                        }
                    }
                }
            }
            TemplateScreen::Plan(mut plan) => match key.code {
                KeyCode::Esc => {
                    self.templates = Some(TemplateScreen::Form(plan.form, None));
                }
                KeyCode::Down => {
                    plan.offset += 1;
                    self.templates = Some(TemplateScreen::Plan(plan));
                }
                KeyCode::Up => {
                    plan.offset = plan.offset.saturating_sub(1);
                    self.templates = Some(TemplateScreen::Plan(plan));
                }
                KeyCode::Enter => {
                    let ready = matches!(&plan.plan, Some(Ok(p)) if p.error.is_none());
                    let target = plan.target.text.trim().to_string();
                    if !ready {
                        self.note("nothing to write: the plan failed or is not ready", true);
                        self.templates = Some(TemplateScreen::Plan(plan));
                    } else if target.is_empty() {
                        self.note("type the directory to write into", true);
                        self.templates = Some(TemplateScreen::Plan(plan));
                    } else {
                        let input = run_input(&plan.form);
                        self.template_request(TemplateRequest::Run {
                            input: Box::new(input),
                            target: target.clone(),
                        });
                        self.templates = Some(TemplateScreen::Run(Box::new(RunScreen::new(
                            plan.form, target, None,
                        ))));
                    }
                }
                _ => {
                    if let Some(action) = list_edit_action(key) {
                        plan.target.edit(&action);
                    }
                    self.templates = Some(TemplateScreen::Plan(plan));
                }
            },
            TemplateScreen::Run(mut run) => {
                match key.code {
                    KeyCode::Esc if run.is_finished() => return,
                    KeyCode::Esc => self.note("the run is still going (c cancels it)", false),
                    KeyCode::Char('c') if !run.is_finished() => match &run.cancel {
                        Some(c) => {
                            c.cancel();
                            run.log.cancelling = true;
                        }
                        None => self.note("a local run cannot be cancelled half way", false),
                    },
                    KeyCode::Up => run.log.scroll(1),
                    KeyCode::Down => run.log.scroll(-1),
                    KeyCode::PageUp => run.log.scroll(10),
                    KeyCode::PageDown => run.log.scroll(-10),
                    _ => {}
                }
                self.templates = Some(TemplateScreen::Run(run));
            }
        }
    }
}

fn run_input(screen: &FormScreen) -> RunInput {
    let steps = &screen.form.steps;
    let (values, secrets) = schema::split_secrets(steps, &screen.form.values);
    RunInput {
        key: screen.form.template_ref.clone(),
        entity: screen.entity.clone(),
        base_dir: screen.base_dir.clone(),
        values,
        secrets: SecretValues(secrets),
    }
}

fn list_edit_action(key: &Key) -> Option<Action> {
    use crossterm::event::{KeyCode, KeyModifiers};
    let ctrl = key.mods.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('u') if ctrl => Action::ClearLine,
        KeyCode::Char('w') if ctrl => Action::DeleteWord,
        KeyCode::Char(c) if !ctrl => Action::Input(c),
        KeyCode::Backspace => Action::Backspace,
        KeyCode::Delete => Action::DeleteChar,
        KeyCode::Left => Action::CursorLeft,
        KeyCode::Right => Action::CursorRight,
        KeyCode::Home => Action::CursorHome,
        KeyCode::End => Action::CursorEnd,
        _ => return None,
    })
}

// ----------------------------------------------------------------------
// Drawing
// ----------------------------------------------------------------------

fn clean(s: &str) -> String {
    sanitize_line(s).into_owned()
}

fn put(frame: &mut Frame, area: Rect, y: u16, spans: Vec<Span<'static>>) {
    if y < area.y + area.height {
        frame.render_widget(
            Paragraph::new(Line::from(spans)),
            Rect::new(area.x, y, area.width, 1),
        );
    }
}

fn footer(frame: &mut Frame, app: &App, area: Rect, hints: &[(&str, &str)]) {
    let t = &app.theme;
    let y = area.y + area.height.saturating_sub(1);
    let spans = match &app.message {
        Some(m) => vec![Span::styled(
            format!(" {}{}", if m.error { "✗ " } else { "" }, clean(&m.text)),
            if m.error { t.error } else { t.status },
        )],
        None => {
            let mut s = vec![Span::raw(" ")];
            for (k, what) in hints {
                s.push(Span::styled(k.to_string(), t.key));
                s.push(Span::styled(format!(" {what}  "), t.dim));
            }
            s
        }
    };
    put(frame, area, y, spans);
}

/// Draw the template screen over the whole area.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let Some(screen) = &app.templates else {
        return;
    };
    frame.render_widget(Clear, area);
    match screen {
        TemplateScreen::List(list) => draw_list(frame, app, area, list),
        TemplateScreen::Loading { key, .. } => {
            put(
                frame,
                area,
                area.y,
                vec![Span::styled(
                    format!(" Opening {}…", clean(key)),
                    app.theme.title,
                )],
            );
            footer(frame, app, area, &[("Esc", "cancel")]);
        }
        TemplateScreen::Form(screen, _) => {
            let message = app.message.as_ref().map(|m| (m.text.as_str(), m.error));
            form::draw(frame, area, &screen.form, &app.theme, message);
        }
        TemplateScreen::Plan(plan) => draw_plan(frame, app, area, plan),
        TemplateScreen::Run(run) => draw_run(frame, app, area, run),
    }
}

fn draw_list(frame: &mut Frame, app: &App, area: Rect, list: &TemplateList) {
    let t = &app.theme;
    put(
        frame,
        area,
        area.y,
        vec![
            Span::styled(" Templates ", t.tab_active),
            Span::styled(
                format!("  {} of {}", list.shown.len(), list.items.len()),
                t.dim,
            ),
        ],
    );
    put(
        frame,
        area,
        area.y + 1,
        vec![
            Span::styled(" filter ".to_string(), t.key),
            Span::raw(clean(&list.query.text)),
            Span::styled(" ".to_string(), t.selection),
        ],
    );
    let body_y = area.y + 3;
    let height = area.height.saturating_sub(5) as usize;
    let per = 3;
    let fits = (height / per).max(1);
    let offset = (list.cursor + 1).saturating_sub(fits);
    let w = area.width as usize;
    for (n, &i) in list.shown.iter().enumerate().skip(offset).take(fits) {
        let item = &list.items[i];
        let y = body_y + ((n - offset) * per) as u16;
        let selected = n == list.cursor;
        let mut first = vec![
            Span::styled(if selected { "▸ " } else { "  " }.to_string(), t.accent),
            Span::styled(
                clean(&item.title),
                if selected { t.selection } else { t.title },
            ),
        ];
        if !item.spec_type.is_empty() {
            first.push(Span::styled(format!("  {}", clean(&item.spec_type)), t.dim));
        }
        if !item.owner.is_empty() {
            first.push(Span::styled(
                format!("  owner {}", clean(&text::short_ref(&item.owner))),
                t.label,
            ));
        }
        put(frame, area, y, first);
        let mut second = vec![Span::raw("    ")];
        second.push(Span::styled(
            text::truncate(&clean(&item.description), w.saturating_sub(4)).into_owned(),
            t.text,
        ));
        put(frame, area, y + 1, second);
        if !item.tags.is_empty() {
            let mut third = vec![Span::raw("    ")];
            for tag in &item.tags {
                third.push(Span::styled(format!(" {} ", clean(tag)), t.chip));
                third.push(Span::raw(" "));
            }
            put(frame, area, y + 2, third);
        }
    }
    if list.shown.is_empty() {
        put(
            frame,
            area,
            body_y,
            vec![Span::styled("  no template matches".to_string(), t.dim)],
        );
    }
    footer(
        frame,
        app,
        area,
        &[
            ("↑/↓", "move"),
            ("Enter", "fill in"),
            ("type", "filter"),
            ("Esc", "back"),
        ],
    );
}

fn draw_plan(frame: &mut Frame, app: &App, area: Rect, plan: &PlanScreen) {
    let t = &app.theme;
    put(
        frame,
        area,
        area.y,
        vec![
            Span::styled(" Run locally ", t.tab_active),
            Span::styled(format!("  {}", clean(&plan.form.form.title)), t.title),
        ],
    );
    put(
        frame,
        area,
        area.y + 1,
        vec![
            Span::styled(" into ".to_string(), t.key),
            Span::raw(clean(&plan.target.text)),
            Span::styled(" ".to_string(), t.selection),
        ],
    );
    let body = Rect::new(
        area.x,
        area.y + 2,
        area.width,
        area.height.saturating_sub(3),
    );
    match &plan.plan {
        None => put(
            frame,
            area,
            body.y,
            vec![Span::styled(" planning…".to_string(), t.dim)],
        ),
        Some(Err(e)) => put(
            frame,
            area,
            body.y,
            vec![Span::styled(format!(" ✗ {}", clean(e)), t.error)],
        ),
        Some(Ok(p)) => {
            let mut notes: Vec<Vec<Span<'static>>> = Vec::new();
            if let Some(e) = &p.error {
                notes.push(vec![Span::styled(format!(" ✗ {}", clean(e)), t.error)]);
            }
            for (name, reason) in &p.skipped {
                notes.push(vec![Span::styled(
                    format!(" skipped here: {} ({})", clean(name), clean(reason)),
                    t.warn,
                )]);
            }
            let notes_h = (notes.len() as u16).min(body.height / 2);
            let tree_area = Rect::new(body.x, body.y, body.width, body.height - notes_h);
            let lines = callboard_core::template::tree::file_tree_lines(
                p.files.iter().map(|(path, size)| (path.as_str(), *size)),
            );
            let offset = plan.offset.min(lines.len().saturating_sub(1));
            crate::run_log::render_file_tree(
                &plan.target.text,
                &lines,
                offset,
                tree_area,
                frame.buffer_mut(),
                t,
            );
            for (i, n) in notes.into_iter().take(notes_h as usize).enumerate() {
                put(frame, area, tree_area.y + tree_area.height + i as u16, n);
            }
        }
    }
    footer(
        frame,
        app,
        area,
        &[
            ("Enter", "write"),
            ("type", "edit the directory"),
            ("↑/↓", "scroll"),
            ("Esc", "back to review"),
        ],
    );
}

fn draw_run(frame: &mut Frame, app: &App, area: Rect, run: &RunScreen) {
    let t = &app.theme;
    let place = if run.cancel.is_some() { "on" } else { "into" };
    put(
        frame,
        area,
        area.y,
        vec![
            Span::styled(" Run ", t.tab_active),
            Span::styled(format!("  {place} {}", clean(&run.target)), t.title),
            Span::styled(format!("  {}", clean(&run.log.status_line())), t.dim),
        ],
    );
    let body = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(2),
    );
    crate::run_log::render(&run.log, body, frame.buffer_mut(), t);
    let hints: &[(&str, &str)] = if run.is_finished() {
        &[("↑/↓", "scroll the log"), ("Esc", "close")]
    } else if run.cancel.is_some() {
        &[("c", "cancel the task"), ("↑/↓", "scroll the log")]
    } else {
        &[("↑/↓", "scroll the log")]
    };
    footer(frame, app, area, hints);
}
