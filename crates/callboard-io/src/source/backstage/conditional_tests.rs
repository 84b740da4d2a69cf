//! Conditional identity listings against a paging server on 127.0.0.1
//! that tags each page with an `ETag` (over its body, as Backstage's
//! express does) and may answer `If-None-Match` with `304`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::conditional::{read_tags, META_LISTING_TAGS};
use super::hostile_tests::{endpoint, stored_rows};
use crate::cache::Cache;
use crate::config::{Source, SourceKind};
use crate::sync::{sync_source_with, SyncOptions, SyncReport};
use crate::test_server::{Answer, Request, TestServer};

fn entity(name: &str, etag: &str) -> Value {
    json!({"metadata": {"namespace": "default", "name": name, "etag": etag,
                        "description": format!("{name} at {etag}")},
           "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
           "spec": {"type": "service", "owner": "group:default/t"},
           "relations": [{"type": "ownedBy", "targetRef": "group:default/t"}]})
}

struct Backend {
    server: TestServer,
    catalog: Arc<Mutex<Vec<Value>>>,
    /// Answer a matching `If-None-Match` with 304 (else always 200).
    honour: Arc<AtomicBool>,
}

/// `n` components served in pages of `limit` (the cursor is the offset),
/// each page with an `ETag` over its body when `etags`.
fn backend(n: usize, etags: bool) -> Backend {
    let catalog = Arc::new(Mutex::new(
        (0..n)
            .map(|i| entity(&format!("e{i:03}"), "1"))
            .collect::<Vec<_>>(),
    ));
    let honour = Arc::new(AtomicBool::new(true));
    let (served, honoured) = (catalog.clone(), honour.clone());
    let server = TestServer::start(move |req: &Request| {
        let items = served.lock().unwrap().clone();
        if req.method == "POST" {
            return super::hostile_tests::by_refs(&items, req);
        }
        let url = reqwest::Url::parse(&format!("http://x{}", req.target)).unwrap();
        let param = |k: &str| {
            url.query_pairs()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.into_owned())
        };
        let limit: usize = param("limit").unwrap().parse().unwrap();
        let from: usize = param("cursor").map_or(0, |c| c.parse().unwrap());
        let fields = param("fields").is_some();
        let page: Vec<Value> = items
            .iter()
            .skip(from)
            .take(limit)
            .map(|e| {
                if fields {
                    json!({"kind": e["kind"], "metadata": {"namespace": "default",
                           "name": e["metadata"]["name"], "etag": e["metadata"]["etag"]}})
                } else {
                    e.clone()
                }
            })
            .collect();
        let next = (from + limit < items.len()).then(|| (from + limit).to_string());
        let body = json!({"items": page, "totalItems": items.len(),
                          "pageInfo": {"nextCursor": next}});
        let answer = Answer::json(200, body);
        if !etags {
            return answer;
        }
        let tag = format!("W/\"{:x}\"", fnv(&answer.body));
        if honoured.load(Ordering::SeqCst) && req.if_none_match.as_deref() == Some(tag.as_str()) {
            return Answer::not_modified(tag);
        }
        answer.with_etag(tag)
    });
    Backend {
        server,
        catalog,
        honour,
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// Listing pages of 10 (page size 1 × 10), entity pages of 1.
fn source(name: &str, url: &str, page_size: u32) -> Source {
    let mut endpoint = endpoint(url);
    endpoint.page_size = page_size;
    Source {
        name: name.into(),
        kind: SourceKind::Remote(endpoint),
    }
}

fn sync(cache: &Cache, source: &Source, full: bool) -> SyncReport {
    let options = SyncOptions {
        full,
        ..SyncOptions::default()
    };
    sync_source_with(cache, source, None, &options).unwrap()
}

fn listing_requests(b: &Backend, from: usize) -> Vec<Request> {
    b.server.requests()[from..]
        .iter()
        .filter(|r| r.target.contains("fields="))
        .cloned()
        .collect()
}

/// The snapshot's rows by ref (an incremental sync writes the carried
/// ones first, a full sync in page order).
fn rows(cache: &Cache, name: &str) -> Vec<(String, Vec<u8>)> {
    let mut rows = stored_rows(cache, name);
    rows.sort();
    rows
}

fn tags_of(cache: &Cache, name: &str) -> usize {
    let snap = cache.open_snapshot(name).unwrap().unwrap();
    read_tags(snap.meta(META_LISTING_TAGS).unwrap().as_deref()).len()
}

#[test]
fn an_unchanged_listing_answers_304_and_keeps_the_snapshot() {
    let b = backend(25, true);
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let src = source("prod", &b.server.url(), 1);
    sync(&cache, &src, true);
    // A full sync lists no identities: nothing to send back yet.
    assert_eq!(tags_of(&cache, "prod"), 0);
    let first = sync(&cache, &src, false);
    assert!(!first.remote.as_ref().unwrap().not_modified);
    // 25 entities in listing pages of 10: three tags.
    assert_eq!(tags_of(&cache, "prod"), 3);
    let kept = stored_rows(&cache, "prod");
    let before = cache.open_snapshot("prod").unwrap().unwrap().info;

    let inode = || {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(cache.snapshot_path("prod"))
            .unwrap()
            .ino()
    };
    let file_before = inode();
    let seen = b.server.requests().len();
    let again = sync(&cache, &src, false);
    let stats = again.remote.unwrap();
    assert!(stats.not_modified);
    assert_eq!(
        inode(),
        file_before,
        "the snapshot file is kept, not rewritten"
    );
    assert_eq!(
        (
            stats.mode,
            stats.entities,
            stats.fetched,
            stats.unchanged,
            stats.removed
        ),
        ("incremental", 25, 0, 25, 0)
    );
    // No entity bytes: three bodiless 304s, nothing else.
    assert_eq!(stats.bytes_received, 0);
    let asked = b.server.requests()[seen..].to_vec();
    assert_eq!(asked.len(), 3);
    assert!(asked
        .iter()
        .all(|r| r.method == "GET" && r.if_none_match.is_some()));
    assert!(
        stored_rows(&cache, "prod") == kept,
        "the same rows in the same order"
    );
    let after = cache.open_snapshot("prod").unwrap().unwrap();
    assert_eq!(after.info.entity_count, 25);
    assert!(after.info.synced_at_ms >= before.synced_at_ms);
    assert_eq!(again.snapshot.entity_count, 25);
    // The tags stay for the next time.
    assert_eq!(tags_of(&cache, "prod"), 3);
    let third = sync(&cache, &src, false);
    assert!(third.remote.unwrap().not_modified);
}

/// A listing read in full (the first after a full sync, which keeps no
/// tags, or from a server that sends no `ETag`) that finds every entity
/// with the etag it has and none gone keeps the previous snapshot as it
/// is: nothing fetched, no row rewritten or reordered, the same contents;
/// only the sync time and the listing's tags move. A change after it is
/// synced as usual.
#[test]
fn a_listing_that_finds_nothing_changed_keeps_the_snapshot_as_it_is() {
    for etags in [false, true] {
        let b = backend(25, etags);
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let src = source("prod", &b.server.url(), 1);
        sync(&cache, &src, true);
        let rows_before = stored_rows(&cache, "prod");
        let contents_before = contents(&cache, "prod");
        let info_before = cache.open_snapshot("prod").unwrap().unwrap().info;
        let inode = |cache: &Cache| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(cache.snapshot_path("prod"))
                .unwrap()
                .ino()
        };
        let inode_before = inode(&cache);

        let seen = b.server.requests().len();
        let report = sync(&cache, &src, false);
        let stats = report.remote.unwrap();
        assert!(stats.nothing_changed, "etags {etags}");
        assert!(!stats.not_modified);
        assert_eq!(
            (
                stats.mode,
                stats.entities,
                stats.fetched,
                stats.unchanged,
                stats.removed
            ),
            ("incremental", 25, 0, 25, 0)
        );
        assert_eq!(report.snapshot.entity_count, 25);
        // The three listing pages, nothing else.
        let asked = b.server.requests()[seen..].to_vec();
        assert_eq!(asked.len(), 3);
        assert!(asked
            .iter()
            .all(|r| r.method == "GET" && r.target.contains("fields=")));
        assert!(
            stored_rows(&cache, "prod") == rows_before,
            "same rows, same order"
        );
        assert_eq!(contents(&cache, "prod"), contents_before);
        let after = cache.open_snapshot("prod").unwrap().unwrap().info;
        assert!(after.synced_at_ms >= info_before.synced_at_ms);
        assert_eq!(inode(&cache), inode_before, "the snapshot file is kept");
        assert_eq!(tags_of(&cache, "prod"), if etags { 3 } else { 0 });

        b.catalog.lock().unwrap()[7] = entity("e007", "2");
        let stats = sync(&cache, &src, false).remote.unwrap();
        assert!(!stats.nothing_changed && !stats.not_modified);
        assert_eq!((stats.fetched, stats.unchanged, stats.removed), (1, 24, 0));
        sync(&cache, &source("whole", &b.server.url(), 1), true);
        assert!(rows(&cache, "prod") == rows(&cache, "whole"));
    }
}

