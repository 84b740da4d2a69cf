//! Validation messages per field, worded as the Backstage frontend words
//! them, and the JSON Schema subset (`json_matches`) conditions use.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::catalog::validate::{is_valid_object_name, is_valid_tag};
use crate::text::sanitize::sanitize_line;

use super::fields::{display_scalar, resolve_object, str_of, type_of};
use super::{
    build_steps, get_path, is_present, Field, FieldError, FieldKind, FormStep, PickerKind, RepoUrl,
};

/// Every value problem across all pages. The backend checks each page's
/// schema against the whole values object, hidden pages included, so this
/// does too; the form uses [`validate_step`] for the page on screen.
pub fn validate(steps: &[Value], values: &Map<String, Value>) -> Vec<FieldError> {
    validate_pages(steps, values, false)
}

/// [`validate`] over the pages a form shows ([`FormStep::shown`]): what a
/// local run needs, where no backend checks the pages `when` hides.
pub fn validate_shown(steps: &[Value], values: &Map<String, Value>) -> Vec<FieldError> {
    validate_pages(steps, values, true)
}

fn validate_pages(
    steps: &[Value],
    values: &Map<String, Value>,
    shown_only: bool,
) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let ctx = shown_only.then(|| super::when_context(values));
    for (page, step) in steps.iter().zip(build_steps(steps, values)) {
        if ctx.as_ref().is_some_and(|ctx| !step.shown_in(ctx)) {
            continue;
        }
        let mut found = validate_fields(&step.fields, values);
        // The option choice is form state: the backend checks the values
        // against the options instead.
        found.retain(|e| !super::is_form_state(&e.path));
        found.extend(super::branches::exactly_one_error(page, step.index, values));
        // A page may require a key it does not declare (another page does,
        // or none): the backend still refuses the task without it.
        let resolved = resolve_object(page, values, 0);
        for key in &resolved.required {
            let declared = resolved.props.iter().any(|(k, _)| k == key);
            if !declared && !values.get(key).is_some_and(is_present) {
                found.push(FieldError {
                    path: key.clone(),
                    message: "Required".into(),
                });
            }
        }
        for e in found {
            if !errors.contains(&e) {
                errors.push(e);
            }
        }
    }
    errors
}

/// The problems of one page's fields.
pub fn validate_step(step: &FormStep, values: &Map<String, Value>) -> Vec<FieldError> {
    validate_fields(&step.fields, values)
}

fn validate_fields(fields: &[Field], values: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for field in fields {
        // A property inside an absent optional object is not required.
        if field.path.len() > 1 {
            let parent = &field.path[..field.path.len() - 1];
            let parent_required = fields
                .iter()
                .find(|f| f.path == parent)
                .is_some_and(|f| f.required);
            if get_path(values, parent).is_none() && !parent_required {
                continue;
            }
        }
        let value = get_path(values, &field.path).filter(|v| is_present(v));
        let message = match value {
            None if field.required => Some("Required".to_string()),
            None => None,
            Some(v) => check_field(field, v),
        };
        if let Some(message) = message {
            errors.push(FieldError {
                path: field.key(),
                message,
            });
        }
    }
    errors
}

/// The first problem with a present value, in the user's terms.
pub fn check_field(field: &Field, value: &Value) -> Option<String> {
    match field.kind {
        FieldKind::Picker(PickerKind::EntityName) => {
            let name = value.as_str()?;
            if !is_valid_object_name(name) {
                return Some(
                    "Must be 1-63 letters, digits or -_. and start and end with a letter or digit"
                        .into(),
                );
            }
        }
        FieldKind::Picker(PickerKind::EntityTags) => {
            if let Some(bad) = value
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .find(|t| !is_valid_tag(t))
            {
                return Some(format!(
                    "Tag \"{}\" must be lower-case letters, digits, and -:+#",
                    sanitize_line(bad)
                ));
            }
        }
        FieldKind::Picker(PickerKind::RepoUrl) => {
            if let Some(msg) = check_repo_url(field, value.as_str().unwrap_or_default()) {
                return Some(msg);
            }
        }
        _ => {}
    }
    schema_message(&field.schema, value, field)
}

