//! A Backstage TechDocs backend: the site's metadata
//! (`/api/techdocs/metadata/techdocs/{namespace}/{kind}/{name}`, namespace
//! before kind) and its built pages (`/api/techdocs/static/docs/…`), turned
//! back into Markdown. Answers are cached under the cache dir (written
//! atomically), and the cache answers when the backend cannot be reached.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cache::file_stem;
use crate::config::Endpoint;
use crate::remotes::Remotes;
use crate::source::backstage::{ErrorKind as RemoteKind, RemoteError};
use callboard_core::docs::{
    normalize_rel, page_text, DocsError, ErrorKind, NavEntry, Page, Site, MAX_PAGE_BYTES,
};

#[derive(Debug, Deserialize)]
struct Metadata {
    #[serde(default)]
    site_name: Option<String>,
    #[serde(default)]
    site_description: Option<String>,
    #[serde(default)]
    files: Vec<String>,
}

/// The cache folder of one entity's site: `techdocs/<source>/<ns>/<kind>/<name>`.
pub fn cache_root(cache_dir: &Path, source: &str, triplet: &[String; 3]) -> PathBuf {
    let mut p = cache_dir.join("techdocs").join(file_stem(source));
    for part in triplet {
        p.push(file_stem(part));
    }
    p
}

/// Percent-encode one URL path segment.
fn encode(segment: &str) -> String {
    let mut out = String::new();
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn triplet_path(triplet: &[String; 3]) -> String {
    triplet
        .iter()
        .map(|s| encode(s))
        .collect::<Vec<_>>()
        .join("/")
}

/// Write a cache file: temp file in the same folder, then rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Turn a fetch failure into the docs error, or fall back to the cache.
fn failed(e: RemoteError, what: &str, endpoint: &Endpoint) -> DocsError {
    let text = e.to_string();
    if e.kind == RemoteKind::WrongUrl && text.contains("404") {
        return DocsError::new(
            ErrorKind::NotBuilt,
            format!(
                "docs not built: {} has no TechDocs site for {what} (404); publish them (techdocs-cli generate + publish, or open the entity's Docs tab in Backstage to build)",
                endpoint.url
            ),
        );
    }
    DocsError::new(ErrorKind::Remote, text)
}

/// The site's metadata and page list.
pub fn load_site(
    remotes: &Remotes,
    cache_dir: &Path,
    source: &str,
    endpoint: &Endpoint,
    triplet: &[String; 3],
) -> Result<Site, DocsError> {
    let root = cache_root(cache_dir, source, triplet);
    let cached = root.join("techdocs_metadata.json");
    let what = triplet.join("/");
    let (bytes, offline) = match remotes.techdocs(
        source,
        endpoint,
        &format!("/metadata/techdocs/{}", triplet_path(triplet)),
    ) {
        Ok(bytes) => {
            let _ = write_atomic(&cached, &bytes);
            (bytes, None)
        }
        Err(e) if e.is_unreachable() || e.kind == RemoteKind::Token => match fs::read(&cached) {
            Ok(bytes) => (
                bytes,
                Some(format!(
                    "offline: cached docs shown ({})",
                    callboard_core::text::sanitize::sanitize_line(&e.to_string())
                )),
            ),
            Err(_) => return Err(failed(e, &what, endpoint)),
        },
        Err(e) => return Err(failed(e, &what, endpoint)),
    };
    site_from_metadata(&bytes, triplet, &endpoint.url, offline)
}

/// The site from its metadata JSON (`files` lists the built pages).
fn site_from_metadata(
    bytes: &[u8],
    triplet: &[String; 3],
    origin: &str,
    offline: Option<String>,
) -> Result<Site, DocsError> {
    let what = triplet.join("/");
    let meta: Metadata = serde_json::from_slice(bytes).map_err(|e| {
        DocsError::new(
            ErrorKind::Remote,
            format!(
                "{}: the TechDocs metadata of {what} is not the JSON expected: {e}",
                origin
            ),
        )
    })?;
    let mut pages: Vec<String> = meta
        .files
        .iter()
        .filter(|f| f.to_ascii_lowercase().ends_with(".html"))
        .filter(|f| !f.starts_with("assets/") && !f.starts_with("search/") && *f != "404.html")
        .filter_map(|f| normalize_rel(f))
        .filter(|f| !f.is_empty())
        .collect();
    pages.sort_by_key(|p| (p != "index.html", p.matches('/').count(), p.clone()));
    pages.dedup();
    let nav = pages
        .iter()
        .map(|p| NavEntry {
            depth: p
                .trim_end_matches("index.html")
                .matches('/')
                .count()
                .saturating_sub(usize::from(p.ends_with("/index.html"))),
            title: title_from_path(p),
            page: Some(p.clone()),
            url: None,
            missing: false,
        })
        .collect();
    let mut problems = Vec::new();
    if pages.is_empty() {
        problems.push(format!("the TechDocs site of {what} lists no HTML pages"));
    }
    Ok(Site {
        name: meta
            .site_name
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| triplet[2].clone()),
        description: meta.site_description,
        nav,
        pages,
        problems,
        offline,
        root: None,
    })
}

