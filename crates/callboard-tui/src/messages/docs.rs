//! The Docs pane's requests and the pages the docs worker answers with.

use std::sync::Arc;

use crate::docs_render::Rendered;
use callboard_core::docs::{DocsError, Site};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocsRequest {
    pub key: String,
    /// None: the home page.
    pub page: Option<String>,
    pub width: u16,
    pub palette: crate::theme::Palette,
}

#[derive(Debug, Clone)]
pub struct DocsDoc {
    pub site: Arc<Site>,
    /// The entity whose docs these are.
    pub docs_of: String,
    pub page: String,
    pub title: String,
    pub notes: Vec<String>,
    pub rendered: Arc<Rendered>,
}

#[derive(Debug, Clone)]
pub struct DocsReply {
    pub key: String,
    /// The page asked for (None: home).
    pub asked: Option<String>,
    pub width: u16,
    pub result: Result<DocsDoc, DocsError>,
}
