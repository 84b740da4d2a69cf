//! A full sync's page read in one pass: each item lean-parsed where it
//! lies in the body, its text taken from there, instead of splitting the
//! page into raw items and parsing each again. Only a page in the shape
//! Backstage sends (`{"items":[…], …}`) whose items all parse is read so;
//! any other page (and any page this way would read differently) is left
//! to the general path, which decides.

use serde_json::value::RawValue;

use callboard_core::catalog::indexed::parse_indexed_prefix;
use callboard_core::catalog::Entity;

/// A page's items, each the server's JSON of one entity (the general path).
#[derive(serde::Deserialize)]
pub(super) struct PageItems<'a> {
    #[serde(borrow, default)]
    pub(super) items: Vec<&'a RawValue>,
}

fn skip_ws(body: &[u8], mut at: usize) -> usize {
    while body
        .get(at)
        .is_some_and(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
    {
        at += 1;
    }
    at
}

fn expect(body: &[u8], at: usize, what: &[u8]) -> Option<usize> {
    body.get(at..)?.starts_with(what).then(|| at + what.len())
}

/// Every item of the page `body` with its text and its entity as
/// `parse_indexed` reads it, in order: what the general path
/// ([`PageItems`], then `parse_indexed` of each) finds when every item is
/// a good entity. `None` for any other page.
pub(super) fn lean_items(body: &[u8]) -> Option<Vec<(&str, Entity)>> {
    // Checked whole, once: the items are then read as text, whose
    // strings need no check each.
    let text = std::str::from_utf8(body).ok()?;
    let mut at = skip_ws(body, 0);
    at = expect(body, at, b"{")?;
    at = expect(body, skip_ws(body, at), b"\"items\"")?;
    at = expect(body, skip_ws(body, at), b":")?;
    at = expect(body, skip_ws(body, at), b"[")?;
    at = skip_ws(body, at);
    let mut out = Vec::new();
    if let Some(next) = expect(body, at, b"]") {
        at = next;
    } else {
        loop {
            // `at` follows an ASCII byte: a char boundary.
            let (entity, len) = parse_indexed_prefix(&text[at..])?;
            out.push((&text[at..at + len], entity));
            at = skip_ws(body, at + len);
            match body.get(at) {
                Some(b',') => at = skip_ws(body, at + 1),
                Some(b']') => {
                    at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    // The rest of the page as the general path reads it (a repeated
    // `items`, bad JSON after the items: refused alike), its items left out.
    let mut rest = Vec::with_capacity(11 + body.len() - at);
    rest.extend_from_slice(b"{\"items\":[]");
    rest.extend_from_slice(&body[at..]);
    serde_json::from_slice::<PageItems>(&rest).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use callboard_core::catalog::indexed::parse_indexed;
    use serde_json::{json, Value};

    /// What the general path reads from `body`: each item's text and
    /// `parse_indexed` verdict; `None` when the page does not parse.
    fn general(body: &[u8]) -> Option<Vec<(String, Result<Entity, String>)>> {
        let page: PageItems = serde_json::from_slice(body).ok()?;
        Some(
            page.items
                .iter()
                .map(|raw| {
                    (
                        raw.get().to_string(),
                        parse_indexed(raw.get()).map_err(|e| e.to_string()),
                    )
                })
                .collect(),
        )
    }

    /// The one-pass read is the general one wherever it answers, and
    /// answers on `expect_fast` pages.
    fn check(body: &[u8], expect_fast: bool) {
        let fast = lean_items(body);
        assert_eq!(
            fast.is_some(),
            expect_fast,
            "{}",
            String::from_utf8_lossy(body)
        );
        if let Some(fast) = fast {
            let general = general(body).expect("the general path reads it");
            let fast: Vec<(String, Result<Entity, String>)> = fast
                .into_iter()
                .map(|(t, e)| (t.to_string(), Ok(e)))
                .collect();
            assert_eq!(fast, general, "{}", String::from_utf8_lossy(body));
        }
    }

    fn entity(name: &str) -> Value {
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": name, "namespace": "default", "etag": format!("e-{name}"),
                "tags": ["a", 1], "description": "d\u{e9}\\\"x", "annotations": {"k": "v"}},
            "spec": {"type": "service", "owner": "team-a", "lifecycle": "production",
                "system": "s", "other": [1, {"x": null}]},
            "relations": [{"type": "ownedBy", "targetRef": "group:default/team-a"}],
            "status": {"items": []}})
    }

    #[test]
    fn pages_as_backstage_sends_them_read_alike() {
        let items: Vec<Value> = (0..20).map(|i| entity(&format!("c{i}"))).collect();
        let compact = json!({"items": items, "totalItems": 20, "pageInfo": {"nextCursor": "abc"}});
        check(serde_json::to_string(&compact).unwrap().as_bytes(), true);
        check(
            serde_json::to_string_pretty(&compact).unwrap().as_bytes(),
            true,
        );
        check(br#"{"items":[],"totalItems":0,"pageInfo":{}}"#, true);
        check(br#" { "items" : [ ] } "#, true);
        // Fixture pages recorded from a real backend.
        let mut seen = 0;
        for entry in std::fs::read_dir(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/fixtures/backstage-api"
        ))
        .unwrap()
        {
            let path = entry.unwrap().path();
            let text = std::fs::read(&path).unwrap();
            if text.starts_with(b"{\"items\"") {
                let fast = lean_items(&text).is_some();
                check(&text, fast);
                seen += usize::from(fast);
            }
        }
        assert!(seen > 0, "no fixture page read in one pass");
    }

    #[test]
    fn other_pages_are_left_to_the_general_path() {
        let one = serde_json::to_string(&entity("a")).unwrap();
        let cases: Vec<String> = vec![
            // Items not first, or not an array.
            format!(r#"{{"totalItems":1,"items":[{one}]}}"#),
            r#"{"items":{}}"#.into(),
            // A bad entity, or not one.
            format!(r#"{{"items":[{one},{{"kind":"Component"}}]}}"#),
            format!(r#"{{"items":[{one},3]}}"#),
            format!(r#"{{"items":[{one},null]}}"#),
            // Repeated keys inside an item (the lean read refuses them).
            r#"{"items":[{"apiVersion":"v1","kind":"A","kind":"B","metadata":{"name":"x"}}]}"#
                .into(),
            // A repeated `items`, and bad JSON after the items.
            format!(r#"{{"items":[{one}],"items":[]}}"#),
            format!(r#"{{"items":[{one}],"totalItems":}}"#),
            format!(r#"{{"items":[{one}]}} x"#),
            format!(r#"{{"items":[{one}]"#),
            format!(r#"{{"items":[{one},]}}"#),
            format!(r#"{{"items":[{one} {one}]}}"#),
            // An escaped key.
            format!(r#"{{"\u0069tems":[{one}]}}"#),
        ];
        for case in &cases {
            check(case.as_bytes(), false);
        }
        // Bytes that are not UTF-8 inside a skipped string.
        let mut bad = format!(r#"{{"items":[{one}]}}"#).into_bytes();
        let at = bad.windows(3).position(|w| w == b"v\"}").unwrap();
        bad[at] = 0xff;
        check(&bad, false);
        assert!(general(&bad).is_none());
        // Every cut of a good page.
        let page = format!(r#"{{"items":[{one},{one}],"totalItems":2}}"#);
        for cut in 0..page.len() {
            let body = &page.as_bytes()[..cut];
            assert_eq!(lean_items(body).is_some(), general(body).is_some(), "{cut}");
        }
    }
}
