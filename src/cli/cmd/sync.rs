//! `callboard sync [--full]`: re-read every source into the cache.

use std::io::Write;

use anyhow::Result;
use callboard_core::text::counted;

use crate::cli::clean_error;
use crate::cli::exit::{EXIT_NO, EXIT_OK};
use crate::cli::json::print_json;
use crate::cli::output::clean;
use crate::cli::progress::{describe_remote_sync, StderrProgress};
use crate::cli::session::Session;

/// mimalloc's purge delay while only remotes are synced: a remote sync
/// frees each page (~1.6 MB of JSON and its parse) while the next one
/// arrives, and handing those pages back after 3 ms (main.rs, for the
/// peak of a big local sync) made it fault them in and zero them again,
/// page after page (~12 % of its CPU, `perf stat`). Its peak stays ~60 MB.
const REMOTE_SYNC_PURGE_DELAY_MS: i64 = 1000;

pub fn run(ctx: &Session, full: bool, out: &mut dyn Write) -> Result<u8> {
    if !ctx.sources.is_empty()
        && ctx
            .sources
            .iter()
            .all(|s| matches!(s.kind, callboard_io::config::SourceKind::Remote(_)))
    {
        crate::set_purge_delay(REMOTE_SYNC_PURGE_DELAY_MS);
    }
    let progress = StderrProgress::new(!ctx.json);
    let options = callboard_io::sync::SyncOptions {
        full,
        ..Default::default()
    };
    let outcome = callboard_io::sync::sync_all(
        &ctx.remotes,
        &ctx.cache,
        &ctx.sources,
        ctx.allowed_kinds.as_deref(),
        &options,
        &|event| progress.show(event),
    );
    let reports = outcome.reports;
    let failed: Vec<(String, String)> = outcome
        .failed
        .iter()
        .map(|f| (f.source.clone(), clean_error(&f.error)))
        .collect();
    if ctx.json {
        let failures: Vec<_> = failed
            .iter()
            .map(|(s, e)| serde_json::json!({"source": s, "error": e}))
            .collect();
        print_json(
            out,
            &serde_json::json!({"synced": reports, "failed": failures}),
        )?;
    } else {
        for r in &reports {
            for p in &r.problems {
                eprintln!("{}", clean(&p.to_string()));
            }
            if let Some(remote) = &r.remote {
                writeln!(out, "{}", clean(&describe_remote_sync(r, remote)))?;
                continue;
            }
            writeln!(
                out,
                "{}: {} from {}, {}, {}, {} ms",
                clean(&r.source),
                counted(r.snapshot.entity_count, "entity"),
                counted(r.files_read, "file"),
                counted(r.error_count(), "error"),
                counted(r.problems.len() - r.error_count(), "warning"),
                r.elapsed.as_millis()
            )?;
        }
        for (source, error) in &failed {
            eprintln!("callboard: sync of '{}' failed: {error}", clean(source));
        }
    }
    Ok(if failed.is_empty() { EXIT_OK } else { EXIT_NO })
}
