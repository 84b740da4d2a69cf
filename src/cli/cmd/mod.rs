//! One file a command; what several share is here (resolving a ref or
//! saying why not).

use std::io::Write;

use anyhow::Result;
use callboard_core::catalog::index::{resolve, Resolved};
use callboard_core::catalog::{CatalogEntity, EntityLookup};
use callboard_io::cache::Store;

use crate::cli::exit::EXIT_NO;
use crate::cli::json::print_json;
use crate::cli::output::clean;
use crate::cli::session::Session;

pub mod deps;
pub mod docs;
pub mod hygiene;
pub mod impact;
pub mod login;
pub mod score;
pub mod search;
pub mod show;
pub mod sync;
pub mod template;
pub mod validate;

/// Resolve REF or explain why not; `Err(code)` after printing the reason.
pub fn resolve_or_explain(
    ctx: &Session,
    store: &Store,
    input: &str,
    out: &mut dyn Write,
) -> Result<Result<CatalogEntity, u8>> {
    match resolve(store, input) {
        Resolved::Found(key) => match store.get(&key) {
            Some(e) => Ok(Ok((*e).clone())),
            None => Ok(Err(EXIT_NO)),
        },
        Resolved::NotFound(what) => {
            if ctx.json {
                print_json(out, &serde_json::json!({"error": "not found", "ref": what}))?;
            }
            eprintln!(
                "callboard: no entity '{}' in the catalog; try `callboard search {}`",
                clean(&what),
                clean(input)
            );
            Ok(Err(EXIT_NO))
        }
        Resolved::Ambiguous(candidates) => {
            if ctx.json {
                print_json(
                    out,
                    &serde_json::json!({"error": "ambiguous", "candidates": candidates}),
                )?;
            } else {
                eprintln!(
                    "callboard: '{}' names several entities; use one of:",
                    clean(input)
                );
                for c in &candidates {
                    writeln!(out, "{}", clean(c))?;
                }
            }
            Ok(Err(EXIT_NO))
        }
    }
}

pub fn report_store_errors(store: &Store) {
    for e in store.take_errors() {
        eprintln!("callboard: {}", clean(&e));
    }
}
