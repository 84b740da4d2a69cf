//! A MkDocs project on disk. Reads `mkdocs.yaml`/`mkdocs.yml` and the
//! Markdown under `docs_dir`; every path is checked (lexically and after
//! resolving symlinks) to stay inside the docs folder.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::safe_fs;
use callboard_core::docs::mkdocs::{self, MkDocs, NavItem};
use callboard_core::docs::{
    inside, normalize_rel, page_text, DocsError, ErrorKind, NavEntry, Page, Site, MAX_PAGE_BYTES,
};

/// At most this many Markdown files are listed (a docs folder, not a disk).
const MAX_FILES: usize = 5000;
const MAX_DEPTH: usize = 16;
const MAX_CONFIG_BYTES: u64 = 1 << 20;

fn io(message: String) -> DocsError {
    DocsError::new(ErrorKind::Io, message)
}

fn invalid(message: String) -> DocsError {
    DocsError::new(ErrorKind::Invalid, message)
}

/// Read the site: config, nav and the list of pages.
pub fn load_site(project_dir: &Path, owner_ref: &str) -> Result<Site, DocsError> {
    let project = fs::canonicalize(project_dir).map_err(|e| {
        io(format!(
            "{owner_ref}: the docs folder {} cannot be read: {e}",
            project_dir.display()
        ))
    })?;
    // MkDocs prefers mkdocs.yaml when both exist.
    let config_path = ["mkdocs.yaml", "mkdocs.yml"]
        .iter()
        .map(|n| project.join(n))
        .find(|p| p.is_file());
    let mut config = match &config_path {
        Some(path) => {
            let shown = path.display().to_string();
            let real = fs::canonicalize(path).map_err(|e| io(format!("{shown}: {e}")))?;
            if !real.starts_with(&project) {
                return Err(invalid(format!(
                    "{shown} is a link to {}, outside the project folder; not read",
                    real.display()
                )));
            }
            let bytes = safe_fs::read_regular(&real, MAX_CONFIG_BYTES).map_err(|e| match e {
                safe_fs::ReadError::TooLarge { size, .. } => invalid(format!(
                    "{shown} is {} bytes; an mkdocs config that big is not one",
                    size.map_or_else(|| "too many".to_string(), |s| s.to_string())
                )),
                other => io(format!("cannot read {shown}: {other}")),
            })?;
            let text = String::from_utf8(bytes)
                .map_err(|_| invalid(format!("{shown} is not UTF-8 text")))?;
            mkdocs::parse(&text, &shown).map_err(invalid)?
        }
        // As the TechDocs builder does: a minimal config.
        None => MkDocs::default(),
    };
    let docs_dir_lexical = inside(&project, &config.docs_dir).ok_or_else(|| {
        invalid(format!(
            "{}: docs_dir '{}' leaves the project folder",
            config_shown(&config_path, &project),
            callboard_core::text::sanitize::sanitize_line(&config.docs_dir)
        ))
    })?;
    let docs_dir = fs::canonicalize(&docs_dir_lexical).map_err(|_| {
        invalid(format!(
            "{}: the docs folder {} does not exist (docs_dir: {})",
            config_shown(&config_path, &project),
            docs_dir_lexical.display(),
            callboard_core::text::sanitize::sanitize_line(&config.docs_dir)
        ))
    })?;
    if !docs_dir.starts_with(&project) {
        return Err(invalid(format!(
            "docs_dir {} resolves outside the project folder {}",
            docs_dir_lexical.display(),
            project.display()
        )));
    }
    let mut problems = std::mem::take(&mut config.problems);
    let files = markdown_files(&docs_dir, &mut problems);
    let file_set: HashSet<&str> = files.iter().map(String::as_str).collect();

    let mut nav = Vec::new();
    let mut pages: Vec<String> = Vec::new();
    match &config.nav {
        Some(items) => flatten(
            items,
            0,
            &docs_dir,
            &file_set,
            &mut nav,
            &mut pages,
            &mut problems,
        ),
        None => {
            for f in &files {
                nav.push(NavEntry {
                    depth: f.matches('/').count(),
                    title: page_title(&docs_dir, f),
                    page: Some(f.clone()),
                    url: None,
                    missing: false,
                });
                pages.push(f.clone());
            }
        }
    }
    // Pages left out of the nav are still reachable by links.
    for f in &files {
        if !pages.contains(f) {
            pages.push(f.clone());
        }
    }
    let name = config
        .site_name
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| callboard_core::catalog::entity_ref::ref_name(owner_ref).to_string());
    if files.is_empty() {
        problems.push(format!("{} holds no Markdown pages", docs_dir.display()));
    }
    Ok(Site {
        name,
        description: config.site_description.clone(),
        nav,
        pages,
        problems,
        offline: None,
        root: Some(docs_dir),
    })
}

