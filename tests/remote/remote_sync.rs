//! Remote sources against a loopback fake of the Backstage catalog API that
//! serves the entities recorded from the real backend: full sync over
//! cursors, incremental sync by etag, filters, rules, progress, bytes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{recorded_entities, Server, TOKEN};
use callboard_io::cache::Cache;
use callboard_io::config::{Endpoint, Source, SourceKind};
use callboard_io::source::backstage::{Phase, RetryPolicy, SyncProgress};
use callboard_io::sync::{sync_source_with, SyncOptions};
use serde_json::{json, Value};

fn endpoint(url: &str) -> Endpoint {
    Endpoint {
        page_size: 10,
        // A command, so the test needs no environment variable.
        token: crate::support::token_command(TOKEN),
        ..Endpoint::from_url(url)
    }
}

fn source(name: &str, endpoint: Endpoint) -> Source {
    Source {
        name: name.to_string(),
        kind: SourceKind::Remote(endpoint),
    }
}

fn fast() -> SyncOptions {
    SyncOptions {
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(5),
        },
        ..Default::default()
    }
}

fn canonical(e: &Value) -> String {
    format!(
        "{}:{}/{}",
        e["kind"].as_str().unwrap(),
        e["metadata"]["namespace"].as_str().unwrap_or("default"),
        e["metadata"]["name"].as_str().unwrap()
    )
    .to_lowercase()
}

#[test]
fn a_full_sync_follows_every_cursor_and_keeps_entities_as_served() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::new(tmp.path());
    let seen: Arc<Mutex<Vec<SyncProgress>>> = Default::default();
    let sink = seen.clone();
    let options = SyncOptions {
        progress: Some(Arc::new(move |p: &SyncProgress| {
            sink.lock().unwrap().push(p.clone())
        })),
        ..fast()
    };
    let report = sync_source_with(
        &cache,
        &source("prod", endpoint(&server.url())),
        None,
        &options,
    )
    .unwrap();
    let recorded = recorded_entities();
    assert_eq!(report.snapshot.entity_count, recorded.len());
    let remote = report.remote.as_ref().unwrap();
    assert_eq!(remote.mode, "full");
    assert_eq!(remote.fetched, recorded.len());
    assert_eq!(
        remote.bytes_received,
        server
            .state
            .body_bytes
            .load(std::sync::atomic::Ordering::SeqCst)
    );

    // 78 entities at 10 a page: 8 pages, the first with no cursor, the rest
    // with the cursor percent-encoded (it holds `+ / =`).
    let log = server.state.logged();
    assert_eq!(log.len(), 8, "{log:#?}");
    assert!(!log[0].target.contains("cursor="));
    for l in &log[1..] {
        assert!(l.target.contains("cursor=c%2B"), "{}", l.target);
        assert!(l.target.contains("%3D%3D"), "{}", l.target);
        assert_eq!(l.status, 200);
        assert_eq!(
            l.authorization.as_deref(),
            Some(&*format!("Bearer {TOKEN}"))
        );
    }

    // Every entity is stored exactly as the server sent it, relations and
    // all, and remembers its source and endpoint.
    let snap = cache.open_snapshot("prod").unwrap().unwrap();
    for e in &recorded {
        let got = snap.entity(&canonical(e)).unwrap().unwrap();
        assert_eq!(got.entity.to_value(), *e, "{}", canonical(e));
        assert_eq!(got.origin.source, "prod");
        assert_eq!(got.origin.location, server.url());
    }

    // Progress went up to the whole catalog and its bytes.
    let seen = seen.lock().unwrap();
    assert_eq!(seen.last().unwrap().phase, Phase::Writing);
    let last = seen.iter().rev().find(|p| p.phase == Phase::Pages).unwrap();
    assert_eq!(last.entities, recorded.len());
    assert_eq!(last.total, Some(recorded.len() as u64));
    assert_eq!(last.bytes, remote.bytes_received);
    assert!(seen
        .windows(2)
        .all(|w| w[0].entities <= w[1].entities && w[0].bytes <= w[1].bytes));
}

