//! `fetch:template` and `fetch:plain`: reading sources from the template's
//! own folder (never the network), globs for `copyWithoutTemplating` and
//! friends, and rendering skeleton files and paths.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use callboard_core::template::expr::{self, Syntax, Val};
use globset::{GlobBuilder, GlobMatcher};
use serde_json::{json, Map, Value};

use super::builtin::str_input;
use super::globby::CopyOnly;
use super::{fail, LocalRun, StepError, Workspace};
use crate::template::fs_guard::{join_inside, Entry};

pub(super) fn glob(pattern: &str) -> Result<GlobMatcher, StepError> {
    GlobBuilder::new(pattern.trim_start_matches("./"))
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| StepError::Fail(format!("bad glob {pattern:?}: {e}")))
}

/// A template file larger than this is not read.
pub const MAX_TEMPLATE_FILE_BYTES: u64 = 64 << 20;

/// `path` with its links resolved, when it stays inside the template's
/// folder `base` (resolved too); an error naming `url` otherwise.
pub(crate) fn inside_template(base: &Path, path: &Path, url: &str) -> Result<PathBuf, String> {
    let root = std::fs::canonicalize(base)
        .map_err(|e| format!("the template's folder {}: {e}", base.display()))?;
    let real = std::fs::canonicalize(path).map_err(|e| format!("{url}: {e}"))?;
    if !real.starts_with(&root) {
        return Err(format!(
            "{url}: is a link to {}, outside the template's folder; not read",
            real.display()
        ));
    }
    Ok(real)
}

/// A regular file of the template (no pipe, device or folder), read
/// whole up to [`MAX_TEMPLATE_FILE_BYTES`].
pub(crate) fn read_template_file(path: &Path, shown: &str) -> Result<Vec<u8>, String> {
    let bytes = crate::safe_fs::read_regular(path, MAX_TEMPLATE_FILE_BYTES)
        .map_err(|e| format!("{shown}: {e}"))?;
    READ_BYTES.with(|r| r.set(r.get() + bytes.len() as u64));
    Ok(bytes)
}

