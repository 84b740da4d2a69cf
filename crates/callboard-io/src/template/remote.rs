//! The scaffolder REST API (`<base>/api/scaffolder/v2`): create a task,
//! follow its `/eventstream`, cancel it, and dry-run a template.
//!
//! - The server does not apply JSON Schema `default`s: callers fill them in
//!   (`schema::apply_defaults`) before [`Scaffolder::create_task`].
//! - Invalid values come back as `400 {"errors":[…]}`; the message lists
//!   each (`name: does not match pattern …`).
//! - The event stream replays earlier events and closes after `completion`;
//!   if it drops before that, it is reopened with `?after=<last id>`.
//! - A cancelled task ends `failed`; [`run_remote`] reports that as
//!   [`RunEvent::Failed`].
//!
//! The token is only put in the `Authorization` header and is redacted from
//! any server text that reaches an error message.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde_json::{json, Map, Value};

use crate::clock::Clock;
use crate::remotes::Connection;
use crate::source::auth::Secret;
use crate::source::backstage::ErrorKind;
use base64::Engine as _;
use callboard_core::template::sse::{task_event, to_run_events, SseParser, TaskEvent};
use callboard_core::template::{RunEvent, Template};

/// A scaffolder call that failed; the message is complete and safe to
/// print (no token).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ScaffolderError {
    pub kind: ErrorKind,
    pub message: String,
    /// For a 400 on task creation: one line per invalid value.
    pub validation: Vec<String>,
}

impl ScaffolderError {
    pub(crate) fn new(kind: ErrorKind, message: String) -> ScaffolderError {
        error(kind, message)
    }
}

fn error(kind: ErrorKind, message: String) -> ScaffolderError {
    ScaffolderError {
        kind,
        message,
        validation: Vec::new(),
    }
}

/// A client for one backend's scaffolder.
pub struct Scaffolder {
    base: String,
    http: reqwest::Client,
    token: Option<Secret>,
    timeout: Duration,
    /// The registry's connection this client shares, when it does: a
    /// refused token is resolved again next time.
    connection: Option<Arc<Connection>>,
    /// Waits between reconnects of a dropped event stream.
    clock: Clock,
}

impl std::fmt::Debug for Scaffolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scaffolder")
            .field("base", &self.base)
            .field("token", &self.token)
            .finish()
    }
}

/// The files a dry-run produced, and its log and output.
#[derive(Debug, Clone)]
pub struct DryRun {
    /// `(path, bytes, executable)`, as the server listed them.
    pub files: Vec<(String, Vec<u8>, bool)>,
    pub log: Vec<RunEvent>,
    pub output: Value,
}

impl Scaffolder {
    /// A client over the registry's connection to an endpoint (see
    /// [`crate::remotes::Remotes::scaffolder`]).
    pub(crate) fn over(
        connection: Arc<Connection>,
        token: Option<Secret>,
    ) -> Result<Scaffolder, ScaffolderError> {
        let endpoint = connection.endpoint();
        let at = format!("endpoint '{}' ({})", connection.name(), endpoint.url);
        let base = crate::config::normalize_url(&endpoint.url);
        Url::parse(&base).map_err(|e| {
            error(
                ErrorKind::Setup,
                format!("{at}: '{}' is not a URL: {e}", endpoint.url),
            )
        })?;
        if token.is_some() {
            connection
                .check_token_transport()
                .map_err(|e| error(ErrorKind::Setup, e))?;
        }
        let http = connection
            .http()
            .map_err(|e| error(ErrorKind::Setup, format!("{at}: {e}")))?;
        Ok(Scaffolder {
            base,
            http,
            token,
            timeout: endpoint.timeout,
            connection: Some(connection),
            clock: Clock::System,
        })
    }

