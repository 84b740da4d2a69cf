//! The catalog screen: the query line (fuzzy text and filters) over the
//! result list, with a preview of the selection beside it (or a two-line
//! summary under it on narrow screens). The matcher ([`Picker`]) runs on
//! its own threads; the list shows the rows it read before the frame.

mod draw;

use std::sync::Arc;

use ratatui::layout::Rect;
use ratatui::Frame;

use super::entity::{open_best_link, Pending, DOCS, OVERVIEW};
use super::{Cmd, Cx, Effect, Hint, Keys, Outcome, Screen};
use crate::command;
use crate::keymap::{Action, Keymap, Scope};
use crate::layout;
use crate::messages::Request;
use crate::picker::{Picker, Progress, Row};
use crate::widgets::list::{clamp_offset, scroll_step};
use crate::widgets::LineEdit;
use callboard_core::catalog::entity_ref;
use callboard_core::docs::runbook::DocsRunbook;
use callboard_core::search::backend::{free_text, BackendHit};
use callboard_core::search::{Corpus, Index};

/// At most this many TechDocs hits under the list.
const DOCS_ROWS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// Letters type into the query line.
    Query,
    /// Letters are commands.
    List,
}

/// The catalog screen's state.
pub struct CatalogScreen {
    pub query: LineEdit,
    pub focus: Focus,
    /// Index of the selected match.
    pub cursor: usize,
    pub offset: usize,
    /// The visible rows, read from the matcher before each frame.
    pub rows: Vec<Row>,
    pub progress: Progress,
    /// The matcher over the loaded corpus; None until the catalog loads.
    pub picker: Option<Picker>,
    /// `o` on a selection whose details had not arrived yet.
    pending_link: Option<String>,
    /// The selection the preview was last requested for.
    previewed: Option<String>,
    /// Sources whose first sync failed, why in words: an empty catalog
    /// says so instead of asking for sources.
    pub first_sync_failed: Vec<String>,
    /// The free text last sent to the backends' search.
    backend_asked: Option<String>,
    /// What the backends' search answered: for which text, the TechDocs
    /// hits, notes (offline).
    pub backend: Option<BackendAnswer>,
    /// The selected TechDocs hit (the cursor moved below the list).
    pub docs_cursor: Option<usize>,
}

/// The backends' search for one free text.
#[derive(Debug, Clone, Default)]
pub struct BackendAnswer {
    pub query: String,
    pub docs: Vec<BackendHit>,
    pub notes: Vec<String>,
}

impl Default for CatalogScreen {
    fn default() -> Self {
        CatalogScreen {
            query: LineEdit::default(),
            focus: Focus::Query,
            cursor: 0,
            offset: 0,
            rows: Vec::new(),
            progress: Progress::default(),
            picker: None,
            pending_link: None,
            previewed: None,
            first_sync_failed: Vec::new(),
            backend_asked: None,
            backend: None,
            docs_cursor: None,
        }
    }
}

impl CatalogScreen {
    pub fn corpus(&self) -> Option<&Arc<Corpus>> {
        self.picker.as_ref().map(|p| p.corpus())
    }

    /// The list's search index of that corpus, once built: the pickers and
    /// the template list rank with it.
    pub fn index(&self) -> Option<Arc<Index>> {
        self.picker.as_ref().and_then(|p| p.index())
    }

    /// Filters are set: their chips take a row.
    fn chips(&self) -> bool {
        self.picker
            .as_ref()
            .is_some_and(|p| !p.filters().is_empty())
    }

    fn list_height(&self, area: Rect) -> usize {
        let list = layout::catalog(area, self.chips()).list;
        (list.height - self.docs_strip_height(list.height)) as usize
    }

    /// The backends' answer for what is typed now (an older one is not shown).
    pub fn backend_shown(&self) -> Option<&BackendAnswer> {
        let text = free_text(&self.query.text);
        self.backend
            .as_ref()
            .filter(|b| !text.is_empty() && b.query == text)
            .filter(|b| !b.docs.is_empty() || !b.notes.is_empty())
    }

