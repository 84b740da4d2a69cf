//! A sync: full (pages of whole entities) or incremental (identities and
//! etags, then the changed entities by ref), written into a snapshot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::value::RawValue;
use serde_json::Value;

use super::client::QueryPage;
use super::conditional::{read_tags, write_tags, ListingAnswers, PageTag, META_LISTING_TAGS};
use super::page_head::PageHead;
use super::page_items::{lean_items, PageItems};
use super::*;
use crate::cache::{RowRef, Snapshot, SnapshotWriter};
use crate::source::Problem;
use callboard_core::catalog::indexed::parse_indexed;
use callboard_core::catalog::relations::inverse;
use callboard_core::catalog::{CatalogEntity, Entity, Origin};

/// An entity larger than this (as JSON) is skipped with an error.
pub const MAX_ENTITY_BYTES: usize = 4 << 20;

/// The state of one sync.
pub(super) struct SyncRun<'a> {
    pub(super) remote: &'a Arc<Remote>,
    pub(super) allowed: Option<&'a [String]>,
    pub(super) problems: Vec<Problem>,
    pub(super) stats: RemoteStats,
    pub(super) progress: &'a dyn Fn(&SyncProgress),
    pub(super) bytes: u64,
    pub(super) last_report: Option<Instant>,
}

