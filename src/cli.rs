//! The command line: parse arguments, pick sources, run a headless command.
//!
//! Exit codes: 0 success; 1 the answer is "no" (validation errors, no such
//! entity, an ambiguous name, a failed sync); 2 callboard could not run
//! (bad arguments, bad config, unreadable cache).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::cache::{Cache, Store};
use crate::catalog::index::{dependency_tree, resolve, Direction, Resolved};
use crate::catalog::{CatalogEntity, EntityLookup};
use crate::config::{
    default_cache_dir, default_config_path, resolve_path, Config, Source, SourceKind,
};
use crate::output::{clean, render_deps, render_show, Style};
use crate::report::ShowReport;
use crate::search::{parse_query, Corpus};
use crate::source::Severity;
use crate::sync::sync_source;

pub const EXIT_OK: u8 = 0;
pub const EXIT_NO: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "callboard",
    version,
    about = "A terminal front door to Backstage software catalogs",
    long_about = "A terminal front door to Backstage software catalogs.\n\n\
        With no config file and no --source, callboard uses its embedded demo catalog.\n\n\
        Exit codes: 0 success; 1 the answer is no (validation errors, entity not found,\n\
        ambiguous name, failed sync); 2 callboard could not run (arguments, config, cache)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file (default: $XDG_CONFIG_HOME/callboard/config.yaml).
    #[arg(long, global = true, env = "CALLBOARD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Use this local folder or file as the only source (repeatable);
    /// overrides the config's sources.
    #[arg(long = "source", global = true, value_name = "PATH")]
    pub sources: Vec<PathBuf>,
    /// Use this Backstage backend as a source (repeatable; token from
    /// CALLBOARD_TOKEN); overrides the config's sources, after any --source.
    #[arg(long = "endpoint", global = true, value_name = "URL")]
    pub endpoints: Vec<String>,
    /// Cache directory (default: $XDG_CACHE_HOME/callboard).
    #[arg(long, global = true, env = "CALLBOARD_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Refresh the cache from the configured sources.
    Sync {
        /// Download remote catalogs whole instead of only what changed.
        #[arg(long)]
        full: bool,
    },
    /// Store a Backstage endpoint's token in the OS keyring (read without echo).
    Login {
        /// The endpoint's source name in the config.
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Remove an endpoint's token from the OS keyring.
    Logout {
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Fuzzy-search the catalog: `kind:api owner:team-a pay`.
    Search {
        /// Free text plus filters kind: type: owner: lifecycle: tag: system: namespace:
        #[arg(num_args = 0.., trailing_var_arg = true, allow_hyphen_values = true)]
        query: Vec<String>,
        /// Show at most this many results.
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: usize,
    },
    /// The on-call view of one entity: owner, members, on-call, runbooks.
    Show {
        /// `kind:namespace/name`, `kind:name` or a bare name that is unique.
        #[arg(value_name = "REF")]
        entity: String,
    },
    /// Dependency tree of an entity, or with --reverse its dependents.
    Deps {
        #[arg(value_name = "REF")]
        entity: String,
        /// Walk dependents instead (blast radius).
        #[arg(long, short = 'r')]
        reverse: bool,
        /// Stop after this many levels.
        #[arg(long, short = 'd', value_name = "N")]
        depth: Option<usize>,
    },
    /// Software templates: list them, run them locally or on Backstage.
    Template {
        #[command(subcommand)]
        command: crate::template::cmd::TemplateCommand,
    },
    /// Read an entity's TechDocs: a page rendered for the terminal
    /// (styled on a terminal, plain text when piped).
    Docs {
        #[arg(value_name = "REF")]
        entity: String,
        /// The page: a path (runbook.md), a path without .md, or a nav
        /// title; the home page when left out.
        #[arg(value_name = "PAGE")]
        page: Option<String>,
        /// Print the page's Markdown instead of rendering it.
        #[arg(long)]
        raw: bool,
        /// Render for this many columns (default: the terminal's, else 100).
        #[arg(long, value_name = "COLUMNS")]
        width: Option<u16>,
    },
    /// Lint catalog files: errors with file:line:col, dangling refs, owners.
    Validate {
        /// Files or folders to check.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Treat warnings (dangling refs, unresolved owners) as errors.
        #[arg(long)]
        strict: bool,
    },
}

/// Parse arguments and run; returns the process exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        // `callboard search | head` closing the pipe early is not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::from(EXIT_OK)
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "callboard: {}", clean_error(&e));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn clean_error(e: &anyhow::Error) -> String {
    crate::sanitize::sanitize(&format!("{e:#}")).into_owned()
}