    /// A client of its own for `url` (one-off uses and tests; the
    /// application goes through the registry).
    pub fn with_token(
        url: &str,
        token: Option<Secret>,
        timeout: Duration,
    ) -> Result<Scaffolder, ScaffolderError> {
        let base = crate::config::normalize_url(url);
        Url::parse(&base)
            .map_err(|e| error(ErrorKind::Setup, format!("'{url}' is not a URL: {e}")))?;
        // No read timeout on the client: an event stream may stay quiet
        // for as long as a step takes. Ordinary requests set their own.
        let http = reqwest::Client::builder()
            .user_agent(concat!("callboard/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(timeout)
            .build()
            .map_err(|e| {
                error(
                    ErrorKind::Setup,
                    format!("cannot set up the HTTP client: {e}"),
                )
            })?;
        Ok(Scaffolder {
            base,
            http,
            token,
            timeout,
            connection: None,
            clock: Clock::System,
        })
    }

    /// The same client waiting on `clock` between event-stream reconnects.
    pub fn with_clock(mut self, clock: Clock) -> Scaffolder {
        self.clock = clock;
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/scaffolder/v2{path}", self.base)
    }

    fn safe(&self, text: &str) -> String {
        let text = callboard_core::text::sanitize::sanitize(text).into_owned();
        match &self.token {
            Some(t) => t.redact(&text),
            None => text,
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t.expose());
        }
        req
    }

    async fn send_json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value), ScaffolderError> {
        let at = format!("{} {}", method, self.url(path));
        let mut req = self
            .request(method, path)
            .timeout(self.timeout.max(Duration::from_secs(60)));
        if let Some(body) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(serde_json::to_vec(body).unwrap_or_default());
        }
        let resp = req.send().await.map_err(|e| self.transport(&at, &e))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| self.transport(&at, &e))?;
        let value: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                Value::String(String::from_utf8_lossy(&bytes[..bytes.len().min(500)]).into_owned())
            })
        };
        if status.is_success() {
            return Ok((status, value));
        }
        Err(self.http_error(&at, status, &value))
    }

    fn transport(&self, at: &str, e: &reqwest::Error) -> ScaffolderError {
        let kind = if e.is_timeout() {
            ErrorKind::Timeout
        } else if e.is_connect() {
            ErrorKind::Connect
        } else {
            ErrorKind::Server
        };
        let mut chain = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            src = s.source();
        }
        error(kind, self.safe(&format!("{at}: {chain}")))
    }

    fn http_error(&self, at: &str, status: StatusCode, body: &Value) -> ScaffolderError {
        let server = body
            .pointer("/error/message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| body.as_str().map(str::to_string))
            .unwrap_or_default();
        if status == StatusCode::UNAUTHORIZED {
            if let Some(connection) = &self.connection {
                connection.forget_token(&self.token);
            }
        }
        let (kind, advice) = match status {
            StatusCode::UNAUTHORIZED => (
                ErrorKind::Unauthorized,
                "the token is missing or refused; set CALLBOARD_TOKEN or run `callboard login`",
            ),
            StatusCode::FORBIDDEN => (ErrorKind::Forbidden, "the token may not do this"),
            StatusCode::NOT_FOUND => (
                ErrorKind::WrongUrl,
                "check the template name and the backend URL",
            ),
            s if s.is_server_error() => (ErrorKind::Server, "the backend failed; try again later"),
            _ => (ErrorKind::Rejected, "the backend refused the request"),
        };
        let validation: Vec<String> = body
            .get("errors")
            .and_then(Value::as_array)
            .map(|errs| {
                errs.iter()
                    .map(|e| {
                        let path = e
                            .get("path")
                            .and_then(Value::as_array)
                            .map(|p| {
                                p.iter()
                                    .map(|s| match s {
                                        Value::String(s) => s.clone(),
                                        other => other.to_string(),
                                    })
                                    .collect::<Vec<_>>()
                                    .join(".")
                            })
                            .unwrap_or_default();
                        let msg = e
                            .get("message")
                            .and_then(Value::as_str)
                            .or_else(|| e.get("stack").and_then(Value::as_str))
                            .unwrap_or("invalid");
                        self.safe(&if path.is_empty() {
                            msg.to_string()
                        } else {
                            format!("{path}: {msg}")
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let detail = if !validation.is_empty() {
            format!("invalid values: {}", validation.join("; "))
        } else if server.is_empty() {
            advice.to_string()
        } else {
            format!("{}; {advice}", server)
        };
        ScaffolderError {
            kind,
            message: self.safe(&format!("{at}: {} {detail}", status.as_u16())),
            validation,
        }
    }

    /// `GET /api/catalog/entities/by-name/{kind}/{namespace}/{name}` (a
    /// template not in the local cache).
    pub async fn catalog_entity(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Value, ScaffolderError> {
        let url = format!(
            "{}/api/catalog/entities/by-name/{}/{}/{}",
            self.base,
            encode(kind),
            encode(namespace),
            encode(name)
        );
        let at = format!("GET {url}");
        let mut req = self.http.get(&url).timeout(self.timeout);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t.expose());
        }
        let resp = req.send().await.map_err(|e| self.transport(&at, &e))?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| self.transport(&at, &e))?;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(self.http_error(&at, status, &value));
        }
        Ok(value)
    }

    /// `POST /v2/tasks` → the new task's id.
    pub async fn create_task(
        &self,
        template_ref: &str,
        values: &Map<String, Value>,
        secrets: &Map<String, Value>,
    ) -> Result<String, ScaffolderError> {
        let mut body = json!({ "templateRef": template_ref, "values": values });
        if !secrets.is_empty() {
            body["secrets"] = Value::Object(secrets.clone());
        }
        let (_, v) = self.send_json(Method::POST, "/tasks", Some(&body)).await?;
        v.get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                error(
                    ErrorKind::BadResponse,
                    format!("POST {}: the answer has no task id", self.url("/tasks")),
                )
            })
    }

    /// `POST /v2/tasks/{id}/cancel` → the status the server reports.
    pub async fn cancel(&self, task_id: &str) -> Result<String, ScaffolderError> {
        let path = format!("/tasks/{}/cancel", encode(task_id));
        let (_, v) = self
            .send_json(Method::POST, &path, Some(&json!({})))
            .await?;
        Ok(v.get("status")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string())
    }

    /// `GET /v2/tasks/{id}`.
    pub async fn task(&self, task_id: &str) -> Result<Value, ScaffolderError> {
        let path = format!("/tasks/{}", encode(task_id));
        Ok(self.send_json(Method::GET, &path, None).await?.1)
    }

    /// Open `/eventstream?after=N` once and feed each task event to
    /// `on_event` until the server closes it. Returns the last event id
    /// seen and whether a `completion` arrived.
    pub async fn stream_once(
        &self,
        task_id: &str,
        after: Option<u64>,
        on_event: &mut dyn FnMut(&TaskEvent),
    ) -> Result<(Option<u64>, bool), ScaffolderError> {
        let mut path = format!("/tasks/{}/eventstream", encode(task_id));
        if let Some(a) = after {
            path.push_str(&format!("?after={a}"));
        }
        let at = format!("GET {}", self.url(&path));
        let resp = self
            .request(Method::GET, &path)
            .header("Accept", "text/event-stream")
            .send()
            .await
            .map_err(|e| self.transport(&at, &e))?;
        let status = resp.status();
        if !status.is_success() {
            let body = resp.bytes().await.unwrap_or_default();
            let v = serde_json::from_slice(&body).unwrap_or(Value::Null);
            return Err(self.http_error(&at, status, &v));
        }
        let mut resp = resp;
        let mut parser = SseParser::new();
        let mut last = after;
        let mut completed = false;
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(&at, &e))? {
            for sse in parser.push(&chunk) {
                let event = task_event(&sse)
                    .map_err(|m| error(ErrorKind::BadResponse, format!("{at}: {m}")))?;
                last = Some(event.id);
                if event.kind == "completion" {
                    completed = true;
                }
                on_event(&event);
            }
            if completed {
                break;
            }
        }
        Ok((last, completed))
    }

    /// `POST /v2/dry-run` with the template's entity, values and the files
    /// of its folder (`directoryContents`, paths relative to the template).
    pub async fn dry_run(
        &self,
        template: &Template,
        values: &Map<String, Value>,
        secrets: &Map<String, Value>,
        files: &[(String, Vec<u8>)],
    ) -> Result<DryRun, ScaffolderError> {
        let contents: Vec<Value> = files
            .iter()
            .map(|(p, b)| json!({"path": p, "base64Content": base64::engine::general_purpose::STANDARD.encode(b)}))
            .collect();
        let mut body = json!({
            "template": template.entity,
            "values": values,
            "directoryContents": contents,
        });
        if !secrets.is_empty() {
            body["secrets"] = Value::Object(secrets.clone());
        }
        let (_, v) = self
            .send_json(Method::POST, "/dry-run", Some(&body))
            .await?;
        let bad = |what: &str| {
            error(
                ErrorKind::BadResponse,
                format!("POST {}: {what}", self.url("/dry-run")),
            )
        };
        let mut out = Vec::new();
        for f in v
            .get("directoryContents")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no directoryContents in the answer"))?
        {
            let path = f
                .get("path")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("a file without a path"))?;
            let bytes = f
                .get("base64Content")
                .and_then(Value::as_str)
                .and_then(|text| base64::engine::general_purpose::STANDARD.decode(text).ok())
                .ok_or_else(|| bad("a file without valid base64Content"))?;
            let exec = f
                .get("executable")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            out.push((path.to_string(), bytes, exec));
        }
        let mut log = Vec::new();
        for (i, entry) in v
            .get("log")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let e = TaskEvent {
                id: i as u64,
                kind: "log".into(),
                body: entry.get("body").cloned().unwrap_or(Value::Null),
                task_id: None,
                is_task_recoverable: false,
            };
            log.extend(to_run_events(&e));
        }
        Ok(DryRun {
            files: out,
            log,
            output: v.get("output").cloned().unwrap_or(Value::Null),
        })
    }
}

