//! callboard: a terminal front door to Backstage software catalogs.
//!
//! Data flows one way: `source` yields entities, `cache` stores one snapshot per
//! source, `catalog` (pure, no I/O) indexes them, `search` ranks them, and the
//! front ends (`cli`, later the TUI) only render.

pub mod cache;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod demo;
pub mod docs;
pub mod fuzzy;
pub mod generate;
pub mod output;
pub mod report;
pub mod sanitize;
pub mod search;
pub mod source;
pub mod sync;
pub mod template;
pub mod tui;
