//! Files on disk: folder walks, Location targets and their globs, path
//! normalisation, and reading with a size limit.

use std::fs;
use std::path::{Component, Path, PathBuf};

use super::SKIPPED_DIRS;

/// The files a Location target names: a glob's matches, or the file itself
/// (none when it does not exist); an error for a bad glob or a folder.
pub(super) fn target_files(base_dir: &Path, target: &str) -> Result<Vec<PathBuf>, String> {
    if has_glob(target) {
        return expand_glob(base_dir, target);
    }
    let path = normalize(&base_dir.join(target));
    match fs::metadata(&path) {
        Ok(m) if m.is_dir() => Err(format!(
            "Location target is a folder: {}; point it at a YAML file, or use a glob such as {}/*/catalog-info.yaml",
            path.display(),
            target.trim_end_matches('/')
        )),
        Ok(_) => Ok(vec![path]),
        Err(_) => Ok(Vec::new()),
    }
}

/// A Software Template skeleton's `catalog-info.yaml` (`${{ values.name }}`,
/// cookiecutter's `{{cookiecutter.name}}` or a `{% … %}` block) is input to
/// the scaffolder, not an entity.
pub(super) fn is_template_skeleton(text: &str) -> bool {
    text.contains("${{")
        || text.contains("{%")
        || (text.contains("{{") && text.contains("cookiecutter."))
}

/// The walker used for folder roots and glob targets: respects `.gitignore`
/// and `.ignore` (even outside a git repository), skips hidden entries and
/// the usual dependency/build folders, sorted by name.
pub(super) fn walker(dir: &Path) -> ignore::WalkBuilder {
    let mut builder = ignore::WalkBuilder::new(dir);
    builder
        .hidden(true)
        .ignore(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .parents(true)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && entry.depth() > 0 && SKIPPED_DIRS.iter().any(|s| entry.file_name() == *s))
        });
    builder
}

pub(super) fn has_glob(target: &str) -> bool {
    target.contains(['*', '?', '['])
}

/// Expand a glob target relative to `base_dir`: walk from the longest
/// literal prefix and match the rest (`*` stays within one folder, `**`
/// crosses folders). Files only, sorted.
pub(super) fn expand_glob(base_dir: &Path, target: &str) -> Result<Vec<PathBuf>, String> {
    let target_path = Path::new(target);
    let mut literal = PathBuf::new();
    let mut pattern_parts: Vec<String> = Vec::new();
    for component in target_path.components() {
        let text = component.as_os_str().to_string_lossy().to_string();
        if pattern_parts.is_empty() && !has_glob(&text) {
            literal.push(component);
        } else {
            pattern_parts.push(text);
        }
    }
    let start = normalize(&base_dir.join(&literal));
    let pattern = pattern_parts.join("/");
    let matcher = globset::GlobBuilder::new(&pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| format!("invalid glob in Location target {target}: {e}"))?
        .compile_matcher();
    let recursive = pattern.contains("**");
    let mut walk = walker(&start);
    if !recursive {
        walk.max_depth(Some(pattern_parts.len()));
    }
    let mut files = Vec::new();
    if !start.is_dir() {
        return Ok(files);
    }
    for entry in walk.build().flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(&start) else {
            continue;
        };
        let relative = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if matcher.is_match(&relative) {
            files.push(entry.into_path());
        }
    }
    files.sort();
    Ok(files)
}

pub(super) fn is_remote(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// An absolute path with `.` and `..` removed lexically (symlinks kept), for
/// display and for resolving relative targets.
pub(super) fn absolute(path: &Path) -> PathBuf {
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(component);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Why a file could not be read as text, with the 1-based (line, column)
/// of the offending byte when there is one.
pub(super) struct ReadProblem {
    pub(super) position: Option<(u32, u32)>,
    pub(super) message: String,
}

impl ReadProblem {
    pub(super) fn whole_file(message: impl Into<String>) -> Self {
        ReadProblem {
            position: None,
            message: message.into(),
        }
    }
}

pub(super) fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

/// Read a file as UTF-8 text without reading more than `max_bytes`.
pub(super) fn read_text_limited(path: &Path, max_bytes: u64) -> Result<String, ReadProblem> {
    use crate::safe_fs::{read_regular, ReadError};
    let bytes = read_regular(path, max_bytes).map_err(|e| match e {
        ReadError::NotRegular(what) => {
            ReadProblem::whole_file(format!("{what}, not a regular file; not read"))
        }
        ReadError::TooLarge {
            limit,
            size: Some(len),
        } => ReadProblem::whole_file(format!(
            "file is {} MB, over the {} MB limit; split it, or raise the limit with max_file_mb in the config",
            mb(len),
            mb(limit)
        )),
        ReadError::TooLarge { limit, size: None } => {
            ReadProblem::whole_file(format!(
                "file is over the {} MB limit; split it, or raise the limit with max_file_mb in the config",
                mb(limit)
            ))
        }
        ReadError::Io(e) => ReadProblem::whole_file(format!("cannot read file: {e}")),
    })?;
    let nul = bytes.iter().position(|&b| b == 0);
    let invalid = std::str::from_utf8(&bytes).err().map(|e| e.valid_up_to());
    let first_bad = match (nul, invalid) {
        (Some(n), Some(i)) => Some(n.min(i)),
        (a, b) => a.or(b),
    };
    if let Some(offset) = first_bad {
        let prefix = String::from_utf8_lossy(&bytes[..offset]);
        let line = prefix.matches('\n').count() as u32 + 1;
        let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
        let message = if bytes[offset] == 0 {
            format!("file looks binary: NUL byte at byte offset {offset}; a descriptor must be UTF-8 text")
        } else {
            format!(
                "file is not UTF-8: invalid byte 0x{:02X} at byte offset {offset}; save it as UTF-8",
                bytes[offset]
            )
        };
        return Err(ReadProblem {
            position: Some((line, column)),
            message,
        });
    }
    String::from_utf8(bytes).map_err(|e| ReadProblem::whole_file(format!("file is not UTF-8: {e}")))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::write;
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn globs_expand_sorted_and_stay_in_one_folder_level() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a/x.yaml", "");
        write(dir.path(), "a/b/y.yaml", "");
        write(dir.path(), "a/c.yml", "");
        let base = dir.path();
        let names = |files: Vec<PathBuf>| -> Vec<String> {
            files
                .iter()
                .map(|f| f.strip_prefix(base).unwrap().to_string_lossy().to_string())
                .collect()
        };
        assert_eq!(
            names(expand_glob(base, "a/*.yaml").unwrap()),
            vec!["a/x.yaml"]
        );
        assert_eq!(
            names(expand_glob(base, "./a/**/*.yaml").unwrap()),
            vec!["a/b/y.yaml", "a/x.yaml"]
        );
        assert_eq!(
            names(expand_glob(base, "a/?.y*ml").unwrap()),
            vec!["a/c.yml", "a/x.yaml"]
        );
        assert!(expand_glob(base, "nope/*.yaml").unwrap().is_empty());
    }
}
