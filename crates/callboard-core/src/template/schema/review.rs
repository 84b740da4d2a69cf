//! The review page: one line per answered field, secrets masked.

use serde_json::{Map, Value};

use crate::text::sanitize::sanitize_line;

use super::fields::display_scalar;
use super::{build_steps, get_path, is_present, Field, FieldKind};

/// One line of the review page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewLine {
    pub step: String,
    /// The field title, prefixed by its parents' titles for nested fields.
    pub label: String,
    /// Sanitized display text; masked values never appear.
    pub value: String,
}

/// What masked values look like on review: fixed, so the length leaks nothing.
pub const MASK: &str = "********";

/// The review page, built only from the current values and the fields they
/// activate. Honours `ui:backstage.review.show` / `.mask`; secrets and
/// passwords are masked; hidden pages (`when` false) are left out by the
/// caller passing `visible_steps`.
pub fn review_lines(
    steps: &[Value],
    values: &Map<String, Value>,
    visible_steps: Option<&[usize]>,
) -> Vec<ReviewLine> {
    let mut lines = Vec::new();
    for step in build_steps(steps, values) {
        if visible_steps.is_some_and(|v| !v.contains(&step.index)) {
            continue;
        }
        for field in &step.fields {
            if !field.review_show || field.kind == FieldKind::Object {
                continue;
            }
            let Some(value) = get_path(values, &field.path).filter(|v| is_present(v)) else {
                continue;
            };
            let shown = if field.masked {
                field
                    .review_mask
                    .clone()
                    .unwrap_or_else(|| MASK.to_string())
            } else if let Some(mask) = &field.review_mask {
                mask.clone()
            } else {
                display_value(field, value)
            };
            let mut label = Vec::new();
            for depth in 1..field.path.len() {
                let parent = &field.path[..depth];
                if let Some(p) = step.fields.iter().find(|f| f.path == parent) {
                    label.push(p.title.clone());
                }
            }
            label.push(field.title.clone());
            lines.push(ReviewLine {
                step: sanitize_line(&step.title).into_owned(),
                label: sanitize_line(&label.join(" › ")).into_owned(),
                value: sanitize_line(&shown).into_owned(),
            });
        }
    }
    lines
}

/// A value as the form and review show it: choice labels for enums, lists
/// joined with commas, JSON for anything else.
pub fn display_value(field: &Field, value: &Value) -> String {
    let label_of = |v: &Value| {
        field
            .choices
            .iter()
            .find(|c| &c.value == v)
            .map(|c| c.label.clone())
            .unwrap_or_else(|| display_scalar(v))
    };
    match value {
        Value::Array(items) if field.kind != FieldKind::Json => {
            items.iter().map(label_of).collect::<Vec<_>>().join(", ")
        }
        Value::Bool(b) if field.choices.is_empty() => if *b { "yes" } else { "no" }.to_string(),
        Value::Object(_) | Value::Array(_) => value.to_string(),
        v => label_of(v),
    }
}
