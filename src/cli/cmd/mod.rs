//! One file a command; what several share is here (resolving a ref or
//! saying why not).

use std::io::Write;

use anyhow::Result;
use callboard_core::catalog::entity::Kind;
use callboard_core::catalog::entity_ref::split_ref;
use callboard_core::catalog::index::{resolve, Resolved};
use callboard_core::catalog::{CatalogEntity, EntityLookup};
use callboard_core::search::Corpus;
use callboard_core::text::closest;
use callboard_io::cache::Store;

use crate::cli::exit::EXIT_NO;
use crate::cli::json::print_json;
use crate::cli::output::clean;
use crate::cli::session::Session;

pub mod completions;
pub mod deps;
pub mod docs;
pub mod hygiene;
pub mod impact;
pub mod login;
pub mod refresh;
pub mod score;
pub mod search;
pub mod show;
pub mod signin;
pub mod sync;
pub mod template;
pub mod template_set;
pub mod template_show;
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
            let why = not_found(store, input)?;
            if ctx.json {
                print_json(
                    out,
                    &serde_json::json!({
                        "error": if why.unknown_kind.is_some() { "unknown kind" } else { "not found" },
                        "ref": what,
                        "did_you_mean": why.suggestion,
                    }),
                )?;
            }
            let hint = match &why.suggestion {
                Some(s) => format!("did you mean {}?", clean(s)),
                None => format!("try `callboard search {}`", clean(input)),
            };
            match &why.unknown_kind {
                Some(kind) => eprintln!(
                    "callboard: unknown kind '{}' in '{}'; {hint} (kinds: {})",
                    clean(kind),
                    clean(input),
                    why.kinds.join(", ")
                ),
                None => eprintln!(
                    "callboard: no entity '{}' in the catalog; {hint}",
                    clean(&what)
                ),
            }
            Ok(Err(EXIT_NO))
        }
        Resolved::Ambiguous(candidates) => {
            if ctx.json {
                print_json(
                    out,
                    &serde_json::json!({"error": "ambiguous", "candidates": candidates}),
                )?;
            }
            // The candidates are an explanation, not the answer: stderr.
            eprintln!(
                "callboard: '{}' names several entities; use one of:",
                clean(input)
            );
            for c in &candidates {
                eprintln!("  {}", clean(c));
            }
            Ok(Err(EXIT_NO))
        }
    }
}

/// Why a ref found nothing: a kind nobody has, or a name close to one that
/// exists.
struct NotFound {
    /// The ref's kind when neither Backstage nor this catalog has it.
    unknown_kind: Option<String>,
    /// The kinds there are (built-in, then the catalog's own), for the message.
    kinds: Vec<String>,
    /// What the user probably meant, written as they could type it.
    suggestion: Option<String>,
}

fn not_found(store: &Store, input: &str) -> Result<NotFound> {
    let corpus = merged_corpus(store)?;
    let mut kinds: Vec<String> = Kind::ALL.iter().map(|k| k.as_str().to_string()).collect();
    for record in corpus.iter() {
        if !kinds.iter().any(|k| k.eq_ignore_ascii_case(record.kind())) {
            kinds.push(record.kind().to_string());
        }
    }
    let Ok(parts) = split_ref(input.trim()) else {
        return Ok(NotFound {
            unknown_kind: None,
            kinds,
            suggestion: None,
        });
    };
    if let Some(kind) = parts.kind {
        if !kinds.iter().any(|k| k.eq_ignore_ascii_case(kind)) {
            let suggestion = closest(kind, kinds.iter().map(String::as_str)).map(|k| {
                let rest = &input.trim()[kind.len()..];
                format!("{}{rest}", k.to_ascii_lowercase())
            });
            return Ok(NotFound {
                unknown_kind: Some(kind.to_string()),
                kinds,
                suggestion,
            });
        }
    }
    // Names of the entities the ref could mean: of its kind and namespace
    // when it gives them.
    let fits = |r: &callboard_core::search::RecordView<'_>| {
        parts.kind.is_none_or(|k| r.kind().eq_ignore_ascii_case(k))
            && parts
                .namespace
                .is_none_or(|ns| r.namespace().eq_ignore_ascii_case(ns))
    };
    let names: Vec<&str> = corpus.iter().filter(fits).map(|r| r.name()).collect();
    let suggestion = closest(parts.name, names.iter().copied()).map(|name| {
        let mut typed = String::new();
        if let Some(kind) = parts.kind {
            typed.push_str(&kind.to_ascii_lowercase());
            typed.push(':');
        }
        if let Some(ns) = parts.namespace {
            typed.push_str(ns);
            typed.push('/');
        }
        typed.push_str(name);
        typed
    });
    Ok(NotFound {
        unknown_kind: None,
        kinds,
        suggestion,
    })
}

/// The search corpus of every source, a higher-priority source's ref
/// hiding the same ref below it.
pub fn merged_corpus(store: &Store) -> Result<Corpus> {
    let mut parts = Vec::with_capacity(store.snapshots.len());
    for snapshot in &store.snapshots {
        parts.push(snapshot.corpus()?.map_err(|e| {
            anyhow::anyhow!(
                "search index of '{}' is unreadable ({e}); run `callboard sync`",
                snapshot.info.source
            )
        })?);
    }
    Ok(Corpus::merge(parts))
}

pub fn report_store_errors(store: &Store) {
    for e in store.take_errors() {
        eprintln!("callboard: {}", clean(&e));
    }
}
