//! The entity screen's panes as lines. Each line may carry a [`Target`]
//! (an entity, a link, an email…) that Enter, `y` and `o` act on. Built
//! from state alone, for a given width, so drawing and the cursor logic
//! agree on what is where. Every catalog string is sanitized here.

use std::collections::BTreeMap;

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::app::{
    App, EntityView, Loadable, NodeId, API, DEPENDENCIES, OVERVIEW, OWNER, RELATIONS,
};
use crate::theme::Theme;
use crate::worker::{ApiView, DepsDetail, EntityDetail};
use callboard_core::catalog::entity_ref;
use callboard_core::catalog::index::{DepNode, DepTree, RelatedRef};
use callboard_core::report::ShownLink;
use callboard_core::text::{self, one_line};

/// Label column width in the Overview and Owner panes.
pub const LABEL: usize = 13;

/// What a line points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Entity {
        key: String,
        dangling: bool,
    },
    /// A node of a dependency tree.
    Node {
        id: NodeId,
        key: String,
        dangling: bool,
        has_children: bool,
    },
    /// A group member: Enter opens them, `y` copies the email.
    Person {
        key: String,
        email: Option<String>,
    },
    Link {
        url: String,
        runbook: bool,
    },
    Email(String),
    /// Any other copyable value (an on-call key, an annotation).
    Value(String),
}

#[derive(Debug, Clone)]
pub struct PaneLine {
    pub line: Line<'static>,
    pub target: Option<Target>,
}

struct Lines<'t> {
    out: Vec<PaneLine>,
    width: usize,
    theme: &'t Theme,
}

impl<'t> Lines<'t> {
    fn push(&mut self, spans: Vec<Span<'static>>, target: Option<Target>) {
        self.out.push(PaneLine {
            line: Line::from(fit_spans(spans, self.width)),
            target,
        });
    }

    fn blank(&mut self) {
        if self.out.last().is_some_and(|l| l.line.spans.is_empty()) || self.out.is_empty() {
            return;
        }
        self.out.push(PaneLine {
            line: Line::default(),
            target: None,
        });
    }

    fn heading(&mut self, text: &str) {
        self.blank();
        self.push(
            vec![Span::styled(text.to_string(), self.theme.heading)],
            None,
        );
    }

    fn text(&mut self, indent: usize, text: &str, style: Style) {
        let pad = " ".repeat(indent);
        for line in text::wrap(text, self.width.saturating_sub(indent).max(10)) {
            self.push(
                vec![Span::raw(pad.clone()), Span::styled(line, style)],
                None,
            );
        }
    }

    /// `Label        value` with the value wrapped under itself; every
    /// line of it carries the target.
    fn field(&mut self, label: &str, value: &str, style: Style, target: Option<Target>) {
        let avail = self.width.saturating_sub(LABEL).max(10);
        let wrapped = text::wrap(value, avail);
        for (i, line) in wrapped.into_iter().enumerate() {
            let label = if i == 0 {
                text::fit(label, LABEL)
            } else {
                " ".repeat(LABEL)
            };
            self.push(
                vec![
                    Span::styled(label, self.theme.label),
                    Span::styled(line, style),
                ],
                target.clone(),
            );
        }
    }

    /// A field whose value is several spans on one line (cut if too long).
    fn field_spans(&mut self, label: &str, mut spans: Vec<Span<'static>>, target: Option<Target>) {
        spans.insert(0, Span::styled(text::fit(label, LABEL), self.theme.label));
        self.push(spans, target);
    }
}

/// Cut a line of spans to `width` columns, ending in `…` when cut.
pub fn fit_spans(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let total: usize = spans.iter().map(|s| text::width(&s.content)).sum();
    if total <= width {
        return spans;
    }
    if width == 0 {
        return Vec::new();
    }
    let budget = width - 1;
    let mut out = Vec::new();
    let mut used = 0;
    for span in spans {
        let w = text::width(&span.content);
        if used + w <= budget {
            used += w;
            out.push(span);
            continue;
        }
        let mut cut = String::new();
        for c in span.content.chars() {
            let cw = text::char_width(c);
            if used + cw > budget {
                break;
            }
            cut.push(c);
            used += cw;
        }
        cut.push('…');
        out.push(Span::styled(cut, span.style));
        break;
    }
    out
}

