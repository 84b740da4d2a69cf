//! Which fields a form step has for the current values: properties,
//! `dependencies`, `oneOf` branches, `if`/`then`/`else` and `allOf`
//! resolved, and each property turned into a [`Field`].

use serde_json::{Map, Value};

use super::{json_matches, Choice, Field, FieldKind, FormStep, PickerKind, Widget};

/// `spec.parameters` is one object or an array of them; always a list here.
pub fn parameter_steps(parameters: Option<&Value>) -> Vec<Value> {
    match parameters {
        Some(Value::Array(pages)) => pages.clone(),
        Some(page @ Value::Object(_)) => vec![page.clone()],
        _ => Vec::new(),
    }
}

/// The pages with their fields, as the current values make them.
pub fn build_steps(steps: &[Value], values: &Map<String, Value>) -> Vec<FormStep> {
    steps
        .iter()
        .enumerate()
        .map(|(index, page)| {
            let mut fields = Vec::new();
            collect_fields(page, values, &[], 0, &mut fields);
            // Page-level `oneOf` options: the choice, then the chosen
            // option's fields.
            if let (Some(choice), Some(chosen)) = (
                super::branches::option_field(page, index, values),
                super::branches::chosen_option(page, index, values),
            ) {
                fields.push(choice);
                if let Some(option) =
                    super::branches::page_options(page).and_then(|o| o.get(chosen))
                {
                    let mut more = Vec::new();
                    collect_fields(option, values, &[], 0, &mut more);
                    for f in more {
                        if !fields.iter().any(|g| g.path == f.path) {
                            fields.push(f);
                        }
                    }
                }
            }
            FormStep {
                index,
                title: str_of(page, "title")
                    .unwrap_or("Please enter the following information")
                    .to_string(),
                description: str_of(page, "description").map(str::to_string),
                when: page.get("when").and_then(value_as_text),
                fields,
            }
        })
        .collect()
}

pub(super) fn value_as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

pub(super) fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The properties and `required` list of an object schema once its
/// conditionals are resolved against `values`.
#[derive(Debug, Default)]
pub(super) struct Resolved {
    pub(super) props: Vec<(String, Value)>,
    pub(super) required: Vec<String>,
}

impl Resolved {
    fn add_prop(&mut self, key: &str, schema: &Value) {
        match self.props.iter_mut().find(|(k, _)| k == key) {
            // A branch may narrow an existing property (e.g. `enum`); its
            // keys win, the rest of the original stays.
            Some((_, existing)) => {
                if let (Value::Object(base), Value::Object(extra)) = (existing, schema) {
                    for (k, v) in extra {
                        base.insert(k.clone(), v.clone());
                    }
                }
            }
            None => self.props.push((key.to_string(), schema.clone())),
        }
    }

    fn add_required(&mut self, key: &str) {
        if !self.required.iter().any(|k| k == key) {
            self.required.push(key.to_string());
        }
    }

    fn merge(&mut self, other: Resolved) {
        for (k, v) in &other.props {
            self.add_prop(k, v);
        }
        for r in &other.required {
            self.add_required(r);
        }
    }
}

pub(super) fn resolve_object(
    schema: &Value,
    values: &Map<String, Value>,
    depth: usize,
) -> Resolved {
    let mut out = Resolved::default();
    // Malicious or cyclic-looking templates cannot recurse forever.
    if depth > 16 {
        return out;
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            out.add_prop(k, v);
        }
    }
    if let Some(req) = schema.get("required").and_then(Value::as_array) {
        for r in req.iter().filter_map(Value::as_str) {
            out.add_required(r);
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for sub in all {
            out.merge(resolve_object(sub, values, depth + 1));
        }
    }
    if let Some(cond) = schema.get("if") {
        let object = Value::Object(values.clone());
        let branch = if json_matches(cond, &object) {
            schema.get("then")
        } else {
            schema.get("else")
        };
        if let Some(branch) = branch {
            out.merge(resolve_object(branch, values, depth + 1));
        }
    }
    if let Some(deps) = schema.get("dependencies").and_then(Value::as_object) {
        for (trigger, dep) in deps {
            let Some(current) = values.get(trigger).filter(|v| is_present(v)) else {
                continue;
            };
            match dep {
                Value::Array(keys) => {
                    for k in keys.iter().filter_map(Value::as_str) {
                        out.add_required(k);
                    }
                }
                Value::Object(_) => {
                    if let Some(branches) = dep.get("oneOf").and_then(Value::as_array) {
                        // The branch whose copy of the trigger property
                        // accepts the current value.
                        let chosen = branches.iter().find(|b| {
                            b.get("properties")
                                .and_then(|p| p.get(trigger))
                                .is_some_and(|s| json_matches(s, current))
                        });
                        if let Some(branch) = chosen {
                            let mut r = resolve_object(branch, values, depth + 1);
                            r.props.retain(|(k, _)| k != trigger);
                            out.merge(r);
                        }
                    }
                    let mut r = resolve_object(dep, values, depth + 1);
                    r.props.retain(|(k, _)| k != trigger);
                    out.merge(r);
                }
                _ => {}
            }
        }
    }
    out
}

