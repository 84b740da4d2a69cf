//! `callboard score [REF]... [--min LEVEL]`: scorecards. With refs, each
//! entity's checks and next steps; without (or with search filters such
//! as `kind:component owner:team-a`), every matching entity, a summary per
//! level and per owner. `--min` exits 1 when any listed entity is below.

use std::io::Write;

use anyhow::{bail, Context, Result};
use callboard_core::catalog::{Catalog, EntityLookup};
use callboard_core::health::{score, summarize, EntityScore, ScoreSummary, Scorecard, Subject};
use callboard_core::report::ShowReport;
use callboard_core::search::{parse_query, Corpus};
use callboard_io::cache::Store;
use callboard_io::docs::runbook::find_offline;

use super::{report_store_errors, resolve_or_explain};
use crate::cli::exit::{EXIT_NO, EXIT_OK};
use crate::cli::json::print_json;
use crate::cli::output::{clean, render_table, Style};
use crate::cli::session::Session;

/// Every entity of every snapshot in memory, the first source winning a
/// ref that several have.
pub fn load_catalog(store: &Store) -> Result<Catalog> {
    let mut all = Vec::new();
    for snapshot in &store.snapshots {
        all.extend(snapshot.all_entities().with_context(|| {
            format!(
                "cannot read the snapshot of '{}'; run `callboard sync`",
                snapshot.info.source
            )
        })?);
    }
    Ok(Catalog::new(all))
}

/// Is this argument a search filter (`kind:component`) rather than a ref?
fn is_filter(arg: &str) -> bool {
    let parsed = parse_query(arg);
    !parsed.filters.is_empty() && parsed.text.trim().is_empty()
}

pub fn run(ctx: &Session, args: &[String], min: Option<&str>, out: &mut dyn Write) -> Result<u8> {
    let card = ctx.config.scorecards.scorecard()?;
    let min_rank = match min {
        Some(name) => Some(card.level_index(name).map(|i| i + 1).with_context(|| {
            format!(
                "--min: no level '{name}'; the levels are {}",
                card.levels.join(", ")
            )
        })?),
        None => None,
    };
    let store = ctx.store()?;
    let (filters, refs): (Vec<&String>, Vec<&String>) = args.iter().partition(|a| is_filter(a));
    let mut keys = Vec::new();
    for input in &refs {
        match resolve_or_explain(ctx, &store, input, out)? {
            Ok(found) => keys.push(found.entity.ref_key()),
            Err(code) => return Ok(code),
        }
    }
    let detailed = !refs.is_empty() && filters.is_empty();
    // A few refs are read from the cache one by one; lists load the
    // whole catalog into memory once.
    let catalog = if detailed {
        None
    } else {
        Some(load_catalog(&store)?)
    };
    let lookup: &dyn EntityLookup = match &catalog {
        Some(c) => c,
        None => &store,
    };
    if !filters.is_empty() {
        keys.extend(filtered(&store, &filters)?);
    } else if let (Some(c), true) = (&catalog, refs.is_empty()) {
        keys.extend(c.entities().iter().map(|e| e.entity.ref_key()));
    }
    let mut scores = Vec::new();
    let mut unscored = Vec::new();
    for key in &keys {
        let Some(found) = lookup.get(key) else {
            continue;
        };
        match score_one(ctx, lookup, &found, &card) {
            Some(s) => scores.push(s),
            None => unscored.push(key.clone()),
        }
    }
    scores.sort_by(|a, b| (a.rank, &a.entity_ref).cmp(&(b.rank, &b.entity_ref)));
    let summary = summarize(&scores, &card);
    let below: Vec<&EntityScore> = match min_rank {
        Some(m) => scores.iter().filter(|s| s.rank < m).collect(),
        None => Vec::new(),
    };
    if ctx.json {
        print_json(
            out,
            &serde_json::json!({
                "levels": card.levels,
                "scores": scores,
                "not_scored": unscored,
                "summary": summary,
                "min": min,
                "below_min": below.iter().map(|s| &s.entity_ref).collect::<Vec<_>>(),
            }),
        )?;
    } else if detailed {
        for s in &scores {
            write!(out, "{}", render_detail(s, ctx.style))?;
        }
        for key in &unscored {
            writeln!(
                out,
                "{}  {}",
                clean(key),
                ctx.style.dim("no scorecard rule applies to its kind")
            )?;
        }
    } else {
        write!(out, "{}", render_list(&scores, &summary, ctx.style))?;
    }
    report_store_errors(&store);
    if let (Some(name), false) = (min, below.is_empty()) {
        eprintln!(
            "callboard: {} of {} entities are below {}",
            below.len(),
            scores.len(),
            clean(name)
        );
        return Ok(EXIT_NO);
    }
    Ok(EXIT_OK)
}