impl SyncRun<'_> {
    pub(super) fn report(
        &mut self,
        phase: Phase,
        entities: usize,
        total: Option<u64>,
        force: bool,
    ) {
        let now = Instant::now();
        if !force
            && self
                .last_report
                .is_some_and(|t| now.duration_since(t) < Duration::from_millis(100))
        {
            return;
        }
        self.last_report = Some(now);
        (self.progress)(&SyncProgress {
            source: self.remote.name.clone(),
            phase,
            entities,
            total,
            bytes: self.bytes,
        });
    }

    pub(super) fn allowed(&self, kind: &str) -> bool {
        self.allowed
            .is_none_or(|kinds| kinds.iter().any(|k| k.eq_ignore_ascii_case(kind)))
    }

    pub(super) fn origin(&self) -> Origin {
        Origin {
            source: self.remote.name.clone(),
            location: self.remote.endpoint.url.clone(),
            line: None,
        }
    }

    /// Parse one entity from the server, as the server wrote it (its
    /// bytes are what the snapshot stores); a bad one becomes a problem.
    pub(super) fn entity(&mut self, raw: &RawValue, at: &str) -> Option<Entity> {
        let text = raw.get();
        if self.oversized(text, at) {
            return None;
        }
        // Read for indexing only: the row stores the server's text.
        match parse_indexed(text) {
            Ok(e) if !self.allowed(&e.kind) => {
                self.stats.skipped += 1;
                None
            }
            Ok(e) => Some(e),
            Err(err) => {
                let name = entity_name(text);
                self.problems.push(Problem::error(
                    self.remote.endpoint.url.clone(),
                    format!("{at}: entity '{name}' is not a valid entity: {err}"),
                ));
                None
            }
        }
    }

    /// Whether `text`, an entity's JSON, is over [`MAX_ENTITY_BYTES`]: then
    /// a problem, and the entity is skipped.
    fn oversized(&mut self, text: &str, at: &str) -> bool {
        if text.len() <= MAX_ENTITY_BYTES {
            return false;
        }
        let name = entity_name(text);
        self.problems.push(Problem::error(
            self.remote.endpoint.url.clone(),
            format!(
                "{at}: entity '{name}' is over {} MiB; skipped (the rest is kept)",
                MAX_ENTITY_BYTES >> 20
            ),
        ));
        true
    }

    /// Add `entity`, stored as `raw`, the server's own JSON of it.
    pub(super) fn add(
        &mut self,
        writer: &mut SnapshotWriter,
        entity: Entity,
        raw: &RawValue,
    ) -> Result<(), RemoteError> {
        self.add_text(writer, entity, raw.get())
    }

    /// [`SyncRun::add`] of the JSON `text`.
    fn add_text(
        &mut self,
        writer: &mut SnapshotWriter,
        entity: Entity,
        text: &str,
    ) -> Result<(), RemoteError> {
        let e = CatalogEntity {
            entity,
            origin: self.origin(),
        };
        writer
            .add_json(&e, text.as_bytes())
            .map_err(|err| self.cache_error(err))?;
        Ok(())
    }

    pub(super) fn cache_error(&self, err: anyhow::Error) -> RemoteError {
        RemoteError::new(
            ErrorKind::Setup,
            format!("{}: cannot write the snapshot: {err:#}", self.remote.at()),
        )
    }

    pub(super) async fn full(&mut self, writer: &mut SnapshotWriter) -> Result<(), RemoteError> {
        self.stats.mode = "full";
        // The pages are read by a task on the runtime's own thread (the
        // one that polls the connection, so the body's chunks wake no
        // other thread) and handed over whole; this thread parses and
        // writes them meanwhile. The reader asks for the next page as soon
        // as a quick scan found this one's cursor, and runs at most two
        // pages ahead (one handed over, one in flight).
        let remote = Arc::clone(self.remote);
        let bytes = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&bytes);
        let (pages_tx, mut pages_rx) =
            tokio::sync::mpsc::channel::<Result<RawPage, RemoteError>>(1);
        let reader = tokio::spawn(async move {
            let mut on_bytes = move |n: u64| {
                counted.fetch_add(n, Ordering::Relaxed);
            };
            let mut pages = remote.pages(None, remote.endpoint.page_size);
            loop {
                let page = match pages.next_body(&mut on_bytes).await {
                    Ok(Some(page)) => Ok(page),
                    Ok(None) => return,
                    Err(e) => Err(e),
                };
                let failed = page.is_err();
                // Closed: the writer stopped (an error, or the sync was dropped).
                if pages_tx.send(page).await.is_err() || failed {
                    return;
                }
            }
        });
        // A dropped sync (cancelled) drops the request in flight too.
        let _reader = AbortOnDrop(reader);
        let mut total = None;
        let mut page_no = 0usize;
        while let Some(page) = pages_rx.recv().await {
            let page = page?;
            page_no += 1;
            if page_no == 1 {
                if let Some(n) = page.total {
                    // Bounded: a server's total is only a hint.
                    writer.reserve((n as usize).min(1 << 20));
                }
            }
            total = page.total.or(total);
            self.write_page(writer, &page, page_no)?;
            self.bytes = bytes.load(Ordering::Relaxed);
            self.report(Phase::Pages, self.stats.fetched, total, false);
        }
        self.bytes = bytes.load(Ordering::Relaxed);
        self.report(Phase::Pages, self.stats.fetched, total, true);
        Ok(())
    }

    /// Parse and write one page's entities.
    fn write_page(
        &mut self,
        writer: &mut SnapshotWriter,
        page: &RawPage,
        page_no: usize,
    ) -> Result<(), RemoteError> {
        let remote = self.remote;
        let at = format!("page {page_no}");
        // One pass where the page allows it; the same rows, problems and
        // counts as the general path below (tested equal).
        if let Some(items) = lean_items(&page.body) {
            for (text, entity) in items {
                self.stats.fetched += 1;
                if self.oversized(text, &at) {
                    continue;
                }
                if !self.allowed(&entity.kind) {
                    self.stats.skipped += 1;
                    continue;
                }
                self.add_text(writer, entity, text)?;
            }
            return Ok(());
        }
        let items: PageItems = remote.parse(&page.url, &page.body)?;
        for raw in items.items {
            self.stats.fetched += 1;
            if let Some(entity) = self.entity(raw, &at) {
                self.add(writer, entity, raw)?;
            }
        }
        Ok(())
    }

    pub(super) async fn incremental(
        &mut self,
        writer: &mut SnapshotWriter,
        previous: &Snapshot,
    ) -> Result<(), RemoteError> {
        self.stats.mode = "incremental";
        let remote = self.remote;
        let old = previous.etags().map_err(|e| self.cache_error(e))?;
        // 1. List identities and etags.
        let mut listed: Vec<(String, Option<String>)> = Vec::new();
        let mut listing_tags: Option<String>;
        let mut total = None;
        let limit = remote
            .endpoint
            .page_size
            .saturating_mul(10)
            .clamp(1, 10_000);
        let bytes = AtomicU64::new(0);
        // The previous listing's page tags go back as If-None-Match; a
        // listing whose pages all answer 304 is the previous one.
        let mut tags = read_tags(previous.meta(META_LISTING_TAGS).ok().flatten().as_deref());
        loop {
            let mut on_bytes = |n: u64| {
                bytes.fetch_add(n, Ordering::Relaxed);
            };
            let mut pages = remote
                .pages(Some(IDENTITY_FIELDS), limit)
                .if_unchanged(std::mem::take(&mut tags));
            let mut answers = ListingAnswers::default();
            while let Some(page) = pages.next_page(&mut on_bytes).await? {
                let Some((items, t)) = page else {
                    answers.not_modified += 1;
                    continue;
                };
                answers.read += 1;
                total = t.or(total);
                for item in items {
                    let kind = item.get("kind").and_then(Value::as_str).unwrap_or_default();
                    let meta = item.get("metadata");
                    let name = meta
                        .and_then(|m| m.get("name"))
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    if kind.is_empty() || name.is_empty() || !self.allowed(kind) {
                        if !kind.is_empty() && !self.allowed(kind) {
                            self.stats.skipped += 1;
                        }
                        continue;
                    }
                    let namespace = meta
                        .and_then(|m| m.get("namespace"))
                        .and_then(Value::as_str)
                        .filter(|n| !n.is_empty())
                        .unwrap_or("default");
                    let etag = meta
                        .and_then(|m| m.get("etag"))
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    listed.push((format!("{kind}:{namespace}/{name}").to_lowercase(), etag));
                }
                self.bytes = bytes.load(Ordering::Relaxed);
                self.report(Phase::Listing, listed.len(), total, false);
            }
            self.bytes = bytes.load(Ordering::Relaxed);
            if answers.unchanged() {
                self.stats.not_modified = true;
                self.stats.unchanged = previous.info.entity_count;
                // The listing was not read: the count its last reading found.
                self.stats.skipped = previous
                    .meta(META_SKIPPED)
                    .ok()
                    .flatten()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                self.report(Phase::Listing, previous.info.entity_count, None, true);
                return Ok(());
            }
            if answers.mixed() {
                // Some pages unchanged, some not: read it all again.
                listed.clear();
                total = None;
                continue;
            }
            listing_tags = pages.tags().map(write_tags);
            break;
        }
        // 2. Diff.
        let mut unchanged = std::collections::HashSet::new();
        let mut wanted = Vec::new();
        for (key, etag) in &listed {
            match (etag, old.get(key)) {
                (Some(new), Some(old)) if new == old => {
                    unchanged.insert(key.clone());
                }
                _ => wanted.push(key.clone()),
            }
        }
        let listed_keys: std::collections::HashSet<&String> =
            listed.iter().map(|(k, _)| k).collect();
        self.stats.removed = old.keys().filter(|k| !listed_keys.contains(k)).count();
        drop(listed_keys);
        drop(listed);
        // Every entity listed with the etag it has in the previous snapshot,
        // and none gone: that snapshot is this sync's, as after a 304. It is
        // kept as it is (only its meta moves: the sync time, the listing's
        // new tags), not rebuilt row by row.
        if wanted.is_empty()
            && self.stats.removed == 0
            && unchanged.len() == previous.info.entity_count
        {
            self.stats.nothing_changed = true;
            self.stats.unchanged = previous.info.entity_count;
            // No tags this time (a page without an `ETag`): none kept
            // from the previous listing either.
            let tags = listing_tags.unwrap_or_else(|| write_tags(&[]));
            writer.set_meta(META_LISTING_TAGS, &tags);
            self.report(Phase::Listing, previous.info.entity_count, total, true);
            return Ok(());
        }
        // 3. Carry unchanged entities over, without re-serialising them:
        // with their search records and outside edges from the previous
        // snapshot when it has them in order, else parsed again.
        let carried_fast = carry_kept(writer, previous, &unchanged, &old, &self.origin())
            .map_err(|e| self.cache_error(e))?;
        let carried = match carried_fast {
            Some(n) => n,
            None => self.carry_parsed(writer, previous, &unchanged, &mut wanted)?,
        };
        self.stats.unchanged = carried;
        // 4. Fetch the changed and new ones in batches.
        let mut fetched = 0usize;
        let mut added = std::collections::HashSet::new();
        let wanted_total = wanted.len();
        for batch in ref_batches(&wanted) {
            let mut on_bytes = |n: u64| {
                bytes.fetch_add(n, Ordering::Relaxed);
            };
            let answer = remote.by_refs(batch, &mut on_bytes).await?;
            let items = answer.items(remote, batch.len())?;
            for (key, item) in batch.iter().zip(items) {
                match item {
                    Some(raw) => {
                        if let Some(entity) = self.entity(raw, "by-refs") {
                            added.insert(entity.ref_key());
                            self.add(writer, entity, raw)?;
                            fetched += 1;
                        }
                    }
                    // Deleted between the listing and now.
                    None => {
                        self.stats.removed += usize::from(old.contains_key(key));
                        // This snapshot is not the listing's answer.
                        listing_tags = None;
                    }
                }
            }
            self.bytes = bytes.load(Ordering::Relaxed);
            self.stats.fetched = fetched;
            self.report(Phase::Fetching, fetched, Some(wanted_total as u64), false);
        }
        self.stats.fetched = fetched;
        if carried_fast.is_some() {
            // A kept outside edge is one whose receiver was not in the
            // previous snapshot; an entity of it that is gone now (deleted,
            // or no longer readable) receives edges from carried ones too.
            let gone: std::collections::HashSet<&str> = old
                .keys()
                .filter(|k| !unchanged.contains(*k) && !added.contains(*k))
                .map(String::as_str)
                .collect();
            if !gone.is_empty() {
                self.edges_to_gone(writer, previous, &unchanged, &gone)
                    .map_err(|e| self.cache_error(e))?;
            }
        }
        if let Some(tags) = listing_tags {
            writer.set_meta(META_LISTING_TAGS, &tags);
        }
        self.report(Phase::Fetching, carried + fetched, total, true);
        Ok(())
    }
}

