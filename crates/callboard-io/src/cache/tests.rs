//! The snapshot store's tests.

use super::*;
use callboard_core::catalog::{Entity, EntityLookup};
use serde_json::json;

fn entity(name: &str) -> CatalogEntity {
    CatalogEntity {
        entity: Entity::from_value(json!({
            "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": name},
            "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}
        }))
        .unwrap(),
        origin: Origin {
            source: "s".into(),
            location: "file:/x.yaml".into(),
            line: Some(3),
        },
    }
}

#[test]
fn snapshots_round_trip_and_record_their_sync() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    assert!(cache.open_snapshot("local repos").unwrap().is_none());
    cache
        .write_snapshot("local repos", "/src", &[entity("Web"), entity("db")], &[])
        .unwrap();
    let snap = cache.open_snapshot("local repos").unwrap().unwrap();
    assert_eq!(snap.info.entity_count, 2);
    assert_eq!(snap.info.origin, "/src");
    assert!(snap.info.age() < Duration::from_secs(60));
    let web = snap.entity("component:default/web").unwrap().unwrap();
    assert_eq!(web.entity, entity("Web").entity);
    assert_eq!(web.origin.line, Some(3));
    assert_eq!(
        snap.refs_named("WEB").unwrap(),
        vec!["component:default/web"]
    );
    assert_eq!(snap.all_entities().unwrap().len(), 2);
    let corpus = callboard_core::search::decode_corpus(&snap.corpus_bytes().unwrap()).unwrap();
    assert_eq!(corpus.len(), 2);
}

#[test]
fn a_reader_keeps_its_snapshot_while_a_sync_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    cache
        .write_snapshot("s", "o", &[entity("old")], &[])
        .unwrap();
    let reader = cache.open_snapshot("s").unwrap().unwrap();
    cache
        .write_snapshot("s", "o", &[entity("new")], &[])
        .unwrap();
    assert!(reader.entity("component:default/old").unwrap().is_some());
    let fresh = cache.open_snapshot("s").unwrap().unwrap();
    assert!(fresh.entity("component:default/new").unwrap().is_some());
    assert!(fresh.entity("component:default/old").unwrap().is_none());
    // No temp files are left behind.
    let leftovers: Vec<_> = fs::read_dir(dir.path().join("snapshots"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn concurrent_syncs_of_one_source_never_corrupt_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    std::thread::scope(|s| {
        for t in 0..4 {
            let cache = cache.clone();
            s.spawn(move || {
                for i in 0..5 {
                    let entities: Vec<_> =
                        (0..50).map(|n| entity(&format!("t{t}-{i}-{n}"))).collect();
                    cache.write_snapshot("shared", "o", &entities, &[]).unwrap();
                }
            });
        }
    });
    let snap = cache.open_snapshot("shared").unwrap().unwrap();
    assert_eq!(snap.info.entity_count, 50);
    assert_eq!(snap.all_entities().unwrap().len(), 50);
}

#[test]
fn a_garbage_snapshot_is_reported_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    fs::create_dir_all(dir.path().join("snapshots")).unwrap();
    fs::write(cache.snapshot_path("s"), b"not a database").unwrap();
    let err = format!("{:#}", cache.open_snapshot("s").unwrap_err());
    assert!(
        err.contains("callboard sync") || err.contains("cannot open"),
        "{err}"
    );
}

#[test]
fn file_names_are_safe_and_distinct() {
    assert_ne!(file_stem("a/b"), file_stem("a_b"));
    assert!(!file_stem("../../etc").contains('/'));
}

/// Overwrite `len` bytes at `at` with a pattern, as a disk fault would.
fn damage(path: &Path, at: u64, len: usize) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = OpenOptions::new().write(true).open(path).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(&vec![0xA5; len]).unwrap();
}

fn is_damage(e: &anyhow::Error) -> bool {
    let text = format!("{e:#}");
    e.is::<CacheDamaged>()
        && text.contains("the cache of 's' is damaged")
        && text.contains("callboard sync --full")
}

