//! Conditional identity listings: each listing page's `ETag`, kept in the
//! snapshot's meta, is sent back as `If-None-Match`; when every page
//! answers `304 Not Modified` the catalog is unchanged and the snapshot is
//! kept as it is.
//!
//! A tag is only sent for the very request it was given for: the same URL
//! (endpoint, `limit`, `fields`, `filter`, cursor) at the same position in
//! the listing. The snapshot itself is per source and per signed-in
//! identity (its `principal` meta), so the tags are too; no token is kept.

/// A snapshot's meta key: the identity listing's page tags (JSON).
pub const META_LISTING_TAGS: &str = "listing_etags";

/// One listing page as answered: the request's URL, the answer's `ETag`,
/// and the next page's cursor it carried (a `304` has no body to read it
/// from; the same tag means the same body, so the same cursor).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct PageTag {
    pub(super) url: String,
    pub(super) etag: String,
    pub(super) next: Option<String>,
}

/// The tags kept in a snapshot's meta; none when absent or unreadable.
pub(super) fn read_tags(meta: Option<&str>) -> Vec<PageTag> {
    meta.and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default()
}

pub(super) fn write_tags(tags: &[PageTag]) -> String {
    serde_json::to_string(tags).expect("tags serialise")
}

/// What a conditional listing found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct ListingAnswers {
    pub(super) not_modified: usize,
    pub(super) read: usize,
}

impl ListingAnswers {
    /// Every page answered `304`: nothing changed.
    pub(super) fn unchanged(&self) -> bool {
        self.not_modified > 0 && self.read == 0
    }

    /// Some pages `304`, some read: the items of the unchanged ones are
    /// not at hand, so the listing is read again without tags.
    pub(super) fn mixed(&self) -> bool {
        self.not_modified > 0 && self.read > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_and_bad_meta_means_none() {
        let tags = vec![
            PageTag {
                url: "http://h/api/catalog/entities/by-query?limit=2".into(),
                etag: "W/\"1-a\"".into(),
                next: Some("c1".into()),
            },
            PageTag {
                url: "http://h/api/catalog/entities/by-query?limit=2&cursor=c1".into(),
                etag: "W/\"2-b\"".into(),
                next: None,
            },
        ];
        assert_eq!(read_tags(Some(&write_tags(&tags))), tags);
        assert!(read_tags(None).is_empty());
        assert!(read_tags(Some("{not json")).is_empty());
    }
}
