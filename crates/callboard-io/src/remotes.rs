//! One registry of Backstage connections per process: every catalog sync,
//! TechDocs page, scaffolder call and `login` check goes through it.
//!
//! - **One runtime.** A current-thread tokio runtime runs on a thread of
//!   its own ("callboard-net"), started on first use. That thread turns the
//!   I/O and timer drivers and runs the connections' background tasks;
//!   callers drive their own futures with [`Remotes::block_on`] (so those
//!   futures need not be `Send`, and parsing and SQLite writes stay on the
//!   caller's thread). Several threads may call it at once (the TUI's sync,
//!   docs and run threads) and share the connection pools. One thread is
//!   plenty for a client that talks to a few backends; a multi-thread
//!   runtime would only add threads that sit idle.
//! - **One client per endpoint.** A [`Connection`] per source name holds
//!   the `reqwest` client (proxies from the environment, the source's
//!   `ca_cert`, the connect timeout), so keep-alive connections and TLS
//!   sessions are reused from one request to the next.
//! - **One token per process.** The token is resolved (keyring, variable or
//!   `token_command`) the first time it is needed and kept; it is resolved
//!   again only after the server refused it (401), so a token renewed with
//!   `callboard login` or a short-lived one from a command is picked up. A
//!   failed resolution is not kept: the next use tries again.
//!
//! Tokens live only in [`Secret`]s here: nothing in this module prints,
//! logs or stores one.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value};

use crate::config::{Endpoint, TokenSource};
use crate::signin::{SignIn, Stores};
use crate::source::auth::{resolve_token, AuthError, Secret};
use crate::source::backstage::{ErrorKind, Remote, RemoteError, RetryPolicy};
use crate::template::remote::{run_remote, RemoteOutcome, Scaffolder, ScaffolderError};
use callboard_core::template::RunEvent;

/// The registry; cheap to clone (clones share everything).
#[derive(Clone, Default)]
pub struct Remotes {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    driver: OnceLock<Driver>,
    connections: Mutex<HashMap<String, Arc<Connection>>>,
    /// Where sign-ins are kept; `None`: from the environment.
    stores: Option<Stores>,
}

