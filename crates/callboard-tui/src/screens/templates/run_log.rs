//! The run log of a template run (local or remote): the screen
//! ([`RunScreen`]: where it runs, cancel, scroll) over a log that applies
//! [`RunEvent`]s in order ([`RunLog`]) and a pure render function. Steps are
//! listed with their status, the log below follows the end unless scrolled,
//! and when the run ends its output links and text are shown.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget};
use serde_json::Value;

use crossterm::event::KeyCode;
use ratatui::Frame;

use super::form::FormScreen;
use super::{footer, Flow};
use crate::keymap::{Action, Keymap};
use crate::messages::templates::{CancelHandle, TemplateRequest};
use crate::screens::{Cx, Hint, Keys, Screen};
use crate::theme::Theme;
use crate::widgets::spans::{clean, line_at as put};
use callboard_core::template::{RunEvent, StepStatus, Template};
use callboard_core::text::sanitize::{sanitize, sanitize_line};
use callboard_core::text::{truncate, wrap};

/// A run in progress or done.
#[derive(Debug, Clone)]
pub struct RunScreen {
    pub form: Box<FormScreen>,
    /// The directory written, or the endpoint.
    pub target: String,
    pub log: RunLog,
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
        let log = RunLog::new(&form.form.title, steps);
        RunScreen {
            form,
            target,
            log,
            cancel,
        }
    }

    /// Start writing the form's run into `target`.
    pub fn local(form: Box<FormScreen>, target: String, cx: &mut Cx) -> RunScreen {
        super::request(
            cx,
            TemplateRequest::Run {
                input: Box::new(form.run_input()),
                target: target.clone(),
            },
        );
        RunScreen::new(form, target, None)
    }

    /// Start the form's run on the Backstage backend of `source`.
    pub fn remote(form: Box<FormScreen>, source: String, cx: &mut Cx) -> RunScreen {
        let cancel = CancelHandle::new();
        super::request(
            cx,
            TemplateRequest::RunRemote {
                input: Box::new(form.run_input()),
                source: source.clone(),
                cancel: cancel.clone(),
            },
        );
        RunScreen::new(form, source, Some(cancel))
    }

    pub fn is_finished(&self) -> bool {
        self.log.is_finished()
    }

    /// An event of the run. A second end (the task's final state) does
    /// not replace the first.
    pub fn apply(&mut self, event: &RunEvent) {
        if !(self.is_finished()
            && matches!(event, RunEvent::Completed { .. } | RunEvent::Failed { .. }))
        {
            self.log.apply(event);
        }
    }
}

impl Screen for RunScreen {
    type Output = Flow;

    fn keys(&self) -> Keys {
        Keys::Raw
    }

    fn update(&mut self, action: Action, cx: &mut Cx) -> Flow {
        let Action::Key(key) = action else {
            return Flow::Stay;
        };
        match key.code {
            KeyCode::Esc if self.is_finished() => return Flow::Back,
            KeyCode::Esc => cx.say("the run is still going (c cancels it)"),
            KeyCode::Char('c') if !self.is_finished() => match &self.cancel {
                Some(c) => {
                    c.cancel();
                    self.log.cancelling = true;
                }
                None => cx.say("a local run cannot be cancelled half way"),
            },
            KeyCode::Up => self.log.scroll(1),
            KeyCode::Down => self.log.scroll(-1),
            KeyCode::PageUp => self.log.scroll(10),
            KeyCode::PageDown => self.log.scroll(-10),
            KeyCode::End => self.log.scroll_back = 0,
            KeyCode::Tab => {
                let (links, _) = self.log.output();
                if !links.is_empty() {
                    self.log.link = (self.log.link + 1) % links.len();
                }
            }
            KeyCode::Char('o') | KeyCode::Char('y') => {
                let (links, _) = self.log.output();
                match links.get(self.log.link) {
                    Some((_, target)) if key.code == KeyCode::Char('o') => {
                        if target.starts_with("http://") || target.starts_with("https://") {
                            cx.open_url(target.clone());
                        } else {
                            cx.say("this output link is an entity ref, not a URL (y copies it)");
                        }
                    }
                    Some((_, target)) => cx.copy(target, "the output link"),
                    None => cx.say("the run has no output links"),
                }
            }
            _ => {}
        }
        Flow::Stay
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &Cx) {
        let t = cx.theme;
        let place = if self.cancel.is_some() { "on" } else { "into" };
        put(
            frame,
            area,
            area.y,
            vec![
                Span::styled(" Run ", t.tab_active),
                Span::styled(format!("  {place} {}", clean(&self.target)), t.title),
                Span::styled(format!("  {}", clean(&self.log.status_line())), t.dim),
            ],
        );
        let body = Rect::new(
            area.x,
            area.y + 1,
            area.width,
            area.height.saturating_sub(2),
        );
        render(&self.log, body, frame.buffer_mut(), t);
        footer(frame, area, cx, self.hints(cx.keymap));
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<Hint> {
        let links = self.log.output().0.len();
        if self.is_finished() && links > 0 {
            let mut h = vec![("o".into(), "open link"), ("y".into(), "copy link")];
            if links > 1 {
                h.push(("Tab".into(), "next link"));
            }
            h.push(("↑/↓".into(), "scroll"));
            h.push(("Esc".into(), "close"));
            h
        } else if self.is_finished() {
            vec![("↑/↓".into(), "scroll the log"), ("Esc".into(), "close")]
        } else if self.cancel.is_some() {
            vec![
                ("c".into(), "cancel the task"),
                ("↑/↓".into(), "scroll the log"),
            ]
        } else {
            vec![("↑/↓".into(), "scroll the log")]
        }
    }
}

/// Where a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Pending,
    Running,
    Done(StepStatus),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub id: String,
    pub name: String,
    pub state: StepState,
    /// Why it was skipped or failed.
    pub note: Option<String>,
}

