//! Software templates in the TUI: the list (`t` or `:templates`), the form
//! ([`form`]), the plan of a local run (the file tree that will be written,
//! and where) and the run log ([`run_log`]). They sit over everything else
//! while open, and read keys themselves: letters type into their fields.
//!
//! Each step of the flow is a screen of its own that answers a key with a
//! [`Flow`]; [`TemplateScreen`] moves the flow on, handing the form (by
//! value) from the list to the plan and the run. Everything that touches
//! the disk (reading the template entity and its folder, drafts, planning
//! and writing a run) is a request for the worker; its answers come back
//! through [`receive`].

pub mod form;
pub mod list;
pub mod plan;
pub mod run_log;

use std::sync::Arc;

use crossterm::event::KeyCode;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Clear;
use ratatui::Frame;

use super::{Cmd, Cx, Hint, Keys, Outcome, Screen};
use crate::keymap::{Action, Keymap};
use crate::messages::templates::{TemplateMsg, TemplateRequest};
use crate::messages::Request;
use crate::widgets::spans::{clean, line_at};
use crate::widgets::status_bar;
use callboard_core::search::{Corpus, Index};
use callboard_core::template::Template;
use form::{FormScreen, FormState};
use list::{template_items, TemplateList};
use plan::PlanScreen;
use run_log::RunScreen;

/// Where the template screens go after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    /// Stay on this screen.
    Stay,
    /// Back: from the plan to the form; from the form to the list (or
    /// out); out of the list and of a finished run.
    Back,
    /// From the list: the form of this template.
    Open(String),
    /// From the form: plan a local run.
    Plan,
    /// From the form: run on this Backstage source.
    RunRemote(String),
    /// From the plan: write into this directory.
    Write(String),
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

fn request(cx: &mut Cx, r: TemplateRequest) {
    cx.request(Request::Template(Box::new(r)));
}

/// `t` / `:templates`: the list of templates in the catalog, or why not.
pub fn open_list(
    corpus: Option<&Arc<Corpus>>,
    index: Option<Arc<Index>>,
    cx: &mut Cx,
) -> Option<TemplateScreen> {
    let Some(corpus) = corpus else {
        cx.say("the catalog is still loading");
        return None;
    };
    let items = template_items(corpus);
    if items.is_empty() {
        cx.say("no templates in the catalog (kind: Template)");
        return None;
    }
    Some(TemplateScreen::List(TemplateList::new(
        items,
        corpus.clone(),
        index,
    )))
}

/// A template's form, once its entity is read (`list`: where Esc goes).
pub fn open_form(key: &str, list: Option<TemplateList>, cx: &mut Cx) -> TemplateScreen {
    request(cx, TemplateRequest::Open(key.to_string()));
    TemplateScreen::Loading {
        key: key.to_string(),
        list,
    }
}