fn check_repo_url(field: &Field, value: &str) -> Option<String> {
    let parts = RepoUrl::parse(value);
    let allowed = |key: &str| field.option_strings(key);
    if parts.host.is_empty() {
        return Some("Host is required".into());
    }
    let hosts = allowed("allowedHosts");
    if !hosts.is_empty() && !hosts.contains(&parts.host) {
        return Some(format!("Host must be one of: {}", hosts.join(", ")));
    }
    if parts.owner.is_empty() {
        return Some("Owner is required".into());
    }
    let owners = allowed("allowedOwners");
    if !owners.is_empty() && !owners.contains(&parts.owner) {
        return Some(format!("Owner must be one of: {}", owners.join(", ")));
    }
    if parts.repo.is_empty() {
        return Some("Repository is required".into());
    }
    let repos = allowed("allowedRepos");
    if !repos.is_empty() && !repos.contains(&parts.repo) {
        return Some(format!("Repository must be one of: {}", repos.join(", ")));
    }
    None
}

/// JSON Schema keywords checked against a present value, with messages for
/// people rather than for validators.
fn schema_message(schema: &Value, value: &Value, field: &Field) -> Option<String> {
    let ty = type_of(schema);
    match (ty, value) {
        (Some("string"), v) if !v.is_string() => return Some("Must be text".into()),
        (Some("integer"), Value::Number(n)) if !is_integer(n) => {
            return Some("Must be a whole number".into());
        }
        (Some("integer"), v) if !v.is_number() => return Some("Must be a whole number".into()),
        (Some("number"), v) if !v.is_number() => return Some("Must be a number".into()),
        (Some("boolean"), v) if !v.is_boolean() => return Some("Must be yes or no".into()),
        // A JSON field's text that does not parse stays text: say where.
        (Some("array" | "object"), Value::String(s))
            if matches!(field.kind, FieldKind::Json | FieldKind::ObjectList) =>
        {
            return Some(match serde_json::from_str::<Value>(s) {
                Err(e) => format!("This field takes JSON: {e}"),
                Ok(_) => format!(
                    "This field takes JSON: a {}",
                    if type_of(schema) == Some("array") {
                        "list [ … ]"
                    } else {
                        "mapping { … }"
                    }
                ),
            });
        }
        (Some("array"), v) if !v.is_array() => return Some("Must be a list".into()),
        (Some("object"), v) if !v.is_object() => return Some("Must be an object".into()),
        _ => {}
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            let labels: Vec<String> = field.choices.iter().map(|c| c.label.clone()).collect();
            return Some(format!("Must be one of: {}", labels.join(", ")));
        }
    }
    if let Some(c) = schema.get("const") {
        if c != value {
            return Some(format!("Must be {}", display_scalar(c)));
        }
    }
    if let Value::String(s) = value {
        let len = s.chars().count() as u64;
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
            if len < min {
                return Some(format!(
                    "At least {min} character{}",
                    if min == 1 { "" } else { "s" }
                ));
            }
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
            if len > max {
                return Some(format!(
                    "At most {max} character{}",
                    if max == 1 { "" } else { "s" }
                ));
            }
        }
        if let Some(pattern) = str_of(schema, "pattern") {
            match regex::Regex::new(pattern) {
                Ok(re) if !re.is_match(s) => {
                    return Some(format!("Must match {}", sanitize_line(pattern)));
                }
                Ok(_) => {}
                // The template's fault, not the user's: say so once.
                Err(_) => {
                    return Some(format!(
                        "Template pattern {} is not a valid regular expression",
                        sanitize_line(pattern)
                    ));
                }
            }
        }
        match str_of(schema, "format") {
            Some("email") if !looks_like_email(s) => {
                return Some("Must be an email address".into());
            }
            Some("uri") if !s.contains("://") => {
                return Some("Must be a URL such as https://example.com".into());
            }
            _ => {}
        }
    }
    if let Value::Number(n) = value {
        if let Some(x) = n.as_f64() {
            if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
                if x < min {
                    return Some(format!("Must be at least {}", fmt_num(min)));
                }
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
                if x > max {
                    return Some(format!("Must be at most {}", fmt_num(max)));
                }
            }
            if let Some(min) = schema.get("exclusiveMinimum").and_then(Value::as_f64) {
                if x <= min {
                    return Some(format!("Must be more than {}", fmt_num(min)));
                }
            }
            if let Some(max) = schema.get("exclusiveMaximum").and_then(Value::as_f64) {
                if x >= max {
                    return Some(format!("Must be less than {}", fmt_num(max)));
                }
            }
        }
    }
    if let Value::Array(items) = value {
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
            if (items.len() as u64) < min {
                return Some(format!("Pick at least {min}"));
            }
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
            if (items.len() as u64) > max {
                return Some(format!("Pick at most {max}"));
            }
        }
        if schema.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
            let mut seen = HashSet::new();
            if !items.iter().all(|i| seen.insert(i.to_string())) {
                return Some("Items must be unique".into());
            }
        }
        if let Some(item_schema) = schema.get("items") {
            for (n, item) in items.iter().enumerate() {
                if let Some(why) = object_item_problem(item_schema, item) {
                    return Some(format!("Item {}: {why}", n + 1));
                }
                if !json_matches(item_schema, item) {
                    if let Some(allowed) = item_schema.get("enum").and_then(Value::as_array) {
                        let shown: Vec<String> = allowed.iter().map(display_scalar).collect();
                        return Some(format!("Items must be among: {}", shown.join(", ")));
                    }
                    return Some(format!(
                        "Item {} is not valid",
                        sanitize_line(&display_scalar(item))
                    ));
                }
            }
        }
    }
    None
}

