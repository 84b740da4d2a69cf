//! [`Store`]: the snapshots of several sources answering lookups together,
//! in priority order.

use std::sync::Arc;

use anyhow::{bail, Result};
use callboard_core::catalog::relations::sort_relations;
use callboard_core::catalog::{CatalogEntity, EntityLookup, Relation};

use super::Snapshot;

/// Several snapshots in priority order: the first that has a ref answers.
pub struct Store {
    pub snapshots: Vec<Snapshot>,
    /// Read errors while answering (a corrupt row, say), kept to report.
    errors: std::cell::RefCell<Vec<String>>,
}

impl Store {
    /// Whether `source`'s snapshot was synced as a signed-in user (whose
    /// view the backend filters; see `sync::identity`).
    pub fn read_as_user(&self, source: &str) -> bool {
        self.snapshots.iter().any(|s| {
            s.info.source == source
                && s.meta("principal")
                    .ok()
                    .flatten()
                    .is_some_and(|p| p.starts_with("user:"))
        })
    }

    pub fn new(snapshots: Vec<Snapshot>) -> Store {
        Store {
            snapshots,
            errors: Default::default(),
        }
    }

    /// Every source that has `key`, in priority order.
    pub fn sources_of(&self, key: &str) -> Vec<String> {
        self.snapshots
            .iter()
            .filter(|s| matches!(s.entity(key), Ok(Some(_))))
            .map(|s| s.info.source.clone())
            .collect()
    }

    pub fn take_errors(&self) -> Vec<String> {
        std::mem::take(&mut self.errors.borrow_mut())
    }

    pub fn ensure_any(&self) -> Result<()> {
        if self.snapshots.is_empty() {
            bail!("no cached catalog; run `callboard sync` first");
        }
        Ok(())
    }
}

impl Store {
    /// Whether snapshot `i` answers `key` (no snapshot before it has it).
    fn answers(&self, i: usize, key: &str) -> bool {
        self.snapshots[..i].iter().all(|s| !self.ok(s.has(key)))
    }

    fn ok(&self, r: Result<bool>) -> bool {
        r.unwrap_or_else(|e| {
            self.errors.borrow_mut().push(format!("{e:#}"));
            false
        })
    }

    /// Add to `found` (answered by snapshot `from`) the reverse edges the
    /// other snapshots' entities give it, as if the relations had been
    /// stitched over all sources at once. An edge counts only when its
    /// emitter is answered by the snapshot that recorded it (a copy in a
    /// higher-priority source speaks for itself).
    fn add_outside_edges(&self, from: usize, key: &str, found: &mut CatalogEntity) {
        let mut extra = Vec::new();
        for (i, snapshot) in self.snapshots.iter().enumerate() {
            if i == from {
                continue;
            }
            match snapshot.outside_edges(key) {
                Ok(edges) => extra.extend(
                    edges
                        .into_iter()
                        .filter(|(_, emitter)| self.answers(i, emitter)),
                ),
                Err(e) => self.errors.borrow_mut().push(format!("{e:#}")),
            }
        }
        if extra.is_empty() {
            return;
        }
        let relations = found.entity.relations.get_or_insert_with(Vec::new);
        relations.extend(
            extra
                .into_iter()
                .map(|(relation_type, target_ref)| Relation {
                    relation_type,
                    target_ref,
                    target: None,
                }),
        );
        sort_relations(relations);
    }
}

impl Store {
    /// The first snapshot's answer for `key`, read by `read`, with the
    /// other snapshots' reverse edges added.
    fn get_with(
        &self,
        key: &str,
        read: impl Fn(&Snapshot, &str) -> Result<Option<CatalogEntity>>,
    ) -> Option<Arc<CatalogEntity>> {
        for (i, snapshot) in self.snapshots.iter().enumerate() {
            match read(snapshot, key) {
                Ok(Some(mut e)) => {
                    if self.snapshots.len() > 1 {
                        self.add_outside_edges(i, key, &mut e);
                    }
                    return Some(Arc::new(e));
                }
                Ok(None) => {}
                Err(e) => self.errors.borrow_mut().push(format!("{e:#}")),
            }
        }
        None
    }
}

impl EntityLookup for Store {
    fn get(&self, key: &str) -> Option<Arc<CatalogEntity>> {
        self.get_with(key, Snapshot::entity)
    }

    fn get_lean(&self, key: &str, relation_types: &[&str]) -> Option<Arc<CatalogEntity>> {
        self.get_with(key, |s, k| s.entity_lean(k, relation_types))
    }

    fn contains(&self, key: &str) -> bool {
        self.snapshots.iter().any(|s| self.ok(s.has(key)))
    }

    fn refs_named(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        for snapshot in &self.snapshots {
            match snapshot.refs_named(name) {
                Ok(refs) => out.extend(refs),
                Err(e) => self.errors.borrow_mut().push(format!("{e:#}")),
            }
        }
        out.sort();
        out.dedup();
        out
    }
}
