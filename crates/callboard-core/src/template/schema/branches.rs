//! A page whose schema has `oneOf: [{title: Lorem, properties: …}, …]`:
//! the web form offers the options (their titles) as a choice, then shows
//! the chosen option's fields; the backend accepts values that match
//! exactly one option (`jsonschema`: `is not exactly one from "Lorem","Ipsum"`).
//!
//! The choice is form state kept in the values under [`branch_key`]
//! (so drafts remember it); [`strip_form_state`] removes it before values
//! leave the form.

use serde_json::{Map, Value};

use super::fields::{make_field, str_of};
use super::{json_matches, Choice, Field, FieldError, FieldKind};

const PREFIX: &str = "(option of page ";

/// The value key holding which option of page `index` is chosen.
pub fn branch_key(index: usize) -> String {
    format!("{PREFIX}{})", index + 1)
}

/// Whether a value key is form state, never sent.
pub fn is_form_state(key: &str) -> bool {
    key.starts_with(PREFIX)
}

/// The values without form state.
pub fn strip_form_state(values: &Map<String, Value>) -> Map<String, Value> {
    values
        .iter()
        .filter(|(k, _)| !is_form_state(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The page's options: a `oneOf` whose items are object schemas (not the
/// `const` list of a choice field).
pub fn page_options(page: &Value) -> Option<&Vec<Value>> {
    let options = page.get("oneOf")?.as_array()?;
    let objects = !options.is_empty()
        && options.iter().all(|o| {
            o.is_object()
                && o.get("const").is_none()
                && (o.get("properties").is_some() || o.get("required").is_some())
        });
    objects.then_some(options)
}

fn option_title(option: &Value, i: usize) -> String {
    str_of(option, "title")
        .map(str::to_string)
        .unwrap_or_else(|| format!("Option {}", i + 1))
}

/// The chosen option: the stored choice, else the one option the values
/// match, else the option with most of its own keys given, else the first.
pub fn chosen_option(page: &Value, index: usize, values: &Map<String, Value>) -> Option<usize> {
    let options = page_options(page)?;
    if let Some(i) = values
        .get(&branch_key(index))
        .and_then(Value::as_u64)
        .map(|i| i as usize)
        .filter(|i| *i < options.len())
    {
        return Some(i);
    }
    let data = Value::Object(strip_form_state(values));
    let matching: Vec<usize> = (0..options.len())
        .filter(|&i| json_matches(&options[i], &data))
        .collect();
    if matching.len() == 1 {
        return Some(matching[0]);
    }
    let given = |o: &Value| {
        o.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().filter(|k| values.contains_key(*k)).count())
            .unwrap_or(0)
    };
    let best = (0..options.len()).max_by_key(|&i| (given(&options[i]), std::cmp::Reverse(i)));
    Some(best.unwrap_or(0))
}

/// The choice field offering the options of page `index`; its default is
/// the option the values point at.
pub fn option_field(page: &Value, index: usize, values: &Map<String, Value>) -> Option<Field> {
    let options = page_options(page)?;
    let chosen = chosen_option(page, index, values).unwrap_or(0);
    let schema = serde_json::json!({ "default": chosen });
    let mut field = make_field(vec![branch_key(index)], &schema, true, 0);
    field.title = str_of(page, "ui:oneOfTitle")
        .unwrap_or("Option")
        .to_string();
    field.kind = FieldKind::Choice;
    field.choices = options
        .iter()
        .enumerate()
        .map(|(i, o)| Choice {
            value: Value::from(i),
            label: option_title(o, i),
        })
        .collect();
    field.description = Some("Choose one; its fields follow".into());
    Some(field)
}

/// The keys only other options of page `index` define: what switching to
/// `chosen` clears, as the web form clears them.
pub fn other_options_keys(page: &Value, chosen: usize) -> Vec<String> {
    let Some(options) = page_options(page) else {
        return Vec::new();
    };
    let keys_of = |o: &Value| -> Vec<String> {
        o.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    let mut keep = keys_of(page);
    if let Some(o) = options.get(chosen) {
        keep.extend(keys_of(o));
    }
    let mut out = Vec::new();
    for (i, o) in options.iter().enumerate() {
        if i != chosen {
            for k in keys_of(o) {
                if !keep.contains(&k) && !out.contains(&k) {
                    out.push(k);
                }
            }
        }
    }
    out
}

/// The backend's check: the values must match exactly one option.
pub fn exactly_one_error(
    page: &Value,
    index: usize,
    values: &Map<String, Value>,
) -> Option<FieldError> {
    let options = page_options(page)?;
    let data = Value::Object(strip_form_state(values));
    let matching: Vec<String> = options
        .iter()
        .enumerate()
        .filter(|(_, o)| json_matches(o, &data))
        .map(|(i, o)| option_title(o, i))
        .collect();
    if matching.len() == 1 {
        return None;
    }
    let titles: Vec<String> = options
        .iter()
        .enumerate()
        .map(|(i, o)| option_title(o, i))
        .collect();
    Some(FieldError {
        path: branch_key(index),
        message: format!(
            "Must match exactly one of: {} (the values match {})",
            titles.join(", "),
            if matching.is_empty() {
                "none".to_string()
            } else {
                matching.join(" and ")
            }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::obj;
    use super::super::{build_steps, validate};
    use super::*;
    use serde_json::json;

    fn pages(required: bool) -> Vec<Value> {
        let (mut a, mut b) = (
            json!({"title": "Lorem", "properties": {"lorem": {"type": "string"}}}),
            json!({"title": "Ipsum", "properties": {"ipsum": {"type": "string"}, "n": {"type": "number", "default": 3}}}),
        );
        if required {
            a["required"] = json!(["lorem"]);
            b["required"] = json!(["ipsum"]);
        }
        vec![json!({"title": "P", "properties": {"name": {"type": "string"}}, "oneOf": [a, b]})]
    }

    fn keys(values: Value) -> Vec<String> {
        build_steps(&pages(true), &obj(values))[0]
            .fields
            .iter()
            .map(Field::key)
            .collect()
    }

    #[test]
    fn the_choice_comes_first_then_the_chosen_options_fields() {
        assert_eq!(keys(json!({})), vec!["name", "(option of page 1)", "lorem"]);
        assert_eq!(
            keys(json!({"ipsum": "y"})),
            vec!["name", "(option of page 1)", "ipsum", "n"]
        );
        assert_eq!(
            keys(json!({"(option of page 1)": 1})),
            vec!["name", "(option of page 1)", "ipsum", "n"]
        );
        let f = &build_steps(&pages(true), &Map::new())[0].fields[1];
        assert_eq!(
            f.choices
                .iter()
                .map(|c| c.label.as_str())
                .collect::<Vec<_>>(),
            vec!["Lorem", "Ipsum"]
        );
    }

    /// The same verdicts as the scaffolder's dry-run (tests/live/template_probes.rs).
    #[test]
    fn exactly_one_option_must_match() {
        let ok = |req: bool, v: Value| validate(&pages(req), &obj(v)).is_empty();
        for v in [
            json!({}),
            json!({"lorem": "x"}),
            json!({"ipsum": "y"}),
            json!({"lorem": "x", "ipsum": "y"}),
        ] {
            assert!(!ok(false, v));
        }
        assert!(!ok(true, json!({})));
        assert!(ok(true, json!({"lorem": "x"})));
        assert!(ok(true, json!({"ipsum": "y", "(option of page 1)": 1})));
        assert!(!ok(true, json!({"lorem": "x", "ipsum": "y"})));
        assert_eq!(
            strip_form_state(&obj(json!({"a": 1, "(option of page 1)": 0}))),
            obj(json!({"a": 1}))
        );
        assert_eq!(other_options_keys(&pages(true)[0], 1), vec!["lorem"]);
    }

    #[test]
    fn defaults_store_the_inferred_choice_and_sending_strips_it() {
        let mut values = obj(json!({"ipsum": "y"}));
        super::super::apply_defaults(&pages(true), &mut values);
        assert_eq!(values["(option of page 1)"], json!(1));
        assert_eq!(values["n"], json!(3));
        let (plain, _) = super::super::split_secrets(&pages(true), &values);
        assert!(!plain.keys().any(|k| is_form_state(k)));
    }
}
