//! A sync: full (pages of whole entities) or incremental (identities and
//! etags, then the changed entities by ref), written into a snapshot.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use super::client::QueryPage;
use super::*;
use crate::cache::{Snapshot, SnapshotWriter};
use crate::source::Problem;
use callboard_core::catalog::{CatalogEntity, Entity, Origin};

/// An entity larger than this (as JSON) is skipped with an error.
pub const MAX_ENTITY_BYTES: usize = 4 << 20;

/// About how many bytes `value` takes as JSON, counting no further than
/// `stop` past which the caller does not care.
fn json_size(value: &Value, stop: usize) -> usize {
    let mut size = 0usize;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        size += match v {
            Value::String(s) => s.len() + 2,
            Value::Array(items) => {
                stack.extend(items.iter());
                2 + items.len()
            }
            Value::Object(map) => {
                size += map.keys().map(|k| k.len() + 4).sum::<usize>();
                stack.extend(map.values());
                2
            }
            _ => 8,
        };
        if size > stop {
            break;
        }
    }
    size
}

/// The state of one sync.
pub(super) struct SyncRun<'a> {
    pub(super) remote: &'a Remote,
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

    /// Parse one entity from the server; a bad one becomes a problem.
    pub(super) fn entity(&mut self, value: Value, at: &str) -> Option<Entity> {
        let name = value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let size = json_size(&value, MAX_ENTITY_BYTES);
        if size > MAX_ENTITY_BYTES {
            let name: String = callboard_core::text::sanitize::sanitize_line(&name)
                .chars()
                .take(100)
                .collect();
            self.problems.push(Problem::error(
                self.remote.endpoint.url.clone(),
                format!(
                    "{at}: entity '{name}' is over {} MiB; skipped (the rest is kept)",
                    MAX_ENTITY_BYTES >> 20
                ),
            ));
            return None;
        }
        match Entity::from_value(value) {
            Ok(e) if !self.allowed(&e.kind) => {
                self.stats.skipped += 1;
                None
            }
            Ok(e) => Some(e),
            Err(err) => {
                self.problems.push(Problem::error(
                    self.remote.endpoint.url.clone(),
                    format!("{at}: entity '{name}' is not a valid entity: {err}"),
                ));
                None
            }
        }
    }

    pub(super) fn add(
        &mut self,
        writer: &mut SnapshotWriter,
        entity: Entity,
    ) -> Result<(), RemoteError> {
        let e = CatalogEntity {
            entity,
            origin: self.origin(),
        };
        writer.add(&e).map_err(|err| self.cache_error(err))?;
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
        let remote = self.remote;
        let bytes = std::cell::Cell::new(0u64);
        let mut on_bytes = |n: u64| bytes.set(bytes.get() + n);
        let mut pages = remote.pages(None, remote.endpoint.page_size);
        let mut total = None;
        let mut page_no = 0usize;
        let mut current = pages.next_page(&mut on_bytes).await?;
        // While one page is written into the snapshot, the next is already
        // asked for: the server works on it meanwhile. At most two pages are
        // in memory.
        while let Some((items, t)) = current.take() {
            page_no += 1;
            total = t.or(total);
            let (next, written) = tokio::join!(
                pages.next_page(&mut on_bytes),
                self.write_page(writer, items, page_no, total, &bytes),
            );
            written?;
            current = next?;
        }
        self.report(Phase::Pages, self.stats.fetched, total, true);
        Ok(())
    }

    /// Write one page's entities, yielding now and then so the request for
    /// the next page makes progress on this single-threaded runtime.
    pub(super) async fn write_page(
        &mut self,
        writer: &mut SnapshotWriter,
        items: Vec<Value>,
        page_no: usize,
        total: Option<u64>,
        bytes: &std::cell::Cell<u64>,
    ) -> Result<(), RemoteError> {
        tokio::task::yield_now().await;
        for (i, value) in items.into_iter().enumerate() {
            if i % 64 == 63 {
                tokio::task::yield_now().await;
            }
            self.stats.fetched += 1;
            if let Some(entity) = self.entity(value, &format!("page {page_no}")) {
                self.add(writer, entity)?;
            }
        }
        self.bytes = bytes.get();
        self.report(Phase::Pages, self.stats.fetched, total, false);
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
        let mut total = None;
        let limit = remote
            .endpoint
            .page_size
            .saturating_mul(10)
            .clamp(1, 10_000);
        let bytes = std::cell::Cell::new(0u64);
        {
            let mut on_bytes = |n: u64| bytes.set(bytes.get() + n);
            let mut pages = remote.pages(Some(IDENTITY_FIELDS), limit);
            while let Some((items, t)) = pages.next_page(&mut on_bytes).await? {
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
                self.bytes = bytes.get();
                self.report(Phase::Listing, listed.len(), total, false);
            }
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
        // 3. Carry unchanged entities over, without re-serialising them.
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
        self.stats.unchanged = carried;
        // 4. Fetch the changed and new ones in batches.
        let mut fetched = 0usize;
        let wanted_total = wanted.len();
        for batch in ref_batches(&wanted) {
            let mut on_bytes = |n: u64| bytes.set(bytes.get() + n);
            let items = remote.by_refs(batch, &mut on_bytes).await?;
            for (key, item) in batch.iter().zip(items) {
                match item {
                    Some(value) => {
                        if let Some(entity) = self.entity(value, "by-refs") {
                            self.add(writer, entity)?;
                            fetched += 1;
                        }
                    }
                    // Deleted between the listing and now.
                    None => self.stats.removed += usize::from(old.contains_key(key)),
                }
            }
            self.bytes = bytes.get();
            self.stats.fetched = fetched;
            self.report(Phase::Fetching, fetched, Some(wanted_total as u64), false);
        }
        self.stats.fetched = fetched;
        self.report(Phase::Fetching, carried + fetched, total, true);
        Ok(())
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
    /// Check one page that names a next page; the reason to stop, if any.
    pub(super) fn check(
        &mut self,
        items: &[Value],
        total: Option<u64>,
        limit: u32,
        has_next: bool,
    ) -> Option<String> {
        self.pages += 1;
        self.items += items.len() as u64;
        let mut new = 0usize;
        for item in items {
            let key = identity(item);
            if key.is_empty() || self.identities.insert(key) {
                new += 1;
            }
        }
        if !has_next {
            return None;
        }
        if new == 0 {
            return Some(format!(
                "page {} brought no entity not seen before ({} items) but named a next page",
                self.pages,
                items.len()
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

/// An entity's identity for the guard: its uid, else kind, namespace and
/// name.
fn identity(item: &Value) -> String {
    let meta = item.get("metadata");
    if let Some(uid) = meta.and_then(|m| m.get("uid")).and_then(Value::as_str) {
        return uid.to_string();
    }
    let s = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let name = s(meta.and_then(|m| m.get("name")));
    if name.is_empty() {
        return String::new();
    }
    format!(
        "{}:{}/{name}",
        s(item.get("kind")),
        s(meta.and_then(|m| m.get("namespace")))
    )
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
        }
    }
}

impl PageStream<'_> {
    /// The next page's items and the server's total, `None` after the last.
    pub(super) async fn next_page(
        &mut self,
        on_bytes: &mut dyn FnMut(u64),
    ) -> Result<Option<(Vec<Value>, Option<u64>)>, RemoteError> {
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
        let body = remote
            .fetch(Method::GET, url.clone(), None, on_bytes)
            .await?;
        let page: QueryPage = remote.parse(&url, &body)?;
        drop(body);
        let allowed = u64::from(this.limit) * 2 + 10;
        if page.items.len() as u64 > allowed {
            return Err(RemoteError::new(
                ErrorKind::BadResponse,
                format!(
                    "{}: a page has {} items for a limit of {}; the server ignores the page size, not read",
                    remote.at(),
                    page.items.len(),
                    this.limit
                ),
            ));
        }
        let has_next = page
            .page_info
            .next_cursor
            .as_ref()
            .is_some_and(|c| !c.is_empty());
        if let Some(why) = this
            .guard
            .check(&page.items, page.total_items, this.limit, has_next)
        {
            return Err(RemoteError::new(
                ErrorKind::BadResponse,
                format!(
                    "{}: stopped paging: {why}; the server's paging looks broken (the last good snapshot is kept)",
                    remote.at()
                ),
            ));
        }
        this.cursor = match page.page_info.next_cursor {
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
        Ok(Some((page.items, page.total_items)))
    }
}
