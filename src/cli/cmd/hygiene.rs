//! `callboard hygiene`: the catalog's problems in one report, grouped by
//! rule and by owner, each with where to fix it; for Backstage sources
//! also the backend's own view (entities that failed or are pending
//! processing). Exit 1 when there are errors (for CI).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;

use anyhow::{Context, Result};
use callboard_core::catalog::Catalog;
use callboard_core::health::hygiene::{
    load_problem_finding, local_findings, report, unprocessed_finding, Duplicate, HygieneReport,
    Severity,
};
use callboard_io::config::SourceKind;
use callboard_io::docs::runbook::find_offline;
use callboard_io::source::backstage::unprocessed::{fetch_unprocessed, UnprocessedState};

use super::report_store_errors;
use crate::cli::exit::{EXIT_NO, EXIT_OK};
use crate::cli::json::print_json;
use crate::cli::output::{clean, Style};
use crate::cli::session::Session;

pub fn run(ctx: &Session, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.store()?;
    let mut all = Vec::new();
    let mut sources_of: HashMap<String, Vec<String>> = HashMap::new();
    for snapshot in &store.snapshots {
        let entities = snapshot.all_entities().with_context(|| {
            format!(
                "cannot read the snapshot of '{}'; run `callboard sync`",
                snapshot.info.source
            )
        })?;
        for e in &entities {
            sources_of
                .entry(e.entity.ref_key())
                .or_default()
                .push(snapshot.info.source.clone());
        }
        all.extend(entities);
    }
    let mut duplicates: Vec<Duplicate> = sources_of
        .into_iter()
        .filter(|(_, sources)| sources.len() > 1)
        .map(|(entity_ref, sources)| Duplicate {
            entity_ref,
            sources,
        })
        .collect();
    duplicates.sort_by(|a, b| a.entity_ref.cmp(&b.entity_ref));
    let catalog = Catalog::new(all);
    let mut findings = local_findings(&catalog, &duplicates, &|found| {
        find_offline(&catalog, found, &ctx.sources, ctx.cache.dir())
    });
    // What the loader rejected or warned about, with file:line:col.
    for snapshot in &store.snapshots {
        for p in snapshot.problems().unwrap_or_default() {
            let field = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or_default();
            let mut at = field("location").to_string();
            for k in ["line", "column"] {
                if let Some(n) = p.get(k).and_then(|v| v.as_u64()) {
                    at.push_str(&format!(":{n}"));
                }
            }
            findings.push(load_problem_finding(
                field("severity") == "error",
                at,
                field("message"),
            ));
        }
    }
    let mut unchecked = Vec::new();
    for source in &ctx.sources {
        let SourceKind::Remote(endpoint) = &source.kind else {
            continue;
        };
        match fetch_unprocessed(&ctx.remotes, &source.name, endpoint) {
            Ok(list) => findings.extend(list.iter().map(|u| {
                unprocessed_finding(
                    u.state == UnprocessedState::Failed,
                    &u.entity_ref,
                    u.location.clone(),
                    &u.errors,
                )
            })),
            Err(e) => {
                eprintln!(
                    "callboard: cannot read the unprocessed entities of '{}': {}",
                    clean(&source.name),
                    clean(&e.to_string())
                );
                unchecked.push(source.name.clone());
            }
        }
    }
    let answer = report(findings);
    if ctx.json {
        print_json(
            out,
            &serde_json::json!({
                "errors": answer.errors,
                "warnings": answer.warnings,
                "by_rule": answer.by_rule,
                "by_owner": answer.by_owner,
                "findings": answer.findings,
                "remote_unchecked": unchecked,
            }),
        )?;
    } else {
        write!(out, "{}", render(&answer, ctx.style))?;
    }
    report_store_errors(&store);
    Ok(if answer.errors > 0 { EXIT_NO } else { EXIT_OK })
}

fn render(r: &HygieneReport, style: Style) -> String {
    let mut out = String::new();
    let mut last_rule = "";
    for f in &r.findings {
        if f.rule != last_rule {
            let count = r
                .by_rule
                .iter()
                .find(|c| c.rule == f.rule)
                .map(|c| c.count)
                .unwrap_or(0);
            let severity = match f.severity {
                Severity::Error => style.warn("error"),
                Severity::Warning => "warning".to_string(),
            };
            let _ = writeln!(
                out,
                "{}{} ({severity}, {count})",
                if last_rule.is_empty() { "" } else { "\n" },
                style.heading(&clean(&f.rule))
            );
            last_rule = &f.rule;
        }
        let _ = writeln!(
            out,
            "  {}  {}",
            style.bold(&clean(&f.entity_ref)),
            clean(&f.message)
        );
        if let Some(at) = &f.location {
            let _ = writeln!(out, "    {}", style.dim(&clean(at)));
        }
    }
    if !r.by_owner.is_empty() {
        let _ = writeln!(out, "\n{}", style.heading("by owner"));
        let width = r
            .by_owner
            .iter()
            .map(|o| o.owner.chars().count())
            .max()
            .unwrap_or(0);
        for o in &r.by_owner {
            let _ = writeln!(
                out,
                "  {:width$}  {} error{}, {} warning{}",
                clean(&o.owner),
                o.errors,
                if o.errors == 1 { "" } else { "s" },
                o.warnings,
                if o.warnings == 1 { "" } else { "s" }
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        style.bold(&format!(
            "{} error{}, {} warning{}",
            r.errors,
            if r.errors == 1 { "" } else { "s" },
            r.warnings,
            if r.warnings == 1 { "" } else { "s" }
        ))
    );
    out
}
