//! The application state and the one place it changes.
//!
//! Keys become [`Action`]s (through the [`Keymap`], or as text in the query
//! and command lines), worker results arrive as [`Msg`]s; [`App::update`] and
//! [`App::handle_msg`] apply them. Anything that needs I/O (a worker request,
//! the clipboard, a browser, a sync) is queued as an [`Effect`] for the event
//! loop to run. Drawing ([`crate::view::draw`]) only reads this state.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use crate::command::{self, Command};
use crate::keymap::{Action, Key, Keymap};
use crate::layout;
use crate::panes::{self, PaneLine, Target};
use crate::picker::{Picker, Progress, Row};
use crate::theme::Theme;
use crate::worker::{CatalogLoad, DepsDetail, EntityDetail, Msg, Request, SourceStatus, SyncEvent};
use callboard_core::catalog::index::Resolved;
use callboard_core::text;

pub const PANES: [&str; 6] = [
    "Overview",
    "Owner",
    "Relations",
    "Dependencies",
    "API",
    "Docs",
];
pub const OVERVIEW: usize = 0;
pub const OWNER: usize = 1;
pub const RELATIONS: usize = 2;
pub const DEPENDENCIES: usize = 3;
pub const API: usize = 4;
pub const DOCS: usize = 5;

/// How long an informational message stays in the status bar.
const MESSAGE_MS: u64 = 8_000;
/// Dependency levels shown expanded when a tree first appears.
pub const DEFAULT_EXPAND: usize = 2;
/// Entity details kept in memory before the cache is emptied.
const DETAIL_CACHE: usize = 512;

/// A one-line text field with a cursor (a byte offset on a char boundary).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEdit {
    pub text: String,
    pub cursor: usize,
}

impl LineEdit {
    pub fn new(text: &str) -> LineEdit {
        LineEdit {
            text: text.to_string(),
            cursor: text.len(),
        }
    }

    fn prev_boundary(&self) -> usize {
        self.text[..self.cursor]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next_boundary(&self) -> usize {
        self.text[self.cursor..]
            .chars()
            .next()
            .map_or(self.cursor, |c| self.cursor + c.len_utf8())
    }

    /// Apply an editing action; true when the text changed.
    pub fn edit(&mut self, action: &Action) -> bool {
        match action {
            Action::Input(c) => {
                self.text.insert(self.cursor, *c);
                self.cursor += c.len_utf8();
                true
            }
            Action::Paste(s) => {
                let clean = text::one_line(s).into_owned();
                self.text.insert_str(self.cursor, &clean);
                self.cursor += clean.len();
                !clean.is_empty()
            }
            Action::Backspace => {
                if self.cursor == 0 {
                    return false;
                }
                let start = self.prev_boundary();
                self.text.replace_range(start..self.cursor, "");
                self.cursor = start;
                true
            }
            Action::DeleteChar => {
                if self.cursor >= self.text.len() {
                    return false;
                }
                let end = self.next_boundary();
                self.text.replace_range(self.cursor..end, "");
                true
            }
            Action::DeleteWord => {
                let before = &self.text[..self.cursor];
                let trimmed = before.trim_end_matches(' ');
                let start = trimmed.rfind(' ').map_or(0, |i| i + 1);
                if start == self.cursor {
                    return false;
                }
                self.text.replace_range(start..self.cursor, "");
                self.cursor = start;
                true
            }
            Action::ClearLine => {
                let changed = !self.text.is_empty();
                self.text.clear();
                self.cursor = 0;
                changed
            }
            Action::CursorLeft => {
                self.cursor = self.prev_boundary();
                false
            }
            Action::CursorRight => {
                self.cursor = self.next_boundary();
                false
            }
            Action::CursorHome => {
                self.cursor = 0;
                false
            }
            Action::CursorEnd => {
                self.cursor = self.text.len();
                false
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// Letters type into the query line.
    Query,
    /// Letters are commands.
    List,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Command(LineEdit),
    Help { scroll: usize },
}

#[derive(Debug, Clone)]
pub enum Loadable<T> {
    Loading,
    Ready(T),
    Failed(String),
}

impl<T> Loadable<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Loadable::Ready(t) => Some(t),
            _ => None,
        }
    }
}

/// The catalog screen: query line and result list.
#[derive(Debug, Clone)]
pub struct CatalogView {
    pub query: LineEdit,
    pub focus: Focus,
    /// Index of the selected match.
    pub cursor: usize,
    pub offset: usize,
    /// The visible rows, read from the matcher before each frame.
    pub rows: Vec<Row>,
    pub progress: Progress,
}

/// A dependency node: which tree (`true` = dependents) and the child
/// indices from the root.
pub type NodeId = (bool, Vec<usize>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// Jump to the runbook once the details arrive.
    Runbook,
    /// Open the runbook (or first link) once the details arrive.
    OpenLink,
}

/// One entity on the back stack.
#[derive(Debug, Clone)]
pub struct EntityView {
    pub key: String,
    pub pane: usize,
    /// Line under the cursor per pane; None: the first line with a target.
    pub cursor: [Option<usize>; PANES.len()],
    pub offset: [usize; PANES.len()],
    /// Tree levels expanded by default; nodes in `toggled` are the other way.
    pub expand_level: usize,
    pub toggled: HashSet<NodeId>,
    pub pending: Option<Pending>,
}

impl EntityView {
    pub fn new(key: &str, pane: usize) -> EntityView {
        EntityView {
            key: key.to_string(),
            pane,
            cursor: [None; PANES.len()],
            offset: [0; PANES.len()],
            expand_level: DEFAULT_EXPAND,
            toggled: HashSet::new(),
            pending: None,
        }
    }

