//! The interactive terminal UI (`callboard` with no subcommand).
//!
//! ```text
//! terminal events ─┐                         ┌─► view::draw (pure, reads App)
//!  worker results ─┼─► App::update/handle_msg┤
//!            tick ─┘     (keymap: key→Action) └─► effects: worker requests,
//!                                                 clipboard, browser, sync
//! ```
//!
//! - [`run`]: the tokio event loop, terminal setup and restore.
//! - [`app`]: all state and the update functions.
//! - [`picker`]: the catalog list, ranked on a worker thread.
//! - [`worker`]: background threads owning their own cache `Store`s.
//! - [`view`], [`panes`], [`layout`]: drawing, pure over the state.
//! - [`keymap`], [`command`], [`theme`], [`clipboard`]: the parts.
//! - [`docs_render`]: TechDocs Markdown to styled terminal text (the Docs
//!   pane, and `callboard docs` on a terminal).
//! - `testing` (feature `testing`): a harness for `TestBackend` tests and
//!   benchmarks.

pub mod app;
pub mod clipboard;
pub mod command;
pub mod docs_pane;
pub mod docs_render;
pub mod docs_worker;
pub mod form;
pub mod keymap;
pub mod layout;
pub mod panes;
pub mod picker;
pub mod run;
pub mod run_log;
pub mod templates;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod theme;
pub mod view;
pub mod worker;

pub use run::run;
