//! Background work, so the UI thread never does I/O: threads and routing.
//!
//! Three worker threads each own a [`Store`] (SQLite connections are not
//! shared across threads): the *detail* worker loads the catalog (the
//! search corpus blob only, not the entities) and answers entity lookups
//! and template requests; the *graph* worker computes dependency trees,
//! which can walk thousands of entities, so a big blast radius never holds
//! up the preview; the *docs* worker reads and renders TechDocs pages. A
//! sync runs on a thread of its own. Everything reports back as a
//! [`Msg`] on one channel that the event loop selects on. What a request
//! computes lives in `callboard-io` and `callboard-core` (the entity
//! detail, trees) or in the job modules here ([`catalog`], [`docs`],
//! [`templates`]). A request that panics is answered with the error
//! ([`guard`]) and the worker goes on.

pub mod catalog;
pub mod docs;
pub mod guard;
pub mod search;
pub mod templates;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::messages::templates::{TemplateMsg, TemplateRequest};
use crate::messages::{DepsDetail, DocsReply, DocsRequest, Msg, Request, SyncEvent, UiSender};
use callboard_core::catalog::index::{resolve, Resolved};
use callboard_core::docs::{DocsError, ErrorKind};
use callboard_io::cache::{Cache, Store};
use callboard_io::config::Source;
use callboard_io::remotes::{Cancel, Remotes};

/// The cancel of the sync running now (or of the last one): `s` again or
/// `:sync cancel` cancels it.
pub(crate) type SyncCancel = Arc<Mutex<Cancel>>;

pub use catalog::{failure_in_words, load_corpus_now, CONNECTION_PROBLEM};

/// What the workers need to open (and sync) the sources.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub cache: Cache,
    pub sources: Vec<Source>,
    pub allowed_kinds: Option<Vec<String>>,
    /// The Backstage connections the sync, the docs and the remote runs
    /// share (one client and one token per endpoint).
    pub remotes: Remotes,
}

/// How many workers answer a [`Request::Ping`].
pub const PONGS: usize = 3;

/// The worker threads and the sync thread, seen from the UI.
pub struct Workers {
    detail: Worker,
    graph: Worker,
    /// Docs: reading pages (maybe over the network) and rendering them.
    docs: Worker,
    /// The backends' search: network only, off the other workers' queues.
    search: mpsc::Sender<String>,
    config: WorkerConfig,
    ui: UiSender,
    syncing: Arc<AtomicBool>,
    cancel: SyncCancel,
}

impl Workers {
    pub fn spawn(config: WorkerConfig, ui: UiSender) -> Workers {
        let cancel = SyncCancel::default();
        Workers {
            // The detail worker loads the catalog, syncing never-synced
            // sources first: that sync is cancelled like the others.
            detail: Worker::spawn(
                "callboard-detail",
                config.clone(),
                ui.clone(),
                Some(cancel.clone()),
            ),
            graph: Worker::spawn("callboard-graph", config.clone(), ui.clone(), None),
            docs: Worker::spawn("callboard-docs", config.clone(), ui.clone(), None),
            search: search::spawn(config.clone(), ui.clone()),
            config,
            ui,
            syncing: Arc::new(AtomicBool::new(false)),
            cancel,
        }
    }

