//! The rows of a snapshot being written: the entities table (with their
//! etags), search records and outside edges, owned by a [`super::SnapshotWriter`].

use anyhow::Result;
use rusqlite::{params, Connection};

use super::RowRef;
use callboard_core::catalog::relations::OutsideEdges;
use callboard_core::catalog::CatalogEntity;
use callboard_core::search::{CorpusBuilder, SearchRecord};

/// See the module doc.
pub struct Rows {
    pub(super) conn: Connection,
    /// The search corpus, built as rows are added (its finish only
    /// concatenates).
    pub(super) corpus: CorpusBuilder,
    /// Reverse edges owed to entities of other sources.
    pub(super) outside: OutsideEdges,
    pub(super) count: usize,
}

impl Rows {
    pub(super) fn new(conn: Connection) -> Rows {
        Rows {
            conn,
            corpus: CorpusBuilder::new(),
            outside: OutsideEdges::default(),
            count: 0,
        }
    }

    /// [`super::SnapshotWriter::add_json`].
    pub fn add_json(&mut self, e: &CatalogEntity, json: &[u8]) -> Result<bool> {
        let key = e.entity.ref_key();
        let name = e.entity.metadata.name.to_lowercase();
        let row = RowRef {
            key: &key,
            name: &name,
            source: &e.origin.source,
            location: &e.origin.location,
            line: e.origin.line,
            json,
            etag: e.entity.metadata.etag.as_deref(),
        };
        let Some(id) = self.outside.insert_inside(&key) else {
            return Ok(false);
        };
        self.insert_row(&row)?;
        self.corpus.push_entity(&key, &e.entity);
        self.outside.add_relations_of_entity(id, &e.entity);
        self.count += 1;
        Ok(true)
    }

    /// [`super::SnapshotWriter::add_row`].
    pub fn add_row(&mut self, row: RowRef, record: SearchRecord) -> Result<bool> {
        if self.outside.insert_inside(row.key).is_none() {
            return Ok(false);
        }
        self.insert_row(&row)?;
        self.corpus.push_record(&record);
        self.count += 1;
        Ok(true)
    }

    /// [`super::SnapshotWriter::add_carried`].
    pub fn add_carried(&mut self, row: RowRef, record: SearchRecord) -> Result<bool> {
        if self.outside.insert_inside(row.key).is_none() {
            return Ok(false);
        }
        self.insert_row(&row)?;
        self.corpus.push_record(&record);
        self.count += 1;
        Ok(true)
    }

    /// Write a row whose ref is new to the set. Duplicates are found in
    /// memory (the outside edges intern every ref anyway) and the unique
    /// index on `ref` is built once at the finish: kept up to date row by
    /// row, its B-tree inserts in random key order were a tenth of a
    /// remote sync's writer.
    fn insert_row(&mut self, row: &RowRef) -> Result<()> {
        // The etag is a column of the row (format 6): one B-tree write
        // less per entity than a table of its own keyed by ref.
        self.conn
            .prepare_cached(
                "INSERT INTO entities (ref, name, source, location, line, json, etag) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                row.key,
                row.name,
                row.source,
                row.location,
                row.line,
                row.json,
                row.etag
            ])?;
        Ok(())
    }

    /// Entities added so far.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}