/// Everything a command needs: the sources in priority order and the cache.
pub struct Session {
    pub sources: Vec<Source>,
    pub allowed_kinds: Option<Vec<String>>,
    pub cache: Cache,
    pub json: bool,
    pub style: Style,
}

impl Session {
    pub fn from_args(global: &GlobalArgs) -> Result<Session> {
        let config_path = global
            .config
            .clone()
            .or_else(|| default_config_path().filter(|p| p.exists()));
        let config = match &config_path {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        let config_base = config_path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_else(|| cwd.clone());
        let sources = if !global.sources.is_empty() || !global.endpoints.is_empty() {
            let local = global.sources.iter().map(|p| {
                let root = resolve_path(&p.to_string_lossy(), &cwd);
                Source {
                    name: format!("path:{}", root.display()),
                    kind: SourceKind::Local { roots: vec![root] },
                }
            });
            let remote = global.endpoints.iter().map(|url| {
                let endpoint = crate::config::Endpoint::from_url(url);
                Source {
                    name: endpoint.url.clone(),
                    kind: SourceKind::Remote(endpoint),
                }
            });
            local.chain(remote).collect()
        } else if !config.sources.is_empty() {
            config.resolved_sources(&config_base)
        } else {
            vec![Source {
                name: crate::demo::SOURCE_NAME.to_string(),
                kind: SourceKind::Demo,
            }]
        };
        let cache_dir = global
            .cache_dir
            .clone()
            .or_else(|| {
                config
                    .cache_dir
                    .as_deref()
                    .map(|d| resolve_path(d, &config_base))
            })
            .or_else(default_cache_dir)
            .context("no cache directory: set --cache-dir or CALLBOARD_CACHE_DIR")?;
        for source in &sources {
            if let SourceKind::Remote(endpoint) = &source.kind {
                crate::config::check_url("--endpoint", &endpoint.url)?;
                if reqwest::Url::parse(&endpoint.url).is_err() {
                    anyhow::bail!(
                        "--endpoint '{}' is not a URL (https://backstage.example.com)",
                        endpoint.url
                    );
                }
            }
        }
        Ok(Session {
            sources,
            allowed_kinds: config.rules.allow.clone(),
            cache: Cache::new(cache_dir),
            json: global.json,
            style: Style::detect(),
        })
    }

    /// Open every source's snapshot, syncing first the ones never synced
    /// (so a first run, and the demo, just work). A remote snapshot older
    /// than its `refresh_after_secs` is refreshed on the way; when the
    /// endpoint cannot be reached the cached one answers, with a note on
    /// stderr saying how old it is.
    pub fn store(&self) -> Result<Store> {
        let mut snapshots = Vec::new();
        let several = self.sources.len() > 1;
        for source in &self.sources {
            if let SourceKind::Remote(endpoint) = &source.kind {
                let opened = crate::sync::open_remote(
                    &self.cache,
                    source,
                    endpoint,
                    self.allowed_kinds.as_deref(),
                    several,
                )?;
                snapshots.extend(opened);
                continue;
            }
            let snapshot = match self.cache.open_snapshot(&source.name)? {
                Some(s) => s,
                None => {
                    let report = sync_source(&self.cache, source, self.allowed_kinds.as_deref())?;
                    if report.error_count() > 0 {
                        eprintln!(
                            "callboard: {} problems while reading '{}'; `callboard sync` lists them",
                            report.error_count(),
                            clean(&source.name)
                        );
                    }
                    self.cache
                        .open_snapshot(&source.name)?
                        .context("the snapshot just written cannot be read")?
                }
            };
            snapshots.push(snapshot);
        }
        let store = Store::new(snapshots);
        store.ensure_any()?;
        Ok(store)
    }
}

fn dispatch(cli: Cli) -> Result<u8> {
    let ctx = Session::from_args(&cli.global)?;
    let mut out = std::io::stdout().lock();
    let code = match cli.command {
        None => {
            // No subcommand: the interactive UI.
            drop(out);
            return crate::tui::run::run_cli(&ctx, &cli.global);
        }
        Some(Command::Sync { full }) => cmd_sync(&ctx, full, &mut out)?,
        Some(Command::Login { name }) => crate::sync::cmd_login(&ctx, &name)?,
        Some(Command::Logout { name }) => crate::sync::cmd_logout(&name),
        Some(Command::Search { query, limit }) => {
            cmd_search(&ctx, &query.join(" "), limit, &mut out)?
        }
        Some(Command::Show { entity }) => cmd_show(&ctx, &entity, &mut out)?,
        Some(Command::Deps {
            entity,
            reverse,
            depth,
        }) => cmd_deps(&ctx, &entity, reverse, depth, &mut out)?,
        Some(Command::Validate { paths, strict }) => cmd_validate(&ctx, &paths, strict, &mut out)?,
        Some(Command::Template { command }) => {
            crate::template::cmd::cmd_template(&ctx, command, &mut out)?
        }
        Some(Command::Docs {
            entity,
            page,
            raw,
            width,
        }) => cmd_docs(&ctx, &entity, page.as_deref(), raw, width, &mut out)?,
    };
    out.flush()?;
    Ok(code)
}

fn print_json(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    writeln!(out, "{}", escape_json_controls(&text))?;
    Ok(())
}

/// serde_json escapes C0 controls; C1 controls and bidi overrides would
/// still reach the terminal raw. They can only occur inside JSON strings,
/// so escaping them as `\uXXXX` keeps the data exact and the output inert.
pub fn escape_json_controls(json: &str) -> std::borrow::Cow<'_, str> {
    let risky = |c: char| {
        ('\u{80}'..='\u{9f}').contains(&c)
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
    };
    if !json.chars().any(risky) {
        return std::borrow::Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if risky(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn cmd_sync(ctx: &Session, full: bool, out: &mut dyn Write) -> Result<u8> {
    let mut reports = Vec::new();
    let mut failed = Vec::new();
    for source in &ctx.sources {
        let progress = crate::sync::StderrProgress::new(!ctx.json);
        let options = crate::sync::SyncOptions {
            progress: Some(progress.callback()),
            full,
            ..Default::default()
        };
        let result = crate::sync::sync_source_with(
            &ctx.cache,
            source,
            ctx.allowed_kinds.as_deref(),
            &options,
        );
        progress.finish();
        match result {
            Ok(report) => reports.push(report),
            Err(e) => failed.push((source.name.clone(), clean_error(&e))),
        }
    }
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
                writeln!(
                    out,
                    "{}",
                    clean(&crate::sync::describe_remote_sync(r, remote))
                )?;
                continue;
            }
            writeln!(
                out,
                "{}: {} entities from {} files, {} errors, {} warnings, {} ms",
                clean(&r.source),
                r.snapshot.entity_count,
                r.files_read,
                r.error_count(),
                r.problems.len() - r.error_count(),
                r.elapsed.as_millis()
            )?;
        }
        for (source, error) in &failed {
            eprintln!("callboard: sync of '{}' failed: {error}", clean(source));
        }
    }
    Ok(if failed.is_empty() { EXIT_OK } else { EXIT_NO })
}

