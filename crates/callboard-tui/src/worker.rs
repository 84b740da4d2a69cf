//! Background work, so the UI thread never does I/O.
//!
//! Two worker threads each own a [`Store`] (SQLite connections are not
//! shared across threads): the *detail* worker loads the catalog (the search
//! corpus blob only, not the entities) and answers entity lookups; the
//! *graph* worker computes dependency trees, which can walk thousands of
//! entities, so a big blast radius never holds up the preview. A sync runs
//! on a thread of its own. Everything reports back as a [`Msg`] on one
//! channel that the event loop selects on.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::{Context, Result};
use serde_json::Value;

use callboard_core::catalog::index::{
    dependency_tree, resolve, DepTree, Direction, RelatedRef, Resolved,
};
use callboard_core::catalog::relations::{
    API_CONSUMED_BY, API_PROVIDED_BY, CONSUMES_API, PROVIDES_API,
};
use callboard_core::catalog::{EntityLookup, Kind};
use callboard_core::report::{ShowReport, ShownLink};
use callboard_core::search::Corpus;
use callboard_io::cache::{Cache, Store};
use callboard_io::config::{Source, SourceKind};
use callboard_io::sync::sync_source;

/// Where the UI hears from the workers. Unbounded: workers never block on
/// the UI, and every message is small.
pub type UiSender = tokio::sync::mpsc::UnboundedSender<Msg>;
pub type UiReceiver = tokio::sync::mpsc::UnboundedReceiver<Msg>;

/// What the workers need to open (and sync) the sources.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub cache: Cache,
    pub sources: Vec<Source>,
    pub allowed_kinds: Option<Vec<String>>,
}

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
    Docs(crate::docs_worker::DocsRequest),
    /// Answered with [`Msg::Pong`] after everything sent before it, by
    /// each of the [`PONGS`] workers.
    Ping(u64),
    /// Software templates: entity, drafts, local runs.
    Template(Box<crate::templates::TemplateRequest>),
    Shutdown,
}

