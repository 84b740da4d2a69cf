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

use std::collections::HashSet;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;
use serde_json::{json, Map, Value};

use crate::app::LineEdit;
use crate::keymap::{Action, Key};
use crate::theme::Theme;
use callboard_core::search::{
    parse_query, rank, rank_texts, Corpus, Index, Options, Plan, Scope, NEVER,
};
use callboard_core::template::schema::{
    self, build_steps, display_value, get_path, set_path, Field, FieldError, FieldKind, FormStep,
    PickerKind, RepoUrl, ReviewLine, Widget,
};
use callboard_core::text;
use callboard_core::text::sanitize::sanitize_line;

/// Entity picker lists show at most this many matches.
const PICKER_LIMIT: usize = 200;

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

/// What a picker offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidates {
    /// Catalog entities: corpus indices, ascending.
    Entities(Vec<u32>),
    /// The catalog's tags, most used first, with their counts when shown.
    Tags(Vec<(String, Option<usize>)>),
}

impl Candidates {
    pub fn len(&self) -> usize {
        match self {
            Candidates::Entities(v) => v.len(),
            Candidates::Tags(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value a match stands for: an entity's ref, or the tag.
    fn value(&self, corpus: Option<&Corpus>, m: u32) -> Option<String> {
        match self {
            Candidates::Entities(_) => Some(corpus?.get(m as usize)?.entity_ref().into_owned()),
            Candidates::Tags(tags) => tags.get(m as usize).map(|t| t.0.clone()),
        }
    }

    /// What a match's row shows after its value: the title, or the count.
    fn detail(&self, corpus: Option<&Corpus>, m: u32) -> String {
        match self {
            Candidates::Entities(_) => corpus
                .and_then(|c| c.get(m as usize))
                .map(|v| v.title().to_string())
                .unwrap_or_default(),
            Candidates::Tags(tags) => tags
                .get(m as usize)
                .and_then(|t| t.1)
                .map(|n| format!("({n})"))
                .unwrap_or_default(),
        }
    }
}

/// The open entity picker.
#[derive(Debug, Clone)]
pub struct PickerPopup {
    pub path: Vec<String>,
    pub multi: bool,
    pub query: LineEdit,
    pub candidates: Candidates,
    /// The best matches first: corpus indices for entities, indices into
    /// the tags for tags.
    pub matches: Vec<u32>,
    pub cursor: usize,
    /// Why the list may be incomplete (a filter key we cannot apply).
    pub note: Option<String>,
}

/// What the app should do after a key.
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
        };
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
        let ctx = callboard_core::template::expr::Val::from(json!({ "parameters": self.values }));
        build_steps(&self.steps, &self.values)
            .into_iter()
            .filter(|s| match &s.when {
                None => true,
                Some(expr) => {
                    match callboard_core::template::expr::render_value(
                        &Value::String(expr.clone()),
                        &ctx,
                    ) {
                        Ok(v) => callboard_core::template::expr::is_truthy(v.as_ref()),
                        // A `when` we cannot evaluate hides nothing.
                        Err(_) => true,
                    }
                }
            })
            .collect()
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
                (!s.is_empty()).then_some(Value::String(s))
            }
            _ => parse_text(&field, &self.edit.text),
        };
        self.set_value(&field, value);
    }

    fn set_value(&mut self, field: &Field, value: Option<Value>) {
        set_path(&mut self.values, &field.path, value);
        self.unsaved = true;
        self.touched.insert(field.key());
        // A value can switch a branch on: its defaults arrive now.
        schema::apply_defaults(&self.steps, &mut self.values);
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
            FieldKind::Boolean | FieldKind::Choice | FieldKind::MultiChoice
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
            let hosts = option_strings(&field, part.allowed_key());
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
            FieldKind::Choice => match key.code {
                KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right => {
                    let current = get_path(&self.values, &field.path)
                        .and_then(|v| field.choices.iter().position(|c| &c.value == v));
                    let next = cycle(current, field.choices.len(), key.code != KeyCode::Left);
                    if let Some(c) = field.choices.get(next) {
                        self.set_value(&field, Some(c.value.clone()));
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
                        if let Some(action) = edit_action(key) {
                            if self.edit.edit(&action) {
                                self.store_edit();
                            }
                        }
                    }
                }
            }
        }
    }

    fn enter_moves_on(&mut self) {
        if self.at_last_row() {
            let _ = self.next_page();
        } else {
            self.move_focus(1);
        }
    }

    fn open_picker(&mut self, field: &Field, multi: bool) {
        let (candidates, note) = match &self.corpus {
            Some(corpus) if field.picker() == Some(PickerKind::EntityTags) => {
                (Candidates::Tags(tag_candidates(corpus, field)), None)
            }
            Some(corpus) => {
                let (entities, note) = entity_candidates(corpus, field);
                (Candidates::Entities(entities), note)
            }
            None => (
                Candidates::Entities(Vec::new()),
                Some("the catalog is still loading".to_string()),
            ),
        };
        let mut popup = PickerPopup {
            path: field.path.clone(),
            multi,
            query: LineEdit::default(),
            matches: Vec::new(),
            candidates,
            cursor: 0,
            note,
        };
        let corpus = self.corpus.as_deref();
        rematch(&mut popup, corpus, self.index.as_deref());
        if !multi {
            // Start on the current value, if it is offered.
            if let Some(current) = get_path(&self.values, &field.path).and_then(Value::as_str) {
                popup.cursor = popup
                    .matches
                    .iter()
                    .position(|&m| popup.candidates.value(corpus, m).as_deref() == Some(current))
                    .unwrap_or(0);
            }
        }
        self.popup = Some(popup);
    }

    fn popup_key(&mut self, key: &Key) {
        let Some(mut popup) = self.popup.take() else {
            return;
        };
        match key.code {
            KeyCode::Esc => {
                self.load_edit();
                return;
            }
            KeyCode::Down => {
                popup.cursor = (popup.cursor + 1).min(popup.matches.len().saturating_sub(1))
            }
            KeyCode::Up => popup.cursor = popup.cursor.saturating_sub(1),
            KeyCode::Enter => {
                let chosen = popup
                    .matches
                    .get(popup.cursor)
                    .and_then(|&m| popup.candidates.value(self.corpus.as_deref(), m));
                let Some(chosen) = chosen else {
                    self.popup = Some(popup);
                    return;
                };
                let Some((field, _)) = self.focused() else {
                    return;
                };
                if popup.multi {
                    let mut items = get_path(&self.values, &field.path)
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    let v = Value::String(chosen);
                    match items.iter().position(|x| x == &v) {
                        Some(i) => {
                            items.remove(i);
                        }
                        None => items.push(v),
                    }
                    let value = (!items.is_empty()).then_some(Value::Array(items));
                    self.set_value(&field, value);
                    self.popup = Some(popup);
                } else {
                    self.set_value(&field, Some(Value::String(chosen)));
                    self.load_edit();
                }
                return;
            }
            _ => {
                if let Some(action) = edit_action(key) {
                    if popup.query.edit(&action) {
                        rematch(&mut popup, self.corpus.as_deref(), self.index.as_deref());
                    }
                }
            }
        }
        self.popup = Some(popup);
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn cycle(current: Option<usize>, len: usize, forward: bool) -> usize {
    if len == 0 {
        return 0;
    }
    match (current, forward) {
        (None, true) => 0,
        (None, false) => len - 1,
        (Some(i), true) => (i + 1) % len,
        (Some(i), false) => (i + len - 1) % len,
    }
}

fn option_strings(field: &Field, key: &str) -> Vec<String> {
    field
        .options
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Text-editing keys (as the query line uses them).
fn edit_action(key: &Key) -> Option<Action> {
    let ctrl = key.mods.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('w') if ctrl => Action::DeleteWord,
        KeyCode::Char('u') if ctrl => Action::ClearLine,
        KeyCode::Char('a') if ctrl => Action::CursorHome,
        KeyCode::Char('e') if ctrl => Action::CursorEnd,
        KeyCode::Char(c) if !ctrl && !key.mods.contains(KeyModifiers::ALT) => Action::Input(c),
        KeyCode::Backspace => Action::Backspace,
        KeyCode::Delete => Action::DeleteChar,
        KeyCode::Left => Action::CursorLeft,
        KeyCode::Right => Action::CursorRight,
        KeyCode::Home => Action::CursorHome,
        KeyCode::End => Action::CursorEnd,
        _ => return None,
    })
}