/// An answer of the worker for the template screens in `slot`.
pub fn receive(
    slot: &mut Option<TemplateScreen>,
    msg: TemplateMsg,
    corpus: Option<Arc<Corpus>>,
    index: Option<Arc<Index>>,
    cx: &mut Cx,
) {
    match msg {
        TemplateMsg::Notice(text) => cx.fail(text),
        TemplateMsg::Opened { key, result } => {
            // Only the form being waited for; a late answer changes nothing.
            let waiting = matches!(slot, Some(TemplateScreen::Loading { key: k, .. }) if *k == key);
            if !waiting {
                return;
            }
            let Some(TemplateScreen::Loading { list, .. }) = slot.take() else {
                return;
            };
            let opened = match result {
                Ok(o) => o,
                Err(e) => {
                    *slot = list.map(TemplateScreen::List);
                    return cx.fail(e);
                }
            };
            let template = match Template::from_entity(&opened.entity) {
                Ok(t) => t,
                Err(e) => {
                    *slot = list.map(TemplateScreen::List);
                    return cx.fail(e.to_string());
                }
            };
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
                cx.fail(e);
            }
            *slot = Some(TemplateScreen::Form(
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
            if let Some(TemplateScreen::Plan(p)) = slot {
                if p.form.form.template_ref == key {
                    p.planned(result);
                }
            }
        }
        TemplateMsg::Event(event) => {
            if let Some(TemplateScreen::Run(r)) = slot {
                r.apply(&event);
            }
        }
    }
}

impl TemplateScreen {
    /// The flow after a key (or a paste); None: the template screens close.
    fn next(self, action: Action, cx: &mut Cx) -> Option<TemplateScreen> {
        match self {
            TemplateScreen::List(mut list) => match list.update(action, cx) {
                Flow::Open(key) => Some(open_form(&key, Some(list), cx)),
                Flow::Back => None,
                _ => Some(TemplateScreen::List(list)),
            },
            TemplateScreen::Loading { key, list } => match action {
                Action::Key(k) if k.code == KeyCode::Esc => list.map(TemplateScreen::List),
                _ => Some(TemplateScreen::Loading { key, list }),
            },
            TemplateScreen::Form(mut form, list) => match form.update(action, cx) {
                Flow::Back => list.map(TemplateScreen::List),
                Flow::Plan => Some(TemplateScreen::Plan(Box::new(PlanScreen::new(form, cx)))),
                Flow::RunRemote(source) => Some(TemplateScreen::Run(Box::new(RunScreen::remote(
                    form, source, cx,
                )))),
                _ => Some(TemplateScreen::Form(form, list)),
            },
            TemplateScreen::Plan(mut plan) => match plan.update(action, cx) {
                Flow::Back => Some(TemplateScreen::Form(plan.form, None)),
                Flow::Write(target) => Some(TemplateScreen::Run(Box::new(RunScreen::local(
                    plan.form, target, cx,
                )))),
                _ => Some(TemplateScreen::Plan(plan)),
            },
            TemplateScreen::Run(mut run) => match run.update(action, cx) {
                Flow::Back => None,
                _ => Some(TemplateScreen::Run(run)),
            },
        }
    }
}

impl Screen for TemplateScreen {
    type Output = Outcome;

    fn keys(&self) -> Keys {
        Keys::Raw
    }

    /// Keys and pasted text; the rest is not for these screens.
    fn update(&mut self, action: Action, cx: &mut Cx) -> Outcome {
        if !matches!(action, Action::Key(_) | Action::Paste(_)) {
            return Outcome::Ignored(action);
        }
        // The flow moves the screen by value; this stands in meanwhile.
        let placeholder = TemplateScreen::Loading {
            key: String::new(),
            list: None,
        };
        match std::mem::replace(self, placeholder).next(action, cx) {
            Some(next) => *self = next,
            None => cx.out.push(Cmd::CloseTemplates),
        }
        Outcome::Consumed
    }

    /// Over the whole area.
    fn draw(&self, frame: &mut Frame, area: Rect, cx: &Cx) {
        frame.render_widget(Clear, area);
        match self {
            TemplateScreen::List(list) => list.draw(frame, area, cx),
            TemplateScreen::Loading { key, .. } => {
                line_at(
                    frame,
                    area,
                    area.y,
                    vec![Span::styled(
                        format!(" Opening {}…", clean(key)),
                        cx.theme.title,
                    )],
                );
                footer(frame, area, cx, self.hints(cx.keymap));
            }
            TemplateScreen::Form(form, _) => form.draw(frame, area, cx),
            TemplateScreen::Plan(plan) => plan.draw(frame, area, cx),
            TemplateScreen::Run(run) => run.draw(frame, area, cx),
        }
    }

    fn hints(&self, keymap: &Keymap) -> Vec<Hint> {
        match self {
            TemplateScreen::List(list) => list.hints(keymap),
            TemplateScreen::Loading { .. } => vec![("Esc".into(), "cancel")],
            TemplateScreen::Form(form, _) => form.hints(keymap),
            TemplateScreen::Plan(plan) => plan.hints(keymap),
            TemplateScreen::Run(run) => run.hints(keymap),
        }
    }
}

/// The last row of a template screen: the message, else its keys.
fn footer(frame: &mut Frame, area: Rect, cx: &Cx, hints: Vec<Hint>) {
    let y = area.y + area.height.saturating_sub(1);
    let message = cx.message.map(|m| (m.text.as_str(), m.error));
    status_bar::footer(frame, area, y, message, &hints, cx.theme);
}
