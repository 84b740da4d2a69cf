//! TechDocs, the model: a site's navigation and pages, links between them,
//! `mkdocs.yml`, built HTML turned back into Markdown, runbooks.
//!
//! Finding and reading a site (a local MkDocs project, or a Backstage
//! TechDocs site over HTTP) is `callboard_io::docs`; rendering pages for
//! the terminal is the TUI's. Every string read from docs is untrusted:
//! pages are sanitized when loaded, and nothing outside the docs folder is
//! read.

pub mod html;
pub mod mkdocs;
pub mod runbook;

use std::fmt;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

pub const TECHDOCS_REF: &str = "backstage.io/techdocs-ref";
pub const TECHDOCS_ENTITY: &str = "backstage.io/techdocs-entity";

/// Pages above this size are cut (with a note saying so): a terminal pager
/// is the wrong tool for them, and memory stays bounded.
pub const MAX_PAGE_BYTES: usize = 2 << 20;
/// Deepest nesting of lists and quotes drawn; deeper is drawn at this level.
pub const MAX_NESTING: usize = 16;
/// Most columns of a table drawn; the rest of a row is left out.
pub const MAX_TABLE_COLUMNS: usize = 64;
/// Most cells of one table drawn; the rest of its rows are left out.
pub const MAX_TABLE_CELLS: usize = 20_000;

/// Bound the work a page can cause when it is drawn, line by line (so in
/// linear time): a line's leading run of indentation and list or quote
/// markers is cut to [`MAX_NESTING`] levels, table rows to
/// [`MAX_TABLE_COLUMNS`] cells and tables to [`MAX_TABLE_CELLS`] cells.
/// Returns the text and a note when anything was cut.
pub fn bound_markdown(md: &str) -> (std::borrow::Cow<'_, str>, Option<String>) {
    // Code blocks are drawn as they are, one line each: never cut here.
    let mut in_code = false;
    let outside_code = |line: &&str| {
        if is_fence(line) {
            in_code = !in_code;
            return false;
        }
        !in_code
    };
    let prose: Vec<&str> = md.lines().filter(outside_code).collect();
    let needs = prose.iter().any(|line| {
        nesting_prefix(line) > MAX_NESTING * 4 || line.matches('|').count() > MAX_TABLE_COLUMNS
    });
    let table_cells = prose
        .iter()
        .filter(|l| l.trim_start().starts_with('|'))
        .map(|l| l.matches('|').count())
        .sum::<usize>();
    if !needs && table_cells <= MAX_TABLE_CELLS {
        return (std::borrow::Cow::Borrowed(md), None);
    }
    let mut out = String::with_capacity(md.len());
    let mut cells = 0usize;
    let mut dropping = false;
    let mut cut = false;
    let mut in_code = false;
    for line in md.split_inclusive('\n') {
        if is_fence(line) {
            in_code = !in_code;
        }
        if in_code || is_fence(line) {
            out.push_str(line);
            continue;
        }
        let mut line = line;
        let prefix = nesting_prefix(line);
        let kept_prefix;
        if prefix > MAX_NESTING * 4 {
            // Keep the last levels' worth of the prefix (as much as fits).
            let start = line[..prefix]
                .char_indices()
                .map(|(i, _)| i)
                .find(|&i| prefix - i <= MAX_NESTING * 4)
                .unwrap_or(prefix);
            kept_prefix = &line[start..];
            line = kept_prefix;
            cut = true;
        }
        let is_row = line.trim_start().starts_with('|');
        if !is_row {
            dropping = false;
            cells = 0;
        } else {
            if dropping {
                cut = true;
                continue;
            }
            let pipes = line.matches('|').count();
            cells += pipes.min(MAX_TABLE_COLUMNS + 1);
            if cells > MAX_TABLE_CELLS {
                dropping = true;
                cut = true;
                continue;
            }
        }
        if line.matches('|').count() > MAX_TABLE_COLUMNS {
            let end = line
                .match_indices('|')
                .nth(MAX_TABLE_COLUMNS)
                .map_or(line.len(), |(i, _)| i + 1);
            out.push_str(&line[..end]);
            if line.ends_with('\n') {
                out.push('\n');
            }
            cut = true;
            continue;
        }
        out.push_str(line);
    }
    let note = cut.then(|| {
        format!(
            "this page is shown in part: lists and quotes past {MAX_NESTING} levels, tables past {MAX_TABLE_COLUMNS} columns or {MAX_TABLE_CELLS} cells are cut"
        )
    });
    (std::borrow::Cow::Owned(out), note)
}