thread_local! {
    /// Template bytes read on this thread since the last
    /// [`take_read_bytes`]: the work of one `each` iteration.
    static READ_BYTES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The template bytes read on this thread since the last call.
pub(super) fn take_read_bytes() -> u64 {
    READ_BYTES.with(|r| r.replace(0))
}

/// Read the file `url` names in the template's folder, links resolved and
/// kept inside it.
pub(super) fn read_source_file(base: &Path, url: &str) -> Result<(PathBuf, Vec<u8>), StepError> {
    let path = resolve_source(base, url)?;
    let bytes = read_template_file(&path, url).map_err(StepError::Fail)?;
    Ok((path, bytes))
}

/// A source path inside the template's folder, links resolved (and
/// refused when they leave it). Remote URLs need the network: skipped.
pub(super) fn resolve_source(base: &Path, url: &str) -> Result<PathBuf, StepError> {
    let lexical = resolve_source_lexically(base, url)?;
    if std::fs::symlink_metadata(&lexical).is_err() {
        // Missing: the caller says so in its own words.
        return Ok(lexical);
    }
    inside_template(base, &lexical, url).map_err(StepError::Fail)
}

fn resolve_source_lexically(base: &Path, url: &str) -> Result<PathBuf, StepError> {
    if url.contains("://") {
        return Err(StepError::Skip(format!(
            "fetching {url} needs the network; local runs only read the template's folder"
        )));
    }
    let rel = join_inside("", url).map_err(|_| {
        StepError::Fail(format!(
            "{url}: relative path is not allowed to refer to a directory outside the template's folder"
        ))
    })?;
    Ok(if rel.is_empty() {
        base.to_path_buf()
    } else {
        base.join(rel)
    })
}

/// Every entry under `url` (relative to the template's folder), as
/// relative paths, directories included. Symlinks are kept as links (never
/// followed).
pub(super) fn read_source_dir(base: &Path, url: &str) -> Result<Vec<(String, Entry)>, StepError> {
    let root = resolve_source(base, url)?;
    if !root.is_dir() {
        return fail(format!(
            "{url}: no such directory in the template's folder ({})",
            root.display()
        ));
    }
    let mut out = Vec::new();
    let mut stack = vec![(root.clone(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| StepError::Fail(format!("{}: {e}", dir.display())))?;
        for entry in entries {
            let entry = entry.map_err(|e| StepError::Fail(format!("{}: {e}", dir.display())))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let ft = entry
                .file_type()
                .map_err(|e| StepError::Fail(format!("{}: {e}", path.display())))?;
            if ft.is_symlink() {
                let target = std::fs::read_link(&path)
                    .map_err(|e| StepError::Fail(format!("{}: {e}", path.display())))?;
                out.push((child, Entry::Symlink(target.to_string_lossy().into_owned())));
            } else if ft.is_dir() {
                out.push((child.clone(), Entry::Dir));
                stack.push((path, child));
            } else {
                if let Some(what) = crate::safe_fs::kind_of(ft) {
                    return fail(format!(
                        "{url}/{child}: {what}, not a regular file; not read"
                    ));
                }
                let bytes = read_template_file(&path, &format!("{url}/{child}"))
                    .map_err(StepError::Fail)?;
                out.push((
                    child,
                    Entry::File {
                        bytes,
                        executable: is_executable(&path),
                    },
                ));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

pub(super) fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// `isbinaryfile`'s gist: NUL bytes or text that is not UTF-8.
pub(super) fn is_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    head.contains(&0) || std::str::from_utf8(bytes).is_err()
}

/// The scaffolder's `containsSkippedContent`: an empty rendered path, or
/// one with an empty segment, is left out.
pub(super) fn skipped_path(p: &str) -> bool {
    p.is_empty() || p.starts_with('/') || p.contains("//")
}

pub(super) fn fetch_template(
    action: &str,
    input: &Map<String, Value>,
    run: &LocalRun,
    ws: &mut Workspace,
    log: &mut dyn FnMut(String),
) -> Result<(), StepError> {
    let url = str_input(input, "url").ok_or(StepError::Fail("url is required".into()))?;
    let cookiecutter = input
        .get("cookiecutterCompat")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let replace = input
        .get("replace")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let syntax = Syntax {
        cookiecutter,
        trim_blocks: input
            .get("trimBlocks")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        lstrip_blocks: input
            .get("lstripBlocks")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    let values = input.get("values").cloned().unwrap_or_else(|| json!({}));
    let ctx = Val::from(&if cookiecutter {
        json!({ "cookiecutter": values })
    } else {
        json!({ "values": values })
    });
    // As `resolveTemplateActionSettings` and globby check them.
    let copy_raw: Vec<String> = match input.get("copyWithoutTemplating") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|p| p.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or(StepError::Fail(
                "copyWithoutTemplating: Patterns must be a string or an array of strings".into(),
            ))?,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return fail("Fetch action input copyWithoutTemplating must be an Array"),
    };
    let extension = match input.get("templateFileExtension") {
        Some(Value::Bool(true)) => Some(".njk".to_string()),
        Some(Value::String(e)) if !e.is_empty() => Some(if e.starts_with('.') {
            e.clone()
        } else {
            format!(".{e}")
        }),
        _ => None,
    };
    if extension.is_some() && (!copy_raw.is_empty() || cookiecutter) {
        return fail("templateFileExtension cannot be combined with copyWithoutTemplating or cookiecutterCompat");
    }

    if action == "fetch:template:file" {
        let target = str_input(input, "targetPath")
            .ok_or(StepError::Fail("targetPath is required".into()))?;
        let dest = join_inside("", target)?;
        let (_, bytes) = read_source_file(&run.base_dir, url)?;
        if ws.contains_key(&dest) && !replace {
            log(format!("File {dest} exists already, not replacing it"));
            return Ok(());
        }
        // As `templateFileActionHandler`: read as UTF-8 (binary or not),
        // rendered, written with the default mode (not executable).
        let text = String::from_utf8_lossy(&bytes);
        let bytes = expr::render_str(&text, &ctx, syntax)?.into_bytes();
        ws.insert(
            dest,
            Entry::File {
                bytes,
                executable: false,
            },
        );
        return Ok(());
    }

    let target = join_inside("", str_input(input, "targetPath").unwrap_or("./"))?;
    log("Fetching template content".to_string());
    let entries = read_source_dir(&run.base_dir, url)?;
    let dirs: BTreeSet<String> = entries
        .iter()
        .filter(|(_, e)| matches!(e, Entry::Dir))
        .map(|(p, _)| p.clone())
        .collect();
    let files: BTreeSet<String> = entries
        .iter()
        .filter(|(_, e)| !matches!(e, Entry::Dir))
        .map(|(p, _)| p.clone())
        .collect();
    let raw = CopyOnly::new(&copy_raw, &dirs, &files)?;
    log(format!(
        "Processing {} template files/directories with input values {}",
        entries.len(),
        serde_json::to_string(&values).unwrap_or_default()
    ));
    for (location, entry) in entries {
        let is_dir = matches!(entry, Entry::Dir);
        // Rendered with the trailing slash directories carry in globby.
        let marked = if is_dir {
            format!("{location}/")
        } else {
            location.clone()
        };
        let (render_contents, mut out_path) = match &extension {
            Some(ext) => {
                let templated = !is_dir && location.ends_with(ext.as_str());
                let stripped = if templated {
                    marked[..marked.len() - ext.len()].to_string()
                } else {
                    marked.clone()
                };
                (templated, stripped)
            }
            None => (!raw.contains(&location), marked.clone()),
        };
        out_path = expr::render_str(&out_path, &ctx, syntax)?;
        if skipped_path(&out_path) {
            continue;
        }
        let dest = join_inside(&target, &out_path)?;
        if dest.is_empty() {
            continue;
        }
        if ws.contains_key(&dest) && !replace {
            continue;
        }
        match entry {
            Entry::Dir => {
                log(format!(
                    "Writing directory {location} to template output path."
                ));
                ws.insert(dest, Entry::Dir);
            }
            Entry::Symlink(link) => {
                log(format!(
                    "Copying file binary or symbolic link at {location}, to template output path."
                ));
                ws.insert(dest, Entry::Symlink(link));
            }
            Entry::File { bytes, executable } => {
                let bytes = if is_binary(&bytes) {
                    log(format!(
                        "Copying file binary or symbolic link at {location}, to template output path."
                    ));
                    bytes
                } else if render_contents {
                    log(format!("Writing file {location} to template output path."));
                    let text = String::from_utf8(bytes).unwrap_or_default();
                    expr::render_str(&text, &ctx, syntax)
                        .map_err(|e| StepError::Fail(format!("{location}: {e}")))?
                        .into_bytes()
                } else {
                    log(format!(
                        "Copying file/directory {location} without processing."
                    ));
                    bytes
                };
                ws.insert(dest, Entry::File { bytes, executable });
            }
        }
    }
    log(format!("Template result written to ./{target}"));
    Ok(())
}