fn cmd_search(ctx: &Session, query: &str, limit: usize, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.store()?;
    let mut parts = Vec::with_capacity(store.snapshots.len());
    for snapshot in &store.snapshots {
        parts.push(Corpus::decode(snapshot.corpus_bytes()?).map_err(|e| {
            anyhow::anyhow!(
                "search index of '{}' is unreadable ({e}); run `callboard sync`",
                snapshot.info.source
            )
        })?);
    }
    // A ref from a higher-priority source hides the same ref below it.
    let corpus = Corpus::merge(parts);
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
                let owner = r.owner().rsplit('/').next().unwrap_or_default();
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
        let widths: Vec<usize> = (0..3)
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        for row in &rows {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate().take(3) {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
            line.push_str(&row[3]);
            writeln!(out, "{}", line.trim_end())?;
        }
        writeln!(
            out,
            "{}",
            ctx.style.dim(&format!(
                "{} / {} shown, {} matched",
                rows.len(),
                results.total,
                results.matched
            ))
        )?;
    }
    Ok(if results.matched == 0 {
        EXIT_NO
    } else {
        EXIT_OK
    })
}

fn short_ref(key: &str) -> String {
    key.replacen(":default/", ":", 1)
}

/// Resolve REF or explain why not; `Err(code)` after printing the reason.
fn resolve_or_explain(
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

fn cmd_show(ctx: &Session, input: &str, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.store()?;
    let found = match resolve_or_explain(ctx, &store, input, out)? {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    let key = found.entity.ref_key();
    let sources = if store.snapshots.len() > 1 {
        store.sources_of(&key)
    } else {
        Vec::new()
    };
    let report = ShowReport::build(&store, &found, &sources, (&ctx.sources, ctx.cache.dir()));
    if ctx.json {
        print_json(out, &report)?;
    } else {
        write!(out, "{}", render_show(&report, ctx.style))?;
    }
    report_store_errors(&store);
    Ok(EXIT_OK)
}

fn cmd_docs(
    ctx: &Session,
    input: &str,
    page: Option<&str>,
    raw: bool,
    width: Option<u16>,
    out: &mut dyn Write,
) -> Result<u8> {
    let store = ctx.store()?;
    let found = match resolve_or_explain(ctx, &store, input, out)? {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    report_store_errors(&store);
    let request = crate::docs::cli::DocsRequest {
        page,
        raw,
        json: ctx.json,
        color: ctx.style.color,
        width,
    };
    crate::docs::cli::run(&store, &found, &ctx.sources, ctx.cache.dir(), &request, out)
}

fn report_store_errors(store: &Store) {
    for e in store.take_errors() {
        eprintln!("callboard: {}", clean(&e));
    }
}

fn cmd_deps(
    ctx: &Session,
    input: &str,
    reverse: bool,
    depth: Option<usize>,
    out: &mut dyn Write,
) -> Result<u8> {
    let store = ctx.store()?;
    let found = match resolve_or_explain(ctx, &store, input, out)? {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    let direction = if reverse {
        Direction::DependedOnBy
    } else {
        Direction::DependsOn
    };
    let tree = dependency_tree(&store, &found.entity.ref_key(), direction, depth);
    if ctx.json {
        print_json(
            out,
            &serde_json::json!({
                "direction": if reverse { "dependents" } else { "dependencies" },
                "tree": tree,
            }),
        )?;
    } else {
        write!(out, "{}", render_deps(&tree, direction, ctx.style))?;
    }
    report_store_errors(&store);
    Ok(EXIT_OK)
}

fn cmd_validate(ctx: &Session, paths: &[PathBuf], strict: bool, out: &mut dyn Write) -> Result<u8> {
    use crate::catalog::index::owner_of;
    use crate::source::local::{load_local, LocalOptions};
    use crate::source::Problem;

    let options = LocalOptions {
        allowed_kinds: ctx.allowed_kinds.clone(),
        ..LocalOptions::default()
    };
    let loaded = load_local("validate", paths, &options);
    let mut problems = loaded.problems.clone();
    let catalog = crate::catalog::Catalog::new(loaded.entities.clone());
    for e in catalog.entities() {
        let file = e
            .origin
            .location
            .strip_prefix("file:")
            .unwrap_or(&e.origin.location)
            .to_string();
        let at = |message: String| Problem {
            location: file.clone(),
            line: e.origin.line,
            column: None,
            severity: Severity::Warning,
            message,
        };
        let me = e.entity.ref_key();
        for rel in e.entity.relations() {
            let target = rel.target_ref.to_lowercase();
            if !catalog.contains(&target)
                && crate::catalog::relations::inverse(&rel.relation_type).is_some()
            {
                problems.push(at(format!(
                    "{me} {} {target}, which is not in the checked files (dangling reference)",
                    rel.relation_type
                )));
            }
        }
        let needs_owner = e.entity.spec_value("owner").is_some();
        if needs_owner {
            match owner_of(&catalog, &e.entity) {
                Some(o) if o.resolved => {
                    let kind = o.kind.as_deref().unwrap_or_default().to_ascii_lowercase();
                    if kind != "group" && kind != "user" {
                        problems.push(at(format!(
                            "{me} is owned by {}, which is a {kind}, not a Group or User",
                            o.owner_ref
                        )));
                    }
                }
                Some(o) => problems.push(at(format!(
                    "{me} has no resolvable owner: {} is not in the checked files",
                    o.owner_ref
                ))),
                None => problems.push(at(format!(
                    "{me} has an owner that is not a valid reference"
                ))),
            }
        }
    }
    problems.sort_by(|a, b| (&a.location, a.line, a.column).cmp(&(&b.location, b.line, b.column)));
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error || strict)
        .count();
    if ctx.json {
        print_json(
            out,
            &serde_json::json!({
                "files": loaded.files_read, "entities": catalog.len(),
                "errors": errors, "problems": problems,
            }),
        )?;
    } else {
        for p in &problems {
            writeln!(out, "{}", clean(&p.to_string()))?;
        }
        let warnings = problems.len()
            - problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count();
        writeln!(
            out,
            "{} files, {} entities: {} errors, {} warnings",
            loaded.files_read,
            catalog.len(),
            problems.len() - warnings,
            warnings
        )?;
    }
    Ok(if errors > 0 || loaded.files_read == 0 {
        EXIT_NO
    } else {
        EXIT_OK
    })
}