#[test]
fn a_changed_listing_still_syncs_the_change() {
    let b = backend(25, true);
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let src = source("prod", &b.server.url(), 1);
    sync(&cache, &src, true);
    sync(&cache, &src, false);
    // One change on the last listing page: the first two answer 304, the
    // last 200, so the listing is read again in full.
    {
        let mut c = b.catalog.lock().unwrap();
        c[22] = entity("e022", "2");
    }
    let seen = b.server.requests().len();
    let report = sync(&cache, &src, false);
    let stats = report.remote.unwrap();
    assert!(!stats.not_modified);
    assert_eq!((stats.fetched, stats.unchanged, stats.removed), (1, 24, 0));
    let listed = listing_requests(&b, seen);
    assert_eq!(listed.len(), 6, "three conditional pages, then three plain");
    assert!(listed[..3].iter().all(|r| r.if_none_match.is_some()));
    assert!(listed[3..].iter().all(|r| r.if_none_match.is_none()));
    // The same rows as a full sync of the changed catalog.
    sync(&cache, &source("whole", &b.server.url(), 1), true);
    assert!(rows(&cache, "prod") == rows(&cache, "whole"));
    // A change on the first page (and one entity gone): read at once.
    {
        let mut c = b.catalog.lock().unwrap();
        c[0] = entity("e000", "2");
        c.remove(5);
    }
    let seen = b.server.requests().len();
    let stats = sync(&cache, &src, false).remote.unwrap();
    assert_eq!((stats.fetched, stats.unchanged, stats.removed), (1, 23, 1));
    let listed = listing_requests(&b, seen);
    assert_eq!(listed.len(), 3);
    // Once a page is read, the rest are read too: no tags after it.
    assert!(listed[0].if_none_match.is_some());
    assert!(listed[1..].iter().all(|r| r.if_none_match.is_none()));
    sync(&cache, &source("whole", &b.server.url(), 1), true);
    assert!(rows(&cache, "prod") == rows(&cache, "whole"));
    // And unchanged since: 304.
    assert!(sync(&cache, &src, false).remote.unwrap().not_modified);
}