/// The lines of `view`'s current pane.
pub fn lines(app: &App, view: &EntityView, width: usize) -> Vec<PaneLine> {
    let mut b = Lines {
        out: Vec::new(),
        width: width.max(1),
        theme: &app.theme,
    };
    match app.details.get(&view.key) {
        None | Some(Loadable::Loading) => {
            b.push(
                vec![Span::styled(
                    format!("Loading {}…", one_line(&view.key)),
                    app.theme.dim,
                )],
                None,
            );
        }
        Some(Loadable::Failed(e)) => {
            b.text(0, &one_line(e), app.theme.error);
            let search = app.keymap.hint(&crate::keymap::Action::Search);
            let back = app.keymap.hint(&crate::keymap::Action::Back);
            b.blank();
            b.text(
                0,
                &format!("{back} goes back, {search} searches the catalog."),
                app.theme.dim,
            );
        }
        Some(Loadable::Ready(detail)) => match view.pane {
            OVERVIEW => overview(&mut b, app, detail),
            OWNER => owner(&mut b, detail),
            RELATIONS => relations(&mut b, &detail.report.relations),
            DEPENDENCIES => dependencies(&mut b, app, view),
            API => api(&mut b, detail),
            _ => {}
        },
    }
    b.out
}

fn link_line(b: &mut Lines<'_>, label: &str, link: &ShownLink) {
    let title = link
        .title
        .as_deref()
        .or(link.link_type.as_deref())
        .map(|t| one_line(t).into_owned())
        .unwrap_or_else(|| "link".to_string());
    let (mark, style) = if link.runbook {
        ("★ ", b.theme.runbook)
    } else {
        ("  ", b.theme.text)
    };
    let target = Some(Target::Link {
        url: link.url.clone(),
        runbook: link.runbook,
    });
    b.field_spans(
        label,
        vec![Span::styled(format!("{mark}{title}"), style)],
        target.clone(),
    );
    // The URL on its own line(s) under the title, whole (people copy it
    // from the screen too), wrapped rather than cut.
    let url = one_line(&link.url).into_owned();
    for part in text::wrap(&url, b.width.saturating_sub(LABEL + 2).max(10)) {
        b.push(
            vec![
                Span::raw(" ".repeat(LABEL + 2)),
                Span::styled(part, b.theme.link),
            ],
            target.clone(),
        );
    }
}

