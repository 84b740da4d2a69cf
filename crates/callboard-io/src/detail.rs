//! One entity as the TUI's entity screen shows it, read from the cache:
//! the show report (with the runbook in its local docs), where it was read
//! from, the owner's links and the API view.

use std::path::{Path, PathBuf};

use callboard_core::catalog::EntityLookup;
use callboard_core::report::{EntityDetail, ShowReport};

use crate::cache::Store;
use crate::config::{Source, SourceKind};

/// The detail of `key`, or why not (in words).
pub fn entity_detail(
    store: &Store,
    sources: &[Source],
    cache_dir: &Path,
    key: &str,
) -> Result<EntityDetail, String> {
    let found = store.get(key).ok_or_else(|| {
        format!(
            "{key} is not in the catalog (a dangling reference, or removed since the last sync)"
        )
    })?;
    let shadowing = if store.snapshots.len() > 1 {
        store.sources_of(key)
    } else {
        Vec::new()
    };
    let runbook = crate::docs::runbook::find_offline(store, &found, sources, cache_dir);
    let mut report = ShowReport::build(store, &found, &shadowing, runbook);
    if store.read_as_user(&found.origin.source) {
        callboard_core::catalog::index::hide_unreadable(&mut report.relations);
    }
    let source_line = source_line(sources, cache_dir, &found.origin.source, &report.location);
    Ok(EntityDetail::build(store, &found, report, source_line))
}

/// `demo · services/x/catalog-info.yaml:3`: the location relative to the
/// source's root when it lies inside it.
fn source_line(sources: &[Source], cache_dir: &Path, source: &str, location: &str) -> String {
    let path = location.strip_prefix("file:").unwrap_or(location);
    let roots: Vec<PathBuf> = sources
        .iter()
        .filter(|s| s.name == source)
        .flat_map(|s| match &s.kind {
            SourceKind::Local { roots } => roots
                .iter()
                .map(|r| {
                    if r.is_file() {
                        r.parent().unwrap_or(r).to_path_buf()
                    } else {
                        r.clone()
                    }
                })
                .collect::<Vec<_>>(),
            SourceKind::Demo => demo_root(cache_dir).into_iter().collect(),
            #[allow(unreachable_patterns)]
            _ => Vec::new(),
        })
        .collect();
    let shown = roots
        .iter()
        .find_map(|root| {
            Path::new(path)
                .strip_prefix(root)
                .ok()
                .map(|p| p.display().to_string())
        })
        .unwrap_or_else(|| location.to_string());
    format!("{source} · {shown}")
}

/// The unpacked demo lives at `<cache>/demo/<hash>/`.
fn demo_root(cache_dir: &Path) -> Option<PathBuf> {
    let dir = cache_dir.join("demo");
    std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("catalog-info.yaml").exists())
}