/// The refs of the entities the filters match, in ranking order.
fn filtered(store: &Store, filters: &[&String]) -> Result<Vec<String>> {
    let mut parts = Vec::new();
    for snapshot in &store.snapshots {
        parts.push(Corpus::decode(snapshot.corpus_bytes()?).map_err(|e| {
            anyhow::anyhow!(
                "search index of '{}' is unreadable ({e}); run `callboard sync`",
                snapshot.info.source
            )
        })?);
    }
    let corpus = Corpus::merge(parts);
    let joined: Vec<&str> = filters.iter().map(|s| s.as_str()).collect();
    let query = parse_query(&joined.join(" "));
    if !query.text.trim().is_empty() {
        bail!("'{}' is not a filter", query.text.trim());
    }
    let results = corpus.search(&query, usize::MAX);
    Ok(results
        .hits
        .iter()
        .filter_map(|h| corpus.get(h.index).map(|r| r.entity_ref().into_owned()))
        .collect())
}

/// Score one entity as `show` sees it (its docs runbook read offline).
pub fn score_one(
    ctx: &Session,
    catalog: &dyn EntityLookup,
    found: &callboard_core::catalog::CatalogEntity,
    card: &Scorecard,
) -> Option<EntityScore> {
    let runbook = find_offline(catalog, found, &ctx.sources, ctx.cache.dir());
    let report = ShowReport::build(catalog, found, &[], runbook);
    let owner_links = callboard_core::health::score::owner_links(catalog, &report);
    score(
        Subject {
            report: &report,
            owner_links: &owner_links,
        },
        card,
    )
}

fn level_text(s: &EntityScore) -> String {
    s.level.clone().unwrap_or_else(|| "none".to_string())
}

fn render_detail(s: &EntityScore, style: Style) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  {}",
        style.bold(&clean(&s.entity_ref)),
        clean(&level_text(s))
    );
    for c in &s.checks {
        let mark = if c.passed { "✓" } else { "✗" };
        let _ = writeln!(
            out,
            "  {mark} {:<8} {:<15} {}",
            clean(&c.level),
            clean(&c.check),
            style.dim(&clean(&c.message))
        );
    }
    match &s.next_level {
        Some(next) if !s.next_steps.is_empty() => {
            let _ = writeln!(out, "  next steps to {}:", clean(next));
            for step in &s.next_steps {
                let _ = writeln!(
                    out,
                    "    - {}: {}",
                    clean(&step.check),
                    clean(step.fix.as_deref().unwrap_or_default())
                );
            }
        }
        _ => {}
    }
    out.push('\n');
    out
}

fn render_list(scores: &[EntityScore], summary: &ScoreSummary, style: Style) -> String {
    use std::fmt::Write as _;
    let rows: Vec<[String; 3]> = scores
        .iter()
        .map(|s| {
            let next = match &s.next_level {
                Some(next) => {
                    let steps: Vec<&str> = s.next_steps.iter().map(|c| c.check.as_str()).collect();
                    format!("to {next}: {}", steps.join(", "))
                }
                None => String::new(),
            };
            [clean(&s.entity_ref), clean(&level_text(s)), clean(&next)]
        })
        .collect();
    let mut out = render_table(&rows);
    let counts: Vec<String> = summary
        .levels
        .iter()
        .map(|l| format!("{} {}", clean(&l.level), l.count))
        .collect();
    let _ = writeln!(
        out,
        "\n{}",
        style.bold(&format!(
            "{} entities: {}",
            summary.total,
            counts.join(" · ")
        ))
    );
    if !summary.owners.is_empty() {
        let mut header = vec!["owner".to_string()];
        header.extend(summary.levels.iter().map(|l| clean(&l.level)));
        let mut table: Vec<Vec<String>> = vec![header];
        for o in &summary.owners {
            let mut row = vec![clean(&o.owner)];
            row.extend(o.counts.iter().map(|c| c.to_string()));
            table.push(row);
        }
        let widths: Vec<usize> = (0..table[0].len())
            .map(|i| {
                table
                    .iter()
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &table {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    if i == 0 {
                        format!("{c:<w$}")
                    } else {
                        format!("{c:>w$}")
                    }
                })
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        }
    }
    out
}
