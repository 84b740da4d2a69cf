//! Reading and writing form values by field path, and filling in
//! schema defaults.

use serde_json::{Map, Value};

use super::build_steps;

/// The value at a key path.
pub fn get_path<'a>(values: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut cur = values.get(first)?;
    for key in rest {
        cur = cur.get(key)?;
    }
    Some(cur)
}

/// Set (or, with `None`, remove) the value at a key path, creating objects
/// on the way.
pub fn set_path(values: &mut Map<String, Value>, path: &[String], value: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = values;
    for key in parents {
        let entry = cur
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        cur = entry.as_object_mut().expect("just made an object");
    }
    match value {
        Some(v) => {
            cur.insert(last.clone(), v);
        }
        None => {
            cur.shift_remove(last);
        }
    }
}

/// Fill in JSON Schema `default`s for values not given yet, including
/// nested objects and the conditional branches the values activate (a
/// default can itself switch a branch on, so this runs to a fixed point).
pub fn apply_defaults(steps: &[Value], values: &mut Map<String, Value>) {
    for _ in 0..8 {
        let mut changed = false;
        for step in build_steps(steps, values) {
            for field in &step.fields {
                if get_path(values, &field.path).is_some() {
                    continue;
                }
                if let Some(default) = field.schema.get("default") {
                    set_path(values, &field.path, Some(default.clone()));
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::obj;
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_fill_nested_objects_and_branches() {
        let steps = vec![json!({
            "properties": {
                "kind": {"type": "string", "enum": ["a", "b"], "default": "b"},
                "db": {"type": "object", "properties": {
                    "size": {"type": "integer", "default": 10},
                    "name": {"type": "string"}
                }},
                "keep": {"type": "string", "default": "x"}
            },
            "dependencies": {
                "kind": {"oneOf": [
                    {"properties": {"kind": {"const": "a"}, "aOnly": {"type": "string", "default": "A"}}},
                    {"properties": {"kind": {"const": "b"}, "bOnly": {"type": "string", "default": "B"}}}
                ]}
            }
        })];
        let mut values = obj(json!({"keep": "mine"}));
        apply_defaults(&steps, &mut values);
        assert_eq!(
            Value::Object(values.clone()),
            json!({"keep": "mine", "kind": "b", "db": {"size": 10}, "bOnly": "B"})
        );
        // Switching the branch brings the other default in, without losing values.
        values.insert("kind".into(), json!("a"));
        apply_defaults(&steps, &mut values);
        assert_eq!(values["aOnly"], json!("A"));
        assert_eq!(values["keep"], json!("mine"));
    }
}
