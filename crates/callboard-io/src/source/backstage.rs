//! A Backstage backend as a catalog source, read through its catalog REST
//! API (`<base>/api/catalog`).
//!
//! - **Full sync**: `GET /entities/by-query` page by page, following
//!   `pageInfo.nextCursor` until it is absent. The cursor carries the filter
//!   but not `fields`, so `fields` is sent again on every page; cursors are
//!   percent-encoded (base64 has `+ / =`). Each page is read once into one
//!   buffer, parsed, and written straight into the new snapshot, so memory is
//!   bounded by a page, not by the catalog.
//! - **Incremental sync**: list only identity and `metadata.etag`, compare
//!   with the previous snapshot, fetch changed and new entities with
//!   `POST /entities/by-refs` in batches (full lower-case refs; `null` for an
//!   entity deleted meanwhile), carry unchanged ones over, drop the rest.
//! - **Faults**: 429 waits for `Retry-After` (bounded), 5xx, timeouts and
//!   broken connections are retried a bounded number of times with jittered
//!   exponential backoff; 401/403/404 and malformed answers fail at once with
//!   a message that names the endpoint and says what to fix.
//!
//! Entities arrive with relations computed by the server; they are stored
//! as they are. The token is only ever put in the `Authorization` header.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cache::{Snapshot, SnapshotWriter};
use crate::clock::Clock;
use crate::config::{Endpoint, TokenSource};
use crate::remotes::Connection;
use crate::source::auth::Secret;
use crate::source::Problem;
use callboard_core::catalog::{CatalogEntity, Entity, Origin};

/// The fields an incremental sync lists: enough to build the ref, plus the
/// etag the server changes whenever the stored entity (relations included)
/// changes. `metadata.uid` is left out: it is not needed for the diff and is
/// about a third of the listing's bytes.
pub const IDENTITY_FIELDS: &str = "kind,metadata.namespace,metadata.name,metadata.etag";

/// `POST /entities/by-refs` batches, as Backstage's own catalog-client
/// splits them: at most 1000 refs and about 90 KiB of body.
const REFS_PER_BATCH: usize = 1000;
const MAX_BATCH_BODY: usize = 90 * 1024;

/// Meta key recording what a snapshot was synced from (URL, filter,
/// rules); an incremental sync needs the previous one to match.
pub const META_QUERY: &str = "remote_query";

/// How often and how long to retry.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff; doubles with every retry, jittered to 50–100 %.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a server asking for more fails.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// For a command refreshing a stale snapshot on the way: one retry,
    /// short waits; the cached snapshot answers if that fails.
    pub fn quick() -> Self {
        RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(2),
        }
    }

    /// Debug builds only: `CALLBOARD_TEST_RETRY_DELAY_MS=N` makes every
    /// backoff N ms, so process tests of the binary need not wait out real
    /// backoffs (library tests pass a manual [`Clock`] instead). Release
    /// builds ignore it.
    fn with_test_delay(self) -> Self {
        #[cfg(debug_assertions)]
        if let Some(ms) = std::env::var("CALLBOARD_TEST_RETRY_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            let delay = Duration::from_millis(ms);
            return RetryPolicy {
                base_delay: delay,
                max_delay: delay,
                ..self
            };
        }
        self
    }

    /// The wait before attempt `attempt + 1` (after `attempt` failures);
    /// `seed` picks the jitter ([`Clock::jitter_seed`]).
    fn backoff(&self, attempt: u32, seed: u64) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay);
        // Full-ish jitter: 50–100 % of the exponential delay.
        let mut x = seed ^ (u64::from(attempt) << 32) ^ 0x9E37_79B9_7F4A_7C15;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let fraction = 0.5 + (x % 1000) as f64 / 2000.0;
        exp.mul_f64(fraction)
    }
}

/// What went wrong, for callers that react differently (offline vs. a bad
/// token). The message is complete and safe to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No token could be had (keyring, env, command).
    Token,
    Unauthorized,
    Forbidden,
    /// 404 on the API: the base URL is not a Backstage backend.
    WrongUrl,
    RateLimited,
    Server,
    Timeout,
    Connect,
    Tls,
    /// A 200 answer that is not the JSON expected.
    BadResponse,
    /// Another 4xx.
    Rejected,
    /// The config (CA file) or the client could not be set up.
    Setup,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct RemoteError {
    pub kind: ErrorKind,
    message: String,
}

impl RemoteError {
    pub(crate) fn new(kind: ErrorKind, message: String) -> RemoteError {
        RemoteError { kind, message }
    }

    /// The same error with a note appended ("…; the snapshot from 3 h ago is kept").
    pub fn with_note(mut self, note: &str) -> RemoteError {
        self.message = format!("{}; {note}", self.message);
        self
    }

