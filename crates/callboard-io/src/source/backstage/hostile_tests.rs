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

/// A server that answers every request with headers promising `length`
/// bytes, then drips one byte every `every`.
fn dripping(length: usize, every: Duration) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let mut conn = conn;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
                );
                if conn.write_all(head.as_bytes()).is_err() {
                    return;
                }
                for _ in 0..length {
                    std::thread::sleep(every);
                    if conn.write_all(b" ").and_then(|_| conn.flush()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

#[test]
fn a_dripped_answer_meets_the_overall_deadline() {
    let url = dripping(100_000, Duration::from_millis(300));
    let mut ep = endpoint(&url);
    ep.timeout = Duration::from_secs(2);
    ep.deadline = Duration::from_secs(2);
    let started = std::time::Instant::now();
    // Four attempts (the default policy) of at most 2 s, plus backoffs.
    let e = sync_within(ep, Duration::from_secs(30)).unwrap_err();
    assert!(e.contains("over 2 s in all (request_deadline_secs)"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(25));
}

#[test]
fn a_stale_snapshot_is_refreshed_quickly_or_answers_from_the_cache() {
    use crate::clock::Clock;
    use crate::remotes::Remotes;
    use crate::sync::open_remote;
    use std::sync::atomic::AtomicBool;
    let silent = Arc::new(AtomicBool::new(false));
    let quiet = silent.clone();
    let server = TestServer::start(move |_: &Request| {
        if quiet.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_secs(40));
        }
        Answer::json(
            200,
            json!({"items": [group(1)], "totalItems": 1, "pageInfo": {}}),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let mut ep = endpoint(&server.url());
    ep.timeout = Duration::from_secs(30);
    ep.refresh_after = Some(Duration::from_millis(1));
    let source = Source {
        name: "prod".into(),
        kind: SourceKind::Remote(ep.clone()),
    };
    sync_source_with(&cache, &source, None, &SyncOptions::default()).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    silent.store(true, Ordering::SeqCst);
    let started = std::time::Instant::now();
    let opened = open_remote(
        &Remotes::new(),
        &cache,
        &source,
        &ep,
        None,
        false,
        &Clock::System,
    )
    .unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_millis(3500), "{took:?}");
    assert_eq!(opened.snapshot.unwrap().info.entity_count, 1);
    let notes = opened.notes.join("\n");
    assert!(notes.contains("no answer within 3 s"), "{notes}");
}

#[test]
fn an_answer_over_the_size_limit_is_not_read() {
    let server = TestServer::start(|_: &Request| {
        let items: Vec<Value> = (0..20)
            .map(|i| {
                let mut g = group(i);
                g["metadata"]["description"] = json!("x".repeat(100_000));
                g
            })
            .collect();
        Answer::json(
            200,
            json!({"items": items, "totalItems": 20, "pageInfo": {}}),
        )
    });
    let mut ep = endpoint(&server.url());
    ep.max_answer_bytes = 1 << 20;
    let e = sync_within(ep, Duration::from_secs(20)).unwrap_err();
    assert!(
        e.contains("the answer is over 1 MiB") && e.contains("max_answer_mb"),
        "{e}"
    );
}

#[test]
fn a_page_with_far_more_items_than_asked_is_an_error() {
    let server = TestServer::start(|_: &Request| {
        let items: Vec<Value> = (0..1000).map(group).collect();
        Answer::json(
            200,
            json!({"items": items, "totalItems": 1000, "pageInfo": {}}),
        )
    });
    let e = sync_within(endpoint(&server.url()), Duration::from_secs(20)).unwrap_err();
    assert!(e.contains("a page has 1000 items for a limit of 20"), "{e}");
}

#[test]
fn an_oversized_entity_is_skipped_with_an_error_and_the_rest_kept() {
    let server = TestServer::start(|_: &Request| {
        let mut big = group(2);
        big["metadata"]["description"] = json!("x".repeat(super::MAX_ENTITY_BYTES + 1));
        Answer::json(
            200,
            json!({"items": [group(1), big, group(3)], "totalItems": 3, "pageInfo": {}}),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let source = Source {
        name: "prod".into(),
        kind: SourceKind::Remote(endpoint(&server.url())),
    };
    let report = sync_source_with(&cache, &source, None, &SyncOptions::default()).unwrap();
    assert_eq!(report.snapshot.entity_count, 2);
    let messages: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("entity 'g2' is over 4 MiB; skipped")),
        "{messages:?}"
    );
}

#[test]
fn a_cancelled_sync_all_returns_promptly_and_writes_nothing() {
    use crate::remotes::{Cancel, Remotes};
    use crate::sync::{sync_all, SyncEvent};
    use std::sync::atomic::AtomicBool;
    use std::sync::Mutex;
    // Pages come slowly once `slow` is set: a first page, then 30 s each.
    let slow = Arc::new(AtomicBool::new(false));
    let slowly = slow.clone();
    let server = TestServer::start(move |r: &Request| {
        if slowly.load(Ordering::SeqCst) && r.target.contains("cursor=") {
            std::thread::sleep(Duration::from_secs(30));
        }
        let n = if r.target.contains("cursor=") { 2 } else { 1 };
        Answer::json(
            200,
            json!({"items": [group(n)], "totalItems": 3,
                   "pageInfo": {"nextCursor": format!("c{n}")}}),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let mut ep = endpoint(&server.url());
    ep.timeout = Duration::from_secs(60);
    let source = Source {
        name: "prod".into(),
        kind: SourceKind::Remote(ep),
    };
    // A first snapshot, from a server that ends its paging.
    let first = TestServer::start(|_: &Request| {
        Answer::json(
            200,
            json!({"items": [group(7)], "totalItems": 1, "pageInfo": {}}),
        )
    });
    let before = Source {
        name: "prod".into(),
        kind: SourceKind::Remote(endpoint(&first.url())),
    };
    sync_source_with(&cache, &before, None, &SyncOptions::default()).unwrap();
    let path = cache.snapshot_path("prod");
    let bytes_before = std::fs::read(&path).unwrap();

    slow.store(true, Ordering::SeqCst);
    let cancel = Cancel::new();
    let options = SyncOptions {
        cancel: Some(cancel.clone()),
        ..Default::default()
    };
    let canceller = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        canceller.cancel();
    });
    let events = Mutex::new(Vec::new());
    let started = std::time::Instant::now();
    let outcome = sync_all(
        &Remotes::new(),
        &cache,
        &[source.clone(), source],
        None,
        &options,
        &|e| events.lock().unwrap().push(e.clone()),
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(outcome.cancelled.as_deref(), Some("prod"));
    assert!(outcome.failed.is_empty() && outcome.reports.is_empty());
    // The second source was never started.
    let starts = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, SyncEvent::Source { .. }))
        .count();
    assert_eq!(starts, 1);
    // The previous snapshot is untouched and still answers.
    assert_eq!(std::fs::read(&path).unwrap(), bytes_before);
    let kept = cache.open_snapshot("prod").unwrap().unwrap();
    assert_eq!(kept.info.entity_count, 1);
    assert!(kept.has("group:default/g7").unwrap());
}

/// Every `(ref, json)` row of `source`'s snapshot, in order.
pub(super) fn stored_rows(cache: &Cache, source: &str) -> Vec<(String, Vec<u8>)> {
    let snap = cache.open_snapshot(source).unwrap().unwrap();
    let mut rows = Vec::new();
    snap.for_each_json(|key, json| {
        rows.push((key.to_string(), json.to_vec()));
        Ok(())
    })
    .unwrap();
    rows
}

#[test]
fn entities_are_stored_as_the_server_wrote_them_by_a_full_and_an_incremental_sync() {
    // The server's key order (metadata first), which callboard's own
    // serialisation would not give.
    let entity = |name: &str, etag: &str, description: &str| {
        json!({"metadata": {"namespace": "default", "name": name, "etag": etag,
                            "description": description, "uid": format!("u-{name}")},
               "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
               "spec": {"type": "service", "owner": "group:default/t"},
               "relations": [{"type": "ownedBy", "targetRef": "group:default/t"}]})
    };
    let catalog = Arc::new(std::sync::Mutex::new(vec![
        entity("a", "1", "é \u{1F600} \"quoted\""),
        entity("b", "1", "b"),
        entity("c", "1", "c"),
    ]));
    let served = catalog.clone();
    let server = TestServer::start(move |req: &Request| {
        let items = served.lock().unwrap().clone();
        if req.method == "POST" {
            return super::hostile_tests::by_refs(&items, req);
        }
        let fields = req.target.contains("fields=");
        let items: Vec<Value> = items
            .into_iter()
            .map(|e| {
                if fields {
                    json!({"kind": e["kind"], "metadata": {"namespace": "default",
                           "name": e["metadata"]["name"], "etag": e["metadata"]["etag"]}})
                } else {
                    e
                }
            })
            .collect();
        Answer::json(
            200,
            json!({"items": items, "totalItems": 3, "pageInfo": {}}),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let source = |name: &str| Source {
        name: name.into(),
        kind: SourceKind::Remote(endpoint(&server.url())),
    };
    let full = SyncOptions {
        full: true,
        ..SyncOptions::default()
    };
    sync_source_with(&cache, &source("inc"), None, &full).unwrap();
    let rows = stored_rows(&cache, "inc");
    let as_served: Vec<(String, Vec<u8>)> = catalog
        .lock()
        .unwrap()
        .iter()
        .map(|e| {
            (
                format!(
                    "component:default/{}",
                    e["metadata"]["name"].as_str().unwrap()
                ),
                serde_json::to_vec(e).unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, as_served);

    // Change one, drop one, add one: the incremental sync stores what a
    // full sync of the same catalog stores.
    {
        let mut c = catalog.lock().unwrap();
        c[1] = entity("b", "2", "b changed");
        c.remove(2);
        c.push(entity("d", "1", "d"));
    }
    let report = sync_source_with(&cache, &source("inc"), None, &SyncOptions::default()).unwrap();
    let stats = report.remote.unwrap();
    assert_eq!(
        (stats.mode, stats.fetched, stats.unchanged, stats.removed),
        ("incremental", 2, 1, 1)
    );
    sync_source_with(&cache, &source("full"), None, &full).unwrap();
    let mut inc = stored_rows(&cache, "inc");
    let mut whole = stored_rows(&cache, "full");
    inc.sort();
    whole.sort();
    assert_eq!(inc, whole);
    assert_eq!(whole.len(), 3);
}

/// The by-refs answer of a test server serving `items` (components in
/// `default`): each asked ref's entity, or null.
pub(super) fn by_refs(items: &[Value], req: &Request) -> Answer {
    let asked: Value = serde_json::from_slice(&req.body).unwrap();
    let found: Vec<Value> = asked["entityRefs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            items
                .iter()
                .find(|e| {
                    format!(
                        "component:default/{}",
                        e["metadata"]["name"].as_str().unwrap()
                    ) == r.as_str().unwrap()
                })
                .cloned()
                .unwrap_or(Value::Null)
        })
        .collect();
    Answer::json(200, json!({ "items": found }))
}