    /// Route a request: trees to the graph worker, docs to the docs worker,
    /// the rest to the detail worker; pings to all (each answers).
    pub fn send(&self, request: Request) {
        match request {
            Request::Deps(_) => self.graph.send(request),
            Request::Docs(_) => self.docs.send(request),
            Request::BackendSearch(query) => {
                let _ = self.search.send(query);
            }
            Request::RefreshEntity(key) => self.refresh(key),
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
        self.start_sync_of(None)
    }

    /// Start the background refresh of these (stale remote) sources, as
    /// the commands refresh them on the way: one quick retry, not waiting
    /// for another process's sync. False when a sync is running.
    pub fn start_refresh(&self, names: Vec<String>) -> bool {
        self.start_sync_of(Some(names))
    }

    fn start_sync_of(&self, only: Option<Vec<String>>) -> bool {
        if self.syncing.swap(true, Ordering::SeqCst) {
            return false;
        }
        let config = self.config.clone();
        let ui = self.ui.clone();
        let flag = self.syncing.clone();
        let cancel = fresh_cancel(&self.cancel);
        let spawned = std::thread::Builder::new()
            .name("callboard-sync".into())
            .spawn(move || {
                let run = || match &only {
                    None => catalog::run_sync(&config, &ui, &cancel),
                    Some(names) => catalog::run_refresh(&config, names, &ui, &cancel),
                };
                if let Err(e) = guard::guarded(run) {
                    // The progress stops here: end it, and say why.
                    let _ = ui.send(Msg::Sync(SyncEvent::Finished { failed: 1 }));
                    let _ = ui.send(Msg::Notice {
                        text: e,
                        error: true,
                    });
                }
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

    /// Refresh one entity on its backend (a thread of its own: it waits
    /// for the backend, then syncs the source).
    fn refresh(&self, key: String) {
        let (config, ui) = (self.config.clone(), self.ui.clone());
        let _ = std::thread::Builder::new()
            .name("callboard-refresh".into())
            .spawn(move || {
                let result = guard::guarded(|| catalog::refresh(&config, &key)).unwrap_or_else(Err);
                let _ = ui.send(Msg::Refreshed { key, result });
            });
    }

    /// Cancel the running sync (the background one or the first sync of
    /// the catalog load); its download stops at once and the previous
    /// snapshot stays. Nothing happens when none runs.
    pub fn cancel_sync(&self) {
        if let Ok(cancel) = self.cancel.lock() {
            cancel.cancel();
        }
    }

    pub fn syncing(&self) -> bool {
        self.syncing.load(Ordering::SeqCst)
    }
}

/// A new cancel for a sync about to start, put in `slot` for the UI.
pub(crate) fn fresh_cancel(slot: &SyncCancel) -> Cancel {
    let cancel = Cancel::new();
    if let Ok(mut current) = slot.lock() {
        *current = cancel.clone();
    }
    cancel
}

struct Worker {
    tx: mpsc::Sender<Request>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// `loads`: this worker loads the catalog (and syncs never-synced
    /// sources, cancelled through it).
    fn spawn(name: &str, config: WorkerConfig, ui: UiSender, loads: Option<SyncCancel>) -> Worker {
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || worker_loop(&config, &rx, &ui, loads.as_ref()))
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

/// What one worker thread keeps between requests.
#[derive(Default)]
struct WorkerState {
    store: Option<Store>,
    docs: docs::DocsCache,
}

fn worker_loop(
    config: &WorkerConfig,
    rx: &mpsc::Receiver<Request>,
    ui: &UiSender,
    loads: Option<&SyncCancel>,
) {
    let mut state = WorkerState::default();
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
                request => {
                    let waiter = Waiter::of(&request);
                    let served = guard::guarded(|| serve(&mut state, config, request, ui, loads));
                    if let Err(e) = served {
                        if matches!(waiter, Waiter::Docs(_)) {
                            state.docs = Default::default();
                        }
                        let _ = ui.send(waiter.answer(e));
                    }
                }
            }
            if let Some(store) = &state.store {
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

/// Answer one request.
fn serve(
    state: &mut WorkerState,
    config: &WorkerConfig,
    request: Request,
    ui: &UiSender,
    loads: Option<&SyncCancel>,
) {
    match request {
        // Routed to threads of their own, never to a worker.
        Request::Shutdown | Request::BackendSearch(_) | Request::RefreshEntity(_) => {}
        Request::Load => {
            let (opened, load) = catalog::load_catalog(config, ui, loads);
            state.store = Some(opened);
            let _ = ui.send(Msg::Loaded(Box::new(load)));
        }
        Request::Reopen => {
            state.store = Some(catalog::open_store(config).0);
            state.docs = Default::default();
        }
        Request::Docs(request) => {
            docs::handle(state.store.as_ref(), config, &mut state.docs, request, ui)
        }
        Request::Detail { key, .. } => {
            #[cfg(debug_assertions)]
            test_panic::check(&key);
            let detail = match &state.store {
                Some(store) => callboard_io::detail::entity_detail(
                    store,
                    &config.sources,
                    config.cache.dir(),
                    &key,
                )
                .map(Arc::new),
                None => Err("the catalog is not loaded yet".to_string()),
            };
            let _ = ui.send(Msg::Detail { key, detail });
        }
        Request::Deps(key) => {
            if let Some(store) = &state.store {
                let deps = Ok(Arc::new(DepsDetail::build(store, &key)));
                let _ = ui.send(Msg::Deps { key, deps });
            }
        }
        Request::Resolve(input) => {
            let result = match &state.store {
                Some(store) => resolve(store, &input),
                None => Resolved::NotFound(input.clone()),
            };
            let _ = ui.send(Msg::Resolved { input, result });
        }
        Request::Ping(n) => {
            let _ = ui.send(Msg::Pong(n));
        }
        Request::Template(r) => templates::serve(*r, config, state.store.as_ref(), ui),
    }
}

/// Who waits for the answer to a request, so that a request that panics
/// can be answered with the error where the UI shows it.
enum Waiter {
    Catalog,
    Detail(String),
    Deps(String),
    Docs(DocsRequest),
    TemplateForm(String),
    TemplatePlan(String),
    /// Nobody in particular: the status bar.
    StatusBar,
}

impl Waiter {
    fn of(request: &Request) -> Waiter {
        match request {
            Request::Load => Waiter::Catalog,
            Request::Detail { key, .. } => Waiter::Detail(key.clone()),
            Request::Deps(key) => Waiter::Deps(key.clone()),
            Request::Docs(r) => Waiter::Docs(r.clone()),
            Request::Template(r) => match r.as_ref() {
                TemplateRequest::Open(key) => Waiter::TemplateForm(key.clone()),
                TemplateRequest::Plan(input) => Waiter::TemplatePlan(input.key.clone()),
                _ => Waiter::StatusBar,
            },
            _ => Waiter::StatusBar,
        }
    }

    fn answer(self, error: String) -> Msg {
        match self {
            Waiter::Catalog => Msg::LoadFailed(error),
            Waiter::Detail(key) => Msg::Detail {
                key,
                detail: Err(error),
            },
            Waiter::Deps(key) => Msg::Deps {
                key,
                deps: Err(error),
            },
            Waiter::Docs(r) => Msg::Docs(Box::new(DocsReply {
                key: r.key,
                asked: r.page,
                width: r.width,
                result: Err(DocsError::new(ErrorKind::Io, error)),
            })),
            Waiter::TemplateForm(key) => Msg::Template(Box::new(TemplateMsg::Opened {
                key,
                result: Err(error),
            })),
            Waiter::TemplatePlan(key) => Msg::Template(Box::new(TemplateMsg::Planned {
                key,
                result: Err(error),
            })),
            Waiter::StatusBar => Msg::Notice {
                text: error,
                error: true,
            },
        }
    }
}

/// Debug builds: a detail request for an entity named by
/// `CALLBOARD_TEST_PANIC_ENTITY` (or given to [`panic_on_detail_for_tests`])
/// panics, so tests can check that a worker panic becomes an error on
/// screen and the worker goes on.
#[cfg(debug_assertions)]
mod test_panic {
    use std::sync::{Mutex, OnceLock};

    fn refs() -> &'static Mutex<Vec<String>> {
        static REFS: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
        REFS.get_or_init(|| {
            Mutex::new(
                std::env::var("CALLBOARD_TEST_PANIC_ENTITY")
                    .ok()
                    .into_iter()
                    .collect(),
            )
        })
    }

    pub fn add(key: &str) {
        refs()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(key.to_string());
    }

    pub fn check(key: &str) {
        let hit = refs()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|k| k == key);
        if hit {
            panic!("test panic (CALLBOARD_TEST_PANIC_ENTITY={key})");
        }
    }
}

/// Debug builds: make detail requests for `key` panic (see `test_panic`).
#[cfg(debug_assertions)]
#[doc(hidden)]
pub fn panic_on_detail_for_tests(key: &str) {
    test_panic::add(key);
}
