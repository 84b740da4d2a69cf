//! The backend's search (`GET /api/search/query`): catalog and TechDocs
//! documents, with the catalog's auth, retries and errors.

use reqwest::{Method, Url};
use serde_json::Value;

use super::{ErrorKind, Remote, RemoteError};
use callboard_core::search::backend::{parse_page, BackendHit, BackendPage};

/// The document types callboard asks for.
pub const SEARCH_TYPES: [&str; 2] = ["software-catalog", "techdocs"];

impl Remote {
    /// One page of results for `term` (`cursor`: from the previous page).
    pub async fn search_page(
        &self,
        term: &str,
        cursor: Option<&str>,
    ) -> Result<BackendPage, RemoteError> {
        let mut url =
            Url::parse(&format!("{}/api/search/query", self.endpoint.url)).map_err(|e| {
                RemoteError::new(
                    ErrorKind::Setup,
                    format!("{}: bad search URL: {e}", self.at()),
                )
            })?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("term", term);
            for (i, t) in SEARCH_TYPES.iter().enumerate() {
                q.append_pair(&format!("types[{i}]"), t);
            }
            if let Some(c) = cursor {
                q.append_pair("pageCursor", c);
            }
        }
        let body = self
            .fetch(Method::GET, url.clone(), None, &mut |_| {})
            .await?;
        let value: Value = self.parse(&url, &body)?;
        Ok(parse_page(&value))
    }

    /// Up to `max` hits for `term`, following `nextPageCursor`.
    pub async fn search(&self, term: &str, max: usize) -> Result<Vec<BackendHit>, RemoteError> {
        let mut hits = Vec::new();
        let mut cursor: Option<String> = None;
        // A bound on pages too, whatever the backend's page size.
        for _ in 0..10 {
            let page = self.search_page(term, cursor.as_deref()).await?;
            let empty = page.hits.is_empty();
            hits.extend(page.hits);
            match page.next_cursor {
                Some(next) if hits.len() < max && !empty => cursor = Some(next),
                _ => break,
            }
        }
        hits.truncate(max);
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Endpoint, TokenSource};
    use crate::remotes::Remotes;
    use crate::test_server::{Answer, Request, TestServer};
    use serde_json::json;

    #[test]
    fn pages_are_followed_with_the_cursor_and_both_types_asked() {
        let server = TestServer::start(|r: &Request| {
            let hit = |n: u32| {
                json!({"type": "techdocs", "document": {"title": format!("P{n}"), "text": "t",
                       "location": format!("/docs/default/component/svc/p{n}/")}})
            };
            if r.target.contains("pageCursor=Mg%3D%3D") {
                Answer::json(200, json!({"results": [hit(3)]}))
            } else {
                Answer::json(
                    200,
                    json!({"results": [hit(1), hit(2)], "nextPageCursor": "Mg=="}),
                )
            }
        });
        let mut endpoint = Endpoint::from_url(&server.url());
        endpoint.token = TokenSource::Command("printf tok-123456".into());
        let remotes = Remotes::new();
        let hits = remotes.search("prod", &endpoint, "guide me", 10).unwrap();
        let titles: Vec<_> = hits.iter().map(|h| h.title.as_str()).collect();
        assert_eq!(titles, ["P1", "P2", "P3"]);
        assert_eq!(hits[2].docs_path.as_deref(), Some("p3/"));
        let first = &server.requests()[0];
        assert!(
            first.target.starts_with("/api/search/query?term=guide+me"),
            "{}",
            first.target
        );
        assert!(
            first.target.contains("types%5B0%5D=software-catalog")
                && first.target.contains("types%5B1%5D=techdocs"),
            "{}",
            first.target
        );
        assert_eq!(first.authorization.as_deref(), Some("Bearer tok-123456"));
        // A limit stops the paging.
        assert_eq!(remotes.search("prod", &endpoint, "x", 2).unwrap().len(), 2);
        assert_eq!(server.requests().len(), 3);
    }
}