    /// Rows under the list for the TechDocs hits (a title row, then one a
    /// hit, or one for a note), at most half the list.
    pub fn docs_strip_height(&self, list_height: u16) -> u16 {
        let Some(b) = self.backend_shown() else {
            return 0;
        };
        let rows = 1 + b.docs.len().clamp(1, DOCS_ROWS);
        (rows as u16).min(list_height / 2)
    }

    fn docs_visible(&self) -> usize {
        self.backend_shown()
            .map(|b| b.docs.len().min(DOCS_ROWS))
            .unwrap_or(0)
    }

    /// The backends' search answered.
    pub fn backend_arrived(&mut self, query: String, hits: Vec<BackendHit>, notes: Vec<String>) {
        let docs = hits.into_iter().filter(|h| h.kind == "techdocs").collect();
        self.backend = Some(BackendAnswer { query, docs, notes });
        if self.docs_cursor.is_some_and(|d| d >= self.docs_visible()) {
            self.docs_cursor = None;
        }
    }

    /// The list does not answer the query yet (the matcher is at work).
    pub fn progress_running(&self) -> bool {
        self.picker.as_ref().is_some_and(|p| p.progress().running)
    }

    /// The corpus index of the selected match.
    pub fn selected_index(&self) -> Option<u32> {
        self.picker.as_ref()?.matched_index(self.cursor as u32)
    }

    /// The canonical ref of the selected match.
    pub fn selected_key(&self) -> Option<String> {
        let picker = self.picker.as_ref()?;
        let index = picker.matched_index(self.cursor as u32)?;
        Some(
            picker
                .corpus()
                .get(index as usize)?
                .entity_ref()
                .into_owned(),
        )
    }

    /// A new corpus (first load or after a sync): a new matcher, the query
    /// kept. `notify` wakes the event loop when the matcher has news.
    pub fn load(&mut self, corpus: Arc<Corpus>, notify: Arc<dyn Fn() + Send + Sync>) {
        let reload = self.picker.is_some();
        let mut picker = Picker::new(corpus, notify);
        picker.set_query(&self.query.text);
        self.picker = Some(picker);
        if reload {
            self.previewed = None;
        } else if self.cursor > 0 {
            self.cursor = 0;
        }
    }

    pub fn scroll_into_view(&mut self, area: Rect) {
        let height = self.list_height(area).max(1);
        self.offset = clamp_offset(self.offset, self.cursor, height);
    }

    fn move_list(&mut self, delta: isize, area: Rect) {
        let matched = self.progress.matched as usize;
        let docs = self.docs_visible();
        if let Some(d) = self.docs_cursor {
            let to = d as isize + delta;
            self.docs_cursor = if to < 0 && matched > 0 {
                None
            } else {
                Some(to.clamp(0, docs as isize - 1) as usize)
            };
            return;
        }
        // Down from the last match (or an empty list) goes to the docs hits.
        if delta > 0 && docs > 0 && (matched == 0 || self.cursor + 1 >= matched) {
            self.docs_cursor = Some(0);
            return;
        }
        if matched == 0 {
            self.cursor = 0;
            return;
        }
        let cursor = (self.cursor as isize + delta).clamp(0, matched as isize - 1);
        self.cursor = cursor as usize;
        self.scroll_into_view(area);
    }

    fn query_changed(&mut self) {
        if let Some(picker) = &mut self.picker {
            picker.set_query(&self.query.text);
        }
        self.cursor = 0;
        self.offset = 0;
        self.docs_cursor = None;
    }

    /// Show this query, the list focused.
    pub fn show_query(&mut self, query: &str) {
        self.query = LineEdit::new(query);
        self.focus = Focus::List;
        self.query_changed();
    }