fn config_shown(config: &Option<PathBuf>, project: &Path) -> String {
    match config {
        Some(p) => p.display().to_string(),
        None => format!("{} (no mkdocs.yml)", project.display()),
    }
}

fn flatten(
    items: &[NavItem],
    depth: usize,
    docs_dir: &Path,
    files: &HashSet<&str>,
    nav: &mut Vec<NavEntry>,
    pages: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    for item in items {
        match item {
            NavItem::Page { title, path } => {
                let Some(rel) = normalize_rel(path).filter(|r| !r.is_empty()) else {
                    problems.push(format!(
                        "nav entry '{}' leaves the docs folder; left out",
                        callboard_core::text::sanitize::sanitize_line(path)
                    ));
                    continue;
                };
                let rel = if files.contains(rel.as_str()) || rel.ends_with(".md") {
                    rel
                } else if files.contains(format!("{rel}/index.md").as_str()) {
                    format!("{rel}/index.md")
                } else {
                    rel
                };
                let exists = files.contains(rel.as_str());
                if !exists {
                    problems.push(format!(
                        "nav entry '{}' names {}, which is not in {}",
                        callboard_core::text::sanitize::sanitize_line(
                            title.as_deref().unwrap_or(path)
                        ),
                        callboard_core::text::sanitize::sanitize_line(&rel),
                        docs_dir.display()
                    ));
                }
                let title = match title {
                    Some(t) => t.clone(),
                    None if exists => page_title(docs_dir, &rel),
                    None => rel.clone(),
                };
                nav.push(NavEntry {
                    depth,
                    title,
                    page: Some(rel.clone()),
                    url: None,
                    missing: !exists,
                });
                if exists && !pages.contains(&rel) {
                    pages.push(rel);
                }
            }
            NavItem::Link { title, url } => nav.push(NavEntry {
                depth,
                title: title.clone(),
                page: None,
                url: Some(url.clone()),
                missing: false,
            }),
            NavItem::Section { title, children } => {
                nav.push(NavEntry {
                    depth,
                    title: title.clone(),
                    page: None,
                    url: None,
                    missing: false,
                });
                flatten(children, depth + 1, docs_dir, files, nav, pages, problems);
            }
        }
    }
}

/// Markdown files under `dir` as `/`-separated relative paths: in each
/// folder `index.md` (else `README.md`) first, then files, then subfolders.
/// Symlinks are not followed.
fn markdown_files(dir: &Path, problems: &mut Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    walk(dir, "", 0, &mut out, problems);
    if out.len() >= MAX_FILES {
        problems.push(format!(
            "{} holds more than {MAX_FILES} Markdown files; the rest are left out",
            dir.display()
        ));
    }
    out
}

fn walk(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<String>, problems: &mut Vec<String>) {
    if depth > MAX_DEPTH || out.len() >= MAX_FILES {
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(format!("cannot list {}: {e}", dir.display()));
            return;
        }
    };
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if kind.is_dir() {
            dirs.push(name);
        } else if kind.is_file() && name.to_ascii_lowercase().ends_with(".md") {
            files.push(name);
        }
    }
    let rank = |n: &str| match n {
        "index.md" => 0,
        "README.md" | "readme.md" => 1,
        _ => 2,
    };
    files.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    dirs.sort();
    for f in files {
        if out.len() >= MAX_FILES {
            return;
        }
        out.push(format!("{prefix}{f}"));
    }
    for d in dirs {
        walk(
            &dir.join(&d),
            &format!("{prefix}{d}/"),
            depth + 1,
            out,
            problems,
        );
    }
}

/// A page's first `# ` heading, else its file name.
fn page_title(docs_dir: &Path, rel: &str) -> String {
    let mut head = String::new();
    if let Ok(real) = fs::canonicalize(docs_dir.join(rel)) {
        if real.starts_with(docs_dir) {
            if let Ok((bytes, _)) = safe_fs::read_regular_prefix(&real, 8192) {
                head = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
    }
    let mut in_fence = false;
    for line in head.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
        }
        if !in_fence {
            if let Some(h) = t.strip_prefix("# ") {
                let h = h.trim().trim_end_matches('#').trim();
                if !h.is_empty() {
                    return callboard_core::text::sanitize::sanitize_line(h).into_owned();
                }
            }
        }
    }
    let stem = rel
        .rsplit('/')
        .next()
        .unwrap_or(rel)
        .trim_end_matches(".md");
    if stem == "index" || stem.eq_ignore_ascii_case("readme") {
        let parent = rel.rsplit('/').nth(1).unwrap_or("Home");
        return parent.to_string();
    }
    stem.replace(['-', '_'], " ")
}