/// A value counts as given when it is not null and not an empty string or
/// empty array (the form removes cleared values, but drafts and CLI input
/// may carry them).
pub fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

pub(super) fn collect_fields(
    schema: &Value,
    values: &Map<String, Value>,
    prefix: &[String],
    depth: usize,
    out: &mut Vec<Field>,
) {
    if depth > 8 {
        return;
    }
    let resolved = resolve_object(schema, values, 0);
    for (key, prop) in &resolved.props {
        let mut path = prefix.to_vec();
        path.push(key.clone());
        let required = resolved.required.iter().any(|r| r == key);
        let field = make_field(path.clone(), prop, required, depth);
        let nested = field.kind == FieldKind::Object;
        out.push(field);
        if nested {
            let empty = Map::new();
            let inner = values.get(key).and_then(Value::as_object).unwrap_or(&empty);
            collect_fields(prop, inner, &path, depth + 1, out);
        }
    }
}

pub(super) fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        // `["string", "null"]`: the first non-null type.
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

pub(super) fn choices_of(schema: &Value) -> Vec<Choice> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let names = schema.get("enumNames").and_then(Value::as_array);
        return values
            .iter()
            .enumerate()
            .map(|(i, v)| Choice {
                value: v.clone(),
                label: names
                    .and_then(|n| n.get(i))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| display_scalar(v)),
            })
            .collect();
    }
    let branches = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array);
    if let Some(branches) = branches {
        if branches.iter().all(|b| b.get("const").is_some()) {
            return branches
                .iter()
                .map(|b| {
                    let v = b["const"].clone();
                    Choice {
                        label: str_of(b, "title")
                            .map(str::to_string)
                            .unwrap_or_else(|| display_scalar(&v)),
                        value: v,
                    }
                })
                .collect();
        }
    }
    Vec::new()
}

