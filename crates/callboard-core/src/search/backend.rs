//! Results of a Backstage backend's search (`/api/search/query`): the
//! catalog (`software-catalog`) and TechDocs (`techdocs`) documents, with
//! the highlight markers turned into ranges of sanitized text.
//!
//! The backend wraps each match in a `preTag`/`postTag` pair chosen at
//! random for every response (a UUID in angle brackets), so the markers are
//! read from `highlight.preTag`/`postTag`, never assumed. Everything shown
//! is sanitized (control sequences stripped) segment by segment, so the
//! highlight ranges index the text as it is shown.

use serde::Serialize;
use serde_json::Value;

use crate::text::sanitize;

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackendHit {
    /// `techdocs` or `software-catalog` (or another type the backend has).
    #[serde(rename = "type")]
    pub kind: String,
    /// `component:default/tui-web`, from the document's location.
    #[serde(rename = "ref")]
    pub entity_ref: Option<String>,
    pub title: String,
    pub text: String,
    /// `/docs/default/component/tui-web/guide/` or `/catalog/default/component/tui-web`.
    pub location: String,
    /// For a TechDocs hit: the page's path inside the docs (`guide/`), empty for the home page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs_path: Option<String>,
    /// Byte ranges of `title` and `text` the backend highlighted.
    pub title_highlights: Vec<(usize, usize)>,
    pub text_highlights: Vec<(usize, usize)>,
}

/// A page of results and the cursor of the next.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendPage {
    pub hits: Vec<BackendHit>,
    pub next_cursor: Option<String>,
}

/// Parse one `/api/search/query` answer.
pub fn parse_page(body: &Value) -> BackendPage {
    let hits = body
        .get("results")
        .and_then(Value::as_array)
        .map(|results| results.iter().filter_map(parse_hit).collect())
        .unwrap_or_default();
    BackendPage {
        hits,
        next_cursor: body
            .get("nextPageCursor")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_string),
    }
}

fn parse_hit(result: &Value) -> Option<BackendHit> {
    let doc = result.get("document")?;
    let kind = result.get("type").and_then(Value::as_str)?.to_string();
    let field = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or_default();
    let location = sanitize(field("location")).into_owned();
    let hl = result.get("highlight");
    let tags = hl.and_then(|h| {
        Some((
            h.get("preTag")?.as_str()?.to_string(),
            h.get("postTag")?.as_str()?.to_string(),
        ))
    });
    let highlighted = |name: &str, plain: &str| -> (String, Vec<(usize, usize)>) {
        let marked = hl
            .and_then(|h| h.pointer(&format!("/fields/{name}")))
            .and_then(Value::as_str);
        match (marked, &tags) {
            (Some(m), Some((pre, post))) => strip_marks(m, pre, post),
            _ => (sanitize(plain).into_owned(), Vec::new()),
        }
    };
    let (title, title_highlights) = highlighted("title", field("title"));
    let (text, text_highlights) = highlighted("text", field("text"));
    let (entity_ref, docs_path) = from_location(&location);
    Some(BackendHit {
        kind,
        entity_ref,
        title,
        text,
        location,
        docs_path,
        title_highlights,
        text_highlights,
    })
}

/// `/catalog/NS/KIND/NAME` or `/docs/NS/KIND/NAME/PATH`: the entity's ref
/// and, for docs, the page path.
pub fn from_location(location: &str) -> (Option<String>, Option<String>) {
    let parts: Vec<&str> = location.trim_start_matches('/').splitn(5, '/').collect();
    match parts.as_slice() {
        ["catalog", ns, kind, name, ..] => (
            Some(format!("{}:{}/{}", kind, ns, name).to_lowercase()),
            None,
        ),
        ["docs", ns, kind, name, rest @ ..] => (
            Some(format!("{}:{}/{}", kind, ns, name).to_lowercase()),
            Some(rest.first().copied().unwrap_or_default().to_string()),
        ),
        _ => (None, None),
    }
}