    /// The endpoint could not be reached or did not answer properly; the
    /// cached snapshot is the best answer there is.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Connect
                | ErrorKind::Timeout
                | ErrorKind::Server
                | ErrorKind::RateLimited
                | ErrorKind::Tls
        )
    }
}

/// Which part of a sync is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Full sync: reading pages of whole entities.
    Pages,
    /// Incremental sync: listing identities and etags.
    Listing,
    /// Incremental sync: fetching changed entities by ref.
    Fetching,
    /// Writing the snapshot.
    Writing,
}

/// Progress of one source's sync, reported as it goes (a line on stderr
/// for `callboard sync`, the status bar in the TUI).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncProgress {
    pub source: String,
    pub phase: Phase,
    /// Entities received (or listed) so far.
    pub entities: usize,
    /// The server's count, when it gave one.
    pub total: Option<u64>,
    /// Response bytes received so far.
    pub bytes: u64,
}

/// A progress callback; cheap to clone, callable from any thread.
pub type ProgressFn = Arc<dyn Fn(&SyncProgress) + Send + Sync>;

/// How a remote sync went.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RemoteStats {
    /// `full` or `incremental`.
    pub mode: &'static str,
    pub entities: usize,
    /// Entities downloaded whole (every one in a full sync).
    pub fetched: usize,
    /// Entities carried over from the previous snapshot.
    pub unchanged: usize,
    /// Entities of the previous snapshot no longer on the server.
    pub removed: usize,
    /// Entities left out by `rules.allow`.
    pub skipped: usize,
    pub requests: u64,
    /// Response body bytes received (retries included).
    pub bytes_received: u64,
    /// Request body bytes sent.
    pub bytes_sent: u64,
}

#[derive(Deserialize)]
struct QueryPage {
    #[serde(default)]
    items: Vec<Value>,
    #[serde(rename = "totalItems", default)]
    total_items: Option<u64>,
    #[serde(rename = "pageInfo", default)]
    page_info: PageInfo,
}

#[derive(Deserialize, Default)]
struct PageInfo {
    #[serde(rename = "nextCursor", default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct RefsAnswer {
    items: Vec<Value>,
}

/// One failed attempt: retry (after `wait`, or the backoff) or give up.
enum Attempt {
    Retry {
        error: RemoteError,
        wait: Option<Duration>,
    },
    Fatal(RemoteError),
}

/// A catalog client for one operation (a sync, a docs fetch, a token
/// check) over an endpoint's shared [`Connection`]: its own retry policy
/// and byte counts. Made by [`crate::remotes::Remotes::remote`].
pub struct Remote {
    name: String,
    endpoint: Endpoint,
    connection: Arc<Connection>,
    http: reqwest::Client,
    token: Option<Secret>,
    retry: RetryPolicy,
    /// Retry waits and `Retry-After` dates.
    clock: Clock,
    requests: AtomicU64,
    received: AtomicU64,
    sent: AtomicU64,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("name", &self.name)
            .field("url", &self.endpoint.url)
            .field("token", &self.token)
            .finish()
    }
}

impl Remote {
    /// A client over `connection` sending `token`: the shared HTTP client
    /// (built now if it is the first use), the URL checked.
    pub(crate) fn over(
        connection: Arc<Connection>,
        token: Option<Secret>,
        retry: RetryPolicy,
    ) -> Result<Remote, RemoteError> {
        let (name, endpoint) = (connection.name(), connection.endpoint());
        let at = format!("endpoint '{name}' ({})", endpoint.url);
        let setup = |what: String| RemoteError::new(ErrorKind::Setup, format!("{at}: {what}"));
        Url::parse(&endpoint.url)
            .map_err(|e| setup(format!("'{}' is not a URL: {e}", endpoint.url)))?;
        let http = connection.http().map_err(setup)?;
        Ok(Remote {
            name: name.to_string(),
            endpoint: endpoint.clone(),
            http,
            token,
            retry: retry.with_test_delay(),
            clock: Clock::System,
            requests: AtomicU64::new(0),
            received: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            connection,
        })
    }

    /// The same client waiting on (and reading the time from) `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Remote {
        self.clock = clock;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn at(&self) -> String {
        format!("endpoint '{}' ({})", self.name, self.endpoint.url)
    }

    fn api(&self, path: &str) -> Url {
        // Checked in `with_token`.
        Url::parse(&format!("{}/api/catalog{path}", self.endpoint.url))
            .expect("endpoint URL was checked")
    }

    /// GET a path under `<base>/api/techdocs` (TechDocs metadata and built
    /// sites) with the catalog's auth, retries and error messages.
    pub async fn get_techdocs(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
        let url =
            Url::parse(&format!("{}/api/techdocs{path}", self.endpoint.url)).map_err(|e| {
                RemoteError::new(
                    ErrorKind::Setup,
                    format!("{}: bad TechDocs path {path}: {e}", self.at()),
                )
            })?;
        self.fetch(Method::GET, url, None, &mut |_| {}).await
    }

