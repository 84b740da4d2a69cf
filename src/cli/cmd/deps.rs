//! `callboard deps REF [--reverse] [--depth N]`: the dependency tree, or
//! the dependents (blast radius).

use std::io::Write;

use anyhow::Result;
use callboard_core::catalog::index::{dependency_tree, Direction};

use super::{report_store_errors, resolve_or_explain};
use crate::cli::exit::EXIT_OK;
use crate::cli::json::print_json;
use crate::cli::output::{deps_summary, footer, render_deps};
use crate::cli::session::Session;

pub fn run(
    ctx: &Session,
    input: &str,
    reverse: bool,
    depth: Option<usize>,
    out: &mut dyn Write,
) -> Result<u8> {
    let store = ctx.store()?;
    let found = match resolve_or_explain(ctx, &store, input, out)? {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    let direction = if reverse {
        Direction::DependedOnBy
    } else {
        Direction::DependsOn
    };
    let tree = dependency_tree(&store, &found.entity.ref_key(), direction, depth);
    if ctx.json {
        print_json(
            out,
            &serde_json::json!({
                "direction": if reverse { "dependents" } else { "dependencies" },
                "tree": tree,
            }),
        )?;
    } else {
        write!(out, "{}", render_deps(&tree, ctx.style))?;
        footer(&deps_summary(&tree, direction));
    }
    report_store_errors(&store);
    Ok(EXIT_OK)
}
