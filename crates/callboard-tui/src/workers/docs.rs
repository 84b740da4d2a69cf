//! The docs worker's job: locate an entity's docs, read the site and the
//! page (maybe over the network), render it for the pane's width. A big
//! page is answered twice: its first screens at once, then the whole of
//! it. Sites and parsed pages are kept for re-renders (a resize) and for
//! going back and forth between pages.

use std::collections::HashMap;
use std::sync::Arc;

use super::WorkerConfig;
use crate::docs_render::{self, Prepared, RenderOptions, Rendered, FIRST_LINES};
use crate::messages::{DocsDoc, DocsReply, DocsRequest, Msg, UiSender};
use callboard_core::catalog::EntityLookup;
use callboard_core::docs::{DocsError, ErrorKind, Page, Site};
use callboard_io::cache::Store;
use callboard_io::docs::{self, Located};

/// Parsed pages kept.
const KEEP_PAGES: usize = 16;

/// A page read and parsed, ready to render at any width.
type Parsed = Arc<(Page, Prepared)>;

#[derive(Default)]
pub struct DocsCache {
    sites: HashMap<String, (Located, Arc<Site>)>,
    /// (docs owner, page) → parsed page, oldest first.
    pages: Vec<((String, String), Parsed)>,
}

pub fn handle(
    store: Option<&Store>,
    config: &WorkerConfig,
    cache: &mut DocsCache,
    request: DocsRequest,
    ui: &UiSender,
) {
    let reply = |result: Result<DocsDoc, DocsError>| {
        let _ = ui.send(Msg::Docs(Box::new(DocsReply {
            key: request.key.clone(),
            asked: request.page.clone(),
            width: request.width,
            result,
        })));
    };
    let (located, site) = match site_of(store, config, cache, &request.key) {
        Ok(s) => s,
        Err(e) => return reply(Err(e)),
    };
    let path = match &request.page {
        Some(p) => p.clone(),
        None => match site.home() {
            Some(h) => h.to_string(),
            None => {
                return reply(Err(DocsError::new(
                    ErrorKind::Invalid,
                    format!("the docs of {} have no pages", located.owner_ref),
                )))
            }
        },
    };
    let opts = RenderOptions {
        width: request.width,
        palette: request.palette,
    };
    let doc = |page: &Page, rendered: Rendered| DocsDoc {
        site: site.clone(),
        docs_of: located.owner_ref.clone(),
        page: page.path.clone(),
        title: page.title.clone(),
        notes: page.notes.clone(),
        rendered: Arc::new(rendered),
    };
    let id = (located.owner_ref.clone(), path.clone());
    let parsed = match cache.pages.iter().find(|(k, _)| *k == id) {
        Some((_, parsed)) => {
            let (page, prepared) = &**parsed;
            let first = docs_render::render(&page.markdown, prepared, opts, Some(FIRST_LINES));
            let complete = first.complete;
            reply(Ok(doc(page, first)));
            if complete {
                return;
            }
            parsed.clone()
        }
        None => {
            let page = match docs::load_page(
                &located,
                &site,
                &path,
                config.cache.dir(),
                &config.remotes,
            ) {
                Ok(p) => p,
                Err(e) => return reply(Err(e)),
            };
            // The first screens before the whole page is parsed.
            let first = docs_render::first_screens(&page.markdown, opts);
            let complete = first.complete;
            reply(Ok(doc(&page, first)));
            let prepared = docs_render::prepare(&page.markdown);
            let parsed = Arc::new((page, prepared));
            if cache.pages.len() >= KEEP_PAGES {
                cache.pages.remove(0);
            }
            cache.pages.push((id, parsed.clone()));
            if complete {
                return;
            }
            parsed
        }
    };
    let (page, prepared) = &*parsed;
    reply(Ok(doc(
        page,
        docs_render::render(&page.markdown, prepared, opts, None),
    )));
}

fn site_of(
    store: Option<&Store>,
    config: &WorkerConfig,
    cache: &mut DocsCache,
    key: &str,
) -> Result<(Located, Arc<Site>), DocsError> {
    if let Some(found) = cache.sites.get(key) {
        return Ok(found.clone());
    }
    let store =
        store.ok_or_else(|| DocsError::new(ErrorKind::Io, "the catalog is not loaded yet"))?;
    let entity = store
        .get(key)
        .ok_or_else(|| DocsError::new(ErrorKind::NoDocs, format!("{key} is not in the catalog")))?;
    let located = docs::locate(store, &entity, &config.sources)?;
    let site = Arc::new(docs::load_site(
        &located,
        config.cache.dir(),
        &config.remotes,
    )?);
    cache
        .sites
        .insert(key.to_string(), (located.clone(), site.clone()));
    Ok((located, site))
}
