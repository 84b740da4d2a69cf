//! The API pane: an API's type, providers and consumers, operations and
//! definition (numbered lines); a component's provided and consumed APIs.

use ratatui::text::Span;

use super::relations::related_row;
use super::{Lines, Target};
use crate::messages::{ApiView, EntityDetail};
use callboard_core::catalog::index::RelatedRef;
use callboard_core::text::{self, one_line};

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

pub(super) fn api(b: &mut Lines<'_>, d: &EntityDetail) {
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
                "Definition ({})",
                text::counted(if def.text.is_empty() { 0 } else { lines.len() }, "line")
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
