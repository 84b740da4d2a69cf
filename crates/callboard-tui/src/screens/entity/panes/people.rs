//! Groups and users: their profile in the Overview, and pane 2 (a group's
//! Members, a user's Groups) with the people and groups to reach and what
//! they own, counted by kind and listed.

use ratatui::text::Span;

use super::{Lines, Target};
use crate::messages::EntityDetail;
use callboard_core::catalog::entity_ref;
use callboard_core::catalog::index::Person;
use callboard_core::catalog::org::{Named, Ownership, Profile};
use callboard_core::text::{self, one_line};

/// Members listed by name in the Overview before "and N more".
const OVERVIEW_MEMBERS: usize = 5;

/// `Title (kind:name)`, or the short ref alone.
fn label(n: &Named) -> String {
    let short = entity_ref::short_ref(&n.entity_ref).into_owned();
    match &n.title {
        Some(title) => format!("{} ({short})", one_line(title)),
        None => one_line(&short).into_owned(),
    }
}

fn entity(n: &Named) -> Option<Target> {
    Some(Target::Entity {
        key: n.entity_ref.clone(),
        dangling: n.dangling,
    })
}

/// The profile fields of the Overview: display name, email, parent,
/// children, members, groups, and what it owns in one line.
pub(super) fn profile_fields(
    b: &mut Lines<'_>,
    p: &Profile,
    owns: Option<&Ownership>,
    title: &str,
) {
    let t = b.theme;
    if let Some(name) = p.display_name.as_deref().filter(|n| *n != title) {
        b.field("Name", &one_line(name), t.text, None);
    }
    match &p.email {
        Some(email) => b.field(
            "Email",
            &one_line(email),
            t.link,
            Some(Target::Email(email.clone())),
        ),
        None => b.field("Email", "none in spec.profile.email", t.dim, None),
    }
    if let Some(parent) = &p.parent {
        let style = if parent.dangling {
            t.dangling
        } else {
            t.accent
        };
        b.field("Parent", &label(parent), style, entity(parent));
    }
    for (i, child) in p.children.iter().enumerate() {
        b.field(
            if i == 0 { "Children" } else { "" },
            &label(child),
            t.text,
            entity(child),
        );
    }
    if !p.members.is_empty() {
        let mut names: Vec<String> = p
            .members
            .iter()
            .take(OVERVIEW_MEMBERS)
            .map(|m| one_line(m.display_name.as_deref().unwrap_or(&m.name)).into_owned())
            .collect();
        if p.members.len() > OVERVIEW_MEMBERS {
            names.push(format!(
                "and {} more (2 lists them)",
                p.members.len() - OVERVIEW_MEMBERS
            ));
        }
        b.field("Members", &names.join(", "), t.text, None);
    }
    for (i, group) in p.member_of.iter().enumerate() {
        let style = if group.dangling { t.dangling } else { t.accent };
        b.field(
            if i == 0 { "Member of" } else { "" },
            &label(group),
            style,
            entity(group),
        );
    }
    if let Some(owns) = owns {
        b.field("Owns", &owns.summary(), t.text, None);
    }
}

/// Pane 2 of a group (its members) or a user (its groups), then what it
/// owns.
pub(super) fn people(b: &mut Lines<'_>, d: &EntityDetail) {
    let r = &d.report;
    let t = b.theme;
    if !r.on_call.is_empty() {
        b.push(
            vec![Span::styled(
                format!("On-call for {}", one_line(super::display_name(r))),
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
    }
    if let Some(p) = &r.profile {
        if entity_ref::ref_kind_is(&r.entity_ref, "group") {
            b.heading(&format!("Members ({})", p.members.len()));
            if p.members.is_empty() {
                b.text(2, "no members listed", t.dim);
            }
            member_rows(b, &p.members);
        } else {
            b.heading(&format!("Member of ({})", p.member_of.len()));
            if p.member_of.is_empty() {
                b.text(2, "no groups listed (spec.memberOf)", t.dim);
            }
            let rows: Vec<Row> = p
                .member_of
                .iter()
                .map(|g| Row {
                    name: g.title.clone().unwrap_or_else(|| g.name.clone()),
                    email: g.email.clone(),
                    key: g.entity_ref.clone(),
                })
                .collect();
            rows_of(b, &rows);
        }
    }
    if let Some(owns) = &r.owns {
        b.heading(&format!("Owns {}", owns.summary()));
        owned_rows(b, owns);
    }
}

struct Row {
    name: String,
    email: Option<String>,
    key: String,
}

/// A group's members: name and email, Enter opens, `y` copies the email.
pub(super) fn member_rows(b: &mut Lines<'_>, members: &[Person]) {
    let rows: Vec<Row> = members
        .iter()
        .map(|m| Row {
            name: m.display_name.clone().unwrap_or_else(|| m.name.clone()),
            email: m.email.clone(),
            key: m.entity_ref.clone(),
        })
        .collect();
    rows_of(b, &rows);
}

fn rows_of(b: &mut Lines<'_>, rows: &[Row]) {
    let t = b.theme;
    let name_w = rows
        .iter()
        .map(|r| text::width(&one_line(&r.name)))
        .max()
        .unwrap_or(0)
        .clamp(8, 24);
    for r in rows {
        let email = match &r.email {
            Some(e) => Span::styled(one_line(e).into_owned(), t.link),
            None => Span::styled(
                format!("no email · {}", entity_ref::short_ref(&one_line(&r.key))),
                t.dim,
            ),
        };
        b.push(
            vec![
                Span::raw("  "),
                Span::styled(text::fit(&one_line(&r.name), name_w), t.text),
                Span::raw("  "),
                email,
            ],
            Some(Target::Person {
                key: r.key.clone(),
                email: r.email.clone(),
            }),
        );
    }
}

/// What it owns: kind, name and title, in the display order.
fn owned_rows(b: &mut Lines<'_>, owns: &Ownership) {
    let t = b.theme;
    let name_w = owns
        .entities
        .iter()
        .map(|e| text::width(&one_line(&e.name)))
        .max()
        .unwrap_or(0)
        .clamp(8, 30);
    for e in &owns.entities {
        let mut spans = vec![
            Span::raw("  "),
            Span::styled(text::fit(&one_line(&e.kind), 9), t.dim),
            Span::raw("  "),
            Span::styled(
                text::fit(&one_line(&e.name), name_w),
                if e.dangling { t.dangling } else { t.text },
            ),
        ];
        if let Some(title) = &e.title {
            spans.push(Span::styled(format!("  {}", one_line(title)), t.dim));
        }
        if e.dangling {
            spans.push(Span::styled("  ✗ not in the catalog", t.dangling));
        }
        b.push(spans, entity(e));
    }
}