/// The text without the markers, sanitized, and the highlighted byte
/// ranges in it. An unclosed marker highlights to the end.
pub fn strip_marks(marked: &str, pre: &str, post: &str) -> (String, Vec<(usize, usize)>) {
    let mut out = String::new();
    let mut ranges = Vec::new();
    let mut rest = marked;
    if pre.is_empty() || post.is_empty() {
        return (sanitize(marked).into_owned(), ranges);
    }
    while let Some(i) = rest.find(pre) {
        out.push_str(&sanitize(&rest[..i]));
        rest = &rest[i + pre.len()..];
        let (inner, after) = match rest.find(post) {
            Some(j) => (&rest[..j], &rest[j + post.len()..]),
            None => (rest, ""),
        };
        let start = out.len();
        out.push_str(&sanitize(inner));
        if out.len() > start {
            ranges.push((start, out.len()));
        }
        rest = after;
    }
    out.push_str(&sanitize(rest));
    (out, ranges)
}

/// The free text of a callboard query, for the backend: the words that are
/// not `key:value` filters (and not `!exclusions`), fzf markers dropped.
pub fn free_text(query: &str) -> String {
    query
        .split_whitespace()
        .filter(|w| !w.starts_with('!'))
        .filter(|w| {
            !w.split_once(':').is_some_and(|(k, _)| {
                matches!(
                    k.to_ascii_lowercase().as_str(),
                    "kind" | "type" | "owner" | "lifecycle" | "tag" | "system" | "namespace"
                )
            })
        })
        .map(|w| w.trim_start_matches(['\'', '^']).trim_end_matches('$'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn markers_become_ranges_of_the_sanitized_text() {
        let (t, r) = strip_marks(
            "see the <x1>Guide</x1> and <x1>guide</x1>s",
            "<x1>",
            "</x1>",
        );
        assert_eq!(t, "see the Guide and guides");
        assert_eq!(r, [(8, 13), (18, 23)]);
        assert_eq!(&t[r[0].0..r[0].1], "Guide");
        let (t, r) = strip_marks("a\u{1b}[31m<p>b\u{1b}]0;x\u{7}</p>c", "<p>", "</p>");
        assert!(!t.contains('\u{1b}'), "{t:?}");
        assert_eq!(&t[r[0].0..r[0].1], "b");
        let (t, r) = strip_marks("<p>open", "<p>", "</p>");
        assert_eq!((t.as_str(), r), ("open", vec![(0, 4)]));
    }

    #[test]
    fn a_page_of_catalog_and_docs_results() {
        let tag = "<a5a59f30-cfdd-4f3b-b8b1-6f8f66b6d002>";
        let end = "</a5a59f30-cfdd-4f3b-b8b1-6f8f66b6d002>";
        let body = json!({
            "results": [
                {"type": "techdocs", "document": {"title": "Guide", "text": "How to use it",
                  "location": "/docs/default/component/tui-web/guide/", "kind": "component",
                  "namespace": "default", "name": "tui-web"},
                 "highlight": {"preTag": tag, "postTag": end,
                  "fields": {"title": format!("{tag}Guide{end}")}}},
                {"type": "software-catalog", "document": {"title": "tui-web", "text": "Web UI",
                  "location": "/catalog/default/component/tui-web"}}
            ],
            "nextPageCursor": "MQ=="
        });
        let page = parse_page(&body);
        assert_eq!(page.next_cursor.as_deref(), Some("MQ=="));
        let docs = &page.hits[0];
        assert_eq!(docs.kind, "techdocs");
        assert_eq!(
            docs.entity_ref.as_deref(),
            Some("component:default/tui-web")
        );
        assert_eq!(docs.docs_path.as_deref(), Some("guide/"));
        assert_eq!(
            (docs.title.as_str(), &docs.title_highlights[..]),
            ("Guide", &[(0, 5)][..])
        );
        assert_eq!(docs.text, "How to use it");
        let cat = &page.hits[1];
        assert_eq!(cat.entity_ref.as_deref(), Some("component:default/tui-web"));
        assert_eq!(cat.docs_path, None);
        assert!(parse_page(&json!({"results": []})).next_cursor.is_none());
        assert_eq!(
            from_location("/docs/default/component/tui-web/"),
            (
                Some("component:default/tui-web".into()),
                Some(String::new())
            )
        );
    }

    #[test]
    fn the_free_text_leaves_out_filters() {
        assert_eq!(
            free_text("kind:api owner:team-a pay !legacy ^gate"),
            "pay gate"
        );
        assert_eq!(free_text("guide"), "guide");
        assert_eq!(free_text("kind:component"), "");
    }
}
