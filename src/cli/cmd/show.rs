//! `callboard show REF`: the on-call view of one entity.

use std::io::Write;

use anyhow::Result;
use callboard_core::report::ShowReport;
use callboard_io::docs::runbook::find_offline;

use super::{report_store_errors, resolve_or_explain};
use crate::cli::exit::EXIT_OK;
use crate::cli::json::print_json;
use crate::cli::output::render_show;
use crate::cli::session::Session;

pub fn run(ctx: &Session, input: &str, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.store()?;
    let found = match resolve_or_explain(ctx, &store, input, out)? {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    let key = found.entity.ref_key();
    let sources = if store.snapshots.len() > 1 {
        store.sources_of(&key)
    } else {
        Vec::new()
    };
    let runbook = find_offline(&store, &found, &ctx.sources, ctx.cache.dir());
    let mut report = ShowReport::build(&store, &found, &sources, runbook)
        .with_hosts(&ctx.config.surfaces.hosts());
    if store.read_as_user(&found.origin.source) {
        callboard_core::catalog::index::hide_unreadable(&mut report.relations);
    }
    if ctx.json {
        print_json(out, &report)?;
    } else {
        write!(out, "{}", render_show(&report, ctx.style))?;
    }
    report_store_errors(&store);
    Ok(EXIT_OK)
}
