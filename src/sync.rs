//! Sync: read each configured source and replace its cache snapshot.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde::Serialize;

use crate::cache::{Cache, SnapshotInfo};
use crate::config::{Source, SourceKind};
use crate::source::local::{load_local, LocalOptions};
use crate::source::{Problem, Severity};

/// What one source's sync did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub source: String,
    pub snapshot: SnapshotInfo,
    pub files_read: usize,
    pub problems: Vec<Problem>,
    #[serde(serialize_with = "as_millis")]
    pub elapsed: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

impl SyncReport {
    pub fn error_count(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }
}

/// Sync one source. A source that yields nothing readable at all (every
/// root missing, say) fails and leaves the previous snapshot in place.
pub fn sync_source(
    cache: &Cache,
    source: &Source,
    allowed_kinds: Option<&[String]>,
) -> Result<SyncReport> {
    let started = Instant::now();
    let roots = match &source.kind {
        SourceKind::Local { roots } => roots.clone(),
        SourceKind::Demo => vec![crate::demo::materialize(cache.dir())?],
    };
    let options = LocalOptions {
        allowed_kinds: allowed_kinds.map(<[String]>::to_vec),
        ..LocalOptions::default()
    };
    let loaded = load_local(&source.name, &roots, &options);
    if loaded.files_read == 0 {
        let why = loaded
            .problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n  ");
        bail!(
            "source '{}' read no catalog files from {}; the previous snapshot is kept{}",
            source.name,
            source.describe(),
            if why.is_empty() {
                String::new()
            } else {
                format!(":\n  {why}")
            }
        );
    }
    let snapshot = cache.write_snapshot(
        &source.name,
        &source.describe(),
        &loaded.entities,
        &loaded.problems,
    )?;
    Ok(SyncReport {
        source: source.name.clone(),
        snapshot,
        files_read: loaded.files_read,
        problems: loaded.problems,
        elapsed: started.elapsed(),
    })
}