    /// Error texts built from server answers pass through here.
    fn safe(&self, text: &str) -> String {
        match &self.token {
            Some(t) => t.redact(text),
            None => text.to_string(),
        }
    }

    /// The `filter` parameter for the configured kinds and namespaces:
    /// one filter set, repeated keys meaning "any of".
    pub fn filter_param(&self) -> Option<String> {
        let conditions: Vec<String> = self
            .endpoint
            .kinds
            .iter()
            .map(|k| format!("kind={}", k.to_lowercase()))
            .chain(
                self.endpoint
                    .namespaces
                    .iter()
                    .map(|n| format!("metadata.namespace={}", n.to_lowercase())),
            )
            .collect();
        (!conditions.is_empty()).then(|| conditions.join(","))
    }

    /// How many entities the server has (under the filter): `limit=0`.
    pub async fn count(&self) -> Result<u64, RemoteError> {
        let mut url = self.api("/entities/by-query");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", "0");
            if let Some(f) = self.filter_param() {
                q.append_pair("filter", &f);
            }
        }
        let body = self
            .fetch(Method::GET, url.clone(), None, &mut |_: u64| {})
            .await?;
        let page: QueryPage = self.parse(&url, &body)?;
        Ok(page.total_items.unwrap_or(0))
    }

    /// `POST /entities/by-refs` for `refs` (full, lower-case): the entities
    /// in order, `None` where the server has none.
    async fn by_refs(
        &self,
        refs: &[String],
        on_bytes: &mut dyn FnMut(u64),
    ) -> Result<Vec<Option<Value>>, RemoteError> {
        let url = self.api("/entities/by-refs");
        let body =
            serde_json::to_vec(&serde_json::json!({ "entityRefs": refs })).expect("refs serialise");
        let answer = self
            .fetch(Method::POST, url.clone(), Some(body), on_bytes)
            .await?;
        let parsed: RefsAnswer = self.parse(&url, &answer)?;
        if parsed.items.len() != refs.len() {
            return Err(RemoteError::new(
                ErrorKind::BadResponse,
                format!(
                    "{}: by-refs answered {} items for {} refs",
                    self.at(),
                    parsed.items.len(),
                    refs.len()
                ),
            ));
        }
        Ok(parsed
            .items
            .into_iter()
            .map(|v| if v.is_null() { None } else { Some(v) })
            .collect())
    }

    fn parse<T: serde::de::DeserializeOwned>(
        &self,
        url: &Url,
        body: &[u8],
    ) -> Result<T, RemoteError> {
        serde_json::from_slice(body).map_err(|e| {
            let what = if e.is_eof() {
                "is cut short (truncated JSON)"
            } else {
                "is not the JSON expected"
            };
            RemoteError::new(
                ErrorKind::BadResponse,
                self.safe(&format!(
                    "{}: the answer to {} {what}: {e} ({} bytes); if this keeps happening, check proxies between callboard and Backstage",
                    self.at(),
                    url.path(),
                    body.len()
                )),
            )
        })
    }

    /// One request with bounded retries; the whole body on success.
    async fn fetch(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        on_bytes: &mut dyn FnMut(u64),
    ) -> Result<Vec<u8>, RemoteError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .attempt(method.clone(), url.clone(), body.clone(), on_bytes)
                .await
            {
                Ok(bytes) => return Ok(bytes),
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Retry { error, wait }) => {
                    if attempt >= self.retry.max_attempts {
                        return Err(RemoteError::new(
                            error.kind,
                            format!("{} (gave up after {attempt} attempts)", error.message),
                        ));
                    }
                    let wait = wait
                        .unwrap_or_else(|| self.retry.backoff(attempt, self.clock.jitter_seed()));
                    self.clock.sleep(wait).await;
                }
            }
        }
    }

    async fn attempt(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        on_bytes: &mut dyn FnMut(u64),
    ) -> Result<Vec<u8>, Attempt> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header(header::ACCEPT, "application/json");
        if let Some(token) = &self.token {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                Attempt::Fatal(RemoteError::new(
                    ErrorKind::Token,
                    format!(
                        "{}: the token from {} has characters a header cannot carry (a line break?)",
                        self.at(),
                        self.endpoint.token.describe()
                    ),
                ))
            })?;
            value.set_sensitive(true);
            request = request.header(header::AUTHORIZATION, value);
        }
        if let Some(body) = body {
            self.sent.fetch_add(body.len() as u64, Ordering::Relaxed);
            request = request
                .header(header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let what = format!("{method} {}", url.path());
        // The client has no read timeout (the scaffolder's event streams
        // share it): the wait for the answer and each read are bounded
        // here, as a client read timeout would.
        let timeout = self.endpoint.timeout;
        let mut response = match tokio::time::timeout(timeout, request.send()).await {
            Ok(sent) => sent.map_err(|e| self.send_error(&e))?,
            Err(_) => {
                return Err(Attempt::Retry {
                    error: RemoteError::new(
                        ErrorKind::Timeout,
                        format!(
                            "{}: no answer within {} s (timeout_secs), connecting or waiting for the server: {what} timed out",
                            self.at(),
                            timeout.as_secs()
                        ),
                    ),
                    wait: None,
                })
            }
        };
        let status = response.status();
        if !status.is_success() {
            return Err(self.status_error(status, response, &what).await);
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        // A built TechDocs page is HTML by nature; anywhere else HTML means
        // the frontend or a login page answered.
        if content_type.starts_with("text/html") && !url.path().contains("/api/techdocs/static/") {
            return Err(Attempt::Fatal(RemoteError::new(
                ErrorKind::WrongUrl,
                format!(
                    "{}: {what} answered with an HTML page, not JSON: the URL looks like the Backstage frontend or a login page; \
                     use the backend's base URL (the one that serves /api/catalog)",
                    self.at()
                ),
            )));
        }
        let expected = response.content_length().unwrap_or(0).min(64 << 20) as usize;
        let mut buf = Vec::with_capacity(expected);
        loop {
            // `None`: no data within the timeout.
            let broken = match tokio::time::timeout(timeout, response.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    self.received
                        .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    on_bytes(chunk.len() as u64);
                    buf.extend_from_slice(&chunk);
                    continue;
                }
                Ok(Ok(None)) => return Ok(buf),
                Ok(Err(e)) => Some(e),
                Err(_) => None,
            };
            let how = match broken {
                Some(e) if !(e.is_timeout() || error_chain(&e).contains("timed out")) => format!(
                    "the connection broke after {} bytes: {}",
                    buf.len(),
                    error_chain(&e)
                ),
                _ => format!(
                    "the answer stalled: no data for {} s after {} bytes (timeout_secs)",
                    timeout.as_secs(),
                    buf.len()
                ),
            };
            return Err(Attempt::Retry {
                error: RemoteError::new(
                    ErrorKind::Timeout,
                    self.safe(&format!("{}: {what}: {how}", self.at())),
                ),
                wait: None,
            });
        }
    }

    fn send_error(&self, e: &reqwest::Error) -> Attempt {
        let chain = self.safe(&error_chain(e));
        let lower = chain.to_ascii_lowercase();
        let tls = ["certificate", "tls", "handshake", "ssl"]
            .iter()
            .any(|w| lower.contains(w));
        if tls {
            let fix = if self.endpoint.ca_cert.is_some() {
                "check that ca_cert is the CA that signed the server's certificate, and that the URL's host is in it"
            } else {
                "if the server uses a private CA, set `ca_cert: /path/to/ca.pem` for the source"
            };
            return Attempt::Fatal(RemoteError::new(
                ErrorKind::Tls,
                format!("{}: TLS handshake failed: {chain}; {fix}", self.at()),
            ));
        }
        if e.is_connect() && e.is_timeout() {
            return Attempt::Retry {
                error: RemoteError::new(
                    ErrorKind::Timeout,
                    format!(
                        "{}: cannot connect within {} s (timeout_secs): {chain}",
                        self.at(),
                        self.endpoint.timeout.as_secs()
                    ),
                ),
                wait: None,
            };
        }
        if e.is_timeout() {
            return Attempt::Retry {
                error: RemoteError::new(
                    ErrorKind::Timeout,
                    format!(
                        "{}: no answer within {} s (timeout_secs), connecting or waiting for the server: {chain}",
                        self.at(),
                        self.endpoint.timeout.as_secs()
                    ),
                ),
                wait: None,
            };
        }
        if e.is_connect() {
            return Attempt::Retry {
                error: RemoteError::new(
                    ErrorKind::Connect,
                    format!("{}: cannot connect: {chain}", self.at()),
                ),
                wait: None,
            };
        }
        Attempt::Retry {
            error: RemoteError::new(
                ErrorKind::Connect,
                format!("{}: request failed: {chain}", self.at()),
            ),
            wait: None,
        }
    }

    async fn status_error(
        &self,
        status: StatusCode,
        response: reqwest::Response,
        what: &str,
    ) -> Attempt {
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, self.clock.now_ms()));
        let detail = self.safe(&error_detail(response).await);
        let detail_sep = if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        };
        let at = self.at();
        let code = status.as_u16();
        let reason = status.canonical_reason().unwrap_or("");
        match code {
            401 => {
                // A renewed token (`callboard login`, a command's
                // short-lived one) is fetched on the next attempt.
                self.connection.forget_token(&self.token);
                let (what_sent, fix) = match (&self.token, &self.endpoint.token) {
                    (None, TokenSource::Env { var, .. }) => (
                        format!("no token was sent ({var} is not set)"),
                        format!("set {var} to a Backstage token"),
                    ),
                    (None, source) => ("no token was sent".to_string(), source.how_to_fix(&self.name)),
                    (Some(_), source) => (
                        format!("the token from {} was refused", source.describe()),
                        source.how_to_fix(&self.name),
                    ),
                };
                Attempt::Fatal(RemoteError::new(
                    ErrorKind::Unauthorized,
                    format!("{at}: 401 Unauthorized{detail_sep}: {what_sent}; {fix}"),
                ))
            }
            403 => Attempt::Fatal(RemoteError::new(
                ErrorKind::Forbidden,
                format!(
                    "{at}: 403 Forbidden{detail_sep}: the token from {} is valid but may not read the catalog; \
                     ask the Backstage admins for a token with catalog read access (see the token's accessRestrictions)",
                    self.endpoint.token.describe()
                ),
            )),
            404 => Attempt::Fatal(RemoteError::new(
                ErrorKind::WrongUrl,
                format!(
                    "{at}: {what} answered 404 Not Found{detail_sep}: is {} the Backstage backend's base URL? \
                     callboard adds /api/catalog itself; check the source's `url`",
                    self.endpoint.url
                ),
            )),
            429 => {
                let error = |wait: String| {
                    RemoteError::new(
                        ErrorKind::RateLimited,
                        format!("{at}: 429 Too Many Requests{detail_sep}{wait}"),
                    )
                };
                match retry_after {
                    Some(wait) if wait > self.retry.max_retry_after => Attempt::Fatal(error(format!(
                        "; the server asks to wait {} s, more than callboard waits ({} s); try again later",
                        wait.as_secs(),
                        self.retry.max_retry_after.as_secs()
                    ))),
                    Some(wait) => Attempt::Retry {
                        error: error(String::new()),
                        wait: Some(wait),
                    },
                    None => Attempt::Retry {
                        error: error(String::new()),
                        wait: None,
                    },
                }
            }
            408 | 500 | 502 | 503 | 504 => Attempt::Retry {
                error: RemoteError::new(ErrorKind::Server, format!("{at}: {what} answered {code} {reason}{detail_sep}")),
                wait: retry_after.map(|w| w.min(self.retry.max_retry_after)),
            },
            _ if status.is_server_error() => Attempt::Fatal(RemoteError::new(
                ErrorKind::Server,
                format!("{at}: {what} answered {code} {reason}{detail_sep}"),
            )),
            _ => Attempt::Fatal(RemoteError::new(
                ErrorKind::Rejected,
                format!("{at}: {what} answered {code} {reason}{detail_sep}"),
            )),
        }
    }

    /// Bytes and requests so far.
    fn stats(&self) -> (u64, u64, u64) {
        (
            self.requests.load(Ordering::Relaxed),
            self.received.load(Ordering::Relaxed),
            self.sent.load(Ordering::Relaxed),
        )
    }

    /// A snapshot's `remote_query` meta: what it was synced from.
    pub fn query_signature(&self, allowed_kinds: Option<&[String]>) -> String {
        format!(
            "{}|{}|{}",
            self.endpoint.url,
            self.filter_param().unwrap_or_default(),
            allowed_kinds
                .map(|k| k.join(",").to_lowercase())
                .unwrap_or_default()
        )
    }

    /// Sync into `writer`: incrementally against `previous` when it was
    /// synced from the same query, otherwise in full.
    pub async fn sync(
        &self,
        writer: &mut SnapshotWriter,
        previous: Option<&Snapshot>,
        allowed_kinds: Option<&[String]>,
        force_full: bool,
        progress: &dyn Fn(&SyncProgress),
    ) -> Result<(RemoteStats, Vec<Problem>), RemoteError> {
        let signature = self.query_signature(allowed_kinds);
        writer.set_meta(META_QUERY, &signature);
        let usable = previous
            .filter(|p| !force_full && matches!(p.meta(META_QUERY), Ok(Some(s)) if s == signature));
        let mut run = SyncRun {
            remote: self,
            allowed: allowed_kinds,
            problems: Vec::new(),
            stats: RemoteStats::default(),
            progress,
            bytes: 0,
            last_report: None,
        };
        match usable {
            Some(previous) => run.incremental(writer, previous).await?,
            None => run.full(writer).await?,
        }
        let (requests, received, sent) = self.stats();
        run.stats.requests = requests;
        run.stats.bytes_received = received;
        run.stats.bytes_sent = sent;
        run.stats.entities = writer.len();
        Ok((run.stats, run.problems))
    }
}