#[test]
fn damage_anywhere_in_a_snapshot_is_detected_not_answered_from() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let many: Vec<CatalogEntity> = (0..400).map(|i| entity(&format!("svc-{i}"))).collect();
    cache.write_snapshot("s", "o", &many, &[]).unwrap();
    let path = cache.snapshot_path("s");
    let len = fs::metadata(&path).unwrap().len();
    let pristine = fs::read(&path).unwrap();
    // Mid-file: pages of entities, the corpus, the indexes.
    for at in [len / 4, len / 2, len * 3 / 4] {
        fs::write(&path, &pristine).unwrap();
        damage(&path, at, 40_000.min((len - at) as usize));
        let e = cache.open_snapshot("s").unwrap_err();
        assert!(is_damage(&e), "at {at}: {e:#}");
    }
    // The header, and the whole file.
    fs::write(&path, &pristine).unwrap();
    damage(&path, 0, 100);
    assert!(is_damage(&cache.open_snapshot("s").unwrap_err()));
    fs::write(&path, vec![0x5A; len as usize]).unwrap();
    assert!(is_damage(&cache.open_snapshot("s").unwrap_err()));
}

/// The corpus file a snapshot of `source` names.
fn corpus_path(cache: &Cache, source: &str) -> PathBuf {
    let path = cache.snapshot_path(source);
    let snap = Snapshot::open_unchecked(&path, source).unwrap();
    let name = snap.meta(META_CORPUS_FILE).unwrap().expect("a corpus file");
    path.with_file_name(name)
}

#[test]
fn the_corpus_is_a_file_named_by_its_checksum_beside_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let many: Vec<CatalogEntity> = (0..400).map(|i| entity(&format!("svc-{i}"))).collect();
    cache.write_snapshot("s", "o", &many, &[]).unwrap();
    let at = corpus_path(&cache, "s");
    let bytes = fs::read(&at).unwrap();
    let snap = cache.open_snapshot("s").unwrap().unwrap();
    assert_eq!(snap.corpus_bytes().unwrap(), bytes);
    let stem = cache
        .snapshot_path("s")
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(
        at.file_name().unwrap().to_string_lossy(),
        format!("{stem}.{:016x}.corpus", checksum4(&bytes))
    );
    // No temp file is left behind.
    let names: Vec<String> = fs::read_dir(at.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn a_new_snapshot_removes_the_corpus_file_of_the_old_but_readers_keep_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let first: Vec<CatalogEntity> = (0..300).map(|i| entity(&format!("a-{i}"))).collect();
    cache.write_snapshot("s", "o", &first, &[]).unwrap();
    cache.write_snapshot("t", "o", &first, &[]).unwrap();
    let old_file = corpus_path(&cache, "s");
    let reader = cache.open_snapshot("s").unwrap().unwrap();
    let second: Vec<CatalogEntity> = (0..300).map(|i| entity(&format!("b-{i}"))).collect();
    cache.write_snapshot("s", "o", &second, &[]).unwrap();
    let new_file = corpus_path(&cache, "s");
    assert_ne!(old_file, new_file);
    assert!(!old_file.exists(), "the old corpus file is removed");
    assert!(new_file.exists());
    // Another source's corpus file stays.
    assert!(corpus_path(&cache, "t").exists());
    // The reader opened before still searches its own snapshot.
    let corpus = reader.corpus().unwrap().unwrap();
    assert_eq!(corpus.len(), 300);
    assert!(corpus.get(0).unwrap().name().starts_with("a-"));
    let now = cache.open_snapshot("s").unwrap().unwrap();
    assert!(now
        .corpus()
        .unwrap()
        .unwrap()
        .get(0)
        .unwrap()
        .name()
        .starts_with("b-"));
}

#[test]
fn a_missing_corpus_file_is_damage_only_for_the_search() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    cache
        .write_snapshot("s", "o", &[entity("web")], &[])
        .unwrap();
    let at = corpus_path(&cache, "s");
    fs::remove_file(&at).unwrap();
    let snap = cache.open_snapshot("s").unwrap().unwrap();
    // One entity is still answered from the snapshot.
    assert!(snap.entity("component:default/web").unwrap().is_some());
    let e = snap.corpus().unwrap_err();
    assert!(is_damage(&e), "{e:#}");
    let name = at.file_name().unwrap().to_string_lossy().into_owned();
    assert!(format!("{e:#}").contains(&name), "{e:#}");
    assert!(is_damage(&snap.corpus_bytes().unwrap_err()));
}

