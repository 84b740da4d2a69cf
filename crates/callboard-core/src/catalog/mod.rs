//! The pure catalog model: entities, refs, relations, validation and the
//! in-memory graph. Knows nothing of sources, the cache or the UI.

pub mod api;
pub mod entity;
pub mod entity_ref;
pub mod index;
pub mod indexed;
pub mod lean;
pub mod org;
pub mod relations;
pub mod surfaces;
pub mod validate;

pub use entity::{Entity, Kind, Link, Metadata, Relation};
pub use entity_ref::{EntityRef, RefContext, RefError};
pub use index::{Catalog, CatalogEntity, EntityLookup, Origin};
