//! What the API pane shows of an entity: an API's definition with its
//! operations (OpenAPI paths, AsyncAPI channels) and who provides and
//! consumes it, or the APIs a component provides and consumes.

use serde_json::Value;

use crate::catalog::index::RelatedRef;
use crate::catalog::relations::{API_CONSUMED_BY, API_PROVIDED_BY, CONSUMES_API, PROVIDES_API};
use crate::catalog::{Entity, Kind};

#[derive(Debug, Clone, PartialEq)]
pub enum ApiView {
    /// An API entity: its definition.
    Definition(ApiDefinition),
    /// A component: the APIs it provides and consumes.
    Component {
        provides: Vec<RelatedRef>,
        consumes: Vec<RelatedRef>,
    },
    /// Any other kind.
    None,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiDefinition {
    pub api_type: String,
    /// The definition text, unsanitized (sanitized when drawn).
    pub text: String,
    /// OpenAPI paths and operations (AsyncAPI: channels), in file order.
    pub operations: Vec<Operation>,
    /// Why the definition could not be read as OpenAPI/AsyncAPI.
    pub parse_error: Option<String>,
    pub providers: Vec<RelatedRef>,
    pub consumers: Vec<RelatedRef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub method: String,
    pub path: String,
    pub summary: Option<String>,
}

impl ApiView {
    /// The API view of `entity`, given its relations (as the show report
    /// lists them, dangling ones marked).
    pub fn of(entity: &Entity, relations: &[RelatedRef]) -> ApiView {
        let related_of = |types: &[&str]| -> Vec<RelatedRef> {
            relations
                .iter()
                .filter(|r| types.contains(&r.relation_type.as_str()))
                .cloned()
                .collect()
        };
        match entity.known_kind() {
            Some(Kind::Api) => {
                let api_type = entity.spec_type().unwrap_or_default().to_string();
                let text = match entity.spec_value("definition") {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => {
                        serde_norway::to_string(other).unwrap_or_else(|_| other.to_string())
                    }
                    None => String::new(),
                };
                let (operations, parse_error) = operations_of(&api_type, &text);
                ApiView::Definition(ApiDefinition {
                    api_type,
                    text,
                    operations,
                    parse_error,
                    providers: related_of(&[API_PROVIDED_BY]),
                    consumers: related_of(&[API_CONSUMED_BY]),
                })
            }
            Some(Kind::Component) => ApiView::Component {
                provides: related_of(&[PROVIDES_API]),
                consumes: related_of(&[CONSUMES_API]),
            },
            _ => ApiView::None,
        }
    }
}

/// The operations of an OpenAPI (or Swagger 2) definition, or the channels
/// of an AsyncAPI one, in file order.
pub fn operations_of(api_type: &str, text: &str) -> (Vec<Operation>, Option<String>) {
    let api_type = api_type.to_ascii_lowercase();
    if !matches!(api_type.as_str(), "openapi" | "asyncapi" | "swagger") || text.trim().is_empty() {
        return (Vec::new(), None);
    }
    let doc: Value = match parse_definition(text) {
        Ok(doc) => doc,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut ops = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let m = method.to_ascii_lowercase();
                if ![
                    "get", "put", "post", "delete", "options", "head", "patch", "trace",
                ]
                .contains(&m.as_str())
                {
                    continue;
                }
                let summary = ["summary", "operationId", "description"]
                    .iter()
                    .find_map(|k| op.get(*k).and_then(Value::as_str))
                    .map(|s| s.lines().next().unwrap_or_default().to_string());
                ops.push(Operation {
                    method: m.to_ascii_uppercase(),
                    path: path.clone(),
                    summary,
                });
            }
        }
    }
    if let Some(channels) = doc.get("channels").and_then(Value::as_object) {
        for (name, channel) in channels {
            let mut verbs: Vec<&str> = ["publish", "subscribe", "send", "receive"]
                .into_iter()
                .filter(|v| channel.get(*v).is_some())
                .collect();
            if verbs.is_empty() {
                verbs.push("channel");
            }
            let summary = ["summary", "description"]
                .iter()
                .find_map(|k| channel.get(*k).and_then(Value::as_str))
                .or_else(|| {
                    ["publish", "subscribe"]
                        .iter()
                        .find_map(|v| channel.get(*v)?.get("summary")?.as_str())
                })
                .map(|s| s.lines().next().unwrap_or_default().to_string());
            ops.push(Operation {
                method: verbs.join("/").to_ascii_uppercase(),
                path: name.clone(),
                summary,
            });
        }
    }
    (ops, None)
}

fn parse_definition(text: &str) -> Result<Value, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        serde_json::from_str(text).map_err(|e| format!("the definition is not valid JSON: {e}"))
    } else {
        crate::text::yaml_guard::check(text)
            .map_err(|e| format!("the definition is not valid YAML: {e}"))?;
        serde_norway::from_str(text).map_err(|e| format!("the definition is not valid YAML: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_paths_and_operations_in_file_order() {
        let yaml = "openapi: 3.0.0\npaths:\n  /bookings:\n    get:\n      summary: List bookings\n    post:\n      operationId: createBooking\n  /bookings/{id}:\n    parameters: []\n    delete: {}\n";
        let (ops, err) = operations_of("openapi", yaml);
        assert_eq!(err, None);
        let shown: Vec<_> = ops
            .iter()
            .map(|o| (o.method.as_str(), o.path.as_str(), o.summary.as_deref()))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("GET", "/bookings", Some("List bookings")),
                ("POST", "/bookings", Some("createBooking")),
                ("DELETE", "/bookings/{id}", None)
            ]
        );
        let json = r#"{"openapi":"3.1.0","paths":{"/a":{"put":{"summary":"Put a"}}}}"#;
        assert_eq!(operations_of("openapi", json).0[0].method, "PUT");
    }

    #[test]
    fn asyncapi_channels_and_bad_definitions() {
        let yaml = "asyncapi: 2.6.0\nchannels:\n  booking.created:\n    subscribe:\n      summary: A booking was made\n";
        let (ops, _) = operations_of("asyncapi", yaml);
        assert_eq!(ops[0].method, "SUBSCRIBE");
        assert_eq!(ops[0].summary.as_deref(), Some("A booking was made"));
        let (ops, err) = operations_of("openapi", "paths: [unclosed");
        assert!(ops.is_empty());
        assert!(err.unwrap().contains("not valid YAML"));
        assert_eq!(
            operations_of("graphql", "type Query { a: Int }"),
            (Vec::new(), None)
        );
    }
}
