//! Refreshing one entity: ask its Backstage backend to process it again
//! (`POST /api/catalog/refresh`), wait briefly for the new version, sync
//! its source (incrementally: only what changed is fetched) and report
//! its processing errors (`status.items`). For the developer who just
//! pushed a `catalog-info.yaml` change.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cache::Cache;
use crate::config::{Source, SourceKind};
use crate::remotes::Remotes;
use crate::source::backstage::{processing_errors, RetryPolicy};
use crate::sync::{sync_source_in, SyncOptions};

/// What a refresh did.
#[derive(Debug, Clone, Serialize)]
pub struct RefreshReport {
    pub entity_ref: String,
    pub source: String,
    /// The backend's version changed while callboard waited.
    pub changed: bool,
    /// The backend no longer has it (or the user may not read it).
    pub gone: bool,
    /// `status.items`, in words.
    pub errors: Vec<String>,
    /// The sync's one-line summary.
    pub synced: String,
}

/// Refresh `entity_ref` (full, lower-case) of `source`, waiting up to
/// `wait` for the backend to process it.
pub fn refresh_entity(
    remotes: &Remotes,
    cache: &Cache,
    source: &Source,
    allowed_kinds: Option<&[String]>,
    entity_ref: &str,
    wait: Duration,
) -> Result<RefreshReport, String> {
    let SourceKind::Remote(endpoint) = &source.kind else {
        return Err(format!(
            "{entity_ref} comes from local files ('{}'); `callboard sync` reads them again",
            source.name
        ));
    };
    let remote = remotes
        .remote(&source.name, endpoint, RetryPolicy::quick())
        .map_err(|e| e.to_string())?;
    let etag = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .and_then(|e| e.pointer("/metadata/etag"))
            .and_then(|e| e.as_str())
            .map(str::to_string)
    };
    let before = remotes
        .block_on(remote.entity(entity_ref))
        .map_err(|e| e.to_string())?;
    remotes
        .block_on(remote.request_refresh(entity_ref))
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut now = before.clone();
    let mut changed = false;
    while started.elapsed() < wait {
        std::thread::sleep(Duration::from_millis(250).min(wait));
        now = remotes
            .block_on(remote.entity(entity_ref))
            .map_err(|e| e.to_string())?;
        if etag(&now) != etag(&before) {
            changed = true;
            break;
        }
    }
    let report = sync_source_in(
        remotes,
        cache,
        source,
        allowed_kinds,
        &SyncOptions::default(),
    )
    .map_err(|e| format!("{e:#}"))?;
    Ok(RefreshReport {
        entity_ref: entity_ref.to_string(),
        source: source.name.clone(),
        changed,
        gone: now.is_none(),
        errors: now.as_ref().map(processing_errors).unwrap_or_default(),
        synced: format!(
            "{} entities in '{}'{}",
            report.snapshot.entity_count,
            source.name,
            report
                .remote
                .as_ref()
                .map(|r| format!(", {} kB", r.bytes_received / 1000))
                .unwrap_or_default()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Endpoint, TokenSource};
    use crate::test_server::{Answer, Request, TestServer};
    use serde_json::json;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[test]
    fn refresh_asks_the_backend_waits_for_the_new_version_and_reports_its_errors() {
        let refreshed = Arc::new(AtomicBool::new(false));
        let flag = refreshed.clone();
        let server = TestServer::start(move |r: &Request| {
            let done = flag.load(Ordering::SeqCst);
            let entity = json!({
                "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
                "metadata": {"name": "svc", "namespace": "default", "etag": if done { "2" } else { "1" }},
                "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"},
                "status": {"items": if done { json!([{"type": "backstage.io/catalog-processing",
                    "level": "error", "message": "InputError: Policy check failed",
                    "error": {"name": "InputError", "message": "Policy check failed: spec.owner \u{1b}[31mmissing"}}]) } else { json!([]) }}
            });
            let path = r.target.split('?').next().unwrap_or_default();
            match (r.method.as_str(), path) {
                ("POST", "/api/catalog/refresh") => {
                    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                    assert_eq!(body["entityRef"], "component:default/svc");
                    flag.store(true, Ordering::SeqCst);
                    Answer::json(200, json!({}))
                }
                ("POST", "/api/catalog/entities/by-refs") => {
                    Answer::json(200, json!({"items": [entity]}))
                }
                (_, "/api/catalog/entities/by-query") => Answer::json(
                    200,
                    json!({"items": [entity], "totalItems": 1, "pageInfo": {}}),
                ),
                _ => Answer::json(404, json!({})),
            }
        });
        let mut endpoint = Endpoint::from_url(&server.url());
        endpoint.token = TokenSource::Command("printf tok-123456".into());
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let source = Source {
            name: "prod".into(),
            kind: SourceKind::Remote(endpoint),
        };
        let report = refresh_entity(
            &Remotes::new(),
            &cache,
            &source,
            None,
            "component:default/svc",
            Duration::from_secs(5),
        )
        .unwrap();
        assert!(refreshed.load(Ordering::SeqCst));
        assert!(report.changed && !report.gone);
        assert_eq!(report.errors.len(), 1);
        let e = &report.errors[0];
        assert!(
            e.starts_with("error: Policy check failed: spec.owner") && !e.contains('\u{1b}'),
            "{e}"
        );
        assert!(e.ends_with("(InputError)"), "{e}");
        let snapshot = cache.open_snapshot("prod").unwrap().unwrap();
        assert_eq!(snapshot.info.entity_count, 1);
        // A local source cannot be refreshed on a backend.
        let local = Source {
            name: "mine".into(),
            kind: SourceKind::Local { roots: vec![] },
        };
        let e = refresh_entity(
            &Remotes::new(),
            &cache,
            &local,
            None,
            "component:default/svc",
            Duration::ZERO,
        )
        .unwrap_err();
        assert!(e.contains("local files"), "{e}");
    }
}
