//! What went wrong talking to a backend, in words safe to print.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

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
    pub(super) message: String,
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

/// The message of an error answer: Backstage's `{error: {name, message}}`,
/// or the start of a text body, sanitized and shortened. Reads at most
/// 64 KiB.
pub(super) async fn error_detail(mut response: reqwest::Response) -> String {
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

/// One failed attempt: retry (after `wait`, or the backoff) or give up.
pub(super) enum Attempt {
    Retry {
        error: RemoteError,
        wait: Option<Duration>,
    },
    Fatal(RemoteError),
}
