//! `callboard search QUERY`: the ranked catalog, filters first.

use std::io::Write;

use anyhow::Result;
use callboard_core::catalog::entity_ref::{ref_name, short_ref};
use callboard_core::search::parse_query;

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
            &serde_json::json!({"query": query, "matched": results.matched, "total": results.total, "hits": hits}),
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
    }
    Ok(if results.matched == 0 {
        EXIT_NO
    } else {
        EXIT_OK
    })
}