#[derive(Debug)]
pub enum Msg {
    Loaded(Box<CatalogLoad>),
    Detail {
        key: String,
        detail: Result<Arc<EntityDetail>, String>,
    },
    Deps {
        key: String,
        deps: Arc<DepsDetail>,
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
    Docs(Box<crate::docs_worker::DocsReply>),
    /// The matcher has news: tick it and redraw.
    Wake,
    Pong(u64),
    Template(Box<crate::templates::TemplateMsg>),
}

/// The catalog as the list needs it: the corpus, not the entities.
#[derive(Debug)]
pub struct CatalogLoad {
    pub corpus: Arc<Corpus>,
    pub sources: Vec<SourceStatus>,
    pub errors: Vec<String>,
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncEvent {
    Started {
        total: usize,
    },
    Source {
        index: usize,
        name: String,
    },
    SourceDone {
        name: String,
        result: Result<String, String>,
    },
    Finished {
        failed: usize,
    },
}

/// Everything the entity screen shows, computed off the UI thread.
#[derive(Debug, Clone)]
pub struct EntityDetail {
    pub report: ShowReport,
    /// Where it was read from, for people: `demo · services/x/catalog-info.yaml:3`.
    pub source_line: String,
    /// The owner's own links (its runbook, chat channel…), runbooks first.
    pub owner_links: Vec<ShownLink>,
    pub api: ApiView,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ApiView {
    /// An API entity: its definition.
    Definition(ApiDefinition),
    /// A component: the APIs it provides and consumes.
    Component {
        provides: Vec<RelatedRef>,
        consumes: Vec<RelatedRef>,
    },
    /// Any other kind.
    None,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiDefinition {
    pub api_type: String,
    /// The definition text, unsanitized (sanitized when drawn).
    pub text: String,
    /// OpenAPI paths and operations (AsyncAPI: channels), in file order.
    pub operations: Vec<Operation>,
    /// Why the definition could not be read as OpenAPI/AsyncAPI.
    pub parse_error: Option<String>,
    pub providers: Vec<RelatedRef>,
    pub consumers: Vec<RelatedRef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub method: String,
    pub path: String,
    pub summary: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DepsDetail {
    pub depends_on: DepTree,
    pub depended_on_by: DepTree,
}

/// How many workers answer a [`Request::Ping`].
pub const PONGS: usize = 3;

/// The worker threads and the sync thread, seen from the UI.
pub struct Workers {
    detail: Worker,
    graph: Worker,
    /// Docs: reading pages (maybe over the network) and rendering them.
    docs: Worker,
    config: WorkerConfig,
    ui: UiSender,
    syncing: Arc<AtomicBool>,
}

impl Workers {
    pub fn spawn(config: WorkerConfig, ui: UiSender) -> Workers {
        Workers {
            detail: Worker::spawn("callboard-detail", config.clone(), ui.clone(), true),
            graph: Worker::spawn("callboard-graph", config.clone(), ui.clone(), false),
            docs: Worker::spawn("callboard-docs", config.clone(), ui.clone(), false),
            config,
            ui,
            syncing: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Route a request: trees to the graph worker, the rest to the detail
    /// worker; pings to both (each answers).
    pub fn send(&self, request: Request) {
        match request {
            Request::Deps(_) => self.graph.send(request),
            Request::Docs(_) => self.docs.send(request),
            Request::Reopen => {
                self.graph.send(Request::Reopen);
                self.docs.send(Request::Reopen);
            }
            Request::Ping(n) => {
                self.detail.send(Request::Ping(n));
                self.graph.send(Request::Ping(n));
                self.docs.send(Request::Ping(n));
            }
            other => self.detail.send(other),
        }
    }

    /// Start a background sync of every source, unless one is running.
    /// Returns false when one already is.
    pub fn start_sync(&self) -> bool {
        if self.syncing.swap(true, Ordering::SeqCst) {
            return false;
        }
        let config = self.config.clone();
        let ui = self.ui.clone();
        let flag = self.syncing.clone();
        let spawned = std::thread::Builder::new()
            .name("callboard-sync".into())
            .spawn(move || {
                run_sync(&config, &ui);
                flag.store(false, Ordering::SeqCst);
            });
        if spawned.is_err() {
            self.syncing.store(false, Ordering::SeqCst);
            let _ = self.ui.send(Msg::Notice {
                text: "cannot start a sync thread".into(),
                error: true,
            });
        }
        true
    }

    pub fn syncing(&self) -> bool {
        self.syncing.load(Ordering::SeqCst)
    }
}

fn run_sync(config: &WorkerConfig, ui: &UiSender) {
    let _ = ui.send(Msg::Sync(SyncEvent::Started {
        total: config.sources.len(),
    }));
    let mut failed = 0;
    for (index, source) in config.sources.iter().enumerate() {
        let _ = ui.send(Msg::Sync(SyncEvent::Source {
            index,
            name: source.name.clone(),
        }));
        let result = match sync_source(&config.cache, source, config.allowed_kinds.as_deref()) {
            Ok(report) => Ok(format!(
                "{} entities from {} files, {} errors",
                report.snapshot.entity_count,
                report.files_read,
                report.error_count()
            )),
            Err(e) => {
                failed += 1;
                Err(format!("{e:#}"))
            }
        };
        let _ = ui.send(Msg::Sync(SyncEvent::SourceDone {
            name: source.name.clone(),
            result,
        }));
    }
    let _ = ui.send(Msg::Sync(SyncEvent::Finished { failed }));
}

struct Worker {
    tx: mpsc::Sender<Request>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    fn spawn(name: &str, config: WorkerConfig, ui: UiSender, loads: bool) -> Worker {
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || worker_loop(&config, &rx, &ui, loads))
            .expect("spawn a worker thread");
        Worker {
            tx,
            handle: Some(handle),
        }
    }

    fn send(&self, request: Request) {
        let _ = self.tx.send(request);
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.tx.send(Request::Shutdown);
        // A long tree walk may still be running; it ends with the process.
        drop(self.handle.take());
    }
}

fn worker_loop(config: &WorkerConfig, rx: &mpsc::Receiver<Request>, ui: &UiSender, loads: bool) {
    let mut store: Option<Store> = None;
    let mut docs = crate::docs_worker::DocsCache::default();
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        // Only the newest preview is worth answering.
        let newest_preview = batch
            .iter()
            .rposition(|r| matches!(r, Request::Detail { preview: true, .. }));
        for (i, request) in batch.into_iter().enumerate() {
            match request {
                Request::Shutdown => return,
                Request::Detail { preview: true, .. } if Some(i) != newest_preview => {}
                Request::Load => {
                    let (opened, load) = load_catalog(config, ui, loads);
                    store = Some(opened);
                    let _ = ui.send(Msg::Loaded(Box::new(load)));
                }
                Request::Reopen => {
                    store = Some(open_store(config).0);
                    docs = Default::default();
                }
                Request::Docs(request) => {
                    crate::docs_worker::handle(store.as_ref(), config, &mut docs, request, ui)
                }
                Request::Detail { key, .. } => {
                    let detail = match &store {
                        Some(store) => entity_detail(store, config, &key).map(Arc::new),
                        None => Err("the catalog is not loaded yet".to_string()),
                    };
                    let _ = ui.send(Msg::Detail { key, detail });
                }
                Request::Deps(key) => {
                    if let Some(store) = &store {
                        let deps = DepsDetail {
                            depends_on: dependency_tree(store, &key, Direction::DependsOn, None),
                            depended_on_by: dependency_tree(
                                store,
                                &key,
                                Direction::DependedOnBy,
                                None,
                            ),
                        };
                        let _ = ui.send(Msg::Deps {
                            key,
                            deps: Arc::new(deps),
                        });
                    }
                }
                Request::Resolve(input) => {
                    let result = match &store {
                        Some(store) => resolve(store, &input),
                        None => Resolved::NotFound(input.clone()),
                    };
                    let _ = ui.send(Msg::Resolved { input, result });
                }
                Request::Ping(n) => {
                    let _ = ui.send(Msg::Pong(n));
                }
                Request::Template(r) => crate::templates::serve(*r, config, store.as_ref(), ui),
            }
            if let Some(store) = &store {
                for e in store.take_errors() {
                    let _ = ui.send(Msg::Notice {
                        text: e,
                        error: true,
                    });
                }
            }
        }
    }
}

/// Open every source's snapshot that exists; returns the store and the
/// status of each source plus the errors met.
fn open_store(config: &WorkerConfig) -> (Store, Vec<SourceStatus>, Vec<String>) {
    let mut snapshots = Vec::new();
    let mut statuses = Vec::new();
    let mut errors = Vec::new();
    for source in &config.sources {
        let mut status = SourceStatus {
            name: source.name.clone(),
            synced_at_ms: None,
            entity_count: 0,
            problem_count: 0,
            stale: false,
        };
        match config.cache.open_snapshot(&source.name) {
            Ok(Some(snapshot)) => {
                status.synced_at_ms = Some(snapshot.info.synced_at_ms);
                status.entity_count = snapshot.info.entity_count;
                status.problem_count = snapshot.info.problem_count;
                snapshots.push(snapshot);
            }
            Ok(None) => {}
            Err(e) => errors.push(format!("{e:#}")),
        }
        statuses.push(status);
    }
    (Store::new(snapshots), statuses, errors)
}

fn load_catalog(config: &WorkerConfig, ui: &UiSender, sync_missing: bool) -> (Store, CatalogLoad) {
    let mut errors = Vec::new();
    if sync_missing {
        // First run (or a new source): sync what was never synced, as the
        // headless commands do, reporting progress like `s` does.
        let missing: Vec<&Source> = config
            .sources
            .iter()
            .filter(|s| matches!(config.cache.open_snapshot(&s.name), Ok(None)))
            .collect();
        if !missing.is_empty() {
            let _ = ui.send(Msg::Sync(SyncEvent::Started {
                total: missing.len(),
            }));
            for (index, source) in missing.iter().enumerate() {
                let _ = ui.send(Msg::Sync(SyncEvent::Source {
                    index,
                    name: source.name.clone(),
                }));
                let result = sync_source(&config.cache, source, config.allowed_kinds.as_deref())
                    .map(|r| format!("{} entities", r.snapshot.entity_count))
                    .map_err(|e| format!("{e:#}"));
                if let Err(e) = &result {
                    errors.push(format!("first sync of '{}' failed: {e}", source.name));
                }
                let _ = ui.send(Msg::Sync(SyncEvent::SourceDone {
                    name: source.name.clone(),
                    result,
                }));
            }
            let failed = errors.len();
            let _ = ui.send(Msg::Sync(SyncEvent::Finished { failed }));
        }
    }
    let (store, sources, open_errors) = open_store(config);
    errors.extend(open_errors);
    let mut parts = Vec::new();
    for snapshot in &store.snapshots {
        let decoded = snapshot
            .corpus_bytes()
            .map_err(|e| format!("{e:#}"))
            .and_then(|bytes| Corpus::decode(bytes).map_err(|e| e.to_string()));
        match decoded {
            Ok(corpus) => parts.push(corpus),
            Err(e) => errors.push(format!(
                "the search index of '{}' is unreadable ({e}); press s to sync",
                snapshot.info.source
            )),
        }
    }
    let corpus = Corpus::merge(parts);
    (
        store,
        CatalogLoad {
            corpus: Arc::new(corpus),
            sources,
            errors,
        },
    )
}

fn entity_detail(store: &Store, config: &WorkerConfig, key: &str) -> Result<EntityDetail, String> {
    let found = store.get(key).ok_or_else(|| {
        format!(
            "{key} is not in the catalog (a dangling reference, or removed since the last sync)"
        )
    })?;
    let sources = if store.snapshots.len() > 1 {
        store.sources_of(key)
    } else {
        Vec::new()
    };
    let runbook = callboard_io::docs::runbook::find_offline(
        store,
        &found,
        &config.sources,
        config.cache.dir(),
    );
    let report = ShowReport::build(store, &found, &sources, runbook);
    let owner_links = report
        .owner
        .as_ref()
        .filter(|o| o.resolved)
        .and_then(|o| store.get(&o.owner_ref))
        .map(|o| o.entity.links().into_iter().map(ShownLink::from).collect())
        .unwrap_or_default();
    let entity = &found.entity;
    let related_of = |types: &[&str]| -> Vec<RelatedRef> {
        report
            .relations
            .iter()
            .filter(|r| types.contains(&r.relation_type.as_str()))
            .cloned()
            .collect()
    };
    let api = match entity.known_kind() {
        Some(Kind::Api) => {
            let api_type = entity.spec_type().unwrap_or_default().to_string();
            let text = match entity.spec_value("definition") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => serde_norway::to_string(other).unwrap_or_else(|_| other.to_string()),
                None => String::new(),
            };
            let (operations, parse_error) = operations_of(&api_type, &text);
            ApiView::Definition(ApiDefinition {
                api_type,
                text,
                operations,
                parse_error,
                providers: related_of(&[API_PROVIDED_BY]),
                consumers: related_of(&[API_CONSUMED_BY]),
            })
        }
        Some(Kind::Component) => ApiView::Component {
            provides: related_of(&[PROVIDES_API]),
            consumes: related_of(&[CONSUMES_API]),
        },
        _ => ApiView::None,
    };
    let source_line = source_line(config, &found.origin.source, &report.location);
    Ok(EntityDetail {
        report,
        source_line,
        owner_links,
        api,
    })
}

/// `demo · services/x/catalog-info.yaml:3`: the location relative to the
/// source's root when it lies inside it.
fn source_line(config: &WorkerConfig, source: &str, location: &str) -> String {
    let path = location.strip_prefix("file:").unwrap_or(location);
    let roots: Vec<PathBuf> = config
        .sources
        .iter()
        .filter(|s| s.name == source)
        .flat_map(|s| match &s.kind {
            SourceKind::Local { roots } => roots
                .iter()
                .map(|r| {
                    if r.is_file() {
                        r.parent().unwrap_or(r).to_path_buf()
                    } else {
                        r.clone()
                    }
                })
                .collect::<Vec<_>>(),
            SourceKind::Demo => demo_root(config.cache.dir()).into_iter().collect(),
            #[allow(unreachable_patterns)]
            _ => Vec::new(),
        })
        .collect();
    let shown = roots
        .iter()
        .find_map(|root| {
            Path::new(path)
                .strip_prefix(root)
                .ok()
                .map(|p| p.display().to_string())
        })
        .unwrap_or_else(|| location.to_string());
    format!("{source} · {shown}")
}

/// The unpacked demo lives at `<cache>/demo/<hash>/`.
fn demo_root(cache_dir: &Path) -> Option<PathBuf> {
    let dir = cache_dir.join("demo");
    std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("catalog-info.yaml").exists())
}

/// The operations of an OpenAPI (or Swagger 2) definition, or the channels
/// of an AsyncAPI one, in file order.
pub fn operations_of(api_type: &str, text: &str) -> (Vec<Operation>, Option<String>) {
    let api_type = api_type.to_ascii_lowercase();
    if !matches!(api_type.as_str(), "openapi" | "asyncapi" | "swagger") || text.trim().is_empty() {
        return (Vec::new(), None);
    }
    let doc: Value = match parse_definition(text) {
        Ok(doc) => doc,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut ops = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let m = method.to_ascii_lowercase();
                if ![
                    "get", "put", "post", "delete", "options", "head", "patch", "trace",
                ]
                .contains(&m.as_str())
                {
                    continue;
                }
                let summary = ["summary", "operationId", "description"]
                    .iter()
                    .find_map(|k| op.get(*k).and_then(Value::as_str))
                    .map(|s| s.lines().next().unwrap_or_default().to_string());
                ops.push(Operation {
                    method: m.to_ascii_uppercase(),
                    path: path.clone(),
                    summary,
                });
            }
        }
    }
    if let Some(channels) = doc.get("channels").and_then(Value::as_object) {
        for (name, channel) in channels {
            let mut verbs: Vec<&str> = ["publish", "subscribe", "send", "receive"]
                .into_iter()
                .filter(|v| channel.get(*v).is_some())
                .collect();
            if verbs.is_empty() {
                verbs.push("channel");
            }
            let summary = ["summary", "description"]
                .iter()
                .find_map(|k| channel.get(*k).and_then(Value::as_str))
                .or_else(|| {
                    ["publish", "subscribe"]
                        .iter()
                        .find_map(|v| channel.get(*v)?.get("summary")?.as_str())
                })
                .map(|s| s.lines().next().unwrap_or_default().to_string());
            ops.push(Operation {
                method: verbs.join("/").to_ascii_uppercase(),
                path: name.clone(),
                summary,
            });
        }
    }
    (ops, None)
}

fn parse_definition(text: &str) -> Result<Value, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        serde_json::from_str(text).map_err(|e| format!("the definition is not valid JSON: {e}"))
    } else {
        serde_norway::from_str(text).map_err(|e| format!("the definition is not valid YAML: {e}"))
    }
}