/// The runtime's handle, and the sender whose drop ends its thread.
struct Driver {
    handle: tokio::runtime::Handle,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl std::fmt::Debug for Remotes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = lock(&self.inner.connections).keys().cloned().collect();
        f.debug_struct("Remotes")
            .field("started", &self.inner.driver.get().is_some())
            .field("connections", &names)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Remotes {
    /// An empty registry. Nothing starts until a remote is used.
    pub fn new() -> Remotes {
        Remotes::default()
    }

    /// A registry whose connections read and write sign-ins in `stores`
    /// (tests; the default reads the environment, [`Stores::from_env`]).
    pub fn with_stores(stores: Stores) -> Remotes {
        Remotes {
            inner: Arc::new(Inner {
                stores: Some(stores),
                ..Inner::default()
            }),
        }
    }

    fn driver(&self) -> &Driver {
        self.inner.driver.get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime can be built");
            let handle = runtime.handle().clone();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            std::thread::Builder::new()
                .name("callboard-net".into())
                // Ends (and drops the runtime) when the registry is dropped.
                .spawn(move || {
                    let _ = runtime.block_on(stopped);
                })
                .expect("a thread can be started");
            Driver {
                handle,
                _stop: stop,
            }
        })
    }

    /// Run a future to completion on the calling thread, with the shared
    /// runtime's I/O and timers. Blocking: call it from synchronous code
    /// (the command line, the TUI's worker threads), never from inside a
    /// tokio runtime (that panics).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.driver().handle.block_on(future)
    }

    /// The connection of source `name`: made on first use, made again if
    /// the source's endpoint settings changed.
    pub fn connection(&self, name: &str, endpoint: &Endpoint) -> Arc<Connection> {
        let mut connections = lock(&self.inner.connections);
        match connections.get(name) {
            Some(c) if c.endpoint == *endpoint => c.clone(),
            _ => {
                let stores = self.inner.stores.clone().unwrap_or_else(Stores::from_env);
                let c = Arc::new(Connection::new(name, endpoint, stores));
                connections.insert(name.to_string(), c.clone());
                c
            }
        }
    }

    /// A catalog client for one operation (a sync, a docs fetch): the
    /// endpoint's shared client and token, its own retry policy and byte
    /// counts.
    pub fn remote(
        &self,
        name: &str,
        endpoint: &Endpoint,
        retry: RetryPolicy,
    ) -> Result<Remote, RemoteError> {
        let connection = self.connection(name, endpoint);
        let token = self.block_on(connection.token()).map_err(|e| {
            RemoteError::new(
                ErrorKind::Token,
                format!("endpoint '{name}' ({}): {e}", endpoint.url),
            )
        })?;
        Remote::over(connection, token, retry)
    }

    /// GET a path under `<base>/api/techdocs` with quick retries.
    pub fn techdocs(
        &self,
        name: &str,
        endpoint: &Endpoint,
        path: &str,
    ) -> Result<Vec<u8>, RemoteError> {
        let remote = self.remote(name, endpoint, RetryPolicy::quick())?;
        self.block_on(remote.get_techdocs(path))
    }

    /// The backend's search for `term` (catalog and TechDocs documents),
    /// up to `max` hits, quick retries.
    pub fn search(
        &self,
        name: &str,
        endpoint: &Endpoint,
        term: &str,
        max: usize,
    ) -> Result<Vec<callboard_core::search::backend::BackendHit>, RemoteError> {
        let remote = self.remote(name, endpoint, RetryPolicy::quick())?;
        self.block_on(remote.search(term, max))
    }

    /// Check a token the user typed (`callboard login`): how many entities
    /// the endpoint lets it read. The source's own token is left as it is.
    pub fn check_token(
        &self,
        name: &str,
        endpoint: &Endpoint,
        token: Secret,
    ) -> Result<u64, RemoteError> {
        let remote = Remote::over(
            self.connection(name, endpoint),
            Some(token),
            RetryPolicy::quick(),
        )?;
        self.block_on(remote.count())
    }

    /// A scaffolder client over the endpoint's shared client and token.
    pub fn scaffolder(
        &self,
        name: &str,
        endpoint: &Endpoint,
    ) -> Result<Scaffolder, ScaffolderError> {
        let connection = self.connection(name, endpoint);
        let token = self.block_on(connection.token()).map_err(|e| {
            ScaffolderError::new(
                ErrorKind::Token,
                format!("endpoint '{name}' ({}): {e}", endpoint.url),
            )
        })?;
        Scaffolder::over(connection, token)
    }

    /// Create a task and follow it to the end ([`run_remote`]), blocking.
    /// `cancel` cancels the task on the server; the run then ends.
    pub fn run_template(
        &self,
        client: &Scaffolder,
        template_ref: &str,
        values: &Map<String, Value>,
        secrets: &Map<String, Value>,
        emit: &mut (dyn FnMut(RunEvent) + Send),
        cancel: &Cancel,
    ) -> Result<RemoteOutcome, ScaffolderError> {
        self.block_on(run_remote(
            client,
            template_ref,
            values,
            secrets,
            emit,
            cancel.subscribe(),
        ))
    }

    /// Cancel `cancel` on Ctrl-C (SIGINT) until the guard is dropped,
    /// calling `notice` first (the command line says so on stderr). Once
    /// listened for, Ctrl-C no longer ends the process by itself.
    pub fn cancel_on_ctrl_c(
        &self,
        cancel: &Cancel,
        notice: impl FnOnce() + Send + 'static,
    ) -> CtrlCGuard {
        let cancel = cancel.clone();
        let task = self.driver().handle.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                notice();
                cancel.cancel();
            }
        });
        CtrlCGuard(task)
    }
}

/// Stops listening for Ctrl-C when dropped.
pub struct CtrlCGuard(tokio::task::JoinHandle<()>);