/// `(title, text)`: an output link (text = URL or entity ref) or an
/// output text block.
pub type TitledText = (String, String);

/// How the run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    Completed { output: Value },
    Failed { message: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunLog {
    pub title: String,
    pub task_id: Option<String>,
    pub steps: Vec<StepRow>,
    /// Sanitized log lines, `(step id, line)`.
    pub lines: Vec<(Option<String>, String)>,
    pub finish: Option<Finish>,
    /// A cancel was asked for (the caller sends it).
    pub cancelling: bool,
    /// Lines scrolled up from the end; 0 follows new lines.
    pub scroll_back: usize,
    /// The farthest back the last drawing could scroll (wrapped lines
    /// counted), once drawn.
    pub max_back: std::cell::Cell<Option<usize>>,
    /// The output link `o` opens and `y` copies.
    pub link: usize,
}

/// The most log lines kept; older ones are dropped.
const MAX_LINES: usize = 5000;

impl RunLog {
    /// A run of these steps (`(id, name)`), all pending.
    pub fn new(title: &str, steps: impl IntoIterator<Item = (String, String)>) -> RunLog {
        RunLog {
            title: sanitize_line(title).into_owned(),
            task_id: None,
            steps: steps
                .into_iter()
                .map(|(id, name)| StepRow {
                    id,
                    name: sanitize_line(&name).into_owned(),
                    state: StepState::Pending,
                    note: None,
                })
                .collect(),
            lines: Vec::new(),
            finish: None,
            cancelling: false,
            scroll_back: 0,
            max_back: std::cell::Cell::new(None),
            link: 0,
        }
    }

    pub fn is_finished(&self) -> bool {
        self.finish.is_some()
    }

    fn step_mut(&mut self, id: &str, name: Option<&str>) -> &mut StepRow {
        if let Some(i) = self.steps.iter().position(|s| s.id == id) {
            return &mut self.steps[i];
        }
        // A step the plan did not list (the server's own naming).
        self.steps.push(StepRow {
            id: id.to_string(),
            name: sanitize_line(name.unwrap_or(id)).into_owned(),
            state: StepState::Pending,
            note: None,
        });
        self.steps.last_mut().expect("just pushed")
    }

    pub fn apply(&mut self, event: &RunEvent) {
        match event {
            RunEvent::TaskCreated { task_id } => {
                self.task_id = Some(sanitize_line(task_id).into_owned())
            }
            RunEvent::StepStarted { id, name } => {
                let step = self.step_mut(id, Some(name));
                step.state = StepState::Running;
            }
            RunEvent::Log { step, line } => {
                for l in sanitize(line).lines() {
                    self.lines.push((step.clone(), l.to_string()));
                }
                if self.lines.len() > MAX_LINES {
                    let extra = self.lines.len() - MAX_LINES;
                    self.lines.drain(..extra);
                }
            }
            RunEvent::StepFinished { id, status } => {
                let step = self.step_mut(id, None);
                // The server reports a cancelled step as failed right after.
                if !(step.state == StepState::Done(StepStatus::Cancelled)
                    && *status == StepStatus::Failed)
                {
                    step.state = StepState::Done(*status);
                }
            }
            RunEvent::Skipped { id, reason } => {
                let step = self.step_mut(id, None);
                step.state = StepState::Done(StepStatus::Skipped);
                step.note = Some(sanitize_line(reason).into_owned());
            }
            RunEvent::Completed { output } => {
                self.finish = Some(Finish::Completed {
                    output: output.clone(),
                })
            }
            RunEvent::Failed { message } => {
                for step in &mut self.steps {
                    if step.state == StepState::Running {
                        step.state = StepState::Done(if self.cancelling {
                            StepStatus::Cancelled
                        } else {
                            StepStatus::Failed
                        });
                    }
                }
                self.finish = Some(Finish::Failed {
                    message: sanitize(message).into_owned(),
                })
            }
        }
    }

    /// Scroll the log by `delta` lines (positive: back in time).
    pub fn scroll(&mut self, delta: isize) {
        let max = self
            .max_back
            .get()
            .unwrap_or_else(|| self.lines.len().saturating_sub(1));
        self.scroll_back = (self.scroll_back as isize + delta).clamp(0, max as isize) as usize;
    }

    /// Output links `(title, url)` and text `(title, content)`, sanitized.
    pub fn output(&self) -> (Vec<TitledText>, Vec<TitledText>) {
        let Some(Finish::Completed { output }) = &self.finish else {
            return (Vec::new(), Vec::new());
        };
        let s = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .map(|s| sanitize_line(s).into_owned())
                .unwrap_or_default()
        };
        let links = output
            .get("links")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|l| {
                let target = l
                    .get("url")
                    .or_else(|| l.get("entityRef"))
                    .and_then(Value::as_str)
                    .map(|t| sanitize_line(t).into_owned())
                    .unwrap_or_default();
                (s(l.get("title")), target)
            })
            .collect();
        let text = output
            .get("text")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|t| {
                (
                    s(t.get("title")),
                    t.get("content")
                        .and_then(Value::as_str)
                        .map(|c| sanitize(c).into_owned())
                        .unwrap_or_default(),
                )
            })
            .collect();
        (links, text)
    }

    /// A one-line summary for a status bar.
    pub fn status_line(&self) -> String {
        let done = self
            .steps
            .iter()
            .filter(|s| matches!(s.state, StepState::Done(_)))
            .count();
        match &self.finish {
            Some(Finish::Completed { .. }) => {
                format!("completed ({done}/{} steps)", self.steps.len())
            }
            Some(Finish::Failed { message }) if self.cancelling => {
                format!("cancelled: {}", sanitize_line(message))
            }
            Some(Finish::Failed { message }) => format!("failed: {}", sanitize_line(message)),
            None if self.cancelling => "cancelling…".into(),
            None => format!("running ({done}/{} steps)", self.steps.len()),
        }
    }
}

