//! The plan of a local run: the file tree the template will write and
//! where, with the steps that will not run here; the target directory is
//! edited in place, Enter writes.

use crossterm::event::KeyCode;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};
use ratatui::Frame;
use serde_json::Value;

use super::form::FormScreen;
use super::{footer, request, Flow};
use crate::keymap::{Action, Keymap};
use crate::messages::templates::{Plan, TemplateRequest};
use crate::screens::{Cx, Hint, Keys, Screen};
use crate::theme::Theme;
use crate::widgets::line_edit::field_edit_action;
use crate::widgets::spans::{clean, line_at as put};
use crate::widgets::LineEdit;
use callboard_core::catalog::entity_ref;
use callboard_core::text::sanitize::sanitize_line;
use callboard_core::text::truncate;

/// The plan of a local run, waiting for the target directory.
#[derive(Debug, Clone)]
pub struct PlanScreen {
    pub form: Box<FormScreen>,
    /// None while planning.
    pub plan: Option<Result<Plan, String>>,
    pub target: LineEdit,
    pub offset: usize,
    /// Enter was pressed once on the current directory itself: the next
    /// Enter writes there.
    pub confirm_here: bool,
    /// Said under the target line (e.g. the template nests its own folder).
    pub note: Option<String>,
}

impl PlanScreen {
    /// Plan the form's run (in memory), offering `./<name>` as the target.
    pub fn new(form: Box<FormScreen>, cx: &mut Cx) -> PlanScreen {
        let name = form
            .form
            .values
            .get("name")
            .and_then(Value::as_str)
            .map(|n| sanitize_line(n).into_owned())
            .unwrap_or_else(|| entity_ref::ref_name(&form.form.template_ref).to_string());
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
        request(cx, TemplateRequest::Plan(Box::new(form.run_input())));
        PlanScreen {
            form,
            plan: None,
            target: LineEdit::new(&format!("./{safe}")),
            offset: 0,
            confirm_here: false,
            note: None,
        }
    }

    /// The plan arrived.
    pub fn planned(&mut self, result: Result<Plan, String>) {
        // A template that writes everything under one folder named like
        // the default target (`targetPath: ./${{ parameters.name }}`)
        // nests it twice: say so; the current directory is only used when
        // typed (and confirmed).
        if let Ok(plan) = &result {
            let default = self.target.text.strip_prefix("./").unwrap_or_default();
            let all_inside = !plan.files.is_empty()
                && plan
                    .files
                    .iter()
                    .all(|(path, _)| path.split_once('/').is_some_and(|(top, _)| top == default));
            if !default.is_empty() && all_inside {
                self.note = Some(format!(
                    "the template writes into {default}/ itself: type . to write into the current directory"
                ));
            }
            if plan.files.is_empty() {
                self.note = Some("this run writes no files: no folder will be created".into());
            }
        }
        self.plan = Some(result);
    }

    /// Whether the target is the current directory itself.
    fn is_here(target: &str) -> bool {
        let t = target.trim().trim_end_matches('/');
        t.is_empty()
            || t == "."
            || std::env::current_dir()
                .ok()
                .is_some_and(|cwd| std::path::Path::new(t) == cwd)
    }
}

impl Screen for PlanScreen {
    type Output = Flow;

    fn keys(&self) -> Keys {
        Keys::Raw
    }

    fn update(&mut self, action: Action, cx: &mut Cx) -> Flow {
        let key = match action {
            Action::Key(key) => key,
            Action::Paste(_) => {
                self.target.edit(&action);
                return Flow::Stay;
            }
            _ => return Flow::Stay,
        };
        match key.code {
            KeyCode::Esc => return Flow::Back,
            KeyCode::Down => self.offset += 1,
            KeyCode::Up => self.offset = self.offset.saturating_sub(1),
            KeyCode::Enter => {
                let ready = matches!(&self.plan, Some(Ok(p)) if p.error.is_none());
                let target = self.target.text.trim().to_string();
                if !ready {
                    cx.fail("nothing to write: the plan failed or is not ready");
                } else if target.is_empty() {
                    cx.fail("type the directory to write into");
                } else if PlanScreen::is_here(&target) && !self.confirm_here {
                    self.confirm_here = true;
                    cx.say("write into the current directory itself? Enter again to confirm");
                } else {
                    return Flow::Write(target);
                }
            }
            _ => {
                if let Some(action) = field_edit_action(&key) {
                    self.target.edit(&action);
                    self.confirm_here = false;
                }
            }
        }
        Flow::Stay
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &Cx) {
        draw(self, frame, area, cx);
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<Hint> {
        vec![
            ("Enter".into(), "write"),
            ("type".into(), "edit the directory"),
            ("↑/↓".into(), "scroll"),
            ("Esc".into(), "back to review"),
        ]
    }
}

fn draw(plan: &PlanScreen, frame: &mut Frame, area: Rect, cx: &Cx) {
    let t = cx.theme;
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
            Span::styled(
                plan.note
                    .as_deref()
                    .map(|n| format!("  {}", clean(n)))
                    .unwrap_or_default(),
                t.dim,
            ),
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
            render_file_tree(
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
    footer(frame, area, cx, plan.hints(cx.keymap));
}

/// Draw the file-tree preview (before a local run writes): the target
/// directory in the title, then the tree, scrolled by `offset` lines.
pub fn render_file_tree(
    target: &str,
    lines: &[String],
    offset: usize,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
) {
    let title = format!(
        " {} → {} ",
        callboard_core::text::counted(lines.iter().filter(|l| !l.ends_with('/')).count(), "file"),
        sanitize_line(target)
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(
            truncate(&title, area.width.saturating_sub(2) as usize).into_owned(),
            theme.title,
        ));
    let inner = block.inner(area);
    block.render(area, buf);
    let width = inner.width as usize;
    let shown: Vec<Line> = lines
        .iter()
        .skip(offset)
        .take(inner.height as usize)
        .map(|l| {
            let style = if l.ends_with('/') {
                theme.heading
            } else {
                theme.text
            };
            Line::styled(truncate(l, width).into_owned(), style)
        })
        .collect();
    Paragraph::new(shown).render(inner, buf);
}
