//! The interactive terminal UI (`callboard` with no subcommand).
//!
//! ```text
//! terminal events ─┐   keymap: key → Action     ┌─► view::draw (pure: the
//!  worker results ─┼─► App::update/handle_msg ──┤    screens draw themselves)
//!            tick ─┘   → the screen's update    └─► effects: worker requests,
//!                      → Cmds the app applies        clipboard, browser, sync
//! ```
//!
//! - [`run`](mod@run): the tokio event loop, terminal setup and restore, the panic
//!   hook.
//! - [`app`]: the state root, the dispatch of actions to the screens, what
//!   the workers answered.
//! - [`screens`]: catalog, entity, docs, templates (list, form, plan, run
//!   log), each with its state, keys and drawing behind one trait.
//! - [`widgets`]: a text line, list scrolling, header, status bar, pop-ups,
//!   help.
//! - [`keymap`] (per-screen bindings), [`command`] (the `:` line),
//!   [`theme`], [`layout`], [`clipboard`].
//! - [`picker`]: the nucleo-backed matcher of the catalog list.
//! - [`workers`]: background threads owning their own cache `Store`s, and
//!   the routing of requests to them; [`messages`]: what they are asked
//!   and what they answer.
//! - [`model`]: the state the screens share; [`view`]: the frame.
//! - [`docs_render`]: TechDocs Markdown to styled terminal text (the Docs
//!   pane, and `callboard docs` on a terminal).
//! - `testing` (feature `testing`): a harness for `TestBackend` tests and
//!   benchmarks.

pub mod app;
pub mod clipboard;
pub mod command;
pub mod docs_render;
pub mod keymap;
pub mod layout;
pub mod messages;
pub mod model;
pub mod picker;
pub mod run;
pub mod screens;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod theme;
pub mod view;
pub mod widgets;
pub mod workers;

pub use run::run;

// The paths from before the screens, widgets and workers were split out,
// still used by the tests and benchmarks.

#[doc(hidden)]
pub mod worker {
    pub use crate::messages::{
        ApiDefinition, ApiView, CatalogLoad, DepsDetail, EntityDetail, Msg, Operation, Request,
        SourceStatus, SyncEvent, UiReceiver, UiSender,
    };
    pub use crate::workers::{display_order, load_corpus_now, WorkerConfig, Workers, PONGS};
}

#[doc(hidden)]
pub mod docs_worker {
    pub use crate::messages::{DocsDoc, DocsReply, DocsRequest};
}

#[doc(hidden)]
pub mod docs_pane {
    pub use crate::screens::docs::{DocsAreas, DocsPane, Overlay, NAV_MIN_WIDTH, NAV_WIDTH};

    /// Where the Docs pane's parts go on the app's screen.
    pub fn areas(app: &crate::app::App) -> DocsAreas {
        crate::screens::docs::areas(crate::layout::entity(app.area()).body)
    }
}

#[doc(hidden)]
pub mod panes {
    pub use crate::screens::entity::panes::{tree_text, PaneLine, Target, LABEL};
    pub use crate::widgets::spans::fit_spans;
}

#[doc(hidden)]
pub mod templates {
    pub use crate::messages::templates::{
        CancelHandle, Opened, Plan, RunInput, SecretValues, TemplateMsg, TemplateRequest,
    };
    pub use crate::screens::templates::form::FormScreen;
    pub use crate::screens::templates::list::{template_items, TemplateItem, TemplateList};
    pub use crate::screens::templates::plan::PlanScreen;
    pub use crate::screens::templates::run_log::RunScreen;
    pub use crate::screens::templates::TemplateScreen;
}

#[doc(hidden)]
pub mod form {
    pub use crate::screens::templates::form::*;
}

#[doc(hidden)]
pub mod run_log {
    pub use crate::screens::templates::plan::render_file_tree;
    pub use crate::screens::templates::run_log::*;
}