    /// `/`: a new search. The filters stay, the text goes (Tab gets back
    /// to the query as it was).
    pub fn new_search(&mut self) {
        self.focus = Focus::Query;
        let query = command::with_text(&self.query.text, "");
        let query = if query.is_empty() {
            query
        } else {
            format!("{query} ")
        };
        if query != self.query.text {
            self.query = LineEdit::new(&query);
            self.query_changed();
        }
        self.query.cursor = self.query.text.len();
    }

    /// Before a frame: tick the matcher (waiting up to `timeout_ms`), read
    /// the visible rows, and, when `shown`, ask for the preview of the
    /// selection. True when anything visible changed; `dirty` says the
    /// frame is drawn anyway.
    pub fn prepare(&mut self, timeout_ms: u64, dirty: bool, shown: bool, cx: &mut Cx) -> bool {
        let height = self.list_height(cx.area);
        let Some(picker) = &mut self.picker else {
            return false;
        };
        let text = free_text(&self.query.text);
        if !text.is_empty() && self.backend_asked.as_deref() != Some(text.as_str()) {
            self.backend_asked = Some(text.clone());
            cx.out
                .push(Cmd::Effect(Effect::Request(Request::BackendSearch(text))));
        }
        let ticked = picker.tick(timeout_ms);
        let progress = picker.progress();
        let changed = ticked || progress != self.progress;
        self.progress = progress;
        let matched = progress.matched as usize;
        if self.cursor >= matched {
            self.cursor = matched.saturating_sub(1);
        }
        self.offset = clamp_offset(self.offset, self.cursor, height.max(1));
        if dirty || changed || self.rows.is_empty() {
            self.rows = picker.rows(self.offset as u32, height as u32);
        }
        if shown {
            let selected = self.selected_key();
            if selected != self.previewed {
                self.previewed = selected.clone();
                if let Some(key) = selected {
                    if layout::catalog(cx.area, false).preview.is_some() {
                        cx.out.push(Cmd::Detail { key, preview: true });
                    }
                }
            }
        }
        changed
    }

    /// An entity's details arrived: an `o` may have waited for them.
    pub fn detail_arrived(&mut self, key: &str, cx: &mut Cx) {
        if self.pending_link.as_deref() != Some(key) {
            return;
        }
        self.pending_link = None;
        if let Some(d) = cx.details.get(key).and_then(|d| d.ready()).cloned() {
            open_best_link(&d, cx);
        }
    }

    /// Enter on a TechDocs hit: its entity's Docs pane at that page.
    fn open_docs_hit(&self, index: usize, cx: &mut Cx) {
        let Some(hit) = self.backend_shown().and_then(|b| b.docs.get(index)) else {
            return;
        };
        let Some(key) = hit.entity_ref.clone() else {
            cx.say("this docs hit names no entity");
            return;
        };
        let path = hit.docs_path.clone().unwrap_or_default();
        // Built TechDocs sites name pages `guide/index.html`.
        let page = if path.is_empty() || path.ends_with('/') {
            format!("{path}index.html")
        } else {
            path
        };
        cx.out.push(Cmd::OpenEntity {
            key: key.clone(),
            pane: DOCS,
            pending: None,
        });
        cx.out.push(Cmd::DocsRunbook(DocsRunbook {
            docs_of: key,
            page,
            title: hit.title.clone(),
            anchor: None,
        }));
    }

    fn open_selected(&mut self, pane: usize, pending: Option<Pending>, cx: &mut Cx) {
        if let Some(d) = self.docs_cursor {
            self.open_docs_hit(d, cx);
            return;
        }
        let selected = self.selected_key();
        if pane == OVERVIEW && pending.is_none() {
            // Enter on a template fills in its form (its entity page is
            // still on 1-6).
            if let Some(key) = selected
                .as_ref()
                .filter(|k| entity_ref::ref_kind_is(k, "template"))
            {
                cx.out.push(Cmd::OpenTemplateForm(key.clone()));
                return;
            }
        }
        match selected {
            Some(key) => cx.out.push(Cmd::OpenEntity { key, pane, pending }),
            None => cx.say(if self.picker.is_some() {
                "no entity selected"
            } else {
                "the catalog is still loading"
            }),
        }
    }

