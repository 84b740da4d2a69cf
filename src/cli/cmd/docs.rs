//! `callboard docs REF [PAGE]`: one page, rendered (ANSI styles on a
//! terminal, plain text in a pipe), as Markdown (`--raw`) or as JSON.

use std::io::Write;

use anyhow::Result;
use serde_json::json;

use callboard_core::catalog::{CatalogEntity, EntityLookup};
use callboard_core::docs::ErrorKind;
use callboard_io::docs::{load_page, load_site, locate};
use callboard_tui::docs_render::{self as render, RenderOptions};
use callboard_tui::termbg;
use callboard_tui::theme::{Palette, Theme};

use super::{report_store_errors, resolve_or_explain};
use crate::cli::exit::{EXIT_NO, EXIT_OK};
use crate::cli::json::print_json;
use crate::cli::output::clean;
use crate::cli::session::Session;

pub struct DocsRequest<'a> {
    pub page: Option<&'a str>,
    pub raw: bool,
    pub json: bool,
    /// Style the output (stdout is a terminal, no `NO_COLOR`).
    pub color: bool,
    pub width: Option<u16>,
}

fn fail(message: &str) -> u8 {
    eprintln!("callboard: {}", clean(message));
    EXIT_NO
}

pub fn run(ctx: &Session, input: &str, req: &DocsRequest<'_>, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.store()?;
    let found = match resolve_or_explain(ctx, &store, input, out)? {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    report_store_errors(&store);
    show_page(ctx, &store, &found, req, out)
}

fn show_page(
    ctx: &Session,
    lookup: &dyn EntityLookup,
    found: &CatalogEntity,
    req: &DocsRequest<'_>,
    out: &mut dyn Write,
) -> Result<u8> {
    let cache_dir = ctx.cache.dir();
    let located = match locate(lookup, found, &ctx.sources) {
        Ok(l) => l,
        Err(e) => return Ok(fail(&e.message)),
    };
    let site = match load_site(&located, cache_dir, &ctx.remotes) {
        Ok(s) => s,
        Err(e) if e.kind == ErrorKind::NotBuilt => return Ok(fail(&e.message)),
        Err(e) => return Ok(fail(&e.message)),
    };
    for p in &site.problems {
        eprintln!("callboard: warning: {}", clean(p));
    }
    if let Some(o) = &site.offline {
        eprintln!("callboard: {}", clean(o));
    }
    let path = match req.page {
        None => site.home().map(str::to_string),
        Some(wanted) => site.find_page(wanted).map(str::to_string),
    };
    let Some(path) = path else {
        let list: Vec<String> = site.pages.iter().map(|p| clean(p)).collect();
        return Ok(fail(&match req.page {
            Some(w) => format!(
                "no page '{}' in the docs of {}; pages: {}",
                w,
                located.owner_ref,
                list.join(", ")
            ),
            None => format!("the docs of {} have no pages", located.owner_ref),
        }));
    };
    let page = match load_page(&located, &site, &path, cache_dir, &ctx.remotes) {
        Ok(p) => p,
        Err(e) => return Ok(fail(&e.message)),
    };
    for n in &page.notes {
        eprintln!("callboard: {}", clean(n));
    }
    let width = req.width.unwrap_or_else(|| {
        use std::io::IsTerminal;
        if std::io::stdout().is_terminal() {
            crossterm::terminal::size().map(|(w, _)| w).unwrap_or(100)
        } else {
            100
        }
    });
    let prepared = render::prepare(&page.markdown);
    let opts = RenderOptions {
        width,
        palette: if !req.color || req.json {
            Palette::Mono
        } else {
            // `auto` from COLORFGBG: a command does not query the terminal.
            Theme::select(ctx.config.theme.as_deref(), false, termbg::from_env())
                .map_or(Palette::Dark, |t| t.palette)
        },
    };
    if req.json {
        let rendered = render::render(&page.markdown, &prepared, opts, None);
        let value = json!({
            "entity": found.entity.ref_key(),
            "docs_of": located.owner_ref,
            "site": site,
            "page": {
                "path": page.path,
                "title": page.title,
                "notes": page.notes,
                "outline": rendered.headings.iter().map(|h| json!({"level": h.level, "title": h.title, "anchor": h.anchor})).collect::<Vec<_>>(),
                "links": rendered.links.iter().map(|(_, u)| u.clone()).collect::<Vec<_>>(),
                "markdown": page.markdown,
                "text": render::plain_text(&rendered.lines),
            }
        });
        print_json(out, &value)?;
        return Ok(EXIT_OK);
    }
    if req.raw {
        // Sanitized when read: safe to print as it is.
        out.write_all(page.markdown.as_bytes())?;
        if !page.markdown.ends_with('\n') {
            writeln!(out)?;
        }
        return Ok(EXIT_OK);
    }
    let rendered = render::render(&page.markdown, &prepared, opts, None);
    let text = if req.color {
        render::ansi_text(&rendered.lines)
    } else {
        render::plain_text(&rendered.lines)
    };
    out.write_all(text.as_bytes())?;
    Ok(EXIT_OK)
}
