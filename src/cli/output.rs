//! Text rendering for the headless commands. Every catalog string passes
//! through [`callboard_core::text::sanitize`] here, the one place output is formatted.

use std::fmt::Write as _;

use callboard_core::catalog::index::{DepNode, DepTree, Direction};
use callboard_core::catalog::org::{Named, Ownership, Profile};
use callboard_core::report::ShowReport;
use callboard_core::text::counted;
use callboard_core::text::sanitize::{sanitize, sanitize_line};

/// Terminal styling, off when piped or when `NO_COLOR` is set.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn detect() -> Style {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: std::io::stdout().is_terminal() && !no_color,
        }
    }

    #[cfg(test)]
    pub fn plain() -> Style {
        Style { color: false }
    }

    fn wrap(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }

    pub fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }

    pub fn warn(&self, s: &str) -> String {
        self.wrap("33", s)
    }

    pub fn heading(&self, s: &str) -> String {
        self.wrap("1;36", s)
    }
}

/// A footer or note about the answer (counts, summaries): on stderr, so
/// stdout holds only the answer and `| wc -l` counts it.
pub fn footer(line: &str) {
    eprintln!("{}", line.trim_end());
}

/// One-line safe form of a catalog string.
pub fn clean(s: &str) -> String {
    sanitize_line(s).into_owned()
}

const LABEL_WIDTH: usize = 11;

fn field(out: &mut String, style: Style, label: &str, value: &str) {
    let line = format!(
        "{} {}",
        style.heading(&format!("{label:<LABEL_WIDTH$}")),
        value
    );
    let _ = writeln!(out, "{}", line.trim_end());
}

fn continuation(out: &mut String, value: &str) {
    let _ = writeln!(out, "{:LABEL_WIDTH$} {}", "", value);
}

