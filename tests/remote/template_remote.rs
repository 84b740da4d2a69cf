//! The scaffolder client: the recorded event stream parsed into run
//! events, a remote run against the loopback fake backend replaying the
//! recorded task, a 400 with validation errors, and a dropped event
//! stream resumed. The live runs are in `tests/live/template_remote.rs`.

use std::time::Duration;

use crate::support::{Fault, Server, TOKEN};
use callboard_core::template::sse::{task_event, to_run_events, SseParser, TaskEvent};
use callboard_core::template::{RunEvent, StepStatus};
use callboard_io::clock::Clock;
use callboard_io::source::auth::Secret;
use callboard_io::template::remote::{run_remote, Scaffolder};
use serde_json::{json, Map};

fn api(file: &str) -> Vec<u8> {
    std::fs::read(crate::support::fixtures().join(file)).unwrap()
}

fn events_from_stream(bytes: &[u8], chunk: usize) -> Vec<RunEvent> {
    let mut parser = SseParser::new();
    let mut out = Vec::new();
    for piece in bytes.chunks(chunk) {
        for sse in parser.push(piece) {
            assert_eq!(sse.event, task_event(&sse).unwrap().kind);
            out.extend(to_run_events(&task_event(&sse).unwrap()));
        }
    }
    out
}