    pub fn expanded(&self, id: &NodeId) -> bool {
        (id.1.len() < self.expand_level) != self.toggled.contains(id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
    pub at_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncState {
    pub total: usize,
    pub index: usize,
    pub current: String,
    pub failed: usize,
    pub succeeded: usize,
}

/// Work for the event loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Request(Request),
    /// Put text on the clipboard; `what` says what it is, for the message.
    Copy {
        text: String,
        what: String,
    },
    /// Open a URL (or, over SSH / without a display, show and copy it).
    OpenUrl(String),
    StartSync,
    /// Ctrl-Z: give the terminal back and stop until `fg`.
    Suspend,
}

/// Facts about the session the keys depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Env {
    pub no_color: bool,
}

pub struct App {
    pub keymap: Keymap,
    pub theme: Theme,
    pub env: Env,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// The clock, milliseconds since the epoch (set by ticks; fixed in tests).
    pub now_ms: u64,
    pub catalog: CatalogView,
    pub picker: Option<Picker>,
    /// The catalog itself: loading, ready (the record count), failed.
    pub load: Loadable<usize>,
    pub sources: Vec<SourceStatus>,
    /// Entities opened, the top one shown; empty: the catalog screen.
    pub stack: Vec<EntityView>,
    pub details: HashMap<String, Loadable<Arc<EntityDetail>>>,
    pub deps: HashMap<String, Loadable<Arc<DepsDetail>>>,
    /// The Docs pane of each entity opened in it.
    pub docs: HashMap<String, crate::docs_pane::DocsPane>,
    pub mode: Mode,
    pub message: Option<Message>,
    pub last_error: Option<String>,
    pub sync: Option<SyncState>,
    /// Work queued for the event loop.
    pub effects: Vec<Effect>,
    pub quit: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// A catalog-screen action waiting for an entity's details.
    pending_catalog: Option<(String, Pending)>,
    /// The selection the preview was last requested for.
    previewed: Option<String>,
    notify: Arc<dyn Fn() + Send + Sync>,
    wake_pending: Arc<AtomicBool>,
    /// Spinner frame, advanced by ticks while something runs.
    pub spinner: usize,
    /// The software templates screens, over everything else when open.
    pub templates: Option<crate::templates::TemplateScreen>,
}

impl App {
    /// `notify` wakes the event loop (it sends [`Msg::Wake`]); `wake_pending`
    /// is the flag it sets so that a burst of wake-ups sends one message.
    pub fn new(keymap: Keymap, theme: Theme, env: Env, size: (u16, u16), now_ms: u64) -> App {
        App {
            keymap,
            theme,
            env,
            size,
            now_ms,
            catalog: CatalogView {
                query: LineEdit::default(),
                focus: Focus::Query,
                cursor: 0,
                offset: 0,
                rows: Vec::new(),
                progress: Progress::default(),
            },
            picker: None,
            load: Loadable::Loading,
            sources: Vec::new(),
            stack: Vec::new(),
            details: HashMap::new(),
            deps: HashMap::new(),
            docs: HashMap::new(),
            mode: Mode::Normal,
            message: None,
            last_error: None,
            sync: None,
            effects: vec![Effect::Request(Request::Load)],
            quit: false,
            dirty: true,
            pending_catalog: None,
            previewed: None,
            notify: Arc::new(|| {}),
            wake_pending: Arc::new(AtomicBool::new(false)),
            spinner: 0,
            templates: None,
        }
    }

    /// Wire the matcher's wake-ups to the event loop.
    pub fn set_notify(
        &mut self,
        notify: Arc<dyn Fn() + Send + Sync>,
        wake_pending: Arc<AtomicBool>,
    ) {
        self.notify = notify;
        self.wake_pending = wake_pending;
    }

    /// The entity shown, if not the catalog.
    pub fn top(&self) -> Option<&EntityView> {
        self.stack.last()
    }

    pub(crate) fn say(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: false,
            at_ms: self.now_ms,
        });
    }

    pub(crate) fn fail(&mut self, text: impl Into<String>) {
        let text = text.into();
        self.last_error = Some(text.clone());
        self.message = Some(Message {
            text,
            error: true,
            at_ms: self.now_ms,
        });
    }

    // ------------------------------------------------------------------
    // Input
    // ------------------------------------------------------------------

    /// A key press: map it to an action for the current mode and apply it.
    pub fn handle_key(&mut self, event: KeyEvent) {
        if event.kind == KeyEventKind::Release {
            return;
        }
        let key = Key::from_event(&event);
        if key.code == KeyCode::Char('c') && key.mods == KeyModifiers::CONTROL {
            self.update(Action::Quit);
            return;
        }
        if key.code == KeyCode::Char('z') && key.mods == KeyModifiers::CONTROL {
            // Back to the shell, as in any terminal program; `fg` returns.
            self.effects.push(Effect::Suspend);
            return;
        }
        if self.templates.is_some() && self.mode == Mode::Normal {
            // Letters type into the form's fields: no key map here.
            self.template_key(&key);
            return;
        }
        if let Some(action) = self.action_for(&key) {
            self.update(action);
        }
    }

    /// Which action a key means right now.
    pub fn action_for(&self, key: &Key) -> Option<Action> {
        let typing = match &self.mode {
            Mode::Command(_) => true,
            Mode::Help { .. } => false,
            Mode::Normal => {
                (self.stack.is_empty() && self.catalog.focus == Focus::Query)
                    || crate::docs_pane::typing(self)
            }
        };
        if typing {
            if let Some(edit) = text_edit_action(key) {
                return Some(edit);
            }
            // Enter and Esc keep their meaning whatever the key map says.
            match key.code {
                KeyCode::Enter if key.mods.is_empty() => return Some(Action::Open),
                KeyCode::Esc if key.mods.is_empty() => return Some(Action::Back),
                _ => {}
            }
            if matches!(self.mode, Mode::Command(_)) {
                return None;
            }
        }
        self.keymap.action(key)
    }