/// Open the catalog once on the calling thread, for benchmarks and tests
/// that want the corpus without workers.
pub fn load_corpus_now(config: &WorkerConfig) -> Result<CatalogLoad> {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let (_store, load) = load_catalog(config, &tx, true);
    if load.corpus.is_empty() && !load.errors.is_empty() {
        return Err(anyhow::anyhow!(load.errors.join("; "))).context("cannot load the catalog");
    }
    Ok(load)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_paths_and_operations_in_file_order() {
        let yaml = "openapi: 3.0.0\npaths:\n  /bookings:\n    get:\n      summary: List bookings\n    post:\n      operationId: createBooking\n  /bookings/{id}:\n    parameters: []\n    delete: {}\n";
        let (ops, err) = operations_of("openapi", yaml);
        assert_eq!(err, None);
        let shown: Vec<_> = ops
            .iter()
            .map(|o| (o.method.as_str(), o.path.as_str(), o.summary.as_deref()))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("GET", "/bookings", Some("List bookings")),
                ("POST", "/bookings", Some("createBooking")),
                ("DELETE", "/bookings/{id}", None)
            ]
        );
        let json = r#"{"openapi":"3.1.0","paths":{"/a":{"put":{"summary":"Put a"}}}}"#;
        assert_eq!(operations_of("openapi", json).0[0].method, "PUT");
    }

    #[test]
    fn asyncapi_channels_and_bad_definitions() {
        let yaml = "asyncapi: 2.6.0\nchannels:\n  booking.created:\n    subscribe:\n      summary: A booking was made\n";
        let (ops, _) = operations_of("asyncapi", yaml);
        assert_eq!(ops[0].method, "SUBSCRIBE");
        assert_eq!(ops[0].summary.as_deref(), Some("A booking was made"));
        let (ops, err) = operations_of("openapi", "paths: [unclosed");
        assert!(ops.is_empty());
        assert!(err.unwrap().contains("not valid YAML"));
        assert_eq!(
            operations_of("graphql", "type Query { a: Int }"),
            (Vec::new(), None)
        );
    }
}
