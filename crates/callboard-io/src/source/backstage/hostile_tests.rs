//! Hostile backends: endless paging, answers that never end or are too
//! big. Each sync runs on a thread and must end within a bound.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::cache::Cache;
use crate::config::{Endpoint, Source, SourceKind, TokenSource};
use crate::sync::{sync_source_with, SyncOptions};
use crate::test_server::{Answer, Request, TestServer};

pub(super) fn endpoint(url: &str) -> Endpoint {
    let mut endpoint = Endpoint::from_url(url);
    endpoint.token = TokenSource::Env {
        var: "CALLBOARD_TEST_SURELY_UNSET_VAR".into(),
        required: false,
    };
    endpoint.page_size = 20;
    endpoint.timeout = Duration::from_secs(2);
    endpoint
}

/// Sync `endpoint` into a fresh cache; the error text, or the entity
/// count. Fails the test when it takes longer than `within`.
pub(super) fn sync_within(endpoint: Endpoint, within: Duration) -> Result<usize, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let source = Source {
            name: "prod".into(),
            kind: SourceKind::Remote(endpoint),
        };
        let outcome = sync_source_with(&cache, &source, None, &SyncOptions::default())
            .map(|r| r.snapshot.entity_count)
            .map_err(|e| format!("{e:#}"));
        let _ = tx.send(outcome);
    });
    rx.recv_timeout(within)
        .unwrap_or_else(|_| panic!("the sync did not end within {within:?}"))
}

pub(super) fn group(n: u64) -> Value {
    json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
           "metadata": {"name": format!("g{n}"), "namespace": "default", "etag": "1"},
           "spec": {"type": "team", "children": []}})
}

/// A server answering every page with `page(n)` and a new cursor.
fn endless(page: impl Fn(u64) -> Value + Send + Sync + 'static) -> (TestServer, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let seen = count.clone();
    let server = TestServer::start(move |_: &Request| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        let mut body = page(n);
        body["pageInfo"] = json!({"nextCursor": format!("c{n}")});
        Answer::json(200, body)
    });
    (server, count)
}

#[test]
fn empty_pages_with_a_next_cursor_stop_at_once() {
    let (server, requests) = endless(|_| json!({"items": [], "totalItems": 3}));
    let e = sync_within(endpoint(&server.url()), Duration::from_secs(20)).unwrap_err();
    assert!(
        e.contains("stopped paging") && e.contains("no entity not seen before"),
        "{e}"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[test]
fn the_same_items_again_stop_paging() {
    let (server, requests) = endless(|_| json!({"items": [group(1), group(2)], "totalItems": 2}));
    let e = sync_within(endpoint(&server.url()), Duration::from_secs(20)).unwrap_err();
    assert!(e.contains("no entity not seen before (2 items)"), "{e}");
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}

#[test]
fn new_items_past_total_items_stop_paging() {
    // Always new entities, far more than the 30 announced.
    let (server, requests) = endless(|n| {
        let items: Vec<Value> = (0..20).map(|i| group(n * 20 + i)).collect();
        json!({"items": items, "totalItems": 30})
    });
    let e = sync_within(endpoint(&server.url()), Duration::from_secs(20)).unwrap_err();
    assert!(
        e.contains("stopped paging") && e.contains("totalItems"),
        "{e}"
    );
    // 30 items at 20 a page: 2 pages; the guard allows a margin, not more.
    assert!(requests.load(Ordering::SeqCst) <= 14, "{requests:?}");
}
