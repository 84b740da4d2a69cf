//! The form screen: a template's form with what it came from (the entity,
//! its folder, the Backstage source), saving the draft at page boundaries
//! and on the way out, and handing the run to the plan or the run log.

use std::path::PathBuf;

use ratatui::layout::Rect;
use ratatui::Frame;
use serde_json::Value;

use super::{FormOutcome, FormState};
use crate::keymap::{Action, Keymap};
use crate::messages::templates::{RunInput, SecretValues, TemplateRequest};
use crate::screens::templates::{request, Flow};
use crate::screens::{Cx, Hint, Keys, Screen};
use callboard_core::template::schema;

/// A form with what it came from.
#[derive(Debug, Clone)]
pub struct FormScreen {
    pub form: FormState,
    pub entity: Value,
    pub base_dir: Option<PathBuf>,
    /// The Backstage source it came from, for remote runs.
    pub remote: Option<String>,
}

impl FormScreen {
    /// What a run needs from the form (secrets apart).
    pub fn run_input(&self) -> RunInput {
        let steps = &self.form.steps;
        let (values, secrets) = schema::split_secrets(steps, &self.form.values);
        RunInput {
            key: self.form.template_ref.clone(),
            entity: self.entity.clone(),
            base_dir: self.base_dir.clone(),
            values,
            secrets: SecretValues(secrets),
        }
    }

    /// Masked values never leave the form for a draft.
    fn save_draft(&self, cx: &mut Cx) {
        request(
            cx,
            TemplateRequest::SaveDraft {
                key: self.form.template_ref.clone(),
                steps: self.form.steps.clone(),
                values: schema::without_masked(&self.form.steps, &self.form.values),
            },
        );
    }
}

impl Screen for FormScreen {
    type Output = Flow;

    fn keys(&self) -> Keys {
        Keys::Raw
    }

    fn update(&mut self, action: Action, cx: &mut Cx) -> Flow {
        let key = match action {
            Action::Key(key) => key,
            Action::Paste(text) => {
                self.form.paste(&text);
                return Flow::Stay;
            }
            _ => return Flow::Stay,
        };
        match self.form.handle_key(&key) {
            FormOutcome::None => Flow::Stay,
            FormOutcome::SaveDraft => {
                self.save_draft(cx);
                Flow::Stay
            }
            FormOutcome::Leave => {
                self.save_draft(cx);
                cx.say("draft kept: open the template again to resume");
                Flow::Back
            }
            FormOutcome::RunLocal => {
                self.save_draft(cx);
                Flow::Plan
            }
            FormOutcome::RunRemote => match self.remote.clone() {
                None => {
                    cx.fail(
                        "this template was not read from a Backstage endpoint: run it locally (l)",
                    );
                    Flow::Stay
                }
                Some(source) => {
                    self.save_draft(cx);
                    Flow::RunRemote(source)
                }
            },
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &Cx) {
        let message = cx.message.map(|m| (m.text.as_str(), m.error));
        super::draw(frame, area, &self.form, cx.theme, message);
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<Hint> {
        super::draw::footer_hints(&self.form)
    }
}
