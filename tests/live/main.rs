//! Against a real Backstage backend (`../shared/backstage`, started by
//! `.ci/run`): every test here is `#[ignore]`d and runs with
//! `cargo test --locked -- --include-ignored` when `CALLBOARD_LIVE_URL` and
//! `CALLBOARD_LIVE_TOKEN` are set; without them it fails saying so
//! (`backend.rs`). One test binary, each file a module.

mod backend;

mod docs;
mod refresh;
mod hygiene;
mod remote;
mod search;
mod signin;
mod template_cli;
mod template_expr;
mod template_fidelity;
mod template_form;
mod template_probes;
mod template_remote;
