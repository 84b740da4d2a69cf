//! Which values are secrets (`ui:field: Secret`, `ui:widget: password`):
//! sent apart from the other values and never shown.

use serde_json::{Map, Value};

use super::fields::str_of;
use super::{get_path, set_path};

/// Every property path, in any branch of any page, whose schema satisfies
/// `pred`. Walks all conditional branches, not just the active ones, so a
/// secret typed into a branch that was later switched off is still found.
fn paths_where(steps: &[Value], pred: &dyn Fn(&Value) -> bool) -> Vec<Vec<String>> {
    fn walk(
        schema: &Value,
        prefix: &[String],
        pred: &dyn Fn(&Value) -> bool,
        depth: usize,
        out: &mut Vec<Vec<String>>,
    ) {
        if depth > 24 {
            return;
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, prop) in props {
                let mut path = prefix.to_vec();
                path.push(k.clone());
                if pred(prop) && !out.contains(&path) {
                    out.push(path.clone());
                }
                walk(prop, &path, pred, depth + 1, out);
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for sub in schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                walk(sub, prefix, pred, depth + 1, out);
            }
        }
        for key in ["then", "else"] {
            if let Some(sub) = schema.get(key) {
                walk(sub, prefix, pred, depth + 1, out);
            }
        }
        if let Some(deps) = schema.get("dependencies").and_then(Value::as_object) {
            for dep in deps.values().filter(|d| d.is_object()) {
                walk(dep, prefix, pred, depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    for step in steps {
        walk(step, &[], pred, 0, &mut out);
    }
    out
}

fn is_secret_schema(prop: &Value) -> bool {
    str_of(prop, "ui:field") == Some("Secret")
}

fn is_masked_schema(prop: &Value) -> bool {
    is_secret_schema(prop) || str_of(prop, "ui:widget") == Some("password")
}

/// The top-level value keys that are secrets (`ui:field: Secret`) and have a
/// value: they travel as the task's `secrets`, not its `values`.
pub fn secret_keys(steps: &[Value], values: &Map<String, Value>) -> Vec<String> {
    paths_where(steps, &is_secret_schema)
        .into_iter()
        .filter(|p| p.len() == 1 && values.contains_key(&p[0]))
        .map(|p| p[0].clone())
        .collect()
}

/// Split into (`values`, `secrets`) for a task.
pub fn split_secrets(
    steps: &[Value],
    values: &Map<String, Value>,
) -> (Map<String, Value>, Map<String, Value>) {
    // Form state (the chosen option of a page) never leaves the form.
    let mut plain = super::strip_form_state(values);
    let mut secrets = Map::new();
    for key in secret_keys(steps, values) {
        if let Some(v) = plain.shift_remove(&key) {
            secrets.insert(key, v);
        }
    }
    (plain, secrets)
}

/// The values without anything masked (secrets and passwords, nested ones
/// too): what may be written to disk or shown.
pub fn without_masked(steps: &[Value], values: &Map<String, Value>) -> Map<String, Value> {
    let mut out = values.clone();
    for path in paths_where(steps, &is_masked_schema) {
        if get_path(&out, &path).is_some() {
            set_path(&mut out, &path, None);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::review_lines;
    use super::super::test_support::obj;
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_split_masked_and_never_reviewed() {
        let steps = vec![json!({
            "properties": {
                "name": {"type": "string"},
                "token": {"type": "string", "ui:field": "Secret"},
                "pw": {"type": "string", "ui:widget": "password"},
                "hush": {"type": "string", "ui:backstage": {"review": {"show": false}}},
                "pin": {"type": "string", "ui:backstage": {"review": {"mask": "[hidden]"}}},
                "mode": {"type": "string", "enum": ["a"]}
            },
            "dependencies": {"mode": {"properties": {"late": {"type": "string", "ui:field": "Secret"}}}}
        })];
        let values = obj(json!({
            "name": "n", "token": "s3cret", "pw": "hunter2", "hush": "h", "pin": "1234", "late": "L8"
        }));
        assert_eq!(secret_keys(&steps, &values), ["token", "late"]);
        let (plain, secrets) = split_secrets(&steps, &values);
        assert_eq!(
            Value::Object(secrets),
            json!({"token": "s3cret", "late": "L8"})
        );
        assert!(!plain.contains_key("token") && plain.contains_key("pw"));
        let stored = without_masked(&steps, &values);
        assert_eq!(
            Value::Object(stored),
            json!({"name": "n", "hush": "h", "pin": "1234"})
        );
        let review = review_lines(&steps, &values, None);
        let text: Vec<String> = review
            .iter()
            .map(|l| format!("{}={}", l.label, l.value))
            .collect();
        assert_eq!(
            text,
            ["name=n", "token=********", "pw=********", "pin=[hidden]"]
        );
    }
}