impl Drop for CtrlCGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Asks a remote run to stop; clones share it, and compare by identity.
#[derive(Clone)]
pub struct Cancel(Arc<tokio::sync::watch::Sender<bool>>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel(Arc::new(tokio::sync::watch::channel(false).0))
    }

    pub fn cancel(&self) {
        self.0.send_replace(true);
    }

    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// What [`run_remote`] watches.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<bool> {
        self.0.subscribe()
    }
}

impl Default for Cancel {
    fn default() -> Self {
        Cancel::new()
    }
}

impl PartialEq for Cancel {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Cancel {}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cancel({})", self.is_cancelled())
    }
}

/// A token as resolved: a static one (or none), or a user's sign-in
/// (`stale`: the server refused its access token; refresh before use).
#[derive(Clone)]
enum Resolved {
    Static(Option<Secret>),
    SignIn { signin: Box<SignIn>, stale: bool },
}

/// One endpoint as the registry keeps it: its HTTP client and its token,
/// each made once.
pub struct Connection {
    name: String,
    endpoint: Endpoint,
    http: Mutex<Option<reqwest::Client>>,
    /// `Some(_)` once resolved.
    token: Mutex<Option<Resolved>>,
    /// One refresh at a time within the process (the file lock covers
    /// other processes).
    refreshing: tokio::sync::Mutex<()>,
    stores: Stores,
    #[cfg(test)]
    clients_built: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("name", &self.name)
            .field("url", &self.endpoint.url)
            .field("token", &lock(&self.token).as_ref().map(|_| "[resolved]"))
            .finish()
    }
}