#[test]
fn a_server_ignoring_if_none_match_or_sending_no_etag_still_syncs() {
    for etags in [true, false] {
        let b = backend(25, etags);
        b.honour.store(false, Ordering::SeqCst);
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let src = source("prod", &b.server.url(), 1);
        sync(&cache, &src, true);
        sync(&cache, &src, false);
        assert_eq!(tags_of(&cache, "prod"), if etags { 3 } else { 0 });
        b.catalog.lock().unwrap()[3] = entity("e003", "2");
        let stats = sync(&cache, &src, false).remote.unwrap();
        assert!(!stats.not_modified);
        assert_eq!((stats.fetched, stats.unchanged), (1, 24));
        let stats = sync(&cache, &src, false).remote.unwrap();
        assert!(!stats.not_modified);
        assert_eq!((stats.fetched, stats.unchanged), (0, 25));
        sync(&cache, &source("whole", &b.server.url(), 1), true);
        assert!(rows(&cache, "prod") == rows(&cache, "whole"));
    }
}

#[test]
fn a_tag_is_sent_only_with_the_request_it_was_given_for() {
    let b = backend(25, true);
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    sync(&cache, &source("prod", &b.server.url(), 1), true);
    sync(&cache, &source("prod", &b.server.url(), 1), false);
    assert_eq!(tags_of(&cache, "prod"), 3);
    // Another page size is another listing request (limit 20): no tag
    // goes with it, and the answer is read.
    let seen = b.server.requests().len();
    let stats = sync(&cache, &source("prod", &b.server.url(), 2), false)
        .remote
        .unwrap();
    assert!(!stats.not_modified);
    let listed = listing_requests(&b, seen);
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|r| r.if_none_match.is_none()));
    // Its own tags replace the old ones.
    assert_eq!(tags_of(&cache, "prod"), 2);
    assert!(
        sync(&cache, &source("prod", &b.server.url(), 2), false)
            .remote
            .unwrap()
            .not_modified
    );
}

