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

pub fn run(ctx: &Session, full: bool, out: &mut dyn Write) -> Result<u8> {
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
