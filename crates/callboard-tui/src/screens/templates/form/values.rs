//! Values as the form edits them: typed text to a field's value and back,
//! and small helpers.

use serde_json::Value;

use callboard_core::template::schema::{Field, FieldKind, PickerKind};

pub(super) fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

pub(super) fn cycle(current: Option<usize>, len: usize, forward: bool) -> usize {
    if len == 0 {
        return 0;
    }
    match (current, forward) {
        (None, true) => 0,
        (None, false) => len - 1,
        (Some(i), true) => (i + 1) % len,
        (Some(i), false) => (i + len - 1) % len,
    }
}

/// A value as editable text.
pub(super) fn edit_text(field: &Field, value: &Value) -> String {
    match (&field.kind, value) {
        (FieldKind::Json | FieldKind::ObjectList, v) if !v.is_string() => v.to_string(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        (_, Value::Null) => String::new(),
        (_, other) => other.to_string(),
    }
}

/// Typed text as the field's value; empty text removes the value. Text
/// that does not parse stays a string, so validation can say why.
pub(super) fn parse_text(field: &Field, text: &str) -> Option<Value> {
    if text.trim().is_empty() {
        return None;
    }
    let list = |t: &str| {
        let items: Vec<Value> = t
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Value::String(s.to_string()))
            .collect();
        (!items.is_empty()).then_some(Value::Array(items))
    };
    match field.kind {
        FieldKind::Integer => Some(
            text.trim()
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(text.to_string())),
        ),
        FieldKind::Number => Some(
            text.trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(|n| {
                    // 3 stays an integer in JSON, as the user typed it.
                    text.trim()
                        .parse::<i64>()
                        .map(Value::from)
                        .unwrap_or(Value::Number(n))
                })
                .unwrap_or_else(|| Value::String(text.to_string())),
        ),
        FieldKind::StringList
        | FieldKind::Picker(PickerKind::EntityTags)
        | FieldKind::Picker(PickerKind::MultiEntity) => list(text),
        FieldKind::Json => {
            Some(serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string())))
        }
        _ => Some(Value::String(text.to_string())),
    }
}
