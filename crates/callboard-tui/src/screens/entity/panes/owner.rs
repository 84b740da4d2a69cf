//! The Owner pane: the entity's on-call keys, then its owner: ref, email,
//! parents, on-call, links, and a group's members.

use ratatui::text::Span;

use super::{has_owner_field, link_line, Lines, Target};
use crate::messages::EntityDetail;
use callboard_core::catalog::entity_ref;
use callboard_core::text::one_line;

pub(super) fn owner(b: &mut Lines<'_>, d: &EntityDetail) {
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
        super::people::member_rows(b, &o.members);
    }
}