/// Carry the `unchanged` rows of `previous` over as they are, with their
/// search records (from its corpus) and outside edges (from its table),
/// stored as from `origin`; `None`, writing nothing, when the corpus does
/// not match the rows one for one (then [`SyncRun::carry_parsed`]).
pub(super) fn carry_kept(
    writer: &mut SnapshotWriter,
    previous: &Snapshot,
    unchanged: &std::collections::HashSet<String>,
    old: &std::collections::HashMap<String, String>,
    origin: &Origin,
) -> anyhow::Result<Option<usize>> {
    let Ok(records) = previous.search_records() else {
        return Ok(None);
    };
    let mut aligned = true;
    let mut i = 0usize;
    previous.for_each_row(|key, _, _| {
        aligned &= records.get(i).is_some_and(|r| r.entity_ref == key);
        i += 1;
        Ok(())
    })?;
    if !aligned || i != records.len() {
        return Ok(None);
    }
    let mut records = records.into_iter();
    let mut carried = 0usize;
    previous.for_each_row(|key, name, json| {
        let record = records.next().expect("aligned above");
        if !unchanged.contains(key) {
            return Ok(());
        }
        let row = RowRef {
            key,
            name,
            source: &origin.source,
            location: &origin.location,
            line: origin.line,
            json,
            etag: old.get(key).map(String::as_str),
        };
        if writer.add_carried(row, record)? {
            carried += 1;
        }
        Ok(())
    })?;
    for (receiver, relation_type, emitter) in previous.all_outside_edges()? {
        if unchanged.contains(&emitter) {
            writer.add_outside_edge(&receiver, &relation_type, &emitter);
        }
    }
    Ok(Some(carried))
}

