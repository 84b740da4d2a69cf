//! The screens. Each owns its state, says what an action does to it and
//! draws it, behind one small trait ([`Screen`]):
//!
//! - [`catalog`]: the query line and the result list (with the preview);
//! - [`entity`]: the entities opened, a back stack, and their panes;
//! - [`docs`]: the Docs pane of an entity (its TechDocs);
//! - [`templates`]: the software templates: list, form, plan, run log.
//!
//! A screen reads the rest of the app through a [`Cx`] and asks the app for
//! anything beyond its own state (a worker request, a message, another
//! screen) by pushing [`Cmd`]s on it, which the app applies in order once
//! the screen returns. Drawing only reads.

pub mod catalog;
pub mod docs;
pub mod entity;
pub mod templates;

use ratatui::layout::Rect;
use ratatui::Frame;

use crate::keymap::{Action, Keymap, Scope};
use crate::messages::Request;
use crate::model::{Deps, Details, Effect, Loadable, Message, Mode, Settings, SyncState};
use crate::theme::Theme;
use callboard_core::docs::runbook::DocsRunbook;
use callboard_core::text;

/// A key hint for the bottom bar: the key (as shown) and what it does.
pub type Hint = (String, &'static str);

/// One screen: its state, what an action does to it, how it looks, and the
/// keys it offers.
pub trait Screen {
    /// What an action can lead to beyond the screen's own state.
    type Output;

    /// How keys read here right now.
    fn keys(&self) -> Keys;

    /// Apply an action (a key the key map resolved, typing, the mouse).
    fn update(&mut self, action: Action, cx: &mut Cx<'_>) -> Self::Output;

    /// Draw into `area`; pure over the state and `cx`.
    fn draw(&self, frame: &mut Frame, area: Rect, cx: &Cx<'_>);

    /// The keys it offers now, for the bottom bar.
    fn hints(&self, keymap: &Keymap) -> Vec<Hint>;
}

/// What became of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Used (or deliberately swallowed).
    Consumed,
    /// Not for this screen: the one under it, or the app, may take it.
    Ignored(Action),
}

/// How a screen reads keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Through the key map, with this screen's bindings.
    Map(Scope),
    /// Letters type into a line (readline keys); Enter and Esc keep their
    /// meaning; other keys go through the key map.
    Typing(Scope),
    /// As pressed ([`Action::Key`]): letters type into fields.
    Raw,
}

/// What a screen asks of the app. Applied in order after the screen
/// returns.
#[derive(Debug, Clone)]
pub enum Cmd {
    /// Work for the event loop: a worker request, a copy, a URL to open.
    Effect(Effect),
    /// The status bar: a message, or an error (also kept as the last one).
    Say(String),
    Fail(String),
    /// Ask for an entity's details unless they are here; `preview`: only
    /// the newest of several is answered.
    Detail {
        key: String,
        preview: bool,
    },
    /// Open an entity on top of the back stack, at a pane, maybe to do
    /// something once its details arrive.
    OpenEntity {
        key: String,
        pane: usize,
        pending: Option<entity::Pending>,
    },
    /// The last entity was closed: the catalog's list takes the keys.
    ShowCatalog,
    /// The Docs pane came into view: load it, or render it again.
    ShowDocs,
    /// Show this runbook in the top entity's docs.
    DocsRunbook(DocsRunbook),
    /// A page of the Docs pane's entity (the app adds which entity).
    DocsPage {
        page: Option<String>,
        width: u16,
        palette: crate::theme::Palette,
    },
    /// The form of a template (by ref), over everything.
    OpenTemplateForm(String),
    /// The template screens are done.
    CloseTemplates,
}

/// What a screen reads of the rest of the app, and the [`Cmd`]s it asks for.
pub struct Cx<'a> {
    pub keymap: &'a Keymap,
    pub theme: &'a Theme,
    /// The whole terminal.
    pub area: Rect,
    /// The clock, milliseconds since the epoch.
    pub now_ms: u64,
    /// The spinner's frame.
    pub spinner: usize,
    pub mode: &'a Mode,
    /// The catalog: loading, ready (the record count), failed.
    pub load: &'a Loadable<usize>,
    pub sync: Option<&'a SyncState>,
    pub details: &'a Details,
    pub deps: &'a Deps,
    pub message: Option<&'a Message>,
    /// What the config gives the panes (surfaces' hosts).
    pub settings: &'a Settings,
    pub out: Vec<Cmd>,
}

impl Cx<'_> {
    pub fn say(&mut self, text: impl Into<String>) {
        self.out.push(Cmd::Say(text.into()));
    }

    pub fn fail(&mut self, text: impl Into<String>) {
        self.out.push(Cmd::Fail(text.into()));
    }

    pub fn effect(&mut self, effect: Effect) {
        self.out.push(Cmd::Effect(effect));
    }

    pub fn request(&mut self, request: Request) {
        self.effect(Effect::Request(request));
    }

    pub fn open_url(&mut self, url: String) {
        self.effect(Effect::OpenUrl(url));
    }

    /// Copy: never control characters (a pasted ref or URL must not be
    /// able to drive the terminal it is pasted into).
    pub fn copy(&mut self, text: &str, what: &str) {
        self.effect(Effect::Copy {
            text: text::one_line(text).into_owned(),
            what: what.to_string(),
        });
    }
}
