//! Background results: what the workers answered, applied to the state.

use std::collections::HashSet;

use super::{cx, App, Effect, Loadable, OVERVIEW};
use crate::messages::{CatalogLoad, Msg, Request, SyncEvent, TemplateMsg};
use crate::model::SyncState;
use crate::screens::templates;
use callboard_core::catalog::index::Resolved;
use callboard_core::text;
use std::sync::atomic::Ordering;

impl App {
    pub fn handle_msg(&mut self, msg: Msg) {
        self.dirty = true;
        match msg {
            Msg::Loaded(load) => self.loaded(*load),
            Msg::LoadFailed(e) => {
                if self.catalog.picker.is_none() {
                    // The first load (and its first sync) ended there.
                    self.load = Loadable::Failed(e.clone());
                    self.sync = None;
                }
                self.fail(e);
            }
            Msg::Detail { key, detail } => {
                let detail = match detail {
                    Ok(d) => Loadable::Ready(d),
                    Err(e) => Loadable::Failed(e),
                };
                self.details.insert(key.clone(), detail);
                if self.top().is_some_and(|v| v.key == key) {
                    self.with_stack(|stack, cx| stack.apply_pending(cx));
                    self.scroll_into_view();
                }
                self.with_catalog(|catalog, cx| catalog.detail_arrived(&key, cx));
            }
            Msg::Deps { key, deps } => {
                let deps = match deps {
                    Ok(d) => Loadable::Ready(d),
                    Err(e) => Loadable::Failed(e),
                };
                self.deps.insert(key, deps);
            }
            Msg::Resolved { input, result } => match result {
                Resolved::Found(key) => {
                    self.message = None;
                    self.open_entity(&key, OVERVIEW, None);
                }
                Resolved::NotFound(what) => self.fail(format!(
                    "no entity '{}' in the catalog; / searches",
                    text::one_line(&what)
                )),
                Resolved::Ambiguous(candidates) => {
                    let list: Vec<String> = candidates
                        .iter()
                        .map(|c| text::one_line(c).into_owned())
                        .collect();
                    self.fail(format!(
                        "'{}' names several entities: {}; use :open kind:name",
                        text::one_line(&input),
                        list.join(", ")
                    ));
                }
            },
            Msg::Sync(event) => self.sync_event(event),
            Msg::Notice { text, error } => {
                if error {
                    self.fail(text);
                } else {
                    self.say(text);
                }
            }
            Msg::Docs(reply) => {
                let key = reply.key.clone();
                if self.docs.contains_key(&key) {
                    self.with_docs(&key, |pane, cx| pane.receive(*reply, cx));
                }
            }
            Msg::Wake => self.wake_pending.store(false, Ordering::SeqCst),
            Msg::Refreshed { key, result } => match result {
                Ok(report) => {
                    self.details.remove(&key);
                    self.deps.remove(&key);
                    self.effects.push(Effect::Request(Request::Load));
                    if self.top().is_some_and(|v| v.key == key) {
                        self.request_detail_again(&key);
                    }
                    let what = if report.gone {
                        "the backend no longer has it".to_string()
                    } else if report.errors.is_empty() {
                        "no processing errors".to_string()
                    } else {
                        format!(
                            "{} processing error{}: {}",
                            report.errors.len(),
                            if report.errors.len() == 1 { "" } else { "s" },
                            report.errors.join("; ")
                        )
                    };
                    let line = format!(
                        "refreshed {}: {}",
                        text::one_line(&key),
                        text::one_line(&what)
                    );
                    if report.errors.is_empty() && !report.gone {
                        self.say(line);
                    } else {
                        self.fail(line);
                    }
                }
                Err(e) => self.fail(format!(
                    "refresh of {}: {}",
                    text::one_line(&key),
                    text::one_line(&e)
                )),
            },
            Msg::BackendSearch { query, hits, notes } => {
                self.catalog.backend_arrived(query, hits, notes);
                self.dirty = true;
            }
            Msg::Pong(_) => {}
            Msg::Template(m) => self.template_msg(*m),
        }
    }

