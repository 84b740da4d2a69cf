//! Server-Sent Events (`text/event-stream`) parsing, incremental: bytes go
//! in as they arrive (split anywhere, even inside a UTF-8 character or a
//! CRLF), complete events come out. Follows the WHATWG rules: `field:
//! value` lines (one leading space dropped), `data` lines joined with
//! `\n`, `:` comments ignored, a blank line dispatches, an event with no
//! data is dropped, and the `id` persists as the last event id.
//!
//! Then [`task_event`] and [`to_run_events`] turn the scaffolder's task
//! events into [`RunEvent`]s, stripping the terminal escapes (ANSI colour)
//! the server puts in log lines.

use serde::Deserialize;
use serde_json::Value;

use super::{RunEvent, StepStatus};
use crate::text::sanitize::sanitize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// `event:`; `message` when absent.
    pub event: String,
    pub data: String,
    /// The last `id:` seen so far.
    pub id: Option<String>,
}

#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes not yet forming a complete line.
    pending: Vec<u8>,
    /// A `\r` ended the last chunk: a `\n` opening the next one belongs to it.
    after_cr: bool,
    event: String,
    data: Vec<String>,
    last_id: Option<String>,
}

impl SseParser {
    pub fn new() -> SseParser {
        SseParser::default()
    }

    /// Feed bytes; returns the events they complete.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        let mut bytes = chunk;
        if self.after_cr {
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
            self.after_cr = false;
        }
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' | b'\r' => {
                    self.pending.extend_from_slice(&bytes[start..i]);
                    let line = std::mem::take(&mut self.pending);
                    self.line(&String::from_utf8_lossy(&line), &mut out);
                    if bytes[i] == b'\r' {
                        if i + 1 == bytes.len() {
                            self.after_cr = true;
                        } else if bytes[i + 1] == b'\n' {
                            i += 1;
                        }
                    }
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        self.pending.extend_from_slice(&bytes[start..]);
        out
    }

    pub fn last_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if !self.data.is_empty() {
                out.push(SseEvent {
                    event: if self.event.is_empty() {
                        "message".into()
                    } else {
                        std::mem::take(&mut self.event)
                    },
                    data: self.data.join("\n"),
                    id: self.last_id.clone(),
                });
            }
            self.data.clear();
            self.event.clear();
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = value.to_string(),
            "data" => self.data.push(value.to_string()),
            "id" if !value.contains('\0') => self.last_id = Some(value.to_string()),
            _ => {}
        }
    }
}

/// A scaffolder task event (`SerializedTaskEvent`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskEvent {
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub body: Value,
    #[serde(default)]
    pub task_id: Option<String>,
    #[serde(default)]
    pub is_task_recoverable: bool,
}

/// Parse one SSE event's data as a task event.
pub fn task_event(e: &SseEvent) -> Result<TaskEvent, String> {
    serde_json::from_str(&e.data).map_err(|err| format!("malformed task event: {err}"))
}

/// What one task event means for the run log. Log text is sanitized
/// (ANSI colour and other control sequences removed).
pub fn to_run_events(e: &TaskEvent) -> Vec<RunEvent> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(|s| sanitize(s).into_owned());
    let message = text(e.body.get("message")).unwrap_or_default();
    let step = text(e.body.get("stepId"));
    let status = e.body.get("status").and_then(Value::as_str);
    match e.kind.as_str() {
        "completion" => {
            if let Some(err) = e.body.get("error") {
                let detail = text(err.get("message")).unwrap_or_else(|| message.clone());
                vec![RunEvent::Failed { message: detail }]
            } else if message.ends_with("status: failed") || message.ends_with("status: cancelled")
            {
                vec![RunEvent::Failed { message }]
            } else {
                vec![RunEvent::Completed {
                    output: e.body.get("output").cloned().unwrap_or(Value::Null),
                }]
            }
        }
        _ => match (step, status) {
            (Some(id), Some("processing")) => vec![RunEvent::StepStarted {
                name: message
                    .strip_prefix("Beginning step ")
                    .map(str::to_string)
                    .unwrap_or_else(|| id.clone()),
                id,
            }],
            (Some(id), Some("completed")) => vec![RunEvent::StepFinished {
                id,
                status: StepStatus::Completed,
            }],
            (Some(id), Some("failed")) => vec![
                RunEvent::Log {
                    step: Some(id.clone()),
                    line: message,
                },
                RunEvent::StepFinished {
                    id,
                    status: StepStatus::Failed,
                },
            ],
            (Some(id), Some("cancelled")) => vec![
                RunEvent::Log {
                    step: Some(id.clone()),
                    line: message,
                },
                RunEvent::StepFinished {
                    id,
                    status: StepStatus::Cancelled,
                },
            ],
            (Some(id), Some("skipped")) => vec![RunEvent::Skipped {
                id,
                reason: message,
            }],
            (step, _) => vec![RunEvent::Log {
                step,
                line: message,
            }],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_anywhere_and_handles_line_endings_and_comments() {
        let stream = b": hello\r\nevent: log\r\ndata: a\r\ndata: b\r\nid: 7\r\n\r\ndata: plain\n\nevent: x\n\n";
        let whole = SseParser::new().push(stream);
        for cut in 0..stream.len() {
            let mut p = SseParser::new();
            let mut got = p.push(&stream[..cut]);
            got.extend(p.push(&stream[cut..]));
            assert_eq!(got, whole, "cut at {cut}");
        }
        assert_eq!(
            whole,
            vec![
                SseEvent {
                    event: "log".into(),
                    data: "a\nb".into(),
                    id: Some("7".into())
                },
                SseEvent {
                    event: "message".into(),
                    data: "plain".into(),
                    id: Some("7".into())
                },
            ]
        );
    }

    #[test]
    fn lone_cr_ends_a_line() {
        let got = SseParser::new().push(b"data: x\r\r");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].data, "x");
    }
}