fn encode(segment: &str) -> String {
    callboard_core::template::filters::encode_uri_component(segment)
}

/// How a remote run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteOutcome {
    pub task_id: String,
    pub succeeded: bool,
    pub cancelled: bool,
    pub output: Value,
    pub error: Option<String>,
}

/// Create a task and follow it to the end, reporting [`RunEvent`]s. When
/// `cancel` turns true the task is cancelled on the server and followed
/// until it ends (`failed`). A dropped stream is reopened after the last
/// event seen (a bounded number of times).
pub async fn run_remote(
    client: &Scaffolder,
    template_ref: &str,
    values: &Map<String, Value>,
    secrets: &Map<String, Value>,
    emit: &mut (dyn FnMut(RunEvent) + Send),
    mut cancel: tokio::sync::watch::Receiver<bool>,
) -> Result<RemoteOutcome, ScaffolderError> {
    let task_id = client.create_task(template_ref, values, secrets).await?;
    emit(RunEvent::TaskCreated {
        task_id: task_id.clone(),
    });
    let mut outcome = RemoteOutcome {
        task_id: task_id.clone(),
        succeeded: false,
        cancelled: false,
        output: Value::Null,
        error: None,
    };
    let mut after = None;
    let mut reconnects = 0;
    let mut finished: Option<RunEvent> = None;
    let mut cancel_open = true;
    loop {
        let stream = {
            let mut on_event = |e: &TaskEvent| {
                for ev in to_run_events(e) {
                    if matches!(ev, RunEvent::Completed { .. } | RunEvent::Failed { .. }) {
                        finished = Some(ev.clone());
                    }
                    emit(ev);
                }
            };
            let fut = client.stream_once(&task_id, after, &mut on_event);
            tokio::pin!(fut);
            loop {
                tokio::select! {
                    r = &mut fut => break r,
                    changed = cancel.changed(), if !outcome.cancelled && cancel_open => {
                        if changed.is_ok() && *cancel.borrow() {
                            outcome.cancelled = true;
                            // The stream keeps running; the server ends the
                            // task and sends its completion.
                            if let Err(e) = client.cancel(&task_id).await {
                                outcome.error = Some(e.message.clone());
                            }
                        } else if changed.is_err() {
                            // The sender is gone: nobody can cancel any more.
                            cancel_open = false;
                        }
                    }
                }
            }
        };
        match stream {
            Ok((last, completed)) => {
                after = last.or(after);
                if completed {
                    break;
                }
            }
            Err(e) if reconnects >= 5 => return Err(e),
            Err(_) => {}
        }
        if finished.is_some() {
            break;
        }
        reconnects += 1;
        if reconnects > 5 {
            return Err(error(
                ErrorKind::Server,
                format!("the event stream of task {task_id} kept closing before the task ended"),
            ));
        }
        client
            .clock
            .sleep(Duration::from_millis(250 * reconnects))
            .await;
    }
    // The final state from the task itself.
    let task = client.task(&task_id).await?;
    let status = task.get("status").and_then(Value::as_str).unwrap_or("");
    outcome.succeeded = status == "completed";
    if !outcome.succeeded && outcome.error.is_none() {
        outcome.error = Some(if outcome.cancelled {
            format!("task {task_id} was cancelled (status {status})")
        } else {
            format!("task {task_id} ended with status {status}")
        });
    }
    match finished {
        Some(RunEvent::Completed { output }) => outcome.output = output,
        Some(RunEvent::Failed { message }) if outcome.error.is_none() || !outcome.cancelled => {
            outcome.error = Some(message)
        }
        _ => {}
    }
    Ok(outcome)
}
