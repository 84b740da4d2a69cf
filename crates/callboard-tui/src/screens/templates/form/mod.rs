//! The keyboard form for a template's parameters: one wizard page at a
//! time, then a review page built only from the current values.
//!
//! The values map is the single source of truth: every keystroke writes the
//! parsed value back, and the page's fields are rebuilt from the values
//! ([`schema::build_steps`]) so conditional fields come and go as the user
//! types, and next/back never lose anything.
//!
//! Keys (fixed, not from the key map, because letters type into fields):
//! ↑/↓ or Tab/Shift-Tab move between fields, Enter moves on (or opens a
//! picker), Space/←/→ toggle and cycle choices, Ctrl-N/PageDown goes to the
//! next page (validating this one), Ctrl-P/PageUp goes back, Esc leaves (the
//! draft is kept).
//!
//! The entity pickers are in `picker`, drawing in [`draw`], the screen
//! that holds the form (and what it came from) in [`FormScreen`].

mod draw;
pub mod items;
mod picker;
mod screen;
mod values;

use std::collections::HashSet;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyModifiers};
use serde_json::{Map, Value};

use crate::keymap::{Action, Key};
use crate::widgets::line_edit::field_edit_action;
use crate::widgets::LineEdit;
use callboard_core::search::{Corpus, Index};
use callboard_core::template::schema::{
    self, build_steps, get_path, set_path, shown_steps, Field, FieldError, FieldKind, FormStep,
    PickerKind, RepoUrl, ReviewLine, Widget,
};
use callboard_core::text::sanitize::sanitize_line;

pub use draw::draw;
use picker::rematch;
pub use picker::{entity_candidates, tag_candidates, Candidates, PickerPopup};
pub use screen::FormScreen;
use values::{cycle, edit_text, parse_text, plural};

/// One focusable (or heading) row of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Field(usize),
    /// A nested object's title: not focusable.
    Heading(usize),
    /// One part of a `RepoUrlPicker`.
    Repo(usize, RepoPart),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepoPart {
    Host,
    Owner,
    Repo,
}