#[test]
fn a_corpus_file_name_that_is_a_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    cache
        .write_snapshot("s", "o", &[entity("web")], &[])
        .unwrap();
    let path = cache.snapshot_path("s");
    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
    let outside = dir.path().join("outside.corpus");
    fs::copy(corpus_path(&cache, "s"), &outside).unwrap();
    for name in [
        "../outside.corpus".to_string(),
        outside.display().to_string(),
        format!("{stem}.0123.corpus"),
        format!("other.{:016x}.corpus", 1),
    ] {
        let conn = Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'corpus_file'",
            [&name],
        )
        .unwrap();
        drop(conn);
        let snap = Snapshot::open_unchecked(&path, "s").unwrap();
        assert!(is_damage(&snap.corpus().unwrap_err()), "{name}");
    }
}

#[test]
fn a_damaged_corpus_file_fails_its_checksum() {
    // Below and above the size (10,000 records) whose checksum runs
    // beside the parse, and below and above the size from which the file
    // is mapped.
    for n in [400, 10_005] {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let many: Vec<CatalogEntity> = (0..n).map(|i| entity(&format!("svc-{i}"))).collect();
        cache.write_snapshot("s", "o", &many, &[]).unwrap();
        let snap = cache.open_snapshot("s").unwrap().unwrap();
        let good = snap.corpus_bytes().unwrap();
        assert_eq!(
            good.len() as u64 >= corpus_read::MAP_MIN_BYTES,
            n > 400,
            "{n} records: {} bytes",
            good.len()
        );
        let corpus = snap.corpus().unwrap().unwrap();
        assert_eq!(corpus.len(), n);
        assert_eq!(corpus.encode(), good);
        drop((snap, corpus));
        // A flipped byte in the text, then in the meta section: damage.
        let at_file = corpus_path(&cache, "s");
        for at in [good.len() / 3, good.len() - 200] {
            let mut bytes = good.clone();
            bytes[at] ^= 0x01;
            // A new file, as a disk fault would not leave the old mapped.
            fs::remove_file(&at_file).unwrap();
            fs::write(&at_file, &bytes).unwrap();
            let snap = cache.open_snapshot("s").unwrap().unwrap();
            assert!(
                is_damage(&snap.corpus().unwrap_err()),
                "{n} records, byte {at}"
            );
            assert!(is_damage(&snap.corpus_bytes().unwrap_err()));
        }
    }
}

#[test]
fn the_four_lane_checksum_sees_every_byte() {
    let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
    for len in [0, 1, 7, 8, 31, 32, 33, 64, 999, 1000] {
        let base = checksum4(&bytes[..len]);
        for at in 0..len {
            let mut flipped = bytes[..len].to_vec();
            flipped[at] ^= 0x01;
            assert_ne!(checksum4(&flipped), base, "len {len}, byte {at}");
        }
        if len > 0 {
            assert_ne!(checksum4(&bytes[..len - 1]), base, "len {len}");
        }
    }
}

fn stitched(docs: Vec<serde_json::Value>, source: &str) -> Vec<CatalogEntity> {
    use callboard_core::catalog::relations::{emit_relations, stitch};
    let mut list: Vec<Entity> = docs
        .into_iter()
        .map(|d| Entity::from_value(d).unwrap())
        .collect();
    let emitted: Vec<_> = list
        .iter()
        .flat_map(|e| emit_relations(e).unwrap())
        .collect();
    stitch(&mut list, emitted);
    list.into_iter()
        .map(|entity| CatalogEntity {
            entity,
            origin: Origin {
                source: source.into(),
                location: "file:/x.yaml".into(),
                line: None,
            },
        })
        .collect()
}

fn component(name: &str, owner: &str) -> serde_json::Value {
    json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
           "metadata": {"name": name}, "spec": {"owner": owner, "dependsOn": ["resource:db"]}})
}

