//! A sync killed with SIGKILL half way leaves the previous snapshot intact,
//! and two syncs of the same source at once never corrupt it: driven with
//! real child processes of the real binary.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use callboard_gen::{generate, write_yaml_tree, GenOptions};

fn callboard(source: &Path, cache: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_callboard"));
    cmd.arg("--source")
        .arg(source)
        .arg("--cache-dir")
        .arg(cache)
        .env("XDG_CONFIG_HOME", cache.join("no-config"))
        .env_remove("CALLBOARD_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn entity_count(source: &Path, cache: &Path) -> u64 {
    let out = callboard(source, cache)
        .args(["search", "--json", "-n", "0"])
        .output()
        .unwrap();
    assert!(out.status.code().is_some(), "search was killed");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    v["total"].as_u64().unwrap()
}

fn write_catalog(dir: &Path, entities: usize, seed: u64) {
    if dir.exists() {
        std::fs::remove_dir_all(dir).unwrap();
    }
    let docs = generate(&GenOptions { entities, seed });
    write_yaml_tree(&docs, dir, 1000).unwrap();
}

#[test]
fn a_sync_killed_half_way_leaves_the_previous_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, cache) = (tmp.path().join("repo"), tmp.path().join("cache"));
    write_catalog(&repo, 300, 1);
    let status = callboard(&repo, &cache).arg("sync").status().unwrap();
    assert!(status.success());
    let before = entity_count(&repo, &cache);
    assert!(before > 200);

    // A catalog big enough that its sync takes a while, then kill it at
    // several points: while reading YAML and while writing the snapshot.
    write_catalog(&repo, 20_000, 2);
    let snapshots = cache.join("snapshots");
    for delay_ms in [50u64, 300, 0] {
        let mut child = callboard(&repo, &cache).arg("sync").spawn().unwrap();
        let started = Instant::now();
        if delay_ms == 0 {
            // Wait for the temp snapshot to appear: the kill lands mid-write.
            while started.elapsed() < Duration::from_secs(60) {
                let writing = std::fs::read_dir(&snapshots)
                    .unwrap()
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().contains(".sync-"));
                if writing || child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        } else {
            std::thread::sleep(Duration::from_millis(delay_ms));
        }
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        if status.success() {
            // The machine was fast enough to finish first; that's not a kill.
            continue;
        }
        assert_eq!(
            entity_count(&repo, &cache),
            before,
            "killed after {delay_ms} ms"
        );
    }
    // A complete sync afterwards replaces it and clears leftovers.
    assert!(callboard(&repo, &cache)
        .arg("sync")
        .status()
        .unwrap()
        .success());
    assert!(entity_count(&repo, &cache) > 19_000);
    let leftovers = std::fs::read_dir(&snapshots)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".sync-"))
        .count();
    assert_eq!(leftovers, 0);
}

#[test]
fn two_instances_syncing_and_reading_at_once_stay_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, cache) = (tmp.path().join("repo"), tmp.path().join("cache"));
    write_catalog(&repo, 2_000, 3);
    let children: Vec<_> = (0..3)
        .map(|_| callboard(&repo, &cache).arg("sync").spawn().unwrap())
        .collect();
    // Readers during the syncs see either no snapshot yet (and sync
    // themselves) or a complete one.
    for _ in 0..3 {
        let n = entity_count(&repo, &cache);
        assert!(n > 1_900, "{n}");
    }
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(entity_count(&repo, &cache) > 1_900);
}

/// 40 kB overwritten mid-file: the command says the cache is damaged,
/// syncs it again and answers as before, never from the damaged file.
#[test]
fn a_damaged_cache_is_said_and_synced_again_not_answered_from() {
    use std::io::{Seek, SeekFrom, Write};
    let tmp = tempfile::tempdir().unwrap();
    let (repo, cache) = (tmp.path().join("repo"), tmp.path().join("cache"));
    write_catalog(&repo, 300, 1);
    assert!(callboard(&repo, &cache)
        .arg("sync")
        .status()
        .unwrap()
        .success());
    let before = entity_count(&repo, &cache);
    let snapshot = std::fs::read_dir(cache.join("snapshots"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "sqlite"))
        .expect("a snapshot file");
    let len = std::fs::metadata(&snapshot).unwrap().len();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&snapshot)
        .unwrap();
    f.seek(SeekFrom::Start(len / 2)).unwrap();
    f.write_all(&vec![0xA5; 40_000.min((len / 2) as usize)])
        .unwrap();
    drop(f);
    let out = callboard(&repo, &cache)
        .args(["search", "--json", "-n", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is damaged") && stderr.contains("syncing it again"),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"].as_u64().unwrap(), before);
    // Repaired: the next command is quiet.
    let out = callboard(&repo, &cache)
        .args(["search", "--json", "-n", "0"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("damaged"));
}
