//! Step inputs checked against each built-in action's input schema before
//! the action runs, as the scaffolder's workflow runner does
//! (`jsonschema.validate(input, action.schema.input)`; a failure is an
//! `InputError`: `Invalid input passed to action debug:log,
//! instance.message is not of a type(s) string`).
//!
//! `input-schemas.json` holds the schemas the scaffolder backend 4.2 lists
//! at `GET /api/scaffolder/v2/actions` for the actions local runs perform
//! (descriptions dropped). The keywords they use are the ones checked
//! here, with the `jsonschema` package's messages.

use std::sync::OnceLock;

use serde_json::{Map, Value};

fn schemas() -> &'static Map<String, Value> {
    static SCHEMAS: OnceLock<Map<String, Value>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        serde_json::from_str(include_str!("input-schemas.json")).unwrap_or_default()
    })
}

/// `Err` with the server's message when `input` does not fit the action's
/// schema; `Ok` for actions without one here.
pub(super) fn check(action: &str, input: &Map<String, Value>) -> Result<(), String> {
    let Some(schema) = schemas().get(action) else {
        return Ok(());
    };
    let mut errors = Vec::new();
    validate(
        &Value::Object(input.clone()),
        schema,
        "instance",
        &mut errors,
    );
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "Invalid input passed to action {action}, {}",
            errors.join(", ")
        ))
    }
}

fn type_name_matches(v: &Value, t: &str) -> bool {
    match t {
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.as_f64().is_some_and(|n| n.fract() == 0.0),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "null" => v.is_null(),
        _ => true,
    }
}

fn child(path: &str, key: &str) -> String {
    let ident = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if ident {
        format!("{path}.{key}")
    } else {
        format!("{path}[{}]", Value::String(key.to_string()))
    }
}

/// The `jsonschema` package's checks for the keywords these schemas use,
/// in the schema's own keyword order.
fn validate(v: &Value, schema: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        return;
    };
    for (keyword, rule) in schema {
        match keyword.as_str() {
            "type" => {
                let types: Vec<&str> = match rule {
                    Value::String(t) => vec![t.as_str()],
                    Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                    _ => continue,
                };
                if !types.iter().any(|t| type_name_matches(v, t)) {
                    errors.push(format!("{path} is not of a type(s) {}", types.join(",")));
                }
            }
            "properties" => {
                if let (Some(obj), Some(props)) = (v.as_object(), rule.as_object()) {
                    for (k, sub) in props {
                        if let Some(val) = obj.get(k) {
                            validate(val, sub, &child(path, k), errors);
                        }
                    }
                }
            }
            "required" => {
                if let (Some(obj), Some(req)) = (v.as_object(), rule.as_array()) {
                    for k in req.iter().filter_map(Value::as_str) {
                        if !obj.contains_key(k) {
                            errors.push(format!("{path} requires property \"{k}\""));
                        }
                    }
                }
            }
            "additionalProperties" => {
                let Some(obj) = v.as_object() else { continue };
                let known = schema.get("properties").and_then(Value::as_object);
                for (k, val) in obj {
                    if known.is_some_and(|p| p.contains_key(k)) {
                        continue;
                    }
                    match rule {
                        Value::Bool(false) => errors.push(format!(
                            "{path} is not allowed to have the additional property \"{k}\""
                        )),
                        Value::Object(_) => validate(val, rule, &child(path, k), errors),
                        _ => {}
                    }
                }
            }
            "items" => {
                if let Some(items) = v.as_array() {
                    for (i, item) in items.iter().enumerate() {
                        validate(item, rule, &format!("{path}[{i}]"), errors);
                    }
                }
            }
            "enum" => {
                if let Some(allowed) = rule.as_array() {
                    if !allowed.contains(v) {
                        let list: Vec<String> = allowed
                            .iter()
                            .map(|a| match a {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            })
                            .collect();
                        errors.push(format!(
                            "{path} is not one of enum values: {}",
                            list.join(",")
                        ));
                    }
                }
            }
            "anyOf" => {
                if let Some(subs) = rule.as_array() {
                    let ok = subs.iter().any(|s| {
                        let mut e = Vec::new();
                        validate(v, s, path, &mut e);
                        e.is_empty()
                    });
                    if !ok {
                        let names: Vec<String> = (0..subs.len())
                            .map(|i| format!("[subschema {i}]"))
                            .collect();
                        errors.push(format!("{path} is not any of {}", names.join(",")));
                    }
                }
            }
            "minLength" => {
                if let (Some(s), Some(min)) = (v.as_str(), rule.as_u64()) {
                    if (s.encode_utf16().count() as u64) < min {
                        errors.push(format!("{path} does not meet minimum length of {min}"));
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn messages_are_the_scaffolders() {
        assert_eq!(
            check("debug:log", &obj(json!({"message": ["a", "b"], "extra": 1}))).unwrap_err(),
            "Invalid input passed to action debug:log, instance.message is not of a type(s) string, instance is not allowed to have the additional property \"extra\""
        );
        assert_eq!(
            check("fs:delete", &obj(json!({}))).unwrap_err(),
            "Invalid input passed to action fs:delete, instance requires property \"files\""
        );
        let e = check("debug:log", &obj(json!({"listWorkspace": "all"}))).unwrap_err();
        assert!(
            e.ends_with("instance.listWorkspace is not any of [subschema 0],[subschema 1]"),
            "{e}"
        );
        let e = check("fs:readdir", &obj(json!({"paths": [""]}))).unwrap_err();
        assert!(
            e.ends_with("instance.paths[0] does not meet minimum length of 1"),
            "{e}"
        );
        let e = check("fs:rename", &obj(json!({"files": [{"from": "a"}]}))).unwrap_err();
        assert!(
            e.ends_with("instance.files[0] requires property \"to\""),
            "{e}"
        );
    }

    #[test]
    fn fitting_inputs_and_unknown_actions_pass() {
        assert!(check(
            "debug:log",
            &obj(json!({"message": "hi", "listWorkspace": "with-contents"}))
        )
        .is_ok());
        assert!(check(
            "fetch:template",
            &obj(json!({"url": "./s", "templateFileExtension": true, "values": {"x": [1]}}))
        )
        .is_ok());
        assert!(check("catalog:write", &obj(json!({"entity": {"a": 1}}))).is_ok());
        assert!(check("publish:github", &obj(json!({"anything": 1}))).is_ok());
    }
}