fn targets(store: &Store, key: &str, relation: &str) -> Vec<String> {
    store
        .get(key)
        .unwrap()
        .entity
        .relations()
        .iter()
        .filter(|r| r.relation_type == relation)
        .map(|r| r.target_ref.clone())
        .collect()
}

#[test]
fn reverse_edges_cross_sources_and_survive_syncing_one() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let org = stitched(
        vec![
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                   "metadata": {"name": "team-a"}, "spec": {"type": "team", "children": []}}),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                   "metadata": {"name": "team-b"}, "spec": {"type": "team", "children": []}}),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Resource",
                   "metadata": {"name": "db"}, "spec": {"owner": "team-b"}}),
            // Shadowed by the services' copy, which team-b owns: its
            // edge to team-c (a group of the services) does not count.
            component("web", "team-c"),
        ],
        "org",
    );
    let services = stitched(
        vec![
            component("web", "team-b"),
            component("api", "team-a"),
            json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
                   "metadata": {"name": "team-c"}, "spec": {"type": "team", "children": []}}),
        ],
        "services",
    );
    cache
        .write_snapshot("services", "s", &services, &[])
        .unwrap();
    cache.write_snapshot("org", "o", &org, &[]).unwrap();
    let open = || {
        Store::new(vec![
            cache.open_snapshot("services").unwrap().unwrap(),
            cache.open_snapshot("org").unwrap().unwrap(),
        ])
    };
    let store = open();
    assert_eq!(
        targets(&store, "group:default/team-a", "ownerOf"),
        ["component:default/api"]
    );
    assert!(
        targets(&store, "group:default/team-c", "ownerOf").is_empty(),
        "the org's copy of web is shadowed by the services' one"
    );
    assert_eq!(
        targets(&store, "group:default/team-b", "ownerOf"),
        ["component:default/web", "resource:default/db"]
    );
    assert_eq!(
        targets(&store, "resource:default/db", "dependencyOf"),
        ["component:default/api", "component:default/web"]
    );
    assert!(store.contains("component:default/api"));
    assert!(!store.contains("component:default/nope"));
    // Syncing the org again (the services' snapshot untouched) keeps
    // the edges the services give it.
    cache.write_snapshot("org", "o", &org, &[]).unwrap();
    let store = open();
    assert_eq!(
        targets(&store, "group:default/team-a", "ownerOf"),
        ["component:default/api"]
    );
    // One source alone: nothing from outside.
    let alone = Store::new(vec![cache.open_snapshot("org").unwrap().unwrap()]);
    assert!(targets(&alone, "group:default/team-a", "ownerOf").is_empty());
}

/// Duplicates are found in memory (the unique index on `ref` is built at
/// the finish): whichever way a row comes in, the first one of a ref
/// counts and a later one is refused, also after the ref was first seen
/// only as a relation's target.
#[test]
fn the_first_row_of_a_ref_wins_whichever_way_it_is_added() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let mut w = cache.begin_snapshot("s", "o").unwrap();
    let mut uses_db = entity("web");
    uses_db.entity = Entity::from_value(json!({
        "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
        "metadata": {"name": "web"},
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"},
        "relations": [{"type": "dependsOn", "targetRef": "component:default/db"}]
    }))
    .unwrap();
    assert!(w.add(&uses_db).unwrap());
    assert!(w.add(&entity("db")).unwrap(), "a target becomes an entity");
    let mut second_web = entity("web");
    second_web.origin.line = Some(99);
    assert!(!w.add(&second_web).unwrap());
    assert!(!w.add_json(&second_web, b"{}").unwrap());
    let cache_json = serde_json::to_vec(&entity("cache").entity).unwrap();
    let row = |key| RowRef {
        key,
        name: "cache",
        source: "s",
        location: "file:/y.yaml",
        line: Some(7),
        json: &cache_json,
        etag: None,
    };
    let record = callboard_core::search::SearchRecord::from_entity(&second_web.entity);
    assert!(!w
        .add_row(row("component:default/web"), record.clone())
        .unwrap());
    assert!(!w
        .add_carried(row("component:default/db"), record.clone())
        .unwrap());
    assert!(w
        .add_carried(row("component:default/cache"), record)
        .unwrap());
    assert_eq!(w.len(), 3);
    w.finish(&[]).unwrap();
    let snap = cache.open_snapshot("s").unwrap().unwrap();
    assert_eq!(snap.info.entity_count, 3);
    assert_eq!(snap.all_entities().unwrap().len(), 3);
    let web = snap.entity("component:default/web").unwrap().unwrap();
    assert_eq!(web.origin.line, Some(3), "the first row of the ref");
    assert!(snap.has("component:default/cache").unwrap());
}

