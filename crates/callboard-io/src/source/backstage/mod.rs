//! A Backstage backend as a catalog source, read through its catalog REST
//! API (`<base>/api/catalog`).
//!
//! - **Full sync**: `GET /entities/by-query` page by page, following
//!   `pageInfo.nextCursor` until it is absent. The cursor carries the filter
//!   but not `fields`, so `fields` is sent again on every page; cursors are
//!   percent-encoded (base64 has `+ / =`). Each page is read once into one
//!   buffer, parsed, and written straight into the new snapshot, so memory is
//!   bounded by a page, not by the catalog.
//! - **Incremental sync**: list only identity and `metadata.etag`, compare
//!   with the previous snapshot, fetch changed and new entities with
//!   `POST /entities/by-refs` in batches (full lower-case refs; `null` for an
//!   entity deleted meanwhile), carry unchanged ones over, drop the rest.
//! - **Faults**: 429 waits for `Retry-After` (bounded), 5xx, timeouts and
//!   broken connections are retried a bounded number of times with jittered
//!   exponential backoff; 401/403/404 and malformed answers fail at once with
//!   a message that names the endpoint and says what to fix.
//!
//! Entities arrive with relations computed by the server; they are stored
//! as they are. The token is only ever put in the `Authorization` header.

mod client;
mod conditional;
#[cfg(test)]
mod conditional_tests;
mod error;
#[cfg(test)]
mod hostile_tests;
mod page_head;
mod page_items;
mod refresh;
mod retry;
mod search;
mod sync;
pub mod unprocessed;

use std::sync::Arc;

use serde::Serialize;

pub use client::Remote;
pub use conditional::META_LISTING_TAGS;
pub(crate) use error::error_chain;
pub use error::{ErrorKind, RemoteError};
pub use refresh::processing_errors;
pub use retry::RetryPolicy;
pub use search::SEARCH_TYPES;
pub use sync::MAX_ENTITY_BYTES;

/// The fields an incremental sync lists: enough to build the ref, plus the
/// etag the server changes whenever the stored entity (relations included)
/// changes. `metadata.uid` is left out: it is not needed for the diff and is
/// about a third of the listing's bytes.
pub const IDENTITY_FIELDS: &str = "kind,metadata.namespace,metadata.name,metadata.etag";

/// `POST /entities/by-refs` batches, as Backstage's own catalog-client
/// splits them: at most 1000 refs and about 90 KiB of body.
const REFS_PER_BATCH: usize = 1000;
const MAX_BATCH_BODY: usize = 90 * 1024;

/// Meta key recording what a snapshot was synced from (URL, filter,
/// rules); an incremental sync needs the previous one to match.
pub const META_QUERY: &str = "remote_query";

/// Meta key: how many entities `rules.allow` left out (the count a
/// `304 Not Modified` re-sync, which reads no listing, reports again).
pub const META_SKIPPED: &str = "remote_skipped";

/// Which part of a sync is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Full sync: reading pages of whole entities.
    Pages,
    /// Incremental sync: listing identities and etags.
    Listing,
    /// Incremental sync: fetching changed entities by ref.
    Fetching,
    /// Writing the snapshot.
    Writing,
}

/// Progress of one source's sync, reported as it goes (a line on stderr
/// for `callboard sync`, the status bar in the TUI).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncProgress {
    pub source: String,
    pub phase: Phase,
    /// Entities received (or listed) so far.
    pub entities: usize,
    /// The server's count, when it gave one.
    pub total: Option<u64>,
    /// Response bytes received so far.
    pub bytes: u64,
}

/// A progress callback; cheap to clone, callable from any thread.
pub type ProgressFn = Arc<dyn Fn(&SyncProgress) + Send + Sync>;

/// How a remote sync went.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RemoteStats {
    /// `full` or `incremental`.
    pub mode: &'static str,
    pub entities: usize,
    /// Entities downloaded whole (every one in a full sync).
    pub fetched: usize,
    /// Entities carried over from the previous snapshot.
    pub unchanged: usize,
    /// Entities of the previous snapshot no longer on the server.
    pub removed: usize,
    /// Entities left out by `rules.allow`.
    pub skipped: usize,
    pub requests: u64,
    /// Response body bytes received (retries included).
    pub bytes_received: u64,
    /// Request body bytes sent.
    pub bytes_sent: u64,
    /// The identity listing answered `304 Not Modified`: the previous
    /// snapshot is kept as it is (only its sync time moves).
    pub not_modified: bool,
    /// The listing was read and found every entity unchanged and none
    /// gone: the previous snapshot is kept as it is, as after a `304`
    /// (only its sync time and listing tags move).
    pub nothing_changed: bool,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::retry::parse_retry_after;
    use super::sync::ref_batches;
    use super::*;

    #[test]
    fn batches_respect_count_and_size() {
        let refs: Vec<String> = (0..2500)
            .map(|i| format!("component:default/e{i}"))
            .collect();
        let batches = ref_batches(&refs);
        assert_eq!(batches.iter().map(|b| b.len()).sum::<usize>(), 2500);
        assert!(batches.iter().all(|b| b.len() <= REFS_PER_BATCH));
        let long: Vec<String> = (0..500)
            .map(|i| format!("component:default/{i}-{}", "x".repeat(500)))
            .collect();
        for b in ref_batches(&long) {
            assert!(b.iter().map(|r| r.len() + 3).sum::<usize>() <= MAX_BATCH_BODY);
        }
        assert!(ref_batches(&[]).is_empty());
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        // Wed, 21 Oct 2015 07:28:00 GMT
        let then_ms = 1_445_412_480_000;
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(
            parse_retry_after("7", then_ms),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after(date, then_ms - 90_000),
            Some(Duration::from_secs(90))
        );
        assert_eq!(parse_retry_after(date, then_ms), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(date, then_ms + 1), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", then_ms), None);
    }

    #[test]
    fn backoff_grows_is_jittered_and_capped() {
        let p = RetryPolicy::default();
        let mut seen = std::collections::HashSet::new();
        for seed in 0..20 {
            for attempt in 1..10 {
                let d = p.backoff(attempt, seed);
                let exp = p
                    .base_delay
                    .saturating_mul(1 << (attempt - 1))
                    .min(p.max_delay);
                assert!(d >= exp / 2 && d <= exp, "{attempt}: {d:?}");
                assert_eq!(d, p.backoff(attempt, seed), "the seed decides");
                seen.insert(d);
            }
        }
        assert!(seen.len() > 20, "jittered: {seen:?}");
    }
}
