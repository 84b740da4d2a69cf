//! Runbooks in an entity's docs, read without the network: its local
//! MkDocs project, or the cached copy of its remote site. What counts as
//! a runbook is `callboard_core::docs::runbook`.

use std::path::Path;

use callboard_core::catalog::{CatalogEntity, EntityLookup};
use callboard_core::docs::runbook::{find, DocsRunbook};

use super::{local, locate, remote, DocsSource};
use crate::config::Source;

/// The runbook in docs that can be read without the network: an entity's
/// local docs, or the cached copy of a remote site (fetched when its Docs
/// pane or `callboard docs` last read it). Never waits on a backend.
pub fn find_offline(
    lookup: &dyn EntityLookup,
    found: &CatalogEntity,
    sources: &[Source],
    cache_dir: &Path,
) -> Option<DocsRunbook> {
    let located = locate(lookup, found, sources).ok()?;
    match &located.source {
        DocsSource::Local { .. } => find_local(lookup, found),
        DocsSource::Remote {
            source, triplet, ..
        } => {
            let site = remote::cached_site(cache_dir, source, triplet)?;
            find(&site, &located.owner_ref, |page| {
                remote::cached_markdown(cache_dir, source, triplet, page)
            })
        }
    }
}

/// The runbook in an entity's local docs (no network: remote docs are
/// not looked at here).
pub fn find_local(lookup: &dyn EntityLookup, found: &CatalogEntity) -> Option<DocsRunbook> {
    let located = locate(lookup, found, &[]).ok()?;
    let DocsSource::Local { project_dir } = &located.source else {
        return None;
    };
    let site = local::load_site(project_dir, &located.owner_ref).ok()?;
    find(&site, &located.owner_ref, |page| {
        local::load_page(&site, page).ok().map(|p| p.markdown)
    })
}
