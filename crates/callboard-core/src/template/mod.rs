//! Software templates (`scaffolder.backstage.io/v1beta3`, kind `Template`).
//!
//! - [`Template`]: the model, parsed from a catalog entity's JSON. Pure; no
//!   I/O. `parameters` is normalised to a list of pages (one JSON Schema
//!   object each), `steps` keep their raw `input` / `if` / `each` for the
//!   expression engine.
//! - [`RunEvent`]: what a run (local or remote) reports as it goes; the TUI
//!   run-log pane and the headless `template run` both
//!   consume the same stream.
//!
//! Catalog data is untrusted: every string here is raw; sanitize before
//! drawing or printing.

pub mod expr;
pub mod filters;
pub mod schema;
pub mod sse;
pub mod tree;
pub mod value;
pub mod yaml;

use serde::Serialize;
use serde_json::{Map, Value};

pub const API_VERSION: &str = "scaffolder.backstage.io/v1beta3";

/// A template entity that cannot be used, with the reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("template {name}: {message}")]
pub struct TemplateError {
    /// The entity's name, or `?` when it has none.
    pub name: String,
    pub message: String,
}

/// One step of `spec.steps`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// `id`, or `step-<n>` (1-based) as the scaffolder names unnamed steps.
    pub id: String,
    /// `name`, or the action id as the scaffolder shows it.
    pub name: String,
    pub action: String,
    /// The raw input object (expressions not yet evaluated); `{}` when absent.
    pub input: Value,
    /// The raw `if:` (a bool or an expression string).
    #[serde(rename = "if", skip_serializing_if = "Option::is_none")]
    pub condition: Option<Value>,
    /// The raw `each:` (an array, object or expression string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub each: Option<Value>,
}

/// A v1beta3 template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub namespace: String,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub owner: Option<String>,
    /// `spec.type` (service, website, documentation, …).
    pub kind_type: Option<String>,
    parameters: Vec<Value>,
    pub steps: Vec<Step>,
    /// `spec.output` (`links`, `text`, or any other keys), raw.
    pub output: Value,
    /// `spec.secrets.schema`, when present.
    pub secrets_schema: Option<Value>,
    /// `spec.presentation` (button labels), raw.
    pub presentation: Option<Value>,
    /// The entity as it was given, for `POST /v2/dry-run`.
    pub entity: Value,
}