#[test]
fn recorded_eventstream_becomes_step_progress() {
    let bytes = api("scaffolder-task-eventstream.sse.txt");
    let whole = events_from_stream(&bytes, bytes.len());
    // Chunk boundaries anywhere give the same events.
    for size in [1, 7, 64, 1000] {
        assert_eq!(events_from_stream(&bytes, size), whole, "chunks of {size}");
    }
    let started: Vec<&str> = whole
        .iter()
        .filter_map(|e| match e {
            RunEvent::StepStarted { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(started, ["hello", "fetch", "pause", "list"]);
    assert!(whole.contains(&RunEvent::StepStarted {
        id: "hello".into(),
        name: "Say hello".into()
    }));
    let finished = whole
        .iter()
        .filter(|e| {
            matches!(
                e,
                RunEvent::StepFinished {
                    status: StepStatus::Completed,
                    ..
                }
            )
        })
        .count();
    assert_eq!(finished, 4);
    for e in &whole {
        if let RunEvent::Log { line, .. } = e {
            assert!(!line.contains('\u{1b}'), "ANSI left in {line:?}");
        }
    }
    assert!(whole.contains(&RunEvent::Log {
        step: Some("hello".into()),
        line: "info: Hello, tui-demo owned by group:default/tui-core".into()
    }));
    match whole.last().unwrap() {
        RunEvent::Completed { output } => {
            assert_eq!(
                output["links"][0]["url"],
                "http://127.0.0.1:3000/create/tui-demo"
            )
        }
        other => panic!("last event {other:?}"),
    }
}

#[test]
fn recorded_cancelled_task_ends_failed() {
    let events: Vec<TaskEvent> =
        serde_json::from_slice(&api("scaffolder-task-cancelled-events.json")).unwrap();
    let run: Vec<RunEvent> = events.iter().flat_map(to_run_events).collect();
    assert!(run.contains(&RunEvent::StepFinished {
        id: "pause".into(),
        status: StepStatus::Cancelled
    }));
    assert!(run
        .iter()
        .any(|e| matches!(e, RunEvent::Skipped { id, .. } if id == "list")));
    assert!(
        matches!(run.last(), Some(RunEvent::Failed { message }) if message.contains("has been cancelled"))
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn remote_run_against_loopback_replays_the_recorded_task() {
    let server = Server::start();
    let client = Scaffolder::with_token(
        &server.url(),
        Some(Secret::new(TOKEN)),
        Duration::from_secs(5),
    )
    .unwrap();
    let values = json!({"name": "tui-demo", "owner": "group:default/tui-core"})
        .as_object()
        .cloned()
        .unwrap();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let mut events = Vec::new();
    let outcome = runtime()
        .block_on(run_remote(
            &client,
            "template:default/hello-offline",
            &values,
            &Map::new(),
            &mut |e| events.push(e),
            rx,
        ))
        .unwrap();
    assert!(outcome.succeeded, "{outcome:?}");
    assert_eq!(outcome.task_id, "acac0855-add5-4d0b-b1f8-13c051d03dd9");
    assert_eq!(
        outcome.output["text"][0]["content"],
        "Rendered **tui-demo** into ./out"
    );
    assert!(matches!(events.first(), Some(RunEvent::TaskCreated { .. })));
    assert!(matches!(events.last(), Some(RunEvent::Completed { .. })));
    let log = server.state.logged();
    assert!(log
        .iter()
        .all(|l| l.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))));
    assert!(log
        .iter()
        .any(|l| l.method == "POST" && l.target == "/api/scaffolder/v2/tasks"));
}

#[test]
fn invalid_values_come_back_as_field_messages() {
    let server = Server::start();
    let body = String::from_utf8(api("scaffolder-task-create-invalid-values-400.json")).unwrap();
    server.state.fault(
        "/api/scaffolder/v2/tasks",
        Fault::Status {
            status: 400,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body,
        },
    );
    let client = Scaffolder::with_token(
        &server.url(),
        Some(Secret::new(TOKEN)),
        Duration::from_secs(5),
    )
    .unwrap();
    let err = runtime()
        .block_on(client.create_task("template:default/hello-offline", &Map::new(), &Map::new()))
        .unwrap_err();
    assert!(
        err.validation
            .iter()
            .any(|v| v == "requires property \"owner\""),
        "{:?}",
        err.validation
    );
    assert!(
        err.validation
            .iter()
            .any(|v| v.starts_with("name: does not match pattern")),
        "{:?}",
        err.validation
    );
    assert!(err.message.contains("400") && !err.message.contains(TOKEN));
}

/// A tiny loopback backend whose event stream drops half way: the client
/// must reopen it with `?after=<last id>` and see every event once.
#[test]
fn dropped_eventstream_is_resumed_after_the_last_event() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    let stream = String::from_utf8(api("scaffolder-task-eventstream.sse.txt")).unwrap();
    let blocks: Vec<String> = stream
        .split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|b| format!("{b}\n\n"))
        .collect();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { break };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut request = String::new();
            reader.read_line(&mut request).unwrap();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let target = request.split_whitespace().nth(1).unwrap().to_string();
            seen2.lock().unwrap().push(target.clone());
            let (ctype, payload) = if target == "/api/scaffolder/v2/tasks" {
                ("application/json", r#"{"id":"t1"}"#.to_string())
            } else if target.ends_with("/eventstream") {
                // The first 8 events, then the connection drops.
                ("text/event-stream", blocks[..8].concat())
            } else if target.ends_with("/eventstream?after=8") {
                ("text/event-stream", blocks[8..].concat())
            } else if target == "/api/scaffolder/v2/tasks/t1" {
                (
                    "application/json",
                    r#"{"id":"t1","status":"completed"}"#.to_string(),
                )
            } else {
                ("application/json", "{}".to_string())
            };
            let status = if target.contains("eventstream?after=") && !target.ends_with("after=8") {
                "404 Not Found"
            } else {
                "200 OK"
            };
            let head =
                format!("HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nConnection: close\r\n\r\n");
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(payload.as_bytes());
        }
    });
    // The reconnect waits pass on a manual clock.
    let (clock, time) = Clock::manual();
    let client = Scaffolder::with_token(&format!("http://{addr}"), None, Duration::from_secs(5))
        .unwrap()
        .with_clock(clock);
    // Nobody can cancel this run: the sender is gone from the start.
    let (tx, rx) = tokio::sync::watch::channel(false);
    drop(tx);
    let mut events = Vec::new();
    let outcome = runtime()
        .block_on(run_remote(
            &client,
            "template:default/hello-offline",
            &Map::new(),
            &Map::new(),
            &mut |e| events.push(e),
            rx,
        ))
        .unwrap();
    assert!(outcome.succeeded, "{outcome:?}");
    assert_eq!(time.sleeps(), [Duration::from_millis(250)], "one reconnect");
    let targets = seen.lock().unwrap().clone();
    assert!(
        targets.contains(&"/api/scaffolder/v2/tasks/t1/eventstream?after=8".to_string()),
        "{targets:?}"
    );
    let started = events
        .iter()
        .filter(|e| matches!(e, RunEvent::StepStarted { .. }))
        .count();
    assert_eq!(started, 4, "every step once: {events:?}");
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, RunEvent::Completed { .. }))
            .count(),
        1
    );
}