/// A value as editable text.
fn edit_text(field: &Field, value: &Value) -> String {
    match (&field.kind, value) {
        (FieldKind::Json, v) if !v.is_string() => v.to_string(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}

/// Typed text as the field's value; empty text removes the value. Text
/// that does not parse stays a string, so validation can say why.
fn parse_text(field: &Field, text: &str) -> Option<Value> {
    if text.trim().is_empty() {
        return None;
    }
    let list = |t: &str| {
        let items: Vec<Value> = t
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Value::String(s.to_string()))
            .collect();
        (!items.is_empty()).then_some(Value::Array(items))
    };
    match field.kind {
        FieldKind::Integer => Some(
            text.trim()
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(text.to_string())),
        ),
        FieldKind::Number => Some(
            text.trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(|n| {
                    // 3 stays an integer in JSON, as the user typed it.
                    text.trim()
                        .parse::<i64>()
                        .map(Value::from)
                        .unwrap_or(Value::Number(n))
                })
                .unwrap_or_else(|| Value::String(text.to_string())),
        ),
        FieldKind::StringList
        | FieldKind::Picker(PickerKind::EntityTags)
        | FieldKind::Picker(PickerKind::MultiEntity) => list(text),
        FieldKind::Json => {
            Some(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string())))
        }
        _ => Some(Value::String(text.to_string())),
    }
}

