//! Runbooks in docs: a page named `runbook`/`runbooks` (by file or nav
//! title), else the first heading with that word.

use serde::Serialize;

use super::Site;

/// Pages scanned for a runbook heading, at most (bytes, all pages).
const SCAN_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocsRunbook {
    /// The entity whose docs hold it.
    pub docs_of: String,
    pub page: String,
    pub title: String,
    /// The heading's anchor when the runbook is a section of a page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor: Option<String>,
}

/// Does this text name a runbook (the word, any case, singular or plural)?
pub fn says_runbook(text: &str) -> bool {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w == "runbook" || w == "runbooks")
}

fn page_stem(page: &str) -> &str {
    let p = page
        .trim_end_matches("/index.md")
        .trim_end_matches("/index.html")
        .trim_end_matches(".md")
        .trim_end_matches(".html");
    p.rsplit('/').next().unwrap_or(p)
}

/// The runbook of a site; `read` gives a page's Markdown (None when it
/// cannot be read).
pub fn find(
    site: &Site,
    docs_of: &str,
    mut read: impl FnMut(&str) -> Option<String>,
) -> Option<DocsRunbook> {
    let by_name = site.pages.iter().find(|p| {
        let stem = page_stem(p).to_lowercase();
        stem == "runbook" || stem == "runbooks"
    });
    let by_title = || {
        site.nav
            .iter()
            .find(|n| n.page.is_some() && !n.missing && says_runbook(&n.title))
            .and_then(|n| n.page.as_ref())
    };
    if let Some(page) = by_name.or_else(by_title) {
        return Some(DocsRunbook {
            docs_of: docs_of.to_string(),
            page: page.clone(),
            title: site.title_of(page).unwrap_or(page_stem(page)).to_string(),
            anchor: None,
        });
    }
    let mut budget = SCAN_BYTES;
    for page in &site.pages {
        let Some(md) = read(page) else { continue };
        budget = budget.saturating_sub(md.len());
        let mut fence = false;
        for line in md.lines() {
            let t = line.trim_start();
            if t.starts_with("```") || t.starts_with("~~~") {
                fence = !fence;
                continue;
            }
            if fence || !t.starts_with('#') {
                continue;
            }
            let title = t.trim_start_matches('#');
            if !title.starts_with(' ') {
                continue;
            }
            let (title, id) = match title.trim().rsplit_once("{#") {
                Some((t, id)) => (t.trim(), Some(id.trim_end_matches('}').trim().to_string())),
                None => (title.trim().trim_end_matches('#').trim(), None),
            };
            if says_runbook(title) {
                let title = crate::text::sanitize::sanitize_line(title).into_owned();
                return Some(DocsRunbook {
                    docs_of: docs_of.to_string(),
                    page: page.clone(),
                    anchor: Some(id.unwrap_or_else(|| super::slug(&title))),
                    title,
                });
            }
        }
        if budget == 0 {
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::NavEntry;

    fn site(pages: &[(&str, &str)]) -> Site {
        Site {
            name: "s".into(),
            description: None,
            nav: pages
                .iter()
                .map(|(p, t)| NavEntry {
                    depth: 0,
                    title: t.to_string(),
                    page: Some(p.to_string()),
                    url: None,
                    missing: false,
                })
                .collect(),
            pages: pages.iter().map(|(p, _)| p.to_string()).collect(),
            problems: Vec::new(),
            offline: None,
            root: None,
        }
    }

    #[test]
    fn page_name_then_nav_title_then_heading() {
        let s = site(&[("index.md", "Home"), ("ops/runbooks.md", "Operations")]);
        let r = find(&s, "c", |_| None).unwrap();
        assert_eq!((r.page.as_str(), r.anchor), ("ops/runbooks.md", None));
        let s = site(&[("index.md", "Home"), ("oncall.md", "On-call Runbook")]);
        assert_eq!(find(&s, "c", |_| None).unwrap().page, "oncall.md");
        let s = site(&[("index.md", "Home"), ("ops.md", "Ops")]);
        let r = find(&s, "c", |p| {
            Some(if p == "ops.md" {
                "# Ops\n```\n# runbook in code\n```\n## The Runbook\n".to_string()
            } else {
                "# Home\nrunbook in text\n".to_string()
            })
        })
        .unwrap();
        assert_eq!(
            (r.page.as_str(), r.anchor.as_deref()),
            ("ops.md", Some("the-runbook"))
        );
        assert!(find(&site(&[("index.md", "Home")]), "c", |_| Some(
            "# Runbooking\n".into()
        ))
        .is_none());
        assert!(says_runbook("Runbooks: booking") && !says_runbook("runbooking"));
    }
}
