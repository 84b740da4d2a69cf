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
    /// Sign in to a Backstage backend as a user (in a browser, like
    /// `backstage-cli auth login`); with --token, store a static token in
    /// the OS keyring instead (read without echo).
    Login {
        /// The backend's URL, or the name of a config source with a `url`.
        #[arg(value_name = "URL|NAME")]
        name: String,
        /// Store a static token (typed or piped) for source NAME instead of signing in.
        #[arg(long)]
        token: bool,
        /// Only print the sign-in URL; never start a browser.
        #[arg(long)]
        no_browser: bool,
        /// Give up waiting for the browser after this many seconds.
        #[arg(long, value_name = "SECS", default_value_t = 300)]
        timeout: u64,
    },
    /// Sign out (revoke and delete the sign-in) and remove a static token
    /// from the OS keyring.
    Logout {
        #[arg(value_name = "URL|NAME")]
        name: String,
    },
    /// Ask the entity's Backstage backend to process it again, wait
    /// briefly, sync its source and show its processing errors.
    Refresh {
        #[arg(value_name = "REF")]
        entity: String,
        /// Wait this long for the backend's new version.
        #[arg(long, value_name = "SECS", default_value_t = 3)]
        wait: u64,
    },
    /// Sign-ins: `auth status` lists each endpoint and who you are there.
    Auth {
        #[command(subcommand)]
        command: AuthCommand,
    },
    /// Fuzzy-search the catalog: `kind:api owner:team-a pay`.
    Search {
        /// Free text plus filters kind: type: owner: lifecycle: tag: system:
        /// namespace:. Options may come before, between or after its words;
        /// `--` ends the options (`search -- -text`).
        #[arg(value_name = "QUERY")]
        query: Vec<String>,
        /// Show at most this many results.
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: usize,
    },
    /// The on-call view of one entity: owner, members, on-call, runbooks.
    Show {
        /// The entity: `[kind:][namespace/]name`, as Backstage writes refs
        /// (`component:default/payments-service`, `api:booking-api`), compared
        /// case-insensitively; a bare name (`payments-service`) when only one
        /// entity has it.
        #[arg(value_name = "REF")]
        entity: String,
    },
    /// Dependency tree of an entity, or with --reverse its dependents.
    Deps {
        /// The entity: `[kind:][namespace/]name`, as Backstage writes refs
        /// (`component:default/payments-service`, `api:booking-api`), compared
        /// case-insensitively; a bare name (`payments-service`) when only one
        /// entity has it.
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
        /// The entity: `[kind:][namespace/]name`, as Backstage writes refs
        /// (`component:default/payments-service`, `api:booking-api`), compared
        /// case-insensitively; a bare name (`payments-service`) when only one
        /// entity has it.
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
    /// Print the shell completion script: `callboard completions bash >
    /// ~/.local/share/bash-completion/completions/callboard`.
    Completions {
        /// bash, zsh, fish (also elvish, powershell).
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `callboard man >
    /// ~/.local/share/man/man1/callboard.1`.
    Man,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Each endpoint: signed in as whom, until when, from where
    /// (keyring, file, env, command, backstage-cli).
    Status,
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
    let mut out = std::io::stdout().lock();
    // These need no config, cache or catalog.
    match cli.command {
        Some(Command::Completions { shell }) => {
            let code = cmd::completions::completions(shell, &mut out)?;
            out.flush()?;
            return Ok(code);
        }
        Some(Command::Man) => {
            let code = cmd::completions::man(&mut out)?;
            out.flush()?;
            return Ok(code);
        }
        _ => {}
    }
    let ctx = Session::from_args(&cli.global)?;
    let code = match cli.command {
        None => {
            // No subcommand: the interactive UI.
            drop(out);
            callboard_tui::run(ctx.worker_config(), &ctx.config)?;
            return Ok(EXIT_OK);
        }
        Some(Command::Sync { full }) => cmd::sync::run(&ctx, full, &mut out)?,
        Some(Command::Login {
            name, token: true, ..
        }) => cmd::login::login(&ctx, &name)?,
        Some(Command::Login {
            name,
            no_browser,
            timeout,
            ..
        }) => cmd::signin::login(
            &ctx,
            &name,
            &cmd::signin::LoginOptions {
                no_browser,
                timeout: std::time::Duration::from_secs(timeout),
            },
        )?,
        Some(Command::Logout { name }) => cmd::login::logout(&ctx, &name),
        Some(Command::Refresh { entity, wait }) => {
            cmd::refresh::run(&ctx, &entity, wait, &mut out)?
        }
        Some(Command::Auth {
            command: AuthCommand::Status,
        }) => cmd::signin::status(&ctx, &mut out)?,
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
        Some(Command::Completions { .. } | Command::Man) => unreachable!("answered above"),
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
