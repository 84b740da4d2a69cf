//! Finding and reading an entity's TechDocs: a local MkDocs project
//! ([`local`]) or a Backstage TechDocs site over HTTP ([`remote`], cached
//! for offline use). The model (sites, pages, links) is
//! `callboard_core::docs`.

pub mod local;
pub mod remote;
pub mod runbook;

use std::path::{Path, PathBuf};

use callboard_core::catalog::{CatalogEntity, EntityLookup, EntityRef};
use callboard_core::docs::{
    inside, DocsError, ErrorKind, Page, Site, TECHDOCS_ENTITY, TECHDOCS_REF,
};

use crate::config::{Endpoint, Source, SourceKind};
use crate::remotes::Remotes;

/// Where an entity's docs are read from.
#[derive(Debug, Clone, PartialEq)]
pub enum DocsSource {
    /// A MkDocs project on disk: the folder holding `mkdocs.yml`.
    Local { project_dir: PathBuf },
    /// The TechDocs backend of a remote source.
    Remote {
        source: String,
        endpoint: Box<Endpoint>,
        /// Lower-cased namespace, kind and name: the published path.
        triplet: [String; 3],
    },
}

/// An entity's docs, found.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// The entity whose docs these are (another one for `techdocs-entity`).
    pub owner_ref: String,
    pub source: DocsSource,
}

/// Find an entity's docs: `techdocs-entity` (another entity's docs) first,
/// then `techdocs-ref`. Remote entities read the backend's TechDocs.
pub fn locate(
    lookup: &dyn EntityLookup,
    found: &CatalogEntity,
    sources: &[Source],
) -> Result<Located, DocsError> {
    let mut current = found.clone();
    // Follow `techdocs-entity` a few hops at most (a cycle ends here).
    for _ in 0..4 {
        let e = &current.entity;
        let Some(target) = e.annotation(TECHDOCS_ENTITY).map(str::trim) else {
            break;
        };
        let key = EntityRef::parse_with(
            target,
            callboard_core::catalog::RefContext::new(None, Some(e.namespace())),
        )
        .map(|r| r.canonical())
        .map_err(|err| {
            DocsError::new(
                ErrorKind::Invalid,
                format!(
                    "{}: {TECHDOCS_ENTITY} '{}' is not an entity ref: {err}",
                    e.ref_key(),
                    callboard_core::text::sanitize::sanitize_line(target)
                ),
            )
        })?;
        current = lookup.get(&key).map(|a| (*a).clone()).ok_or_else(|| {
            DocsError::new(
                ErrorKind::NoDocs,
                format!(
                    "{} shows the docs of {key} ({TECHDOCS_ENTITY}), which is not in the catalog",
                    e.ref_key()
                ),
            )
        })?;
    }
    let e = &current.entity;
    let owner_ref = e.ref_key();
    let source = sources.iter().find(|s| s.name == current.origin.source);
    if let Some(Source {
        kind: SourceKind::Remote(endpoint),
        name,
    }) = source
    {
        // The backend serves whatever it built, whatever the ref says.
        return Ok(Located {
            owner_ref,
            source: DocsSource::Remote {
                source: name.clone(),
                endpoint: Box::new(endpoint.clone()),
                triplet: [
                    e.namespace().to_lowercase(),
                    e.kind.to_lowercase(),
                    e.metadata.name.to_lowercase(),
                ],
            },
        });
    }
    let Some(reference) = e.annotation(TECHDOCS_REF).map(str::trim) else {
        return Err(DocsError::new(
            ErrorKind::NoDocs,
            format!("{owner_ref} has no TechDocs (no {TECHDOCS_REF} annotation)"),
        ));
    };
    let (kind, target) = reference.split_once(':').unwrap_or(("", reference));
    match kind.trim() {
        "dir" => {
            let descriptor = current
                .origin
                .location
                .strip_prefix("file:")
                .map(PathBuf::from)
                .ok_or_else(|| {
                    DocsError::new(
                        ErrorKind::Unsupported,
                        format!(
                            "{owner_ref}: {TECHDOCS_REF} 'dir:' needs the entity's file, but it came from {}",
                            callboard_core::text::sanitize::sanitize_line(&current.origin.location)
                        ),
                    )
                })?;
            let base = descriptor.parent().unwrap_or(Path::new("/"));
            let project_dir = inside(base, target.trim()).ok_or_else(|| {
                DocsError::new(
                    ErrorKind::Invalid,
                    format!(
                        "{owner_ref}: {TECHDOCS_REF} 'dir:{}' leaves the folder of {} (Backstage refuses it too)",
                        callboard_core::text::sanitize::sanitize_line(target),
                        descriptor.display()
                    ),
                )
            })?;
            Ok(Located {
                owner_ref,
                source: DocsSource::Local { project_dir },
            })
        }
        "url" => Err(DocsError::new(
            ErrorKind::Unsupported,
            format!(
                "{owner_ref}: the docs live at {} ({TECHDOCS_REF} url:); callboard reads them from a local checkout (dir:) or a Backstage TechDocs site (use an endpoint source)",
                callboard_core::text::sanitize::sanitize_line(target.trim())
            ),
        )),
        _ => Err(DocsError::new(
            ErrorKind::Invalid,
            format!(
                "{owner_ref}: {TECHDOCS_REF} '{}' is neither dir:<path> nor url:<url>",
                callboard_core::text::sanitize::sanitize_line(reference)
            ),
        )),
    }
}

/// Load a site from where it was located (a remote one through the
/// registry's connection to its source).
pub fn load_site(
    located: &Located,
    cache_dir: &Path,
    remotes: &Remotes,
) -> Result<Site, DocsError> {
    match &located.source {
        DocsSource::Local { project_dir } => local::load_site(project_dir, &located.owner_ref),
        DocsSource::Remote {
            source,
            endpoint,
            triplet,
        } => remote::load_site(remotes, cache_dir, source, endpoint, triplet),
    }
}

/// Load one page of a site.
pub fn load_page(
    located: &Located,
    site: &Site,
    page: &str,
    cache_dir: &Path,
    remotes: &Remotes,
) -> Result<Page, DocsError> {
    if !site.pages.iter().any(|p| p == page) {
        return Err(DocsError::new(
            ErrorKind::Invalid,
            format!(
                "no page '{}' in {}",
                callboard_core::text::sanitize::sanitize_line(page),
                site.name
            ),
        ));
    }
    let mut loaded = match &located.source {
        DocsSource::Local { .. } => local::load_page(site, page)?,
        DocsSource::Remote {
            source,
            endpoint,
            triplet,
        } => remote::load_page(remotes, cache_dir, source, endpoint, triplet, page)?,
    };
    if let Some(title) = site.title_of(page) {
        if loaded.title.is_empty() {
            loaded.title = title.to_string();
        }
    }
    Ok(loaded)
}