/// The site as last fetched, from the cache only (no network): for
/// answers that must not wait, like the runbook in `callboard show`.
pub fn cached_site(cache_dir: &Path, source: &str, triplet: &[String; 3]) -> Option<Site> {
    let root = cache_root(cache_dir, source, triplet);
    let bytes = fs::read(root.join("techdocs_metadata.json")).ok()?;
    site_from_metadata(&bytes, triplet, source, None).ok()
}

/// A page as last fetched, as Markdown, from the cache only.
pub fn cached_markdown(
    cache_dir: &Path,
    source: &str,
    triplet: &[String; 3],
    page: &str,
) -> Option<String> {
    let rel = normalize_rel(page).filter(|p| !p.is_empty())?;
    let path = cache_root(cache_dir, source, triplet)
        .join("pages")
        .join(rel.split('/').map(file_stem).collect::<Vec<_>>().join("/"));
    let bytes = fs::read(path).ok()?;
    let html = String::from_utf8_lossy(&bytes[..bytes.len().min(2 * MAX_PAGE_BYTES)]);
    Some(callboard_core::docs::html::to_markdown(&html))
}

fn title_from_path(page: &str) -> String {
    if page == "index.html" {
        return "Home".to_string();
    }
    let stem = page
        .trim_end_matches("/index.html")
        .trim_end_matches(".html");
    let last = stem
        .rsplit('/')
        .next()
        .unwrap_or(stem)
        .replace(['-', '_'], " ");
    let mut c = last.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => page.to_string(),
    }
}