/// The entities a picker offers: its `catalogFilter` (or legacy
/// `allowedKinds`), else the picker's own default (Group/User for owners).
pub fn entity_candidates(corpus: &Corpus, field: &Field) -> (Vec<u32>, Option<String>) {
    let mut filters: Vec<Map<String, Value>> = match field.options.get("catalogFilter") {
        Some(Value::Object(f)) => vec![f.clone()],
        Some(Value::Array(fs)) => fs.iter().filter_map(|f| f.as_object().cloned()).collect(),
        _ => Vec::new(),
    };
    if let Some(kinds) = field.options.get("allowedKinds") {
        if filters.is_empty() {
            filters.push(Map::new());
        }
        for f in &mut filters {
            f.insert("kind".into(), kinds.clone());
        }
    }
    if filters.is_empty() {
        match field.picker() {
            Some(PickerKind::Owner) => filters.push(
                json!({"kind": ["Group", "User"]})
                    .as_object()
                    .cloned()
                    .unwrap(),
            ),
            Some(PickerKind::MyGroups) => {
                filters.push(json!({"kind": "Group"}).as_object().cloned().unwrap())
            }
            _ => {}
        }
    }
    let mut note = None;
    if field.picker() == Some(PickerKind::OwnedEntity)
        || field.picker() == Some(PickerKind::MyGroups)
    {
        note = Some("no signed-in user here: showing every match, not only yours".to_string());
    }
    // Compiled once: a picker over a big catalog tests every record.
    let compiled: Vec<Vec<(Sel, Want)>> = filters
        .iter()
        .map(|f| {
            f.iter()
                .filter_map(|(key, want)| {
                    let sel = Sel::parse(key)?;
                    let want = match want {
                        Value::Object(o) if o.get("exists").is_some() => {
                            Want::Exists(o["exists"].as_bool().unwrap_or(true))
                        }
                        Value::Array(options) => Want::AnyOf(
                            options
                                .iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect(),
                        ),
                        Value::String(w) => Want::AnyOf(vec![w.clone()]),
                        _ => return None,
                    };
                    Some((sel, want))
                })
                .collect()
        })
        .collect();
    let mut out = Vec::new();
    for (index, record) in corpus.iter().enumerate() {
        let passes = compiled.is_empty()
            || compiled.iter().any(|f| {
                f.iter().all(|(sel, want)| match want {
                    Want::Exists(expected) => {
                        any_value(&record, *sel, |h| !h.is_empty()) == *expected
                    }
                    Want::AnyOf(options) => any_value(&record, *sel, |h| {
                        options.iter().any(|w| h.eq_ignore_ascii_case(w))
                    }),
                })
            });
        if passes {
            out.push(index as u32);
        }
    }
    let unknown: Vec<&String> = filters
        .iter()
        .flat_map(|f| f.keys())
        .filter(|k| Sel::parse(k).is_none())
        .collect();
    if let Some(k) = unknown.first() {
        note = Some(format!(
            "filter on {} is not applied offline",
            sanitize_line(k)
        ));
    }
    (out, note)
}

/// A `catalogFilter` key the offline catalog can answer.
#[derive(Debug, Clone, Copy)]
enum Sel {
    Kind,
    Name,
    Namespace,
    Title,
    Type,
    Owner,
    Lifecycle,
    System,
    Tags,
}

impl Sel {
    fn parse(key: &str) -> Option<Sel> {
        Some(match key {
            "kind" => Sel::Kind,
            "metadata.name" => Sel::Name,
            "metadata.namespace" => Sel::Namespace,
            "metadata.title" => Sel::Title,
            "spec.type" => Sel::Type,
            "spec.owner" | "relations.ownedBy" => Sel::Owner,
            "spec.lifecycle" => Sel::Lifecycle,
            "spec.system" => Sel::System,
            "metadata.tags" => Sel::Tags,
            _ => return None,
        })
    }
}

enum Want {
    Exists(bool),
    AnyOf(Vec<String>),
}