impl Template {
    /// Parse a catalog entity (as JSON). Refuses other kinds and API
    /// versions, and malformed `parameters` / `steps`.
    pub fn from_entity(entity: &Value) -> Result<Template, TemplateError> {
        let name = entity
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let fail = |message: String| TemplateError {
            name: name.clone(),
            message,
        };
        let kind = entity.get("kind").and_then(Value::as_str).unwrap_or("");
        if !kind.eq_ignore_ascii_case("template") {
            return Err(fail(format!("kind is {kind:?}, not Template")));
        }
        let api = entity
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        if api != API_VERSION {
            return Err(fail(format!(
                "apiVersion {api:?} is not supported (only {API_VERSION})"
            )));
        }
        if name == "?" {
            return Err(fail("metadata.name is missing".into()));
        }
        let metadata = entity.get("metadata").cloned().unwrap_or(Value::Null);
        let spec = match entity.get("spec") {
            Some(Value::Object(spec)) => spec.clone(),
            _ => return Err(fail("spec is missing or not an object".into())),
        };
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        if let Some(output) = spec.get("output") {
            check_output(output).map_err(fail)?;
        }

        let parameters = match spec.get("parameters") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(pages)) => {
                for (i, page) in pages.iter().enumerate() {
                    if !page.is_object() {
                        return Err(fail(format!(
                            "spec.parameters[{i}] is not an object (a JSON Schema page)"
                        )));
                    }
                }
                pages.clone()
            }
            Some(page @ Value::Object(_)) => vec![page.clone()],
            Some(_) => {
                return Err(fail(
                    "spec.parameters must be an object or a list of objects".into(),
                ))
            }
        };

        let raw_steps = match spec.get("steps") {
            Some(Value::Array(steps)) => steps.as_slice(),
            None | Some(Value::Null) => &[],
            Some(_) => return Err(fail("spec.steps must be a list".into())),
        };
        let mut steps = Vec::with_capacity(raw_steps.len());
        for (i, raw) in raw_steps.iter().enumerate() {
            let Some(obj) = raw.as_object() else {
                return Err(fail(format!("spec.steps[{i}] is not an object")));
            };
            let Some(action) = obj.get("action").and_then(Value::as_str) else {
                return Err(fail(format!("spec.steps[{i}] has no action")));
            };
            let id = match obj.get("id") {
                Some(Value::String(id)) => id.clone(),
                _ => format!("step-{}", i + 1),
            };
            if steps.iter().any(|s: &Step| s.id == id) {
                return Err(fail(format!("step id {id:?} appears twice")));
            }
            steps.push(Step {
                name: text(obj.get("name")).unwrap_or_else(|| action.to_string()),
                id,
                action: action.to_string(),
                input: obj
                    .get("input")
                    .cloned()
                    .unwrap_or_else(|| Value::Object(Map::new())),
                condition: obj.get("if").cloned(),
                each: obj.get("each").cloned(),
            });
        }

        Ok(Template {
            namespace: text(metadata.get("namespace")).unwrap_or_else(|| "default".into()),
            title: text(metadata.get("title")),
            description: text(metadata.get("description")),
            tags: metadata
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            owner: text(spec.get("owner")),
            kind_type: text(spec.get("type")),
            parameters,
            steps,
            output: spec
                .get("output")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new())),
            secrets_schema: spec.get("secrets").and_then(|s| s.get("schema")).cloned(),
            presentation: spec.get("presentation").cloned(),
            entity: entity.clone(),
            name,
        })
    }

    /// The form pages: `spec.parameters` as a list (a single object becomes
    /// one page).
    pub fn parameter_steps(&self) -> &[Value] {
        &self.parameters
    }

    /// `template:<namespace>/<name>`, as `POST /v2/tasks` wants it.
    pub fn entity_ref(&self) -> String {
        format!("template:{}/{}", self.namespace, self.name)
    }

    /// The title, or the name when there is none.
    pub fn display_title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Completed,
    Failed,
    /// `if:` was false, the action needs the outside world, or the server
    /// skipped it (dry-run).
    Skipped,
    Cancelled,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Completed => "completed",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::Cancelled => "cancelled",
        }
    }
}

/// Progress of a run, local or remote, in order. Strings are raw (server
/// text included): sanitize before drawing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    /// A remote task was accepted (`POST /v2/tasks` → 201).
    TaskCreated {
        task_id: String,
    },
    StepStarted {
        id: String,
        name: String,
    },
    /// A log line; `step` is `None` for task-level lines.
    Log {
        step: Option<String>,
        line: String,
    },
    StepFinished {
        id: String,
        status: StepStatus,
    },
    /// The step did not run; the reason says why (condition false, an
    /// action that needs the outside world, …).
    Skipped {
        id: String,
        reason: String,
    },
    /// The run finished; `output` is the rendered `spec.output`.
    Completed {
        output: Value,
    },
    /// The run failed or was cancelled.
    Failed {
        message: String,
    },
}

