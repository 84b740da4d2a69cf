//! `callboard refresh REF`: ask the entity's Backstage backend to process
//! it again, wait briefly, sync its source and show its processing errors.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;
use callboard_io::refresh::refresh_entity;

use super::resolve_or_explain;
use crate::cli::exit::{EXIT_ERROR, EXIT_NO, EXIT_OK};
use crate::cli::json::print_json;
use crate::cli::output::clean;
use crate::cli::session::Session;

pub fn run(ctx: &Session, input: &str, wait_secs: u64, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.store()?;
    let found = match resolve_or_explain(ctx, &store, input, out)? {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    let key = found.entity.ref_key();
    let Some(source) = ctx.sources.iter().find(|s| s.name == found.origin.source) else {
        eprintln!("callboard: the source of {} is not configured", clean(&key));
        return Ok(EXIT_ERROR);
    };
    drop(store);
    let report = match refresh_entity(
        &ctx.remotes,
        &ctx.cache,
        source,
        ctx.allowed_kinds.as_deref(),
        &key,
        Duration::from_secs(wait_secs),
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("callboard: refresh: {}", clean(&e));
            return Ok(EXIT_ERROR);
        }
    };
    if ctx.json {
        print_json(out, &report)?;
    } else {
        writeln!(
            out,
            "{}: {}; synced {}",
            clean(&report.entity_ref),
            if report.gone {
                "the backend no longer has it (or you may not read it)".to_string()
            } else if report.changed {
                "processed again, new version".to_string()
            } else {
                format!("refresh requested; no new version within {wait_secs} s (unchanged, or still queued)")
            },
            clean(&report.synced)
        )?;
        if report.errors.is_empty() {
            writeln!(out, "no processing errors")?;
        } else {
            writeln!(out, "processing errors:")?;
            for e in &report.errors {
                writeln!(out, "  {}", clean(e))?;
            }
        }
    }
    Ok(if report.errors.is_empty() && !report.gone {
        EXIT_OK
    } else {
        EXIT_NO
    })
}