impl RepoPart {
    /// The `ui:options` list that limits this part (cycled with ←/→).
    fn allowed_key(self) -> &'static str {
        match self {
            RepoPart::Host => "allowedHosts",
            RepoPart::Owner => "allowedOwners",
            RepoPart::Repo => "allowedRepos",
        }
    }

    fn label(self) -> &'static str {
        match self {
            RepoPart::Host => "Host",
            RepoPart::Owner => "Owner",
            RepoPart::Repo => "Repository",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormOutcome {
    None,
    /// Leave the form; the draft should be saved.
    Leave,
    /// Values changed at a page boundary: a good time to save the draft.
    SaveDraft,
    /// From the review page: run locally.
    RunLocal,
    /// From the review page: run on the Backstage endpoint.
    RunRemote,
}

/// The whole form state. Its `Debug` leaves the values out: they may
/// hold secrets.
#[derive(Clone)]
pub struct FormState {
    pub template_ref: String,
    pub title: String,
    /// `spec.parameters` pages.
    pub steps: Vec<Value>,
    pub values: Map<String, Value>,
    /// Index into [`FormState::visible_pages`]; equal to its length on the
    /// review page.
    pub page: usize,
    /// Index into the page's rows.
    pub focus: usize,
    /// Text being edited in the focused row.
    pub edit: LineEdit,
    /// Sub-cursor in a multi-select.
    pub choice_cursor: usize,
    /// Fields whose messages are shown (edited, or the page was submitted).
    pub touched: HashSet<String>,
    pub popup: Option<PickerPopup>,
    /// A saved draft waiting for the user's answer (resume or start over).
    pub offered_draft: Option<Map<String, Value>>,
    /// The catalog for pickers.
    corpus: Option<Arc<Corpus>>,
    /// The catalog list's index of that corpus: big pickers rank faster.
    index: Option<Arc<Index>>,
    /// A one-line note for the footer.
    pub note: Option<String>,
    /// Values changed since the draft was last saved.
    unsaved: bool,
    /// Lines scrolled on the review page.
    pub review_offset: usize,
    /// The item editor of a list-of-objects field, when open.
    pub items: Option<Box<items::ItemEditor>>,
}

impl std::fmt::Debug for FormState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormState")
            .field("template_ref", &self.template_ref)
            .field("page", &self.page)
            .field("focus", &self.focus)
            .field("values", &self.values.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl FormState {
    /// A fresh form: defaults applied, autofocus honoured.
    pub fn new(
        template_ref: &str,
        title: &str,
        steps: Vec<Value>,
        corpus: Option<Arc<Corpus>>,
    ) -> FormState {
        let mut values = Map::new();
        schema::apply_defaults(&steps, &mut values);
        let mut form = FormState {
            template_ref: template_ref.to_string(),
            title: title.to_string(),
            steps,
            values,
            page: 0,
            focus: 0,
            edit: LineEdit::default(),
            choice_cursor: 0,
            touched: HashSet::new(),
            popup: None,
            offered_draft: None,
            corpus,
            index: None,
            note: None,
            unsaved: false,
            review_offset: 0,
            items: None,
        };
        form.preselect_repo_parts();
        form.focus_autofocus();
        form.load_edit();
        form
    }

    /// Rank pickers with the catalog list's index of the same corpus.
    pub fn with_index(mut self, index: Option<Arc<Index>>) -> FormState {
        self.index = index;
        self
    }

    /// Offer a saved draft; the user answers with Enter (resume) or `n`.
    pub fn offer_draft(&mut self, draft: Map<String, Value>) {
        if !draft.is_empty() {
            self.offered_draft = Some(draft);
        }
    }

    fn resume_draft(&mut self, draft: Map<String, Value>) {
        // Draft values over the defaults; masked values were never saved.
        for (k, v) in draft {
            self.values.insert(k, v);
        }
        schema::apply_defaults(&self.steps, &mut self.values);
        self.page = 0;
        self.focus = 0;
        self.focus_autofocus();
        self.load_edit();
        self.note = Some("draft restored (secrets are never saved: type them again)".into());
    }

    /// Pages whose `when:` holds for the current values.
    pub fn visible_pages(&self) -> Vec<FormStep> {
        shown_steps(build_steps(&self.steps, &self.values), &self.values)
    }

    pub fn on_review(&self) -> bool {
        self.page >= self.visible_pages().len()
    }

    /// The page on screen (None on review).
    pub fn current_page(&self) -> Option<FormStep> {
        self.visible_pages().into_iter().nth(self.page)
    }

    pub fn rows(page: &FormStep) -> Vec<Row> {
        let mut rows = Vec::new();
        for (i, f) in page.fields.iter().enumerate() {
            if !f.is_visible() {
                continue;
            }
            match f.kind {
                FieldKind::Object => rows.push(Row::Heading(i)),
                FieldKind::Picker(PickerKind::RepoUrl) => {
                    for part in [RepoPart::Host, RepoPart::Owner, RepoPart::Repo] {
                        rows.push(Row::Repo(i, part));
                    }
                }
                _ => rows.push(Row::Field(i)),
            }
        }
        rows
    }

    fn focusable(row: &Row) -> bool {
        !matches!(row, Row::Heading(_))
    }

    /// The focused field and row.
    pub fn focused(&self) -> Option<(Field, Row)> {
        let page = self.current_page()?;
        let rows = FormState::rows(&page);
        let row = *rows.get(self.focus)?;
        let index = match row {
            Row::Field(i) | Row::Heading(i) | Row::Repo(i, _) => i,
        };
        Some((page.fields[index].clone(), row))
    }

    fn focus_autofocus(&mut self) {
        let Some(page) = self.current_page() else {
            return;
        };
        let rows = FormState::rows(&page);
        let auto = rows.iter().position(|r| match r {
            Row::Field(i) | Row::Repo(i, _) => page.fields[*i].autofocus,
            Row::Heading(_) => false,
        });
        self.focus = auto
            .or_else(|| rows.iter().position(FormState::focusable))
            .unwrap_or(0);
    }

    /// Put the focused value's text into the edit line.
    fn load_edit(&mut self) {
        self.choice_cursor = 0;
        let Some((field, row)) = self.focused() else {
            self.edit = LineEdit::default();
            return;
        };
        let value = get_path(&self.values, &field.path);
        // A radio's cursor starts on the chosen option.
        if field.kind == FieldKind::Choice {
            self.choice_cursor = value
                .and_then(|v| field.choices.iter().position(|c| &c.value == v))
                .unwrap_or(0);
        }
        let text = match row {
            Row::Repo(_, part) => {
                let r = RepoUrl::parse(value.and_then(Value::as_str).unwrap_or(""));
                match part {
                    RepoPart::Host => r.host,
                    RepoPart::Owner => r.owner,
                    RepoPart::Repo => r.repo,
                }
            }
            _ => value.map(|v| edit_text(&field, v)).unwrap_or_default(),
        };
        self.edit = LineEdit::new(&text);
    }

    /// Write the edit line back as the field's value.
    fn store_edit(&mut self) {
        let Some((field, row)) = self.focused() else {
            return;
        };
        let value = match row {
            Row::Repo(_, part) => {
                let current = get_path(&self.values, &field.path)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let mut r = RepoUrl::parse(&current);
                let text = self.edit.text.trim().to_string();
                match part {
                    RepoPart::Host => r.host = text,
                    RepoPart::Owner => r.owner = text,
                    RepoPart::Repo => r.repo = text,
                }
                let s = r.to_value_string();
                // Checked when the part is left, not while it is typed.
                set_path(
                    &mut self.values,
                    &field.path,
                    (!s.is_empty()).then_some(Value::String(s)),
                );
                self.unsaved = true;
                return;
            }
            _ => parse_text(&field, &self.edit.text),
        };
        self.set_value(&field, value);
    }

    /// A RepoUrlPicker part limited to one allowed host (or owner) starts
    /// with it, as the web form preselects it.
    fn preselect_repo_parts(&mut self) {
        for page in self.visible_pages() {
            for field in &page.fields {
                if field.picker() != Some(PickerKind::RepoUrl) {
                    continue;
                }
                let current = get_path(&self.values, &field.path)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let mut r = RepoUrl::parse(&current);
                let mut changed = false;
                for (part, key) in [
                    (RepoPart::Host, "allowedHosts"),
                    (RepoPart::Owner, "allowedOwners"),
                ] {
                    let allowed = field.option_strings(key);
                    let slot = match part {
                        RepoPart::Host => &mut r.host,
                        _ => &mut r.owner,
                    };
                    if allowed.len() == 1 && slot.is_empty() {
                        *slot = allowed[0].clone();
                        changed = true;
                    }
                }
                if changed {
                    set_path(
                        &mut self.values,
                        &field.path,
                        Some(Value::String(r.to_value_string())),
                    );
                }
            }
        }
    }

    fn set_value(&mut self, field: &Field, value: Option<Value>) {
        set_path(&mut self.values, &field.path, value);
        self.unsaved = true;
        self.touched.insert(field.key());
        // A value can switch a branch on: its defaults arrive now.
        schema::apply_defaults(&self.steps, &mut self.values);
        self.preselect_repo_parts();
    }

    /// The messages of the page on screen, for touched fields.
    pub fn shown_errors(&self) -> Vec<FieldError> {
        let Some(page) = self.current_page() else {
            return Vec::new();
        };
        schema::validate_step(&page, &self.values)
            .into_iter()
            .filter(|e| self.touched.contains(&e.path))
            .collect()
    }

    /// The review page's lines (visible pages only).
    pub fn review(&self) -> Vec<ReviewLine> {
        let visible: Vec<usize> = self.visible_pages().iter().map(|s| s.index).collect();
        schema::review_lines(&self.steps, &self.values, Some(&visible))
    }

    /// Problems on every visible page, with the page they are on.
    pub fn all_errors(&self) -> Vec<(usize, FieldError)> {
        self.visible_pages()
            .iter()
            .enumerate()
            .flat_map(|(n, p)| {
                schema::validate_step(p, &self.values)
                    .into_iter()
                    .map(move |e| (n, e))
            })
            .collect()
    }

    /// Problems on pages `when` hides: the backend still validates every
    /// page, so a remote run would be refused.
    pub fn hidden_page_errors(&self) -> Vec<FieldError> {
        let visible: Vec<usize> = self.visible_pages().iter().map(|p| p.index).collect();
        build_steps(&self.steps, &self.values)
            .iter()
            .filter(|p| !visible.contains(&p.index))
            .flat_map(|p| schema::validate_step(p, &self.values))
            .collect()
    }

    fn move_focus(&mut self, delta: isize) {
        let Some(page) = self.current_page() else {
            return;
        };
        let rows = FormState::rows(&page);
        if rows.is_empty() {
            return;
        }
        let mut i = self.focus as isize;
        loop {
            i += delta;
            if i < 0 || i >= rows.len() as isize {
                return;
            }
            if FormState::focusable(&rows[i as usize]) {
                break;
            }
        }
        // Leaving a repository part: now it is checked; while a part is
        // being typed, its field shows no message.
        if let Some(Row::Repo(f, _)) = rows.get(self.focus) {
            self.touched.insert(page.fields[*f].key());
        }
        if let Some(Row::Repo(f, _)) = rows.get(i as usize) {
            self.touched.remove(&page.fields[*f].key());
        }
        self.focus = i as usize;
        self.load_edit();
    }

    fn at_last_row(&self) -> bool {
        let Some(page) = self.current_page() else {
            return true;
        };
        let rows = FormState::rows(&page);
        !rows
            .get(self.focus + 1..)
            .is_some_and(|rest| rest.iter().any(FormState::focusable))
    }

    /// Next page, if this one is valid; else show its messages and focus
    /// the first problem.
    fn next_page(&mut self) -> FormOutcome {
        let Some(page) = self.current_page() else {
            return FormOutcome::None;
        };
        let errors = schema::validate_step(&page, &self.values);
        if let Some(first) = errors.first() {
            for e in &errors {
                self.touched.insert(e.path.clone());
            }
            let rows = FormState::rows(&page);
            if let Some(pos) = rows.iter().position(|r| match r {
                Row::Field(i) | Row::Repo(i, _) => page.fields[*i].key() == first.path,
                Row::Heading(_) => false,
            }) {
                self.focus = pos;
                self.load_edit();
            }
            self.note = Some(format!(
                "{} to fix before the next step",
                plural(errors.len(), "problem")
            ));
            return FormOutcome::None;
        }
        self.page += 1;
        self.focus = 0;
        self.focus_autofocus();
        self.load_edit();
        self.unsaved = false;
        FormOutcome::SaveDraft
    }

    fn prev_page(&mut self) -> FormOutcome {
        if self.page == 0 {
            return FormOutcome::None;
        }
        let pages = self.visible_pages().len();
        self.page = self.page.min(pages) - 1;
        self.focus = 0;
        self.focus_autofocus();
        self.load_edit();
        self.unsaved = false;
        FormOutcome::SaveDraft
    }

    /// Pasted text: into the picker's query or the focused text field.
    pub fn paste(&mut self, text: &str) {
        let paste = Action::Paste(text.to_string());
        if let Some(popup) = &mut self.popup {
            if popup.query.edit(&paste) {
                rematch(popup, self.corpus.as_deref(), self.index.as_deref());
            }
            return;
        }
        let Some((field, _)) = self.focused() else {
            return;
        };
        let editable = !matches!(
            field.kind,
            FieldKind::Boolean | FieldKind::Choice | FieldKind::MultiChoice | FieldKind::ObjectList
        );
        if editable && !field.readonly && self.offered_draft.is_none() && self.edit.edit(&paste) {
            self.store_edit();
        }
    }

    /// Handle a key press.
    pub fn handle_key(&mut self, key: &Key) -> FormOutcome {
        self.note = None;
        let ctrl = key.mods.contains(KeyModifiers::CONTROL);
        if let Some(draft) = self.offered_draft.take() {
            match key.code {
                KeyCode::Enter | KeyCode::Char('y') => self.resume_draft(draft),
                KeyCode::Char('n') => self.note = Some("starting over".into()),
                KeyCode::Esc => return FormOutcome::Leave,
                _ => self.offered_draft = Some(draft),
            }
            return FormOutcome::None;
        }
        if self.popup.is_some() {
            self.popup_key(key);
            return FormOutcome::None;
        }
        if let Some(editor) = &mut self.items {
            if let items::ItemOutcome::Done(list) = editor.handle_key(key) {
                let path = editor.path.clone();
                self.items = None;
                if let Some((field, _)) = self.focused().filter(|(f, _)| f.path == path) {
                    self.set_value(&field, (!list.is_empty()).then_some(Value::Array(list)));
                }
                return FormOutcome::SaveDraft;
            }
            return FormOutcome::None;
        }
        if self.on_review() {
            return match (key.code, ctrl) {
                (KeyCode::Esc, _) => FormOutcome::Leave,
                (KeyCode::Char('p'), true) | (KeyCode::PageUp, _) | (KeyCode::BackTab, _) => {
                    self.prev_page()
                }
                (KeyCode::Char('b'), false) | (KeyCode::Left, false) => self.prev_page(),
                (KeyCode::Char('l'), false) => self.check_then(FormOutcome::RunLocal),
                (KeyCode::Char('r'), false) => self.check_then(FormOutcome::RunRemote),
                (KeyCode::Down, _) | (KeyCode::Char('j'), false) => {
                    self.review_offset = (self.review_offset + 1).min(self.review().len());
                    FormOutcome::None
                }
                (KeyCode::Up, _) | (KeyCode::Char('k'), false) => {
                    self.review_offset = self.review_offset.saturating_sub(1);
                    FormOutcome::None
                }
                _ => FormOutcome::None,
            };
        }
        match (key.code, ctrl) {
            (KeyCode::Esc, _) => return FormOutcome::Leave,
            (KeyCode::Char('n'), true) | (KeyCode::PageDown, _) => return self.next_page(),
            (KeyCode::Char('p'), true) | (KeyCode::PageUp, _) => return self.prev_page(),
            (KeyCode::Down, _) | (KeyCode::Tab, _) => self.move_focus(1),
            (KeyCode::Up, _) | (KeyCode::BackTab, _) => self.move_focus(-1),
            _ => {
                self.field_key(key);
                return FormOutcome::None;
            }
        }
        // Leaving a changed field is a good moment for the draft.
        if std::mem::take(&mut self.unsaved) {
            return FormOutcome::SaveDraft;
        }
        FormOutcome::None
    }

    /// Before a run: every visible page must be valid.
    fn check_then(&mut self, run: FormOutcome) -> FormOutcome {
        let errors = self.all_errors();
        if let Some((page, first)) = errors.first() {
            for (_, e) in &errors {
                self.touched.insert(e.path.clone());
            }
            self.page = *page;
            self.focus = 0;
            self.load_edit();
            self.note = Some(format!(
                "{}: {} ({})",
                sanitize_line(&first.path),
                first.message,
                plural(errors.len(), "problem")
            ));
            return FormOutcome::None;
        }
        run
    }

    fn field_key(&mut self, key: &Key) {
        let Some((field, row)) = self.focused() else {
            return;
        };
        if field.readonly {
            if key.code == KeyCode::Enter {
                self.enter_moves_on();
            }
            return;
        }
        let ctrl = key.mods.contains(KeyModifiers::CONTROL);
        if let Row::Repo(_, part) = row {
            let hosts = field.option_strings(part.allowed_key());
            if !hosts.is_empty()
                && matches!(
                    key.code,
                    KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                )
            {
                let current = hosts.iter().position(|h| *h == self.edit.text);
                let next = cycle(current, hosts.len(), key.code != KeyCode::Left);
                self.edit = LineEdit::new(&hosts[next]);
                self.store_edit();
                return;
            }
        }
        match field.kind {
            FieldKind::ObjectList => match key.code {
                KeyCode::Enter | KeyCode::Char(' ') => {
                    let current = get_path(&self.values, &field.path).cloned();
                    self.items = Some(Box::new(items::ItemEditor::new(&field, current.as_ref())));
                }
                KeyCode::Backspace | KeyCode::Delete => self.set_value(&field, None),
                _ => {}
            },
            FieldKind::Boolean => match key.code {
                KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right => {
                    let now = get_path(&self.values, &field.path)
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    self.set_value(&field, Some(Value::Bool(!now)));
                }
                KeyCode::Char('y') => self.set_value(&field, Some(Value::Bool(true))),
                KeyCode::Char('n') => self.set_value(&field, Some(Value::Bool(false))),
                KeyCode::Enter => self.enter_moves_on(),
                _ => {}
            },
            FieldKind::Choice if field.widget == Widget::Radio => match key.code {
                // ←/→ move between the options, Space selects.
                KeyCode::Left => self.choice_cursor = self.choice_cursor.saturating_sub(1),
                KeyCode::Right => {
                    self.choice_cursor =
                        (self.choice_cursor + 1).min(field.choices.len().saturating_sub(1))
                }
                KeyCode::Char(' ') => {
                    if let Some(c) = field.choices.get(self.choice_cursor) {
                        self.set_value(&field, Some(c.value.clone()));
                        if schema::is_form_state(&field.key()) {
                            self.switch_option(&field.key(), self.choice_cursor);
                        }
                    }
                }
                KeyCode::Backspace | KeyCode::Delete => self.set_value(&field, None),
                KeyCode::Enter => self.enter_moves_on(),
                _ => {}
            },
            FieldKind::Number | FieldKind::Integer
                if field.widget == Widget::Range
                    && matches!(key.code, KeyCode::Left | KeyCode::Right) =>
            {
                let num = |k: &str| field.schema.get(k).and_then(Value::as_f64);
                let step = num("multipleOf").filter(|s| *s > 0.0).unwrap_or(1.0);
                let (min, max) = (num("minimum"), num("maximum"));
                let now = get_path(&self.values, &field.path)
                    .and_then(Value::as_f64)
                    .or(min)
                    .unwrap_or(0.0);
                let mut next = if key.code == KeyCode::Left {
                    now - step
                } else {
                    now + step
                };
                if let Some(m) = min {
                    next = next.max(m);
                }
                if let Some(m) = max {
                    next = next.min(m);
                }
                let value = if next.fract() == 0.0 && next.abs() < 9e15 {
                    Value::from(next as i64)
                } else {
                    serde_json::Number::from_f64(next)
                        .map(Value::Number)
                        .unwrap_or(Value::Null)
                };
                self.edit = LineEdit::new(&edit_text(&field, &value));
                self.set_value(&field, Some(value));
            }
            FieldKind::Choice => match key.code {
                KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right => {
                    let current = get_path(&self.values, &field.path)
                        .and_then(|v| field.choices.iter().position(|c| &c.value == v));
                    let next = cycle(current, field.choices.len(), key.code != KeyCode::Left);
                    if let Some(c) = field.choices.get(next) {
                        self.set_value(&field, Some(c.value.clone()));
                        if schema::is_form_state(&field.key()) {
                            self.switch_option(&field.key(), next);
                        }
                    }
                }
                KeyCode::Backspace | KeyCode::Delete => self.set_value(&field, None),
                KeyCode::Enter => self.enter_moves_on(),
                _ => {}
            },
            FieldKind::MultiChoice => match key.code {
                KeyCode::Left => self.choice_cursor = self.choice_cursor.saturating_sub(1),
                KeyCode::Right => {
                    self.choice_cursor =
                        (self.choice_cursor + 1).min(field.choices.len().saturating_sub(1))
                }
                KeyCode::Char(' ') => {
                    if let Some(choice) = field.choices.get(self.choice_cursor) {
                        let mut items = get_path(&self.values, &field.path)
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default();
                        match items.iter().position(|v| v == &choice.value) {
                            Some(i) => {
                                items.remove(i);
                            }
                            None => items.push(choice.value.clone()),
                        }
                        // Keep the schema's order, not the order of clicks.
                        items.sort_by_key(|v| field.choices.iter().position(|c| &c.value == v));
                        let value = (!items.is_empty()).then_some(Value::Array(items));
                        self.set_value(&field, value);
                    }
                }
                KeyCode::Enter => self.enter_moves_on(),
                _ => {}
            },
            _ => {
                let picker = field.picker().filter(|p| p.has_popup());
                match key.code {
                    KeyCode::Enter if field.widget == Widget::Textarea && !ctrl => {
                        self.edit.edit(&Action::Input('\n'));
                        self.store_edit();
                    }
                    KeyCode::Enter if picker.is_some() && !matches!(row, Row::Repo(..)) => {
                        let multi = matches!(
                            picker,
                            Some(PickerKind::MultiEntity | PickerKind::EntityTags)
                        );
                        self.open_picker(&field, multi);
                    }
                    KeyCode::Enter => self.enter_moves_on(),
                    _ => {
                        if let Some(action) = field_edit_action(key) {
                            if self.edit.edit(&action) {
                                self.store_edit();
                            }
                        }
                    }
                }
            }
        }
    }

    /// A page's `oneOf` option was chosen: the other options' values go,
    /// as the web form drops them, and the new option's defaults come in.
    fn switch_option(&mut self, key: &str, chosen: usize) {
        let Some(page) = (0..self.steps.len()).find(|i| schema::branch_key(*i) == key) else {
            return;
        };
        for k in schema::other_options_keys(&self.steps[page], chosen) {
            self.values.shift_remove(&k);
        }
        schema::apply_defaults(&self.steps, &mut self.values);
    }

    fn enter_moves_on(&mut self) {
        if self.at_last_row() {
            let _ = self.next_page();
        } else {
            self.move_focus(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};
    use serde_json::json;

    fn key(code: KeyCode) -> Key {
        Key::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> Key {
        Key::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn typed(form: &mut FormState, text: &str) {
        for c in text.chars() {
            form.handle_key(&key(KeyCode::Char(c)));
        }
    }

    fn fixture_pages(name: &str) -> Vec<Value> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/backstage-examples/scaffolder-sample-templates")
            .join(name)
            .join("template.yaml");
        let doc: Value = serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        schema::parameter_steps(doc.pointer("/spec/parameters"))
    }

    fn titles(form: &FormState) -> Vec<String> {
        form.visible_pages().into_iter().map(|p| p.title).collect()
    }

    #[test]
    fn page_when_follows_the_values() {
        let mut form = FormState::new("t", "T", fixture_pages("conditional-parameters-demo"), None);
        assert_eq!(titles(&form), ["Choose Cloud Provider", "Advanced Options"]);
        typed(&mut form, "demo");
        form.handle_key(&key(KeyCode::Down));
        // AWS, then GCP: one provider page at a time.
        form.handle_key(&key(KeyCode::Right));
        assert_eq!(
            titles(&form),
            [
                "Choose Cloud Provider",
                "AWS Configuration",
                "Advanced Options"
            ]
        );
        form.handle_key(&key(KeyCode::Right));
        assert_eq!(
            titles(&form),
            [
                "Choose Cloud Provider",
                "GCP Configuration",
                "Advanced Options"
            ]
        );
        // Next: the GCP page, its default filled in; its required field
        // holds the wizard there.
        assert_eq!(form.handle_key(&ctrl('n')), FormOutcome::SaveDraft);
        assert_eq!(form.current_page().unwrap().title, "GCP Configuration");
        assert_eq!(form.values["gcpRegion"], json!("us-central1"));
        assert_eq!(form.handle_key(&ctrl('n')), FormOutcome::None);
        assert_eq!(form.shown_errors()[0].path, "gcpProjectId");
        typed(&mut form, "proj-1");
        form.handle_key(&ctrl('n'));
        // Monitoring on: its page appears after Advanced Options.
        form.handle_key(&key(KeyCode::Char(' ')));
        assert!(titles(&form).contains(&"Monitoring Configuration".to_string()));
        // Back twice: nothing typed is lost.
        form.handle_key(&ctrl('p'));
        form.handle_key(&ctrl('p'));
        assert_eq!(form.current_page().unwrap().title, "Choose Cloud Provider");
        assert_eq!(form.values["name"], json!("demo"));
        assert_eq!(form.values["gcpProjectId"], json!("proj-1"));
        assert_eq!(form.values["enableMonitoring"], json!(true));
        // The review lists only the visible pages.
        let review: Vec<String> = form.review().iter().map(|l| l.step.clone()).collect();
        assert!(review.contains(&"GCP Configuration".to_string()));
        assert!(!review.contains(&"AWS Configuration".to_string()));
        // The hidden AWS and Azure pages still have required fields.
        let hidden: Vec<String> = form
            .hidden_page_errors()
            .into_iter()
            .map(|e| e.path)
            .collect();
        assert_eq!(hidden, ["awsRegion", "azureSubscriptionId"]);
    }

    #[test]
    fn typed_text_becomes_typed_values() {
        let pages = vec![json!({"properties": {
            "n": {"type": "integer"},
            "x": {"type": "number"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "obj": {"type": "object", "properties": {"inner": {"type": "string", "default": "d"}}}
        }})];
        let mut form = FormState::new("t", "T", pages, None);
        assert_eq!(form.values["obj"], json!({"inner": "d"}));
        typed(&mut form, "42");
        form.handle_key(&key(KeyCode::Down));
        typed(&mut form, "2.5");
        form.handle_key(&key(KeyCode::Down));
        typed(&mut form, "a, b,,c ");
        assert_eq!(form.values["n"], json!(42));
        assert_eq!(form.values["x"], json!(2.5));
        assert_eq!(form.values["tags"], json!(["a", "b", "c"]));
        // The nested field is reached past its heading and edits in place.
        form.handle_key(&key(KeyCode::Down));
        form.handle_key(&ctrl('u'));
        typed(&mut form, "z");
        assert_eq!(form.values["obj"], json!({"inner": "z"}));
        // Clearing removes the value; text that is not a number stays
        // text, so validation can say so.
        form.handle_key(&key(KeyCode::Up));
        form.handle_key(&ctrl('u'));
        assert!(!form.values.contains_key("tags"));
        form.handle_key(&key(KeyCode::Up));
        form.handle_key(&key(KeyCode::Up));
        typed(&mut form, "x");
        assert_eq!(form.values["n"], json!("42x"));
        assert_eq!(form.shown_errors()[0].message, "Must be a whole number");
    }
}
