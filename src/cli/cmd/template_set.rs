//! `template run --values FILE --set KEY=VALUE`: the values a script gives,
//! typed by the field they name.
//!
//! - a choice takes its value or its display name (`enumNames`, `oneOf`
//!   titles); a wrong one is refused listing the values to type;
//! - a boolean takes true/false, yes/no, on/off, 1/0 (any case);
//! - numbers must parse; lists take a JSON list or comma-separated items;
//!   text is taken as written; other fields parse JSON, else text;
//! - an unknown key is refused with the closest key suggested;
//! - a validation error on a value the template's own default supplied
//!   says so.

use std::path::Path;

use serde_json::{Map, Value};

use callboard_core::template::schema::{self, Choice, Field, FieldError, FieldKind, PickerKind};

/// The values from `--values` then `--set`, and the keys the user gave.
pub fn collect_values(
    values_file: Option<&Path>,
    set: &[String],
    pages: &[Value],
) -> Result<(Map<String, Value>, Vec<String>), String> {
    let mut values = Map::new();
    let mut given = Vec::new();
    if let Some(file) = values_file {
        // A pipe or device named here would block or never end.
        let text = callboard_io::safe_fs::read_regular_text(file, 4 << 20)
            .map_err(|e| format!("--values {}: {e}", file.display()))?;
        callboard_core::text::yaml_guard::check(&text)
            .map_err(|e| format!("--values {}: {e}", file.display()))?;
        let v: Value = serde_norway::from_str(&text)
            .map_err(|e| format!("--values {}: not YAML or JSON: {e}", file.display()))?;
        match v {
            Value::Object(m) => values = m,
            Value::Null => {}
            _ => {
                return Err(format!(
                    "--values {}: must be a mapping of names to values",
                    file.display()
                ))
            }
        }
        given.extend(values.keys().cloned());
    }
    let fields: Vec<Field> = schema::all_fields(pages)
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    for pair in set {
        let Some((key, raw)) = pair.split_once('=') else {
            return Err(format!("--set {pair:?}: expected KEY=VALUE"));
        };
        let path: Vec<String> = key.split('.').map(str::to_string).collect();
        if key.is_empty() || path.iter().any(String::is_empty) {
            return Err(format!("--set {pair:?}: empty key"));
        }
        let value = match fields.iter().find(|f| f.path == path) {
            Some(field) => typed(field, raw).map_err(|e| format!("--set {pair}: {e}"))?,
            None if free_form_parent(&fields, &path) => json_or_text(raw),
            None => {
                let keys: Vec<String> = fields.iter().map(Field::key).collect();
                let hint = match closest(key, &keys) {
                    Some(k) => format!("; did you mean \"{k}\"?"),
                    None if keys.is_empty() => "; this template takes no values".into(),
                    None => format!("; its keys: {}", keys.join(", ")),
                };
                return Err(format!(
                    "--set {pair}: the template has no field \"{key}\"{hint}"
                ));
            }
        };
        schema::set_path(&mut values, &path, Some(value));
        given.push(key.to_string());
    }
    Ok((values, given))
}

/// A key under a field whose schema lists no properties (free JSON).
fn free_form_parent(fields: &[Field], path: &[String]) -> bool {
    (1..path.len()).any(|n| {
        fields.iter().any(|f| {
            f.path == path[..n]
                && f.schema.get("properties").is_none()
                && matches!(
                    f.kind,
                    FieldKind::Object | FieldKind::Json | FieldKind::ObjectList
                )
        })
    })
}