#[test]
fn an_incremental_sync_fetches_only_what_changed_and_drops_what_went() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::new(tmp.path());
    let src = source("prod", endpoint(&server.url()));
    sync_source_with(&cache, &src, None, &fast()).unwrap();

    server.state.edit("tui-web", |e| {
        e["metadata"]["description"] = json!("edited on the server")
    });
    server.state.remove("tui-orders");
    let mut new = recorded_entities()
        .into_iter()
        .find(|e| e["metadata"]["name"] == "tui-web")
        .unwrap();
    new["metadata"]["name"] = json!("tui-brand-new");
    new["metadata"]["uid"] = json!("ffffffff-0000-0000-0000-000000000000");
    server.state.add(new);
    server.state.reset_counters();

    let report = sync_source_with(&cache, &src, None, &fast()).unwrap();
    let remote = report.remote.unwrap();
    assert_eq!(remote.mode, "incremental");
    assert_eq!(remote.fetched, 2, "{remote:?}");
    assert_eq!(remote.removed, 1, "{remote:?}");
    assert_eq!(remote.unchanged, 76, "{remote:?}");
    assert_eq!(report.snapshot.entity_count, 78);

    let log = server.state.logged();
    let listing: Vec<_> = log
        .iter()
        .filter(|l| l.target.contains("/by-query"))
        .collect();
    // The identity listing re-sends `fields` on every page.
    assert!(!listing.is_empty());
    for l in &listing {
        assert!(
            l.target
                .contains("fields=kind%2Cmetadata.namespace%2Cmetadata.name%2Cmetadata.etag"),
            "{}",
            l.target
        );
    }
    let by_refs: Vec<_> = log
        .iter()
        .filter(|l| l.target.contains("/by-refs"))
        .collect();
    assert_eq!(by_refs.len(), 1);

    let snap = cache.open_snapshot("prod").unwrap().unwrap();
    let web = snap.entity("component:default/tui-web").unwrap().unwrap();
    assert_eq!(
        web.entity.metadata.description.as_deref(),
        Some("edited on the server")
    );
    assert!(snap
        .entity("component:default/tui-brand-new")
        .unwrap()
        .is_some());
    assert!(snap
        .entity("component:default/tui-orders")
        .unwrap()
        .is_none());
    // Unchanged entities were carried over intact.
    for e in recorded_entities() {
        let name = e["metadata"]["name"].as_str().unwrap();
        if name != "tui-web" && name != "tui-orders" {
            assert_eq!(
                snap.entity(&canonical(&e))
                    .unwrap()
                    .unwrap()
                    .entity
                    .to_value(),
                e
            );
        }
    }
}

#[test]
fn an_unchanged_catalog_resyncs_with_under_a_tenth_of_the_bytes() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::new(tmp.path());
    let src = source(
        "prod",
        Endpoint {
            page_size: 500,
            ..endpoint(&server.url())
        },
    );
    let full = sync_source_with(&cache, &src, None, &fast())
        .unwrap()
        .remote
        .unwrap();
    let again = sync_source_with(&cache, &src, None, &fast())
        .unwrap()
        .remote
        .unwrap();
    assert_eq!(again.mode, "incremental");
    assert_eq!(again.fetched, 0);
    assert_eq!(again.unchanged, 78);
    let full_bytes = full.bytes_received + full.bytes_sent;
    let inc_bytes = again.bytes_received + again.bytes_sent;
    let ratio = inc_bytes as f64 / full_bytes as f64;
    eprintln!(
        "full {full_bytes} B, incremental {inc_bytes} B: {:.1} %",
        ratio * 100.0
    );
    assert!(ratio <= 0.10, "{ratio}");
    // `--full` downloads everything again.
    let forced = sync_source_with(
        &cache,
        &src,
        None,
        &SyncOptions {
            full: true,
            ..fast()
        },
    )
    .unwrap()
    .remote
    .unwrap();
    assert_eq!(forced.mode, "full");
}

#[test]
fn filters_go_to_the_server_and_rules_apply_to_what_comes_back() {
    let server = Server::start();
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::new(tmp.path());
    let ep = Endpoint {
        kinds: vec!["Component".into(), "API".into()],
        namespaces: vec!["default".into()],
        ..endpoint(&server.url())
    };
    let report = sync_source_with(&cache, &source("some", ep.clone()), None, &fast()).unwrap();
    let expected = recorded_entities()
        .iter()
        .filter(|e| matches!(e["kind"].as_str(), Some("Component" | "API")))
        .filter(|e| e["metadata"]["namespace"].as_str().unwrap_or("default") == "default")
        .count();
    assert!(expected > 10 && expected < 78);
    assert_eq!(report.snapshot.entity_count, expected);
    let first = &server.state.logged()[0];
    assert!(
        first
            .target
            .contains("filter=kind%3Dcomponent%2Ckind%3Dapi%2Cmetadata.namespace%3Ddefault"),
        "{}",
        first.target
    );

    // rules.allow (config) leaves out kinds client side, and changing what a
    // snapshot was synced from means a full sync, not an incremental one.
    let allow = vec!["Component".to_string()];
    let report = sync_source_with(&cache, &source("some", ep), Some(&allow), &fast()).unwrap();
    let remote = report.remote.unwrap();
    assert_eq!(remote.mode, "full");
    let components = recorded_entities()
        .iter()
        .filter(|e| e["kind"] == "Component" && e["metadata"]["namespace"] == "default")
        .count();
    assert_eq!(report.snapshot.entity_count, components);
    assert_eq!(remote.skipped, expected - components);
}

#[test]
fn a_bad_entity_is_a_problem_not_a_failed_sync() {
    let server = Server::start();
    server.state.add(
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
        "metadata": {"name": 42, "uid": "00000000-bad"}}),
    );
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::new(tmp.path());
    let report = sync_source_with(
        &cache,
        &source("prod", endpoint(&server.url())),
        None,
        &fast(),
    )
    .unwrap();
    assert_eq!(report.snapshot.entity_count, 78);
    assert_eq!(report.error_count(), 1, "{:?}", report.problems);
    assert!(report.problems[0].message.contains("not a valid entity"));
}
