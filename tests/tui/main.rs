//! The TUI: screens, keys, docs, forms and run logs through the TestBackend
//! harness (insta snapshots in `snapshots/`), and the real binary in a real
//! terminal through tmux (`tmux.rs`; those tests are `#[ignore]`d without
//! it, see the README). One test binary, each file a module.

#[path = "../support/mod.rs"]
mod support;
mod tmux;

mod backend_search;
mod docs_code;
mod health;
mod people;
mod ranking;
mod sync_cancel;
mod template_form;
mod template_run_log;
mod theme_light;
mod tui_docs;
mod tui_e2e;
mod tui_first_minutes;
mod tui_keys;
mod tui_panics;
mod tui_screens;
mod vhs_tapes;
