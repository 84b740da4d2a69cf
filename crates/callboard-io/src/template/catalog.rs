//! The software templates of the cached catalog, and the files of a
//! template's own folder that a server dry-run needs.

use std::path::{Path, PathBuf};

use anyhow::Result;
use callboard_core::catalog::entity_ref::ref_kind_is;
use callboard_core::catalog::Origin;
use callboard_core::template::Template;
use serde_json::Value;

use crate::cache::Store;

/// A template found in the catalog, with where it came from.
#[derive(Debug, Clone)]
pub struct CatalogTemplate {
    pub template: Template,
    pub origin: Origin,
}

impl CatalogTemplate {
    /// The folder relative `url`s resolve against: the template file's
    /// folder, for templates read from local files.
    pub fn base_dir(&self) -> Option<PathBuf> {
        let path = self.origin.location.strip_prefix("file:")?;
        Path::new(path).parent().map(Path::to_path_buf)
    }
}

/// Every v1beta3 template in the store (the first source having a ref
/// wins), sorted by title. Unusable ones are returned as errors.
pub fn catalog_templates(store: &Store) -> (Vec<CatalogTemplate>, Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for snapshot in &store.snapshots {
        let mut keys = Vec::new();
        let listed = snapshot.for_each_json(|key, _| {
            if ref_kind_is(key, "template") {
                keys.push(key.to_string());
            }
            Ok(())
        });
        if let Err(e) = listed {
            problems.push(format!("{e:#}"));
            continue;
        }
        for key in keys {
            if !seen.insert(key.clone()) {
                continue;
            }
            match snapshot.entity(&key) {
                Ok(Some(ce)) => {
                    let value = match serde_json::to_value(&ce.entity) {
                        Ok(v) => v,
                        Err(e) => {
                            problems.push(format!("{key}: {e}"));
                            continue;
                        }
                    };
                    match Template::from_entity(&value) {
                        Ok(template) => found.push(CatalogTemplate {
                            template,
                            origin: ce.origin,
                        }),
                        Err(e) => problems.push(e.to_string()),
                    }
                }
                Ok(None) => {}
                Err(e) => problems.push(format!("{e:#}")),
            }
        }
    }
    found.sort_by(|a, b| {
        a.template
            .display_title()
            .to_lowercase()
            .cmp(&b.template.display_title().to_lowercase())
    });
    (found, problems)
}

/// Whether a fetch step reads a relative `url` (the template's folder).
pub fn reads_template_folder(template: &Template) -> bool {
    template.steps.iter().any(|s| {
        s.action.starts_with("fetch:")
            && s.input
                .get("url")
                .and_then(Value::as_str)
                .is_some_and(|u| !u.contains("://"))
    })
}

/// The files a server dry-run needs: everything under the relative `url`s
/// the template's fetch steps read, paths relative to the template folder.
pub fn skeleton_files(template: &Template, base: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for step in &template.steps {
        if !step.action.starts_with("fetch:") {
            continue;
        }
        let Some(url) = step.input.get("url").and_then(Value::as_str) else {
            continue;
        };
        if url.contains("://") || url.contains("${{") {
            continue;
        }
        let Ok(rel) = super::fs_guard::join_inside("", url) else {
            continue;
        };
        let lexical = base.join(&rel);
        if !lexical.exists() {
            continue;
        }
        // Links are resolved and must stay in the template's folder.
        let root =
            super::actions::inside_template(base, &lexical, url).map_err(anyhow::Error::msg)?;
        let mut stack = vec![root.clone()];
        if root.is_file() {
            if seen.insert(rel.clone()) {
                let bytes =
                    super::actions::read_template_file(&root, url).map_err(anyhow::Error::msg)?;
                out.push((rel.clone(), bytes));
            }
            continue;
        }
        let real_base = std::fs::canonicalize(base)?;
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let ft = entry.file_type()?;
                if ft.is_dir() {
                    stack.push(path);
                } else if ft.is_file() {
                    let rel_path = path
                        .strip_prefix(&real_base)
                        .map(|p| p.to_string_lossy().replace('\\', "/"))
                        .unwrap_or_default();
                    if seen.insert(rel_path.clone()) {
                        let bytes = super::actions::read_template_file(&path, &rel_path)
                            .map_err(anyhow::Error::msg)?;
                        out.push((rel_path, bytes));
                    }
                }
            }
        }
    }
    out.sort();
    Ok(out)
}