/// The state of one sync.
struct SyncRun<'a> {
    remote: &'a Remote,
    allowed: Option<&'a [String]>,
    problems: Vec<Problem>,
    stats: RemoteStats,
    progress: &'a dyn Fn(&SyncProgress),
    bytes: u64,
    last_report: Option<Instant>,
}

impl SyncRun<'_> {
    fn report(&mut self, phase: Phase, entities: usize, total: Option<u64>, force: bool) {
        let now = Instant::now();
        if !force
            && self
                .last_report
                .is_some_and(|t| now.duration_since(t) < Duration::from_millis(100))
        {
            return;
        }
        self.last_report = Some(now);
        (self.progress)(&SyncProgress {
            source: self.remote.name.clone(),
            phase,
            entities,
            total,
            bytes: self.bytes,
        });
    }

    fn allowed(&self, kind: &str) -> bool {
        self.allowed
            .is_none_or(|kinds| kinds.iter().any(|k| k.eq_ignore_ascii_case(kind)))
    }

    fn origin(&self) -> Origin {
        Origin {
            source: self.remote.name.clone(),
            location: self.remote.endpoint.url.clone(),
            line: None,
        }
    }

    /// Parse one entity from the server; a bad one becomes a problem.
    fn entity(&mut self, value: Value, at: &str) -> Option<Entity> {
        let name = value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        match Entity::from_value(value) {
            Ok(e) if !self.allowed(&e.kind) => {
                self.stats.skipped += 1;
                None
            }
            Ok(e) => Some(e),
            Err(err) => {
                self.problems.push(Problem::error(
                    self.remote.endpoint.url.clone(),
                    format!("{at}: entity '{name}' is not a valid entity: {err}"),
                ));
                None
            }
        }
    }

    fn add(&mut self, writer: &mut SnapshotWriter, entity: Entity) -> Result<(), RemoteError> {
        let e = CatalogEntity {
            entity,
            origin: self.origin(),
        };
        writer.add(&e).map_err(|err| self.cache_error(err))?;
        Ok(())
    }

    fn cache_error(&self, err: anyhow::Error) -> RemoteError {
        RemoteError::new(
            ErrorKind::Setup,
            format!("{}: cannot write the snapshot: {err:#}", self.remote.at()),
        )
    }

    async fn full(&mut self, writer: &mut SnapshotWriter) -> Result<(), RemoteError> {
        self.stats.mode = "full";
        let remote = self.remote;
        let bytes = std::cell::Cell::new(0u64);
        let mut on_bytes = |n: u64| bytes.set(bytes.get() + n);
        let mut pages = remote.pages(None, remote.endpoint.page_size);
        let mut total = None;
        let mut page_no = 0usize;
        let mut current = pages.next_page(&mut on_bytes).await?;
        // While one page is written into the snapshot, the next is already
        // asked for: the server works on it meanwhile. At most two pages are
        // in memory.
        while let Some((items, t)) = current.take() {
            page_no += 1;
            total = t.or(total);
            let (next, written) = tokio::join!(
                pages.next_page(&mut on_bytes),
                self.write_page(writer, items, page_no, total, &bytes),
            );
            written?;
            current = next?;
        }
        self.report(Phase::Pages, self.stats.fetched, total, true);
        Ok(())
    }

    /// Write one page's entities, yielding now and then so the request for
    /// the next page makes progress on this single-threaded runtime.
    async fn write_page(
        &mut self,
        writer: &mut SnapshotWriter,
        items: Vec<Value>,
        page_no: usize,
        total: Option<u64>,
        bytes: &std::cell::Cell<u64>,
    ) -> Result<(), RemoteError> {
        tokio::task::yield_now().await;
        for (i, value) in items.into_iter().enumerate() {
            if i % 64 == 63 {
                tokio::task::yield_now().await;
            }
            self.stats.fetched += 1;
            if let Some(entity) = self.entity(value, &format!("page {page_no}")) {
                self.add(writer, entity)?;
            }
        }
        self.bytes = bytes.get();
        self.report(Phase::Pages, self.stats.fetched, total, false);
        Ok(())
    }

    async fn incremental(
        &mut self,
        writer: &mut SnapshotWriter,
        previous: &Snapshot,
    ) -> Result<(), RemoteError> {
        self.stats.mode = "incremental";
        let remote = self.remote;
        let old = previous.etags().map_err(|e| self.cache_error(e))?;
        // 1. List identities and etags.
        let mut listed: Vec<(String, Option<String>)> = Vec::new();
        let mut total = None;
        let limit = remote
            .endpoint
            .page_size
            .saturating_mul(10)
            .clamp(1, 10_000);
        let bytes = std::cell::Cell::new(0u64);
        {
            let mut on_bytes = |n: u64| bytes.set(bytes.get() + n);
            let mut pages = remote.pages(Some(IDENTITY_FIELDS), limit);
            while let Some((items, t)) = pages.next_page(&mut on_bytes).await? {
                total = t.or(total);
                for item in items {
                    let kind = item.get("kind").and_then(Value::as_str).unwrap_or_default();
                    let meta = item.get("metadata");
                    let name = meta
                        .and_then(|m| m.get("name"))
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    if kind.is_empty() || name.is_empty() || !self.allowed(kind) {
                        if !kind.is_empty() && !self.allowed(kind) {
                            self.stats.skipped += 1;
                        }
                        continue;
                    }
                    let namespace = meta
                        .and_then(|m| m.get("namespace"))
                        .and_then(Value::as_str)
                        .filter(|n| !n.is_empty())
                        .unwrap_or("default");
                    let etag = meta
                        .and_then(|m| m.get("etag"))
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    listed.push((format!("{kind}:{namespace}/{name}").to_lowercase(), etag));
                }
                self.bytes = bytes.get();
                self.report(Phase::Listing, listed.len(), total, false);
            }
        }
        // 2. Diff.
        let mut unchanged = std::collections::HashSet::new();
        let mut wanted = Vec::new();
        for (key, etag) in &listed {
            match (etag, old.get(key)) {
                (Some(new), Some(old)) if new == old => {
                    unchanged.insert(key.clone());
                }
                _ => wanted.push(key.clone()),
            }
        }
        let listed_keys: std::collections::HashSet<&String> =
            listed.iter().map(|(k, _)| k).collect();
        self.stats.removed = old.keys().filter(|k| !listed_keys.contains(k)).count();
        drop(listed_keys);
        drop(listed);
        // 3. Carry unchanged entities over, without re-serialising them.
        let origin = self.origin();
        let mut carried = 0usize;
        previous
            .for_each_json(|key, json| {
                if !unchanged.contains(key) {
                    return Ok(());
                }
                match serde_json::from_slice::<Entity>(json) {
                    Ok(entity) => {
                        let e = CatalogEntity {
                            entity,
                            origin: origin.clone(),
                        };
                        writer.add_json(&e, json)?;
                        carried += 1;
                    }
                    // Fetch it again rather than trust a bad row.
                    Err(_) => wanted.push(key.to_string()),
                }
                Ok(())
            })
            .map_err(|e| self.cache_error(e))?;
        self.stats.unchanged = carried;
        // 4. Fetch the changed and new ones in batches.
        let mut fetched = 0usize;
        let wanted_total = wanted.len();
        for batch in ref_batches(&wanted) {
            let mut on_bytes = |n: u64| bytes.set(bytes.get() + n);
            let items = remote.by_refs(batch, &mut on_bytes).await?;
            for (key, item) in batch.iter().zip(items) {
                match item {
                    Some(value) => {
                        if let Some(entity) = self.entity(value, "by-refs") {
                            self.add(writer, entity)?;
                            fetched += 1;
                        }
                    }
                    // Deleted between the listing and now.
                    None => self.stats.removed += usize::from(old.contains_key(key)),
                }
            }
            self.bytes = bytes.get();
            self.stats.fetched = fetched;
            self.report(Phase::Fetching, fetched, Some(wanted_total as u64), false);
        }
        self.stats.fetched = fetched;
        self.report(Phase::Fetching, carried + fetched, total, true);
        Ok(())
    }
}