    fn click(&mut self, column: u16, row: u16, cx: &mut Cx) {
        let l = layout::catalog(cx.area, self.chips());
        if l.query.contains((column, row).into()) {
            self.focus = Focus::Query;
        } else if l.list.contains((column, row).into()) {
            let index = self.offset + (row - l.list.y) as usize;
            if index < self.progress.matched as usize {
                if index == self.cursor {
                    self.open_selected(OVERVIEW, None, cx);
                } else {
                    self.cursor = index;
                    self.focus = Focus::List;
                }
            }
        }
    }
}

impl Screen for CatalogScreen {
    type Output = Outcome;

    fn keys(&self) -> Keys {
        match self.focus {
            Focus::Query => Keys::Typing(Scope::Catalog),
            Focus::List => Keys::Map(Scope::Catalog),
        }
    }

    fn update(&mut self, action: Action, cx: &mut Cx) -> Outcome {
        let area = cx.area;
        let page = self.list_height(area).max(1) as isize;
        if let Some(step) = scroll_step(&action, page) {
            self.move_list(step, area);
            return Outcome::Consumed;
        }
        match action {
            Action::Click { column, row } => self.click(column, row, cx),
            Action::Open => self.open_selected(OVERVIEW, None, cx),
            Action::Pane(n) => self.open_selected(n, None, cx),
            Action::Runbook => self.open_selected(OVERVIEW, Some(Pending::Runbook), cx),
            Action::Back => match self.focus {
                Focus::Query => self.focus = Focus::List,
                Focus::List if !self.query.text.is_empty() => {
                    self.query = LineEdit::default();
                    self.query_changed();
                    cx.say("query cleared");
                }
                Focus::List => {
                    let quit = cx.keymap.hint(&Action::Quit);
                    cx.say(format!("{quit} quits"));
                }
            },
            Action::NextPane | Action::PrevPane => {
                self.focus = match self.focus {
                    Focus::Query => Focus::List,
                    Focus::List => Focus::Query,
                };
            }
            Action::Copy => match self.selected_key() {
                Some(key) => cx.copy(&key, "ref"),
                None => cx.say("nothing selected"),
            },
            Action::OpenLink => {
                let Some(key) = self.selected_key() else {
                    cx.say("nothing selected");
                    return Outcome::Consumed;
                };
                match cx.details.get(&key).and_then(|d| d.ready()).cloned() {
                    Some(detail) => open_best_link(&detail, cx),
                    None => {
                        self.pending_link = Some(key.clone());
                        cx.out.push(Cmd::Detail { key, preview: true });
                    }
                }
            }
            edit @ (Action::Input(_)
            | Action::Paste(_)
            | Action::Backspace
            | Action::DeleteChar
            | Action::DeleteWord
            | Action::ClearLine
            | Action::CursorLeft
            | Action::CursorRight
            | Action::CursorHome
            | Action::CursorEnd) => {
                if self.query.edit(&edit) {
                    self.query_changed();
                }
            }
            other => return Outcome::Ignored(other),
        }
        Outcome::Consumed
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &Cx) {
        draw::draw(self, frame, area, cx);
    }

    fn hints(&self, keymap: &Keymap) -> Vec<Hint> {
        let k = |a: Action| keymap.hint(&a);
        match self.focus {
            Focus::Query => vec![
                ("↑↓".to_string(), "move"),
                (k(Action::Open), "open"),
                (k(Action::Back), "list keys"),
                (k(Action::Command), "cmd"),
            ],
            Focus::List => vec![
                (k(Action::Search), "search"),
                (k(Action::Pane(1)), "owner"),
                (k(Action::Runbook), "runbook"),
                (k(Action::Sync), "sync"),
                (k(Action::Help), "help"),
                (k(Action::Quit), "quit"),
            ],
        }
    }
}