fn json_or_text(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()))
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `value ("Name")` for each choice: what to type.
pub fn typeable(choices: &[Choice]) -> String {
    choices
        .iter()
        .map(|c| {
            let v = value_text(&c.value);
            if c.label == v {
                v
            } else {
                format!("{v} (\"{}\")", c.label)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn choose(choices: &[Choice], raw: &str) -> Option<Value> {
    let raw = raw.trim();
    choices
        .iter()
        .find(|c| value_text(&c.value) == raw)
        .or_else(|| choices.iter().find(|c| c.label == raw))
        .or_else(|| choices.iter().find(|c| c.label.eq_ignore_ascii_case(raw)))
        .or_else(|| {
            choices
                .iter()
                .find(|c| value_text(&c.value).eq_ignore_ascii_case(raw))
        })
        .map(|c| c.value.clone())
}

fn list_items(raw: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Array(items)) => items,
        _ if raw.trim().is_empty() => Vec::new(),
        _ => raw
            .split(',')
            .map(|s| Value::String(s.trim().to_string()))
            .collect(),
    }
}

/// `true/false/yes/no/on/off/1/0`, any case.
pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// The value `raw` gives the field, or why it cannot.
fn typed(field: &Field, raw: &str) -> Result<Value, String> {
    match &field.kind {
        FieldKind::Choice | FieldKind::MultiChoice if field.choices.is_empty() => {
            Ok(json_or_text(raw))
        }
        FieldKind::Choice => choose(&field.choices, raw).ok_or_else(|| {
            format!(
                "not an allowed value; type one of: {}",
                typeable(&field.choices)
            )
        }),
        FieldKind::MultiChoice => list_items(raw)
            .into_iter()
            .map(|item| {
                choose(&field.choices, &value_text(&item)).ok_or_else(|| {
                    format!(
                        "{} is not an allowed value; type some of: {}",
                        value_text(&item),
                        typeable(&field.choices)
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        FieldKind::Boolean => parse_bool(raw)
            .map(Value::Bool)
            .ok_or_else(|| "expects a boolean: true/false, yes/no, on/off or 1/0".into()),
        FieldKind::Number | FieldKind::Integer => match serde_json::from_str::<Value>(raw.trim()) {
            Ok(n @ Value::Number(_)) => Ok(n),
            _ => Err(format!(
                "expects {}",
                if field.kind == FieldKind::Integer {
                    "a whole number"
                } else {
                    "a number"
                }
            )),
        },
        FieldKind::StringList
        | FieldKind::Picker(PickerKind::EntityTags)
        | FieldKind::Picker(PickerKind::MultiEntity) => Ok(Value::Array(list_items(raw))),
        FieldKind::Text | FieldKind::Picker(_) => Ok(Value::String(raw.to_string())),
        FieldKind::Object | FieldKind::Json | FieldKind::ObjectList => Ok(json_or_text(raw)),
    }
}

/// The closest key by edit distance, when close enough to be a typo.
pub fn closest(key: &str, keys: &[String]) -> Option<String> {
    keys.iter()
        .map(|k| (callboard_core::text::suggest::edit_distance(key, k), k))
        .filter(|(d, k)| *d <= (k.chars().count() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.clone())
}

/// Validation messages for a script author: a choice lists the values to
/// type (the form shows names), and a value the template's own default
/// supplied is named as such.
pub fn explain(
    pages: &[Value],
    values: &Map<String, Value>,
    given: &[String],
    errors: Vec<FieldError>,
) -> Vec<FieldError> {
    let fields: Vec<Field> = schema::all_fields(pages)
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    errors
        .into_iter()
        .map(|mut e| {
            let field = fields.iter().find(|f| f.key() == e.path);
            if let Some(f) = field {
                if !f.choices.is_empty() && e.message.starts_with("Must be one of") {
                    e.message = format!("Must be one of: {}", typeable(&f.choices));
                }
                let path: Vec<String> = e.path.split('.').map(str::to_string).collect();
                let from_default = !given.iter().any(|g| *g == e.path || e.path.starts_with(&format!("{g}.")))
                    && f.schema.get("default").is_some()
                    && schema::get_path(values, &path) == f.schema.get("default");
                if from_default {
                    e.message = format!(
                        "{} — the template's own default {} is invalid; give a value with --set {}=…",
                        e.message,
                        f.schema.get("default").map(|d| d.to_string()).unwrap_or_default(),
                        e.path
                    );
                }
            }
            e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pages() -> Vec<Value> {
        vec![json!({
            "required": ["name", "env"],
            "properties": {
                "name": {"type": "string"},
                "env": {"type": "string", "enum": ["prod", "dev"], "enumNames": ["Production (on-call required)", "Development"]},
                "flag": {"type": "boolean"},
                "count": {"type": "integer"},
                "langs": {"type": "array", "items": {"type": "string", "enum": ["go", "rust"], "enumNames": ["Go", "Rust"]}, "uniqueItems": true, "ui:widget": "checkboxes"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "extra": {"type": "object"},
                "bad": {"type": "string", "pattern": "^[a-z]+$", "default": "Not Valid"}
            }
        })]
    }

    fn set(args: &[&str]) -> Result<Map<String, Value>, String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        collect_values(None, &args, &pages()).map(|(v, _)| v)
    }

    #[test]
    fn choices_take_the_value_or_the_display_name() {
        assert_eq!(set(&["env=prod"]).unwrap()["env"], "prod");
        assert_eq!(
            set(&["env=Production (on-call required)"]).unwrap()["env"],
            "prod"
        );
        assert_eq!(set(&["env=development"]).unwrap()["env"], "dev");
        let e = set(&["env=staging"]).unwrap_err();
        assert!(
            e.contains(
                "type one of: prod (\"Production (on-call required)\"), dev (\"Development\")"
            ),
            "{e}"
        );
        assert_eq!(
            set(&["langs=Go,rust"]).unwrap()["langs"],
            json!(["go", "rust"])
        );
        assert!(set(&["langs=go,java"])
            .unwrap_err()
            .contains("java is not an allowed value"));
    }

    #[test]
    fn booleans_numbers_lists_and_json() {
        for (raw, want) in [
            ("true", true),
            ("YES", true),
            ("on", true),
            ("1", true),
            ("false", false),
            ("no", false),
            ("Off", false),
            ("0", false),
        ] {
            assert_eq!(
                set(&[&format!("flag={raw}")]).unwrap()["flag"],
                json!(want),
                "{raw}"
            );
        }
        assert!(set(&["flag=maybe"])
            .unwrap_err()
            .contains("true/false, yes/no, on/off or 1/0"));
        assert_eq!(set(&["count=3"]).unwrap()["count"], json!(3));
        assert!(set(&["count=three"]).unwrap_err().contains("whole number"));
        assert_eq!(set(&["tags=a, b"]).unwrap()["tags"], json!(["a", "b"]));
        assert_eq!(set(&["tags=[\"x\"]"]).unwrap()["tags"], json!(["x"]));
        assert_eq!(set(&["name=123"]).unwrap()["name"], json!("123"));
        assert_eq!(set(&["extra.k=[1]"]).unwrap()["extra"], json!({"k": [1]}));
    }

    #[test]
    fn an_unknown_key_suggests_the_closest() {
        let e = set(&["nmae=x"]).unwrap_err();
        assert!(
            e.contains("no field \"nmae\"; did you mean \"name\"?"),
            "{e}"
        );
        let e = set(&["zzzzzzzz=x"]).unwrap_err();
        assert!(e.contains("its keys: name, env"), "{e}");
    }

    #[test]
    fn errors_list_typeable_values_and_name_an_invalid_default() {
        let (mut values, given) = collect_values(None, &["name=x".to_string()], &pages()).unwrap();
        values.insert("env".into(), json!("Production"));
        let given: Vec<String> = given.into_iter().chain(["env".to_string()]).collect();
        schema::apply_defaults(&pages(), &mut values);
        let errors = explain(
            &pages(),
            &values,
            &given,
            schema::validate(&pages(), &values),
        );
        let msg = |p: &str| {
            errors
                .iter()
                .find(|e| e.path == p)
                .map(|e| e.message.clone())
                .unwrap_or_default()
        };
        assert_eq!(
            msg("env"),
            "Must be one of: prod (\"Production (on-call required)\"), dev (\"Development\")"
        );
        assert!(
            msg("bad").contains("the template's own default \"Not Valid\" is invalid"),
            "{}",
            msg("bad")
        );
    }
}