impl SyncRun<'_> {
    /// The edges carried entities give entities of the previous snapshot
    /// that are `gone` from this one (receivers outside it now).
    fn edges_to_gone(
        &self,
        writer: &mut SnapshotWriter,
        previous: &Snapshot,
        unchanged: &std::collections::HashSet<String>,
        gone: &std::collections::HashSet<&str>,
    ) -> anyhow::Result<()> {
        previous.for_each_row(|key, _, json| {
            if !unchanged.contains(key) {
                return Ok(());
            }
            let entity: Entity = serde_json::from_slice(json)?;
            for r in entity.relations() {
                let target = r.target_ref.to_lowercase();
                if !gone.contains(target.as_str()) {
                    continue;
                }
                if let Some(reverse) = inverse(&r.relation_type) {
                    writer.add_outside_edge(&target, reverse, key);
                }
            }
            Ok(())
        })
    }

    /// Carry the `unchanged` rows over, each parsed again (its search
    /// record and relations read from it); a row that does not parse is
    /// fetched again instead.
    fn carry_parsed(
        &mut self,
        writer: &mut SnapshotWriter,
        previous: &Snapshot,
        unchanged: &std::collections::HashSet<String>,
        wanted: &mut Vec<String>,
    ) -> Result<usize, RemoteError> {
        let origin = self.origin();
        let mut carried = 0usize;
        previous
            .for_each_json(|key, json| {
                if !unchanged.contains(key) {
                    return Ok(());
                }
                match serde_json::from_slice::<Entity>(json) {
                    Ok(entity) => {
                        let e = CatalogEntity {
                            entity,
                            origin: origin.clone(),
                        };
                        writer.add_json(&e, json)?;
                        carried += 1;
                    }
                    // Fetch it again rather than trust a bad row.
                    Err(_) => wanted.push(key.to_string()),
                }
                Ok(())
            })
            .map_err(|e| self.cache_error(e))?;
        Ok(carried)
    }
}

