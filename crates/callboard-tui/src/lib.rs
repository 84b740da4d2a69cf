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
//! - [`picker`]: the catalog list, ranked on a worker thread by the
//!   core's one ranking.
//! - [`workers`]: background threads owning their own cache `Store`s, and
//!   the routing of requests to them; [`messages`]: what they are asked
//!   and what they answer.
//! - [`model`]: the state the screens share; [`view`]: the frame.
//! - [`docs_render`]: TechDocs Markdown to styled terminal text (the Docs
//!   pane, and `callboard docs` on a terminal).
//! - `testing` (feature `testing`): a harness for `TestBackend` tests and
//!   benchmarks.

mod abort_guard;
pub mod app;
pub mod clipboard;
pub mod command;
pub mod docs_render;
mod hangup;
pub mod keymap;
pub mod layout;
pub mod messages;
pub mod model;
pub mod picker;
pub mod run;
pub mod screens;
pub mod termbg;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod theme;
pub mod view;
pub mod widgets;
pub mod workers;

pub use run::run;