fn overview(b: &mut Lines<'_>, app: &App, d: &EntityDetail) {
    let r = &d.report;
    let t = b.theme;
    let title = r
        .title
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(&r.name);
    b.push(
        vec![Span::styled(one_line(title).into_owned(), t.title)],
        None,
    );
    b.push(
        vec![Span::styled(one_line(&r.entity_ref).into_owned(), t.dim)],
        Some(Target::Value(r.entity_ref.clone())),
    );
    b.blank();
    let facts: Vec<String> = [
        Some(r.kind.as_str()),
        r.spec_type.as_deref(),
        r.lifecycle.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(|s| one_line(s).into_owned())
    .collect();
    b.field("Kind", &facts.join(" · "), t.text, None);
    match &r.owner {
        Some(o) => {
            let mut value = entity_ref::short_ref(&o.owner_ref).into_owned();
            if let Some(name) = &o.display_name {
                value = format!("{} ({value})", one_line(name));
            }
            if !o.resolved {
                value.push_str("  ✗ not in the catalog");
            }
            let style = if o.resolved { t.accent } else { t.dangling };
            b.field(
                "Owner",
                &one_line(&value),
                style,
                Some(Target::Entity {
                    key: o.owner_ref.clone(),
                    dangling: !o.resolved,
                }),
            );
            if let Some(email) = &o.email {
                b.field(
                    "",
                    &one_line(email),
                    t.text,
                    Some(Target::Email(email.clone())),
                );
            }
        }
        None if has_owner_field(&r.kind) => {
            b.field("Owner", "none declared (spec.owner)", t.warn, None)
        }
        None => {}
    }
    if let Some(system) = &r.system {
        b.field(
            "System",
            &entity_ref::short_ref(&one_line(system)),
            t.text,
            Some(Target::Entity {
                key: system.clone(),
                dangling: false,
            }),
        );
    }
    if let Some(domain) = &r.domain {
        b.field(
            "Domain",
            &entity_ref::short_ref(&one_line(domain)),
            t.text,
            Some(Target::Entity {
                key: domain.clone(),
                dangling: false,
            }),
        );
    }
    if let Some(desc) = r.description.as_deref().filter(|s| !s.trim().is_empty()) {
        let clean = text::lines(desc).join("\n");
        b.field("Description", clean.trim(), t.text, None);
    }
    if !r.on_call.is_empty() {
        for (i, (k, v)) in r.on_call.iter().enumerate() {
            let label = if i == 0 { "On-call" } else { "" };
            b.field(
                label,
                &format!("{}: {}", one_line(k), one_line(v)),
                t.accent,
                Some(Target::Value(v.clone())),
            );
        }
    }
    for (i, link) in r.links.iter().enumerate() {
        link_line(b, if i == 0 { "Links" } else { "" }, link);
    }
    if !r.tags.is_empty() {
        let tags: Vec<String> = r.tags.iter().map(|s| one_line(s).into_owned()).collect();
        b.field("Tags", &tags.join(" · "), t.text, None);
    }
    for (label, pairs) in [("Labels", &r.labels), ("Annotations", &r.annotations)] {
        for (i, (k, v)) in pairs.iter().enumerate() {
            let line = format!("{}: {}", one_line(k), one_line(v));
            b.field(
                if i == 0 { label } else { "" },
                &line,
                t.text,
                Some(Target::Value(v.clone())),
            );
        }
    }
    let deps = app.deps.get(&r.entity_ref).and_then(Loadable::ready);
    let kind = r.kind.to_ascii_lowercase();
    if let Some(deps) = deps.filter(|d| {
        d.depended_on_by.count > 0 || matches!(kind.as_str(), "component" | "resource" | "api")
    }) {
        let direct = deps.depended_on_by.children.len();
        b.field(
            "Blast radius",
            &format!(
                "{} {} on it ({direct} directly); 4 shows them",
                deps.depended_on_by.count,
                if deps.depended_on_by.count == 1 {
                    "entity depends"
                } else {
                    "entities depend"
                }
            ),
            if deps.depended_on_by.count > 0 {
                t.warn
            } else {
                t.text
            },
            None,
        );
    }
    b.field(
        "Source",
        &one_line(&d.source_line),
        t.dim,
        Some(Target::Value(r.location.clone())),
    );
    if !r.shadowed_in.is_empty() {
        let names: Vec<String> = r
            .shadowed_in
            .iter()
            .map(|s| one_line(s).into_owned())
            .collect();
        b.field(
            "Also in",
            &format!("{} (lower priority, not shown)", names.join(", ")),
            t.dim,
            None,
        );
    }
}

fn owner(b: &mut Lines<'_>, d: &EntityDetail) {
    let r = &d.report;
    let t = b.theme;
    if !r.on_call.is_empty() {
        b.push(
            vec![Span::styled(
                format!("On-call for {}", one_line(&r.name)),
                t.heading,
            )],
            None,
        );
        for (k, v) in &r.on_call {
            b.field(
                "",
                &format!("{}: {}", one_line(k), one_line(v)),
                t.accent,
                Some(Target::Value(v.clone())),
            );
        }
        b.blank();
    }
    let Some(o) = &r.owner else {
        let what = if has_owner_field(&r.kind) {
            format!("{} declares no owner (spec.owner).", one_line(&r.name))
        } else {
            format!(
                "A {} has no owner; Relations (3) shows its groups and members.",
                one_line(&r.kind)
            )
        };
        b.text(0, &what, t.warn);
        return;
    };
    let kind = o
        .kind
        .as_deref()
        .map(|k| one_line(k).to_lowercase())
        .unwrap_or_else(|| {
            entity_ref::ref_kind(&o.owner_ref)
                .unwrap_or_default()
                .to_string()
        });
    let name = o
        .display_name
        .as_deref()
        .map(|n| one_line(n).into_owned())
        .unwrap_or_else(|| one_line(entity_ref::ref_name(&o.owner_ref)).into_owned());
    b.push(
        vec![
            Span::styled(format!("Owner: {name}"), t.title),
            Span::styled(format!("  ({kind})"), t.dim),
        ],
        None,
    );
    b.field(
        "Ref",
        &entity_ref::short_ref(&one_line(&o.owner_ref)),
        if o.resolved { t.accent } else { t.dangling },
        Some(Target::Entity {
            key: o.owner_ref.clone(),
            dangling: !o.resolved,
        }),
    );
    if !o.resolved {
        b.text(0, "The owner is not in the catalog: the reference dangles. Check spec.owner or sync the source that defines it.", t.warn);
        return;
    }
    if let Some(email) = &o.email {
        b.field(
            "Email",
            &one_line(email),
            t.text,
            Some(Target::Email(email.clone())),
        );
    }
    for (i, parent) in o.parents.iter().enumerate() {
        let label = if i == 0 { "Parents" } else { "" };
        let arrow = if i == 0 { "" } else { "› " };
        b.field(
            label,
            &format!("{arrow}{}", entity_ref::short_ref(&one_line(parent))),
            t.text,
            Some(Target::Entity {
                key: parent.clone(),
                dangling: false,
            }),
        );
    }
    for (i, (k, v)) in o.on_call.iter().enumerate() {
        let label = if i == 0 { "On-call" } else { "" };
        b.field(
            label,
            &format!("{}: {}", one_line(k), one_line(v)),
            t.accent,
            Some(Target::Value(v.clone())),
        );
    }
    for (i, link) in d.owner_links.iter().enumerate() {
        link_line(b, if i == 0 { "Links" } else { "" }, link);
    }
    if kind == "group" {
        b.heading(&format!("Members ({})", o.members.len()));
        if o.members.is_empty() {
            b.text(2, "no members listed", t.dim);
        }
        let name_w = o
            .members
            .iter()
            .map(|m| text::width(&one_line(m.display_name.as_deref().unwrap_or(&m.name))))
            .max()
            .unwrap_or(0)
            .clamp(8, 24);
        for m in &o.members {
            let name = one_line(m.display_name.as_deref().unwrap_or(&m.name)).into_owned();
            let email = match &m.email {
                Some(e) => Span::styled(one_line(e).into_owned(), t.link),
                None => Span::styled(
                    format!(
                        "no email · {}",
                        entity_ref::short_ref(&one_line(&m.entity_ref))
                    ),
                    t.dim,
                ),
            };
            b.push(
                vec![
                    Span::raw("  "),
                    Span::styled(text::fit(&name, name_w), t.text),
                    Span::raw("  "),
                    email,
                ],
                Some(Target::Person {
                    key: m.entity_ref.clone(),
                    email: m.email.clone(),
                }),
            );
        }
    }
}

/// Kinds whose spec has an `owner` (Groups and Users do not).
fn has_owner_field(kind: &str) -> bool {
    matches!(
        kind.to_ascii_lowercase().as_str(),
        "component" | "api" | "resource" | "system" | "domain" | "template"
    )
}

/// Relation types in the order people read them; others follow, sorted.
const RELATION_ORDER: [&str; 14] = [
    "ownedBy",
    "ownerOf",
    "partOf",
    "hasPart",
    "dependsOn",
    "dependencyOf",
    "providesApi",
    "apiProvidedBy",
    "consumesApi",
    "apiConsumedBy",
    "memberOf",
    "hasMember",
    "childOf",
    "parentOf",
];

fn relations(b: &mut Lines<'_>, relations: &[RelatedRef]) {
    let t = b.theme;
    if relations.is_empty() {
        b.text(0, "No relations.", t.dim);
        return;
    }
    let mut groups: BTreeMap<(usize, String), Vec<&RelatedRef>> = BTreeMap::new();
    for r in relations {
        let rank = RELATION_ORDER
            .iter()
            .position(|k| *k == r.relation_type)
            .unwrap_or(RELATION_ORDER.len());
        groups
            .entry((rank, r.relation_type.clone()))
            .or_default()
            .push(r);
    }
    for ((_, kind), mut items) in groups {
        items.sort_by(|a, b| a.target_ref.cmp(&b.target_ref));
        b.heading(&format!("{} ({})", one_line(&kind), items.len()));
        for r in items {
            related_row(b, r);
        }
    }
}

fn dependencies(b: &mut Lines<'_>, app: &App, view: &EntityView) {
    let t = b.theme;
    let deps: &DepsDetail = match app.deps.get(&view.key) {
        Some(Loadable::Ready(d)) => d,
        Some(Loadable::Failed(e)) => {
            b.text(0, &one_line(e), t.error);
            return;
        }
        _ => {
            b.push(
                vec![Span::styled(
                    "Walking the dependency graph…".to_string(),
                    t.dim,
                )],
                None,
            );
            return;
        }
    };
    let expand_keys = format!(
        "{} toggles, {} expands all",
        app.keymap.hint(&crate::keymap::Action::Toggle),
        app.keymap.hint(&crate::keymap::Action::ExpandAll)
    );
    for (inbound, tree) in [(false, &deps.depends_on), (true, &deps.depended_on_by)] {
        let depth = max_depth(&tree.children);
        let title = if inbound {
            format!(
                "Depended on by — blast radius {} entit{} ({} direct, depth {depth})",
                tree.count,
                if tree.count == 1 { "y" } else { "ies" },
                tree.children.len()
            )
        } else {
            format!(
                "Depends on — {} entit{} (depth {depth})",
                tree.count,
                if tree.count == 1 { "y" } else { "ies" }
            )
        };
        b.heading(&title);
        if tree.children.is_empty() {
            b.text(
                2,
                if inbound {
                    "nothing depends on it"
                } else {
                    "no dependencies"
                },
                t.dim,
            );
            continue;
        }
        tree_nodes(b, view, &tree.children, inbound, &mut Vec::new(), "  ");
        if tree.truncated {
            b.text(2, "(more beyond the depth limit)", t.dim);
        }
    }
    b.blank();
    b.text(0, &expand_keys, t.dim);
}

fn max_depth(nodes: &[DepNode]) -> usize {
    nodes
        .iter()
        .map(|n| n.depth.max(max_depth(&n.children)))
        .max()
        .unwrap_or(0)
}

fn count_nodes(nodes: &[DepNode]) -> usize {
    nodes.iter().map(|n| 1 + count_nodes(&n.children)).sum()
}

fn tree_nodes(
    b: &mut Lines<'_>,
    view: &EntityView,
    nodes: &[DepNode],
    inbound: bool,
    path: &mut Vec<usize>,
    prefix: &str,
) {
    let t = b.theme;
    for (i, node) in nodes.iter().enumerate() {
        path.push(i);
        let id: NodeId = (inbound, path.clone());
        let last = i + 1 == nodes.len();
        let has_children = !node.children.is_empty();
        let expanded = has_children && view.expanded(&id);
        let marker = if !has_children {
            "· "
        } else if expanded {
            "▾ "
        } else {
            "▸ "
        };
        let branch = if last { "└─" } else { "├─" };
        let style = if node.dangling { t.dangling } else { t.text };
        let mut spans = vec![
            Span::styled(format!("{prefix}{branch}"), t.dim),
            Span::styled(marker.to_string(), t.accent),
            Span::styled(
                entity_ref::short_ref(&one_line(&node.entity_ref)).into_owned(),
                style,
            ),
            Span::styled(format!("  {}", one_line(&node.via)), t.dim),
        ];
        if node.dangling {
            spans.push(Span::styled(
                "  ✗ not in the catalog".to_string(),
                t.dangling,
            ));
        } else if node.repeated {
            spans.push(Span::styled("  ↺ shown elsewhere".to_string(), t.dim));
        } else if has_children && !expanded {
            spans.push(Span::styled(
                format!("  +{}", count_nodes(&node.children)),
                t.dim,
            ));
        }
        b.push(
            spans,
            Some(Target::Node {
                id,
                key: node.entity_ref.clone(),
                dangling: node.dangling,
                has_children,
            }),
        );
        if expanded {
            let child_prefix = format!("{prefix}{}", if last { "  " } else { "│ " });
            tree_nodes(b, view, &node.children, inbound, path, &child_prefix);
        }
        path.pop();
    }
}

/// One related entity: its short ref, marked when it is not in the
/// catalog; Enter opens it.
fn related_row(b: &mut Lines<'_>, r: &RelatedRef) {
    let t = b.theme;
    let mut spans = vec![
        Span::raw("  "),
        Span::styled(
            entity_ref::short_ref(&one_line(&r.target_ref)).into_owned(),
            if r.dangling { t.dangling } else { t.text },
        ),
    ];
    if r.dangling {
        spans.push(Span::styled("  ✗ not in the catalog", t.dangling));
    }
    b.push(
        spans,
        Some(Target::Entity {
            key: r.target_ref.clone(),
            dangling: r.dangling,
        }),
    );
}

fn api_refs(b: &mut Lines<'_>, title: &str, refs: &[RelatedRef]) {
    let t = b.theme;
    b.heading(&format!("{title} ({})", refs.len()));
    if refs.is_empty() {
        b.text(2, "none", t.dim);
    }
    for r in refs {
        related_row(b, r);
    }
}

fn api(b: &mut Lines<'_>, d: &EntityDetail) {
    let t = b.theme;
    match &d.api {
        ApiView::None => {
            b.text(
                0,
                &format!(
                    "{} is a {}: only APIs and components have an API view.",
                    one_line(&d.report.name),
                    one_line(&d.report.kind)
                ),
                t.dim,
            );
        }
        ApiView::Component { provides, consumes } => {
            api_refs(b, "Provides", provides);
            api_refs(b, "Consumes", consumes);
        }
        ApiView::Definition(def) => {
            b.field("Type", &one_line(&def.api_type), t.accent, None);
            api_refs(b, "Provided by", &def.providers);
            api_refs(b, "Consumed by", &def.consumers);
            if let Some(e) = &def.parse_error {
                b.blank();
                b.text(0, &one_line(e), t.warn);
            }
            if !def.operations.is_empty() {
                b.heading(&format!("Operations ({})", def.operations.len()));
                let method_w = def
                    .operations
                    .iter()
                    .map(|o| o.method.len())
                    .max()
                    .unwrap_or(3)
                    .min(18);
                let path_w = def
                    .operations
                    .iter()
                    .map(|o| text::width(&one_line(&o.path)))
                    .max()
                    .unwrap_or(1)
                    .min(b.width / 2);
                for op in &def.operations {
                    let mut spans = vec![
                        Span::raw("  "),
                        Span::styled(text::fit(&one_line(&op.method), method_w), t.accent),
                        Span::raw("  "),
                        Span::styled(text::fit(&one_line(&op.path), path_w), t.text),
                    ];
                    if let Some(s) = &op.summary {
                        spans.push(Span::styled(format!("  {}", one_line(s)), t.dim));
                    }
                    b.push(spans, Some(Target::Value(op.path.clone())));
                }
            }
            let lines = text::lines(&def.text);
            b.heading(&format!(
                "Definition ({} lines)",
                if def.text.is_empty() { 0 } else { lines.len() }
            ));
            if def.text.trim().is_empty() {
                b.text(2, "no definition", t.dim);
            } else {
                let num_w = lines.len().to_string().len();
                for (i, line) in lines.iter().enumerate() {
                    b.push(
                        vec![
                            Span::styled(format!("{:>num_w$} ", i + 1), t.dim),
                            Span::styled(line.clone(), t.text),
                        ],
                        None,
                    );
                }
            }
        }
    }
}

/// The lines for the dependency tree of one direction, for tests.
pub fn tree_text(tree: &DepTree) -> Vec<String> {
    fn walk(nodes: &[DepNode], out: &mut Vec<String>, indent: usize) {
        for n in nodes {
            out.push(format!("{}{}", "  ".repeat(indent), n.entity_ref));
            walk(&n.children, out, indent + 1);
        }
    }
    let mut out = Vec::new();
    walk(&tree.children, &mut out, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_cut_with_an_ellipsis() {
        let spans = vec![Span::raw("abc"), Span::raw("defgh")];
        let cut = fit_spans(spans, 6);
        let text: String = cut.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "abcde…");
        let wide = fit_spans(vec![Span::raw("決済サービス")], 5);
        assert_eq!(wide[0].content, "決済…");
        let fits = fit_spans(vec![Span::raw("ok")], 5);
        assert_eq!(fits[0].content, "ok");
    }
}
