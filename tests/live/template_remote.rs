//! Scaffolder runs on the live backend: `hello-offline` to completion with
//! its log, and a run cancelled half way.

use std::time::Duration;

use callboard_core::template::{RunEvent, StepStatus};
use callboard_io::source::auth::Secret;
use callboard_io::template::remote::{run_remote, Scaffolder};
use serde_json::{json, Map, Value};

use crate::backend::{require_live, Live};

fn scaffolder() -> Scaffolder {
    let Live { url, token } = require_live();
    Scaffolder::with_token(&url, Some(Secret::new(token)), Duration::from_secs(30)).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn hello_values(name: &str, wait: u64) -> Map<String, Value> {
    // Defaults filled in by callboard: the server does not.
    json!({"name": name, "owner": "group:default/tui-core", "description": "live test",
           "lifecycle": "experimental", "wait": wait})
    .as_object()
    .cloned()
    .unwrap()
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn live_hello_offline_runs_to_completion_with_its_log() {
    let client = scaffolder();
    let (_tx, rx) = tokio::sync::watch::channel(false);
    let mut events = Vec::new();
    let outcome = runtime()
        .block_on(run_remote(
            &client,
            "template:default/hello-offline",
            &hello_values("live-one", 0),
            &Map::new(),
            &mut |e| events.push(e),
            rx,
        ))
        .unwrap();
    assert!(outcome.succeeded, "{outcome:?}");
    for step in ["hello", "fetch", "pause", "list"] {
        assert!(events.iter().any(|e| matches!(e, RunEvent::StepFinished { id, status: StepStatus::Completed } if id == step)), "{step} did not complete: {events:?}");
    }
    assert!(events.iter().any(|e| matches!(e, RunEvent::Log { line, .. } if line.contains("Hello, live-one owned by group:default/tui-core") && !line.contains('\u{1b}'))));
    assert_eq!(
        outcome.output["links"][0]["url"],
        "http://127.0.0.1:3000/create/live-one"
    );
}

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn live_cancelled_run_ends_failed() {
    let client = scaffolder();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let mut events = Vec::new();
    let outcome = runtime()
        .block_on(run_remote(
            &client,
            "template:default/hello-offline",
            &hello_values("live-cancel", 20),
            &Map::new(),
            &mut |e| {
                // Cancel as soon as the long pause starts.
                if matches!(&e, RunEvent::StepStarted { id, .. } if id == "pause") {
                    tx.send(true).unwrap();
                }
                events.push(e);
            },
            rx,
        ))
        .unwrap();
    assert!(outcome.cancelled);
    assert!(!outcome.succeeded);
    assert!(
        matches!(events.last(), Some(RunEvent::Failed { .. })),
        "{:?}",
        events.last()
    );
    assert!(!events.iter().any(|e| matches!(e, RunEvent::StepFinished { id, status: StepStatus::Completed } if id == "list")));
}
