//! Nothing a template produces may land outside the chosen target
//! directory: paths are resolved lexically (`..`, absolute paths and
//! drive prefixes refused), existing symlinks on the way are refused, files
//! are created without following a symlink at the final component, and
//! symlinks the template itself contains must stay inside the target.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// A path that would leave its root, or a write that failed.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error("refused path {path:?}: {reason}")]
    Refused { path: String, reason: &'static str },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn refused(path: &str, reason: &'static str) -> GuardError {
    GuardError::Refused {
        path: path.to_string(),
        reason,
    }
}

/// Resolve `path` (relative, `/`-separated) against the relative directory
/// `base` inside a root, as the scaffolder's `resolveSafeChildPath` does,
/// but lexically: returns the normalised relative path (`""` for the root
/// itself). Absolute paths and any `..` that climbs above the root are
/// refused.
pub fn join_inside(base: &str, path: &str) -> Result<String, GuardError> {
    if path.starts_with('/') || path.starts_with('\\') || has_drive_prefix(path) {
        return Err(refused(path, "absolute paths are not allowed"));
    }
    if path.contains('\0') {
        return Err(refused(path, "NUL in a path"));
    }
    let mut parts: Vec<&str> = base
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(refused(
                        path,
                        "it refers to a directory outside the target directory",
                    ));
                }
            }
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

fn has_drive_prefix(path: &str) -> bool {
    let b = path.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// Where a symlink inside the tree at `link_path` (relative) pointing at
/// `target` ends up; refused if it leaves the root or is absolute.
pub fn check_link(link_path: &str, target: &str) -> Result<String, GuardError> {
    let parent = link_path.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
    join_inside(parent, target)
        .map_err(|_| refused(link_path, "a link that leaves the target directory"))
}

/// What to put at one relative path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    File { bytes: Vec<u8>, executable: bool },
    Dir,
    Symlink(String),
}

/// Write entries (relative `/`-separated paths) under `root`. The root is
/// created if missing — unless there is nothing to write: a run that
/// writes no files creates no folder. With `overwrite` false an existing
/// file is an error (before anything is written).
pub fn write_tree<'a>(
    root: &Path,
    entries: impl IntoIterator<Item = (&'a str, &'a Entry)> + Clone,
    overwrite: bool,
) -> Result<Vec<PathBuf>, GuardError> {
    let io = |p: &Path, source| GuardError::Io {
        path: p.display().to_string(),
        source,
    };
    if entries.clone().into_iter().next().is_none() {
        return Ok(Vec::new());
    }
    fs::create_dir_all(root).map_err(|e| io(root, e))?;
    let root = fs::canonicalize(root).map_err(|e| io(root, e))?;
    // Check everything first, so a refusal writes nothing.
    for (rel, entry) in entries.clone() {
        let clean = join_inside("", rel)?;
        if clean.is_empty() {
            return Err(refused(rel, "empty path"));
        }
        if let Entry::Symlink(target) = entry {
            check_link(&clean, target)?;
        }
        let dest = root.join(&clean);
        check_no_symlink_between(&root, &clean)?;
        match fs::symlink_metadata(&dest) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(refused(rel, "an existing symlink is in the way"))
            }
            Ok(meta) if meta.is_file() && !overwrite && !matches!(entry, Entry::Dir) => {
                return Err(refused(
                    rel,
                    "the file exists already (overwrite not allowed)",
                ))
            }
            _ => {}
        }
    }
    let mut written = Vec::new();
    for (rel, entry) in entries {
        let clean = join_inside("", rel)?;
        let dest = root.join(&clean);
        // Re-checked right before each write: the tree may have changed.
        check_no_symlink_between(&root, &clean)?;
        match entry {
            Entry::Dir => fs::create_dir_all(&dest).map_err(|e| io(&dest, e))?,
            Entry::File { bytes, executable } => {
                if let Some(parent) = dest.parent() {
                    fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
                }
                check_no_symlink_between(&root, &clean)?;
                let mut opts = OpenOptions::new();
                opts.write(true).create(true).truncate(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.custom_flags(libc::O_NOFOLLOW);
                    opts.mode(if *executable { 0o755 } else { 0o644 });
                }
                let mut f = opts.open(&dest).map_err(|e| io(&dest, e))?;
                f.write_all(bytes).map_err(|e| io(&dest, e))?;
                #[cfg(unix)]
                if *executable {
                    use std::os::unix::fs::PermissionsExt;
                    fs::set_permissions(&dest, fs::Permissions::from_mode(0o755))
                        .map_err(|e| io(&dest, e))?;
                }
                let _ = executable;
            }
            Entry::Symlink(target) => {
                if let Some(parent) = dest.parent() {
                    fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
                }
                #[cfg(unix)]
                std::os::unix::fs::symlink(target, &dest).map_err(|e| io(&dest, e))?;
                #[cfg(not(unix))]
                return Err(refused(rel, "symlinks are not supported on this platform"));
            }
        }
        written.push(dest);
    }
    Ok(written)
}

/// Refuse if any existing directory between `root` and `root/rel` is a
/// symlink (it could lead anywhere).
fn check_no_symlink_between(root: &Path, rel: &str) -> Result<(), GuardError> {
    let mut cur = root.to_path_buf();
    let path = Path::new(rel);
    let comps: Vec<Component> = path.components().collect();
    for comp in comps.iter().take(comps.len().saturating_sub(1)) {
        cur.push(comp);
        match fs::symlink_metadata(&cur) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(refused(rel, "a directory on the way is a symlink"))
            }
            Ok(meta) if !meta.is_dir() => {
                return Err(refused(rel, "a file is in the way of a directory"))
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_inside_resolves_and_refuses() {
        assert_eq!(join_inside("out", "a/./b").unwrap(), "out/a/b");
        assert_eq!(join_inside("out", "../x").unwrap(), "x");
        assert_eq!(join_inside("", "./").unwrap(), "");
        assert!(join_inside("out", "../../x").is_err());
        assert!(join_inside("", "/etc/passwd").is_err());
        assert!(join_inside("", "C:\\x").is_err());
        assert!(join_inside("", "a\\..\\..\\x").is_err());
        assert!(check_link("a/link", "../b").is_ok());
        assert!(check_link("a/link", "../../b").is_err());
        assert!(check_link("link", "/etc").is_err());
    }
}