/// A bad entity's name for its problem (only a bad one's is looked for:
/// the good ones are parsed once, into the entity).
fn entity_name(text: &str) -> String {
    let value: Option<Value> = serde_json::from_str(text).ok();
    let name = value
        .as_ref()
        .and_then(|v| v.pointer("/metadata/name"))
        .and_then(Value::as_str)
        .unwrap_or("?");
    callboard_core::text::sanitize::sanitize_line(name)
        .chars()
        .take(100)
        .collect()
}

/// Aborts a spawned task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Split refs into by-refs batches (count and body size bounded).
pub(super) fn ref_batches(refs: &[String]) -> Vec<&[String]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, r) in refs.iter().enumerate() {
        let len = r.len() + 3;
        if i > start && (i - start >= REFS_PER_BATCH || size + len > MAX_BATCH_BODY) {
            out.push(&refs[start..i]);
            start = i;
            size = 0;
        }
        size += len;
    }
    if start < refs.len() {
        out.push(&refs[start..]);
    }
    out
}

/// Pages of `by-query`, fetched one per `next_page` call.
pub(super) struct PageStream<'a> {
    pub(super) remote: &'a Remote,
    pub(super) fields: Option<&'a str>,
    pub(super) limit: u32,
    pub(super) cursor: Option<String>,
    pub(super) started: bool,
    pub(super) done: bool,
    pub(super) seen: std::collections::HashSet<String>,
    /// Runaway paging guards (see [`PageGuard`]).
    pub(super) guard: PageGuard,
    /// The previous listing's page tags, sent as `If-None-Match`.
    pub(super) conditions: Vec<PageTag>,
    /// This listing's page tags; `None` once a page came without one.
    pub(super) recorded: Option<Vec<PageTag>>,
    pub(super) page_index: usize,
    pub(super) read_any: bool,
    /// The last page's size: the next one's buffer is made that large
    /// (with a margin) up front.
    pub(super) last_len: usize,
}