    pub fn handle_paste(&mut self, text: &str) {
        if self.templates.is_some() && self.mode == Mode::Normal {
            return self.template_paste(text);
        }
        let typing = matches!(self.mode, Mode::Command(_))
            || (self.mode == Mode::Normal
                && self.stack.is_empty()
                && self.catalog.focus == Focus::Query);
        if typing {
            self.update(Action::Paste(text.to_string()));
        }
    }

    pub fn handle_mouse(&mut self, event: MouseEvent) {
        if self.templates.is_some() {
            // The template screens are keyboard only.
            return;
        }
        let action = match event.kind {
            MouseEventKind::ScrollDown => Action::ScrollDown,
            MouseEventKind::ScrollUp => Action::ScrollUp,
            MouseEventKind::Down(crossterm::event::MouseButton::Left) => Action::Click {
                column: event.column,
                row: event.row,
            },
            _ => return,
        };
        self.update(action);
    }

    /// Apply one action.
    pub fn update(&mut self, action: Action) {
        if let Action::Tick(now) = action {
            self.tick(now);
            return;
        }
        self.dirty = true;
        if let Action::Resize(w, h) = action {
            self.size = (w, h);
            self.scroll_into_view();
            crate::docs_pane::on_show(self);
            return;
        }
        if action == Action::Quit && !matches!(self.mode, Mode::Help { .. }) {
            self.quit = true;
            return;
        }
        match self.mode.clone() {
            Mode::Command(mut line) => return self.update_command(&mut line, action),
            Mode::Help { scroll } => return self.update_help(scroll, action),
            Mode::Normal => {}
        }
        let Some(action) = crate::docs_pane::update(self, action) else {
            return;
        };
        match action {
            Action::Help => self.mode = Mode::Help { scroll: 0 },
            Action::Command => self.mode = Mode::Command(LineEdit::default()),
            Action::Search => {
                // A new search: the filters stay, the text goes (Tab gets
                // back to the query as it was).
                self.stack.clear();
                self.catalog.focus = Focus::Query;
                let query = command::with_text(&self.catalog.query.text, "");
                let query = if query.is_empty() {
                    query
                } else {
                    format!("{query} ")
                };
                if query != self.catalog.query.text {
                    self.catalog.query = LineEdit::new(&query);
                    self.query_changed();
                }
                self.catalog.query.cursor = self.catalog.query.text.len();
            }
            Action::Sync => self.start_sync(),
            Action::Templates => self.open_templates(),
            Action::ScrollDown | Action::ScrollUp => {
                let step = if action == Action::ScrollDown { 3 } else { -3 };
                if self.stack.is_empty() {
                    self.move_list(step);
                } else {
                    self.move_pane(step);
                }
            }
            Action::Click { column, row } => self.click(column, row),
            other if self.stack.is_empty() => self.catalog_action(other),
            other => self.entity_action(other),
        }
    }

    fn tick(&mut self, now: u64) {
        let minute = |ms: u64| ms / 60_000;
        if minute(now) != minute(self.now_ms) {
            self.dirty = true; // "synced 3 min ago" moved on
        }
        self.now_ms = now;
        if let Some(m) = &self.message {
            if !m.error && now.saturating_sub(m.at_ms) > MESSAGE_MS {
                self.message = None;
                self.dirty = true;
            }
        }
        let busy = self.sync.is_some()
            || matches!(self.load, Loadable::Loading)
            || self.catalog.progress.running
            || self.top().is_some_and(|v| {
                matches!(self.details.get(&v.key), Some(Loadable::Loading))
                    || (v.pane == DEPENDENCIES
                        && matches!(self.deps.get(&v.key), Some(Loadable::Loading)))
            });
        if busy {
            self.spinner = self.spinner.wrapping_add(1);
            self.dirty = true;
        }
    }

    fn update_command(&mut self, line: &mut LineEdit, action: Action) {
        match action {
            Action::Back => self.mode = Mode::Normal,
            Action::Open => {
                self.mode = Mode::Normal;
                match command::parse(&line.text) {
                    Ok(cmd) => self.run_command(cmd),
                    Err(e) => self.fail(e),
                }
            }
            Action::Backspace if line.text.is_empty() => self.mode = Mode::Normal,
            edit => {
                line.edit(&edit);
                self.mode = Mode::Command(line.clone());
            }
        }
    }

    fn update_help(&mut self, scroll: usize, action: Action) {
        let rows = self.keymap.help_rows().len() + 8;
        let page = self.size.1.saturating_sub(6).max(1) as usize;
        let max = rows.saturating_sub(page);
        let scroll = match action {
            Action::Back | Action::Help | Action::Quit => {
                self.mode = Mode::Normal;
                return;
            }
            Action::Down | Action::ScrollDown => scroll + 1,
            Action::Up | Action::ScrollUp => scroll.saturating_sub(1),
            Action::HalfPageDown | Action::PageDown => scroll + page / 2,
            Action::HalfPageUp | Action::PageUp => scroll.saturating_sub(page / 2),
            Action::Top => 0,
            Action::Bottom => max,
            _ => scroll,
        };
        self.mode = Mode::Help {
            scroll: scroll.min(max),
        };
    }