fn step_marker(state: StepState, theme: &Theme) -> (&'static str, Style) {
    match state {
        StepState::Pending => ("·", theme.dim),
        StepState::Running => ("▶", theme.accent),
        StepState::Done(StepStatus::Completed) => ("✓", theme.ok),
        StepState::Done(StepStatus::Failed) => ("✗", theme.error),
        StepState::Done(StepStatus::Skipped) => ("–", theme.dim),
        StepState::Done(StepStatus::Cancelled) => ("⊘", theme.warn),
    }
}

/// Draw the pane: steps on top, the log, and the outcome at the end.
pub fn render(log: &RunLog, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let title = match &log.task_id {
        Some(id) => format!(" {} · task {} ", log.title, id),
        None => format!(" {} ", log.title),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(
            truncate(&title, area.width.saturating_sub(2) as usize).into_owned(),
            theme.title,
        ));
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let width = inner.width as usize;

    let mut outcome: Vec<Line> = Vec::new();
    match &log.finish {
        Some(Finish::Completed { .. }) => {
            outcome.push(Line::styled("Completed", theme.ok));
            let (links, text) = log.output();
            let many = links.len() > 1;
            for (i, (title, url)) in links.into_iter().enumerate() {
                let chosen = i == log.link;
                let mark = match (many, chosen) {
                    (false, _) => "",
                    (true, true) => "▸ ",
                    (true, false) => "  ",
                };
                outcome.push(Line::from(vec![
                    Span::styled(mark.to_string(), theme.accent),
                    Span::styled(
                        truncate(&format!("{title}: "), width / 2).into_owned(),
                        theme.label,
                    ),
                    Span::styled(
                        url,
                        if chosen {
                            theme.link.patch(theme.selection)
                        } else {
                            theme.link
                        },
                    ),
                ]));
            }
            // Output text is Markdown, as the web page renders it.
            for (title, content) in text {
                outcome.push(Line::styled(title, theme.heading));
                let prepared = crate::docs_render::prepare(&content);
                let opts = crate::docs_render::RenderOptions {
                    width: width as u16,
                    palette: theme.palette,
                };
                let rendered = crate::docs_render::render(&content, &prepared, opts, None);
                outcome.extend(rendered.lines);
            }
        }
        Some(Finish::Failed { message }) => {
            let head = if log.cancelling {
                "Cancelled"
            } else {
                "Failed"
            };
            outcome.push(Line::styled(head, theme.error));
            for l in message.lines().take(3) {
                for w in wrap(l, width) {
                    outcome.push(Line::styled(w, theme.error));
                }
            }
        }
        None => {}
    }

    let steps_h = (log.steps.len() as u16).min(inner.height / 3).max(1);
    let [steps_area, log_area] =
        Layout::vertical([Constraint::Length(steps_h), Constraint::Min(1)]).areas(inner);

    let step_lines: Vec<Line> = log
        .steps
        .iter()
        .map(|s| {
            let (mark, style) = step_marker(s.state, theme);
            let mut spans = vec![
                Span::styled(format!("{mark} "), style),
                Span::styled(
                    s.name.clone(),
                    if s.state == StepState::Running {
                        theme.accent
                    } else {
                        theme.text
                    },
                ),
            ];
            if let Some(note) = &s.note {
                spans.push(Span::styled(format!("  {note}"), theme.dim));
            }
            Line::from(spans)
        })
        .collect();
    // Keep the running step in view when there are more steps than rows.
    let running = log
        .steps
        .iter()
        .position(|s| s.state == StepState::Running)
        .unwrap_or(0);
    let first = running.saturating_sub(steps_h as usize - 1);
    Paragraph::new(step_lines.into_iter().skip(first).collect::<Vec<_>>()).render(steps_area, buf);

    // Log: wrap, then show the window ending `scroll_back` lines from the end.
    let mut wrapped: Vec<Line> = Vec::new();
    for (step, line) in &log.lines {
        let prefix = step
            .as_deref()
            .map(|s| format!("[{s}] "))
            .unwrap_or_default();
        // Keep the line's own indentation (JSON in log lines), which
        // wrapping would drop.
        let body = line.trim_start_matches(' ');
        let indent = " ".repeat((line.len() - body.len()).min(width / 2));
        let room = width
            .saturating_sub(prefix.chars().count() + indent.len())
            .max(8);
        let pieces: Vec<String> = wrap(body, room)
            .into_iter()
            .enumerate()
            .map(|(i, p)| if i == 0 { format!("{indent}{p}") } else { p })
            .collect();
        for (i, piece) in pieces.into_iter().enumerate() {
            let lead = if i == 0 {
                prefix.clone()
            } else {
                " ".repeat(prefix.chars().count())
            };
            wrapped.push(Line::from(vec![
                Span::styled(lead, theme.dim),
                Span::styled(piece, theme.text),
            ]));
        }
    }
    // The outcome follows the log in the same scrolled region, so the
    // last line (the output's end) is what shows by default.
    if !outcome.is_empty() {
        wrapped.push(Line::raw(""));
        wrapped.extend(outcome);
    }
    let rows = log_area.height as usize;
    let max_back = wrapped.len().saturating_sub(rows);
    log.max_back.set(Some(max_back));
    let end = wrapped.len() - log.scroll_back.min(max_back);
    let start = end.saturating_sub(rows);
    Paragraph::new(wrapped[start..end].to_vec()).render(log_area, buf);
}
