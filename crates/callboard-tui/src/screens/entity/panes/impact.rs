//! The Impact view of the Dependencies pane: who to page when this entity
//! goes down. Teams that would lose the most production entities first,
//! each with its on-call keys, email and chat links and the entities it
//! would lose (how many hops away); then the page list, which `y` copies.

use ratatui::text::Span;

use super::{Lines, Target};
use callboard_core::catalog::entity_ref;
use callboard_core::health::Impact;
use callboard_core::text::one_line;

/// Entities listed per team before "+N more".
const PER_TEAM: usize = 12;

pub(super) fn impact(b: &mut Lines<'_>, i: &Impact) {
    let t = b.theme;
    if i.total == 0 {
        return;
    }
    b.heading(&format!(
        "Impact — who to page: {} team{}, {} in production",
        i.teams.len(),
        if i.teams.len() == 1 { "" } else { "s" },
        i.production
    ));
    for team in &i.teams {
        let mut name = entity_ref::short_ref(&one_line(&team.owner)).into_owned();
        if let Some(display) = &team.display_name {
            name = format!("{} ({name})", one_line(display));
        }
        b.push(
            vec![
                Span::raw("  "),
                Span::styled(name, if team.resolved { t.accent } else { t.dangling }),
                Span::styled(
                    format!(
                        "  {} entit{}, {} in production",
                        team.entities.len(),
                        if team.entities.len() == 1 { "y" } else { "ies" },
                        team.production
                    ),
                    t.dim,
                ),
            ],
            team.resolved.then(|| Target::Entity {
                key: team.owner.clone(),
                dangling: false,
            }),
        );
        for (k, v) in &team.on_call {
            b.push(
                vec![
                    Span::raw("    "),
                    Span::styled(format!("{}: {}", one_line(k), one_line(v)), t.accent),
                ],
                Some(Target::Value(v.clone())),
            );
        }
        if let Some(email) = &team.email {
            b.push(
                vec![
                    Span::raw("    "),
                    Span::styled(one_line(email).into_owned(), t.text),
                ],
                Some(Target::Email(email.clone())),
            );
        }
        for chat in &team.chat {
            b.push(
                vec![
                    Span::raw("    "),
                    Span::styled(format!("{} ", one_line(&chat.title)), t.text),
                    Span::styled(one_line(&chat.url).into_owned(), t.link),
                ],
                Some(Target::Link {
                    url: chat.url.clone(),
                    runbook: false,
                }),
            );
        }
        for e in team.entities.iter().take(PER_TEAM) {
            b.push(
                vec![
                    Span::raw("    "),
                    Span::styled(
                        if e.production { "● " } else { "· " }.to_string(),
                        if e.production { t.warn } else { t.dim },
                    ),
                    Span::styled(
                        entity_ref::short_ref(&one_line(&e.entity_ref)).into_owned(),
                        t.text,
                    ),
                    Span::styled(
                        format!(
                            "  {} hop{}",
                            e.distance,
                            if e.distance == 1 { "" } else { "s" }
                        ),
                        t.dim,
                    ),
                ],
                Some(Target::Entity {
                    key: e.entity_ref.clone(),
                    dangling: false,
                }),
            );
        }
        if team.entities.len() > PER_TEAM {
            b.text(
                4,
                &format!("+{} more", team.entities.len() - PER_TEAM),
                t.dim,
            );
        }
    }
    b.push(
        vec![
            Span::raw("  "),
            Span::styled("Page list".to_string(), t.heading),
            Span::styled(
                format!(
                    " — {} line{}, y copies them all",
                    i.page_list.len(),
                    if i.page_list.len() == 1 { "" } else { "s" }
                ),
                t.dim,
            ),
        ],
        // Copies are one line (no control characters): lines joined by ` ; `.
        Some(Target::Value(i.page_list.join(" ; "))),
    );
    for line in &i.page_list {
        b.field(
            "",
            &one_line(line),
            t.text,
            Some(Target::Value(line.clone())),
        );
    }
}