    fn loaded(&mut self, load: CatalogLoad) {
        let reload = self.catalog.picker.is_some();
        let count = load.corpus.len();
        let stale: HashSet<String> = self
            .sources
            .iter()
            .filter(|s| s.stale)
            .map(|s| s.name.clone())
            .collect();
        self.sources = load.sources;
        for s in &mut self.sources {
            s.stale = stale.contains(&s.name) && self.sync.is_none();
        }
        self.catalog.load(load.corpus, self.notify.clone());
        self.catalog.first_sync_failed = load.first_sync_failed;
        self.load = Loadable::Ready(count);
        if !reload {
            // Remote snapshots older than their refresh age: refreshed in
            // the background, as the commands refresh them on the way.
            let due: Vec<String> = self
                .sources
                .iter()
                .filter(|s| s.refresh_due)
                .map(|s| s.name.clone())
                .collect();
            if !due.is_empty() {
                self.effects.push(Effect::Refresh(due));
            }
        }
        if let Some(e) = load.errors.last() {
            self.fail(e.clone());
        }
        // The graph worker reads the snapshots now that they exist.
        self.effects.push(Effect::Request(Request::Reopen));
        if reload {
            self.details.clear();
            self.deps.clear();
            let keys: Vec<String> = self.stack.iter().map(|v| v.key.clone()).collect();
            if let Some(top) = keys.last() {
                self.request_detail(top, false);
                self.deps.insert(top.clone(), Loadable::Loading);
                self.effects
                    .push(Effect::Request(Request::Deps(top.clone())));
            }
        }
    }

    fn sync_event(&mut self, event: SyncEvent) {
        match event {
            SyncEvent::Started { total } => {
                self.sync = Some(SyncState {
                    total,
                    index: 0,
                    current: String::new(),
                    failed: 0,
                    succeeded: 0,
                    cancelling: false,
                    cancel_key: match self.keymap.hint(&crate::keymap::Action::Sync) {
                        // Unbound: its command.
                        key if key.starts_with(':') => ":sync cancel".into(),
                        key => key,
                    },
                });
            }
            SyncEvent::Source { index, name } => {
                if let Some(s) = &mut self.sync {
                    s.index = index;
                    s.current = name;
                }
            }
            // The workers do not forward it: the status bar names the
            // source being synced, not how far it is.
            SyncEvent::Progress(_) => {}
            SyncEvent::SourceDone { name, result } => {
                let failed = result.is_err();
                if let Some(s) = &mut self.sync {
                    if failed {
                        s.failed += 1;
                    } else {
                        s.succeeded += 1;
                    }
                }
                let mut cached_at = None;
                if let Some(status) = self.sources.iter_mut().find(|s| s.name == name) {
                    status.stale = failed;
                    cached_at = status.synced_at_ms;
                }
                if let Err(e) = result {
                    // The worker words it (a connection problem says so).
                    let e = text::one_line(&e);
                    // How old the cache is stays in the freshness, on the right.
                    let offline = e.contains(crate::workers::CONNECTION_PROBLEM);
                    self.fail(match cached_at {
                        Some(_) => format!(
                            "{}{e}; showing the cached catalog of '{}'; {} tries again",
                            if offline {
                                "offline: ".to_string()
                            } else {
                                format!("sync of '{}' failed: ", text::one_line(&name))
                            },
                            text::one_line(&name),
                            self.keymap.hint(&crate::keymap::Action::Sync)
                        ),
                        None => format!(
                            "first sync of '{}' failed: {e}; {} tries again",
                            text::one_line(&name),
                            self.keymap.hint(&crate::keymap::Action::Sync)
                        ),
                    });
                }
            }
            SyncEvent::Finished { failed } => {
                let state = self.sync.take();
                let succeeded = state.as_ref().map_or(0, |s| s.succeeded);
                let loaded = self.catalog.picker.is_some();
                if succeeded > 0 && loaded {
                    // Reload the corpus the sync just wrote.
                    self.effects.push(Effect::Request(Request::Load));
                }
                if failed == 0 && loaded {
                    self.say(format!(
                        "synced {succeeded} source{}",
                        if succeeded == 1 { "" } else { "s" }
                    ));
                }
                // Mark sources that failed as showing an old cache.
                let names: Vec<String> = self
                    .sources
                    .iter()
                    .filter(|s| s.stale)
                    .map(|s| s.name.clone())
                    .collect();
                for s in &mut self.sources {
                    s.stale = names.contains(&s.name);
                }
            }
        }
    }

    fn template_msg(&mut self, msg: TemplateMsg) {
        let corpus = self.catalog.corpus().cloned();
        let index = self.catalog.index();
        let mut cx = cx!(self);
        templates::receive(&mut self.templates, msg, corpus, index, &mut cx);
        let out = cx.out;
        self.apply(out);
    }
}
