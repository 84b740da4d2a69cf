//! Every field a template's pages can show, whatever the values: for
//! `template show`, and to tell an unknown `--set` key from one that only
//! appears once another value is chosen.

use serde_json::Value;

use super::fields::make_field;
use super::Field;

/// (page index, field), in page order; a key defined in several branches
/// is listed once (its first definition). Properties come from the page,
/// `allOf`, `if`/`then`/`else`, `dependencies` (and their `oneOf`
/// branches), page-level `oneOf`/`anyOf` branches, and nested objects.
pub fn all_fields(pages: &[Value]) -> Vec<(usize, Field)> {
    let mut out: Vec<(usize, Field)> = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        walk(page, &[], 0, i, &mut out);
    }
    out
}

fn walk(
    schema: &Value,
    prefix: &[String],
    depth: usize,
    page: usize,
    out: &mut Vec<(usize, Field)>,
) {
    if depth > 8 {
        return;
    }
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (key, prop) in props {
            let mut path = prefix.to_vec();
            path.push(key.clone());
            if out.iter().any(|(_, f)| f.path == path) {
                continue;
            }
            let field = make_field(
                path.clone(),
                prop,
                required.contains(&key.as_str()),
                prefix.len(),
            );
            let nested = field.kind == super::FieldKind::Object;
            out.push((page, field));
            if nested {
                walk(prop, &path, depth + 1, page, out);
            }
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for sub in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            walk(sub, prefix, depth + 1, page, out);
        }
    }
    for key in ["then", "else"] {
        if let Some(sub) = schema.get(key) {
            walk(sub, prefix, depth + 1, page, out);
        }
    }
    if let Some(deps) = schema.get("dependencies").and_then(Value::as_object) {
        for dep in deps.values() {
            walk(dep, prefix, depth + 1, page, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conditional_and_nested_fields_are_listed_once() {
        let pages = vec![
            json!({"required": ["name"], "properties": {"name": {"type": "string"}, "kind": {"enum": ["a", "b"]}},
                   "dependencies": {"kind": {"oneOf": [
                       {"properties": {"kind": {"const": "a"}, "aOnly": {"type": "string"}}},
                       {"properties": {"kind": {"const": "b"}, "bOnly": {"type": "number"}}}]}}}),
            json!({"properties": {"deep": {"type": "object", "properties": {"x": {"type": "boolean"}}}},
                   "if": {"properties": {"name": {"const": "q"}}}, "then": {"properties": {"extra": {"type": "string"}}}}),
        ];
        let keys: Vec<(usize, String, bool)> = all_fields(&pages)
            .into_iter()
            .map(|(p, f)| (p, f.key(), f.required))
            .collect();
        assert_eq!(
            keys,
            vec![
                (0, "name".into(), true),
                (0, "kind".into(), false),
                (0, "aOnly".into(), false),
                (0, "bOnly".into(), false),
                (1, "deep".into(), false),
                (1, "deep.x".into(), false),
                (1, "extra".into(), false),
            ]
        );
    }
}
