//! `mkdocs.yml`: the few keys TechDocs keeps that a reader needs
//! (`site_name`, `site_description`, `docs_dir`, `nav`). Read with a YAML
//! parser that tolerates MkDocs' `!!python/name:` tags.

use yaml_rust2::{Yaml, YamlLoader};

/// One item of `nav:`: a page, a section with children, or a web link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NavItem {
    Page {
        title: Option<String>,
        path: String,
    },
    Link {
        title: String,
        url: String,
    },
    Section {
        title: String,
        children: Vec<NavItem>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MkDocs {
    pub site_name: Option<String>,
    pub site_description: Option<String>,
    /// `docs` unless set.
    pub docs_dir: String,
    /// None: pages come from the file tree.
    pub nav: Option<Vec<NavItem>>,
    /// Entries that could not be understood, in words.
    pub problems: Vec<String>,
}

impl Default for MkDocs {
    fn default() -> Self {
        MkDocs {
            site_name: None,
            site_description: None,
            docs_dir: "docs".to_string(),
            nav: None,
            problems: Vec::new(),
        }
    }
}

/// Parse the text of `mkdocs.yml`; `shown` names the file in messages.
pub fn parse(text: &str, shown: &str) -> Result<MkDocs, String> {
    crate::text::yaml_guard::check(text).map_err(|e| format!("{shown}: {e}"))?;
    let docs = YamlLoader::load_from_str(text).map_err(|e| {
        format!(
            "{shown}:{}:{}: not valid YAML: {}",
            e.marker().line(),
            e.marker().col() + 1,
            e.info()
        )
    })?;
    let root = match docs.into_iter().next() {
        None => return Ok(MkDocs::default()),
        Some(Yaml::Hash(h)) => Yaml::Hash(h),
        Some(Yaml::Null) => return Ok(MkDocs::default()),
        Some(_) => {
            return Err(format!(
                "{shown}: expected a mapping of settings (site_name:, nav:, …)"
            ))
        }
    };
    let mut out = MkDocs::default();
    let text_of = |y: &Yaml| match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    };
    out.site_name = text_of(&root["site_name"]);
    out.site_description = text_of(&root["site_description"]);
    match &root["docs_dir"] {
        Yaml::BadValue | Yaml::Null => {}
        y => match text_of(y) {
            Some(d) if !d.trim().is_empty() => out.docs_dir = d.trim().to_string(),
            _ => out
                .problems
                .push(format!("{shown}: docs_dir is not a path; using docs")),
        },
    }
    match &root["nav"] {
        Yaml::BadValue | Yaml::Null => {}
        Yaml::Array(items) => {
            let mut problems = Vec::new();
            out.nav = Some(nav_items(items, shown, &mut problems, 0));
            out.problems.extend(problems);
        }
        _ => out.problems.push(format!(
            "{shown}: nav is not a list; pages come from the docs folder"
        )),
    }
    Ok(out)
}

fn nav_items(
    items: &[Yaml],
    shown: &str,
    problems: &mut Vec<String>,
    depth: usize,
) -> Vec<NavItem> {
    let mut out = Vec::new();
    if depth > 16 {
        problems.push(format!(
            "{shown}: nav is nested more than 16 levels; the rest is left out"
        ));
        return out;
    }
    for item in items {
        match item {
            Yaml::String(path) => out.push(NavItem::Page {
                title: None,
                path: path.trim().to_string(),
            }),
            Yaml::Hash(h) if h.len() == 1 => {
                let (k, v) = h.iter().next().expect("one entry");
                let title = match k {
                    Yaml::String(s) | Yaml::Real(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    _ => {
                        problems.push(format!("{shown}: a nav title is not text; entry left out"));
                        continue;
                    }
                };
                match v {
                    Yaml::String(target) => {
                        let target = target.trim().to_string();
                        let lower = target.to_ascii_lowercase();
                        if lower.contains("://") || lower.starts_with("mailto:") {
                            out.push(NavItem::Link { title, url: target });
                        } else {
                            out.push(NavItem::Page {
                                title: Some(title),
                                path: target,
                            });
                        }
                    }
                    Yaml::Array(children) => out.push(NavItem::Section {
                        title,
                        children: nav_items(children, shown, problems, depth + 1),
                    }),
                    _ => problems.push(format!(
                        "{shown}: nav entry '{}' is neither a page nor a list; left out",
                        crate::text::sanitize::sanitize_line(&title)
                    )),
                }
            }
            _ => problems.push(format!(
                "{shown}: a nav entry is not `Title: page.md`, `page.md` or `Title: [...]`; left out"
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_nav_and_python_tags() {
        let m = parse(
            "site_name: Booking API\ndocs_dir: pages\nnav:\n  - Home: index.md\n  - extra.md\n  - Ops:\n      - Runbook: runbook.md\n      - Web: https://x.example\nmarkdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n",
            "mkdocs.yml",
        )
        .unwrap();
        assert_eq!(m.site_name.as_deref(), Some("Booking API"));
        assert_eq!(m.docs_dir, "pages");
        let nav = m.nav.unwrap();
        assert_eq!(nav.len(), 3);
        assert_eq!(
            nav[1],
            NavItem::Page {
                title: None,
                path: "extra.md".into()
            }
        );
        let NavItem::Section { title, children } = &nav[2] else {
            panic!("{nav:?}")
        };
        assert_eq!(title, "Ops");
        assert!(matches!(&children[1], NavItem::Link { url, .. } if url == "https://x.example"));
    }

    #[test]
    fn bad_yaml_names_the_line() {
        let e = parse("site_name: x\nnav: [\n  - a: b\n", "docs/mkdocs.yml").unwrap_err();
        assert!(e.starts_with("docs/mkdocs.yml:"), "{e}");
        assert!(e.contains("not valid YAML"), "{e}");
        let e = parse("- a\n- b\n", "mkdocs.yml").unwrap_err();
        assert!(e.contains("expected a mapping"), "{e}");
        let m = parse("nav: 3\n", "mkdocs.yml").unwrap();
        assert!(m.nav.is_none() && m.problems[0].contains("nav is not a list"));
    }

    #[test]
    fn an_alias_bomb_is_refused_before_it_expands() {
        let mut text = String::from("site_name: x\na0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = format!("*a{}", i - 1);
            text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 9].join(", ")));
        }
        text.push_str("nav: *a8\n");
        let started = std::time::Instant::now();
        let e = parse(&text, "mkdocs.yml").unwrap_err();
        assert!(e.contains("mkdocs.yml: aliases expand"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
