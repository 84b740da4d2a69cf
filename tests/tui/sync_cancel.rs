//! A sync started in the TUI can be cancelled: `s` again (or `:sync
//! cancel`) stops the download at once, the previous snapshot stays and
//! still answers, and the next sync runs.

use std::time::{Duration, Instant};

use callboard_io::cache::Cache;
use callboard_io::config::{Endpoint, Source, SourceKind};
use callboard_tui::testing::Harness;
use callboard_tui::workers::WorkerConfig;

use crate::support::{token_command, Fault, Server};

fn config(server: &Server, dir: &tempfile::TempDir) -> (WorkerConfig, Endpoint) {
    let cache = Cache::new(dir.path().join("cache"));
    let mut endpoint = Endpoint::from_url(&server.url());
    endpoint.token = token_command(crate::support::TOKEN);
    let config = WorkerConfig {
        cache,
        sources: vec![Source {
            name: "prod".into(),
            kind: SourceKind::Remote(endpoint.clone()),
        }],
        allowed_kinds: None,
        remotes: Default::default(),
    };
    (config, endpoint)
}

fn harness(server: &Server) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let (config, endpoint) = config(server, &dir);
    let cache = &config.cache;
    // The snapshot from an earlier sync, as this endpoint's identity.
    let entities = callboard_tui::testing::entities(callboard_tui::testing::fixture());
    cache
        .write_snapshot("prod", &server.url(), &entities, &[])
        .unwrap();
    let who = callboard_io::sync::identity(&Default::default(), "prod", &endpoint);
    let db = rusqlite::Connection::open(cache.snapshot_path("prod")).unwrap();
    db.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
        [callboard_io::sync::META_PRINCIPAL, who.as_str()],
    )
    .unwrap();
    drop(db);
    Harness::start(
        config,
        dir,
        (100, 30),
        callboard_tui::theme::Theme::default_theme(),
    )
}

fn status_line(h: &mut Harness) -> String {
    h.render().lines().last().unwrap_or_default().to_string()
}

fn wait_for_sync_of(h: &mut Harness, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.app.sync.as_ref().is_none_or(|s| s.current != name) {
        assert!(Instant::now() < deadline, "the sync did not start");
        h.pump();
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn snapshot_count(h: &Harness) -> (usize, bool) {
    let cache = Cache::new(h.dir.path().join("cache"));
    let snapshot = cache.open_snapshot("prod").unwrap().expect("a snapshot");
    (
        snapshot.info.entity_count,
        snapshot.has("component:default/payments-service").unwrap(),
    )
}

#[test]
fn a_tui_sync_against_a_slow_server_is_cancelled_and_the_old_snapshot_stays() {
    let server = Server::start();
    let mut h = harness(&server);
    let fixture_count = callboard_tui::testing::fixture().len();
    assert_eq!(snapshot_count(&h), (fixture_count, true));
    assert!(h.app.catalog.progress.matched > 0);
    // From the query line to the list, where `s` syncs.
    h.key("esc");

    for cancel_with in ["s", ":sync cancel<enter>"] {
        // The server takes 30 s to answer (and then closes).
        server
            .state
            .fault("/api/catalog", Fault::NoAnswer(Duration::from_secs(30)));
        h.key_no_settle("s");
        wait_for_sync_of(&mut h, "prod");
        // Let the request reach the server.
        std::thread::sleep(Duration::from_millis(300));
        h.pump();
        let status = status_line(&mut h);
        assert!(
            status.contains("syncing prod (1/1) — s cancels"),
            "{status}"
        );

        let started = Instant::now();
        if cancel_with == "s" {
            h.key_no_settle("s");
        } else {
            for c in cancel_with.strip_suffix("<enter>").unwrap().chars() {
                h.key_no_settle(&if c == ' ' {
                    "space".to_string()
                } else {
                    c.to_string()
                });
            }
            h.key_no_settle("enter");
        }
        let status = status_line(&mut h);
        assert!(status.contains("cancelling…"), "{cancel_with}: {status}");
        h.settle();
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "{cancel_with}: {took:?}");
        assert!(h.app.sync.is_none());
        let message = h.app.message.clone().expect("a message").text;
        assert!(
            message.contains("sync of 'prod' cancelled; the previous snapshot is kept"),
            "{cancel_with}: {message}"
        );
        // Not a failure: the source is not shown as offline.
        let status = status_line(&mut h);
        assert!(!status.contains("offline"), "{status}");
        // The old snapshot is whole and still answers.
        assert_eq!(snapshot_count(&h), (fixture_count, true), "{cancel_with}");
        assert!(h.app.catalog.progress.matched > 0);
    }

    // The worker is free: the next sync runs to the end and replaces it.
    let served = crate::support::recorded_entities().len();
    h.key("s");
    let message = h.app.message.clone().expect("a message").text;
    assert!(message.contains("synced 1 source"), "{message}");
    assert_eq!(snapshot_count(&h).0, served);
}

#[test]
fn the_first_sync_at_start_is_cancelled_too_and_says_so() {
    let server = Server::start();
    server
        .state
        .fault("/api/catalog", Fault::NoAnswer(Duration::from_secs(30)));
    let dir = tempfile::tempdir().unwrap();
    let (config, _) = config(&server, &dir);
    // Never synced: the catalog load syncs it first.
    let mut h = Harness::start_unsettled(
        config,
        dir,
        (100, 30),
        callboard_tui::theme::Theme::default_theme(),
    );
    wait_for_sync_of(&mut h, "prod");
    std::thread::sleep(Duration::from_millis(300));
    h.pump();
    let status = status_line(&mut h);
    assert!(
        status.contains("syncing prod (1/1) — s cancels"),
        "{status}"
    );
    let started = Instant::now();
    h.key_no_settle("esc");
    h.key_no_settle("s");
    h.settle();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    let screen = h.render();
    assert!(
        screen.contains("the sync of 'prod' was cancelled"),
        "{screen}"
    );
    assert!(!screen.contains("Add sources to the config"), "{screen}");
    let cache = Cache::new(h.dir.path().join("cache"));
    assert!(cache.open_snapshot("prod").unwrap().is_none());
    // `s` syncs it now.
    h.key("s");
    assert_eq!(
        snapshot_count(&h).0,
        crate::support::recorded_entities().len()
    );
    assert!(h.app.catalog.progress.matched > 0);
}