    fn run_command(&mut self, cmd: Command) {
        match cmd {
            Command::Quit => self.quit = true,
            Command::Sync => self.start_sync(),
            Command::Templates => self.open_templates(),
            Command::Help => self.mode = Mode::Help { scroll: 0 },
            Command::Filter(key, values) => {
                let query = command::with_filter(&self.catalog.query.text, key, &values);
                self.show_query(&query);
                if values.is_empty() {
                    self.say(format!("{} filter removed", key.as_str()));
                }
            }
            Command::Clear => self.show_query(""),
            Command::Find(text) => {
                let query = command::with_text(&self.catalog.query.text, &text);
                self.show_query(&query);
            }
            Command::Open(input) => {
                self.say(format!("looking up {}…", text::one_line(&input)));
                self.effects.push(Effect::Request(Request::Resolve(input)));
            }
            Command::Theme(name) => match Theme::from_config(Some(&name), self.env.no_color) {
                Ok(theme) => {
                    self.theme = theme;
                    if self.env.no_color && theme.name != name {
                        self.say("NO_COLOR is set: the mono theme stays");
                    }
                }
                Err(e) => self.fail(e),
            },
        }
    }

    /// Back to the catalog with this query, the list focused.
    fn show_query(&mut self, query: &str) {
        self.stack.clear();
        self.catalog.query = LineEdit::new(query);
        self.catalog.focus = Focus::List;
        self.query_changed();
    }

    fn query_changed(&mut self) {
        if let Some(picker) = &mut self.picker {
            picker.set_query(&self.catalog.query.text);
        }
        self.catalog.cursor = 0;
        self.catalog.offset = 0;
    }

    fn start_sync(&mut self) {
        if self.sync.is_some() {
            self.say("a sync is already running");
            return;
        }
        self.effects.push(Effect::StartSync);
        self.say("sync started");
    }

    // ------------------------------------------------------------------
    // Catalog screen
    // ------------------------------------------------------------------

    fn list_height(&self) -> usize {
        let chips = self
            .picker
            .as_ref()
            .is_some_and(|p| !p.filters().is_empty());
        layout::catalog(self.area(), chips).list.height as usize
    }

