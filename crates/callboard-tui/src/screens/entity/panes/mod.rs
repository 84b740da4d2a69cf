//! The entity screen's panes as lines. Each line may carry a [`Target`]
//! (an entity, a link, an email…) that Enter, `y` and `o` act on. Built
//! from state alone, for a given width, so drawing and the cursor logic
//! agree on what is where. Every catalog string is sanitized here.

mod api;
mod impact;
mod overview;
mod owner;
mod people;
mod relations;

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{EntityView, NodeId, API, DEPENDENCIES, OVERVIEW, OWNER, RELATIONS};
use crate::keymap::Action;
use crate::model::Loadable;
use crate::screens::Cx;
use crate::theme::Theme;
use crate::widgets::spans::fit_spans;
use callboard_core::catalog::index::{DepNode, DepTree};
use callboard_core::report::{ShowReport, ShownLink};
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

/// The lines of `view`'s current pane.
pub fn lines(cx: &Cx, view: &EntityView, width: usize) -> Vec<PaneLine> {
    let mut b = Lines {
        out: Vec::new(),
        width: width.max(1),
        theme: cx.theme,
    };
    match cx.details.get(&view.key) {
        None | Some(Loadable::Loading) => {
            b.push(
                vec![Span::styled(
                    format!("Loading {}…", one_line(&view.key)),
                    cx.theme.dim,
                )],
                None,
            );
        }
        Some(Loadable::Failed(e)) => {
            b.text(0, &one_line(e), cx.theme.error);
            let search = cx.keymap.hint(&Action::Search);
            let back = cx.keymap.hint(&Action::Back);
            b.blank();
            b.text(
                0,
                &format!("{back} goes back, {search} searches the catalog."),
                cx.theme.dim,
            );
        }
        Some(Loadable::Ready(detail)) => match view.pane {
            OVERVIEW => overview::overview(&mut b, cx, detail),
            OWNER if detail.report.profile.is_some() => people::people(&mut b, detail),
            OWNER => owner::owner(&mut b, detail),
            RELATIONS => relations::relations(&mut b, &detail.report.relations),
            DEPENDENCIES => relations::dependencies(&mut b, cx, view),
            API => api::api(&mut b, detail),
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

/// The name to show for an entity: its title, else a group's or user's
/// display name, else its name.
pub fn display_name(r: &ShowReport) -> &str {
    r.title
        .as_deref()
        .or_else(|| r.profile.as_ref().and_then(|p| p.display_name.as_deref()))
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(&r.name)
}

/// Kinds whose spec has an `owner` (Groups and Users do not).
pub(super) fn has_owner_field(kind: &str) -> bool {
    matches!(
        kind.to_ascii_lowercase().as_str(),
        "component" | "api" | "resource" | "system" | "domain" | "template"
    )
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