/// One built page, as Markdown.
pub fn load_page(
    remotes: &Remotes,
    cache_dir: &Path,
    source: &str,
    endpoint: &Endpoint,
    triplet: &[String; 3],
    page: &str,
) -> Result<Page, DocsError> {
    let rel = normalize_rel(page)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| {
            DocsError::new(ErrorKind::Invalid, format!("{page} leaves the docs site"))
        })?;
    let cached = cache_root(cache_dir, source, triplet)
        .join("pages")
        .join(rel.split('/').map(file_stem).collect::<Vec<_>>().join("/"));
    let url_path = format!(
        "/static/docs/{}/{}",
        triplet_path(triplet),
        rel.split('/').map(encode).collect::<Vec<_>>().join("/")
    );
    let mut notes = Vec::new();
    let bytes = match remotes.techdocs(source, endpoint, &url_path) {
        Ok(bytes) => {
            let _ = write_atomic(&cached, &bytes);
            bytes
        }
        Err(e) if e.is_unreachable() || e.kind == RemoteKind::Token => match fs::read(&cached) {
            Ok(bytes) => {
                notes.push("offline: the cached copy of this page is shown".to_string());
                bytes
            }
            Err(_) => return Err(failed(e, &format!("{}/{rel}", triplet.join("/")), endpoint)),
        },
        Err(e) => return Err(failed(e, &format!("{}/{rel}", triplet.join("/")), endpoint)),
    };
    // The HTML is bigger than its text: allow it twice the page limit
    // (what `max_docs_page_mb` downloads by default).
    let total = bytes.len();
    let html = String::from_utf8_lossy(&bytes[..total.min(2 * MAX_PAGE_BYTES)]);
    let markdown = callboard_core::docs::html::to_markdown(&html);
    let (markdown, more) = page_text(markdown.as_bytes(), markdown.len(), &rel);
    notes.extend(more);
    let title = markdown
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .map(|t| t.replace('\\', "").trim().to_string())
        .unwrap_or_else(|| title_from_path(&rel));
    Ok(Page {
        path: rel,
        title,
        markdown,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_site_answers_without_the_network_and_its_runbook_is_found() {
        let cache = tempfile::tempdir().unwrap();
        let triplet = [
            "default".to_string(),
            "component".to_string(),
            "svc".to_string(),
        ];
        assert!(
            cached_site(cache.path(), "prod", &triplet).is_none(),
            "nothing cached yet"
        );
        let root = cache_root(cache.path(), "prod", &triplet);
        write_atomic(
            &root.join("techdocs_metadata.json"),
            br#"{"site_name":"Svc","files":["index.html","ops/index.html","assets/x.css"]}"#,
        )
        .unwrap();
        let page = root
            .join("pages")
            .join(file_stem("ops"))
            .join(file_stem("index.html"));
        write_atomic(
            &page,
            b"<html><body><article><h1>Operations</h1><h2 id=\"on-call-runbook\">On-call runbook</h2><p>Restart it.</p></article></body></html>",
        )
        .unwrap();
        let site = cached_site(cache.path(), "prod", &triplet).unwrap();
        assert_eq!(site.pages, ["index.html", "ops/index.html"]);
        let runbook = callboard_core::docs::runbook::find(&site, "component:default/svc", |p| {
            cached_markdown(cache.path(), "prod", &triplet, p)
        })
        .unwrap();
        assert_eq!(runbook.page, "ops/index.html");
        assert_eq!(runbook.title, "On-call runbook");
    }

    fn docs_endpoint(url: &str, cap: u64) -> Endpoint {
        let mut endpoint = Endpoint::from_url(url);
        endpoint.token = crate::config::TokenSource::Env {
            var: "CALLBOARD_TEST_SURELY_UNSET_VAR".into(),
            required: false,
        };
        endpoint.timeout = std::time::Duration::from_secs(5);
        endpoint.max_docs_page_bytes = cap;
        endpoint
    }

    fn page_html(bytes: usize) -> String {
        let mut html = String::from("<html><body><article><h1>Big</h1>");
        while html.len() < bytes {
            html.push_str("<p>lorem ipsum dolor sit amet</p>\n");
        }
        html + "</article></body></html>"
    }

    #[test]
    fn a_docs_page_over_its_cap_is_not_downloaded_nor_cached() {
        use crate::test_server::{Answer, Request, TestServer};
        // 64 KiB of cap; a page of 200 KiB (announced with its length) and
        // a small one.
        let server = TestServer::start(|r: &Request| {
            if r.target.contains("/big/") {
                Answer::html(&page_html(200 << 10))
            } else {
                Answer::html(&page_html(10 << 10))
            }
        });
        let cache = tempfile::tempdir().unwrap();
        let triplet = [
            "default".to_string(),
            "component".to_string(),
            "svc".to_string(),
        ];
        let endpoint = docs_endpoint(&server.url(), 64 << 10);
        let remotes = Remotes::new();
        let root = cache_root(cache.path(), "prod", &triplet);
        let small = load_page(
            &remotes,
            cache.path(),
            "prod",
            &endpoint,
            &triplet,
            "small/index.html",
        )
        .unwrap();
        assert_eq!(small.title, "Big");
        assert!(
            root.join("pages").exists(),
            "a page under the cap is cached"
        );
        let e = load_page(
            &remotes,
            cache.path(),
            "prod",
            &endpoint,
            &triplet,
            "big/index.html",
        )
        .unwrap_err();
        assert!(
            e.message.contains("page over 0.06 MiB") && e.message.contains("not downloaded"),
            "{}",
            e.message
        );
        assert!(e.message.contains("max_docs_page_mb"), "{}", e.message);
        let big = root.join("pages").join(file_stem("big"));
        assert!(!big.exists(), "nothing is cached for a page over the cap");
        // Asked once: too big is not worth retrying.
        let asked = server
            .requests()
            .iter()
            .filter(|r| r.target.contains("/big/"))
            .count();
        assert_eq!(asked, 1);
    }

    #[test]
    fn a_docs_page_without_a_length_stops_streaming_at_its_cap() {
        use std::io::{BufRead, BufReader, Write};
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::Arc;
        // An endless page with no Content-Length (ended by closing): the
        // client must stop reading at the cap, not buffer the whole of it.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let written = Arc::new(AtomicU64::new(0));
        let count = written.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let count = count.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut line = String::new();
                    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                        line.clear();
                    }
                    let _ = conn.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html><body><article>",
                    );
                    let chunk = "<p>lorem ipsum dolor sit amet</p>\n".repeat(2000);
                    // Up to 300 MB, as the probe's page.
                    while count.load(Ordering::SeqCst) < 300 << 20 {
                        if conn.write_all(chunk.as_bytes()).is_err() {
                            return;
                        }
                        count.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                    }
                });
            }
        });
        let cache = tempfile::tempdir().unwrap();
        let triplet = [
            "default".to_string(),
            "component".to_string(),
            "svc".to_string(),
        ];
        let endpoint = docs_endpoint(&url, 1 << 20);
        let started = std::time::Instant::now();
        let e = load_page(
            &Remotes::new(),
            cache.path(),
            "prod",
            &endpoint,
            &triplet,
            "index.html",
        )
        .unwrap_err();
        assert!(
            e.message.contains("page over 1 MiB") && e.message.contains("not downloaded"),
            "{}",
            e.message
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        // What the server got out before the client hung up: the cap plus
        // what the socket buffers hold, far from the 300 MB.
        std::thread::sleep(std::time::Duration::from_millis(200));
        let sent = written.load(Ordering::SeqCst);
        assert!(sent < 32 << 20, "{sent} bytes sent");
        assert!(!cache_root(cache.path(), "prod", &triplet)
            .join("pages")
            .exists());
    }

    #[test]
    fn cache_paths_cannot_climb_out() {
        let root = cache_root(
            Path::new("/c"),
            "../../x",
            &["default".into(), "component".into(), "../y".into()],
        );
        assert!(root.starts_with("/c/techdocs"));
        assert!(!root.to_string_lossy().contains(".."));
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
        assert_eq!(title_from_path("guide/index.html"), "Guide");
        assert_eq!(title_from_path("ops/run-book.html"), "Run book");
    }
}
