//! Offline integration tests: the `callboard` binary's commands over the
//! demo catalog and the fixtures, and the library crates' loaders, parsers
//! and local template runs. One test binary (each file a module) so the
//! suite links once, not once per file.

#[path = "../support/mod.rs"]
mod support;

mod cache_crash;
mod cli;
mod cli_grammar;
mod cli_messages;
mod cli_options;
mod completions;
mod docs_cli;
mod health;
mod impact_lean;
mod large_files;
mod local_pieces;
mod local_source;
mod people;
mod proptest_parsers;
mod relations_oracle;
mod sync_compact;
mod template_cli;
mod template_expr;
mod template_local;
mod validate_cli;