/// Split refs into by-refs batches (count and body size bounded).
fn ref_batches(refs: &[String]) -> Vec<&[String]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, r) in refs.iter().enumerate() {
        let len = r.len() + 3;
        if i > start && (i - start >= REFS_PER_BATCH || size + len > MAX_BATCH_BODY) {
            out.push(&refs[start..i]);
            start = i;
            size = 0;
        }
        size += len;
    }
    if start < refs.len() {
        out.push(&refs[start..]);
    }
    out
}

/// Pages of `by-query`, fetched one per `next_page` call.
struct PageStream<'a> {
    remote: &'a Remote,
    fields: Option<&'a str>,
    limit: u32,
    cursor: Option<String>,
    started: bool,
    done: bool,
    seen: std::collections::HashSet<String>,
}

impl Remote {
    fn pages<'a>(&'a self, fields: Option<&'a str>, limit: u32) -> PageStream<'a> {
        PageStream {
            remote: self,
            fields,
            limit,
            cursor: None,
            started: false,
            done: false,
            seen: Default::default(),
        }
    }
}

impl PageStream<'_> {
    /// The next page's items and the server's total, `None` after the last.
    async fn next_page(
        &mut self,
        on_bytes: &mut dyn FnMut(u64),
    ) -> Result<Option<(Vec<Value>, Option<u64>)>, RemoteError> {
        let this = self;
        if this.done || (this.started && this.cursor.is_none()) {
            return Ok(None);
        }
        this.started = true;
        let remote = this.remote;
        let mut url = remote.api("/entities/by-query");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", &this.limit.to_string());
            if let Some(fields) = this.fields {
                // The cursor does not carry `fields`: send it every time.
                q.append_pair("fields", fields);
            }
            match &this.cursor {
                // `append_pair` percent-encodes the cursor's `+ / =`.
                Some(c) => {
                    q.append_pair("cursor", c);
                }
                None => {
                    if let Some(f) = remote.filter_param() {
                        q.append_pair("filter", &f);
                    }
                }
            }
        }
        let body = remote
            .fetch(Method::GET, url.clone(), None, on_bytes)
            .await?;
        let page: QueryPage = remote.parse(&url, &body)?;
        drop(body);
        this.cursor = match page.page_info.next_cursor {
            Some(next) if !next.is_empty() => {
                if !this.seen.insert(next.clone()) {
                    return Err(RemoteError::new(
                        ErrorKind::BadResponse,
                        format!(
                            "{}: the server sent the same page cursor twice; stopping",
                            remote.at()
                        ),
                    ));
                }
                Some(next)
            }
            _ => {
                this.done = true;
                None
            }
        };
        Ok(Some((page.items, page.total_items)))
    }
}

