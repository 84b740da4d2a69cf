//! The demo catalog embedded in the binary (`assets/demo`), so callboard
//! runs with no config and no network. It is unpacked once into the cache
//! dir, keyed by a hash of its contents, and then read like any local repo.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use include_dir::{include_dir, Dir};

static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../assets/demo");

/// The name the demo source has in the cache and in output.
pub const SOURCE_NAME: &str = "demo";

/// Unpack the demo catalog under `cache_dir` (if this version is not there
/// yet) and return its root `catalog-info.yaml`.
pub fn materialize(cache_dir: &Path) -> Result<PathBuf> {
    let root = cache_dir
        .join("demo")
        .join(format!("{:016x}", content_hash()));
    let entry = root.join("catalog-info.yaml");
    if entry.exists() {
        return Ok(entry);
    }
    let parent = root.parent().expect("demo root has a parent");
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    // Unpack into a private temp dir and rename, so a concurrent instance
    // never reads a half-written tree.
    let tmp = tempfile::Builder::new()
        .prefix(".unpack-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot create a temp dir in {}", parent.display()))?;
    write_dir(&DEMO, tmp.path())?;
    match fs::rename(tmp.path(), &root) {
        Ok(()) => {
            // The rename moved it; nothing left for TempDir to delete.
            let _ = tmp.keep();
        }
        // Another instance won the race; its copy is identical.
        Err(_) if entry.exists() => {}
        Err(e) => {
            return Err(e).with_context(|| format!("cannot unpack demo into {}", root.display()))
        }
    }
    Ok(entry)
}

fn write_dir(dir: &Dir<'_>, to: &Path) -> Result<()> {
    for file in dir.files() {
        let path = to.join(file.path());
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, file.contents())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    for sub in dir.dirs() {
        write_dir(sub, to)?;
    }
    Ok(())
}

fn content_hash() -> u64 {
    fn visit(dir: &Dir<'_>, h: &mut u64) {
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                *h = (*h ^ b as u64).wrapping_mul(0x100000001b3);
            }
        };
        for file in dir.files() {
            eat(file.path().to_string_lossy().as_bytes());
            eat(file.contents());
        }
        for sub in dir.dirs() {
            visit(sub, h);
        }
    }
    let mut h = 0xcbf29ce484222325u64;
    visit(&DEMO, &mut h);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpacks_once_and_is_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = materialize(dir.path()).unwrap();
        assert!(first.ends_with("catalog-info.yaml"));
        assert!(first.exists());
        let second = materialize(dir.path()).unwrap();
        assert_eq!(first, second);
        assert!(first.parent().unwrap().join("org.yaml").exists());
    }
}