/// The on-call view: who owns it and how to reach them come first.
pub fn render_show(r: &ShowReport, style: Style) -> String {
    let mut out = String::new();
    let title = r.title.as_deref().map(clean).unwrap_or_default();
    let _ = writeln!(
        out,
        "{}{}",
        style.bold(&clean(&r.entity_ref)),
        if title.is_empty() {
            String::new()
        } else {
            format!("  {title}")
        }
    );
    let facts: Vec<String> = [
        Some(r.kind.as_str()),
        r.spec_type.as_deref(),
        r.lifecycle.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(clean)
    .collect();
    let _ = writeln!(out, "{}", style.dim(&facts.join(" · ")));
    if let Some(d) = &r.description {
        for line in sanitize(d).trim().lines() {
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    out.push('\n');

    for link in r.links.iter().filter(|l| l.runbook) {
        let title = link
            .title
            .as_deref()
            .map(|t| format!("  ({})", clean(t)))
            .unwrap_or_default();
        field(
            &mut out,
            style,
            "RUNBOOK",
            &format!("{}{title}", clean(&link.url)),
        );
    }

    if let Some(rb) = &r.docs_runbook {
        let anchor = rb
            .anchor
            .as_deref()
            .map(|a| format!("#{}", clean(a)))
            .unwrap_or_default();
        field(
            &mut out,
            style,
            "RUNBOOK",
            &format!(
                "docs {}{anchor}  ({})  {}",
                clean(&rb.page),
                clean(&rb.title),
                style.dim(&format!(
                    "callboard docs {} {}",
                    clean(&rb.docs_of),
                    clean(&rb.page)
                ))
            ),
        );
    }

    for (k, v) in &r.on_call {
        field(
            &mut out,
            style,
            "ON-CALL",
            &format!("{}: {}", clean(k), clean(v)),
        );
    }
    if let Some(p) = &r.profile {
        render_profile(&mut out, style, p);
    }
    if let Some(owns) = &r.owns {
        render_owns(&mut out, style, owns);
    }
    match &r.owner {
        // Groups and users have no owner field.
        None if r.profile.is_some() => {}
        None => field(&mut out, style, "OWNER", &style.warn("none declared")),
        Some(owner) => {
            let mut line = clean(&owner.owner_ref);
            if let Some(name) = &owner.display_name {
                let _ = write!(line, "  {}", clean(name));
            }
            if let Some(email) = &owner.email {
                let _ = write!(line, " <{}>", clean(email));
            }
            if !owner.resolved {
                line.push_str(&style.warn("  (not in the catalog)"));
            }
            field(&mut out, style, "OWNER", &line);
            for (k, v) in &owner.on_call {
                field(
                    &mut out,
                    style,
                    "  on-call",
                    &format!("{}: {}", clean(k), clean(v)),
                );
            }
            if !owner.parents.is_empty() {
                let chain: Vec<String> = owner.parents.iter().map(|p| clean(p)).collect();
                field(&mut out, style, "  parents", &chain.join(" › "));
            }
            for (i, m) in owner.members.iter().enumerate() {
                let mut line = clean(m.display_name.as_deref().unwrap_or(&m.name));
                match &m.email {
                    Some(e) => {
                        let _ = write!(line, " <{}>", clean(e));
                    }
                    None => {
                        let _ = write!(line, "  {}", style.dim(&clean(&m.entity_ref)));
                    }
                }
                if i == 0 {
                    field(&mut out, style, "  members", &line);
                } else {
                    continuation(&mut out, &line);
                }
            }
        }
    }
    if let Some(system) = &r.system {
        field(&mut out, style, "SYSTEM", &clean(system));
    }
    if let Some(domain) = &r.domain {
        field(&mut out, style, "DOMAIN", &clean(domain));
    }
    let other_links: Vec<_> = r.links.iter().filter(|l| !l.runbook).collect();
    for (i, link) in other_links.iter().enumerate() {
        let title = link
            .title
            .as_deref()
            .map(|t| format!("{}  ", clean(t)))
            .unwrap_or_default();
        let line = format!("{title}{}", clean(&link.url));
        if i == 0 {
            field(&mut out, style, "LINKS", &line);
        } else {
            continuation(&mut out, &line);
        }
    }
    for (i, surface) in r.surfaces.iter().enumerate() {
        let line = format!("{}  {}", clean(&surface.title()), clean(&surface.detail()));
        if i == 0 {
            field(&mut out, style, "SURFACES", &line);
        } else {
            continuation(&mut out, &line);
        }
    }
    if !r.tags.is_empty() {
        let tags: Vec<String> = r.tags.iter().map(|t| clean(t)).collect();
        field(&mut out, style, "TAGS", &tags.join(", "));
    }
    for (label, pairs) in [("LABELS", &r.labels), ("ANNOTATIONS", &r.annotations)] {
        for (i, (k, v)) in pairs.iter().enumerate() {
            let line = format!("{}: {}", clean(k), clean(v));
            if i == 0 {
                field(&mut out, style, label, &line);
            } else {
                continuation(&mut out, &line);
            }
        }
    }
    if !r.relations.is_empty() {
        field(&mut out, style, "RELATIONS", "");
        let mut relations = r.relations.clone();
        relations.sort_by(|a, b| {
            (&a.relation_type, &a.target_ref).cmp(&(&b.relation_type, &b.target_ref))
        });
        let width = relations
            .iter()
            .map(|x| x.relation_type.len())
            .max()
            .unwrap_or(0);
        let mut last = "";
        for rel in &relations {
            let label = if rel.relation_type == last {
                ""
            } else {
                rel.relation_type.as_str()
            };
            last = &rel.relation_type;
            let missing = if rel.not_visible {
                "  (not visible to you)".to_string()
            } else if rel.dangling {
                style.warn("  (missing)")
            } else {
                String::new()
            };
            let title = rel
                .title
                .as_deref()
                .map(|t| format!("  {}", clean(t)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:width$}  {}{title}{missing}",
                clean(label),
                clean(&rel.target_ref)
            );
        }
    }
    let mut source = format!("{}  {}", clean(&r.source), clean(&r.location));
    if !r.shadowed_in.is_empty() {
        let _ = write!(
            source,
            "\n{:LABEL_WIDTH$} also in {} (lower in the config order; not shown)",
            "",
            r.shadowed_in
                .iter()
                .map(|s| clean(s))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    field(&mut out, style, "SOURCE", &source);
    out
}

/// `ref  Title <email>`, marked when it is not in the catalog.
fn named(style: Style, n: &Named) -> String {
    let mut line = clean(&n.entity_ref);
    if let Some(title) = &n.title {
        let _ = write!(line, "  {}", clean(title));
    }
    if let Some(email) = &n.email {
        let _ = write!(line, " <{}>", clean(email));
    }
    if n.dangling {
        line.push_str(&style.warn("  (not in the catalog)"));
    }
    line
}

/// A group's or user's profile: who they are and how to reach them.
fn render_profile(out: &mut String, style: Style, p: &Profile) {
    let mut line = p.display_name.as_deref().map(clean).unwrap_or_default();
    if let Some(email) = &p.email {
        if !line.is_empty() {
            line.push(' ');
        }
        let _ = write!(line, "<{}>", clean(email));
    }
    if line.is_empty() {
        line = style.dim("no display name or email");
    }
    field(out, style, "PROFILE", &line);
    if let Some(parent) = &p.parent {
        field(out, style, "  parent", &named(style, parent));
    }
    for (i, child) in p.children.iter().enumerate() {
        let label = if i == 0 { "  children" } else { "" };
        field(out, style, label, &named(style, child));
    }
    for (i, m) in p.members.iter().enumerate() {
        let mut line = clean(m.display_name.as_deref().unwrap_or(&m.name));
        match &m.email {
            Some(e) => {
                let _ = write!(line, " <{}>", clean(e));
            }
            None => {
                let _ = write!(line, "  {}", style.dim(&clean(&m.entity_ref)));
            }
        }
        if i == 0 {
            field(out, style, "MEMBERS", &line);
        } else {
            continuation(out, &line);
        }
    }
    for (i, group) in p.member_of.iter().enumerate() {
        let label = if i == 0 { "MEMBER OF" } else { "" };
        field(out, style, label, &named(style, group));
    }
}

/// What a group or user owns: the count by kind, then each entity.
fn render_owns(out: &mut String, style: Style, owns: &Ownership) {
    field(out, style, "OWNS", &owns.summary());
    for e in &owns.entities {
        continuation(out, &named(style, e));
    }
}

/// A dependency tree with box-drawing branches.
/// Rows as aligned columns, two spaces apart; the last column is left
/// ragged (a title or description of any length).
pub fn render_table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < N {
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The tree, one entity a line; its count is [`deps_summary`].
pub fn render_deps(tree: &DepTree, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.bold(&clean(&tree.root)));
    fn walk(out: &mut String, nodes: &[DepNode], prefix: &str, style: Style) {
        for (i, node) in nodes.iter().enumerate() {
            let last = i + 1 == nodes.len();
            let branch = if last { "└─ " } else { "├─ " };
            let mut note = String::new();
            if node.dangling {
                note.push_str(&style.warn("  (missing)"));
            } else if node.repeated {
                // Each entity is expanded once, where BFS first reached it.
                note.push_str(&style.dim("  (repeat)"));
            }
            let _ = writeln!(
                out,
                "{prefix}{branch}{} {}{note}",
                style.dim(&clean(&node.via)),
                clean(&node.entity_ref)
            );
            let child_prefix = format!("{prefix}{}", if last { "   " } else { "│  " });
            walk(out, &node.children, &child_prefix, style);
        }
    }
    walk(&mut out, &tree.children, "", style);
    out
}

/// The count under a dependency tree: `2 dependencies`, `9 dependents
/// (blast radius)`, and whether the depth limit cut it.
pub fn deps_summary(tree: &DepTree, direction: Direction) -> String {
    let what = match direction {
        Direction::DependsOn => "dependency",
        Direction::DependedOnBy => "dependent (blast radius)",
    };
    let cut = if tree.truncated {
        ", more beyond the depth limit"
    } else {
        ""
    };
    format!("{}{cut}", counted(tree.count, what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_all_but_the_last_column() {
        let rows = [
            ["a".to_string(), "long-owner".into(), "x".into()],
            ["longer-name".into(), "o".into(), "".into()],
        ];
        assert_eq!(
            render_table(&rows),
            "a            long-owner  x\nlonger-name  o\n"
        );
    }

    #[test]
    fn plain_style_adds_no_escapes() {
        let s = Style::plain();
        assert_eq!(s.bold("x"), "x");
        assert_eq!(clean("a\x1b[2Jb\nc"), "ab c");
    }

    #[test]
    fn deps_render_as_a_tree_with_count() {
        let tree = DepTree {
            root: "component:default/a".into(),
            count: 2,
            truncated: false,
            children: vec![DepNode {
                entity_ref: "component:default/b".into(),
                via: "dependsOn".into(),
                depth: 1,
                dangling: false,
                repeated: false,
                children: vec![DepNode {
                    entity_ref: "resource:default/\x1b]0;x\x07db".into(),
                    via: "dependsOn".into(),
                    depth: 2,
                    dangling: true,
                    repeated: false,
                    children: vec![],
                }],
            }],
        };
        let text = render_deps(&tree, Style::plain());
        assert_eq!(
            text,
            "component:default/a\n└─ dependsOn component:default/b\n   └─ dependsOn resource:default/db  (missing)\n"
        );
        assert_eq!(deps_summary(&tree, Direction::DependsOn), "2 dependencies");
        let one = DepTree {
            count: 1,
            truncated: true,
            ..tree
        };
        assert_eq!(
            deps_summary(&one, Direction::DependedOnBy),
            "1 dependent (blast radius), more beyond the depth limit"
        );
    }
}
