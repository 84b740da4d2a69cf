//! The command line: parse arguments, pick sources, run one command.
//!
//! Each command is a file under [`cmd`]; [`session`] turns the global
//! arguments and the config file into sources and a cache, once;
//! [`output`] and [`json`] print, sanitized; [`exit`] names the codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

pub mod cmd;
pub mod exit;
pub mod json;
pub mod output;
pub mod progress;
pub mod session;

use exit::{EXIT_ERROR, EXIT_OK};
use session::Session;

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
    /// The catalog's problems, grouped by rule and owner, with where to fix
    /// them (and, for Backstage sources, what the backend failed to
    /// process); exit 1 when there are errors.
    Hygiene,
    /// Who to page when an entity goes down: its dependents grouped by
    /// owning team, with on-call, email and chat, and a page list.
    Impact {
        #[arg(value_name = "REF")]
        entity: String,
        /// Stop after this many levels.
        #[arg(long, short = 'd', value_name = "N")]
        depth: Option<usize>,
    },
    /// Software templates: list them, run them locally or on Backstage.
    Template {
        #[command(subcommand)]
        command: cmd::template::TemplateCommand,
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
    /// Scorecards: the level each entity reaches (Bronze, Silver, Gold by
    /// default) and the next steps; a summary per level and owner.
    Score {
        /// Refs to score, or search filters (`kind:component owner:team-a`);
        /// none: every entity.
        #[arg(value_name = "REF")]
        entities: Vec<String>,
        /// Exit 1 when any listed entity is below this level (for CI).
        #[arg(long, value_name = "LEVEL")]
        min: Option<String>,
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

/// An error for people: its chain on one line, control sequences stripped.
pub fn clean_error(e: &anyhow::Error) -> String {
    callboard_core::text::sanitize(&format!("{e:#}")).into_owned()
}

fn dispatch(cli: Cli) -> Result<u8> {
    let ctx = Session::from_args(&cli.global)?;
    let mut out = std::io::stdout().lock();
    let code = match cli.command {
        None => {
            // No subcommand: the interactive UI.
            drop(out);
            callboard_tui::run(ctx.worker_config(), &ctx.config)?;
            return Ok(EXIT_OK);
        }
        Some(Command::Sync { full }) => cmd::sync::run(&ctx, full, &mut out)?,
        Some(Command::Login { name }) => cmd::login::login(&ctx, &name)?,
        Some(Command::Logout { name }) => cmd::login::logout(&name),
        Some(Command::Search { query, limit }) => {
            cmd::search::run(&ctx, &query.join(" "), limit, &mut out)?
        }
        Some(Command::Show { entity }) => cmd::show::run(&ctx, &entity, &mut out)?,
        Some(Command::Deps {
            entity,
            reverse,
            depth,
        }) => cmd::deps::run(&ctx, &entity, reverse, depth, &mut out)?,
        Some(Command::Validate { paths, strict }) => {
            cmd::validate::run(&ctx, &paths, strict, &mut out)?
        }
        Some(Command::Hygiene) => cmd::hygiene::run(&ctx, &mut out)?,
        Some(Command::Impact { entity, depth }) => {
            cmd::impact::run(&ctx, &entity, depth, &mut out)?
        }
        Some(Command::Score { entities, min }) => {
            cmd::score::run(&ctx, &entities, min.as_deref(), &mut out)?
        }
        Some(Command::Template { command }) => cmd::template::run(&ctx, command, &mut out)?,
        Some(Command::Docs {
            entity,
            page,
            raw,
            width,
        }) => {
            let request = cmd::docs::DocsRequest {
                page: page.as_deref(),
                raw,
                json: ctx.json,
                color: ctx.style.color,
                width,
            };
            cmd::docs::run(&ctx, &entity, &request, &mut out)?
        }
    };
    out.flush()?;
    Ok(code)
}