    pub fn area(&self) -> ratatui::layout::Rect {
        ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1)
    }

    /// The corpus index of the selected match.
    pub fn selected_index(&self) -> Option<u32> {
        self.picker
            .as_ref()?
            .matched_index(self.catalog.cursor as u32)
    }

    /// The canonical ref of the selected match.
    pub fn selected_key(&self) -> Option<String> {
        let picker = self.picker.as_ref()?;
        let index = picker.matched_index(self.catalog.cursor as u32)?;
        Some(
            picker
                .corpus()
                .get(index as usize)?
                .entity_ref()
                .into_owned(),
        )
    }

    fn move_list(&mut self, delta: isize) {
        let matched = self.catalog.progress.matched as usize;
        if matched == 0 {
            self.catalog.cursor = 0;
            return;
        }
        let cursor = (self.catalog.cursor as isize + delta).clamp(0, matched as isize - 1);
        self.catalog.cursor = cursor as usize;
        self.scroll_into_view();
    }

    fn scroll_into_view(&mut self) {
        if self.stack.is_empty() {
            let height = self.list_height().max(1);
            let c = &mut self.catalog;
            c.offset = clamp_offset(c.offset, c.cursor, height);
        } else if let Some((cursor, height)) = self.pane_cursor_and_height() {
            if let Some(view) = self.stack.last_mut() {
                let pane = view.pane;
                view.offset[pane] = clamp_offset(view.offset[pane], cursor, height);
            }
        }
    }

    fn catalog_action(&mut self, action: Action) {
        let page = self.list_height().max(1) as isize;
        match action {
            Action::Down => self.move_list(1),
            Action::Up => self.move_list(-1),
            Action::HalfPageDown => self.move_list(page / 2),
            Action::HalfPageUp => self.move_list(-page / 2),
            Action::PageDown => self.move_list(page),
            Action::PageUp => self.move_list(-page),
            Action::Top => self.move_list(isize::MIN / 2),
            Action::Bottom => self.move_list(isize::MAX / 2),
            Action::Open => self.open_selected(OVERVIEW, None),
            Action::Pane(n) => self.open_selected(n, None),
            Action::Runbook => self.open_selected(OVERVIEW, Some(Pending::Runbook)),
            Action::Back => match self.catalog.focus {
                Focus::Query => self.catalog.focus = Focus::List,
                Focus::List if !self.catalog.query.text.is_empty() => {
                    self.catalog.query = LineEdit::default();
                    self.query_changed();
                    self.say("query cleared");
                }
                Focus::List => {
                    let quit = self.keymap.hint(&Action::Quit);
                    self.say(format!("{quit} quits"));
                }
            },
            Action::NextPane | Action::PrevPane => {
                self.catalog.focus = match self.catalog.focus {
                    Focus::Query => Focus::List,
                    Focus::List => Focus::Query,
                };
            }
            Action::Copy => match self.selected_key() {
                Some(key) => self.copy(key, "ref"),
                None => self.say("nothing selected"),
            },
            Action::OpenLink => {
                let Some(key) = self.selected_key() else {
                    return self.say("nothing selected");
                };
                match self.details.get(&key).and_then(Loadable::ready).cloned() {
                    Some(detail) => self.open_best_link(&detail),
                    None => {
                        self.pending_catalog = Some((key.clone(), Pending::OpenLink));
                        self.request_detail(&key, true);
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
            | Action::CursorEnd)
                if self.catalog.query.edit(&edit) =>
            {
                self.query_changed();
            }
            _ => {}
        }
    }

    fn open_selected(&mut self, pane: usize, pending: Option<Pending>) {
        if pane == OVERVIEW && pending.is_none() {
            // Enter on a template fills in its form (its entity page is
            // still on 1-5).
            if let Some(key) = self.selected_key() {
                if self.open_template_form(&key, None) {
                    return;
                }
            }
        }
        match self.selected_key() {
            Some(key) => self.open_entity(&key, pane, pending),
            None => self.say(if self.picker.is_some() {
                "no entity selected"
            } else {
                "the catalog is still loading"
            }),
        }
    }

    /// Push an entity on the back stack and ask for what it shows.
    pub fn open_entity(&mut self, key: &str, pane: usize, pending: Option<Pending>) {
        let mut view = EntityView::new(key, pane.min(PANES.len() - 1));
        view.pending = pending;
        self.stack.push(view);
        self.request_detail(key, false);
        crate::docs_pane::on_show(self);
        if !matches!(self.deps.get(key), Some(Loadable::Ready(_))) {
            self.deps.insert(key.to_string(), Loadable::Loading);
            self.effects
                .push(Effect::Request(Request::Deps(key.to_string())));
        }
        self.apply_pending();
    }

    fn request_detail(&mut self, key: &str, preview: bool) {
        if matches!(self.details.get(key), Some(Loadable::Ready(_))) {
            return;
        }
        if self.details.len() > DETAIL_CACHE {
            let keep: HashSet<String> = self.stack.iter().map(|v| v.key.clone()).collect();
            self.details.retain(|k, _| keep.contains(k));
            self.deps.retain(|k, _| keep.contains(k));
        }
        self.details.insert(key.to_string(), Loadable::Loading);
        self.effects.push(Effect::Request(Request::Detail {
            key: key.to_string(),
            preview,
        }));
    }

    // ------------------------------------------------------------------
    // Entity screen
    // ------------------------------------------------------------------

    /// The lines of the top entity's current pane at the current width.
    pub fn current_lines(&self) -> Vec<PaneLine> {
        match self.top() {
            Some(view) => panes::lines(self, view, layout::entity(self.area()).body.width as usize),
            None => Vec::new(),
        }
    }

    /// The cursor line of the top pane, given its lines.
    pub fn cursor_line(view: &EntityView, lines: &[PaneLine]) -> usize {
        match view.cursor[view.pane] {
            Some(c) => c.min(lines.len().saturating_sub(1)),
            None => lines.iter().position(|l| l.target.is_some()).unwrap_or(0),
        }
    }

    fn pane_cursor_and_height(&self) -> Option<(usize, usize)> {
        let view = self.top()?;
        let lines = self.current_lines();
        let height = layout::entity(self.area()).body.height.max(1) as usize;
        Some((App::cursor_line(view, &lines), height))
    }

    fn move_pane(&mut self, delta: isize) {
        let lines = self.current_lines();
        let Some(view) = self.stack.last_mut() else {
            return;
        };
        if lines.is_empty() {
            return;
        }
        let current = App::cursor_line(view, &lines) as isize;
        let next = (current + delta).clamp(0, lines.len() as isize - 1) as usize;
        view.cursor[view.pane] = Some(next);
        self.scroll_into_view();
    }

    fn target_at_cursor(&self) -> Option<Target> {
        let view = self.top()?;
        let lines = self.current_lines();
        lines
            .get(App::cursor_line(view, &lines))
            .and_then(|l| l.target.clone())
    }

    fn switch_pane(&mut self, pane: usize) {
        if let Some(view) = self.stack.last_mut() {
            view.pane = pane % PANES.len();
        }
        self.scroll_into_view();
        crate::docs_pane::on_show(self);
    }

    fn entity_action(&mut self, action: Action) {
        let page = layout::entity(self.area()).body.height.max(1) as isize;
        match action {
            Action::Down => self.move_pane(1),
            Action::Up => self.move_pane(-1),
            Action::HalfPageDown => self.move_pane(page / 2),
            Action::HalfPageUp => self.move_pane(-page / 2),
            Action::PageDown => self.move_pane(page),
            Action::PageUp => self.move_pane(-page),
            Action::Top => self.move_pane(isize::MIN / 2),
            Action::Bottom => self.move_pane(isize::MAX / 2),
            Action::Back => {
                self.stack.pop();
                if self.stack.is_empty() {
                    self.catalog.focus = Focus::List;
                }
            }
            Action::NextPane => {
                let pane = self.top().map_or(0, |v| v.pane + 1);
                self.switch_pane(pane);
            }
            Action::PrevPane => {
                let pane = self.top().map_or(0, |v| v.pane + PANES.len() - 1);
                self.switch_pane(pane);
            }
            Action::Pane(n) => self.switch_pane(n),
            Action::Open => self.open_target(),
            Action::Copy => self.copy_target(),
            Action::OpenLink => match self.target_at_cursor() {
                Some(Target::Link { url, .. }) => self.effects.push(Effect::OpenUrl(url)),
                _ => {
                    let key = self.top().map(|v| v.key.clone()).unwrap_or_default();
                    match self.details.get(&key).and_then(Loadable::ready).cloned() {
                        Some(detail) => self.open_best_link(&detail),
                        None => self.say("still loading"),
                    }
                }
            },
            Action::Runbook => {
                if let Some(view) = self.stack.last_mut() {
                    view.pending = Some(Pending::Runbook);
                }
                self.apply_pending();
            }
            Action::Toggle | Action::Expand | Action::Collapse => self.toggle_node(&action),
            Action::ExpandAll => {
                if let Some(view) = self.stack.last_mut() {
                    view.expand_level = if view.expand_level == usize::MAX {
                        DEFAULT_EXPAND
                    } else {
                        usize::MAX
                    };
                    view.toggled.clear();
                    if view.pane != DEPENDENCIES {
                        view.pane = DEPENDENCIES;
                    }
                }
                self.scroll_into_view();
            }
            _ => {}
        }
    }

    fn open_target(&mut self) {
        match self.target_at_cursor() {
            Some(Target::Entity { key, dangling }) | Some(Target::Node { key, dangling, .. }) => {
                if dangling {
                    self.fail(format!(
                        "{} is not in the catalog (a dangling reference)",
                        text::one_line(&key)
                    ));
                } else if self.top().is_some_and(|v| v.key == key) {
                    self.say("already here");
                } else {
                    self.open_entity(&key, OVERVIEW, None);
                }
            }
            Some(Target::Person { key, .. }) => self.open_entity(&key, OVERVIEW, None),
            Some(Target::Link { url, .. }) => self.effects.push(Effect::OpenUrl(url)),
            Some(Target::Email(email)) => self.copy(email, "email"),
            Some(Target::Value(v)) => self.copy(v, "value"),
            None => self.say("nothing to open on this line"),
        }
    }

    fn copy_target(&mut self) {
        match self.target_at_cursor() {
            Some(Target::Entity { key, .. }) | Some(Target::Node { key, .. }) => {
                self.copy(key, "ref")
            }
            Some(Target::Person {
                email: Some(email), ..
            })
            | Some(Target::Email(email)) => self.copy(email, "email"),
            Some(Target::Person { key, email: None }) => self.copy(key, "ref"),
            Some(Target::Link { url, .. }) => self.copy(url, "URL"),
            Some(Target::Value(v)) => self.copy(v, "value"),
            None => {
                if let Some(key) = self.top().map(|v| v.key.clone()) {
                    self.copy(key, "ref");
                }
            }
        }
    }

    /// Copy: never control characters (a pasted ref or URL must not be
    /// able to drive the terminal it is pasted into).
    fn copy(&mut self, text: String, what: &str) {
        let text = text::one_line(&text).into_owned();
        self.effects.push(Effect::Copy {
            text,
            what: what.to_string(),
        });
    }

    fn toggle_node(&mut self, action: &Action) {
        let Some(Target::Node {
            id, has_children, ..
        }) = self.target_at_cursor()
        else {
            return;
        };
        let Some(view) = self.stack.last_mut() else {
            return;
        };
        if !has_children {
            return;
        }
        let expanded = view.expanded(&id);
        let flip = match action {
            Action::Expand => !expanded,
            Action::Collapse => expanded,
            _ => true,
        };
        if flip && !view.toggled.remove(&id) {
            view.toggled.insert(id);
        }
    }

    /// Open the runbook, else the first link, of an entity (or its owner's).
    fn open_best_link(&mut self, detail: &EntityDetail) {
        let link = detail
            .report
            .links
            .iter()
            .find(|l| l.runbook)
            .or_else(|| detail.owner_links.iter().find(|l| l.runbook))
            .or_else(|| detail.report.links.first());
        match link {
            Some(l) => self.effects.push(Effect::OpenUrl(l.url.clone())),
            None => self.say(format!(
                "{} has no links",
                text::one_line(&detail.report.name)
            )),
        }
    }

    /// Carry out what waited for the top entity's details.
    fn apply_pending(&mut self) {
        let Some(view) = self.top() else { return };
        let Some(pending) = view.pending else { return };
        let key = view.key.clone();
        let detail = match self.details.get(&key) {
            Some(Loadable::Ready(d)) => d.clone(),
            Some(Loadable::Failed(_)) => {
                if let Some(v) = self.stack.last_mut() {
                    v.pending = None;
                }
                return;
            }
            _ => return,
        };
        if let Some(v) = self.stack.last_mut() {
            v.pending = None;
        }
        match pending {
            Pending::OpenLink => self.open_best_link(&detail),
            Pending::Runbook => self.jump_to_runbook(&detail),
        }
    }

    fn jump_to_runbook(&mut self, detail: &EntityDetail) {
        for pane in [OVERVIEW, OWNER] {
            // The entity's own runbook link, then its docs, then the owner's.
            if pane == OWNER {
                if let Some(runbook) = &detail.report.docs_runbook {
                    crate::docs_pane::open_runbook(self, runbook);
                    return;
                }
            }
            let line = {
                let Some(view) = self.top() else { return };
                let mut probe = view.clone();
                probe.pane = pane;
                let width = layout::entity(self.area()).body.width as usize;
                panes::lines(self, &probe, width)
                    .iter()
                    .position(|l| matches!(l.target, Some(Target::Link { runbook: true, .. })))
            };
            if let Some(line) = line {
                let url = if pane == OVERVIEW {
                    detail
                        .report
                        .links
                        .iter()
                        .find(|l| l.runbook)
                        .map(|l| l.url.clone())
                } else {
                    detail
                        .owner_links
                        .iter()
                        .find(|l| l.runbook)
                        .map(|l| l.url.clone())
                };
                if let Some(view) = self.stack.last_mut() {
                    view.pane = pane;
                    view.cursor[pane] = Some(line);
                }
                self.scroll_into_view();
                let whose = if pane == OVERVIEW { "" } else { "the owner's " };
                let open = self.keymap.hint(&Action::OpenLink);
                let copy = self.keymap.hint(&Action::Copy);
                self.say(format!(
                    "{whose}runbook: {} — {open} opens, {copy} copies",
                    text::one_line(&url.unwrap_or_default())
                ));
                return;
            }
        }
        let owner = detail
            .report
            .owner
            .as_ref()
            .map(|o| format!(" or its owner {}", text::short_ref(&o.owner_ref)))
            .unwrap_or_default();
        self.say(format!(
            "no runbook link on {}{owner}",
            text::one_line(&detail.report.name)
        ));
    }

    fn click(&mut self, column: u16, row: u16) {
        let area = self.area();
        if self.stack.is_empty() {
            let chips = self
                .picker
                .as_ref()
                .is_some_and(|p| !p.filters().is_empty());
            let l = layout::catalog(area, chips);
            if l.query.contains((column, row).into()) {
                self.catalog.focus = Focus::Query;
            } else if l.list.contains((column, row).into()) {
                let index = self.catalog.offset + (row - l.list.y) as usize;
                if index < self.catalog.progress.matched as usize {
                    if index == self.catalog.cursor {
                        self.open_selected(OVERVIEW, None);
                    } else {
                        self.catalog.cursor = index;
                        self.catalog.focus = Focus::List;
                    }
                }
            }
            return;
        }
        let l = layout::entity(area);
        if l.tabs.contains((column, row).into()) {
            if let Some(pane) = layout::tab_at_width(column - l.tabs.x, l.tabs.width) {
                self.switch_pane(pane);
            }
        } else if l.header.contains((column, row).into()) {
            // A click on a breadcrumb goes back to it.
            if let Some(depth) = layout::crumb_at(self, column) {
                self.stack.truncate(depth);
            }
        } else if l.body.contains((column, row).into()) {
            let lines = self.current_lines();
            let Some(view) = self.stack.last_mut() else {
                return;
            };
            let offset = view.offset[view.pane];
            let index = offset + (row - l.body.y) as usize;
            if index < lines.len() {
                if view.cursor[view.pane] == Some(index) {
                    self.open_target();
                } else {
                    view.cursor[view.pane] = Some(index);
                }
            }
        }
    }

    // ------------------------------------------------------------------
    // Background results
    // ------------------------------------------------------------------

    pub fn handle_msg(&mut self, msg: Msg) {
        self.dirty = true;
        match msg {
            Msg::Loaded(load) => self.loaded(*load),
            Msg::Detail { key, detail } => {
                match detail {
                    Ok(d) => {
                        self.details.insert(key.clone(), Loadable::Ready(d));
                    }
                    Err(e) => {
                        self.details.insert(key.clone(), Loadable::Failed(e));
                    }
                }
                if self.top().is_some_and(|v| v.key == key) {
                    self.apply_pending();
                    self.scroll_into_view();
                }
                if self
                    .pending_catalog
                    .as_ref()
                    .is_some_and(|(k, _)| *k == key)
                {
                    if let Some((_, pending)) = self.pending_catalog.take() {
                        if let (Pending::OpenLink, Some(d)) = (
                            pending,
                            self.details.get(&key).and_then(Loadable::ready).cloned(),
                        ) {
                            self.open_best_link(&d);
                        }
                    }
                }
            }
            Msg::Deps { key, deps } => {
                self.deps.insert(key, Loadable::Ready(deps));
            }
            Msg::Resolved { input, result } => match result {
                Resolved::Found(key) => {
                    self.message = None;
                    self.open_entity(&key, OVERVIEW, None);
                }
                Resolved::NotFound(what) => self.fail(format!(
                    "no entity '{}' in the catalog; / searches",
                    text::one_line(&what)
                )),
                Resolved::Ambiguous(candidates) => {
                    let list: Vec<String> = candidates
                        .iter()
                        .map(|c| text::one_line(c).into_owned())
                        .collect();
                    self.fail(format!(
                        "'{}' names several entities: {}; use :open kind:name",
                        text::one_line(&input),
                        list.join(", ")
                    ));
                }
            },
            Msg::Sync(event) => self.sync_event(event),
            Msg::Notice { text, error } => {
                if error {
                    self.fail(text);
                } else {
                    self.say(text);
                }
            }
            Msg::Docs(reply) => crate::docs_pane::handle_reply(self, *reply),
            Msg::Wake => self.wake_pending.store(false, Ordering::SeqCst),
            Msg::Pong(_) => {}
            Msg::Template(m) => self.template_msg(*m),
        }
    }

    fn loaded(&mut self, load: CatalogLoad) {
        let reload = self.picker.is_some();
        let count = load.corpus.len();
        let stale: HashSet<String> = self
            .sources
            .iter()
            .filter(|s| s.stale)
            .map(|s| s.name.clone())
            .collect();
        self.sources = load.sources;
        for s in &mut self.sources {
            s.stale = stale.contains(&s.name) && self.sync.is_none();
        }
        let mut picker = Picker::new(load.corpus, self.notify.clone());
        picker.set_query(&self.catalog.query.text);
        self.picker = Some(picker);
        self.load = Loadable::Ready(count);
        if let Some(e) = load.errors.last() {
            self.fail(e.clone());
        }
        // The graph worker reads the snapshots now that they exist.
        self.effects.push(Effect::Request(Request::Reopen));
        if reload {
            self.details.clear();
            self.deps.clear();
            self.previewed = None;
            let keys: Vec<String> = self.stack.iter().map(|v| v.key.clone()).collect();
            if let Some(top) = keys.last() {
                self.request_detail(top, false);
                self.deps.insert(top.clone(), Loadable::Loading);
                self.effects
                    .push(Effect::Request(Request::Deps(top.clone())));
            }
        } else if self.catalog.cursor > 0 {
            self.catalog.cursor = 0;
        }
    }

    fn sync_event(&mut self, event: SyncEvent) {
        match event {
            SyncEvent::Started { total } => {
                self.sync = Some(SyncState {
                    total,
                    index: 0,
                    current: String::new(),
                    failed: 0,
                    succeeded: 0,
                });
            }
            SyncEvent::Source { index, name } => {
                if let Some(s) = &mut self.sync {
                    s.index = index;
                    s.current = name;
                }
            }
            SyncEvent::SourceDone { name, result } => {
                let failed = result.is_err();
                if let Some(s) = &mut self.sync {
                    if failed {
                        s.failed += 1;
                    } else {
                        s.succeeded += 1;
                    }
                }
                if let Some(status) = self.sources.iter_mut().find(|s| s.name == name) {
                    status.stale = failed;
                }
                if let Err(e) = result {
                    self.fail(format!(
                        "sync of '{}' failed: {}",
                        text::one_line(&name),
                        text::one_line(&e)
                    ));
                }
            }
            SyncEvent::Finished { failed } => {
                let state = self.sync.take();
                let succeeded = state.as_ref().map_or(0, |s| s.succeeded);
                if succeeded > 0 && self.picker.is_some() {
                    // Reload the corpus the sync just wrote.
                    self.effects.push(Effect::Request(Request::Load));
                }
                if failed == 0 && self.picker.is_some() {
                    self.say(format!(
                        "synced {succeeded} source{}",
                        if succeeded == 1 { "" } else { "s" }
                    ));
                }
                // Mark sources that failed as showing an old cache.
                let names: Vec<String> = self
                    .sources
                    .iter()
                    .filter(|s| s.stale)
                    .map(|s| s.name.clone())
                    .collect();
                for s in &mut self.sources {
                    s.stale = names.contains(&s.name);
                }
            }
        }
    }

    // ------------------------------------------------------------------
    // Before each frame
    // ------------------------------------------------------------------

    /// Tick the matcher (waiting up to `timeout_ms` for it), read the
    /// visible rows, and ask for the preview of the selection. Sets `dirty`
    /// when anything visible changed.
    pub fn prepare_frame(&mut self, timeout_ms: u64) {
        let height = self.list_height();
        let Some(picker) = &mut self.picker else {
            return;
        };
        let changed = picker.tick(timeout_ms);
        let progress = picker.progress();
        if changed || progress != self.catalog.progress {
            self.dirty = true;
        }
        self.catalog.progress = progress;
        let matched = progress.matched as usize;
        if self.catalog.cursor >= matched {
            self.catalog.cursor = matched.saturating_sub(1);
        }
        self.catalog.offset = clamp_offset(self.catalog.offset, self.catalog.cursor, height.max(1));
        if self.dirty || self.catalog.rows.is_empty() {
            self.catalog.rows = picker.rows(self.catalog.offset as u32, height as u32);
        }
        if self.stack.is_empty() {
            let selected = self.selected_key();
            if selected != self.previewed {
                self.previewed = selected.clone();
                if let Some(key) = selected {
                    if layout::catalog(self.area(), false).preview.is_some() {
                        self.request_detail(&key, true);
                    }
                }
            }
        }
    }

    /// Drain the queued effects.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }
}

/// The smallest change of `offset` that keeps `cursor` on screen.
pub fn clamp_offset(offset: usize, cursor: usize, height: usize) -> usize {
    let height = height.max(1);
    if cursor < offset {
        cursor
    } else if cursor >= offset + height {
        cursor + 1 - height
    } else {
        offset
    }
}

/// Editing keys of a text field (readline-style), independent of the key map.
fn text_edit_action(key: &Key) -> Option<Action> {
    let ctrl = key.mods == KeyModifiers::CONTROL;
    let alt = key.mods == KeyModifiers::ALT;
    Some(match key.code {
        KeyCode::Char(c) if key.is_text() => Action::Input(c),
        KeyCode::Backspace if alt => Action::DeleteWord,
        KeyCode::Backspace => Action::Backspace,
        KeyCode::Char('h') if ctrl => Action::Backspace,
        KeyCode::Delete => Action::DeleteChar,
        KeyCode::Left if key.mods.is_empty() => Action::CursorLeft,
        KeyCode::Right if key.mods.is_empty() => Action::CursorRight,
        KeyCode::Home => Action::CursorHome,
        KeyCode::End => Action::CursorEnd,
        KeyCode::Char('a') if ctrl => Action::CursorHome,
        KeyCode::Char('e') if ctrl => Action::CursorEnd,
        KeyCode::Char('w') if ctrl => Action::DeleteWord,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_editing() {
        let mut l = LineEdit::default();
        for c in "pay ment".chars() {
            l.edit(&Action::Input(c));
        }
        assert_eq!(l.text, "pay ment");
        l.edit(&Action::DeleteWord);
        assert_eq!(l.text, "pay ");
        l.edit(&Action::Backspace);
        l.edit(&Action::CursorHome);
        l.edit(&Action::Input('^'));
        assert_eq!((l.text.as_str(), l.cursor), ("^pay", 1));
        l.edit(&Action::CursorEnd);
        l.edit(&Action::Paste("決済\x1b[31m\n".into()));
        assert_eq!(l.text, "^pay決済 ");
        l.edit(&Action::CursorLeft);
        l.edit(&Action::CursorLeft);
        l.edit(&Action::Backspace);
        assert_eq!(l.text, "^pay済 ");
        l.edit(&Action::DeleteChar);
        assert_eq!(l.text, "^pay ");
    }

    #[test]
    fn offsets_keep_the_cursor_visible() {
        assert_eq!(clamp_offset(0, 5, 10), 0);
        assert_eq!(clamp_offset(0, 12, 10), 3);
        assert_eq!(clamp_offset(8, 2, 10), 2);
    }
}