/// `spec.output` as the Template v1beta3 schema
/// (plugin-scaffolder-common `Template.v1beta3.schema.json`) allows it:
/// an object whose `links` and `text` are lists of objects with string
/// fields (`if` a string or a boolean), and whose other keys are strings.
/// The server refuses the template otherwise (`/spec/output/text must be
/// array`).
fn check_output(output: &Value) -> Result<(), String> {
    let Value::Object(o) = output else {
        return Err("/spec/output must be object".into());
    };
    for (key, v) in o {
        match key.as_str() {
            "links" | "text" => {
                let Value::Array(items) = v else {
                    return Err(format!("/spec/output/{key} must be array"));
                };
                for (i, item) in items.iter().enumerate() {
                    let Value::Object(item) = item else {
                        return Err(format!("/spec/output/{key}/{i} must be object"));
                    };
                    for (field, fv) in item {
                        let at = format!("/spec/output/{key}/{i}/{field}");
                        let known = if key == "links" {
                            ["url", "entityRef", "title", "icon"].contains(&field.as_str())
                        } else {
                            ["title", "icon", "content"].contains(&field.as_str())
                        };
                        if field == "if" {
                            if !(fv.is_string() || fv.is_boolean()) {
                                return Err(format!("{at} must be string,boolean"));
                            }
                        } else if known {
                            match fv.as_str() {
                                None => return Err(format!("{at} must be string")),
                                Some("") if field != "content" => {
                                    return Err(format!(
                                        "{at} must NOT have fewer than 1 characters"
                                    ))
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
            _ if !v.is_string() => return Err(format!("/spec/output/{key} must be string")),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entity(spec: Value) -> Value {
        json!({"apiVersion": API_VERSION, "kind": "Template",
               "metadata": {"name": "t", "title": "T", "tags": ["a", "b"]}, "spec": spec})
    }

    #[test]
    fn output_must_fit_the_template_schema() {
        let with = |output: Value| {
            Template::from_entity(&entity(json!({"type": "x", "steps": [], "output": output})))
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        assert!(with(json!({"links": [{"title": "A", "url": "u", "if": "${{ x }}"}], "text": [{"title": "T", "content": ""}], "remoteUrl": "r"})).is_ok());
        for (bad, why) in [
            (
                json!({"text": {"title": "T", "content": "c"}}),
                "/spec/output/text must be array",
            ),
            (json!({"text": "hello"}), "/spec/output/text must be array"),
            (
                json!({"links": {"url": "x"}}),
                "/spec/output/links must be array",
            ),
            (json!({"text": ["x"]}), "/spec/output/text/0 must be object"),
            (
                json!({"text": [{"content": 5}]}),
                "/spec/output/text/0/content must be string",
            ),
            (
                json!({"links": [{"url": ""}]}),
                "/spec/output/links/0/url must NOT have fewer than 1 characters",
            ),
            (
                json!({"links": [{"if": 1}]}),
                "/spec/output/links/0/if must be string,boolean",
            ),
            (json!({"x": 5}), "/spec/output/x must be string"),
        ] {
            let e = with(bad.clone()).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn single_parameter_object_becomes_one_page_and_steps_get_default_ids() {
        let t = Template::from_entity(&entity(json!({
            "owner": "group:x", "type": "service",
            "parameters": {"properties": {"name": {"type": "string"}}},
            "steps": [{"action": "debug:log"}, {"id": "b", "name": "B", "action": "fs:delete", "if": "${{ x }}"}]
        })))
        .unwrap();
        assert_eq!(t.parameter_steps().len(), 1);
        assert_eq!(t.steps[0].id, "step-1");
        assert_eq!(t.steps[0].name, "debug:log");
        assert_eq!(t.steps[1].condition, Some(json!("${{ x }}")));
        assert_eq!(t.entity_ref(), "template:default/t");
        assert_eq!(t.tags, vec!["a", "b"]);
        assert_eq!(t.owner.as_deref(), Some("group:x"));
    }

    #[test]
    fn refuses_wrong_kind_and_bad_steps() {
        let mut e = entity(json!({"steps": []}));
        e["kind"] = json!("Component");
        assert!(Template::from_entity(&e)
            .unwrap_err()
            .message
            .contains("not Template"));
        let e = entity(json!({"steps": [{"id": "x"}]}));
        assert!(Template::from_entity(&e)
            .unwrap_err()
            .message
            .contains("no action"));
        let e = entity(json!({"parameters": 3, "steps": []}));
        assert!(Template::from_entity(&e).is_err());
    }
}