pub(super) fn display_scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub(super) fn make_field(path: Vec<String>, prop: &Value, required: bool, depth: usize) -> Field {
    let ui_field = str_of(prop, "ui:field").map(str::to_string);
    let widget = match str_of(prop, "ui:widget") {
        Some("password") => Widget::Password,
        Some("textarea") => Widget::Textarea,
        Some("select") => Widget::Select,
        Some("radio") => Widget::Radio,
        Some("checkboxes") => Widget::Checkboxes,
        Some("hidden") => Widget::Hidden,
        Some("range" | "updown") if matches!(type_of(prop), Some("number" | "integer")) => {
            Widget::Range
        }
        _ => Widget::Default,
    };
    let options = prop
        .get("ui:options")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let choices = choices_of(prop);
    let item_choices = prop.get("items").map(choices_of).unwrap_or_default();
    let ty = type_of(prop);
    let secret = ui_field.as_deref() == Some("Secret");
    let picker = ui_field.as_deref().and_then(PickerKind::from_ui_field);
    let known_field = secret
        || picker.is_some()
        // Pickers whose value is a plain string with no catalog lookup.
        || matches!(ui_field.as_deref(), Some("RepoOwnerPicker" | "RepoBranchPicker"));
    let kind = if let Some(p) = picker {
        FieldKind::Picker(p)
    } else if !choices.is_empty() {
        FieldKind::Choice
    } else {
        match ty {
            Some("boolean") => FieldKind::Boolean,
            Some("number") => FieldKind::Number,
            Some("integer") => FieldKind::Integer,
            Some("object") if prop.get("properties").is_some() => FieldKind::Object,
            Some("object") => FieldKind::Json,
            Some("array") if !item_choices.is_empty() => FieldKind::MultiChoice,
            Some("array")
                if prop.get("items").and_then(type_of) == Some("object")
                    && prop.pointer("/items/properties").is_some() =>
            {
                FieldKind::ObjectList
            }
            Some("array") => match prop.get("items").and_then(type_of) {
                Some("string") | None => FieldKind::StringList,
                _ => FieldKind::Json,
            },
            _ => FieldKind::Text,
        }
    };
    let choices = if kind == FieldKind::MultiChoice {
        item_choices
    } else {
        choices
    };
    let review = prop.get("ui:backstage").and_then(|b| b.get("review"));
    let title = str_of(prop, "ui:title")
        .or_else(|| str_of(prop, "title"))
        .map(str::to_string)
        .unwrap_or_else(|| path.last().cloned().unwrap_or_default());
    Field {
        title,
        description: str_of(prop, "ui:description")
            .or_else(|| str_of(prop, "description"))
            .map(str::to_string),
        help: str_of(prop, "ui:help").map(str::to_string),
        placeholder: str_of(prop, "ui:placeholder").map(str::to_string),
        kind,
        widget,
        unknown_field: ui_field.is_some() && !known_field,
        ui_field,
        required,
        autofocus: prop.get("ui:autofocus").and_then(Value::as_bool) == Some(true),
        readonly: prop.get("ui:readonly").and_then(Value::as_bool) == Some(true)
            || prop.get("ui:disabled").and_then(Value::as_bool) == Some(true),
        secret,
        masked: secret || widget == Widget::Password,
        review_show: review
            .and_then(|r| r.get("show"))
            .and_then(Value::as_bool)
            .unwrap_or(true),
        review_mask: review
            .and_then(|r| r.get("mask"))
            .and_then(Value::as_str)
            .map(str::to_string),
        choices,
        options,
        schema: prop.clone(),
        depth,
        path,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{obj, paths};
    use super::super::{apply_defaults, review_lines, validate};
    use super::*;
    use serde_json::json;

    fn fixtures() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
    }

    /// Every template under the fixtures, as (file, spec.parameters pages).
    fn fixture_templates() -> Vec<(String, Vec<Value>)> {
        let mut out = Vec::new();
        let roots = [
            fixtures().join("backstage-examples"),
            fixtures().join("../backstage/catalog/templates"),
        ];
        for root in roots {
            for entry in ignore::WalkBuilder::new(&root)
                .standard_filters(false)
                .build()
                .flatten()
            {
                let path = entry.path();
                if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
                    continue;
                }
                let text = std::fs::read_to_string(path).unwrap();
                if !text.contains("kind: Template") {
                    continue;
                }
                for doc in serde_norway::Deserializer::from_str(&text) {
                    let Ok(v) = <Value as serde::Deserialize>::deserialize(doc) else {
                        continue;
                    };
                    if v.get("kind").and_then(Value::as_str) == Some("Template") {
                        out.push((
                            path.display().to_string(),
                            parameter_steps(v.pointer("/spec/parameters")),
                        ));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_fixture_template_builds_a_form() {
        let templates = fixture_templates();
        assert!(templates.len() >= 15, "found {}", templates.len());
        for (file, steps) in &templates {
            assert!(!steps.is_empty(), "{file}: no parameter pages");
            let mut values = Map::new();
            apply_defaults(steps, &mut values);
            let built = build_steps(steps, &values);
            let fields: usize = built.iter().map(|s| s.fields.len()).sum();
            assert!(fields > 0, "{file}: no fields");
            // With nothing filled in, every required field is reported.
            let errors = validate(steps, &values);
            for step in &built {
                for f in step.fields.iter().filter(|f| f.required && f.depth == 0) {
                    let filled = values.get(&f.path[0]).is_some_and(is_present);
                    assert_eq!(
                        errors.iter().any(|e| e.path == f.key()),
                        !filled,
                        "{file}: {}",
                        f.key()
                    );
                }
            }
            let _ = review_lines(steps, &values, None);
        }
    }

    #[test]
    fn kitchen_sink_fields_have_the_right_kinds() {
        let templates = fixture_templates();
        let (_, steps) = templates
            .iter()
            .find(|(f, _)| f.contains("bui-kitchen-sink-demo"))
            .unwrap();
        let built = build_steps(steps, &Map::new());
        let all: Vec<&Field> = built.iter().flat_map(|s| &s.fields).collect();
        let get = |k: &str| *all.iter().find(|f| f.key() == k).unwrap();
        assert_eq!(get("description").widget, Widget::Textarea);
        assert!(get("password").masked && !get("password").secret);
        assert!(get("deployToken").masked && get("deployToken").secret);
        assert_eq!(get("secret").widget, Widget::Hidden);
        assert_eq!(get("replicas").kind, FieldKind::Integer);
        assert_eq!(get("confidence").kind, FieldKind::Number);
        assert_eq!(get("enabled").kind, FieldKind::Boolean);
        assert_eq!(get("consent").kind, FieldKind::Choice);
        assert_eq!(get("consent").choices[0].label, "I agree");
        assert_eq!(get("features").kind, FieldKind::MultiChoice);
        assert_eq!(get("tags").kind, FieldKind::StringList);
        assert_eq!(get("owner").kind, FieldKind::Object);
        assert_eq!(get("owner.displayName").depth, 1);
        assert!(get("owner.displayName").required);
        // A list of objects: the item editor.
        assert_eq!(get("contacts").kind, FieldKind::ObjectList);
        assert_eq!(get("ownerRef").kind, FieldKind::Picker(PickerKind::Owner));
        assert_eq!(
            get("relatedEntities").kind,
            FieldKind::Picker(PickerKind::MultiEntity)
        );
        assert_eq!(get("repoUrl").kind, FieldKind::Picker(PickerKind::RepoUrl));
        assert!(!get("repoOwner").unknown_field);
        assert!(get("name").autofocus);
    }

    #[test]
    fn dependencies_and_if_then_else_follow_the_values() {
        let steps = vec![json!({
            "properties": {
                "useDb": {"type": "boolean"},
                "kind": {"type": "string", "enum": ["web", "worker"]},
                "cc": {"type": "string"}
            },
            "dependencies": {
                "cc": ["billing"],
                "useDb": {"oneOf": [
                    {"properties": {"useDb": {"const": true}, "dbName": {"type": "string"}}, "required": ["dbName"]},
                    {"properties": {"useDb": {"const": false}}}
                ]}
            },
            "if": {"properties": {"kind": {"const": "web"}}, "required": ["kind"]},
            "then": {"properties": {"port": {"type": "integer", "default": 8080}}, "required": ["port"]},
            "else": {"properties": {"queue": {"type": "string"}}}
        })];
        let keys = |values: &Value| -> Vec<String> {
            build_steps(&steps, &obj(values.clone()))[0]
                .fields
                .iter()
                .map(Field::key)
                .collect()
        };
        assert_eq!(keys(&json!({})), ["useDb", "kind", "cc", "queue"]);
        assert_eq!(
            keys(&json!({"useDb": true, "kind": "web"})),
            ["useDb", "kind", "cc", "port", "dbName"]
        );
        assert_eq!(
            keys(&json!({"useDb": false, "kind": "worker"})),
            ["useDb", "kind", "cc", "queue"]
        );
        let errors = validate(
            &steps,
            &obj(json!({"useDb": true, "kind": "web", "cc": "x"})),
        );
        assert_eq!(
            paths(&errors),
            vec![
                ("port", "Required"),
                ("dbName", "Required"),
                ("billing", "Required")
            ]
        );
        let built = build_steps(&steps, &obj(json!({"cc": "x"})));
        assert!(!built[0].fields.iter().any(|f| f.key() == "billing"));
        assert_eq!(
            paths(&validate(&steps, &obj(json!({"cc": "x"})))),
            vec![("billing", "Required")],
            "a property dependency on an undeclared key adds no field, but is still required"
        );
    }

    #[test]
    fn unknown_ui_field_falls_back_to_plain_input() {
        let steps =
            vec![json!({"properties": {"x": {"type": "string", "ui:field": "FancyThing"}}})];
        let f = &build_steps(&steps, &Map::new())[0].fields[0];
        assert!(f.unknown_field);
        assert_eq!(f.kind, FieldKind::Text);
    }

    #[test]
    fn single_object_parameters_become_one_step() {
        let p = json!({"properties": {"a": {"type": "string"}}});
        assert_eq!(parameter_steps(Some(&p)).len(), 1);
        assert_eq!(parameter_steps(Some(&json!([p, p]))).len(), 2);
        assert!(parameter_steps(None).is_empty());
    }
}
