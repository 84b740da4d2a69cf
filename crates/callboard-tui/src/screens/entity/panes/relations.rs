//! The Relations pane (grouped by type, in reading order) and the
//! Dependencies pane (both trees, the blast radius, nodes that expand).

use std::collections::BTreeMap;

use ratatui::text::Span;

use super::{Lines, Target};
use crate::keymap::Action;
use crate::messages::DepsDetail;
use crate::model::Loadable;
use crate::screens::entity::{EntityView, NodeId};
use crate::screens::Cx;
use callboard_core::catalog::entity_ref;
use callboard_core::catalog::index::{DepNode, RelatedRef};
use callboard_core::text::one_line;

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

pub(super) fn relations(b: &mut Lines<'_>, relations: &[RelatedRef]) {
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

pub(super) fn dependencies(b: &mut Lines<'_>, cx: &Cx, view: &EntityView) {
    let t = b.theme;
    let deps: &DepsDetail = match cx.deps.get(&view.key) {
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
        cx.keymap.hint(&Action::Toggle),
        cx.keymap.hint(&Action::ExpandAll)
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
    super::impact::impact(b, &deps.impact);
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
pub(super) fn related_row(b: &mut Lines<'_>, r: &RelatedRef) {
    let t = b.theme;
    let mut spans = vec![
        Span::raw("  "),
        Span::styled(
            entity_ref::short_ref(&one_line(&r.target_ref)).into_owned(),
            if r.dangling { t.dangling } else { t.text },
        ),
    ];
    if let Some(title) = &r.title {
        spans.push(Span::styled(format!("  {}", one_line(title)), t.dim));
    }
    if r.dangling {
        spans.push(Span::styled("  ✗ not in the catalog", t.dangling));
    }
    if r.not_visible {
        spans.push(Span::styled("  not visible to you", t.dim));
        // Nothing to open: Enter (and `y`) copy the ref.
        b.push(spans, Some(Target::Value(r.target_ref.clone())));
        return;
    }
    b.push(
        spans,
        Some(Target::Entity {
            key: r.target_ref.clone(),
            dangling: r.dangling,
        }),
    );
}
