//! `callboard search QUERY`: the ranked catalog, filters first.

use std::io::Write;

use anyhow::Result;
use callboard_core::catalog::entity_ref::{ref_name, short_ref};
use callboard_core::search::backend::{free_text, BackendHit};
use callboard_core::search::parse_query;
use callboard_io::config::SourceKind;

use crate::cli::exit::{EXIT_NO, EXIT_OK};
use crate::cli::json::print_json;
use crate::cli::output::{clean, footer, render_table};
use crate::cli::session::Session;

pub fn run(ctx: &Session, query: &str, limit: usize, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.store()?;
    let corpus = super::merged_corpus(&store)?;
    let parsed = parse_query(query);
    let results = corpus.search(&parsed, limit);
    let hits: Vec<_> = results
        .hits
        .iter()
        .filter_map(|h| corpus.get(h.index).map(|r| (h, r)))
        .collect();
    let backend = backend_search(ctx, query);
    if ctx.json {
        let hits: Vec<_> = hits
            .iter()
            .map(|(h, r)| {
                serde_json::json!({
                    "ref": r.entity_ref(), "kind": r.kind(), "namespace": r.namespace(), "name": r.name(),
                    "title": r.title(), "type": r.spec_type(), "owner": r.owner(), "lifecycle": r.lifecycle(),
                    "system": r.system(), "tags": r.tags().collect::<Vec<_>>(), "score": h.score,
                })
            })
            .collect();
        print_json(
            out,
            &serde_json::json!({"query": query, "matched": results.matched, "total": results.total, "hits": hits,
                "backend_hits": backend.hits, "notes": backend.notes}),
        )?;
    } else {
        let rows: Vec<[String; 4]> = hits
            .iter()
            .map(|(_, r)| {
                let owner = ref_name(r.owner());
                [
                    clean(&short_ref(&r.entity_ref())),
                    clean(r.spec_type()),
                    clean(owner),
                    clean(if r.title().is_empty() {
                        r.description()
                    } else {
                        r.title()
                    }),
                ]
            })
            .collect();
        out.write_all(render_table(&rows).as_bytes())?;
        footer(&format!(
            "{} / {} shown, {} matched",
            rows.len(),
            results.total,
            results.matched
        ));
        write_backend(out, ctx, &backend)?;
    }
    let code = if results.matched == 0 && backend.hits.is_empty() {
        EXIT_NO
    } else {
        EXIT_OK
    };
    drop(hits);
    one_shot_leak(store, corpus);
    Ok(code)
}

/// A one-shot command's exit: the process ends right after this, and the
/// kernel takes the whole address space back at once. Closing the
/// snapshot's connection unmaps its file map, and freeing the corpus (at
/// 100k 18 MB of text and 5.6 MB of records) hands memory to the allocator
/// that it then purges piece by piece: ~1 ms of CPU together, for nothing
/// (the snapshot is opened read-only, `immutable`; nothing is left behind).
fn one_shot_leak(store: callboard_io::cache::Store, corpus: callboard_core::search::Corpus) {
    std::mem::forget(store);
    std::mem::forget(corpus);
}

/// What the backends' own search found (TechDocs pages, catalog
/// documents), and notes when one could not be asked.
struct Backend {
    hits: Vec<BackendHit>,
    notes: Vec<String>,
}

/// Ask each Backstage source's `/api/search/query` for the query's free
/// text. Offline (or without a remote source) only the fuzzy hits answer.
fn backend_search(ctx: &Session, query: &str) -> Backend {
    let mut backend = Backend {
        hits: Vec::new(),
        notes: Vec::new(),
    };
    let term = free_text(query);
    if term.is_empty() {
        return backend;
    }
    for source in &ctx.sources {
        let SourceKind::Remote(endpoint) = &source.kind else {
            continue;
        };
        match ctx.remotes.search(&source.name, endpoint, &term, 50) {
            Ok(hits) => backend.hits.extend(hits),
            Err(e) => backend.notes.push(format!(
                "docs search needs the backend, which did not answer ({e}); these are the catalog's fuzzy matches only"
            )),
        }
    }
    backend
}

/// Print the TechDocs hits below the catalog's, highlights in bold.
fn write_backend(out: &mut dyn Write, ctx: &Session, backend: &Backend) -> Result<()> {
    for note in &backend.notes {
        eprintln!("callboard: {}", clean(note));
    }
    let docs: Vec<&BackendHit> = backend
        .hits
        .iter()
        .filter(|h| h.kind == "techdocs")
        .collect();
    if docs.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{}", ctx.style.heading("TechDocs"))?;
    for h in docs {
        let marked = |text: &str, ranges: &[(usize, usize)]| {
            let mut s = String::new();
            let mut at = 0;
            for &(a, b) in ranges {
                if a < at
                    || b > text.len()
                    || !text.is_char_boundary(a)
                    || !text.is_char_boundary(b)
                {
                    continue;
                }
                s.push_str(&text[at..a]);
                s.push_str(&ctx.style.bold(&text[a..b]));
                at = b;
            }
            s.push_str(&text[at..]);
            s
        };
        writeln!(
            out,
            "{}  {}  {}",
            clean(&short_ref(h.entity_ref.as_deref().unwrap_or("?"))),
            marked(&clean(&h.title), &h.title_highlights),
            ctx.style.dim(&clean(&h.location))
        )?;
        if !h.text.is_empty() {
            let text = clean(&h.text);
            let shown: String = text.chars().take(160).collect();
            let ranges: Vec<_> = h
                .text_highlights
                .iter()
                .copied()
                .filter(|&(_, b)| b <= shown.len())
                .collect();
            writeln!(out, "    {}", marked(&shown, &ranges))?;
        }
    }
    Ok(())
}