/// Every message in an error's source chain, joined, without repeats.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    parts.join(": ")
}

/// `Retry-After`: seconds, or an HTTP date (compared with `now_ms`).
fn parse_retry_after(value: &str, now_ms: u64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, &format)
        .ok()?
        .assume_utc();
    let now =
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms) * 1_000_000).ok()?;
    Some(if at > now {
        Duration::from_secs((at - now).whole_seconds().max(0) as u64)
    } else {
        Duration::ZERO
    })
}

/// The message of an error answer: Backstage's `{error: {name, message}}`,
/// or the start of a text body, sanitized and shortened. Reads at most
/// 64 KiB.
async fn error_detail(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    let read = async {
        while let Ok(Some(chunk)) = response.chunk().await {
            body.extend_from_slice(&chunk);
            if body.len() > 64 * 1024 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), read).await;
    let text = match serde_json::from_slice::<Value>(&body) {
        Ok(v) => {
            let name = v.pointer("/error/name").and_then(Value::as_str);
            let message = v.pointer("/error/message").and_then(Value::as_str);
            match (name, message) {
                (Some(n), Some(m)) => format!("{n}: {m}"),
                (None, Some(m)) => m.to_string(),
                _ => String::new(),
            }
        }
        Err(_) => String::from_utf8_lossy(&body).trim().to_string(),
    };
    let clean = callboard_core::text::sanitize::sanitize(&text).replace(['\n', '\r'], " ");
    let mut out: String = clean.chars().take(300).collect();
    if clean.chars().count() > 300 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_count_and_size() {
        let refs: Vec<String> = (0..2500)
            .map(|i| format!("component:default/e{i}"))
            .collect();
        let batches = ref_batches(&refs);
        assert_eq!(batches.iter().map(|b| b.len()).sum::<usize>(), 2500);
        assert!(batches.iter().all(|b| b.len() <= REFS_PER_BATCH));
        let long: Vec<String> = (0..500)
            .map(|i| format!("component:default/{i}-{}", "x".repeat(500)))
            .collect();
        for b in ref_batches(&long) {
            assert!(b.iter().map(|r| r.len() + 3).sum::<usize>() <= MAX_BATCH_BODY);
        }
        assert!(ref_batches(&[]).is_empty());
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        // Wed, 21 Oct 2015 07:28:00 GMT
        let then_ms = 1_445_412_480_000;
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(
            parse_retry_after("7", then_ms),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after(date, then_ms - 90_000),
            Some(Duration::from_secs(90))
        );
        assert_eq!(parse_retry_after(date, then_ms), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(date, then_ms + 1), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", then_ms), None);
    }

    #[test]
    fn backoff_grows_is_jittered_and_capped() {
        let p = RetryPolicy::default();
        let mut seen = std::collections::HashSet::new();
        for seed in 0..20 {
            for attempt in 1..10 {
                let d = p.backoff(attempt, seed);
                let exp = p
                    .base_delay
                    .saturating_mul(1 << (attempt - 1))
                    .min(p.max_delay);
                assert!(d >= exp / 2 && d <= exp, "{attempt}: {d:?}");
                assert_eq!(d, p.backoff(attempt, seed), "the seed decides");
                seen.insert(d);
            }
        }
        assert!(seen.len() > 20, "jittered: {seen:?}");
    }
}