/// Read one page from under the site's docs folder.
pub fn load_page(site: &Site, page: &str) -> Result<Page, DocsError> {
    let root = site
        .root
        .as_ref()
        .ok_or_else(|| invalid("not a local docs site".into()))?;
    let shown = format!("{}/{page}", root.display());
    let path = normalize_rel(page)
        .and_then(|rel| inside(root, &rel))
        .ok_or_else(|| invalid(format!("{page} leaves the docs folder")))?;
    let real = fs::canonicalize(&path).map_err(|e| io(format!("cannot read {shown}: {e}")))?;
    if !real.starts_with(root) {
        return Err(invalid(format!(
            "{shown} is a link to {}, outside the docs folder; not read",
            real.display()
        )));
    }
    let (bytes, total) = safe_fs::read_regular_prefix(&real, MAX_PAGE_BYTES as u64 + 1)
        .map_err(|e| io(format!("cannot read {shown}: {e}")))?;
    let total = total as usize;
    let (markdown, notes) = page_text(&bytes, total, &shown);
    Ok(Page {
        path: page.to_string(),
        title: site.title_of(page).unwrap_or_default().to_string(),
        markdown,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    #[test]
    fn without_nav_pages_come_from_the_tree_index_first() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "docs/b.md", "# Bee\n");
        write(t.path(), "docs/a.md", "no heading\n");
        write(t.path(), "docs/index.md", "# Home\n");
        write(t.path(), "docs/sub/index.md", "# Sub home\n");
        write(
            t.path(),
            "docs/sub/c.md",
            "```\n# not a title\n```\n# Sea\n",
        );
        let site = load_site(t.path(), "component:default/x").unwrap();
        assert_eq!(site.name, "x");
        assert_eq!(
            site.pages,
            ["index.md", "a.md", "b.md", "sub/index.md", "sub/c.md"]
        );
        let titles: Vec<&str> = site.nav.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(titles, ["Home", "a", "Bee", "Sub home", "Sea"]);
    }

    #[test]
    fn missing_nav_files_and_escapes_are_reported_not_fatal() {
        let t = tempfile::tempdir().unwrap();
        write(
            t.path(),
            "mkdocs.yml",
            "site_name: S\nnav:\n  - Home: index.md\n  - Gone: gone.md\n  - Out: ../../secret.md\n",
        );
        write(t.path(), "docs/index.md", "# Home\n");
        write(t.path(), "secret.md", "secret\n");
        let site = load_site(t.path(), "component:default/x").unwrap();
        assert_eq!(site.pages, ["index.md"]);
        assert!(site.nav.iter().any(|n| n.title == "Gone" && n.missing));
        assert!(site.problems.iter().any(|p| p.contains("gone.md")));
        assert!(site
            .problems
            .iter()
            .any(|p| p.contains("leaves the docs folder")));
        assert!(load_page(&site, "../secret.md").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_docs_folder_are_not_read() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "docs/index.md", "# Home\n");
        write(t.path(), "outside.md", "secret\n");
        std::os::unix::fs::symlink(t.path().join("outside.md"), t.path().join("docs/evil.md"))
            .unwrap();
        let mut site = load_site(t.path(), "component:default/x").unwrap();
        // Symlinks are not listed; even when named, they are refused.
        assert_eq!(site.pages, ["index.md"]);
        site.pages.push("evil.md".into());
        let e = load_page(&site, "evil.md").unwrap_err();
        assert!(e.message.contains("outside the docs folder"), "{e}");
    }

    #[test]
    fn invalid_config_and_missing_docs_dir_say_so() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "mkdocs.yml", "nav: [\n");
        let e = load_site(t.path(), "component:default/x").unwrap_err();
        assert!(
            e.message.contains("mkdocs.yml:") && e.message.contains("YAML"),
            "{e}"
        );
        write(t.path(), "mkdocs.yml", "site_name: S\ndocs_dir: nope\n");
        let e = load_site(t.path(), "component:default/x").unwrap_err();
        assert!(e.message.contains("does not exist"), "{e}");
        write(t.path(), "mkdocs.yml", "site_name: S\ndocs_dir: ../..\n");
        let e = load_site(t.path(), "component:default/x").unwrap_err();
        assert!(e.message.contains("leaves the project folder"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn pipes_and_linked_configs_are_not_read() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "docs/index.md", "# Home\n");
        crate::safe_fs::tests::mkfifo(&t.path().join("docs/pipe.md"));
        let mut site = load_site(t.path(), "component:default/x").unwrap();
        site.pages.push("pipe.md".into());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(load_page(&site, "pipe.md").map(|p| p.markdown));
        });
        let e = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("reading a named pipe blocked")
            .unwrap_err();
        assert!(e.message.contains("named pipe"), "{e}");

        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "secret.yml", "site_name: Secret\n");
        std::os::unix::fs::symlink(
            outside.path().join("secret.yml"),
            t.path().join("mkdocs.yml"),
        )
        .unwrap();
        let e = load_site(t.path(), "component:default/x").unwrap_err();
        assert!(e.message.contains("outside the project folder"), "{e}");
    }
}
