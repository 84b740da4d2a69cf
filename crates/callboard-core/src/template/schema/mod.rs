//! The form model of a template's `spec.parameters`: JSON Schema pages plus
//! the `ui:*` hints of the Backstage frontend.
//!
//! Everything here is pure and re-evaluated from the current values: which
//! fields exist (conditional `dependencies`, `oneOf` branches, `if`/`then`/
//! `else`, `allOf`), their defaults, their validation messages, the review
//! lines and which values are secrets. The TUI form and the headless
//! `template run` share these functions so both accept exactly the same input.

mod branches;
mod fields;
mod keys;
mod repo_url;
mod review;
mod secrets;
mod validate;
mod values;

use serde_json::{Map, Value};

use crate::template::expr::{is_truthy, render_value, Val};

pub use branches::{branch_key, is_form_state, other_options_keys, strip_form_state};
pub use fields::{build_steps, is_present, parameter_steps};
pub use keys::all_fields;
pub use repo_url::RepoUrl;
pub use review::{display_value, review_lines, ReviewLine, MASK};
pub use secrets::{secret_keys, split_secrets, without_masked};
pub use validate::{check_field, json_matches, validate, validate_shown, validate_step};
pub use values::{apply_defaults, get_path, set_path};

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
    /// An array of objects with declared properties: an item editor (each
    /// item a small form of the item schema's fields).
    ObjectList,
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
    /// `ui:widget: range`: a number moved with ←/→ between its bounds.
    Range,
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

    /// A `ui:options` list of strings (`allowedHosts`, `kinds`, …); empty
    /// when absent, non-string items left out.
    pub fn option_strings(&self, key: &str) -> Vec<String> {
        self.options
            .get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
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

impl FormStep {
    /// Whether a form shows this page for `values`: no `when`, or a `when`
    /// that holds. A `when` that cannot be evaluated hides nothing.
    pub fn shown(&self, values: &Map<String, Value>) -> bool {
        self.when.is_none() || self.shown_in(&when_context(values))
    }

    pub(super) fn shown_in(&self, ctx: &Val) -> bool {
        let Some(when) = &self.when else {
            return true;
        };
        match render_value(&Value::String(when.clone()), ctx) {
            Ok(v) => is_truthy(v.as_ref()),
            Err(_) => true,
        }
    }
}

/// The pages of `steps` a form shows for `values` ([`FormStep::shown`]),
/// the values read once for all of them.
pub fn shown_steps(steps: Vec<FormStep>, values: &Map<String, Value>) -> Vec<FormStep> {
    let ctx = when_context(values);
    steps.into_iter().filter(|s| s.shown_in(&ctx)).collect()
}

/// What a page's `when` reads: `parameters`.
pub(super) fn when_context(values: &Map<String, Value>) -> Val {
    Val::from(serde_json::json!({ "parameters": values }))
}

/// Helpers the tests of this module's files share.
#[cfg(test)]
mod test_support {
    use serde_json::{Map, Value};

    use super::FieldError;

    pub fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    pub fn paths(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors
            .iter()
            .map(|e| (e.path.as_str(), e.message.as_str()))
            .collect()
    }
}