/// Bytes of a line's leading indentation and list or quote markers: `>`,
/// and `-` `*` `+` `1.` `1)` followed by a space (so `+-----+` or `---`
/// is text, not nesting).
fn nesting_prefix(line: &str) -> usize {
    let b = line.as_bytes();
    let blank = |i: usize| i >= b.len() || matches!(b[i], b' ' | b'\t' | b'\n' | b'\r');
    let mut i = 0;
    loop {
        match b.get(i) {
            Some(b' ' | b'\t' | b'>') => i += 1,
            Some(b'-' | b'*' | b'+') if blank(i + 1) => i += 1,
            Some(b'0'..=b'9') => {
                let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                let after = i + digits;
                if matches!(b.get(after), Some(b'.' | b')')) && blank(after + 1) {
                    i = after + 1;
                } else {
                    return i;
                }
            }
            _ => return i.min(line.len()),
        }
    }
}

/// Whether a line opens or closes a fenced code block (```` ``` ```` or `~~~`
/// after at most three spaces).
fn is_fence(line: &str) -> bool {
    let t = line.trim_start_matches(' ');
    line.len() - t.len() <= 3 && (t.starts_with("```") || t.starts_with("~~~"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The entity declares no docs.
    NoDocs,
    /// The backend has no built site for the entity (404).
    NotBuilt,
    /// `mkdocs.yml`, a nav entry or a link is wrong.
    Invalid,
    /// A page or file could not be read.
    Io,
    /// The backend could not be reached or refused; nothing cached.
    Remote,
    /// Docs that callboard cannot read from here (a `url:` ref offline).
    Unsupported,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocsError {
    pub kind: ErrorKind,
    pub message: String,
}

impl DocsError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> DocsError {
        DocsError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for DocsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DocsError {}

/// One row of the navigation tree, flattened in reading order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NavEntry {
    pub depth: usize,
    pub title: String,
    /// The page (path under the docs folder / site); None for a section
    /// or an external link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The nav names a file that does not exist.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub missing: bool,
}

/// A docs site: its name, navigation and pages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Site {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub nav: Vec<NavEntry>,
    /// Readable pages in reading order (nav order, each once).
    pub pages: Vec<String>,
    /// What was wrong but did not stop the site loading.
    pub problems: Vec<String>,
    /// Set when answered from the offline cache: why, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offline: Option<String>,
    /// A local site's docs folder (canonical): pages are read from under it only.
    #[serde(skip)]
    pub root: Option<PathBuf>,
}

impl Site {
    /// The nav title of a page, if the nav names it.
    pub fn title_of(&self, page: &str) -> Option<&str> {
        self.nav
            .iter()
            .find(|n| n.page.as_deref() == Some(page))
            .map(|n| n.title.as_str())
    }

    /// The home page: `index.md`/`index.html` when there is one, else the first.
    pub fn home(&self) -> Option<&str> {
        self.pages
            .iter()
            .find(|p| *p == "index.md" || *p == "index.html")
            .or_else(|| self.pages.first())
            .map(String::as_str)
    }

    /// The page a user named: a path, a path without `.md`, or a nav title
    /// (case-insensitive).
    pub fn find_page(&self, wanted: &str) -> Option<&str> {
        let w = wanted.trim().trim_start_matches("./").trim_end_matches('/');
        let lower = w.to_lowercase();
        let candidates = [
            w.to_string(),
            format!("{w}.md"),
            format!("{w}/index.md"),
            format!("{w}/index.html"),
            format!("{w}.html"),
        ];
        for c in &candidates {
            if let Some(p) = self.pages.iter().find(|p| *p == c) {
                return Some(p);
            }
        }
        self.nav
            .iter()
            .find(|n| n.page.is_some() && n.title.to_lowercase() == lower)
            .and_then(|n| n.page.as_deref())
    }
}

/// A page, read and sanitized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    pub path: String,
    pub title: String,
    pub markdown: String,
    /// Notes for the reader (a cut page, bytes that were not UTF-8).
    pub notes: Vec<String>,
}

/// `rel` joined to `base` when it stays inside `base` (lexically, before
/// any file is touched); None for absolute paths and `..` escapes.
pub fn inside(base: &Path, rel: &str) -> Option<PathBuf> {
    let mut out = base.to_path_buf();
    let mut depth = 0usize;
    for c in Path::new(rel).components() {
        match c {
            Component::CurDir => {}
            Component::Normal(part) => {
                out.push(part);
                depth += 1;
            }
            Component::ParentDir => {
                if depth == 0 {
                    return None;
                }
                out.pop();
                depth -= 1;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// A `/`-separated path relative to a site root, normalised; None when it
/// climbs out of the root.
pub fn normalize_rel(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Where a link in a page goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// Another page of the same site (and a heading in it).
    Page {
        path: String,
        anchor: Option<String>,
    },
    /// A heading on the same page.
    Anchor(String),
    /// Outside the docs: a web link or mail.
    External(String),
    /// A relative link that leaves the docs folder, or names no page.
    Refused(String),
}

/// Resolve `href` found on page `from` against the site's pages.
pub fn resolve_link(site: &Site, from: &str, href: &str) -> LinkTarget {
    let href = href.trim();
    if href.is_empty() {
        return LinkTarget::Refused("an empty link".into());
    }
    if let Some(anchor) = href.strip_prefix('#') {
        return LinkTarget::Anchor(anchor.to_string());
    }
    let lower = href.to_ascii_lowercase();
    if lower.contains("://") || lower.starts_with("mailto:") || lower.starts_with("tel:") {
        return LinkTarget::External(href.to_string());
    }
    if href.starts_with('/') {
        return LinkTarget::Refused(format!(
            "{href} is an absolute path; only links between pages are followed"
        ));
    }
    let (path, anchor) = match href.split_once('#') {
        Some((p, a)) => (p, Some(a.to_string()).filter(|a| !a.is_empty())),
        None => (href, None),
    };
    let path = path.split('?').next().unwrap_or(path);
    let dir = match from.rfind('/') {
        Some(i) => &from[..i],
        None => "",
    };
    let joined = if dir.is_empty() {
        path.to_string()
    } else {
        format!("{dir}/{path}")
    };
    let Some(norm) = normalize_rel(&joined) else {
        return LinkTarget::Refused(format!("{href} leaves the docs folder"));
    };
    // MkDocs links name the .md file; built sites name the folder or its
    // index.html.
    let candidates = [
        norm.clone(),
        format!("{norm}.md"),
        format!(
            "{}index.md",
            if norm.is_empty() {
                String::new()
            } else {
                format!("{norm}/")
            }
        ),
        format!(
            "{}index.html",
            if norm.is_empty() {
                String::new()
            } else {
                format!("{norm}/")
            }
        ),
        norm.strip_suffix(".md")
            .map(|s| format!("{s}/index.html"))
            .unwrap_or_default(),
    ];
    for c in candidates.iter().filter(|c| !c.is_empty()) {
        if site.pages.iter().any(|p| p == c) {
            return LinkTarget::Page {
                path: c.clone(),
                anchor,
            };
        }
    }
    LinkTarget::Refused(format!("{href}: no such page in these docs"))
}

/// The anchor MkDocs gives a heading (Python-Markdown's `toc` slugify):
/// lower case, ASCII letters, digits, `_` and `-`, spaces to `-`.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in title.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else if c == '-' || c.is_whitespace() {
            dash = true;
        }
    }
    out
}

/// Decode page bytes: sanitized UTF-8, cut at [`MAX_PAGE_BYTES`] on a line
/// boundary, with notes saying what was done.
pub fn page_text(bytes: &[u8], total: usize, shown_path: &str) -> (String, Vec<String>) {
    let mut notes = Vec::new();
    let total = total.max(bytes.len());
    let bytes = if total > MAX_PAGE_BYTES {
        let cut = bytes[..MAX_PAGE_BYTES]
            .iter()
            .rposition(|&b| b == b'\n')
            .unwrap_or(MAX_PAGE_BYTES);
        notes.push(format!(
            "{shown_path} is {:.1} MB; callboard shows the first {} MiB — open the file in an editor for the rest",
            total as f64 / 1e6,
            MAX_PAGE_BYTES >> 20
        ));
        &bytes[..cut]
    } else {
        bytes
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => {
            notes.push(format!(
                "{shown_path} is not valid UTF-8; the bad bytes are shown as �"
            ));
            String::from_utf8_lossy(bytes)
        }
    };
    // Keep newlines and tabs; CRLF becomes LF so nothing can overwrite a line.
    let clean = crate::text::sanitize::sanitize(&text.replace("\r\n", "\n")).into_owned();
    let (bounded, note) = bound_markdown(&clean);
    notes.extend(note);
    (bounded.into_owned(), notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(pages: &[&str]) -> Site {
        Site {
            name: "s".into(),
            description: None,
            nav: Vec::new(),
            pages: pages.iter().map(|p| p.to_string()).collect(),
            problems: Vec::new(),
            offline: None,
            root: None,
        }
    }

    #[test]
    fn links_resolve_between_pages_and_never_leave_the_folder() {
        let s = site(&["index.md", "runbook.md", "guides/deploy.md"]);
        assert_eq!(
            resolve_link(&s, "guides/deploy.md", "../runbook.md#3-lag"),
            LinkTarget::Page {
                path: "runbook.md".into(),
                anchor: Some("3-lag".into())
            }
        );
        assert_eq!(
            resolve_link(&s, "index.md", "guides/deploy"),
            LinkTarget::Page {
                path: "guides/deploy.md".into(),
                anchor: None
            }
        );
        assert!(matches!(
            resolve_link(&s, "index.md", "../../etc/passwd"),
            LinkTarget::Refused(m) if m.contains("leaves the docs folder")
        ));
        assert!(matches!(
            resolve_link(&s, "index.md", "/etc/passwd"),
            LinkTarget::Refused(_)
        ));
        assert_eq!(
            resolve_link(&s, "index.md", "#top"),
            LinkTarget::Anchor("top".into())
        );
        assert_eq!(
            resolve_link(&s, "index.md", "https://x.example/a"),
            LinkTarget::External("https://x.example/a".into())
        );
        let built = site(&["index.html", "guide/index.html"]);
        assert_eq!(
            resolve_link(&built, "index.html", "guide/"),
            LinkTarget::Page {
                path: "guide/index.html".into(),
                anchor: None
            }
        );
        assert_eq!(
            resolve_link(&built, "guide/index.html", "../"),
            LinkTarget::Page {
                path: "index.html".into(),
                anchor: None
            }
        );
    }

    #[test]
    fn slugs_match_mkdocs() {
        assert_eq!(slug("3. Kafka outbox lag"), "3-kafka-outbox-lag");
        assert_eq!(slug("Rolling back"), "rolling-back");
        assert_eq!(slug("  What's new? — v2 "), "whats-new-v2");
    }

    #[test]
    fn inside_refuses_escapes() {
        let base = Path::new("/repo/svc");
        assert_eq!(inside(base, "."), Some(PathBuf::from("/repo/svc")));
        assert_eq!(inside(base, "./docs/.."), Some(PathBuf::from("/repo/svc")));
        assert_eq!(inside(base, ".."), None);
        assert_eq!(inside(base, "/etc"), None);
    }

    #[test]
    fn big_and_broken_pages_are_cut_and_noted() {
        let mut big = "line\n".repeat(MAX_PAGE_BYTES / 5 + 10).into_bytes();
        big.extend_from_slice(b"\x1b[2Jend");
        let (text, notes) = page_text(&big, big.len(), "big.md");
        assert!(text.len() <= MAX_PAGE_BYTES);
        assert!(notes[0].contains("big.md is 2.1 MB"), "{notes:?}");
        let (text, notes) = page_text(b"a\xffb\x1b]0;x\x07c\r\n", 0, "bad.md");
        assert_eq!(text, "a\u{fffd}bc\n");
        assert!(notes[0].contains("not valid UTF-8"));
    }

    #[test]
    fn page_work_is_bounded_columns_cells_and_nesting() {
        // 20,000 columns: the rows are cut to the first 64.
        let header = format!("|{}\n", "c|".repeat(20_000));
        let sep = format!("|{}\n", "-|".repeat(20_000));
        let row = format!("|{}\n", "x|".repeat(20_000));
        let md = format!("{header}{sep}{row}{row}");
        let (text, notes) = page_text(md.as_bytes(), md.len(), "wide.md");
        assert!(text
            .lines()
            .all(|l| l.matches('|').count() <= MAX_TABLE_COLUMNS + 1));
        assert!(notes.iter().any(|n| n.contains("64 columns")), "{notes:?}");
        // Many rows: cut at the cell limit.
        let md = format!("|a|b|\n|-|-|\n{}", "|1|2|\n".repeat(50_000));
        let (text, _) = page_text(md.as_bytes(), md.len(), "long.md");
        assert!(text.lines().count() < 10_000);
        // Deep nesting by markers or indentation.
        let md = format!("{}x\n{}y\n", "- ".repeat(100_000), " ".repeat(100_000));
        let (text, _) = page_text(md.as_bytes(), md.len(), "deep.md");
        assert!(text.len() < 1000, "{}", text.len());
        // An ordinary page is left alone.
        let (text, notes) = page_text(
            b"# T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n- x\n  - y\n",
            0,
            "ok.md",
        );
        assert!(notes.is_empty() && text.contains("  - y"));
    }

    #[test]
    fn diagrams_and_code_blocks_are_never_cut() {
        let diagram = format!(
            "{}\n| a | -----> | b |\n{}\n",
            "+-------------+        ".repeat(4),
            "+-------------+        ".repeat(4)
        );
        // In a code block, however wide or pipe-heavy, and as plain text.
        let wide = format!("echo {}\n", "a | ".repeat(100));
        let md = format!("# D\n\n```\n{diagram}{wide}```\n\n{diagram}");
        let (text, notes) = page_text(md.as_bytes(), md.len(), "d.md");
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(text, md);
        // Markers need a space after them to nest.
        assert_eq!(nesting_prefix("+-----+"), 0);
        assert_eq!(nesting_prefix("  - > 1. x"), 9);
    }
}