/// Stops a server that pages for ever: a next cursor after a page that
/// brought no entity not seen before (empty, or the same items again),
/// more items than the server's `totalItems` plus a margin, or more pages
/// than `totalItems` needs (twice over, plus a few).
#[derive(Default)]
pub(super) struct PageGuard {
    pages: u64,
    items: u64,
    identities: std::collections::HashSet<String>,
}

/// Pages allowed when the server gives no `totalItems`.
const MAX_PAGES_UNKNOWN_TOTAL: u64 = 100_000;

impl PageGuard {
    /// Check one page, given each item's identity (see `page_head`);
    /// the reason to stop, if any.
    pub(super) fn check_keys(
        &mut self,
        keys: impl IntoIterator<Item = String>,
        total: Option<u64>,
        limit: u32,
        has_next: bool,
    ) -> Option<String> {
        self.pages += 1;
        let mut new = 0usize;
        let mut count = 0usize;
        for key in keys {
            count += 1;
            if key.is_empty() || self.identities.insert(key) {
                new += 1;
            }
        }
        self.items += count as u64;
        if !has_next {
            return None;
        }
        if new == 0 {
            return Some(format!(
                "page {} brought no entity not seen before ({count} items) but named a next page",
                self.pages,
            ));
        }
        if let Some(total) = total {
            let margin = (total / 10).max(u64::from(limit)).max(100);
            if self.items > total.saturating_add(margin) {
                return Some(format!(
                    "{} items received, more than the {total} the server reported (totalItems) plus a margin of {margin}",
                    self.items
                ));
            }
            let budget = total.div_ceil(u64::from(limit.max(1))) * 2 + 10;
            if self.pages >= budget {
                return Some(format!(
                    "{} pages read, the most {total} items (totalItems) at {limit} a page can need",
                    self.pages
                ));
            }
        } else if self.pages >= MAX_PAGES_UNKNOWN_TOTAL {
            return Some(format!("{} pages read without a totalItems", self.pages));
        }
        None
    }
}

/// A by-query page as read: its body, what its items were asked with, and
/// what a quick scan found (no item parsed).
pub(super) struct RawPage {
    pub(super) url: reqwest::Url,
    pub(super) body: Vec<u8>,
    pub(super) total: Option<u64>,
    /// A `304 Not Modified` (no body) to the page's previous tag.
    pub(super) not_modified: bool,
}

impl Remote {
    pub(super) fn pages<'a>(&'a self, fields: Option<&'a str>, limit: u32) -> PageStream<'a> {
        PageStream {
            remote: self,
            fields,
            limit,
            cursor: None,
            started: false,
            done: false,
            seen: Default::default(),
            guard: PageGuard::default(),
            conditions: Vec::new(),
            recorded: Some(Vec::new()),
            page_index: 0,
            read_any: false,
            last_len: 0,
        }
    }
}