fn any_value(
    record: &callboard_core::search::RecordView<'_>,
    sel: Sel,
    mut f: impl FnMut(&str) -> bool,
) -> bool {
    match sel {
        Sel::Kind => f(record.kind()),
        Sel::Name => f(record.name()),
        Sel::Namespace => f(record.namespace()),
        Sel::Title => f(record.title()),
        Sel::Type => f(record.spec_type()),
        Sel::Owner => f(record.owner()),
        Sel::Lifecycle => f(record.lifecycle()),
        Sel::System => f(record.system()),
        Sel::Tags => record.tags().any(f),
    }
}

/// The tags in use in the catalog (of `ui:options.kinds`, if given), most
/// used first, with their counts when `showCounts` is set.
pub fn tag_candidates(corpus: &Corpus, field: &Field) -> Vec<(String, Option<usize>)> {
    let kinds: Vec<String> = option_strings(field, "kinds");
    let show_counts = field.options.get("showCounts").and_then(Value::as_bool) == Some(true);
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for record in corpus.iter() {
        if !kinds.is_empty() && !kinds.iter().any(|k| k.eq_ignore_ascii_case(record.kind())) {
            continue;
        }
        for tag in record.tags() {
            *counts.entry(tag).or_default() += 1;
        }
    }
    let mut tags: Vec<(&str, usize)> = counts.into_iter().collect();
    tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    tags.into_iter()
        .map(|(tag, n)| (tag.to_string(), show_counts.then_some(n)))
        .collect()
}

/// Re-rank the picker's candidates for its query: entities by the
/// catalog's one ranking (filter syntax included), tags by nucleo's score.
fn rematch(popup: &mut PickerPopup, corpus: Option<&Corpus>, index: Option<&Index>) {
    popup.cursor = 0;
    popup.matches = match (&popup.candidates, corpus) {
        (Candidates::Entities(entities), Some(corpus)) => {
            let plan = Plan::new(corpus, &parse_query(&popup.query.text));
            let options = Options {
                limit: PICKER_LIMIT,
                threads: 2,
                cancel: NEVER,
            };
            rank(corpus, index, &plan, Scope::Only(entities), &options)
                .map(|r| r.hits)
                .unwrap_or_default()
        }
        (Candidates::Entities(_), None) => Vec::new(),
        (Candidates::Tags(tags), _) => rank_texts(tags, |t| &t.0, &popup.query.text, PICKER_LIMIT)
            .into_iter()
            .map(|i| i as u32)
            .collect(),
    };
}

// ----------------------------------------------------------------------
// Drawing
// ----------------------------------------------------------------------

fn clean(s: &str) -> String {
    sanitize_line(s).into_owned()
}

fn line_at(frame: &mut Frame, area: Rect, y: u16, spans: Vec<Span<'static>>) {
    if y >= area.y + area.height {
        return;
    }
    let row = Rect::new(area.x, y, area.width, 1);
    frame.render_widget(Paragraph::new(Line::from(spans)), row);
}

/// The value text of a row as drawn (masked values as dots).
fn shown_value(form: &FormState, field: &Field, row: Row, focused: bool) -> String {
    if focused
        && !matches!(
            field.kind,
            FieldKind::Boolean | FieldKind::Choice | FieldKind::MultiChoice
        )
    {
        return if field.masked {
            "•".repeat(form.edit.text.chars().count())
        } else {
            form.edit.text.clone()
        };
    }
    let value = get_path(&form.values, &field.path);
    if let Row::Repo(_, part) = row {
        let r = RepoUrl::parse(value.and_then(Value::as_str).unwrap_or(""));
        return match part {
            RepoPart::Host => r.host,
            RepoPart::Owner => r.owner,
            RepoPart::Repo => r.repo,
        };
    }
    match value {
        None => String::new(),
        Some(v) if field.masked => "•".repeat(v.as_str().map_or(8, |s| s.chars().count())),
        Some(v) => display_value(field, v),
    }
}