/// A `304` re-sync reads no listing, so it reports the count of entities
/// `rules.allow` left out that the last reading found (not 0).
#[test]
fn a_304_re_sync_reports_the_entities_left_out_by_the_rules() {
    let b = backend(25, true);
    for e in b.catalog.lock().unwrap().iter_mut().take(5) {
        e["kind"] = json!("Group");
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let src = source("prod", &b.server.url(), 1);
    let allowed = vec!["Component".to_string()];
    let run = |full: bool| {
        let options = SyncOptions {
            full,
            ..SyncOptions::default()
        };
        sync_source_with(&cache, &src, Some(&allowed), &options)
            .unwrap()
            .remote
            .unwrap()
    };
    let full = run(true);
    assert_eq!((full.entities, full.skipped), (20, 5));
    let listed = run(false);
    assert!(!listed.not_modified);
    assert_eq!((listed.entities, listed.skipped), (20, 5));
    let again = run(false);
    assert!(again.not_modified);
    assert_eq!((again.entities, again.skipped), (20, 5));
    let third = run(false);
    assert!(third.not_modified);
    assert_eq!(third.skipped, 5);
}

/// Every table but `meta` (rows, etags, outside edges, problems) sorted,
/// and the corpus's records sorted by ref: what a snapshot holds whatever
/// order its sync wrote it in.
fn contents(cache: &Cache, name: &str) -> (Vec<Vec<String>>, Vec<String>) {
    let snap = cache.open_snapshot(name).unwrap().unwrap();
    let path = snap.info.path.clone();
    let mut records: Vec<String> = snap
        .search_records()
        .unwrap()
        .iter()
        .map(|r| format!("{r:?}"))
        .collect();
    records.sort();
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut tables = Vec::new();
    for query in [
        "SELECT ref || ' ' || name || ' ' || source || ' ' || location || ' ' || CAST(json AS TEXT) FROM entities",
        "SELECT ref || ' ' || etag FROM entities WHERE etag IS NOT NULL",
        "SELECT ref || ' ' || type || ' ' || target FROM outside_edges",
        "SELECT json FROM problems",
    ] {
        let mut rows: Vec<String> = conn
            .prepare(query)
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        tables.push(rows);
    }
    (tables, records)
}

/// A component depending on the components `on`, as the server sends it
/// (its relations computed, targets as written).
fn depending(name: &str, etag: &str, on: &[&str]) -> Value {
    let mut e = entity(name, etag);
    let relations = e["relations"].as_array_mut().unwrap();
    for target in on {
        relations
            .push(json!({"type": "dependsOn", "targetRef": format!("component:default/{target}")}));
    }
    e
}

/// An incremental sync carries unchanged rows over with the search
/// records and outside edges the previous snapshot kept for them (none
/// parsed again), and still writes exactly what a full sync writes, when
/// entities change, go and come: an edge to a deleted entity becomes an
/// outside edge, one to an added entity stops being one.
#[test]
fn carried_rows_keep_their_records_and_outside_edges_as_a_full_sync_writes_them() {
    let b = backend(0, true);
    *b.catalog.lock().unwrap() = (0..30)
        .map(|i| {
            let next = format!("e{:03}", i + 1);
            let outside = format!("ext{}", i % 3);
            depending(&format!("e{i:03}"), "1", &[&next, &outside])
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().join("inc"));
    let src = source("prod", &b.server.url(), 1);
    sync(&cache, &src, true);
    let first = sync(&cache, &src, false).remote.unwrap();
    assert_eq!((first.unchanged, first.fetched), (30, 0));

    // The snapshot an incremental sync wrote carries over without a parse.
    let scratch = Cache::new(dir.path().join("scratch"));
    let previous = cache.open_snapshot("prod").unwrap().unwrap();
    let old = previous.etags().unwrap();
    let all: std::collections::HashSet<String> = old.keys().cloned().collect();
    let mut writer = scratch.begin_snapshot("prod", "x").unwrap();
    let origin = callboard_core::catalog::Origin {
        source: "prod".into(),
        location: b.server.url(),
        line: None,
    };
    let carried = super::sync::carry_kept(&mut writer, &previous, &all, &old, &origin).unwrap();
    assert_eq!(carried, Some(30));
    drop((writer, previous));

    {
        let mut catalog = b.catalog.lock().unwrap();
        // Changed: e005 (now also depending on an upper-case ref).
        catalog[5] = depending("e005", "2", &["E011", "ext9"]);
        // Gone: e010 (e009 depends on it) and e020.
        catalog.retain(|e| e["metadata"]["name"] != "e010" && e["metadata"]["name"] != "e020");
        // New: e030 (e029 depends on it) and e031.
        catalog.push(depending("e030", "1", &["e000"]));
        catalog.push(depending("e031", "1", &["e010"]));
    }
    let stats = sync(&cache, &src, false).remote.unwrap();
    assert_eq!((stats.unchanged, stats.fetched, stats.removed), (27, 3, 2));
    let full = Cache::new(dir.path().join("full"));
    sync(&full, &src, true);
    let (inc_tables, inc_records) = contents(&cache, "prod");
    let (full_tables, full_records) = contents(&full, "prod");
    assert_eq!(inc_tables, full_tables);
    assert_eq!(inc_records, full_records);
    let edges = &inc_tables[2];
    assert!(
        edges.contains(&"component:default/e010 dependencyOf component:default/e009".to_string())
    );
    assert!(
        edges.contains(&"component:default/e010 dependencyOf component:default/e031".to_string())
    );
    assert!(!edges
        .iter()
        .any(|e| e.starts_with("component:default/e030 ")));
    assert!(
        !edges.contains(&"component:default/e011 dependencyOf component:default/e005".to_string())
    );
    assert!(edges
        .iter()
        .any(|e| e.starts_with("component:default/ext9 ")));
}

/// A snapshot of the format before 6 (etags in a table of their own, no
/// `etag` column) is not used: the next sync, even an incremental one, is
/// a full sync (no listing, no `If-None-Match` from the old tags), and
/// writes what a fresh full sync writes; the sync after it is incremental
/// again.
#[test]
fn a_snapshot_of_the_older_format_is_replaced_by_a_full_sync() {
    let b = backend(25, true);
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let src = source("prod", &b.server.url(), 1);
    sync(&cache, &src, true);
    sync(&cache, &src, false);
    assert_eq!(tags_of(&cache, "prod"), 3);
    // Rewrite it as format 5 wrote it.
    let path = cache.snapshot_path("prod");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE etags (ref TEXT PRIMARY KEY, etag TEXT NOT NULL) WITHOUT ROWID;
             INSERT INTO etags SELECT ref, etag FROM entities WHERE etag IS NOT NULL;
             ALTER TABLE entities DROP COLUMN etag;
             UPDATE meta SET value = '5' WHERE key = 'format_version';",
        )
        .unwrap();
    }
    assert!(cache.open_snapshot("prod").unwrap().is_none());
    let seen = b.server.requests().len();
    let stats = sync(&cache, &src, false).remote.unwrap();
    assert_eq!((stats.mode, stats.entities), ("full", 25));
    assert!(!stats.not_modified);
    let asked = b.server.requests()[seen..].to_vec();
    assert!(asked
        .iter()
        .all(|r| !r.target.contains("fields=") && r.if_none_match.is_none()));
    let snap = cache.open_snapshot("prod").unwrap().unwrap();
    assert_eq!(snap.info.entity_count, 25);
    assert_eq!(snap.etags().unwrap().len(), 25);
    drop(snap);
    let fresh = Cache::new(dir.path().join("fresh"));
    sync(&fresh, &src, true);
    assert_eq!(contents(&cache, "prod"), contents(&fresh, "prod"));
    let again = sync(&cache, &src, false).remote.unwrap();
    assert_eq!(
        (again.mode, again.unchanged, again.fetched),
        ("incremental", 25, 0)
    );
}
