//! The application: the screens, the state they share, and the one place
//! it changes.
//!
//! Keys become [`Action`]s (through the [`Keymap`], with the bindings of the
//! screen that has the keys, or as text in the lines being typed into);
//! worker results arrive as [`Msg`](crate::messages::Msg)s (`results`).
//! [`App::update`] hands an action to the screen it is for
//! ([`crate::screens`]), which changes its own state and asks for the rest
//! as [`Cmd`]s, applied here in order. Anything that needs I/O (a worker
//! request, the clipboard, a browser, a sync) is queued as an [`Effect`]
//! for the event loop to run. Drawing ([`crate::view::draw`]) only reads
//! this state.
mod commands;
mod results;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use crate::keymap::{Action, Key, Keymap, Scope};
use crate::messages::{DocsRequest, Request, SourceStatus};
use crate::screens::docs::DocsPane;
use crate::screens::entity::panes::PaneLine;
use crate::screens::templates::{self, TemplateScreen};
use crate::screens::{Cmd, Cx, Keys, Outcome, Screen};
use crate::theme::Theme;
use crate::widgets::line_edit::text_edit_action;
use crate::widgets::LineEdit;
use callboard_core::docs::runbook::DocsRunbook;

// Where the tests, benchmarks and the binary find the state types.
pub use crate::model::{Deps, Details, Effect, Env, Loadable, Message, Mode, Settings, SyncState};
pub use crate::screens::catalog::{CatalogScreen, Focus};
pub use crate::screens::entity::{
    EntityStack, EntityView, NodeId, Pending, API, DEFAULT_EXPAND, DEPENDENCIES, DOCS, OVERVIEW,
    OWNER, PANES, RELATIONS,
};

/// How long an informational message stays in the status bar.
const MESSAGE_MS: u64 = 8_000;
/// A message (an error too) shown at least this long goes with the next
/// key, and the key hints come back.
const MESSAGE_SEEN_MS: u64 = 1_000;
/// Entity details kept in memory before the cache is emptied.
const DETAIL_CACHE: usize = 512;

/// The context a screen works in ([`Cx`]), borrowed from the app's fields
/// that are not screens, so a screen can change while it reads them.
macro_rules! cx {
    ($app:expr) => {
        $crate::screens::Cx {
            keymap: &$app.keymap,
            theme: &$app.theme,
            area: ratatui::layout::Rect::new(0, 0, $app.size.0, $app.size.1),
            now_ms: $app.now_ms,
            spinner: $app.spinner,
            mode: &$app.mode,
            load: &$app.load,
            sync: $app.sync.as_ref(),
            details: &$app.details,
            deps: &$app.deps,
            message: $app.message.as_ref(),
            settings: &$app.settings,
            out: Vec::new(),
        }
    };
}
pub(crate) use cx;

pub struct App {
    pub keymap: Keymap,
    pub theme: Theme,
    pub env: Env,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// The clock, milliseconds since the epoch (set by ticks; fixed in tests).
    pub now_ms: u64,
    /// The catalog screen (its matcher holds the loaded corpus).
    pub catalog: CatalogScreen,
    /// The catalog itself: loading, ready (the record count), failed.
    pub load: Loadable<usize>,
    pub sources: Vec<SourceStatus>,
    /// The entity screen: entities opened, the top one shown; empty: the
    /// catalog screen.
    pub stack: EntityStack,
    pub details: Details,
    pub deps: Deps,
    /// The Docs pane of each entity opened in it.
    pub docs: HashMap<String, DocsPane>,
    /// What is over the screens: the command line, the help.
    pub mode: Mode,
    pub message: Option<Message>,
    pub last_error: Option<String>,
    pub sync: Option<SyncState>,
    /// Work queued for the event loop.
    pub effects: Vec<Effect>,
    pub quit: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
    notify: Arc<dyn Fn() + Send + Sync>,
    wake_pending: Arc<AtomicBool>,
    /// Spinner frame, advanced by ticks while something runs.
    pub spinner: usize,
    /// The software templates screens, over everything else when open.
    pub templates: Option<TemplateScreen>,
    /// Surfaces' hosts (and what else the config gives the panes).
    pub settings: Settings,
    /// Input typed ahead of the matcher: a key that acts on the list's
    /// selection waits (with everything after it) until the list answers
    /// the query typed before it, as in fzf.
    held: VecDeque<Input>,
}