/// A sync of source "s" that finds nothing changed, at `ms`, setting
/// `meta`; the snapshot opened after it.
fn sync_unchanged(cache: &Cache, ms: u64, meta: &[(&str, &str)]) -> (SnapshotInfo, Snapshot) {
    let mut w = cache.begin_snapshot("s", "o").unwrap();
    for (key, value) in meta {
        w.set_meta(key, value);
    }
    let current = cache.open_snapshot("s").unwrap().unwrap();
    let info = w.finish_unchanged_at(current, ms).unwrap();
    (info, cache.open_snapshot("s").unwrap().unwrap())
}

/// A sync that finds nothing changed leaves the snapshot file as it is and
/// stamps it: readers opening it from then on see the new sync time and
/// meta values (kept across stamps, a later value winning); a new
/// snapshot drops the stamp, and a stamp of another snapshot is ignored.
#[test]
fn an_unchanged_sync_stamps_the_snapshot_instead_of_rewriting_it() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path());
    let mut w = cache.begin_snapshot("s", "o").unwrap();
    w.add(&entity("web")).unwrap();
    w.set_meta("listing", "v1");
    w.finish_at(&[], 1_000).unwrap();
    let path = cache.snapshot_path("s");
    let (bytes, inode) = (fs::read(&path).unwrap(), fs::metadata(&path).unwrap().ino());
    let before = cache.open_snapshot("s").unwrap().unwrap();

    let (info, after) = sync_unchanged(
        &cache,
        2_000,
        &[("listing", "v2"), ("principal", "user:default/ann")],
    );
    assert_eq!((info.synced_at_ms, info.entity_count), (2_000, 1));
    assert_eq!(fs::read(&path).unwrap(), bytes, "not a byte rewritten");
    assert_eq!(fs::metadata(&path).unwrap().ino(), inode);
    assert_eq!(after.info.synced_at_ms, 2_000);
    assert_eq!(after.meta("listing").unwrap().as_deref(), Some("v2"));
    assert_eq!(
        after.meta("principal").unwrap().as_deref(),
        Some("user:default/ann")
    );
    assert!(after.entity("component:default/web").unwrap().is_some());
    // A reader from before keeps what it read.
    assert_eq!(before.info.synced_at_ms, 1_000);
    assert_eq!(before.meta("listing").unwrap().as_deref(), Some("v1"));

    // Another unchanged sync setting one value keeps the others.
    let (_, after) = sync_unchanged(&cache, 3_000, &[("listing", "v3")]);
    assert_eq!(after.info.synced_at_ms, 3_000);
    assert_eq!(after.meta("listing").unwrap().as_deref(), Some("v3"));
    assert_eq!(
        after.meta("principal").unwrap().as_deref(),
        Some("user:default/ann")
    );
    let stamp = path.with_extension("synced");
    let old_stamp = fs::read(&stamp).unwrap();

    // A new snapshot: its own values, the stamp gone.
    let mut w = cache.begin_snapshot("s", "o").unwrap();
    w.add(&entity("web")).unwrap();
    w.set_meta("listing", "v4");
    w.finish_at(&[], 4_000).unwrap();
    assert!(!stamp.exists());
    // Put back, the old stamp belongs to another snapshot: ignored.
    fs::write(&stamp, old_stamp).unwrap();
    let fresh = cache.open_snapshot("s").unwrap().unwrap();
    assert_eq!(fresh.info.synced_at_ms, 4_000);
    assert_eq!(fresh.meta("listing").unwrap().as_deref(), Some("v4"));
    assert_eq!(fresh.meta("principal").unwrap(), None);
}
