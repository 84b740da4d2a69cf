//! The form model of a template's `spec.parameters`: JSON Schema pages plus
//! the `ui:*` hints of the Backstage frontend.
//!
//! Everything here is pure and re-evaluated from the current values: which
//! fields exist (conditional `dependencies`, `oneOf` branches, `if`/`then`/
//! `else`, `allOf`), their defaults, their validation messages, the review
//! lines and which values are secrets. The TUI form and the headless
//! `template run` share these functions so both accept exactly the same input.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::catalog::validate::{is_valid_object_name, is_valid_tag};
use crate::text::sanitize::sanitize_line;

/// A problem with one value, shown next to its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path from the values root, e.g. `name` or `owner.displayName`.
    pub path: String,
    pub message: String,
}

/// How the value of a field is edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Number,
    Integer,
    Boolean,
    /// One value out of `enum` (or `oneOf` consts).
    Choice,
    /// An array whose items are an enum: a multi-select.
    MultiChoice,
    /// An array of free strings.
    StringList,
    /// A nested object: a header; its properties follow as their own fields.
    Object,
    /// Anything else (arrays of objects, …): edited as JSON text.
    Json,
    Picker(PickerKind),
}

/// The `ui:field` extensions the form knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    Entity,
    MultiEntity,
    Owner,
    OwnedEntity,
    MyGroups,
    EntityName,
    EntityTags,
    RepoUrl,
}

impl PickerKind {
    fn from_ui_field(name: &str) -> Option<PickerKind> {
        Some(match name {
            "EntityPicker" => PickerKind::Entity,
            "MultiEntityPicker" => PickerKind::MultiEntity,
            "OwnerPicker" => PickerKind::Owner,
            "OwnedEntityPicker" => PickerKind::OwnedEntity,
            "MyGroupsPicker" => PickerKind::MyGroups,
            "EntityNamePicker" => PickerKind::EntityName,
            "EntityTagsPicker" => PickerKind::EntityTags,
            "RepoUrlPicker" => PickerKind::RepoUrl,
            _ => return None,
        })
    }

    /// Pickers that open a list from the catalog (entities, or tags).
    pub fn has_popup(self) -> bool {
        self.searches_entities() || self == PickerKind::EntityTags
    }

    /// Pickers that search catalog entities.
    pub fn searches_entities(self) -> bool {
        matches!(
            self,
            PickerKind::Entity
                | PickerKind::MultiEntity
                | PickerKind::Owner
                | PickerKind::OwnedEntity
                | PickerKind::MyGroups
        )
    }
}

/// `ui:widget`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Widget {
    Default,
    Password,
    Textarea,
    Select,
    Radio,
    Checkboxes,
    Hidden,
}

/// One option of a choice field.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub value: Value,
    /// `enumNames` entry or `oneOf[].title`, else the value itself.
    pub label: String,
}

/// One field of a form step, resolved against the current values.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Key path from the values root.
    pub path: Vec<String>,
    pub title: String,
    pub description: Option<String>,
    pub help: Option<String>,
    pub placeholder: Option<String>,
    pub kind: FieldKind,
    pub widget: Widget,
    /// The raw `ui:field`, if any.
    pub ui_field: Option<String>,
    /// `ui:field` named an extension this client does not know: the field
    /// falls back to a plain input and says so.
    pub unknown_field: bool,
    pub required: bool,
    pub autofocus: bool,
    pub readonly: bool,
    /// `ui:field: Secret`: sent as `secrets`, never in `values`.
    pub secret: bool,
    /// Secret or `password`: never drawn, saved or printed.
    pub masked: bool,
    pub review_show: bool,
    pub review_mask: Option<String>,
    pub choices: Vec<Choice>,
    /// `ui:options`.
    pub options: Map<String, Value>,
    /// The property's own schema, for validation.
    pub schema: Value,
    /// Nesting level (0 for top-level properties).
    pub depth: usize,
}

impl Field {
    pub fn key(&self) -> String {
        self.path.join(".")
    }

    /// Whether the user can focus and edit it.
    pub fn is_visible(&self) -> bool {
        self.widget != Widget::Hidden
    }

    pub fn picker(&self) -> Option<PickerKind> {
        match self.kind {
            FieldKind::Picker(p) => Some(p),
            _ => None,
        }
    }
}