/// Terminal input, as held while the matcher catches up.
#[derive(Debug, Clone)]
enum Input {
    Key(KeyEvent),
    Paste(String),
    Mouse(MouseEvent),
}

impl App {
    pub fn new(keymap: Keymap, theme: Theme, env: Env, size: (u16, u16), now_ms: u64) -> App {
        App {
            keymap,
            theme,
            env,
            size,
            now_ms,
            catalog: CatalogScreen::default(),
            load: Loadable::Loading,
            sources: Vec::new(),
            stack: EntityStack::default(),
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
            notify: Arc::new(|| {}),
            wake_pending: Arc::new(AtomicBool::new(false)),
            spinner: 0,
            templates: None,
            held: VecDeque::new(),
            settings: Settings::default(),
        }
    }

    /// Wire the matcher's wake-ups to the event loop: `notify` wakes it (it
    /// sends [`crate::messages::Msg::Wake`]); `wake_pending` is the flag it
    /// sets so that a burst of wake-ups sends one message.
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
        self.stack.top()
    }

    pub fn area(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }

    /// The lines of the top entity's current pane at the current width.
    pub fn current_lines(&self) -> Vec<PaneLine> {
        self.stack.lines(&cx!(self))
    }

    /// The cursor line of the top pane, given its lines.
    pub fn cursor_line(view: &EntityView, lines: &[PaneLine]) -> usize {
        view.cursor_line(lines)
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

    /// How keys read on the screen that has them.
    fn keys(&self) -> Keys {
        if let Some(templates) = &self.templates {
            return templates.keys();
        }
        if let Some(key) = self.stack.docs_shown() {
            return self
                .docs
                .get(key)
                .map_or(Keys::Map(Scope::Docs), |pane| pane.keys());
        }
        if !self.stack.is_empty() {
            return self.stack.keys();
        }
        self.catalog.keys()
    }

    /// A key press: map it to an action for the current mode and apply it
    /// (or hold it while the list catches up with the query).
    pub fn handle_key(&mut self, event: KeyEvent) {
        if event.kind == KeyEventKind::Release {
            return;
        }
        let key = Key::from_event(&event);
        if key.code == KeyCode::Char('c') && key.mods == KeyModifiers::CONTROL {
            self.update(Action::Quit);
            return;
        }
        self.input(Input::Key(event));
    }

    /// Apply input in order: behind held input, or held itself when it
    /// acts on a list that does not answer the query yet.
    fn input(&mut self, input: Input) {
        if !self.held.is_empty() || !self.apply_input(&input) {
            self.held.push_back(input);
            self.dirty = true;
        }
    }

    /// Alt-`c` that has no meaning here: Esc then `c` (what a terminal
    /// sends for both), as two key events.
    fn split_alt(&self, key: &Key) -> Option<(KeyEvent, KeyEvent)> {
        let KeyCode::Char(c) = key.code else {
            return None;
        };
        if key.mods != KeyModifiers::ALT
            || self.templates.is_some()
            || self.action_for(key).is_some()
        {
            return None;
        }
        Some((
            KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
            KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
        ))
    }

    /// Input is held (for the matcher).
    pub fn holding(&self) -> bool {
        !self.held.is_empty()
    }

    /// Apply held input now that the list may answer its query; stops at
    /// input that has to wait again.
    fn release_held(&mut self) {
        while let Some(input) = self.held.pop_front() {
            if !self.apply_input(&input) {
                self.held.push_front(input);
                break;
            }
        }
    }

    /// The next action after a message was seen clears it.
    fn clear_seen_message(&mut self) {
        if self
            .message
            .as_ref()
            .is_some_and(|m| self.now_ms.saturating_sub(m.at_ms) >= MESSAGE_SEEN_MS)
        {
            self.message = None;
            self.dirty = true;
        }
    }

    /// The catalog list is shown and does not answer its query yet.
    fn list_behind(&self) -> bool {
        self.templates.is_none()
            && self.stack.is_empty()
            && matches!(self.mode, Mode::Normal)
            && self.catalog.progress_running()
    }

    /// The catalog list is shown and its first load (and the first sync
    /// it may run) is under way: no list to act on yet.
    fn list_loading(&self) -> bool {
        self.templates.is_none()
            && self.stack.is_empty()
            && matches!(self.mode, Mode::Normal)
            && self.catalog.picker.is_none()
            && matches!(self.load, Loadable::Loading)
    }

    /// Apply one input; false (nothing done) when it must wait for the
    /// matcher: anything but editing the query, while the list is behind;
    /// moving in the list or opening its selection, while it is loading
    /// (quitting, the command line or cancelling a sync do not wait).
    fn apply_input(&mut self, input: &Input) -> bool {
        let acts = match input {
            Input::Mouse(m) => matches!(m.kind, MouseEventKind::Down(_)),
            Input::Key(_) | Input::Paste(_) => true,
        };
        if acts && !(self.list_behind() && matches!(input, Input::Mouse(_))) {
            self.clear_seen_message();
        }
        match input {
            Input::Key(event) => {
                let key = Key::from_event(event);
                if key.code == KeyCode::Char('z') && key.mods == KeyModifiers::CONTROL {
                    // Back to the shell, as in any terminal program; `fg` returns.
                    self.effects.push(Effect::Suspend);
                    return true;
                }
                if let Some((first, second)) = self.split_alt(&key) {
                    // ESC and a character read together (a quick Esc then
                    // `:`): crossterm reports Alt-`:`, which means nothing
                    // here; it is the two keys.
                    if !self.apply_input(&Input::Key(first)) {
                        return false;
                    }
                    let second = Input::Key(second);
                    if !self.apply_input(&second) {
                        // Next in line, before anything held after it.
                        self.held.push_front(second);
                    }
                    return true;
                }
                let Some(action) = self.action_for(&key) else {
                    return true;
                };
                if self.list_behind() && !action.edits_text() {
                    return false;
                }
                if self.list_loading() && action.acts_on_selection() {
                    return false;
                }
                self.update(action);
            }
            Input::Paste(text) => {
                let takes_text = match self.mode {
                    Mode::Command(_) => true,
                    Mode::Help { .. } => false,
                    Mode::Normal => matches!(self.keys(), Keys::Typing(_) | Keys::Raw),
                };
                if takes_text {
                    self.update(Action::Paste(text.to_string()));
                }
            }
            Input::Mouse(event) => {
                if self.list_behind() {
                    return false;
                }
                self.mouse(*event);
            }
        }
        true
    }

    /// Which action a key means right now.
    pub fn action_for(&self, key: &Key) -> Option<Action> {
        let (typing, scope) = match (&self.mode, self.keys()) {
            (Mode::Command(_), _) => (true, Scope::Catalog),
            (Mode::Normal, Keys::Raw) => return Some(Action::Key(*key)),
            (Mode::Normal, Keys::Typing(scope)) => (true, scope),
            (_, Keys::Map(scope) | Keys::Typing(scope)) => (false, scope),
            (Mode::Help { .. }, Keys::Raw) => (false, Scope::Catalog),
        };
        if typing && self.query_line_empty(scope) {
            // The first key on an empty query line: `/`, `:` and `?` do
            // what the hints say (as in k9s and less); letters and digits
            // start the search.
            if let Some(action @ (Action::Search | Action::Command | Action::Help)) =
                self.keymap.action(scope, key)
            {
                return Some(action);
            }
        }
        if typing && self.query_at_word_start(scope) {
            // `:` starting a word cannot be the filter syntax (`kind:api`):
            // it is the command line (`pay :kind api` sets the filter).
            if let Some(Action::Command) = self.keymap.action(scope, key) {
                return Some(Action::Command);
            }
        }
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
        self.keymap.action(scope, key)
    }

    /// The catalog's query line has the keys and is empty.
    fn query_line_empty(&self, scope: Scope) -> bool {
        scope == Scope::Catalog
            && matches!(self.mode, Mode::Normal)
            && self.templates.is_none()
            && self.stack.is_empty()
            && self.catalog.query.text.is_empty()
    }

    /// The catalog's query line has the keys, its cursor at the start of
    /// a word.
    fn query_at_word_start(&self, scope: Scope) -> bool {
        let query = &self.catalog.query;
        self.query_line_empty(scope) || {
            scope == Scope::Catalog
                && matches!(self.mode, Mode::Normal)
                && self.templates.is_none()
                && self.stack.is_empty()
                && query.text[..query.cursor].ends_with(char::is_whitespace)
        }
    }

    pub fn handle_paste(&mut self, text: &str) {
        self.input(Input::Paste(text.to_string()));
    }

    pub fn handle_mouse(&mut self, event: MouseEvent) {
        self.input(Input::Mouse(event));
    }

    fn mouse(&mut self, event: MouseEvent) {
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

    /// Apply one action: the overlays, then the screen that has the keys
    /// (the Docs pane before the entity screen under it), then what no
    /// screen took.
    pub fn update(&mut self, action: Action) {
        if let Action::Tick(now) = action {
            self.tick(now);
            return;
        }
        self.dirty = true;
        if let Action::Resize(w, h) = action {
            self.size = (w, h);
            self.scroll_into_view();
            self.show_docs();
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
        if self.templates.is_some() && matches!(action, Action::Key(_) | Action::Paste(_)) {
            self.with_templates(|screen, cx| screen.update(action, cx));
            return;
        }
        let action = match self.stack.docs_shown().map(str::to_string) {
            Some(key) if self.docs.contains_key(&key) => {
                match self.with_docs(&key, |pane, cx| pane.update(action, cx)) {
                    Outcome::Consumed => return,
                    Outcome::Ignored(action) => action,
                }
            }
            _ => action,
        };
        match action {
            Action::Help => self.mode = Mode::Help { scroll: 0 },
            Action::Command => self.mode = Mode::Command(LineEdit::default()),
            Action::Search => {
                self.stack.clear();
                self.catalog.new_search();
            }
            Action::Sync => self.start_sync(),
            Action::RefreshEntity => {
                let key = match self.top() {
                    Some(v) => Some(v.key.clone()),
                    None => self.catalog.selected_key(),
                };
                match key {
                    Some(key) => {
                        self.say(format!(
                            "asking Backstage to refresh {}…",
                            callboard_core::text::one_line(&key)
                        ));
                        self.effects
                            .push(Effect::Request(Request::RefreshEntity(key)));
                    }
                    None => self.say("no entity selected"),
                }
            }
            Action::Templates => self.open_templates(),
            other if self.stack.is_empty() => {
                self.with_catalog(|catalog, cx| catalog.update(other, cx));
            }
            other => {
                self.with_stack(|stack, cx| stack.update(other, cx));
            }
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

    fn scroll_into_view(&mut self) {
        if self.stack.is_empty() {
            let area = self.area();
            self.catalog.scroll_into_view(area);
        } else {
            let cx = cx!(self);
            self.stack.scroll_into_view(&cx);
        }
    }

    // ------------------------------------------------------------------
    // The screens, and what they ask for
    // ------------------------------------------------------------------

    fn with_catalog<R>(&mut self, f: impl FnOnce(&mut CatalogScreen, &mut Cx) -> R) -> R {
        let mut cx = cx!(self);
        let r = f(&mut self.catalog, &mut cx);
        let out = cx.out;
        self.apply(out);
        r
    }

    fn with_stack<R>(&mut self, f: impl FnOnce(&mut EntityStack, &mut Cx) -> R) -> R {
        let mut cx = cx!(self);
        let r = f(&mut self.stack, &mut cx);
        let out = cx.out;
        self.apply(out);
        r
    }

    /// The Docs pane of `key` (made if there is none); its page requests
    /// are for `key`.
    fn with_docs<R>(&mut self, key: &str, f: impl FnOnce(&mut DocsPane, &mut Cx) -> R) -> R {
        let mut cx = cx!(self);
        let r = f(self.docs.entry(key.to_string()).or_default(), &mut cx);
        let out = cx
            .out
            .into_iter()
            .map(|cmd| match cmd {
                Cmd::DocsPage {
                    page,
                    width,
                    palette,
                } => Cmd::Effect(Effect::Request(Request::Docs(DocsRequest {
                    key: key.to_string(),
                    page,
                    width,
                    palette,
                }))),
                other => other,
            })
            .collect();
        self.apply(out);
        r
    }

    fn with_templates<R>(
        &mut self,
        f: impl FnOnce(&mut TemplateScreen, &mut Cx) -> R,
    ) -> Option<R> {
        let mut cx = cx!(self);
        let r = self.templates.as_mut().map(|screen| f(screen, &mut cx));
        let out = cx.out;
        self.apply(out);
        r
    }

    /// Carry out what a screen asked for, in order.
    fn apply(&mut self, cmds: Vec<Cmd>) {
        for cmd in cmds {
            match cmd {
                Cmd::Effect(effect) => self.effects.push(effect),
                Cmd::Say(text) => self.say(text),
                Cmd::Fail(text) => self.fail(text),
                Cmd::Detail { key, preview } => self.request_detail(&key, preview),
                Cmd::OpenEntity { key, pane, pending } => self.open_entity(&key, pane, pending),
                Cmd::ShowCatalog => self.catalog.focus = Focus::List,
                Cmd::ShowDocs => self.show_docs(),
                Cmd::DocsRunbook(runbook) => self.open_docs_runbook(&runbook),
                Cmd::DocsPage { .. } => {
                    // Only the Docs pane asks for pages (see `with_docs`).
                }
                Cmd::OpenTemplateForm(key) => {
                    let mut cx = cx!(self);
                    let screen = templates::open_form(&key, None, &mut cx);
                    let out = cx.out;
                    self.templates = Some(screen);
                    self.apply(out);
                }
                Cmd::CloseTemplates => self.templates = None,
            }
        }
    }

    /// Push an entity on the back stack and ask for what it shows.
    pub fn open_entity(&mut self, key: &str, pane: usize, pending: Option<Pending>) {
        let mut view = EntityView::new(key, pane.min(PANES.len() - 1));
        view.pending = pending;
        self.stack.push(view);
        self.request_detail(key, false);
        self.show_docs();
        if !matches!(self.deps.get(key), Some(Loadable::Ready(_))) {
            self.deps.insert(key.to_string(), Loadable::Loading);
            self.effects
                .push(Effect::Request(Request::Deps(key.to_string())));
        }
        self.with_stack(|stack, cx| stack.apply_pending(cx));
    }

    /// Ask for an entity's details again (they changed).
    pub(crate) fn request_detail_again(&mut self, key: &str) {
        self.details.remove(key);
        self.request_detail(key, false);
        self.deps.insert(key.to_string(), Loadable::Loading);
        self.effects
            .push(Effect::Request(Request::Deps(key.to_string())));
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

    /// The Docs pane came into view (or the screen changed size): load the
    /// docs, or render them again for the new width.
    fn show_docs(&mut self) {
        if let Some(key) = self.stack.docs_shown().map(str::to_string) {
            self.with_docs(&key, |pane, cx| pane.show(cx));
        }
    }

    /// `r` found a runbook in the top entity's docs: show it there.
    fn open_docs_runbook(&mut self, runbook: &DocsRunbook) {
        let Some(key) = self.top().map(|v| v.key.clone()) else {
            return;
        };
        if let Some(view) = self.stack.last_mut() {
            view.pane = DOCS;
        }
        self.with_docs(&key, |pane, cx| pane.open_runbook(runbook, cx));
    }

    /// `t` / `:templates`: the list of templates in the catalog.
    fn open_templates(&mut self) {
        let corpus = self.catalog.corpus().cloned();
        let index = self.catalog.index();
        let mut cx = cx!(self);
        let screen = templates::open_list(corpus.as_ref(), index, &mut cx);
        let out = cx.out;
        self.apply(out);
        if screen.is_some() {
            self.templates = screen;
        }
    }

    // ------------------------------------------------------------------
    // Before each frame
    // ------------------------------------------------------------------

    /// Tick the matcher (waiting up to `timeout_ms` for it), read the
    /// visible rows, and ask for the preview of the selection. Sets `dirty`
    /// when anything visible changed.
    pub fn prepare_frame(&mut self, timeout_ms: u64) {
        let dirty = self.dirty;
        let shown = self.stack.is_empty();
        if self.with_catalog(|catalog, cx| catalog.prepare(timeout_ms, dirty, shown, cx)) {
            self.dirty = true;
        }
        if self.holding() && !self.list_behind() {
            self.release_held();
            // What the held keys did is drawn in this frame.
            let shown = self.stack.is_empty();
            self.with_catalog(|catalog, cx| catalog.prepare(0, true, shown, cx));
        }
    }

    /// Drain the queued effects.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }
}
