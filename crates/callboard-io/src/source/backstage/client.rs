//! The catalog client: requests with retries, byte counts, errors that
//! name the endpoint.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use callboard_core::text::counted;
use reqwest::header::{self, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde_json::Value;

use super::error::{error_detail, Attempt};
use super::retry::parse_retry_after;
use super::sync::SyncRun;
use super::*;
use crate::cache::{Snapshot, SnapshotWriter};
use crate::clock::Clock;
use crate::config::{Endpoint, TokenSource};
use crate::remotes::Connection;
use crate::source::auth::Secret;
use crate::source::Problem;

/// A catalog client for one operation (a sync, a docs fetch, a token
/// check) over an endpoint's shared [`Connection`]: its own retry policy
/// and byte counts. Made by [`crate::remotes::Remotes::remote`].
pub struct Remote {
    pub(super) name: String,
    pub(super) endpoint: Endpoint,
    pub(super) connection: Arc<Connection>,
    pub(super) http: reqwest::Client,
    /// Replaced when a refused sign-in is refreshed.
    pub(super) token: std::sync::Mutex<Option<Secret>>,
    pub(super) retry: RetryPolicy,
    /// Retry waits and `Retry-After` dates.
    pub(super) clock: Clock,
    pub(super) requests: AtomicU64,
    pub(super) received: AtomicU64,
    pub(super) sent: AtomicU64,
    /// Until the server has answered once: the most the first request may
    /// take with its retries (a command's quick refresh).
    pub(super) first_answer_within: Option<std::time::Duration>,
    pub(super) answered: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("name", &self.name)
            .field("url", &self.endpoint.url)
            .field("token", &self.token())
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
        if token.is_some() {
            connection
                .check_token_transport()
                .map_err(|e| RemoteError::new(ErrorKind::Setup, e))?;
        }
        let http = connection.http().map_err(setup)?;
        Ok(Remote {
            name: name.to_string(),
            endpoint: endpoint.clone(),
            http,
            token: std::sync::Mutex::new(token),
            retry: retry.with_test_delay(),
            clock: Clock::System,
            requests: AtomicU64::new(0),
            received: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            first_answer_within: None,
            answered: std::sync::atomic::AtomicBool::new(false),
            connection,
        })
    }

    /// The same client waiting on (and reading the time from) `clock`.
    pub fn with_clock(mut self, clock: Clock) -> Remote {
        self.clock = clock;
        self
    }

    /// Give up when the server has not answered within `budget` (all
    /// retries of the first request included): a command's quick refresh
    /// then answers from the cache instead of waiting.
    pub fn with_first_answer_within(mut self, budget: Option<std::time::Duration>) -> Remote {
        self.first_answer_within = budget;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub(super) fn at(&self) -> String {
        format!("endpoint '{}' ({})", self.name, self.endpoint.url)
    }

    pub(super) fn api(&self, path: &str) -> Url {
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

    /// The token sent now.
    pub(super) fn token(&self) -> Option<Secret> {
        self.token.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Error texts built from server answers pass through here.
    pub(super) fn safe(&self, text: &str) -> String {
        match &self.token() {
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

    /// `POST /entities/by-refs` for `refs` (full, lower-case): the answer,
    /// read with [`RefsBody::items`].
    pub(super) async fn by_refs(
        &self,
        refs: &[String],
        on_bytes: &mut (dyn FnMut(u64) + Send),
    ) -> Result<RefsBody, RemoteError> {
        let url = self.api("/entities/by-refs");
        let body =
            serde_json::to_vec(&serde_json::json!({ "entityRefs": refs })).expect("refs serialise");
        let answer = self
            .fetch(Method::POST, url.clone(), Some(body), on_bytes)
            .await?;
        Ok(RefsBody { url, body: answer })
    }

    pub(super) fn parse<'a, T: serde::Deserialize<'a>>(
        &self,
        url: &Url,
        body: &'a [u8],
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
                    "{}: the answer to {} {what}: {e} ({}); if this keeps happening, check proxies between callboard and Backstage",
                    self.at(),
                    url.path(),
                    counted(body.len(), "byte")
                )),
            )
        })
    }

    /// One request with bounded retries; the whole body on success.
    pub(super) async fn fetch(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        on_bytes: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Vec<u8>, RemoteError> {
        Ok(self
            .fetch_answer(method, url, body, None, 0, on_bytes)
            .await?
            .body)
    }

    /// [`Remote::fetch`] with the answer's `ETag`; with `if_none_match`,
    /// sent as `If-None-Match`, a `304 Not Modified` is an answer too
    /// ([`Answer::not_modified`], no body).
    pub(super) async fn fetch_answer(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        if_none_match: Option<&str>,
        expected_len: usize,
        on_bytes: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Answer, RemoteError> {
        let budget = self
            .first_answer_within
            .filter(|_| !self.answered.load(Ordering::Relaxed));
        let Some(budget) = budget else {
            return self
                .fetch_with_retries(method, url, body, if_none_match, expected_len, on_bytes)
                .await;
        };
        let what = format!("{method} {}", url.path());
        match tokio::time::timeout(
            budget,
            self.fetch_with_retries(method, url, body, if_none_match, expected_len, on_bytes),
        )
        .await
        {
            Ok(answer) => answer,
            Err(_) => Err(RemoteError::new(
                ErrorKind::Timeout,
                format!(
                    "{}: {what}: no answer within {:.0} s (a command's quick refresh waits no longer; `callboard sync` waits timeout_secs)",
                    self.at(),
                    budget.as_secs_f64()
                ),
            )),
        }
    }

    async fn fetch_with_retries(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        if_none_match: Option<&str>,
        expected_len: usize,
        on_bytes: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Answer, RemoteError> {
        let mut attempt = 0;
        let mut refreshed = false;
        loop {
            attempt += 1;
            let deadline = self.endpoint.deadline;
            let outcome = match tokio::time::timeout(
                deadline,
                self.attempt(
                    method.clone(),
                    url.clone(),
                    body.clone(),
                    if_none_match,
                    expected_len,
                    on_bytes,
                ),
            )
            .await
            {
                Ok(outcome) => outcome,
                Err(_) => Err(Attempt::Retry {
                    error: RemoteError::new(
                        ErrorKind::Timeout,
                        format!(
                            "{}: {method} {}: the answer took over {} s in all (request_deadline_secs)",
                            self.at(),
                            url.path(),
                            deadline.as_secs()
                        ),
                    ),
                    wait: None,
                }),
            };
            match outcome {
                Ok(bytes) => {
                    self.answered.store(true, Ordering::Relaxed);
                    return Ok(bytes);
                }
                // A user's access token refused: refresh it once and retry.
                Err(Attempt::Fatal(e))
                    if e.kind == ErrorKind::Unauthorized
                        && !refreshed
                        && self.connection.is_sign_in() =>
                {
                    refreshed = true;
                    let sent = self.token();
                    match self.connection.token().await {
                        Ok(Some(fresh)) if Some(&fresh) != sent.as_ref() => {
                            *self.token.lock().unwrap_or_else(|p| p.into_inner()) = Some(fresh);
                            attempt -= 1;
                        }
                        Ok(_) => return Err(e),
                        Err(why) => {
                            return Err(RemoteError::new(
                                ErrorKind::Unauthorized,
                                format!("{}: {why}", self.at()),
                            ))
                        }
                    }
                }
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

    pub(super) async fn attempt(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        if_none_match: Option<&str>,
        expected_len: usize,
        on_bytes: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Answer, Attempt> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .header(header::ACCEPT, "application/json");
        if let Some(token) = &self.token() {
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
        if let Some(tag) = if_none_match.and_then(|t| HeaderValue::from_str(t).ok()) {
            request = request.header(header::IF_NONE_MATCH, tag);
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
        let etag = response
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if status == StatusCode::NOT_MODIFIED && if_none_match.is_some() {
            return Ok(Answer {
                body: Vec::new(),
                etag,
                not_modified: true,
            });
        }
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
        // A TechDocs page has a cap of its own (max_docs_page_mb).
        let docs_page = url.path().contains("/api/techdocs/static/");
        let max = if docs_page {
            self.endpoint
                .max_docs_page_bytes
                .min(self.endpoint.max_answer_bytes)
        } else {
            self.endpoint.max_answer_bytes
        };
        let too_big = |size: u64| {
            Attempt::Fatal(RemoteError::new(
                ErrorKind::BadResponse,
                if docs_page {
                    format!(
                        "{}: {what}: page over {} MiB ({size} bytes so far or announced); not downloaded \
                         (raise max_docs_page_mb for the source)",
                        self.at(),
                        mib(max)
                    )
                } else {
                    format!(
                        "{}: {what}: the answer is over {} MiB ({size} bytes so far or announced); not read \
                         (raise max_answer_mb for the source, or lower page_size)",
                        self.at(),
                        mib(max)
                    )
                },
            ))
        };
        if let Some(length) = response.content_length().filter(|&l| l > max) {
            return Err(too_big(length));
        }
        // Without a length (chunked), the caller's guess: growing the
        // buffer from nothing copied each page twice over, into fresh
        // memory the kernel zeroes.
        let expected = response
            .content_length()
            .unwrap_or(expected_len as u64)
            .min(max.min(64 << 20)) as usize;
        let mut buf = Vec::with_capacity(expected);
        loop {
            // `None`: no data within the timeout.
            let broken = match tokio::time::timeout(timeout, response.chunk()).await {
                Ok(Ok(Some(chunk))) => {
                    self.received
                        .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    on_bytes(chunk.len() as u64);
                    if (buf.len() + chunk.len()) as u64 > max {
                        return Err(too_big((buf.len() + chunk.len()) as u64));
                    }
                    buf.extend_from_slice(&chunk);
                    continue;
                }
                Ok(Ok(None)) => {
                    return Ok(Answer {
                        body: buf,
                        etag,
                        not_modified: false,
                    })
                }
                Ok(Err(e)) => Some(e),
                Err(_) => None,
            };
            let how = match broken {
                Some(e) if !(e.is_timeout() || error_chain(&e).contains("timed out")) => format!(
                    "the connection broke after {}: {}",
                    counted(buf.len(), "byte"),
                    error_chain(&e)
                ),
                _ => format!(
                    "the answer stalled: no data for {} s after {} (timeout_secs)",
                    timeout.as_secs(),
                    counted(buf.len(), "byte")
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

    pub(super) fn send_error(&self, e: &reqwest::Error) -> Attempt {
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

    pub(super) async fn status_error(
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
                let sent = self.token();
                self.connection.forget_token(&sent);
                let (what_sent, fix) = match (&sent, &self.endpoint.token) {
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
    pub(super) fn stats(&self) -> (u64, u64, u64) {
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
        self: &Arc<Self>,
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
        writer.set_meta(META_SKIPPED, &run.stats.skipped.to_string());
        let (requests, received, sent) = self.stats();
        run.stats.requests = requests;
        run.stats.bytes_received = received;
        run.stats.bytes_sent = sent;
        // Not modified, or nothing changed: the previous snapshot's
        // entities, kept.
        run.stats.entities = if run.stats.not_modified || run.stats.nothing_changed {
            run.stats.unchanged
        } else {
            writer.len()
        };
        Ok((run.stats, run.problems))
    }
}

#[derive(Deserialize)]
pub(super) struct QueryPage {
    #[serde(default)]
    pub(super) items: Vec<Value>,
    #[serde(rename = "totalItems", default)]
    pub(super) total_items: Option<u64>,
}

#[derive(Deserialize, Default)]
pub(super) struct PageInfo {
    #[serde(rename = "nextCursor", default)]
    pub(super) next_cursor: Option<String>,
}

/// An answer as read: its body, its `ETag`, and whether it was a
/// `304 Not Modified` to an `If-None-Match`.
pub(super) struct Answer {
    pub(super) body: Vec<u8>,
    pub(super) etag: Option<String>,
    pub(super) not_modified: bool,
}

/// A by-refs answer as read.
pub(super) struct RefsBody {
    url: Url,
    body: Vec<u8>,
}

#[derive(Deserialize)]
struct RefsAnswer<'a> {
    #[serde(borrow)]
    items: Vec<Option<&'a serde_json::value::RawValue>>,
}

impl RefsBody {
    /// The entities in the order asked (`n` refs), each the server's JSON
    /// of it, `None` where the server has none.
    pub(super) fn items<'a>(
        &'a self,
        remote: &Remote,
        n: usize,
    ) -> Result<Vec<Option<&'a serde_json::value::RawValue>>, RemoteError> {
        let parsed: RefsAnswer<'a> = remote.parse(&self.url, &self.body)?;
        if parsed.items.len() != n {
            return Err(RemoteError::new(
                ErrorKind::BadResponse,
                format!(
                    "{}: by-refs answered {} for {}",
                    remote.at(),
                    counted(parsed.items.len(), "item"),
                    counted(n, "ref")
                ),
            ));
        }
        Ok(parsed.items)
    }
}

/// A byte limit in MiB for messages (`1`, or `0.5` below a MiB).
fn mib(bytes: u64) -> String {
    if bytes >= 1 << 20 || bytes == 0 {
        (bytes >> 20).to_string()
    } else {
        format!("{:.2}", bytes as f64 / (1u64 << 20) as f64)
            .trim_end_matches('0')
            .to_string()
    }
}