impl Connection {
    fn new(name: &str, endpoint: &Endpoint, stores: Stores) -> Connection {
        Connection {
            name: name.to_string(),
            endpoint: endpoint.clone(),
            http: Mutex::new(None),
            token: Mutex::new(None),
            refreshing: tokio::sync::Mutex::new(()),
            stores,
            #[cfg(test)]
            clients_built: Default::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Whether a token may be sent to this endpoint: see
    /// [`token_transport_refusal`]. Every client that sends a token (the
    /// catalog, TechDocs, the scaffolder, `login`'s check) asks here first.
    pub fn check_token_transport(&self) -> Result<(), String> {
        match token_transport_refusal(&self.endpoint) {
            Some(why) => Err(format!(
                "endpoint '{}' ({}): {why}",
                self.name, self.endpoint.url
            )),
            None => Ok(()),
        }
    }

    /// The token, resolved on first use (the lock is held while a token
    /// command runs, so two threads never run it twice). With no token
    /// configured (`--endpoint` without `CALLBOARD_TOKEN`, or no keyring
    /// entry for the source), a stored sign-in for the URL is used, its
    /// access token refreshed when it is about to expire or was refused.
    pub(crate) async fn token(&self) -> Result<Option<Secret>, AuthError> {
        let resolved = {
            let mut slot = lock(&self.token);
            match &*slot {
                Some(r) => r.clone(),
                None => {
                    let r = self.resolve()?;
                    *slot = Some(r.clone());
                    r
                }
            }
        };
        match resolved {
            Resolved::Static(t) => Ok(t),
            Resolved::SignIn { signin, stale } => {
                if !stale && !signin.tokens.expires_soon(crate::signin::now_ms()) {
                    return Ok(Some(signin.tokens.access()));
                }
                self.refresh(&signin, stale).await.map(Some)
            }
        }
    }

    fn resolve(&self) -> Result<Resolved, AuthError> {
        let may_sign_in = matches!(
            &self.endpoint.token,
            TokenSource::Env {
                required: false,
                ..
            } | TokenSource::Keyring { .. }
        );
        let resolved = resolve_token(&self.name, &self.endpoint.token);
        let fallback = matches!(
            &resolved,
            Ok(None) | Err(AuthError::NoKeyringEntry { .. }) | Err(AuthError::NoKeyring { .. })
        );
        if may_sign_in && fallback {
            match crate::signin::find(&self.stores, &self.endpoint.url) {
                Ok(Some(signin)) => {
                    return Ok(Resolved::SignIn {
                        signin: Box::new(signin),
                        stale: false,
                    })
                }
                Ok(None) => {}
                Err(e) => return Err(AuthError::SignIn(e.message)),
            }
        }
        resolved.map(Resolved::Static)
    }

    /// Refresh the sign-in (one thread at a time; a thread that waited
    /// takes what the first one got).
    async fn refresh(&self, seen: &SignIn, force: bool) -> Result<Secret, AuthError> {
        let _one = self.refreshing.lock().await;
        if let Some(Resolved::SignIn { signin, stale }) = &*lock(&self.token) {
            if signin.tokens.access_token != seen.tokens.access_token
                && !stale
                && !signin.tokens.expires_soon(crate::signin::now_ms())
            {
                return Ok(signin.tokens.access());
            }
        }
        self.check_token_transport().map_err(AuthError::SignIn)?;
        let http = self.http().map_err(AuthError::SignIn)?;
        let fresh = crate::signin::refresh(&http, &self.stores, seen, force, crate::signin::now_ms)
            .await
            .map_err(|e| AuthError::SignIn(e.message))?;
        let token = fresh.tokens.access();
        *lock(&self.token) = Some(Resolved::SignIn {
            signin: Box::new(fresh),
            stale: false,
        });
        Ok(token)
    }

    /// Resolve the token again on next use (after `login`/`logout`).
    pub(crate) fn forget_all(&self) {
        *lock(&self.token) = None;
    }

    /// Whether the token is a user's sign-in (a 401 is worth a refresh).
    pub(crate) fn is_sign_in(&self) -> bool {
        matches!(&*lock(&self.token), Some(Resolved::SignIn { .. }))
    }

    /// The sign-in in use, if the token is one (resolved now if need be,
    /// without network).
    pub fn sign_in(&self) -> Option<SignIn> {
        let resolved = lock(&self.token).clone();
        let resolved = match resolved {
            Some(r) => r,
            // A token command is not run just to ask.
            None if matches!(self.endpoint.token, TokenSource::Command(_)) => return None,
            None => {
                let r = self.resolve().ok()?;
                lock(&self.token).get_or_insert(r).clone()
            }
        };
        match resolved {
            Resolved::SignIn { signin, .. } => Some(*signin),
            Resolved::Static(_) => None,
        }
    }

    /// The server refused `refused`: resolve the token again next time
    /// (unless another thread already did); a sign-in is refreshed.
    pub(crate) fn forget_token(&self, refused: &Option<Secret>) {
        let mut slot = lock(&self.token);
        match &mut *slot {
            Some(Resolved::Static(t)) if t == refused => *slot = None,
            Some(Resolved::SignIn { signin, stale })
                if refused.as_ref().map(Secret::expose)
                    == Some(signin.tokens.access_token.as_str()) =>
            {
                *stale = true
            }
            _ => {}
        }
    }

    /// The endpoint's client, built on first use. The error is the reason
    /// in words (an unreadable `ca_cert`, say).
    pub(crate) fn http(&self) -> Result<reqwest::Client, String> {
        let mut slot = lock(&self.http);
        if let Some(client) = &*slot {
            return Ok(client.clone());
        }
        let client = build_client(&self.endpoint)?;
        #[cfg(test)]
        self.clients_built
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        *slot = Some(client.clone());
        Ok(client)
    }
}

/// A client for an endpoint: user agent, connect timeout, the extra CA.
/// No read timeout: a scaffolder event stream may stay quiet for as long
/// as a step takes; catalog requests bound each read themselves. Proxies
/// come from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
/// `NO_PROXY`).
pub(crate) fn build_client(endpoint: &Endpoint) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("callboard/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(endpoint.timeout);
    if let Some(ca) = &endpoint.ca_cert {
        let pem =
            std::fs::read(ca).map_err(|e| format!("cannot read ca_cert {}: {e}", ca.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            format!(
                "ca_cert {} holds no usable PEM certificate: {e}",
                ca.display()
            )
        })?;
        if certs.is_empty() {
            return Err(format!("ca_cert {} holds no PEM certificate", ca.display()));
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| {
        format!(
            "cannot set up the HTTP client: {}",
            crate::source::backstage::error_chain(&e)
        )
    })
}

/// Why a token must not go to `endpoint`, if it must not: plain `http://`
/// to a host other than this machine (anyone on the network path could
/// read the token), unless the source sets `allow_insecure_http: true`.
/// Loopback hosts (`localhost`, 127.0.0.0/8, `::1`) are allowed.
pub fn token_transport_refusal(endpoint: &Endpoint) -> Option<String> {
    let url = reqwest::Url::parse(&endpoint.url).ok()?;
    if url.scheme() != "http" || endpoint.allow_insecure_http {
        return None;
    }
    let host = url.host_str()?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let d = bare.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
    };
    (!loopback).then(|| {
        format!(
            "refusing to send the token over plain HTTP to {}: anyone on the network path could read it; \
             use an https:// URL, or set `allow_insecure_http: true` for this source if the network is trusted",
            url.host_str().unwrap_or_default()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::Cache;
    use crate::config::{Source, SourceKind, TokenSource};
    use crate::test_server::{Answer, Request, TestServer};
    use serde_json::json;
    use std::path::Path;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    /// A backend with a catalog of two entities and a TechDocs site of
    /// two pages, accepting only `Bearer <token>` (the token in `token`,
    /// read on every request).
    fn backend(token: Arc<Mutex<String>>) -> TestServer {
        TestServer::start(move |r: &Request| {
            if r.authorization.as_deref() != Some(&format!("Bearer {}", lock(&token))) {
                return Answer::json(401, json!({"error": {"name": "AuthenticationError"}}));
            }
            let path = r.target.split('?').next().unwrap_or_default();
            match path {
                "/api/catalog/entities/by-query" => Answer::json(
                    200,
                    json!({
                        "items": [
                            {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                             "metadata": {"name": "svc", "namespace": "default", "etag": "1"},
                             "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}},
                            {"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                             "metadata": {"name": "team-a", "namespace": "default", "etag": "2"},
                             "spec": {"type": "team", "children": []}}
                        ],
                        "totalItems": 2,
                        "pageInfo": {}
                    }),
                ),
                "/api/techdocs/metadata/techdocs/default/component/svc" => Answer::json(
                    200,
                    json!({"site_name": "Svc", "files": ["index.html", "guide/index.html"]}),
                ),
                "/api/techdocs/static/docs/default/component/svc/index.html" => {
                    Answer::html("<article><h1>Svc</h1><p>Home.</p></article>")
                }
                "/api/techdocs/static/docs/default/component/svc/guide/index.html" => {
                    Answer::html("<article><h1>Guide</h1><p>Second.</p></article>")
                }
                "/api/scaffolder/v2/tasks/t1" => {
                    Answer::json(200, json!({"id": "t1", "status": "completed"}))
                }
                _ => Answer::json(404, json!({})),
            }
        })
    }

    /// A `token: {command: …}` that appends a line to `runs` each time it
    /// runs and prints the content of `token_file`.
    fn counting_command(dir: &Path) -> TokenSource {
        TokenSource::Command(format!(
            "echo run >> '{}'; cat '{}'",
            dir.join("runs").display(),
            dir.join("token").display()
        ))
    }

    fn runs(dir: &Path) -> usize {
        std::fs::read_to_string(dir.join("runs"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    fn endpoint(server: &TestServer, dir: &Path) -> Endpoint {
        let mut endpoint = Endpoint::from_url(&server.url());
        endpoint.token = counting_command(dir);
        endpoint
    }

    fn triplet() -> [String; 3] {
        ["default".into(), "component".into(), "svc".into()]
    }

    #[test]
    fn a_token_command_runs_once_for_a_sync_and_the_docs_pages() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "tok-123456\n").unwrap();
        let server = backend(Arc::new(Mutex::new("tok-123456".into())));
        let endpoint = endpoint(&server, dir.path());
        let remotes = Remotes::new();
        let cache = Cache::new(dir.path().join("cache"));
        let source = Source {
            name: "prod".into(),
            kind: SourceKind::Remote(endpoint.clone()),
        };
        let report =
            crate::sync::sync_source_in(&remotes, &cache, &source, None, &Default::default())
                .unwrap();
        assert_eq!(report.snapshot.entity_count, 2);
        let docs =
            crate::docs::remote::load_site(&remotes, cache.dir(), "prod", &endpoint, &triplet())
                .unwrap();
        assert_eq!(docs.pages, ["index.html", "guide/index.html"]);
        for page in &docs.pages {
            let page = crate::docs::remote::load_page(
                &remotes,
                cache.dir(),
                "prod",
                &endpoint,
                &triplet(),
                page,
            )
            .unwrap();
            assert!(page.notes.is_empty(), "{:?}", page.notes);
        }
        assert_eq!(runs(dir.path()), 1, "the token command ran once");
        let requests = server.requests();
        assert!(requests.len() >= 4, "{requests:?}");
        assert!(requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer tok-123456")));
    }

    #[test]
    fn one_client_per_endpoint_reused_across_requests() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "tok-123456\n").unwrap();
        let server = backend(Arc::new(Mutex::new("tok-123456".into())));
        let endpoint = endpoint(&server, dir.path());
        let remotes = Remotes::new();
        let first = remotes.connection("prod", &endpoint);
        assert!(Arc::ptr_eq(&first, &remotes.connection("prod", &endpoint)));
        // A moment between requests lets the pool take the connection
        // back (hyper returns it from the connection's own task).
        let pause = || std::thread::sleep(Duration::from_millis(30));
        for _ in 0..3 {
            remotes
                .techdocs(
                    "prod",
                    &endpoint,
                    "/metadata/techdocs/default/component/svc",
                )
                .unwrap();
            pause();
        }
        let count = remotes
            .block_on(
                remotes
                    .remote("prod", &endpoint, RetryPolicy::quick())
                    .unwrap()
                    .count(),
            )
            .unwrap();
        assert_eq!(count, 2);
        pause();
        let scaffolder = remotes.scaffolder("prod", &endpoint).unwrap();
        let task = remotes.block_on(scaffolder.task("t1")).unwrap();
        assert_eq!(task["status"], "completed");
        assert_eq!(first.clients_built.load(Ordering::SeqCst), 1);
        // Its keep-alive connections are reused from request to request.
        assert_eq!(server.requests().len(), 5);
        assert!(server.connections() < 5, "{}", server.connections());
        assert_eq!(runs(dir.path()), 1);
        // Other settings for the same name: a new connection.
        let mut slower = endpoint.clone();
        slower.timeout = Duration::from_secs(99);
        assert!(!Arc::ptr_eq(&first, &remotes.connection("prod", &slower)));
        // A clone is the same registry.
        let clone = remotes.clone();
        assert!(Arc::ptr_eq(
            &clone.connection("prod", &slower),
            &remotes.connection("prod", &slower)
        ));
    }

    #[test]
    fn a_refused_or_missing_token_is_resolved_again_a_good_one_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let accepted = Arc::new(Mutex::new("tok-new-123".to_string()));
        let server = backend(accepted.clone());
        let endpoint = endpoint(&server, dir.path());
        let remotes = Remotes::new();
        let metadata = "/metadata/techdocs/default/component/svc";
        // No token file: the command fails, and is run again next time.
        let e = remotes.techdocs("prod", &endpoint, metadata).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Token, "{e}");
        std::fs::write(dir.path().join("token"), "tok-old-123\n").unwrap();
        let e = remotes.techdocs("prod", &endpoint, metadata).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unauthorized, "{e}");
        assert!(!e.to_string().contains("tok-old"), "{e}");
        assert_eq!(runs(dir.path()), 2);
        std::fs::write(dir.path().join("token"), "tok-new-123\n").unwrap();
        remotes.techdocs("prod", &endpoint, metadata).unwrap();
        remotes.techdocs("prod", &endpoint, metadata).unwrap();
        assert_eq!(runs(dir.path()), 3, "resolved again after the 401 only");
        // `login` checks a typed token without touching the kept one.
        let e = remotes
            .check_token("prod", &endpoint, Secret::new("tok-typed-123"))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unauthorized);
        remotes.techdocs("prod", &endpoint, metadata).unwrap();
        assert_eq!(runs(dir.path()), 3);
        let connection = remotes.connection("prod", &endpoint);
        for shown in [format!("{remotes:?}"), format!("{connection:?}")] {
            assert!(!shown.contains("tok-"), "{shown}");
        }
    }

    #[test]
    fn threads_share_the_runtime_and_resolve_the_token_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "tok-123456\n").unwrap();
        let server = backend(Arc::new(Mutex::new("tok-123456".into())));
        let endpoint = endpoint(&server, dir.path());
        let remotes = Remotes::new();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (remotes, endpoint) = (remotes.clone(), endpoint.clone());
                std::thread::spawn(move || {
                    remotes
                        .techdocs(
                            "prod",
                            &endpoint,
                            "/metadata/techdocs/default/component/svc",
                        )
                        .map(|bytes| bytes.len())
                })
            })
            .collect();
        for t in threads {
            assert!(t.join().unwrap().unwrap() > 0);
        }
        assert_eq!(runs(dir.path()), 1);
    }

    #[test]
    fn cancel_is_shared_by_clones_and_seen_by_subscribers() {
        let cancel = Cancel::new();
        let clone = cancel.clone();
        assert_eq!(cancel, clone);
        assert_ne!(cancel, Cancel::new());
        let mut watching = cancel.subscribe();
        assert!(!clone.is_cancelled());
        clone.cancel();
        assert!(cancel.is_cancelled());
        assert!(watching.has_changed().unwrap() && *watching.borrow_and_update());
        // Cancelled with no one watching yet: a later subscriber sees it.
        let early = Cancel::new();
        early.cancel();
        assert!(*early.subscribe().borrow());
    }

    #[test]
    fn a_token_never_goes_over_plain_http_to_another_host_unless_allowed() {
        let refused = |url: &str, allow: bool| {
            let mut endpoint = Endpoint::from_url(url);
            endpoint.allow_insecure_http = allow;
            token_transport_refusal(&endpoint)
        };
        for ok in [
            "https://backstage.example.com",
            "http://127.0.0.1:7007",
            "http://127.5.0.1",
            "http://localhost:7007",
            "http://[::1]:7007",
        ] {
            assert_eq!(refused(ok, false), None, "{ok}");
        }
        let why = refused("http://backstage.example.com", false).unwrap();
        assert!(why.contains("plain HTTP to backstage.example.com"), "{why}");
        assert!(why.contains("allow_insecure_http: true"), "{why}");
        assert!(refused("http://10.0.0.7:7007", false).is_some());
        assert_eq!(refused("http://backstage.example.com", true), None);

        // Every client that sends a token asks first: the catalog client
        // (sync, docs, `login`'s check) and the scaffolder; nothing is sent.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "tok-123456\n").unwrap();
        let mut endpoint = Endpoint::from_url("http://192.0.2.1:9");
        endpoint.token = counting_command(dir.path());
        let remotes = Remotes::new();
        let e = remotes
            .remote("prod", &endpoint, RetryPolicy::quick())
            .unwrap_err();
        assert!(e.to_string().contains("refusing to send the token"), "{e}");
        let e = remotes
            .check_token("prod", &endpoint, Secret::new("tok-123456"))
            .unwrap_err();
        assert!(e.to_string().contains("refusing to send the token"), "{e}");
        let e = remotes.scaffolder("prod", &endpoint).err().unwrap();
        assert!(e.to_string().contains("refusing to send the token"), "{e}");
    }
}
