//! `callboard impact REF [--depth N]`: who to page when REF goes down —
//! its dependents grouped by owning team, with on-call, email and chat,
//! most production entities first, and a page list to copy.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;
use callboard_core::health::{impact, Impact};

use super::{report_store_errors, resolve_or_explain};
use crate::cli::exit::EXIT_OK;
use crate::cli::json::print_json;
use crate::cli::output::{clean, Style};
use crate::cli::session::Session;

pub fn run(ctx: &Session, input: &str, depth: Option<usize>, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.store()?;
    let found = match resolve_or_explain(ctx, &store, input, out)? {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    let answer = impact(&store, &found.entity.ref_key(), depth);
    if ctx.json {
        print_json(out, &answer)?;
    } else {
        write!(out, "{}", render(&answer, ctx.style))?;
    }
    report_store_errors(&store);
    Ok(EXIT_OK)
}

fn render(i: &Impact, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        style.bold(&format!(
            "{}: {} entit{} depend on it ({} in production), {} team{}{}",
            clean(&i.root),
            i.total,
            if i.total == 1 { "y" } else { "ies" },
            i.production,
            i.teams.len(),
            if i.teams.len() == 1 { "" } else { "s" },
            if i.truncated {
                " (depth limit reached)"
            } else {
                ""
            }
        ))
    );
    for t in &i.teams {
        let name = t
            .display_name
            .as_deref()
            .map(|n| format!("  {}", clean(n)))
            .unwrap_or_default();
        let missing = if t.resolved || t.owner == callboard_core::health::impact::NO_OWNER {
            String::new()
        } else {
            style.warn("  (not in the catalog)")
        };
        let _ = writeln!(
            out,
            "\n{}{name}{missing}  {}",
            style.heading(&clean(&t.owner)),
            style.dim(&format!(
                "{} entities, {} in production",
                t.entities.len(),
                t.production
            ))
        );
        for (k, v) in &t.on_call {
            let _ = writeln!(out, "  on-call  {}: {}", clean(k), clean(v));
        }
        if let Some(email) = &t.email {
            let _ = writeln!(out, "  email    {}", clean(email));
        }
        for c in &t.chat {
            let _ = writeln!(out, "  chat     {}  {}", clean(&c.title), clean(&c.url));
        }
        for e in &t.entities {
            let _ = writeln!(
                out,
                "  {} {}  {}",
                if e.production { "●" } else { "·" },
                clean(&e.entity_ref),
                style.dim(&format!(
                    "{} hop{}{}",
                    e.distance,
                    if e.distance == 1 { "" } else { "s" },
                    e.lifecycle
                        .as_deref()
                        .map(|l| format!(", {}", clean(l)))
                        .unwrap_or_default()
                ))
            );
        }
    }
    if !i.page_list.is_empty() {
        let _ = writeln!(out, "\n{}", style.heading("page list"));
        for line in &i.page_list {
            let _ = writeln!(out, "{}", clean(line));
        }
    }
    out
}