/// For a list of objects: the first property of `item` the item schema
/// refuses (required and missing, or not valid), named.
pub fn object_item_problem(item_schema: &Value, item: &Value) -> Option<String> {
    let props = item_schema.get("properties").and_then(Value::as_object)?;
    let Value::Object(obj) = item else {
        return Some("must be a mapping of fields".into());
    };
    for key in item_schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !obj.get(key).is_some_and(is_present) {
            return Some(format!("\"{}\" is required", sanitize_line(key)));
        }
    }
    for (key, sub) in props {
        let Some(v) = obj.get(key) else { continue };
        let field = super::fields::make_field(vec![key.clone()], sub, false, 0);
        if let Some(msg) = check_field(&field, v) {
            return Some(format!("\"{}\": {msg}", sanitize_line(key)));
        }
    }
    None
}

fn is_integer(n: &serde_json::Number) -> bool {
    n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// A small JSON Schema matcher for conditions (`if`, `oneOf` branches):
/// types, `const`, `enum`, string/number/array bounds, `pattern`,
/// `properties`, `required`, `not`, `allOf`, `anyOf`, `oneOf`.
pub fn json_matches(schema: &Value, value: &Value) -> bool {
    let Some(obj) = schema.as_object() else {
        // `true` accepts everything, `false` nothing.
        return schema.as_bool().unwrap_or(true);
    };
    if let Some(ty) = type_of(schema) {
        let ok = match ty {
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.as_number().is_some_and(is_integer),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            "null" => value.is_null(),
            _ => true,
        };
        if !ok {
            return false;
        }
    }
    if let Some(c) = obj.get("const") {
        if c != value {
            return false;
        }
    }
    if let Some(e) = obj.get("enum").and_then(Value::as_array) {
        if !e.contains(value) {
            return false;
        }
    }
    if let Value::String(s) = value {
        let len = s.chars().count() as u64;
        if obj
            .get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
            || obj
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| len > m)
        {
            return false;
        }
        if let Some(p) = obj.get("pattern").and_then(Value::as_str) {
            if !regex::Regex::new(p).is_ok_and(|re| re.is_match(s)) {
                return false;
            }
        }
    }
    if let Some(x) = value.as_f64() {
        if obj
            .get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| x < m)
            || obj
                .get("maximum")
                .and_then(Value::as_f64)
                .is_some_and(|m| x > m)
        {
            return false;
        }
    }
    if let Value::Array(items) = value {
        if obj
            .get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| (items.len() as u64) < m)
        {
            return false;
        }
        if let Some(item_schema) = obj.get("items") {
            if !items.iter().all(|i| json_matches(item_schema, i)) {
                return false;
            }
        }
        if let Some(c) = obj.get("contains") {
            if !items.iter().any(|i| json_matches(c, i)) {
                return false;
            }
        }
    }
    if let Value::Object(map) = value {
        if let Some(req) = obj.get("required").and_then(Value::as_array) {
            if !req
                .iter()
                .filter_map(Value::as_str)
                .all(|k| map.get(k).is_some_and(|v| !v.is_null()))
            {
                return false;
            }
        }
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (k, s) in props {
                if let Some(v) = map.get(k) {
                    if !json_matches(s, v) {
                        return false;
                    }
                }
            }
        }
    }
    if let Some(not) = obj.get("not") {
        if json_matches(not, value) {
            return false;
        }
    }
    if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
        if !all.iter().all(|s| json_matches(s, value)) {
            return false;
        }
    }
    if let Some(any) = obj.get("anyOf").and_then(Value::as_array) {
        if !any.iter().any(|s| json_matches(s, value)) {
            return false;
        }
    }
    if let Some(one) = obj.get("oneOf").and_then(Value::as_array) {
        if one.iter().filter(|s| json_matches(s, value)).count() != 1 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{obj, paths};
    use super::*;
    use serde_json::json;

    #[test]
    fn validation_messages_per_field() {
        let steps = vec![json!({
            "required": ["name", "count"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z]+$", "minLength": 3, "maxLength": 5},
                "count": {"type": "integer", "minimum": 1, "maximum": 10},
                "ratio": {"type": "number", "exclusiveMaximum": 1},
                "tier": {"type": "string", "enum": ["g", "s"], "enumNames": ["Gold", "Silver"]},
                "langs": {"type": "array", "items": {"type": "string", "enum": ["go", "rust"]}, "uniqueItems": true},
                "mail": {"type": "string", "format": "email"},
                "comp": {"type": "string", "ui:field": "EntityNamePicker"},
                "labels": {"type": "array", "ui:field": "EntityTagsPicker"}
            }
        })];
        let errors = validate(&steps, &Map::new());
        assert_eq!(
            paths(&errors),
            vec![("name", "Required"), ("count", "Required")]
        );

        let values = obj(json!({
            "name": "ab", "count": 11, "ratio": 1, "tier": "b",
            "langs": ["go", "go"], "mail": "nope", "comp": "-bad", "labels": ["Ok"]
        }));
        let errors = validate(&steps, &values);
        assert_eq!(
            paths(&errors),
            vec![
                ("name", "At least 3 characters"),
                ("count", "Must be at most 10"),
                ("ratio", "Must be less than 1"),
                ("tier", "Must be one of: Gold, Silver"),
                ("langs", "Items must be unique"),
                ("mail", "Must be an email address"),
                (
                    "comp",
                    "Must be 1-63 letters, digits or -_. and start and end with a letter or digit"
                ),
                (
                    "labels",
                    "Tag \"Ok\" must be lower-case letters, digits, and -:+#"
                ),
            ]
        );
        let values = obj(json!({"name": "ABC", "count": 2.5}));
        assert_eq!(
            paths(&validate(&steps, &values)),
            vec![
                ("name", "Must match ^[a-z]+$"),
                ("count", "Must be a whole number")
            ]
        );
        let values = obj(json!({"name": "abcdef", "count": "x"}));
        assert_eq!(
            paths(&validate(&steps, &values)),
            vec![
                ("name", "At most 5 characters"),
                ("count", "Must be a whole number")
            ]
        );
        let values = obj(json!({"name": "abc", "count": 3, "langs": ["go", "java"]}));
        assert_eq!(
            paths(&validate(&steps, &values)),
            vec![("langs", "Items must be among: go, rust")]
        );
    }

    /// Pages a form hides (`when` false) bind a local run to nothing; the
    /// backend checks them all, so `validate` still does. A `when` that
    /// cannot be evaluated hides nothing.
    #[test]
    fn hidden_pages_count_for_the_backend_only() {
        let steps = vec![
            json!({"required": ["cloud"], "properties": {"cloud": {"type": "string", "enum": ["AWS", "GCP"]}}}),
            json!({"when": "${{ parameters.cloud === 'AWS' }}", "required": ["region"],
                   "properties": {"region": {"type": "string"}}}),
            json!({"when": "${{ parameters.cloud === 'GCP' }}", "required": ["project"],
                   "properties": {"project": {"type": "string"}}}),
            json!({"when": "${{ parameters.cloud === }}", "required": ["broken"],
                   "properties": {"broken": {"type": "string"}}}),
        ];
        let values = obj(json!({"cloud": "GCP"}));
        assert_eq!(
            paths(&validate_shown(&steps, &values)),
            vec![("project", "Required"), ("broken", "Required")]
        );
        assert_eq!(
            paths(&validate(&steps, &values)),
            vec![
                ("region", "Required"),
                ("project", "Required"),
                ("broken", "Required")
            ]
        );
        let values = obj(json!({"cloud": "GCP", "project": "p", "broken": "b"}));
        assert!(validate_shown(&steps, &values).is_empty());
        assert_eq!(
            paths(&validate(&steps, &values)),
            vec![("region", "Required")]
        );
        let shown: Vec<bool> = build_steps(&steps, &values)
            .iter()
            .map(|s| s.shown(&values))
            .collect();
        assert_eq!(shown, vec![true, false, true, true]);
    }

    #[test]
    fn nested_required_only_when_parent_given_or_required() {
        let steps = vec![
            json!({
                "properties": {
                    "opt": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
                },
                "required": ["req"],
                "dependencies": {}
            }),
            json!({
                "required": ["req"],
                "properties": {
                    "req": {"type": "object", "required": ["b"], "properties": {"b": {"type": "string"}}}
                }
            }),
        ];
        assert_eq!(
            paths(&validate(&steps, &obj(json!({})))),
            vec![("req", "Required"), ("req.b", "Required")]
        );
        assert_eq!(
            paths(&validate(
                &steps,
                &obj(json!({"opt": {}, "req": {"b": "x"}}))
            )),
            vec![("opt.a", "Required")]
        );
    }

    #[test]
    fn lists_of_objects_point_at_the_failing_item_and_field() {
        let steps = vec![json!({"properties": {
            "ports": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"}, "proto": {"type": "string", "enum": ["tcp", "udp"]}}}},
            "free": {"type": "array", "items": {"type": "object"}}
        }})];
        let msgs = |v: Value| {
            validate(&steps, &obj(v))
                .into_iter()
                .map(|e| (e.path, e.message))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            msgs(json!({"ports": [{"name": "a"}, {"proto": "tcp"}]})),
            vec![(
                "ports".to_string(),
                "Item 2: \"name\" is required".to_string()
            )]
        );
        assert_eq!(
            msgs(json!({"ports": [{"name": "a", "proto": "sctp"}]})),
            vec![(
                "ports".to_string(),
                "Item 1: \"proto\": Must be one of: tcp, udp".to_string()
            )]
        );
        // Text that is not JSON, in a JSON field: says it is JSON, and where.
        let m = msgs(json!({"free": "[{\"a\": 1}"}));
        assert!(
            m[0].1
                .starts_with("This field takes JSON: EOF while parsing"),
            "{m:?}"
        );
        let m = msgs(json!({"free": "plain"}));
        assert!(m[0].1.starts_with("This field takes JSON:"), "{m:?}");
    }
}
