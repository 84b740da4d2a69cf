//! What the UI and the workers say to each other: [`Request`]s go to the
//! worker threads, [`Msg`]s come back on one channel the event loop selects
//! on. Plain data, so drawing code can read what arrived without knowing
//! anything of the threads.

pub mod docs;
pub mod templates;

use std::sync::Arc;

pub use callboard_core::catalog::api::{ApiDefinition, ApiView, Operation};
use callboard_core::catalog::index::Resolved;
pub use callboard_core::report::{DepsDetail, EntityDetail};
use callboard_core::search::backend::BackendHit;
use callboard_core::search::Corpus;

pub use docs::{DocsDoc, DocsReply, DocsRequest};
pub use templates::{TemplateMsg, TemplateRequest};

/// Where the UI hears from the workers. Unbounded: workers never block on
/// the UI, and every message is small.
pub type UiSender = tokio::sync::mpsc::UnboundedSender<Msg>;
pub type UiReceiver = tokio::sync::mpsc::UnboundedReceiver<Msg>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// (Re)open the snapshots and send the search corpus. Never-synced
    /// sources are synced first.
    Load,
    /// (Re)open the snapshots without sending anything (the graph worker).
    Reopen,
    /// One entity, ready to show. `preview` requests are coalesced: when
    /// several are queued only the newest is answered.
    Detail {
        key: String,
        preview: bool,
    },
    /// Dependency trees both ways.
    Deps(String),
    /// Resolve what was typed after `:open`.
    Resolve(String),
    /// A docs page of an entity, rendered (the docs worker).
    Docs(DocsRequest),
    /// Answered with [`Msg::Pong`] after everything sent before it, by
    /// each worker (`crate::workers::PONGS` of them).
    Ping(u64),
    /// Software templates: entity, drafts, local runs.
    Template(Box<TemplateRequest>),
    /// `R`: refresh this entity on its backend, then sync its source.
    RefreshEntity(String),
    /// Ask the Backstage sources' own search for this free text (the
    /// search thread; only the newest of several queued is asked).
    BackendSearch(String),
    Shutdown,
}

#[derive(Debug)]
pub enum Msg {
    Loaded(Box<CatalogLoad>),
    /// The catalog could not be loaded at all (a worker failed).
    LoadFailed(String),
    Detail {
        key: String,
        detail: Result<Arc<EntityDetail>, String>,
    },
    Deps {
        key: String,
        deps: Result<Arc<DepsDetail>, String>,
    },
    Resolved {
        input: String,
        result: Resolved,
    },
    Sync(SyncEvent),
    /// Something to say in the status bar (a copy done, an error).
    Notice {
        text: String,
        error: bool,
    },
    /// A docs page (first the top of a big page, then all of it), or why not.
    Docs(Box<DocsReply>),
    /// The matcher has news: tick it and redraw.
    Wake,
    Pong(u64),
    Template(Box<TemplateMsg>),
    /// A refresh of `key` ended: the report, or why not.
    Refreshed {
        key: String,
        result: Result<callboard_io::refresh::RefreshReport, String>,
    },
    /// The backends' search answered `query` (TechDocs and catalog hits),
    /// with notes for sources that could not be asked.
    BackendSearch {
        query: String,
        hits: Vec<BackendHit>,
        notes: Vec<String>,
    },
}

/// The catalog as the list needs it: the corpus, not the entities.
#[derive(Debug)]
pub struct CatalogLoad {
    pub corpus: Arc<Corpus>,
    pub sources: Vec<SourceStatus>,
    pub errors: Vec<String>,
    /// Sources whose first sync failed, why in words (the catalog screen
    /// says it when nothing could be loaded).
    pub first_sync_failed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceStatus {
    pub name: String,
    /// None: never synced (or unreadable).
    pub synced_at_ms: Option<u64>,
    pub entity_count: usize,
    pub problem_count: usize,
    /// The last sync of this source failed: what is shown is the old cache.
    pub stale: bool,
    /// A remote snapshot older than its `refresh_after_secs`: refreshed in
    /// the background at start.
    pub refresh_due: bool,
    /// A Backstage source read as a signed-in user: who (`user:default/bob`).
    pub signed_in_as: Option<String>,
}

/// How a sync goes, as the status bar shows it.
pub use callboard_io::sync::SyncEvent;
