//! The Overview pane: what the entity is, who owns it, its links, on-call
//! keys, tags, labels and annotations, the blast radius, where it is from.

use ratatui::text::Span;

use super::{has_owner_field, link_line, Lines, Target};
use crate::messages::EntityDetail;
use crate::model::Loadable;
use crate::screens::Cx;
use callboard_core::catalog::entity_ref;
use callboard_core::text::{self, one_line};

pub(super) fn overview(b: &mut Lines<'_>, cx: &Cx, d: &EntityDetail) {
    let r = &d.report;
    let t = b.theme;
    let title = super::display_name(r);
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
    if let Some(p) = &r.profile {
        super::people::profile_fields(b, p, r.owns.as_ref(), title);
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
    health(b, cx, d);
    surfaces(b, cx, r);
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
    let deps = cx.deps.get(&r.entity_ref).and_then(Loadable::ready);
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

/// Plugin surfaces (GitHub, Kubernetes, PagerDuty, …): a link opens with
/// `o` and copies with `y`; a command or a value copies.
fn surfaces(b: &mut Lines<'_>, cx: &Cx, r: &callboard_core::report::ShowReport) {
    let t = b.theme;
    let list = callboard_core::catalog::surfaces::surfaces(
        &r.entity_ref,
        &r.annotations,
        &cx.settings.surfaces,
    );
    for (i, s) in list.iter().enumerate() {
        let (style, target) = match (&s.url, &s.command) {
            (Some(url), _) => (
                t.link,
                Target::Link {
                    url: url.clone(),
                    runbook: false,
                },
            ),
            (None, Some(command)) => (t.accent, Target::Value(command.clone())),
            (None, None) => (t.text, Target::Value(s.value.clone())),
        };
        let style = if s.needs_setting.is_some() {
            t.dim
        } else {
            style
        };
        b.field(
            if i == 0 { "Surfaces" } else { "" },
            &format!("{}: {}", one_line(&s.title()), one_line(&s.detail())),
            style,
            Some(target),
        );
    }
}

/// The Health section: the scorecard level reached and what is missing for
/// the next (each step's fix copies with `y`).
fn health(b: &mut Lines<'_>, cx: &Cx, d: &EntityDetail) {
    use callboard_core::health::{score, Subject};
    let t = b.theme;
    let subject = Subject {
        report: &d.report,
        owner_links: &d.owner_links,
    };
    let Some(s) = score(subject, &cx.settings.scorecard) else {
        return;
    };
    let passed = s.checks.iter().filter(|c| c.passed).count();
    let reached = s.level.as_deref().unwrap_or("no level");
    let summary = match &s.next_level {
        Some(next) => format!(
            "{} · {passed}/{} checks · {} to {}",
            one_line(reached),
            s.checks.len(),
            match s.next_steps.len() {
                1 => "1 step".to_string(),
                n => format!("{n} steps"),
            },
            one_line(next)
        ),
        None => format!("{} · every check passes", one_line(reached)),
    };
    let style = if s.next_level.is_none() {
        t.accent
    } else if s.level.is_none() {
        t.warn
    } else {
        t.text
    };
    b.field("Health", &summary, style, None);
    for step in &s.next_steps {
        let fix = step.fix.clone().unwrap_or_default();
        b.field(
            "",
            &format!("✗ {}: {}", one_line(&step.check), one_line(&step.message)),
            t.warn,
            Some(Target::Value(fix.clone())),
        );
        b.field(
            "",
            &format!("  fix: {}", one_line(&fix)),
            t.dim,
            Some(Target::Value(fix)),
        );
    }
}