impl PageStream<'_> {
    /// Send each page's tag from `tags` back with the same request.
    pub(super) fn if_unchanged(mut self, tags: Vec<PageTag>) -> Self {
        self.conditions = tags;
        self
    }

    /// The tags of the pages read so far, when every one had one.
    pub(super) fn tags(&self) -> Option<&[PageTag]> {
        self.recorded.as_deref()
    }

    /// The next page's items and the server's total, `None` after the last;
    /// `Some(None)` for a page that answered `304 Not Modified`.
    pub(super) async fn next_page(
        &mut self,
        on_bytes: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Option<Option<(Vec<Value>, Option<u64>)>>, RemoteError> {
        let Some(page) = self.next_body(on_bytes).await? else {
            return Ok(None);
        };
        if page.not_modified {
            return Ok(Some(None));
        }
        let parsed: QueryPage = self.remote.parse(&page.url, &page.body)?;
        Ok(Some(Some((parsed.items, page.total))))
    }

    /// The next page as read, its items not parsed: only their identities
    /// taken for the runaway-paging guard, and the cursor and total, so the
    /// page after it can be asked for at once. `None` after the last.
    pub(super) async fn next_body(
        &mut self,
        on_bytes: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Option<RawPage>, RemoteError> {
        let this = self;
        if this.done || (this.started && this.cursor.is_none()) {
            return Ok(None);
        }
        this.started = true;
        let remote = this.remote;
        let mut url = remote.api("/entities/by-query");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", &this.limit.to_string());
            if let Some(fields) = this.fields {
                // The cursor does not carry `fields`: send it every time.
                q.append_pair("fields", fields);
            }
            match &this.cursor {
                // `append_pair` percent-encodes the cursor's `+ / =`.
                Some(c) => {
                    q.append_pair("cursor", c);
                }
                None => {
                    if let Some(f) = remote.filter_param() {
                        q.append_pair("filter", &f);
                    }
                }
            }
        }
        // The previous listing's tag for this very request, if any; none
        // once a page was read (its items are needed all the same).
        let condition = this
            .conditions
            .get(this.page_index)
            .filter(|c| c.url == url.as_str() && !this.read_any)
            .cloned();
        this.page_index += 1;
        let answer = remote
            .fetch_answer(
                Method::GET,
                url.clone(),
                None,
                condition.as_ref().map(|c| c.etag.as_str()),
                this.last_len + this.last_len / 8,
                on_bytes,
            )
            .await?;
        if let (true, Some(c)) = (answer.not_modified, condition) {
            // The same answer as before: its cursor is the one kept.
            this.cursor = match &c.next {
                Some(next) => {
                    if !this.seen.insert(next.clone()) {
                        return Err(RemoteError::new(
                            ErrorKind::BadResponse,
                            format!(
                                "{}: the server sent the same page cursor twice; stopping",
                                remote.at()
                            ),
                        ));
                    }
                    Some(next.clone())
                }
                None => {
                    this.done = true;
                    None
                }
            };
            if let Some(r) = &mut this.recorded {
                r.push(c);
            }
            return Ok(Some(RawPage {
                url,
                body: Vec::new(),
                total: None,
                not_modified: true,
            }));
        }
        this.read_any = true;
        let etag = answer.etag;
        let body = answer.body;
        this.last_len = body.len();
        let head: PageHead = remote.parse(&url, &body)?;
        let allowed = u64::from(this.limit) * 2 + 10;
        if head.items.0.len() as u64 > allowed {
            return Err(RemoteError::new(
                ErrorKind::BadResponse,
                format!(
                    "{}: a page has {} items for a limit of {}; the server ignores the page size, not read",
                    remote.at(),
                    head.items.0.len(),
                    this.limit
                ),
            ));
        }
        let has_next = head
            .page_info
            .next_cursor
            .as_ref()
            .is_some_and(|c| !c.is_empty());
        if let Some(why) =
            this.guard
                .check_keys(head.items.0, head.total_items, this.limit, has_next)
        {
            return Err(RemoteError::new(
                ErrorKind::BadResponse,
                format!(
                    "{}: stopped paging: {why}; the server's paging looks broken (the last good snapshot is kept)",
                    remote.at()
                ),
            ));
        }
        this.cursor = match head.page_info.next_cursor {
            Some(next) if !next.is_empty() => {
                if !this.seen.insert(next.clone()) {
                    return Err(RemoteError::new(
                        ErrorKind::BadResponse,
                        format!(
                            "{}: the server sent the same page cursor twice; stopping",
                            remote.at()
                        ),
                    ));
                }
                Some(next)
            }
            _ => {
                this.done = true;
                None
            }
        };
        match (&mut this.recorded, etag) {
            (Some(r), Some(etag)) => r.push(PageTag {
                url: url.to_string(),
                etag,
                next: this.cursor.clone(),
            }),
            (r, _) => *r = None,
        }
        Ok(Some(RawPage {
            url,
            body,
            total: head.total_items,
            not_modified: false,
        }))
    }
}
