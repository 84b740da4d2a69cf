//! callboard's core: the Backstage catalog model and everything computed
//! from it, with no I/O stack (no terminal, async runtime, HTTP, SQLite or
//! keyring). The I/O layer (`callboard-io`) feeds it, the TUI
//! (`callboard-tui`) and the command line draw what it answers.
//!
//! - [`catalog`]: entities, refs, relations, validation, graph walks.
//! - [`search`]: query syntax, the compact corpus and the one ranking.
//! - [`text`]: sanitizing untrusted strings, display width, wrapping.
//! - [`report`]: the on-call answer for one entity, as data.
//! - [`template`]: software templates: model, schema, `${{ }}` expressions.
//! - [`docs`]: TechDocs model: nav, links, HTML to Markdown, runbooks.

pub mod catalog;
pub mod docs;
pub mod health;
pub mod report;
pub mod search;
pub mod template;
pub mod text;