/// One wizard page.
#[derive(Debug, Clone, PartialEq)]
pub struct FormStep {
    /// Position in `spec.parameters`.
    pub index: usize,
    pub title: String,
    pub description: Option<String>,
    /// Page-level `when: ${{ … }}` (a form feature, evaluated by the caller).
    pub when: Option<String>,
    pub fields: Vec<Field>,
}

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

fn value_as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The properties and `required` list of an object schema once its
/// conditionals are resolved against `values`.
#[derive(Debug, Default)]
struct Resolved {
    props: Vec<(String, Value)>,
    required: Vec<String>,
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

fn resolve_object(schema: &Value, values: &Map<String, Value>, depth: usize) -> Resolved {
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

fn collect_fields(
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

fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        // `["string", "null"]`: the first non-null type.
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

fn choices_of(schema: &Value) -> Vec<Choice> {
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

fn display_scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn make_field(path: Vec<String>, prop: &Value, required: bool, depth: usize) -> Field {
    let ui_field = str_of(prop, "ui:field").map(str::to_string);
    let widget = match str_of(prop, "ui:widget") {
        Some("password") => Widget::Password,
        Some("textarea") => Widget::Textarea,
        Some("select") => Widget::Select,
        Some("radio") => Widget::Radio,
        Some("checkboxes") => Widget::Checkboxes,
        Some("hidden") => Widget::Hidden,
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

/// Every value problem across all pages. The backend checks each page's
/// schema against the whole values object, hidden pages included, so this
/// does too; the form uses [`validate_step`] for the page on screen.
pub fn validate(steps: &[Value], values: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = Vec::new();
    for (page, step) in steps.iter().zip(build_steps(steps, values)) {
        let mut found = validate_fields(&step.fields, values);
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
    let allowed = |key: &str| -> Vec<String> {
        field
            .options
            .get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
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

/// `RepoUrlPicker`'s value, `github.com?owner=o&repo=r`, taken apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoUrl {
    pub host: String,
    pub owner: String,
    pub repo: String,
    /// Other query parts (`organization`, `workspace`, `project`), in order.
    pub extra: Vec<(String, String)>,
}

impl RepoUrl {
    pub fn parse(value: &str) -> RepoUrl {
        let (host, query) = value.split_once('?').unwrap_or((value, ""));
        let mut out = RepoUrl {
            host: host.to_string(),
            ..RepoUrl::default()
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v);
            match k {
                "owner" => out.owner = v,
                "repo" => out.repo = v,
                _ => out.extra.push((k.to_string(), v)),
            }
        }
        out
    }

    pub fn to_value_string(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in self.extra.iter().map(|(k, v)| (k.as_str(), v.as_str())) {
            if k == "organization" || k == "workspace" || k == "project" {
                parts.push(format!("{k}={}", percent_encode(v)));
            }
        }
        if !self.owner.is_empty() {
            parts.push(format!("owner={}", percent_encode(&self.owner)));
        }
        if !self.repo.is_empty() {
            parts.push(format!("repo={}", percent_encode(&self.repo)));
        }
        if parts.is_empty() {
            self.host.clone()
        } else {
            format!("{}?{}", self.host, parts.join("&"))
        }
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            {
                if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
            for item in items {
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
    let mut plain = values.clone();
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixtures() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn paths(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|e| (e.path.as_str(), e.message.as_str()))
            .collect()
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
        assert_eq!(get("contacts").kind, FieldKind::Json);
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

    #[test]
    fn repo_url_parts_round_trip_and_validate() {
        let r = RepoUrl::parse("github.com?owner=acme&repo=my%20app");
        assert_eq!(
            (r.host.as_str(), r.owner.as_str(), r.repo.as_str()),
            ("github.com", "acme", "my app")
        );
        assert_eq!(r.to_value_string(), "github.com?owner=acme&repo=my%20app");
        let steps = vec![json!({"properties": {"repoUrl": {
            "type": "string", "ui:field": "RepoUrlPicker",
            "ui:options": {"allowedHosts": ["github.com"]}
        }}})];
        let check = |v: &str| {
            paths(&validate(&steps, &obj(json!({"repoUrl": v}))))
                .first()
                .map(|p| p.1.to_string())
        };
        assert_eq!(
            check("gitlab.com?owner=a&repo=b").unwrap(),
            "Host must be one of: github.com"
        );
        assert_eq!(check("github.com?repo=b").unwrap(), "Owner is required");
        assert_eq!(
            check("github.com?owner=a").unwrap(),
            "Repository is required"
        );
        assert_eq!(check("github.com?owner=a&repo=b"), None);
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