/// Draw the form (or its review page) into `area`; the last line is left
/// for the footer, which this draws too.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    form: &FormState,
    theme: &Theme,
    message: Option<(&str, bool)>,
) {
    frame.render_widget(Clear, area);
    let pages = form.visible_pages();
    let on_review = form.page >= pages.len();
    // Header: template title and the steps.
    let mut header = vec![
        Span::styled(" Create ", theme.tab_active),
        Span::styled(format!(" {}", clean(&form.title)), theme.title),
    ];
    if !on_review {
        header.push(Span::styled(
            format!("  step {}/{}", form.page + 1, pages.len() + 1),
            theme.dim,
        ));
    }
    line_at(frame, area, area.y, header);
    let mut crumbs = vec![Span::raw(" ")];
    for (i, p) in pages.iter().enumerate() {
        let style = if i == form.page {
            theme.tab_active
        } else {
            theme.tab
        };
        crumbs.push(Span::styled(
            format!(" {} {} ", i + 1, clean(&p.title)),
            style,
        ));
        crumbs.push(Span::raw(" "));
    }
    crumbs.push(Span::styled(
        " Review ",
        if on_review {
            theme.tab_active
        } else {
            theme.tab
        },
    ));
    line_at(frame, area, area.y + 1, crumbs);

    let body = Rect::new(
        area.x,
        area.y + 3,
        area.width,
        area.height.saturating_sub(5),
    );
    let footer_y = area.y + area.height.saturating_sub(1);
    let help_y = area.y + area.height.saturating_sub(2);

    if form.offered_draft.is_some() {
        line_at(
            frame,
            area,
            body.y,
            vec![Span::styled(
                " A draft of this form was saved earlier.".to_string(),
                theme.heading,
            )],
        );
        line_at(
            frame,
            area,
            body.y + 2,
            vec![
                Span::styled(" Enter".to_string(), theme.key),
                Span::styled(" resume the draft   ".to_string(), theme.dim),
                Span::styled("n".to_string(), theme.key),
                Span::styled(" start over   ".to_string(), theme.dim),
                Span::styled("Esc".to_string(), theme.key),
                Span::styled(" leave".to_string(), theme.dim),
            ],
        );
        return;
    }

    if on_review {
        draw_review(frame, body, form, theme);
        let hints = [
            ("↑/↓", "scroll"),
            ("l", "run locally"),
            ("r", "run on Backstage"),
            ("b", "back"),
            ("Esc", "leave (draft kept)"),
        ];
        footer(
            frame,
            area,
            footer_y,
            theme,
            message.or(form.note.as_deref().map(|n| (n, false))),
            &hints,
        );
        return;
    }
    let Some(page) = pages.get(form.page) else {
        return;
    };
    if let Some(desc) = &page.description {
        line_at(
            frame,
            area,
            area.y + 2,
            vec![Span::styled(format!(" {}", clean(desc)), theme.dim)],
        );
    }
    let rows = FormState::rows(page);
    let errors = form.shown_errors();
    let label_w = (area.width as usize / 3).clamp(12, 30);
    // Lay the rows out as lines, then scroll so the focus is visible.
    let mut lines: Vec<(Vec<Span<'static>>, bool)> = Vec::new();
    let mut focus_line = 0;
    for (n, row) in rows.iter().enumerate() {
        let focused = n == form.focus;
        if focused {
            focus_line = lines.len();
        }
        let (index, part) = match row {
            Row::Field(i) | Row::Heading(i) => (*i, None),
            Row::Repo(i, p) => (*i, Some(*p)),
        };
        let field = &page.fields[index];
        let indent = "  ".repeat(field.depth);
        if let Row::Heading(_) = row {
            lines.push((
                vec![Span::styled(
                    format!(" {indent}{}", clean(&field.title)),
                    theme.heading,
                )],
                false,
            ));
            continue;
        }
        let mut label = match part {
            Some(RepoPart::Host) => format!("{} › {}", field.title, RepoPart::Host.label()),
            Some(p) => format!("  › {}", p.label()),
            None => field.title.clone(),
        };
        if field.required && part.is_none_or(|p| p == RepoPart::Host) {
            label.push_str(" *");
        }
        let marker = if focused { "▸" } else { " " };
        let label_text = text::fit(&format!("{indent}{}", clean(&label)), label_w);
        let mut spans = vec![
            Span::styled(marker.to_string(), theme.accent),
            Span::styled(
                format!("{label_text} "),
                if focused { theme.title } else { theme.label },
            ),
        ];
        spans.extend(value_spans(form, field, *row, focused, theme));
        lines.push((spans, focused));
        if field.widget == Widget::Textarea {
            // The other lines of a textarea, indented under the value.
            let value = if focused {
                form.edit.text.clone()
            } else {
                get_path(&form.values, &field.path)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let rows_opt = field
                .options
                .get("rows")
                .and_then(Value::as_u64)
                .unwrap_or(3) as usize;
            for extra in value
                .split('\n')
                .skip(1)
                .take(rows_opt.saturating_sub(1).max(1))
            {
                lines.push((
                    vec![Span::raw(format!(
                        " {} {}",
                        " ".repeat(label_w),
                        clean(extra)
                    ))],
                    false,
                ));
            }
        }
        let key = field.key();
        if part.is_none_or(|p| p == RepoPart::Host) {
            if let Some(e) = errors.iter().find(|e| e.path == key) {
                lines.push((
                    vec![Span::styled(
                        format!(" {} ✗ {}", " ".repeat(label_w), clean(&e.message)),
                        theme.error,
                    )],
                    false,
                ));
            }
        }
    }
    let height = body.height as usize;
    let offset = (focus_line + 2).saturating_sub(height);
    for (i, (spans, _)) in lines.into_iter().skip(offset).take(height).enumerate() {
        line_at(frame, area, body.y + i as u16, spans);
    }

    // The focused field's description, help or note.
    if let Some((field, _)) = form.focused() {
        let mut help = Vec::new();
        if let Some(d) = &field.description {
            help.push(clean(d));
        }
        if let Some(h) = &field.help {
            help.push(clean(h));
        }
        if field.unknown_field {
            help.push(format!(
                "({} is not supported here: plain input)",
                clean(field.ui_field.as_deref().unwrap_or(""))
            ));
        }
        if let Some(p) = &field.placeholder {
            if form.edit.text.is_empty() {
                help.push(format!("e.g. {}", clean(p)));
            }
        }
        if !help.is_empty() {
            line_at(
                frame,
                area,
                help_y,
                vec![Span::styled(format!(" {}", help.join(" · ")), theme.dim)],
            );
        }
        let hints: Vec<(&str, &str)> = match field.kind {
            FieldKind::Boolean => vec![
                ("Space", "toggle"),
                ("^N", "next step"),
                ("^P", "back"),
                ("Esc", "leave"),
            ],
            FieldKind::Choice => vec![
                ("←/→", "choose"),
                ("^N", "next step"),
                ("^P", "back"),
                ("Esc", "leave"),
            ],
            FieldKind::MultiChoice => vec![
                ("←/→", "move"),
                ("Space", "pick"),
                ("^N", "next step"),
                ("Esc", "leave"),
            ],
            FieldKind::Picker(p) if p.has_popup() => {
                vec![
                    ("Enter", "search the catalog"),
                    ("↑/↓", "move"),
                    ("^N", "next step"),
                    ("Esc", "leave"),
                ]
            }
            _ => vec![
                ("↑/↓", "move"),
                ("Enter", "next field"),
                ("^N", "next step"),
                ("^P", "back"),
                ("Esc", "leave"),
            ],
        };
        footer(
            frame,
            area,
            footer_y,
            theme,
            message.or(form.note.as_deref().map(|n| (n, false))),
            &hints,
        );
    }
    if let Some(popup) = &form.popup {
        draw_popup(frame, body, popup, form, theme);
    }
}

fn value_spans(
    form: &FormState,
    field: &Field,
    row: Row,
    focused: bool,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let current = get_path(&form.values, &field.path);
    match field.kind {
        FieldKind::Boolean => {
            let on = current.and_then(Value::as_bool).unwrap_or(false);
            vec![Span::styled(
                if on { "[x] yes" } else { "[ ] no" }.to_string(),
                if focused { theme.selection } else { theme.text },
            )]
        }
        FieldKind::Choice if field.widget == Widget::Radio => {
            let mut spans = Vec::new();
            for c in &field.choices {
                let on = current == Some(&c.value);
                spans.push(Span::styled(
                    format!("({}) {}", if on { "•" } else { " " }, clean(&c.label)),
                    if on && focused {
                        theme.selection
                    } else {
                        theme.text
                    },
                ));
                spans.push(Span::raw("  "));
            }
            spans
        }
        FieldKind::Choice => {
            let label = current
                .and_then(|v| field.choices.iter().find(|c| &c.value == v))
                .map(|c| clean(&c.label))
                .unwrap_or_else(|| "—".into());
            vec![Span::styled(
                format!("‹ {label} ›"),
                if focused { theme.selection } else { theme.text },
            )]
        }
        FieldKind::MultiChoice => {
            let picked = current
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut spans = Vec::new();
            for (i, c) in field.choices.iter().enumerate() {
                let on = picked.contains(&c.value);
                spans.push(Span::styled(
                    format!("[{}] {}", if on { "x" } else { " " }, clean(&c.label)),
                    if focused && i == form.choice_cursor {
                        theme.selection
                    } else {
                        theme.text
                    },
                ));
                spans.push(Span::raw(" "));
            }
            spans
        }
        _ => {
            let shown = shown_value(form, field, row, focused);
            let first = shown.split('\n').next().unwrap_or("").to_string();
            let mut spans = Vec::new();
            let limited = match row {
                Row::Repo(_, part) => !option_strings(field, part.allowed_key()).is_empty(),
                _ => false,
            };
            if limited {
                spans.push(Span::styled("‹ ".to_string(), theme.dim));
                spans.push(Span::styled(
                    clean(&first),
                    if focused { theme.selection } else { theme.text },
                ));
                spans.push(Span::styled(" ›".to_string(), theme.dim));
                return spans;
            }
            if focused {
                // The cursor as a reversed cell (masked: at the end).
                let text_before: String = if field.masked {
                    first.clone()
                } else {
                    form.edit.text[..form.edit.cursor]
                        .split('\n')
                        .next_back()
                        .unwrap_or("")
                        .to_string()
                };
                let (before, after) = if field.masked || field.widget == Widget::Textarea {
                    (first.clone(), String::new())
                } else {
                    (
                        text_before.clone(),
                        first[text_before.len().min(first.len())..].to_string(),
                    )
                };
                spans.push(Span::raw(clean(&before)));
                let mut rest = after.chars();
                let at = rest
                    .next()
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| " ".into());
                spans.push(Span::styled(clean(&at), theme.selection));
                spans.push(Span::raw(clean(rest.as_str())));
            } else if first.is_empty() {
                spans.push(Span::styled(
                    field
                        .placeholder
                        .as_deref()
                        .map(clean)
                        .unwrap_or_else(|| "—".into()),
                    theme.dim,
                ));
            } else {
                spans.push(Span::raw(clean(&first)));
            }
            if field.picker().is_some_and(|p| p.has_popup()) {
                spans.push(Span::styled("  ⏎ search".to_string(), theme.dim));
            }
            if field.unknown_field {
                spans.push(Span::styled("  (plain input)".to_string(), theme.warn));
            }
            spans
        }
    }
}

fn footer(
    frame: &mut Frame,
    area: Rect,
    y: u16,
    theme: &Theme,
    message: Option<(&str, bool)>,
    hints: &[(&str, &str)],
) {
    let spans = match message {
        Some((text, error)) => vec![Span::styled(
            format!(" {}{}", if error { "✗ " } else { "" }, clean(text)),
            if error { theme.error } else { theme.status },
        )],
        None => {
            let mut spans = vec![Span::raw(" ")];
            for (k, what) in hints {
                spans.push(Span::styled(k.to_string(), theme.key));
                spans.push(Span::styled(format!(" {what}  "), theme.dim));
            }
            spans
        }
    };
    line_at(frame, area, y, spans);
}

fn draw_review(frame: &mut Frame, body: Rect, form: &FormState, theme: &Theme) {
    let lines = form.review();
    let label_w = (body.width as usize / 3).clamp(12, 30);
    let mut out: Vec<Vec<Span<'static>>> = Vec::new();
    let mut step = String::new();
    for l in &lines {
        if l.step != step {
            step = l.step.clone();
            out.push(vec![Span::styled(format!(" {step}"), theme.heading)]);
        }
        out.push(vec![
            Span::styled(format!("   {} ", text::fit(&l.label, label_w)), theme.label),
            Span::raw(l.value.clone()),
        ]);
    }
    if lines.is_empty() {
        out.push(vec![Span::styled(
            " No values to review.".to_string(),
            theme.dim,
        )]);
    }
    let errors = form.all_errors();
    if !errors.is_empty() {
        out.push(vec![]);
        out.push(vec![Span::styled(
            format!(
                " ✗ {} to fix before running",
                plural(errors.len(), "problem")
            ),
            theme.error,
        )]);
    }
    let hidden = form.hidden_page_errors();
    if !hidden.is_empty() {
        let paths: Vec<String> = hidden.iter().map(|e| clean(&e.path)).collect();
        out.push(vec![]);
        out.push(vec![Span::styled(
            " ! Backstage also checks the pages hidden here; a remote run needs:".to_string(),
            theme.warn,
        )]);
        for chunk in text::wrap(&paths.join(", "), (body.width as usize).saturating_sub(4)) {
            out.push(vec![Span::styled(format!("   {chunk}"), theme.warn)]);
        }
    }
    // Scrolled with ↑/↓, never past the last line.
    let offset = form
        .review_offset
        .min(out.len().saturating_sub(body.height as usize));
    for (i, spans) in out
        .into_iter()
        .skip(offset)
        .take(body.height as usize)
        .enumerate()
    {
        line_at(frame, body, body.y + i as u16, spans);
    }
}

fn draw_popup(frame: &mut Frame, body: Rect, popup: &PickerPopup, form: &FormState, theme: &Theme) {
    let w = body.width.saturating_sub(8).max(20).min(body.width);
    // Sized to the list, so the fields above stay in view when it is short.
    let wanted = popup.matches.len().max(1) + 3 + usize::from(popup.note.is_some());
    let h = (wanted as u16)
        .clamp(5, body.height.saturating_sub(1).max(5))
        .min(body.height);
    let area = Rect::new(
        body.x + (body.width - w) / 2,
        body.y + 1.min(body.height),
        w,
        h,
    );
    frame.render_widget(Clear, area);
    let tags = form
        .focused()
        .is_some_and(|(f, _)| f.picker() == Some(PickerKind::EntityTags));
    let title = if tags {
        " Pick tags (Enter adds/removes, Esc done) "
    } else if popup.multi {
        " Pick entities (Enter adds/removes, Esc done) "
    } else {
        " Pick an entity "
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut y = inner.y;
    line_at(
        frame,
        inner,
        y,
        vec![
            Span::styled("> ".to_string(), theme.key),
            Span::raw(clean(&popup.query.text)),
            Span::styled(" ".to_string(), theme.selection),
            Span::styled(
                format!("  {}/{}", popup.matches.len(), popup.candidates.len()),
                theme.dim,
            ),
        ],
    );
    y += 1;
    if let Some(note) = &popup.note {
        line_at(frame, inner, y, vec![Span::styled(clean(note), theme.warn)]);
        y += 1;
    }
    let picked: Vec<Value> = get_path(&form.values, &popup.path)
        .map(|v| match v {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        })
        .unwrap_or_default();
    let room = (inner.y + inner.height).saturating_sub(y) as usize;
    let offset = (popup.cursor + 1).saturating_sub(room);
    let corpus = form.corpus.as_deref();
    for (n, &m) in popup.matches.iter().enumerate().skip(offset).take(room) {
        let value = popup.candidates.value(corpus, m).unwrap_or_default();
        let detail = popup.candidates.detail(corpus, m);
        let on = picked.contains(&Value::String(value.clone()));
        let style = if n == popup.cursor {
            theme.selection
        } else {
            theme.text
        };
        let mut spans = vec![Span::styled(
            format!("{}{}", if on { "✓ " } else { "  " }, clean(&value)),
            style,
        )];
        if !detail.is_empty() {
            spans.push(Span::styled(format!("  {}", clean(&detail)), theme.dim));
        }
        line_at(frame, inner, y, spans);
        y += 1;
    }
    if popup.matches.is_empty() {
        line_at(
            frame,
            inner,
            y,
            vec![Span::styled("no match".to_string(), theme.dim)],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

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

#[cfg(test)]
mod measure {
    use super::*;
    use callboard_core::search::SearchRecord;

    /// Not a benchmark gate: prints how long a picker takes over a big
    /// catalog (`cargo test --release --lib picker_over_a_big_catalog -- --nocapture`).
    #[test]
    fn picker_over_a_big_catalog() {
        let n = 100_000;
        let records: Vec<SearchRecord> = (0..n)
            .map(|i| SearchRecord {
                entity_ref: format!("component:default/service-{i}"),
                kind: if i % 10 == 0 { "Group" } else { "Component" }.into(),
                namespace: "default".into(),
                name: format!("service-{i}"),
                title: format!("Service number {i}"),
                spec_type: "service".into(),
                owner: "group:default/team-a".into(),
                lifecycle: "production".into(),
                system: String::new(),
                tags: vec!["java".into()],
                description: String::new(),
            })
            .collect();
        let corpus = Corpus::new(&records);
        let pages = vec![
            json!({"properties": {"c": {"type": "string", "ui:field": "EntityPicker",
            "ui:options": {"catalogFilter": {"kind": "Component"}}}}}),
        ];
        let field = build_steps(&pages, &Map::new())[0].fields[0].clone();
        let start = std::time::Instant::now();
        let (candidates, _) = entity_candidates(&corpus, &field);
        let filtered = start.elapsed();
        assert_eq!(candidates.len(), 90_000);
        let mut popup = PickerPopup {
            path: vec!["c".into()],
            multi: false,
            query: LineEdit::new("svc 4242"),
            matches: Vec::new(),
            candidates: Candidates::Entities(candidates),
            cursor: 0,
            note: None,
        };
        let start = std::time::Instant::now();
        rematch(&mut popup, Some(&corpus), None);
        let matched = start.elapsed();
        assert!(!popup.matches.is_empty());
        let without = popup.matches.clone();
        let index = Index::build(&corpus);
        let start = std::time::Instant::now();
        rematch(&mut popup, Some(&corpus), Some(&index));
        let indexed = start.elapsed();
        assert_eq!(popup.matches, without);
        println!(
            "picker over {n} records: filter {filtered:?}, one keystroke {matched:?} \
             ({indexed:?} with the list's index)"
        );
    }
}
